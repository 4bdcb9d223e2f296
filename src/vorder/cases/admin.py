"""Read-only Django admin for cases: to look things up, never to change them.

Promises, arrangements, disputes, calls and tasks change only through ``vorder.cases.services``
(which check the rules, write the audit trail and queue the messages); the workspace is where
collectors act on them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vorder.cases.models import CallLog, Dispute, PaymentArrangement, PromiseToPay, Task


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PromiseToPay)
class PromiseAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "amount_minor", "currency", "promised_date", "status")
    list_filter = ("status",)
    search_fields = ("customer__number", "customer__name")
    raw_id_fields = ("customer",)


@admin.register(PaymentArrangement)
class ArrangementAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "total_minor", "currency", "starts_on", "status")
    list_filter = ("status", "interest_costs")
    search_fields = ("customer__number", "customer__name")
    raw_id_fields = ("customer",)


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "reason", "opened_on", "decision_due", "status")
    list_filter = ("status", "reason")
    search_fields = ("customer__number", "customer__name")
    raw_id_fields = ("customer",)


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "kind", "due_date", "assigned_to", "status")
    list_filter = ("status", "kind")
    search_fields = ("customer__number", "customer__name", "reason")
    raw_id_fields = ("customer",)


@admin.register(CallLog)
class CallLogAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer", "at", "user", "outcome")
    list_filter = ("outcome",)
    search_fields = ("customer__number", "customer__name")
    raw_id_fields = ("customer",)
