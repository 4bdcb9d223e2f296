"""/api/v1/credit-notes: credit notes, by the creditor's credit note number."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from vorder.api.auth import creditor_of
from vorder.api.common import PageQuery, Resource, page, summary, upsert_bulk, upsert_one
from vorder.api.errors import not_found
from vorder.api.render import credit_note_json
from vorder.api.schemas import (
    CreditNoteBulkItem,
    CreditNoteOut,
    CreditNotePut,
    ErrorOut,
    Page,
    UpsertSummary,
)
from vorder.ledger.models import CreditNote, Creditor
from vorder.ledger.records import CreditNoteRecord, parse_credit_note
from vorder.ledger.selectors_api import credit_note_get, credit_note_list
from vorder.ledger.services.upserts import credit_notes_upsert

router = Router(tags=["credit notes"])

CREDIT_NOTES: Resource[CreditNoteRecord] = Resource(
    noun="credit note",
    parse=lambda row, creditor: parse_credit_note(row, default_currency=creditor.currency),
    upsert=lambda creditor, records: credit_notes_upsert(
        creditor=creditor, records=records, source="api"
    ),
)


class CreditNoteQuery(PageQuery):
    status: Literal["open", "settled", "cancelled"] | None = Field(
        None, description="open, settled or cancelled"
    )
    customer: str | None = Field(None, description="the customer's number")
    issued_before: date | None = Field(None, description="issue date strictly before")
    issued_after: date | None = Field(None, description="issue date strictly after")
    updated_since: datetime | None = Field(None, description="changed at or after (ISO 8601)")


def _credit_note(creditor: Creditor, number: str) -> CreditNote:
    note = credit_note_get(creditor=creditor, number=number)
    if note is None:
        raise not_found("credit note", number)
    return note


@router.get("/credit-notes", response=Page[CreditNoteOut], summary="List credit notes")
def list_credit_notes(request: HttpRequest, query: Query[CreditNoteQuery]) -> dict[str, Any]:
    notes = credit_note_list(
        creditor=creditor_of(request),
        status=query.status,
        customer_number=query.customer,
        issued_before=query.issued_before,
        issued_after=query.issued_after,
        updated_since=query.updated_since,
    )
    return page(notes, query, credit_note_json)


@router.post(
    "/credit-notes/bulk",
    response={200: UpsertSummary, 422: ErrorOut},
    summary="Create or update many credit notes (all or nothing)",
)
def bulk_credit_notes(request: HttpRequest, items: list[CreditNoteBulkItem]) -> dict[str, int]:
    return summary(upsert_bulk(request, CREDIT_NOTES, items))


@router.get(
    "/credit-notes/{path:number}",
    response={200: CreditNoteOut, 404: ErrorOut},
    summary="Get a credit note by number",
)
def get_credit_note(request: HttpRequest, number: str) -> dict[str, Any]:
    return credit_note_json(_credit_note(creditor_of(request), number))


@router.put(
    "/credit-notes/{path:number}",
    response={200: CreditNoteOut, 201: CreditNoteOut, 422: ErrorOut},
    summary="Create or update a credit note",
    description=(
        "201 when created, 200 when updated or unchanged. Fields left out keep their value. "
        "A credit note naming the invoice it corrects is allocated to that invoice."
    ),
)
def put_credit_note(
    request: HttpRequest, number: str, payload: CreditNotePut
) -> Status[dict[str, Any]]:
    result = upsert_one(request, CREDIT_NOTES, number, payload)
    status = 201 if result.created else 200
    return Status(status, credit_note_json(_credit_note(creditor_of(request), number)))
