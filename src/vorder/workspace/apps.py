from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "vorder.workspace"
    label = "workspace"
    verbose_name = "Workspace"
