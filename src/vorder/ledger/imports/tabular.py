"""Reading CSV and XLSX files with Dutch or English column headers.

``COLUMNS`` below is the one table of the column names vorder understands, per kind of file; the
user guide (docs/imports.md) documents the same table. Headers are compared without case, spaces
or punctuation, so "Factuur nummer", "factuurnummer" and "FACTUUR_NUMMER" are the same column.

CSV files: encoding UTF-8 (with or without byte-order mark), else Windows-1252 (what Excel on a
Dutch Windows writes); the delimiter (``;`` ``,`` tab or ``|``) is the one the header line uses
most. XLSX files: the first sheet, read in openpyxl's streaming mode; number cells become exact
Decimals through their shortest round-trip text (the digits Excel stored), never float arithmetic.

Decimal comma or point is decided once per file from the amount columns: a value with both
separators has its decimal one last, a value with one or two digits after its only separator
votes for that separator. Without evidence (whole amounts only), ``;``-separated files read a
comma, others a point. The command line can override the decision.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from vorder.ledger.records import AMOUNT_FIELDS, REQUIRED_FIELDS

_CUSTOMER_REF = (
    "customer", "customer number", "customer no", "customer id", "debtor", "debtor number",
    "debtor no", "account number", "klant", "klantnummer", "klantnr", "debiteur",
    "debiteurnummer", "debiteurnr", "relatienummer", "relatie",
)  # fmt: skip
_CURRENCY = ("currency", "valuta", "munt", "munteenheid")
_NET = ("net", "net amount", "amount excl vat", "excl vat", "subtotal", "netto", "bedrag excl btw", "excl btw")  # fmt: skip
_VAT = ("vat", "vat amount", "tax", "tax amount", "btw", "btw bedrag")
_GROSS = (
    "gross", "gross amount", "total", "total amount", "amount", "amount incl vat", "incl vat",
    "bruto", "totaal", "bedrag", "bedrag incl btw", "incl btw", "factuurbedrag", "totaalbedrag",
)  # fmt: skip

#: kind → canonical field → accepted column headers (English and Dutch).
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "number": ("number", *_CUSTOMER_REF),
        "name": (
            "name",
            "customer name",
            "company name",
            "company",
            "naam",
            "klantnaam",
            "bedrijfsnaam",
            "debiteurnaam",
            "bedrijf",
        ),  # fmt: skip
        "kind": ("kind", "type", "customer type", "b2b/b2c", "soort", "klanttype"),
        "coc_number": (
            "coc number",
            "coc",
            "chamber of commerce",
            "company number",
            "registration number",
            "kvk",
            "kvk nummer",
            "kvk-nummer",
            "kbo",
            "kbo nummer",
            "ondernemingsnummer",
        ),  # fmt: skip
        "vat_number": (
            "vat number",
            "vat",
            "vat id",
            "btw",
            "btw nummer",
            "btw-nummer",
            "btw id",
            "btw-id",
        ),  # fmt: skip
        "address_line1": ("address", "address line 1", "street", "adres", "straat", "adresregel 1"),
        "address_line2": ("address line 2", "adresregel 2"),
        "postal_code": ("postal code", "postcode", "zip", "zip code"),
        "city": ("city", "town", "plaats", "woonplaats", "stad", "gemeente"),
        "country": ("country", "country code", "land", "landcode"),
        "email": ("email", "e-mail", "email address", "e-mailadres", "mail"),
        "phone": ("phone", "telephone", "phone number", "telefoon", "telefoonnummer", "tel"),
        "language": ("language", "taal"),
        "preferred_channel": ("preferred channel", "channel", "voorkeurskanaal", "kanaal"),
        "payment_term_days": (
            "payment term days",
            "payment term",
            "payment terms",
            "terms",
            "betalingstermijn",
            "betaaltermijn",
            "termijn",
        ),  # fmt: skip
        "credit_limit": ("credit limit", "kredietlimiet", "limiet"),
        "segment": ("segment",),
        "tags": ("tags", "labels"),
        "on_hold": ("on hold", "hold", "blocked", "geblokkeerd", "in de wacht"),
        "on_hold_reason": ("on hold reason", "hold reason", "reden geblokkeerd", "reden"),
        "iban": ("iban", "bank account", "rekeningnummer", "bankrekening"),
        "contact_name": ("contact name", "contact", "contact person", "contactpersoon"),
        "contact_role": ("contact role", "rol contactpersoon", "functie"),
        "contact_email": ("contact email", "contact e-mail", "e-mail contactpersoon"),
        "contact_phone": ("contact phone", "telefoon contactpersoon"),
    },
    "invoices": {
        "number": (
            "number",
            "invoice",
            "invoice number",
            "invoice no",
            "invoice id",
            "nummer",
            "factuur",
            "factuurnummer",
            "factuurnr",
        ),  # fmt: skip
        "customer": _CUSTOMER_REF,
        "issue_date": ("issue date", "invoice date", "date", "factuurdatum", "datum"),
        "due_date": ("due date", "due", "vervaldatum", "vervaldag"),
        "currency": _CURRENCY,
        "net": _NET,
        "vat": _VAT,
        "gross": _GROSS,
        "payment_reference": (
            "payment reference",
            "reference",
            "structured reference",
            "betalingskenmerk",
            "betaalkenmerk",
            "kenmerk",
            "gestructureerde mededeling",
            "ogm",
        ),  # fmt: skip
        "description": ("description", "omschrijving"),
        "order_reference": (
            "order reference",
            "po number",
            "purchase order",
            "order",
            "ordernummer",
            "inkoopordernummer",
        ),  # fmt: skip
        "instalments": ("instalments", "installments", "termijnen", "deelbetalingen"),
    },
    "credit_notes": {
        "number": (
            "number",
            "credit note",
            "credit note number",
            "nummer",
            "creditnota",
            "creditnotanummer",
            "creditfactuur",
        ),  # fmt: skip
        "customer": _CUSTOMER_REF,
        "issue_date": ("issue date", "credit note date", "date", "datum", "creditnotadatum"),
        "currency": _CURRENCY,
        "net": _NET,
        "vat": _VAT,
        "gross": _GROSS,
        "invoice": (
            "invoice",
            "invoice number",
            "original invoice",
            "factuur",
            "factuurnummer",
            "originele factuur",
        ),  # fmt: skip
        "description": ("description", "omschrijving"),
    },
    "payments": {
        "number": (
            "number",
            "payment",
            "payment number",
            "payment id",
            "transaction id",
            "nummer",
            "betaling",
            "betalingsnummer",
            "transactienummer",
            "boekingsnummer",
        ),  # fmt: skip
        "date": (
            "date",
            "payment date",
            "value date",
            "datum",
            "betaaldatum",
            "valutadatum",
            "boekdatum",
        ),  # fmt: skip
        "amount": ("amount", "amount paid", "bedrag", "betaald bedrag"),
        "currency": _CURRENCY,
        "customer": _CUSTOMER_REF,
        "payer_name": ("payer name", "payer", "naam betaler", "betaler", "tegenpartij"),
        "payer_iban": ("payer iban", "iban", "iban betaler", "tegenrekening", "rekening betaler"),
        "reference": (
            "reference",
            "remittance",
            "description",
            "omschrijving",
            "mededeling",
            "betalingskenmerk",
            "kenmerk",
        ),  # fmt: skip
        "invoice": (
            "invoice",
            "invoices",
            "invoice number",
            "factuur",
            "facturen",
            "factuurnummer",
        ),  # fmt: skip
    },
}

KINDS = tuple(COLUMNS)
SAMPLE_ROWS = 10_000  # rows scanned to decide decimal comma or point


def normalise_header(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.strip().lstrip("\ufeff").lower())


def _lookup(kind: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, aliases in COLUMNS[kind].items():
        for alias in (canonical, *aliases):
            table.setdefault(normalise_header(alias), canonical)
    return table


_LOOKUPS = {kind: _lookup(kind) for kind in COLUMNS}


@dataclass
class Table:
    """A file's header mapped to canonical fields, and its data rows as canonical mappings."""

    path: Path
    kind: str
    columns: list[str | None]
    decimal_separator: str
    header_errors: list[tuple[str, str]] = field(default_factory=list)  # (field, message), row 1
    total_rows: int | None = None
    _raw_rows: Callable[[], Iterator[tuple[int, list[object]]]] | None = None

    def rows(self) -> Iterator[tuple[int, dict[str, object]]]:
        """(row number as a spreadsheet shows it, {canonical field: value}); blank rows skipped."""
        mapping = self.mapping
        for number, raw in self.cells():
            yield number, mapping(raw)

    def cells(self) -> Iterator[tuple[int, list[object]]]:
        """(row number, the row's cells in file order); blank rows skipped. Cheaper than
        :meth:`rows` for a reader that knows the column positions (records.InvoiceRowReader)."""
        assert self._raw_rows is not None
        for number, raw in self._raw_rows():
            # any(raw): a truthy cell is never blank; only rows without one need the full test.
            if any(raw) or any(v not in (None, "") for v in raw):
                yield number, raw

    def mapping(self, raw: list[object]) -> dict[str, object]:
        """One row's cells as {canonical field: value}; missing trailing cells are None."""
        width = len(raw)
        return {name: (raw[i] if i < width else None) for i, name in self._named}

    @cached_property
    def _named(self) -> list[tuple[int, str]]:
        return [(i, name) for i, name in enumerate(self.columns) if name]


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX file vorder can read."""


def read_table(path: Path | str, kind: str, *, decimal_separator: str | None = None) -> Table:
    path = Path(path)
    if kind not in COLUMNS:
        raise ValueError(f"unknown kind of file '{kind}'")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        header, raw_rows, total = _xlsx(path)
        default_separator = "."
    else:
        header, raw_rows, total, delimiter = _csv(path)
        default_separator = "," if delimiter == ";" else "."
    columns, errors = map_header(header, kind)
    if decimal_separator is None:
        decimal_separator = (
            detect_decimal_separator(
                raw_rows, [i for i, c in enumerate(columns) if c in AMOUNT_FIELDS[kind]]
            )
            or default_separator
        )
    return Table(path, kind, columns, decimal_separator, errors, total, raw_rows)


def map_header(header: list[object], kind: str) -> tuple[list[str | None], list[tuple[str, str]]]:
    """Canonical field per column, and what is wrong with the header (unknown, twice, missing)."""
    lookup = _LOOKUPS[kind]
    columns: list[str | None] = []
    errors: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for cell in header:
        text = "" if cell is None else str(cell).strip()
        if not text:
            columns.append(None)
            continue
        canonical = lookup.get(normalise_header(text))
        if canonical is None:
            errors.append(
                (text, f"unknown column for {kind.replace('_', ' ')} (see docs/imports.md)")
            )
        elif canonical in seen:
            errors.append((text, f"is the same column as '{seen[canonical]}'"))
            canonical = None
        else:
            seen[canonical] = text
        columns.append(canonical)
    for required in REQUIRED_FIELDS[kind]:
        if required not in seen:
            errors.append((required, "required column is missing"))
    if kind in ("invoices", "credit_notes") and not {"gross", "net"} & seen.keys():
        errors.append(("gross", "required column is missing (or give net and vat)"))
    return columns, errors


def detect_decimal_separator(
    raw_rows: Callable[[], Iterator[tuple[int, list[object]]]], amount_columns: list[int]
) -> str | None:
    if not amount_columns:
        return None
    comma = point = 0
    for n, (_, row) in enumerate(raw_rows()):
        if n >= SAMPLE_ROWS:
            break
        for i in amount_columns:
            value = row[i] if i < len(row) else None
            if not isinstance(value, str):
                continue
            text = value.strip()
            last_comma, last_point = text.rfind(","), text.rfind(".")
            if last_comma >= 0 and last_point >= 0:
                if last_comma > last_point:
                    comma += 1
                else:
                    point += 1
            elif last_comma >= 0 and re.search(r",\d{1,2}\)?-?$", text):
                comma += 1
            elif last_point >= 0 and re.search(r"\.\d{1,2}\)?-?$", text):
                point += 1
    if comma == point:
        return None
    return "," if comma > point else "."


# -- CSV -------------------------------------------------------------------------------------
def decode(data: bytes) -> str:
    """UTF-8 (a byte-order mark is dropped), else Windows-1252, else Latin-1 (never fails)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _csv(
    path: Path,
) -> tuple[list[object], Callable[[], Iterator[tuple[int, list[object]]]], int, str]:
    text = decode(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t|", key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[object] = list(next(reader, []))
    total = max(text.count("\n") - 1 + (0 if text.endswith("\n") else 1), 0)

    def rows() -> Iterator[tuple[int, list[object]]]:
        body = csv.reader(io.StringIO(text), delimiter=delimiter)
        next(body, None)
        yield from enumerate(body, start=2)

    return header, rows, total, delimiter


# -- XLSX ------------------------------------------------------------------------------------
def _cell(value: object) -> object:
    """Spreadsheet values as vorder reads them: exact numbers, dates, text."""
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return Decimal(repr(value))  # the shortest text that reads back as the stored number
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date | int | Decimal) or value is None:
        return value
    return str(value)


def _xlsx(path: Path) -> tuple[list[object], Callable[[], Iterator[tuple[int, list[object]]]], int | None]:  # fmt: skip
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise UnreadableFile(f"cannot read {path.name} as an XLSX workbook: {exc}") from exc
    sheet = workbook.worksheets[0]
    header_row = 1
    header: list[object] = []
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if any(v not in (None, "") for v in row):
            header_row, header = number, list(row)
            break
    total = (sheet.max_row - header_row) if sheet.max_row else None

    def rows() -> Iterator[tuple[int, list[object]]]:
        for number, row in enumerate(
            sheet.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
        ):
            yield number, [_cell(v) for v in row]

    return header, rows, total
