from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "vorder.ledger"
    label = "ledger"
    verbose_name = "Ledger"
