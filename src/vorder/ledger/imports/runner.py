"""Importing a file: read → validate every row → (only when all is well) upsert → summary.

All-or-nothing per file by default: every row is parsed and every problem collected as
{file, row, field, message}; when there is any, the whole file is rolled back and nothing is
written. With ``partial`` the good rows are imported and the bad ones reported. ``dry_run`` does
all the work, reports what would happen, and rolls back.

Rows stream through in chunks of ``CHUNK_ROWS`` inside one transaction, so a file of a million
invoices needs neither a million records in memory nor a million queries; a chunk is upserted as
soon as it is complete while the file is still clean, and the transaction is rolled back at the
end if a later row turns out bad.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import connection, transaction

from vorder.common.bulk import bulk_work
from vorder.domain.references import generator
from vorder.ledger.imports.tabular import Table, UnreadableFile, read_table
from vorder.ledger.imports.ubl import UblError, parse_ubl_file
from vorder.ledger.models import CreditNote, Creditor, Customer, Invoice
from vorder.ledger.records import (
    InvoiceRowReader,
    RecordErrors,
    parse_credit_note,
    parse_customer,
    parse_invoice,
    parse_payment,
)
from vorder.ledger.services.allocations import AllocationError
from vorder.ledger.services.upserts import (
    ImportBatch,
    UpsertError,
    UpsertResult,
    credit_notes_upsert,
    customers_by_number,
    customers_upsert,
    document_attach,
    invoices_upsert,
    payments_upsert,
)

CHUNK_ROWS = 20_000
T = TypeVar("T")
MAX_ERRORS = 1000  # listed per file; beyond that a count

KINDS = ("customers", "invoices", "credit_notes", "payments")
ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class ImportProblem:
    file: str
    row: int  # spreadsheet row (header = 1); for XML the line; 0 when it concerns the whole file
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.field}: {self.message}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ImportProblem] = field(default_factory=list)
    written: bool = False  # False after a dry run or a refused file

    def add(self, result: UpsertResult) -> None:
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged

    def as_json(self) -> dict[str, Any]:
        """The stable contract for scripts (see docs/imports.md)."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [
                {"file": e.file, "row": e.row, "field": e.field, "message": e.message}
                for e in self.errors
            ],
        }


def _parser(kind: str, creditor: Creditor, table: Table) -> Callable[[list[object]], Any]:
    """A row's cells → its record, or RecordErrors naming every bad field."""
    currency = creditor.currency
    separator = table.decimal_separator
    mapping = table.mapping
    if kind == "customers":
        return lambda cells: parse_customer(
            mapping(cells), decimal_separator=separator, currency=currency
        )
    if kind == "invoices":
        # The fast reader takes the rows it is sure of; parse_invoice reads (and explains) the rest.
        # Both make the reference a new invoice would get here, in the reading thread.
        reference_for = generator(creditor.reference_style)
        fast = InvoiceRowReader(
            table.columns,
            decimal_separator=separator,
            default_currency=currency,
            reference_for=reference_for,
        )

        def invoice(cells: list[object]) -> Any:
            return fast(cells) or parse_invoice(
                mapping(cells),
                decimal_separator=separator,
                default_currency=currency,
                reference_for=reference_for,
            )

        return invoice
    parse = {"credit_notes": parse_credit_note, "payments": parse_payment}[kind]
    return lambda cells: parse(
        mapping(cells), decimal_separator=separator, default_currency=currency
    )


_UPSERTS: dict[str, Callable[..., UpsertResult]] = {
    "customers": customers_upsert,
    "invoices": invoices_upsert,
    "credit_notes": credit_notes_upsert,
    "payments": payments_upsert,
}


# Kinds whose created rows are audited as one entry per chunk (docs/imports.md, "Audit trail").
_BATCH_AUDITED = frozenset({"customers", "invoices"})


SQLITE_IMPORT_CACHE_KIB = 256 * 1024


@contextmanager
def _bulk_session() -> Iterator[None]:
    """No cyclic garbage collection (``common.bulk``); on SQLite a page cache big enough for the
    indexes of a million-row file while it imports.

    With the default 2 MiB cache, inserting into the invoice indexes (customer, payment
    reference: random order) evicts and re-reads pages all the time, roughly doubling the cost
    of every insert. The cache grows only as far as it is used and is set back afterwards.
    """
    with bulk_work():
        if connection.vendor != "sqlite":
            yield
            return
        with _sqlite_cache():
            yield


@contextmanager
def _sqlite_cache() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _has_rows(kind: str, creditor: Creditor) -> bool:
    model = Customer if kind == "customers" else Invoice
    return bool(model.objects.filter(creditor=creditor).exists())


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class _Rollback(Exception):
    """Raised inside the transaction to undo a refused file or a dry run."""


def import_table(
    *,
    creditor: Creditor,
    kind: str,
    path: Path | str,
    decimal_separator: str | None = None,
    partial: bool = False,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
    file_label: str | None = None,
) -> ImportReport:
    """Import one CSV or XLSX file of customers, invoices, credit notes or payments."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind '{kind}'")
    label = file_label or str(path)
    report = ImportReport()
    try:
        table = read_table(path, kind, decimal_separator=decimal_separator)
    except (OSError, UnreadableFile) as exc:
        report.errors.append(ImportProblem(label, 0, "", str(exc)))
        return report
    if table.header_errors:
        report.errors.extend(ImportProblem(label, 1, f, m) for f, m in table.header_errors)
        return report
    parse = _parser(kind, creditor, table)
    upsert = _UPSERTS[kind]
    errors = _Errors(label)
    digest = _sha256(Path(path)) if kind in _BATCH_AUDITED else ""
    try:
        with _bulk_session(), transaction.atomic():
            new_only = kind in _BATCH_AUDITED and not _has_rows(kind, creditor)
            customers = None
            # rows are read and checked in a thread while the chunk before is written
            chunks = _read_ahead(_chunks(table.cells(), parse, errors))
            for chunk, (rows, records, last_row) in enumerate(chunks, start=1):
                if records and (partial or not errors):
                    extra: dict[str, Any] = {}
                    if kind == "invoices" and customers is None and len(records) == CHUNK_ROWS:
                        customers = customers_by_number(creditor)  # a big file: read them once
                    if kind in _BATCH_AUDITED:
                        extra["batch"] = ImportBatch(
                            Path(label).name, digest, chunk, new_only, customers
                        )
                    _upsert_chunk(upsert, creditor, rows, records, report, errors, partial, extra)
                if on_progress:
                    on_progress(max(last_row - 1, 0), table.total_rows)
            if dry_run or (errors and not partial):
                raise _Rollback
            report.written = True
    except _Rollback:
        pass
    report.errors = errors.listed()
    if errors and not partial:
        report.created = report.updated = report.unchanged = 0
    return report


class _Errors:
    """Problems of one file, in row order, listing at most MAX_ERRORS."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.items: list[ImportProblem] = []
        self.count = 0
        self._lock = threading.Lock()  # the reading thread and the writing one both report

    def add(self, row: int, field_name: str, message: str) -> None:
        with self._lock:
            self.count += 1
            if len(self.items) < MAX_ERRORS:
                self.items.append(ImportProblem(self.label, row, field_name, message))

    def __bool__(self) -> bool:
        return self.count > 0

    def listed(self) -> list[ImportProblem]:
        items = sorted(self.items, key=lambda e: e.row)
        if self.count > len(items):
            items.append(
                ImportProblem(
                    self.label, 0, "", f"{self.count - len(items)} more errors not listed"
                )
            )
        return items


def _chunks(
    rows: Iterator[tuple[int, list[object]]],
    parse: Callable[[list[object]], Any],
    errors: _Errors,
) -> Iterator[tuple[list[int], list[Any], int]]:
    """Parsed records with their row numbers, CHUNK_ROWS at a time, and the last row read;
    bad rows go to ``errors``."""
    seen: dict[str, int] = {}
    numbers: list[int] = []
    records: list[Any] = []
    bad_rows = 0
    row_number = 1
    for row_number, row in rows:
        try:
            record = parse(row)
        except RecordErrors as exc:
            bad_rows += 1
            for problem in exc.errors:
                errors.add(row_number, problem.field, problem.message)
        else:
            first = seen.setdefault(record.number, row_number)
            if first != row_number:
                bad_rows += 1
                errors.add(
                    row_number,
                    "number",
                    f"{record.number} appears twice in this file (row {first})",
                )
            else:
                numbers.append(row_number)
                records.append(record)
        if len(records) + bad_rows >= CHUNK_ROWS:
            yield numbers, records, row_number
            numbers, records, bad_rows = [], [], 0
    yield numbers, records, row_number


def _read_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """The items of ``items``, produced in a thread up to ``depth`` ahead of the consumer.

    Why: reading and checking a chunk of rows is pure Python, while writing the chunk before
    mostly waits for the database (which releases the GIL). Overlapping the two takes the
    parsing off the critical path of a million-row import. The producer touches no database.
    An error in the producer is raised here, at the item where it happened; a consumer that
    stops early stops the producer too.
    """
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                handoff.put((kind, value), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put("error", exc)
            return
        put("done", None)

    producer = threading.Thread(target=produce, name="import-reader", daemon=True)
    producer.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        producer.join()


def _upsert_chunk(
    upsert: Callable[..., UpsertResult],
    creditor: Creditor,
    rows: Sequence[int],
    records: Sequence[Any],
    report: ImportReport,
    errors: _Errors,
    partial: bool,
    extra: dict[str, Any] | None = None,
) -> None:
    """Upsert one chunk; in partial mode drop the refused records and try the rest again."""
    rows, records = list(rows), list(records)
    while records:
        try:
            with transaction.atomic():
                report.add(upsert(creditor=creditor, records=records, **(extra or {})))
            return
        except UpsertError as exc:
            bad = set()
            for problem in exc.errors:
                errors.add(rows[problem.index], problem.field, problem.message)
                bad.add(problem.index)
        except AllocationError as exc:
            errors.add(rows[0], "", f"allocation refused: {exc}")
            return
        if not partial:
            return
        keep = [i for i in range(len(records)) if i not in bad]
        rows, records = [rows[i] for i in keep], [records[i] for i in keep]


# -- UBL ------------------------------------------------------------------------------------
def import_ubl(
    *,
    creditor: Creditor,
    paths: Sequence[Path | str],
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import UBL e-invoices and credit notes, each file all-or-nothing.

    The counts are of invoices and credit notes; their buyers are created or updated on the way.
    """
    report = ImportReport()
    for done, path in enumerate(paths, start=1):
        _import_ubl_file(creditor, Path(path), str(path), report, dry_run)
        if on_progress:
            on_progress(done, len(paths))
    report.written = not dry_run and bool(report.created or report.updated)
    return report


def _import_ubl_file(
    creditor: Creditor, path: Path, label: str, report: ImportReport, dry_run: bool
) -> None:
    try:
        document = parse_ubl_file(path)
    except OSError as exc:
        report.errors.append(ImportProblem(label, 0, "", str(exc)))
        return
    except UblError as exc:
        report.errors.append(ImportProblem(label, exc.line, exc.field, str(exc)))
        return
    except RecordErrors as exc:
        report.errors.extend(ImportProblem(label, 0, e.field, e.message) for e in exc.errors)
        return
    try:
        with transaction.atomic():
            customers_upsert(creditor=creditor, records=[document.customer])
            item: Invoice | CreditNote
            if document.invoice is not None:
                result = invoices_upsert(
                    creditor=creditor, records=[document.invoice], source="ubl"
                )
                item = Invoice.objects.get(creditor=creditor, number=document.number)
            else:
                note = document.credit_note
                assert note is not None
                if (
                    note.invoice
                    and not Invoice.objects.filter(creditor=creditor, number=note.invoice).exists()
                ):
                    # The corrected invoice is not in vorder: keep the credit unallocated.
                    note = _without_invoice(note)
                result = credit_notes_upsert(creditor=creditor, records=[note], source="ubl")
                item = CreditNote.objects.get(creditor=creditor, number=document.number)
            if document.attachment and not dry_run:
                filename, content = document.attachment
                attached = document_attach(
                    creditor=creditor, item=item, filename=filename, content=content
                )
                if attached and result.unchanged:
                    result = UpsertResult(result.created, result.updated + 1, 0)
            report.add(result)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    except UpsertError as exc:
        for problem in exc.errors:
            line = document.lines.get(problem.field, 0)
            report.errors.append(ImportProblem(label, line, problem.field, problem.message))
    except AllocationError as exc:
        report.errors.append(ImportProblem(label, 0, "", f"allocation refused: {exc}"))


def _without_invoice(note: Any) -> Any:
    from dataclasses import replace

    return replace(note, invoice="", fields=note.fields - {"invoice"})
