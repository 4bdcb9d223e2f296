"""`vorder rates list`: the rate tables with dates and sources."""

from __future__ import annotations

import io
import json

from django.core.management import call_command


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("rates", *args, stdout=out)
    return out.getvalue()


def test_list_one_table_as_json():
    (entry,) = json.loads(run("list", "--table", "nl_6_119a", "--json"))
    assert entry["legal_basis"] == "art. 6:119a/6:120 lid 2 BW"
    assert {
        "effective_from": "2024-07-01",
        "rate": "12.25",
        "status": "confirmed",
    }.items() <= entry["rows"][-4].items()


def test_the_row_in_force_on_a_day_skips_tables_not_yet_started():
    payload = json.loads(run("list", "--on", "2010-06-01", "--json"))
    names = [entry["table"] for entry in payload]
    assert "be_commercial" not in names  # that table starts in 2012
    legal = next(e for e in payload if e["table"] == "be_legal")
    assert legal["rows"] == [
        {
            "effective_from": "2010-01-01",
            "rate": "3.25",
            "status": "confirmed",
            "source": legal["rows"][0]["source"],
        }
    ]


def test_list_all_as_tables():
    text = run("list")
    assert "Wettelijke rente (art. 6:119 BW)" in text
    assert "ECB main refinancing rate" in text
    assert "known until None" in text  # the ECB table has no horizon
