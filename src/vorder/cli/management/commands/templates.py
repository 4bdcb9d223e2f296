"""`vorder templates install|list|show|preview`: the message templates and a preview on real data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from vorder.cli.base import VorderCommand, parse_date, resolve_creditor
from vorder.comms.models import MessageChannel, MessageLanguage, MessageTemplate
from vorder.comms.rendering import MissingVariable, message_render
from vorder.comms.selectors import TemplateMissing, message_context_base, message_template_for
from vorder.comms.services import templates_install
from vorder.ledger.models import Customer


class Command(VorderCommand):
    help = "Message templates: install the shipped defaults, list, show, preview on a customer."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{install,list,show,preview}"
        )
        sub.add_parser("install", help="install or update the shipped default templates")
        listing = sub.add_parser("list", help="templates in the database")
        self.add_creditor_argument(listing)
        for name, text in (
            ("show", "print a template's source"),
            ("preview", "render it for a customer"),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("key")
            p.add_argument("--channel", choices=MessageChannel.values, default="email")
            p.add_argument("--language", choices=MessageLanguage.values, default="nl")
            self.add_creditor_argument(p)
        preview = sub.choices["preview"]
        preview.add_argument("--customer", required=True, metavar="NUMBER")
        preview.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD")
        preview.add_argument("--out", type=Path, help="write the letter PDF (or the HTML) here")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _install(self, options: dict[str, Any]) -> None:
        counts = templates_install()
        self.stdout.write(
            f"templates: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged"
        )

    def _list(self, options: dict[str, Any]) -> None:
        rows = MessageTemplate.objects.select_related("creditor")
        if options.get("creditor"):
            rows = rows.filter(creditor__code=options["creditor"]) | rows.filter(
                creditor__isnull=True
            )
        table = Table(title="Message templates")
        for title in ["key", "channel", "language", "owner", "subject"]:
            table.add_column(title)
        for t in rows.order_by("key", "channel", "language"):
            table.add_row(
                t.key,
                t.channel,
                t.language,
                t.creditor.code if t.creditor else "shipped",
                t.subject[:60],
            )
        Console(file=self.stdout, width=160).print(table)

    def _template(self, options: dict[str, Any]) -> MessageTemplate:
        creditor = resolve_creditor(options.get("creditor")) if options.get("creditor") else None
        try:
            return message_template_for(
                creditor=creditor,
                key=options["key"],
                channel=options["channel"],
                language=options["language"],
            )
        except TemplateMissing as exc:
            raise CommandError(str(exc)) from exc

    def _show(self, options: dict[str, Any]) -> None:
        t = self._template(options)
        self.stdout.write(f"# {t} table={t.table}\n{t.subject}\n---\n{t.body}")

    def _preview(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        try:
            customer = Customer.objects.get(creditor=creditor, number=options["customer"])
        except Customer.DoesNotExist as exc:
            raise CommandError(f"no customer '{options['customer']}' at {creditor.code}") from exc
        as_of = options["as_of"] or timezone.localdate()
        contact = customer.contacts.filter(is_active=True).first()
        context = message_context_base(
            creditor=creditor,
            customer=customer,
            contact=contact,
            items=None,
            as_of=as_of,
            language=options["language"],
        )
        # Placeholders for what dunning and cases fill in, so every template previews.
        context.setdefault("announced_costs", "40.00")
        context.setdefault(
            "promise", {"amount": context["totals"]["total_due"], "date": as_of.isoformat()}
        )
        context.setdefault(
            "arrangement", {"total": context["totals"]["total_due"], "instalments": []}
        )
        context.setdefault("dispute", {"reason": ""})
        try:
            rendered = message_render(
                creditor=creditor,
                key=options["key"],
                channel=options["channel"],
                language=options["language"],
                context=context,
            )
        except (TemplateMissing, MissingVariable) as exc:
            raise CommandError(str(exc)) from exc
        out: Path | None = options["out"]
        if out is not None:
            if options["channel"] == "letter" and out.suffix.lower() == ".pdf":
                from vorder.comms.pdf import letter_pdf

                out.write_bytes(letter_pdf(rendered.html))
            else:
                out.write_text(rendered.html or rendered.text, encoding="utf-8")
            self.stdout.write(f"written to {out}")
            return
        self.stdout.write(f"Subject: {rendered.subject}\n\n{rendered.text}")
