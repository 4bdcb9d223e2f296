"""Late-payment interest, day by day over rate changes, exact to the cent.

The conventions (REFERENCE.md section 0, docs/law.md) are the defaults, and each one is a setting:

* ``start`` is the first day interest runs (the day after the due date), ``end`` the last day (the
  payment day); both count, so days = end - start + 1 (art. 6:119a lid 1 BW: "met ingang van de dag
  volgend op ... tot en met de dag waarop de schuldenaar de geldsom heeft voldaan").
* Day count actual/365, also in leap years; actual/actual (366 for days in a leap year) on request.
* Dutch statutory interest compounds: after each full year counted from ``start`` the unpaid
  interest is added to the base (art. 6:119 lid 2, 6:119a lid 3 BW). Belgian interest and agreed
  contractual rates are simple.
* Within one interest period every rate segment is computed unrounded on the same base; the period's
  interest is rounded half-up to cents once, at its end. A period ends at an anniversary (where it is
  capitalised), at a partial payment (which needs the interest due in cents) and at ``end``. The
  rounded amount is then shared over the segments by the largest remainder, so the lines of a claim
  statement add up to the total.
* A partial payment counts on its day (interest for that day still runs on the old base) and goes to
  costs, then interest, then principal (art. 6:44 lid 1 BW); the order is a setting.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from vorder.domain import rates
from vorder.domain.errors import InvalidAmount, InvalidPayment, InvalidPeriod, InvalidSetting

CENT = Decimal("0.01")
ZERO = Decimal(0)


class InterestKind(StrEnum):
    NL_COMMERCIAL = "nl-commercial"  # art. 6:119a BW, compounding yearly
    NL_CONSUMER = "nl-consumer"  # art. 6:119 BW (all non-commercial claims), compounding yearly
    BE_COMMERCIAL = "be-commercial"  # art. 5 wet 2-8-2002, simple
    BE_LEGAL = "be-legal"  # wettelijke intrestvoet, wet 5-5-1865, simple
    CONTRACT = "contract"  # an agreed rate, simple unless set otherwise


class DayCount(StrEnum):
    ACTUAL_365 = "actual/365"
    ACTUAL_ACTUAL = "actual/actual"


class Bucket(StrEnum):
    """What a payment can pay off."""

    COSTS = "costs"
    INTEREST = "interest"
    PRINCIPAL = "principal"


ART_6_44_BW: tuple[Bucket, ...] = (Bucket.COSTS, Bucket.INTEREST, Bucket.PRINCIPAL)

_TABLE_OF_KIND: dict[InterestKind, rates.RateTableName] = {
    InterestKind.NL_COMMERCIAL: rates.RateTableName.NL_COMMERCIAL,
    InterestKind.NL_CONSUMER: rates.RateTableName.NL_STATUTORY,
    InterestKind.BE_COMMERCIAL: rates.RateTableName.BE_COMMERCIAL,
    InterestKind.BE_LEGAL: rates.RateTableName.BE_LEGAL,
}
_COMPOUNDS_BY_LAW = frozenset({InterestKind.NL_COMMERCIAL, InterestKind.NL_CONSUMER})


@dataclass(frozen=True, slots=True)
class InterestRule:
    """Which interest runs and how it is computed. The defaults are vorder's conventions."""

    kind: InterestKind
    contract_rate: Decimal | None = None  # percent per year, only with InterestKind.CONTRACT
    compounding: bool | None = None  # None: as the law says for the kind (NL yes, BE/contract no)
    day_count: DayCount = DayCount.ACTUAL_365
    imputation: tuple[Bucket, ...] = ART_6_44_BW

    def __post_init__(self) -> None:
        if self.kind is InterestKind.CONTRACT:
            if self.contract_rate is None or not self.contract_rate.is_finite():
                raise InvalidSetting("a contractual rate needs its percentage, e.g. contract:8.5")
            if self.contract_rate < 0:
                raise InvalidSetting(
                    f"a contractual rate cannot be negative ({self.contract_rate})"
                )
        elif self.contract_rate is not None:
            raise InvalidSetting(f"{self.kind} is a statutory rate; a percentage is not accepted")
        if sorted(self.imputation) != sorted(Bucket):
            raise InvalidSetting(
                "the imputation order must name costs, interest and principal once each"
            )

    @property
    def compounds(self) -> bool:
        if self.compounding is None:
            return self.kind in _COMPOUNDS_BY_LAW
        return self.compounding

    @property
    def table(self) -> rates.RateTable | None:
        name = _TABLE_OF_KIND.get(self.kind)
        return None if name is None else rates.table(name)

    @classmethod
    def parse(
        cls,
        text: str,
        *,
        compounding: bool | None = None,
        day_count: DayCount | str = DayCount.ACTUAL_365,
        imputation: Sequence[Bucket | str] = ART_6_44_BW,
    ) -> InterestRule:
        """Read ``nl-commercial``, ``nl-consumer``, ``be-commercial``, ``be-legal`` or ``contract:8.5``."""
        name, _, percent = text.strip().lower().partition(":")
        try:
            kind = InterestKind(name)
        except ValueError as exc:
            known = ", ".join(k.value for k in InterestKind if k is not InterestKind.CONTRACT)
            raise InvalidSetting(
                f"unknown interest kind '{text}' (known: {known}, contract:R)"
            ) from exc
        rate: Decimal | None = None
        if percent:
            try:
                rate = Decimal(percent.replace(",", "."))
            except InvalidOperation as exc:
                raise InvalidSetting(
                    f"'{percent}' is not a percentage (write contract:8.5)"
                ) from exc
        try:
            days = DayCount(day_count)
            order = tuple(Bucket(b) for b in imputation)
        except ValueError as exc:
            raise InvalidSetting(str(exc)) from exc
        return cls(kind, rate, compounding, days, order)


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received from the debtor on a day."""

    on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InterestPeriod:
    """One line of the breakdown: a stretch of days at one rate on one base."""

    start: date
    end: date
    days: int
    rate: Decimal
    base: Decimal
    exact: Decimal  # unrounded interest of this stretch
    interest: Decimal  # this stretch's share of the rounded interest of its rounding period
    divisor: int  # 365 or 366
    verified: bool  # False when the rate is marked unverified or no newer period is recorded
    source: str


@dataclass(frozen=True, slots=True)
class Capitalisation:
    """Unpaid interest added to the base after a full year (art. 6:119 lid 2 BW)."""

    on: date  # the anniversary: the first day of the new interest year
    amount: Decimal
    new_base: Decimal


@dataclass(frozen=True, slots=True)
class PaymentApplied:
    on: date
    amount: Decimal
    to_costs: Decimal
    to_interest: Decimal
    to_principal: Decimal
    unapplied: Decimal  # paid beyond everything due: a credit for the debtor


@dataclass(frozen=True, slots=True)
class InterestResult:
    rule: InterestRule
    principal: Decimal
    start: date
    end: date
    periods: tuple[InterestPeriod, ...]
    capitalisations: tuple[Capitalisation, ...]
    payments: tuple[PaymentApplied, ...]
    total_interest: Decimal  # all interest that ran, paid or not, capitalised or not
    interest_paid: Decimal
    interest_due: Decimal  # interest not yet capitalised and not yet paid
    principal_due: Decimal  # principal plus capitalised interest, less payments on it
    costs_due: Decimal
    unapplied: Decimal = field(default=ZERO)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def capitalised(self) -> Decimal:
        return sum((c.amount for c in self.capitalisations), ZERO)

    @property
    def total_due(self) -> Decimal:
        """What the debtor owes at the end of ``end``: principal, interest and costs."""
        return self.principal_due + self.interest_due + self.costs_due

    @property
    def verified(self) -> bool:
        return all(p.verified for p in self.periods)

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON: amounts and rates as strings, amounts with two decimals."""
        return {
            "kind": self.rule.kind.value,
            "compounding": self.rule.compounds,
            "day_count": self.rule.day_count.value,
            "principal": money_text(self.principal),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "days": self.days,
            "total": money_text(self.total_interest),
            "verified": self.verified,
            "periods": [
                {
                    "from": p.start.isoformat(),
                    "to": p.end.isoformat(),
                    "days": p.days,
                    "rate": rate_text(p.rate),
                    "base": money_text(p.base),
                    "interest": money_text(p.interest),
                    "exact": str(p.exact.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)),
                    "divisor": p.divisor,
                    "verified": p.verified,
                    "source": p.source,
                }
                for p in self.periods
            ],
            "capitalisations": [
                {
                    "on": c.on.isoformat(),
                    "amount": money_text(c.amount),
                    "new_base": money_text(c.new_base),
                }
                for c in self.capitalisations
            ],
            "payments": [
                {
                    "date": a.on.isoformat(),
                    "amount": money_text(a.amount),
                    "to_costs": money_text(a.to_costs),
                    "to_interest": money_text(a.to_interest),
                    "to_principal": money_text(a.to_principal),
                    "unapplied": money_text(a.unapplied),
                }
                for a in self.payments
            ],
            "outstanding": {
                "principal": money_text(self.principal_due),
                "interest": money_text(self.interest_due),
                "costs": money_text(self.costs_due),
                "total": money_text(self.total_due),
            },
        }


def money_text(amount: Decimal) -> str:
    """An amount as JSON text with exactly two decimals ("40.00")."""
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def rate_text(rate: Decimal) -> str:
    """A percentage with at least two decimals ("8.00", "10.15", "8.125")."""
    return str(rate.quantize(CENT)) if rate == rate.quantize(CENT) else str(rate.normalize())


def to_cents(amount: Decimal) -> Decimal:
    """Half-up to cents: the one rounding step of every interest period."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def check_amount(amount: Decimal, what: str, *, positive: bool = False) -> Decimal:
    """The amount with two decimals; InvalidAmount naming ``what`` unless whole cents, >= 0 (> 0)."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidAmount(f"{what} must be a finite Decimal amount, not {amount!r}")
    exact = amount.quantize(CENT)
    if exact != amount:
        raise InvalidAmount(f"{what} {amount} has more than two decimals")
    if amount < 0 or (positive and amount == 0):
        raise InvalidAmount(f"{what} must be {'more than' if positive else 'at least'} 0.00")
    return exact


def anniversary(start: date, years: int) -> date:
    """First day of interest year ``years + 1`` counted from ``start``.

    A year counted from 29 February ends on 28 February, so the next year starts on 1 March.
    """
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def apportion(total: Decimal, parts: Sequence[Decimal]) -> list[Decimal]:
    """Share a rounded total over unrounded parts, largest remainder first, so the shares add up."""
    floors = [p.quantize(CENT, rounding=ROUND_DOWN) for p in parts]
    cents = int((total - sum(floors, ZERO)) / CENT)
    order = sorted(range(len(parts)), key=lambda i: (floors[i] - parts[i], i))
    for i in order[:cents]:
        floors[i] += CENT
    return floors


class _Ledger:
    """The running state of one claim while interest is computed over it."""

    __slots__ = ("base", "interest_due", "costs_due", "interest_paid", "applied")

    def __init__(self, principal: Decimal, costs: Decimal) -> None:
        self.base = principal
        self.interest_due = ZERO
        self.costs_due = costs
        self.interest_paid = ZERO
        self.applied: list[PaymentApplied] = []

    def pay(self, payment: Payment, order: tuple[Bucket, ...]) -> None:
        left = payment.amount
        taken = {Bucket.COSTS: ZERO, Bucket.INTEREST: ZERO, Bucket.PRINCIPAL: ZERO}
        for bucket in order:
            if bucket is Bucket.COSTS:
                part = min(left, self.costs_due)
                self.costs_due -= part
            elif bucket is Bucket.INTEREST:
                part = min(left, self.interest_due)
                self.interest_due -= part
                self.interest_paid += part
            else:
                part = min(left, self.base)
                self.base -= part
            taken[bucket] = part
            left -= part
        self.applied.append(
            PaymentApplied(
                payment.on,
                payment.amount,
                taken[Bucket.COSTS],
                taken[Bucket.INTEREST],
                taken[Bucket.PRINCIPAL],
                left,
            )
        )


def calculate_interest(
    principal: Decimal,
    start: date,
    end: date,
    rule: InterestRule,
    *,
    payments: Iterable[Payment] = (),
    costs: Decimal = ZERO,
) -> InterestResult:
    """Interest on ``principal`` from ``start`` to ``end`` inclusive, with its breakdown.

    ``costs`` are collection costs already due at ``start``; they matter only for the imputation of
    partial payments. A payment dated before ``start`` is applied before any interest runs.
    """
    principal = check_amount(principal, "the principal")
    costs = check_amount(costs, "the costs")
    _check_period(start, end)
    received = [
        Payment(p.on, check_amount(p.amount, f"the payment of {p.on.isoformat()}", positive=True))
        for p in sorted(payments, key=lambda p: p.on)
    ]
    for payment in received:
        if payment.on > end:
            raise InvalidPayment(
                f"the payment of {payment.on.isoformat()} falls after the last interest day "
                f"{end.isoformat()}"
            )

    payment_ends = frozenset(
        date.fromordinal(p.on.toordinal() + 1) for p in received if start <= p.on < end
    )
    plan = _plan(start, end, rule, payment_ends) if payment_ends else _cached_plan(start, end, rule)

    ledger = _Ledger(principal, costs)
    pending = list(received)
    while pending and pending[0].on < start:
        ledger.pay(pending.pop(0), rule.imputation)

    periods: list[InterestPeriod] = []
    group: list[tuple[_Step, Decimal, Decimal]] = []  # (step, base, exact)
    capitalisations: list[Capitalisation] = []
    total_interest = ZERO
    for step in plan:
        exact = step.interest_on(ledger.base)
        group.append((step, ledger.base, exact))
        if not step.closes:
            continue
        rounded = to_cents(sum((g[2] for g in group), ZERO))
        shares = apportion(rounded, [g[2] for g in group])
        periods.extend(
            InterestPeriod(
                g.start, g.end, g.days, g.rate, base, exact, share, g.divisor, g.verified, g.source
            )
            for (g, base, exact), share in zip(group, shares, strict=True)
        )
        group = []
        total_interest += rounded
        ledger.interest_due += rounded
        while pending and pending[0].on <= step.end:
            ledger.pay(pending.pop(0), rule.imputation)
        if step.anniversary and ledger.interest_due:
            cut = date.fromordinal(step.end.toordinal() + 1)
            ledger.base += ledger.interest_due
            capitalisations.append(Capitalisation(cut, ledger.interest_due, ledger.base))
            ledger.interest_due = ZERO

    return InterestResult(
        rule=rule,
        principal=principal,
        start=start,
        end=end,
        periods=tuple(periods),
        capitalisations=tuple(capitalisations),
        payments=tuple(ledger.applied),
        total_interest=total_interest,
        interest_paid=ledger.interest_paid,
        interest_due=ledger.interest_due,
        principal_due=ledger.base,
        costs_due=ledger.costs_due,
        unapplied=sum((p.unapplied for p in ledger.applied), ZERO),
    )


def interest_total(principal: Decimal, start: date, end: date, rule: InterestRule) -> Decimal:
    """Only the total interest, for runs over many claims (the dunning run's daily figure).

    The same arithmetic as calculate_interest without payments, in the same order, so the result
    is identical to the cent (a property test holds them together); the rate segmentation of a
    (start, end, rule) is computed once and shared, since a daily run has few distinct due dates.
    """
    principal = check_amount(principal, "the principal")
    _check_period(start, end)
    base = principal
    total = running = ZERO
    for step in _cached_plan(start, end, rule):
        running += base * step.weight / step.denominator
        if step.closes:
            rounded = to_cents(running)
            total += rounded
            running = ZERO
            if step.anniversary:
                base += rounded
    return total


class _Step(NamedTuple):
    """One rate segment of a plan: the days, the rate, and whether a rounding period ends here."""

    start: date
    end: date
    days: int
    rate: Decimal
    divisor: int
    verified: bool
    source: str
    closes: bool  # the interest of the rounding period is rounded after this segment
    anniversary: bool  # ... and capitalised (compounding rules only)
    weight: Decimal  # rate x days, exact
    denominator: Decimal  # divisor x 100

    def interest_on(self, base: Decimal) -> Decimal:
        """base x rate x days / (divisor x 100), unrounded."""
        return base * self.weight / self.denominator


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidPeriod(
            f"the interest period ends on {end.isoformat()}, before it starts on "
            f"{start.isoformat()}: the last day must be on or after the first day"
        )


@lru_cache(maxsize=16384)
def _cached_plan(start: date, end: date, rule: InterestRule) -> tuple[_Step, ...]:
    return _plan(start, end, rule, frozenset())


def _plan(
    start: date, end: date, rule: InterestRule, payment_ends: frozenset[date]
) -> tuple[_Step, ...]:
    """Cut ``start``..``end`` at rate changes, anniversaries, payments and (actual/actual) new year.

    A rounding period closes at an anniversary, the day after a payment inside the run, and the end.
    """
    table = rule.table
    known_until = table.known_until() if table is not None else None
    stop = date.fromordinal(end.toordinal() + 1)
    anniversaries: set[date] = set()
    if rule.compounds:
        years = 1
        while (day := anniversary(start, years)) <= end:
            anniversaries.add(day)
            years += 1
    closers = anniversaries | payment_ends | {stop}
    cuts = set(closers)
    if table is not None:
        cuts.update(table.changes_between(start, end))
        if known_until is not None and start <= known_until < end:
            cuts.add(date.fromordinal(known_until.toordinal() + 1))
    if rule.day_count is DayCount.ACTUAL_ACTUAL:
        cuts.update(date(year, 1, 1) for year in range(start.year + 1, end.year + 1))
    steps: list[_Step] = []
    current = start
    for cut in sorted(cuts):
        if table is not None:
            row = table.row_on(current)
            rate, source = row.rate, row.source
            verified = row.status is rates.RateStatus.CONFIRMED and (
                known_until is None or current <= known_until
            )
        else:
            rate, source, verified = rule.contract_rate or ZERO, "agreed rate", True
        leap = rule.day_count is DayCount.ACTUAL_ACTUAL and calendar.isleap(current.year)
        steps.append(
            _Step(
                current,
                date.fromordinal(cut.toordinal() - 1),
                cut.toordinal() - current.toordinal(),
                rate,
                366 if leap else 365,
                verified,
                source,
                cut in closers,
                cut in anniversaries,
                rate * (cut.toordinal() - current.toordinal()),
                Decimal((366 if leap else 365) * 100),
            )
        )
        current = cut
    return tuple(steps)
