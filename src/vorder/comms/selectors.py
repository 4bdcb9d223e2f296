"""Reads shared by the faces and dunning: which template applies, the standard message context.

The context is plain JSON (amounts as "1234.50", dates as ISO strings) so the exact data a
message was rendered from can be stored with it and rendered again on another channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q

from vorder.common.money import fmt
from vorder.comms.models import Message, MessageTemplate
from vorder.ledger.models import Contact, Creditor, Customer, Invoice
from vorder.ledger.selectors import OpenItem, customer_open_items, customer_statement

LANGUAGES = ("nl", "en", "fr", "de")

# When a template is missing in the customer's language, try these next (in order). Every
# shipped default exists in all four languages, so this only matters for keys a creditor adds
# itself. English is the safer second choice for French and German readers than Dutch.
LANGUAGE_FALLBACK: dict[str, tuple[str, ...]] = {
    "nl": ("nl", "en"),
    "en": ("en", "nl"),
    "fr": ("fr", "en", "nl"),
    "de": ("de", "en", "nl"),
}

COUNTRY_NAMES = {
    "nl": {
        "NL": "Nederland",
        "BE": "België",
        "DE": "Duitsland",
        "FR": "Frankrijk",
        "LU": "Luxemburg",
    },
    "en": {
        "NL": "The Netherlands",
        "BE": "Belgium",
        "DE": "Germany",
        "FR": "France",
        "LU": "Luxembourg",
    },
    "fr": {
        "NL": "Pays-Bas",
        "BE": "Belgique",
        "DE": "Allemagne",
        "FR": "France",
        "LU": "Luxembourg",
    },
    "de": {
        "NL": "Niederlande",
        "BE": "Belgien",
        "DE": "Deutschland",
        "FR": "Frankreich",
        "LU": "Luxemburg",
    },
}


class TemplateMissing(LookupError):
    """No template for this key and channel in any acceptable language."""


def message_template_for(
    *, creditor: Creditor | None, key: str, channel: str, language: str
) -> MessageTemplate:
    """The creditor's own template, else the shipped default; language by LANGUAGE_FALLBACK.

    Language comes first: a shipped French default beats the creditor's own Dutch text for a
    French-speaking customer.
    """
    order = LANGUAGE_FALLBACK.get(language, (language, "en", "nl"))
    owner = Q(creditor__isnull=True)
    if creditor is not None:
        owner |= Q(creditor=creditor)
    found = {
        (t.creditor_id is not None, t.language): t
        for t in MessageTemplate.objects.filter(owner, key=key, channel=channel, language__in=order)
    }
    for lang in order:
        for own in (True, False):
            if (own, lang) in found:
                return found[(own, lang)]
    raise TemplateMissing(
        f"no template '{key}' for channel {channel} in {'/'.join(order)}: "
        "run `vorder templates install` or add one"
    )


def _address_lines(customer: Customer, home_country: str, language: str) -> list[str]:
    lines = [customer.address_line1, customer.address_line2]
    lines.append(" ".join(p for p in (customer.postal_code, customer.city) if p))
    if customer.country and customer.country != home_country:
        names = COUNTRY_NAMES.get(language, COUNTRY_NAMES["en"])
        lines.append(names.get(customer.country, customer.country).upper())
    return [line for line in lines if line]


def customer_has_postal_address(customer: Customer) -> bool:
    return bool(customer.address_line1 and (customer.postal_code or customer.city))


def postal_address_block(
    *, customer: Customer, contact: Contact | None, home_country: str, language: str
) -> str:
    """The lines that show in the envelope window."""
    return address_block(
        name=customer.name,
        attention=contact.name if contact is not None and customer.kind == Customer.Kind.B2B else "",
        street_lines=[customer.address_line1, customer.address_line2,
                      " ".join(p for p in (customer.postal_code, customer.city) if p)],
        country=customer.country,
        home_country=home_country,
        language=language,
    )  # fmt: skip


def address_block(
    *,
    name: str,
    attention: str,
    street_lines: Sequence[str],
    country: str,
    home_country: str,
    language: str,
) -> str:
    """An envelope-window address from plain values (the dunning run has no model rows)."""
    attn = {"nl": "T.a.v.", "en": "Attn.", "fr": "À l'attention de", "de": "z. Hd."}
    lines = [name]
    if attention:
        lines.append(f"{attn.get(language, 'Attn.')} {attention}")
    lines += [line for line in street_lines if line]
    if country and country != home_country:
        lines.append(COUNTRY_NAMES.get(language, COUNTRY_NAMES["en"]).get(country, country).upper())
    return "\n".join(lines)


def creditor_context(creditor: Creditor) -> dict[str, Any]:
    address = [
        creditor.address_line1,
        creditor.address_line2,
        " ".join(p for p in (creditor.postal_code, creditor.city) if p),
    ]
    logo_path = ""
    if creditor.logo:
        logo_path = str(Path(settings.MEDIA_ROOT) / str(creditor.logo.name))
    return {
        "name": creditor.name,
        "address_lines": [line for line in address if line],
        "country": creditor.country,
        "iban": creditor.iban,
        "bic": creditor.bic,
        "email": creditor.email,
        "phone": creditor.phone,
        "website": creditor.website,
        "vat_number": creditor.vat_number,
        "coc_number": creditor.coc_number,
        "letterhead": creditor.letterhead,
        "logo_path": logo_path,
    }


def message_context_base(
    *,
    creditor: Creditor,
    customer: Customer,
    contact: Contact | None,
    items: Iterable[str] | None,
    as_of: date,
    language: str | None = None,
) -> dict[str, Any]:
    """The standard part of every message's context, from the ledger as it stood on ``as_of``.

    ``items`` names the invoice numbers the message is about (the overdue items dunning chose);
    None means every overdue open invoice. Totals for interest and costs are zero here: the
    caller (dunning, from the legal rules) fills ``totals.interest``, ``totals.costs``,
    ``interest_lines``, ``cost_lines`` and recomputes ``totals.total_due`` with
    ``context_totals``.
    """
    language = language or (contact.language if contact and contact.language else customer.language)
    currency = creditor.currency
    open_items = [
        i for i in customer_open_items(customer=customer, as_of=as_of) if i.currency == currency
    ]
    invoices = [i for i in open_items if i.kind in ("invoice", "instalment")]
    wanted = set(items) if items is not None else None
    if wanted is None:
        chosen: list[OpenItem] = [i for i in invoices if i.days_overdue > 0]
    else:
        chosen = [i for i in invoices if i.number in wanted or i.number.split("/")[0] in wanted]
    descriptions = dict(
        Invoice.objects.filter(pk__in={i.invoice_id for i in chosen}).values_list(
            "pk", "description"
        )
    )
    statement = customer_statement(customer=customer, as_of=as_of, currency=currency)
    overdue = sum(i.open_minor for i in chosen)
    open_total = sum(i.open_minor for i in open_items)
    reference = next((i.payment_reference for i in chosen if i.payment_reference), "")
    if len({i.payment_reference for i in chosen}) > 1:
        reference = ""  # several invoices: the payer names them; no single reference fits
    context: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "language": language,
        "creditor": creditor_context(creditor),
        "customer": {
            "number": customer.number,
            "name": customer.name,
            "address_lines": _address_lines(customer, creditor.country, language),
            "country": customer.country,
            "language": customer.language,
            "kind": customer.kind,
        },
        "contact": (
            {"name": contact.name, "email": contact.email, "phone": contact.phone}
            if contact is not None
            else None
        ),
        "items": [
            {
                "number": i.number,
                "issue_date": i.date.isoformat(),
                "due_date": i.due_date.isoformat() if i.due_date else "",
                "days_overdue": i.days_overdue,
                "gross": fmt(i.gross_minor, i.currency),
                "open": fmt(i.open_minor, i.currency),
                "currency": i.currency,
                "payment_reference": i.payment_reference,
                "description": descriptions.get(i.invoice_id or 0, ""),
            }
            for i in chosen
        ],
        "totals": {
            "currency": currency,
            "overdue": fmt(overdue, currency),
            "open": fmt(open_total, currency),
            "interest": fmt(0, currency),
            "costs": fmt(0, currency),
            "total_due": fmt(overdue, currency),
        },
        "interest_lines": [],
        "cost_lines": [],
        "statement": {
            "lines": [
                {
                    "date": line.date.isoformat(),
                    "kind": line.kind,
                    "number": line.number,
                    "description": line.description,
                    "debit": fmt(line.debit_minor, currency) if line.debit_minor else "",
                    "credit": fmt(line.credit_minor, currency) if line.credit_minor else "",
                    "balance": fmt(line.balance_minor, currency),
                }
                for line in statement.lines
            ],
            "closing": fmt(statement.closing_minor, currency),
        },
        "payment_reference": reference,
        "pay_by": "",
        "payment_link": "",
        "portal_link": "",
        "level": {"key": "", "name": ""},
        "tone": "neutral",
    }
    return context


def context_totals(context: dict[str, Any]) -> dict[str, Any]:
    """Recompute ``totals.interest``, ``totals.costs`` and ``total_due`` from the lines."""
    from decimal import Decimal

    totals = context["totals"]
    interest = sum((Decimal(x["interest"]) for x in context.get("interest_lines", [])), Decimal(0))
    costs = sum((Decimal(x["amount"]) for x in context.get("cost_lines", [])), Decimal(0))
    totals["interest"] = f"{interest:.2f}"
    totals["costs"] = f"{costs:.2f}"
    totals["total_due"] = f"{Decimal(totals['overdue']) + interest + costs:.2f}"
    return context


def invoice_documents(*, creditor: Creditor, numbers: Iterable[str]) -> list[str]:
    """Stored invoice PDFs (MEDIA_ROOT-relative names) of these invoices, to send along."""
    wanted = {n.split("/")[0] for n in numbers}
    return list(
        Invoice.objects.filter(creditor=creditor, number__in=wanted)
        .exclude(document="")
        .order_by("number")
        .values_list("document", flat=True)
    )


def outbox_messages(*, status: Sequence[str] | None = None, limit: int = 100) -> list[Message]:
    qs = Message.objects.select_related("customer").order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status__in=status)
    return list(qs[:limit])


def message_templates_overview(*, creditor: Creditor | None) -> list[dict[str, Any]]:
    """Every key × channel × language, with the shipped row and the creditor's own if any."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    owner = Q(creditor__isnull=True)
    if creditor is not None:
        owner |= Q(creditor=creditor)
    for t in MessageTemplate.objects.filter(owner).order_by("key", "channel", "language"):
        row = rows.setdefault(
            (t.key, t.channel, t.language),
            {
                "key": t.key,
                "channel": t.channel,
                "language": t.language,
                "shipped": None,
                "own": None,
            },
        )
        row["own" if t.creditor_id is not None else "shipped"] = t
    return [rows[k] for k in sorted(rows)]


def messages_list(
    *,
    creditor: Creditor | None,
    status: str = "",
    channel: str = "",
    customer: Customer | None = None,
    limit: int = 200,
) -> list[Message]:
    """The outbox as staff read it: newest first, with delivery events, filtered."""
    qs = Message.objects.select_related("customer").prefetch_related("events")
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    return list(qs.order_by("-created_at", "-id")[:limit])
