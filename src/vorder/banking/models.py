"""Bank statements as the bank sent them: accounts, statements and their booked lines.

Amounts are integer minor units beside a currency, like the ledger. A statement line is stored
once, whatever statements it appears in: ``dedup_key`` is the stable identity of a booking
(account, booking date, amount and the bank's own reference; see ``parsers.base.dedup_key``), so
re-importing a file or an overlapping statement never books a line twice.

A credit line in the creditor's currency gets a ledger ``Payment`` (``payment``); the matching
service then fills ``status``, ``customer``, ``confidence``, ``explanation`` and ``suggestions``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vorder.ledger.models import Creditor, Customer, Payment


class BankAccount(models.Model):
    """One of the creditor's own accounts that statements are imported for."""

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="bank_accounts")
    iban = models.CharField(
        max_length=34,
        help_text=_("the IBAN, or the bank's own account number when the statement has no IBAN"),
    )
    bic = models.CharField(max_length=11, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["creditor", "iban"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "iban"], name="bank_account_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.iban} {self.currency}"


class StatementFormat(models.TextChoices):
    CAMT053 = "camt053", _("CAMT.053 (ISO 20022 XML)")
    MT940 = "mt940", _("MT940 (SWIFT)")
    CODA = "coda", _("CODA (Febelfin)")


class BankStatement(models.Model):
    """One statement of one account (a file may hold several)."""

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="statements")
    statement_id = models.CharField(
        max_length=140, help_text=_("the bank's id: CAMT Stmt/Id, MT940 :20:, CODA sequence")
    )
    sequence_number = models.CharField(
        max_length=40,
        blank=True,
        help_text=_("electronic sequence: CAMT ElctrncSeqNb, MT940 :28C:, CODA sequence"),
    )
    format = models.CharField(max_length=8, choices=StatementFormat.choices)
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    opening_balance_minor = models.BigIntegerField()
    opening_balance_date = models.DateField(null=True, blank=True)
    closing_balance_minor = models.BigIntegerField()
    closing_balance_date = models.DateField(null=True, blank=True)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    fingerprint = models.CharField(
        max_length=64, help_text=_("hash of the statement's identity: the same one is kept once")
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.CharField(max_length=150, help_text=_("user name, 'cli' or 'api'"))

    class Meta:
        ordering = ["account", "-period_to", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fingerprint"], name="bank_statement_unique"
            ),
        ]
        indexes = [models.Index(fields=["creditor", "imported_at"], name="statement_by_import")]

    def __str__(self) -> str:
        return f"{self.account.iban} {self.statement_id}"


class LineStatus(models.TextChoices):
    NEW = "new", _("New")
    MATCHED = "matched", _("Matched")
    PARTIALLY_MATCHED = "partially_matched", _("Partially matched")
    QUEUED = "queued", _("In the reconciliation queue")
    IGNORED = "ignored", _("Ignored")
    RETURNED = "returned", _("Returned or reversed")
    FOREIGN_CURRENCY = "foreign_currency", _("Foreign currency")


class StatementLine(models.Model):
    """One booking on the account; a batch entry is split into one line per transaction."""

    Status = LineStatus

    # No single-column indexes where a composite one below starts with the column: every index
    # costs each of the 100,000 lines of a big statement an insert and, when matched, another.
    creditor = models.ForeignKey(
        Creditor, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    sequence = models.PositiveIntegerField(help_text=_("position in the statement, from 1"))
    booking_date = models.DateField()
    value_date = models.DateField(null=True, blank=True)
    amount_minor = models.BigIntegerField(help_text=_("signed: credits positive, debits negative"))
    currency = models.CharField(max_length=3)
    original_amount_minor = models.BigIntegerField(
        null=True, blank=True, help_text=_("the amount as instructed, for foreign-currency lines")
    )
    original_currency = models.CharField(max_length=3, blank=True)
    charges_minor = models.BigIntegerField(
        null=True, blank=True, help_text=_("bank charges the bank reported on this booking")
    )
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_iban = models.CharField(max_length=34, blank=True)
    counterparty_bic = models.CharField(max_length=11, blank=True)
    remittance_info = models.TextField(blank=True, help_text=_("unstructured remittance text"))
    structured_reference = models.CharField(
        max_length=40, blank=True, help_text=_("RF, OGM/VCS or betalingskenmerk, normalised")
    )
    reference_style = models.CharField(max_length=3, blank=True, help_text=_("rf, ogm or nl"))
    end_to_end_id = models.CharField(max_length=140, blank=True)
    entry_reference = models.CharField(
        max_length=140, blank=True, help_text=_("the bank's own reference of the booking")
    )
    mandate_id = models.CharField(max_length=140, blank=True)
    bank_transaction_code = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("CAMT domain/family/subfamily, MT940 GVC or type, CODA code"),
    )
    is_return = models.BooleanField(default=False)
    is_reversal = models.BooleanField(default=False)
    return_reason = models.CharField(max_length=10, blank=True, help_text=_("e.g. AM04, MD06"))
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="returned_by",
        help_text=_("the earlier credit this return or reversal takes back"),
    )
    batch_reference = models.CharField(max_length=140, blank=True)
    batch_count = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("transactions in the batch entry this line came from")
    )
    batch_amount_minor = models.BigIntegerField(null=True, blank=True)
    dedup_key = models.CharField(max_length=64)  # unique: see Meta (no LIKE index)
    source_line = models.PositiveIntegerField(
        default=0, help_text=_("line in the file (XML or text) where the booking starts")
    )

    # -- matching (written by vorder.banking.matching) -----------------------------------------
    status = models.CharField(max_length=20, choices=LineStatus.choices, default=LineStatus.NEW)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("per mille: 0 (a guess) to 1000 (certain)")
    )
    explanation = models.TextField(blank=True)
    suggestions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["statement", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "sequence"], name="statement_line_sequence_unique"
            ),
            models.UniqueConstraint(fields=["dedup_key"], name="statement_line_dedup_unique"),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__lte=1000),
                name="statement_line_confidence_per_mille",
            ),
        ]
        indexes = [
            models.Index(fields=["creditor", "status"], name="line_by_status"),
            models.Index(fields=["creditor", "end_to_end_id"], name="line_by_end_to_end"),
            models.Index(fields=["account", "booking_date"], name="line_by_booking_date"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.sequence} {self.amount_minor} {self.currency}"
