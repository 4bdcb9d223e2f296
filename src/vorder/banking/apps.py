from django.apps import AppConfig


class BankingConfig(AppConfig):
    name = "vorder.banking"
    label = "banking"
    verbose_name = "Banking"
