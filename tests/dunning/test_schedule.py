"""The scheduler starts one daily cycle per creditor per day; the cycle is idempotent."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from tests.dunning.conftest import business, invoice
from vorder.cli.management.commands.scheduler import Command as Scheduler
from vorder.comms.models import Message
from vorder.dunning.models import DunningRun
from vorder.dunning.tasks import daily_cycle

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def test_the_daily_cycle_runs_once_a_day(nl):
    customer = business(nl)
    invoice(customer, "F-1", dt.date(2025, 3, 1))

    first = daily_cycle.call(nl.pk, "2025-03-10")
    second = daily_cycle.call(nl.pk, "2025-03-10")

    assert first["totals"]["actions"] == 1
    assert second["skipped"] == "already done"
    assert Message.objects.filter(customer=customer).count() == 1
    assert DunningRun.objects.count() == 1


def test_the_scheduler_enqueues_the_cycle_from_the_morning_hour_in_the_creditors_zone(nl):
    scheduler = Scheduler()
    started: set[tuple[int, str]] = set()
    with mock.patch("vorder.cli.management.commands.scheduler.daily_cycle") as cycle, \
            mock.patch("vorder.cli.management.commands.scheduler.dispatch_outbox") as dispatch:  # fmt: skip
        # 04:30 UTC is 05:30 in Amsterdam (winter): too early for a 6 o'clock run
        scheduler.tick(now=dt.datetime(2025, 3, 10, 4, 30, tzinfo=UTC), hour=6, started=started)
        assert not cycle.enqueue.called
        scheduler.tick(now=dt.datetime(2025, 3, 10, 5, 1, tzinfo=UTC), hour=6, started=started)
        scheduler.tick(now=dt.datetime(2025, 3, 10, 9, 0, tzinfo=UTC), hour=6, started=started)
        assert cycle.enqueue.call_args_list == [mock.call(nl.pk, "2025-03-10")]
        assert dispatch.enqueue.call_count == 3
