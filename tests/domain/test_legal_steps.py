"""May costs be charged today? The 14-day letter (NL) and the free first reminder (BE), with the
examples of ../shared/legal/REFERENCE.md section 4 (W13, B7) and the statutory calendars."""

from __future__ import annotations

from datetime import date

import pytest

from vorder.domain.calendars import (
    add_working_days,
    be_holidays,
    easter,
    is_working_day,
    next_working_day,
    nl_holidays,
)
from vorder.domain.legal_steps import (
    Channel,
    be_costs_allowed,
    be_waiting_period,
    nl_costs_allowed,
    nl_fourteen_day_term,
    presumed_receipt,
)

MONDAY = date(2025, 3, 3)
IN_DEFAULT = date(2025, 3, 1)


# -- REFERENCE.md 4, "NL 14-day letter timing" (W13) -------------------------------------------
def test_w13_email_received_the_day_it_is_sent():
    answer = nl_costs_allowed(
        date(2025, 3, 18),
        consumer=True,
        in_default_from=IN_DEFAULT,
        letter_sent=MONDAY,
        channel=Channel.EMAIL,
    )
    assert answer.allowed
    assert answer.allowed_from == date(2025, 3, 18)
    assert "04-03-2025 tot en met 17-03-2025" in answer.reason_nl
    assert "2025-03-04 to 2025-03-17" in answer.reason_en
    assert "ECLI:NL:HR:2016:2704" in answer.source


def test_w13_not_yet_on_the_last_day_of_the_term():
    answer = nl_costs_allowed(
        date(2025, 3, 17),
        consumer=True,
        in_default_from=IN_DEFAULT,
        letter_sent=MONDAY,
        channel=Channel.EMAIL,
    )
    assert not answer.allowed
    assert answer.allowed_from == date(2025, 3, 18)
    assert "nog niet op 17-03-2025" in answer.reason_nl
    assert answer.reason("en") == answer.reason_en
    assert answer.reason() == answer.reason_nl


def test_w13_by_post_received_tuesday_costs_from_the_19th():
    answer = nl_costs_allowed(
        date(2025, 3, 19), consumer=True, in_default_from=IN_DEFAULT, letter_sent=MONDAY
    )
    assert answer.allowed
    assert answer.allowed_from == date(2025, 3, 19)
    assert "ontvangen op 04-03-2025" in answer.reason_nl


def test_w13_a_letter_saying_pay_before_the_14th_is_invalid():
    """HR 25-11-2016: a shorter term than 14 days after receipt gives no right to costs at all."""
    answer = nl_costs_allowed(
        date(2025, 6, 1),
        consumer=True,
        in_default_from=IN_DEFAULT,
        letter_sent=MONDAY,
        stated_deadline=date(2025, 3, 14),
    )
    assert not answer.allowed
    assert answer.allowed_from is None
    assert "te korte termijn" in answer.reason_nl


def test_a_stated_deadline_that_leaves_14_full_days_is_fine():
    answer = nl_costs_allowed(
        date(2025, 3, 19),
        consumer=True,
        in_default_from=IN_DEFAULT,
        letter_sent=MONDAY,
        stated_deadline=date(2025, 3, 18),
    )
    assert answer.allowed


def test_proven_receipt_overrides_the_presumption():
    answer = nl_costs_allowed(
        date(2025, 3, 20),
        consumer=True,
        in_default_from=IN_DEFAULT,
        letter_sent=MONDAY,
        letter_received=date(2025, 3, 6),
    )
    assert not answer.allowed
    assert answer.allowed_from == date(2025, 3, 21)


def test_a_term_ending_on_a_weekend_runs_to_monday():
    """Algemene termijnenwet art. 1: received Saturday 8 March, day 14 is Saturday 22 March, so the
    term runs to Monday 24 March and costs start on the 25th."""
    term = nl_fourteen_day_term(date(2025, 3, 8))
    assert (term.starts, term.last_day, term.after) == (
        date(2025, 3, 9),
        date(2025, 3, 24),
        date(2025, 3, 25),
    )
    plain = nl_fourteen_day_term(date(2025, 3, 8), extend_for_holidays=False)
    assert plain.last_day == date(2025, 3, 22)


def test_a_term_ending_on_kings_day_and_a_weekend_runs_on():
    # received 12 April 2025: day 14 is Saturday 26 April (Koningsdag 2025), then Sunday -> Monday 28
    assert nl_fourteen_day_term(date(2025, 4, 12)).last_day == date(2025, 4, 28)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({}, "Nog geen veertiendagenbrief"),
        ({"letter_sent": date(2025, 2, 27)}, "voordat het verzuim inging"),
        (
            {"letter_sent": MONDAY, "states_costs": False},
            "noemt het bedrag van de incassokosten niet",
        ),
        ({"letter_sent": MONDAY, "covers_all_claims": False}, "in één aanmaning"),
    ],
)
def test_no_costs_without_a_compliant_letter(kwargs, words):
    answer = nl_costs_allowed(
        date(2025, 12, 31), consumer=True, in_default_from=IN_DEFAULT, **kwargs
    )
    assert not answer.allowed
    assert answer.allowed_from is None
    assert words in answer.reason_nl
    assert answer.reason_en


def test_nl_business_needs_no_letter():
    """Art. 6:96 lid 4 BW: the 40.00 is due from the day after the due date, without a reminder."""
    yes = nl_costs_allowed(IN_DEFAULT, consumer=False, in_default_from=IN_DEFAULT)
    no = nl_costs_allowed(date(2025, 2, 28), consumer=False, in_default_from=IN_DEFAULT)
    assert yes.allowed
    assert not no.allowed
    assert "nog niet zo" in no.reason_nl
    assert "not yet" in no.reason_en
    assert yes.source == "art. 6:96 lid 4 BW"


def test_presumed_receipt():
    assert presumed_receipt(MONDAY, Channel.EMAIL) == MONDAY
    assert presumed_receipt(MONDAY, Channel.POST) == date(2025, 3, 4)
    assert presumed_receipt(date(2025, 4, 17), Channel.POST) == date(
        2025, 4, 22
    )  # Good Friday, Easter Monday


# -- REFERENCE.md 4, "B7, waiting-period dates" (art. XIX.2 WER) -------------------------------
def test_b7_electronic_first_reminder():
    term = be_waiting_period(MONDAY, Channel.EMAIL)
    assert (term.starts, term.last_day, term.after) == (
        date(2025, 3, 4),
        date(2025, 3, 17),
        date(2025, 3, 18),
    )


def test_b7_paper_first_reminder():
    term = be_waiting_period(MONDAY, Channel.POST)
    assert (term.starts, term.last_day, term.after) == (
        date(2025, 3, 6),
        date(2025, 3, 19),
        date(2025, 3, 20),
    )
    answer = be_costs_allowed(
        date(2025, 3, 19), consumer=True, in_default_from=IN_DEFAULT, first_reminder_sent=MONDAY
    )
    assert not answer.allowed
    assert answer.allowed_from == date(2025, 3, 20)
    assert "op papier" in answer.reason_nl
    assert "on paper" in answer.reason_en
    assert be_costs_allowed(
        date(2025, 3, 20), consumer=True, in_default_from=IN_DEFAULT, first_reminder_sent=MONDAY
    ).allowed


def test_paper_reminder_before_a_belgian_holiday_counts_working_days():
    # sent Thursday 17 July 2025: Fri 18 (1), Mon 21 is the national holiday, Tue 22 (2), Wed 23 (3)
    assert be_waiting_period(date(2025, 7, 17), Channel.POST).starts == date(2025, 7, 23)


def test_electronic_reminder_allowed_message():
    answer = be_costs_allowed(
        date(2025, 3, 18),
        consumer=True,
        in_default_from=IN_DEFAULT,
        first_reminder_sent=MONDAY,
        channel=Channel.EMAIL,
    )
    assert answer.allowed
    assert "elektronisch" in answer.reason_nl
    assert answer.source == "art. XIX.2 WER"


@pytest.mark.parametrize(
    "kwargs", [{}, {"first_reminder_sent": MONDAY, "reminder_compliant": False}]
)
def test_be_consumer_needs_a_free_compliant_first_reminder(kwargs):
    answer = be_costs_allowed(
        date(2025, 12, 31), consumer=True, in_default_from=IN_DEFAULT, **kwargs
    )
    assert not answer.allowed
    assert answer.allowed_from is None
    assert "kosteloze eerste herinnering" in answer.reason_nl


def test_be_business_by_operation_of_law():
    assert be_costs_allowed(IN_DEFAULT, consumer=False, in_default_from=IN_DEFAULT).allowed
    no = be_costs_allowed(date(2025, 2, 1), consumer=False, in_default_from=IN_DEFAULT)
    assert not no.allowed
    assert "not yet" in no.reason_en
    assert "nog niet" in no.reason_nl


# -- calendars -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("year", "sunday"),
    [
        (2000, date(2000, 4, 23)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter(year, sunday):
    assert easter(year) == sunday


def test_dutch_holidays_of_the_algemene_termijnenwet():
    days = nl_holidays(2025)
    assert date(2025, 4, 18) in days  # Goede Vrijdag (art. 3 lid 2)
    assert date(2025, 5, 5) in days  # 5 May every year, not only every fifth
    assert date(2025, 4, 26) in days  # Koningsdag moved from Sunday 27 April
    assert date(2024, 4, 27) in nl_holidays(2024)
    assert date(2006, 4, 29) in nl_holidays(2006)  # Koninginnedag moved from Sunday 30 April
    assert date(2013, 4, 30) in nl_holidays(2013)
    assert len(days) == 9


def test_belgian_legal_holidays():
    days = be_holidays(2025)
    assert {date(2025, 7, 21), date(2025, 11, 11), date(2025, 6, 9)} <= days
    assert date(2025, 4, 18) not in days  # no Good Friday in Belgium
    assert len(days) == 10


def test_working_days():
    assert is_working_day(MONDAY, "nl")
    assert not is_working_day(date(2025, 3, 8), "be")
    assert next_working_day(date(2025, 12, 25), "nl") == date(2025, 12, 29)
    assert add_working_days(date(2025, 12, 24), 1, "be") == date(2025, 12, 26)
    assert add_working_days(date(2025, 12, 24), 1, "nl") == date(2025, 12, 29)
