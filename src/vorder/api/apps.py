from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vorder.api"
    label = "vorder_api"
    verbose_name = "REST API"
