"""SEPA direct debit: the creditor's identifier, mandates, collection batches and collections.

Amounts are integer minor units (cents) beside a currency, like the ledger's. The database makes
the important promises itself: one mandate id per creditor, at most one active mandate per
customer, and at most one *pending* collection per invoice (so a second run for the same date
cannot collect an invoice twice, whatever the code above it does).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vorder.ledger.models import Creditor, Customer, Invoice, Payment


class SequenceType(models.TextChoices):
    FIRST = "FRST", _("First of a series")
    RECURRING = "RCUR", _("Recurring")
    ONE_OFF = "OOFF", _("One-off")
    FINAL = "FNAL", _("Final of a series")


class Scheme(models.TextChoices):
    CORE = "CORE", _("SEPA Core (consumers and businesses)")
    B2B = "B2B", _("SEPA Business-to-Business")


class CreditorSepaSettings(models.Model):
    """What a creditor needs to collect by direct debit: its SEPA creditor identifier."""

    creditor = models.OneToOneField(
        Creditor, on_delete=models.CASCADE, related_name="sepa_settings"
    )
    creditor_identifier = models.CharField(
        max_length=35,
        help_text=_("SEPA creditor identifier (incassant-ID), e.g. NL08ZZZ502057730000"),
    )
    collection_lead_days = models.PositiveSmallIntegerField(
        default=1,
        help_text=_("TARGET2 business days between submitting a file and its collection date"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "creditor SEPA settings"

    def __str__(self) -> str:
        return f"{self.creditor_id}: {self.creditor_identifier}"


class Mandate(models.Model):
    """The customer's signed permission to collect from their account.

    Machtiging (NL), domiciliëring (BE).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired (unused for 36 months)")
        COMPLETED = "completed", _("Completed (one-off or final collection sent)")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="mandates")
    mandate_id = models.CharField(max_length=35, help_text=_("unique per creditor"))
    signed_on = models.DateField()
    sequence_type = models.CharField(
        max_length=4,
        choices=SequenceType.choices,
        default=SequenceType.FIRST,
        help_text=_("FRST until the first collection is sent, then RCUR; OOFF for one-off"),
    )
    scheme = models.CharField(max_length=4, choices=Scheme.choices, default=Scheme.CORE)
    debtor_name = models.CharField(max_length=70)
    debtor_iban = models.CharField(max_length=34)
    debtor_bic = models.CharField(max_length=11, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    last_collection_on = models.DateField(null=True, blank=True)
    revoked_on = models.DateField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=200, blank=True)
    # Amendment: what the mandate was before its id or the debtor's account changed. The next
    # collection tells the debtor's bank (AmdmntInd) and then the flag is cleared.
    amendment_pending = models.BooleanField(default=False)
    original_mandate_id = models.CharField(max_length=35, blank=True)
    original_debtor_iban = models.CharField(max_length=34, blank=True)
    # The last return: the workspace shows customers whose collections come back.
    returned_on = models.DateField(null=True, blank=True)
    return_reason = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["creditor", "mandate_id"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "mandate_id"], name="mandate_id_unique"),
            models.UniqueConstraint(
                fields=["creditor", "customer"],
                condition=Q(status="active"),
                name="mandate_one_active_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(sequence_type__in=["FRST", "RCUR", "OOFF", "FNAL"]),
                name="mandate_sequence_type_known",
            ),
            models.CheckConstraint(
                condition=Q(scheme__in=["CORE", "B2B"]), name="mandate_scheme_known"
            ),
        ]
        indexes = [models.Index(fields=["creditor", "status"], name="mandate_by_status")]

    def __str__(self) -> str:
        return self.mandate_id


class DirectDebitBatch(models.Model):
    """One pain.008 file: the collections sent to the bank for one collection date."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        SUBMITTED = "submitted", _("Submitted to the bank")
        SETTLED = "settled", _("Settled (credited by the bank)")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    message_id = models.CharField(max_length=35, unique=True)
    collection_date = models.DateField()
    submitted_on = models.DateField(help_text=_("the day the file was made for the bank (as-of)"))
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="directdebit/", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED)
    settled_on = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    transactions = models.PositiveIntegerField(help_text=_("NbOfTxs"))
    total_minor = models.BigIntegerField(help_text=_("CtrlSum in minor units"))

    class Meta:
        ordering = ["-collection_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_minor__gt=0), name="dd_batch_total_positive"),
        ]

    def __str__(self) -> str:
        return self.message_id


class DirectDebitCollection(models.Model):
    """One invoice (or its due instalments) collected under one mandate."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        COLLECTED = "collected", _("Collected")
        RETURNED = "returned", _("Returned")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(
        DirectDebitBatch, on_delete=models.PROTECT, related_name="collections"
    )
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="collections")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="EUR")
    end_to_end_id = models.CharField(max_length=35, unique=True)
    sequence_type = models.CharField(max_length=4, choices=SequenceType.choices)
    remittance = models.CharField(
        max_length=140, help_text=_("the structured reference or text the debtor sees")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("the payment booked when the batch settled"),
    )
    collected_on = models.DateField(null=True, blank=True)
    returned_on = models.DateField(null=True, blank=True)
    return_reason = models.CharField(max_length=4, blank=True)

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="pending"),
                name="dd_one_pending_collection_per_invoice",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="dd_collection_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["creditor", "status", "returned_on"], name="dd_collection_status")
        ]

    def __str__(self) -> str:
        return self.end_to_end_id
