"""The banking screens as a credit manager, a collector and a read-only user meet them.

Acme Groothandel banks at NL91ABNA0417164300. Bakkerij De Korenbloem (D10001) owes invoice
2024-0153 (EUR 121.00) and 2024-0154 (EUR 50.00). On 1 March 2024 a payment of EUR 121.00 comes
in from an account vorder has never seen, with "2024-0153" in the text: good enough to suggest,
not sure enough to book, so it waits in the reconciliation queue.
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.banking.statements import Entry, Tx, camt053
from tests.factories import CreditorFactory, CustomerFactory, InvoiceFactory
from tests.workspace.conftest import login, text_of
from vorder.banking.labelled import statement_lines_write
from vorder.banking.matching import statement_lines_match
from vorder.banking.models import BankStatement, LineStatus, StatementLine
from vorder.ledger.models import CustomerBankAccount, Invoice, Payment

pytestmark = pytest.mark.django_db

STRANGER = "NL69INGB0123456789"
AS_OF = {"as_of": "2024-03-05"}


def url(name, *args) -> str:
    return reverse(f"workspace:{name}", args=args)


@pytest.fixture
def invoices(customer):
    first = InvoiceFactory(customer=customer, number="2024-0153", net_minor=10000, vat_minor=2100)
    second = InvoiceFactory(customer=customer, number="2024-0154", net_minor=5000, vat_minor=0)
    return first, second


@pytest.fixture
def queued(creditor, invoices) -> StatementLine:
    [line] = statement_lines_write(
        creditor=creditor,
        specs=[
            {
                "amount_minor": 12100,
                "counterparty_name": "B. de Korenbloem",
                "counterparty_iban": STRANGER,
                "remittance_info": "factuur 2024-0153 dank u",
            }
        ],
        key="march",
        booked=dt.date(2024, 3, 1),
    )
    statement_lines_match(creditor=creditor, lines=[line], dry_run=False, threshold=Decimal(1))
    line.refresh_from_db()
    assert line.status == LineStatus.QUEUED
    assert line.suggestions
    return line


def statement_file(**kwargs) -> bytes:
    entry = Entry(
        "121.00",
        ref="R-1",
        txs=[Tx("121.00", name="Bakkerij", iban=STRANGER, remittance="2024-0153")],
    )
    return camt053([entry], opening="10.00", **kwargs)


# -- who may see and do what ---------------------------------------------------------------------
@pytest.mark.parametrize("page", ["banking_statements", "banking_upload", "banking_queue",
                                  "banking_returns"])  # fmt: skip
@pytest.mark.parametrize("role", ["manager", "collector", "reader"])
def test_every_role_sees_the_banking_pages(client, request, role, page, queued):
    login(client, request.getfixturevalue(role))
    response = client.get(url(page), AS_OF)
    assert response.status_code == 200
    assert "Reconciliation" in text_of(response)  # the navigation entry


def test_the_queue_shows_the_line_and_its_suggestion(client, manager, queued):
    text = text_of(login(client, manager).get(url("banking_queue"), AS_OF))
    assert "B. de Korenbloem" in text
    assert STRANGER in text
    assert "factuur 2024-0153 dank u" in text
    assert "Bakkerij De Korenbloem" in text  # the suggested customer
    assert "invoice number 2024-0153" in text  # the suggestion explains itself
    assert "Accept" in text


def test_a_reader_sees_the_queue_without_buttons_and_cannot_post(client, reader, queued):
    login(client, reader)
    page = client.get(url("banking_queue"), AS_OF).content.decode()
    assert "2024-0153" in page
    assert url("banking_accept", queued.pk, 0) not in page
    assert 'name="reason"' not in page
    for name, data in [
        ("banking_accept", None),
        ("banking_split", {"invoice": "1", "amount": "1"}),
        ("banking_on_account", {"customer": "D10001"}),
        ("banking_ignore", {"reason": "refund"}),
    ]:
        args = (queued.pk, 0) if name == "banking_accept" else (queued.pk,)
        assert client.post(url(name, *args), data or {}).status_code == 403
    upload = {"file": SimpleUploadedFile("day.xml", statement_file()), "import": "1"}
    assert client.post(url("banking_upload"), upload).status_code == 403
    queued.refresh_from_db()
    assert queued.status == LineStatus.QUEUED
    assert not BankStatement.objects.filter(statement_id="STMT-1").exists()


def test_a_user_without_a_role_sees_no_bank_data(client, queued):
    from tests.workspace.conftest import make_user

    login(client, make_user("nobody"))
    response = client.get(url("banking_queue"))
    assert response.status_code == 403
    assert "B. de Korenbloem" not in text_of(response)


# -- upload --------------------------------------------------------------------------------------
def test_a_preview_matches_without_booking(client, collector, creditor, invoices):
    login(client, collector)
    response = client.post(
        url("banking_upload"),
        {"file": SimpleUploadedFile("day.xml", statement_file()), "preview": "1"},
    )
    assert response.status_code == 200
    text = text_of(response)
    assert "Preview: nothing was booked" in text
    assert '"statements": 1' in html.unescape(response.content.decode())  # the JSON contract
    assert response.context["contract"]["lines"] == 1
    assert not StatementLine.objects.exists()
    assert not Payment.objects.exists()


def test_an_upload_books_once_and_shows_the_scripts_contract(client, manager, creditor, invoices):
    login(client, manager)
    first = client.post(
        url("banking_upload"),
        {"file": [SimpleUploadedFile("../../etc/day.xml", statement_file())], "import": "1"},
    )
    again = client.post(
        url("banking_upload"),
        {"file": SimpleUploadedFile("day.xml", statement_file()), "import": "1"},
    )
    assert first.status_code == 200
    contract = first.context["contract"]
    assert list(contract) == [
        "statements", "lines", "credits", "auto_matched", "queued", "allocations", "errors"
    ]  # fmt: skip
    assert (contract["statements"], contract["lines"], contract["credits"]) == (1, 1, 1)
    assert contract["auto_matched"] + contract["queued"] == 1
    assert BankStatement.objects.get().file_name == "day.xml"  # the bare name, never a path
    assert again.context["contract"]["lines"] == 0
    assert StatementLine.objects.count() == 1


def test_a_refused_file_names_file_row_and_reason(client, manager, creditor):
    login(client, manager)
    response = client.post(
        url("banking_upload"),
        {
            "file": [
                SimpleUploadedFile("bad.xml", statement_file(closing="99.00")),
                SimpleUploadedFile("junk.txt", b"hello"),
            ],
            "import": "1",
        },
    )
    assert response.status_code == 422
    errors = response.context["contract"]["errors"]
    assert [e["file"] for e in errors] == ["bad.xml", "junk.txt"]
    assert "do not add up" in errors[0]["message"]
    assert "bad.xml" in text_of(response)
    assert "do not add up" in text_of(response)
    assert not StatementLine.objects.exists()


def test_the_statements_list_shows_account_period_balances_and_lines(client, reader, creditor):
    from vorder.banking.services import statement_file_import

    statement_file_import(creditor=creditor, name="day.xml", content=statement_file())
    text = text_of(login(client, reader).get(url("banking_statements")))
    assert "NL91ABNA0417164300" in text
    assert "STMT-1" in text
    assert "€ 10.00" in text  # opening
    assert "€ 131.00" in text  # closing
    assert "1 Mar 2024" in text


# -- the queue's actions -------------------------------------------------------------------------
def test_one_click_accepts_a_suggestion_and_the_row_goes(client, collector, queued, invoices):
    login(client, collector)
    response = client.post(url("banking_accept", queued.pk, 0), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content == b""  # htmx swaps the row away
    queued.refresh_from_db()
    assert queued.status == LineStatus.MATCHED
    assert queued.explanation.startswith("accepted by cor:")
    invoices[0].refresh_from_db()
    assert invoices[0].status == Invoice.Status.PAID
    assert CustomerBankAccount.objects.filter(iban=STRANGER, source="manual").exists()
    assert "B. de Korenbloem" not in text_of(client.get(url("banking_queue"), AS_OF))


def test_accepting_a_line_that_was_decided_already_says_so(client, collector, queued):
    login(client, collector)
    client.post(url("banking_accept", queued.pk, 0))
    response = client.post(url("banking_accept", queued.pk, 0), headers={"HX-Request": "true"})
    assert "not queued" in text_of(response)


def test_manual_search_finds_open_invoices_as_you_type(client, collector, queued, invoices):
    login(client, collector)
    response = client.get(
        url("banking_line", queued.pk), {"q": "2024-015"}, headers={"HX-Request": "true",
                                                                   "HX-Target": "search-results"}
    )  # fmt: skip
    text = text_of(response)
    assert "2024-0153" in text
    assert "2024-0154" in text
    assert "<html" not in response.content.decode()  # only the results
    row = client.get(url("banking_split_row", queued.pk), {"invoice": invoices[1].pk})
    assert 'value="50.00"' in row.content.decode()


def test_a_split_over_two_invoices_books_both(client, manager, queued, invoices):
    first, second = invoices
    login(client, manager)
    remaining = client.post(
        url("banking_remaining", queued.pk),
        {"invoice": [first.pk, second.pk], "amount": ["71,00", "50.00"]},
    )
    assert "remaining € 0.00" in text_of(remaining)
    response = client.post(
        url("banking_split", queued.pk),
        {"invoice": [first.pk, second.pk], "amount": ["71,00", "50.00"]},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.open_minor, second.open_minor) == (5000, 0)
    queued.refresh_from_db()
    assert queued.status == LineStatus.MATCHED
    assert "2024-0153, 2024-0154" in queued.explanation


def test_a_split_larger_than_the_payment_is_refused_with_the_services_reason(
    client, manager, queued, invoices
):
    first, second = invoices
    login(client, manager)
    over = {"invoice": [first.pk, second.pk], "amount": ["121.00", "50.00"]}
    remaining = client.post(url("banking_remaining", queued.pk), over)
    assert "over by € 50.00" in text_of(remaining)
    response = client.post(url("banking_split", queued.pk), over, follow=True)
    assert "exceeds the payment" in text_of(response)
    first.refresh_from_db()
    assert first.open_minor == 12100
    queued.refresh_from_db()
    assert queued.status == LineStatus.QUEUED


def test_an_unreadable_amount_is_refused(client, manager, queued, invoices):
    login(client, manager)
    response = client.post(
        url("banking_split", queued.pk),
        {"invoice": [invoices[0].pk], "amount": ["twelve"]},
        headers={"HX-Request": "true"},
    )
    assert "Cannot read the amount twelve" in text_of(response)
    queued.refresh_from_db()
    assert queued.status == LineStatus.QUEUED


def test_put_on_account_of_a_customer(client, collector, queued, customer):
    login(client, collector)
    response = client.post(
        url("banking_on_account", queued.pk), {"customer": "d10001"}, headers={"HX-Request": "true"}
    )
    assert response.content == b""
    queued.refresh_from_db()
    assert queued.status == LineStatus.MATCHED
    assert queued.customer == customer
    assert "put on account of D10001" in queued.explanation


def test_on_account_of_an_unknown_or_foreign_customer_is_refused(client, collector, queued):
    other = CreditorFactory(code="brabo")
    CustomerFactory(creditor=other, number="X1")
    login(client, collector)
    response = client.post(url("banking_on_account", queued.pk), {"customer": "X1"}, follow=True)
    assert "No customer with debtor number X1" in text_of(response)
    queued.refresh_from_db()
    assert queued.status == LineStatus.QUEUED


def test_ignore_needs_a_reason(client, collector, queued):
    login(client, collector)
    refused = client.post(url("banking_ignore", queued.pk), {"reason": " "}, follow=True)
    assert "Say why the line is ignored" in text_of(refused)
    client.post(url("banking_ignore", queued.pk), {"reason": "refund from the landlord"})
    queued.refresh_from_db()
    assert queued.status == LineStatus.IGNORED
    assert queued.explanation == "ignored by cor: refund from the landlord"


def test_lines_of_another_creditor_cannot_be_touched(client, collector, queued, creditor):
    other = CreditorFactory(code="brabo", iban="BE68539007547034")
    login(client, collector)
    session = client.session
    session["workspace_creditor_id"] = other.pk
    session.save()
    response = client.post(url("banking_ignore", queued.pk), {"reason": "mine now"})
    assert response.status_code == 404


# -- returns -------------------------------------------------------------------------------------
def test_returned_payments_are_listed_for_the_collector(client, collector, creditor, customer):
    [back] = statement_lines_write(
        creditor=creditor,
        specs=[
            {
                "amount_minor": -12100,
                "counterparty_name": "Bakkerij De Korenbloem",
                "counterparty_iban": STRANGER,
            }
        ],  # fmt: skip
        key="return",
        booked=dt.date(2024, 3, 4),
    )
    StatementLine.objects.filter(pk=back.pk).update(
        status=LineStatus.RETURNED, is_return=True, return_reason="AM04", customer=customer
    )
    text = text_of(login(client, collector).get(url("banking_returns"), AS_OF))
    assert "AM04" in text
    assert "Bakkerij De Korenbloem" in text
    assert "No returned direct debits" in text
    long_after = text_of(client.get(url("banking_returns"), {"as_of": "2024-06-01"}))
    assert "AM04" not in long_after


def test_the_pages_speak_dutch(client, manager, queued):
    login(client, manager)
    response = client.get(url("banking_queue"), AS_OF, headers={"Accept-Language": "nl"})
    assert "Afletteren" in text_of(response)
