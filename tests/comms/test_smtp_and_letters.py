"""A real SMTP server receives the email with its attachments; letters read back from the PDF."""

from __future__ import annotations

import email
import io
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core.files.base import ContentFile
from pypdf import PdfReader

from tests.comms.conftest import free_port
from tests.comms.test_outbox import NOW, outgoing
from vorder.comms.models import Message
from vorder.comms.selectors import invoice_documents
from vorder.comms.services import OutgoingMessage, messages_enqueue, outbox_dispatch


class Mailbox:
    """aiosmtpd handler: keeps every message; refuses mailboxes starting with 'gone'."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings, outbox_dirs):
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "noreply@acme.example"
    yield mailbox
    controller.stop()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.django_db
def test_the_fourteen_day_letter_by_email_arrives_with_its_pdf_and_the_invoices(
    ledger, smtp_server
):
    invoice = ledger["invoices"][0]
    invoice.document.save("2026-00017.pdf", ContentFile(b"%PDF-1.4 invoice 2026-00017"), save=True)
    documents = invoice_documents(creditor=ledger["creditor"], numbers=["2026-00017", "2026-00029"])
    assert documents == [invoice.document.name]
    message = outgoing(ledger, template="nl_fourteen_day_letter", key="R-14")
    message.context["announced_costs"] = "200.18"
    [queued] = messages_enqueue(
        messages=[
            OutgoingMessage(**{**message.__dict__, "attachments": documents, "attach_pdf": True})
        ]
    )
    assert outbox_dispatch(now=NOW).sent == 1

    [(recipients, raw)] = smtp_server.received
    assert recipients == ["jan@korenbloem.example"]
    mail = email.message_from_bytes(raw, policy=policy.default)
    assert mail["X-Vorder-Idempotency-Key"] == "R-14"
    assert mail["Message-ID"].endswith("@acme.example>")
    assert mail["Reply-To"] == "debiteuren@acme.example"
    assert "Acme Groothandel B.V." in mail["From"]
    assert "Veertiendagenbrief" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "te rekenen vanaf de dag na ontvangst van deze e-mail" in text
    assert mail.get_body(("html",)) is not None
    attachments = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert set(attachments) == {"nl_fourteen_day_letter.pdf", "2026-00017.pdf"}
    assert attachments["2026-00017.pdf"] == b"%PDF-1.4 invoice 2026-00017"
    letter = pdf_text(attachments["nl_fourteen_day_letter.pdf"])
    assert "binnen 14 dagen" in letter
    assert "brief" in letter
    queued.refresh_from_db()
    assert queued.status == "sent"
    assert queued.pdf.name


@pytest.mark.django_db
def test_a_mailbox_refused_by_the_server_bounces_and_a_letter_follows(ledger, smtp_server):
    message = outgoing(ledger, key="R-gone")
    [queued] = messages_enqueue(
        messages=[OutgoingMessage(**{**message.__dict__, "recipient": "gone@korenbloem.example"})]
    )
    result = outbox_dispatch(now=NOW)
    assert result.bounced == 1
    assert smtp_server.received == []
    queued.refresh_from_db()
    assert queued.status == "bounced"
    letter = Message.objects.get(fallback_of=queued)
    assert letter.channel == "letter"
    assert letter.idempotency_key == "R-gone:letter"


@pytest.mark.django_db
def test_the_letter_pdf_carries_address_items_totals_and_reference(ledger, outbox_dirs, tmp_path):
    message = outgoing(ledger, channel="letter", template="reminder_firm", key="L-firm")
    message.context["cost_lines"] = [{"description": "Incassokosten", "amount": "40.00"}]
    message.context["totals"].update(costs="40.00", total_due="1524.50")
    [queued] = messages_enqueue(messages=[message])
    assert outbox_dispatch(now=NOW).sent == 1
    queued.refresh_from_db()
    data = queued.pdf.read()
    text = pdf_text(data).replace("\xa0", " ")
    for expected in (
        "Bakkerij De Korenbloem",
        "T.a.v. Jan de Vries",
        "Dorpsstraat 12",
        "3512 AB Utrecht",
        "2026-00017",
        "2026-00029",
        "€ 1.234,50",
        "€ 250,00",
        "Vervallen",
        "€ 1.484,50",
        "Incassokosten",
        "€ 40,00",
        "Totaal te betalen",
        "€ 1.524,50",
        "RF18539007547034",
        "22 november 2026",
    ):
        assert expected in text, expected

    # One page as an image, to look at: the address must sit in the envelope window.
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(data)[0]
    image = page.render(scale=2).to_pil()
    image.save(tmp_path / "letter.png")
    assert image.size[0] > 1000
    assert image.getextrema() != ((255, 255), (255, 255), (255, 255))
    width_pt, height_pt = page.get_size()
    assert round(width_pt / 72 * 25.4) == 210
    assert round(height_pt / 72 * 25.4) == 297
    # The recipient's name is drawn inside the window (DIN 5008 form B: 20-105 mm from the left,
    # 45-90 mm from the top); find its text box on the page.
    textpage = page.get_textpage()
    first_char = textpage.get_text_range().index("Bakkerij De Korenbloem")
    left, bottom, right, top = textpage.get_charbox(first_char)
    x_mm, y_mm = left / 72 * 25.4, (height_pt - top) / 72 * 25.4
    assert 20 <= x_mm <= 30, x_mm
    assert 45 <= y_mm <= 90, y_mm
