"""The audit trail is append-only, and says who did what."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from vorder.common.audit import acting_as, audit_record, diff
from vorder.common.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_entry_names_the_actor_and_the_change(customer):
    with acting_as(user_id=None, name="cli"):
        audit_record(
            creditor_id=customer.creditor_id,
            obj=customer,
            action=AuditEntry.Action.UPDATE,
            changes=diff({"credit_limit_minor": 100}, {"credit_limit_minor": 500}),
        )
    entry = AuditEntry.objects.get()
    assert entry.actor == "cli"
    assert entry.model == "ledger.customer"
    assert entry.changes == {"credit_limit_minor": [100, 500]}


def test_entries_cannot_be_changed(customer):
    audit_record(creditor_id=None, obj=customer, action="create", changes={})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.update(actor="someone else")


def test_entries_cannot_be_deleted(customer):
    audit_record(creditor_id=None, obj=customer, action="create", changes={})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.all().delete()


def test_diff_keeps_only_what_changed():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}
    assert diff(None, {"a": 1}) == {"a": [None, 1]}
