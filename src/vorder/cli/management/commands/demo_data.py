"""`vorder demo-data`: load the demo portfolio and the demo staff users."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from vorder.cli.base import VorderCommand, parse_date
from vorder.common.audit import acting_as
from vorder.dunning.services import policies_install_defaults
from vorder.ledger.models import Creditor
from vorder.ledger.services.allocations import invoices_refresh_paid_on
from vorder.ledger.services.demo import DemoDataExists, demo_data_load


class Command(VorderCommand):
    help = (
        "Generate a realistic demo portfolio: two creditors (NL and BE), B2B and B2C customers, "
        "24 months of invoices, credit notes and payments with known payment behaviours, and "
        "the demo users demo, collector and viewer (password = user name)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=500, help="number of customers (500)")
        parser.add_argument("--invoices", type=int, default=6000, help="number of invoices (6000)")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same portfolio (1)")
        parser.add_argument(
            "--as-of",
            type=parse_date,
            metavar="YYYY-MM-DD",
            help="the history ends on this day (default: today)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when any creditor exists (used by `make run`)",
        )
        parser.add_argument("--json", action="store_true", help="print a JSON summary")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = options["as_of"] or timezone.localdate()
        started = time.perf_counter()
        try:
            with acting_as(user_id=None, name="cli"):
                summary = demo_data_load(
                    customers=options["customers"],
                    invoices=options["invoices"],
                    seed=options["seed"],
                    as_of=as_of,
                    if_empty=options["if_empty"],
                )
                # a working credit policy from the start: the shipped ones for each country
                for creditor in Creditor.objects.filter(code__in=summary.creditors):
                    policies_install_defaults(creditor=creditor)
                    invoices_refresh_paid_on(creditor=creditor)
        except (DemoDataExists, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        seconds = round(time.perf_counter() - started, 2)
        logins = [{"username": u, "password": u, "role": role} for u, role in summary.logins]
        if options["json"]:
            self.print_json({**summary.__dict__, "logins": logins, "seconds": seconds})
            return
        if summary.skipped:
            self.stdout.write("A creditor exists already: no demo data loaded.")
        else:
            self.stdout.write(
                f"Demo data as of {as_of}: {', '.join(summary.creditors)}; "
                f"{summary.customers} customers, {summary.contacts} contacts, "
                f"{summary.invoices} invoices ({summary.instalments} instalments), "
                f"{summary.credit_notes} credit notes, {summary.payments} payments, "
                f"{summary.allocations} allocations in {seconds} s."
            )
        for login in logins:
            self.stdout.write(
                f"  log in as {login['username']} / {login['password']}  ({login['role']})"
            )
