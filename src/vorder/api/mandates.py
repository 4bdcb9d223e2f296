"""/api/v1/mandates: SEPA direct debit mandates — list, register, amend, revoke.

What the workspace's mandate pages and ``vorder directdebit mandates`` do. A mandate is known by
its mandate id, unique per creditor. Field names are those of ``vorder directdebit mandates list
--json`` (``iban``, ``bic``, ``name`` for the account holder, ``sequence_type``), in requests and
answers alike; the direct debit services check every value and name the field that is wrong.
Changes are audited as ``api:<token name>``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from vorder.api.auth import creditor_of, token_of
from vorder.api.common import PageQuery, page
from vorder.api.errors import ApiError, ApiFieldError, invalid
from vorder.api.schemas import DateText, ErrorOut, Input, Page
from vorder.banking.directdebit.models import Mandate, Scheme
from vorder.banking.directdebit.selectors import mandates_for
from vorder.banking.directdebit.services import (
    DirectDebitError,
    MandateError,
    mandate_amend,
    mandate_create,
    mandate_revoke,
)
from vorder.common.audit import acting_as
from vorder.ledger.models import Creditor, Customer
from vorder.ledger.records import parse_date

router = Router(tags=["direct debit mandates"])

#: The services' field names where the API (like the CLI) calls them otherwise.
API_FIELDS = {"debtor_iban": "iban", "debtor_bic": "bic", "debtor_name": "name"}

SchemeText = Annotated[
    str, WithJsonSchema({"type": "string", "enum": list(Scheme.values), "default": "CORE"})
]
SequenceText = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "enum": ["FRST", "RCUR", "OOFF"],
            "default": "FRST",
            "description": "FRST: new recurring mandate; RCUR: taken over from another system "
            "that collected under it already; OOFF: one-off",
        }
    ),
]


# -- bodies -----------------------------------------------------------------------------------


class MandateOut(Schema):
    mandate_id: str
    customer: str = Field(description="the customer's (debtor) number")
    name: str = Field(description="the account holder")
    iban: str
    bic: str
    scheme: str = Field(description="CORE or B2B")
    sequence_type: str = Field(description="FRST, RCUR, OOFF or FNAL: of the next collection")
    status: str = Field(description="active, revoked, expired or completed")
    signed_on: date
    last_collection_on: date | None
    returned_on: date | None = Field(description="the last collection that came back")
    return_reason: str | None = Field(description="its return code, e.g. AM04")
    revoked_on: date | None
    revoke_reason: str | None
    amendment_pending: bool = Field(
        description="the next collection tells the debtor's bank of an amendment"
    )
    original_mandate_id: str | None = Field(description="before a pending amendment")
    original_iban: str | None = Field(description="before a pending amendment")
    created_at: datetime
    updated_at: datetime


class MandateQuery(PageQuery):
    status: Literal["active", "revoked", "expired", "completed"] | None = Field(
        None, description="active, revoked, expired or completed"
    )
    customer: str | None = Field(None, description="the customer's number")


class MandateIn(Input):
    customer: str = Field(description="the customer's (debtor) number")
    mandate_id: str = Field(description="1 to 35 characters, unique per creditor")
    signed_on: DateText = Field(description="not after today")
    iban: str = Field(max_length=50, description="the account collected from (SEPA zone)")
    bic: str | None = Field(None, max_length=11, description="default: the bank's, from the IBAN")
    name: str | None = Field(
        None, max_length=70, description="the account holder; default the customer's name"
    )
    scheme: SchemeText = "CORE"
    sequence_type: SequenceText = "FRST"


class MandateAmendIn(Input):
    iban: str | None = Field(None, max_length=50, description="the debtor's new account")
    bic: str | None = Field(None, max_length=11, description="with iban: the new account's BIC")
    mandate_id: str | None = Field(None, description="the mandate's new id")


class MandateRevokeIn(Input):
    on: DateText = Field(description="the day the mandate was withdrawn")
    reason: str = Field(max_length=200)


# -- helpers ----------------------------------------------------------------------------------


def mandate_json(mandate: Mandate) -> dict[str, Any]:
    """A mandate; the keys of ``vorder directdebit mandates list --json`` and a few more."""
    return {
        "mandate_id": mandate.mandate_id,
        "customer": mandate.customer.number,
        "name": mandate.debtor_name,
        "iban": mandate.debtor_iban,
        "bic": mandate.debtor_bic,
        "scheme": mandate.scheme,
        "sequence_type": mandate.sequence_type,
        "status": mandate.status,
        "signed_on": mandate.signed_on,
        "last_collection_on": mandate.last_collection_on,
        "returned_on": mandate.returned_on,
        "return_reason": mandate.return_reason or None,
        "revoked_on": mandate.revoked_on,
        "revoke_reason": mandate.revoke_reason or None,
        "amendment_pending": mandate.amendment_pending,
        "original_mandate_id": mandate.original_mandate_id or None,
        "original_iban": mandate.original_debtor_iban or None,
        "created_at": mandate.created_at,
        "updated_at": mandate.updated_at,
    }


def _today(creditor: Creditor) -> date:
    return timezone.now().astimezone(ZoneInfo(creditor.time_zone)).date()


def _mandate(creditor: Creditor, mandate_id: str) -> Mandate:
    mandate = mandates_for(creditor=creditor).filter(mandate_id=mandate_id).first()
    if mandate is None:
        raise ApiError(404, f"there is no mandate with id '{mandate_id}'")
    return mandate


def _date(value: str, field: str, errors: list[ApiFieldError]) -> date | None:
    try:
        return parse_date(value)
    except ValueError as exc:
        errors.append(ApiFieldError(field, str(exc)))
        return None


def _refused(errors: list[ApiFieldError]) -> ApiError:
    noun = "error" if len(errors) == 1 else "errors"
    return invalid(f"the mandate has {len(errors)} {noun}; nothing was written", errors)


def _service_errors(exc: MandateError) -> list[ApiFieldError]:
    return [
        ApiFieldError(API_FIELDS.get(name, name), message) for name, message in exc.errors.items()
    ]


def _actor(request: HttpRequest) -> str:
    return f"api:{token_of(request).name}"


# -- endpoints --------------------------------------------------------------------------------


@router.get("/mandates", response=Page[MandateOut], summary="List direct debit mandates")
def list_mandates(request: HttpRequest, query: Query[MandateQuery]) -> dict[str, Any]:
    mandates = mandates_for(creditor=creditor_of(request), status=query.status)
    if query.customer:
        mandates = mandates.filter(customer__number=query.customer)
    # In the order they were registered, as every list of the API: paging stays stable.
    return page(mandates.order_by("pk"), query, mandate_json)


@router.post(
    "/mandates",
    response={201: MandateOut, 422: ErrorOut},
    summary="Register a signed mandate",
    description=(
        "The customer's signed permission to collect from `iban`. A customer has at most one "
        "active mandate; the B2B scheme is for businesses only. The account becomes known to "
        "matching as the customer's."
    ),
)
def create_mandate(request: HttpRequest, payload: MandateIn) -> Status[dict[str, Any]]:
    creditor = creditor_of(request)
    errors: list[ApiFieldError] = []
    customer = Customer.objects.filter(creditor=creditor, number=payload.customer).first()
    if customer is None:
        errors.append(ApiFieldError("customer", f"unknown customer '{payload.customer}'"))
    signed_on = _date(payload.signed_on, "signed_on", errors)
    if customer is None or signed_on is None:
        raise _refused(errors)
    try:
        with acting_as(user_id=None, name=_actor(request)):
            mandate = mandate_create(
                creditor=creditor,
                customer=customer,
                mandate_id=payload.mandate_id,
                signed_on=signed_on,
                debtor_iban=payload.iban,
                debtor_bic=payload.bic or "",
                debtor_name=payload.name or "",
                scheme=payload.scheme,
                sequence_type=payload.sequence_type,
                as_of=_today(creditor),
            )
    except MandateError as exc:
        raise _refused(_service_errors(exc)) from exc
    return Status(201, mandate_json(mandate))


@router.post(
    "/mandates/{path:mandate_id}/amend",
    response={200: MandateOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Amend an active mandate: a new account and/or a new mandate id",
    description=(
        "Give `iban` (and optionally `bic`), `mandate_id`, or both; what is left out stays. The "
        "next collection tells the debtor's bank (SEPA amendment). 409 when the mandate is no "
        "longer active."
    ),
)
def amend_mandate(request: HttpRequest, mandate_id: str, payload: MandateAmendIn) -> dict[str, Any]:
    creditor = creditor_of(request)
    mandate = _mandate(creditor, mandate_id)
    iban, bic, new_id = payload.iban or None, payload.bic or None, payload.mandate_id or None
    errors: list[ApiFieldError] = []  # what the workspace's amend form checks
    if iban is None and new_id is None:
        errors.append(ApiFieldError("body", "give a new iban, a new mandate_id, or both"))
    if bic is not None and iban is None:
        errors.append(ApiFieldError("bic", "a new BIC goes with a new iban"))
    if errors:
        raise _refused(errors)
    try:
        with acting_as(user_id=None, name=_actor(request)):
            mandate = mandate_amend(
                mandate=mandate,
                debtor_iban=iban,
                debtor_bic=bic,
                mandate_id=new_id,
                as_of=_today(creditor),
            )
    except MandateError as exc:
        raise _refused(_service_errors(exc)) from exc
    except DirectDebitError as exc:  # not active any more
        raise ApiError(409, str(exc)) from exc
    return mandate_json(mandate)


@router.post(
    "/mandates/{path:mandate_id}/revoke",
    response={200: MandateOut, 404: ErrorOut, 422: ErrorOut},
    summary="Revoke a mandate",
    description=(
        "The customer or their bank withdrew it: nothing is collected under it again. Revoking "
        "a revoked mandate changes nothing."
    ),
)
def revoke_mandate(
    request: HttpRequest, mandate_id: str, payload: MandateRevokeIn
) -> dict[str, Any]:
    mandate = _mandate(creditor_of(request), mandate_id)
    errors: list[ApiFieldError] = []
    on = _date(payload.on, "on", errors)
    if not payload.reason.strip():
        errors.append(ApiFieldError("reason", "say why the mandate is revoked"))
    if errors or on is None:
        raise _refused(errors)
    try:
        with acting_as(user_id=None, name=_actor(request)):
            mandate = mandate_revoke(mandate=mandate, on=on, reason=payload.reason.strip())
    except MandateError as exc:
        raise _refused(_service_errors(exc)) from exc
    return mandate_json(mandate)


@router.get(
    "/mandates/{path:mandate_id}",
    response={200: MandateOut, 404: ErrorOut},
    summary="Get a mandate by its mandate id",
)
def get_mandate(request: HttpRequest, mandate_id: str) -> dict[str, Any]:
    return mandate_json(_mandate(creditor_of(request), mandate_id))
