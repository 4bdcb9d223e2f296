"""A token for one creditor can never see or change another creditor's data."""

from __future__ import annotations

from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory
from vorder.ledger.models import Invoice


def test_another_creditors_records_are_invisible(api, other_creditor):
    theirs = CustomerFactory(creditor=other_creditor, number="B001")
    InvoiceFactory(customer=theirs, number="BE-2025-1")
    PaymentFactory(customer=theirs, number="BANK-1")

    assert api.get("/api/v1/customers/B001").status_code == 404
    assert api.get("/api/v1/customers/B001/open-items").status_code == 404
    assert api.get("/api/v1/invoices/BE-2025-1").status_code == 404
    assert api.get("/api/v1/payments/BANK-1").status_code == 404
    assert api.get("/api/v1/customers").json()["count"] == 0
    assert api.get("/api/v1/invoices").json()["items"] == []
    assert api.get("/api/v1/payments").json()["count"] == 0


def test_an_invoice_cannot_be_booked_on_another_creditors_customer(api, other_creditor):
    CustomerFactory(creditor=other_creditor, number="B001")

    response = api.put(
        "/api/v1/invoices/2025-0001",
        {"customer": "B001", "issue_date": "2025-03-01", "gross": "121.00"},
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "customer", "message": "unknown customer 'B001'"}
    ]
    assert not Invoice.objects.exists()


def test_the_same_number_at_two_creditors_are_two_invoices(
    api, other_api, customer, other_creditor
):
    theirs = CustomerFactory(creditor=other_creditor, number="D10001")
    InvoiceFactory(customer=theirs, number="2025-0001", net_minor=50000, vat_minor=0)

    response = api.put(
        "/api/v1/invoices/2025-0001",
        {"customer": "D10001", "issue_date": "2025-03-01", "gross": "121.00"},
    )

    assert response.status_code == 201
    assert other_api.get("/api/v1/invoices/2025-0001").json()["gross"] == "500.00"
    assert api.get("/api/v1/invoices/2025-0001").json()["gross"] == "121.00"
