"""Who changed which money-relevant record, when, from what to what.

Services call ``audit_record``; the middleware only tells it who the actor of the current request
is. Entries are append-only: database triggers refuse UPDATE and DELETE on the table (see the
migration), so not even a careless script can rewrite history.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse

_actor: contextvars.ContextVar[tuple[int | None, str]] = contextvars.ContextVar(
    "vorder_actor", default=(None, "system")
)


@contextmanager
def acting_as(*, user_id: int | None, name: str) -> Iterator[None]:
    """Attribute every audit entry written inside the block to this actor (a user, 'cli', 'api')."""
    token = _actor.set((user_id, name))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> tuple[int | None, str]:
    return _actor.get()


class AuditActorMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with acting_as(user_id=user.pk, name=user.get_username()):
                return self.get_response(request)  # type: ignore[no-any-return]
        return self.get_response(request)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Fields that changed, as {field: [old, new]} in JSON-friendly values."""
    before = before or {}
    return {
        key: [_plain(before.get(key)), _plain(value)]
        for key, value in after.items()
        if key not in before or _plain(before[key]) != _plain(value)
    }


def audit_record(
    *,
    creditor_id: int | None,
    obj: Any,
    action: str,
    changes: Mapping[str, list[Any]],
) -> None:
    from vorder.common.models import AuditEntry

    audit_bulk([AuditEntry.build(creditor_id=creditor_id, obj=obj, action=action, changes=changes)])


def audit_bulk(entries: Iterable[dict[str, Any]]) -> None:
    """Write many entries (rows from ``AuditEntry.build``) at once; imports of a million
    invoices audit in bulk too. Entries written together share one time stamp."""
    from vorder.common.db import insert_rows
    from vorder.common.models import AuditEntry

    insert_rows(AuditEntry, list(entries))
