"""Statutory interest rates as data: one CSV table per rate, each row with its effective date and source.

Why data files and not code: a rate changes twice a year by publication in the Staatsblad or the
Belgisch Staatsblad, and every figure must be traceable to that publication. Adding a period is
appending one row (see docs/law.md); the code never derives a statutory rate from a formula at run
time, because the Dutch 6:119 rate is set "indien nodig" and does not follow the ECB mechanically.
The ECB table exists to cross-check the commercial tables in the tests and to compute the Belgian
consumer interest cap (ECB reference rate + 8 points, Book XIX WER).
"""

from __future__ import annotations

import bisect
import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib import resources

from vorder.domain.errors import RateNotKnown, RateTableError


class RateStatus(StrEnum):
    CONFIRMED = "confirmed"  # the publication is cited and cross-checked by an independent source
    UNVERIFIED = "unverified"  # one source only, or not yet checked against the official text


class RateTableName(StrEnum):
    NL_STATUTORY = "nl_6_119"  # wettelijke rente, art. 6:119 BW
    NL_COMMERCIAL = "nl_6_119a"  # wettelijke handelsrente, art. 6:119a/6:119b BW
    BE_COMMERCIAL = "be_commercial"  # wet 2 augustus 2002, art. 5, per semester
    BE_LEGAL = "be_legal"  # wettelijke intrestvoet, wet 5 mei 1865, per year
    ECB_MRO = "ecb_mro"  # ECB main refinancing operations rate


# What each table is, and how long one published row is valid: a row read beyond that horizon
# (no newer period recorded yet) is reported as unverified rather than silently trusted.
_TITLES: dict[RateTableName, tuple[str, str, int | None]] = {
    RateTableName.NL_STATUTORY: ("Wettelijke rente (art. 6:119 BW)", "art. 6:119 BW", 6),
    RateTableName.NL_COMMERCIAL: (
        "Wettelijke handelsrente (art. 6:119a BW)",
        "art. 6:119a/6:120 lid 2 BW",
        6,
    ),
    RateTableName.BE_COMMERCIAL: (
        "Intrest handelstransacties (wet 2 augustus 2002, art. 5)",
        "art. 5 wet 2-8-2002",
        6,
    ),
    RateTableName.BE_LEGAL: ("Wettelijke intrestvoet (wet 5 mei 1865)", "wet 5-5-1865", 12),
    RateTableName.ECB_MRO: ("ECB main refinancing rate", "ECB", None),
}


@dataclass(frozen=True, slots=True)
class RateRow:
    """One published rate: in force from ``effective_from`` until the next row of the table."""

    effective_from: date
    rate: Decimal  # percent per year, e.g. Decimal("10.15")
    status: RateStatus
    source: str


@dataclass(frozen=True, slots=True)
class RateTable:
    name: RateTableName
    title: str
    legal_basis: str
    rows: tuple[RateRow, ...]
    months_valid: int | None
    starts: tuple[date, ...] = ()  # the rows' effective dates, for bisect (filled in on creation)
    last_known: date | None = None  # see known_until (filled in on creation)

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", tuple(row.effective_from for row in self.rows))
        object.__setattr__(self, "last_known", self._horizon())

    def row_on(self, day: date) -> RateRow:
        """The row in force on ``day``; refuses days before the first recorded period."""
        index = bisect.bisect_right(self.starts, day) - 1
        if index < 0:
            raise RateNotKnown(
                f"no {self.title} is recorded before {self.rows[0].effective_from.isoformat()}"
            )
        return self.rows[index]

    def rate_on(self, day: date) -> Decimal:
        return self.row_on(day).rate

    def known_until(self) -> date | None:
        """The last day the newest row is certainly valid for (None: until the next change)."""
        return self.last_known

    def _horizon(self) -> date | None:
        if self.months_valid is None:
            return None
        last = self.rows[-1].effective_from
        month = last.month - 1 + self.months_valid
        year = last.year + month // 12
        return date.fromordinal(date(year, month % 12 + 1, 1).toordinal() - 1)

    def changes_between(self, first: date, last: date) -> list[date]:
        """Effective dates of rate changes strictly after ``first`` and on or before ``last``."""
        starts = self.starts
        lo = bisect.bisect_right(starts, first)
        hi = bisect.bisect_right(starts, last)
        return list(starts[lo:hi])


def parse_table(name: RateTableName, text: str, filename: str) -> RateTable:
    """Read a rate CSV; '#' lines are comments. Errors name the file, the row and the field."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(lines)
    expected = ["effective_from", "rate", "status", "source"]
    if reader.fieldnames != expected:
        raise RateTableError(f"{filename}: the header must be {','.join(expected)}")
    rows: list[RateRow] = []
    for number, record in enumerate(reader, start=1):
        where = f"{filename}, row {number}"
        try:
            effective = date.fromisoformat(record["effective_from"])
        except (TypeError, ValueError) as exc:
            raise RateTableError(f"{where}, effective_from: not a YYYY-MM-DD date") from exc
        try:
            rate = Decimal(record["rate"])
        except (TypeError, InvalidOperation) as exc:
            raise RateTableError(f"{where}, rate: not a number") from exc
        if not rate.is_finite() or rate < 0:
            raise RateTableError(f"{where}, rate: must be a percentage of zero or more")
        try:
            status = RateStatus(record["status"])
        except ValueError as exc:
            raise RateTableError(f"{where}, status: must be confirmed or unverified") from exc
        source = (record["source"] or "").strip()
        if not source:
            raise RateTableError(f"{where}, source: every rate needs its source")
        if rows and effective <= rows[-1].effective_from:
            raise RateTableError(f"{where}, effective_from: dates must be in ascending order")
        rows.append(RateRow(effective, rate, status, source))
    if not rows:
        raise RateTableError(f"{filename}: the table has no rows")
    title, basis, months = _TITLES[name]
    return RateTable(name, title, basis, tuple(rows), months)


@cache
def table(name: RateTableName | str) -> RateTable:
    """The packaged table ``name`` (read once per process)."""
    key = RateTableName(name)
    filename = f"{key.value}.csv"
    text = resources.files("vorder.domain").joinpath("data", filename).read_text(encoding="utf-8")
    return parse_table(key, text, filename)


def all_tables() -> list[RateTable]:
    return [table(name) for name in RateTableName]


def ecb_reference_rate(semester_start: date) -> Decimal:
    """ECB rate of the most recent main refinancing operation before the semester's first day."""
    return table(RateTableName.ECB_MRO).rate_on(date.fromordinal(semester_start.toordinal() - 1))


def semester_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def be_consumer_interest_cap(day: date) -> Decimal:
    """Maximum contractual late-payment rate towards a Belgian consumer on ``day`` (Book XIX WER).

    vorder reads the cap as the ECB reference rate + 8 points without the rounding up to the half
    point of the B2B rate: the lower of the two readings, so a creditor never charges too much
    (REFERENCE.md section 0).
    """
    return ecb_reference_rate(semester_start(day)) + 8
