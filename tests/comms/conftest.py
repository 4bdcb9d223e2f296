from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest

AS_OF = dt.date(2026, 11, 22)


def full_context(language: str = "nl") -> dict[str, Any]:
    """A complete context as dunning would hand it over: every variable any template may use."""
    return {
        "as_of": "2026-11-22",
        "language": language,
        "creditor": {
            "name": "Acme Groothandel B.V.",
            "address_lines": ["Keizersgracht 1", "1015 AA Amsterdam"],
            "country": "NL",
            "iban": "NL91ABNA0417164300",
            "bic": "ABNANL2A",
            "email": "debiteuren@acme.example",
            "phone": "020 123 4567",
            "website": "acme.example",
            "vat_number": "NL001234567B01",
            "coc_number": "12345678",
            "letterhead": "",
            "logo_path": "",
        },
        "customer": {
            "number": "D10001",
            "name": "Bakkerij De Korenbloem",
            "address_lines": ["Dorpsstraat 12", "3512 AB Utrecht"],
            "country": "NL",
            "language": language,
            "kind": "b2b",
        },
        "contact": {"name": "Jan de Vries", "email": "jan@korenbloem.example", "phone": ""},
        "items": [
            {
                "number": "2026-00017",
                "issue_date": "2026-09-01",
                "due_date": "2026-10-01",
                "days_overdue": 52,
                "gross": "1234.50",
                "open": "1234.50",
                "currency": "EUR",
                "payment_reference": "RF18539007547034",
                "description": "Meel",
            },
            {
                "number": "2026-00029",
                "issue_date": "2026-09-15",
                "due_date": "2026-10-15",
                "days_overdue": 38,
                "gross": "250.00",
                "open": "100.00",
                "currency": "EUR",
                "payment_reference": "RF18539007547034",
                "description": "Meel",
            },
        ],
        "totals": {
            "currency": "EUR",
            "overdue": "1334.50",
            "open": "1334.50",
            "interest": "12.34",
            "costs": "200.18",
            "total_due": "1547.02",
        },
        "interest_lines": [
            {
                "number": "2026-00017",
                "from": "2026-10-02",
                "to": "2026-11-22",
                "days": 52,
                "rate": "6.00",
                "interest": "10.55",
            },
            {
                "number": "2026-00029",
                "from": "2026-10-16",
                "to": "2026-11-22",
                "days": 38,
                "rate": "6.00",
                "interest": "1.79",
            },
        ],
        "cost_lines": [{"description": "Incassokosten (WIK)", "amount": "200.18"}],
        "statement": {
            "lines": [
                {
                    "date": "2026-09-01",
                    "kind": "invoice",
                    "number": "2026-00017",
                    "description": "Meel",
                    "debit": "1234.50",
                    "credit": "",
                    "balance": "1234.50",
                },
                {
                    "date": "2026-09-15",
                    "kind": "invoice",
                    "number": "2026-00029",
                    "description": "Gist",
                    "debit": "250.00",
                    "credit": "",
                    "balance": "1484.50",
                },
                {
                    "date": "2026-10-20",
                    "kind": "payment",
                    "number": "PAY-1",
                    "description": "",
                    "debit": "",
                    "credit": "150.00",
                    "balance": "1334.50",
                },
            ],
            "closing": "1334.50",
        },
        "payment_reference": "RF18539007547034",
        "pay_by": "2026-12-06",
        "payment_link": "https://pay.example/x1",
        "portal_link": "https://portal.example/d10001",
        "level": {"key": "reminder", "name": "Herinnering"},
        "tone": "neutral",
        "announced_costs": "200.18",
        "announced_costs_include_vat": False,
        "announced_interest_rate": "10.15",
        "agency": "Incasso Noord B.V.",
        "promise": {"amount": "500.00", "date": "2026-12-01"},
        "arrangement": {
            "total": "1334.50",
            "instalments": [
                {"date": "2026-12-01", "amount": "667.25"},
                {"date": "2027-01-01", "amount": "667.25"},
            ],
        },
        "dispute": {"reason": "The goods were delivered complete on 2 September 2026."},
    }


@pytest.fixture
def context() -> dict[str, Any]:
    return full_context()


@pytest.fixture
def outbox_dirs(settings, tmp_path):
    """Send into a fresh outbox folder and documents folder per test."""
    settings.VORDER_OUTBOX_DIR = tmp_path / "outbox"
    settings.MEDIA_ROOT = tmp_path / "documents"
    settings.MEDIA_ROOT.mkdir()
    settings.EMAIL_BACKEND = "vorder.comms.backends.EmlOutboxBackend"
    return tmp_path


@pytest.fixture
def ledger(creditor, customer):
    """Acme with an address and IBAN; the customer with an address, a contact and two overdue invoices."""
    from tests.factories import ContactFactory, InvoiceFactory

    creditor.address_line1, creditor.postal_code, creditor.city = (
        "Keizersgracht 1",
        "1015 AA",
        "Amsterdam",
    )
    creditor.email, creditor.phone, creditor.coc_number = (
        "debiteuren@acme.example",
        "020 123 4567",
        "12345678",
    )
    creditor.save()
    customer.address_line1, customer.postal_code, customer.city = (
        "Dorpsstraat 12",
        "3512 AB",
        "Utrecht",
    )
    customer.email = "crediteuren@korenbloem.example"
    customer.save()
    contact = ContactFactory(customer=customer, name="Jan de Vries", email="jan@korenbloem.example")
    first = InvoiceFactory(
        customer=customer,
        number="2026-00017",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        net_minor=102025,
        vat_minor=21425,
        payment_reference="RF18539007547034",
    )
    second = InvoiceFactory(
        customer=customer,
        number="2026-00029",
        issue_date=dt.date(2026, 9, 15),
        due_date=dt.date(2026, 10, 15),
        net_minor=20661,
        vat_minor=4339,
        payment_reference="RF18539007547034",
    )
    return {
        "creditor": creditor,
        "customer": customer,
        "contact": contact,
        "invoices": [first, second],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
