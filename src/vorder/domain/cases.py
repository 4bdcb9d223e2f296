"""Promises to pay and payment arrangements: kept, broken or still running on a given day.

Nothing here is stored state: the state of a promise or an arrangement on a date follows from the
agreement and the allocations (payments and credit notes) booked on its invoices, so a late bank
statement or a reversed payment changes the answer by itself. The ``cases`` app records the
outcome once (kept, broken, a missed instalment) so that it can act on it exactly once.

Amounts are integer minor units, dates plain ``date`` objects: no Django, no clock.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from vorder.domain.errors import DomainError


class InvalidArrangement(DomainError):
    """An instalment schedule cannot be used (no instalments, dates out of order, bad amounts)."""


@dataclass(frozen=True, slots=True)
class Settlement:
    """One allocation to the items of a case: money (or a credit) that counts from ``on``."""

    on: date
    amount_minor: int
    is_payment: bool = True


# -- promises to pay ---------------------------------------------------------------------------
class PromiseState(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class PromiseTerms:
    amount_minor: int
    made_on: date
    promised_date: date
    grace_days: int
    items_total_minor: int  # what the promised items came to (gross), to see when nothing is left

    @property
    def deadline(self) -> date:
        """The last day the money may arrive: the promised date plus the grace days."""
        return self.promised_date + timedelta(days=self.grace_days)


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    state: PromiseState
    paid_minor: int  # paid on the items from the day the promise was made up to the deadline
    decided_on: date | None  # the day it was kept, or the first day it counted as broken
    open_minor: int = 0  # still open on the promised items on as_of (late money included)


def promise_state(
    terms: PromiseTerms, settlements: Sequence[Settlement], as_of: date
) -> PromiseOutcome:
    """Kept, broken or open on ``as_of``.

    Kept as soon as the payments booked on the promised items from the day the promise was made
    cover the promised amount, or nothing is left open on the items at all (a credit note, or a
    payment dated before the promise that reached the books later: the debtor owes nothing more).
    Broken on the first day after the deadline (promised date + grace) without that. Money that
    arrives after the deadline does not mend a broken promise; it simply pays the items.
    """
    horizon = min(as_of, terms.deadline)
    paid = 0
    settled = 0
    for item in sorted(settlements, key=lambda s: s.on):
        if item.on > horizon:
            break
        settled += item.amount_minor
        if item.is_payment and item.on >= terms.made_on:
            paid += item.amount_minor
        if paid >= terms.amount_minor or settled >= terms.items_total_minor:
            return PromiseOutcome(PromiseState.KEPT, paid, max(item.on, terms.made_on))
    still_open = terms.items_total_minor - sum(s.amount_minor for s in settlements if s.on <= as_of)
    if as_of > terms.deadline:
        broken_on = terms.deadline + timedelta(days=1)
        return PromiseOutcome(PromiseState.BROKEN, paid, broken_on, still_open)
    return PromiseOutcome(PromiseState.OPEN, paid, None, still_open)


# -- payment arrangements ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Instalment:
    sequence: int
    due_date: date
    amount_minor: int


class InstalmentState(StrEnum):
    PAID = "paid"  # paid in time (by the due date plus grace)
    PAID_LATE = "paid_late"  # paid, but after its grace ran out: it counted as a miss
    MISSED = "missed"  # grace ran out and it is still not paid
    DUE = "due"  # due, still within its grace
    UPCOMING = "upcoming"


class ArrangementState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class InstalmentStatus:
    sequence: int
    due_date: date
    amount_minor: int
    state: InstalmentState
    paid_on: date | None


@dataclass(frozen=True, slots=True)
class ArrangementMonitor:
    state: ArrangementState
    instalments: tuple[InstalmentStatus, ...]
    misses: tuple[date, ...]  # the first day each missed instalment counted as missed, in order
    paid_minor: int  # counted towards the schedule from the start up to as_of
    decided_on: date | None  # completed on / broken on (the second miss)

    @property
    def first_miss(self) -> InstalmentStatus | None:
        """The first instalment whose grace ran out unpaid (whether paid since or not)."""
        return next(
            (
                i
                for i in self.instalments
                if i.state in (InstalmentState.MISSED, InstalmentState.PAID_LATE)
            ),
            None,
        )


MISSES_THAT_BREAK = 2  # a missed instalment gets one reminder; the second miss breaks it


def arrangement_monitor(
    *,
    instalments: Sequence[Instalment],
    starts_on: date,
    grace_days: int,
    settlements: Sequence[Settlement],
    as_of: date,
) -> ArrangementMonitor:
    """Which instalments are paid, missed or due on ``as_of``, and is the arrangement still on?

    Instalment *i* is paid once everything booked on the covered items since the arrangement
    started (payments and credit notes alike: both lower what is owed) covers the instalments
    1..i together; the debtor may pay early, late or in other amounts. An instalment counts as
    missed on the day after its due date plus grace if it is not paid by then. The first miss
    gets a reminder; the second breaks the arrangement; when everything is paid it is completed.
    Whichever of "second miss" and "all paid" comes first decides.
    """
    schedule = sorted(instalments, key=lambda i: (i.due_date, i.sequence))
    check_schedule(schedule, starts_on)
    counted = sorted((s for s in settlements if starts_on <= s.on <= as_of), key=lambda s: s.on)

    def paid_on(needed: int) -> date | None:
        total = 0
        for item in counted:
            total += item.amount_minor
            if total >= needed:
                return item.on
        return None

    statuses: list[InstalmentStatus] = []
    misses: list[date] = []
    cumulative = 0
    for part in schedule:
        cumulative += part.amount_minor
        when = paid_on(cumulative)
        missed_on = part.due_date + timedelta(days=grace_days + 1)
        late = missed_on <= as_of and (when is None or when >= missed_on)
        if late:
            misses.append(missed_on)
        if when is not None:
            state = InstalmentState.PAID_LATE if late else InstalmentState.PAID
        elif late:
            state = InstalmentState.MISSED
        elif part.due_date <= as_of:
            state = InstalmentState.DUE
        else:
            state = InstalmentState.UPCOMING
        statuses.append(
            InstalmentStatus(part.sequence, part.due_date, part.amount_minor, state, when)
        )

    completed_on = paid_on(cumulative)
    broken_on = misses[MISSES_THAT_BREAK - 1] if len(misses) >= MISSES_THAT_BREAK else None
    paid = sum(s.amount_minor for s in counted)
    if broken_on is not None and (completed_on is None or broken_on <= completed_on):
        state_, decided = ArrangementState.BROKEN, broken_on
    elif completed_on is not None:
        state_, decided = ArrangementState.COMPLETED, completed_on
    else:
        state_, decided = ArrangementState.RUNNING, None
    return ArrangementMonitor(state_, tuple(statuses), tuple(misses), paid, decided)


def check_schedule(schedule: Sequence[Instalment], starts_on: date) -> None:
    """Refuse a schedule that cannot be monitored: empty, non-positive amounts, dates before the
    start, or two instalments on one day (which of them was missed would be ambiguous)."""
    if not schedule:
        raise InvalidArrangement("an arrangement needs at least one instalment")
    days: set[date] = set()
    for part in schedule:
        if part.amount_minor <= 0:
            raise InvalidArrangement(f"instalment {part.sequence} must have a positive amount")
        if part.due_date < starts_on:
            raise InvalidArrangement(
                f"instalment {part.sequence} falls due on {part.due_date}, before the "
                f"arrangement starts ({starts_on})"
            )
        if part.due_date in days:
            raise InvalidArrangement(f"two instalments fall due on {part.due_date}")
        days.add(part.due_date)


# -- limits of the credit policy ----------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def limit_breaches(
    schedule: Sequence[Instalment],
    *,
    starts_on: date,
    max_months: int,
    min_instalment_minor: int,
    down_payment_sequence: int | None = None,
) -> list[str]:
    """Why an arrangement goes beyond the policy (empty: a collector may agree it alone).

    The last instalment may be smaller than the minimum (it is what remains); a down payment is
    not an instalment and is not held to the minimum either.
    """
    ordered = sorted(schedule, key=lambda i: (i.due_date, i.sequence))
    check_schedule(ordered, starts_on)
    reasons: list[str] = []
    last_allowed = add_months(starts_on, max_months)
    if ordered[-1].due_date > last_allowed:
        reasons.append(
            f"the last instalment falls due on {ordered[-1].due_date}, more than {max_months} "
            f"months after {starts_on}"
        )
    regular = [i for i in ordered[:-1] if i.sequence != down_payment_sequence]
    small = [i.sequence for i in regular if i.amount_minor < min_instalment_minor]
    if small:
        reasons.append(
            f"instalment(s) {', '.join(map(str, small))} below the minimum of "
            f"{min_instalment_minor} (minor units)"
        )
    return reasons


def split_evenly(
    *, total_minor: int, count: int, first_due: date, every_months: int = 1
) -> list[Instalment]:
    """A schedule of ``count`` monthly instalments adding up to exactly ``total_minor``; the cents
    that do not divide go to the first instalments, so the last is never the larger one."""
    if count < 1 or total_minor < count:
        raise InvalidArrangement("the total must allow at least one cent per instalment")
    base, extra = divmod(total_minor, count)
    return [
        Instalment(n + 1, add_months(first_due, n * every_months), base + (1 if n < extra else 0))
        for n in range(count)
    ]


def vat_share(*, gross_minor: int, items_gross_minor: int, items_vat_minor: int) -> int:
    """The VAT inside a credit of ``gross_minor`` on items that carried this VAT: in proportion,
    rounded half up to the cent, so a partial credit note corrects VAT the same way."""
    if items_gross_minor <= 0:
        return 0
    numerator = 2 * gross_minor * items_vat_minor + items_gross_minor
    return numerator // (2 * items_gross_minor)
