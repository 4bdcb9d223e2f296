"""SEPA direct debit mandates through the API, as Acme's webshop registers its e-mandates.

Bakkerij De Korenbloem (D10001) signs mandate MND-0001 for its Rabobank account on 20 March
2025; the webshop registers it. Later the bakery moves to ING (an amendment the next collection
tells the bank about), and in the end withdraws the mandate. Every change is audited as
`api:webshop`, and the services' refusals come back naming the field.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.conftest import ApiClient
from tests.factories import CustomerFactory
from vorder.banking.directdebit.models import Mandate
from vorder.banking.directdebit.services import mandate_create
from vorder.common.models import AuditEntry
from vorder.ledger.models import Customer, CustomerBankAccount

RABO = "NL44RABO0123456789"
INGB = "NL20INGB0001234567"
SIGNED = dt.date(2025, 3, 20)

pytestmark = pytest.mark.django_db

MANDATE = {
    "customer": "D10001",
    "mandate_id": "MND-0001",
    "signed_on": "2025-03-20",
    "iban": "nl44 rabo 0123 4567 89",
}


def signed(customer, mandate_id: str = "MND-0001", iban: str = RABO) -> Mandate:
    return mandate_create(
        creditor=customer.creditor,
        customer=customer,
        mandate_id=mandate_id,
        signed_on=SIGNED,
        debtor_iban=iban,
        as_of=SIGNED,
    )


def errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# -- registering ------------------------------------------------------------------------------
def test_the_webshop_registers_a_signed_mandate(api, customer):
    response = api.post("/api/v1/mandates", MANDATE)

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("mandate_id", "customer", "name", "iban", "bic", "scheme",
                                 "sequence_type", "status", "signed_on")} == {
        "mandate_id": "MND-0001", "customer": "D10001", "name": "Bakkerij De Korenbloem",
        "iban": RABO, "bic": "RABONL2U", "scheme": "CORE", "sequence_type": "FRST",
        "status": "active", "signed_on": "2025-03-20",
    }  # fmt: skip
    assert body["amendment_pending"] is False
    assert body["revoked_on"] is None
    assert api.get("/api/v1/mandates/MND-0001").json() == body
    mandate = Mandate.objects.get()
    assert (mandate.customer, mandate.debtor_iban) == (customer, RABO)
    entry = AuditEntry.objects.get(model="directdebit.mandate", action="create")
    assert entry.actor == "api:webshop"
    assert CustomerBankAccount.objects.filter(customer=customer, iban=RABO).exists()


def test_every_choice_of_the_form_can_be_sent(api, creditor):
    CustomerFactory(creditor=creditor, number="D20002", name="Molen BV")

    response = api.post(
        "/api/v1/mandates",
        {"customer": "D20002", "mandate_id": "B2B/2025/7", "signed_on": "01-03-2025",
         "iban": INGB, "bic": "INGBNL2A", "name": "Molen B.V. inkoop", "scheme": "B2B",
         "sequence_type": "RCUR"},
    )  # fmt: skip

    assert response.status_code == 201
    body = response.json()
    assert (body["mandate_id"], body["signed_on"], body["bic"], body["name"]) == (
        "B2B/2025/7", "2025-03-01", "INGBNL2A", "Molen B.V. inkoop"
    )  # fmt: skip
    assert (body["scheme"], body["sequence_type"]) == ("B2B", "RCUR")
    assert api.get("/api/v1/mandates/B2B/2025/7").json()["customer"] == "D20002"


def test_a_refused_mandate_names_each_field_and_writes_nothing(api, creditor, customer):
    consumer = CustomerFactory(creditor=creditor, number="P1", kind=Customer.Kind.B2C)

    bad = api.post(
        "/api/v1/mandates",
        {**MANDATE, "mandate_id": "MND//1", "iban": "NL44RABO0123456780", "bic": "XX",
         "sequence_type": "FNAL", "signed_on": "2999-01-01"},
    )  # fmt: skip
    b2b_for_a_consumer = api.post(
        "/api/v1/mandates", {**MANDATE, "customer": consumer.number, "scheme": "B2B"}
    )
    unknown = api.post("/api/v1/mandates", {**MANDATE, "customer": "D404", "signed_on": "gisteren"})
    shape = api.post("/api/v1/mandates", {"customer": "D10001", "signed_on": "2025-03-20",
                                          "ibna": RABO})  # fmt: skip

    assert set(errors(bad)) == {"mandate_id", "iban", "bic", "sequence_type", "signed_on"}
    assert "is not a valid IBAN" in errors(bad)["iban"]
    assert errors(bad)["sequence_type"] == (
        "'FNAL' is not FRST (new), RCUR (collected before) or OOFF (one-off)"
    )
    assert bad.json()["detail"] == "the mandate has 5 errors; nothing was written"
    assert errors(b2b_for_a_consumer) == {
        "scheme": "the B2B scheme is for businesses only; consumers sign CORE mandates"
    }
    assert errors(unknown) == {
        "customer": "unknown customer 'D404'",
        "signed_on": "'gisteren' is not a date; write YYYY-MM-DD or DD-MM-YYYY",
    }
    assert errors(shape) == {
        "mandate_id": "is required",
        "iban": "is required",
        "ibna": "is not a known field",
    }
    assert not Mandate.objects.exists()


def test_a_second_active_mandate_is_refused_with_the_reason(api, customer):
    signed(customer)

    response = api.post("/api/v1/mandates", {**MANDATE, "mandate_id": "MND-2"})

    assert errors(response) == {
        "customer": "customer D10001 has active mandate MND-0001: revoke or amend that one"
    }
    used = api.post("/api/v1/mandates", MANDATE)
    assert "mandate id 'MND-0001' is used already" in errors(used)["mandate_id"]


# -- reading ----------------------------------------------------------------------------------
def test_the_list_filters_by_status_and_customer_and_pages(api, creditor, customer):
    other = CustomerFactory(creditor=creditor, number="D20002")
    first = signed(customer)
    first.status = Mandate.Status.REVOKED
    first.save()
    signed(customer, "MND-0002", INGB)
    signed(other, "MND-0003")

    everything = api.get("/api/v1/mandates").json()
    revoked = api.get("/api/v1/mandates", status="revoked").json()
    korenbloem = api.get("/api/v1/mandates", customer="D10001", status="active").json()
    paged = api.get("/api/v1/mandates", limit=2).json()

    assert [m["mandate_id"] for m in everything["items"]] == ["MND-0001", "MND-0002", "MND-0003"]
    assert [m["mandate_id"] for m in revoked["items"]] == ["MND-0001"]
    assert [m["mandate_id"] for m in korenbloem["items"]] == ["MND-0002"]
    assert (paged["count"], paged["next_offset"], len(paged["items"])) == (3, 2, 2)
    wrong = api.get("/api/v1/mandates", status="cancelled")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "status"


def test_another_creditors_mandates_are_invisible_and_untouchable(
    api, other_api, other_creditor, customer
):
    theirs = signed(CustomerFactory(creditor=other_creditor, number="B001"), "BE-MND-1")
    signed(customer)

    assert [m["mandate_id"] for m in api.get("/api/v1/mandates").json()["items"]] == ["MND-0001"]
    assert other_api.get("/api/v1/mandates/MND-0001").status_code == 404
    missing = api.get("/api/v1/mandates/BE-MND-1")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "there is no mandate with id 'BE-MND-1'", "errors": []}
    assert api.post("/api/v1/mandates/BE-MND-1/amend", {"iban": RABO}).status_code == 404
    revoke = api.post("/api/v1/mandates/BE-MND-1/revoke", {"on": "2025-04-01", "reason": "x"})
    assert revoke.status_code == 404
    registered = api.post("/api/v1/mandates", {**MANDATE, "customer": "B001"})
    assert errors(registered) == {"customer": "unknown customer 'B001'"}
    theirs.refresh_from_db()
    assert (theirs.status, theirs.debtor_iban) == ("active", RABO)


def test_without_a_token_nothing_is_read_or_changed(customer):
    signed(customer)
    anonymous = ApiClient(None)

    for response in (
        anonymous.get("/api/v1/mandates"),
        anonymous.get("/api/v1/mandates/MND-0001"),
        anonymous.post("/api/v1/mandates", {**MANDATE, "mandate_id": "MND-9"}),
        anonymous.post("/api/v1/mandates/MND-0001/revoke", {"on": "2025-04-01", "reason": "x"}),
    ):
        assert response.status_code == 401
    assert Mandate.objects.get().status == "active"


# -- amending ---------------------------------------------------------------------------------
def test_the_bakery_moves_to_another_bank(api, customer):
    signed(customer)

    response = api.post("/api/v1/mandates/MND-0001/amend", {"iban": INGB})

    assert response.status_code == 200
    body = response.json()
    assert (body["iban"], body["bic"], body["mandate_id"]) == (INGB, "INGBNL2A", "MND-0001")
    assert (body["amendment_pending"], body["original_iban"]) == (True, RABO)
    assert body["original_mandate_id"] is None
    entry = AuditEntry.objects.get(model="directdebit.mandate", action="update")
    assert entry.actor == "api:webshop"
    assert entry.changes["debtor_iban"] == [RABO, INGB]
    assert CustomerBankAccount.objects.filter(customer=customer, iban=INGB).exists()


def test_a_new_mandate_id_moves_the_mandate_to_its_new_address(api, customer):
    signed(customer)

    response = api.post("/api/v1/mandates/MND-0001/amend", {"mandate_id": "MND-0001-B"})

    assert response.status_code == 200
    assert response.json()["original_mandate_id"] == "MND-0001"
    assert api.get("/api/v1/mandates/MND-0001").status_code == 404
    assert api.get("/api/v1/mandates/MND-0001-B").json()["mandate_id"] == "MND-0001-B"


def test_an_amendment_must_say_what_changes(api, customer):
    signed(customer)
    signed(CustomerFactory(creditor=customer.creditor), "MND-0002", INGB)

    nothing = api.post("/api/v1/mandates/MND-0001/amend", {})
    bic_alone = api.post("/api/v1/mandates/MND-0001/amend", {"bic": "INGBNL2A"})
    bad_iban = api.post("/api/v1/mandates/MND-0001/amend", {"iban": "NL00RABO0000000000"})
    taken = api.post("/api/v1/mandates/MND-0001/amend", {"mandate_id": "MND-0002"})

    assert errors(nothing) == {"body": "give a new iban, a new mandate_id, or both"}
    assert errors(bic_alone) == {
        "body": "give a new iban, a new mandate_id, or both",
        "bic": "a new BIC goes with a new iban",
    }
    assert set(errors(bad_iban)) == {"iban"}
    assert errors(taken) == {"mandate_id": "mandate id 'MND-0002' is used already"}
    assert Mandate.objects.get(mandate_id="MND-0001").amendment_pending is False


# -- revoking ---------------------------------------------------------------------------------
def test_revoking_stops_collection_and_cannot_be_amended_after(api, customer):
    signed(customer)

    response = api.post(
        "/api/v1/mandates/MND-0001/revoke", {"on": "2025-04-02", "reason": "customer called"}
    )
    again = api.post("/api/v1/mandates/MND-0001/revoke", {"on": "2025-05-01", "reason": "again"})
    amend = api.post("/api/v1/mandates/MND-0001/amend", {"iban": INGB})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["revoked_on"], body["revoke_reason"]) == (
        "revoked", "2025-04-02", "customer called"
    )  # fmt: skip
    assert again.status_code == 200
    assert again.json()["revoked_on"] == "2025-04-02"  # revoking twice changes nothing
    assert amend.status_code == 409
    assert amend.json() == {"detail": "mandate MND-0001 is revoked, not active", "errors": []}
    entry = AuditEntry.objects.get(model="directdebit.mandate", action="update")
    assert entry.actor == "api:webshop"
    assert entry.changes["status"] == ["active", "revoked"]


def test_a_revocation_needs_a_day_after_signing_and_a_reason(api, customer):
    signed(customer)

    early = api.post("/api/v1/mandates/MND-0001/revoke", {"on": "2025-03-01", "reason": "x"})
    blank = api.post("/api/v1/mandates/MND-0001/revoke", {"on": "31-13-2025", "reason": " "})
    missing = api.post("/api/v1/mandates/MND-0001/revoke", {})

    assert errors(early) == {"on": "2025-03-01 is before the mandate was signed (2025-03-20)"}
    assert errors(blank) == {
        "on": "'31-13-2025' is not a date; write YYYY-MM-DD or DD-MM-YYYY",
        "reason": "say why the mandate is revoked",
    }
    assert errors(missing) == {"on": "is required", "reason": "is required"}
    assert Mandate.objects.get().status == "active"


def test_the_openapi_document_describes_the_mandates(client):
    document = client.get("/api/openapi.json").json()

    assert set(document["paths"]["/api/v1/mandates"]) == {"get", "post"}
    assert set(document["paths"]["/api/v1/mandates/{mandate_id}"]) == {"get"}
    [status] = [p for p in document["paths"]["/api/v1/mandates"]["get"]["parameters"]
                if p["name"] == "status"]  # fmt: skip
    assert status["schema"]["anyOf"][0]["enum"] == ["active", "revoked", "expired", "completed"]
    fields = document["components"]["schemas"]["MandateIn"]["properties"]
    assert fields["sequence_type"]["enum"] == ["FRST", "RCUR", "OOFF"]
