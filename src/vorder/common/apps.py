from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "vorder.common"
    label = "common"
    verbose_name = "Common"
