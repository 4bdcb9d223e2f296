"""Changes to a customer's standing that staff make by hand: on hold and released.

A customer on hold gets no dunning until released (a dispute about the whole account, a
bankruptcy filing, a key account handled by the account manager). Who did it and why is audited.
"""

from __future__ import annotations

from django.db import transaction

from vorder.common.audit import audit_record, diff
from vorder.ledger.models import Customer


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
