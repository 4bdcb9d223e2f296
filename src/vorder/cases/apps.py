from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "vorder.cases"
    label = "cases"
    verbose_name = "Cases: promises, arrangements, disputes, calls and tasks"
