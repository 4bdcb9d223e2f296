"""Interest and collection costs claimed from customers: claimed once, paid or written off.

Once a letter has claimed them they are owed in their own right: paying the invoice does not
make them go away, and only an explicit, audited write-off does (docs/ledger.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from vorder.common.audit import audit_bulk, audit_record
from vorder.common.models import AuditEntry
from vorder.ledger.models import Charge, Creditor


class ChargeError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ChargeClaim:
    customer_id: int
    kind: str  # Charge.Kind
    amount_minor: int
    vat_minor: int
    currency: str
    claimed_on: date
    reference: str  # unique per creditor; the same claim twice creates one charge
    invoice_id: int | None = None
    description: str = ""


def charges_claim(*, creditor: Creditor, claims: Sequence[ChargeClaim]) -> list[Charge]:
    """Book claimed interest and costs in bulk; a known reference creates nothing."""
    claims = [c for c in claims if c.amount_minor + c.vat_minor > 0]
    if not claims:
        return []
    for c in claims:
        if c.kind not in Charge.Kind.values:
            raise ChargeError(f"{c.reference}: unknown kind '{c.kind}'")
        if c.amount_minor < 0 or c.vat_minor < 0:
            raise ChargeError(f"{c.reference}: a claimed amount cannot be negative")
    with transaction.atomic():
        known = set(
            Charge.objects.filter(
                creditor=creditor, reference__in=[c.reference for c in claims]
            ).values_list("reference", flat=True)
        )
        new = [
            Charge(
                creditor=creditor,
                customer_id=c.customer_id,
                invoice_id=c.invoice_id,
                kind=c.kind,
                description=c.description,
                currency=c.currency,
                amount_minor=c.amount_minor,
                vat_minor=c.vat_minor,
                gross_minor=c.amount_minor + c.vat_minor,
                open_minor=c.amount_minor + c.vat_minor,
                claimed_on=c.claimed_on,
                reference=c.reference,
            )  # fmt: skip
            for c in claims
            if c.reference not in known
        ]
        created = Charge.objects.bulk_create(new, batch_size=5000)
        if created and created[0].pk is None:
            created = list(
                Charge.objects.filter(creditor=creditor, reference__in=[c.reference for c in new])
            )
        audit_bulk(
            AuditEntry.build(
                creditor_id=creditor.pk,
                obj=charge,
                action=AuditEntry.Action.CREATE,
                changes={"kind": [None, charge.kind], "gross_minor": [None, charge.gross_minor]},
            )  # fmt: skip
            for charge in created
        )
    return created


@transaction.atomic
def charge_write_off(*, charge: Charge, reason: str, as_of: date) -> Charge:
    """Give up (the rest of) a claimed charge: an explicit decision, with its reason audited."""
    reason = reason.strip()
    if not reason:
        raise ChargeError("say why the charge is written off")
    locked = Charge.objects.select_for_update().get(pk=charge.pk)
    if locked.status != Charge.Status.OPEN:
        raise ChargeError(f"{locked} is {locked.get_status_display().lower()}, not open")
    before = locked.open_minor
    locked.open_minor = 0
    locked.status = Charge.Status.WRITTEN_OFF
    locked.written_off_on = as_of
    locked.write_off_reason = reason[:300]
    locked.save(update_fields=["open_minor", "status", "written_off_on", "write_off_reason"])
    audit_record(
        creditor_id=locked.creditor_id, obj=locked, action=AuditEntry.Action.WRITE_OFF,
        changes={"open_minor": [before, 0], "reason": [None, reason]},
    )  # fmt: skip
    return locked
