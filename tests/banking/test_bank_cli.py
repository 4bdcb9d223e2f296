"""`vorder bank ...`: a collector works the reconciliation queue from a script."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from tests.banking.statements import Entry, Tx, camt053
from tests.factories import CustomerFactory, InvoiceFactory
from vorder.banking.labelled import statement_lines_write
from vorder.banking.matching import statement_lines_match
from vorder.banking.models import LineStatus, StatementLine
from vorder.banking.services import statements_import
from vorder.common.models import AuditEntry
from vorder.ledger.models import Allocation, Invoice, Payment

pytestmark = pytest.mark.django_db

BOOKED = dt.date(2024, 3, 1)
PAYER_IBAN = "NL02RABO0123456789"


def bank(*args: str) -> str:
    out = io.StringIO()
    call_command("bank", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def invoices(customer):
    return [
        InvoiceFactory(customer=customer, number="2024-0153", net_minor=10000, vat_minor=2100),
        InvoiceFactory(customer=customer, number="2024-0154", net_minor=5000, vat_minor=0),
    ]


@pytest.fixture
def queued(creditor, invoices):
    """A payment naming an invoice number in its text from an unknown account: queued."""
    [line] = statement_lines_write(
        creditor=creditor,
        specs=[{"amount_minor": 12100, "counterparty_name": "K. Bloem",
                "counterparty_iban": "NL69INGB0123456789", "remittance_info": "2024-0153",
                "structured_reference": ""}],
        key="cli", booked=BOOKED,
    )  # fmt: skip
    statement_lines_match(creditor=creditor, lines=[line], dry_run=False, threshold=Decimal(1))
    line.refresh_from_db()
    assert line.status == LineStatus.QUEUED
    return line


def test_the_queue_lists_each_line_with_numbered_suggestions(queued):
    [row] = json.loads(bank("queue", "--json"))
    assert row["id"] == queued.pk
    assert (row["amount"], row["currency"], row["status"]) == ("121.00", "EUR", "queued")
    first = row["suggestions"][0]
    assert first["number"] == 1
    assert first["customer"]["number"] == "D10001"
    assert first["allocations"] == [{"invoice": "2024-0153", "amount": "121.00"}]
    assert "invoice number 2024-0153 in the text" in first["explanation"]
    text = bank("queue")
    assert "K. Bloem" in text
    assert "1. " in text


def test_accepting_a_suggestion_books_it_under_the_users_name(queued, invoices):
    get_user_model().objects.create_user("anna", password="x")
    line = json.loads(bank("accept", str(queued.pk), "--user", "anna", "--json"))
    assert line["status"] == "matched"
    assert line["customer"]["number"] == "D10001"
    invoice = Invoice.objects.get(pk=invoices[0].pk)
    assert invoice.status == Invoice.Status.PAID
    entries = AuditEntry.objects.filter(model="banking.statementline", object_id=str(queued.pk))
    assert entries.order_by("pk").last().actor == "anna"  # the first: the matcher queued it
    with pytest.raises(CommandError, match="not queued"):
        bank("accept", str(queued.pk))


def test_a_split_by_hand_leaves_the_rest_on_account(queued, invoices):
    with pytest.raises(CommandError, match="give the amount"):
        bank("allocate", str(queued.pk), "2024-0154")
    out = bank("allocate", str(queued.pk), "2024-0154=50.00", "2024-0153=20,00")
    assert "allocated to 2024-0154, 2024-0153" in out
    payment = Payment.objects.get(pk=StatementLine.objects.get(pk=queued.pk).payment_id)
    booked = dict(payment.allocations.values_list("invoice__number", "amount_minor"))
    assert booked == {"2024-0154": 5000, "2024-0153": 2000}
    assert payment.unallocated_minor == 12100 - 7000
    assert StatementLine.objects.get(pk=queued.pk).status == LineStatus.PARTIALLY_MATCHED


def test_a_split_is_refused_with_the_reason(queued, creditor):
    other = CustomerFactory(creditor=creditor, number="D20002")
    InvoiceFactory(customer=other, number="2024-0999")
    with pytest.raises(CommandError, match="one payment pays the invoices of one customer"):
        bank("allocate", str(queued.pk), "2024-0153=1.00", "2024-0999=1.00")
    with pytest.raises(CommandError, match="no invoice 'nope'"):
        bank("allocate", str(queued.pk), "nope=1.00")
    with pytest.raises(CommandError, match="more decimals than EUR allows"):
        bank("allocate", str(queued.pk), "2024-0153=1.005")
    assert not Allocation.objects.exists()


def test_on_account_and_ignore(queued, creditor, invoices):
    with pytest.raises(CommandError, match="no customer with debtor number 'D99'"):
        bank("on-account", str(queued.pk), "--customer", "D99")
    assert "on the account of D10001" in bank("on-account", str(queued.pk), "--customer", "d10001")
    payment = Payment.objects.get(pk=StatementLine.objects.get(pk=queued.pk).payment_id)
    assert (payment.customer.number, payment.unallocated_minor) == ("D10001", 12100)

    [refund] = statement_lines_write(
        creditor=creditor,
        specs=[{"amount_minor": 999, "counterparty_name": "Belastingdienst",
                "counterparty_iban": "NL86INGB0002445588", "remittance_info": "teruggave",
                "structured_reference": ""}],
        key="cli-2", booked=BOOKED,
    )  # fmt: skip
    statement_lines_match(creditor=creditor, lines=[refund], dry_run=False)
    assert "ignored" in bank("ignore", str(refund.pk), "--reason", "belastingteruggave")
    refund.refresh_from_db()
    assert refund.status == LineStatus.IGNORED
    assert "belastingteruggave" in refund.explanation


def test_search_finds_open_invoices_for_a_manual_match(invoices):
    [row] = json.loads(bank("search", "0154", "--json"))
    assert (row["invoice"], row["open"], row["customer"]) == ("2024-0154", "50.00", "D10001")
    assert "no open invoice matches" in bank("search", "zzz")


def test_a_line_of_another_creditor_or_an_unknown_one_is_refused(queued):
    with pytest.raises(CommandError, match="no statement line 999999"):
        bank("line", "999999")
    assert f"{queued.pk}" in bank("line", str(queued.pk))


def test_returns_and_statements_as_the_bank_pages_show_them(creditor, tmp_path):
    paid = Entry(
        "80.00",
        ref="P-1",
        booked="2024-03-01",
        txs=[Tx("80.00", name="Jansen", iban=PAYER_IBAN, remittance="factuur 12")],
    )
    back = Entry("-80.00", ref="P-2", booked="2024-03-02", reversal=True,
                 txs=[Tx("-80.00", name="Jansen", iban=PAYER_IBAN)])  # fmt: skip
    path = tmp_path / "day.xml"
    path.write_bytes(camt053([paid, back], opening="0", end="2024-03-02", statement_id="S-9"))
    assert statements_import(creditor=creditor, files=[path]).errors == []

    [returned] = json.loads(bank("returns", "--since", "2024-03-01", "--json"))
    assert (returned["amount"], returned["status"]) == ("-80.00", "returned")
    assert returned["reverses"] is not None
    assert "no returns since 2024-03-03" in bank("returns", "--since", "2024-03-03")
    [statement] = json.loads(bank("statements", "--json"))
    assert (statement["statement_id"], statement["lines"]) == ("S-9", 2)
