"""Customers through the API: the importer's validation, upsert by debtor number, audited."""

from __future__ import annotations

from vorder.common.models import AuditEntry
from vorder.ledger.models import Customer

KORENBLOEM = {
    "name": "Bakkerij De Korenbloem",
    "kind": "b2b",
    "vat_number": "NL004495445B01",
    "city": "Utrecht",
    "credit_limit": "5000.00",
    "tags": ["horeca", "utrecht"],
    "contacts": [{"name": "Sanne Bakker", "role": "finance", "email": "sanne@korenbloem.nl"}],
}


def test_a_new_customer_is_created_and_read_back(api, creditor):
    response = api.put("/api/v1/customers/D20001", KORENBLOEM)

    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "D20001"
    assert body["credit_limit"] == "5000.00"
    assert body["tags"] == ["horeca", "utrecht"]
    assert body["contacts"][0]["email"] == "sanne@korenbloem.nl"
    assert api.get("/api/v1/customers/D20001").json() == body
    assert Customer.objects.get(number="D20001").credit_limit_minor == 500000


def test_sending_the_same_customer_again_changes_nothing(api, creditor):
    api.put("/api/v1/customers/D20001", KORENBLOEM)
    entries = AuditEntry.objects.count()

    response = api.put("/api/v1/customers/D20001", KORENBLOEM)

    assert response.status_code == 200
    assert AuditEntry.objects.count() == entries


def test_an_update_changes_only_the_fields_sent_and_is_audited_as_the_token(api, creditor):
    api.put("/api/v1/customers/D20001", KORENBLOEM)

    response = api.put(
        "/api/v1/customers/D20001", {"name": "Bakkerij De Korenbloem", "city": "Zeist"}
    )

    assert response.status_code == 200
    assert response.json()["city"] == "Zeist"
    assert response.json()["vat_number"] == "NL004495445B01"  # not sent: kept
    entry = AuditEntry.objects.filter(model="ledger.customer", action="update").get()
    assert entry.actor == "api:webshop"
    assert entry.changes == {"city": ["Utrecht", "Zeist"]}


def test_a_bad_vat_number_is_refused_naming_the_field(api, creditor):
    response = api.put("/api/v1/customers/D20001", {**KORENBLOEM, "vat_number": "NL123"})

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "vat_number"
    assert "is not a valid VAT number" in error["message"]
    assert "index" not in error
    assert not Customer.objects.exists()


def test_every_bad_field_is_named_at_once(api, creditor):
    response = api.put(
        "/api/v1/customers/D20001",
        {
            "name": "X",
            "email": "not-an-address",
            "kind": "alien",
            "contacts": [{"name": "A", "email": "@"}],
        },
    )

    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"email", "kind", "contacts[0].email"}


def test_unknown_and_missing_fields_are_refused(api, creditor):
    response = api.put("/api/v1/customers/D20001", {"nmae": "typo"})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "name", "message": "is required"},
        {"field": "nmae", "message": "is not a known field"},
    ]


def test_a_number_in_the_body_must_match_the_url(api, creditor):
    response = api.put("/api/v1/customers/D20001", {**KORENBLOEM, "number": "D20002"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "number"


def test_an_unknown_customer_is_404(api, creditor):
    response = api.get("/api/v1/customers/D99999")

    assert response.status_code == 404
    assert response.json() == {"detail": "there is no customer with number 'D99999'", "errors": []}


def test_bulk_upsert_counts_created_updated_and_unchanged(api, creditor):
    api.put("/api/v1/customers/D1", {"name": "Een"})
    api.put("/api/v1/customers/D2", {"name": "Twee"})

    response = api.post(
        "/api/v1/customers/bulk",
        [
            {"number": "D1", "name": "Een"},
            {"number": "D2", "name": "Twee B.V."},
            {"number": "D3", "name": "Drie"},
        ],
    )

    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 1}


def test_customers_are_listed_with_filters(api, creditor):
    api.post(
        "/api/v1/customers/bulk",
        [
            {"number": "D1", "name": "Een", "kind": "b2c"},
            {"number": "D2", "name": "Twee", "on_hold": True, "on_hold_reason": "faillissement"},
            {"number": "D3", "name": "Drie"},
        ],
    )

    assert [c["number"] for c in api.get("/api/v1/customers", kind="b2c").json()["items"]] == ["D1"]
    assert [c["number"] for c in api.get("/api/v1/customers", on_hold="true").json()["items"]] == [
        "D2"
    ]
    assert api.get("/api/v1/customers").json()["count"] == 3


def test_a_nested_shape_error_is_named_like_the_importer_names_it(api, creditor):
    response = api.post(
        "/api/v1/customers/bulk",
        [
            {"number": "D1", "name": "Een"},
            {"number": "D2", "name": "Twee", "contacts": [{"email": "a@b.nl"}]},
        ],
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "contacts[0].name", "message": "is required", "index": 1}
    ]
