"""Shared plumbing for vorder's own commands: the creditor option, dates, JSON output, the actor."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vorder.ledger.models import Creditor


def parse_date(text: str) -> date:
    """argparse type for dates: a clear message instead of a traceback."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write YYYY-MM-DD") from exc


def resolve_creditor(code: str | None) -> Creditor:
    """The creditor named by --creditor, or the only one there is."""
    if code:
        try:
            return Creditor.objects.get(code=code)
        except Creditor.DoesNotExist as exc:
            known = ", ".join(Creditor.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(f"unknown creditor '{code}' (known: {known})") from exc
    creditors = list(Creditor.objects.all()[:2])
    if len(creditors) == 1:
        return creditors[0]
    if not creditors:
        raise CommandError(
            "there is no creditor yet: run `vorder demo-data` or `vorder creditor add`"
        )
    raise CommandError("several creditors exist: name one with --creditor CODE")


class VorderCommand(BaseCommand):
    def add_creditor_argument(self, parser: CommandParser, *, required: bool = False) -> None:
        parser.add_argument(
            "--creditor",
            metavar="CODE",
            required=required,
            help="the creditor (our legal entity) by its code; optional when there is only one",
        )

    def print_json(self, payload: Any) -> None:
        self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
