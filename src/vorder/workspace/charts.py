"""Geometry for the server-rendered SVG charts: no chart library, no JavaScript.

Only pixel positions are computed here (integers, from integer minor units); the template draws
the bars and writes the amounts in the reader's notation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from vorder.domain.aging import BUCKETS, Bucket

BUCKET_LABELS: dict[Bucket, Any] = {
    Bucket.NOT_DUE: _("Not due"),
    Bucket.D1_30: _("1–30 days"),
    Bucket.D31_60: _("31–60 days"),
    Bucket.D61_90: _("61–90 days"),
    Bucket.D90_PLUS: _("Over 90 days"),
}

# The drawing area of the aging chart, in SVG user units (the SVG scales to its box).
WIDTH = 640
SLOT = 120
LEFT = 20
BAR = 72
TOP = 34
PLOT = 190
BASELINE = TOP + PLOT


@dataclass(frozen=True)
class Bar:
    bucket: str
    label: Any
    amount_minor: int
    x: int
    y: int
    height: int
    centre: int
    share: int  # whole percent of the total, for the accessible label and the table


@dataclass(frozen=True)
class AgingChart:
    """One chart per creditor and currency: the aging report's total row, drawn as five bars."""

    creditor_code: str
    currency: str
    total_minor: int
    overdue_minor: int
    bars: list[Bar]
    width: int = WIDTH
    bar_width: int = BAR
    height: int = BASELINE + 44
    baseline: int = BASELINE
    label_y: int = BASELINE + 24


def _share(part: int, whole: int) -> int:
    return (200 * part + whole) // (2 * whole) if whole else 0


def aging_chart(row: Any) -> AgingChart:
    """Bars scaled to the largest bucket; a non-empty bucket is never drawn thinner than 2 units."""
    amounts = [int(getattr(row, bucket.value)) for bucket in BUCKETS]
    tallest = max([abs(a) for a in amounts] + [1])
    total = sum(amounts)
    bars = []
    for i, (bucket, amount) in enumerate(zip(BUCKETS, amounts, strict=True)):
        height = abs(amount) * PLOT // tallest
        if amount and height < 2:
            height = 2
        slot_x = LEFT + i * SLOT
        bars.append(
            Bar(
                bucket=bucket.value,
                label=BUCKET_LABELS[bucket],
                amount_minor=amount,
                x=slot_x + (SLOT - BAR) // 2,
                y=BASELINE - height,
                height=height,
                centre=slot_x + SLOT // 2,
                share=_share(amount, total),
            )
        )
    return AgingChart(
        creditor_code=row.creditor_code,
        currency=row.currency,
        total_minor=total,
        overdue_minor=total - amounts[0],
        bars=bars,
    )


@dataclass(frozen=True)
class TrendPoint:
    month_end: date
    standard: Decimal | None
    countback: Decimal | None
    x: int
    y_standard: int | None
    y_countback: int | None


@dataclass(frozen=True)
class TrendChart:
    points: list[TrendPoint]
    standard_path: str
    countback_path: str
    ceiling_days: int
    grid: list[tuple[int, int]]
    width: int = 440
    height: int = 180
    top: int = 16
    bottom: int = 150


def trend_chart(points: list[Any]) -> TrendChart:
    """Two lines (standard and countback DSO) over the months; gaps where a month had no sales."""
    figures = [p.standard for p in points if p.standard is not None]
    figures += [p.countback for p in points if p.countback is not None]
    ceiling = int(max(figures + [Decimal(10)])) + 20
    ceiling -= ceiling % 20  # ticks at quarters fall on multiples of five days
    top, bottom, left, right = 16, 150, 40, 428
    step = (right - left) // max(len(points) - 1, 1)

    def y(value: Decimal | None) -> int | None:
        if value is None:
            return None
        return bottom - int(value * (bottom - top) / ceiling)

    laid = [
        TrendPoint(
            p.month_end, p.standard, p.countback, left + i * step, y(p.standard), y(p.countback)
        )
        for i, p in enumerate(points)
    ]

    def path(attr: str) -> str:
        parts, pen_down = [], False
        for point in laid:
            value = getattr(point, attr)
            if value is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{point.x},{value}")
            pen_down = True
        return " ".join(parts)

    return TrendChart(
        points=laid,
        standard_path=path("y_standard"),
        countback_path=path("y_countback"),
        ceiling_days=ceiling,
        grid=[(bottom - (bottom - top) * k // 4, ceiling * k // 4) for k in range(5)],
        top=top,
        bottom=bottom,
    )
