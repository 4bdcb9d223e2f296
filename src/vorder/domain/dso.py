"""Days sales outstanding, by the two methods credit managers use.

Standard (average) DSO divides receivables by the credit sales of a period and scales to its
days; it swings with seasonal sales. The countback method walks back period by period, "using up"
the receivables against each period's sales, and so answers: how many days of recent sales are
still unpaid? Both take plain numbers (minor units), so they are exact and testable by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

_ONE_DECIMAL = Decimal("0.1")


def dso_standard(*, receivables: int, sales: int, days: int) -> Decimal | None:
    """Receivables / sales × days, one decimal; None when there were no sales to divide by."""
    if days <= 0:
        raise ValueError("the period must have at least one day")
    if sales <= 0:
        return None
    return (Decimal(receivables) / Decimal(sales) * days).quantize(_ONE_DECIMAL, ROUND_HALF_UP)


def dso_countback(*, receivables: int, periods: Sequence[tuple[int, int]]) -> Decimal | None:
    """Countback DSO over periods given newest first as (days, sales).

    Each period whose sales are fully covered by the remaining receivables counts all its days;
    the period where they run out counts its share. When the receivables exceed all the sales
    given, the result is the total number of days (a lower bound): None only without periods.
    """
    if not periods:
        return None
    remaining = Decimal(max(receivables, 0))
    total = Decimal(0)
    for days, sales in periods:
        if remaining <= 0:
            break
        if sales <= 0:
            total += days
            continue
        if remaining >= sales:
            total += days
            remaining -= sales
        else:
            total += remaining / Decimal(sales) * days
            remaining = Decimal(0)
    return total.quantize(_ONE_DECIMAL, ROUND_HALF_UP)
