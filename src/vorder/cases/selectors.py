"""Reads of cases that others share: what holds dunning, what a customer page shows.

Everything is set-based: a creditor's promises, arrangements and disputes are read with a few
queries whatever their number (ids go in chunks of 5,000 to stay within the databases' parameter
limits), and the state of each promise or arrangement is derived in ``vorder.domain.cases``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.db.models import QuerySet

from vorder.cases.models import (
    ArrangementInstalment,
    CallLog,
    Dispute,
    PaymentArrangement,
    PromiseToPay,
    Task,
)
from vorder.domain.cases import (
    ArrangementMonitor,
    Instalment,
    PromiseOutcome,
    PromiseState,
    PromiseTerms,
    Settlement,
    arrangement_monitor,
    promise_state,
)
from vorder.ledger.models import Allocation, Creditor, Customer, Invoice

if TYPE_CHECKING:
    from django.contrib.auth.models import User

KEY_CHUNK = 5000  # customer ids per query: well under SQLite's and PostgreSQL's parameter limits
HOLDING_ARRANGEMENTS = (
    PaymentArrangement.Status.ACTIVE,
    PaymentArrangement.Status.AWAITING_APPROVAL,
)


# -- what the dunning run needs -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Hold:
    """Why dunning must leave an invoice alone, and until when (None: until the case ends)."""

    kind: Literal["dispute", "promise", "arrangement"]
    case_id: int
    until: date | None
    reason: str


def dunning_holds(
    *, creditor: Creditor, as_of: date, customer_ids: Collection[int] | None = None
) -> dict[int, list[Hold]]:
    """Holds per invoice id on ``as_of``: an open dispute until it is decided; an open promise
    until its promised date plus grace, unless it is already kept (its state derived from the
    allocations, so it is right even before ``promises_evaluate`` ran); an active or
    awaiting-approval arrangement until it is completed, broken or cancelled.

    Six queries per chunk of 5,000 customers (one chunk when ``customer_ids`` is None).
    """
    holds: dict[int, list[Hold]] = defaultdict(list)
    for chunk in _chunks(customer_ids):
        for invoice_id, hold in _holds(creditor, as_of, chunk):
            holds[invoice_id].append(hold)
    return dict(holds)


def _holds(
    creditor: Creditor, as_of: date, customer_ids: Sequence[int] | None
) -> Iterator[tuple[int, Hold]]:
    def scoped(manager: Any, prefix: str) -> QuerySet[Any]:
        qs: QuerySet[Any] = manager.filter(**{f"{prefix}__creditor": creditor})
        if customer_ids is not None:
            qs = qs.filter(**{f"{prefix}__customer_id__in": customer_ids})
        return qs

    disputes = scoped(Dispute.invoices.through.objects, "dispute").filter(
        dispute__status=Dispute.Status.OPEN, dispute__opened_on__lte=as_of
    )
    for invoice_id, dispute_id, reason, due in disputes.values_list(
        "invoice_id", "dispute_id", "dispute__reason", "dispute__decision_due"
    ):
        label = str(Dispute.Reason(reason).label)
        yield (
            invoice_id,
            Hold("dispute", dispute_id, None, f"disputed ({label}), decision due {due}"),
        )

    arrangements = scoped(PaymentArrangement.invoices.through.objects, "paymentarrangement").filter(
        paymentarrangement__status__in=HOLDING_ARRANGEMENTS,
        paymentarrangement__starts_on__lte=as_of,
    )
    for invoice_id, arrangement_id, status in arrangements.values_list(
        "invoice_id", "paymentarrangement_id", "paymentarrangement__status"
    ):
        label = str(PaymentArrangement.Status(status).label).lower()
        yield (
            invoice_id,
            Hold("arrangement", arrangement_id, None, f"payment arrangement ({label})"),
        )

    promises = _open_promises(creditor, as_of, customer_ids)
    outcomes = promise_outcomes(promises, as_of)
    for promise in promises:
        if outcomes[promise.pk].state is not PromiseState.OPEN:
            continue
        until = promise.promised_date + timedelta(days=promise.grace_days)
        for invoice_id in promise.invoice_ids:  # type: ignore[attr-defined]
            yield (
                invoice_id,
                Hold("promise", promise.pk, until, f"promised to pay on {promise.promised_date}"),
            )


def _open_promises(
    creditor: Creditor, as_of: date, customer_ids: Sequence[int] | None
) -> list[PromiseToPay]:
    qs = PromiseToPay.objects.filter(
        creditor=creditor, status=PromiseToPay.Status.OPEN, made_on__lte=as_of
    )
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    return list(qs)


def _chunks(ids: Collection[int] | None) -> Iterator[Sequence[int] | None]:
    if ids is None:
        yield None
        return
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), KEY_CHUNK):
        yield ordered[start : start + KEY_CHUNK]


def rejected_disputes_pending_message(*, creditor: Creditor) -> list[Dispute]:
    """Rejected disputes whose explanation the debtor has not been sent yet (dunning includes it
    in its next message, then calls ``disputes_rejection_message_sent``)."""
    return list(
        Dispute.objects.filter(
            creditor=creditor, status=Dispute.Status.REJECTED, rejection_message_pending=True
        )
        .select_related("customer")
        .prefetch_related("invoices")
        .order_by("customer_id", "resolved_on", "id")
    )


def arrangements_confirmation_pending(*, creditor: Creditor) -> list[PaymentArrangement]:
    """Agreed arrangements whose written confirmation could not be queued by cases itself."""
    return list(
        PaymentArrangement.objects.filter(creditor=creditor, confirmation_pending=True)
        .select_related("customer")
        .prefetch_related("invoices", "instalments")
        .order_by("customer_id", "id")
    )


def disputes_overdue(*, creditor: Creditor, as_of: date) -> list[Dispute]:
    """Open disputes whose decision is overdue, oldest first: old disputes get harder to collect."""
    return list(
        Dispute.objects.filter(
            creditor=creditor, status=Dispute.Status.OPEN, decision_due__lt=as_of
        )
        .select_related("customer", "owner")
        .order_by("decision_due", "id")
    )


def tasks_open(*, creditor: Creditor, as_of: date, assigned_to: User | None = None) -> list[Task]:
    """Open tasks due on or before ``as_of`` (the collector's list for the day)."""
    qs = Task.objects.filter(creditor=creditor, status=Task.Status.OPEN, due_date__lte=as_of)
    if assigned_to is not None:
        qs = qs.filter(assigned_to=assigned_to)
    return list(qs.select_related("customer", "assigned_to").order_by("due_date", "id"))


# -- derived states -----------------------------------------------------------------------------
def _settlements(invoice_ids: Sequence[int]) -> tuple[dict[int, list[Settlement]], dict[int, int]]:
    """Allocations per invoice and the gross of each (live) invoice: two queries."""
    by_invoice: dict[int, list[Settlement]] = defaultdict(list)
    for invoice_id, on, amount, payment_id in Allocation.objects.filter(
        invoice_id__in=invoice_ids
    ).values_list("invoice_id", "date", "amount_minor", "payment_id"):
        by_invoice[invoice_id].append(Settlement(on, amount, payment_id is not None))
    gross = dict(
        Invoice.objects.filter(id__in=invoice_ids)
        .exclude(status=Invoice.Status.CANCELLED)
        .values_list("id", "gross_minor")
    )
    return by_invoice, gross


def _link_ids(through: type, owner_field: str, owners: Sequence[object]) -> dict[int, list[int]]:
    links: dict[int, list[int]] = defaultdict(list)
    ids = [o.pk for o in owners]  # type: ignore[attr-defined]
    for start in range(0, len(ids), KEY_CHUNK):
        for owner_id, invoice_id in through.objects.filter(  # type: ignore[attr-defined]
            **{f"{owner_field}_id__in": ids[start : start + KEY_CHUNK]}
        ).values_list(f"{owner_field}_id", "invoice_id"):
            links[owner_id].append(invoice_id)
    return links


def promise_outcomes(promises: Sequence[PromiseToPay], as_of: date) -> dict[int, PromiseOutcome]:
    """The derived state of each promise on ``as_of``; sets ``invoice_ids`` on each promise."""
    if not promises:
        return {}
    links = _link_ids(PromiseToPay.invoices.through, "promisetopay", promises)
    invoice_ids = sorted({i for ids in links.values() for i in ids})
    by_invoice: dict[int, list[Settlement]] = defaultdict(list)
    gross: dict[int, int] = {}
    for start in range(0, len(invoice_ids), KEY_CHUNK):
        part, part_gross = _settlements(invoice_ids[start : start + KEY_CHUNK])
        by_invoice.update(part)
        gross.update(part_gross)
    outcomes: dict[int, PromiseOutcome] = {}
    for promise in promises:
        ids = links.get(promise.pk, [])
        promise.invoice_ids = ids  # type: ignore[attr-defined]
        terms = PromiseTerms(
            amount_minor=promise.amount_minor,
            made_on=promise.made_on,
            promised_date=promise.promised_date,
            grace_days=promise.grace_days,
            items_total_minor=sum(gross.get(i, 0) for i in ids),
        )
        settlements = [s for i in ids for s in by_invoice.get(i, ())]
        outcomes[promise.pk] = promise_state(terms, settlements, as_of)
    return outcomes


@dataclass(frozen=True, slots=True)
class ArrangementView:
    arrangement: PaymentArrangement
    monitor: ArrangementMonitor
    invoice_ids: tuple[int, ...]


def arrangement_monitors(
    arrangements: Sequence[PaymentArrangement], as_of: date
) -> dict[int, ArrangementView]:
    """Each arrangement's instalments paid / missed / due on ``as_of``, from the allocations."""
    if not arrangements:
        return {}
    links = _link_ids(PaymentArrangement.invoices.through, "paymentarrangement", arrangements)
    schedules: dict[int, list[Instalment]] = defaultdict(list)
    ids = [a.pk for a in arrangements]
    for start in range(0, len(ids), KEY_CHUNK):
        for arrangement_id, sequence, due, amount in ArrangementInstalment.objects.filter(
            arrangement_id__in=ids[start : start + KEY_CHUNK]
        ).values_list("arrangement_id", "sequence", "due_date", "amount_minor"):
            schedules[arrangement_id].append(Instalment(sequence, due, amount))
    invoice_ids = sorted({i for v in links.values() for i in v})
    by_invoice: dict[int, list[Settlement]] = defaultdict(list)
    for start in range(0, len(invoice_ids), KEY_CHUNK):
        by_invoice.update(_settlements(invoice_ids[start : start + KEY_CHUNK])[0])
    views: dict[int, ArrangementView] = {}
    for arrangement in arrangements:
        covered = tuple(links.get(arrangement.pk, ()))
        monitor = arrangement_monitor(
            instalments=schedules[arrangement.pk],
            starts_on=arrangement.starts_on,
            grace_days=arrangement.grace_days,
            settlements=[s for i in covered for s in by_invoice.get(i, ())],
            as_of=as_of,
        )
        views[arrangement.pk] = ArrangementView(arrangement, monitor, covered)
    return views


# -- the customer page ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PromiseView:
    promise: PromiseToPay
    outcome: PromiseOutcome


@dataclass(slots=True)
class CustomerCases:
    promises: list[PromiseView] = field(default_factory=list)
    arrangements: list[ArrangementView] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    calls: list[CallLog] = field(default_factory=list)


def customer_cases(*, customer: Customer, as_of: date, calls: int = 50) -> CustomerCases:
    """Everything agreed with one customer: promises (with their derived state), arrangements
    with each instalment's status, disputes, open tasks and the latest calls."""
    promises = list(
        PromiseToPay.objects.filter(customer=customer, made_on__lte=as_of).select_related(
            "contact", "taken_by"
        )
    )
    outcomes = promise_outcomes(promises, as_of)
    arrangements = list(
        PaymentArrangement.objects.filter(customer=customer).prefetch_related("instalments")
    )
    monitors = arrangement_monitors(arrangements, as_of)
    return CustomerCases(
        promises=[PromiseView(p, outcomes[p.pk]) for p in promises],
        arrangements=[monitors[a.pk] for a in arrangements],
        disputes=list(
            Dispute.objects.filter(customer=customer)
            .prefetch_related("invoices")
            .select_related("owner", "credit_note")
        ),
        tasks=list(
            Task.objects.filter(customer=customer, status=Task.Status.OPEN)
            .select_related("assigned_to")
            .order_by("due_date", "id")
        ),
        calls=list(
            CallLog.objects.filter(customer=customer).select_related("user", "contact")[:calls]
        ),
    )
