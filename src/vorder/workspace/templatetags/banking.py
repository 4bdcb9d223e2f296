"""Filters of the banking screens: match confidence and amounts as an input field holds them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

from vorder.common.money import to_decimal

register = template.Library()


@register.filter
def confidence(value: str | Decimal | int | None, per_mille: bool = False) -> str:
    """'0.85' (a suggestion) or 850 per mille (a line) as '85%'."""
    if value is None or value == "":
        return "–"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return "–"
    if per_mille:
        number = number / 1000
    return f"{(number * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


@register.filter
def plain_amount(minor: int, currency: str = "EUR") -> str:
    """Minor units as an editable amount: 12100 → '121.00' (read back with parse_amount)."""
    return str(to_decimal(int(minor), currency or "EUR"))
