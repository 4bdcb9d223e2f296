"""How a paid amount spreads over the parts of an invoice.

An invoice with an instalment schedule is one claim with several due dates. Money received settles
the part that fell due first: the debtor is never overdue on a later part while an earlier one is
open, which is what a debtor paying in instalments expects and what aging must show.
"""

from __future__ import annotations

from collections.abc import Sequence


def settle_in_order(amounts: Sequence[int], paid: int) -> list[int]:
    """Open amount of each part (in due-date order) after ``paid`` minor units were received.

    >>> settle_in_order([100, 100, 100], 150)
    [0, 50, 100]
    """
    if paid < 0 or any(a < 0 for a in amounts):
        raise ValueError("amounts and the paid amount cannot be negative")
    if paid > sum(amounts):
        raise ValueError(f"{paid} paid exceeds the {sum(amounts)} due")
    remaining = paid
    opens: list[int] = []
    for amount in amounts:
        settled = min(amount, remaining)
        remaining -= settled
        opens.append(amount - settled)
    return opens
