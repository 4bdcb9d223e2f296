"""The one boundary between integer minor units in the database and Money in code."""

from __future__ import annotations

from decimal import Decimal

from vorder.domain.money import Money, exponent


def money(minor: int | None, currency: str) -> Money:
    """Money from a stored minor-unit column (None counts as zero: an empty SQL sum)."""
    return Money.from_minor(int(minor or 0), currency)


def to_decimal(minor: int | None, currency: str = "EUR") -> Decimal:
    return Decimal(int(minor or 0)).scaleb(-exponent(currency))


def fmt(minor: int | None, currency: str = "EUR") -> str:
    """Amount as a plain string with (at least) two decimals: '1234.50'. Reports and the API."""
    places = max(2, exponent(currency))
    return f"{to_decimal(minor, currency):.{places}f}"
