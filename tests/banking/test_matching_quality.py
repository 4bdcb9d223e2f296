"""The labelled matching set: auto-matched lines are right ≥ 99.9 %, and ≥ 90 % are auto-matched."""

from __future__ import annotations

import datetime as dt

import pytest

from vorder.banking.labelled import CASES, labelled_run, labelled_set_table

SEED = 6
AS_OF = dt.date(2026, 11, 20)


@pytest.mark.slow
@pytest.mark.django_db
def test_matching_quality_on_the_labelled_set():
    scores = labelled_run(lines=2400, seed=SEED, as_of=AS_OF, customers=4000, invoices=48000)
    overall = scores["overall"]
    table = labelled_set_table(scores)
    assert overall.lines >= 2000, table
    assert all(scores[case].lines >= 50 for case in CASES), table
    assert overall.precision >= 0.999, table
    assert overall.auto_rate >= 0.90, table
    # a stranger's money is never booked to someone
    assert scores["unknown_payer"].auto == 0, table
