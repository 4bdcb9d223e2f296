"""Reads of statements and lines that other parts of vorder show (workspace, dunning, API)."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, QuerySet

from vorder.banking.models import BankStatement, LineStatus, StatementLine
from vorder.ledger.models import Creditor


def returned_lines(*, creditor: Creditor, since: date) -> QuerySet[StatementLine]:
    """Returned direct debits and reversed payments booked since a day, newest first.

    The collector must hear of these: the items they paid are open again. Only the lines that
    take money back are listed (not the original credits they point to).
    """
    return (
        StatementLine.objects.filter(
            creditor=creditor,
            status=LineStatus.RETURNED,
            amount_minor__lt=0,
            booking_date__gte=since,
        )
        .select_related("customer", "reverses", "account")
        .order_by("-booking_date", "-pk")
    )


def statement_list(*, creditor: Creditor) -> QuerySet[BankStatement]:
    """The creditor's imported statements, newest first, with their number of lines."""
    return (
        BankStatement.objects.filter(creditor=creditor)
        .select_related("account")
        .annotate(line_count=Count("lines"))
        .order_by("-imported_at", "-pk")
    )
