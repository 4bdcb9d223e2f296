"""The claim statement (specificatie van de vordering): what is owed on a date, and how it arose.

One structure for the reminder letter, the debtor portal and the hand-over to an agency or bailiff:
the principal, the interest per period, the collection costs, the payments received and how each
was imputed (costs, then interest, then principal: art. 6:44 BW), and the total due. Pure data:
the faces format it; nothing here reads the clock or the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from vorder.domain.costs import CollectionCosts
from vorder.domain.errors import InvalidPayment
from vorder.domain.interest import (
    ZERO,
    InterestResult,
    InterestRule,
    Payment,
    calculate_interest,
    check_amount,
    money_text,
)
from vorder.domain.money import check_currency


@dataclass(frozen=True, slots=True)
class ClaimStatement:
    as_of: date
    currency: str
    principal: Decimal
    interest_from: date
    interest: InterestResult | None  # None while no interest runs yet (as_of before interest_from)
    costs: CollectionCosts | None
    payments: tuple[Payment, ...]

    @property
    def interest_total(self) -> Decimal:
        return ZERO if self.interest is None else self.interest.total_interest

    @property
    def costs_total(self) -> Decimal:
        return ZERO if self.costs is None else self.costs.total

    @property
    def payments_total(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)

    @property
    def total_due(self) -> Decimal:
        """Principal + interest + costs - payments, never below zero (an overpayment is a credit)."""
        if self.interest is not None:
            return self.interest.total_due
        return max(ZERO, self.principal + self.costs_total - self.payments_total)

    @property
    def credit(self) -> Decimal:
        """Paid beyond everything due."""
        if self.interest is not None:
            return self.interest.unapplied
        return max(ZERO, self.payments_total - self.principal - self.costs_total)

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON and templates; amounts as strings with two decimals."""
        costs: dict[str, object] | None = None
        if self.costs is not None:
            costs = {
                "amount": money_text(self.costs.amount),
                "vat": money_text(self.costs.vat),
                "total": money_text(self.costs.total),
                "reason_nl": self.costs.reason_nl,
                "reason_en": self.costs.reason_en,
                "source": self.costs.source,
            }
        return {
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "principal": money_text(self.principal),
            "interest_from": self.interest_from.isoformat(),
            "interest": None if self.interest is None else self.interest.as_dict(),
            "interest_total": money_text(self.interest_total),
            "costs": costs,
            "payments_total": money_text(self.payments_total),
            "total_due": money_text(self.total_due),
            "credit": money_text(self.credit),
        }


def claim_statement(
    *,
    principal: Decimal,
    interest_from: date,
    as_of: date,
    rule: InterestRule,
    costs: CollectionCosts | None = None,
    payments: Iterable[Payment] = (),
    currency: str = "EUR",
) -> ClaimStatement:
    """Build the statement of one claim as it stands at the end of ``as_of``.

    ``interest_from`` is the first day interest runs; ``costs`` are those the legal steps allow on
    ``as_of`` (the caller asks legal_steps first). Payments up to ``as_of`` are imputed.
    """
    principal = check_amount(principal, "the principal")
    received = tuple(
        Payment(p.on, check_amount(p.amount, f"the payment of {p.on.isoformat()}", positive=True))
        for p in sorted(payments, key=lambda p: p.on)
    )
    for payment in received:
        if payment.on > as_of:
            raise InvalidPayment(
                f"the payment of {payment.on.isoformat()} falls after the statement date "
                f"{as_of.isoformat()}"
            )
    result: InterestResult | None = None
    if as_of >= interest_from:
        result = calculate_interest(
            principal,
            interest_from,
            as_of,
            rule,
            payments=received,
            costs=ZERO if costs is None else costs.total,
        )
    return ClaimStatement(
        as_of, check_currency(currency), principal, interest_from, result, costs, received
    )
