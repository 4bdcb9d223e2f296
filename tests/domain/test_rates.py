"""The rate tables: every row traceable, and the commercial rates agree with the ECB rate they
are defined by (art. 6:120 lid 2 BW; art. 5 wet 2-8-2002)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, Decimal

import pytest

from vorder.domain import rates
from vorder.domain.errors import RateNotKnown, RateTableError
from vorder.domain.rates import RateStatus, RateTableName, parse_table, table

D = Decimal
NEW_REGIME = date(2013, 3, 16)  # Directive 2011/7/EU: + 8 points instead of + 7


def margin(day: date) -> int:
    return 8 if day >= NEW_REGIME else 7


def reference_rate(day: date) -> Decimal:
    """ECB rate of the last operation before the first day of the half year (or 16-3-2013)."""
    first = day if day == NEW_REGIME else rates.semester_start(day)
    return rates.ecb_reference_rate(first)


@pytest.mark.parametrize("row", table("nl_6_119a").rows, ids=lambda r: r.effective_from.isoformat())
def test_nl_commercial_rate_is_ecb_plus_eight_unrounded(row):
    assert row.rate == reference_rate(row.effective_from) + margin(row.effective_from)


@pytest.mark.parametrize(
    "row", table("be_commercial").rows, ids=lambda r: r.effective_from.isoformat()
)
def test_be_commercial_rate_is_ecb_plus_eight_rounded_up_to_half_a_point(row):
    raw = reference_rate(row.effective_from) + margin(row.effective_from)
    assert row.rate == (raw * 2).to_integral_value(rounding=ROUND_CEILING) / 2


@pytest.mark.parametrize("row", table("nl_6_119").rows, ids=lambda r: r.effective_from.isoformat())
def test_nl_statutory_rate_stays_within_two_points_of_ecb_plus_2_25(row):
    """The 6:119 rate is discretionary ("indien nodig"), but never far from its formula."""
    formula = reference_rate(row.effective_from) + D("2.25")
    assert abs(row.rate - formula) <= 2


def test_every_table_is_complete_and_sourced():
    for rate_table in rates.all_tables():
        assert rate_table.rows, rate_table.name
        for row in rate_table.rows:
            assert row.source
            assert row.rate >= 0
            assert row.status in RateStatus
        assert list(rate_table.starts) == sorted(rate_table.starts)


@pytest.mark.parametrize(
    ("name", "day", "rate"),
    [
        ("nl_6_119", date(2024, 7, 1), "7.00"),  # REFERENCE.md 1a, Stb. 2024, 216
        ("nl_6_119", date(2026, 1, 1), "4.00"),
        ("nl_6_119a", date(2011, 7, 1), "8.25"),  # the [CONFLICT] row: 8.25, not 8
        ("nl_6_119a", date(2025, 12, 31), "10.15"),
        ("be_commercial", date(2019, 9, 1), "8.00"),  # the [CONFLICT] row: 8, not 8.5
        ("be_commercial", date(2024, 8, 1), "12.50"),
        ("be_legal", date(2010, 6, 1), "3.25"),  # the [CONFLICT] row: 3.25, not 3.5
        ("be_legal", date(2026, 3, 1), "4.50"),
        ("ecb_mro", date(2025, 6, 11), "2.15"),
    ],
)
def test_rates_of_the_reference(name, day, rate):
    assert table(name).rate_on(day) == D(rate)


def test_before_the_first_row_is_refused():
    with pytest.raises(RateNotKnown, match="before 2012-01-01"):
        table("be_commercial").row_on(date(2011, 12, 31))


def test_known_until_is_the_end_of_the_newest_rows_period():
    assert table("nl_6_119a").known_until() == date(2026, 6, 30)
    assert table("be_legal").known_until() == date(2026, 12, 31)
    assert table("ecb_mro").known_until() is None


def test_changes_between_is_exclusive_of_the_first_day():
    nl = table("nl_6_119a")
    assert nl.changes_between(date(2023, 1, 1), date(2024, 1, 1)) == [
        date(2023, 7, 1),
        date(2024, 1, 1),
    ]


def test_belgian_consumer_interest_cap_is_ecb_plus_eight_not_rounded():
    """REFERENCE.md section 0: the lower reading of art. XIX.4 WER (10.15, not 10.50)."""
    assert rates.be_consumer_interest_cap(date(2025, 8, 1)) == D("10.15")
    assert rates.be_consumer_interest_cap(date(2024, 3, 1)) == D("12.50")


HEADER = "effective_from,rate,status,source\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n", "x.csv: the header must be effective_from,rate,status,source"),
        (HEADER, "x.csv: the table has no rows"),
        (
            HEADER + "2025-13-01,1,confirmed,s\n",
            "x.csv, row 1, effective_from: not a YYYY-MM-DD date",
        ),
        (HEADER + "2025-01-01,abc,confirmed,s\n", "x.csv, row 1, rate: not a number"),
        (HEADER + "2025-01-01,-1,confirmed,s\n", "x.csv, row 1, rate: must be a percentage"),
        (
            HEADER + "2025-01-01,1,maybe,s\n",
            "x.csv, row 1, status: must be confirmed or unverified",
        ),
        (HEADER + "2025-01-01,1,confirmed,\n", "x.csv, row 1, source: every rate needs its source"),
        (
            HEADER + "2025-01-01,1,confirmed,s\n2025-01-01,2,confirmed,s\n",
            "x.csv, row 2, effective_from: dates must be in ascending order",
        ),
    ],
)
def test_a_malformed_table_names_file_row_and_field(text, message):
    with pytest.raises(RateTableError) as error:
        parse_table(RateTableName.NL_STATUTORY, "# comment\n" + text, "x.csv")
    assert str(error.value).startswith(message)


def test_a_new_period_is_one_more_row():
    """docs/law.md: adding a period = appending a row; this is what the loader then sees."""
    text = (
        HEADER + "2026-01-01,4.00,unverified,Stb. 2025 427\n2026-07-01,3.00,confirmed,Stb. 2026 1\n"
    )
    new = parse_table(RateTableName.NL_STATUTORY, text, "nl_6_119.csv")
    assert new.rate_on(date(2026, 7, 1)) == D("3.00")
    assert new.known_until() == date(2026, 12, 31)
