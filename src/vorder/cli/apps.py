from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "vorder.cli"
    label = "vorder_cli"
    verbose_name = "Command line"
