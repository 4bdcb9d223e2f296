"""Amounts and days written the way the reader's language writes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from vorder.workspace.templatetags.workspace import (
    days,
    item_kind,
    money,
    percent,
    short_date,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "minor", "currency", "expected"),
    [
        ("en", 123456, "EUR", f"€{NBSP}1,234.56"),
        ("nl", 123456, "EUR", f"€{NBSP}1.234,56"),
        ("nl", 123456789012, "EUR", f"€{NBSP}1.234.567.890,12"),
        ("en", -12100, "EUR", f"€{NBSP}-121.00"),
        ("nl", 5, "EUR", f"€{NBSP}0,05"),
        ("en", 0, "EUR", f"€{NBSP}0.00"),
        ("en", 1500, "CHF", f"CHF{NBSP}15.00"),
        ("nl", 1234, "JPY", f"JPY{NBSP}1.234,00"),  # no minor unit, still two places shown
        ("en", 1234567, "KWD", f"KWD{NBSP}1,234.567"),  # three decimals
    ],
)
def test_amounts_follow_the_language(language, minor, currency, expected):
    with translation.override(language):
        assert money(minor, currency) == expected


def test_an_empty_amount_is_a_dash():
    assert money(None, "EUR") == "–"
    assert money("", "EUR") == "–"


def test_days_have_one_decimal_in_the_readers_notation():
    with translation.override("nl"):
        assert days(Decimal("181.25")) == "181,3"
    with translation.override("en"):
        assert days(Decimal("42")) == "42.0"
    assert days(None) == "–"


def test_a_share_is_a_whole_percentage_rounded_half_up():
    assert percent(1, 8) == "13%"  # 12.5 → 13
    assert percent(3783_00, 4388_00) == "86%"
    assert percent(5, 0) == "0%"


def test_dates_and_kinds_are_translated():
    with translation.override("nl"):
        assert short_date(dt.date(2025, 3, 31)) == "31 mrt 2025"
        assert item_kind("credit_note") == "Creditnota"
    with translation.override("en"):
        assert short_date(dt.date(2025, 3, 31)) == "31 Mar 2025"
        assert item_kind("instalment") == "Instalment"
