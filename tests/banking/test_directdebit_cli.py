"""`vorder directdebit ...` as a credit manager and scripts use it."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.factories import InvoiceFactory
from vorder.banking.directdebit.models import DirectDebitBatch, Mandate
from vorder.banking.directdebit.pain008 import pain008_validate

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("directdebit", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def ready(creditor, customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "documents"
    run("setup", "--creditor-id", "NL08ZZZ502057730000")
    run("mandates", "add", "--customer", "D10001", "--mandate-id", "MND-0001",
        "--signed-on", "2025-06-01", "--iban", "NL44RABO0123456789",
        "--as-of", "2026-11-20")  # fmt: skip
    InvoiceFactory(
        customer=customer, number="F-1", issue_date=dt.date(2026, 10, 1),
        due_date=dt.date(2026, 10, 31), net_minor=10000, vat_minor=2100,
    )  # fmt: skip
    return customer


def test_setup_refuses_a_creditor_identifier_with_wrong_check_digits(creditor):
    with pytest.raises(CommandError, match="not a valid SEPA creditor identifier"):
        run("setup", "--creditor-id", "NL98ZZZ999999999999")


def test_mandates_add_list_and_revoke(ready):
    rows = json.loads(run("mandates", "list", "--json"))
    assert [(r["mandate_id"], r["iban"], r["sequence_type"], r["status"]) for r in rows] == [
        ("MND-0001", "NL44RABO0123456789", "FRST", "active")
    ]
    with pytest.raises(CommandError, match="debtor_iban: 'NL00RABO0123456789' is not a valid IBAN"):
        run("mandates", "add", "--customer", "D10001", "--mandate-id", "MND-0002",
            "--signed-on", "2025-06-01", "--iban", "NL00RABO0123456789",
            "--as-of", "2026-11-20")  # fmt: skip
    assert "revoked" in run("mandates", "revoke", "MND-0001", "--on", "2026-11-21",
                            "--reason", "klant opgezegd")  # fmt: skip
    assert Mandate.objects.get().status == "revoked"


def test_mandates_amend_records_a_new_account_for_the_next_collection(ready):
    with pytest.raises(CommandError, match="say what changes"):
        run("mandates", "amend", "MND-0001")
    out = run("mandates", "amend", "MND-0001", "--iban", "NL91ABNA0417164300",
              "--as-of", "2026-11-22")  # fmt: skip
    assert "amended: NL91ABNA0417164300" in out
    mandate = Mandate.objects.get()
    assert (mandate.debtor_iban, mandate.original_debtor_iban) == (
        "NL91ABNA0417164300",
        "NL44RABO0123456789",
    )
    assert mandate.amendment_pending
    assert "nothing changed" in run("mandates", "amend", "MND-0001", "--iban", "NL91ABNA0417164300")
    with pytest.raises(CommandError, match="unknown mandate 'MND-9'"):
        run("mandates", "amend", "MND-9", "--new-mandate-id", "MND-10")


def test_create_writes_a_valid_file_and_reports_json(ready, tmp_path):
    out = tmp_path / "incasso.xml"
    payload = json.loads(
        run(
            "create",
            "--collection-date",
            "2026-11-24",
            "--as-of",
            "2026-11-20",
            "--out",
            str(out),
            "--json",
        )  # fmt: skip
    )
    assert payload["transactions"] == 1
    assert payload["total"] == "121.00"
    assert payload["by_sequence_type"] == {"FRST": {"transactions": 1, "total": "121.00"}}
    assert payload["collections"][0]["invoice"] == "F-1"
    pain008_validate(out)
    batches = json.loads(run("batches", "--json"))
    assert [(b["message_id"], b["status"], b["total"]) for b in batches] == [
        (payload["message_id"], "created", "121.00")
    ]
    again = run("create", "--collection-date", "2026-11-24", "--as-of", "2026-11-20")
    assert "nothing to collect on 2026-11-24" in again
    assert DirectDebitBatch.objects.count() == 1


def test_dry_run_writes_the_preview_only(ready, tmp_path):
    out = tmp_path / "preview.xml"
    text = run("create", "--collection-date", "2026-11-24", "--as-of", "2026-11-20",
               "--dry-run", "--out", str(out))  # fmt: skip
    assert text.startswith("  D10001")
    assert "Dry run" in text
    pain008_validate(out)
    assert not DirectDebitBatch.objects.exists()


def test_a_holiday_is_refused_with_a_clear_message(ready):
    with pytest.raises(CommandError, match=r"2026-12-25 is a TARGET2 holiday \(Christmas Day\)"):
        run("create", "--collection-date", "2026-12-25", "--as-of", "2026-12-21")


def test_settle_and_return_from_the_command_line(ready):
    payload = json.loads(
        run("create", "--collection-date", "2026-11-24", "--as-of", "2026-11-20", "--json")
    )
    assert "1 payment(s), 121.00 EUR" in run("settle", payload["message_id"], "--on", "2026-11-24")
    e2e = payload["collections"][0]["end_to_end_id"]
    text = run("return", e2e, "--amount", "121,00", "--reason", "md01", "--on", "2026-11-27")
    assert "1 allocation(s) reversed; mandate MND-0001 revoked" in text
    with pytest.raises(CommandError, match="no collection with end-to-end id 'VD-0-0'"):
        run("return", "VD-0-0", "--amount", "1", "--reason", "AM04", "--on", "2026-11-27")
