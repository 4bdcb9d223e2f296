"""`vorder calc interest|costs`: the statutory figures for one claim, as a table or JSON.

A calculator for the credit manager and for scripts; the law lives in vorder.domain (interest,
costs, rates), this command only parses, calls and renders.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from vorder.cli.base import VorderCommand, parse_date
from vorder.domain.costs import CollectionCosts, Jurisdiction, collection_costs
from vorder.domain.errors import DomainError
from vorder.domain.interest import (
    DayCount,
    InterestResult,
    InterestRule,
    Payment,
    calculate_interest,
    money_text,
    rate_text,
)
from vorder.domain.money import parse_amount


def parse_money(text: str) -> Decimal:
    try:
        return parse_amount(text)
    except DomainError as exc:
        raise CommandError(str(exc)) from exc


def parse_payment(text: str) -> Payment:
    """DATE:AMOUNT, e.g. 2024-01-10:2500 or 2024-01-10:2500,00."""
    day, sep, amount = text.partition(":")
    if not sep:
        raise CommandError(f"'{text}' is not a payment; write DATE:AMOUNT, e.g. 2024-01-10:2500")
    return Payment(parse_date(day), parse_money(amount))


def parse_yes_no(text: str) -> bool:
    answer = text.strip().lower()
    if answer in {"yes", "y", "ja", "j", "true", "1"}:
        return True
    if answer in {"no", "n", "nee", "false", "0"}:
        return False
    raise CommandError(f"'{text}' is not yes or no")


class Command(VorderCommand):
    help = "Statutory interest and collection costs for one claim (NL and BE law)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="calculation", required=True, metavar="{interest,costs}")

        interest = sub.add_parser(
            "interest",
            help="late-payment interest over a period, per rate period",
            description=(
                "Interest from --from (the first interest day, the day after the due date) to --to "
                "(the payment day), both inclusive. Dutch statutory interest compounds after each "
                "full year; Belgian and contractual interest are simple. Day count actual/365."
            ),
        )
        interest.add_argument("--principal", required=True, type=parse_money, metavar="AMOUNT")
        interest.add_argument(
            "--from", dest="start", required=True, type=parse_date, metavar="YYYY-MM-DD"
        )
        interest.add_argument(
            "--to", dest="end", required=True, type=parse_date, metavar="YYYY-MM-DD"
        )
        interest.add_argument(
            "--kind",
            required=True,
            metavar="KIND",
            help="nl-commercial, nl-consumer, be-commercial, be-legal or contract:R (R%% a year)",
        )
        interest.add_argument(
            "--payment",
            action="append",
            default=[],
            type=parse_payment,
            metavar="DATE:AMOUNT",
            help="a partial payment (repeatable); costs, then interest, then principal",
        )
        interest.add_argument(
            "--costs",
            type=parse_money,
            default=Decimal(0),
            metavar="AMOUNT",
            help="collection costs due, paid first by partial payments (art. 6:44 BW)",
        )
        interest.add_argument(
            "--day-count", choices=[d.value for d in DayCount], default=DayCount.ACTUAL_365.value
        )
        interest.add_argument(
            "--compounding",
            type=parse_yes_no,
            default=None,
            metavar="yes|no",
            help="override the law's default (NL yes, BE and contract no)",
        )
        interest.add_argument(
            "--imputation",
            default="costs,interest,principal",
            metavar="ORDER",
            help="order in which payments are applied (default: costs,interest,principal)",
        )
        interest.add_argument("--json", action="store_true", help="print JSON")

        costs = sub.add_parser("costs", help="extrajudicial collection costs for a principal")
        costs.add_argument("--principal", required=True, type=parse_money, metavar="AMOUNT")
        costs.add_argument("--jurisdiction", required=True, choices=[j.value for j in Jurisdiction])
        party = costs.add_mutually_exclusive_group(required=True)
        party.add_argument(
            "--b2c", dest="consumer", action="store_true", help="debtor is a consumer"
        )
        party.add_argument(
            "--b2b", dest="consumer", action="store_false", help="debtor is a business"
        )
        costs.add_argument(
            "--vat-deductible",
            type=parse_yes_no,
            default=True,
            metavar="yes|no",
            help="NL: can the creditor deduct VAT? 'no' adds 21%% VAT (BBIK art. 2 lid 3)",
        )
        costs.add_argument("--invoices", type=int, default=1, help="number of late invoices (B2B)")
        costs.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["calculation"] == "interest":
                self._interest(options)
            else:
                self._costs(options)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc

    # -- interest -------------------------------------------------------------------------
    def _interest(self, options: dict[str, Any]) -> None:
        rule = InterestRule.parse(
            options["kind"],
            compounding=options["compounding"],
            day_count=options["day_count"],
            imputation=[part.strip() for part in options["imputation"].split(",")],
        )
        start: date = options["start"]
        end: date = options["end"]
        result = calculate_interest(
            options["principal"],
            start,
            end,
            rule,
            payments=options["payment"],
            costs=options["costs"],
        )
        if options["json"]:
            self.print_json(result.as_dict())
            return
        self._interest_table(result)

    def _interest_table(self, result: InterestResult) -> None:
        console = Console(file=self.stdout, width=120)
        title = (
            f"{result.rule.kind.value} on {money_text(result.principal)}, "
            f"{result.start.isoformat()} to {result.end.isoformat()} ({result.days} days, "
            f"{result.rule.day_count.value}, {'compounding' if result.rule.compounds else 'simple'})"
        )
        console.print(title)
        table = Table()
        for column in ("from", "to", "days", "rate %", "base", "interest"):
            table.add_column(column, justify="left" if column in ("from", "to") else "right")
        for period in result.periods:
            table.add_row(
                period.start.isoformat(),
                period.end.isoformat(),
                str(period.days),
                rate_text(period.rate) + ("" if period.verified else " *"),
                money_text(period.base),
                money_text(period.interest),
            )
        table.add_section()
        table.add_row("total", "", str(result.days), "", "", money_text(result.total_interest))
        console.print(table)
        for cap in result.capitalisations:
            console.print(
                f"capitalised on {cap.on.isoformat()}: {money_text(cap.amount)} "
                f"-> base {money_text(cap.new_base)}"
            )
        for paid in result.payments:
            console.print(
                f"payment {paid.on.isoformat()} {money_text(paid.amount)}: costs "
                f"{money_text(paid.to_costs)}, interest {money_text(paid.to_interest)}, principal "
                f"{money_text(paid.to_principal)}"
                + (f", unapplied {money_text(paid.unapplied)}" if paid.unapplied else "")
            )
        console.print(
            f"outstanding on {result.end.isoformat()}: principal {money_text(result.principal_due)}"
            f", interest {money_text(result.interest_due)}, costs {money_text(result.costs_due)}"
            f", total {money_text(result.total_due)}"
        )
        if not result.verified:
            console.print("* rate not yet confirmed against the official publication")

    # -- costs ----------------------------------------------------------------------------
    def _costs(self, options: dict[str, Any]) -> None:
        costs = collection_costs(
            options["principal"],
            jurisdiction=options["jurisdiction"],
            consumer=options["consumer"],
            invoices=options["invoices"],
            vat_deductible=options["vat_deductible"],
        )
        if options["json"]:
            self.print_json(costs_payload(costs))
            return
        console = Console(file=self.stdout, width=120)
        console.print(
            f"collection costs {costs.jurisdiction.value.upper()} "
            f"{'B2C' if costs.consumer else 'B2B'} on {money_text(costs.principal)}"
        )
        table = Table()
        table.add_column("item")
        table.add_column("amount", justify="right")
        for line in costs.lines:
            table.add_row(line.description, money_text(line.amount))
        table.add_section()
        table.add_row("costs", money_text(costs.amount))
        table.add_row("VAT", money_text(costs.vat))
        table.add_row("total", money_text(costs.total))
        console.print(table)
        console.print(costs.reason_en)
        console.print(f"source: {costs.source}")


def costs_payload(costs: CollectionCosts) -> dict[str, object]:
    return {
        "jurisdiction": costs.jurisdiction.value,
        "consumer": costs.consumer,
        "principal": money_text(costs.principal),
        "amount": money_text(costs.amount),
        "vat": money_text(costs.vat),
        "total": money_text(costs.total),
        "lines": [
            {
                "description": line.description,
                "base": money_text(line.base),
                "percent": None if line.percent is None else rate_text(line.percent),
                "amount": money_text(line.amount),
            }
            for line in costs.lines
        ],
        "reason_nl": costs.reason_nl,
        "reason_en": costs.reason_en,
        "source": costs.source,
    }
