"""`vorder import` as people and scripts call it: the JSON contract, exit codes, help."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from vorder.common.models import AuditEntry
from vorder.ledger.models import Customer, Invoice

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, stdout=out)
    return out.getvalue()


def run_failing(*args: str) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", *args, stdout=out)
    return out.getvalue()


def test_json_summary_follows_the_contract(creditor):
    payload = json.loads(run("customers", str(EXAMPLES / "customers.csv"), "--json"))
    assert payload == {"created": 5, "updated": 0, "unchanged": 0, "errors": []}
    again = json.loads(run("customers", str(EXAMPLES / "customers.csv"), "--json"))
    assert again == {"created": 0, "updated": 0, "unchanged": 5, "errors": []}


def test_the_examples_import_in_order_by_name(creditor):
    for kind in ("customers", "invoices", "credit-notes", "payments"):
        out = run(kind, str(EXAMPLES / f"{kind.replace('-', '_')}.csv"), "--creditor", "acme")
        assert "created" in out
    assert Invoice.objects.filter(status="paid").count() == 2


def test_errors_make_the_exit_code_non_zero_and_name_file_row_field(creditor, tmp_path):
    path = tmp_path / "klanten.csv"
    path.write_text("Klantnummer;Naam;E-mail\nD1;Jansen;jansen@\n")
    payload = json.loads(run_failing("customers", str(path), "--json"))
    assert payload["created"] == 0
    assert payload["errors"] == [
        {
            "file": str(path),
            "row": 2,
            "field": "email",
            "message": "'jansen@' is not an email address",
        }  # fmt: skip
    ]
    human = run_failing("customers", str(path))
    assert f"{path}:2:email: 'jansen@' is not an email address" in human
    assert not Customer.objects.exists()


def test_dry_run_writes_nothing(creditor):
    out = run("customers", str(EXAMPLES / "customers.csv"), "--dry-run")
    assert "Dry run" in out
    assert not Customer.objects.exists()


def test_the_cli_is_the_actor_in_the_audit_trail(creditor):
    run("customers", str(EXAMPLES / "customers.csv"))
    assert set(AuditEntry.objects.values_list("actor", flat=True)) == {"cli"}


def test_ubl_files(shared_dir, creditor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ubl = shared_dir / "corpus/ubl"
    payload = json.loads(
        run(
            "ubl",
            str(ubl / "be_ublbe-1.31_invoice_15000001.xml"),
            str(ubl / "peppol_vat-category-O_SEK.xml"),
            "--json",
        )  # fmt: skip
    )
    assert payload == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}


def test_unknown_creditor_is_an_error(creditor):
    with pytest.raises(CommandError, match="unknown creditor"):
        call_command("import", "customers", str(EXAMPLES / "customers.csv"), "--creditor", "nope")


@pytest.mark.parametrize("kind", ["customers", "invoices", "credit-notes", "payments", "ubl"])
def test_every_subcommand_has_help(kind):
    result = subprocess.run(
        [sys.executable, "-m", "vorder.cli.main", "import", kind, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--json" in result.stdout
    assert ("--decimal-comma" in result.stdout) == (kind != "ubl")
