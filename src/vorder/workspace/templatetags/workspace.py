"""Filters that show figures the way the reader's language writes them.

Amounts arrive as integer minor units (as the database stores them) and are formatted with the
active language's separators: ``€ 1.234,56`` in Dutch, ``€ 1,234.56`` in English. No float is
involved: minor units become an exact Decimal at the one boundary in ``vorder.common.money``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils import dateformat
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from vorder.common.money import to_decimal
from vorder.domain.money import exponent

register = template.Library()

_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
_NBSP = "\u00a0"


def format_amount(minor: int | None, currency: str = "EUR") -> str:
    """'€ 1.234,56' (nl) / '€ 1,234.56' (en); other currencies by code: 'CHF 12.50'."""
    value = to_decimal(minor, currency)
    digits = number_format(
        abs(value), decimal_pos=max(2, exponent(currency)), use_l10n=True, force_grouping=True
    )
    sign = "-" if value < 0 else ""
    return f"{_SYMBOLS.get(currency, currency)}{_NBSP}{sign}{digits}"


@register.filter
def money(minor: int | str | None, currency: str = "EUR") -> str:
    """``{{ item.open_minor|money:item.currency }}``; an empty value shows as a dash."""
    if minor is None or minor == "":
        return "–"
    return format_amount(int(minor), currency or "EUR")


@register.filter
def days(value: Decimal | int | None) -> str:
    """A number of days with one decimal in the reader's notation: '42,5' / '42.5'."""
    if value is None:
        return "–"
    exact = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return number_format(exact, decimal_pos=1, use_l10n=True)


@register.filter
def percent(part: int, whole: int) -> str:
    """Share of a whole as a whole percentage (integer arithmetic, half up)."""
    if not whole:
        return "0%"
    return f"{(200 * int(part) + int(whole)) // (2 * int(whole))}%"


@register.simple_tag(takes_context=True)
def query(context: Any, **changes: Any) -> str:
    """The current query string with some parameters changed: pagination, search, as-of.

    An empty value removes the parameter, so links keep the reader's date and search.
    """
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value.isoformat() if isinstance(value, date) else str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""


_KINDS = {
    "invoice": _("Invoice"),
    "instalment": _("Instalment"),
    "credit_note": _("Credit note"),
    "payment": _("Payment"),
}


@register.filter
def item_kind(kind: str) -> str:
    """The reader's word for a kind of ledger item ('invoice' → 'Factuur')."""
    return str(_KINDS.get(kind, kind))


@register.filter
def short_date(value: date | None) -> str:
    """'31 Mar 2025' in English, '31 mrt 2025' in Dutch (Dutch writes months in lower case).

    The date format itself is translated, so each language picks its own notation.
    """
    if not value:
        return "–"
    return dateformat.format(value, pgettext("short date format", "j M Y"))


@register.filter
def short_month(value: date | None) -> str:
    """'Mar' / 'mrt', for chart axes."""
    if not value:
        return ""
    return dateformat.format(value, pgettext("short month format", "M"))
