from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "vorder.dunning"
    label = "dunning"
    verbose_name = "Dunning"
