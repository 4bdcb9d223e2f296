"""Afletteren: payments and credit notes settling invoices.

The open amounts on invoices, instalments, payments and credit notes are derived from the
allocation rows and kept in the same transaction as those rows. Everything goes through
``allocations_apply``, which works on a whole batch with a handful of queries (bank imports and
demo data allocate thousands at once) and refuses the whole batch when any part would
over-allocate, so nothing is half-written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F, Max, OuterRef, Subquery

from vorder.common.audit import audit_bulk
from vorder.common.db import AnyOf, create_objects, key_chunk, update_rows
from vorder.common.models import AuditEntry
from vorder.domain.money import Money
from vorder.domain.settlement import settle_in_order
from vorder.ledger.models import (
    Allocation,
    Charge,
    CreditNote,
    Creditor,
    Invoice,
    InvoiceInstalment,
    Payment,
)

# What allocating reads and writes of each row it locks, and what names it in a message.
_FIELDS: dict[str, tuple[str, ...]] = {
    "Invoice": (
        "creditor_id", "customer_id", "number", "currency", "status", "open_minor", "gross_minor",
        "due_date", "paid_on", "days_late", "has_instalments",
    ),
    "Charge": ("creditor_id", "customer_id", "currency", "status", "open_minor"),
    "Payment": ("creditor_id", "customer_id", "number", "currency", "unallocated_minor"),
    "CreditNote": ("creditor_id", "customer_id", "number", "currency", "status", "open_minor"),
}  # fmt: skip
_LABELS: dict[str, tuple[str, ...]] = {
    "Invoice": ("number",),
    "Charge": ("kind", "reference"),  # as Charge.__str__: "Interest 2026-INT-1"
    "Payment": ("number",),
    "CreditNote": ("number",),
}


class AllocationError(ValueError):
    """The allocation breaks a ledger rule (currency, customer, creditor, amount)."""


class OverAllocationError(AllocationError):
    """More would be allocated than is open on the invoice, payment or credit note."""


@dataclass(frozen=True, slots=True)
class AllocationRequest:
    """Settle ``amount_minor`` of an invoice (or a claimed charge) from a payment or credit note."""

    invoice_id: int | None
    amount_minor: int
    date: date
    payment_id: int | None = None
    credit_note_id: int | None = None
    charge_id: int | None = None


@transaction.atomic
def allocations_apply(
    *, creditor: Creditor, requests: Sequence[AllocationRequest]
) -> list[Allocation]:
    """Book a batch of allocations, all or nothing."""
    if not requests:
        return []
    for r in requests:
        if r.amount_minor <= 0:
            raise AllocationError("an allocation amount must be positive")
        if (r.payment_id is None) == (r.credit_note_id is None):
            raise AllocationError("an allocation comes from exactly one payment or credit note")
        if (r.invoice_id is None) == (r.charge_id is None):
            raise AllocationError("an allocation settles exactly one invoice or charge")

    invoices = _locked(Invoice, {r.invoice_id for r in requests if r.invoice_id})
    charges = _locked(Charge, {r.charge_id for r in requests if r.charge_id})
    payments = _locked(Payment, {r.payment_id for r in requests if r.payment_id})
    credit_notes = _locked(CreditNote, {r.credit_note_id for r in requests if r.credit_note_id})

    per_invoice: dict[int, int] = defaultdict(int)
    per_charge: dict[int, int] = defaultdict(int)
    per_payment: dict[int, int] = defaultdict(int)
    per_credit_note: dict[int, int] = defaultdict(int)
    for r in requests:
        target = invoices.get(r.invoice_id) if r.invoice_id else charges.get(r.charge_id)  # type: ignore[arg-type]
        what = f"invoice id {r.invoice_id}" if r.invoice_id else f"charge id {r.charge_id}"
        if target is None or target.creditor_id != creditor.pk:
            raise AllocationError(f"{what} does not belong to {creditor.code}")
        if r.invoice_id and target.status == Invoice.Status.CANCELLED:
            raise AllocationError(f"invoice {target.number} is cancelled")
        if r.charge_id and target.status == Charge.Status.WRITTEN_OFF:
            raise AllocationError(f"{target} is written off")
        invoice = target  # the checks below read the same for an invoice and a charge
        if r.payment_id:
            source = payments[r.payment_id]
            per_payment[source.pk] += r.amount_minor
        else:
            source = credit_notes[r.credit_note_id]  # type: ignore[index]
            per_credit_note[source.pk] += r.amount_minor
        if source.creditor_id != creditor.pk:
            raise AllocationError(f"{source} does not belong to {creditor.code}")
        if source.currency != invoice.currency:
            raise AllocationError(
                f"{source} is in {source.currency}, {_name(r, invoice)} in {invoice.currency}"
            )
        if source.customer_id not in (None, invoice.customer_id):
            raise AllocationError(f"{source} and {_name(r, invoice)} have different customers")
        if r.payment_id and source.customer_id is None:
            # An unknown payer becomes known by what the money paid.
            source.customer_id = invoice.customer_id
        if r.invoice_id:
            per_invoice[invoice.pk] += r.amount_minor
        else:
            per_charge[invoice.pk] += r.amount_minor

    for invoice_id, amount in per_invoice.items():
        invoice = invoices[invoice_id]
        if amount > invoice.open_minor:
            raise OverAllocationError(
                f"invoice {invoice.number}: {_fmt(amount, invoice.currency)} exceeds the open "
                f"{_fmt(invoice.open_minor, invoice.currency)}"
            )
    for charge_id, amount in per_charge.items():
        charge = charges[charge_id]
        if amount > charge.open_minor:
            raise OverAllocationError(
                f"{charge}: {_fmt(amount, charge.currency)} exceeds the open "
                f"{_fmt(charge.open_minor, charge.currency)}"
            )
    for payment_id, amount in per_payment.items():
        payment = payments[payment_id]
        if amount > payment.unallocated_minor:
            raise OverAllocationError(
                f"payment {payment.number}: {_fmt(amount, payment.currency)} exceeds the "
                f"unallocated {_fmt(payment.unallocated_minor, payment.currency)}"
            )
    for credit_note_id, amount in per_credit_note.items():
        note = credit_notes[credit_note_id]
        if amount > note.open_minor:
            raise OverAllocationError(
                f"credit note {note.number}: {_fmt(amount, note.currency)} exceeds the open "
                f"{_fmt(note.open_minor, note.currency)}"
            )

    allocations = [
        Allocation(
            creditor_id=creditor.pk,
            invoice_id=r.invoice_id,
            charge_id=r.charge_id,
            payment_id=r.payment_id,
            credit_note_id=r.credit_note_id,
            amount_minor=r.amount_minor,
            currency=(invoices[r.invoice_id] if r.invoice_id else charges[r.charge_id]).currency,  # type: ignore[index]
            date=r.date,
        )
        for r in requests
    ]
    create_objects(allocations)
    _settle_charges(charges, per_charge, sign=-1)
    settled_on: dict[int, date] = {}
    for r in requests:
        if r.invoice_id:
            settled_on[r.invoice_id] = max(r.date, settled_on.get(r.invoice_id, r.date))
    _adjust(
        invoices, payments, credit_notes, per_invoice, per_payment, per_credit_note,
        sign=-1, settled_on=settled_on,
    )  # fmt: skip
    audit_bulk(
        AuditEntry.build(
            creditor_id=creditor.pk,
            obj=invoices[r.invoice_id] if r.invoice_id else charges[r.charge_id],  # type: ignore[index]
            action=AuditEntry.Action.UPDATE,
            changes={
                "allocation": [None, _fmt(r.amount_minor, creditor.currency)],
                "from": [
                    None,
                    f"payment {r.payment_id}"
                    if r.payment_id
                    else f"credit note {r.credit_note_id}",
                ],
            },
        )
        for r in requests
    )
    return allocations


def payment_allocate(
    *, payment: Payment, invoice: Invoice, amount: Money | None = None, on: date | None = None
) -> Allocation:
    """Allocate (part of) a payment to one invoice; by default as much as both allow."""
    minor = (
        amount.minor if amount is not None else min(payment.unallocated_minor, invoice.open_minor)
    )
    [allocation] = allocations_apply(
        creditor=payment.creditor,
        requests=[
            AllocationRequest(
                invoice_id=invoice.pk,
                amount_minor=minor,
                date=on or payment.date,
                payment_id=payment.pk,
            )
        ],
    )
    return allocation


def credit_note_allocate(
    *, credit_note: CreditNote, invoice: Invoice, amount: Money | None = None
) -> Allocation:
    minor = amount.minor if amount is not None else min(credit_note.open_minor, invoice.open_minor)
    [allocation] = allocations_apply(
        creditor=credit_note.creditor,
        requests=[
            AllocationRequest(
                invoice_id=invoice.pk,
                amount_minor=minor,
                date=credit_note.issue_date,
                credit_note_id=credit_note.pk,
            )
        ],
    )
    return allocation


@transaction.atomic
def allocations_reverse(*, allocations: Iterable[Allocation], reason: str) -> int:
    """Undo allocations (a returned direct debit, a reversed bank booking, a wrong match).

    The invoices open again and the payments' money is unallocated again; the audit trail keeps
    what was undone and why.
    """
    rows = list(Allocation.objects.select_for_update().filter(pk__in=[a.pk for a in allocations]))
    if not rows:
        return 0
    invoices = _locked(Invoice, {a.invoice_id for a in rows if a.invoice_id})
    charges = _locked(Charge, {a.charge_id for a in rows if a.charge_id})
    payments = _locked(Payment, {a.payment_id for a in rows if a.payment_id})
    credit_notes = _locked(CreditNote, {a.credit_note_id for a in rows if a.credit_note_id})
    per_invoice: dict[int, int] = defaultdict(int)
    per_charge: dict[int, int] = defaultdict(int)
    per_payment: dict[int, int] = defaultdict(int)
    per_credit_note: dict[int, int] = defaultdict(int)
    for a in rows:
        if a.invoice_id:
            per_invoice[a.invoice_id] += a.amount_minor
        else:
            per_charge[a.charge_id] += a.amount_minor  # type: ignore[index]
        if a.payment_id:
            per_payment[a.payment_id] += a.amount_minor
        else:
            per_credit_note[a.credit_note_id] += a.amount_minor  # type: ignore[index]
    audit_bulk(
        AuditEntry.build(
            creditor_id=a.creditor_id,
            obj=invoices[a.invoice_id] if a.invoice_id else charges[a.charge_id],  # type: ignore[index]
            action=AuditEntry.Action.UPDATE,
            changes={
                "allocation reversed": [_fmt(a.amount_minor, a.currency), None],
                "reason": [None, reason],
            },
        )
        for a in rows
    )
    Allocation.objects.filter(pk__in=[a.pk for a in rows]).delete()
    _settle_charges(charges, per_charge, sign=+1)
    _adjust(invoices, payments, credit_notes, per_invoice, per_payment, per_credit_note, sign=+1)
    return len(rows)


# -- internals --------------------------------------------------------------------------------
class _Row:
    """A locked invoice, charge, payment or credit note: the columns allocating reads and writes.

    Plain objects, not model instances: a bank import locks 200,000 rows, and building a model
    instance each cost it seconds. ``str()`` and ``_meta`` are those of the model, for messages
    and the audit trail.
    """

    __slots__ = ("_meta", "pk", "label", *{f for fields in _FIELDS.values() for f in fields})

    def __str__(self) -> str:
        return self.label

    def __getattr__(self, name: str) -> Any:  # only reached for a column not loaded
        raise AttributeError(f"{self._meta.object_name} row: {name} is not loaded")


def _locked(model: type, ids: set[int]) -> dict[int, Any]:
    """The rows, locked against a concurrent allocation, in slices the database takes."""
    found: dict[int, Any] = {}
    keys = sorted(ids)
    fields = _FIELDS[model.__name__]
    label = _LABELS[model.__name__]
    for start in range(0, len(keys), key_chunk()):
        rows = (
            model.objects.select_for_update()  # type: ignore[attr-defined]
            .filter(AnyOf(F("pk"), keys[start : start + key_chunk()]))
            .values_list("pk", *label, *fields)
        )
        for pk, *values in rows:
            row = _Row()
            row._meta = model._meta
            row.pk = pk
            row.label = _label(model, values[: len(label)])
            for name, value in zip(fields, values[len(label) :], strict=True):
                setattr(row, name, value)
            found[pk] = row
    return found


def _label(model: type, values: Sequence[Any]) -> str:
    if model is Charge:
        kind, reference = values
        return f"{Charge.Kind(kind).label} {reference}"
    return str(values[0])


def _adjust(
    invoices: dict[int, _Row],
    payments: dict[int, _Row],
    credit_notes: dict[int, _Row],
    per_invoice: dict[int, int],
    per_payment: dict[int, int],
    per_credit_note: dict[int, int],
    *,
    sign: int,
    settled_on: dict[int, date] | None = None,
) -> None:
    """Move open amounts by the allocated sums (sign -1 to allocate, +1 to reverse).

    An invoice that becomes paid records the day and how late that was: the payment history
    that tone, scores and predictions read.
    """
    for invoice_id, amount in per_invoice.items():
        invoice = invoices[invoice_id]
        invoice.open_minor += sign * amount
        if invoice.status != Invoice.Status.CANCELLED:
            invoice.status = Invoice.Status.PAID if invoice.open_minor == 0 else Invoice.Status.OPEN
        if invoice.open_minor == 0 and settled_on and invoice_id in settled_on:
            invoice.paid_on = settled_on[invoice_id]
            invoice.days_late = (invoice.paid_on - invoice.due_date).days
        elif invoice.open_minor > 0:
            invoice.paid_on = invoice.days_late = None
    update_rows(
        Invoice,
        ["open_minor", "status", "paid_on", "days_late"],
        [(i, invoices[i].open_minor, invoices[i].status, invoices[i].paid_on, invoices[i].days_late)
         for i in per_invoice],
    )  # fmt: skip
    for payment_id, amount in per_payment.items():
        payments[payment_id].unallocated_minor += sign * amount
    update_rows(
        Payment,
        ["unallocated_minor", "customer"],
        [(p, payments[p].unallocated_minor, payments[p].customer_id) for p in per_payment],
    )
    for credit_note_id, amount in per_credit_note.items():
        note = credit_notes[credit_note_id]
        note.open_minor += sign * amount
        if note.status != CreditNote.Status.CANCELLED:
            note.status = (
                CreditNote.Status.SETTLED if note.open_minor == 0 else CreditNote.Status.OPEN
            )
    update_rows(
        CreditNote,
        ["open_minor", "status"],
        [(c, credit_notes[c].open_minor, credit_notes[c].status) for c in per_credit_note],
    )
    instalment_recompute(invoices=[invoices[i] for i in per_invoice if invoices[i].has_instalments])


def _settle_charges(charges: dict[int, _Row], per_charge: dict[int, int], *, sign: int) -> None:
    for charge_id, amount in per_charge.items():
        charge = charges[charge_id]
        charge.open_minor += sign * amount
        charge.status = Charge.Status.PAID if charge.open_minor == 0 else Charge.Status.OPEN
    update_rows(
        Charge,
        ["open_minor", "status"],
        [(c, charges[c].open_minor, charges[c].status) for c in per_charge],
    )


def _name(request: AllocationRequest, target: _Row) -> str:
    return f"invoice {target.number}" if request.invoice_id else str(target)


def instalment_recompute(*, invoices: Sequence[Invoice | _Row]) -> None:
    """Spread each invoice's paid amount over its instalments, earliest due first."""
    if not invoices:
        return
    by_invoice: dict[int, list[InvoiceInstalment]] = defaultdict(list)
    ids = [invoice.pk for invoice in invoices]
    for part in InvoiceInstalment.objects.filter(invoice_id__in=ids).order_by(
        "invoice_id", "due_date", "sequence"
    ):
        by_invoice[part.invoice_id].append(part)
    changed: list[InvoiceInstalment] = []
    for invoice in invoices:
        parts = by_invoice.get(invoice.pk, [])
        opens = settle_in_order(
            [p.amount_minor for p in parts], invoice.gross_minor - invoice.open_minor
        )
        for part, open_minor in zip(parts, opens, strict=True):
            if part.open_minor != open_minor:
                part.open_minor = open_minor
                changed.append(part)
    update_rows(InvoiceInstalment, ["open_minor"], [(p.pk, p.open_minor) for p in changed])


def invoices_refresh_paid_on(*, creditor: Creditor) -> int:
    """Set paid_on/days_late of paid invoices from their allocations, in one statement.

    For data that was loaded in bulk without going through allocations_apply (demo data, a
    migration from another system).
    """
    last = (
        Allocation.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(d=Max("date"))
        .values("d")[:1]
    )
    updated = Invoice.objects.filter(
        creditor=creditor, status=Invoice.Status.PAID, paid_on__isnull=True
    ).update(paid_on=Subquery(last))
    rows = list(
        Invoice.objects.filter(
            creditor=creditor, paid_on__isnull=False, days_late__isnull=True
        ).only("pk", "paid_on", "due_date")
    )
    for invoice in rows:
        invoice.days_late = (invoice.paid_on - invoice.due_date).days  # type: ignore[operator]
    Invoice.objects.bulk_update(rows, ["days_late"], batch_size=5000)
    return updated


def _fmt(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))
