"""Background entry points of the daily cycle, enqueued by the scheduler (`vorder scheduler`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django_tasks import task

from vorder.cases.services import arrangements_evaluate, promises_evaluate
from vorder.dunning.services import dunning_run_done, dunning_run_execute
from vorder.ledger.models import Creditor


@task()
def daily_cycle(creditor_id: int, as_of: str) -> dict[str, Any]:
    """Promises and arrangements first (a broken one must be seen by today's run), then the run.

    Idempotent: a second call for the same day finds the run done and does nothing.
    """
    creditor = Creditor.objects.get(pk=creditor_id)
    day = date.fromisoformat(as_of)
    if dunning_run_done(creditor=creditor, as_of=day):
        return {"creditor": creditor.code, "as_of": as_of, "skipped": "already done"}
    promises_evaluate(creditor=creditor, as_of=day)
    arrangements_evaluate(creditor=creditor, as_of=day)
    result = dunning_run_execute(creditor=creditor, as_of=day, started_by="scheduler")
    return {"creditor": creditor.code, "as_of": as_of, "totals": result.totals()}
