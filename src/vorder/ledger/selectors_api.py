"""Reads behind the REST API's list and detail endpoints.

Every read is scoped to one creditor: the API passes the creditor of the request's token and
nothing here can reach past it. Lists are ordered by primary key, which is stable while new
records arrive, so paging with limit/offset neither skips nor repeats older records.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import QuerySet

from vorder.ledger.models import CreditNote, Creditor, Customer, Invoice, Payment


def customer_list(
    *,
    creditor: Creditor,
    kind: str | None = None,
    on_hold: bool | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Customer]:
    customers = Customer.objects.filter(creditor=creditor).prefetch_related("contacts")
    if kind:
        customers = customers.filter(kind=kind)
    if on_hold is not None:
        customers = customers.filter(on_hold=on_hold)
    if updated_since is not None:
        customers = customers.filter(updated_at__gte=updated_since)
    return customers.order_by("pk")


def customer_get(*, creditor: Creditor, number: str) -> Customer | None:
    return customer_list(creditor=creditor).filter(number=number).first()


def invoice_list(
    *,
    creditor: Creditor,
    status: str | None = None,
    customer_number: str | None = None,
    currency: str | None = None,
    due_before: date | None = None,
    due_after: date | None = None,
    issued_before: date | None = None,
    issued_after: date | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Invoice]:
    """Invoices of one creditor; the date bounds are exclusive (``due_before=today``: overdue)."""
    invoices = Invoice.objects.filter(creditor=creditor)
    if status:
        invoices = invoices.filter(status=status)
    if customer_number:
        invoices = invoices.filter(customer__number=customer_number)
    if currency:
        invoices = invoices.filter(currency=currency)
    if due_before is not None:
        invoices = invoices.filter(due_date__lt=due_before)
    if due_after is not None:
        invoices = invoices.filter(due_date__gt=due_after)
    if issued_before is not None:
        invoices = invoices.filter(issue_date__lt=issued_before)
    if issued_after is not None:
        invoices = invoices.filter(issue_date__gt=issued_after)
    if updated_since is not None:
        invoices = invoices.filter(updated_at__gte=updated_since)
    return invoices.select_related("customer").prefetch_related("instalments").order_by("pk")


def invoice_get(*, creditor: Creditor, number: str) -> Invoice | None:
    return invoice_list(creditor=creditor).filter(number=number).first()


def credit_note_list(
    *,
    creditor: Creditor,
    status: str | None = None,
    customer_number: str | None = None,
    issued_before: date | None = None,
    issued_after: date | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[CreditNote]:
    notes = CreditNote.objects.filter(creditor=creditor)
    if status:
        notes = notes.filter(status=status)
    if customer_number:
        notes = notes.filter(customer__number=customer_number)
    if issued_before is not None:
        notes = notes.filter(issue_date__lt=issued_before)
    if issued_after is not None:
        notes = notes.filter(issue_date__gt=issued_after)
    if updated_since is not None:
        notes = notes.filter(updated_at__gte=updated_since)
    return notes.select_related("customer", "original_invoice").order_by("pk")


def credit_note_get(*, creditor: Creditor, number: str) -> CreditNote | None:
    return credit_note_list(creditor=creditor).filter(number=number).first()


def payment_list(
    *,
    creditor: Creditor,
    customer_number: str | None = None,
    paid_before: date | None = None,
    paid_after: date | None = None,
    unallocated: bool | None = None,
    created_since: datetime | None = None,
) -> QuerySet[Payment]:
    """Payments of one creditor; ``unallocated=True``: those with money not yet allocated."""
    payments = Payment.objects.filter(creditor=creditor)
    if customer_number:
        payments = payments.filter(customer__number=customer_number)
    if paid_before is not None:
        payments = payments.filter(date__lt=paid_before)
    if paid_after is not None:
        payments = payments.filter(date__gt=paid_after)
    if unallocated is True:
        payments = payments.filter(unallocated_minor__gt=0)
    elif unallocated is False:
        payments = payments.filter(unallocated_minor=0)
    if created_since is not None:
        payments = payments.filter(created_at__gte=created_since)
    return payments.select_related("customer").order_by("pk")


def payment_get(*, creditor: Creditor, number: str) -> Payment | None:
    return payment_list(creditor=creditor).filter(number=number).first()
