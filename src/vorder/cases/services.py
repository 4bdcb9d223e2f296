"""Every change to a case: promises, arrangements, disputes, tasks and calls.

Keyword-only, typed, transactional, audited. "Today" is always ``as_of``; only ``created_at``
timestamps read the clock. The daily evaluations (``promises_evaluate``, ``arrangements_evaluate``)
are set-based and idempotent: they record an outcome once and create each task once (tasks carry
an idempotency key), so a rerun or a catch-up after days of downtime does nothing twice.

Cases sits below dunning: the credit policy's numbers (grace days, arrangement limits) are passed
in by the caller, and messages that dunning sends (a rejected dispute's explanation) are flagged
for it. Messages that belong to a case itself (an arrangement's written confirmation, the one
reminder after a missed instalment) go into the comms outbox in the same transaction; when the
customer has no address for them they are left pending (``confirmation_pending``,
``ReminderRequest.queued``) for a collector to reach the debtor another way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import translation

from vorder.cases.models import (
    DEFAULT_GRACE_DAYS,
    ArrangementInstalment,
    CallLog,
    ContactChannel,
    Dispute,
    PaymentArrangement,
    PromiseToPay,
    Task,
)
from vorder.cases.selectors import arrangement_monitors, promise_outcomes
from vorder.common.audit import audit_bulk, audit_record
from vorder.common.models import AuditEntry
from vorder.common.money import fmt
from vorder.common.roles import CREDIT_MANAGER, can_change, role_of
from vorder.comms.selectors import (
    customer_has_postal_address,
    message_context_base,
    postal_address_block,
)
from vorder.comms.services import OutgoingMessage, messages_enqueue
from vorder.domain.cases import (
    ArrangementState,
    Instalment,
    InstalmentState,
    PromiseState,
    check_schedule,
    limit_breaches,
    vat_share,
)
from vorder.domain.errors import DomainError
from vorder.domain.money import Money
from vorder.ledger.models import Contact, CreditNote, Creditor, Customer, Invoice
from vorder.ledger.records import CreditNoteRecord
from vorder.ledger.services.allocations import AllocationRequest, allocations_apply
from vorder.ledger.services.upserts import credit_notes_upsert

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEFAULT_DISPUTE_DECISION_DAYS = 14
KEY_CHUNK = 5000  # keys per lookup: well under the databases' parameter limits


def _in_english(obj: Any, field_name: str) -> str:
    """A choice's label for messages and stored texts: in English like every other service
    message (``get_<field>_display()`` alone would follow the reader's language)."""
    with translation.override("en"):
        return str(getattr(obj, f"get_{field_name}_display")())


class CaseError(ValueError):
    """The request breaks a rule of promises, arrangements or disputes; the message says which."""


class NotAllowed(CaseError):
    """The user's role does not allow this (a collector approving beyond the policy's limits)."""


# -- shared helpers -------------------------------------------------------------------------------
def _items(*, creditor: Creditor, customer: Customer, invoices: Sequence[Invoice]) -> list[Invoice]:
    """The invoices, fresh from the database, checked to be this customer's open items in one
    currency (one query)."""
    if customer.creditor_id != creditor.pk:
        raise CaseError(f"customer {customer.number} does not belong to {creditor.code}")
    ids = {i.pk for i in invoices}
    if not ids:
        raise CaseError("name at least one invoice")
    items = list(Invoice.objects.filter(pk__in=ids).order_by("due_date", "number"))
    for invoice in items:
        if invoice.customer_id != customer.pk:
            raise CaseError(f"invoice {invoice.number} belongs to another customer")
        if invoice.status != Invoice.Status.OPEN:
            raise CaseError(f"invoice {invoice.number} is {_in_english(invoice, 'status').lower()}")
    if len(items) != len(ids):
        raise CaseError("an invoice does not exist")
    currencies = {i.currency for i in items}
    if len(currencies) > 1:
        raise CaseError(f"the invoices are in several currencies ({', '.join(sorted(currencies))})")
    return items


def _audit(obj: Any, action: str, creditor_id: int, **changes: Any) -> None:
    audit_record(
        creditor_id=creditor_id,
        obj=obj,
        action=action,
        changes={key: [None, _plain(value)] for key, value in changes.items()},
    )


def _plain(value: Any) -> Any:
    if isinstance(value, date | Decimal | Money):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _user_id(user: User | None) -> int | None:
    return user.pk if user is not None else None


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """A task to create unless its idempotency key exists already."""

    customer_id: int
    kind: str
    reason: str
    due_date: date
    key: str
    assigned_to_id: int | None = None
    promise_id: int | None = None
    arrangement_id: int | None = None
    dispute_id: int | None = None


def _tasks_create(
    *, creditor: Creditor, specs: Sequence[TaskSpec], created_by: User | None = None
) -> list[Task]:
    """Create the tasks whose keys are new, in bulk; returns the ones created."""
    if not specs:
        return []
    keys = list(dict.fromkeys(s.key for s in specs))
    existing: set[str | None] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        existing.update(
            Task.objects.filter(idempotency_key__in=keys[start : start + KEY_CHUNK]).values_list(
                "idempotency_key", flat=True
            )
        )
    seen: set[str] = set()
    new: list[Task] = []
    for s in specs:
        if s.key in existing or s.key in seen:
            continue
        seen.add(s.key)
        new.append(
            Task(
                creditor=creditor,
                customer_id=s.customer_id,
                kind=s.kind,
                reason=s.reason[:500],
                due_date=s.due_date,
                assigned_to_id=s.assigned_to_id,
                created_by_id=_user_id(created_by),
                promise_id=s.promise_id,
                arrangement_id=s.arrangement_id,
                dispute_id=s.dispute_id,
                idempotency_key=s.key,
            )
        )
    created = Task.objects.bulk_create(new, batch_size=2000)  # ids: PostgreSQL, SQLite >= 3.35
    audit_bulk(
        AuditEntry.build(
            creditor_id=creditor.pk,
            obj=t,
            action=AuditEntry.Action.CREATE,
            changes={
                "kind": [None, t.kind],
                "reason": [None, t.reason],
                "due_date": [None, str(t.due_date)],
            },
        )
        for t in created
    )
    return created


@transaction.atomic
def tasks_create(
    *, creditor: Creditor, specs: Sequence[TaskSpec], created_by: User | None = None
) -> list[Task]:
    """Create-once tasks in bulk (the dunning run's call tasks and hand-over proposals): a key
    that exists already creates nothing. Returns the task of every key, new or existing, in the
    order of ``specs`` — so a rerun after a crash links the same tasks again."""
    _tasks_create(creditor=creditor, specs=specs, created_by=created_by)
    keys = list(dict.fromkeys(s.key for s in specs))
    found: dict[str, Task] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        for task in Task.objects.filter(idempotency_key__in=keys[start : start + KEY_CHUNK]):
            found[task.idempotency_key] = task  # type: ignore[index]
    return [found[k] for k in keys if k in found]


def _tasks_close(*, tasks: Q, as_of: date, user: User | None, note: str = "") -> int:
    """Close the open tasks of a case that is decided (a resolved dispute's decision task)."""
    rows = list(Task.objects.filter(tasks, status=Task.Status.OPEN))
    for task in rows:
        task.status = Task.Status.DONE
        task.closed_on = as_of
        task.closed_by_id = _user_id(user)
        task.note = note or task.note
    Task.objects.bulk_update(rows, ["status", "closed_on", "closed_by", "note"])
    audit_bulk(
        AuditEntry.build(
            creditor_id=t.creditor_id,
            obj=t,
            action=AuditEntry.Action.UPDATE,
            changes={"status": ["open", "done"]},
        )
        for t in rows
    )
    return len(rows)


def _arrangement_context(arrangement: PaymentArrangement) -> dict[str, Any]:
    """The arrangement as plain JSON for a message template (amounts as "1234.50")."""
    currency = arrangement.currency
    return {
        "number": arrangement.pk,
        "total": fmt(arrangement.total_minor, currency),
        "down_payment": fmt(arrangement.down_payment_minor, currency),
        "interest_costs": arrangement.interest_costs,
        "interest_costs_amount": fmt(arrangement.interest_costs_minor, currency),
        "grace_days": arrangement.grace_days,
        "starts_on": arrangement.starts_on.isoformat(),
        "instalments": [
            {
                "sequence": i.sequence,
                "due_date": i.due_date.isoformat(),
                "amount": fmt(i.amount_minor, currency),
            }
            for i in arrangement.instalments.order_by("due_date", "sequence")
        ],
    }


def _enqueue(
    *,
    template_key: str,
    arrangement: PaymentArrangement,
    key: str,
    as_of: date,
    channels: Sequence[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Queue a message about an arrangement in the comms outbox (same transaction), by email when
    the customer has an address for it and by letter when that is preferred or there is no email
    address. False when there is no address at all: the caller must reach the debtor another way.
    """
    customer = arrangement.customer
    contact = customer.contacts.filter(is_active=True).order_by("id").first()
    email = (contact.email if contact and contact.email else "") or customer.email
    preferred = (contact.preferred_channel if contact else "") or customer.preferred_channel
    if channels is None:
        channels = ["letter"] if preferred == "letter" or not email else ["email"]
    language = (contact.language if contact and contact.language else "") or customer.language
    context = message_context_base(
        creditor=arrangement.creditor,
        customer=customer,
        contact=contact,
        items=[i.number for i in arrangement.invoices.all()],
        as_of=as_of,
        language=language,
    )
    context["arrangement"] = _arrangement_context(arrangement)
    context.update(extra or {})
    messages = []
    for channel in channels:
        if channel == "email":
            recipient = email
        elif channel == "letter" and customer_has_postal_address(customer):
            recipient = postal_address_block(
                customer=customer,
                contact=contact,
                home_country=arrangement.creditor.country,
                language=language,
            )
        else:
            recipient = ""
        if recipient:
            messages.append(
                OutgoingMessage(
                    creditor=arrangement.creditor,
                    customer=customer,
                    channel=channel,
                    recipient=recipient,
                    language=language,
                    template_key=template_key,
                    context=context,
                    idempotency_key=f"{key}:{channel}",
                    contact=contact,
                )
            )
    messages_enqueue(messages=messages)
    return bool(messages)


# -- tasks ------------------------------------------------------------------------------------------
@transaction.atomic
def task_create(
    *,
    creditor: Creditor,
    customer: Customer,
    kind: str,
    reason: str,
    due_date: date,
    assigned_to: User | None = None,
    created_by: User | None = None,
    promise: PromiseToPay | None = None,
    arrangement: PaymentArrangement | None = None,
    dispute: Dispute | None = None,
    idempotency_key: str | None = None,
) -> Task:
    """A task for a collector; with an idempotency key, asking twice returns the first task."""
    if kind not in Task.Kind.values:
        raise CaseError(f"unknown task kind '{kind}'")
    if customer.creditor_id != creditor.pk:
        raise CaseError(f"customer {customer.number} does not belong to {creditor.code}")
    if idempotency_key:
        existing = Task.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    task = Task.objects.create(
        creditor=creditor,
        customer=customer,
        kind=kind,
        reason=reason[:500],
        due_date=due_date,
        assigned_to=assigned_to,
        created_by=created_by,
        promise=promise,
        arrangement=arrangement,
        dispute=dispute,
        idempotency_key=idempotency_key or None,
    )
    _audit(task, AuditEntry.Action.CREATE, creditor.pk, kind=kind, reason=reason, due_date=due_date)
    return task


@transaction.atomic
def task_complete(*, task: Task, user: User | None, as_of: date, note: str = "") -> Task:
    return _task_close(task=task, user=user, as_of=as_of, note=note, status=Task.Status.DONE)


@transaction.atomic
def task_cancel(*, task: Task, user: User | None, as_of: date, note: str = "") -> Task:
    return _task_close(task=task, user=user, as_of=as_of, note=note, status=Task.Status.CANCELLED)


def _task_close(*, task: Task, user: User | None, as_of: date, note: str, status: str) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status != Task.Status.OPEN:
        raise CaseError(f"the task is {_in_english(task, 'status').lower()} already")
    task.status, task.closed_on, task.closed_by_id = status, as_of, _user_id(user)
    task.note = note or task.note
    task.save(update_fields=["status", "closed_on", "closed_by", "note"])
    audit_record(
        creditor_id=task.creditor_id,
        obj=task,
        action=AuditEntry.Action.UPDATE,
        changes={"status": ["open", status]},
    )
    return task


# -- promises to pay --------------------------------------------------------------------------------
@transaction.atomic
def promise_register(
    *,
    creditor: Creditor,
    customer: Customer,
    invoices: Sequence[Invoice],
    promised_date: date,
    as_of: date,
    amount: Money | None = None,
    contact: Contact | None = None,
    channel: str = ContactChannel.PHONE,
    taken_by: User | None = None,
    note: str = "",
    grace_days: int = DEFAULT_GRACE_DAYS,
) -> PromiseToPay:
    """Record a promise to pay ``amount`` (default: all that is open on the items) by
    ``promised_date``. Dunning leaves the items alone until that date plus ``grace_days`` (from
    the policy). A new promise on an item replaces an older open promise on it: the debtor's
    latest word counts, and two promises on one invoice would make "kept" ambiguous."""
    items = _items(creditor=creditor, customer=customer, invoices=invoices)
    currency = items[0].currency
    open_total = sum(i.open_minor for i in items)
    minor = open_total if amount is None else amount.minor
    if amount is not None and amount.currency != currency:
        raise CaseError(f"the promise is in {amount.currency}, the invoices in {currency}")
    if minor <= 0:
        raise CaseError("the promised amount must be positive")
    if minor > open_total:
        raise CaseError(
            f"the promised {Money.from_minor(minor, currency)} exceeds the "
            f"{Money.from_minor(open_total, currency)} open on these invoices"
        )
    if promised_date < as_of:
        raise CaseError(f"the promised date {promised_date} lies before today ({as_of})")
    if grace_days < 0:
        raise CaseError("grace days cannot be negative")
    if channel not in ContactChannel.values:
        raise CaseError(f"unknown channel '{channel}'")
    if contact is not None and contact.customer_id != customer.pk:
        raise CaseError(f"{contact.name} is not a contact of {customer.name}")

    promise = PromiseToPay.objects.create(
        creditor=creditor,
        customer=customer,
        currency=currency,
        amount_minor=minor,
        made_on=as_of,
        promised_date=promised_date,
        grace_days=grace_days,
        contact=contact,
        channel=channel,
        taken_by=taken_by,
        note=note,
    )
    promise.invoices.set(items)
    older_ids = set(
        PromiseToPay.invoices.through.objects.filter(
            invoice__in=items, promisetopay__status=PromiseToPay.Status.OPEN
        )
        .exclude(promisetopay=promise)
        .values_list("promisetopay_id", flat=True)
    )
    older = list(PromiseToPay.objects.select_for_update().filter(pk__in=older_ids).order_by("id"))
    for old in older:
        old.status, old.cancelled_on = PromiseToPay.Status.CANCELLED, as_of
        old.note = (old.note + f"\nreplaced by promise #{promise.pk}").strip()
    PromiseToPay.objects.bulk_update(older, ["status", "cancelled_on", "note"])
    audit_bulk(
        AuditEntry.build(
            creditor_id=creditor.pk,
            obj=o,
            action=AuditEntry.Action.UPDATE,
            changes={"status": ["open", "cancelled"]},
        )
        for o in older
    )
    _audit(
        promise,
        AuditEntry.Action.CREATE,
        creditor.pk,
        amount=Money.from_minor(minor, currency),
        promised_date=promised_date,
        invoices=[i.number for i in items],
    )
    return promise


@transaction.atomic
def promise_cancel(
    *, promise: PromiseToPay, user: User | None, as_of: date, reason: str = ""
) -> PromiseToPay:
    """Withdraw an open promise (entered in error, superseded by an arrangement): dunning resumes."""
    promise = PromiseToPay.objects.select_for_update().get(pk=promise.pk)
    if promise.status != PromiseToPay.Status.OPEN:
        raise CaseError(f"the promise is {_in_english(promise, 'status').lower()} already")
    promise.status, promise.cancelled_on = PromiseToPay.Status.CANCELLED, as_of
    if reason:
        promise.note = (promise.note + "\n" + reason).strip()
    promise.save(update_fields=["status", "cancelled_on", "note"])
    _tasks_close(tasks=Q(promise=promise), as_of=as_of, user=user, note="promise cancelled")
    audit_record(
        creditor_id=promise.creditor_id,
        obj=promise,
        action=AuditEntry.Action.UPDATE,
        changes={"status": ["open", "cancelled"], "reason": [None, reason]},
    )
    return promise


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """What one evaluation of a creditor's promises recorded (ids of the promises)."""

    as_of: date
    kept: list[int] = field(default_factory=list)
    broken: list[int] = field(default_factory=list)
    still_open: int = 0
    tasks: list[Task] = field(default_factory=list)


@transaction.atomic
def promises_evaluate(*, creditor: Creditor, as_of: date) -> EvaluationResult:
    """Record which open promises were kept or broken by ``as_of`` and create a call task for
    each newly broken one whose items are still unpaid. Dunning resumes by itself: a broken
    promise no longer holds. A handful of queries for all of a creditor's open promises."""
    promises = list(
        PromiseToPay.objects.select_for_update()
        .filter(creditor=creditor, status=PromiseToPay.Status.OPEN, made_on__lte=as_of)
        .order_by("id")
    )
    outcomes = promise_outcomes(promises, as_of)
    result = EvaluationResult(as_of=as_of)
    changed: list[PromiseToPay] = []
    specs: list[TaskSpec] = []
    open_count = 0
    for promise in promises:
        outcome = outcomes[promise.pk]
        if outcome.state is PromiseState.KEPT:
            promise.status, promise.kept_on = PromiseToPay.Status.KEPT, outcome.decided_on
            result.kept.append(promise.pk)
            changed.append(promise)
        elif outcome.state is PromiseState.BROKEN:
            promise.status, promise.broken_on = PromiseToPay.Status.BROKEN, outcome.decided_on
            result.broken.append(promise.pk)
            changed.append(promise)
            if outcome.open_minor <= 0:
                continue  # paid in full after all, only too late: nobody needs a call
            amount = Money.from_minor(promise.amount_minor, promise.currency)
            paid = Money.from_minor(outcome.paid_minor, promise.currency)
            specs.append(
                TaskSpec(
                    customer_id=promise.customer_id,
                    kind=Task.Kind.PROMISE_BROKEN,
                    reason=(
                        f"promise broken, call: {amount} promised for {promise.promised_date}, "
                        f"{paid} received"
                    ),
                    due_date=as_of,
                    key=f"promise:{promise.pk}:broken",
                    assigned_to_id=promise.taken_by_id,
                    promise_id=promise.pk,
                )
            )
        else:
            open_count += 1
    PromiseToPay.objects.bulk_update(changed, ["status", "kept_on", "broken_on"], batch_size=2000)
    audit_bulk(
        AuditEntry.build(
            creditor_id=creditor.pk,
            obj=p,
            action=AuditEntry.Action.UPDATE,
            changes={"status": ["open", p.status], "on": [None, str(p.kept_on or p.broken_on)]},
        )
        for p in changed
    )
    tasks = _tasks_create(creditor=creditor, specs=specs)
    return EvaluationResult(
        as_of=as_of, kept=result.kept, broken=result.broken, still_open=open_count, tasks=tasks
    )


# -- payment arrangements -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ArrangementLimits:
    """The credit policy's limits (kept in dunning, passed in): beyond them a credit manager
    must approve."""

    max_months: int
    min_instalment_minor: int


@dataclass(frozen=True, slots=True)
class InstalmentInput:
    due_date: date
    amount: Money


@transaction.atomic
def arrangement_create(
    *,
    creditor: Creditor,
    customer: Customer,
    invoices: Sequence[Invoice],
    instalments: Sequence[InstalmentInput],
    as_of: date,
    user: User | None,
    limits: ArrangementLimits,
    down_payment: InstalmentInput | None = None,
    interest_costs: str = PaymentArrangement.InterestCosts.FROZEN,
    interest_costs_amount: Money | None = None,
    grace_days: int = DEFAULT_GRACE_DAYS,
    note: str = "",
    agree: bool = True,
) -> PaymentArrangement:
    """A payment arrangement over the open invoices. The instalments (and down payment) must add
    up to what is open, plus the claimed interest and costs when they are ``included``.

    ``agree=False`` records a proposal (from the portal, or a draft) that holds nothing yet;
    otherwise it is agreed at once (see ``arrangement_agree``)."""
    items = _items(creditor=creditor, customer=customer, invoices=invoices)
    currency = items[0].currency
    if interest_costs not in PaymentArrangement.InterestCosts.values:
        raise CaseError(f"unknown interest and costs treatment '{interest_costs}'")
    extra = interest_costs_amount.minor if interest_costs_amount is not None else 0
    if extra and interest_costs != PaymentArrangement.InterestCosts.INCLUDED:
        raise CaseError(
            "an amount of interest and costs only goes with 'included in the instalments'"
        )
    parts = ([down_payment] if down_payment is not None else []) + list(instalments)
    if not instalments:
        raise CaseError("an arrangement needs at least one instalment")
    for part in parts + (
        [] if interest_costs_amount is None else [InstalmentInput(as_of, interest_costs_amount)]
    ):
        if part.amount.currency != currency:
            raise CaseError(f"an amount is in {part.amount.currency}, the invoices in {currency}")
    schedule = (
        [Instalment(0, down_payment.due_date, down_payment.amount.minor)] if down_payment else []
    ) + [
        Instalment(n, part.due_date, part.amount.minor)
        for n, part in enumerate(instalments, start=1)
    ]
    try:
        check_schedule(schedule, as_of)
    except DomainError as exc:
        raise CaseError(str(exc)) from exc
    if down_payment is not None and any(i.due_date < down_payment.due_date for i in schedule[1:]):
        raise CaseError("the down payment falls due before the first instalment")
    covered = PaymentArrangement.invoices.through.objects.filter(
        invoice__in=items,
        paymentarrangement__status__in=(
            PaymentArrangement.Status.PROPOSED,
            PaymentArrangement.Status.AWAITING_APPROVAL,
            PaymentArrangement.Status.ACTIVE,
        ),
    ).values_list("invoice__number", flat=True)
    if covered:
        raise CaseError(f"invoice(s) {', '.join(sorted(covered))} are in an arrangement already")
    total = sum(i.amount_minor for i in schedule)
    expected = sum(i.open_minor for i in items) + extra
    if total != expected:
        raise CaseError(
            f"the instalments add up to {Money.from_minor(total, currency)}, but "
            f"{Money.from_minor(expected, currency)} is to be paid"
        )
    arrangement = PaymentArrangement.objects.create(
        creditor=creditor,
        customer=customer,
        currency=currency,
        total_minor=total,
        down_payment_minor=down_payment.amount.minor if down_payment else 0,
        interest_costs=interest_costs,
        interest_costs_minor=extra,
        starts_on=as_of,
        grace_days=grace_days,
        note=note,
    )
    arrangement.invoices.set(items)
    ArrangementInstalment.objects.bulk_create(
        ArrangementInstalment(
            arrangement=arrangement,
            sequence=i.sequence,
            due_date=i.due_date,
            amount_minor=i.amount_minor,
        )
        for i in schedule
    )
    _audit(
        arrangement,
        AuditEntry.Action.CREATE,
        creditor.pk,
        total=Money.from_minor(total, currency),
        invoices=[i.number for i in items],
        instalments=[
            f"{i.due_date} {Money.from_minor(i.amount_minor, currency)}" for i in schedule
        ],
        interest_costs=interest_costs,
    )
    if agree:
        return _agree(arrangement=arrangement, user=user, limits=limits, as_of=as_of)
    return arrangement


@transaction.atomic
def arrangement_agree(
    *, arrangement: PaymentArrangement, user: User | None, limits: ArrangementLimits, as_of: date
) -> PaymentArrangement:
    """Agree a proposed arrangement: within the policy's limits a collector's word is enough and
    it becomes active (and is confirmed in writing); beyond them it waits for a credit manager,
    unless the one agreeing is a credit manager. Awaiting approval already holds dunning."""
    arrangement = PaymentArrangement.objects.select_for_update().get(pk=arrangement.pk)
    if arrangement.status != PaymentArrangement.Status.PROPOSED:
        raise CaseError(
            f"the arrangement is {_in_english(arrangement, 'status').lower()}, not proposed"
        )
    return _agree(arrangement=arrangement, user=user, limits=limits, as_of=as_of)


def _agree(
    *, arrangement: PaymentArrangement, user: User | None, limits: ArrangementLimits, as_of: date
) -> PaymentArrangement:
    if user is None or not can_change(user):
        raise NotAllowed("only a collector or a credit manager can agree an arrangement")
    schedule = [
        Instalment(i.sequence, i.due_date, i.amount_minor) for i in arrangement.instalments.all()
    ]
    breaches = limit_breaches(
        schedule,
        starts_on=arrangement.starts_on,
        max_months=limits.max_months,
        min_instalment_minor=limits.min_instalment_minor,
        down_payment_sequence=0,
    )
    arrangement.agreed_by_id, arrangement.agreed_on = user.pk, as_of
    arrangement.beyond_limits = "; ".join(breaches)
    before = arrangement.status
    if breaches and role_of(user) != CREDIT_MANAGER:
        arrangement.status = PaymentArrangement.Status.AWAITING_APPROVAL
        arrangement.save(update_fields=["agreed_by", "agreed_on", "beyond_limits", "status"])
        _tasks_create(
            creditor=arrangement.creditor,
            specs=[
                TaskSpec(
                    customer_id=arrangement.customer_id,
                    kind=Task.Kind.APPROVAL,
                    reason=f"approve payment arrangement #{arrangement.pk}: {arrangement.beyond_limits}",
                    due_date=as_of,
                    key=f"arrangement:{arrangement.pk}:approval",
                    arrangement_id=arrangement.pk,
                )
            ],
            created_by=user,
        )
    else:
        if breaches:
            arrangement.approved_by_id, arrangement.approved_on = user.pk, as_of
        arrangement.status = PaymentArrangement.Status.ACTIVE
        _confirm(arrangement, as_of)
        arrangement.save()
    audit_record(
        creditor_id=arrangement.creditor_id,
        obj=arrangement,
        action=AuditEntry.Action.UPDATE,
        changes={
            "status": [before, arrangement.status],
            "beyond_limits": [None, arrangement.beyond_limits],
        },
    )
    return arrangement


def _confirm(arrangement: PaymentArrangement, as_of: date) -> None:
    """The written confirmation of an agreed arrangement: queued through comms, or left pending."""
    arrangement.confirmation_requested_on = as_of
    sent = _enqueue(
        template_key="arrangement_confirmation",
        arrangement=arrangement,
        key=f"arrangement:{arrangement.pk}:confirmation",
        as_of=as_of,
    )
    arrangement.confirmation_pending = not sent


@transaction.atomic
def arrangement_approve(
    *, arrangement: PaymentArrangement, user: User | None, as_of: date
) -> PaymentArrangement:
    """A credit manager approves an arrangement beyond the policy's limits: it becomes active and
    is confirmed in writing. Collectors cannot approve."""
    if user is None or role_of(user) != CREDIT_MANAGER:
        raise NotAllowed(
            "only a credit manager can approve an arrangement beyond the policy's limits"
        )
    arrangement = PaymentArrangement.objects.select_for_update().get(pk=arrangement.pk)
    if arrangement.status != PaymentArrangement.Status.AWAITING_APPROVAL:
        raise CaseError(
            f"the arrangement is {_in_english(arrangement, 'status').lower()}, not awaiting approval"
        )
    arrangement.status = PaymentArrangement.Status.ACTIVE
    arrangement.approved_by_id, arrangement.approved_on = user.pk, as_of
    _confirm(arrangement, as_of)
    arrangement.save()
    _tasks_close(
        tasks=Q(arrangement=arrangement, kind=Task.Kind.APPROVAL),
        as_of=as_of,
        user=user,
        note="approved",
    )
    audit_record(
        creditor_id=arrangement.creditor_id,
        obj=arrangement,
        action=AuditEntry.Action.UPDATE,
        changes={"status": ["awaiting_approval", "active"], "approved_by": [None, user.pk]},
    )
    return arrangement


@transaction.atomic
def arrangement_cancel(
    *, arrangement: PaymentArrangement, user: User | None, as_of: date, reason: str = ""
) -> PaymentArrangement:
    """Call off a proposed, awaiting or active arrangement (also: approval refused); dunning
    resumes. Completed or broken arrangements stay as they are."""
    arrangement = PaymentArrangement.objects.select_for_update().get(pk=arrangement.pk)
    open_states = (
        PaymentArrangement.Status.PROPOSED,
        PaymentArrangement.Status.AWAITING_APPROVAL,
        PaymentArrangement.Status.ACTIVE,
    )
    if arrangement.status not in open_states:
        raise CaseError(f"the arrangement is {_in_english(arrangement, 'status').lower()} already")
    before = arrangement.status
    arrangement.status, arrangement.cancelled_on = PaymentArrangement.Status.CANCELLED, as_of
    arrangement.confirmation_pending = False
    if reason:
        arrangement.note = (arrangement.note + "\n" + reason).strip()
    arrangement.save(update_fields=["status", "cancelled_on", "note", "confirmation_pending"])
    _tasks_close(
        tasks=Q(arrangement=arrangement), as_of=as_of, user=user, note="arrangement cancelled"
    )
    audit_record(
        creditor_id=arrangement.creditor_id,
        obj=arrangement,
        action=AuditEntry.Action.UPDATE,
        changes={"status": [before, "cancelled"], "reason": [None, reason]},
    )
    return arrangement


@transaction.atomic
def arrangements_confirmation_sent(*, creditor: Creditor, arrangement_ids: Sequence[int]) -> int:
    """The caller sent the written confirmations that cases left pending."""
    return PaymentArrangement.objects.filter(
        creditor=creditor, pk__in=arrangement_ids, confirmation_pending=True
    ).update(confirmation_pending=False)


@dataclass(frozen=True, slots=True)
class ReminderRequest:
    """One reminder after the first missed instalment: sent by comms, or by the caller when
    ``queued`` is False (comms not available to cases)."""

    arrangement_id: int
    customer_id: int
    instalment_sequence: int
    due_date: date
    amount_minor: int
    currency: str
    template_key: str = "arrangement_reminder"
    queued: bool = False


@dataclass(frozen=True, slots=True)
class ArrangementEvaluation:
    as_of: date
    completed: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)  # first miss recorded today
    broken: list[int] = field(default_factory=list)
    reminders: list[ReminderRequest] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


@transaction.atomic
def arrangements_evaluate(*, creditor: Creditor, as_of: date) -> ArrangementEvaluation:
    """Monitor every active arrangement on ``as_of``: the first missed instalment is recorded
    once, with a task and one reminder; the second miss breaks the arrangement (with a task;
    dunning escalates because it no longer holds); when everything is paid it is completed.

    Catching up after days without a run acts for today: an arrangement that missed twice in the
    meantime is broken at once, without a reminder that would come too late."""
    arrangements = list(
        PaymentArrangement.objects.select_for_update()
        .filter(creditor=creditor, status=PaymentArrangement.Status.ACTIVE, starts_on__lte=as_of)
        .select_related("customer", "creditor")
        .order_by("id")
    )
    views = arrangement_monitors(arrangements, as_of)
    result = ArrangementEvaluation(as_of=as_of)
    specs: list[TaskSpec] = []
    changed: list[PaymentArrangement] = []
    for arrangement in arrangements:
        monitor = views[arrangement.pk].monitor
        first = monitor.first_miss
        before = (arrangement.status, arrangement.first_missed_on)
        if first is not None and arrangement.first_missed_on is None:
            arrangement.first_missed_on = monitor.misses[0]
            arrangement.missed_instalment = first.sequence
        if monitor.state is ArrangementState.COMPLETED:
            arrangement.status, arrangement.completed_on = (
                PaymentArrangement.Status.COMPLETED,
                monitor.decided_on,
            )
            result.completed.append(arrangement.pk)
        elif monitor.state is ArrangementState.BROKEN:
            arrangement.status, arrangement.broken_on = (
                PaymentArrangement.Status.BROKEN,
                monitor.decided_on,
            )
            result.broken.append(arrangement.pk)
            specs.append(
                TaskSpec(
                    customer_id=arrangement.customer_id,
                    kind=Task.Kind.ARRANGEMENT_MISSED,
                    reason=f"payment arrangement #{arrangement.pk} broken: second missed instalment",
                    due_date=as_of,
                    key=f"arrangement:{arrangement.pk}:broken",
                    assigned_to_id=arrangement.agreed_by_id,
                    arrangement_id=arrangement.pk,
                )
            )
        elif first is not None and arrangement.reminder_requested_on is None:
            arrangement.reminder_requested_on = as_of
            result.missed.append(arrangement.pk)
            amount = Money.from_minor(first.amount_minor, arrangement.currency)
            specs.append(
                TaskSpec(
                    customer_id=arrangement.customer_id,
                    kind=Task.Kind.ARRANGEMENT_MISSED,
                    reason=(
                        f"payment arrangement #{arrangement.pk}: instalment {first.sequence} of "
                        f"{amount} due {first.due_date} missed"
                    ),
                    due_date=as_of,
                    key=f"arrangement:{arrangement.pk}:missed",
                    assigned_to_id=arrangement.agreed_by_id,
                    arrangement_id=arrangement.pk,
                )
            )
            queued = _enqueue(
                template_key="arrangement_reminder",
                arrangement=arrangement,
                key=f"arrangement:{arrangement.pk}:reminder",
                as_of=as_of,
                extra={
                    "missed_instalment": {
                        "sequence": first.sequence,
                        "due_date": first.due_date.isoformat(),
                        "amount": fmt(first.amount_minor, arrangement.currency),
                    }
                },
            )
            result.reminders.append(
                ReminderRequest(
                    arrangement_id=arrangement.pk,
                    customer_id=arrangement.customer_id,
                    instalment_sequence=first.sequence,
                    due_date=first.due_date,
                    amount_minor=first.amount_minor,
                    currency=arrangement.currency,
                    queued=queued,
                )
            )
        if (
            arrangement.status,
            arrangement.first_missed_on,
        ) != before or arrangement.pk in result.missed:
            changed.append(arrangement)
    PaymentArrangement.objects.bulk_update(
        changed,
        [
            "status",
            "completed_on",
            "broken_on",
            "first_missed_on",
            "missed_instalment",
            "reminder_requested_on",
        ],
        batch_size=2000,
    )
    audit_bulk(
        AuditEntry.build(
            creditor_id=creditor.pk,
            obj=a,
            action=AuditEntry.Action.UPDATE,
            changes={
                "status": ["active", a.status],
                "first_missed_on": [None, str(a.first_missed_on)],
            },
        )
        for a in changed
    )
    tasks = _tasks_create(creditor=creditor, specs=specs)
    return ArrangementEvaluation(
        as_of=as_of,
        completed=result.completed,
        missed=result.missed,
        broken=result.broken,
        reminders=result.reminders,
        tasks=tasks,
    )


def instalment_states(arrangement: PaymentArrangement, as_of: date) -> dict[int, InstalmentState]:
    """Each instalment's state on ``as_of`` (sequence → state), for a confirmation or a screen."""
    view = arrangement_monitors([arrangement], as_of)[arrangement.pk]
    return {i.sequence: i.state for i in view.monitor.instalments}


# -- disputes -------------------------------------------------------------------------------------------
@transaction.atomic
def dispute_open(
    *,
    creditor: Creditor,
    customer: Customer,
    invoices: Sequence[Invoice],
    reason: str,
    as_of: date,
    description: str = "",
    owner: User | None = None,
    decision_due: date | None = None,
    opened_by: User | None = None,
) -> Dispute:
    """The debtor contests these invoices: dunning leaves them alone until the dispute is decided.
    The owner gets a task to decide by ``decision_due`` (default two weeks)."""
    items = _items(creditor=creditor, customer=customer, invoices=invoices)
    if reason not in Dispute.Reason.values:
        raise CaseError(f"unknown dispute reason '{reason}'")
    due = decision_due or as_of + timedelta(days=DEFAULT_DISPUTE_DECISION_DAYS)
    if due < as_of:
        raise CaseError(f"the decision date {due} lies before today ({as_of})")
    taken = Dispute.invoices.through.objects.filter(
        dispute__status=Dispute.Status.OPEN, invoice__in=items
    ).values_list("invoice__number", flat=True)
    if taken:
        raise CaseError(f"invoice(s) {', '.join(sorted(taken))} are disputed already")
    dispute = Dispute.objects.create(
        creditor=creditor,
        customer=customer,
        reason=reason,
        description=description,
        owner=owner,
        opened_on=as_of,
        decision_due=due,
    )
    dispute.invoices.set(items)
    _audit(
        dispute,
        AuditEntry.Action.CREATE,
        creditor.pk,
        reason=reason,
        invoices=[i.number for i in items],
        decision_due=due,
    )
    _tasks_create(
        creditor=creditor,
        specs=[
            TaskSpec(
                customer_id=customer.pk,
                kind=Task.Kind.DISPUTE_DECISION,
                reason=f"decide dispute #{dispute.pk} ({_in_english(dispute, 'reason')}) on {', '.join(i.number for i in items)}",
                due_date=due,
                key=f"dispute:{dispute.pk}:decision",
                assigned_to_id=_user_id(owner),
                dispute_id=dispute.pk,
            )
        ],
        created_by=opened_by,
    )
    return dispute


def _open_dispute(dispute: Dispute) -> Dispute:
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.status != Dispute.Status.OPEN:
        raise CaseError(
            f"dispute #{dispute.pk} is {_in_english(dispute, 'status').lower()} already"
        )
    return dispute


def _decide(
    dispute: Dispute,
    *,
    status: str,
    as_of: date,
    user: User | None,
    note: str,
    extra: dict[str, Any] | None = None,
) -> Dispute:
    dispute.status, dispute.resolved_on, dispute.resolution_note = status, as_of, note
    dispute.save()
    _tasks_close(tasks=Q(dispute=dispute), as_of=as_of, user=user, note=f"dispute {status}")
    audit_record(
        creditor_id=dispute.creditor_id,
        obj=dispute,
        action=AuditEntry.Action.UPDATE,
        changes={"status": ["open", status], "note": [None, note], **(extra or {})},
    )
    return dispute


@transaction.atomic
def dispute_resolve_credit_note(
    *,
    dispute: Dispute,
    as_of: date,
    user: User | None,
    amount: Money | None = None,
    vat: Money | None = None,
    number: str | None = None,
    note: str = "",
) -> Dispute:
    """Resolve by crediting the debtor: the full open amount of the disputed invoices (default)
    or part of it. A credit note is booked in the ledger and allocated to the disputed invoices,
    earliest due first; what a partial credit leaves open is dunned again. VAT is credited in
    proportion unless given."""
    dispute = _open_dispute(dispute)
    items = list(
        dispute.invoices.exclude(status=Invoice.Status.CANCELLED).order_by("due_date", "number")
    )
    open_items = [i for i in items if i.open_minor > 0]
    currency = items[0].currency if items else dispute.customer.creditor.currency
    open_total = sum(i.open_minor for i in open_items)
    gross = open_total if amount is None else amount.minor
    if amount is not None and amount.currency != currency:
        raise CaseError(f"the credit is in {amount.currency}, the invoices in {currency}")
    if gross <= 0:
        raise CaseError("the credit must be positive, and something must be open on the invoices")
    if gross > open_total:
        raise CaseError(
            f"the credit {Money.from_minor(gross, currency)} exceeds the "
            f"{Money.from_minor(open_total, currency)} open on the disputed invoices"
        )
    vat_minor = (
        vat.minor
        if vat is not None
        else vat_share(
            gross_minor=gross,
            items_gross_minor=sum(i.gross_minor for i in items),
            items_vat_minor=sum(i.vat_minor for i in items),
        )
    )
    number = number or f"CN-DISPUTE-{dispute.pk}"
    if CreditNote.objects.filter(creditor_id=dispute.creditor_id, number=number).exists():
        raise CaseError(f"credit note {number} exists already")
    single = open_items[0].number if len(open_items) == 1 else ""
    to_money = Money.from_minor
    credit_notes_upsert(
        creditor=dispute.creditor,
        records=[
            CreditNoteRecord(
                number=number,
                customer=dispute.customer.number,
                issue_date=as_of,
                currency=currency,
                net=to_money(gross - vat_minor, currency).amount,
                vat=to_money(vat_minor, currency).amount,
                gross=to_money(gross, currency).amount,
                invoice=single,
                description=f"dispute #{dispute.pk}: {_in_english(dispute, 'reason')}"[:300],
            )
        ],
        source="dispute",
    )
    credit_note = CreditNote.objects.get(creditor_id=dispute.creditor_id, number=number)
    if not single:
        requests, left = [], gross
        for invoice in open_items:
            part = min(left, invoice.open_minor)
            if part > 0:
                requests.append(
                    AllocationRequest(
                        invoice_id=invoice.pk,
                        amount_minor=part,
                        date=as_of,
                        credit_note_id=credit_note.pk,
                    )
                )
                left -= part
        allocations_apply(creditor=dispute.creditor, requests=requests)
    dispute.credit_note = credit_note
    full = gross == open_total
    return _decide(
        dispute,
        status=Dispute.Status.RESOLVED_CREDIT_NOTE,
        as_of=as_of,
        user=user,
        note=note,
        extra={
            "credit_note": [None, number],
            "credit": [None, f"{'full' if full else 'partial'} {to_money(gross, currency)}"],
        },
    )


@transaction.atomic
def dispute_reject(*, dispute: Dispute, as_of: date, user: User | None, note: str) -> Dispute:
    """The claim stands: dunning resumes, and its next message explains why (``note``); the
    dispute is flagged until dunning has sent that explanation."""
    if not note.strip():
        raise CaseError("say why the dispute is rejected: the debtor will be told")
    dispute = _open_dispute(dispute)
    dispute.rejection_message_pending = True
    return _decide(dispute, status=Dispute.Status.REJECTED, as_of=as_of, user=user, note=note)


@transaction.atomic
def dispute_withdraw(
    *, dispute: Dispute, as_of: date, user: User | None, note: str = ""
) -> Dispute:
    """The debtor withdraws the dispute: dunning resumes."""
    return _decide(
        _open_dispute(dispute), status=Dispute.Status.WITHDRAWN, as_of=as_of, user=user, note=note
    )


@transaction.atomic
def disputes_rejection_message_sent(*, creditor: Creditor, dispute_ids: Sequence[int]) -> int:
    """Dunning sent the explanation of these rejected disputes."""
    return Dispute.objects.filter(
        creditor=creditor, pk__in=dispute_ids, rejection_message_pending=True
    ).update(rejection_message_pending=False)


# -- calls -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CallAnswers:
    """The questions that matter, as the collector noted them."""

    satisfied: str = CallLog.Answer.UNKNOWN
    satisfied_note: str = ""
    payment_intent: str = ""  # when and how will you pay?
    obstacles: str = ""  # anything else in the way?
    right_contact: str = CallLog.Answer.UNKNOWN
    new_contact: Contact | None = None  # the right person, when this one is not


@dataclass(frozen=True, slots=True)
class PromiseInput:
    invoices: Sequence[Invoice]
    promised_date: date
    amount: Money | None = None
    grace_days: int = DEFAULT_GRACE_DAYS
    note: str = ""


@dataclass(frozen=True, slots=True)
class DisputeInput:
    invoices: Sequence[Invoice]
    reason: str
    description: str = ""
    decision_due: date | None = None
    owner: User | None = None


@dataclass(frozen=True, slots=True)
class FollowUpInput:
    due_date: date
    reason: str
    kind: str = Task.Kind.FOLLOW_UP
    assigned_to: User | None = None  # default: whoever made the call


@transaction.atomic
def call_log(
    *,
    creditor: Creditor,
    customer: Customer,
    user: User | None,
    at: datetime,
    outcome: str,
    as_of: date,
    contact: Contact | None = None,
    answers: CallAnswers | None = None,
    notes: str = "",
    promise: PromiseInput | None = None,
    dispute: DisputeInput | None = None,
    follow_up: FollowUpInput | None = None,
) -> CallLog:
    """Log a call and, in the same go, what came of it: a promise to pay, a dispute, a follow-up
    task. A promise or a dispute needs the debtor to have been reached."""
    answers = answers or CallAnswers()
    if outcome not in CallLog.Outcome.values:
        raise CaseError(f"unknown call outcome '{outcome}'")
    for name in ("satisfied", "right_contact"):
        if getattr(answers, name) not in CallLog.Answer.values:
            raise CaseError(f"{name}: answer yes, no or unknown")
    if (promise or dispute) and outcome != CallLog.Outcome.REACHED:
        raise CaseError("a promise or a dispute needs a call in which the debtor was reached")
    if customer.creditor_id != creditor.pk:
        raise CaseError(f"customer {customer.number} does not belong to {creditor.code}")
    for person in (contact, answers.new_contact):
        if person is not None and person.customer_id != customer.pk:
            raise CaseError(f"{person.name} is not a contact of {customer.name}")
    made_promise = (
        promise_register(
            creditor=creditor,
            customer=customer,
            invoices=promise.invoices,
            promised_date=promise.promised_date,
            as_of=as_of,
            amount=promise.amount,
            contact=answers.new_contact or contact,
            channel=ContactChannel.PHONE,
            taken_by=user,
            note=promise.note,
            grace_days=promise.grace_days,
        )
        if promise
        else None
    )
    opened = (
        dispute_open(
            creditor=creditor,
            customer=customer,
            invoices=dispute.invoices,
            reason=dispute.reason,
            as_of=as_of,
            description=dispute.description or answers.satisfied_note,
            owner=dispute.owner or user,
            decision_due=dispute.decision_due,
            opened_by=user,
        )
        if dispute
        else None
    )
    task = (
        task_create(
            creditor=creditor,
            customer=customer,
            kind=follow_up.kind,
            reason=follow_up.reason,
            due_date=follow_up.due_date,
            assigned_to=follow_up.assigned_to or user,
            created_by=user,
        )
        if follow_up
        else None
    )
    call = CallLog.objects.create(
        creditor=creditor,
        customer=customer,
        contact=contact,
        user=user,
        at=at,
        outcome=outcome,
        satisfied=answers.satisfied,
        satisfied_note=answers.satisfied_note,
        payment_intent=answers.payment_intent,
        obstacles=answers.obstacles,
        right_contact=answers.right_contact,
        new_contact=answers.new_contact,
        notes=notes,
        promise=made_promise,
        dispute=opened,
        follow_up=task,
    )
    _audit(
        call,
        AuditEntry.Action.CREATE,
        creditor.pk,
        outcome=outcome,
        promise=made_promise,
        dispute=opened,
        follow_up=task,
    )
    return call
