"""Credit notes and payments through the API settle the invoices they name."""

from __future__ import annotations

import pytest

from vorder.ledger.models import Allocation, Payment

INVOICE = {"customer": "D10001", "issue_date": "2025-03-01", "gross": "121.00"}


@pytest.fixture
def invoiced(api, customer):
    assert api.put("/api/v1/invoices/2025-0001", INVOICE).status_code == 201
    assert api.put("/api/v1/invoices/2025-0002", INVOICE).status_code == 201


def test_a_credit_note_for_an_invoice_is_allocated_to_it(api, invoiced):
    response = api.put(
        "/api/v1/credit-notes/CN-2025-01",
        {
            "customer": "D10001",
            "issue_date": "2025-03-05",
            "gross": "21.00",
            "invoice": "2025-0001",
        },
    )

    assert response.status_code == 201
    assert response.json()["open"] == "0.00"
    assert response.json()["status"] == "settled"
    assert response.json()["invoice"] == "2025-0001"
    assert api.get("/api/v1/invoices/2025-0001").json()["open"] == "100.00"
    assert api.get("/api/v1/credit-notes", status="settled").json()["count"] == 1


def test_a_credit_note_for_an_unknown_invoice_is_refused(api, invoiced):
    response = api.put(
        "/api/v1/credit-notes/CN-2025-01",
        {
            "customer": "D10001",
            "issue_date": "2025-03-05",
            "gross": "21.00",
            "invoice": "2025-9999",
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "invoice", "message": "unknown invoice '2025-9999'"}
    ]


def test_a_payment_naming_invoices_settles_them_in_order(api, invoiced):
    response = api.put(
        "/api/v1/payments/BANK-0001",
        {
            "date": "2025-03-20",
            "amount": "150.00",
            "customer": "D10001",
            "payer_iban": "NL91 ABNA 0417 1643 00",
            "invoices": ["2025-0001", "2025-0002"],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["amount"], body["unallocated"], body["source"]) == ("150.00", "0.00", "api")
    assert body["payer_iban"] == "NL91ABNA0417164300"
    assert api.get("/api/v1/invoices/2025-0001").json()["status"] == "paid"
    assert api.get("/api/v1/invoices/2025-0002").json()["open"] == "92.00"
    assert Allocation.objects.count() == 2
    assert Payment.objects.get().source == Payment.Source.API


def test_a_payment_naming_an_unknown_invoice_names_the_api_field(api, invoiced):
    response = api.post(
        "/api/v1/payments/bulk",
        [
            {"number": "BANK-1", "date": "2025-03-20", "amount": "10.00"},
            {
                "number": "BANK-2",
                "date": "2025-03-20",
                "amount": "10.00",
                "invoices": ["2025-9999"],
            },
        ],
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "invoices", "message": "unknown invoice '2025-9999'", "index": 1}
    ]
    assert not Payment.objects.exists()


def test_payments_are_listed_by_what_is_left_unallocated(api, invoiced):
    api.post(
        "/api/v1/payments/bulk",
        [
            {
                "number": "BANK-1",
                "date": "2025-03-20",
                "amount": "121.00",
                "invoices": ["2025-0001"],
            },
            {"number": "BANK-2", "date": "2025-03-21", "amount": "50", "customer": "D10001"},
        ],
    )

    left = api.get("/api/v1/payments", unallocated="true").json()

    assert [(p["number"], p["unallocated"]) for p in left["items"]] == [("BANK-2", "50.00")]
    assert api.get("/api/v1/payments/BANK-1").json()["unallocated"] == "0.00"
    assert api.get("/api/v1/payments", paid_after="2025-03-20").json()["count"] == 1
