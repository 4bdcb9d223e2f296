"""Upserts: validated records from a file or the API into the ledger, by creditor + number.

Re-importing a corrected file updates what changed and never duplicates; rows that match what is
stored count as unchanged and are not written at all. Everything is set-based: one query per
chunk of keys to find what exists (none when the creditor has no rows of the kind yet; one array
parameter on PostgreSQL), ``COPY`` / ``executemany`` for new rows, ``bulk_update`` in batches,
one bulk write of audit entries (for rows created by a file import: one entry per chunk, see
:class:`ImportBatch`). A batch is checked completely before the first write, and every problem is
reported with the position of its record (:class:`UpsertError`), so a file import can name the
row. Callers wrap a batch in their own transaction; each function is atomic on its own too.

Money rules that live here because they need the stored state:

- an invoice's (or credit note's, or payment's) new amount may not drop below what is already
  allocated to it; its open amount becomes the new amount minus the allocated part;
- an instalment schedule that is sent replaces the old one, and payments already received settle
  the earliest parts first again;
- a payment that names invoices (or carries the structured reference of one) is allocated to
  them, as much as each has open; what is left stays unallocated as credit on account;
- a credit note that names the invoice it corrects is allocated to that invoice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from vorder.common.audit import audit_bulk, current_actor
from vorder.common.db import AnyOf, insert_rows, key_chunk
from vorder.common.models import AuditEntry
from vorder.domain.money import Money, exponent
from vorder.domain.references import generator
from vorder.domain.settlement import settle_in_order
from vorder.ledger.models import (
    Contact,
    CreditNote,
    Creditor,
    Customer,
    Invoice,
    InvoiceInstalment,
    Payment,
)
from vorder.ledger.records import (
    ContactRecord,
    CreditNoteRecord,
    CustomerRecord,
    InvoiceRecord,
    PaymentRecord,
    normalise_reference,
)
from vorder.ledger.services.allocations import AllocationRequest, allocations_apply

KEY_CHUNK = 5000  # keys per lookup query: well under SQLite's and PostgreSQL's parameter limits
WRITE_BATCH = 2000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.created + other.created,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


@dataclass(frozen=True, slots=True)
class RowError:
    index: int  # position of the record in the batch
    field: str
    message: str


class UpsertError(ValueError):
    """The batch breaks a ledger rule; nothing of it was written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = sorted(errors, key=lambda e: e.index)
        super().__init__("; ".join(f"#{e.index}: {e.field}: {e.message}" for e in self.errors))


@dataclass(frozen=True, slots=True)
class ImportBatch:
    """Which file (and which chunk of it) a batch of records comes from.

    Given, the rows the batch *creates* are audited as one entry for the chunk (how many, the
    first and last number, the file and its SHA-256) instead of one entry per row: a million new
    invoices would otherwise double the writes of an import, and the file is the better record
    of what arrived. Updated rows keep their own entry with the {field: [old, new]} diff.
    """

    file: str
    sha256: str
    chunk: int
    # The creditor had no rows of the kind when the file started, and the file repeats no
    # number (the runner refuses that): no row of it can exist, so nothing is looked up.
    new_only: bool = False
    # The creditor's customers by number (id, payment term), read once for a big file of
    # invoices: a chunk of 20,000 invoices names most customers, and looking them up per chunk
    # cost more than reading them all once (SQLite: a quarter of the import).
    customers: Mapping[str, tuple[int, int | None]] | None = None

    @property
    def object_id(self) -> str:
        return f"import:{self.sha256[:12]}:{self.chunk}"


# -- helpers ------------------------------------------------------------------------------------
def _chunks(items: Sequence[T], size: int = KEY_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _duplicates(records: Sequence[Any], what: str) -> list[RowError]:
    """The same number twice in one batch is ambiguous: which row is right?"""
    counts = Counter(r.number for r in records)
    if all(n == 1 for n in counts.values()):
        return []
    first: dict[str, int] = {}
    errors = []
    for i, r in enumerate(records):
        if counts[r.number] > 1:
            if r.number in first:
                errors.append(
                    RowError(i, "number", f"{what} {r.number} appears more than once in this batch")
                )
            else:
                first[r.number] = i
    return errors


def _existing(model: type, creditor: Creditor, numbers: Iterable[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Stored rows by number. A creditor without any rows of the kind (a first import) costs
    one query, not one per chunk of keys."""
    found: dict[str, dict[str, Any]] = {}
    keys = sorted(set(numbers))
    if not keys or not model.objects.filter(creditor=creditor).exists():  # type: ignore[attr-defined]
        return found
    for chunk in _chunks(keys, key_chunk()):
        for row in (
            model.objects.filter(creditor=creditor)  # type: ignore[attr-defined]
            .filter(AnyOf(F("number"), chunk))
            .values("id", "number", *fields)
        ):
            found[row["number"]] = row
    return found


def customers_by_number(creditor: Creditor) -> dict[str, tuple[int, int | None]]:
    """Every customer of the creditor: number → (id, payment term override)."""
    return {
        number: (pk, term)
        for pk, number, term in Customer.objects.filter(creditor=creditor)
        .values_list("id", "number", "payment_term_days")
        .iterator(chunk_size=20_000)
    }


def _customers(creditor: Creditor, numbers: Iterable[str]) -> dict[str, tuple[int, int | None]]:
    """Customer number → (id, payment term override)."""
    found: dict[str, tuple[int, int | None]] = {}
    keys = sorted({n for n in numbers if n})
    for chunk in _chunks(keys, key_chunk()):
        for pk, number, term in (
            Customer.objects.filter(creditor=creditor)
            .filter(AnyOf(F("number"), chunk))
            .values_list("id", "number", "payment_term_days")
        ):
            found[number] = (pk, term)
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _audit_create(creditor: Creditor, objs: Sequence[Any], fields: Sequence[str]) -> Iterator[dict[str, Any]]:  # fmt: skip
    for obj in objs:
        yield AuditEntry.build(
            creditor_id=creditor.pk,
            obj=obj,
            action=AuditEntry.Action.CREATE,
            changes={f: [None, _plain(getattr(obj, f))] for f in fields},
        )


def _audit_update(creditor: Creditor, changes: Sequence[tuple[Any, dict[str, list[Any]]]]) -> Iterator[dict[str, Any]]:  # fmt: skip
    for obj, diff in changes:
        yield AuditEntry.build(
            creditor_id=creditor.pk,
            obj=obj,
            action=AuditEntry.Action.UPDATE,
            changes={k: [_plain(v[0]), _plain(v[1])] for k, v in diff.items()},
        )


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before[k], v] for k, v in after.items() if before[k] != v}


def _fmt(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))


def _update(model: type, rows: list[tuple[dict[str, Any], dict[str, list[Any]]]], extra: dict[str, Any] | None = None) -> list[Any]:  # fmt: skip
    """bulk_update rows given as (stored values incl. id, {field: [old, new]}); returns the objects."""
    if not rows:
        return []
    now = timezone.now()
    fields: set[str] = set()
    objs = []
    for stored, diff in rows:
        values = {k: v for k, v in stored.items() if k != "id"}
        values.update({k: v[1] for k, v in diff.items()})
        if extra:
            values.update(extra)
        obj = model(id=stored["id"], **values)
        if hasattr(obj, "updated_at"):
            obj.updated_at = now
        fields.update(diff)
        objs.append(obj)
    update_fields = sorted(fields | ({"updated_at"} if hasattr(objs[0], "updated_at") else set()))
    model.objects.bulk_update(objs, update_fields, batch_size=WRITE_BATCH)  # type: ignore[attr-defined]
    return objs


def _ids(model: type, creditor: Creditor, numbers: Sequence[str], *, after: int) -> dict[str, int]:
    """Ids of rows just inserted (id > ``after``): one range query instead of IN-lists."""
    wanted = set(numbers)
    if not wanted:
        return {}
    return {
        number: pk
        for number, pk in model.objects.filter(creditor=creditor, id__gt=after).values_list(  # type: ignore[attr-defined]
            "number", "id"
        )
        if number in wanted
    }


def _max_id(model: type) -> int:
    from django.db.models import Max

    return model.objects.aggregate(top=Max("id"))["top"] or 0  # type: ignore[attr-defined]


def _audit_created(
    creditor: Creditor,
    model: type,
    rows: Sequence[dict[str, Any]],
    ids: dict[str, int],
    fields: Sequence[str],  # fmt: skip
) -> None:
    """Audit entries for new rows, written with ``_insert`` (the same columns AuditEntry.build
    fills; a million new invoices get a million entries without a million model objects)."""
    user_id, actor = current_actor()
    label = model._meta.label_lower  # type: ignore[attr-defined]
    insert_rows(
        AuditEntry,
        [
            {
                "user_id": user_id,
                "actor": actor,
                "creditor_id": creditor.pk,
                "model": label,
                "object_id": str(ids[row["number"]]),
                "object_repr": row["number"][:200],
                "action": AuditEntry.Action.CREATE,
                "changes": {f: [None, _plain(row.get(f))] for f in fields},
            }
            for row in rows
        ],
    )


def _audit_batch(
    creditor: Creditor, model: type, rows: Sequence[dict[str, Any]], batch: ImportBatch
) -> None:
    """One entry for the rows a chunk of an import file created (see ImportBatch)."""
    if not rows:
        return
    audit_bulk(
        [
            {
                "user_id": current_actor()[0],
                "actor": current_actor()[1],
                "creditor_id": creditor.pk,
                "model": model._meta.label_lower,  # type: ignore[attr-defined]
                "object_id": batch.object_id,
                "object_repr": f"{batch.file} #{batch.chunk}: {len(rows)} created"[:200],
                "action": AuditEntry.Action.CREATE,
                "changes": {
                    "created": len(rows),
                    "numbers": [rows[0]["number"], rows[-1]["number"]],
                    "file": batch.file,
                    "sha256": batch.sha256,
                },
            }
        ]
    )


# -- customers ----------------------------------------------------------------------------------
_CUSTOMER_TEXT = (
    "name", "kind", "coc_number", "vat_number", "address_line1", "address_line2", "postal_code",
    "city", "country", "email", "phone", "language", "preferred_channel", "payment_term_days",
    "segment", "on_hold", "on_hold_reason", "iban",
)  # fmt: skip
_CUSTOMER_COLUMNS = (*_CUSTOMER_TEXT, "credit_limit_minor", "tags")


def _customer_values(record: CustomerRecord, currency: str, *, all_fields: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    provided = record.fields
    for name in _CUSTOMER_TEXT:
        if all_fields or name in provided:
            values[name] = getattr(record, name)
    if all_fields or "credit_limit" in provided:
        values["credit_limit_minor"] = (
            None
            if record.credit_limit is None
            else int(record.credit_limit.scaleb(exponent(currency)))
        )
    if all_fields or "tags" in provided:
        values["tags"] = list(record.tags)
    return values


@transaction.atomic
def customers_upsert(
    *, creditor: Creditor, records: Sequence[CustomerRecord], batch: ImportBatch | None = None
) -> UpsertResult:
    """Create or update customers by debtor number; only the fields each record supplies change.

    With ``batch`` (a file import) the customers created are audited as one entry for the batch.
    """
    errors = _duplicates(records, "customer")
    if errors:
        raise UpsertError(errors)
    existing = (
        {}
        if batch is not None and batch.new_only
        else _existing(Customer, creditor, (r.number for r in records), _CUSTOMER_COLUMNS)
    )
    new: list[dict[str, Any]] = []
    changed: list[tuple[dict[str, Any], dict[str, list[Any]]]] = []
    unchanged: set[str] = set()
    for record in records:
        stored = existing.get(record.number)
        if stored is None:
            values = _customer_values(record, creditor.currency, all_fields=True)
            values.update(creditor_id=creditor.pk, number=record.number)
            new.append(values)
            continue
        diff = _diff(stored, _customer_values(record, creditor.currency, all_fields=False))
        if diff:
            changed.append((stored, diff))
        else:
            unchanged.add(record.number)
    need_ids = bool(new) and batch is None  # only per-row audit entries need the new ids
    before = _max_id(Customer) if need_ids else 0
    insert_rows(Customer, new)
    ids = _ids(Customer, creditor, [row["number"] for row in new], after=before) if need_ids else {}
    updated = _update(Customer, [(dict(s, creditor_id=creditor.pk), d) for s, d in changed])
    if batch is None:
        _audit_created(creditor, Customer, new, ids, ("number", "name", "vat_number", "credit_limit_minor"))  # fmt: skip
    else:
        _audit_batch(creditor, Customer, new, batch)
    audit_bulk(_audit_update(creditor, list(zip(updated, [d for _, d in changed], strict=True))))
    # A customer whose only change is a contact counts as updated.
    contacts_changed = len(_contacts_upsert(creditor, records) & unchanged)
    return UpsertResult(
        len(new), len(changed) + contacts_changed, len(unchanged) - contacts_changed
    )


def _contacts_upsert(creditor: Creditor, records: Sequence[CustomerRecord]) -> set[str]:
    """Add or update the contacts the records name (matched by name); others are left alone.

    Returns the numbers of the customers whose contacts changed.
    """
    with_contacts = [r for r in records if "contacts" in r.fields and r.contacts]
    if not with_contacts:
        return set()
    ids = _customers(creditor, (r.number for r in with_contacts))
    stored: dict[int, dict[str, Contact]] = defaultdict(dict)
    id_list = sorted(pk for pk, _ in ids.values())
    for chunk in _chunks(id_list):
        for existing in Contact.objects.filter(customer_id__in=chunk):
            stored[existing.customer_id][existing.name.casefold()] = existing
    new: list[Contact] = []
    changed: list[Contact] = []
    touched: set[str] = set()
    fields = ("role", "email", "phone", "preferred_channel", "language")
    for record in with_contacts:
        customer_id = ids[record.number][0]
        for contact in record.contacts:
            current = stored[customer_id].get(contact.name.casefold())
            if current is None:
                new.append(_contact(customer_id, contact))
                touched.add(record.number)
                continue
            dirty = False
            for name in fields:
                if name in contact.fields and getattr(current, name) != getattr(contact, name):
                    setattr(current, name, getattr(contact, name))
                    dirty = True
            if dirty:
                changed.append(current)
                touched.add(record.number)
    Contact.objects.bulk_create(new, batch_size=WRITE_BATCH)
    Contact.objects.bulk_update(changed, list(fields), batch_size=WRITE_BATCH)
    return touched


def _contact(customer_id: int, record: ContactRecord) -> Contact:
    return Contact(
        customer_id=customer_id,
        name=record.name,
        role=record.role,
        email=record.email,
        phone=record.phone,
        preferred_channel=record.preferred_channel,
        language=record.language,
    )


# -- invoices -----------------------------------------------------------------------------------
_INVOICE_COLUMNS = (
    "customer_id", "issue_date", "due_date", "currency", "net_minor", "vat_minor", "gross_minor",
    "open_minor", "payment_reference", "status", "has_instalments", "description",
    "order_reference",
)  # fmt: skip
_INVOICE_COMPARED = (
    "customer_id", "issue_date", "due_date", "currency", "net_minor", "vat_minor", "gross_minor",
    "payment_reference", "description", "order_reference",
)  # fmt: skip


def _due_date(record: InvoiceRecord, term: int | None, creditor: Creditor) -> date:
    days = term if term is not None else creditor.default_payment_term_days
    return record.issue_date + timedelta(days=days)


@transaction.atomic
def invoices_upsert(
    *,
    creditor: Creditor,
    records: Sequence[InvoiceRecord],
    source: str = "import",
    batch: ImportBatch | None = None,
) -> UpsertResult:
    """Create or update invoices by number (see the module docstring for the money rules).

    With ``batch`` (a file import) the invoices created are audited as one entry for the batch.
    """
    errors = _duplicates(records, "invoice")
    customers = (
        batch.customers
        if batch is not None and batch.customers is not None
        else _customers(creditor, (r.customer for r in records))
    )
    existing = (
        {}
        if batch is not None and batch.new_only
        else _existing(Invoice, creditor, (r.number for r in records), _INVOICE_COLUMNS)
    )
    schedules = _schedules(
        [
            existing[r.number]["id"]
            for r in records
            if r.number in existing and "instalments" in r.fields
        ]
    )
    new: list[dict[str, Any]] = []
    new_schedules: list[tuple[tuple[date, int], ...]] = []
    changed: list[tuple[dict[str, Any], dict[str, list[Any]]]] = []
    replaced: dict[int, tuple[tuple[date, int], ...]] = {}  # invoice id → new schedule (minor)
    unchanged = 0
    reference_for = generator(creditor.reference_style)
    creditor_id = creditor.pk
    places_of: dict[str, int] = {}
    for i, record in enumerate(records):
        customer = customers.get(record.customer)
        if customer is None:
            errors.append(RowError(i, "customer", f"unknown customer '{record.customer}'"))
            continue
        customer_id, term = customer
        places = places_of.get(record.currency)
        if places is None:
            places = places_of[record.currency] = exponent(record.currency)

        def minor(amount: Decimal, places: int = places) -> int:
            return int(amount.scaleb(places))  # the same as InvoiceRecord.minor

        schedule = (
            tuple((due, minor(amount)) for due, amount in record.instalments)
            if record.instalments
            else ()
        )
        stored = existing.get(record.number)
        if stored is None:
            due = record.due_date or _due_date(record, term, creditor)
            gross = minor(record.gross)
            new.append(
                {
                    "creditor_id": creditor_id,
                    "customer_id": customer_id,
                    "number": record.number,
                    "issue_date": record.issue_date,
                    "due_date": due,
                    "currency": record.currency,
                    "net_minor": minor(record.net),
                    "vat_minor": minor(record.vat),
                    "gross_minor": gross,
                    "open_minor": gross,
                    "payment_reference": record.payment_reference
                    or record.generated_reference
                    or reference_for(record.number),
                    "status": Invoice.Status.OPEN,
                    "has_instalments": bool(schedule),
                    "description": record.description,
                    "order_reference": record.order_reference,
                    "source": source,
                }
            )
            new_schedules.append(schedule)
            continue
        after: dict[str, Any] = {
            "customer_id": customer_id,
            "issue_date": record.issue_date,
            "net_minor": minor(record.net),
            "vat_minor": minor(record.vat),
            "gross_minor": minor(record.gross),
        }
        if "currency" in record.fields:
            after["currency"] = record.currency
        if "due_date" in record.fields:
            after["due_date"] = record.due_date or _due_date(record, term, creditor)
        if record.payment_reference:
            after["payment_reference"] = record.payment_reference
        for name in ("description", "order_reference"):
            if name in record.fields:
                after[name] = getattr(record, name)
        diff = _diff(stored, after)
        allocated = stored["gross_minor"] - stored["open_minor"]
        problem = _invoice_update_problem(record, stored, diff, allocated)
        if problem:
            errors.append(RowError(i, *problem))
            continue
        new_schedule = None
        if "instalments" in record.fields and schedules.get(stored["id"], ()) != schedule:
            new_schedule = schedule
        elif stored["has_instalments"] and "gross_minor" in diff:
            errors.append(
                RowError(
                    i,
                    "instalments",
                    f"invoice {record.number} has an instalment schedule for the old total: "
                    "send the new schedule with the new amount",
                )
            )
            continue
        if new_schedule is not None:
            replaced[stored["id"]] = new_schedule
            if stored["has_instalments"] != bool(new_schedule):
                diff["has_instalments"] = [stored["has_instalments"], bool(new_schedule)]
            else:
                diff.setdefault("instalments", [None, "replaced"])
        if "gross_minor" in diff:
            open_minor = diff["gross_minor"][1] - allocated
            diff["open_minor"] = [stored["open_minor"], open_minor]
            if stored["status"] != Invoice.Status.CANCELLED:
                status = Invoice.Status.PAID if open_minor == 0 else Invoice.Status.OPEN
                if status != stored["status"]:
                    diff["status"] = [stored["status"], status]
        if diff:
            changed.append((stored, diff))
        else:
            unchanged += 1
    if errors:
        raise UpsertError(errors)

    # Ids of the new rows are needed for their instalments, and for per-row audit entries.
    need_ids = bool(new) and (batch is None or any(new_schedules))
    before = _max_id(Invoice) if need_ids else 0
    insert_rows(Invoice, new)
    ids = _ids(Invoice, creditor, [row["number"] for row in new], after=before) if need_ids else {}
    diffs = [(s, {k: v for k, v in d.items() if k != "instalments"}) for s, d in changed]
    updated = _update(Invoice, [(dict(s, creditor_id=creditor.pk), d) for s, d in diffs])
    parts = [
        InvoiceInstalment(
            invoice_id=ids[row["number"]],
            sequence=n,
            due_date=due,
            amount_minor=amount,
            open_minor=amount,
        )
        for row, schedule in zip(new, new_schedules, strict=True)
        for n, (due, amount) in enumerate(schedule, start=1)
    ]
    if replaced:
        allocated_by_id = {s["id"]: s["gross_minor"] - s["open_minor"] for s, _ in changed}
        replaced_ids = sorted(replaced)
        for chunk in _chunks(replaced_ids):
            InvoiceInstalment.objects.filter(invoice_id__in=chunk).delete()
        for invoice_id in replaced_ids:
            schedule = replaced[invoice_id]
            opens = settle_in_order([amount for _, amount in schedule], allocated_by_id[invoice_id])
            parts.extend(
                InvoiceInstalment(
                    invoice_id=invoice_id,
                    sequence=n,
                    due_date=due,
                    amount_minor=amount,
                    open_minor=open_minor,
                )
                for n, ((due, amount), open_minor) in enumerate(
                    zip(schedule, opens, strict=True), start=1
                )  # fmt: skip
            )
    InvoiceInstalment.objects.bulk_create(parts, batch_size=WRITE_BATCH)
    if batch is None:
        _audit_created(
            creditor,
            Invoice,
            new,
            ids,
            ("number", "customer_id", "due_date", "currency", "gross_minor"),
        )
    else:
        _audit_batch(creditor, Invoice, new, batch)
    audit_bulk(_audit_update(creditor, list(zip(updated, [d for _, d in changed], strict=True))))
    return UpsertResult(len(new), len(changed), unchanged)


def _invoice_update_problem(
    record: InvoiceRecord, stored: dict[str, Any], diff: dict[str, list[Any]], allocated: int
) -> tuple[str, str] | None:
    """Why a stored invoice may not take the new values (money already allocated to it)."""
    if not allocated:
        return None
    currency = stored["currency"]
    if "currency" in diff:
        return "currency", (
            f"invoice {record.number} already has {_fmt(allocated, currency)} allocated in "
            f"{currency}; its currency cannot change"
        )
    if "customer_id" in diff:
        return "customer", (
            f"invoice {record.number} already has payments or credit allocated; "
            "its customer cannot change"
        )
    if "gross_minor" in diff and diff["gross_minor"][1] < allocated:
        return "gross", (
            f"invoice {record.number}: the new total {_fmt(diff['gross_minor'][1], currency)} is "
            f"less than the {_fmt(allocated, currency)} already paid or credited"
        )
    return None


def _schedules(invoice_ids: Sequence[int]) -> dict[int, tuple[tuple[date, int], ...]]:
    found: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for chunk in _chunks(sorted(invoice_ids)):
        for invoice_id, due, amount in (
            InvoiceInstalment.objects.filter(invoice_id__in=chunk)
            .order_by("invoice_id", "due_date", "sequence")
            .values_list("invoice_id", "due_date", "amount_minor")
        ):
            found[invoice_id].append((due, amount))
    return {k: tuple(v) for k, v in found.items()}


def _invoices_by_number(creditor: Creditor, numbers: Iterable[str]) -> dict[str, dict[str, Any]]:
    return _existing(
        Invoice, creditor, numbers, ("customer_id", "currency", "open_minor", "status")
    )


# -- credit notes -------------------------------------------------------------------------------
_CREDIT_NOTE_COLUMNS = (
    "customer_id", "issue_date", "currency", "net_minor", "vat_minor", "gross_minor", "open_minor",
    "original_invoice_id", "status", "description",
)  # fmt: skip


@transaction.atomic
def credit_notes_upsert(
    *, creditor: Creditor, records: Sequence[CreditNoteRecord], source: str = "import"
) -> UpsertResult:
    """Create or update credit notes by number; one naming its invoice is allocated to it."""
    errors = _duplicates(records, "credit note")
    customers = _customers(creditor, (r.customer for r in records))
    invoices = _invoices_by_number(creditor, (r.invoice for r in records if r.invoice))
    existing = _existing(CreditNote, creditor, (r.number for r in records), _CREDIT_NOTE_COLUMNS)
    new: list[CreditNote] = []
    changed: list[tuple[dict[str, Any], dict[str, list[Any]]]] = []
    unchanged = 0
    for i, record in enumerate(records):
        customer = customers.get(record.customer)
        if customer is None:
            errors.append(RowError(i, "customer", f"unknown customer '{record.customer}'"))
            continue
        invoice_id = None
        if record.invoice:
            invoice = invoices.get(record.invoice)
            if invoice is None:
                errors.append(RowError(i, "invoice", f"unknown invoice '{record.invoice}'"))
                continue
            if invoice["customer_id"] != customer[0]:
                errors.append(
                    RowError(i, "invoice", f"invoice {record.invoice} belongs to another customer")
                )
                continue
            if invoice["currency"] != record.currency:
                errors.append(
                    RowError(i, "currency", f"invoice {record.invoice} is in {invoice['currency']}")
                )
                continue
            invoice_id = invoice["id"]
        minor = record.minor
        stored = existing.get(record.number)
        if stored is None:
            gross = minor(record.gross)
            new.append(
                CreditNote(
                    creditor=creditor,
                    customer_id=customer[0],
                    number=record.number,
                    issue_date=record.issue_date,
                    currency=record.currency,
                    net_minor=minor(record.net),
                    vat_minor=minor(record.vat),
                    gross_minor=gross,
                    open_minor=gross,
                    original_invoice_id=invoice_id,
                    description=record.description,
                    source=source,
                )
            )
            continue
        after: dict[str, Any] = {
            "customer_id": customer[0],
            "issue_date": record.issue_date,
            "net_minor": minor(record.net),
            "vat_minor": minor(record.vat),
            "gross_minor": minor(record.gross),
        }
        if "currency" in record.fields:
            after["currency"] = record.currency
        if "invoice" in record.fields:
            after["original_invoice_id"] = invoice_id
        if "description" in record.fields:
            after["description"] = record.description
        diff = _diff(stored, after)
        allocated = stored["gross_minor"] - stored["open_minor"]
        if allocated and ({"currency", "customer_id"} & diff.keys()):
            errors.append(
                RowError(
                    i,
                    "currency" if "currency" in diff else "customer",
                    f"credit note {record.number} is already allocated; "
                    "its currency and customer cannot change",
                )
            )
            continue
        if "gross_minor" in diff:
            gross = diff["gross_minor"][1]
            if gross < allocated:
                errors.append(
                    RowError(
                        i,
                        "gross",
                        f"credit note {record.number}: the new total {_fmt(gross, record.currency)}"
                        f" is less than the {_fmt(allocated, record.currency)} already allocated",
                    )
                )
                continue
            diff["open_minor"] = [stored["open_minor"], gross - allocated]
            if stored["status"] != CreditNote.Status.CANCELLED:
                status = CreditNote.Status.SETTLED if gross == allocated else CreditNote.Status.OPEN
                if status != stored["status"]:
                    diff["status"] = [stored["status"], status]
        if diff:
            changed.append((stored, diff))
        else:
            unchanged += 1
    if errors:
        raise UpsertError(errors)

    created = CreditNote.objects.bulk_create(new, batch_size=WRITE_BATCH)
    updated = _update(CreditNote, [(dict(s, creditor_id=creditor.pk), d) for s, d in changed])
    audit_bulk(
        _audit_create(
            creditor,
            created,
            (
                "number",
                "customer_id",
                "currency",
                "gross_minor",
                "original_invoice_id",
            ),  # fmt: skip
        )
    )
    audit_bulk(_audit_update(creditor, list(zip(updated, [d for _, d in changed], strict=True))))

    # Allocate each credit note to the invoice it corrects, as far as both are open.
    notes = [*created, *updated]
    invoice_open = {
        inv["id"]: inv["open_minor"]
        for inv in invoices.values()
        if inv["status"] != Invoice.Status.CANCELLED
    }
    requests = []
    for note in notes:
        invoice_id = note.original_invoice_id
        if invoice_id is None or invoice_id not in invoice_open or note.status == "cancelled":
            continue
        amount = min(note.open_minor, invoice_open[invoice_id])
        if amount > 0:
            invoice_open[invoice_id] -= amount
            requests.append(
                AllocationRequest(
                    invoice_id=invoice_id,
                    amount_minor=amount,
                    date=note.issue_date,
                    credit_note_id=note.pk,
                )
            )
    allocations_apply(creditor=creditor, requests=requests)
    return UpsertResult(len(created), len(changed), unchanged)


# -- payments -----------------------------------------------------------------------------------
_PAYMENT_COLUMNS = (
    "customer_id", "date", "currency", "amount_minor", "unallocated_minor", "payer_name",
    "payer_iban", "reference",
)  # fmt: skip


@transaction.atomic
def payments_upsert(
    *, creditor: Creditor, records: Sequence[PaymentRecord], source: str = Payment.Source.IMPORT
) -> UpsertResult:
    """Create or update payments by number, then allocate them to the invoices they name or whose
    structured reference they carry; the rest stays unallocated (credit on account)."""
    errors = _duplicates(records, "payment")
    customers = _customers(creditor, (r.customer for r in records))
    named = _invoices_by_number(creditor, (n for r in records for n in r.invoices))
    existing = _existing(Payment, creditor, (r.number for r in records), _PAYMENT_COLUMNS)
    new: list[Payment] = []
    changed: list[tuple[dict[str, Any], dict[str, list[Any]]]] = []
    unchanged = 0
    for i, record in enumerate(records):
        customer_id = None
        if record.customer:
            if record.customer not in customers:
                errors.append(RowError(i, "customer", f"unknown customer '{record.customer}'"))
                continue
            customer_id = customers[record.customer][0]
        bad = False
        for number in record.invoices:
            invoice = named.get(number)
            if invoice is None:
                message = f"unknown invoice '{number}'"
            elif invoice["currency"] != record.currency:
                message = f"invoice {number} is in {invoice['currency']}, not {record.currency}"
            elif customer_id is not None and invoice["customer_id"] != customer_id:
                message = f"invoice {number} belongs to another customer"
            else:
                continue
            errors.append(RowError(i, "invoice", message))
            bad = True
        if bad:
            continue
        amount = record.minor(record.amount)
        stored = existing.get(record.number)
        if stored is None:
            new.append(
                Payment(
                    creditor=creditor,
                    customer_id=customer_id,
                    number=record.number,
                    date=record.date,
                    currency=record.currency,
                    amount_minor=amount,
                    unallocated_minor=amount,
                    payer_name=record.payer_name,
                    payer_iban=record.payer_iban,
                    reference=record.reference,
                    source=source,
                )
            )
            continue
        after: dict[str, Any] = {"date": record.date, "amount_minor": amount}
        if "currency" in record.fields:
            after["currency"] = record.currency
        if "customer" in record.fields and customer_id is not None:
            after["customer_id"] = customer_id
        for name in ("payer_name", "payer_iban", "reference"):
            if name in record.fields:
                after[name] = getattr(record, name)
        diff = _diff(stored, after)
        allocated = stored["amount_minor"] - stored["unallocated_minor"]
        if allocated and ({"currency", "customer_id"} & diff.keys()):
            errors.append(
                RowError(
                    i,
                    "currency" if "currency" in diff else "customer",
                    f"payment {record.number} is already allocated; "
                    "its currency and customer cannot change",
                )
            )
            continue
        if "amount_minor" in diff:
            if amount < allocated:
                errors.append(
                    RowError(
                        i,
                        "amount",
                        f"payment {record.number}: the new amount {_fmt(amount, record.currency)} "
                        f"is less than the {_fmt(allocated, record.currency)} already allocated",
                    )
                )
                continue
            diff["unallocated_minor"] = [stored["unallocated_minor"], amount - allocated]
        if diff:
            changed.append((stored, diff))
        else:
            unchanged += 1
    if errors:
        raise UpsertError(errors)

    created = Payment.objects.bulk_create(new, batch_size=WRITE_BATCH)
    updated = _update(Payment, [(dict(s, creditor_id=creditor.pk), d) for s, d in changed])
    audit_bulk(_audit_create(creditor, created, ("number", "date", "currency", "amount_minor")))
    audit_bulk(_audit_update(creditor, list(zip(updated, [d for _, d in changed], strict=True))))
    _payments_allocate(creditor, records, [*created, *updated], named)
    return UpsertResult(len(created), len(changed), unchanged)


def _payments_allocate(
    creditor: Creditor,
    records: Sequence[PaymentRecord],
    payments: Sequence[Payment],
    named: dict[str, dict[str, Any]],
) -> None:
    """Allocate payments with money left to the invoices they name, else to the one whose
    structured reference they carry; in the order given, as much as each invoice has open."""
    by_number = {p.number: p for p in payments}
    # Unchanged payments with money left may now find their invoice (imported since).
    open_left = [r for r in records if r.number not in by_number]
    if open_left:
        for chunk in _chunks([r.number for r in open_left]):
            for waiting in Payment.objects.filter(
                creditor=creditor, number__in=chunk, unallocated_minor__gt=0
            ):
                by_number[waiting.number] = waiting
    references: dict[str, str] = {}
    for record in records:
        if not record.invoices and record.reference and record.number in by_number:
            try:
                references[record.number] = normalise_reference(record.reference)
            except ValueError:
                continue  # free text: left for a person (or the bank matcher) to allocate
    by_reference: dict[str, dict[str, Any]] = {}
    ref_values = sorted(set(references.values()))
    for chunk in _chunks(ref_values):
        for row in Invoice.objects.filter(
            creditor=creditor, payment_reference__in=chunk, status=Invoice.Status.OPEN
        ).values("id", "number", "customer_id", "currency", "open_minor", "payment_reference"):
            by_reference[row["payment_reference"]] = dict(row)
    invoice_open = {
        row["id"]: row["open_minor"] for row in named.values() if row["status"] == "open"
    }
    invoice_open.update({row["id"]: row["open_minor"] for row in by_reference.values()})
    requests = []
    for record in records:
        payment = by_number.get(record.number)
        if payment is None or payment.unallocated_minor <= 0:
            continue
        if record.invoices:
            targets = [named[n] for n in record.invoices]
        elif references.get(record.number) in by_reference:
            target = by_reference[references[record.number]]
            if target["currency"] != payment.currency or (
                payment.customer_id not in (None, target["customer_id"])
            ):
                continue
            targets = [target]
        else:
            continue
        left = payment.unallocated_minor
        for target in targets:
            amount = min(left, invoice_open.get(target["id"], 0))
            if amount <= 0:
                continue
            invoice_open[target["id"]] -= amount
            left -= amount
            requests.append(
                AllocationRequest(
                    invoice_id=target["id"],
                    amount_minor=amount,
                    date=payment.date,
                    payment_id=payment.pk,
                )
            )
    allocations_apply(creditor=creditor, requests=requests)


# -- documents ----------------------------------------------------------------------------------
@transaction.atomic
def document_attach(
    *, creditor: Creditor, item: Invoice | CreditNote, filename: str, content: bytes
) -> bool:
    """Keep the original document (the PDF of an e-invoice) with its invoice or credit note.

    Returns False when the same document is already attached, so re-imports write nothing.
    """
    from django.core.files.base import ContentFile

    field = item.document
    if field.name:
        try:
            with field.storage.open(field.name, "rb") as stored:
                if stored.read() == content:
                    return False
        except OSError:
            pass  # the stored file is gone: attach it again
    old = field.name or None
    field.save(f"{creditor.code}/{filename}", ContentFile(content), save=False)
    type(item).objects.filter(pk=item.pk).update(document=field.name, updated_at=timezone.now())
    audit_bulk(
        [
            AuditEntry.build(
                creditor_id=creditor.pk,
                obj=item,
                action=AuditEntry.Action.UPDATE,
                changes={"document": [old, field.name]},
            )
        ]
    )
    return True
