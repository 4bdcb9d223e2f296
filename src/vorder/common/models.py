from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from vorder.common.audit import current_actor


class AuditEntry(models.Model):
    """One change to a money-relevant record. Append-only (enforced by database triggers)."""

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"
        WRITE_OFF = "write_off"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=150, help_text="user name, or 'cli', 'api', 'system'")
    creditor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    model = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.model} {self.object_repr}"
        )

    @classmethod
    def build(
        cls, *, creditor_id: int | None, obj: Any, action: str, changes: dict[str, Any] | Any
    ) -> dict[str, Any]:
        """The row of one entry, for ``audit_bulk``: a plain dict, because a bank import or a
        matching run writes hundreds of thousands and a model object each would cost more than
        the write itself."""
        user_id, actor = current_actor()
        return {
            "user_id": user_id,
            "actor": actor,
            "creditor_id": creditor_id,
            "model": obj._meta.label_lower,
            "object_id": str(obj.pk),
            "object_repr": str(obj)[:200],
            "action": action,
            "changes": dict(changes),
        }


class StaffPreference(models.Model):
    """What a staff user chose for themselves; the language follows them to any browser."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vorder_preference"
    )
    language = models.CharField(max_length=5, choices=settings.LANGUAGES)

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"
