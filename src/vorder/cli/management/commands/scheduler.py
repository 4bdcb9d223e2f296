"""`vorder scheduler`: starts the daily cycle per creditor and keeps the outbox moving.

It enqueues work for the task worker (`vorder db_worker`); it does no business itself. Every
minute it kicks the outbox dispatcher; once a day per creditor, from the configured hour in the
creditor's time zone, it enqueues the daily cycle (promises, arrangements, dunning run). The
cycle is idempotent per day, so a scheduler restart or two schedulers never double a run.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import CommandParser
from django.utils import timezone

from vorder.cli.base import VorderCommand
from vorder.comms.tasks import dispatch_outbox
from vorder.dunning.services import dunning_run_done
from vorder.dunning.tasks import daily_cycle
from vorder.ledger.models import Creditor


class Command(VorderCommand):
    help = "Enqueue the daily dunning cycle per creditor and the outbox dispatch, on schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hour", type=int, default=6, help="local hour of the daily run (default 6)"
        )
        parser.add_argument("--interval", type=int, default=60, help="seconds between ticks")
        parser.add_argument("--once", action="store_true", help="one tick, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        started: set[tuple[int, str]] = set()
        while True:
            self.tick(now=timezone.now(), hour=options["hour"], started=started)
            if options["once"]:
                return
            time.sleep(options["interval"])

    def tick(self, *, now: datetime, hour: int, started: set[tuple[int, str]]) -> None:
        dispatch_outbox.enqueue()
        for creditor in Creditor.objects.all():
            local = now.astimezone(ZoneInfo(creditor.time_zone))
            day = local.date()
            key = (creditor.pk, day.isoformat())
            if local.hour < hour or key in started:
                continue
            if not dunning_run_done(creditor=creditor, as_of=day):
                daily_cycle.enqueue(creditor.pk, day.isoformat())
                self.stdout.write(f"{now:%Y-%m-%d %H:%M} daily cycle enqueued for {creditor.code}")
            started.add(key)
