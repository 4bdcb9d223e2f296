"""The audit trail in the admin: to look at, never to change (the table is append-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vorder.common.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "model", "object_repr", "creditor_id")
    list_filter = ("action", "model")
    search_fields = ("object_repr", "object_id", "actor")
    date_hierarchy = "at"
    show_full_result_count = False
    readonly_fields = (
        "at",
        "user",
        "actor",
        "creditor_id",
        "model",
        "object_id",
        "object_repr",
        "action",
        "changes",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
