"""/api/v1/creditor: who the token acts for, so an integration can check its configuration."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from vorder.api.auth import token_of
from vorder.ledger.services.tokens import TOKEN_MARKER

router = Router(tags=["creditor"])


class TokenOut(Schema):
    name: str
    prefix: str


class CreditorOut(Schema):
    code: str
    name: str
    country: str
    currency: str
    time_zone: str
    token: TokenOut


@router.get("/creditor", response=CreditorOut, summary="The creditor this token acts for")
def get_creditor(request: HttpRequest) -> dict[str, Any]:
    token = token_of(request)
    creditor = token.creditor
    return {
        "code": creditor.code,
        "name": creditor.name,
        "country": creditor.country,
        "currency": creditor.currency,
        "time_zone": creditor.time_zone,
        "token": {"name": token.name, "prefix": TOKEN_MARKER + token.prefix},
    }
