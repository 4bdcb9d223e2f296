"""Changes to a customer's standing that staff make by hand: on hold and released.

A customer on hold gets no dunning until released (a dispute about the whole account, a
bankruptcy filing, a key account handled by the account manager). Who did it and why is audited.
"""

from __future__ import annotations

from django.db import transaction

from vorder.common.audit import audit_record, diff
from vorder.ledger.models import Channel, Contact, Customer


class CustomerHoldError(ValueError):
    """The hold cannot be set as asked; the message says why."""


@transaction.atomic
def customer_hold(*, customer: Customer, reason: str) -> Customer:
    """Put the customer on hold with a reason (required: the next person needs to know why)."""
    reason = reason.strip()
    if not reason:
        raise CustomerHoldError("say why the customer goes on hold")
    return _set_hold(customer=customer, on_hold=True, reason=reason[:200])


@transaction.atomic
def customer_release(*, customer: Customer) -> Customer:
    """Lift the hold: dunning picks the customer up again on its next run."""
    return _set_hold(customer=customer, on_hold=False, reason="")


def _set_hold(*, customer: Customer, on_hold: bool, reason: str) -> Customer:
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    before = {"on_hold": locked.on_hold, "on_hold_reason": locked.on_hold_reason}
    after = {"on_hold": on_hold, "on_hold_reason": reason}
    changes = diff(before, after)
    if changes:
        locked.on_hold, locked.on_hold_reason = on_hold, reason
        locked.save(update_fields=["on_hold", "on_hold_reason", "updated_at"])
        audit_record(creditor_id=locked.creditor_id, obj=locked, action="update", changes=changes)
    return locked


class ContactPreferencesError(ValueError):
    """The contact details cannot be changed as asked; the message says why."""


@transaction.atomic
def customer_contact_preferences_update(
    *,
    customer: Customer,
    preferred_channel: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    contact: Contact | None = None,
    contact_preferred_channel: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
    contact_active: bool | None = None,
) -> Customer:
    """Change how we reach the customer (channel, general email and phone) and/or one contact's
    details, as a collector hears them on the phone. None leaves a field as it is; every change
    is audited, because the next letter goes where this says."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    channels = set(Channel.values)
    if preferred_channel is not None and preferred_channel not in channels:
        raise ContactPreferencesError(f"unknown channel '{preferred_channel}'")
    if contact_preferred_channel and contact_preferred_channel not in channels:
        raise ContactPreferencesError(f"unknown channel '{contact_preferred_channel}'")
    wanted = {
        k: v.strip() if isinstance(v, str) else v
        for k, v in (("preferred_channel", preferred_channel), ("email", email), ("phone", phone))
        if v is not None
    }
    changes = diff({k: getattr(locked, k) for k in wanted}, wanted)
    if changes:
        for key, value in wanted.items():
            setattr(locked, key, value)
        locked.save(update_fields=[*wanted, "updated_at"])
        audit_record(creditor_id=locked.creditor_id, obj=locked, action="update", changes=changes)
    if contact is not None:
        if contact.customer_id != locked.pk:
            raise ContactPreferencesError(f"{contact.name} is not a contact of {locked.name}")
        person = Contact.objects.select_for_update().get(pk=contact.pk)
        asked = {
            k: v.strip() if isinstance(v, str) else v
            for k, v in (
                ("preferred_channel", contact_preferred_channel),
                ("email", contact_email),
                ("phone", contact_phone),
                ("is_active", contact_active),
            )
            if v is not None
        }
        contact_changes = diff({k: getattr(person, k) for k in asked}, asked)
        if contact_changes:
            for key, value in asked.items():
                setattr(person, key, value)
            person.save(update_fields=list(asked))
            audit_record(
                creditor_id=locked.creditor_id,
                obj=person,
                action="update",
                changes=contact_changes,
            )
    return locked
