"""Invoices through the API: upsert one or many, read, filter and page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.factories import CustomerFactory, InvoiceFactory
from vorder.common.models import AuditEntry
from vorder.ledger.models import Invoice

INVOICE = {"customer": "D10001", "issue_date": "2025-03-01", "net": "100.00", "vat": "21.00"}


def test_a_new_invoice_is_created_with_amounts_as_strings(api, customer):
    response = api.put("/api/v1/invoices/2025-0001", {**INVOICE, "due_date": "2025-03-31"})

    assert response.status_code == 201
    body = response.json()
    assert body["gross"] == "121.00"
    assert body["open"] == "121.00"
    assert body["net"] == "100.00"
    assert body["status"] == "open"
    assert body["due_date"] == "2025-03-31"
    assert body["customer"] == "D10001"
    assert body["source"] == "api"
    assert body["payment_reference"].startswith("RF")
    assert b'"gross": "121.00"' in response.content
    stored = Invoice.objects.get(number="2025-0001")
    assert (stored.gross_minor, stored.open_minor) == (12100, 12100)


def test_without_a_due_date_the_payment_term_applies(api, creditor, customer):
    creditor.default_payment_term_days = 14
    creditor.save()

    response = api.put("/api/v1/invoices/2025-0001", INVOICE)

    assert response.json()["due_date"] == "2025-03-15"


def test_update_and_unchanged(api, customer):
    api.put("/api/v1/invoices/2025-0001", INVOICE)

    again = api.put("/api/v1/invoices/2025-0001", INVOICE)
    assert again.status_code == 200
    assert AuditEntry.objects.filter(model="ledger.invoice", action="update").count() == 0

    corrected = api.put("/api/v1/invoices/2025-0001", {**INVOICE, "net": "200.00", "vat": "42.00"})
    assert corrected.status_code == 200
    assert corrected.json()["gross"] == "242.00"
    entry = AuditEntry.objects.get(model="ledger.invoice", action="update")
    assert entry.actor == "api:webshop"
    assert entry.changes["gross_minor"] == [12100, 24200]
    assert Invoice.objects.count() == 1


def test_an_invoice_number_with_a_slash(api, customer):
    assert api.put("/api/v1/invoices/2025/0001", INVOICE).status_code == 201
    assert api.get("/api/v1/invoices/2025/0001").json()["number"] == "2025/0001"


def test_a_json_float_is_refused_as_an_amount(api, customer):
    response = api.put("/api/v1/invoices/2025-0001", {**INVOICE, "net": 100.1, "vat": "21.00"})

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "net"
    assert "not floating point" in error["message"]
    assert not Invoice.objects.exists()


def test_validation_errors_name_each_field(api, customer):
    response = api.put(
        "/api/v1/invoices/2025-0001",
        {**INVOICE, "issue_date": "31-02-2025", "vat": "21.005", "currency": "EURO"},
    )

    assert response.status_code == 422
    body = response.json()
    assert {e["field"] for e in body["errors"]} == {"issue_date", "vat", "currency"}
    assert body["detail"] == "the invoice has 3 errors"


def test_an_instalment_schedule_must_add_up(api, customer):
    response = api.put(
        "/api/v1/invoices/2025-0001",
        {
            **INVOICE,
            "instalments": [
                {"due_date": "2025-04-01", "amount": "60.00"},
                {"due_date": "2025-05-01", "amount": "60.00"},
            ],
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "instalments"

    response = api.put(
        "/api/v1/invoices/2025-0001",
        {
            **INVOICE,
            "instalments": [
                {"due_date": "2025-04-01", "amount": "60.00"},
                {"due_date": "2025-05-01", "amount": "61.00"},
            ],
        },
    )
    assert response.status_code == 201
    assert [p["amount"] for p in response.json()["instalments"]] == ["60.00", "61.00"]


def test_bulk_with_one_bad_row_writes_nothing_and_names_the_row(api, customer):
    items = [
        {"number": "2025-0001", **INVOICE},
        {"number": "2025-0002", **INVOICE, "gross": "999.00"},
        {"number": "2025-0003", **INVOICE},
    ]

    response = api.post("/api/v1/invoices/bulk", items)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "gross", "message": "999.00 is not net 100.00 + VAT 21.00", "index": 1}
    ]
    assert "nothing was written" in response.json()["detail"]
    assert not Invoice.objects.exists()


def test_bulk_names_the_row_of_a_shape_error_and_of_an_unknown_customer(api, customer):
    shape = api.post("/api/v1/invoices/bulk", [{"number": "1", **INVOICE}, {**INVOICE}])
    assert shape.status_code == 422
    assert shape.json()["errors"] == [{"field": "number", "message": "is required", "index": 1}]

    unknown = api.post(
        "/api/v1/invoices/bulk",
        [{"number": "1", **INVOICE}, {"number": "2", **INVOICE, "customer": "D404"}],
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"field": "customer", "message": "unknown customer 'D404'", "index": 1}
    ]
    assert not Invoice.objects.exists()


def test_bulk_creates_and_updates(api, customer):
    api.put("/api/v1/invoices/2025-0001", INVOICE)

    response = api.post(
        "/api/v1/invoices/bulk",
        [{"number": "2025-0001", **INVOICE}, {"number": "2025-0002", **INVOICE}],
    )

    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 1}


def test_an_empty_bulk_is_refused(api, customer):
    response = api.post("/api/v1/invoices/bulk", [])

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


def test_a_body_that_is_not_json_is_refused(api, customer):
    response = api.client.put(
        "/api/v1/invoices/2025-0001",
        "{not json",
        content_type="application/json",
        headers=api.headers,
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Cannot parse request body")


def test_an_unknown_invoice_is_404(api, customer):
    assert api.get("/api/v1/invoices/2025-9999").status_code == 404


@pytest.fixture
def ledger(customer):
    """Five invoices of D10001 due in March and one of another customer."""
    other = CustomerFactory(creditor=customer.creditor, number="D10002")
    for day in range(1, 6):
        InvoiceFactory(
            customer=customer,
            number=f"2025-{day:04d}",
            issue_date=dt.date(2025, 2, day),
            due_date=dt.date(2025, 3, day),
        )
    InvoiceFactory(
        customer=other,
        number="2025-0006",
        issue_date=dt.date(2025, 2, 1),
        due_date=dt.date(2025, 4, 1),
        status="paid",
        open_minor=0,
    )


def numbers(response):
    assert response.status_code == 200, response.json()
    return [item["number"] for item in response.json()["items"]]


def test_invoices_are_paged(api, ledger):
    first = api.get("/api/v1/invoices", limit=4)
    second = api.get("/api/v1/invoices", limit=4, offset=4)

    assert first.json()["count"] == 6
    assert first.json()["next_offset"] == 4
    assert second.json()["next_offset"] is None
    assert numbers(first) + numbers(second) == [f"2025-{n:04d}" for n in range(1, 7)]


def test_a_page_too_large_is_refused_naming_the_parameter(api, ledger):
    response = api.get("/api/v1/invoices", limit=5000)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_invoices_are_filtered(api, ledger):
    assert numbers(api.get("/api/v1/invoices", status="paid")) == ["2025-0006"]
    assert numbers(api.get("/api/v1/invoices", customer="D10002")) == ["2025-0006"]
    assert numbers(api.get("/api/v1/invoices", due_before="2025-03-03")) == [
        "2025-0001",
        "2025-0002",
    ]
    assert numbers(api.get("/api/v1/invoices", due_after="2025-03-04")) == [
        "2025-0005",
        "2025-0006",
    ]
    assert numbers(
        api.get("/api/v1/invoices", status="open", due_after="2025-03-01", due_before="2025-03-04")
    ) == ["2025-0002", "2025-0003"]


def test_an_unknown_status_is_refused(api, ledger):
    response = api.get("/api/v1/invoices", status="overdue")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


def test_invoices_changed_since_a_moment(api, customer):
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        api.put("/api/v1/invoices/2025-0001", INVOICE)
        api.put("/api/v1/invoices/2025-0002", INVOICE)
    with time_machine.travel(dt.datetime(2025, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        api.put("/api/v1/invoices/2025-0002", {**INVOICE, "description": "corrected"})

    response = api.get("/api/v1/invoices", updated_since="2025-03-02T00:00:00Z")

    assert numbers(response) == ["2025-0002"]


def test_a_body_over_the_servers_limit_is_refused_with_413(api, customer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    items = [{"number": f"2025-{n:04d}", **INVOICE} for n in range(50)]

    response = api.post("/api/v1/invoices/bulk", items)

    assert response.status_code == 413
    assert not Invoice.objects.exists()
