"""Aging buckets: how long past its due date an open amount is.

The buckets are the trade's standard (not due, 1–30, 31–60, 61–90, more than 90 days). An item
due today is not yet overdue: the debtor may pay on the due date itself.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class Bucket(StrEnum):
    NOT_DUE = "not_due"
    D1_30 = "d1_30"
    D31_60 = "d31_60"
    D61_90 = "d61_90"
    D90_PLUS = "d90_plus"


BUCKETS: tuple[Bucket, ...] = tuple(Bucket)
OVERDUE_BUCKETS: tuple[Bucket, ...] = BUCKETS[1:]


def days_overdue(due: date, as_of: date) -> int:
    """Days past the due date on ``as_of``; zero or negative when not yet overdue."""
    return (as_of - due).days


def bucket_for(due: date, as_of: date) -> Bucket:
    days = days_overdue(due, as_of)
    if days <= 0:
        return Bucket.NOT_DUE
    if days <= 30:
        return Bucket.D1_30
    if days <= 60:
        return Bucket.D31_60
    if days <= 90:
        return Bucket.D61_90
    return Bucket.D90_PLUS


def due_date_bounds(as_of: date) -> dict[Bucket, tuple[date | None, date | None]]:
    """For each bucket, the (earliest, latest) due date that falls in it, both inclusive.

    Lets a database sum every bucket in one pass with range conditions on the due date.
    """
    return {
        Bucket.NOT_DUE: (as_of, None),
        Bucket.D1_30: (as_of - timedelta(days=30), as_of - timedelta(days=1)),
        Bucket.D31_60: (as_of - timedelta(days=60), as_of - timedelta(days=31)),
        Bucket.D61_90: (as_of - timedelta(days=90), as_of - timedelta(days=61)),
        Bucket.D90_PLUS: (None, as_of - timedelta(days=91)),
    }
