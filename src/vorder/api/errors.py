"""One error format for the whole API, so an integrator handles every failure the same way.

Every error response is a JSON object::

    {"detail": "a sentence for a person", "errors": [{"field": "due_date", "message": "..."}]}

``errors`` lists what is wrong with the input, each naming its field (nested fields as the
importer names them, e.g. ``contacts[0].email``); in a bulk request each error also carries
``index``, the 0-based position of the item in the submitted list. Errors about no field in
particular (401, 404) have ``errors: []``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

#: Names of the view parameters that carry a request body; they are not part of a field's path.
BODY_PARAMETERS = frozenset({"payload", "items"})


@dataclass(frozen=True, slots=True)
class ApiFieldError:
    field: str
    message: str
    index: int | None = None

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.index is not None:
            error["index"] = self.index
        return error


class ApiError(Exception):
    """Raised by the views; rendered by ``api_error_handler`` in the one format above."""

    def __init__(
        self, status: int, detail: str, errors: Sequence[ApiFieldError] = (), **headers: str
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers


def not_found(kind: str, number: str) -> ApiError:
    return ApiError(404, f"there is no {kind} with number '{number}'")


def invalid(detail: str, errors: Iterable[ApiFieldError]) -> ApiError:
    return ApiError(422, detail, list(errors))


def _message(error: dict[str, Any]) -> str:
    """Pydantic's message, reworded where the importer would say it more plainly."""
    kind = error.get("type", "")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    message = str(error.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")


def _field_error(error: dict[str, Any]) -> ApiFieldError:
    location = list(error.get("loc", ()))
    source = location.pop(0) if location else "body"
    if source == "body" and location and location[0] in BODY_PARAMETERS:
        location.pop(0)
    index = None
    if source == "body" and location and isinstance(location[0], int):
        index = location.pop(0)
    field = ""
    for part in location:  # the importer's style: contacts[0].email
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    field = field or ("body" if source == "body" else source)
    return ApiFieldError(field=field, message=_message(error), index=index)


def _respond(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    detail: str,
    errors: Sequence[ApiFieldError] = (),
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {"detail": detail, "errors": [e.as_json() for e in errors]}
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace django-ninja's default error bodies by the one format of this module."""

    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        headers = {k.replace("_", "-"): v for k, v in exc.headers.items()}
        return _respond(api, request, exc.status, exc.detail, exc.errors, headers)

    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [_field_error(e) for e in exc.errors]
        noun = "error" if len(errors) == 1 else "errors"
        return _respond(api, request, 422, f"the request has {len(errors)} {noun}", errors)

    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = exc.message if exc.message != "Unauthorized" else "authentication required"
        return _respond(api, request, 401, detail, headers={"WWW-Authenticate": "Bearer"})

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return _respond(api, request, exc.status_code, str(exc))

    # django-ninja annotates the handler's argument as "exception or its class"; it is always
    # the exception instance.
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return _respond(api, request, 413, "the request body is too large: send fewer items")

    api.add_exception_handler(ApiError, api_error)  # type: ignore[arg-type]
    api.add_exception_handler(ValidationError, validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, authentication_error)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, http_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestDataTooBig, too_big)  # type: ignore[arg-type]
