"""Reads of API tokens for the `vorder apitoken` command (the secret itself is never stored)."""

from __future__ import annotations

from django.db.models import QuerySet

from vorder.ledger.models import ApiToken, Creditor
from vorder.ledger.services.tokens import PREFIX_LENGTH, TOKEN_MARKER, token_hash


class TokenNotFound(LookupError):
    """No token, or more than one, matches what was given; the message says which."""


def api_token_list(*, creditor: Creditor | None = None) -> QuerySet[ApiToken]:
    """Tokens, newest first, optionally of one creditor; revoked ones included (for the record)."""
    tokens = ApiToken.objects.select_related("creditor").order_by("-created_at", "-id")
    if creditor is not None:
        tokens = tokens.filter(creditor=creditor)
    return tokens


def api_token_find(*, identifier: str) -> ApiToken:
    """The one token named by its prefix (with or without ``vdr_``, or a unique start of it), or
    by its full plain text. Refuses an ambiguous prefix rather than guessing."""
    text = identifier.strip()
    if len(text) > len(TOKEN_MARKER) + PREFIX_LENGTH:
        token = (
            ApiToken.objects.select_related("creditor").filter(key_hash=token_hash(text)).first()
        )
        if token is None:
            raise TokenNotFound("no token matches the given secret")
        return token
    prefix = text.removeprefix(TOKEN_MARKER)
    if not prefix:
        raise TokenNotFound("give the token's prefix, as `vorder apitoken list` shows it")
    matches = list(api_token_list().filter(prefix__startswith=prefix)[:2])
    if not matches:
        raise TokenNotFound(f"no token with prefix '{prefix}'")
    if len(matches) > 1:
        raise TokenNotFound(f"more than one token starts with '{prefix}': give more characters")
    return matches[0]
