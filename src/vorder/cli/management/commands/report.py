"""`vorder report aging|dso`: the overview a credit manager asks for, as table, CSV or JSON."""

from __future__ import annotations

import csv
from typing import Any

from django.core.management.base import CommandParser
from rich.console import Console
from rich.table import Table

from vorder.cli.base import VorderCommand, parse_date, resolve_creditor
from vorder.common.money import fmt
from vorder.domain.aging import BUCKETS
from vorder.ledger.models import Creditor
from vorder.ledger.selectors import AgingReport, aging_report, dso, ledger_integrity_problems

BUCKET_TITLES = {
    "not_due": "not due",
    "d1_30": "1-30",
    "d31_60": "31-60",
    "d61_90": "61-90",
    "d90_plus": ">90",
}


class Command(VorderCommand):
    help = "Reports on the receivables: aging, DSO, ledger integrity."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True, metavar="{aging,dso,integrity}")

        aging = sub.add_parser("aging", help="open amounts per bucket, per customer and total")
        aging.add_argument("--as-of", required=True, type=parse_date, metavar="YYYY-MM-DD")
        aging.add_argument("--format", choices=["table", "csv", "json"], default="table")
        aging.add_argument(
            "--top", type=int, default=20, help="customers shown in the table (default 20)"
        )
        self.add_creditor_argument(aging)
        aging.add_argument("--all-creditors", action="store_true", help="report every creditor")

        figure = sub.add_parser("dso", help="days sales outstanding: standard and countback")
        figure.add_argument("--as-of", required=True, type=parse_date, metavar="YYYY-MM-DD")
        figure.add_argument("--period-days", type=int, default=90)
        figure.add_argument("--format", choices=["table", "json"], default="table")
        self.add_creditor_argument(figure)

        integrity = sub.add_parser(
            "integrity", help="prove that open amounts agree with allocations"
        )
        self.add_creditor_argument(integrity)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['report']}")(options)

    def _creditor(self, options: dict[str, Any]) -> Creditor | None:
        if options.get("all_creditors") or (
            not options.get("creditor") and Creditor.objects.count() > 1
        ):
            return None
        return resolve_creditor(options.get("creditor"))

    def _aging(self, options: dict[str, Any]) -> None:
        report = aging_report(as_of=options["as_of"], creditor=self._creditor(options))
        if options["format"] == "json":
            self.print_json(report.as_json())
        elif options["format"] == "csv":
            self._aging_csv(report)
        else:
            self._aging_table(report, options["top"])

    def _aging_csv(self, report: AgingReport) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        keys = [b.value for b in BUCKETS]
        writer.writerow(["level", "creditor", "customer", "name", "currency", *keys, "total"])
        for row in report.totals:
            amounts = row.as_json()
            writer.writerow(
                [
                    "total",
                    row.creditor_code,
                    "",
                    "",
                    row.currency,
                    *(amounts[k] for k in keys),
                    amounts["total"],
                ]
            )
        for row in report.customers:
            amounts = row.as_json()
            writer.writerow(
                [
                    "customer",
                    row.creditor_code,
                    row.customer_number,
                    row.customer_name,
                    row.currency,
                    *(amounts[k] for k in keys),
                    amounts["total"],
                ]
            )

    def _aging_table(self, report: AgingReport, top: int) -> None:
        console = Console(file=self.stdout, width=140)
        table = Table(title=f"Aging as of {report.as_of}")
        for title in ["creditor / customer", "cur", *BUCKET_TITLES.values(), "total"]:
            table.add_column(title, justify="left" if title.startswith("creditor") else "right")
        for row in report.customers[:top]:
            amounts = row.as_json()
            table.add_row(
                f"{row.customer_number} {row.customer_name}",
                row.currency,
                *(amounts[b.value] for b in BUCKETS),
                amounts["total"],
            )
        if len(report.customers) > top:
            table.add_row(f"... {len(report.customers) - top} more customers", "", *[""] * 6)
        table.add_section()
        for row in report.totals:
            amounts = row.as_json()
            table.add_row(
                f"[bold]{row.creditor_code} total[/bold]",
                row.currency,
                *(amounts[b.value] for b in BUCKETS),
                amounts["total"],
            )
        console.print(table)

    def _dso(self, options: dict[str, Any]) -> None:
        figure = dso(
            as_of=options["as_of"],
            creditor=self._creditor(options),
            period_days=options["period_days"],
        )
        payload = {
            "as_of": figure.as_of.isoformat(),
            "currency": figure.currency,
            "receivables": fmt(figure.receivables_minor, figure.currency),
            "sales": fmt(figure.sales_minor, figure.currency),
            "period_days": figure.period_days,
            "standard": None if figure.standard is None else str(figure.standard),
            "countback": None if figure.countback is None else str(figure.countback),
        }
        if options["format"] == "json":
            self.print_json(payload)
            return
        self.stdout.write(
            f"DSO as of {payload['as_of']} ({figure.currency})\n"
            f"  receivables            {payload['receivables']}\n"
            f"  sales, last {figure.period_days} days   {payload['sales']}\n"
            f"  standard method        {payload['standard'] or 'n/a'} days\n"
            f"  countback method       {payload['countback'] or 'n/a'} days"
        )

    def _integrity(self, options: dict[str, Any]) -> None:
        problems = ledger_integrity_problems(creditor=self._creditor(options))
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise SystemExit(1)
        self.stdout.write("ledger is sound: every open amount agrees with its allocations")
