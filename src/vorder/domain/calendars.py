"""Working days for legal terms: Dutch Algemene termijnenwet and Belgian legal holidays.

Computed here from the statutes rather than taken from a holiday library, because the legal lists
differ from the popular ones: the Algemene termijnenwet (art. 3) counts Good Friday and 5 May every
year, and a Belgian term counts the ten legal holidays only.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache


def easter(year: int) -> date:
    """Western Easter Sunday (Gregorian calendar; the anonymous algorithm of Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


@cache
def nl_holidays(year: int) -> frozenset[date]:
    """Algemeen erkende feestdagen, art. 3 Algemene termijnenwet (Good Friday by lid 2)."""
    sunday = easter(year)
    if year >= 2014:  # Koningsdag: 27 April, 26 April when the 27th is a Sunday
        kings = date(year, 4, 27) if date(year, 4, 27).weekday() != 6 else date(year, 4, 26)
    else:  # Koninginnedag: 30 April, 29 April when the 30th is a Sunday
        kings = date(year, 4, 30) if date(year, 4, 30).weekday() != 6 else date(year, 4, 29)
    return frozenset(
        {
            date(year, 1, 1),
            sunday - timedelta(days=2),  # Goede Vrijdag
            sunday + timedelta(days=1),  # tweede Paasdag
            kings,
            date(year, 5, 5),
            sunday + timedelta(days=39),  # Hemelvaartsdag
            sunday + timedelta(days=50),  # tweede Pinksterdag
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )


@cache
def be_holidays(year: int) -> frozenset[date]:
    """The ten Belgian legal holidays (wet 4 januari 1974, KB 18 april 1974)."""
    sunday = easter(year)
    return frozenset(
        {
            date(year, 1, 1),
            sunday + timedelta(days=1),  # Paasmaandag
            date(year, 5, 1),
            sunday + timedelta(days=39),  # O.L.H. Hemelvaart
            sunday + timedelta(days=50),  # Pinkstermaandag
            date(year, 7, 21),
            date(year, 8, 15),
            date(year, 11, 1),
            date(year, 11, 11),
            date(year, 12, 25),
        }
    )


def is_working_day(day: date, country: str) -> bool:
    """Monday to Friday and not a legal holiday of ``country`` ('nl' or 'be')."""
    holidays = nl_holidays(day.year) if country == "nl" else be_holidays(day.year)
    return day.weekday() < 5 and day not in holidays


def next_working_day(day: date, country: str) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int, country: str) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself not counted)."""
    for _ in range(count):
        day = next_working_day(day + timedelta(days=1), country)
    return day
