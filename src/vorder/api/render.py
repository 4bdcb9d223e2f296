"""Ledger records as the JSON bodies of API v1: amounts as strings, dates ISO, numbers not ids.

Amounts go out through ``vorder.common.money.fmt``, the one minor-units-to-text boundary that the
reports use too, so the API and `vorder report` never disagree by a cent or a format.
"""

from __future__ import annotations

from typing import Any

from vorder.common.money import fmt
from vorder.ledger.models import CreditNote, Customer, Invoice, Payment
from vorder.ledger.selectors import OpenItem


def customer_json(customer: Customer, currency: str) -> dict[str, Any]:
    """``currency`` is the creditor's: the currency of the credit limit."""
    return {
        "number": customer.number,
        "name": customer.name,
        "kind": customer.kind,
        "coc_number": customer.coc_number,
        "vat_number": customer.vat_number,
        "address_line1": customer.address_line1,
        "address_line2": customer.address_line2,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "country": customer.country,
        "email": customer.email,
        "phone": customer.phone,
        "language": customer.language,
        "preferred_channel": customer.preferred_channel,
        "payment_term_days": customer.payment_term_days,
        "credit_limit": (
            None
            if customer.credit_limit_minor is None
            else fmt(customer.credit_limit_minor, currency)
        ),
        "segment": customer.segment,
        "tags": list(customer.tags or []),
        "on_hold": customer.on_hold,
        "on_hold_reason": customer.on_hold_reason,
        "iban": customer.iban,
        "contacts": [
            {
                "name": c.name,
                "role": c.role,
                "email": c.email,
                "phone": c.phone,
                "preferred_channel": c.preferred_channel,
                "language": c.language,
                "is_active": c.is_active,
            }
            for c in customer.contacts.all()
        ],
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    currency = invoice.currency
    return {
        "number": invoice.number,
        "customer": invoice.customer.number,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "currency": currency,
        "net": fmt(invoice.net_minor, currency),
        "vat": fmt(invoice.vat_minor, currency),
        "gross": fmt(invoice.gross_minor, currency),
        "open": fmt(invoice.open_minor, currency),
        "status": invoice.status,
        "payment_reference": invoice.payment_reference,
        "description": invoice.description,
        "order_reference": invoice.order_reference,
        "instalments": [
            {
                "sequence": part.sequence,
                "due_date": part.due_date,
                "amount": fmt(part.amount_minor, currency),
                "open": fmt(part.open_minor, currency),
            }
            for part in invoice.instalments.all()
        ],
        "source": invoice.source,
        "created_at": invoice.created_at,
        "updated_at": invoice.updated_at,
    }


def credit_note_json(note: CreditNote) -> dict[str, Any]:
    currency = note.currency
    return {
        "number": note.number,
        "customer": note.customer.number,
        "issue_date": note.issue_date,
        "currency": currency,
        "net": fmt(note.net_minor, currency),
        "vat": fmt(note.vat_minor, currency),
        "gross": fmt(note.gross_minor, currency),
        "open": fmt(note.open_minor, currency),
        "status": note.status,
        "invoice": note.original_invoice.number if note.original_invoice else None,
        "description": note.description,
        "source": note.source,
        "created_at": note.created_at,
        "updated_at": note.updated_at,
    }


def payment_json(payment: Payment) -> dict[str, Any]:
    currency = payment.currency
    return {
        "number": payment.number,
        "customer": payment.customer.number if payment.customer else None,
        "date": payment.date,
        "currency": currency,
        "amount": fmt(payment.amount_minor, currency),
        "unallocated": fmt(payment.unallocated_minor, currency),
        "payer_name": payment.payer_name,
        "payer_iban": payment.payer_iban,
        "reference": payment.reference,
        "source": payment.source,
        "created_at": payment.created_at,
    }


def open_item_json(item: OpenItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "number": item.number,
        "date": item.date,
        "due_date": item.due_date,
        "currency": item.currency,
        "gross": fmt(item.gross_minor, item.currency),
        "open": fmt(item.open_minor, item.currency),
        "days_overdue": item.days_overdue,
        "payment_reference": item.payment_reference,
    }
