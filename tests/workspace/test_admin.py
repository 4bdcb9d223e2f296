"""The Django admin keeps master data editable and money read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import ContactFactory, InvoiceFactory, PaymentFactory
from tests.workspace.conftest import make_user
from vorder.common.audit import audit_record
from vorder.common.models import AuditEntry
from vorder.ledger.models import Invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model",
    [
        "ledger/creditor",
        "ledger/customer",
        "ledger/contact",
        "ledger/invoice",
        "ledger/creditnote",
        "ledger/payment",
        "ledger/allocation",
        "ledger/apitoken",
        "common/auditentry",
    ],
)
def test_every_ledger_model_has_an_admin_list(admin_client, customer, model):
    InvoiceFactory(customer=customer)
    assert admin_client.get(f"/admin/{model}/").status_code == 200


def test_a_customer_and_its_contacts_can_be_edited(admin_client, customer):
    ContactFactory(customer=customer, name="Anja de Boer")
    html = admin_client.get(
        reverse("admin:ledger_customer_change", args=[customer.pk])
    ).content.decode()
    assert 'name="name"' in html
    assert 'name="credit_limit_minor"' in html
    assert 'name="contacts-0-name"' in html


def test_invoice_amounts_are_read_only_and_say_why(admin_client, customer):
    invoice = InvoiceFactory(customer=customer, description="Flour")
    url = reverse("admin:ledger_invoice_change", args=[invoice.pk])
    html = admin_client.get(url).content.decode()
    for field in ("gross_minor", "open_minor", "net_minor", "due_date", "status"):
        assert f'name="{field}"' not in html
    assert 'name="description"' in html
    assert "Amounts are read-only here" in html

    # a forged POST cannot change the amount either: read-only fields are ignored
    response = admin_client.post(
        url,
        {
            "description": "Rye flour",
            "gross_minor": 1,
            "open_minor": 1,
            "instalments-TOTAL_FORMS": 0,
            "instalments-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.description == "Rye flour"
    assert invoice.gross_minor == 12100
    assert invoice.open_minor == 12100


@pytest.mark.parametrize("model", ["invoice", "creditnote", "payment", "allocation"])
def test_money_records_cannot_be_added_in_the_admin(admin_client, model):
    assert admin_client.get(f"/admin/ledger/{model}/add/").status_code == 403


def test_money_records_cannot_be_deleted_in_the_admin(admin_client, customer):
    invoice = InvoiceFactory(customer=customer)
    payment = PaymentFactory(customer=customer)
    assert (
        admin_client.get(reverse("admin:ledger_invoice_delete", args=[invoice.pk])).status_code
        == 403
    )
    assert (
        admin_client.get(reverse("admin:ledger_payment_delete", args=[payment.pk])).status_code
        == 403
    )
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_the_audit_trail_is_read_only_in_the_admin(admin_client, customer):
    audit_record(
        creditor_id=customer.creditor_id,
        obj=customer,
        action="update",
        changes={"name": ["a", "b"]},
    )
    entry = AuditEntry.objects.get()
    assert admin_client.get("/admin/common/auditentry/add/").status_code == 403
    html = admin_client.get(
        reverse("admin:common_auditentry_change", args=[entry.pk])
    ).content.decode()
    assert 'name="actor"' not in html
    assert 'type="submit" value="Save"' not in html
    assert (
        admin_client.get(reverse("admin:common_auditentry_delete", args=[entry.pk])).status_code
        == 403
    )
