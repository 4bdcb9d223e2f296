"""/api/v1/payments: payments received, by a number unique per creditor (e.g. the bank's id)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from vorder.api.auth import creditor_of
from vorder.api.common import PageQuery, Resource, page, summary, upsert_bulk, upsert_one
from vorder.api.errors import not_found
from vorder.api.render import payment_json
from vorder.api.schemas import (
    ErrorOut,
    Page,
    PaymentBulkItem,
    PaymentOut,
    PaymentPut,
    UpsertSummary,
)
from vorder.ledger.models import Creditor, Payment
from vorder.ledger.records import PaymentRecord, parse_payment
from vorder.ledger.selectors_api import payment_get, payment_list
from vorder.ledger.services.upserts import payments_upsert

router = Router(tags=["payments"])

PAYMENTS: Resource[PaymentRecord] = Resource(
    noun="payment",
    parse=lambda row, creditor: parse_payment(row, default_currency=creditor.currency),
    upsert=lambda creditor, records: payments_upsert(
        creditor=creditor, records=records, source=Payment.Source.API
    ),
    renames={"invoices": "invoice"},
)


class PaymentQuery(PageQuery):
    customer: str | None = Field(None, description="the customer's number")
    paid_before: date | None = Field(None, description="payment date strictly before")
    paid_after: date | None = Field(None, description="payment date strictly after")
    unallocated: bool | None = Field(
        None, description="true: with money not yet allocated; false: fully allocated"
    )
    created_since: datetime | None = Field(None, description="recorded at or after (ISO 8601)")


def _payment(creditor: Creditor, number: str) -> Payment:
    payment = payment_get(creditor=creditor, number=number)
    if payment is None:
        raise not_found("payment", number)
    return payment


@router.get("/payments", response=Page[PaymentOut], summary="List payments")
def list_payments(request: HttpRequest, query: Query[PaymentQuery]) -> dict[str, Any]:
    payments = payment_list(
        creditor=creditor_of(request),
        customer_number=query.customer,
        paid_before=query.paid_before,
        paid_after=query.paid_after,
        unallocated=query.unallocated,
        created_since=query.created_since,
    )
    return page(payments, query, payment_json)


@router.post(
    "/payments/bulk",
    response={200: UpsertSummary, 422: ErrorOut},
    summary="Create or update many payments (all or nothing)",
)
def bulk_payments(request: HttpRequest, items: list[PaymentBulkItem]) -> dict[str, int]:
    return summary(upsert_bulk(request, PAYMENTS, items))


@router.get(
    "/payments/{path:number}",
    response={200: PaymentOut, 404: ErrorOut},
    summary="Get a payment by number",
)
def get_payment(request: HttpRequest, number: str) -> dict[str, Any]:
    return payment_json(_payment(creditor_of(request), number))


@router.put(
    "/payments/{path:number}",
    response={200: PaymentOut, 201: PaymentOut, 422: ErrorOut},
    summary="Record or update a payment",
    description=(
        "201 when created, 200 when updated or unchanged. A payment naming invoices, or "
        "carrying the structured reference of one, is allocated to them as far as they are "
        "open; the rest stays unallocated (credit on account)."
    ),
)
def put_payment(request: HttpRequest, number: str, payload: PaymentPut) -> Status[dict[str, Any]]:
    result = upsert_one(request, PAYMENTS, number, payload)
    status = 201 if result.created else 200
    return Status(status, payment_json(_payment(creditor_of(request), number)))
