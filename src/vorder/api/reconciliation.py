"""/api/v1/reconciliation, /statement-lines and /returns: the reconciliation queue by script.

What a collector does on the workspace's bank pages: read the credits that matching could not
book on its own, and decide each one — accept a suggestion, split it over invoices by hand, put
it on a customer's account, or ignore it with a reason. Every line is shown by
``statement_lines_json``, so ``vorder bank ... --json`` and the API answer with the same object.
Decisions are audited as ``api:<token name>``; the matching services decide what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Field, Query, Router, Schema

from vorder.api.auth import creditor_of, token_of
from vorder.api.common import PageQuery, page
from vorder.api.errors import ApiError, ApiFieldError, invalid
from vorder.api.schemas import Amount, ErrorOut, Input
from vorder.banking.matching import (
    LineNotQueued,
    ReconciliationError,
    reconciliation_accept,
    reconciliation_allocate_manual,
    reconciliation_ignore,
    reconciliation_queue,
    reconciliation_to_account,
)
from vorder.banking.models import StatementLine
from vorder.banking.selectors import returned_lines, statement_lines_json
from vorder.common.audit import acting_as
from vorder.domain.money import Money
from vorder.ledger.models import Creditor, Customer, Invoice
from vorder.ledger.records import read_amount
from vorder.ledger.services.allocations import AllocationError

router = Router(tags=["reconciliation"])

RETURNS_DAYS = 30
"""How far back ``GET /returns`` looks without ``since`` (as the workspace's returns page)."""


# -- bodies -----------------------------------------------------------------------------------


class CustomerRefOut(Schema):
    number: str
    name: str


class SuggestedAllocationOut(Schema):
    invoice: str
    amount: str


class SuggestionOut(Schema):
    number: int = Field(description="1, 2, 3: what `accept` takes as `suggestion`")
    outcome: str
    customer: CustomerRefOut | None
    allocations: list[SuggestedAllocationOut]
    on_account: str | None = Field(description="what would stay on the customer's account")
    confidence: float
    explanation: str


class StatementLineOut(Schema):
    id: int
    statement: int = Field(description="id of the bank statement (see GET /statements)")
    booking_date: date
    value_date: date | None
    amount: str = Field(description="positive for a credit, negative for a debit")
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance_info: str
    structured_reference: str
    end_to_end_id: str
    status: str = Field(
        description="new, matched, partially_matched, queued, ignored, returned, foreign_currency"
    )
    customer: CustomerRefOut | None
    confidence: float | None = Field(description="the matcher's confidence, 0 to 1")
    explanation: str
    reverses: int | None = Field(description="a return: the id of the line it takes back")
    suggestions: list[SuggestionOut]


class StatementLinePage(Schema):
    count: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[StatementLineOut]


class AcceptIn(Input):
    suggestion: int = Field(1, ge=1, description="the suggestion's number (from 1)")


class AllocationIn(Input):
    invoice: str = Field(description="the invoice's number")
    amount: Amount = Field(description="what of the payment goes to this invoice")


class AllocateIn(Input):
    allocations: list[AllocationIn] = Field(
        description="invoices of one customer, each with its part; the rest stays on account"
    )


class OnAccountIn(Input):
    customer: str = Field(description="the customer's (debtor) number")


class IgnoreIn(Input):
    reason: str = Field(max_length=500, description="why this is not a customer's payment")


class ReturnsQuery(PageQuery):
    since: date | None = Field(
        None, description=f"booked on or after; default {RETURNS_DAYS} days ago"
    )


DECISION_ERRORS: dict[int | str, type[Schema]] = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# -- helpers ----------------------------------------------------------------------------------


def _today(creditor: Creditor) -> date:
    return timezone.now().astimezone(ZoneInfo(creditor.time_zone)).date()


def _line(creditor: Creditor, line_id: int) -> StatementLine:
    """A statement line of the token's creditor; another creditor's is as good as absent."""
    line = StatementLine.objects.filter(creditor=creditor, pk=line_id).first()
    if line is None:
        raise ApiError(404, f"there is no statement line {line_id}")
    return line


def _page_of_lines(lines: QuerySet[StatementLine], query: PageQuery) -> dict[str, Any]:
    """The list envelope of ``page``; the page's lines are rendered together, in one call of
    ``statement_lines_json`` (one query for all their customers, not one per line)."""
    envelope = page(lines, query, lambda line: {"line": line})
    envelope["items"] = statement_lines_json([item["line"] for item in envelope["items"]])
    return envelope


def _decide(
    request: HttpRequest,
    line: StatementLine,
    field: str,
    decision: Callable[[StatementLine, str], object],
) -> dict[str, Any]:
    """Run one queue decision as ``api:<token name>``; answer with the line as it is now.

    A line that is not waiting (decided already, or no credit) is 409; any other refusal is
    422, naming ``field``, the part of the request the refusal is about.
    """
    actor = f"api:{token_of(request).name}"
    try:
        with acting_as(user_id=None, name=actor):
            decision(line, actor)
    except LineNotQueued as exc:
        raise ApiError(409, str(exc)) from exc
    except (ReconciliationError, AllocationError) as exc:
        raise invalid(str(exc), [ApiFieldError(field, str(exc))]) from exc
    line.refresh_from_db()
    [row] = statement_lines_json([line])
    return row


# -- reading ----------------------------------------------------------------------------------


@router.get(
    "/reconciliation",
    response=StatementLinePage,
    summary="The reconciliation queue",
    description="Credits that wait for a person, oldest first, with up to three suggestions each.",
)
def list_queue(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    return _page_of_lines(reconciliation_queue(creditor=creditor_of(request)), query)


@router.get(
    "/returns",
    response=StatementLinePage,
    summary="Returned direct debits and reversed payments",
    description=(
        "Lines that took money back, booked on or after `since` (default: 30 days before today "
        "in the creditor's time zone), newest first; `reverses` names the credit they undo."
    ),
)
def list_returns(request: HttpRequest, query: Query[ReturnsQuery]) -> dict[str, Any]:
    creditor = creditor_of(request)
    since = query.since or _today(creditor) - timedelta(days=RETURNS_DAYS)
    return _page_of_lines(returned_lines(creditor=creditor, since=since), query)


@router.get(
    "/statement-lines/{id}",
    response={200: StatementLineOut, 404: ErrorOut},
    summary="One statement line, whatever its status",
)
def get_line(request: HttpRequest, id: int) -> dict[str, Any]:
    [row] = statement_lines_json([_line(creditor_of(request), id)])
    return row


# -- deciding ---------------------------------------------------------------------------------


@router.post(
    "/statement-lines/{id}/accept",
    response={200: StatementLineOut, **DECISION_ERRORS},
    summary="Book one of a queued line's suggestions",
    description="`suggestion` is the suggestion's `number` (default 1, the best).",
)
def accept(request: HttpRequest, id: int, payload: Body[AcceptIn | None] = None) -> dict[str, Any]:
    line = _line(creditor_of(request), id)
    number = payload.suggestion if payload is not None else 1
    return _decide(
        request,
        line,
        "suggestion",
        lambda line, user: reconciliation_accept(line=line, suggestion_index=number - 1, user=user),
    )


@router.post(
    "/statement-lines/{id}/allocate",
    response={200: StatementLineOut, **DECISION_ERRORS},
    summary="Split a queued line over invoices by hand",
    description=(
        "Invoices of one customer, each with the part of the payment it gets; together at most "
        "the payment. What is left stays on the customer's account."
    ),
)
def allocate(request: HttpRequest, id: int, payload: AllocateIn) -> dict[str, Any]:
    creditor = creditor_of(request)
    line = _line(creditor, id)
    numbers = {part.invoice for part in payload.allocations}
    invoices = {i.number: i for i in Invoice.objects.filter(creditor=creditor, number__in=numbers)}
    allocations: list[tuple[Invoice, Money]] = []
    errors: list[ApiFieldError] = []
    for n, part in enumerate(payload.allocations):
        invoice = invoices.get(part.invoice)
        if invoice is None:
            errors.append(
                ApiFieldError(f"allocations[{n}].invoice", f"unknown invoice '{part.invoice}'")
            )
        try:
            amount = Money.of(read_amount(part.amount, line.currency), line.currency)
        except ValueError as exc:
            errors.append(ApiFieldError(f"allocations[{n}].amount", str(exc)))
            continue
        if amount.minor <= 0:
            errors.append(ApiFieldError(f"allocations[{n}].amount", "must be more than 0"))
        elif invoice is not None:
            allocations.append((invoice, amount))
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise invalid(f"the allocations have {len(errors)} {noun}; nothing was booked", errors)
    return _decide(
        request,
        line,
        "allocations",
        lambda line, user: reconciliation_allocate_manual(
            line=line, allocations=allocations, user=user
        ),
    )


@router.post(
    "/statement-lines/{id}/on-account",
    response={200: StatementLineOut, **DECISION_ERRORS},
    summary="Put a queued line on a customer's account",
    description="The money is the customer's but pays no invoice yet: credit on account.",
)
def on_account(request: HttpRequest, id: int, payload: OnAccountIn) -> dict[str, Any]:
    creditor = creditor_of(request)
    line = _line(creditor, id)
    number = payload.customer.strip()
    customer = Customer.objects.filter(creditor=creditor, number__iexact=number).first()
    if customer is None:
        raise invalid(
            "the request has 1 error",
            [ApiFieldError("customer", f"unknown customer '{number}'")],
        )
    return _decide(
        request,
        line,
        "customer",
        lambda line, user: reconciliation_to_account(line=line, customer=customer, user=user),
    )


@router.post(
    "/statement-lines/{id}/ignore",
    response={200: StatementLineOut, **DECISION_ERRORS},
    summary="Take a queued line out of the queue: not a customer's payment",
    description="A refund, an internal transfer: the line leaves the queue with the reason.",
)
def ignore(request: HttpRequest, id: int, payload: IgnoreIn) -> dict[str, Any]:
    return _decide(
        request,
        _line(creditor_of(request), id),
        "reason",
        lambda line, user: reconciliation_ignore(line=line, user=user, reason=payload.reason),
    )
