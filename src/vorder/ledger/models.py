"""The receivables ledger.

Amounts are integer minor units (``*_minor``, cents for EUR) beside a ``currency`` column, so SQL
sums are exact on SQLite too. Open amounts (``open_minor``) are kept by the allocation services in
the same transaction as the allocation rows they derive from; check constraints make a negative
or over-allocated open amount impossible, and ``ledger_integrity_problems`` recomputes them from
the allocations to prove they agree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Country(models.TextChoices):
    NL = "NL", _("Netherlands")
    BE = "BE", _("Belgium")


class Language(models.TextChoices):
    NL = "nl", _("Dutch")
    EN = "en", _("English")
    FR = "fr", _("French")
    DE = "de", _("German")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone call")


class ReferenceStyle(models.TextChoices):
    RF = "rf", _("ISO 11649 RF reference")
    OGM = "ogm", _("Belgian structured communication (OGM/VCS)")
    NL = "nl", _("Dutch payment reference (betalingskenmerk)")


class Creditor(models.Model):
    """Our own legal entity. One installation serves several; every record belongs to one."""

    code = models.SlugField(
        max_length=40, unique=True, help_text=_("short name used in files and the API")
    )
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, choices=Country.choices)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    iban = models.CharField(max_length=34, blank=True)
    bic = models.CharField(max_length=11, blank=True)
    vat_number = models.CharField(max_length=20, blank=True)
    coc_number = models.CharField(
        max_length=20, blank=True, help_text=_("KvK (NL) or KBO/BCE (BE) number")
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=200, blank=True)
    letterhead = models.TextField(blank=True, help_text=_("text printed at the top of letters"))
    logo = models.FileField(upload_to="letterheads/", blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    default_payment_term_days = models.PositiveIntegerField(default=30)
    languages = models.JSONField(
        default=list, help_text=_("languages we write in, e.g. ['nl', 'en']")
    )
    reference_style = models.CharField(
        max_length=3, choices=ReferenceStyle.choices, default=ReferenceStyle.RF
    )
    vat_deductible = models.BooleanField(
        default=True, help_text=_("can we deduct VAT on collection costs?")
    )
    time_zone = models.CharField(max_length=40, default="Europe/Amsterdam")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    class Kind(models.TextChoices):
        B2B = "b2b", _("Business")
        B2C = "b2c", _("Consumer")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="customers")
    number = models.CharField(_("debtor number"), max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=3, choices=Kind.choices, default=Kind.B2B)
    coc_number = models.CharField(
        max_length=20, blank=True, help_text=_("KvK (NL) or KBO/BCE (BE)")
    )
    vat_number = models.CharField(max_length=20, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="NL")
    email = models.EmailField(blank=True, help_text=_("general address for invoices and reminders"))
    phone = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.NL)
    preferred_channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    payment_term_days = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("overrides the creditor's term")
    )
    credit_limit_minor = models.BigIntegerField(
        null=True, blank=True, help_text=_("minor units of the creditor's currency")
    )
    segment = models.CharField(max_length=60, blank=True)
    tags = models.JSONField(default=list, blank=True)
    on_hold = models.BooleanField(default=False, help_text=_("no dunning while on hold"))
    on_hold_reason = models.CharField(max_length=200, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    iban = models.CharField(
        max_length=34, blank=True, help_text=_("the account the customer pays from")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["creditor", "number"]
        indexes = [models.Index(fields=["creditor", "segment"], name="customer_segment")]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "number"], name="customer_number_unique"),
            models.CheckConstraint(
                condition=Q(credit_limit_minor__isnull=True) | Q(credit_limit_minor__gte=0),
                name="customer_credit_limit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class CustomerBankAccount(models.Model):
    """An account a customer pays from. Matching learns these: confirmed once, known next time."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="bank_accounts")
    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="+")
    iban = models.CharField(max_length=34)
    holder_name = models.CharField(max_length=200, blank=True)
    confirmed_on = models.DateField(
        help_text=_("when a person or a sure match tied it to the customer")
    )
    source = models.CharField(
        max_length=20, default="match", help_text=_("match, manual, mandate, import")
    )

    class Meta:
        ordering = ["customer", "iban"]
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "iban", "customer"], name="customer_iban_unique"
            ),
        ]
        indexes = [models.Index(fields=["creditor", "iban"], name="bank_account_by_iban")]

    def __str__(self) -> str:
        return f"{self.iban} ({self.customer_id})"


class Contact(models.Model):
    class Role(models.TextChoices):
        ACCOUNTS_PAYABLE = "accounts_payable", _("Accounts payable")
        FINANCE = "finance", _("Finance")
        OWNER = "owner", _("Owner / director")
        PURCHASING = "purchasing", _("Purchasing")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ACCOUNTS_PAYABLE)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["customer", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    # no single-column indexes: the composite ones below start with these columns, and every
    # index costs a million-invoice import dearly
    creditor = models.ForeignKey(
        Creditor, on_delete=models.PROTECT, related_name="invoices", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="invoices", db_index=False
    )
    number = models.CharField(max_length=40)
    issue_date = models.DateField()
    due_date = models.DateField()
    currency = models.CharField(max_length=3, default="EUR")
    net_minor = models.BigIntegerField(help_text=_("minor units"))
    vat_minor = models.BigIntegerField(default=0, help_text=_("minor units"))
    gross_minor = models.BigIntegerField(help_text=_("minor units; net + VAT"))
    open_minor = models.BigIntegerField(
        help_text=_("gross minus allocations, kept by the allocation services")
    )
    payment_reference = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    has_instalments = models.BooleanField(default=False)
    paid_on = models.DateField(
        null=True, blank=True, help_text=_("day the last allocation settled it")
    )
    days_late = models.IntegerField(
        null=True, blank=True, help_text=_("paid_on minus due date; the payment history")
    )
    description = models.CharField(max_length=300, blank=True)
    order_reference = models.CharField(
        max_length=100, blank=True, help_text=_("the customer's PO number")
    )
    document = models.FileField(upload_to="invoices/", blank=True)
    source = models.CharField(max_length=20, default="import")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "number"], name="invoice_number_unique"),
            models.CheckConstraint(condition=Q(gross_minor__gt=0), name="invoice_gross_positive"),
            models.CheckConstraint(
                condition=Q(gross_minor=F("net_minor") + F("vat_minor")),
                name="invoice_gross_is_net_plus_vat",
            ),
            models.CheckConstraint(
                condition=Q(open_minor__gte=0) & Q(open_minor__lte=F("gross_minor")),
                name="invoice_open_within_gross",
            ),
            models.CheckConstraint(
                condition=Q(status="open", open_minor__gt=0)
                | Q(status="paid", open_minor=0)
                | Q(status="cancelled"),
                name="invoice_status_matches_open",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("issue_date")), name="invoice_due_not_before_issue"
            ),
        ]
        indexes = [
            models.Index(fields=["creditor", "status", "due_date"], name="invoice_open_by_due"),
            # one customer's invoices (the customer page, its forms, promises, disputes): the
            # indexes below start with the creditor, which those queries do not name; without
            # it the customer page took a second on PostgreSQL at a million invoices (75 ms
            # with it), for about 3 s more per million invoices imported
            models.Index(fields=["customer"], name="invoice_per_customer"),
            # paid invoices only: an import of open invoices then skips this index altogether
            models.Index(
                fields=["customer", "paid_on"],
                name="invoice_paid_history",
                condition=Q(paid_on__isnull=False),
            ),
            # the worklist's overdue totals per customer, read from the index alone
            # (on PostgreSQL the aging report reads it alone too, thanks to the included columns)
            models.Index(
                fields=["creditor", "status", "customer", "due_date", "currency", "open_minor"],
                include=["has_instalments", "issue_date"],
                name="invoice_open_per_customer",
            ),
            # matching looks references up exactly (a plain btree: Django's db_index would add
            # a LIKE index on PostgreSQL that no query uses and every insert pays for)
            models.Index(fields=["payment_reference"], name="invoice_payment_reference"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceInstalment(models.Model):
    """One part of an invoice's instalment schedule: aging and dunning use its own due date.

    Payments on the invoice settle the parts in order of due date, so each part's open amount
    follows from the invoice's (kept by the same allocation service).
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount_minor = models.BigIntegerField()
    open_minor = models.BigIntegerField()

    class Meta:
        ordering = ["invoice", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "sequence"], name="instalment_sequence_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="instalment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(open_minor__gte=0) & Q(open_minor__lte=F("amount_minor")),
                name="instalment_open_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["due_date"], name="instalment_due")]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.sequence}"


class CreditNote(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SETTLED = "settled", _("Settled")
        CANCELLED = "cancelled", _("Cancelled")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="credit_notes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=40)
    issue_date = models.DateField()
    currency = models.CharField(max_length=3, default="EUR")
    net_minor = models.BigIntegerField()
    vat_minor = models.BigIntegerField(default=0)
    gross_minor = models.BigIntegerField(help_text=_("positive: the amount credited"))
    open_minor = models.BigIntegerField(help_text=_("credit not yet allocated to invoices"))
    original_invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    description = models.CharField(max_length=300, blank=True)
    document = models.FileField(upload_to="credit_notes/", blank=True)
    source = models.CharField(max_length=20, default="import")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["issue_date", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "number"], name="credit_note_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(gross_minor__gt=0), name="credit_note_gross_positive"
            ),
            models.CheckConstraint(
                condition=Q(gross_minor=F("net_minor") + F("vat_minor")),
                name="credit_note_gross_is_net_plus_vat",
            ),
            models.CheckConstraint(
                condition=Q(open_minor__gte=0) & Q(open_minor__lte=F("gross_minor")),
                name="credit_note_open_within_gross",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    class Source(models.TextChoices):
        IMPORT = "import", _("File import")
        API = "api", _("API")
        BANK = "bank", _("Bank statement")
        PROVIDER = "provider", _("Payment provider")
        MANUAL = "manual", _("Entered by hand")
        DEMO = "demo", _("Demo data")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="payments")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    number = models.CharField(
        max_length=60, help_text=_("unique per creditor: bank transaction id or your own")
    )
    date = models.DateField()
    currency = models.CharField(max_length=3, default="EUR")
    amount_minor = models.BigIntegerField()
    unallocated_minor = models.BigIntegerField(
        help_text=_("part not yet allocated: credit on account")
    )
    payer_name = models.CharField(max_length=200, blank=True)
    payer_iban = models.CharField(max_length=34, blank=True)
    reference = models.CharField(max_length=140, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.IMPORT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "number"], name="payment_number_unique"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(unallocated_minor__gte=0) & Q(unallocated_minor__lte=F("amount_minor")),
                name="payment_unallocated_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Charge(models.Model):
    """Interest or collection costs claimed from a customer (by a dunning letter).

    A claim of its own: once claimed it stays due after the invoice is paid, shows on the
    statement of account, and leaves the books only by payment or an audited write-off.
    """

    class Kind(models.TextChoices):
        INTEREST = "interest", _("Interest")
        COSTS = "costs", _("Collection costs")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        WRITTEN_OFF = "written_off", _("Written off")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="charges")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="charges")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="charges"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=300, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    amount_minor = models.BigIntegerField(help_text=_("excluding VAT"))
    vat_minor = models.BigIntegerField(default=0)
    gross_minor = models.BigIntegerField()
    open_minor = models.BigIntegerField()
    claimed_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    reference = models.CharField(
        max_length=120, help_text=_("unique per creditor: what claimed it")
    )
    written_off_on = models.DateField(null=True, blank=True)
    write_off_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claimed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "reference"], name="charge_reference_unique"
            ),
            models.CheckConstraint(condition=Q(gross_minor__gt=0), name="charge_gross_positive"),
            models.CheckConstraint(
                condition=Q(gross_minor=F("amount_minor") + F("vat_minor")),
                name="charge_gross_is_amount_plus_vat",
            ),
            models.CheckConstraint(
                condition=Q(open_minor__gte=0) & Q(open_minor__lte=F("gross_minor")),
                name="charge_open_within_gross",
            ),
            models.CheckConstraint(
                condition=Q(status="open", open_minor__gt=0)
                | Q(status="paid", open_minor=0)
                | Q(status="written_off", open_minor=0),
                name="charge_status_matches_open",
            ),
        ]
        indexes = [models.Index(fields=["customer", "status"], name="charge_customer_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"


class Allocation(models.Model):
    """A payment or a credit note settling (part of) an invoice or a charge: afletteren."""

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    charge = models.ForeignKey(
        Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    date = models.DateField(help_text=_("the day the money counts as received"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["date"], name="allocation_by_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="allocation_amount_positive"
            ),
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(credit_note__isnull=True))
                | (Q(payment__isnull=True) & Q(credit_note__isnull=False)),
                name="allocation_has_one_source",
            ),
            models.CheckConstraint(
                condition=(Q(invoice__isnull=False) & Q(charge__isnull=True))
                | (Q(invoice__isnull=True) & Q(charge__isnull=False)),
                name="allocation_has_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor} → {self.invoice_id or f'charge {self.charge_id}'}"


class ApiToken(models.Model):
    """A secret that lets an integrator act for one creditor through the REST API.

    Only a SHA-256 hash of the token is stored; the token itself is shown once when created.
    """

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text=_("first characters, to recognise a token"))
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
