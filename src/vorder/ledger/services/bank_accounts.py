"""The accounts customers pay from, learned by matching and confirmed by people."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import F

from vorder.common.audit import audit_bulk
from vorder.common.db import AnyOf, create_objects, key_chunk
from vorder.common.models import AuditEntry
from vorder.ledger.models import Creditor, CustomerBankAccount
from vorder.ledger.records import normalise_iban


@dataclass(frozen=True, slots=True)
class BankAccountLink:
    customer_id: int
    iban: str
    on: date
    holder_name: str = ""
    source: str = "match"


@transaction.atomic
def customer_bank_accounts_confirm(
    *, creditor: Creditor, links: Sequence[BankAccountLink]
) -> list[CustomerBankAccount]:
    """Tie payer IBANs to customers (bulk, idempotent): the next payment from it is known."""
    wanted: dict[tuple[str, int], BankAccountLink] = {}
    for link in links:
        try:
            iban = normalise_iban(link.iban)
        except ValueError:
            continue  # a malformed payer account in a bank file teaches nothing
        wanted[(iban, link.customer_id)] = link
    if not wanted:
        return []
    ibans = sorted({iban for iban, _ in wanted})
    known: set[tuple[str, int]] = set()
    for start in range(0, len(ibans), key_chunk()):
        known.update(
            CustomerBankAccount.objects.filter(
                AnyOf(F("iban"), ibans[start : start + key_chunk()]), creditor=creditor
            ).values_list("iban", "customer_id")
        )
    new = [
        CustomerBankAccount(
            creditor_id=creditor.pk,
            customer_id=customer_id,
            iban=iban,
            holder_name=link.holder_name[:200],
            confirmed_on=link.on,
            source=link.source,
        )  # fmt: skip
        for (iban, customer_id), link in wanted.items()
        if (iban, customer_id) not in known
    ]
    create_objects(new)
    audit_bulk(
        AuditEntry.build(
            creditor_id=creditor.pk,
            obj=account,
            action=AuditEntry.Action.CREATE,
            changes={"iban": [None, account.iban], "source": [None, account.source]},
        )  # fmt: skip
        for account in new
    )
    return new
