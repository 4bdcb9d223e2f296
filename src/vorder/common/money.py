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
    """Amount as a plain string with (at least) two decimals: '1234.50'. Reports and the API.

    Cents are written with integer arithmetic: a dunning run formats millions of amounts, and
    going through Decimal costs several times more for the same digits.
    """
    places = exponent(currency)
    if places == 2:
        cents = int(minor or 0)
        if cents < 0:
            return f"-{-cents // 100}.{-cents % 100:02d}"
        return f"{cents // 100}.{cents % 100:02d}"
    return f"{to_decimal(minor, currency):.{max(2, places)}f}"
