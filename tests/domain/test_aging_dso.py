"""Aging buckets and DSO by hand-computed examples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from vorder.domain.aging import Bucket, bucket_for, days_overdue, due_date_bounds
from vorder.domain.dso import dso_countback, dso_standard

AS_OF = date(2024, 6, 30)


@pytest.mark.parametrize(
    ("due", "bucket"),
    [
        (date(2024, 7, 15), Bucket.NOT_DUE),
        (date(2024, 6, 30), Bucket.NOT_DUE),  # due today: not yet late
        (date(2024, 6, 29), Bucket.D1_30),
        (date(2024, 5, 31), Bucket.D1_30),  # 30 days
        (date(2024, 5, 30), Bucket.D31_60),  # 31 days
        (date(2024, 5, 1), Bucket.D31_60),  # 60 days
        (date(2024, 4, 30), Bucket.D61_90),  # 61 days
        (date(2024, 4, 1), Bucket.D61_90),  # 90 days
        (date(2024, 3, 31), Bucket.D90_PLUS),  # 91 days
    ],
)
def test_an_item_falls_in_the_bucket_of_its_days_past_due(due, bucket):
    assert bucket_for(due, AS_OF) is bucket


def test_bucket_bounds_agree_with_bucket_for_every_day_of_a_year():
    bounds = due_date_bounds(AS_OF)
    for offset in range(-40, 400):
        due = date.fromordinal(AS_OF.toordinal() - offset)
        inside = [
            b
            for b, (lo, hi) in bounds.items()
            if (lo is None or due >= lo) and (hi is None or due <= hi)
        ]
        assert inside == [bucket_for(due, AS_OF)], due


def test_days_overdue_is_negative_before_the_due_date():
    assert days_overdue(date(2024, 7, 10), AS_OF) == -10


def test_standard_dso_is_receivables_over_sales_times_days():
    # 300,000 open against 450,000 sales in 90 days: 60.0 days
    assert dso_standard(receivables=300_000_00, sales=450_000_00, days=90) == Decimal("60.0")


def test_standard_dso_without_sales_is_unknown():
    assert dso_standard(receivables=100, sales=0, days=90) is None


def test_standard_dso_refuses_an_empty_period():
    with pytest.raises(ValueError, match="at least one day"):
        dso_standard(receivables=1, sales=1, days=0)


def test_countback_uses_up_receivables_month_by_month():
    # Receivables 250; June sales 100 (30 days) and May 100 (31 days) are fully open,
    # the remaining 50 is a quarter of April's 200 (30 days): 30 + 31 + 7.5 = 68.5 days.
    assert dso_countback(receivables=250, periods=[(30, 100), (31, 100), (30, 200)]) == Decimal(
        "68.5"
    )


def test_countback_counts_a_month_without_sales_as_fully_outstanding():
    assert dso_countback(receivables=50, periods=[(30, 0), (31, 100)]) == Decimal("45.5")


def test_countback_stops_when_receivables_are_used_up():
    assert dso_countback(receivables=0, periods=[(30, 100)]) == Decimal("0.0")
    assert dso_countback(receivables=100, periods=[]) is None


def test_countback_is_a_lower_bound_when_receivables_exceed_all_sales():
    assert dso_countback(receivables=1_000, periods=[(30, 100), (31, 100)]) == Decimal("61.0")
