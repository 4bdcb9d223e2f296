"""Messages to customers: editable templates, the transactional outbox and its delivery log.

A ``Message`` is both the outbox row (written in the caller's transaction, sent later by the
dispatcher) and the proof copy: it keeps the exact context rendered, the text and the PDF that
went out, and a hash of them, so a 14-day letter can be shown years later as it was sent.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vorder.ledger.models import Contact, Creditor, Customer


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    SMS = "sms", _("SMS")


class MessageLanguage(models.TextChoices):
    NL = "nl", _("Dutch")
    EN = "en", _("English")
    FR = "fr", _("French")
    DE = "de", _("German")


class MessageTemplate(models.Model):
    """The words of one message kind in one channel and language.

    ``creditor`` empty = the shipped default (installed from files, kept current by the loader);
    a creditor's own row with the same key, channel and language takes precedence.
    """

    class Table(models.TextChoices):
        ITEMS = "items", _("Overdue items with totals")
        STATEMENT = "statement", _("Statement of account")
        NONE = "none", _("No table")

    creditor = models.ForeignKey(
        Creditor, null=True, blank=True, on_delete=models.CASCADE, related_name="message_templates"
    )
    key = models.SlugField(
        max_length=60, help_text=_("e.g. reminder_friendly, nl_fourteen_day_letter")
    )
    channel = models.CharField(max_length=10, choices=MessageChannel.choices)
    language = models.CharField(max_length=2, choices=MessageLanguage.choices)
    subject = models.CharField(max_length=300, blank=True, help_text=_("Django template"))
    body = models.TextField(
        help_text=_("Django template; plain text, blank lines separate paragraphs")
    )
    table = models.CharField(max_length=10, choices=Table.choices, default=Table.ITEMS)
    registered = models.BooleanField(default=False, help_text=_("letters: send as registered mail"))
    shipped_sha256 = models.CharField(
        max_length=64, blank=True, help_text=_("hash of the shipped file")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "key", "channel", "language"], name="message_template_unique"
            ),
            models.UniqueConstraint(
                fields=["key", "channel", "language"],
                condition=Q(creditor__isnull=True),
                name="message_template_default_unique",
            ),
        ]

    def __str__(self) -> str:
        owner = self.creditor_id or "default"
        return f"{self.key}/{self.channel}.{self.language} ({owner})"


class Message(models.Model):
    """One outbound message: outbox row, delivery state and the proof copy of what was sent."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")
        CANCELLED = "cancelled", _("Cancelled")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="messages")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="messages")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(max_length=10, choices=MessageChannel.choices)
    recipient = models.TextField(help_text=_("email address, postal address block or phone number"))
    language = models.CharField(max_length=2, choices=MessageLanguage.choices)
    template_key = models.CharField(max_length=60)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    pdf = models.FileField(upload_to="messages/%Y/%m/", blank=True)
    attachments = models.JSONField(
        default=list, blank=True, help_text=_("document paths (MEDIA_ROOT-relative) sent along")
    )
    context = models.JSONField(default=dict, help_text=_("the exact data rendered"))
    registered = models.BooleanField(default=False)
    attach_pdf = models.BooleanField(
        default=False, help_text=_("email: attach the letter version as PDF (e.g. a 14-day letter)")
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    provider_message_id = models.CharField(max_length=300, blank=True)
    last_error = models.TextField(blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    fallback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="fallbacks"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due"),
            models.Index(fields=["customer", "created_at"], name="message_customer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="message_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_key} {self.channel} → {self.customer_id} ({self.status})"


class DeliveryEvent(models.Model):
    """What happened to a message, when: append-only history (queued, sent, failed, bounced)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    status = models.CharField(max_length=20)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.status}"
