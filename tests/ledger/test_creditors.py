"""Creditors: our own legal entities, validated before anything can belong to them."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from vorder.common.models import AuditEntry
from vorder.ledger.models import Creditor
from vorder.ledger.services.creditors import CreditorError, creditor_create, creditor_update

pytestmark = pytest.mark.django_db


def test_a_belgian_creditor_gets_belgian_structured_references():
    creditor = creditor_create(
        code="brux",
        name="Bruxelles Trading SRL",
        country="BE",
        iban="BE68 5390 0754 7034",
        vat_number="BE 0411.905.847",
    )
    assert creditor.reference_style == "ogm"
    assert creditor.iban == "BE68539007547034"
    assert creditor.vat_number == "BE0411905847"
    assert AuditEntry.objects.filter(model="ledger.creditor", action="create").count() == 1


def test_every_bad_field_is_named_at_once():
    with pytest.raises(CreditorError) as caught:
        creditor_create(
            code="x", name="X", country="NL", iban="NL00BANK0000000000", vat_number="NL123"
        )
    assert set(caught.value.errors) == {"iban", "vat_number"}
    assert not Creditor.objects.exists()


def test_a_code_is_used_once():
    creditor_create(code="acme", name="Acme", country="NL")
    with pytest.raises(CreditorError, match="exists already"):
        creditor_create(code="acme", name="Acme 2", country="NL")


def test_an_update_is_audited_with_old_and_new_values():
    creditor = creditor_create(code="acme", name="Acme", country="NL")
    creditor_update(creditor=creditor, default_payment_term_days=14)
    entry = AuditEntry.objects.filter(action="update").get()
    assert entry.changes == {"default_payment_term_days": [30, 14]}


def test_the_command_adds_and_lists_creditors():
    call_command(
        "creditor",
        "add",
        "--code",
        "acme",
        "--name",
        "Acme B.V.",
        "--country",
        "NL",
        "--iban",
        "NL91ABNA0417164300",
        "--payment-term",
        "14",
        stdout=io.StringIO(),
    )
    out = io.StringIO()
    call_command("creditor", "list", "--json", stdout=out)
    assert json.loads(out.getvalue())[0]["code"] == "acme"
    with pytest.raises(CommandError, match="iban"):
        call_command("creditor", "update", "--code", "acme", "--iban", "NL00", stdout=io.StringIO())
