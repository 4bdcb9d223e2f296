"""Turn a template and a stored context into the words of a message: subject, text, HTML, PDF.

Templates are Django template source kept in the database (editable by a credit manager), so
they are rendered by a separate, closed engine: no template loaders (no ``{% include %}`` of
files), only vorder's money/day/percent filters, and a context of plain JSON data, so a
template can show the data it is given and nothing else. Text is rendered without escaping;
HTML (email and letter) comes from vorder's own layouts, which escape the rendered text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.template import Context, Engine, Template
from django.utils import translation

from vorder.comms.epc import epc_payload, epc_qr_data_uri
from vorder.comms.formatting import format_day, format_money
from vorder.comms.models import MessageChannel, MessageTemplate
from vorder.comms.selectors import message_template_for
from vorder.ledger.models import Creditor

LAYOUTS = Path(__file__).resolve().parent / "layouts"
FILTERS = "vorder.comms.templatetags.vorder_comms"
# A line "[[table]]" in a template body marks where the items table (or statement) goes;
# without it the table follows the text.
TABLE_MARKER = "[[table]]"

LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "invoice": "Factuur",
        "date": "Datum",
        "due_date": "Vervaldatum",
        "days": "Dagen",
        "gross": "Bedrag",
        "open": "Openstaand",
        "overdue": "Vervallen",
        "interest": "Rente",
        "costs": "Incassokosten",
        "total_due": "Totaal te betalen",
        "reference": "Kenmerk",
        "our_reference": "Ons kenmerk",
        "customer_number": "Debiteurnummer",
        "subject": "Betreft",
        "page": "Pagina",
        "of": "van",
        "pay_with": "Betalen",
        "scan": "Scan met uw bank-app",
        "iban": "IBAN",
        "bic": "BIC",
        "amount": "Bedrag",
        "beneficiary": "Ten name van",
        "statement": "Rekeningoverzicht",
        "description": "Omschrijving",
        "debit": "Debet",
        "credit": "Credit",
        "balance": "Saldo",
        "closing": "Saldo",
        "coc": "KvK",
        "vat": "btw",
        "period": "Periode",
        "rate": "Rente %",
        "pay_online": "Online betalen",
        "registered": "AANGETEKEND",
    },
    "en": {
        "invoice": "Invoice",
        "date": "Date",
        "due_date": "Due date",
        "days": "Days",
        "gross": "Amount",
        "open": "Open",
        "overdue": "Overdue",
        "interest": "Interest",
        "costs": "Collection costs",
        "total_due": "Total due",
        "reference": "Reference",
        "our_reference": "Our reference",
        "customer_number": "Customer number",
        "subject": "Subject",
        "page": "Page",
        "of": "of",
        "pay_with": "Payment",
        "scan": "Scan with your banking app",
        "iban": "IBAN",
        "bic": "BIC",
        "amount": "Amount",
        "beneficiary": "Beneficiary",
        "statement": "Statement of account",
        "description": "Description",
        "debit": "Debit",
        "credit": "Credit",
        "balance": "Balance",
        "closing": "Balance",
        "coc": "Reg. no.",
        "vat": "VAT",
        "period": "Period",
        "rate": "Rate %",
        "pay_online": "Pay online",
        "registered": "REGISTERED",
    },
    "fr": {
        "invoice": "Facture",
        "date": "Date",
        "due_date": "Échéance",
        "days": "Jours",
        "gross": "Montant",
        "open": "Solde dû",
        "overdue": "Échu",
        "interest": "Intérêts",
        "costs": "Frais de recouvrement",
        "total_due": "Total à payer",
        "reference": "Communication",
        "our_reference": "Notre référence",
        "customer_number": "Numéro de client",
        "subject": "Objet",
        "page": "Page",
        "of": "sur",
        "pay_with": "Paiement",
        "scan": "Scannez avec votre app bancaire",
        "iban": "IBAN",
        "bic": "BIC",
        "amount": "Montant",
        "beneficiary": "Bénéficiaire",
        "statement": "Relevé de compte",
        "description": "Description",
        "debit": "Débit",
        "credit": "Crédit",
        "balance": "Solde",
        "closing": "Solde",
        "coc": "BCE",
        "vat": "TVA",
        "period": "Période",
        "rate": "Taux %",
        "pay_online": "Payer en ligne",
        "registered": "RECOMMANDÉ",
    },
    "de": {
        "invoice": "Rechnung",
        "date": "Datum",
        "due_date": "Fällig am",
        "days": "Tage",
        "gross": "Betrag",
        "open": "Offen",
        "overdue": "Fällig",
        "interest": "Zinsen",
        "costs": "Inkassokosten",
        "total_due": "Zu zahlender Gesamtbetrag",
        "reference": "Verwendungszweck",
        "our_reference": "Unser Zeichen",
        "customer_number": "Kundennummer",
        "subject": "Betreff",
        "page": "Seite",
        "of": "von",
        "pay_with": "Zahlung",
        "scan": "Mit Ihrer Banking-App scannen",
        "iban": "IBAN",
        "bic": "BIC",
        "amount": "Betrag",
        "beneficiary": "Empfänger",
        "statement": "Kontoauszug",
        "description": "Beschreibung",
        "debit": "Soll",
        "credit": "Haben",
        "balance": "Saldo",
        "closing": "Saldo",
        "coc": "HR-Nr.",
        "vat": "USt-IdNr.",
        "period": "Zeitraum",
        "rate": "Zins %",
        "pay_online": "Online bezahlen",
        "registered": "EINSCHREIBEN",
    },
}


class _Strict(str):
    """``string_if_invalid`` that raises: used by tests and previews to catch missing variables."""

    def __mod__(self, name: object) -> str:
        raise MissingVariable(f"the template uses '{name}', which the context does not have")


class MissingVariable(KeyError):
    pass


def _engine(*, strict: bool, autoescape: bool, dirs: tuple[str, ...] = ()) -> Engine:
    return Engine(
        dirs=list(dirs),
        app_dirs=False,
        loaders=[] if not dirs else None,
        autoescape=autoescape,
        builtins=[FILTERS],
        libraries={},
        string_if_invalid=_Strict("%s") if strict else "",
        debug=False,
    )


_TEXT = {
    False: _engine(strict=False, autoescape=False),
    True: _engine(strict=True, autoescape=False),
}
_LAYOUT = {
    strict: _engine(strict=strict, autoescape=True, dirs=(str(LAYOUTS),))
    for strict in (False, True)
}


@lru_cache(maxsize=512)
def _compiled(source: str, strict: bool) -> Template:
    return _TEXT[strict].from_string(source)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str
    key: str
    channel: str
    registered: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(f"{self.subject}\n{self.text}\n{self.html}".encode()).hexdigest()


def message_render(
    *,
    creditor: Creditor | None,
    key: str,
    channel: str,
    language: str,
    context: dict[str, Any],
    strict: bool = False,
) -> Rendered:
    """Render the template that applies (creditor's own or shipped) for this context."""
    template = message_template_for(creditor=creditor, key=key, channel=channel, language=language)
    return render_template(template=template, context=context, strict=strict)


def render_template(
    *, template: MessageTemplate, context: dict[str, Any], strict: bool = False
) -> Rendered:
    language = template.language
    ctx = {**context, "channel": template.channel, "language": language}
    with translation.override(language):
        subject = " ".join(_compiled(template.subject, strict).render(Context(ctx)).split())
        body = _compiled(template.body, strict).render(Context(ctx)).strip()
        body = "\n".join(line.rstrip() for line in body.splitlines())
        if template.channel == MessageChannel.SMS:
            return Rendered(subject, " ".join(body.split()), "", language, template.key, "sms")
        table = template.table
        before, marker, after = body.partition(TABLE_MARKER)
        before, after = before.strip(), after.strip()
        text = "\n\n".join(
            part
            for part in (
                before,
                text_table(ctx, language, table) if table != MessageTemplate.Table.NONE else "",
                after,
            )
            if part
        )
        layout_ctx = {
            **ctx,
            "subject": subject,
            "body": before,
            "body_after": after,
            "table": table,
            "labels": LABELS.get(language, LABELS["en"]),
            "registered": template.registered,
        }
        if template.channel == MessageChannel.LETTER:
            layout_ctx.update(letter_extras(ctx, language))
            html = _LAYOUT[strict].get_template("letter.html").render(Context(layout_ctx))
        else:
            html = _LAYOUT[strict].get_template("email.html").render(Context(layout_ctx))
    return Rendered(
        subject, text, html, language, template.key, template.channel, template.registered
    )


def letter_extras(ctx: dict[str, Any], language: str) -> dict[str, Any]:
    """Recipient block and the EPC QR code for a letter."""
    customer = ctx.get("customer") or {}
    contact = ctx.get("contact")
    attn = {"nl": "T.a.v.", "en": "Attn.", "fr": "À l'attention de", "de": "z. Hd."}[language]
    if ctx.get("recipient_block"):  # the address the message is sent to, as queued
        lines = str(ctx["recipient_block"]).splitlines()
    else:
        lines = [customer.get("name", "")]
        if contact and contact.get("name") and customer.get("kind") == "b2b":
            lines.append(f"{attn} {contact['name']}")
        lines += customer.get("address_lines", [])
    creditor = ctx.get("creditor") or {}
    totals = ctx.get("totals") or {}
    qr = ""
    if creditor.get("iban") and totals.get("currency", "EUR") == "EUR":
        amount = Decimal(str(totals.get("total_due") or "0"))
        payload = epc_payload(
            name=creditor.get("name", ""),
            iban=creditor["iban"],
            bic=creditor.get("bic", ""),
            amount=amount,
            reference=ctx.get("payment_reference") or "",
            text=f"{customer.get('number', '')} "
            + " ".join(i["number"] for i in (ctx.get("items") or [])),
        )
        qr = epc_qr_data_uri(payload)
    sender = " · ".join([creditor.get("name", ""), *creditor.get("address_lines", [])])
    return {"recipient_lines": [line for line in lines if line], "qr": qr, "sender_line": sender}


def text_table(ctx: dict[str, Any], language: str, table: str) -> str:
    """The items (or the statement) as aligned plain text for the email's text part."""
    labels = LABELS.get(language, LABELS["en"])
    totals = ctx.get("totals") or {}
    currency = totals.get("currency", "EUR")

    def m(value: object) -> str:
        return format_money(value, language, currency) if value not in ("", None) else ""

    def d(value: object) -> str:
        return format_day(value, language)

    rows: list[list[str]]
    if table == MessageTemplate.Table.STATEMENT:
        statement = ctx.get("statement") or {}
        rows = [
            [
                labels["date"],
                labels["invoice"],
                labels["debit"],
                labels["credit"],
                labels["balance"],
            ]
        ]
        rows += [
            [
                d(line["date"]),
                line["number"],
                m(line["debit"]),
                m(line["credit"]),
                m(line["balance"]),
            ]
            for line in statement.get("lines", [])
        ]
        rows.append([labels["closing"], "", "", "", m(statement.get("closing", ""))])
    else:
        rows = [
            [labels["invoice"], labels["date"], labels["due_date"], labels["days"], labels["open"]]
        ]
        rows += [
            [
                i["number"],
                d(i["issue_date"]),
                d(i["due_date"]),
                str(i["days_overdue"]),
                m(i["open"]),
            ]
            for i in ctx.get("items") or []
        ]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.rjust(widths[c]) if c >= 2 else cell.ljust(widths[c]) for c, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    if table == MessageTemplate.Table.ITEMS:
        summary = [(labels["overdue"], totals.get("overdue"))]
        if Decimal(str(totals.get("interest") or 0)):
            summary.append((labels["interest"], totals.get("interest")))
        if Decimal(str(totals.get("costs") or 0)):
            summary.append((labels["costs"], totals.get("costs")))
        summary.append((labels["total_due"], totals.get("total_due")))
        width = max(len(label) for label, _ in summary)
        amounts = [m(value) for _, value in summary]
        right = max(len(a) for a in amounts)
        lines.append("")
        lines += [
            f"{label.ljust(width)}  {a.rjust(right)}"
            for (label, _), a in zip(summary, amounts, strict=True)
        ]
    return "\n".join(lines)
