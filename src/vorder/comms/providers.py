"""Channel providers behind small interfaces: email, print-and-post letters, SMS.

Each provider sends one message and can say afterwards whether a message with a given
idempotency key went out (``was_sent``): True / False when its log can tell, None when it cannot
(SMTP). The dispatcher uses that to recover a message left in 'sending' by a crash.

Errors: ``TransientError`` (try again later: a 4xx SMTP reply, a dropped connection),
``PermanentError`` (will never work), ``RecipientRejected`` (a hard bounce at send time).
"""

from __future__ import annotations

import hashlib
import json
import smtplib
from dataclasses import dataclass
from email.utils import formataddr
from pathlib import Path
from typing import Protocol, cast

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.module_loading import import_string

from vorder.comms.backends import EmlOutboxBackend, eml_path, outbox_dir
from vorder.comms.email_config import EML_BACKEND
from vorder.comms.models import Message, MessageChannel


class TransientError(Exception):
    pass


class PermanentError(Exception):
    pass


class RecipientRejected(PermanentError):
    pass


@dataclass(frozen=True)
class Delivery:
    provider: str
    provider_message_id: str


@dataclass(frozen=True)
class Outgoing:
    """What the dispatcher hands to a provider: the row plus the rendered files."""

    message: Message
    pdf: bytes | None
    attachments: list[Path]


class Provider(Protocol):
    name: str

    def send(self, outgoing: Outgoing) -> Delivery: ...

    def was_sent(self, message: Message) -> bool | None: ...


def key_digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


def message_id_for(message: Message) -> str:
    """A stable RFC 5322 Message-ID from the idempotency key: a resend carries the same one."""
    domain = str(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2].strip("> ") or "vorder.local"
    return f"<{key_digest(message.idempotency_key)}@{domain}>"


class EmailProvider:
    """Django's email framework: SMTP in production, the .eml outbox by default."""

    name = "email"

    def send(self, outgoing: Outgoing) -> Delivery:
        message = outgoing.message
        creditor = message.creditor
        headers = {
            "Message-ID": message_id_for(message),
            "X-Vorder-Idempotency-Key": message.idempotency_key,
        }
        if creditor.email:
            headers["Reply-To"] = creditor.email
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            from_email=formataddr((creditor.name, str(settings.DEFAULT_FROM_EMAIL))),
            to=[message.recipient],
            headers=headers,
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        if outgoing.pdf:
            email.attach(f"{message.template_key}.pdf", outgoing.pdf, "application/pdf")
        for path in outgoing.attachments:
            email.attach(
                path.name,
                path.read_bytes(),
                "application/pdf" if path.suffix.lower() == ".pdf" else None,
            )
        try:
            get_connection(fail_silently=False).send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                raise TransientError(f"recipient temporarily refused: {exc.recipients}") from exc
            raise RecipientRejected(f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (
            TimeoutError,
            smtplib.SMTPServerDisconnected,
            smtplib.SMTPConnectError,
            OSError,
        ) as exc:
            raise TransientError(f"mail server unreachable: {exc}") from exc
        return Delivery(self.name, headers["Message-ID"])

    def was_sent(self, message: Message) -> bool | None:
        if settings.EMAIL_BACKEND == EML_BACKEND or isinstance(get_connection(), EmlOutboxBackend):
            return eml_path(message_id_for(message)).exists()
        return None  # SMTP keeps no log we can ask: resend with the same Message-ID


class LocalLetterProvider:
    """Embedded print-and-post: the PDF lands in outbox/letters/ for printing and posting.

    A real postal service (print-and-post API) implements the same two methods.
    Registered letters get a ``-registered`` suffix so whoever posts them sees it.
    """

    name = "letters-local"

    def _path(self, message: Message) -> Path:
        suffix = "-registered" if message.registered else ""
        return (
            outbox_dir("letters")
            / f"{message.customer.number}-{key_digest(message.idempotency_key)}{suffix}.pdf"
        )

    def send(self, outgoing: Outgoing) -> Delivery:
        if not outgoing.pdf:
            raise PermanentError("a letter needs its PDF")
        path = self._path(outgoing.message)
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(outgoing.pdf)
            tmp.replace(path)
        return Delivery(self.name, path.name)

    def was_sent(self, message: Message) -> bool | None:
        return self._path(message).exists()


class LocalSmsProvider:
    """Embedded SMS: records each text as JSON in outbox/sms/ (an SMS gateway plugs in here)."""

    name = "sms-local"

    def _path(self, message: Message) -> Path:
        return outbox_dir("sms") / f"{key_digest(message.idempotency_key)}.json"

    def send(self, outgoing: Outgoing) -> Delivery:
        message = outgoing.message
        path = self._path(message)
        if not path.exists():
            path.write_text(
                json.dumps(
                    {
                        "to": message.recipient,
                        "text": message.body_text,
                        "key": message.idempotency_key,
                    },
                    ensure_ascii=False,
                )
            )
        return Delivery(self.name, path.name)

    def was_sent(self, message: Message) -> bool | None:
        return self._path(message).exists()


def provider_for(channel: str) -> Provider:
    """The provider of a channel; letters and SMS can be swapped by a dotted path in settings."""
    if channel == MessageChannel.EMAIL:
        return EmailProvider()
    setting = {"letter": "VORDER_LETTER_PROVIDER", "sms": "VORDER_SMS_PROVIDER"}[channel]
    default = {"letter": LocalLetterProvider, "sms": LocalSmsProvider}[channel]
    path = getattr(settings, setting, "")
    return cast(Provider, import_string(path)() if path else default())
