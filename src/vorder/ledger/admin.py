"""Django admin for the ledger's master data.

Creditors, customers and contacts are master data and editable here. Money is not: invoices,
credit notes, payments and allocations change only through imports, the API and the allocation
services, which keep open amounts consistent and write the audit trail. Their amount fields are
therefore read-only in the admin, and they cannot be added or deleted here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vorder.common.money import fmt
from vorder.ledger.models import (
    Allocation,
    ApiToken,
    Contact,
    CreditNote,
    Creditor,
    Customer,
    Invoice,
    InvoiceInstalment,
    Payment,
)
from vorder.ledger.services.tokens import api_token_revoke

MONEY_HELP = _(
    "Amounts are read-only here: they change only through imports, the API and the allocation "
    "services, so open amounts stay correct and every change is in the audit trail."
)


class MoneyReadOnlyAdmin(admin.ModelAdmin):
    """Shows money records and lets staff fix descriptive fields, never amounts."""

    money_fields: tuple[str, ...] = ()
    show_full_result_count = False  # counting a million rows on every list page is slow

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), *self.money_fields)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _amount(field: str, description: Any) -> Any:
    @admin.display(description=description, ordering=field)
    def show(model_admin: admin.ModelAdmin, obj: Any) -> str:
        return f"{obj.currency} {fmt(getattr(obj, field), obj.currency)}"

    return show


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "role", "email", "phone", "preferred_channel", "language", "is_active")


@admin.register(Creditor)
class CreditorAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "country",
        "currency",
        "reference_style",
        "default_payment_term_days",
    )
    search_fields = ("code", "name", "vat_number", "coc_number")
    list_filter = ("country",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "creditor", "kind", "city", "language", "on_hold")
    list_filter = ("creditor", "kind", "language", "on_hold")
    search_fields = ("number", "name", "city", "email", "vat_number", "coc_number")
    list_select_related = ("creditor",)
    raw_id_fields = ("account_manager",)
    show_full_result_count = False
    inlines = [ContactInline]
    fieldsets = (
        (None, {"fields": ("creditor", "number", "name", "kind", "segment", "tags")}),
        (_("Registration"), {"fields": ("coc_number", "vat_number")}),
        (
            _("Address and contact"),
            {
                "fields": (
                    "address_line1",
                    "address_line2",
                    "postal_code",
                    "city",
                    "country",
                    "email",
                    "phone",
                    "iban",
                )
            },
        ),
        (_("Preferences"), {"fields": ("language", "preferred_channel", "account_manager")}),
        (
            _("Credit and hold"),
            {
                "fields": ("payment_term_days", "credit_limit_minor", "on_hold", "on_hold_reason"),
                "description": _(
                    "The credit limit is in minor units (cents) of the creditor's currency."
                ),
            },
        ),
    )


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "role", "email", "phone", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("name", "email", "phone", "customer__name", "customer__number")
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)


class InstalmentInline(admin.TabularInline):
    model = InvoiceInstalment
    extra = 0
    fields = ("sequence", "due_date", "amount_minor", "open_minor")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(MoneyReadOnlyAdmin):
    list_display = ("number", "customer", "issue_date", "due_date", "gross", "open", "status")
    list_filter = ("status", "creditor", "currency", "has_instalments")
    search_fields = ("number", "payment_reference", "customer__name", "customer__number")
    list_select_related = ("customer",)
    date_hierarchy = "due_date"
    raw_id_fields = ("customer",)
    inlines = [InstalmentInline]
    money_fields = (
        "creditor",
        "customer",
        "number",
        "issue_date",
        "due_date",
        "currency",
        "net_minor",
        "vat_minor",
        "gross_minor",
        "open_minor",
        "payment_reference",
        "status",
        "has_instalments",
        "source",
    )
    fieldsets = (
        (_("Amounts (read-only)"), {"fields": money_fields, "description": MONEY_HELP}),
        (_("Description"), {"fields": ("description", "order_reference", "document")}),
    )
    gross = _amount("gross_minor", _("gross"))
    open = _amount("open_minor", _("open"))


@admin.register(CreditNote)
class CreditNoteAdmin(MoneyReadOnlyAdmin):
    list_display = ("number", "customer", "issue_date", "gross", "open", "status")
    list_filter = ("status", "creditor", "currency")
    search_fields = ("number", "customer__name", "customer__number")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "original_invoice")
    money_fields = (
        "creditor",
        "customer",
        "number",
        "issue_date",
        "currency",
        "net_minor",
        "vat_minor",
        "gross_minor",
        "open_minor",
        "original_invoice",
        "status",
        "source",
    )
    fieldsets = (
        (_("Amounts (read-only)"), {"fields": money_fields, "description": MONEY_HELP}),
        (_("Description"), {"fields": ("description", "document")}),
    )
    gross = _amount("gross_minor", _("gross"))
    open = _amount("open_minor", _("open"))


@admin.register(Payment)
class PaymentAdmin(MoneyReadOnlyAdmin):
    list_display = ("number", "date", "customer", "amount", "unallocated", "payer_name", "source")
    list_filter = ("source", "creditor", "currency")
    search_fields = ("number", "reference", "payer_name", "payer_iban", "customer__name")
    list_select_related = ("customer",)
    date_hierarchy = "date"
    raw_id_fields = ("customer",)
    money_fields = (
        "creditor",
        "customer",
        "number",
        "date",
        "currency",
        "amount_minor",
        "unallocated_minor",
        "payer_name",
        "payer_iban",
        "reference",
        "source",
    )
    fieldsets = ((_("Payment (read-only)"), {"fields": money_fields, "description": MONEY_HELP}),)
    amount = _amount("amount_minor", _("amount"))
    unallocated = _amount("unallocated_minor", _("unallocated"))


@admin.register(Allocation)
class AllocationAdmin(MoneyReadOnlyAdmin):
    list_display = ("date", "invoice", "payment", "credit_note", "amount")
    list_filter = ("creditor", "currency")
    search_fields = ("invoice__number", "payment__number", "credit_note__number")
    list_select_related = ("invoice", "payment", "credit_note")
    date_hierarchy = "date"
    money_fields = (
        "creditor",
        "invoice",
        "payment",
        "credit_note",
        "amount_minor",
        "currency",
        "date",
        "created_at",
    )
    fieldsets = (
        (_("Allocation (read-only)"), {"fields": money_fields, "description": MONEY_HELP}),
    )
    amount = _amount("amount_minor", _("amount"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `vorder apitoken create` (the secret is shown once); here they can
    be looked at and revoked."""

    list_display = ("name", "creditor", "prefix", "created_at", "last_used_at", "revoked")
    list_filter = ("creditor", "revoked")
    search_fields = ("name", "prefix")
    readonly_fields = ("creditor", "name", "prefix", "created_at", "last_used_at", "revoked")
    exclude = ("key_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("ledger.change_apitoken"))

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = [api_token_revoke(token=token) for token in queryset if not token.revoked]
        self.message_user(
            request, _("%(count)d token(s) revoked.") % {"count": len(revoked)}, messages.SUCCESS
        )
