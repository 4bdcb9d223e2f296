from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_shipped_templates(sender: AppConfig, **kwargs: object) -> None:
    """Keep the shipped default templates current after every migrate (idempotent)."""
    from vorder.comms.services import templates_install

    templates_install(using=str(kwargs.get("using") or "default"))


class CommsConfig(AppConfig):
    name = "vorder.comms"
    label = "comms"
    verbose_name = "Messages"

    def ready(self) -> None:
        post_migrate.connect(_install_shipped_templates, sender=self)
