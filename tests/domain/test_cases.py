"""Promises and arrangements judged from the agreement and the money booked, day by day."""

from __future__ import annotations

from datetime import date

import pytest

from vorder.domain.cases import (
    ArrangementState,
    Instalment,
    InstalmentState,
    InvalidArrangement,
    PromiseState,
    PromiseTerms,
    Settlement,
    add_months,
    arrangement_monitor,
    limit_breaches,
    promise_state,
    split_evenly,
    vat_share,
)

D = date

# Promised on 1 March to pay 500.00 by 10 March, 3 days grace: the deadline is 13 March.
TERMS = PromiseTerms(
    amount_minor=50000,
    made_on=D(2025, 3, 1),
    promised_date=D(2025, 3, 10),
    grace_days=3,
    items_total_minor=100000,
)


def test_the_deadline_is_the_promised_date_plus_grace():
    assert TERMS.deadline == D(2025, 3, 13)


def test_a_promise_without_payment_is_open_until_the_deadline_and_broken_the_day_after():
    assert promise_state(TERMS, [], D(2025, 3, 13)).state is PromiseState.OPEN
    broken = promise_state(TERMS, [], D(2025, 3, 14))
    assert broken.state is PromiseState.BROKEN
    assert broken.decided_on == D(2025, 3, 14)
    assert broken.paid_minor == 0


def test_a_promise_is_kept_the_day_the_payments_reach_the_amount():
    paid = [Settlement(D(2025, 3, 5), 20000), Settlement(D(2025, 3, 12), 30000)]
    assert promise_state(TERMS, paid, D(2025, 3, 11)).state is PromiseState.OPEN
    kept = promise_state(TERMS, paid, D(2025, 3, 20))
    assert kept.state is PromiseState.KEPT
    assert kept.decided_on == D(2025, 3, 12)
    assert kept.paid_minor == 50000


def test_payments_before_the_promise_do_not_count_towards_it():
    paid = [Settlement(D(2025, 2, 20), 50000)]
    assert promise_state(TERMS, paid, D(2025, 3, 14)).state is PromiseState.BROKEN


def test_money_after_the_deadline_does_not_mend_a_broken_promise():
    late = [Settlement(D(2025, 3, 14), 50000)]
    broken = promise_state(TERMS, late, D(2025, 3, 20))
    assert broken.state is PromiseState.BROKEN
    assert broken.open_minor == 50000  # but it does pay the items


def test_a_credit_note_alone_does_not_keep_a_promise():
    credit = [Settlement(D(2025, 3, 5), 50000, is_payment=False)]
    assert promise_state(TERMS, credit, D(2025, 3, 14)).state is PromiseState.BROKEN


def test_a_promise_is_kept_when_nothing_is_left_open_on_its_items():
    # Paid before the promise (booked late) plus a credit note: the debtor owes nothing more.
    settled = [
        Settlement(D(2025, 2, 27), 70000),
        Settlement(D(2025, 3, 4), 30000, is_payment=False),
    ]
    kept = promise_state(TERMS, settled, D(2025, 3, 5))
    assert kept.state is PromiseState.KEPT
    assert kept.decided_on == D(2025, 3, 4)


def test_items_settled_before_the_promise_count_as_kept_on_the_day_it_was_made():
    settled = [Settlement(D(2025, 2, 1), 100000)]
    assert promise_state(TERMS, settled, D(2025, 3, 2)).decided_on == D(2025, 3, 1)


# -- arrangements ---------------------------------------------------------------------------------
SCHEDULE = [
    Instalment(1, D(2025, 4, 1), 10000),
    Instalment(2, D(2025, 5, 1), 10000),
    Instalment(3, D(2025, 6, 1), 10000),
]
START = D(2025, 3, 15)


def monitor(settlements, as_of, schedule=SCHEDULE):
    return arrangement_monitor(
        instalments=schedule, starts_on=START, grace_days=3, settlements=settlements, as_of=as_of
    )


def test_an_arrangement_paid_on_time_runs_and_then_completes():
    paid = [Settlement(D(2025, 4, 1), 10000), Settlement(D(2025, 5, 2), 10000)]
    running = monitor(paid, D(2025, 5, 10))
    assert running.state is ArrangementState.RUNNING
    assert [i.state for i in running.instalments] == [
        InstalmentState.PAID,
        InstalmentState.PAID,
        InstalmentState.UPCOMING,
    ]
    assert running.misses == ()
    assert running.first_miss is None
    done = monitor([*paid, Settlement(D(2025, 5, 30), 10000)], D(2025, 6, 2))
    assert done.state is ArrangementState.COMPLETED
    assert done.decided_on == D(2025, 5, 30)
    assert done.paid_minor == 30000


def test_an_instalment_is_due_within_its_grace_and_missed_the_day_after():
    assert monitor([], D(2025, 4, 4)).instalments[0].state is InstalmentState.DUE
    missed = monitor([], D(2025, 4, 5))
    assert missed.instalments[0].state is InstalmentState.MISSED
    assert missed.misses == (D(2025, 4, 5),)
    assert missed.state is ArrangementState.RUNNING
    assert missed.first_miss is not None
    assert missed.first_miss.sequence == 1


def test_a_late_payment_still_counts_as_a_miss_but_keeps_the_arrangement_running():
    late = monitor([Settlement(D(2025, 4, 8), 10000)], D(2025, 4, 10))
    assert late.instalments[0].state is InstalmentState.PAID_LATE
    assert late.instalments[0].paid_on == D(2025, 4, 8)
    assert late.state is ArrangementState.RUNNING


def test_the_second_miss_breaks_the_arrangement():
    broken = monitor([Settlement(D(2025, 4, 8), 10000)], D(2025, 5, 5))
    assert broken.state is ArrangementState.BROKEN
    assert broken.decided_on == D(2025, 5, 5)


def test_paying_everything_before_a_second_miss_completes_it():
    paid = [Settlement(D(2025, 4, 8), 30000)]
    assert monitor(paid, D(2025, 7, 1)).state is ArrangementState.COMPLETED


def test_money_before_the_start_or_after_as_of_does_not_count():
    paid = [Settlement(D(2025, 3, 1), 10000), Settlement(D(2025, 4, 20), 10000)]
    assert monitor(paid, D(2025, 4, 10)).instalments[0].state is InstalmentState.MISSED


def test_payments_count_cumulatively_in_any_amounts():
    paid = [Settlement(D(2025, 3, 20), 5000), Settlement(D(2025, 4, 1), 15000)]
    result = monitor(paid, D(2025, 5, 10))
    assert [i.state for i in result.instalments][:2] == [InstalmentState.PAID] * 2


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ([], "at least one"),
        ([Instalment(1, D(2025, 4, 1), 0)], "positive"),
        ([Instalment(1, D(2025, 3, 1), 100)], "before the arrangement starts"),
        ([Instalment(1, D(2025, 4, 1), 100), Instalment(2, D(2025, 4, 1), 100)], "two instalments"),
    ],
)
def test_a_schedule_that_cannot_be_monitored_is_refused(schedule, message):
    with pytest.raises(InvalidArrangement, match=message):
        monitor([], D(2025, 4, 1), schedule=schedule)


def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2025, 11, 15), 3) == D(2026, 2, 15)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)


def test_a_schedule_within_the_limits_has_no_breaches():
    assert limit_breaches(SCHEDULE, starts_on=START, max_months=6, min_instalment_minor=5000) == []


def test_the_last_instalment_and_the_down_payment_may_be_smaller():
    schedule = [Instalment(0, D(2025, 3, 20), 100), *SCHEDULE[:2], Instalment(3, D(2025, 6, 1), 10)]
    assert (
        limit_breaches(
            schedule,
            starts_on=START,
            max_months=6,
            min_instalment_minor=5000,
            down_payment_sequence=0,
        )
        == []
    )


def test_too_long_and_too_small_are_both_named():
    reasons = limit_breaches(SCHEDULE, starts_on=START, max_months=2, min_instalment_minor=20000)
    assert len(reasons) == 2
    assert "more than 2 months" in reasons[0]
    assert "instalment(s) 1, 2 below the minimum" in reasons[1]


def test_split_evenly_adds_up_to_the_cent_with_the_larger_parts_first():
    parts = split_evenly(total_minor=10001, count=3, first_due=D(2025, 1, 31))
    assert [p.amount_minor for p in parts] == [3334, 3334, 3333]
    assert [p.due_date for p in parts] == [D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31)]
    assert sum(p.amount_minor for p in parts) == 10001


@pytest.mark.parametrize(("total", "count"), [(100, 0), (2, 3)])
def test_split_evenly_refuses_impossible_splits(total, count):
    with pytest.raises(InvalidArrangement):
        split_evenly(total_minor=total, count=count, first_due=D(2025, 1, 1))


def test_vat_share_of_a_partial_credit_is_proportional_and_rounded_half_up():
    assert vat_share(gross_minor=12100, items_gross_minor=12100, items_vat_minor=2100) == 2100
    assert vat_share(gross_minor=6050, items_gross_minor=12100, items_vat_minor=2100) == 1050
    assert vat_share(gross_minor=1, items_gross_minor=2, items_vat_minor=1) == 1  # 0.5 → 1
    assert vat_share(gross_minor=100, items_gross_minor=0, items_vat_minor=0) == 0
