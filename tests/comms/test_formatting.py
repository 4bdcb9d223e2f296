"""Amounts and dates as each language writes them in a letter."""

from __future__ import annotations

import pytest
from django.template import Context, Engine
from django.utils import translation

from vorder.comms.formatting import format_day, format_percent
from vorder.comms.formatting import format_money as _format_money


def format_money(*args):
    return _format_money(*args).replace("\xa0", " ")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nl", "€ 1.234,50"), ("de", "€ 1.234,50"), ("fr", "€ 1.234,50"), ("en", "€ 1,234.50")],
)
def test_money_per_language(language, expected):
    assert format_money("1234.50", language) == expected


def test_money_large_negative_and_other_currency():
    assert format_money("1234567.5", "nl") == "€ 1.234.567,50"
    assert format_money("-40.00", "en") == "-€ 40.00"
    assert format_money("10.00", "en", "USD") == "$ 10.00"
    assert format_money("", "nl") == ""


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "22 november 2026"),
        ("en", "22 November 2026"),
        ("fr", "22 novembre 2026"),
        ("de", "22. November 2026"),
    ],
)
def test_day_per_language(language, expected):
    assert format_day("2026-11-22", language) == expected


def test_day_first_of_month_in_french_and_percent():
    assert format_day("2026-03-01", "fr") == "1er mars 2026"
    assert format_day("2026-03-01", "de") == "1. März 2026"
    assert format_percent("10.15", "nl") == "10,15%"
    assert format_percent("10.15", "en") == "10.15%"


def test_filters_follow_the_active_language():
    engine = Engine(builtins=["vorder.comms.templatetags.vorder_comms"])
    template = engine.from_string("{{ a|money }} / {{ d|day }}")
    with translation.override("de"):
        assert (
            template.render(Context({"a": "99.90", "d": "2026-12-06"})).replace("\xa0", " ")
            == "€ 99,90 / 6. Dezember 2026"
        )
    with translation.override("en"):
        assert (
            template.render(Context({"a": "99.90", "d": "2026-12-06"})).replace("\xa0", " ")
            == "€ 99.90 / 6 December 2026"
        )
