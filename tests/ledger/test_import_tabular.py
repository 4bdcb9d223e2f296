"""Importing CSV and XLSX files: Dutch or English headers, delimiters, decimal commas, and
all-or-nothing per file with every error named by file, row and field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from vorder.ledger.imports.runner import import_table
from vorder.ledger.imports.tabular import COLUMNS, normalise_header, read_table
from vorder.ledger.models import Contact, CreditNote, Customer, Invoice, InvoiceInstalment, Payment
from vorder.ledger.selectors import ledger_integrity_problems

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems(report) -> list[tuple[int, str]]:
    return [(e.row, e.field) for e in report.errors]


def test_every_header_alias_means_one_field_per_kind():
    for kind, columns in COLUMNS.items():
        seen: dict[str, str] = {}
        for canonical, aliases in columns.items():
            for alias in (canonical, *aliases):
                key = normalise_header(alias)
                assert seen.setdefault(key, canonical) == canonical, (kind, alias)


def test_the_example_files_import_cleanly_and_balance(creditor):
    for kind in ("customers", "invoices", "credit_notes", "payments"):
        report = import_table(creditor=creditor, kind=kind, path=EXAMPLES / f"{kind}.csv")
        assert report.errors == [], kind
        assert report.created > 0
    assert Customer.objects.filter(creditor=creditor).count() == 5
    assert Contact.objects.count() == 2
    assert Invoice.objects.get(number="2024-0101").status == "paid"  # credit note + payment
    assert Invoice.objects.get(number="2024-0103").status == "paid"  # matched by its OGM
    assert Invoice.objects.get(number="2024-0106").gross_minor == 151250
    assert list(
        InvoiceInstalment.objects.filter(invoice__number="2024-0105").values_list(
            "open_minor", flat=True
        )  # fmt: skip
    ) == [0, 24200, 24200]
    assert Payment.objects.get(number="BANK-2024-10-004").unallocated_minor == 50000
    assert ledger_integrity_problems() == []
    # Importing the same files again changes nothing.
    for kind in ("customers", "invoices", "credit_notes", "payments"):
        again = import_table(creditor=creditor, kind=kind, path=EXAMPLES / f"{kind}.csv")
        assert (again.created, again.updated, again.errors) == (0, 0, []), kind


def test_dutch_headers_semicolons_and_decimal_commas(customer, tmp_path):
    path = write(
        tmp_path,
        "facturen.csv",
        "Factuurnummer;Debiteurnummer;Factuurdatum;Vervaldatum;Bedrag excl. BTW;BTW;Totaal\n"
        f"2024-001;{customer.number};15-03-2024;14-04-2024;1.000,00;210,00;1.210,00\n"
        f"2024-002;{customer.number};16-03-2024;15-04-2024;99,5;20,90;120,40\n",
        encoding="cp1252",
    )
    report = import_table(creditor=customer.creditor, kind="invoices", path=path)
    assert report.errors == []
    assert report.created == 2
    first = Invoice.objects.get(number="2024-001")
    assert (first.net_minor, first.vat_minor, first.gross_minor) == (100000, 21000, 121000)
    assert first.due_date == dt.date(2024, 4, 14)


def test_a_utf8_bom_and_tabs(creditor, tmp_path):
    path = write(
        tmp_path, "klanten.txt", "\ufeffKlantnummer\tNaam\tPlaats\nD1\tCafé ’t Hoekje\tDen Bosch\n"
    )
    report = import_table(creditor=creditor, kind="customers", path=path)
    assert report.errors == []
    assert Customer.objects.get(number="D1").name == "Café ’t Hoekje"


def test_windows_1252_files_are_read(creditor, tmp_path):
    path = write(
        tmp_path, "klanten.csv", "Klantnummer;Naam\nD1;Crème brûlée BV\n", encoding="cp1252"
    )
    assert import_table(creditor=creditor, kind="customers", path=path).errors == []
    assert Customer.objects.get(number="D1").name == "Crème brûlée BV"


def test_decimal_point_is_detected_from_the_amounts(customer, tmp_path):
    path = write(
        tmp_path,
        "invoices.csv",
        "number;customer;issue_date;gross\n"
        f"F1;{customer.number};2024-03-01;1,234.50\nF2;{customer.number};2024-03-01;12.25\n",
    )
    table = read_table(path, "invoices")
    assert table.decimal_separator == "."
    import_table(creditor=customer.creditor, kind="invoices", path=path)
    assert Invoice.objects.get(number="F1").gross_minor == 123450


def test_the_separator_can_be_forced(customer, tmp_path):
    path = write(tmp_path, "i.csv", f"number,customer,issue_date,gross\nF1,{customer.number},2024-03-01,1.234\n")  # fmt: skip
    import_table(creditor=customer.creditor, kind="invoices", path=path, decimal_separator=",")
    assert Invoice.objects.get().gross_minor == 123400


def test_xlsx_with_number_and_date_cells(customer, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Factuurnummer", "Klantnummer", "Factuurdatum", "Netto", "BTW", "Totaal"])
    sheet.append([20240001, customer.number, dt.datetime(2024, 3, 1), 100.1, 21.02, 121.12])
    sheet.append(["2024-0002", customer.number, "02-03-2024", 50, 0, 50])
    path = tmp_path / "facturen.xlsx"
    workbook.save(path)

    report = import_table(creditor=customer.creditor, kind="invoices", path=path)
    assert report.errors == []
    first = Invoice.objects.get(number="20240001")
    assert (first.net_minor, first.vat_minor, first.gross_minor) == (10010, 2102, 12112)
    assert first.issue_date == dt.date(2024, 3, 1)
    assert Invoice.objects.get(number="2024-0002").gross_minor == 5000


def test_xlsx_amounts_with_too_many_decimals_are_refused(customer, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["number", "customer", "issue_date", "gross"])
    workbook.active.append(["F1", customer.number, "2024-03-01", 10.005])
    path = tmp_path / "i.xlsx"
    workbook.save(path)
    report = import_table(creditor=customer.creditor, kind="invoices", path=path)
    assert problems(report) == [(2, "gross")]
    assert "more than 2 decimals" in report.errors[0].message


def test_an_unknown_column_refuses_the_file(creditor, tmp_path):
    path = write(tmp_path, "k.csv", "Klantnummer;Naam;Schoenmaat\nD1;Jansen;43\n")
    report = import_table(creditor=creditor, kind="customers", path=path)
    assert problems(report) == [(1, "Schoenmaat")]
    assert str(report.errors[0]) == f"{path}:1:Schoenmaat: unknown column for customers (see docs/imports.md)"  # fmt: skip
    assert not Customer.objects.exists()


def test_a_missing_required_column_refuses_the_file(creditor, tmp_path):
    path = write(tmp_path, "k.csv", "Naam\nJansen\n")
    report = import_table(creditor=creditor, kind="customers", path=path)
    assert problems(report) == [(1, "number")]


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ("F2,D10001,,100.00", "issue_date", "is required"),
        ("F2,D10001,2024-13-01,100.00", "issue_date", "is not a date"),
        ("F2,D10001,2024-03-01,honderd", "gross", "is not an amount"),
        ("F2,D99999,2024-03-01,100.00", "customer", "unknown customer 'D99999'"),
        ("F1,D10001,2024-03-01,100.00", "number", "appears twice in this file (row 2)"),
    ],
)
def test_one_bad_row_means_nothing_is_written(customer, tmp_path, row, field, message):
    path = write(tmp_path, "i.csv", f"number,customer,issue_date,gross\nF1,D10001,2024-03-01,50.00\n{row}\nF3,D10001,2024-03-01,70.00\n")  # fmt: skip
    report = import_table(creditor=customer.creditor, kind="invoices", path=path)
    assert problems(report) == [(3, field)]
    assert message in report.errors[0].message
    assert (report.created, report.written) == (0, False)
    assert not Invoice.objects.exists()


def test_customer_rows_with_bad_iban_and_vat_are_named(creditor, tmp_path):
    path = write(
        tmp_path,
        "k.csv",
        "Klantnummer;Naam;IBAN;BTW-nummer\nD1;Goed;NL91ABNA0417164300;NL123456782B01\n"
        "D2;Fout;NL91ABNA0417164301;NL123456789B01\n",
    )
    report = import_table(creditor=creditor, kind="customers", path=path)
    assert sorted(problems(report)) == [(3, "iban"), (3, "vat_number")]
    assert not Customer.objects.exists()


def test_partial_imports_the_good_rows_and_reports_the_bad(customer, tmp_path):
    path = write(tmp_path, "i.csv", "number,customer,issue_date,gross\nF1,D10001,2024-03-01,50.00\nF2,D404,2024-03-01,60.00\nF3,D10001,nope,70.00\n")  # fmt: skip
    report = import_table(creditor=customer.creditor, kind="invoices", path=path, partial=True)
    assert problems(report) == [(3, "customer"), (4, "issue_date")]
    assert report.created == 1
    assert list(Invoice.objects.values_list("number", flat=True)) == ["F1"]


def test_dry_run_counts_but_writes_nothing(customer, tmp_path):
    path = write(
        tmp_path, "i.csv", "number,customer,issue_date,gross\nF1,D10001,2024-03-01,50.00\n"
    )
    report = import_table(creditor=customer.creditor, kind="invoices", path=path, dry_run=True)
    assert (report.created, report.written) == (1, False)
    assert not Invoice.objects.exists()


def test_a_corrected_file_updates_and_never_duplicates(customer, tmp_path):
    header = "number,customer,issue_date,gross,description\n"
    path = write(tmp_path, "i.csv", header + "F1,D10001,2024-03-01,50.00,x\nF2,D10001,2024-03-01,60.00,y\n")  # fmt: skip
    import_table(creditor=customer.creditor, kind="invoices", path=path)
    path = write(tmp_path, "i.csv", header + "F1,D10001,2024-03-01,55.00,x\nF2,D10001,2024-03-01,60.00,y\nF3,D10001,2024-03-02,1.00,z\n")  # fmt: skip
    report = import_table(creditor=customer.creditor, kind="invoices", path=path)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert Invoice.objects.count() == 3
    assert Invoice.objects.get(number="F1").gross_minor == 5500


def test_over_allocation_by_a_lower_amount_is_refused_with_its_row(customer, tmp_path):
    header = "number,customer,issue_date,gross\n"
    import_table(creditor=customer.creditor, kind="invoices", path=write(tmp_path, "i.csv", header + "F1,D10001,2024-03-01,100.00\n"))  # fmt: skip
    import_table(creditor=customer.creditor, kind="payments", path=write(tmp_path, "p.csv", "number,date,amount,invoice\nB1,2024-03-20,80.00,F1\n"))  # fmt: skip
    report = import_table(creditor=customer.creditor, kind="invoices", path=write(tmp_path, "i.csv", header + "F1,D10001,2024-03-01,70.00\n"))  # fmt: skip
    assert problems(report) == [(2, "gross")]
    assert "less than the EUR 80.00 already paid" in report.errors[0].message
    assert Invoice.objects.get().gross_minor == 10000


def test_large_files_are_upserted_in_chunks_within_one_transaction(customer, tmp_path, monkeypatch):
    from vorder.ledger.imports import runner

    monkeypatch.setattr(runner, "CHUNK_ROWS", 10)
    lines = [f"F{i},D10001,2024-03-01,{i}.00" for i in range(1, 36)]
    lines[30] = "F31,D10001,2024-03-01,oops"  # a bad row after three chunks were written
    path = write(tmp_path, "i.csv", "number,customer,issue_date,gross\n" + "\n".join(lines) + "\n")
    seen: list[tuple[int, int | None]] = []
    report = import_table(
        creditor=customer.creditor, kind="invoices", path=path, on_progress=lambda d, t: seen.append((d, t))
    )  # fmt: skip
    assert problems(report) == [(32, "gross")]
    assert not Invoice.objects.exists()
    assert seen[-1] == (35, 35)

    lines[30] = "F31,D10001,2024-03-01,31.00"
    path.write_text("number,customer,issue_date,gross\n" + "\n".join(lines) + "\n")
    assert import_table(creditor=customer.creditor, kind="invoices", path=path).created == 35
    assert sum(Invoice.objects.values_list("gross_minor", flat=True)) == sum(range(1, 36)) * 100


def test_credit_notes_in_english_headers(customer, tmp_path):
    path = write(tmp_path, "c.csv", "credit note,customer,date,amount,currency\nC1,D10001,2024-03-01,10.00,usd\n")  # fmt: skip
    assert import_table(creditor=customer.creditor, kind="credit_notes", path=path).errors == []
    note = CreditNote.objects.get()
    assert (note.currency, note.gross_minor, note.open_minor) == ("USD", 1000, 1000)
    assert Decimal(note.gross_minor) / 100 == Decimal("10.00")


def test_the_user_guide_documents_every_column():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "imports.md").read_text()
    for columns in COLUMNS.values():
        for canonical, aliases in columns.items():
            assert f"`{canonical}`" in guide, canonical
            for alias in aliases:
                same = normalise_header(alias) == normalise_header(canonical)
                assert same or alias in guide, alias


def test_an_import_audits_its_new_invoices_per_chunk_and_its_changes_per_row(
    customer, tmp_path, monkeypatch
):
    import hashlib

    from vorder.common.models import AuditEntry
    from vorder.ledger.imports import runner

    monkeypatch.setattr(runner, "CHUNK_ROWS", 2)
    header = "number,customer,issue_date,gross\n"
    rows = [f"F-{n},{customer.number},2024-03-01,{n}00.00\n" for n in range(1, 6)]
    path = write(tmp_path, "facturen.csv", header + "".join(rows))
    report = import_table(creditor=customer.creditor, kind="invoices", path=path)
    assert (report.created, report.errors) == (5, [])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    entries = list(
        AuditEntry.objects.filter(model="ledger.invoice", action="create").order_by("object_id")
    )
    assert [e.object_id for e in entries] == [f"import:{digest[:12]}:{n}" for n in (1, 2, 3)]
    assert entries[0].changes == {
        "created": 2,
        "numbers": ["F-1", "F-2"],
        "file": "facturen.csv",
        "sha256": digest,
    }
    assert entries[2].changes["numbers"] == ["F-5", "F-5"]

    # A corrected file: one entry for the changed invoice, with its old and new amount.
    rows[1] = f"F-2,{customer.number},2024-03-01,250.00\n"
    again = import_table(
        creditor=customer.creditor,
        kind="invoices",
        path=write(tmp_path, "facturen.csv", header + "".join(rows)),
    )
    assert (again.created, again.updated, again.unchanged) == (0, 1, 4)
    change = AuditEntry.objects.get(model="ledger.invoice", action="update")
    assert change.object_id == str(Invoice.objects.get(number="F-2").pk)
    assert change.changes["gross_minor"] == [20000, 25000]
    assert AuditEntry.objects.filter(model="ledger.invoice", action="create").count() == 3


def test_rows_read_ahead_in_a_thread_arrive_in_order_and_errors_surface_where_they_happened():
    """The importer reads the next chunk while it writes this one; nothing may get lost."""
    from vorder.ledger.imports.runner import _read_ahead

    assert list(_read_ahead(iter(range(100)), depth=2)) == list(range(100))

    def broken():
        yield 1
        yield 2
        raise ValueError("row 3 is unreadable")

    items = _read_ahead(broken())
    assert [next(items), next(items)] == [1, 2]
    with pytest.raises(ValueError, match="row 3"):
        next(items)


def test_a_consumer_that_stops_early_stops_the_reader():
    import threading

    from vorder.ledger.imports.runner import _read_ahead

    produced = []

    def endless():
        n = 0
        while True:
            n += 1
            produced.append(n)
            yield n

    for item in _read_ahead(endless(), depth=1):
        if item == 3:
            break
    assert not any(t.name == "import-reader" for t in threading.enumerate())
    assert len(produced) <= 6  # the reader stops a step or two ahead, not at the end


def test_a_big_invoice_file_reads_the_customers_once_and_still_applies_each_payment_term(
    customer, tmp_path, monkeypatch
):
    from tests.factories import CustomerFactory
    from vorder.ledger.imports import runner

    monkeypatch.setattr(runner, "CHUNK_ROWS", 4)
    slow = CustomerFactory(creditor=customer.creditor, number="D20002", payment_term_days=60)
    rows = [f"F{n},{'D20002' if n % 2 else 'D10001'},2024-03-01,10.00\n" for n in range(1, 12)]
    rows[9] = "F10,D99999,2024-03-01,10.00\n"  # the third chunk names a customer we do not have
    path = write(tmp_path, "i.csv", "number,customer,issue_date,gross\n" + "".join(rows))

    report = import_table(creditor=customer.creditor, kind="invoices", path=path)
    assert problems(report) == [(11, "customer")]

    rows[9] = "F10,D10001,2024-03-01,10.00\n"
    path.write_text("number,customer,issue_date,gross\n" + "".join(rows))
    assert import_table(creditor=customer.creditor, kind="invoices", path=path).created == 11
    due = dict(Invoice.objects.values_list("number", "due_date"))
    assert due["F3"] == dt.date(2024, 3, 1) + dt.timedelta(days=60)
    assert Invoice.objects.get(number="F3").customer_id == slow.pk
    assert Invoice.objects.get(number="F10").customer_id == customer.pk
    assert due["F10"] == dt.date(2024, 3, 1) + dt.timedelta(
        days=customer.creditor.default_payment_term_days
        if customer.payment_term_days is None
        else customer.payment_term_days
    )


def test_an_imported_invoice_without_a_reference_gets_one_and_keeps_it_when_imported_again(
    customer, tmp_path
):
    from vorder.domain.references import generate

    header = "number,customer,issue_date,gross,payment_reference\n"
    path = write(tmp_path, "i.csv", header + "F1,D10001,2024-03-01,10.00,\nF2,D10001,2024-03-01,oops,\n")  # fmt: skip
    assert problems(import_table(creditor=customer.creditor, kind="invoices", path=path)) == [(3, "gross")]  # fmt: skip

    path.write_text(header + "F1,D10001,2024-03-01,10.00,\nF2,D10001,2024-03-01,20.00,\n")
    import_table(creditor=customer.creditor, kind="invoices", path=path)
    style = customer.creditor.reference_style
    assert Invoice.objects.get(number="F1").payment_reference == generate(style, "F1")

    Invoice.objects.filter(number="F2").update(payment_reference="RF18539007547034")
    path.write_text(header + "F1,D10001,2024-03-01,10.00,\nF2,D10001,2024-03-01,25.00,\n")
    assert import_table(creditor=customer.creditor, kind="invoices", path=path).updated == 1
    assert Invoice.objects.get(number="F2").payment_reference == "RF18539007547034"
