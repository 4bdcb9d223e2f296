"""Reads of SEPA direct debit that the faces and the batch service share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from vorder.banking.directdebit.models import DirectDebitBatch, DirectDebitCollection, Mandate
from vorder.banking.directdebit.rules import return_reason
from vorder.ledger.models import Creditor, Invoice, InvoiceInstalment


@dataclass(frozen=True, slots=True)
class CollectableItem:
    invoice_id: int
    invoice_number: str
    customer_id: int
    customer_number: str
    customer_country: str
    customer_language: str
    payment_reference: str
    due_date: date
    amount_minor: int
    earlier_collections: int


def collectable_items(*, creditor: Creditor, collection_date: date) -> list[CollectableItem]:
    """Open EUR invoices of customers with an active mandate, due on or before the collection
    date, in no pending and no returned collection. An invoice with an instalment schedule is
    collected for its instalments due by then (what is open of them), not for the whole.

    One query, whatever the size of the ledger; expiry of the mandates is the caller's to check.
    """
    active_mandate = Mandate.objects.filter(
        creditor=creditor, customer=OuterRef("customer_id"), status=Mandate.Status.ACTIVE
    )
    blocked = DirectDebitCollection.objects.filter(
        invoice=OuterRef("pk"),
        status__in=[DirectDebitCollection.Status.PENDING, DirectDebitCollection.Status.RETURNED],
    )
    due_instalments = InvoiceInstalment.objects.filter(
        invoice=OuterRef("pk"), due_date__lte=collection_date, open_minor__gt=0
    )
    instalments_due = (
        due_instalments.values("invoice").annotate(total=Sum("open_minor")).values("total")
    )
    earlier = (
        DirectDebitCollection.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Invoice.objects.filter(creditor=creditor, status=Invoice.Status.OPEN, currency="EUR")
        .filter(Exists(active_mandate))
        .exclude(Exists(blocked))
        .filter(
            Q(has_instalments=False, due_date__lte=collection_date)
            | Q(Q(has_instalments=True) & Exists(due_instalments))
        )
        .annotate(
            instalments_due=Subquery(instalments_due, output_field=IntegerField()),
            earlier=Coalesce(Subquery(earlier, output_field=IntegerField()), 0),
        )
        .order_by("customer_id", "due_date", "number")
        .values_list(
            "pk",
            "number",
            "customer_id",
            "customer__number",
            "customer__country",
            "customer__language",
            "payment_reference",
            "due_date",
            "open_minor",
            "has_instalments",
            "instalments_due",
            "earlier",
        )  # fmt: skip
    )
    items = []
    for (pk, number, customer_id, customer_number, country, language, reference, due, open_minor,
         has_instalments, instalments_open, earlier_count) in rows:  # fmt: skip
        amount = min(open_minor, instalments_open or 0) if has_instalments else open_minor
        if amount > 0:
            items.append(
                CollectableItem(pk, number, customer_id, customer_number, country, language,
                                reference, due, amount, earlier_count)
            )  # fmt: skip
    return items


def mandates_for(*, creditor: Creditor, status: str | None = None) -> QuerySet[Mandate]:
    query = Mandate.objects.filter(creditor=creditor).select_related("customer")
    if status:
        query = query.filter(status=status)
    return query.order_by("customer__number", "mandate_id")


def batches_for(*, creditor: Creditor) -> QuerySet[DirectDebitBatch]:
    return DirectDebitBatch.objects.filter(creditor=creditor).order_by("-collection_date", "-id")


@dataclass(frozen=True, slots=True)
class ReturnedCollection:
    returned_on: date
    customer_number: str
    customer_name: str
    invoice_number: str
    amount_minor: int
    currency: str
    reason_code: str
    reason: str
    mandate_id: str
    mandate_revoked: bool


def recent_returns(*, creditor: Creditor, since: date) -> list[ReturnedCollection]:
    """Collections that came back since ``since``, newest first: whom a collector should call."""
    rows = (
        DirectDebitCollection.objects.filter(
            creditor=creditor, status=DirectDebitCollection.Status.RETURNED, returned_on__gte=since
        )
        .select_related("invoice", "mandate", "mandate__customer")
        .order_by("-returned_on", "-id")
    )
    return [
        ReturnedCollection(
            returned_on=c.returned_on,  # type: ignore[arg-type]
            customer_number=c.mandate.customer.number,
            customer_name=c.mandate.customer.name,
            invoice_number=c.invoice.number,
            amount_minor=c.amount_minor,
            currency=c.currency,
            reason_code=c.return_reason,
            reason=return_reason(c.return_reason).description,
            mandate_id=c.mandate.mandate_id,
            mandate_revoked=c.mandate.status == Mandate.Status.REVOKED,
        )
        for c in rows
    ]
