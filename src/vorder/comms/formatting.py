"""Amounts and dates written the way each language writes them, without the OS locale.

The context stores amounts as strings ("1234.50") and dates as ISO strings so that a message can
be re-rendered years later from its stored context; these functions turn them into the words of
a letter. They never touch floats: amounts go through Decimal.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}

MONTHS = {
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
}


def _lang(language: str | None) -> str:
    code = (language or "en")[:2].lower()
    return code if code in MONTHS else "en"


def format_money(amount: object, language: str | None, currency: str = "EUR") -> str:
    """'1234.50' → '€ 1.234,50' (nl, de, fr as in Belgium) or '€ 1,234.50' (en).

    The space after the symbol is a no-break space.
    """
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if isinstance(amount, float):  # pragma: no cover - guarded by the context contract
        raise TypeError("money must not be a float")
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.2f}"  # 1,234.50
    if _lang(language) != "en":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    symbol = SYMBOLS.get(currency, currency)
    return f"{sign}{symbol}\u00a0{text}"  # no-break space: "€" never ends a line


def format_day(value: object, language: str | None) -> str:
    """'2026-11-22' → '22 november 2026' / '22 November 2026' / '22 novembre 2026' / '22. November 2026'."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
    lang = _lang(language)
    month = MONTHS[lang].split()[day.month - 1]
    if lang == "de":
        return f"{day.day}. {month} {day.year}"
    if lang == "fr" and day.day == 1:
        return f"1er {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def format_percent(value: object, language: str | None) -> str:
    """'6.00' → '6,00%' (nl, fr, de) or '6.00%' (en)."""
    if value is None or value == "":
        return ""
    text = str(value)
    if _lang(language) != "en":
        text = text.replace(".", ",")
    return f"{text}%"
