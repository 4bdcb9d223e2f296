"""Every state change of SEPA direct debit: settings, mandates, batches, returns, settlement.

The money side goes through the ledger's own services: a settled batch books one payment per
collection with ``payments_upsert`` (allocated to its invoice), a return undoes that with
``allocations_reverse``. Nothing here reads the clock for a business rule: the submission day is
``as_of``, the bank's days are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from vorder.banking.directdebit import pain008
from vorder.banking.directdebit.models import (
    CreditorSepaSettings,
    DirectDebitBatch,
    DirectDebitCollection,
    Mandate,
    Scheme,
    SequenceType,
)
from vorder.banking.directdebit.rules import (
    SepaRuleError,
    collection_date_check,
    creditor_identifier_validate,
    mandate_expires_on,
    return_reason,
    sepa_identifier,
    sepa_text,
)
from vorder.banking.directdebit.selectors import CollectableItem, collectable_items
from vorder.common.audit import audit_bulk, audit_record, diff
from vorder.common.models import AuditEntry
from vorder.common.money import fmt, to_decimal
from vorder.domain.money import Money
from vorder.domain.references import ReferenceStyle, detect
from vorder.ledger.models import Allocation, Creditor, Customer, Payment
from vorder.ledger.records import PaymentRecord
from vorder.ledger.services.allocations import allocations_reverse
from vorder.ledger.services.bank_accounts import BankAccountLink, customer_bank_accounts_confirm
from vorder.ledger.services.upserts import payments_upsert

SEPA_CURRENCY = "EUR"


class DirectDebitError(ValueError):
    """A direct debit request that cannot be carried out; the message says why and what to do."""


class MandateError(DirectDebitError):
    """Mandate details that cannot be accepted; ``errors`` maps each field to what is wrong."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


# -- the creditor's SEPA settings -----------------------------------------------------------------
@transaction.atomic
def creditor_sepa_settings_set(
    *, creditor: Creditor, creditor_identifier: str, collection_lead_days: int = 1
) -> CreditorSepaSettings:
    """Record the creditor's SEPA creditor identifier (checked) and its lead time."""
    try:
        identifier = creditor_identifier_validate(creditor_identifier)
    except SepaRuleError as exc:
        raise DirectDebitError(str(exc)) from exc
    if not 1 <= collection_lead_days <= 10:
        raise DirectDebitError("the lead time is 1 to 10 TARGET2 business days")
    settings, created = CreditorSepaSettings.objects.get_or_create(
        creditor=creditor,
        defaults={"creditor_identifier": identifier, "collection_lead_days": collection_lead_days},
    )
    before = {} if created else {
        "creditor_identifier": settings.creditor_identifier,
        "collection_lead_days": settings.collection_lead_days,
    }  # fmt: skip
    settings.creditor_identifier = identifier
    settings.collection_lead_days = collection_lead_days
    settings.save()
    changes = diff(
        before, {"creditor_identifier": identifier, "collection_lead_days": collection_lead_days}
    )
    if changes:
        audit_record(
            creditor_id=creditor.pk,
            obj=settings,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            changes=changes,
        )
    return settings


# -- mandates -------------------------------------------------------------------------------------
def _debtor_account(iban: str, bic: str, errors: dict[str, str]) -> tuple[str, str]:
    """The IBAN (in the SEPA zone) and a BIC: the one given, else the bank's from the IBAN."""
    clean_iban = clean_bic = ""
    try:
        account = IBAN(iban)
        clean_iban = str(account.compact)
        if not account.in_sepa_zone:
            errors["debtor_iban"] = f"{clean_iban} is not in the SEPA zone"
        derived = account.bic
        clean_bic = str(derived.compact) if derived is not None else ""
    except SchwiftyException as exc:
        errors["debtor_iban"] = f"'{iban}' is not a valid IBAN ({exc})"
    if bic:
        try:
            clean_bic = str(BIC(bic).compact)
        except SchwiftyException as exc:
            errors["debtor_bic"] = f"'{bic}' is not a valid BIC ({exc})"
    return clean_iban, clean_bic


@transaction.atomic
def mandate_create(
    *,
    creditor: Creditor,
    customer: Customer,
    mandate_id: str,
    signed_on: date,
    debtor_iban: str,
    as_of: date,
    debtor_bic: str = "",
    debtor_name: str = "",
    scheme: str = Scheme.CORE,
    sequence_type: str = SequenceType.FIRST,
) -> Mandate:
    """Record a signed mandate: the customer's account is then also known to matching.

    ``sequence_type``: FRST for a new recurring mandate (its first collection says so), RCUR for
    one taken over from another system that has collected under it already, OOFF for one-off.
    """
    errors: dict[str, str] = {}
    if customer.creditor_id != creditor.pk:
        errors["customer"] = f"customer {customer.number} belongs to another creditor"
    try:
        mandate_id = sepa_identifier(mandate_id, "mandate id")
    except SepaRuleError as exc:
        errors["mandate_id"] = str(exc)
    else:
        if Mandate.objects.filter(creditor=creditor, mandate_id=mandate_id).exists():
            errors["mandate_id"] = f"mandate id '{mandate_id}' is used already"
    if signed_on > as_of:
        errors["signed_on"] = f"{signed_on.isoformat()} is after today ({as_of.isoformat()})"
    iban, bic = _debtor_account(debtor_iban, debtor_bic, errors)
    name = sepa_text(debtor_name or customer.name, 70)
    if not name:
        errors["debtor_name"] = "the account holder's name is needed (in Latin letters)"
    if sequence_type not in (SequenceType.FIRST, SequenceType.RECURRING, SequenceType.ONE_OFF):
        errors["sequence_type"] = (
            f"'{sequence_type}' is not FRST (new), RCUR (collected before) or OOFF (one-off)"
        )
    if scheme not in Scheme.values:
        errors["scheme"] = f"'{scheme}' is not one of {', '.join(Scheme.values)}"
    elif scheme == Scheme.B2B and customer.kind != Customer.Kind.B2B:
        errors["scheme"] = "the B2B scheme is for businesses only; consumers sign CORE mandates"
    active = Mandate.objects.filter(
        creditor=creditor, customer=customer, status=Mandate.Status.ACTIVE
    ).first()
    if active is not None:
        errors["customer"] = (
            f"customer {customer.number} has active mandate {active.mandate_id}: "
            "revoke or amend that one"
        )
    if errors:
        raise MandateError(errors)
    mandate = Mandate.objects.create(
        creditor=creditor,
        customer=customer,
        mandate_id=mandate_id,
        signed_on=signed_on,
        sequence_type=sequence_type,
        scheme=scheme,
        debtor_name=name,
        debtor_iban=iban,
        debtor_bic=bic,
    )
    audit_record(
        creditor_id=creditor.pk,
        obj=mandate,
        action=AuditEntry.Action.CREATE,
        changes=diff(None, {"customer": customer.number, "mandate_id": mandate_id,
                            "signed_on": signed_on, "debtor_iban": iban, "scheme": scheme,
                            "sequence_type": mandate.sequence_type}),
    )  # fmt: skip
    customer_bank_accounts_confirm(
        creditor=creditor,
        links=[BankAccountLink(customer.pk, iban, as_of, holder_name=name, source="mandate")],
    )
    return mandate


@transaction.atomic
def mandate_revoke(*, mandate: Mandate, on: date, reason: str) -> Mandate:
    """The customer (or their bank) withdrew the mandate: nothing is collected under it again."""
    if mandate.status == Mandate.Status.REVOKED:
        return mandate
    if on < mandate.signed_on:
        raise MandateError(
            {"on": f"{on.isoformat()} is before the mandate was signed ({mandate.signed_on})"}
        )
    before = {"status": mandate.status}
    mandate.status = Mandate.Status.REVOKED
    mandate.revoked_on = on
    mandate.revoke_reason = reason[:200]
    mandate.save(update_fields=["status", "revoked_on", "revoke_reason", "updated_at"])
    audit_record(
        creditor_id=mandate.creditor_id,
        obj=mandate,
        action=AuditEntry.Action.UPDATE,
        changes={**diff(before, {"status": mandate.status}), "reason": [None, reason]},
    )
    return mandate


@transaction.atomic
def mandate_amend(
    *,
    mandate: Mandate,
    debtor_iban: str | None = None,
    debtor_bic: str | None = None,
    mandate_id: str | None = None,
    as_of: date,
) -> Mandate:
    """A new account or a new mandate id under the same mandate; the next collection carries the
    amendment details (AmdmntInd) so the debtor's bank recognises it."""
    if mandate.status != Mandate.Status.ACTIVE:
        raise DirectDebitError(f"mandate {mandate.mandate_id} is {mandate.status}, not active")
    errors: dict[str, str] = {}
    before = {"mandate_id": mandate.mandate_id, "debtor_iban": mandate.debtor_iban,
              "debtor_bic": mandate.debtor_bic}  # fmt: skip
    after = dict(before)
    if debtor_iban is not None:
        after["debtor_iban"], after["debtor_bic"] = _debtor_account(
            debtor_iban, debtor_bic or "", errors
        )
    if mandate_id is not None:
        try:
            after["mandate_id"] = sepa_identifier(mandate_id, "mandate id")
        except SepaRuleError as exc:
            errors["mandate_id"] = str(exc)
        else:
            taken = Mandate.objects.filter(
                creditor_id=mandate.creditor_id, mandate_id=after["mandate_id"]
            ).exclude(pk=mandate.pk)
            if taken.exists():
                errors["mandate_id"] = f"mandate id '{after['mandate_id']}' is used already"
    if errors:
        raise MandateError(errors)
    changes = diff(before, after)
    if not changes:
        return mandate
    if not mandate.amendment_pending:  # several amendments before a collection: keep the first
        mandate.original_mandate_id = before["mandate_id"] if "mandate_id" in changes else ""
        mandate.original_debtor_iban = before["debtor_iban"] if "debtor_iban" in changes else ""
    mandate.amendment_pending = True
    mandate.mandate_id, mandate.debtor_iban, mandate.debtor_bic = (
        after["mandate_id"], after["debtor_iban"], after["debtor_bic"],
    )  # fmt: skip
    mandate.save()
    audit_record(
        creditor_id=mandate.creditor_id, obj=mandate, action=AuditEntry.Action.UPDATE,
        changes=changes,
    )  # fmt: skip
    if "debtor_iban" in changes:
        customer_bank_accounts_confirm(
            creditor=mandate.creditor,
            links=[BankAccountLink(mandate.customer_id, mandate.debtor_iban, as_of,
                                   holder_name=mandate.debtor_name, source="mandate")],
        )  # fmt: skip
    return mandate


# -- creating a batch -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PlannedCollection:
    item: CollectableItem
    mandate: Mandate
    sequence_type: str
    end_to_end_id: str
    remittance: pain008.Remittance

    def as_json(self) -> dict[str, Any]:
        return {
            "invoice": self.item.invoice_number,
            "customer": self.item.customer_number,
            "mandate": self.mandate.mandate_id,
            "sequence_type": self.sequence_type,
            "amount": fmt(self.item.amount_minor, SEPA_CURRENCY),
            "end_to_end_id": self.end_to_end_id,
            "remittance": self.remittance.text,
        }


@dataclass
class BatchResult:
    creditor: Creditor
    collection_date: date
    submitted_on: date
    dry_run: bool
    message_id: str = ""
    collections: list[PlannedCollection] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    expired_mandates: list[str] = field(default_factory=list)
    xml: bytes | None = None
    batch: DirectDebitBatch | None = None

    @property
    def total_minor(self) -> int:
        return sum(c.item.amount_minor for c in self.collections)

    def as_json(self) -> dict[str, Any]:
        by_type: dict[str, dict[str, Any]] = {}
        for c in self.collections:
            entry = by_type.setdefault(c.sequence_type, {"transactions": 0, "total_minor": 0})
            entry["transactions"] += 1
            entry["total_minor"] += c.item.amount_minor
        return {
            "creditor": self.creditor.code,
            "collection_date": self.collection_date.isoformat(),
            "submitted_on": self.submitted_on.isoformat(),
            "dry_run": self.dry_run,
            "message_id": self.message_id or None,
            "batch": self.batch.pk if self.batch else None,
            "file": self.batch.file.path if self.batch and self.batch.file else None,
            "transactions": len(self.collections),
            "total": fmt(self.total_minor, SEPA_CURRENCY),
            "currency": SEPA_CURRENCY,
            "by_sequence_type": {
                k: {"transactions": v["transactions"], "total": fmt(v["total_minor"])}
                for k, v in sorted(by_type.items())
            },
            "collections": [c.as_json() for c in self.collections],
            "skipped": self.skipped,
            "expired_mandates": self.expired_mandates,
        }


_INVOICE_WORD = {"nl": "Factuur", "fr": "Facture", "de": "Rechnung", "en": "Invoice"}
_ISSUER = {ReferenceStyle.RF: "ISO", ReferenceStyle.OGM: "BBA", ReferenceStyle.NL: "CUR"}


def _remittance(item: CollectableItem) -> pain008.Remittance:
    """The invoice's structured reference when it has one (RF: ISO, OGM: BBA, betalingskenmerk:
    CUR), so the debtor's bank statement names the invoice; else 'Factuur <number>'."""
    found = detect(item.payment_reference) if item.payment_reference else None
    if found is not None:
        style, reference = found
        if style is ReferenceStyle.OGM:
            reference = "".join(ch for ch in reference if ch.isdigit())
        return pain008.Remittance(reference, _ISSUER[style])
    word = _INVOICE_WORD.get(item.customer_language, "Invoice")
    return pain008.Remittance(sepa_text(f"{word} {item.invoice_number}", 140))


def _settings_for(creditor: Creditor, *, lock: bool) -> CreditorSepaSettings:
    query = CreditorSepaSettings.objects.filter(creditor=creditor)
    settings = (query.select_for_update() if lock else query).first()
    if settings is None:
        raise DirectDebitError(
            f"creditor {creditor.code} has no SEPA creditor identifier yet: "
            "set it with `vorder directdebit setup --creditor-id ...`"
        )
    return settings


@transaction.atomic
def directdebit_batch_create(
    *, creditor: Creditor, collection_date: date, as_of: date, dry_run: bool = False
) -> BatchResult:
    """Collect every open invoice (or due instalments) of customers with a usable mandate.

    Selects the items due on or before ``collection_date`` that are not in a pending (or a
    returned) collection, checks the date against the lead time and the TARGET2 calendar, writes
    the pain.008.001.02 file, validates it against the XSD, records the batch and moves the
    mandates on (FRST -> RCUR; one-off -> completed). Idempotent: a second run for the same date
    finds nothing left to collect. ``dry_run`` builds and validates the file but records nothing.
    """
    settings = _settings_for(creditor, lock=not dry_run)  # one batch at a time per creditor
    try:
        collection_date_check(
            submitted_on=as_of,
            collection_date=collection_date,
            lead_days=settings.collection_lead_days,
        )
    except SepaRuleError as exc:
        raise DirectDebitError(str(exc)) from exc
    if not creditor.iban:
        raise DirectDebitError(
            f"creditor {creditor.code} has no IBAN to collect on: `vorder creditor update`"
        )
    result = BatchResult(creditor, collection_date, as_of, dry_run)

    mandates = {
        m.customer_id: m
        for m in Mandate.objects.filter(creditor=creditor, status=Mandate.Status.ACTIVE)
    }
    expired = [
        m for m in mandates.values()
        if collection_date >= mandate_expires_on(
            signed_on=m.signed_on, last_collection_on=m.last_collection_on
        )
    ]  # fmt: skip
    for m in expired:
        del mandates[m.customer_id]
    result.expired_mandates = [m.mandate_id for m in expired]

    used_once: set[int] = set()
    for item in collectable_items(creditor=creditor, collection_date=collection_date):
        mandate = mandates.get(item.customer_id)
        if mandate is None:
            continue  # the mandate expired just now
        if mandate.sequence_type in (SequenceType.ONE_OFF, SequenceType.FINAL):
            if mandate.pk in used_once:
                result.skipped.append({
                    "invoice": item.invoice_number, "customer": item.customer_number,
                    "reason": f"{mandate.sequence_type} mandate {mandate.mandate_id} allows one "
                              "collection, used for an earlier invoice in this batch",
                })  # fmt: skip
                continue
            used_once.add(mandate.pk)
        result.collections.append(
            PlannedCollection(
                item=item,
                mandate=mandate,
                # Every collection of a new mandate in its first batch goes as FRST.
                sequence_type=mandate.sequence_type,
                end_to_end_id=f"VD-{item.invoice_id}-{item.earlier_collections + 1}",
                remittance=_remittance(item),
            )
        )
    if not dry_run and expired:
        _mandates_expire(creditor, expired, collection_date)
    if not result.collections:
        return result

    sequence = DirectDebitBatch.objects.filter(
        creditor=creditor, collection_date=collection_date
    ).count()
    result.message_id = f"VD-{creditor.pk}-{collection_date:%Y%m%d}-{sequence + 1}"
    result.xml = _build_file(creditor, settings, result, timezone.now())
    pain008.pain008_validate(result.xml, name=f"collection file {result.message_id}")
    if not dry_run:
        result.batch = _record(creditor, result)
    return result


def _build_file(
    creditor: Creditor, settings: CreditorSepaSettings, result: BatchResult, now: datetime
) -> bytes:
    party = pain008.Creditor(
        name=sepa_text(creditor.name, 70),
        iban=creditor.iban,
        bic=creditor.bic,
        identifier=settings.creditor_identifier,
        country=creditor.country,
    )
    transactions = []
    for c in result.collections:
        m = c.mandate
        other_bank = bool(
            m.amendment_pending
            and m.original_debtor_iban
            and _bank_of(m.original_debtor_iban) != _bank_of(m.debtor_iban)
        )
        transactions.append(
            pain008.Transaction(
                end_to_end_id=c.end_to_end_id,
                amount=to_decimal(c.item.amount_minor, SEPA_CURRENCY),
                mandate_id=m.mandate_id,
                mandate_signed_on=m.signed_on,
                debtor_name=m.debtor_name,
                debtor_iban=m.debtor_iban,
                debtor_bic=m.debtor_bic,
                debtor_country=c.item.customer_country,
                remittance=c.remittance,
                sequence_type=c.sequence_type,
                scheme=m.scheme,
                original_mandate_id=m.original_mandate_id if m.amendment_pending else "",
                original_debtor_iban=m.original_debtor_iban if m.amendment_pending else "",
                original_debtor_other_bank=other_bank,
            )
        )
    return pain008.pain008_build(
        message_id=result.message_id,
        created_at=now.astimezone(timezone.get_default_timezone()),
        creditor=party,
        collection_date=result.collection_date,
        transactions=transactions,
        currency=SEPA_CURRENCY,
    )


def _bank_of(iban: str) -> str:
    account = IBAN(iban)
    return f"{account.country_code}{account.bank_code}"


def _record(creditor: Creditor, result: BatchResult) -> DirectDebitBatch:
    batch = DirectDebitBatch.objects.create(
        creditor=creditor,
        message_id=result.message_id,
        collection_date=result.collection_date,
        submitted_on=result.submitted_on,
        currency=SEPA_CURRENCY,
        transactions=len(result.collections),
        total_minor=result.total_minor,
    )
    DirectDebitCollection.objects.bulk_create(
        [
            DirectDebitCollection(
                creditor=creditor,
                batch=batch,
                mandate=c.mandate,
                invoice_id=c.item.invoice_id,
                amount_minor=c.item.amount_minor,
                currency=SEPA_CURRENCY,
                end_to_end_id=c.end_to_end_id,
                sequence_type=c.sequence_type,
                remittance=c.remittance.text,
            )
            for c in result.collections
        ],
        batch_size=2000,
    )
    used = {c.mandate.pk: c.mandate for c in result.collections}
    Mandate.objects.filter(pk__in=used).update(
        last_collection_on=result.collection_date, amendment_pending=False
    )
    Mandate.objects.filter(pk__in=used, sequence_type=SequenceType.FIRST).update(
        sequence_type=SequenceType.RECURRING
    )
    Mandate.objects.filter(
        pk__in=used, sequence_type__in=[SequenceType.ONE_OFF, SequenceType.FINAL]
    ).update(status=Mandate.Status.COMPLETED)
    batch.file.save(f"{result.message_id}.xml", ContentFile(result.xml or b""), save=True)
    audit_bulk(
        [
            AuditEntry.build(
                creditor_id=creditor.pk, obj=batch, action=AuditEntry.Action.CREATE,
                changes={"collection_date": [None, result.collection_date.isoformat()],
                         "transactions": [None, len(result.collections)],
                         "total": [None, fmt(result.total_minor, SEPA_CURRENCY)]},
            ),
            *(
                AuditEntry.build(
                    creditor_id=creditor.pk, obj=m, action=AuditEntry.Action.UPDATE,
                    changes={"last_collection_on": [None, result.collection_date.isoformat()],
                             **({"sequence_type": ["FRST", "RCUR"]}
                                if m.sequence_type == SequenceType.FIRST else {})},
                )
                for m in used.values()
            ),
        ]
    )  # fmt: skip
    return batch


def _mandates_expire(creditor: Creditor, mandates: Sequence[Mandate], on: date) -> None:
    Mandate.objects.filter(pk__in=[m.pk for m in mandates]).update(status=Mandate.Status.EXPIRED)
    audit_bulk(
        AuditEntry.build(
            creditor_id=creditor.pk, obj=m, action=AuditEntry.Action.UPDATE,
            changes={"status": ["active", "expired"],
                     "reason": [None, f"unused for 36 months on {on.isoformat()}"]},
        )
        for m in mandates
    )  # fmt: skip


@transaction.atomic
def directdebit_batch_submit(*, batch: DirectDebitBatch) -> DirectDebitBatch:
    """The file has gone to the bank."""
    if batch.status == DirectDebitBatch.Status.CREATED:
        batch.status = DirectDebitBatch.Status.SUBMITTED
        batch.save(update_fields=["status"])
        audit_record(creditor_id=batch.creditor_id, obj=batch, action=AuditEntry.Action.UPDATE,
                     changes={"status": ["created", "submitted"]})  # fmt: skip
    return batch


# -- settlement -----------------------------------------------------------------------------------
@dataclass
class SettleResult:
    batch: DirectDebitBatch
    payments: int = 0
    amount_minor: int = 0
    already_settled: bool = False


@transaction.atomic
def directdebit_batch_settle(*, batch: DirectDebitBatch, on: date) -> SettleResult:
    """The bank credited the batch: book one payment per pending collection, allocated to its
    invoice (as far as it is still open; the rest stays on account). Idempotent."""
    batch = DirectDebitBatch.objects.select_for_update().get(pk=batch.pk)
    result = SettleResult(batch)
    if batch.status == DirectDebitBatch.Status.SETTLED:
        result.already_settled = True
        return result
    collections = list(
        DirectDebitCollection.objects.filter(
            batch=batch, status=DirectDebitCollection.Status.PENDING
        ).select_related("invoice", "mandate", "mandate__customer")
    )
    records = [
        PaymentRecord(
            number=_payment_number(c),
            date=on,
            currency=c.currency,
            amount=to_decimal(c.amount_minor, c.currency),
            customer=c.mandate.customer.number,
            payer_name=c.mandate.debtor_name,
            payer_iban=c.mandate.debtor_iban,
            reference=c.end_to_end_id,
            invoices=(c.invoice.number,),
        )
        for c in collections
    ]
    if records:
        payments_upsert(creditor=batch.creditor, records=records, source=Payment.Source.BANK)
        by_number = dict(
            Payment.objects.filter(
                creditor_id=batch.creditor_id, number__in=[r.number for r in records]
            ).values_list("number", "pk")
        )
        for c in collections:
            c.payment_id = by_number[_payment_number(c)]
            c.status = DirectDebitCollection.Status.COLLECTED
            c.collected_on = on
        DirectDebitCollection.objects.bulk_update(
            collections, ["payment", "status", "collected_on"], batch_size=2000
        )
    batch.status = DirectDebitBatch.Status.SETTLED
    batch.settled_on = on
    batch.save(update_fields=["status", "settled_on"])
    result.payments = len(records)
    result.amount_minor = sum(c.amount_minor for c in collections)
    audit_record(
        creditor_id=batch.creditor_id, obj=batch, action=AuditEntry.Action.UPDATE,
        changes={"status": ["submitted", "settled"], "settled_on": [None, on.isoformat()],
                 "payments": [None, len(records)]},
    )  # fmt: skip
    return result


def _payment_number(collection: DirectDebitCollection) -> str:
    return f"DD-{collection.end_to_end_id}"


# -- returns --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReturnNotice:
    """One returned (or rejected) collection as the bank reports it (camt.053/054, pain.002)."""

    end_to_end_id: str
    amount: Decimal
    reason_code: str
    date: date


@dataclass
class ReturnsResult:
    returned: list[str] = field(default_factory=list)  # end-to-end ids
    reversed_allocations: int = 0
    revoked_mandates: list[str] = field(default_factory=list)
    already_returned: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


@transaction.atomic
def directdebit_returns_apply(
    *, creditor: Creditor, returns: Sequence[ReturnNotice]
) -> ReturnsResult:
    """Mark the collections returned, re-open what their payments paid, flag the customer.

    A collection that was booked (its batch settled) has its allocations reversed and its payment
    removed: the money went back to the debtor, so it is no credit on account either. Codes that
    mean the mandate is gone (MD01, MD07, AC04, ...) revoke it; the others (AM04 insufficient
    funds, MD06 refund, ...) leave it active. A returned invoice is not collected again by the
    next batch on its own: a collector talks to the customer first. Unknown end-to-end ids are
    reported, not booked; a wrong amount refuses the whole call.
    """
    result = ReturnsResult()
    wanted = {r.end_to_end_id.strip(): r for r in returns}
    collections = {
        c.end_to_end_id: c
        for c in DirectDebitCollection.objects.select_for_update()
        .filter(creditor=creditor, end_to_end_id__in=list(wanted))
        .select_related("mandate", "invoice")
    }
    hits: list[tuple[DirectDebitCollection, ReturnNotice]] = []
    for e2e, notice in wanted.items():
        collection = collections.get(e2e)
        if collection is None:
            result.unknown.append(e2e)
            continue
        if collection.status == DirectDebitCollection.Status.RETURNED:
            result.already_returned.append(e2e)
            continue
        expected = Money.from_minor(collection.amount_minor, collection.currency)
        if Money(notice.amount, collection.currency) != expected:
            raise DirectDebitError(
                f"return of {e2e}: amount {notice.amount} differs from the collected "
                f"{expected.amount} (invoice {collection.invoice.number})"
            )
        hits.append((collection, notice))
    if not hits:
        return result

    payment_ids = [c.payment_id for c, _ in hits if c.payment_id]
    if payment_ids:
        allocations = list(Allocation.objects.filter(payment_id__in=payment_ids))
        result.reversed_allocations = allocations_reverse(
            allocations=allocations, reason="direct debit returned"
        )
        payments = list(Payment.objects.filter(pk__in=payment_ids))
        audit_bulk(
            AuditEntry.build(
                creditor_id=creditor.pk, obj=p, action=AuditEntry.Action.DELETE,
                changes={"amount": [fmt(p.amount_minor, p.currency), None],
                         "reason": [None, "direct debit returned"]},
            )
            for p in payments
        )  # fmt: skip
    for collection, notice in hits:
        reason = return_reason(notice.reason_code)
        collection.status = DirectDebitCollection.Status.RETURNED
        collection.returned_on = notice.date
        collection.return_reason = reason.code[:4]
        collection.payment = None
        result.returned.append(collection.end_to_end_id)
    DirectDebitCollection.objects.bulk_update(
        [c for c, _ in hits], ["status", "returned_on", "return_reason", "payment"]
    )
    if payment_ids:
        Payment.objects.filter(pk__in=payment_ids).delete()

    mandates: dict[int, tuple[Mandate, ReturnNotice]] = {}
    for collection, notice in sorted(hits, key=lambda h: h[1].date):
        mandates[collection.mandate_id] = (collection.mandate, notice)
    entries = []
    for mandate, notice in mandates.values():
        reason = return_reason(notice.reason_code)
        mandate.returned_on = notice.date
        mandate.return_reason = reason.code[:4]
        changes: dict[str, list[Any]] = {"returned": [None, f"{reason.code} {reason.description}"]}
        if reason.mandate_gone and mandate.status == Mandate.Status.ACTIVE:
            mandate.status = Mandate.Status.REVOKED
            mandate.revoked_on = notice.date
            mandate.revoke_reason = f"return {reason.code}: {reason.description}"
            changes["status"] = ["active", "revoked"]
            result.revoked_mandates.append(mandate.mandate_id)
        entries.append(
            AuditEntry.build(creditor_id=creditor.pk, obj=mandate,
                             action=AuditEntry.Action.UPDATE, changes=changes)
        )  # fmt: skip
    Mandate.objects.bulk_update(
        [m for m, _ in mandates.values()],
        ["returned_on", "return_reason", "status", "revoked_on", "revoke_reason"],
    )
    audit_bulk(entries)
    return result
