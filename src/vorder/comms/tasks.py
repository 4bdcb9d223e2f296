"""Background entry point: send what the outbox holds (enqueued on commit after messages_enqueue)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks import task

from vorder.comms.services import outbox_dispatch


@task()
def dispatch_outbox(limit: int = 500) -> dict[str, Any]:
    """Idempotent: claims only due queued messages; running it twice sends nothing twice."""
    return outbox_dispatch(now=timezone.now(), limit=limit).as_json()
