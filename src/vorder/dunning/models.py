"""Credit policy (kredietbeleid), the daily run and what it decided.

A policy is a short ordered list of levels; rules assign policies to customers. The run keeps,
per invoice, which level it reached and when (``DunningItemState``): that is what makes a rerun
send nothing new, a catch-up send one step instead of a burst, and the legal steps provable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vorder.ledger.models import Creditor, Customer, Invoice


class Trigger(models.TextChoices):
    AFTER_DUE = "after_due", _("days after the due date")
    AFTER_PREVIOUS = "after_previous", _("days after the previous level")


class LevelChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    REGISTERED_LETTER = "registered_letter", _("Registered letter")
    SMS = "sms", _("SMS")
    PHONE_TASK = "phone_task", _("Phone call (collector task)")


class LegalStep(models.TextChoices):
    NONE = "", _("none")
    NL_FOURTEEN_DAY_LETTER = "nl_fourteen_day_letter", _("Dutch 14-day letter (art. 6:96 BW)")
    BE_FREE_REMINDER = "be_free_reminder", _("Belgian free first reminder (Book XIX WER)")
    NOTICE_OF_DEFAULT = "notice_of_default", _("Notice of default (ingebrekestelling)")


class AfterLast(models.TextChoices):
    HANDOVER_PROPOSAL = "handover_proposal", _("propose hand-over to a collection agency")
    COLLECTOR_TASK = "collector_task", _("give it to a collector")


class Policy(models.Model):
    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="policies")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    after_last = models.CharField(
        max_length=20, choices=AfterLast.choices, default=AfterLast.HANDOVER_PROPOSAL
    )
    after_last_days = models.PositiveIntegerField(
        default=14, help_text=_("days after the last level before the hand-over proposal")
    )
    min_overdue_minor = models.BigIntegerField(
        default=0, help_text=_("no message for less than this overdue (minor units)")
    )
    min_days_between_messages = models.PositiveIntegerField(default=7)
    promise_grace_days = models.PositiveIntegerField(default=3)
    arrangement_max_months = models.PositiveIntegerField(default=6)
    arrangement_min_instalment_minor = models.BigIntegerField(default=5000)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["creditor", "name"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["creditor", "code"], name="policy_code_unique"),
            models.CheckConstraint(
                condition=Q(min_overdue_minor__gte=0), name="policy_min_overdue"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PolicyLevel(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="levels")
    order = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.AFTER_DUE)
    days = models.IntegerField(help_text=_("negative with 'after due date': a pre-due notice"))
    channel = models.CharField(max_length=20, choices=LevelChannel.choices)
    template_key = models.CharField(max_length=60)
    add_interest = models.BooleanField(default=False)
    add_costs = models.BooleanField(default=False)
    min_overdue_minor = models.BigIntegerField(default=0)
    needs_approval = models.BooleanField(default=False)
    legal_step = models.CharField(max_length=30, choices=LegalStep.choices, blank=True, default="")

    class Meta:
        ordering = ["policy", "order"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="level_order_unique"),
            models.UniqueConstraint(fields=["policy", "key"], name="level_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.policy.name}: {self.order}. {self.name}"


class PolicyRule(models.Model):
    """Which policy a customer gets: the first matching rule by priority; blank fields match all."""

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="policy_rules")
    priority = models.PositiveIntegerField(default=100, help_text=_("lower goes first"))
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=3, choices=Customer.Kind.choices, blank=True)
    country = models.CharField(max_length=2, blank=True)
    segment = models.CharField(max_length=60, blank=True)
    tag = models.CharField(max_length=60, blank=True)
    risk_class = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["creditor", "priority", "id"]

    def __str__(self) -> str:
        return f"{self.priority}: {self.policy}"


class CustomerPolicy(models.Model):
    """A customer's own policy, overriding the rules."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="own_policy")
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.customer}: {self.policy}"


class DunningRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="dunning_runs")
    as_of = models.DateField()
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.CharField(max_length=150, default="system")
    totals = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.creditor.code} {self.as_of}"


class DunningDecision(models.Model):
    """What the run did for one customer, with its reasons: "why did they get this letter?"."""

    class Action(models.TextChoices):
        SEND = "send", _("message")
        CALL = "call", _("phone-call task")
        HANDOVER = "handover", _("hand-over proposal")

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("waiting for approval")
        DONE = "done", _("done")
        REJECTED = "rejected", _("rejected")

    run = models.ForeignKey(
        DunningRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="dunning_decisions"
    )
    as_of = models.DateField()
    action = models.CharField(max_length=10, choices=Action.choices)
    policy_code = models.CharField(max_length=40)
    level_key = models.CharField(max_length=40, blank=True)
    level_name = models.CharField(max_length=100, blank=True)
    level_number = models.PositiveSmallIntegerField(default=0)
    legal_step = models.CharField(max_length=30, blank=True)
    channel = models.CharField(max_length=20, blank=True)
    tone = models.CharField(max_length=10, blank=True)
    template_key = models.CharField(max_length=60, blank=True)
    items = models.JSONField(
        default=list, help_text=_("[{invoice_id, number, open, from, to, interest}]")
    )
    currency = models.CharField(max_length=3, default="EUR")
    overdue_minor = models.BigIntegerField(default=0)
    interest_minor = models.BigIntegerField(default=0)
    costs_minor = models.BigIntegerField(default=0)
    costs_vat_minor = models.BigIntegerField(default=0)
    reasons = models.JSONField(default=list, help_text=_("[{code, en, nl}]"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DONE)
    manual = models.BooleanField(
        default=False, help_text=_("'send a reminder now' from the customer page")
    )
    decided_by = models.CharField(max_length=150, default="system")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        "comms.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey(
        "cases.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        indexes = [models.Index(fields=["creditor", "status"], name="decision_status")]

    def __str__(self) -> str:
        return f"{self.as_of} {self.customer_id} {self.level_key or self.action}"


class DunningItemState(models.Model):
    """Where one invoice stands on its policy's ladder, and the legal steps it has had."""

    invoice = models.OneToOneField(
        Invoice, on_delete=models.CASCADE, primary_key=True, related_name="dunning_state"
    )
    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(default=0)
    last_step_on = models.DateField(null=True, blank=True)
    legal_step_on = models.DateField(null=True, blank=True)
    legal_step_channel = models.CharField(max_length=10, blank=True, help_text=_("email or post"))
    handover_proposed_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.invoice_id}: level {self.level}"
