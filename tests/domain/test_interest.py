"""Late-payment interest: the worked examples of ../shared/legal/REFERENCE.md section 4, then the
properties the law and vorder's conventions promise (issue 3)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vorder.domain.errors import (
    InvalidAmount,
    InvalidPayment,
    InvalidPeriod,
    InvalidSetting,
    RateNotKnown,
)
from vorder.domain.interest import (
    Bucket,
    DayCount,
    InterestKind,
    InterestRule,
    Payment,
    anniversary,
    apportion,
    calculate_interest,
    interest_total,
    money_text,
    rate_text,
)

D = Decimal


def rule(kind: str, **settings_: object) -> InterestRule:
    return InterestRule.parse(kind, **settings_)  # type: ignore[arg-type]


# -- REFERENCE.md section 4: every worked example ------------------------------------------------
WORKED_EXAMPLES = [
    # (id, kind, principal, first interest day, last day, day count, compounding, total)
    (
        "W10",
        "nl-commercial",
        "10000.00",
        date(2023, 3, 15),
        date(2025, 6, 30),
        "actual/365",
        None,
        "2934.03",
    ),
    (
        "W10b",
        "nl-commercial",
        "10000.00",
        date(2023, 3, 15),
        date(2025, 6, 30),
        "actual/actual",
        None,
        "2930.11",
    ),
    (
        "W10c",
        "nl-commercial",
        "10000.00",
        date(2023, 3, 15),
        date(2025, 6, 30),
        "actual/365",
        False,
        "2709.36",
    ),
    (
        "W11",
        "nl-consumer",
        "1000.00",
        date(2024, 12, 1),
        date(2025, 1, 31),
        "actual/365",
        None,
        "11.04",
    ),
    (
        "W11 actual/actual",
        "nl-consumer",
        "1000.00",
        date(2024, 12, 1),
        date(2025, 1, 31),
        "actual/actual",
        None,
        "11.02",
    ),
    (
        "W12",
        "nl-consumer",
        "1500.00",
        date(2024, 11, 1),
        date(2026, 2, 15),
        "actual/365",
        None,
        "116.51",
    ),
    (
        "W12 actual/actual",
        "nl-consumer",
        "1500.00",
        date(2024, 11, 1),
        date(2026, 2, 15),
        "actual/actual",
        None,
        "116.46",
    ),
    (
        "B8",
        "be-commercial",
        "5000.00",
        date(2025, 6, 1),
        date(2025, 8, 15),
        "actual/365",
        None,
        "113.42",
    ),
    (
        "B9",
        "be-commercial",
        "12000.00",
        date(2024, 12, 1),
        date(2025, 2, 14),
        "actual/365",
        None,
        "297.53",
    ),
    (
        "B9 actual/actual",
        "be-commercial",
        "12000.00",
        date(2024, 12, 1),
        date(2025, 2, 14),
        "actual/actual",
        None,
        "297.19",
    ),
]


@pytest.mark.parametrize(
    ("kind", "principal", "start", "end", "day_count", "compounding", "total"),
    [example[1:] for example in WORKED_EXAMPLES],
    ids=[example[0] for example in WORKED_EXAMPLES],
)
def test_reference_worked_examples(kind, principal, start, end, day_count, compounding, total):
    result = calculate_interest(
        D(principal), start, end, rule(kind, day_count=day_count, compounding=compounding)
    )
    assert result.total_interest == D(total)


def test_w10_year_by_year_as_in_the_reference():
    """REFERENCE.md 4, W10: 839 days; year 1 capitalised 1,169.04, year 2 1,351.90, then 413.09."""
    result = calculate_interest(
        D("10000.00"), date(2023, 3, 15), date(2025, 6, 30), rule("nl-commercial")
    )
    assert result.days == 839
    assert [(c.on, c.amount, c.new_base) for c in result.capitalisations] == [
        (date(2024, 3, 15), D("1169.04"), D("11169.04")),
        (date(2025, 3, 15), D("1351.90"), D("12520.94")),
    ]
    rows = [(p.start, p.end, p.days, p.rate, p.base) for p in result.periods]
    assert rows == [
        (date(2023, 3, 15), date(2023, 6, 30), 108, D("10.50"), D("10000.00")),
        (date(2023, 7, 1), date(2023, 12, 31), 184, D("12.00"), D("10000.00")),
        (date(2024, 1, 1), date(2024, 3, 14), 74, D("12.50"), D("10000.00")),
        (date(2024, 3, 15), date(2024, 6, 30), 108, D("12.50"), D("11169.04")),
        (date(2024, 7, 1), date(2024, 12, 31), 184, D("12.25"), D("11169.04")),
        (date(2025, 1, 1), date(2025, 3, 14), 73, D("11.15"), D("11169.04")),
        (date(2025, 3, 15), date(2025, 6, 30), 108, D("11.15"), D("12520.94")),
    ]
    # The unrounded segments of the reference, to the sixth decimal.
    exact = [round(p.exact, 6) for p in result.periods]
    assert exact == [
        D("310.684932"),
        D("604.931507"),
        D("253.424658"),
        D("413.101479"),
        D("689.726470"),
        D("249.069592"),
        D("413.088108"),
    ]
    assert result.principal_due == D("12520.94")
    assert result.interest_due == D("413.09")
    assert result.total_due == D("12934.03")  # principal + interest in the reference
    assert result.capitalised == D("2520.94")


def test_w10c_capitalisation_adds_224_67():
    """REFERENCE.md 4, W10c: compounding adds 224.67 over simple interest."""
    start, end = date(2023, 3, 15), date(2025, 6, 30)
    compound = interest_total(D("10000.00"), start, end, rule("nl-commercial"))
    simple = interest_total(D("10000.00"), start, end, rule("nl-commercial", compounding=False))
    assert compound - simple == D("224.67")


def test_w12_capitalises_on_the_first_anniversary():
    result = calculate_interest(
        D("1500.00"), date(2024, 11, 1), date(2026, 2, 15), rule("nl-consumer")
    )
    assert [(c.on, c.amount, c.new_base) for c in result.capitalisations] == [
        (date(2025, 11, 1), D("92.51"), D("1592.51"))
    ]
    assert result.interest_due == D("24.00")
    # The 4% from 2026-01-01 is marked unverified in the table, and the result says so.
    assert not result.verified


def test_b8_breakdown_matches_the_reference():
    result = calculate_interest(
        D("5000.00"), date(2025, 6, 1), date(2025, 8, 15), rule("be-commercial")
    )
    assert [(p.days, p.rate, round(p.exact, 6)) for p in result.periods] == [
        (30, D("11.50"), D("47.260274")),
        (46, D("10.50"), D("66.164384")),
    ]
    assert result.days == 76
    assert not result.capitalisations  # Belgian interest is simple
    assert result.verified


# -- own examples from the official texts --------------------------------------------------------
def test_one_day_of_interest_counts_the_payment_day():
    """Art. 6:119a lid 1 BW: from the day after the due date up to and including the payment day."""
    result = calculate_interest(
        D("36500.00"), date(2025, 7, 1), date(2025, 7, 1), rule("contract:10")
    )
    assert result.days == 1
    assert result.total_interest == D("10.00")  # 36,500 x 10% / 365


def test_belgian_legal_rate_changes_on_new_year():
    """Wet 5 mei 1865: the legal rate is set per calendar year (5.75% in 2024, 4.50% in 2025)."""
    result = calculate_interest(
        D("7300.00"), date(2024, 12, 22), date(2025, 1, 10), rule("be-legal")
    )
    assert [(p.days, p.rate) for p in result.periods] == [(10, D("5.75")), (10, D("4.50"))]
    # 7300 x 5.75% x 10/365 = 11.50 ; 7300 x 4.5% x 10/365 = 9.00
    assert result.total_interest == D("20.50")


def test_the_2013_switch_to_ecb_plus_eight():
    """Stb. 2013, 93: from 16-3-2013 the commercial rate is ECB + 8 (8.75%) instead of + 7 (7.75%)."""
    result = calculate_interest(
        D("36500.00"), date(2013, 3, 15), date(2013, 3, 16), rule("nl-commercial")
    )
    assert [p.rate for p in result.periods] == [D("7.75"), D("8.75")]
    assert result.total_interest == D("16.50")


def test_a_day_before_the_first_recorded_rate_is_refused():
    with pytest.raises(RateNotKnown, match="before 2009-07-01"):
        calculate_interest(D("100.00"), date(2009, 6, 30), date(2009, 7, 31), rule("nl-consumer"))


def test_a_rate_beyond_the_published_periods_is_flagged():
    """The newest NL row is valid for its half year; later days are computed but not verified."""
    result = calculate_interest(
        D("1000.00"), date(2026, 6, 1), date(2026, 8, 31), rule("nl-consumer")
    )
    assert [(p.start, p.verified) for p in result.periods] == [
        (date(2026, 6, 1), False),  # the 4% row itself is unverified
        (date(2026, 7, 1), False),  # beyond the half year of the newest row
    ]
    result = calculate_interest(
        D("1000.00"), date(2025, 2, 1), date(2025, 3, 1), rule("nl-commercial")
    )
    assert result.verified


def test_actual_actual_splits_at_new_year_and_counts_366_days_in_a_leap_year():
    result = calculate_interest(
        D("36600.00"),
        date(2023, 12, 31),
        date(2024, 1, 1),
        rule("contract:10", day_count="actual/actual"),
    )
    assert [(p.start, p.divisor) for p in result.periods] == [
        (date(2023, 12, 31), 365),
        (date(2024, 1, 1), 366),
    ]
    assert result.total_interest == D("20.03")  # 10.027397 + 10.000000


def test_anniversary_of_29_february_is_1_march():
    assert anniversary(date(2024, 2, 29), 1) == date(2025, 3, 1)
    assert anniversary(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert anniversary(date(2023, 3, 15), 2) == date(2025, 3, 15)


# -- partial payments: art. 6:44 BW ---------------------------------------------------------------
def test_partial_payment_goes_to_costs_then_interest_then_principal():
    """10,000 at 10% simple, costs 875.00; 2,000 paid on day 73 (interest 200.00 so far)."""
    start = date(2025, 1, 1)
    result = calculate_interest(
        D("10000.00"),
        start,
        date(2025, 12, 31),
        rule("contract:10"),
        payments=[Payment(start + timedelta(days=72), D("2000.00"))],
        costs=D("875.00"),
    )
    (paid,) = result.payments
    assert (paid.to_costs, paid.to_interest, paid.to_principal) == (
        D("875.00"),
        D("200.00"),
        D("925.00"),
    )
    assert result.periods[0].days == 73
    assert result.periods[1].base == D("9075.00")
    # 200.00 + 9,075 x 10% x 292/365 = 726.00
    assert result.total_interest == D("926.00")
    assert result.interest_paid == D("200.00")
    assert result.interest_due == D("726.00")
    assert result.costs_due == D("0.00")
    assert result.total_due == D("9801.00")


def test_imputation_order_is_a_setting():
    order = (Bucket.PRINCIPAL, Bucket.INTEREST, Bucket.COSTS)
    result = calculate_interest(
        D("1000.00"),
        date(2025, 1, 1),
        date(2025, 1, 10),
        rule("contract:10", imputation=order),
        payments=[Payment(date(2025, 1, 10), D("1010.00"))],
        costs=D("40.00"),
    )
    (paid,) = result.payments
    assert (paid.to_principal, paid.to_interest, paid.to_costs) == (
        D("1000.00"),
        D("2.74"),
        D("7.26"),
    )
    assert result.costs_due == D("32.74")


def test_overpayment_is_left_as_a_credit_and_stops_the_interest():
    result = calculate_interest(
        D("1000.00"),
        date(2025, 1, 1),
        date(2025, 3, 31),
        rule("be-commercial"),
        payments=[Payment(date(2025, 1, 31), D("1100.00"))],
    )
    (paid,) = result.payments
    assert paid.to_interest == D("9.77")  # 1000 x 11.5% x 31/365
    assert paid.to_principal == D("1000.00")
    assert paid.unapplied == result.unapplied == D("90.23")
    assert result.total_interest == D("9.77")  # nothing runs on a zero base
    assert result.total_due == D("0.00")


def test_payment_before_the_first_interest_day_reduces_the_base_from_the_start():
    result = calculate_interest(
        D("1000.00"),
        date(2025, 1, 1),
        date(2025, 1, 10),
        rule("contract:10"),
        payments=[Payment(date(2024, 12, 20), D("270.00"))],
    )
    assert result.periods[0].base == D("730.00")
    assert result.total_interest == D("2.00")


def test_payment_on_the_last_day_of_an_interest_year_comes_before_capitalisation():
    start = date(2024, 3, 1)
    result = calculate_interest(
        D("1000.00"),
        start,
        date(2025, 3, 10),
        rule("contract:10", compounding=True),
        payments=[Payment(date(2025, 2, 28), D("50.00"))],
    )
    (paid,) = result.payments
    assert paid.to_interest == D("50.00")
    assert result.capitalisations[0].on == date(2025, 3, 1)
    assert result.capitalisations[0].amount == D("50.00")  # 100.00 for the year, 50.00 paid


def test_fully_paid_interest_is_not_capitalised():
    result = calculate_interest(
        D("1000.00"),
        date(2024, 3, 1),
        date(2025, 3, 10),
        rule("contract:10", compounding=True),
        payments=[Payment(date(2025, 2, 28), D("100.00"))],
    )
    assert result.capitalisations == ()
    assert result.principal_due == D("1000.00")


def test_payment_on_the_last_day_is_imputed():
    result = calculate_interest(
        D("1000.00"),
        date(2025, 1, 1),
        date(2025, 1, 10),
        rule("contract:10"),
        payments=[Payment(date(2025, 1, 10), D("100.00"))],
    )
    assert result.payments[0].to_interest == D("2.74")
    assert result.interest_due == D("0.00")
    assert result.principal_due == D("902.74")


# -- refusals with clear errors ------------------------------------------------------------------
def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(InvalidPeriod, match="ends on 2025-01-01, before it starts on 2025-02-01"):
        calculate_interest(D("100.00"), date(2025, 2, 1), date(2025, 1, 1), rule("nl-commercial"))


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (D("-1.00"), "at least 0.00"),
        (D("1.005"), "more than two decimals"),
        (D("NaN"), "finite Decimal"),
        (1000, "finite Decimal"),
    ],
)
def test_bad_principal_is_refused(amount, message):
    with pytest.raises(InvalidAmount, match=message):
        calculate_interest(amount, date(2025, 1, 1), date(2025, 1, 2), rule("nl-commercial"))


def test_bad_payments_are_refused():
    with pytest.raises(InvalidAmount, match="the payment of 2025-01-02 must be more than 0.00"):
        calculate_interest(
            D("100.00"),
            date(2025, 1, 1),
            date(2025, 1, 5),
            rule("contract:5"),
            payments=[Payment(date(2025, 1, 2), D("0.00"))],
        )
    with pytest.raises(InvalidPayment, match="after the last interest day 2025-01-05"):
        calculate_interest(
            D("100.00"),
            date(2025, 1, 1),
            date(2025, 1, 5),
            rule("contract:5"),
            payments=[Payment(date(2025, 1, 6), D("1.00"))],
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nl-handel", "unknown interest kind 'nl-handel'"),
        ("contract", "needs its percentage"),
        ("contract:abc", "'abc' is not a percentage"),
        ("contract:-1", "cannot be negative"),
        ("contract:nan", "needs its percentage"),
        ("nl-commercial:9", "a percentage is not accepted"),
    ],
)
def test_bad_interest_kinds_are_refused(text, message):
    with pytest.raises(InvalidSetting, match=message):
        InterestRule.parse(text)


def test_bad_settings_are_refused():
    with pytest.raises(InvalidSetting, match="actual/360"):
        InterestRule.parse("nl-commercial", day_count="actual/360")
    with pytest.raises(InvalidSetting, match="once each"):
        InterestRule.parse("nl-commercial", imputation=["costs", "costs", "principal"])


def test_rule_parsing_and_defaults():
    assert InterestRule.parse(" Contract:8,5 ").contract_rate == D("8.5")
    assert InterestRule.parse("nl-consumer").compounds
    assert not InterestRule.parse("be-legal").compounds
    assert not InterestRule.parse("contract:8").compounds
    assert InterestRule.parse("contract:8").table is None
    assert (
        InterestRule(InterestKind.BE_COMMERCIAL, day_count=DayCount.ACTUAL_ACTUAL).table is not None
    )


def test_text_helpers():
    assert money_text(D("40")) == "40.00"
    assert rate_text(D("8.5")) == "8.50"
    assert rate_text(D("8.125")) == "8.125"
    assert apportion(D("0.02"), [D("0.005"), D("0.005"), D("0.005")]) == [
        D("0.01"),
        D("0.01"),
        D("0.00"),
    ]


def test_as_dict_for_json():
    result = calculate_interest(
        D("5000"), date(2025, 6, 1), date(2025, 8, 15), rule("be-commercial")
    )
    payload = result.as_dict()
    assert payload["total"] == "113.42"
    assert payload["principal"] == "5000.00"
    assert payload["periods"][0] == {
        "from": "2025-06-01",
        "to": "2025-06-30",
        "days": 30,
        "rate": "11.50",
        "base": "5000.00",
        "interest": "47.26",
        "exact": "47.260274",
        "divisor": 365,
        "verified": True,
        "source": payload["periods"][0]["source"],
    }
    assert payload["outstanding"] == {
        "principal": "5000.00",
        "interest": "113.42",
        "costs": "0.00",
        "total": "5113.42",
    }


# -- properties (hypothesis) ---------------------------------------------------------------------
KINDS = ["nl-commercial", "nl-consumer", "be-commercial", "be-legal", "contract:8.5"]
amounts = st.integers(min_value=0, max_value=10**9).map(lambda cents: D(cents).scaleb(-2))
starts = st.dates(min_value=date(2016, 1, 1), max_value=date(2026, 6, 30))
lengths = st.integers(min_value=0, max_value=2000)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(KINDS), principal=amounts, start=starts, length=lengths)
def test_interest_is_monotone_in_time(kind, principal, start, length):
    end = start + timedelta(days=length)
    one_more = interest_total(principal, start, end + timedelta(days=1), rule(kind))
    assert interest_total(principal, start, end, rule(kind)) <= one_more


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(KINDS), principal=amounts, extra=amounts, start=starts, length=lengths)
def test_interest_is_monotone_in_principal(kind, principal, extra, start, length):
    end = start + timedelta(days=length)
    assert interest_total(principal, start, end, rule(kind)) <= interest_total(
        principal + extra, start, end, rule(kind)
    )


@settings(max_examples=100, deadline=None)
@given(start=starts, length=st.integers(min_value=1, max_value=2000), principal=amounts)
def test_a_reversed_period_is_refused(start, length, principal):
    with pytest.raises(InvalidPeriod, match="before it starts"):
        calculate_interest(principal, start, start - timedelta(days=length), rule("be-commercial"))


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    principal=amounts,
    start=starts,
    first=st.integers(min_value=0, max_value=1000),
    second=st.integers(min_value=0, max_value=1000),
)
def test_splitting_a_period_gives_the_same_total_before_compounding(
    kind, principal, start, first, second
):
    """Exact amounts add up; after rounding the two halves differ from the whole by at most a cent."""
    simple = rule(kind, compounding=False)
    middle = start + timedelta(days=first)
    end = middle + timedelta(days=1 + second)
    whole = calculate_interest(principal, start, end, simple)
    left = calculate_interest(principal, start, middle, simple)
    right = calculate_interest(principal, middle + timedelta(days=1), end, simple)
    exact = sum(p.exact for p in whole.periods)
    assert abs(exact - sum(p.exact for p in left.periods + right.periods)) < D("1e-15")
    assert abs(whole.total_interest - left.total_interest - right.total_interest) <= D("0.01")


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(KINDS), principal=amounts, start=starts, length=lengths)
def test_rounding_happens_once_per_interest_period(kind, principal, start, length):
    """Without compounding or payments the whole run is one rounding period: total = round(sum)."""
    result = calculate_interest(
        principal, start, start + timedelta(days=length), rule(kind, compounding=False)
    )
    exact = sum((p.exact for p in result.periods), D(0))
    assert result.total_interest == exact.quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert sum(p.interest for p in result.periods) == result.total_interest


@settings(max_examples=150, deadline=None)
@given(principal=amounts, start=starts, length=lengths)
@example(principal=D("0.07"), start=date(2016, 2, 29), length=366)
@example(principal=D("0.04"), start=date(2016, 1, 1), length=1709)
def test_compounding_rounds_at_each_anniversary(principal, start, length):
    result = calculate_interest(
        principal, start, start + timedelta(days=length), rule("nl-commercial")
    )
    year_starts = [start] + [cap.on for cap in result.capitalisations]
    for year_start, cap in zip(year_starts, result.capitalisations, strict=False):
        year = [p for p in result.periods if year_start <= p.start < cap.on]
        assert cap.amount == sum(p.exact for p in year).quantize(
            D("0.01"), rounding="ROUND_HALF_UP"
        )
    assert sum(p.interest for p in result.periods) == result.total_interest
    simple = calculate_interest(
        principal, start, start + timedelta(days=length), rule("nl-commercial", compounding=False)
    ).total_interest
    # Compounding never costs the creditor more than the half cents lost at each rounding: one
    # per anniversary passed (a year whose interest rounds to 0.00 capitalises nothing) plus one.
    anniversaries = length // 365 + 1
    assert result.total_interest >= simple - D("0.01") * (anniversaries + 1)


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    principal=amounts,
    start=starts,
    length=lengths,
    day_count=st.sampled_from(list(DayCount)),
)
def test_the_fast_total_equals_the_full_breakdown(kind, principal, start, length, day_count):
    """interest_total (the daily run) and calculate_interest (the statement) never disagree."""
    end = start + timedelta(days=length)
    chosen = rule(kind, day_count=day_count)
    assert (
        interest_total(principal, start, end, chosen)
        == calculate_interest(principal, start, end, chosen).total_interest
    )


def test_the_fast_total_refuses_a_reversed_period():
    with pytest.raises(InvalidPeriod, match="before it starts"):
        interest_total(D("1.00"), date(2025, 1, 2), date(2025, 1, 1), rule("be-legal"))


def test_the_hand_loaded_examples_match_the_reference_text(shared_dir):
    """Guard against drift: every total above is printed in REFERENCE.md section 4."""
    text = (shared_dir / "legal" / "REFERENCE.md").read_text(encoding="utf-8")
    section = text[text.index("## 4. Worked examples") :]
    for worked in WORKED_EXAMPLES:
        total = f"{D(worked[-1]):,.2f}"
        assert total in section, (worked[0], total)
