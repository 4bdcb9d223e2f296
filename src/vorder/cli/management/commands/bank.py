"""`vorder bank ...`: the reconciliation queue, returns and imported statements, as in the
workspace's bank pages (importing is `vorder import statement`).

A collector's decisions are audited under `--user NAME` when given (a staff user), else as `cli`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from vorder.banking.matching import (
    ReconciliationError,
    invoice_search,
    reconciliation_accept,
    reconciliation_allocate_manual,
    reconciliation_ignore,
    reconciliation_queue,
    reconciliation_to_account,
)
from vorder.banking.models import StatementLine
from vorder.banking.selectors import returned_lines, statement_lines_json, statement_list
from vorder.cli.base import VorderCommand, parse_date, resolve_creditor
from vorder.common.audit import acting_as
from vorder.common.money import fmt
from vorder.domain.errors import InvalidAmount
from vorder.domain.money import Money, parse_amount
from vorder.ledger.models import Creditor, Customer, Invoice
from vorder.ledger.services.allocations import AllocationError

RETURNS_DAYS = 30


class Command(VorderCommand):
    help = "Bank: the reconciliation queue (decide lines), returns and imported statements."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="{queue,line,search,accept,allocate,on-account,ignore,returns,statements}",
        )
        queue = sub.add_parser("queue", help="credits waiting for a person, oldest first")
        queue.add_argument("--json", action="store_true")
        self.add_creditor_argument(queue)

        line = sub.add_parser("line", help="one statement line with its suggestions")
        line.add_argument("line", type=int, help="statement line id (see `vorder bank queue`)")
        line.add_argument("--json", action="store_true")
        self.add_creditor_argument(line)

        search = sub.add_parser(
            "search", help="open invoices by number, reference, customer name or number, amount"
        )
        search.add_argument("text")
        search.add_argument("--json", action="store_true")
        self.add_creditor_argument(search)

        accept = sub.add_parser("accept", help="book one of a queued line's suggestions")
        accept.add_argument("line", type=int)
        accept.add_argument("--suggestion", type=int, default=1, help="its number (default 1)")
        self._decision_arguments(accept)

        allocate = sub.add_parser(
            "allocate", help="split a queued line over invoices of one customer by hand"
        )
        allocate.add_argument("line", type=int)
        allocate.add_argument(
            "parts",
            nargs="+",
            metavar="INVOICE=AMOUNT",
            help="invoice number and amount, e.g. 2024-0153=60.50; what the parts leave of the "
            "payment stays credit on the customer's account",
        )
        self._decision_arguments(allocate)

        account = sub.add_parser("on-account", help="the customer's money, for no invoice yet")
        account.add_argument("line", type=int)
        account.add_argument("--customer", required=True, help="debtor number")
        self._decision_arguments(account)

        ignore = sub.add_parser("ignore", help="not a customer's payment: out of the queue")
        ignore.add_argument("line", type=int)
        ignore.add_argument("--reason", required=True, help="why (kept with the line)")
        self._decision_arguments(ignore)

        returns = sub.add_parser("returns", help="returned direct debits and reversed payments")
        returns.add_argument(
            "--since",
            type=parse_date,
            metavar="YYYY-MM-DD",
            help=f"default: {RETURNS_DAYS} days ago",
        )
        returns.add_argument("--json", action="store_true")
        self.add_creditor_argument(returns)

        statements = sub.add_parser("statements", help="the imported statements, newest first")
        statements.add_argument("--json", action="store_true")
        self.add_creditor_argument(statements)

    def _decision_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="the staff user deciding (audit trail); default cli")
        parser.add_argument("--json", action="store_true", help="print the line afterwards")
        self.add_creditor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options.get("user"))
        name = user.get_username() if user is not None else "cli"
        with acting_as(user_id=getattr(user, "pk", None), name=name):
            try:
                getattr(self, "_" + options["action"].replace("-", "_"))(options, user or "cli")
            except (ReconciliationError, AllocationError) as exc:
                raise CommandError(str(exc)) from exc

    # -- reading --------------------------------------------------------------------------------
    def _queue(self, options: dict[str, Any], user: Any) -> None:
        lines = list(reconciliation_queue(creditor=resolve_creditor(options.get("creditor"))))
        if options["json"]:
            self.print_json(statement_lines_json(lines))
            return
        if not lines:
            self.stdout.write("nothing waits in the reconciliation queue")
        for row in statement_lines_json(lines):
            self._line_summary(row)

    def _line(self, options: dict[str, Any], user: Any) -> None:
        self._show(self._statement_line(options), options["json"], details=True)

    def _search(self, options: dict[str, Any], user: Any) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        rows = [
            {"invoice": i.number, "customer": i.customer.number, "name": i.customer.name,
             "due_date": i.due_date.isoformat(), "open": fmt(i.open_minor, i.currency),
             "currency": i.currency, "payment_reference": i.payment_reference}
            for i in invoice_search(creditor=creditor, text=options["text"])
        ]  # fmt: skip
        if options["json"]:
            self.print_json(rows)
            return
        if not rows:
            self.stdout.write(f"no open invoice matches '{options['text']}'")
        for r in rows:
            self.stdout.write(
                f"{r['invoice']:<16} {r['customer']:<10} {r['name'][:30]:<30} due {r['due_date']}"
                f"  open {r['open']:>12} {r['currency']}"
            )

    def _returns(self, options: dict[str, Any], user: Any) -> None:
        since = options["since"] or timezone.localdate() - timedelta(days=RETURNS_DAYS)
        lines = list(
            returned_lines(creditor=resolve_creditor(options.get("creditor")), since=since)
        )
        if options["json"]:
            self.print_json(statement_lines_json(lines))
            return
        if not lines:
            self.stdout.write(f"no returns since {since}")
        for row in statement_lines_json(lines):
            self._line_summary(row)

    def _statements(self, options: dict[str, Any], user: Any) -> None:
        rows = [
            {"id": s.pk, "account": s.account.iban, "statement_id": s.statement_id,
             "format": s.format,
             "period_from": s.period_from.isoformat() if s.period_from else None,
             "period_to": s.period_to.isoformat() if s.period_to else None,
             "opening_balance": fmt(s.opening_balance_minor, s.currency),
             "closing_balance": fmt(s.closing_balance_minor, s.currency),
             "currency": s.currency, "lines": s.line_count, "file_name": s.file_name,
             "imported_at": s.imported_at.isoformat(), "imported_by": s.imported_by}
            for s in statement_list(creditor=resolve_creditor(options.get("creditor")))
        ]  # fmt: skip
        if options["json"]:
            self.print_json(rows)
            return
        if not rows:
            self.stdout.write("no statements imported yet")
        for r in rows:
            self.stdout.write(
                f"{r['id']:>6}  {r['account']:<22} {r['statement_id'][:24]:<24} "
                f"{r['period_from'] or '':<10} – {r['period_to'] or '':<10} "
                f"{r['lines']:>7} lines  {r['closing_balance']:>14} {r['currency']}"
            )

    # -- deciding -------------------------------------------------------------------------------
    def _accept(self, options: dict[str, Any], user: Any) -> None:
        line = self._statement_line(options)
        if options["suggestion"] < 1:
            raise CommandError("suggestions are numbered from 1")
        done = reconciliation_accept(
            line=line, suggestion_index=options["suggestion"] - 1, user=user
        )
        self._done(done, options, f"line {done.pk} booked as suggestion {options['suggestion']}")

    def _allocate(self, options: dict[str, Any], user: Any) -> None:
        line = self._statement_line(options)
        allocations = self._parts(line, options["parts"])
        done = reconciliation_allocate_manual(line=line, allocations=allocations, user=user)
        numbers = ", ".join(invoice.number for invoice, _ in allocations)
        self._done(done, options, f"line {done.pk} allocated to {numbers}")

    def _on_account(self, options: dict[str, Any], user: Any) -> None:
        line = self._statement_line(options)
        customer = self._customer(line.creditor, options["customer"])
        done = reconciliation_to_account(line=line, customer=customer, user=user)
        self._done(done, options, f"line {done.pk} put on the account of {customer.number}")

    def _ignore(self, options: dict[str, Any], user: Any) -> None:
        line = self._statement_line(options)
        done = reconciliation_ignore(line=line, user=user, reason=options["reason"])
        self._done(done, options, f"line {done.pk} ignored")

    # -- helpers --------------------------------------------------------------------------------
    def _user(self, username: str | None) -> Any:
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user '{username}'") from exc

    def _statement_line(self, options: dict[str, Any]) -> StatementLine:
        creditor = resolve_creditor(options.get("creditor"))
        line = (
            StatementLine.objects.filter(creditor=creditor, pk=options["line"])
            .select_related("creditor")
            .first()
        )
        if line is None:
            raise CommandError(f"no statement line {options['line']} at {creditor.code}")
        return line

    def _customer(self, creditor: Creditor, number: str) -> Customer:
        customer = Customer.objects.filter(creditor=creditor, number__iexact=number).first()
        if customer is None:
            raise CommandError(f"no customer with debtor number '{number}' at {creditor.code}")
        return customer

    def _parts(self, line: StatementLine, parts: list[str]) -> list[tuple[Invoice, Money]]:
        """INVOICE=AMOUNT, as the API's allocate takes them."""
        allocations: list[tuple[Invoice, Money]] = []
        for part in parts:
            number, _, text = part.partition("=")
            if not text.strip():
                raise CommandError(f"{part}: give the amount, as INVOICE=AMOUNT")
            invoice = Invoice.objects.filter(creditor=line.creditor, number=number.strip()).first()
            if invoice is None:
                raise CommandError(f"no invoice '{number.strip()}' at {line.creditor.code}")
            try:
                amount = Money.of(parse_amount(text), line.currency)
            except InvalidAmount as exc:
                raise CommandError(f"{part}: {exc}") from exc
            allocations.append((invoice, amount))
        return allocations

    def _done(self, line: StatementLine, options: dict[str, Any], message: str) -> None:
        if options["json"]:
            line.refresh_from_db()
            self.print_json(statement_lines_json([line])[0])
            return
        self.stdout.write(message)

    def _show(self, line: StatementLine, as_json: bool, *, details: bool = False) -> None:
        [row] = statement_lines_json([line])
        if as_json:
            self.print_json(row)
            return
        self._line_summary(row)
        if details:
            for key in ("remittance_info", "structured_reference", "end_to_end_id"):
                if row[key]:
                    self.stdout.write(f"    {key.replace('_', ' ')}: {row[key]}")

    def _line_summary(self, row: dict[str, Any]) -> None:
        who = row["counterparty_name"] or row["counterparty_iban"] or "unknown payer"
        self.stdout.write(
            f"{row['id']:>8}  {row['booking_date']}  {row['amount']:>12} {row['currency']}  "
            f"{who[:32]:<32} {row['status']}"
        )
        if row["explanation"]:
            self.stdout.write(f"          {row['explanation']}")
        for s in row["suggestions"]:
            paid = ", ".join(f"{a['invoice']} {a['amount']}" for a in s["allocations"])
            customer = s["customer"]["number"] if s["customer"] else "-"
            self.stdout.write(
                f"          {s['number']}. {s['confidence']:.3f} {customer}: "
                f"{paid or 'on account'} — {s['explanation']}"
            )
