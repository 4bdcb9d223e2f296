"""`vorder apitoken create|list|revoke`: manage the tokens integrators use for the REST API."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from vorder.cli.base import VorderCommand, resolve_creditor
from vorder.common.audit import acting_as
from vorder.ledger.models import ApiToken
from vorder.ledger.selectors_tokens import TokenNotFound, api_token_find, api_token_list
from vorder.ledger.services.tokens import (
    TOKEN_MARKER,
    TokenError,
    api_token_create,
    api_token_revoke,
)


def _describe(token: ApiToken) -> dict[str, Any]:
    return {
        "prefix": TOKEN_MARKER + token.prefix,
        "creditor": token.creditor.code,
        "name": token.name,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked": token.revoked,
    }


class Command(VorderCommand):
    help = (
        "Manage REST API tokens. A token acts for one creditor; only its hash is stored, so the "
        "token is shown once, when created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

        create = actions.add_parser(
            "create", help="create a token for a creditor and print it (shown only once)"
        )
        self.add_creditor_argument(create)
        create.add_argument(
            "--name", required=True, help="who uses the token, e.g. 'webshop' or 'erp-sync'"
        )
        create.add_argument("--json", action="store_true", help="print a JSON object")

        listing = actions.add_parser("list", help="list tokens (never their secrets)")
        self.add_creditor_argument(listing)
        listing.add_argument("--json", action="store_true", help="print a JSON array")

        revoke = actions.add_parser("revoke", help="revoke a token; requests with it get 401")
        revoke.add_argument("prefix", metavar="PREFIX", help="the token's prefix, as listed")
        revoke.add_argument("--json", action="store_true", help="print a JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list(options)
        else:
            self._revoke(options)

    def _create(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options["creditor"])
        try:
            with acting_as(user_id=None, name="cli"):
                token, plain = api_token_create(creditor=creditor, name=options["name"])
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.print_json({**_describe(token), "token": plain})
            return
        self.stdout.write(f"Token for {creditor.code} ({token.name}), shown only this once:\n")
        self.stdout.write(f"  {plain}\n")
        self.stdout.write("Send it as the header:  Authorization: Bearer <token>")

    def _list(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options["creditor"]) if options["creditor"] else None
        tokens = [_describe(token) for token in api_token_list(creditor=creditor)]
        if options["json"]:
            self.print_json(tokens)
            return
        if not tokens:
            self.stdout.write("No API tokens yet: `vorder apitoken create --name NAME`.")
            return
        header = ("PREFIX", "CREDITOR", "NAME", "CREATED", "LAST USED", "STATE")
        rows = [
            (
                t["prefix"],
                t["creditor"],
                t["name"],
                t["created_at"][:16].replace("T", " "),
                (t["last_used_at"] or "never")[:16].replace("T", " "),
                "revoked" if t["revoked"] else "active",
            )
            for t in tokens
        ]
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        try:
            token = api_token_find(identifier=options["prefix"])
        except TokenNotFound as exc:
            raise CommandError(str(exc)) from exc
        was_revoked = token.revoked
        with acting_as(user_id=None, name="cli"):
            api_token_revoke(token=token)
        if options["json"]:
            self.print_json(_describe(token))
        elif was_revoked:
            self.stdout.write(
                f"Token {TOKEN_MARKER}{token.prefix} ({token.name}) was already revoked."
            )
        else:
            self.stdout.write(f"Revoked token {TOKEN_MARKER}{token.prefix} ({token.name}).")
