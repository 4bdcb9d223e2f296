"""Money: exact, in whole minor units, never float, never mixed currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vorder.domain.errors import CurrencyMismatch, InvalidAmount
from vorder.domain.money import Money, check_currency, exponent, parse_amount, round_money

cents = st.integers(min_value=-(10**12), max_value=10**12)


def test_a_euro_amount_has_two_decimals():
    assert Money.of("12.5", "eur") == Money(Decimal("12.50"), "EUR")
    assert Money.of("12.5", "EUR").minor == 1250


def test_more_decimals_than_the_currency_allows_is_refused():
    with pytest.raises(InvalidAmount, match="more decimals than EUR allows"):
        Money.of("10.005", "EUR")
    with pytest.raises(InvalidAmount, match="JPY"):
        Money.of("1.5", "JPY")


def test_floats_are_never_money():
    with pytest.raises(InvalidAmount, match="floats"):
        Money.of(0.1, "EUR")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount, match="Decimal"):
        Money(0.1, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["abc", "", "NaN"])
def test_text_that_is_no_amount_is_refused(bad):
    with pytest.raises(InvalidAmount):
        Money.of(bad, "EUR")


def test_infinity_is_refused():
    with pytest.raises(InvalidAmount, match="finite"):
        Money(Decimal("Infinity"), "EUR")


def test_currency_codes_are_checked():
    assert check_currency(" usd ") == "USD"
    with pytest.raises(InvalidAmount, match="ISO 4217"):
        Money.of("1", "EURO")


def test_currencies_are_never_mixed():
    with pytest.raises(CurrencyMismatch, match="EUR with USD"):
        Money.of("1", "EUR") + Money.of("1", "USD")
    with pytest.raises(TypeError):
        Money.of("1", "EUR") + 1  # type: ignore[operator]


def test_minor_units_round_trip_for_zero_two_and_three_decimal_currencies():
    assert Money.from_minor(1234, "JPY").amount == Decimal("1234")
    assert Money.from_minor(1234, "KWD").amount == Decimal("1.234")
    assert exponent("EUR") == 2
    with pytest.raises(InvalidAmount):
        Money.from_minor(True, "EUR")  # type: ignore[arg-type]


def test_rounding_is_half_up_once():
    assert round_money(Decimal("0.125"), "EUR") == Decimal("0.13")
    assert round_money(Decimal("-0.125"), "EUR") == Decimal("-0.13")
    assert Money.of("100.00", "EUR").times(Decimal("0.08125")) == Money.of("8.13", "EUR")


def test_comparisons_and_signs():
    a, b = Money.of("1.00", "EUR"), Money.of("2.00", "EUR")
    assert a < b <= b
    assert b > a >= a
    assert -a == Money.of("-1.00", "EUR")
    assert abs(-a) == a
    assert not Money.zero("EUR")
    assert a
    assert str(a) == "EUR 1.00"
    assert b - a == a


@given(
    total=cents, weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8)
)
def test_allocating_never_loses_or_invents_a_cent(total, weights):
    if sum(weights) == 0:
        with pytest.raises(InvalidAmount):
            Money.from_minor(total, "EUR").allocate(weights)
        return
    parts = Money.from_minor(total, "EUR").allocate(weights)
    assert sum(p.minor for p in parts) == total
    assert len(parts) == len(weights)


@given(a=cents, b=cents)
def test_addition_is_exact(a, b):
    assert (Money.from_minor(a, "EUR") + Money.from_minor(b, "EUR")).minor == a + b


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("1.234,56", None, "1234.56"),
        ("1,234.56", None, "1234.56"),
        ("1234,56", None, "1234.56"),
        ("€ 1.234,56", ",", "1234.56"),
        ("-12.5", None, "-12.5"),
        ("12.50-", None, "-12.50"),
        ("(7,50)", None, "-7.50"),
        ("+3", None, "3"),
        ("1.234.567", None, "1234567"),
        ("1.234", ",", "1234"),
        ("1,234", ".", "1234"),
        ("1 234,56", ",", "1234.56"),
    ],
)
def test_amounts_are_read_as_people_write_them(text, separator, expected):
    assert parse_amount(text, separator) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("", None),
        ("abc", None),
        ("1,2,3.4.5", None),
        ("12,", None),
        ("1.23.4", ","),
        ("1,5", ";"),
        (",5", None),
    ],
)
def test_malformed_amounts_are_refused(text, separator):
    with pytest.raises(InvalidAmount):
        parse_amount(text, separator)


@given(cents=st.integers(min_value=0, max_value=10**10), comma=st.booleans())
def test_formatted_amounts_read_back_exactly(cents, comma):
    value = Decimal(cents).scaleb(-2)
    text = f"{value:,.2f}"
    if comma:
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    assert parse_amount(text, "," if comma else ".") == value
