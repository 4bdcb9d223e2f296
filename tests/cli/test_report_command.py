"""`vorder report` as scripts call it."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def overdue(creditor):
    customer = CustomerFactory(creditor=creditor, number="D7", name="Slagerij Jansen")
    InvoiceFactory(
        customer=customer,
        number="F1",
        issue_date=dt.date(2024, 4, 1),
        due_date=dt.date(2024, 5, 1),
        net_minor=123456,
        vat_minor=0,
    )
    return customer


def test_aging_json_follows_the_contract(overdue):
    payload = json.loads(run("aging", "--as-of", "2024-06-30", "--format", "json"))
    assert payload["as_of"] == "2024-06-30"
    assert payload["totals"][0]["d31_60"] == "1234.56"
    assert payload["customers"][0]["customer"] == "D7"
    assert set(payload["customers"][0]) >= {
        "customer",
        "not_due",
        "d1_30",
        "d31_60",
        "d61_90",
        "d90_plus",
        "total",
    }


def test_aging_csv_and_table(overdue):
    csv_text = run("aging", "--as-of", "2024-06-30", "--format", "csv")
    assert "customer,acme,D7,Slagerij Jansen,EUR,0.00,0.00,1234.56,0.00,0.00,1234.56" in csv_text
    assert "Slagerij Jansen" in run("aging", "--as-of", "2024-06-30")


def test_dso_json(overdue):
    payload = json.loads(run("dso", "--as-of", "2024-06-30", "--format", "json"))
    assert payload["receivables"] == "1234.56"


def test_integrity_passes_on_a_sound_ledger(overdue):
    assert "ledger is sound" in run("integrity")


def test_a_bad_date_gets_a_clear_error(overdue):
    with pytest.raises(CommandError, match="'30-06-2024' is not a date; write YYYY-MM-DD"):
        run("aging", "--as-of", "30-06-2024")
