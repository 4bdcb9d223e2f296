"""`vorder creditor add|update|list`: our own legal entities, as the admin edits them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from vorder.cli.base import VorderCommand, resolve_creditor
from vorder.dunning.services import policies_install_defaults
from vorder.ledger.models import Creditor
from vorder.ledger.services.creditors import CreditorError, creditor_create, creditor_update

_DETAILS = [
    ("--address", "address_line1"), ("--postal-code", "postal_code"), ("--city", "city"),
    ("--iban", "iban"), ("--bic", "bic"), ("--vat", "vat_number"), ("--coc", "coc_number"),
    ("--email", "email"), ("--phone", "phone"), ("--currency", "currency"),
    ("--reference-style", "reference_style"), ("--letterhead", "letterhead"),
]  # fmt: skip


class Command(VorderCommand):
    help = "Manage creditors: the legal entities whose receivables vorder manages."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{add,update,list}")
        add = sub.add_parser("add", help="add a creditor")
        add.add_argument("--code", required=True, help="short name used in files and the API")
        add.add_argument("--name", required=True)
        add.add_argument("--country", required=True, choices=["NL", "BE"])
        update = sub.add_parser("update", help="change a creditor's details")
        update.add_argument("--code", required=True)
        update.add_argument("--name")
        for sub_parser in (add, update):
            for flag, _ in _DETAILS:
                sub_parser.add_argument(flag)
            sub_parser.add_argument("--payment-term", type=int, metavar="DAYS")
            sub_parser.add_argument("--languages", help="comma-separated: nl,en,fr,de")
        listing = sub.add_parser("list", help="list creditors")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list(options)
            return
        details = {field: options[flag[2:].replace("-", "_")] for flag, field in _DETAILS}
        details = {k: v for k, v in details.items() if v is not None}
        if options.get("payment_term") is not None:
            details["default_payment_term_days"] = options["payment_term"]
        if options.get("languages"):
            details["languages"] = [x.strip() for x in options["languages"].split(",")]
        try:
            if options["action"] == "add":
                creditor = creditor_create(
                    code=options["code"],
                    name=options["name"],
                    country=options["country"],
                    **details,
                )
                policies_install_defaults(creditor=creditor)
                self.stdout.write(
                    f"added creditor {creditor.code}: {creditor.name}, with the shipped "
                    f"{creditor.country} credit policies (edit them in the workspace)"
                )
            else:
                if options.get("name"):
                    details["name"] = options["name"]
                creditor = creditor_update(creditor=resolve_creditor(options["code"]), **details)
                self.stdout.write(f"updated creditor {creditor.code}")
        except CreditorError as exc:
            raise CommandError("\n".join(f"{f}: {m}" for f, m in exc.errors.items())) from exc

    def _list(self, options: dict[str, Any]) -> None:
        rows = list(Creditor.objects.values("code", "name", "country", "iban", "reference_style"))
        if options["json"]:
            self.print_json(rows)
            return
        for row in rows:
            self.stdout.write(f"{row['code']:<16} {row['country']}  {row['name']}  {row['iban']}")
