"""UBL e-invoices (Peppol BIS 3.0, NLCIUS, UBL.BE): every file of the shared corpus imports."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import CreditorFactory
from vorder.ledger.imports.runner import import_ubl
from vorder.ledger.imports.ubl import UblError, parse_ubl
from vorder.ledger.models import CreditNote, Customer, Invoice
from vorder.ledger.selectors import ledger_integrity_problems

pytestmark = pytest.mark.django_db

# file → (what it becomes, number, currency, gross in minor units, buyer's debtor number)
CORPUS = {
    "be_ublbe-1.31_creditnote_15000002.xml": (
        "credit_note",
        "V01/15000002",
        "EUR",
        48400,
        "0000000295",
    ),  # fmt: skip
    "be_ublbe-1.31_invoice_15000001.xml": ("invoice", "V01/15000001", "EUR", 48400, "0000000295"),
    "be_ublbe-1.31_invoice_USD_15000023.xml": (
        "invoice",
        "V01/15000023",
        "USD",
        48400,
        "0000000295",
    ),  # fmt: skip
    "nl_si-ubl-2.0-ext-gaccount_sample.xml": ("invoice", "12115118", "EUR", 77198, "10202"),
    "nl_si-ubl-2.0_creditnote_381.xml": ("credit_note", "12115118", "EUR", 22700, "10202"),
    "nl_si-ubl-2.0_ok_full_invoice.xml": ("invoice", "TOSL108", "EUR", 72900, "88884444"),
    "nl_si-ubl-2.0_ok_minimal_invoice.xml": ("invoice", "12115118", "EUR", 24200, "11111111"),
    "nl_si-ubl-2.0_ok_negative_invoice.xml": ("credit_note", "12115118", "EUR", 24200, "10202"),
    "peppol_allowance-example_invoice.xml": ("invoice", "Snippet1", "EUR", 612500, "4598375937"),
    "peppol_base-creditnote-correction.xml": ("credit_note", "Snippet1", "EUR", 165625, "FR23342"),
    "peppol_base-example_invoice.xml": ("invoice", "Snippet1", "EUR", 165625, "FR23342"),
    "peppol_base-negative-invoice-correction.xml": (
        "credit_note",
        "Correction1",
        "EUR",
        165625,
        "FR23342",
    ),  # fmt: skip
    "peppol_vat-category-E_GBP.xml": ("invoice", "Vat-Z", "GBP", 120000, "12345678"),
    "peppol_vat-category-O_SEK.xml": ("invoice", "Vat-O", "SEK", 320000, "987654325"),
    "peppol_vat-category-S.xml": ("invoice", "Snippet1", "EUR", 855000, "FR23342"),
}


def test_every_corpus_file_imports(shared_dir, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    files = sorted((shared_dir / "corpus" / "ubl").glob("*.xml"))
    assert {f.name for f in files} == set(CORPUS), "a corpus file without an expectation"
    for n, path in enumerate(files):
        creditor = CreditorFactory(code=f"ubl{n}")
        kind, number, currency, gross, buyer = CORPUS[path.name]
        report = import_ubl(creditor=creditor, paths=[path])
        assert report.errors == [], path.name
        assert (report.created, report.updated) == (1, 0), path.name
        model = Invoice if kind == "invoice" else CreditNote
        item = model.objects.get(creditor=creditor)
        assert (item.number, item.currency, item.gross_minor) == (number, currency, gross), (
            path.name
        )
        assert item.net_minor + item.vat_minor == item.gross_minor
        assert item.customer.number == buyer, path.name
        assert item.source == "ubl"
        again = import_ubl(creditor=creditor, paths=[path])
        assert (again.created, again.updated, again.unchanged) == (0, 0, 1), path.name
    assert ledger_integrity_problems() == []


def test_the_buyer_becomes_the_customer(shared_dir, creditor):
    import_ubl(creditor=creditor, paths=[shared_dir / "corpus/ubl/be_ublbe-1.31_invoice_15000001.xml"])  # fmt: skip
    customer = Customer.objects.get(creditor=creditor)
    assert (customer.name, customer.country, customer.city) == ("My Customer Company S.A.", "BE", "BRUXELLES")  # fmt: skip
    assert (customer.vat_number, customer.coc_number) == ("BE0000000295", "0000000295")
    assert customer.email == "pete.smith@mycustomercompany.be"
    invoice = Invoice.objects.get()
    assert invoice.due_date == dt.date(2018, 5, 9)
    assert invoice.payment_reference  # "Invoice 15000001" is free text: one is generated


def test_the_embedded_pdf_is_kept_as_the_document(shared_dir, creditor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    path = shared_dir / "corpus/ubl/be_ublbe-1.31_invoice_USD_15000023.xml"
    import_ubl(creditor=creditor, paths=[path])
    invoice = Invoice.objects.get()
    assert invoice.currency == "USD"  # kept in its own currency
    assert invoice.document.name.endswith(".pdf")
    with invoice.document.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_credit_note_is_allocated_to_the_invoice_it_corrects(shared_dir, creditor, settings, tmp_path):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    ubl = shared_dir / "corpus/ubl"
    report = import_ubl(
        creditor=creditor,
        paths=[
            ubl / "be_ublbe-1.31_invoice_15000001.xml",
            ubl / "be_ublbe-1.31_creditnote_15000002.xml",
        ],  # fmt: skip
    )
    assert report.errors == []
    invoice = Invoice.objects.get(number="V01/15000001")
    note = CreditNote.objects.get(number="V01/15000002")
    assert note.original_invoice == invoice
    assert (invoice.open_minor, invoice.status, note.status) == (0, "paid", "settled")


def test_a_negative_invoice_is_a_credit_note_for_the_invoice_it_corrects(shared_dir, creditor):
    ubl = shared_dir / "corpus/ubl"
    import_ubl(creditor=creditor, paths=[ubl / "peppol_base-example_invoice.xml"])
    import_ubl(creditor=creditor, paths=[ubl / "peppol_base-negative-invoice-correction.xml"])
    note = CreditNote.objects.get(number="Correction1")
    assert note.gross_minor == 165625
    assert note.original_invoice.number == "Snippet1"
    assert Invoice.objects.get(number="Snippet1").status == "paid"


def test_prepaid_amounts_are_not_owed_again(shared_dir, creditor):
    import_ubl(creditor=creditor, paths=[shared_dir / "corpus/ubl/nl_si-ubl-2.0_ok_full_invoice.xml"])  # fmt: skip
    invoice = Invoice.objects.get()
    # TaxInclusive 1728.70 + rounding 0.30 - prepaid 1000.00 = payable 729.00
    assert (invoice.gross_minor, invoice.vat_minor, invoice.net_minor) == (72900, 29220, 43680)


def test_a_structured_payment_id_becomes_the_reference():
    xml = _minimal_invoice(payment_id="+++090/9337/55493+++")
    assert parse_ubl(xml).invoice.payment_reference == "+++090/9337/55493+++"


def test_a_file_that_is_not_ubl_is_an_error_naming_the_file(creditor, tmp_path):
    path = tmp_path / "statement.xml"
    path.write_bytes(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>")
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<Invoice>")
    report = import_ubl(creditor=creditor, paths=[path, broken])
    assert [e.file for e in report.errors] == [str(path), str(broken)]
    assert "not a UBL Invoice" in report.errors[0].message
    assert "not well-formed" in report.errors[1].message
    with pytest.raises(UblError):
        parse_ubl(b"<x/>")


def test_an_invoice_without_a_total_is_refused(creditor, tmp_path):
    path = tmp_path / "i.xml"
    path.write_bytes(_minimal_invoice(payable=""))
    report = import_ubl(creditor=creditor, paths=[path])
    assert [(e.field, e.row > 0) for e in report.errors] == [("gross", True)]
    assert not Invoice.objects.exists()


def _minimal_invoice(*, payment_id: str = "x", payable: str = "121.00") -> bytes:
    total = f'<cbc:PayableAmount currencyID="EUR">{payable}</cbc:PayableAmount>' if payable else ""
    return f"""<?xml version="1.0"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>F-1</cbc:ID><cbc:IssueDate>2024-03-01</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>Klant BV</cbc:Name></cac:PartyName>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode><cbc:PaymentID>{payment_id}</cbc:PaymentID></cac:PaymentMeans>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">21.00</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal>{total}</cac:LegalMonetaryTotal>
</Invoice>""".encode()
