"""Filters for message templates: ``{{ totals.total_due|money }}``, ``{{ pay_by|day }}``.

They read the language being rendered (rendering activates it), so a template never has to say
which language it is in.
"""

from __future__ import annotations

from django import template
from django.utils import translation

from vorder.comms.formatting import format_day, format_money, format_percent

register = template.Library()


@register.filter
def money(value: object, currency: str = "EUR") -> str:
    return format_money(value, translation.get_language(), currency or "EUR")


@register.filter
def day(value: object) -> str:
    return format_day(value, translation.get_language())


@register.filter
def percent(value: object) -> str:
    return format_percent(value, translation.get_language())
