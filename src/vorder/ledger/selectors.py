"""Reads of the ledger that several faces share: aging, DSO, open items, statements, integrity.

Every read takes ``as_of`` and answers as the ledger stood at the end of that day: documents dated
later are left out, and allocations dated later are added back to what was open. The fast path
reads the kept open amounts and corrects them with the (few) allocations dated after ``as_of``,
so today's aging over a million items stays a single pass over the open invoices.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce

from vorder.common.money import fmt
from vorder.domain.aging import BUCKETS, Bucket, bucket_for, due_date_bounds
from vorder.domain.dso import dso_countback, dso_standard
from vorder.domain.settlement import settle_in_order
from vorder.ledger.models import (
    Allocation,
    Charge,
    CreditNote,
    Creditor,
    Customer,
    Invoice,
    InvoiceInstalment,
    Payment,
)

# -- aging ------------------------------------------------------------------------------------


@dataclass(slots=True)
class AgingRow:
    """Open amounts per bucket (integer minor units) for one creditor or customer and currency."""

    creditor_code: str
    currency: str
    not_due: int = 0
    d1_30: int = 0
    d31_60: int = 0
    d61_90: int = 0
    d90_plus: int = 0
    customer_id: int | None = None
    customer_number: str = ""
    customer_name: str = ""

    @property
    def total(self) -> int:
        return self.not_due + self.d1_30 + self.d31_60 + self.d61_90 + self.d90_plus

    @property
    def overdue(self) -> int:
        return self.total - self.not_due

    def add(self, bucket: Bucket, minor: int) -> None:
        setattr(self, bucket.value, getattr(self, bucket.value) + minor)

    def as_json(self) -> dict[str, str]:
        amounts = {b.value: fmt(getattr(self, b.value), self.currency) for b in BUCKETS}
        return {**amounts, "total": fmt(self.total, self.currency)}


@dataclass
class AgingReport:
    as_of: date
    totals: list[AgingRow] = field(default_factory=list)
    customers: list[AgingRow] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The stable contract of `vorder report aging --format json`."""
        return {
            "as_of": self.as_of.isoformat(),
            "totals": [
                {"creditor": r.creditor_code, "currency": r.currency, **r.as_json()}
                for r in self.totals
            ],
            "customers": [
                {
                    "customer": r.customer_number,
                    "name": r.customer_name,
                    "creditor": r.creditor_code,
                    "currency": r.currency,
                    **r.as_json(),
                }
                for r in self.customers
            ],
        }


def _bucket_sums(amount: str, due_field: str, as_of: date) -> dict[str, Cast]:
    """One filtered SUM per bucket: a single pass sorts every row into its bucket."""
    sums: dict[str, Cast] = {}
    for bucket, (earliest, latest) in due_date_bounds(as_of).items():
        condition = Q()
        if earliest is not None:
            condition &= Q(**{f"{due_field}__gte": earliest})
        if latest is not None:
            condition &= Q(**{f"{due_field}__lte": latest})
        # cast: PostgreSQL sums bigints as numeric, which would arrive as Decimal
        sums[bucket.value] = Cast(Sum(amount, filter=condition, default=0), BigIntegerField())
    return sums


_KEYS = tuple(b.value for b in BUCKETS)


def aging_report(
    *, as_of: date, creditor: Creditor | None = None, customer: Customer | None = None
) -> AgingReport:
    """Open receivables per bucket as of the end of ``as_of``, per customer and per creditor.

    Customers come most overdue first (then largest total, then number). The database sums,
    names and orders the customers in one statement; Python only corrects the few that had
    payments after ``as_of`` or instalment schedules, so today's aging over a million items is
    one pass on the server and one loop over the customers here.
    """
    invoices = Invoice.objects.exclude(status=Invoice.Status.CANCELLED).filter(
        issue_date__lte=as_of
    )
    if creditor is not None:
        invoices = invoices.filter(creditor=creditor)
    if customer is not None:
        invoices = invoices.filter(customer=customer)

    codes = dict(Creditor.objects.values_list("id", "code"))
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # a hundred thousand groups fit in memory: no spill of the hash aggregate to disk
            cursor.execute("SET LOCAL work_mem = '64MB'")
        # 1. Invoices without a schedule, from their kept open amounts: grouped, named and
        # ordered by the database. Plain SQL: a hundred thousand rows of integers and names
        # need no ORM converters.
        grouped = (
            invoices.filter(has_instalments=False, status=Invoice.Status.OPEN)
            .values("customer_id", "currency")
            .annotate(**_bucket_sums("open_minor", "due_date", as_of))
            .order_by()
            .values_list("customer_id", "currency", *_KEYS)
        )
        inner, params = grouped.query.sql_with_params()
        overdue = " + ".join(f"g.{k}" for k in _KEYS[1:])
        binary = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
        cursor.execute(
            f"SELECT g.*, c.number, c.name, c.creditor_id FROM ({inner}) g "
            "INNER JOIN ledger_customer c ON c.id = g.customer_id "
            f"ORDER BY {overdue} DESC, g.not_due + {overdue} DESC, c.number{binary}",
            params,
        )
        rows = cursor.fetchall()

    corrections = _aging_corrections(invoices, as_of)
    if not corrections:
        customers = [
            AgingRow(codes[cid], currency, a, b, c, d, e, customer_id, number, name)
            for customer_id, currency, a, b, c, d, e, number, name, cid in rows
        ]
    else:
        sums = {(r[0], r[1]): (list(r[2:7]), r[7], r[8], r[9]) for r in rows}
        unnamed = {key[0] for key in corrections if key not in sums}
        names = {
            pk: (number, name, cid)
            for pk, number, name, cid in Customer.objects.filter(pk__in=unnamed).values_list(
                "id", "number", "name", "creditor_id"
            )
        }
        for key, amounts in corrections.items():
            if key in sums:
                current = sums[key][0]
                for i, amount in enumerate(amounts):
                    current[i] += amount
            else:
                sums[key] = (amounts, *names[key[0]])
        customers = [
            AgingRow(codes[cid], currency, *amounts, customer_id, number, name)
            for (customer_id, currency), (amounts, number, name, cid) in sums.items()
            if any(amounts)
        ]
        # most overdue first (the key is computed once per row, not per comparison)
        customers.sort(key=lambda r: (-r.overdue, -r.total, r.customer_number))

    totals: dict[tuple[str, str], list[int]] = {}
    for row in customers:
        total = totals.get((row.creditor_code, row.currency))
        if total is None:
            total = totals[(row.creditor_code, row.currency)] = [0, 0, 0, 0, 0]
        total[0] += row.not_due
        total[1] += row.d1_30
        total[2] += row.d31_60
        total[3] += row.d61_90
        total[4] += row.d90_plus
    return AgingReport(
        as_of=as_of,
        totals=[
            AgingRow(code, currency, *amounts)
            for (code, currency), amounts in sorted(totals.items())
        ],
        customers=customers,
    )


def _aging_corrections(
    invoices: QuerySet[Invoice], as_of: date
) -> dict[tuple[int, str], list[int]]:
    """What the kept open amounts miss on ``as_of``, per (customer, currency) and bucket.

    Paid after ``as_of``: it was still open then. Instalment schedules: each part ages by its
    own due date. Both are rare, so these are small queries beside the grouped pass.
    """
    sums: dict[tuple[int, str], list[int]] = {}

    def add(key: tuple[int, str], amounts: Iterable[int]) -> None:
        current = sums.get(key)
        if current is None:
            sums[key] = list(amounts)
        else:
            for i, amount in enumerate(amounts):
                current[i] += amount

    for customer_id, currency, *amounts in (
        Allocation.objects.filter(
            date__gt=as_of, invoice__in=invoices.filter(has_instalments=False)
        )
        .values("invoice__customer_id", "invoice__currency")
        .annotate(**_bucket_sums("amount_minor", "invoice__due_date", as_of))
        .order_by()
        .values_list("invoice__customer_id", "invoice__currency", *_KEYS)
    ):
        add((customer_id, currency), amounts)

    scheduled = invoices.filter(has_instalments=True)
    corrected = set(
        Allocation.objects.filter(date__gt=as_of, invoice__in=scheduled).values_list(
            "invoice_id", flat=True
        )
    )
    for customer_id, currency, *amounts in (
        InvoiceInstalment.objects.filter(invoice__in=scheduled, open_minor__gt=0)
        .exclude(invoice_id__in=corrected)
        .values("invoice__customer_id", "invoice__currency")
        .annotate(**_bucket_sums("open_minor", "due_date", as_of))
        .order_by()
        .values_list("invoice__customer_id", "invoice__currency", *_KEYS)
    ):
        add((customer_id, currency), amounts)
    for invoice, part_opens in _instalments_open_as_of(corrected, as_of):
        for part, open_minor in part_opens:
            index = BUCKETS.index(bucket_for(part.due_date, as_of))
            add(
                (invoice.customer_id, invoice.currency),
                [open_minor if i == index else 0 for i in range(5)],
            )
    return sums


def _instalments_open_as_of(
    invoice_ids: Iterable[int], as_of: date
) -> list[tuple[Invoice, list[tuple[InvoiceInstalment, int]]]]:
    """Parts of scheduled invoices as they stood on ``as_of`` (rare: paid after that day)."""
    ids = list(invoice_ids)
    if not ids:
        return []
    paid = dict(
        Allocation.objects.filter(invoice_id__in=ids, date__lte=as_of)
        .values("invoice_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("invoice_id", "total")
    )
    by_invoice: dict[int, list[InvoiceInstalment]] = defaultdict(list)
    for part in InvoiceInstalment.objects.filter(invoice_id__in=ids).order_by(
        "invoice_id", "due_date", "sequence"
    ):
        by_invoice[part.invoice_id].append(part)
    result = []
    for invoice in Invoice.objects.filter(pk__in=ids):
        parts = by_invoice[invoice.pk]
        opens = settle_in_order([p.amount_minor for p in parts], paid.get(invoice.pk, 0))
        result.append((invoice, [(p, o) for p, o in zip(parts, opens, strict=True) if o]))
    return result


def top_overdue_customers(
    *, as_of: date, creditor: Creditor | None = None, limit: int = 10
) -> list[AgingRow]:
    report = aging_report(as_of=as_of, creditor=creditor)
    return [row for row in report.customers if row.overdue > 0][:limit]


# -- DSO --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dso:
    as_of: date
    currency: str
    receivables_minor: int
    sales_minor: int
    period_days: int
    standard: Decimal | None
    countback: Decimal | None


@dataclass(frozen=True)
class DsoPoint:
    month_end: date
    standard: Decimal | None
    countback: Decimal | None


def receivables_as_of(
    *, as_of: date, creditor: Creditor | None = None, currency: str = "EUR"
) -> int:
    """Total still open on invoices (minor units) at the end of ``as_of``."""
    invoices = Invoice.objects.exclude(status=Invoice.Status.CANCELLED).filter(
        issue_date__lte=as_of, currency=currency
    )
    if creditor is not None:
        invoices = invoices.filter(creditor=creditor)
    open_now = invoices.filter(status=Invoice.Status.OPEN).aggregate(s=Sum("open_minor"))["s"] or 0
    later = (
        Allocation.objects.filter(date__gt=as_of, invoice__in=invoices).aggregate(
            s=Sum("amount_minor")
        )["s"]
        or 0
    )
    return int(open_now) + int(later)


def _sales(creditor: Creditor | None, currency: str, first: date, last: date) -> int:
    invoices = Invoice.objects.exclude(status=Invoice.Status.CANCELLED).filter(
        issue_date__gte=first, issue_date__lte=last, currency=currency
    )
    if creditor is not None:
        invoices = invoices.filter(creditor=creditor)
    return int(invoices.aggregate(s=Sum("gross_minor"))["s"] or 0)


def _month_back(day: date) -> date:
    """The same day one month earlier; a month's last day steps to the previous month's last day.

    So periods ending on a month end are whole calendar months, as in a monthly report.
    """
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    last = calendar.monthrange(year, month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return date(year, month, last)
    return date(year, month, min(day.day, last))


def dso(
    *, as_of: date, creditor: Creditor | None = None, period_days: int = 90, months_back: int = 12
) -> Dso:
    """DSO on ``as_of`` in the creditor's currency: standard over ``period_days``, and countback."""
    currency = creditor.currency if creditor is not None else "EUR"
    receivables = receivables_as_of(as_of=as_of, creditor=creditor, currency=currency)
    sales = _sales(creditor, currency, as_of - timedelta(days=period_days - 1), as_of)
    periods: list[tuple[int, int]] = []
    end = as_of
    for _ in range(months_back):
        start = _month_back(end) + timedelta(days=1)
        periods.append(((end - start).days + 1, _sales(creditor, currency, start, end)))
        end = start - timedelta(days=1)
    return Dso(
        as_of=as_of,
        currency=currency,
        receivables_minor=receivables,
        sales_minor=sales,
        period_days=period_days,
        standard=dso_standard(receivables=receivables, sales=sales, days=period_days),
        countback=dso_countback(receivables=receivables, periods=periods),
    )


def dso_trend(*, as_of: date, creditor: Creditor | None = None, months: int = 12) -> list[DsoPoint]:
    """DSO at the end of each of the last ``months`` months, oldest first, ending with as_of."""
    points: list[DsoPoint] = []
    day = as_of
    for _ in range(months):
        figure = dso(as_of=day, creditor=creditor)
        points.append(DsoPoint(month_end=day, standard=figure.standard, countback=figure.countback))
        day = date(day.year, day.month, 1) - timedelta(days=1)
    return list(reversed(points))


# -- one customer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenItem:
    """Something on the customer's account not yet settled; credits are negative."""

    kind: str  # "invoice", "instalment", "credit_note", "payment"
    number: str
    date: date
    due_date: date | None
    currency: str
    gross_minor: int
    open_minor: int
    days_overdue: int
    payment_reference: str = ""
    invoice_id: int | None = None

    @property
    def bucket(self) -> Bucket | None:
        return bucket_for(self.due_date, self.date) if self.due_date else None


def _allocated_until(as_of: date, field_name: str) -> Subquery:
    return Subquery(
        Allocation.objects.filter(**{field_name: OuterRef("pk")}, date__lte=as_of)
        .values(field_name)
        .annotate(s=Sum("amount_minor"))
        .values("s")[:1]
    )


def customer_open_items(*, customer: Customer, as_of: date) -> list[OpenItem]:
    """Open invoices (instalments separately), open credit notes and unallocated payments."""
    items: list[OpenItem] = []
    invoices = (
        Invoice.objects.filter(customer=customer, issue_date__lte=as_of)
        .exclude(status=Invoice.Status.CANCELLED)
        .annotate(allocated=Coalesce(_allocated_until(as_of, "invoice"), 0))
        .annotate(open_then=F("gross_minor") - F("allocated"))
        .filter(open_then__gt=0)
        .order_by("due_date", "number")
    )
    scheduled: list[Invoice] = []
    for inv in invoices:
        if inv.has_instalments:
            scheduled.append(inv)
            continue
        items.append(
            OpenItem(
                kind="invoice",
                number=inv.number,
                date=inv.issue_date,
                due_date=inv.due_date,
                currency=inv.currency,
                gross_minor=inv.gross_minor,
                open_minor=inv.open_then,
                days_overdue=max(0, (as_of - inv.due_date).days),
                payment_reference=inv.payment_reference,
                invoice_id=inv.pk,
            )
        )
    for invoice, part_opens in _instalments_open_as_of([i.pk for i in scheduled], as_of):
        for part, open_minor in part_opens:
            items.append(
                OpenItem(
                    kind="instalment",
                    number=f"{invoice.number}/{part.sequence}",
                    date=invoice.issue_date,
                    due_date=part.due_date,
                    currency=invoice.currency,
                    gross_minor=part.amount_minor,
                    open_minor=open_minor,
                    days_overdue=max(0, (as_of - part.due_date).days),
                    payment_reference=invoice.payment_reference,
                    invoice_id=invoice.pk,
                )
            )
    notes = (
        CreditNote.objects.filter(customer=customer, issue_date__lte=as_of)
        .exclude(status=CreditNote.Status.CANCELLED)
        .annotate(allocated=Coalesce(_allocated_until(as_of, "credit_note"), 0))
        .annotate(open_then=F("gross_minor") - F("allocated"))
        .filter(open_then__gt=0)
    )
    items.extend(
        OpenItem(
            kind="credit_note",
            number=n.number,
            date=n.issue_date,
            due_date=None,
            currency=n.currency,
            gross_minor=-n.gross_minor,
            open_minor=-n.open_then,
            days_overdue=0,
        )
        for n in notes
    )
    charges = (
        Charge.objects.filter(customer=customer, claimed_on__lte=as_of)
        .exclude(status=Charge.Status.WRITTEN_OFF, written_off_on__lte=as_of)
        .annotate(allocated=Coalesce(_allocated_until(as_of, "charge"), 0))
        .annotate(open_then=F("gross_minor") - F("allocated"))
        .filter(open_then__gt=0)
        .select_related("invoice")
    )
    items.extend(
        OpenItem(
            kind=f"charge_{c.kind}",
            number=f"{c.invoice.number if c.invoice else c.reference}: {c.get_kind_display()}",
            date=c.claimed_on,
            due_date=c.claimed_on,
            currency=c.currency,
            gross_minor=c.gross_minor,
            open_minor=c.open_then,
            days_overdue=max(0, (as_of - c.claimed_on).days),
        )
        for c in charges
    )
    payments = (
        Payment.objects.filter(customer=customer, date__lte=as_of)
        .annotate(allocated=Coalesce(_allocated_until(as_of, "payment"), 0))
        .annotate(open_then=F("amount_minor") - F("allocated"))
        .filter(open_then__gt=0)
    )
    items.extend(
        OpenItem(
            kind="payment",
            number=p.number,
            date=p.date,
            due_date=None,
            currency=p.currency,
            gross_minor=-p.amount_minor,
            open_minor=-p.open_then,
            days_overdue=0,
            payment_reference=p.reference,
        )
        for p in payments
    )
    items.sort(key=lambda i: (i.due_date or i.date, i.number))
    return items


@dataclass(frozen=True)
class StatementLine:
    date: date
    kind: str
    number: str
    description: str
    currency: str
    debit_minor: int
    credit_minor: int
    balance_minor: int


@dataclass(frozen=True)
class Statement:
    """Rekeningoverzicht: every movement on the account in date order, with a running balance."""

    customer: Customer
    as_of: date
    since: date | None
    currency: str
    opening_minor: int
    lines: list[StatementLine]

    @property
    def closing_minor(self) -> int:
        return self.lines[-1].balance_minor if self.lines else self.opening_minor


def customer_statement(
    *, customer: Customer, as_of: date, since: date | None = None, currency: str | None = None
) -> Statement:
    """Invoices (debit), credit notes and payments (credit) up to ``as_of``, from ``since``.

    Allocations move nothing on a statement: the balance is what was invoiced minus what was
    credited or paid, which is the figure the customer can check against their own books.
    """
    currency = currency or customer.creditor.currency
    movements: list[tuple[date, int, str, str, str, int, int]] = []
    for inv in Invoice.objects.filter(
        customer=customer, currency=currency, issue_date__lte=as_of
    ).exclude(status=Invoice.Status.CANCELLED):
        movements.append(
            (inv.issue_date, 0, "invoice", inv.number, inv.description, inv.gross_minor, 0)
        )
    for note in CreditNote.objects.filter(
        customer=customer, currency=currency, issue_date__lte=as_of
    ).exclude(status=CreditNote.Status.CANCELLED):
        movements.append(
            (note.issue_date, 1, "credit_note", note.number, note.description, 0, note.gross_minor)
        )
    charges = Charge.objects.filter(
        customer=customer, currency=currency, claimed_on__lte=as_of
    ).annotate(allocated=Coalesce(Sum("allocations__amount_minor"), 0))
    for charge in charges.select_related("invoice"):
        about = f" ({charge.invoice.number})" if charge.invoice else ""
        label = f"{charge.get_kind_display()}{about}"
        movements.append(
            (
                charge.claimed_on,
                0,
                f"charge_{charge.kind}",
                charge.reference,
                label,
                charge.gross_minor,
                0,
            )
        )
        if (
            charge.status == Charge.Status.WRITTEN_OFF
            and charge.written_off_on
            and charge.written_off_on <= as_of
        ):
            written_off = charge.gross_minor - charge.allocated
            movements.append(
                (
                    charge.written_off_on,
                    3,
                    "write_off",
                    charge.reference,
                    f"written off: {charge.write_off_reason}",
                    0,
                    written_off,
                )
            )
    for pay in Payment.objects.filter(customer=customer, currency=currency, date__lte=as_of):
        movements.append(
            (
                pay.date,
                2,
                "payment",
                pay.number,
                pay.reference or pay.payer_name,
                0,
                pay.amount_minor,
            )
        )
    movements.sort(key=lambda m: (m[0], m[1], m[3]))
    opening = sum(m[5] - m[6] for m in movements if since is not None and m[0] < since)
    balance = opening
    lines: list[StatementLine] = []
    for day, _, kind, number, description, debit, credit in movements:
        if since is not None and day < since:
            continue
        balance += debit - credit
        lines.append(
            StatementLine(day, kind, number, description, currency, debit, credit, balance)
        )
    return Statement(
        customer=customer,
        as_of=as_of,
        since=since,
        currency=currency,
        opening_minor=opening,
        lines=lines,
    )


# -- integrity --------------------------------------------------------------------------------


def ledger_integrity_problems(*, creditor: Creditor | None = None) -> list[str]:
    """Every kept open amount that disagrees with its allocations; [] when the ledger is sound."""

    def scoped(qs: QuerySet) -> QuerySet:  # type: ignore[type-arg]
        return qs.filter(creditor=creditor) if creditor is not None else qs

    def allocated(field_name: str) -> Coalesce:
        return Coalesce(
            Subquery(
                Allocation.objects.filter(**{field_name: OuterRef("pk")})
                .values(field_name)
                .annotate(s=Sum("amount_minor"))
                .values("s")[:1]
            ),
            0,
        )

    problems: list[str] = []
    for inv in (
        scoped(Invoice.objects.all())
        .annotate(allocated=allocated("invoice"))
        .exclude(open_minor=F("gross_minor") - F("allocated"))
    ):
        problems.append(
            f"invoice {inv.number}: open {inv.open_minor} but gross {inv.gross_minor} - allocated {inv.allocated}"
        )
    for pay in (
        scoped(Payment.objects.all())
        .annotate(allocated=allocated("payment"))
        .exclude(unallocated_minor=F("amount_minor") - F("allocated"))
    ):
        problems.append(
            f"payment {pay.number}: unallocated {pay.unallocated_minor} but amount {pay.amount_minor} - allocated {pay.allocated}"
        )
    for note in (
        scoped(CreditNote.objects.all())
        .annotate(allocated=allocated("credit_note"))
        .exclude(open_minor=F("gross_minor") - F("allocated"))
    ):
        problems.append(
            f"credit note {note.number}: open {note.open_minor} but gross {note.gross_minor} - allocated {note.allocated}"
        )
    for charge in (
        scoped(Charge.objects.all())
        .annotate(allocated=allocated("charge"))
        .exclude(status=Charge.Status.WRITTEN_OFF)
        .exclude(open_minor=F("gross_minor") - F("allocated"))
    ):
        problems.append(
            f"charge {charge.reference}: open {charge.open_minor} but gross {charge.gross_minor} - allocated {charge.allocated}"
        )
    parts = (
        InvoiceInstalment.objects.values("invoice_id")
        .annotate(amount=Sum("amount_minor"), open=Sum("open_minor"))
        .order_by()
    )
    if creditor is not None:
        parts = parts.filter(invoice__creditor=creditor)
    scheduled = {
        i.pk: i
        for i in scoped(Invoice.objects.filter(has_instalments=True)).only(
            "pk", "number", "gross_minor", "open_minor"
        )
    }
    seen = set()
    for agg in parts:
        invoice = scheduled.get(agg["invoice_id"])
        seen.add(agg["invoice_id"])
        if invoice is None:
            continue
        if agg["amount"] != invoice.gross_minor or agg["open"] != invoice.open_minor:
            problems.append(
                f"invoice {invoice.number}: instalments total {agg['amount']} open {agg['open']}, "
                f"invoice gross {invoice.gross_minor} open {invoice.open_minor}"
            )
    for invoice_id in set(scheduled) - seen:
        problems.append(
            f"invoice {scheduled[invoice_id].number}: marked as scheduled but has no instalments"
        )
    return problems
