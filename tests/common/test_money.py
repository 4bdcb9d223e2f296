"""Amounts between the database (integer minor units) and text: exact for every amount."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from vorder.common.money import fmt, to_decimal


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["EUR", "JPY", "KWD"]))
def test_an_amount_is_written_exactly_as_its_decimal_value(minor, currency):
    places = max(2, {"EUR": 2, "JPY": 0, "KWD": 3}[currency])
    assert fmt(minor, currency) == f"{to_decimal(minor, currency):.{places}f}"
    assert Decimal(fmt(minor, currency)) == to_decimal(minor, currency)


def test_cents_are_written_with_two_decimals_and_a_sign():
    assert fmt(123456) == "1234.56"
    assert fmt(-5) == "-0.05"
    assert fmt(None) == "0.00"
    assert fmt(100, "JPY") == "100.00"
