"""SEPA direct debit mandates in the workspace, as a collector, a credit manager and a reader meet
them.

Acme Groothandel collects by direct debit (creditor identifier NL08ZZZ502057730000). On Monday
31 March 2025 Bakkerij De Korenbloem (D10001) has signed mandate MND-0001 for its Rabobank
account; the collector types it in on the customer's page. Invoice 2025-0042 (EUR 121.00, due
28 March) is then collected with the next run, unless the mandate is revoked first.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory, InvoiceFactory
from tests.workspace.conftest import login, text_of
from vorder.banking.directdebit.models import Mandate
from vorder.banking.directdebit.selectors import collectable_items
from vorder.banking.directdebit.services import (
    creditor_sepa_settings_set,
    directdebit_batch_create,
    mandate_create,
    mandate_revoke,
)
from vorder.common.services import staff_language_set
from vorder.ledger.models import CustomerBankAccount

pytestmark = pytest.mark.django_db

AS_OF = {"as_of": "2025-03-31"}
MONDAY = dt.date(2025, 3, 31)
WEDNESDAY = dt.date(2025, 4, 2)  # a TARGET2 business day, two days after the file goes out
RABO = "NL44RABO0123456789"
INGB = "NL20INGB0001234567"


def url(name, *args, as_of: bool = True) -> str:
    address = reverse(f"workspace:{name}", args=args)
    return f"{address}?as_of={AS_OF['as_of']}" if as_of else address


def signed(customer, mandate_id="MND-0001", iban=RABO) -> Mandate:
    return mandate_create(
        creditor=customer.creditor,
        customer=customer,
        mandate_id=mandate_id,
        signed_on=dt.date(2025, 3, 20),
        debtor_iban=iban,
        as_of=MONDAY,
    )


def mandate_rows(response) -> dict[str, str]:
    """Mandate id -> status, as the table shows them (data-status of each row)."""
    page = response.content.decode()
    rows = re.findall(
        r'<tr id="mandate-\d+" data-status="(\w+)"[^>]*>\s*<td class="mono">([^<]+)', page
    )
    return {mandate_id.strip(): status for status, mandate_id in rows}


@pytest.fixture(autouse=True)
def documents(settings, tmp_path):
    """A collection file, should one be written, goes to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "documents"


@pytest.fixture
def due_invoice(customer):
    return InvoiceFactory(
        customer=customer,
        number="2025-0042",
        issue_date=dt.date(2025, 2, 26),
        due_date=dt.date(2025, 3, 28),
        net_minor=12100,
        vat_minor=0,
    )


NEW_MANDATE = {
    "mandate_id": "MND-0001",
    "debtor_iban": "nl44 rabo 0123 4567 89",
    "debtor_bic": "",
    "signed_on": "2025-03-20",
    "sequence_type": "FRST",
    "scheme": "CORE",
    "debtor_name": "",
}


# -- registering a mandate ----------------------------------------------------------------------
def test_a_collector_registers_a_mandate_on_the_customer_page_and_finds_it_in_the_list(
    client, collector, customer
):
    login(client, collector)
    page = client.get(url("customer_detail", customer.pk))
    assert 'data-testid="mandate-form"' in page.content.decode()
    assert "No mandates" in text_of(page)

    response = client.post(url("mandate_add", customer.pk), NEW_MANDATE)

    assert response.status_code == 302
    assert response["Location"] == url("customer_detail", customer.pk)
    mandate = Mandate.objects.get(customer=customer)
    assert (mandate.mandate_id, mandate.debtor_iban, mandate.debtor_bic) == (
        "MND-0001", RABO, "RABONL2U",
    )  # fmt: skip
    assert (mandate.sequence_type, mandate.status) == ("FRST", "active")
    back = client.get(response["Location"])
    assert "Mandate MND-0001 registered for Bakkerij De Korenbloem." in text_of(back)
    assert mandate_rows(back) == {"MND-0001": "active"}

    listing = client.get(url("mandate_list"))
    text = text_of(listing)
    assert mandate_rows(listing) == {"MND-0001": "active"}
    assert RABO in text
    assert "FRST" in text
    assert "20 Mar 2025" in text  # signed on
    assert reverse("workspace:customer_detail", args=[customer.pk]) in listing.content.decode()


def test_the_navigation_leads_to_the_mandates(client, reader, customer):
    page = login(client, reader).get(url("dashboard"))
    assert url("mandate_list") in page.content.decode()
    assert "Mandates" in text_of(page)


def test_a_bad_iban_is_refused_on_the_iban_field_and_nothing_is_written(
    client, collector, customer
):
    login(client, collector)
    response = client.post(
        url("mandate_add", customer.pk), {**NEW_MANDATE, "debtor_iban": "NL44RABO0123456780"}
    )

    assert response.status_code == 422
    form = response.context["form"]
    assert list(form.errors) == ["debtor_iban"]
    assert "is not a valid IBAN" in form.errors["debtor_iban"][0]
    page = response.content.decode()
    error = re.search(r'<p class="field-error" id="id_debtor_iban_error">([^<]+)</p>', page)
    assert error is not None
    assert "not a valid IBAN" in html.unescape(error.group(1))
    assert 'value="MND-0001"' in page  # what was typed is kept
    assert not Mandate.objects.exists()
    assert not CustomerBankAccount.objects.filter(customer=customer).exists()


def test_a_second_active_mandate_is_refused_with_the_reason(client, collector, customer):
    signed(customer)
    login(client, collector)
    response = client.post(url("mandate_add", customer.pk), {**NEW_MANDATE, "mandate_id": "MND-2"})

    assert response.status_code == 422
    assert "has active mandate MND-0001: revoke or amend that one" in text_of(response)
    assert list(Mandate.objects.values_list("mandate_id", flat=True)) == ["MND-0001"]


# -- revoking and amending ------------------------------------------------------------------------
def test_a_revoked_mandate_shows_revoked_and_is_no_longer_collected(
    client, manager, creditor, customer, due_invoice
):
    creditor_sepa_settings_set(creditor=creditor, creditor_identifier="NL08ZZZ502057730000")
    mandate = signed(customer)
    planned = directdebit_batch_create(
        creditor=creditor, collection_date=WEDNESDAY, as_of=MONDAY, dry_run=True
    )
    assert [c.item.invoice_number for c in planned.collections] == ["2025-0042"]

    login(client, manager)
    response = client.post(
        url("mandate_revoke", mandate.pk),
        {"on": "2025-03-31", "reason": "customer cancelled by phone", "next": url("mandate_list")},
    )

    assert response.status_code == 302
    assert response["Location"] == url("mandate_list")
    listing = client.get(response["Location"])
    text = text_of(listing)
    assert "Mandate MND-0001 revoked" in text
    assert mandate_rows(listing) == {"MND-0001": "revoked"}
    assert "customer cancelled by phone" in text
    mandate.refresh_from_db()
    assert (mandate.status, mandate.revoked_on) == ("revoked", MONDAY)
    assert collectable_items(creditor=creditor, collection_date=WEDNESDAY) == []
    again = directdebit_batch_create(
        creditor=creditor, collection_date=WEDNESDAY, as_of=MONDAY, dry_run=True
    )
    assert again.collections == []


def test_a_revoke_without_a_reason_is_refused_and_the_mandate_stays_active(
    client, collector, customer
):
    mandate = signed(customer)
    login(client, collector)
    response = client.post(url("mandate_revoke", mandate.pk), {"on": "2025-03-31", "reason": ""})

    assert response.status_code == 422
    assert "reason" in response.context["form"].errors
    mandate.refresh_from_db()
    assert mandate.status == "active"


def test_a_revoke_dated_before_the_signature_is_refused_on_the_date(client, collector, customer):
    mandate = signed(customer)
    login(client, collector)
    response = client.post(
        url("mandate_revoke", mandate.pk), {"on": "2001-01-01", "reason": "typed the wrong year"}
    )

    assert response.status_code == 422
    assert "before the mandate was signed" in response.context["form"].errors["on"][0]
    mandate.refresh_from_db()
    assert mandate.status == "active"


def test_a_new_account_is_an_amendment_the_next_collection_carries(client, collector, customer):
    mandate = signed(customer)
    login(client, collector)
    customer_page = url("customer_detail", customer.pk)
    response = client.post(
        url("mandate_amend", mandate.pk),
        {"debtor_iban": INGB, "debtor_bic": "", "mandate_id": "", "next": customer_page},
    )

    assert response.status_code == 302
    assert response["Location"] == customer_page
    mandate.refresh_from_db()
    assert (mandate.debtor_iban, mandate.amendment_pending) == (INGB, True)
    assert mandate.original_debtor_iban == RABO
    assert "Mandate MND-0001 amended" in text_of(client.get(customer_page))


def test_an_amendment_to_a_mandate_id_in_use_is_refused_on_that_field(
    client, collector, customer, creditor
):
    mandate = signed(customer)
    other = CustomerFactory(creditor=creditor, number="D10002", name="Slagerij Van Dam")
    signed(other, mandate_id="MND-0002", iban=INGB)
    login(client, collector)
    response = client.post(
        url("mandate_amend", mandate.pk), {"debtor_iban": "", "mandate_id": "MND-0002"}
    )

    assert response.status_code == 422
    assert response.context["form"].errors["mandate_id"] == [
        "mandate id 'MND-0002' is used already"
    ]
    mandate.refresh_from_db()
    assert (mandate.mandate_id, mandate.amendment_pending) == ("MND-0001", False)


# -- who may do what ------------------------------------------------------------------------------
def test_a_reader_sees_the_mandates_but_cannot_register_revoke_or_amend(client, reader, customer):
    mandate = signed(customer)
    login(client, reader)
    listing = client.get(url("mandate_list"))
    assert listing.status_code == 200
    assert mandate_rows(listing) == {"MND-0001": "active"}
    assert 'data-testid="revoke-form"' not in listing.content.decode()
    customer_page = client.get(url("customer_detail", customer.pk)).content.decode()
    assert "MND-0001" in customer_page
    assert 'data-testid="mandate-form"' not in customer_page

    assert client.post(url("mandate_add", customer.pk), NEW_MANDATE).status_code == 403
    assert (
        client.post(url("mandate_revoke", mandate.pk), {"on": "2025-03-31", "reason": "x"})
    ).status_code == 403
    assert client.post(url("mandate_amend", mandate.pk), {"debtor_iban": INGB}).status_code == 403
    mandate.refresh_from_db()
    assert (mandate.status, mandate.debtor_iban) == ("active", RABO)
    assert Mandate.objects.count() == 1


def test_revoke_and_amend_take_no_get(client, collector, customer):
    mandate = signed(customer)
    login(client, collector)
    assert client.get(url("mandate_revoke", mandate.pk)).status_code == 405
    assert client.get(url("mandate_amend", mandate.pk)).status_code == 405


# -- the list -------------------------------------------------------------------------------------
def test_the_list_filters_by_status(client, manager, creditor, customer):
    signed(customer)
    slager = CustomerFactory(creditor=creditor, number="D10002", name="Slagerij Van Dam")
    mandate_revoke(
        mandate=signed(slager, mandate_id="MND-0002", iban=INGB),
        on=MONDAY,
        reason="account closed",
    )
    login(client, manager)

    everything = client.get(url("mandate_list"))
    revoked = client.get(url("mandate_list"), {**AS_OF, "status": "revoked"})
    active = client.get(url("mandate_list"), {**AS_OF, "status": "active"})
    expired = client.get(url("mandate_list"), {**AS_OF, "status": "expired"})

    assert mandate_rows(everything) == {"MND-0001": "active", "MND-0002": "revoked"}
    assert mandate_rows(revoked) == {"MND-0002": "revoked"}
    assert mandate_rows(active) == {"MND-0001": "active"}
    assert mandate_rows(expired) == {}
    assert "No mandates." in text_of(expired)


# -- language -------------------------------------------------------------------------------------
def test_the_mandate_pages_speak_dutch_to_a_dutch_collector(client, collector, creditor, customer):
    staff_language_set(user=collector, language="nl")
    signed(customer)
    slager = CustomerFactory(creditor=creditor, number="D10002", name="Slagerij Van Dam")
    mandate_revoke(mandate=signed(slager, "MND-0002", INGB), on=MONDAY, reason="opgezegd")
    login(client, collector)

    listing = client.get(url("mandate_list"))
    assert listing.headers["Content-Language"] == "nl"
    text = text_of(listing)
    assert "Incassomachtigingen" in text
    assert "Ingetrokken" in text
    assert "Laatste incasso" in text
    assert "Revoked" not in text

    page = text_of(client.get(url("customer_detail", customer.pk)))
    assert "Incassomachtigingen" in page
    assert "Machtiging registreren" in page
    assert "Direct debit mandates" not in page

    refused = client.post(
        url("mandate_add", customer.pk), {**NEW_MANDATE, "mandate_id": "MND-3", "signed_on": ""}
    )
    assert "Dit veld is verplicht." in text_of(refused)
