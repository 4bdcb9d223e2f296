"""API tokens: the secrets that let an integrator act for one creditor through the REST API.

Only the SHA-256 hash of a token is stored, so a leaked database does not leak working tokens; the
plain token is returned once, by ``api_token_create``, and never again. A token belongs to exactly
one creditor, and that is all the API needs to know to keep creditors apart.

A plain token looks like ``vdr_`` + 43 random URL-safe characters. The marker lets secret scanners
and people recognise a leaked vorder token; the eight characters after it are kept as the token's
``prefix`` so a token can be recognised in listings and revoked without its secret.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from vorder.common.audit import audit_record
from vorder.ledger.models import ApiToken, Creditor

TOKEN_MARKER = "vdr_"
PREFIX_LENGTH = 8
_NAME_MAX_LENGTH = 100
_LAST_USED_GRANULARITY = timedelta(minutes=5)


class TokenError(ValueError):
    """A token cannot be created as asked; the message says why."""


def token_hash(key: str) -> str:
    """The SHA-256 hex digest stored in place of the token."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(*, creditor: Creditor, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``creditor``; returns it with its plain text, which is shown only now."""
    name = name.strip()
    if not name:
        raise TokenError("a token needs a name that says who uses it, e.g. 'webshop'")
    if len(name) > _NAME_MAX_LENGTH:
        raise TokenError(f"a token name has at most {_NAME_MAX_LENGTH} characters")
    while True:
        plain = TOKEN_MARKER + secrets.token_urlsafe(32)
        prefix = plain[len(TOKEN_MARKER) : len(TOKEN_MARKER) + PREFIX_LENGTH]
        # Prefixes identify tokens in `vorder apitoken revoke`; keep them unique (a clash is
        # one in 10^14, but a revoke must never hit the wrong token).
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    token = ApiToken.objects.create(
        creditor=creditor, name=name, key_hash=token_hash(plain), prefix=prefix
    )
    audit_record(
        creditor_id=creditor.pk,
        obj=token,
        action="create",
        changes={"name": [None, token.name], "prefix": [None, token.prefix]},
    )
    return token, plain


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good: requests carrying it are refused from now on. Idempotent."""
    if token.revoked:
        return token
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit_record(
        creditor_id=token.creditor_id,
        obj=token,
        action="update",
        changes={"revoked": [False, True]},
    )
    return token


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The live token whose plain text is ``key`` (with its creditor), or None.

    Also notes when the token was last used; ``last_used_at`` is written at most once per few
    minutes per token, with one conditional UPDATE, so a busy integration does not turn every
    read into a write.
    """
    if not key.startswith(TOKEN_MARKER):
        return None
    token = (
        ApiToken.objects.select_related("creditor")
        .filter(key_hash=token_hash(key), revoked=False)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= _LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
