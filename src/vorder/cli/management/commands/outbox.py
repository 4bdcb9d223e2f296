"""`vorder outbox dispatch|list`: send what is queued, and see what was sent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from vorder.cli.base import VorderCommand
from vorder.comms.models import Message
from vorder.comms.selectors import outbox_messages
from vorder.comms.services import outbox_dispatch


class Command(VorderCommand):
    help = "The message outbox: dispatch queued messages, list messages and their status."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{dispatch,list}")
        dispatch = sub.add_parser("dispatch", help="send the queued messages that are due now")
        dispatch.add_argument("--limit", type=int, default=500)
        dispatch.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="the latest messages")
        listing.add_argument(
            "--status", action="append", choices=Message.Status.values, help="repeatable"
        )
        listing.add_argument("--limit", type=int, default=50)
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "dispatch":
            result = outbox_dispatch(now=timezone.now(), limit=options["limit"])
            if options["json"]:
                self.print_json(result.as_json())
            else:
                self.stdout.write(
                    f"claimed {result.claimed}, sent {result.sent}, retry later {result.retried}, "
                    f"failed {result.failed}, bounced {result.bounced}, recovered "
                    f"{result.recovered_sent} sent / {result.recovered_requeued} requeued"
                )
                for error in result.errors:
                    self.stderr.write(error)
            return
        rows = outbox_messages(status=options["status"], limit=options["limit"])
        if options["json"]:
            self.print_json(
                [
                    {
                        "id": m.pk,
                        "customer": m.customer.number,
                        "channel": m.channel,
                        "template": m.template_key,
                        "language": m.language,
                        "recipient": m.recipient,
                        "status": m.status,
                        "attempts": m.attempts,
                        "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                        "subject": m.subject,
                        "last_error": m.last_error,
                        "idempotency_key": m.idempotency_key,
                    }
                    for m in rows
                ]
            )
            return
        table = Table(title="Outbox")
        for title in ["id", "customer", "channel", "template", "status", "tries", "sent", "to"]:
            table.add_column(title)
        for m in rows:
            table.add_row(
                str(m.pk),
                m.customer.number,
                m.channel,
                f"{m.template_key}.{m.language}",
                m.status,
                str(m.attempts),
                f"{m.sent_at:%Y-%m-%d %H:%M}" if m.sent_at else "",
                m.recipient.splitlines()[0] if m.recipient else "",
            )
        Console(file=self.stdout, width=140).print(table)
