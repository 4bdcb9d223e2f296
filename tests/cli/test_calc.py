"""`vorder calc interest|costs` as a credit manager and a script call it."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("calc", *args, stdout=out)
    return out.getvalue()


def test_interest_json_follows_the_contract():
    """REFERENCE.md 4, W10 through the command."""
    payload = json.loads(
        run(
            "interest",
            "--principal",
            "10000",
            "--from",
            "2023-03-15",
            "--to",
            "2025-06-30",
            "--kind",
            "nl-commercial",
            "--json",
        )
    )
    assert payload["total"] == "2934.03"
    assert payload["days"] == 839
    first = payload["periods"][0]
    assert {k: first[k] for k in ("from", "to", "days", "rate", "interest")} == {
        "from": "2023-03-15",
        "to": "2023-06-30",
        "days": 108,
        "rate": "10.50",
        "interest": "310.69",
    }
    assert len(payload["periods"]) == 7
    assert payload["capitalisations"][1] == {
        "on": "2025-03-15",
        "amount": "1351.90",
        "new_base": "12520.94",
    }
    assert payload["outstanding"]["total"] == "12934.03"


def test_interest_with_payments_contract_rate_and_settings():
    payload = json.loads(
        run(
            "interest",
            "--principal",
            "1.000,00",
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-10",
            "--kind",
            "contract:10",
            "--payment",
            "2025-01-10:1010",
            "--costs",
            "40",
            "--imputation",
            "principal,interest,costs",
            "--day-count",
            "actual/actual",
            "--compounding",
            "no",
            "--json",
        )
    )
    assert payload["payments"][0] == {
        "date": "2025-01-10",
        "amount": "1010.00",
        "to_costs": "7.26",
        "to_interest": "2.74",
        "to_principal": "1000.00",
        "unapplied": "0.00",
    }
    assert payload["outstanding"]["costs"] == "32.74"
    assert payload["day_count"] == "actual/actual"
    assert payload["compounding"] is False


def test_interest_table_is_readable():
    text = run(
        "interest",
        "--principal",
        "1500",
        "--from",
        "2024-11-01",
        "--to",
        "2026-02-15",
        "--kind",
        "nl-consumer",
        "--payment",
        "2025-02-01:100",
    )
    assert "nl-consumer on 1500.00" in text
    assert "capitalised on 2025-11-01" in text
    assert "payment 2025-02-01 100.00" in text
    assert "rate not yet confirmed" in text  # the 4% of 2026 is unverified
    assert "total" in text


def test_interest_table_with_overpayment():
    text = run(
        "interest",
        "--principal",
        "100",
        "--from",
        "2025-01-01",
        "--to",
        "2025-01-31",
        "--kind",
        "be-commercial",
        "--payment",
        "2025-01-31:200",
    )
    assert "unapplied" in text
    assert "rate not yet confirmed" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--from", "2025-02-01", "--to", "2025-01-01", "--kind", "nl-commercial"],
            "before it starts",
        ),
        (
            ["--from", "2025-01-01", "--to", "2025-02-01", "--kind", "nl-handel"],
            "unknown interest kind",
        ),
        (
            [
                "--from",
                "2025-01-01",
                "--to",
                "2025-02-01",
                "--kind",
                "be-legal",
                "--payment",
                "2025-01-05",
            ],
            "DATE:AMOUNT",
        ),
        (
            [
                "--from",
                "2025-01-01",
                "--to",
                "2025-02-01",
                "--kind",
                "be-legal",
                "--payment",
                "2025-01-05:x",
            ],
            "not an amount",
        ),
        (["--from", "01-01-2025", "--to", "2025-02-01", "--kind", "be-legal"], "write YYYY-MM-DD"),
        (
            [
                "--from",
                "2025-01-01",
                "--to",
                "2025-02-01",
                "--kind",
                "be-legal",
                "--compounding",
                "maybe",
            ],
            "not yes or no",
        ),
    ],
)
def test_interest_errors_are_clear(args, message):
    with pytest.raises(CommandError, match=message):
        run("interest", "--principal", "100", *args)


@pytest.mark.parametrize("answer", ["yes", "ja", "1", "true"])
def test_yes_answers(answer):
    payload = json.loads(
        run(
            "interest",
            "--principal",
            "100",
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-02",
            "--kind",
            "be-legal",
            "--compounding",
            answer,
            "--json",
        )
    )
    assert payload["compounding"] is True


def test_costs_json():
    payload = json.loads(
        run("costs", "--principal", "2500", "--jurisdiction", "nl", "--b2c", "--json")
    )
    assert (payload["amount"], payload["vat"], payload["total"]) == ("375.00", "0.00", "375.00")
    assert payload["lines"][0]["percent"] == "15.00"
    payload = json.loads(
        run(
            "costs",
            "--principal",
            "12000",
            "--jurisdiction",
            "nl",
            "--b2c",
            "--vat-deductible",
            "no",
            "--json",
        )
    )
    assert payload["total"] == "1082.95"  # REFERENCE.md 4, W7b
    payload = json.loads(
        run("costs", "--principal", "2500", "--jurisdiction", "be", "--b2c", "--json")
    )
    assert payload["total"] == "165.00"
    assert payload["lines"][0]["percent"] is None
    payload = json.loads(
        run(
            "costs",
            "--principal",
            "2500",
            "--jurisdiction",
            "be",
            "--b2b",
            "--invoices",
            "3",
            "--json",
        )
    )
    assert payload["total"] == "120.00"


def test_costs_table():
    text = run(
        "costs", "--principal", "2500", "--jurisdiction", "nl", "--b2b", "--vat-deductible", "no"
    )
    assert "collection costs NL B2B on 2500.00" in text
    assert "453.75" in text
    assert "source: art. 6:96 lid 4 BW" in text


def test_costs_needs_b2b_or_b2c():
    with pytest.raises(CommandError):
        run("costs", "--principal", "2500", "--jurisdiction", "nl")


def test_help_works(capsys):
    from vorder.cli.main import main

    for argv in (
        ["vorder", "calc", "--help"],
        ["vorder", "calc", "interest", "--help"],
        ["vorder", "calc", "costs", "--help"],
    ):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--principal" in out
    assert "contract:R" in out
    assert "--vat-deductible" in out
