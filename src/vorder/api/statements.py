"""/api/v1/statements: upload bank statements (CAMT.053, MT940, CODA, ZIP) and list them.

The upload answers with the same object as ``vorder import statement --json`` (docs/banking.md):
200 when the file was imported (or, with ``dry_run``, would be), 422 with the same object and its
``errors`` when it was refused. Importing the same file again books nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from vorder.api.auth import creditor_of, token_of
from vorder.api.common import PageQuery, page
from vorder.banking.models import BankStatement
from vorder.banking.selectors import statement_list
from vorder.banking.services import statement_file_import
from vorder.common.audit import acting_as
from vorder.domain.money import Money

router = Router(tags=["bank statements"])

MAX_UPLOAD = 50 * 1024 * 1024


class StatementAllocationOut(Schema):
    line: str
    invoice: str
    amount: str
    confidence: float
    explanation: str


class StatementErrorOut(Schema):
    file: str
    row: int
    field: str
    message: str


class StatementImportOut(Schema):
    statements: int = Field(description="statements stored (seen-before ones are not counted)")
    lines: int = Field(description="lines booked now (lines booked before are skipped)")
    credits: int = Field(description="credits in the creditor's currency: a payment each")
    auto_matched: int
    queued: int = Field(description="credits left for the reconciliation queue")
    allocations: list[StatementAllocationOut]
    errors: list[StatementErrorOut]


class StatementOut(Schema):
    id: int
    account: str
    statement_id: str
    sequence_number: str
    format: str
    period_from: date | None
    period_to: date | None
    currency: str
    opening_balance: str
    closing_balance: str
    lines: int
    file_name: str
    imported_at: datetime
    imported_by: str


class StatementPage(Schema):
    count: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[StatementOut]


def _statement_json(statement: BankStatement) -> dict[str, Any]:
    currency = statement.currency
    return {
        "id": statement.pk,
        "account": statement.account.iban,
        "statement_id": statement.statement_id,
        "sequence_number": statement.sequence_number,
        "format": statement.format,
        "period_from": statement.period_from,
        "period_to": statement.period_to,
        "currency": currency,
        "opening_balance": str(Money.from_minor(statement.opening_balance_minor, currency).amount),
        "closing_balance": str(Money.from_minor(statement.closing_balance_minor, currency).amount),
        "lines": getattr(statement, "line_count", 0),
        "file_name": statement.file_name,
        "imported_at": statement.imported_at,
        "imported_by": statement.imported_by,
    }


@router.post(
    "/statements",
    response={200: StatementImportOut, 422: StatementImportOut},
    summary="Import a bank statement file",
    description=(
        "Upload one file as multipart form field `file`: CAMT.053, MT940, CODA or a ZIP of them "
        "(recognised from the content). All or nothing per file; a statement whose balances do "
        "not add up is refused. `dry_run=true` checks and matches without booking. "
        "`create_account=true` accepts statements of accounts vorder does not know yet."
    ),
)
def upload_statement(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: bool = Query(False),  # type: ignore[type-arg]
    create_account: bool = Query(False),  # type: ignore[type-arg]
) -> Status[dict[str, Any]]:
    token = token_of(request)
    content = file.read(MAX_UPLOAD + 1)
    name = file.name or "upload"
    if len(content) > MAX_UPLOAD:
        error = {"file": name, "row": 0, "field": "file", "message": "the file is too large"}
        body = {"statements": 0, "lines": 0, "credits": 0, "auto_matched": 0, "queued": 0,
                "allocations": [], "errors": [error]}  # fmt: skip
        return Status(422, body)
    with acting_as(user_id=None, name=f"api:{token.name}"):
        result = statement_file_import(
            creditor=token.creditor,
            name=name,
            content=content,
            dry_run=dry_run,
            create_accounts=create_account,
        )
    return Status(422 if result.errors else 200, result.as_json())


@router.get("/statements", response=StatementPage, summary="List imported bank statements")
def list_statements(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    return page(statement_list(creditor=creditor_of(request)), query, _statement_json)
