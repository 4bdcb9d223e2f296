"""Validated input records: one bad row names every bad field at once, in words a person fixes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from vorder.ledger.records import (
    RecordErrors,
    parse_credit_note,
    parse_customer,
    parse_date,
    parse_invoice,
    parse_payment,
    read_amount,
)


def fields_of(exc: pytest.ExceptionInfo[RecordErrors]) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_a_dutch_customer_row_is_normalised():
    record = parse_customer(
        {
            "number": " D1 ",
            "name": "Bakkerij De Korenbloem B.V.",
            "kind": "zakelijk",
            "coc_number": "1234 5678",
            "vat_number": "nl123456782b01",
            "email": "Administratie@Korenbloem.NL",
            "language": "Nederlands",
            "preferred_channel": "brief",
            "payment_term_days": "14",
            "credit_limit": "5.000,00",
            "iban": "nl91 abna 0417 1643 00",
            "tags": "horeca; groot",
            "on_hold": "nee",
        },
        decimal_separator=",",
    )
    assert record.number == "D1"
    assert record.kind == "b2b"
    assert record.coc_number == "12345678"
    assert record.vat_number == "NL123456782B01"
    assert record.email == "administratie@korenbloem.nl"
    assert (record.language, record.preferred_channel) == ("nl", "letter")
    assert record.payment_term_days == 14
    assert record.credit_limit == Decimal("5000.00")
    assert record.iban == "NL91ABNA0417164300"
    assert record.tags == ("horeca", "groot")
    assert record.on_hold is False


def test_a_belgian_customer_has_a_kbo_number_with_check_digits():
    record = parse_customer({"number": "B1", "name": "Het Anker", "country": "be", "coc_number": "0403.170.701"})  # fmt: skip
    assert record.coc_number == "0403170701"
    with pytest.raises(RecordErrors) as exc:
        parse_customer({"number": "B1", "name": "Het Anker", "country": "BE", "coc_number": "0403170702"})  # fmt: skip
    assert fields_of(exc) == {"coc_number"}


def test_every_bad_customer_field_is_named_at_once():
    with pytest.raises(RecordErrors) as exc:
        parse_customer(
            {
                "number": "",
                "name": "X",
                "vat_number": "NL123456789B01",
                "iban": "NL02RABO0123456789",
                "email": "not-an-address",
                "language": "klingon",
                "kind": "alien",
                "payment_term_days": "dertig",
            }
        )
    assert fields_of(exc) == {
        "number", "vat_number", "iban", "email", "language", "kind", "payment_term_days",
    }  # fmt: skip
    assert "not a valid IBAN" in str(exc.value)


def test_a_customer_row_may_carry_one_contact_person():
    record = parse_customer(
        {"number": "D1", "name": "X", "contact_name": "Marieke Jansen", "contact_email": "mj@x.nl"}
    )
    assert [(c.name, c.email, c.role) for c in record.contacts] == [
        ("Marieke Jansen", "mj@x.nl", "accounts_payable")
    ]
    with pytest.raises(RecordErrors) as exc:
        parse_customer({"number": "D1", "name": "X", "contact_name": "M", "contact_email": "m@"})
    assert fields_of(exc) == {"contact_email"}


def test_an_invoice_needs_gross_or_net_and_they_must_add_up():
    record = parse_invoice(
        {"number": "F1", "customer": "D1", "issue_date": "2024-03-01", "net": "100", "vat": "21"}
    )
    assert (record.net, record.vat, record.gross) == (Decimal(100), Decimal(21), Decimal(121))
    assert record.due_date is None  # the upsert fills in the customer's or creditor's term
    with pytest.raises(RecordErrors) as exc:
        parse_invoice({"number": "F1", "customer": "D1", "issue_date": "2024-03-01", "net": "100", "vat": "21", "gross": "120"})  # fmt: skip
    assert fields_of(exc) == {"gross"}


def test_bad_invoice_fields_are_reported_together():
    with pytest.raises(RecordErrors) as exc:
        parse_invoice(
            {
                "number": "F1",
                "customer": "",
                "issue_date": "31-02-2024",
                "due_date": "morgen",
                "gross": "12,3,4",
                "currency": "EURO",
                "payment_reference": "factuur F1",
            }
        )
    assert fields_of(exc) == {
        "customer", "issue_date", "due_date", "gross", "currency", "payment_reference",
    }  # fmt: skip


def test_a_negative_invoice_is_refused_as_a_credit_note_in_disguise():
    with pytest.raises(RecordErrors, match="credit note"):
        parse_invoice(
            {"number": "F1", "customer": "D1", "issue_date": "2024-03-01", "gross": "-10"}
        )


def test_structured_references_are_stored_in_their_normal_form():
    record = parse_invoice(
        {"number": "F1", "customer": "D1", "issue_date": "2024-03-01", "gross": "1",
         "payment_reference": "020/2400/10401"}
    )  # fmt: skip
    assert record.payment_reference == "+++020/2400/10401+++"


def test_an_instalment_schedule_must_add_up_to_the_invoice():
    row = {"number": "F1", "customer": "D1", "issue_date": "2024-03-01", "gross": "300,00"}
    record = parse_invoice(
        dict(row, instalments="2024-05-01=100,00; 2024-04-01=200,00"), decimal_separator=","
    )
    assert record.instalments == (
        (dt.date(2024, 4, 1), Decimal("200.00")),
        (dt.date(2024, 5, 1), Decimal("100.00")),
    )
    with pytest.raises(RecordErrors, match="add up to 250.00"):
        parse_invoice(dict(row, instalments="2024-04-01=150,00;2024-05-01=100,00"), decimal_separator=",")  # fmt: skip
    api = parse_invoice(dict(row, gross="300", instalments=[{"due_date": "2024-04-01", "amount": "300"}]))  # fmt: skip
    assert api.instalments == ((dt.date(2024, 4, 1), Decimal(300)),)


def test_amounts_are_exact_and_respect_the_currency():
    assert read_amount("1.234,56", "EUR", ",") == Decimal("1234.56")
    assert read_amount(Decimal("10.5"), "EUR") == Decimal("10.50")
    assert read_amount(1200, "JPY") == Decimal(1200)
    with pytest.raises(ValueError, match="more than 0 decimals"):
        read_amount("12.5", "JPY")
    with pytest.raises(ValueError, match="floating point"):
        read_amount(12.5, "EUR")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-31", dt.date(2024, 3, 31)),
        ("31-03-2024", dt.date(2024, 3, 31)),
        ("31/3/2024", dt.date(2024, 3, 31)),
        ("31.03.2024", dt.date(2024, 3, 31)),
        ("2024-03-31T00:00:00", dt.date(2024, 3, 31)),
    ],
)
def test_dates_in_iso_and_day_first_forms(text, expected):
    assert parse_date(text) == expected


def test_a_payment_may_name_several_invoices():
    record = parse_payment(
        {"number": "B1", "date": "2024-04-02", "amount": "150", "invoice": "F1; F2",
         "payer_iban": "NL91ABNA0417164300"}
    )  # fmt: skip
    assert record.invoices == ("F1", "F2")
    with pytest.raises(RecordErrors) as exc:
        parse_payment({"number": "B1", "date": "", "amount": "0", "payer_iban": "NL00"})
    assert fields_of(exc) == {"date", "amount", "payer_iban"}


def test_a_credit_note_in_another_currency():
    record = parse_credit_note(
        {
            "number": "C1",
            "customer": "D1",
            "issue_date": "2024-03-01",
            "gross": "50",
            "currency": "usd",
        }  # fmt: skip
    )
    assert (record.currency, record.gross, record.vat) == ("USD", Decimal(50), Decimal(0))


def test_records_remember_which_fields_were_given():
    record = parse_customer({"number": "D1", "name": "X"})
    assert record.fields == {"number", "name"}


# -- the fast reader of invoice files agrees with parse_invoice --------------------------------
_COLUMNS = [
    "number", "customer", "issue_date", "due_date", "currency", "net", "vat", "gross",
    "payment_reference", "description", "order_reference", "instalments",
]  # fmt: skip
_GOOD = ["F-1", "D1", "2024-03-01", "2024-03-31", "EUR", "100.00", "21.00", "121.00", "", "Levering", "PO-7", ""]  # fmt: skip


def _variants() -> list[list[object]]:
    """The ordinary row, and rows that differ from it in one cell each: fine ones and bad ones."""
    changes = {
        0: ["", "  F-2  ", "X" * 41, 12],
        1: ["", "D" * 41],
        2: ["", "01-03-2024", "31/02/2024", "2024-03-01T10:00", "gisteren", dt.date(2024, 3, 1)],
        3: ["", "  ", "2024-02-01", "31-03-2024", None],
        4: ["", "usd", "EURO", "JPY"],
        5: ["", "100", "100.0", "100.001", "100.000", "1.000,00", " 100.00", "-100.00", "abc", None],
        6: ["", "0", "0.00", "21.001", "22.00", "(21.00)"],
        7: ["", "121", "0", "-121.00", "121.5", "1234567890123456.00"],
        8: ["RF18539007547034", "+++090/9337/55493+++", "ABC", "1" * 61],
        9: ["", "Y" * 301],
        10: ["Z" * 101],
        11: ["2024-03-31=121.00", "  "],
    }  # fmt: skip
    rows = [list(_GOOD), list(_GOOD[:8])]  # short row: the trailing cells are missing
    for column, values in changes.items():
        for value in values:
            row = list(_GOOD)
            row[column] = value
            rows.append(row)
    return rows


@pytest.mark.parametrize("separator", [".", ","])
def test_the_fast_invoice_reader_builds_the_same_record_or_leaves_the_row_to_parse_invoice(
    separator,
):
    from vorder.ledger.records import InvoiceRowReader

    reader = InvoiceRowReader(_COLUMNS, decimal_separator=separator, default_currency="EUR")
    accepted = 0
    for cells in _variants():
        if separator == ",":
            cells = [c.replace(".", ",") if isinstance(c, str) and c[:1].isdigit() and "-" not in c else c for c in cells]  # fmt: skip
        row = {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(_COLUMNS)}
        try:
            expected = parse_invoice(row, decimal_separator=separator, default_currency="EUR")
        except RecordErrors:
            expected = None
        fast = reader(cells)
        if fast is not None:
            accepted += 1
            assert fast == expected, cells
            assert fast.gross.as_tuple() == expected.gross.as_tuple(), cells
            assert fast.vat.as_tuple() == expected.vat.as_tuple(), cells
    assert accepted >= 15  # the ordinary rows do take the fast path


@pytest.mark.parametrize(
    "text",
    ["NL123456782B01", "NL123456789B01", "NL000000000B01", "NL123456782B00", "NL004495445B01"],
)
def test_a_compact_dutch_vat_number_reads_as_stdnum_reads_it(text):
    from stdnum.eu import vat

    from vorder.ledger.records import normalise_vat

    try:
        expected = str(vat.validate(text))
    except Exception:
        expected = None
    try:
        found = normalise_vat(text)
    except ValueError:
        found = None
    assert found == expected
