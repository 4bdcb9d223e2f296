"""`vorder import customers|invoices|credit-notes|payments FILE`, `vorder import ubl FILE...` and
`vorder import statement FILE...`.

The contract for scripts (docs/imports.md): ``--json`` prints exactly one object
``{"created", "updated", "unchanged", "errors": [{"file", "row", "field", "message"}]}`` and the
exit code is 0 only when ``errors`` is empty. ``import statement --json`` prints the statement
contract of docs/banking.md instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from vorder.banking.services import ImportResult, statements_import
from vorder.cli.base import VorderCommand, resolve_creditor
from vorder.common.audit import acting_as
from vorder.ledger.imports.runner import ImportReport, ProgressCallback, import_table, import_ubl

_TABULAR = {
    "customers": ("customers", "customers (debtors) by debtor number"),
    "invoices": ("invoices", "invoices by invoice number; customers must exist"),
    "credit-notes": ("credit_notes", "credit notes; one naming its invoice is allocated to it"),
    "payments": ("payments", "payments; allocated to the invoices they name or reference"),
}


class Command(VorderCommand):
    help = (
        "Import customers, invoices, credit notes or payments from CSV/XLSX (Dutch or English "
        "column headers), or UBL e-invoices. All-or-nothing per file unless --partial."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="kind",
            required=True,
            metavar="{customers,invoices,credit-notes,payments,ubl,statement}",
        )
        for name, (_, summary) in _TABULAR.items():
            kind = sub.add_parser(
                name,
                help=f"import {summary}",
                description=f"Import {summary} from a CSV or XLSX file. Columns: docs/imports.md.",
            )
            kind.add_argument("file", metavar="FILE", help="a .csv or .xlsx file")
            self.add_creditor_argument(kind)
            self._common(kind)
            kind.add_argument(
                "--partial",
                action="store_true",
                help="import the good rows even when other rows have errors",
            )
            separator = kind.add_mutually_exclusive_group()
            separator.add_argument(
                "--decimal-comma",
                dest="decimal_separator",
                action="store_const",
                const=",",
                help="amounts are written 1.234,56 (default: detected per file)",
            )
            separator.add_argument(
                "--decimal-point",
                dest="decimal_separator",
                action="store_const",
                const=".",
                help="amounts are written 1,234.56 (default: detected per file)",
            )
        ubl = sub.add_parser(
            "ubl",
            help="import UBL 2.1 / Peppol BIS 3.0 invoices and credit notes",
            description="Import UBL e-invoices and credit notes; the buyer becomes the customer. "
            "Each file is all-or-nothing.",
        )
        ubl.add_argument("file", metavar="FILE", nargs="+", help="UBL XML files")
        self.add_creditor_argument(ubl)
        self._common(ubl)
        statement = sub.add_parser(
            "statement",
            help="import bank statements (CAMT.053, MT940, CODA, or a ZIP of them) and match them",
            description="Import bank statements; the format is recognised from the content. Each "
            "file is all-or-nothing; a statement whose balances do not add up is refused. Credits "
            "become payments and are matched to open items. Importing a file again books nothing "
            "twice.",
        )
        statement.add_argument("file", metavar="FILE", nargs="+", help="statement files")
        self.add_creditor_argument(statement)
        self._common(statement)
        statement.add_argument(
            "--create-account",
            action="store_true",
            help="accept statements of accounts vorder does not know yet (and remember them)",
        )

    def _common(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="print a machine-readable summary (one object)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, but write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        as_json = options["json"]
        if options["kind"] == "statement":
            self._statements(creditor, options)
            return
        with acting_as(user_id=None, name="cli"), self._progress(enabled=not as_json) as progress:
            if options["kind"] == "ubl":
                report = import_ubl(
                    creditor=creditor,
                    paths=[Path(f) for f in options["file"]],
                    dry_run=options["dry_run"],
                    on_progress=progress,
                )
            else:
                report = import_table(
                    creditor=creditor,
                    kind=_TABULAR[options["kind"]][0],
                    path=Path(options["file"]),
                    decimal_separator=options.get("decimal_separator"),
                    partial=options["partial"],
                    dry_run=options["dry_run"],
                    on_progress=progress,
                    file_label=options["file"],
                )
        if as_json:
            self.print_json(report.as_json())
        else:
            self._summary(report, options)
        if report.errors:
            raise CommandError(
                f"{len(report.errors)} error(s)"
                + ("" if report.written else "; nothing was imported from the files with errors")
            )

    def _statements(self, creditor: Any, options: dict[str, Any]) -> None:
        with acting_as(user_id=None, name="cli"):
            result = statements_import(
                creditor=creditor,
                files=[Path(f) for f in options["file"]],
                dry_run=options["dry_run"],
                create_accounts=options["create_account"],
            )
        if options["json"]:
            self.print_json(result.as_json())
        else:
            self._statement_summary(result, dry_run=options["dry_run"])
        if result.errors:
            raise CommandError(
                f"{len(result.errors)} file(s) refused; nothing was imported from them"
            )

    def _statement_summary(self, result: ImportResult, *, dry_run: bool) -> None:
        prefix = "Dry run, nothing written: would import" if dry_run else "Imported"
        self.stdout.write(
            f"{prefix} {result.statements} statement(s), {result.lines} line(s), "
            f"{result.credits} credit(s): {result.auto_matched} matched automatically, "
            f"{result.queued} for the reconciliation queue; {result.returned} returned or "
            f"reversed, {result.foreign_currency} in a foreign currency, {result.duplicates} "
            "already booked before."
        )
        for note in result.notes:
            self.stdout.write(f"note: {note}")
        for problem in result.errors:
            self.stdout.write(str(problem))

    def _summary(self, report: ImportReport, options: dict[str, Any]) -> None:
        verb = "would be" if options["dry_run"] else ""
        counts = f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged"
        if report.errors and not options.get("partial") and options["kind"] != "ubl":
            self.stdout.write("Nothing imported: fix the errors below and import the file again.")
        elif verb:
            self.stdout.write(f"Dry run, nothing written: {counts} (would be).")
        else:
            self.stdout.write(counts + ".")
        for problem in report.errors:
            self.stdout.write(str(problem))

    @contextmanager
    def _progress(self, *, enabled: bool) -> Iterator[ProgressCallback | None]:
        """A rich progress bar for large files, only on a terminal."""
        if not enabled or not sys.stdout.isatty():
            yield None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("importing", total=None)

            def update(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            yield update
