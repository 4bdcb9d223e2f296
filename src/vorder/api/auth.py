"""Bearer-token authentication: the token decides the creditor every request acts for."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from vorder.ledger.models import ApiToken, Creditor
from vorder.ledger.services.tokens import api_token_authenticate


class CreditorToken(HttpBearer):
    """``Authorization: Bearer <token>``; sets ``request.auth`` to the live ApiToken.

    Each way of failing gets its own message, so an integrator can tell a missing header from a
    revoked token; none of them says whether a token ever existed.
    """

    def __call__(self, request: HttpRequest) -> ApiToken:
        header = request.headers.get(self.header, "")
        if not header:
            raise AuthenticationError(
                message="authentication required: send 'Authorization: Bearer <token>'"
            )
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthenticationError(message="the Authorization header must read 'Bearer <token>'")
        return self.authenticate(request, key.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = api_token_authenticate(key=token)
        if found is None:
            raise AuthenticationError(message="the token is not valid or has been revoked")
        return found


def token_of(request: HttpRequest) -> ApiToken:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def creditor_of(request: HttpRequest) -> Creditor:
    """The creditor the request acts for: the token's, and never any other."""
    return token_of(request).creditor
