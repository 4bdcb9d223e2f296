"""/api/v1/invoices: invoices, by the creditor's invoice number."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from vorder.api.auth import creditor_of
from vorder.api.common import PageQuery, Resource, page, summary, upsert_bulk, upsert_one
from vorder.api.errors import not_found
from vorder.api.render import invoice_json
from vorder.api.schemas import (
    ErrorOut,
    InvoiceBulkItem,
    InvoiceOut,
    InvoicePut,
    Page,
    UpsertSummary,
)
from vorder.ledger.models import Creditor, Invoice
from vorder.ledger.records import InvoiceRecord, parse_invoice
from vorder.ledger.selectors_api import invoice_get, invoice_list
from vorder.ledger.services.upserts import invoices_upsert

router = Router(tags=["invoices"])

INVOICES: Resource[InvoiceRecord] = Resource(
    noun="invoice",
    parse=lambda row, creditor: parse_invoice(row, default_currency=creditor.currency),
    upsert=lambda creditor, records: invoices_upsert(
        creditor=creditor, records=records, source="api"
    ),
)


class InvoiceQuery(PageQuery):
    status: Literal["open", "paid", "cancelled"] | None = Field(
        None, description="open, paid or cancelled"
    )
    customer: str | None = Field(None, description="the customer's number")
    currency: str | None = None
    due_before: date | None = Field(None, description="due date strictly before (today: overdue)")
    due_after: date | None = Field(None, description="due date strictly after")
    issued_before: date | None = Field(None, description="issue date strictly before")
    issued_after: date | None = Field(None, description="issue date strictly after")
    updated_since: datetime | None = Field(None, description="changed at or after (ISO 8601)")


def _invoice(creditor: Creditor, number: str) -> Invoice:
    invoice = invoice_get(creditor=creditor, number=number)
    if invoice is None:
        raise not_found("invoice", number)
    return invoice


@router.get("/invoices", response=Page[InvoiceOut], summary="List invoices")
def list_invoices(request: HttpRequest, query: Query[InvoiceQuery]) -> dict[str, Any]:
    invoices = invoice_list(
        creditor=creditor_of(request),
        status=query.status,
        customer_number=query.customer,
        currency=query.currency,
        due_before=query.due_before,
        due_after=query.due_after,
        issued_before=query.issued_before,
        issued_after=query.issued_after,
        updated_since=query.updated_since,
    )
    return page(invoices, query, invoice_json)


@router.post(
    "/invoices/bulk",
    response={200: UpsertSummary, 422: ErrorOut},
    summary="Create or update many invoices (all or nothing)",
)
def bulk_invoices(request: HttpRequest, items: list[InvoiceBulkItem]) -> dict[str, int]:
    return summary(upsert_bulk(request, INVOICES, items))


@router.get(
    "/invoices/{path:number}",
    response={200: InvoiceOut, 404: ErrorOut},
    summary="Get an invoice by number",
)
def get_invoice(request: HttpRequest, number: str) -> dict[str, Any]:
    return invoice_json(_invoice(creditor_of(request), number))


@router.put(
    "/invoices/{path:number}",
    response={200: InvoiceOut, 201: InvoiceOut, 422: ErrorOut},
    summary="Create or update an invoice",
    description="201 when created, 200 when updated or unchanged. Fields left out keep their value.",
)
def put_invoice(request: HttpRequest, number: str, payload: InvoicePut) -> Status[dict[str, Any]]:
    result = upsert_one(request, INVOICES, number, payload)
    status = 201 if result.created else 200
    return Status(status, invoice_json(_invoice(creditor_of(request), number)))
