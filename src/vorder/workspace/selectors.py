"""Reads only the workspace needs (shared ledger reads live in ``vorder.ledger.selectors``)."""

from __future__ import annotations

from django.db.models import BigIntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from vorder.ledger.models import Creditor, Customer, Invoice


def customer_search(*, query: str = "", creditor: Creditor | None = None) -> QuerySet[Customer]:
    """Customers matching the words typed, with what is open on their invoices today.

    Every word must match one of number, name, city, email, VAT or CoC number, so "bakker
    utrecht" finds the baker in Utrecht. The open amount is a correlated sum in the creditor's
    currency, evaluated only for the page being shown.
    """
    customers = Customer.objects.select_related("creditor")
    if creditor is not None:
        customers = customers.filter(creditor=creditor)
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
