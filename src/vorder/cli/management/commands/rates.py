"""`vorder rates list`: the statutory rate tables with their effective dates and sources.

A new period is added by appending a row to the table's CSV file under src/vorder/domain/data/
and adding a test (docs/law.md, "Adding a rate period"): the data files are reviewed like code,
so there is deliberately no `rates add` that writes into the installed package.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandParser
from rich.console import Console
from rich.table import Table

from vorder.cli.base import VorderCommand, parse_date
from vorder.domain import rates
from vorder.domain.interest import rate_text


class Command(VorderCommand):
    help = "Statutory interest rate tables (NL 6:119, 6:119a, BE commercial and legal, ECB)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{list}")
        listing = sub.add_parser(
            "list",
            help="rows of one or all tables",
            description=(
                "To add a period, append a row (effective_from,rate,status,source) to "
                "src/vorder/domain/data/<table>.csv and add a test; see docs/law.md."
            ),
        )
        listing.add_argument(
            "--table", choices=[name.value for name in rates.RateTableName], default=None
        )
        listing.add_argument(
            "--on",
            type=parse_date,
            default=None,
            metavar="YYYY-MM-DD",
            help="only the row in force on this day",
        )
        listing.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        tables = [rates.table(options["table"])] if options["table"] else rates.all_tables()
        on: date | None = options["on"]
        payload = []
        for rate_table in tables:
            if on is not None and on < rate_table.rows[0].effective_from:
                continue
            rows = [rate_table.row_on(on)] if on is not None else list(rate_table.rows)
            known = rate_table.known_until()
            payload.append(
                {
                    "table": rate_table.name.value,
                    "title": rate_table.title,
                    "legal_basis": rate_table.legal_basis,
                    "known_until": None if known is None else known.isoformat(),
                    "rows": [
                        {
                            "effective_from": row.effective_from.isoformat(),
                            "rate": rate_text(row.rate),
                            "status": row.status.value,
                            "source": row.source,
                        }
                        for row in rows
                    ],
                }
            )
        if options["json"]:
            self.print_json(payload)
            return
        console = Console(file=self.stdout, width=140)
        for entry in payload:
            console.print(
                f"{entry['title']} [{entry['table']}], known until {entry['known_until']}"
            )
            table = Table()
            for column in ("from", "rate %", "status", "source"):
                table.add_column(column, justify="right" if column == "rate %" else "left")
            for row in entry["rows"]:
                table.add_row(row["effective_from"], row["rate"], row["status"], row["source"])
            console.print(table)
