from django.apps import AppConfig


class DirectDebitConfig(AppConfig):
    name = "vorder.banking.directdebit"
    label = "directdebit"
    verbose_name = "SEPA direct debit"
