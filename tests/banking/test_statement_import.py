"""Importing bank statements: the collector's scenarios.

A statement is booked once, only when its balances add up; a credit becomes a payment that the
matcher allocates; a returned direct debit opens the invoice it paid again; money in another
currency is kept aside, never converted.
"""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.banking.statements import OUR_IBAN, Entry, Tx, camt053
from tests.factories import InvoiceFactory
from vorder.banking.models import BankAccount, BankStatement, LineStatus, StatementLine
from vorder.banking.selectors import returned_lines
from vorder.banking.services import statements_import
from vorder.ledger.models import Allocation, Invoice, Payment
from vorder.ledger.services.allocations import payment_allocate

PAYER_IBAN = "NL02RABO0123456789"


@pytest.fixture
def write(tmp_path):
    def _write(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return _write


def _credit(amount: str, ref: str, booked: str = "2024-03-01", **tx: str) -> Entry:
    return Entry(amount, ref=ref, booked=booked, txs=[Tx(amount, **tx)])


# -- balances and accounts --------------------------------------------------------------------
def test_a_statement_whose_balances_do_not_add_up_is_refused_with_both_figures(creditor, write):
    path = write(
        "day.xml",
        camt053([_credit("100.00", "R1")], opening="1000.00", closing="1200.00",
                statement_id="S-77"),
    )  # fmt: skip

    result = statements_import(creditor=creditor, files=[path])

    [problem] = result.errors
    assert problem.file.endswith("day.xml")
    assert "S-77" in problem.message
    assert "EUR 1,100.00" in problem.message or "1100.00" in problem.message
    assert "1,200.00" in problem.message or "1200.00" in problem.message
    assert problem.field == "closing_balance"
    assert not BankStatement.objects.exists()
    assert not Payment.objects.exists()


def test_the_creditors_own_iban_is_known_other_accounts_need_create_account(creditor, write):
    other = "NL18INGB0001234567"
    path = write("other.xml", camt053([_credit("5.00", "R1")], opening="0", iban=other))

    refused = statements_import(creditor=creditor, files=[path])
    assert other in refused.errors[0].message
    assert "--create-account" in refused.errors[0].message

    accepted = statements_import(creditor=creditor, files=[path], create_accounts=True)
    assert accepted.errors == []
    assert BankAccount.objects.filter(creditor=creditor, iban=other).exists()

    own = write("own.xml", camt053([_credit("5.00", "R2")], opening="0", iban=OUR_IBAN))
    assert statements_import(creditor=creditor, files=[own]).errors == []


def test_a_statement_is_stored_with_its_account_period_and_balances(creditor, write):
    path = write(
        "march.xml",
        camt053(
            [_credit("250.00", "R1", name="Bakkerij", iban=PAYER_IBAN),
             Entry("-40.00", ref="R2", txs=[Tx("-40.00", name="Energie BV")])],
            opening="1000.00", statement_id="S-1", start="2024-03-01", end="2024-03-31",
        ),
    )  # fmt: skip

    result = statements_import(creditor=creditor, files=[path])

    assert (result.statements, result.lines, result.credits) == (1, 2, 1)
    statement = BankStatement.objects.get()
    assert statement.account.iban == OUR_IBAN
    assert statement.format == "camt053"
    assert (statement.period_from, statement.period_to) == (date(2024, 3, 1), date(2024, 3, 31))
    assert (statement.opening_balance_minor, statement.closing_balance_minor) == (100000, 121000)
    assert len(statement.file_sha256) == 64
    credit, debit = StatementLine.objects.order_by("sequence")
    assert credit.amount_minor == 25000
    assert credit.payment is not None
    assert credit.payment.source == Payment.Source.BANK
    assert credit.payment.payer_iban == PAYER_IBAN
    assert debit.amount_minor == -4000
    assert debit.status == LineStatus.IGNORED
    assert debit.payment is None


# -- idempotency ----------------------------------------------------------------------------
def test_the_same_file_twice_books_nothing_the_second_time(creditor, write):
    path = write("day.xml", camt053([_credit("100.00", "R1"), _credit("7.50", "R2")], opening="0"))

    first = statements_import(creditor=creditor, files=[path])
    second = statements_import(creditor=creditor, files=[path])

    assert (first.statements, first.lines) == (1, 2)
    assert (second.statements, second.lines, second.credits, second.duplicates) == (0, 0, 0, 2)
    assert StatementLine.objects.count() == 2
    assert Payment.objects.count() == 2


def test_an_overlapping_statement_books_only_the_new_lines(creditor, write):
    monday = _credit("100.00", "BANK-0001", name="A", booked="2024-03-04")
    tuesday = _credit("60.00", "BANK-0002", name="B", booked="2024-03-05")
    daily = write("monday.xml", camt053([monday], opening="0", statement_id="D-1"))
    weekly = write(
        "week.xml",
        camt053([monday, tuesday], opening="0", statement_id="W-10",
                start="2024-03-04", end="2024-03-08"),
    )  # fmt: skip

    statements_import(creditor=creditor, files=[daily])
    result = statements_import(creditor=creditor, files=[weekly])

    assert (result.statements, result.lines, result.duplicates) == (1, 1, 1)
    assert sorted(StatementLine.objects.values_list("amount_minor", flat=True)) == [6000, 10000]
    assert Payment.objects.count() == 2


def test_two_identical_bookings_without_references_are_both_kept(creditor, write):
    same = Entry("12.00", txs=[Tx("12.00", name="Kantine", remittance="lunch")])
    path = write("day.xml", camt053([same, same], opening="0"))

    result = statements_import(creditor=creditor, files=[path])
    again = statements_import(creditor=creditor, files=[path])

    assert result.lines == 2
    assert again.lines == 0


# -- returns and reversals --------------------------------------------------------------------
def test_a_returned_direct_debit_reopens_the_invoice_it_paid(creditor, customer, write):
    invoice = InvoiceFactory(customer=customer, number="2024-0153", net_minor=5000, vat_minor=0)
    collected = write(
        "collection.xml",
        camt053(
            [Entry("50.00", ref="C-1", booked="2024-03-01", code="PMNT/IDDT/ESDD",
                   txs=[Tx("50.00", end_to_end="DD-2024-0153", name="Acme Klant",
                           iban=PAYER_IBAN, remittance="incasso maart")])],
            opening="0", statement_id="S-1",
        ),
    )  # fmt: skip
    statements_import(creditor=creditor, files=[collected])
    credit = StatementLine.objects.get()
    if not Allocation.objects.filter(payment=credit.payment).exists():
        payment_allocate(payment=credit.payment, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID

    returned = write(
        "return.xml",
        camt053(
            [Entry("-50.00", ref="C-2", booked="2024-03-06", code="PMNT/IDDT/UPDD",
                   txs=[Tx("-50.00", end_to_end="DD-2024-0153", name="Acme Klant",
                           iban=PAYER_IBAN, return_reason="MD06")])],
            opening="50.00", statement_id="S-2", start="2024-03-06", end="2024-03-06",
        ),
    )  # fmt: skip
    result = statements_import(creditor=creditor, files=[returned])

    assert result.errors == []
    assert result.returned == 1
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.open_minor == 5000
    return_line = StatementLine.objects.get(amount_minor=-5000)
    assert return_line.status == LineStatus.RETURNED
    assert return_line.is_return
    assert return_line.return_reason == "MD06"
    assert return_line.reverses_id == credit.pk
    credit.refresh_from_db()
    assert credit.status == LineStatus.RETURNED
    assert credit.payment is None
    assert not Payment.objects.exists()  # the money is gone: no credit on account either
    assert list(returned_lines(creditor=creditor, since=date(2024, 3, 1))) == [return_line]
    assert list(returned_lines(creditor=creditor, since=date(2024, 3, 7))) == []


def test_a_reversed_credit_without_end_to_end_id_is_found_by_amount_and_payer(creditor, write):
    paid = _credit("80.00", "P-1", name="Jansen", iban=PAYER_IBAN, remittance="factuur 12")
    reversal = Entry("-80.00", ref="P-2", booked="2024-03-02", reversal=True,
                     txs=[Tx("-80.00", name="Jansen", iban=PAYER_IBAN)])  # fmt: skip
    path = write("day.xml", camt053([paid, reversal], opening="0", end="2024-03-02"))

    result = statements_import(creditor=creditor, files=[path])

    assert result.returned == 1
    back = StatementLine.objects.get(amount_minor=-8000)
    assert back.is_reversal
    assert back.reverses is not None
    assert back.reverses.amount_minor == 8000
    # the credit came in the same file: it is written once, already taken back
    assert back.reverses.status == LineStatus.RETURNED
    assert back.reverses.payment is None
    assert not Payment.objects.exists()
    assert result.auto_matched + result.queued == 0


def test_a_return_whose_original_is_unknown_is_still_shown_to_the_collector(creditor, write):
    path = write(
        "return.xml",
        camt053([Entry("-19.99", ref="X", code="PMNT/IDDT/UPDD",
                       txs=[Tx("-19.99", end_to_end="NEVER-SEEN", return_reason="AM04")])],
                opening="100.00"),
    )  # fmt: skip

    statements_import(creditor=creditor, files=[path])

    [line] = returned_lines(creditor=creditor, since=date(2024, 1, 1))
    assert line.reverses is None
    assert "not found" in line.explanation


# -- currencies and batches -------------------------------------------------------------------
def test_a_foreign_currency_statement_is_kept_flagged_and_never_converted(creditor, write):
    path = write(
        "usd.xml",
        camt053([_credit("300.00", "U-1", name="US Customer")], opening="0", currency="USD",
                iban="NL18INGB0001234567"),
    )  # fmt: skip

    result = statements_import(creditor=creditor, files=[path], create_accounts=True)

    line = StatementLine.objects.get()
    assert (line.status, line.currency, line.amount_minor) == (
        LineStatus.FOREIGN_CURRENCY, "USD", 30000,
    )  # fmt: skip
    assert "does not convert" in line.explanation
    assert result.credits == 0
    assert not Payment.objects.exists()


def test_a_batch_entry_is_split_into_one_line_per_transaction(creditor, write):
    batch = Entry(
        "175.00",
        ref="B-1",
        txs=[Tx("100.00", ref="T1", name="Een"), Tx("50.00", ref="T2", name="Twee"),
             Tx("25.00", ref="T3", name="Drie")],
    )  # fmt: skip
    path = write("batch.xml", camt053([batch], opening="0"))

    result = statements_import(creditor=creditor, files=[path])

    assert (result.lines, result.credits) == (3, 3)
    lines = list(StatementLine.objects.order_by("sequence"))
    assert [ln.amount_minor for ln in lines] == [10000, 5000, 2500]
    assert [ln.counterparty_name for ln in lines] == ["Een", "Twee", "Drie"]
    assert {ln.batch_count for ln in lines} == {3}
    assert {ln.batch_amount_minor for ln in lines} == {17500}


def test_a_batch_whose_details_do_not_add_up_stays_one_line_for_a_person(creditor, write):
    batch = Entry("175.00", ref="B-1", txs=[Tx("100.00", ref="T1"), Tx("50.00", ref="T2")])
    path = write("batch.xml", camt053([batch], opening="0"))

    statements_import(creditor=creditor, files=[path])

    line = StatementLine.objects.get()
    assert line.amount_minor == 17500
    assert line.status == LineStatus.QUEUED
    assert "do not add up" in line.explanation


# -- dry run, zip, files ----------------------------------------------------------------------
def test_a_dry_run_checks_and_counts_but_writes_nothing(creditor, write):
    path = write("day.xml", camt053([_credit("100.00", "R1")], opening="0"))

    result = statements_import(creditor=creditor, files=[path], dry_run=True)

    assert (result.statements, result.lines, result.credits) == (1, 1, 1)
    assert not BankStatement.objects.exists()
    assert not StatementLine.objects.exists()
    assert not Payment.objects.exists()


def test_statements_inside_a_zip_are_imported_and_named_by_member(creditor, tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.xml", camt053([_credit("1.00", "A")], opening="0", statement_id="A"))
        zf.writestr("b.xml", camt053([_credit("2.00", "B")], opening="1.00", statement_id="B"))
        zf.writestr("c.txt", b"hello")

    result = statements_import(creditor=creditor, files=[archive])

    [problem] = result.errors
    assert problem.file.endswith("download.zip!c.txt")
    assert not BankStatement.objects.exists()  # the ZIP is one file: all or nothing

    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.xml", camt053([_credit("1.00", "A")], opening="0", statement_id="A"))
        zf.writestr("b.xml", camt053([_credit("2.00", "B")], opening="1.00", statement_id="B"))
    assert statements_import(creditor=creditor, files=[archive]).statements == 2


def test_overlapping_statements_in_one_archive_book_each_line_once(creditor, tmp_path):
    monday = _credit("100.00", "BANK-0001", name="A", booked="2024-03-04")
    tuesday = _credit("60.00", "BANK-0002", name="B", booked="2024-03-05")
    archive = tmp_path / "week.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("monday.xml", camt053([monday], opening="0", statement_id="D-1"))
        zf.writestr(
            "week.xml",
            camt053([monday, tuesday], opening="0", statement_id="W-10",
                    start="2024-03-04", end="2024-03-08"),
        )  # fmt: skip

    result = statements_import(creditor=creditor, files=[archive])

    assert (result.statements, result.lines, result.duplicates) == (2, 2, 1)
    assert sorted(StatementLine.objects.values_list("amount_minor", flat=True)) == [6000, 10000]
    assert Payment.objects.count() == 2
    assert statements_import(creditor=creditor, files=[archive]).lines == 0


def test_random_bytes_are_refused_as_no_statement_not_with_a_crash(creditor, write):
    # 0x81, 0x8d, 0x8f, 0x90 and 0x9d are not characters in Windows-1252 either
    noise = bytes(range(256)) * 8
    [problem] = statements_import(creditor=creditor, files=[write("noise.bin", noise)]).errors
    assert problem.file.endswith("noise.bin")
    assert "not a bank statement vorder can read" in problem.message


def test_a_file_that_is_no_statement_is_refused_whatever_its_name(creditor, write):
    path = write("statement.xml", b"number,amount\n1,2\n")
    [problem] = statements_import(creditor=creditor, files=[path]).errors
    assert "not a bank statement" in problem.message


# -- the command ------------------------------------------------------------------------------
def _run(*args: str) -> tuple[dict, CommandError | None]:
    from io import StringIO

    out = StringIO()
    error = None
    try:
        call_command("import", "statement", *args, "--json", stdout=out)
    except CommandError as exc:
        error = exc
    return json.loads(out.getvalue()), error


def test_the_json_contract_of_import_statement(creditor, customer, write):
    invoice = InvoiceFactory(customer=customer, number="2024-0200")
    path = write(
        "day.xml",
        camt053([_credit("121.00", "R1", name=customer.name, reference=invoice.payment_reference),
                 Entry("-10.00", ref="R2", txs=[Tx("-10.00")])], opening="0"),
    )  # fmt: skip

    payload, error = _run(str(path))

    assert error is None
    assert list(payload) == [
        "statements", "lines", "credits", "auto_matched", "queued", "allocations", "errors",
    ]  # fmt: skip
    assert (payload["statements"], payload["lines"], payload["credits"]) == (1, 2, 1)
    assert payload["auto_matched"] + payload["queued"] == 1
    assert payload["errors"] == []
    for allocation in payload["allocations"]:
        assert set(allocation) == {"line", "invoice", "amount", "confidence", "explanation"}
        assert isinstance(allocation["line"], str)
        assert isinstance(allocation["amount"], str)
        assert isinstance(allocation["confidence"], int | float)


def test_the_command_exits_non_zero_and_lists_the_error(creditor, write):
    path = write("bad.xml", camt053([_credit("1.00", "R")], opening="0", closing="5.00"))

    payload, error = _run(str(path))

    assert error is not None
    [problem] = payload["errors"]
    assert set(problem) == {"file", "row", "field", "message"}
    assert problem["row"] > 0
    assert "do not add up" in problem["message"]


def test_the_command_dry_run_writes_nothing(creditor, write):
    path = write("day.xml", camt053([_credit("1.00", "R")], opening="0"))
    payload, error = _run(str(path), "--dry-run")
    assert error is None
    assert payload["lines"] == 1
    assert not StatementLine.objects.exists()
