"""/api/v1/customers: customers (debtors) and their open items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Status

from vorder.api.auth import creditor_of
from vorder.api.common import PageQuery, Resource, page, summary, upsert_bulk, upsert_one
from vorder.api.errors import not_found
from vorder.api.render import customer_json, open_item_json
from vorder.api.schemas import (
    CustomerBulkItem,
    CustomerOut,
    CustomerPut,
    ErrorOut,
    OpenItemsOut,
    Page,
    UpsertSummary,
)
from vorder.ledger.models import Creditor, Customer
from vorder.ledger.records import CustomerRecord, parse_customer
from vorder.ledger.selectors import customer_open_items
from vorder.ledger.selectors_api import customer_get, customer_list
from vorder.ledger.services.upserts import customers_upsert

router = Router(tags=["customers"])

CUSTOMERS: Resource[CustomerRecord] = Resource(
    noun="customer",
    parse=lambda row, creditor: parse_customer(row, currency=creditor.currency),
    upsert=lambda creditor, records: customers_upsert(creditor=creditor, records=records),
)


class CustomerQuery(PageQuery):
    kind: Literal["b2b", "b2c"] | None = Field(None, description="b2b or b2c")
    on_hold: bool | None = None
    updated_since: datetime | None = Field(None, description="changed at or after (ISO 8601)")


def _customer(creditor: Creditor, number: str) -> Customer:
    customer = customer_get(creditor=creditor, number=number)
    if customer is None:
        raise not_found("customer", number)
    return customer


@router.get("/customers", response=Page[CustomerOut], summary="List customers")
def list_customers(request: HttpRequest, query: Query[CustomerQuery]) -> dict[str, Any]:
    creditor = creditor_of(request)
    customers = customer_list(
        creditor=creditor,
        kind=query.kind,
        on_hold=query.on_hold,
        updated_since=query.updated_since,
    )
    return page(customers, query, lambda c: customer_json(c, creditor.currency))


@router.post(
    "/customers/bulk",
    response={200: UpsertSummary, 422: ErrorOut},
    summary="Create or update many customers (all or nothing)",
)
def bulk_customers(request: HttpRequest, items: list[CustomerBulkItem]) -> dict[str, int]:
    return summary(upsert_bulk(request, CUSTOMERS, items))


@router.get(
    "/customers/{path:number}/open-items",
    response={200: OpenItemsOut, 404: ErrorOut},
    summary="A customer's open items",
    description=(
        "Open invoices (instalments separately), open credit notes and unallocated payments as "
        "they stood at the end of `as_of` (default: today in the creditor's time zone). Credit "
        "notes and payments have negative amounts."
    ),
)
def open_items(request: HttpRequest, number: str, as_of: date | None = None) -> dict[str, Any]:
    creditor = creditor_of(request)
    customer = _customer(creditor, number)
    day = as_of or timezone.now().astimezone(ZoneInfo(creditor.time_zone)).date()
    items = customer_open_items(customer=customer, as_of=day)
    return {"customer": customer.number, "as_of": day, "items": [open_item_json(i) for i in items]}


@router.get(
    "/customers/{path:number}",
    response={200: CustomerOut, 404: ErrorOut},
    summary="Get a customer by number",
)
def get_customer(request: HttpRequest, number: str) -> dict[str, Any]:
    creditor = creditor_of(request)
    return customer_json(_customer(creditor, number), creditor.currency)


@router.put(
    "/customers/{path:number}",
    response={200: CustomerOut, 201: CustomerOut, 422: ErrorOut},
    summary="Create or update a customer",
    description="201 when created, 200 when updated or unchanged. Fields left out keep their value.",
)
def put_customer(request: HttpRequest, number: str, payload: CustomerPut) -> Status[dict[str, Any]]:
    result = upsert_one(request, CUSTOMERS, number, payload)
    creditor = creditor_of(request)
    status = 201 if result.created else 200
    return Status(status, customer_json(_customer(creditor, number), creditor.currency))
