"""Words for the customer page's timeline."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

_KINDS = {
    "invoice": _("Invoice"),
    "credit_note": _("Credit note"),
    "payment": _("Payment"),
    "message": _("Message"),
    "call": _("Call"),
    "promise": _("Promise"),
    "arrangement": _("Arrangement"),
    "dispute": _("Dispute"),
    "task": _("Task"),
    "dunning": _("Dunning"),
}


@register.filter
def timeline_kind(kind: str) -> str:
    """The reader's word for a kind of timeline event ('promise' → 'Belofte')."""
    return str(_KINDS.get(kind, kind))
