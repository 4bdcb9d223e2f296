"""Reads of statements and lines that other parts of vorder show (workspace, dunning, API)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet

from vorder.banking.models import BankStatement, LineStatus, StatementLine
from vorder.domain.money import Money
from vorder.ledger.models import Creditor, Customer


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


def statement_lines_json(lines: Sequence[StatementLine]) -> list[dict[str, Any]]:
    """Statement lines as the CLI (``--json``) and the API show them: the booking, what the
    matcher decided and why, and for a queued line its suggestions, numbered from 1 as
    ``accept`` takes them, each naming its customer. Amounts are decimal strings."""
    ids = {s.get("customer_id") for line in lines for s in (line.suggestions or [])}
    ids |= {line.customer_id for line in lines}
    customers = {
        pk: (number, name)
        for pk, number, name in Customer.objects.filter(pk__in=[i for i in ids if i]).values_list(
            "pk", "number", "name"
        )
    }

    def amount(minor: int | None, currency: str) -> str | None:
        return None if minor is None else str(Money.from_minor(minor, currency).amount)

    def customer(pk: int | None) -> dict[str, str] | None:
        if pk is None or pk not in customers:
            return None
        number, name = customers[pk]
        return {"number": number, "name": name}

    return [
        {
            "id": line.pk,
            "statement": line.statement_id,
            "booking_date": line.booking_date.isoformat(),
            "value_date": line.value_date.isoformat() if line.value_date else None,
            "amount": amount(line.amount_minor, line.currency),
            "currency": line.currency,
            "counterparty_name": line.counterparty_name,
            "counterparty_iban": line.counterparty_iban,
            "remittance_info": line.remittance_info,
            "structured_reference": line.structured_reference,
            "end_to_end_id": line.end_to_end_id,
            "status": line.status,
            "customer": customer(line.customer_id),
            "confidence": None if line.confidence is None else line.confidence / 1000,
            "explanation": line.explanation,
            "reverses": line.reverses_id,
            "suggestions": [
                {
                    "number": n,
                    "outcome": s.get("outcome", ""),
                    "customer": customer(s.get("customer_id")),
                    "allocations": [
                        {
                            "invoice": a["invoice"],
                            "amount": amount(a["amount_minor"], line.currency),
                        }
                        for a in s.get("allocations", [])
                    ],
                    "on_account": amount(s.get("unallocated_minor", 0), line.currency),
                    "confidence": float(s.get("confidence", 0)),
                    "explanation": s.get("explanation", ""),
                }
                for n, s in enumerate(line.suggestions or [], start=1)
            ],
        }
        for line in lines
    ]
