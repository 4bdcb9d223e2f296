"""A customer's open items, as of a day (default: today where the creditor is)."""

from __future__ import annotations

import datetime as dt

import time_machine

INVOICES = [
    {
        "number": "2025-0001",
        "customer": "D10001",
        "issue_date": "2025-01-01",
        "due_date": "2025-01-31",
        "gross": "121.00",
    },
    {
        "number": "2025-0002",
        "customer": "D10001",
        "issue_date": "2025-03-01",
        "due_date": "2025-03-31",
        "gross": "60.50",
    },
]


def test_open_items_as_of_a_day(api, customer):
    api.post("/api/v1/invoices/bulk", INVOICES)
    api.put(
        "/api/v1/payments/BANK-1",
        {"date": "2025-02-10", "amount": "21.00", "invoices": ["2025-0001"], "customer": "D10001"},
    )

    response = api.get("/api/v1/customers/D10001/open-items", as_of="2025-02-15")

    assert response.status_code == 200
    body = response.json()
    assert body["customer"] == "D10001"
    assert body["as_of"] == "2025-02-15"
    assert body["items"] == [
        {
            "kind": "invoice",
            "number": "2025-0001",
            "date": "2025-01-01",
            "due_date": "2025-01-31",
            "currency": "EUR",
            "gross": "121.00",
            "open": "100.00",
            "days_overdue": 15,
            "payment_reference": body["items"][0]["payment_reference"],
        }
    ]


def test_open_items_default_to_today_in_the_creditors_time_zone(api, customer):
    api.post("/api/v1/invoices/bulk", INVOICES)

    # 23:30 UTC on 31 March is already 1 April in Amsterdam: the second invoice is a day late.
    with time_machine.travel(dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        body = api.get("/api/v1/customers/D10001/open-items").json()

    assert body["as_of"] == "2025-04-01"
    assert [(i["number"], i["days_overdue"]) for i in body["items"]] == [
        ("2025-0001", 60),
        ("2025-0002", 1),
    ]


def test_a_credit_note_shows_as_a_negative_open_item(api, customer):
    api.post("/api/v1/invoices/bulk", INVOICES)
    api.put(
        "/api/v1/credit-notes/CN-1",
        {"customer": "D10001", "issue_date": "2025-02-01", "gross": "10.00"},
    )

    items = api.get("/api/v1/customers/D10001/open-items", as_of="2025-02-15").json()["items"]

    assert [(i["kind"], i["open"]) for i in items] == [
        ("invoice", "121.00"),
        ("credit_note", "-10.00"),
    ]


def test_a_bad_as_of_is_refused_naming_the_parameter(api, customer):
    response = api.get("/api/v1/customers/D10001/open-items", as_of="yesterday")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "as_of"
