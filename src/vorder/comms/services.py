"""Every state change of comms: templates installed, messages queued, sent, bounced, cancelled.

The outbox guarantee
--------------------
``messages_enqueue`` writes rows in the caller's transaction (the dunning run writes its
decisions and their messages in one), so a message exists exactly when its decision does.
``outbox_dispatch`` then sends them, outside any long transaction:

1. claim: a conditional UPDATE queued → sending stamped with a fresh claim token (on PostgreSQL
   the candidates are first locked with SKIP LOCKED), so two dispatchers never claim one row;
2. render subject, text, HTML and the letter PDF, and store them with their SHA-256 (the proof
   copy is written *before* the provider sees the message);
3. hand it to the channel's provider with the idempotency key (email: a Message-ID derived from
   it and an X-Vorder-Idempotency-Key header);
4. record sent / retry / failed, with a DeliveryEvent, only if the row still carries our token.

At-least-once boundary: a crash between 3 and 4 leaves the row in 'sending'. The next dispatch
after ``STUCK_AFTER`` asks the provider whether the key went out: the embedded providers (.eml
files, letter PDFs, SMS records) know, and the row becomes 'sent' without a second copy; SMTP
cannot tell, so the message is sent again with the *same* Message-ID, which lets the receiving
side recognise the duplicate. Nothing is ever lost; a duplicate can only happen over SMTP, and
only after a crash inside that window.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django.db.models import F, Q

from vorder.common.audit import audit_record
from vorder.common.db import AnyOf, insert_rows, key_chunk
from vorder.comms.models import DeliveryEvent, Message, MessageChannel, MessageTemplate
from vorder.comms.providers import (
    Outgoing,
    PermanentError,
    RecipientRejected,
    TransientError,
    provider_for,
)
from vorder.comms.selectors import customer_has_postal_address, postal_address_block
from vorder.ledger.models import Contact, Creditor, Customer

log = logging.getLogger(__name__)

SHIPPED = Path(__file__).resolve().parent / "message_templates"
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=2)
MAX_RETRY = timedelta(hours=6)
STUCK_AFTER = timedelta(minutes=15)

# The table each message kind shows under its text, and letters sent registered by default.
TABLES = {
    "statement": MessageTemplate.Table.STATEMENT,
    "promise_confirmation": MessageTemplate.Table.NONE,
    "arrangement_confirmation": MessageTemplate.Table.NONE,
    "dispute_rejected": MessageTemplate.Table.ITEMS,
}
REGISTERED_LETTERS = {"final_notice"}
# Letters the law only recognises with these figures in them (art. 6:96 lid 6 BW; art. XIX.2
# WER): without them the message is refused rather than sent, because a 14-day letter that
# does not name the costs cannot make them due.
REQUIRED_CONTEXT = {
    "nl_fourteen_day_letter": ("announced_costs",),
    "be_free_reminder": ("announced_costs",),
}


def missing_required_context(template_key: str, context: dict[str, Any]) -> list[str]:
    return [name for name in REQUIRED_CONTEXT.get(template_key, ()) if not context.get(name)]


class OutboxError(ValueError):
    """A message cannot be queued as asked; the message says why."""


# -- templates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShippedTemplate:
    key: str
    channel: str
    language: str
    subject: str
    body: str
    table: str
    registered: bool
    sha256: str


def shipped_templates() -> list[ShippedTemplate]:
    """Read message_templates/<key>/<lang>.txt (email and letter), sms.<lang>.txt and overrides.

    A file's first line is the subject, then a line '---', then the body. A file named
    ``email.<lang>.txt`` or ``letter.<lang>.txt`` replaces ``<lang>.txt`` for that channel.
    """
    found: dict[tuple[str, str, str], ShippedTemplate] = {}
    for path in sorted(SHIPPED.glob("*/*.txt")):
        key = path.parent.name
        parts = path.name.split(".")
        if len(parts) == 2:
            channels, language = ["email", "letter"], parts[0]
        elif len(parts) == 3 and parts[0] in MessageChannel.values:
            channels, language = [parts[0]], parts[1]
        else:
            raise OutboxError(f"{path}: name it <lang>.txt or <channel>.<lang>.txt")
        source = path.read_text(encoding="utf-8")
        if parts[0] == "sms":
            subject, body = "", source
        else:
            subject, sep, body = source.partition("\n---\n")
            if not sep:
                raise OutboxError(f"{path}: the first line is the subject, then a line '---'")
        digest = hashlib.sha256(source.encode()).hexdigest()
        for channel in channels:
            if len(parts) == 2 and (key, channel, language) in found:
                continue  # a channel-specific file already won
            found[(key, channel, language)] = ShippedTemplate(
                key=key,
                channel=channel,
                language=language,
                subject=subject.strip(),
                body=body.strip() + "\n",
                table=TABLES.get(key, MessageTemplate.Table.ITEMS),
                registered=channel == "letter" and key in REGISTERED_LETTERS,
                sha256=digest,
            )
    return list(found.values())


def templates_install(*, using: str = "default") -> dict[str, int]:
    """Install or update the shipped defaults (creditor empty); creditors' own rows stay as they are.

    Idempotent: unchanged files write nothing. Runs after every migrate and from
    `vorder templates install`.
    """
    if MessageTemplate._meta.db_table not in connections[using].introspection.table_names():
        return {"created": 0, "updated": 0, "unchanged": 0}
    shipped = shipped_templates()
    existing = {
        (t.key, t.channel, t.language): t
        for t in MessageTemplate.objects.using(using).filter(creditor__isnull=True)
    }
    create, update = [], []
    for item in shipped:
        row = existing.get((item.key, item.channel, item.language))
        values = {
            "subject": item.subject,
            "body": item.body,
            "table": item.table,
            "registered": item.registered,
            "shipped_sha256": item.sha256,
        }
        if row is None:
            create.append(
                MessageTemplate(
                    key=item.key, channel=item.channel, language=item.language, **values
                )
            )
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            update.append(row)
    with transaction.atomic(using=using):
        MessageTemplate.objects.using(using).bulk_create(create)
        MessageTemplate.objects.using(using).bulk_update(
            update, ["subject", "body", "table", "registered", "shipped_sha256"]
        )
    return {
        "created": len(create),
        "updated": len(update),
        "unchanged": len(shipped) - len(create) - len(update),
    }


# -- enqueue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to queue. ``context`` must be JSON (see docs/comms.md for the contract)."""

    creditor: Creditor
    customer: Customer
    channel: str
    recipient: str
    language: str
    template_key: str
    context: dict[str, Any]
    idempotency_key: str
    contact: Contact | None = None
    attachments: Sequence[str] = field(default_factory=tuple)
    registered: bool = False
    attach_pdf: bool = False
    fallback_of: Message | None = None
    not_before: datetime | None = None


def messages_enqueue(
    *, messages: Sequence[OutgoingMessage], kick_dispatcher: bool = True
) -> list[Message]:
    """Queue messages in the caller's transaction; a known idempotency key creates nothing.

    Returns the rows for every given key, in the given order (existing ones as they are).
    Bulk: one insert per 1,000 messages, one read back, one insert for the 'queued' events.
    """
    if not messages:
        return []
    keys = [m.idempotency_key for m in messages]
    if len(set(keys)) != len(keys):
        raise OutboxError("the same idempotency key appears twice in one batch")
    for m in messages:
        if m.channel not in MessageChannel.values:
            raise OutboxError(f"{m.idempotency_key}: unknown channel '{m.channel}'")
        if not m.recipient.strip():
            raise OutboxError(f"{m.idempotency_key}: no recipient for channel {m.channel}")
        if missing := missing_required_context(m.template_key, m.context):
            raise OutboxError(
                f"{m.idempotency_key}: a {m.template_key} for customer {m.customer.number} must "
                f"state {', '.join(missing)} (the law requires it in this letter)"
            )
    with transaction.atomic():
        known = _existing_keys(keys)
        new = [m for m in messages if m.idempotency_key not in known]
        insert_rows(
            Message,
            [
                {
                    "creditor_id": m.creditor.pk,
                    "customer_id": m.customer.pk,
                    "contact_id": m.contact.pk if m.contact is not None else None,
                    "channel": m.channel,
                    "recipient": m.recipient.strip(),
                    "language": m.language,
                    "template_key": m.template_key,
                    "context": m.context,
                    "attachments": list(m.attachments),
                    "registered": m.registered,
                    "attach_pdf": m.attach_pdf,
                    "idempotency_key": m.idempotency_key,
                    "fallback_of_id": m.fallback_of.pk if m.fallback_of is not None else None,
                    "next_attempt_at": m.not_before,
                }
                for m in new
            ],
        )
        by_key = _by_keys(keys)
        from django.utils import timezone

        stamp = timezone.now()  # when it was queued: a record, not a business rule
        insert_rows(
            DeliveryEvent,
            [
                {"message_id": by_key[m.idempotency_key].pk, "at": stamp, "status": "queued"}
                for m in new
            ],
        )
        if kick_dispatcher and new:
            transaction.on_commit(_kick_dispatcher)
    return [by_key[k] for k in keys]


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    step = key_chunk()
    for i in range(0, len(keys), step):
        found.update(
            Message.objects.filter(AnyOf(F("idempotency_key"), keys[i : i + step])).values_list(
                "idempotency_key", flat=True
            )
        )
    return found


def _by_keys(keys: list[str]) -> dict[str, Message]:
    found: dict[str, Message] = {}
    step = key_chunk()
    for i in range(0, len(keys), step):
        # the stored copy (context, bodies) is not needed to link or return the rows
        for row in Message.objects.filter(AnyOf(F("idempotency_key"), keys[i : i + step])).defer(
            "context", "body_text", "body_html"
        ):
            found[row.idempotency_key] = row
    return found


def _kick_dispatcher() -> None:
    from vorder.comms.tasks import dispatch_outbox

    try:
        dispatch_outbox.enqueue()
    except Exception:  # the daily schedule dispatches anyway; never fail the caller's commit
        log.exception("could not enqueue the outbox dispatcher")


# -- dispatch -----------------------------------------------------------------------------------


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    bounced: int = 0
    recovered_sent: int = 0
    recovered_requeued: int = 0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__.items())


def retry_delay(attempts: int) -> timedelta:
    """2, 4, 8, 16, 32 minutes … capped at six hours: exponential backoff per attempt made."""
    return min(FIRST_RETRY * int(2 ** max(0, attempts - 1)), MAX_RETRY)


def outbox_dispatch(*, now: datetime, limit: int = 500) -> DispatchResult:
    """Send the queued messages that are due at ``now``; see the module docstring."""
    result = DispatchResult()
    _recover_stuck(now=now, result=result)
    token, ids = _claim(now=now, limit=limit)
    result.claimed = len(ids)
    rows = Message.objects.filter(pk__in=ids, claim_token=token).select_related(
        "creditor", "customer", "contact"
    )
    for message in rows.order_by("id"):
        _send_one(message=message, token=token, now=now, result=result)
    return result


def _claim(*, now: datetime, limit: int) -> tuple[str, list[int]]:
    token = uuid.uuid4().hex
    due = Q(status=Message.Status.QUEUED) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    with transaction.atomic():
        candidates = Message.objects.filter(due).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        # The status condition makes the claim safe even without row locks (SQLite serialises
        # writers): a row another dispatcher took is no longer 'queued' and is not updated.
        Message.objects.filter(pk__in=ids, status=Message.Status.QUEUED).update(
            status=Message.Status.SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    mine = list(
        Message.objects.filter(
            pk__in=ids, claim_token=token, status=Message.Status.SENDING
        ).values_list("id", flat=True)
    )
    return token, mine


def _event(message: Message, at: datetime, status: str, detail: str = "") -> None:
    DeliveryEvent.objects.create(message=message, at=at, status=status, detail=detail[:2000])


def _attachments(message: Message) -> list[Path]:
    root = Path(settings.MEDIA_ROOT).resolve()
    paths = []
    for name in message.attachments:
        path = (root / name).resolve()
        if path.is_relative_to(root) and path.is_file():
            paths.append(path)
    return paths


def _prepare(message: Message) -> bytes | None:
    """Render the proof copy (text, HTML, PDF) and store it before anything leaves the house."""
    from vorder.comms.pdf import letter_pdf
    from vorder.comms.rendering import message_render

    context = message.context
    if message.channel == MessageChannel.LETTER:
        context = {**context, "recipient_block": message.recipient}
    rendered = message_render(
        creditor=message.creditor,
        key=message.template_key,
        channel=message.channel,
        language=message.language,
        context=context,
    )
    pdf = None
    if message.channel == MessageChannel.LETTER:
        pdf = letter_pdf(rendered.html)
    elif message.channel == MessageChannel.EMAIL and message.attach_pdf:
        letter = message_render(
            creditor=message.creditor,
            key=message.template_key,
            channel=MessageChannel.LETTER,
            language=message.language,
            context=message.context,
        )
        pdf = letter_pdf(letter.html)
    digest = hashlib.sha256(
        f"{rendered.subject}\n{rendered.text}\n{rendered.html}".encode() + (pdf or b"")
    )
    message.subject, message.body_text, message.body_html = (
        rendered.subject[:300],
        rendered.text,
        rendered.html,
    )
    message.registered = message.registered or rendered.registered
    message.content_sha256 = digest.hexdigest()
    if pdf is not None:
        if message.pdf:  # an earlier attempt's copy: the proof is what finally goes out
            message.pdf.delete(save=False)
        message.pdf.save(f"{message.template_key}-{message.pk}.pdf", ContentFile(pdf), save=False)
    Message.objects.filter(pk=message.pk).update(
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        registered=message.registered,
        content_sha256=message.content_sha256,
        pdf=message.pdf.name if pdf is not None else "",
    )
    return pdf


def _send_one(*, message: Message, token: str, now: datetime, result: DispatchResult) -> None:
    provider = provider_for(message.channel)
    try:
        pdf = _prepare(message)
        delivery = provider.send(Outgoing(message, pdf, _attachments(message)))
    except TransientError as exc:
        _record_failure(message, token, now, str(exc), result, transient=True)
        return
    except RecipientRejected as exc:
        result.bounced += 1
        with transaction.atomic():
            message_mark_bounced(message=message, reason=str(exc), now=now)
        return
    except PermanentError as exc:
        _record_failure(message, token, now, str(exc), result, transient=False)
        return
    except Exception as exc:  # a template or rendering error: it will not fix itself
        log.exception("message %s could not be prepared", message.pk)
        _record_failure(
            message, token, now, f"{type(exc).__name__}: {exc}", result, transient=False
        )
        return
    _record_sent(message, token, now, delivery.provider, delivery.provider_message_id)
    result.sent += 1


def _record_sent(
    message: Message, token: str, now: datetime, provider: str, provider_id: str
) -> None:
    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message.pk, claim_token=token, status=Message.Status.SENDING
        ).update(
            status=Message.Status.SENT,
            sent_at=now,
            provider=provider,
            provider_message_id=provider_id[:300],
            last_error="",
        )
        if updated:
            _event(message, now, "sent", f"{provider} {provider_id}")


def _record_failure(
    message: Message,
    token: str,
    now: datetime,
    error: str,
    result: DispatchResult,
    *,
    transient: bool,
) -> None:
    attempts = Message.objects.filter(pk=message.pk).values_list("attempts", flat=True)[0]
    retry = transient and attempts < MAX_ATTEMPTS
    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message.pk, claim_token=token, status=Message.Status.SENDING
        ).update(
            status=Message.Status.QUEUED if retry else Message.Status.FAILED,
            next_attempt_at=now + retry_delay(attempts) if retry else None,
            last_error=error[:2000],
        )
        if updated:
            _event(message, now, "retry" if retry else "failed", f"attempt {attempts}: {error}")
    if retry:
        result.retried += 1
    else:
        result.failed += 1
        result.errors.append(f"{message.idempotency_key}: {error}")


def _recover_stuck(*, now: datetime, result: DispatchResult) -> None:
    """Rows left in 'sending' by a crashed dispatcher: sent if the provider has them, else requeue."""
    stuck = Message.objects.filter(
        status=Message.Status.SENDING, claimed_at__lt=now - STUCK_AFTER
    ).select_related("creditor", "customer")
    for message in stuck:
        was_sent = provider_for(message.channel).was_sent(message)
        with transaction.atomic():
            if was_sent:
                updated = Message.objects.filter(
                    pk=message.pk, status=Message.Status.SENDING, claim_token=message.claim_token
                ).update(status=Message.Status.SENT, sent_at=now)
                if updated:
                    _event(message, now, "sent", "recovered: found in the provider's log")
                    result.recovered_sent += 1
            else:
                updated = Message.objects.filter(
                    pk=message.pk, status=Message.Status.SENDING, claim_token=message.claim_token
                ).update(status=Message.Status.QUEUED, next_attempt_at=now, claim_token="")
                if updated:
                    why = (
                        "not in the provider's log" if was_sent is False else "provider cannot tell"
                    )
                    _event(message, now, "requeued", f"recovered after a crash: {why}")
                    result.recovered_requeued += 1


# -- bounces, cancellation ------------------------------------------------------------------------


@transaction.atomic
def message_mark_bounced(*, message: Message, reason: str, now: datetime) -> Message | None:
    """Record a bounce; queue the same message as a letter when the customer has an address.

    The letter is rendered from the stored context, so it says what the email said; its
    idempotency key derives from the email's, so a second bounce report queues nothing new.
    Returns the fallback letter, or None.
    """
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status != Message.Status.BOUNCED:
        Message.objects.filter(pk=locked.pk).update(
            status=Message.Status.BOUNCED, last_error=reason[:2000]
        )
        _event(locked, now, "bounced", reason)
        audit_record(
            creditor_id=locked.creditor_id,
            obj=locked,
            action="update",
            changes={"status": [locked.status, "bounced"]},
        )
    customer = locked.customer
    if locked.channel == MessageChannel.LETTER or not customer_has_postal_address(customer):
        return None
    recipient = postal_address_block(
        customer=customer,
        contact=locked.contact,
        home_country=locked.creditor.country,
        language=locked.language,
    )
    [letter] = messages_enqueue(
        messages=[
            OutgoingMessage(
                creditor=locked.creditor,
                customer=customer,
                contact=locked.contact,
                channel=MessageChannel.LETTER,
                recipient=recipient,
                language=locked.language,
                template_key=locked.template_key,
                context=locked.context,
                idempotency_key=f"{locked.idempotency_key}:letter",
                attachments=locked.attachments,
                fallback_of=locked,
            )
        ]
    )
    return letter


@transaction.atomic
def message_cancel(*, message: Message, reason: str, now: datetime) -> Message:
    """Stop a queued message (e.g. the customer paid before it went out)."""
    updated = Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
        status=Message.Status.CANCELLED, last_error=reason[:2000]
    )
    if not updated:
        raise OutboxError(
            f"message {message.pk} is {message.status}: only queued messages can be cancelled"
        )
    _event(message, now, "cancelled", reason)
    audit_record(
        creditor_id=message.creditor_id,
        obj=message,
        action="update",
        changes={"status": ["queued", "cancelled"], "reason": [None, reason]},
    )
    message.refresh_from_db()
    return message


# -- a creditor's own wording (workspace template editor) ---------------------------------------


class TemplateError(ValueError):
    """The template cannot be saved; the message says why (e.g. a broken ``{% if %}``)."""


@transaction.atomic
def message_template_save(
    *, creditor: Creditor, key: str, channel: str, language: str, subject: str, body: str
) -> MessageTemplate:
    """Save the creditor's own version of a message; it wins over the shipped one from now on.

    The table and registered-mail setting follow the shipped template of the same key, so the
    credit manager edits words only. A template that does not compile is refused.
    """
    from django.template import TemplateSyntaxError

    from vorder.comms.rendering import _compiled

    for source in (subject, body):
        try:
            _compiled(source, False)
        except TemplateSyntaxError as error:
            raise TemplateError(f"{key}/{channel}.{language}: {error}") from error
    shipped = MessageTemplate.objects.filter(
        creditor__isnull=True, key=key, channel=channel, language=language
    ).first()
    own, created = MessageTemplate.objects.select_for_update().get_or_create(
        creditor=creditor,
        key=key,
        channel=channel,
        language=language,
        defaults={
            "subject": subject,
            "body": body,
            "table": shipped.table if shipped else TABLES.get(key, MessageTemplate.Table.ITEMS),
            "registered": shipped.registered if shipped else key in REGISTERED_LETTERS,
        },
    )
    before = {"subject": own.subject, "body": own.body}
    if not created:
        own.subject, own.body = subject, body
        own.save(update_fields=["subject", "body", "updated_at"])
    audit_record(
        creditor_id=creditor.pk,
        obj=own,
        action="create" if created else "update",
        changes=(
            {"template": [None, str(own)]}
            if created
            else {k: [before[k], getattr(own, k)] for k in before if before[k] != getattr(own, k)}
        ),
    )
    return own


@transaction.atomic
def message_template_reset(*, creditor: Creditor, key: str, channel: str, language: str) -> bool:
    """Drop the creditor's own version: the shipped wording applies again. False if none."""
    own = MessageTemplate.objects.filter(
        creditor=creditor, key=key, channel=channel, language=language
    ).first()
    if own is None:
        return False
    audit_record(
        creditor_id=creditor.pk, obj=own, action="delete", changes={"template": [str(own), None]}
    )
    own.delete()
    return True
