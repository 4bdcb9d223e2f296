"""What collectors agree with debtors, and what vorder then watches by itself.

A promise to pay, a payment arrangement and a dispute each cover some invoices of one customer;
while they hold, dunning leaves those invoices alone (see ``selectors.dunning_holds``). Whether a
promise or an arrangement is kept is *derived* from ledger allocations (``vorder.domain.cases``);
the ``status`` columns only record the outcome once it is decided, so the daily evaluation acts
on it exactly once. Amounts are integer minor units beside a currency, like the ledger.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vorder.ledger.models import Contact, CreditNote, Creditor, Customer, Invoice

DEFAULT_GRACE_DAYS = 3


class ContactChannel(models.TextChoices):
    """How the debtor told us: where the promise or arrangement was made."""

    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    PORTAL = "portal", _("Debtor portal")
    IN_PERSON = "in_person", _("In person")
    SMS = "sms", _("SMS")


class PromiseToPay(models.Model):
    """Betaalbelofte: the debtor will pay ``amount`` on ``promised_date`` for these invoices."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        KEPT = "kept", _("Kept")
        BROKEN = "broken", _("Broken")
        CANCELLED = "cancelled", _("Cancelled")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="promises")
    invoices = models.ManyToManyField(Invoice, related_name="promises")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    made_on = models.DateField(help_text=_("the day the promise was made: payments count from it"))
    promised_date = models.DateField()
    grace_days = models.PositiveSmallIntegerField(default=DEFAULT_GRACE_DAYS)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(
        max_length=10, choices=ContactChannel.choices, default=ContactChannel.PHONE
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    kept_on = models.DateField(null=True, blank=True)
    broken_on = models.DateField(null=True, blank=True)
    cancelled_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-made_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(
                condition=Q(promised_date__gte=models.F("made_on")),
                name="promise_date_not_before_made",
            ),
            models.CheckConstraint(
                condition=Q(status="kept", kept_on__isnull=False) | ~Q(status="kept"),
                name="promise_kept_has_date",
            ),
            models.CheckConstraint(
                condition=Q(status="broken", broken_on__isnull=False) | ~Q(status="broken"),
                name="promise_broken_has_date",
            ),
        ]
        indexes = [models.Index(fields=["creditor", "status"], name="promise_creditor_status")]

    def __str__(self) -> str:
        return f"promise #{self.pk} {self.promised_date}"


class PaymentArrangement(models.Model):
    """Betalingsregeling: the covered invoices are paid off in instalments.

    ``interest_costs`` says what happens to statutory interest and collection costs:

    - ``frozen``: they stop growing on the day the arrangement is agreed; what was claimed stays
      due and is settled after the last instalment (or claimed again if it breaks);
    - ``included``: what was claimed is added to the total and spread over the instalments
      (``interest_costs_minor`` holds that part);
    - ``waived``: they are forgiven when the arrangement is completed; if it breaks they revive.

    The policy's limits live in dunning; the caller passes them in (``ArrangementLimits``).
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        BROKEN = "broken", _("Broken")
        CANCELLED = "cancelled", _("Cancelled")

    class InterestCosts(models.TextChoices):
        FROZEN = "frozen", _("Frozen at the day of agreement")
        INCLUDED = "included", _("Included in the instalments")
        WAIVED = "waived", _("Waived when completed")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="arrangements")
    invoices = models.ManyToManyField(Invoice, related_name="arrangements")
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField(help_text=_("the instalments (and down payment) together"))
    down_payment_minor = models.BigIntegerField(default=0)
    interest_costs = models.CharField(
        max_length=10, choices=InterestCosts.choices, default=InterestCosts.FROZEN
    )
    interest_costs_minor = models.BigIntegerField(
        default=0, help_text=_("claimed interest and costs inside the total")
    )
    starts_on = models.DateField(
        help_text=_("payments on the covered invoices count from this day")
    )
    grace_days = models.PositiveSmallIntegerField(default=DEFAULT_GRACE_DAYS)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    beyond_limits = models.TextField(
        blank=True, help_text=_("why it needs a credit manager's approval")
    )
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agreed_on = models.DateField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_on = models.DateField(null=True, blank=True)
    first_missed_on = models.DateField(null=True, blank=True)
    missed_instalment = models.PositiveSmallIntegerField(null=True, blank=True)
    reminder_requested_on = models.DateField(
        null=True, blank=True, help_text=_("the one reminder after the first miss")
    )
    confirmation_requested_on = models.DateField(null=True, blank=True)
    confirmation_pending = models.BooleanField(
        default=False, help_text=_("the written confirmation still has to be sent by the caller")
    )
    completed_on = models.DateField(null=True, blank=True)
    broken_on = models.DateField(null=True, blank=True)
    cancelled_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_minor__gt=0), name="arrangement_total_positive"
            ),
            models.CheckConstraint(
                condition=Q(down_payment_minor__gte=0)
                & Q(down_payment_minor__lt=models.F("total_minor")),
                name="arrangement_down_payment_within_total",
            ),
            models.CheckConstraint(
                condition=Q(interest_costs_minor__gte=0), name="arrangement_interest_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status="broken", broken_on__isnull=False) | ~Q(status="broken"),
                name="arrangement_broken_has_date",
            ),
        ]
        indexes = [models.Index(fields=["creditor", "status"], name="arrangement_creditor_status")]

    def __str__(self) -> str:
        return f"arrangement #{self.pk}"


class ArrangementInstalment(models.Model):
    """One instalment; sequence 0 is the down payment."""

    arrangement = models.ForeignKey(
        PaymentArrangement, on_delete=models.CASCADE, related_name="instalments"
    )
    sequence = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["arrangement", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["arrangement", "sequence"], name="arrangement_instalment_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="arrangement_instalment_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arrangement_id}/{self.sequence}"


class Dispute(models.Model):
    """Geschil: the debtor contests these invoices; dunning leaves them alone until decided."""

    class Reason(models.TextChoices):
        GOODS_OR_SERVICE = "goods_or_service", _("Goods or service not satisfactory")
        NOT_RECEIVED = "not_received", _("Not received")
        PRICE = "price", _("Price")
        ALREADY_PAID = "already_paid", _("Already paid")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED_CREDIT_NOTE = "resolved_credit_note", _("Resolved with a credit note")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="disputes")
    invoices = models.ManyToManyField(Invoice, related_name="disputes")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_on = models.DateField()
    decision_due = models.DateField()
    status = models.CharField(max_length=25, choices=Status.choices, default=Status.OPEN)
    resolved_on = models.DateField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_message_pending = models.BooleanField(
        default=False,
        help_text=_("dunning still has to tell the debtor why the dispute was rejected"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", resolved_on__isnull=True)
                | (~Q(status="open") & Q(resolved_on__isnull=False)),
                name="dispute_resolved_has_date",
            ),
            models.CheckConstraint(
                condition=Q(status="resolved_credit_note", credit_note__isnull=False)
                | ~Q(status="resolved_credit_note"),
                name="dispute_credit_note_named",
            ),
        ]
        indexes = [models.Index(fields=["creditor", "status"], name="dispute_creditor_status")]

    def __str__(self) -> str:
        return f"dispute #{self.pk} ({self.get_reason_display()})"


class Task(models.Model):
    """Something a collector must do, on a day. Automatic tasks carry an idempotency key so a
    rerun of the daily evaluation never creates the same task twice."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        PROMISE_BROKEN = "promise_broken", _("Promise broken")
        ARRANGEMENT_MISSED = "arrangement_missed", _("Arrangement instalment missed")
        APPROVAL = "approval", _("Approval needed")
        HANDOVER_PROPOSAL = "handover_proposal", _("Hand-over proposal")
        FOLLOW_UP = "follow_up", _("Follow-up")
        DISPUTE_DECISION = "dispute_decision", _("Dispute decision")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tasks")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.CharField(max_length=500)
    due_date = models.DateField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promise = models.ForeignKey(
        PromiseToPay, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    arrangement = models.ForeignKey(
        PaymentArrangement, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    dispute = models.ForeignKey(
        Dispute, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["creditor", "status", "due_date"], name="task_open_by_due"),
            models.Index(fields=["assigned_to", "status", "due_date"], name="task_assignee_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason}"


class CallLog(models.Model):
    """One phone call with a debtor and the answers to the questions that matter."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        VOICEMAIL = "voicemail", _("Voicemail")
        CALLBACK_REQUESTED = "callback_requested", _("Callback requested")

    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        UNKNOWN = "unknown", _("Unknown")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="calls")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    satisfied = models.CharField(
        _("satisfied with the goods or service?"),
        max_length=10,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    satisfied_note = models.TextField(blank=True)
    payment_intent = models.TextField(_("when and how will you pay?"), blank=True)
    obstacles = models.TextField(_("anything else in the way?"), blank=True)
    right_contact = models.CharField(
        _("is this the right contact?"),
        max_length=10,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    new_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    promise = models.ForeignKey(
        PromiseToPay, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    dispute = models.ForeignKey(
        Dispute, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    follow_up = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "at"], name="call_customer_at")]

    def __str__(self) -> str:
        return f"call {self.at:%Y-%m-%d %H:%M} {self.get_outcome_display()}"
