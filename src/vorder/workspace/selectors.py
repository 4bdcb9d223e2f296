"""Reads only the workspace needs (shared ledger reads live in ``vorder.ledger.selectors``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Least
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vorder.ledger.models import Creditor, Customer, Invoice


def customer_search(
    *, query: str = "", creditor: Creditor | None = None, collector: Any = None
) -> QuerySet[Customer]:
    """Customers matching the words typed, with what is open on their invoices today.

    Every word must match one of number, name, city, email, VAT or CoC number, so "bakker
    utrecht" finds the baker in Utrecht. The open amount is a correlated sum in the creditor's
    currency, evaluated only for the page being shown.
    """
    customers = Customer.objects.select_related("creditor")
    if creditor is not None:
        customers = customers.filter(creditor=creditor)
    if collector is not None:  # a collector's portfolio (see ``portfolio_filter``)
        customers = customers.filter(portfolio_filter(collector))
    for word in query.split():
        customers = customers.filter(
            Q(number__icontains=word)
            | Q(name__icontains=word)
            | Q(city__icontains=word)
            | Q(email__icontains=word)
            | Q(vat_number__icontains=word)
            | Q(coc_number__icontains=word)
        )
    open_on_invoices = (
        Invoice.objects.filter(
            customer=OuterRef("pk"),
            status=Invoice.Status.OPEN,
            currency=OuterRef("creditor__currency"),
        )
        .values("customer")
        .annotate(total=Sum("open_minor"))
        .values("total")[:1]
    )
    return customers.annotate(
        open_minor=Coalesce(Subquery(open_on_invoices), 0, output_field=BigIntegerField())
    ).order_by("name", "number")


# -- the collector's worklist ------------------------------------------------------------------


WORKLIST_CANDIDATES = 150  # customers whose history is read, per pool
WORKLIST_LINES = 50
WORKLIST_TASKS = 50  # shown at once; the count says how many more there are
RECENT_LATE_DAYS = 21  # "recently late": the oldest overdue item fell due at most this long ago
BROKEN_PROMISE_DAYS = 90
TASK_PRIORITY = {
    "approval": 0,
    "promise_broken": 1,
    "arrangement_missed": 2,
    "dispute_decision": 3,
    "call": 4,
    "handover_proposal": 5,
    "follow_up": 6,
}


@dataclass
class WorklistLine:
    """One customer worth a call today, with why."""

    customer_id: int
    number: str
    name: str
    segment: str
    phone: str
    account_manager: str
    currency: str
    overdue_minor: int
    items: int
    days_overdue: int
    broken_promises: int = 0
    first_time_late: bool = False
    often_late: bool = False
    score: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass
class Worklist:
    as_of: date
    tasks: list[Any]
    calls: list[WorklistLine]
    tasks_total: int = 0


def portfolio_filter(collector: Any, *, prefix: str = "") -> Q:
    """A collector's portfolio: customers they manage, plus customers nobody manages (so no
    customer falls between two chairs)."""
    return Q(**{f"{prefix}account_manager": collector}) | Q(
        **{f"{prefix}account_manager__isnull": True}
    )


def _scope(qs: QuerySet[Any], prefix: str, creditor: Creditor | None, collector: Any, segment: str):
    if creditor is not None:
        qs = qs.filter(**{f"{prefix}creditor": creditor})
    if collector is not None:
        qs = qs.filter(portfolio_filter(collector, prefix=f"{prefix}"))
    if segment:
        qs = qs.filter(**{f"{prefix}segment": segment})
    return qs


def worklist(
    *,
    creditor: Creditor | None,
    as_of: date,
    collector: Any = None,
    segment: str = "",
    limit: int = WORKLIST_LINES,
) -> Worklist:
    """Today's open tasks and the customers most worth a call, ranked, each with its reasons.

    The worklist ranks with a fixed number of queries, never one per customer, and brings back
    to Python only a few hundred candidates, never the whole portfolio (issue 5: under 300 ms
    with 1,000,000 invoices):

    1. today's open tasks (the first ``WORKLIST_TASKS``, customers joined);
    2. broken promises of the last 90 days, and the items dunning may not touch (in an open
       dispute, a holding payment arrangement or an open promise), per customer: few;
    3. overdue open invoices grouped per customer in the database, which also works out the
       points for amount and age and picks the candidates: the best ``WORKLIST_CANDIDATES`` by
       those points and as many recently late by amount (the first-time late are among them);
       customers with held items are totalled apart without them, and everyone who broke a
       promise lately is a candidate too;
    4. for the candidates only: who they are (customers on hold leave here) and their payment
       history of 12 months, grouped per customer.

    Points, so the reader can follow the order (the reason per line names them):

    - overdue amount: 1 point per €100 (or 100 units of the currency), at most 40;
    - days overdue of the oldest item: 1 point per week, at most 26;
    - a promise broken in the last 90 days: 20 points each, at most 40;
    - first time late (paid on time for 12 months, now overdue): 15 points, so a good customer is
      called early and kept;
    - late more often than not in 12 months: 10 points.
    """
    from vorder.cases.models import Task

    tasks_qs = Task.objects.filter(status=Task.Status.OPEN, due_date__lte=as_of)
    if creditor is not None:
        tasks_qs = tasks_qs.filter(creditor=creditor)
    if collector is not None:
        tasks_qs = tasks_qs.filter(
            Q(assigned_to=collector)
            | Q(assigned_to__isnull=True) & portfolio_filter(collector, prefix="customer__")
        )
    if segment:
        tasks_qs = tasks_qs.filter(customer__segment=segment)
    # the most pressing kinds first, then the oldest: ordered in the database, so only the
    # first WORKLIST_TASKS are read
    priority = Case(
        *[When(kind=kind, then=Value(rank)) for kind, rank in TASK_PRIORITY.items()],
        default=Value(9),
    )
    tasks_total = tasks_qs.count()
    # the first WORKLIST_TASKS chosen on the tasks alone, then joined to their customers (joined
    # first, PostgreSQL reads every customer to order a few thousand tasks)
    first = tasks_qs.annotate(priority=priority).order_by("priority", "due_date", "id")
    tasks = list(
        Task.objects.filter(pk__in=first.values("pk")[:WORKLIST_TASKS])
        .select_related("customer", "assigned_to")
        .annotate(priority=priority)
        .order_by("priority", "due_date", "id")
    )

    # Not to call from here: customers listed under tasks already (customers on hold are
    # dropped with the candidates' names, below).
    skip = {t.customer_id for t in tasks}
    # Totalled apart: customers with items dunning may not touch (without those items), and
    # customers who broke a promise lately (always candidates, so a broken promise is never
    # lost among many equal points). Both are few; everyone else's items are totalled without
    # testing each one for a hold.
    broken = _broken_promises(creditor, as_of)
    held_customers, held_invoices = _held_items(creditor, as_of)
    apart = (held_customers | set(broken)) - skip
    overdue = _scope(
        Invoice.objects.filter(status=Invoice.Status.OPEN, due_date__lt=as_of),
        "customer__",
        None,  # the invoice's own creditor column below: no join
        collector,
        segment,
    )
    if creditor is not None:
        overdue = overdue.filter(creditor=creditor, currency=creditor.currency)
    rows = _candidates(overdue, as_of, skip=skip | apart)
    if apart:
        held_out = overdue.filter(customer_id__in=apart).exclude(id__in=held_invoices)
        rows += list(_per_customer(held_out, as_of).values(*CANDIDATE_COLUMNS))
    lines: dict[int, WorklistLine] = {}
    for row in rows:
        if row["customer_id"] in lines:
            continue
        line = WorklistLine(
            customer_id=row["customer_id"],
            number="",
            name="",
            segment="",
            phone="",
            account_manager="",
            currency=row["currency"],
            overdue_minor=int(row["total"]),
            items=row["items"],
            days_overdue=int(row["days"]),
        )
        line.score = _base_points(line)
        lines[line.customer_id] = line
    # the same two pools as the database chose, now over the customers read apart too, and
    # everyone who broke a promise lately
    by_score = sorted(lines.values(), key=_by_points)[:WORKLIST_CANDIDATES]
    recent = sorted(
        (ln for ln in lines.values() if ln.days_overdue <= RECENT_LATE_DAYS),
        key=lambda ln: (-ln.overdue_minor, ln.customer_id),
    )[:WORKLIST_CANDIDATES]
    candidates = {ln.customer_id: ln for ln in by_score + recent}
    candidates.update((cid, lines[cid]) for cid in broken if cid in lines)
    _add_names(candidates)  # and leaves out the customers on hold
    _add_history(candidates, as_of)
    for ln in candidates.values():
        ln.broken_promises = broken.get(ln.customer_id, 0)
        ln.score = _base_points(ln) + _history_points(ln)
    ranked = sorted(candidates.values(), key=_by_points)[:limit]
    for ln in ranked:
        ln.reasons = _reasons(ln)
    return Worklist(as_of=as_of, tasks=tasks, calls=ranked, tasks_total=tasks_total)


def _by_points(line: WorklistLine) -> tuple[int, int, int]:
    return (-line.score, -line.overdue_minor, line.customer_id)


class _DaysSince(Func):
    """Whole days from a date expression to ``as_of``: PostgreSQL subtracts dates, SQLite
    subtracts Julian day numbers."""

    output_field = IntegerField()

    def __init__(self, expression: Any, as_of: date) -> None:
        super().__init__(Value(as_of, output_field=DateField()), expression)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="(CAST(%(expressions)s AS DATE))",
            arg_joiner=" AS DATE) - CAST(",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


CANDIDATE_COLUMNS = ("customer_id", "currency", "total", "items", "days")


def _per_customer(overdue: QuerySet[Invoice], as_of: date) -> QuerySet[Invoice]:
    """The overdue items totalled per customer, with the points for amount and age (as
    ``_base_points`` counts them) worked out in the database."""
    return (
        overdue.values("customer_id", "currency")
        .annotate(
            total=Sum("open_minor"),
            items=Count("*"),  # not Count("id"): the items are read from an index alone
            days=_DaysSince(Min("due_date"), as_of),
        )
        .annotate(
            points=ExpressionWrapper(
                Least(Cast(F("total"), BigIntegerField()) / Value(10000), Value(40))
                + Least(F("days") / Value(7), Value(26)),
                output_field=BigIntegerField(),
            )
        )
        .order_by()
    )


def _candidates(overdue: QuerySet[Invoice], as_of: date, *, skip: set[int]) -> list[dict[str, Any]]:
    """The customers worth reading the history of: the best ``WORKLIST_CANDIDATES`` by points
    for amount and age, and as many recently late by amount (the first-time late are among
    them), leaving out ``skip``.

    Both pools are chosen in the database in one pass over the overdue items, so only a few
    hundred rows come back, never one per customer. The customers to skip are not tested per
    item: each pool takes as many more rows as there are customers to skip, and those are
    dropped here (the best N after leaving some out are among the best N + len(skip)).
    """
    sql, params = _per_customer(overdue, as_of).query.sql_with_params()
    columns = ", ".join(CANDIDATE_COLUMNS)
    take = WORKLIST_CANDIDATES + len(skip)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH per_customer AS ({sql}) "
            f"SELECT * FROM (SELECT {columns} FROM per_customer"
            " ORDER BY points DESC, total DESC, customer_id LIMIT %s) AS by_points"
            f" UNION SELECT * FROM (SELECT {columns} FROM per_customer WHERE days <= %s"
            " ORDER BY total DESC, customer_id LIMIT %s) AS recently_late",
            (*params, take, RECENT_LATE_DAYS, take),
        )
        rows = [dict(zip(CANDIDATE_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    return [row for row in rows if row["customer_id"] not in skip]


def _held_items(creditor: Creditor | None, as_of: date) -> tuple[set[int], set[int]]:
    """The customers and the invoices dunning may not touch: items in an open dispute, a
    holding payment arrangement or an open promise (few; read as pairs, so the worklist leaves
    them out by id instead of testing every invoice for a case)."""
    from vorder.cases.models import Dispute, PaymentArrangement, PromiseToPay

    holding = (
        (Dispute, "dispute", Q(status=Dispute.Status.OPEN)),
        (
            PaymentArrangement,
            "paymentarrangement",
            Q(
                status__in=(
                    PaymentArrangement.Status.ACTIVE,
                    PaymentArrangement.Status.AWAITING_APPROVAL,
                )
            ),
        ),
        (PromiseToPay, "promisetopay", Q(status=PromiseToPay.Status.OPEN, made_on__lte=as_of)),
    )
    customers: set[int] = set()
    invoices: set[int] = set()
    for model, case, condition in holding:
        cases = model.objects.filter(condition)
        if creditor is not None:
            cases = cases.filter(creditor=creditor)
        pairs = model.invoices.through.objects.filter(**{f"{case}__in": cases}).values_list(
            f"{case}__customer_id", "invoice_id"
        )
        for customer_id, invoice_id in pairs:
            customers.add(customer_id)
            invoices.add(invoice_id)
    return customers, invoices


def _broken_promises(creditor: Creditor | None, as_of: date) -> dict[int, int]:
    """How many promises each customer broke in the last ``BROKEN_PROMISE_DAYS`` days."""
    from vorder.cases.models import PromiseToPay

    broken = PromiseToPay.objects.filter(
        status=PromiseToPay.Status.BROKEN,
        broken_on__gt=as_of - timedelta(days=BROKEN_PROMISE_DAYS),
        broken_on__lte=as_of,
    )
    if creditor is not None:
        broken = broken.filter(creditor=creditor)
    per_customer = broken.values("customer_id").annotate(n=Count("id")).order_by()
    return {row["customer_id"]: row["n"] for row in per_customer}


def _base_points(line: WorklistLine) -> int:
    return min(line.overdue_minor // 10000, 40) + min(line.days_overdue // 7, 26)


def _history_points(line: WorklistLine) -> int:
    return (
        min(20 * line.broken_promises, 40)
        + (15 if line.first_time_late else 0)
        + (10 if line.often_late else 0)
    )


def _reasons(line: WorklistLine) -> list[str]:
    from vorder.workspace.templatetags.workspace import format_amount

    reasons = [
        ngettext(
            "%(amount)s overdue on %(count)d item, oldest %(days)d days",
            "%(amount)s overdue on %(count)d items, oldest %(days)d days",
            line.items,
        )
        % {
            "amount": format_amount(line.overdue_minor, line.currency),
            "count": line.items,
            "days": line.days_overdue,
        }
    ]
    if line.broken_promises:
        reasons.append(
            ngettext(
                "%(count)d promise broken lately",
                "%(count)d promises broken lately",
                line.broken_promises,
            )
            % {"count": line.broken_promises}
        )
    if line.first_time_late:
        reasons.append(_("first time late: call early, keep the customer"))
    if line.often_late:
        reasons.append(_("pays late more often than not"))
    return reasons


def _add_history(lines: dict[int, WorklistLine], as_of: date) -> None:
    """Payment behaviour of 12 months, one grouped query."""
    ids = list(lines)
    if not ids:
        return
    history = (
        Invoice.objects.filter(
            customer_id__in=ids,
            paid_on__gt=as_of - timedelta(days=365),
            paid_on__lte=as_of,
            days_late__isnull=False,
        )
        .values("customer_id")
        .annotate(paid=Count("id"), late=Count("id", filter=Q(days_late__gt=0)))
        .order_by()
    )
    for row in history:
        line = lines[row["customer_id"]]
        line.first_time_late = row["paid"] >= 2 and row["late"] == 0
        line.often_late = row["late"] * 2 > row["paid"]


def _add_names(lines: dict[int, WorklistLine]) -> None:
    """Who the candidates are, one query by primary key (plain values: a few hundred rows);
    customers on hold leave the list (only the candidates are tested, never every customer)."""
    found = (
        Customer.objects.filter(pk__in=list(lines))
        .order_by()
        .values_list(
            "pk",
            "on_hold",
            "number",
            "name",
            "segment",
            "phone",
            "account_manager__first_name",
            "account_manager__last_name",
            "account_manager__username",
        )  # fmt: skip
    )
    for pk, on_hold, number, name, segment, phone, first, last, username in found:
        if on_hold:
            del lines[pk]
            continue
        line = lines[pk]
        line.number, line.name, line.segment, line.phone = number, name, segment, phone
        if username is not None:  # as User.get_full_name() or get_username()
            line.account_manager = f"{first} {last}".strip() or username


def segments(*, creditor: Creditor | None) -> list[str]:
    """The customer segments in use, for the worklist's filter."""
    qs = Customer.objects.exclude(segment="")
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    return list(qs.values_list("segment", flat=True).distinct().order_by("segment"))


def collectors() -> list[Any]:
    """Staff who can hold a portfolio: collectors and credit managers."""
    from django.contrib.auth import get_user_model

    from vorder.common.roles import COLLECTOR, CREDIT_MANAGER

    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=(COLLECTOR, CREDIT_MANAGER))
        .distinct()
        .order_by("first_name", "username")
    )


# -- the customer page --------------------------------------------------------------------------
@dataclass(frozen=True)
class PaymentBehaviour:
    """How the customer paid over 12 months, from the invoices' paid_on / days_late."""

    paid: int
    on_time: int
    average_days_late: Decimal | None
    first_time_late: bool

    @property
    def on_time_rate(self) -> int | None:
        """Whole percentage paid on or before the due date (integer arithmetic, half up)."""
        if not self.paid:
            return None
        return (200 * self.on_time + self.paid) // (2 * self.paid)


def payment_behaviour(*, customer: Customer, as_of: date) -> PaymentBehaviour:
    """Average days late (early payments count as 0), on-time rate, and whether the customer is
    late now for the first time in 12 months — one grouped query plus one exists."""
    row = Invoice.objects.filter(
        customer=customer,
        paid_on__gt=as_of - timedelta(days=365),
        paid_on__lte=as_of,
        days_late__isnull=False,
    ).aggregate(
        paid=Count("id"),
        on_time=Count("id", filter=Q(days_late__lte=0)),
        late_days=Sum(Case(When(days_late__gt=0, then=F("days_late")), default=Value(0))),
    )
    paid = row["paid"] or 0
    average = (
        (Decimal(row["late_days"] or 0) / Decimal(paid)).quantize(Decimal("0.1")) if paid else None
    )
    overdue_now = Invoice.objects.filter(
        customer=customer, status=Invoice.Status.OPEN, due_date__lt=as_of
    ).exists()
    return PaymentBehaviour(
        paid=paid,
        on_time=row["on_time"] or 0,
        average_days_late=average,
        first_time_late=overdue_now and paid >= 2 and row["on_time"] == paid,
    )


@dataclass(frozen=True)
class Exposure:
    """What the customer owes against the credit limit: open (overdue and not yet due)."""

    currency: str
    open_minor: int
    overdue_minor: int
    not_due_minor: int
    limit_minor: int | None

    @property
    def over_limit(self) -> bool:
        return self.limit_minor is not None and self.open_minor > self.limit_minor

    @property
    def headroom_minor(self) -> int | None:
        return None if self.limit_minor is None else self.limit_minor - self.open_minor


def customer_exposure(*, items: list[Any], customer: Customer, currency: str) -> Exposure:
    """From the open items already read for the page (no extra query)."""
    mine = [i for i in items if i.currency == currency and i.kind in ("invoice", "instalment")]
    overdue = sum(i.open_minor for i in mine if i.days_overdue > 0)
    total = sum(i.open_minor for i in mine)
    return Exposure(currency, total, overdue, total - overdue, customer.credit_limit_minor)


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened with a customer, newest first on the page."""

    on: date
    kind: str  # invoice, credit_note, payment, message, call, promise, arrangement, dispute, task, dunning
    title: str
    detail: str = ""
    amount_minor: int | None = None
    currency: str = ""
    message_id: int | None = None
    sort: int = 0


def customer_timeline(
    *, customer: Customer, as_of: date, cases: Any, months: int = 12, limit: int = 200
) -> list[TimelineEvent]:
    """Everything that happened with the customer in the last ``months`` up to ``as_of``: a few
    bounded queries (invoices, credit notes, payments, messages, dunning decisions) plus the
    cases already read for the page. Newest first."""
    from django.utils.translation import get_language

    from vorder.comms.models import Message
    from vorder.dunning.models import DunningDecision
    from vorder.ledger.models import CreditNote, Payment

    since = as_of - timedelta(days=31 * months)
    events: list[TimelineEvent] = []
    for number, issued, due, gross, currency, description in (
        Invoice.objects.filter(customer=customer, issue_date__gt=since, issue_date__lte=as_of)
        .order_by("-issue_date")
        .values_list("number", "issue_date", "due_date", "gross_minor", "currency", "description")[
            :limit
        ]
    ):
        events.append(
            TimelineEvent(
                issued,
                "invoice",
                _("Invoice %(number)s, due %(due)s") % {"number": number, "due": due.isoformat()},
                description,
                gross,
                currency,
            )
        )
    for number, issued, gross, currency, description in (
        CreditNote.objects.filter(customer=customer, issue_date__gt=since, issue_date__lte=as_of)
        .order_by("-issue_date")
        .values_list("number", "issue_date", "gross_minor", "currency", "description")[:limit]
    ):
        events.append(
            TimelineEvent(
                issued,
                "credit_note",
                _("Credit note %(number)s") % {"number": number},
                description,
                gross,
                currency,
            )
        )
    for number, on, amount, currency, reference in (
        Payment.objects.filter(customer=customer, date__gt=since, date__lte=as_of)
        .order_by("-date")
        .values_list("number", "date", "amount_minor", "currency", "reference")[:limit]
    ):
        events.append(
            TimelineEvent(
                on,
                "payment",
                _("Payment %(number)s") % {"number": number},
                reference,
                amount,
                currency,
            )
        )
    for message in (
        Message.objects.filter(customer=customer)
        .only("id", "created_at", "template_key", "channel", "status", "subject", "recipient")
        .order_by("-created_at")[:limit]
    ):
        on = message.created_at.date()
        if since < on <= as_of:
            events.append(
                TimelineEvent(
                    on,
                    "message",
                    _("%(channel)s “%(key)s” (%(status)s)")
                    % {
                        "channel": message.get_channel_display(),
                        "key": message.template_key,
                        "status": message.get_status_display(),
                    },
                    message.subject,
                    message_id=message.pk,
                )
            )
    dutch = (get_language() or "en").startswith("nl")
    for decision in DunningDecision.objects.filter(
        customer=customer, as_of__gt=since, as_of__lte=as_of
    ).order_by("-as_of", "-id")[:limit]:
        reasons = "; ".join(
            str(r.get("nl" if dutch else "en") or r.get("en") or r.get("code", ""))
            for r in decision.reasons or []
            if isinstance(r, dict)
        )
        events.append(
            TimelineEvent(
                decision.as_of,
                "dunning",
                _("Dunning: %(action)s %(level)s (%(status)s)")
                % {
                    "action": decision.get_action_display(),
                    "level": decision.level_name or decision.level_key,
                    "status": decision.get_status_display(),
                },
                reasons,
                decision.overdue_minor,
                decision.currency,
                message_id=decision.message_id,
            )
        )
    events.extend(_case_events(cases, since, as_of))
    events.sort(key=lambda e: (e.on, e.sort), reverse=True)
    return events[:limit]


def _case_events(cases: Any, since: date, as_of: date) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for call in cases.calls:
        on = call.at.date()
        if since < on <= as_of:
            parts = [call.notes, call.payment_intent, call.obstacles]
            events.append(
                TimelineEvent(
                    on,
                    "call",
                    _("Call: %(outcome)s") % {"outcome": call.get_outcome_display()},
                    " · ".join(p for p in parts if p),
                    sort=1,
                )
            )
    for view in cases.promises:
        p = view.promise
        events.append(
            TimelineEvent(
                p.made_on,
                "promise",
                _("Promise to pay on %(day)s: %(state)s")
                % {"day": p.promised_date.isoformat(), "state": view.outcome.state.value},
                p.note,
                p.amount_minor,
                p.currency,
                sort=2,
            )
        )
    for view in cases.arrangements:
        a = view.arrangement
        events.append(
            TimelineEvent(
                a.starts_on,
                "arrangement",
                _("Payment arrangement #%(id)s: %(status)s")
                % {"id": a.pk, "status": a.get_status_display()},
                a.beyond_limits or a.note,
                a.total_minor,
                a.currency,
                sort=2,
            )
        )
    for d in cases.disputes:
        events.append(
            TimelineEvent(
                d.opened_on,
                "dispute",
                _("Dispute: %(reason)s (%(status)s)")
                % {"reason": d.get_reason_display(), "status": d.get_status_display()},
                d.resolution_note or d.description,
                sort=2,
            )
        )
    return [e for e in events if since < e.on <= as_of]


def arrangement_confirmations(*, customer: Customer) -> dict[int, Any]:
    """The queued or sent written confirmation of each arrangement of the customer (cases queues
    it with the key ``arrangement:<id>:confirmation:<channel>``): one query."""
    from vorder.comms.models import Message

    found: dict[int, Any] = {}
    for message in Message.objects.filter(
        customer=customer, template_key="arrangement_confirmation"
    ).order_by("id"):
        parts = message.idempotency_key.split(":")
        if len(parts) >= 3 and parts[0] == "arrangement" and parts[1].isdigit():
            found.setdefault(int(parts[1]), message)
    return found


# -- the credit manager's overview --------------------------------------------------------------
@dataclass
class CollectorRow:
    name: str
    customers: int
    overdue_minor: int


@dataclass
class CasesOverview:
    currency: str
    by_collector: list[CollectorRow]
    broken_promises: int
    broken_promises_minor: int
    arrangements_at_risk: list[Any]
    disputes_by_age: list[tuple[str, int]]
    old_disputes: list[Any]
    approvals: int


def cases_overview(*, creditor: Creditor | None, as_of: date) -> CasesOverview:
    """The dashboard's collections figures: grouped queries only."""
    from vorder.cases.models import Dispute, PaymentArrangement, PromiseToPay, Task
    from vorder.cases.selectors import disputes_overdue

    currency = creditor.currency if creditor is not None else "EUR"
    overdue = Invoice.objects.filter(
        status=Invoice.Status.OPEN, due_date__lt=as_of, currency=currency
    )
    if creditor is not None:
        overdue = overdue.filter(creditor=creditor)
    rows = (
        overdue.values(
            "customer__account_manager__username",
            "customer__account_manager__first_name",
            "customer__account_manager__last_name",
        )
        .annotate(total=Sum("open_minor"), customers=Count("customer_id", distinct=True))
        .order_by("-total")
    )
    by_collector = [
        CollectorRow(
            " ".join(
                x
                for x in (
                    r["customer__account_manager__first_name"],
                    r["customer__account_manager__last_name"],
                )
                if x
            )
            or r["customer__account_manager__username"]
            or str(_("(unassigned)")),
            r["customers"],
            r["total"] or 0,
        )
        for r in rows
    ]

    def scoped(qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(creditor=creditor) if creditor is not None else qs

    broken = scoped(
        PromiseToPay.objects.filter(
            status=PromiseToPay.Status.BROKEN,
            broken_on__gt=as_of - timedelta(days=BROKEN_PROMISE_DAYS),
            broken_on__lte=as_of,
        )
    ).aggregate(n=Count("id"), total=Sum("amount_minor"))
    at_risk = list(
        scoped(
            PaymentArrangement.objects.filter(
                status=PaymentArrangement.Status.ACTIVE, first_missed_on__isnull=False
            )
        )
        .select_related("customer")
        .order_by("first_missed_on")[:20]
    )
    open_disputes = scoped(Dispute.objects.filter(status=Dispute.Status.OPEN, opened_on__lte=as_of))
    buckets = [
        (_("up to 14 days"), Q(opened_on__gte=as_of - timedelta(days=14))),
        (
            _("15–30 days"),
            Q(opened_on__lt=as_of - timedelta(days=14), opened_on__gte=as_of - timedelta(days=30)),
        ),
        (
            _("31–60 days"),
            Q(opened_on__lt=as_of - timedelta(days=30), opened_on__gte=as_of - timedelta(days=60)),
        ),
        (_("over 60 days"), Q(opened_on__lt=as_of - timedelta(days=60))),
    ]
    counts = open_disputes.aggregate(
        **{f"b{n}": Count("id", filter=q) for n, (_label, q) in enumerate(buckets)}
    )
    old = (
        disputes_overdue(creditor=creditor, as_of=as_of)[:10]
        if creditor is not None
        else list(
            open_disputes.filter(decision_due__lt=as_of)
            .select_related("customer", "owner")
            .order_by("decision_due")[:10]
        )
    )
    approvals = scoped(
        Task.objects.filter(status=Task.Status.OPEN, kind=Task.Kind.APPROVAL)
    ).count()
    return CasesOverview(
        currency=currency,
        by_collector=by_collector,
        broken_promises=broken["n"] or 0,
        broken_promises_minor=broken["total"] or 0,
        arrangements_at_risk=at_risk,
        disputes_by_age=[(str(label), counts[f"b{n}"]) for n, (label, _q) in enumerate(buckets)],
        old_disputes=old,
        approvals=approvals,
    )
