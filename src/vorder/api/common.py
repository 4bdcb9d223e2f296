"""What every resource of API v1 does the same way: paging, and writing through the importer's
validation and upsert services.

A write goes: JSON body → plain mapping with the importer's field names → ``records.parse_*``
(the importer's validation) → ``services.upserts.*_upsert`` (the importer's write, all or
nothing, audited as ``api:<token name>``). Errors from either step come back as 422 naming the
field, and for bulk requests the 0-based index of the item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

from vorder.api.auth import creditor_of, token_of
from vorder.api.errors import ApiError, ApiFieldError, invalid
from vorder.common.audit import acting_as
from vorder.ledger.models import Creditor
from vorder.ledger.records import RecordErrors
from vorder.ledger.services.allocations import AllocationError
from vorder.ledger.services.upserts import UpsertError, UpsertResult

R = TypeVar("R")
M = TypeVar("M", bound=Model)

MAX_PAGE = 1000
MAX_BULK = 5000


class PageQuery(Schema):
    limit: int = Field(100, ge=1, le=MAX_PAGE, description=f"page size, at most {MAX_PAGE}")
    offset: int = Field(0, ge=0, description="items to skip")


def page(
    items: QuerySet[M], query: PageQuery, render: Callable[[M], dict[str, Any]]
) -> dict[str, Any]:
    """One page of ``items`` in the envelope every list endpoint answers with."""
    count = items.count()
    rows = [render(obj) for obj in items[query.offset : query.offset + query.limit]]
    following = query.offset + query.limit
    return {
        "count": count,
        "limit": query.limit,
        "offset": query.offset,
        "next_offset": following if following < count else None,
        "items": rows,
    }


@dataclass(frozen=True)
class Resource(Generic[R]):
    """How one kind of record is read from JSON and written, in the importer's own terms."""

    noun: str  # "invoice", as in messages
    parse: Callable[[Mapping[str, object], Creditor], R]
    upsert: Callable[[Creditor, Sequence[R]], UpsertResult]
    #: API field name → the importer's field name, where JSON reads better with another name.
    renames: Mapping[str, str] = field(default_factory=dict)

    def api_field(self, name: str) -> str:
        """The importer's field name as the API calls it (also inside 'contacts[0].email')."""
        for api_name, record_name in self.renames.items():
            if name == record_name or name.startswith((record_name + ".", record_name + "[")):
                return api_name + name[len(record_name) :]
        return name

    def row(self, payload: Schema, number: str | None = None) -> dict[str, object]:
        """The body as the importer's mapping; only fields the client sent (the rest are kept)."""
        row = payload.model_dump(exclude_unset=True)
        for api_name, record_name in self.renames.items():
            if api_name in row:
                row[record_name] = row.pop(api_name)
        if number is not None:
            row["number"] = number
        return row


def _field_errors(
    resource: Resource[Any], exc: RecordErrors, index: int | None
) -> list[ApiFieldError]:
    return [ApiFieldError(resource.api_field(e.field), e.message, index) for e in exc.errors]


def _write(
    request: HttpRequest, resource: Resource[R], records: Sequence[R], *, bulk: bool
) -> UpsertResult:
    token = token_of(request)
    try:
        with acting_as(user_id=None, name=f"api:{token.name}"):
            return resource.upsert(token.creditor, records)
    except UpsertError as exc:
        errors = [
            ApiFieldError(resource.api_field(e.field), e.message, e.index if bulk else None)
            for e in exc.errors
        ]
        raise invalid(f"the {resource.noun} cannot be saved; nothing was written", errors) from exc
    except AllocationError as exc:
        raise ApiError(422, f"{exc}; nothing was written") from exc


def upsert_one(
    request: HttpRequest, resource: Resource[R], number: str, payload: Schema
) -> UpsertResult:
    """PUT /{resource}/{number}: create or update one record, by the number in the URL."""
    sent = getattr(payload, "number", None)
    if sent is not None and sent != number:
        raise invalid(
            f"the {resource.noun} has 1 error",
            [ApiFieldError("number", f"'{sent}' differs from '{number}' in the URL")],
        )
    try:
        record = resource.parse(resource.row(payload, number), creditor_of(request))
    except RecordErrors as exc:
        errors = _field_errors(resource, exc, None)
        noun = "error" if len(errors) == 1 else "errors"
        raise invalid(f"the {resource.noun} has {len(errors)} {noun}", errors) from exc
    return _write(request, resource, [record], bulk=False)


def upsert_bulk(
    request: HttpRequest, resource: Resource[R], payloads: Sequence[Schema]
) -> UpsertResult:
    """POST /{resource}/bulk: all items are written, or (on any error) none."""
    if not payloads:
        raise invalid("the list is empty", [ApiFieldError("body", "send at least one item")])
    if len(payloads) > MAX_BULK:
        raise invalid(
            f"send at most {MAX_BULK} items per request",
            [ApiFieldError("body", f"has {len(payloads)} items; the limit is {MAX_BULK}")],
        )
    creditor = creditor_of(request)
    records: list[R] = []
    errors: list[ApiFieldError] = []
    for index, payload in enumerate(payloads):
        try:
            records.append(resource.parse(resource.row(payload), creditor))
        except RecordErrors as exc:
            errors.extend(_field_errors(resource, exc, index))
    if errors:
        rows = len({e.index for e in errors})
        verb = "has" if rows == 1 else "have"
        detail = f"{rows} of {len(payloads)} items {verb} errors; nothing was written"
        raise invalid(detail, errors)
    return _write(request, resource, records, bulk=True)


def summary(result: UpsertResult) -> dict[str, int]:
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
