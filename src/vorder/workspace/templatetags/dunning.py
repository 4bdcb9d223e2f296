"""Filters for the dunning screens: reasons in the reader's language, names of codes."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def reason(value: dict[str, Any] | str) -> str:
    """A decision's reason ``{code, en, nl}`` in the reader's language (English otherwise)."""
    if not isinstance(value, dict):
        return str(value)
    language = (get_language() or "en")[:2]
    return str(value.get(language) or value.get("en") or value.get("code", ""))


@register.filter
def item_numbers(items: list[dict[str, Any]] | None) -> str:
    """The invoice numbers of a decision's items: 'F-1, F-3'."""
    return ", ".join(str(i.get("number", "")) for i in items or [])


@register.filter
def get(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key, "")


@register.filter
def amount(value: str | None, currency: str = "EUR") -> str:
    """A plain amount string of the run's JSON ('1234.50') in the reader's notation."""
    from decimal import Decimal, InvalidOperation

    from vorder.workspace.templatetags.workspace import format_amount

    if value in (None, ""):
        return "–"
    try:
        minor = int((Decimal(str(value)) * 100).to_integral_value())
    except InvalidOperation:
        return str(value)
    return format_amount(minor, currency or "EUR")
