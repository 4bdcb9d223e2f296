"""Matching bank credits to open items: booking the sure ones, queueing the rest, learning IBANs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from tests.factories import CustomerFactory, InvoiceFactory
from vorder.banking.labelled import statement_lines_write
from vorder.banking.matching import (
    ReconciliationError,
    _spelled_invoices,
    invoice_search,
    reconciliation_accept,
    reconciliation_allocate_manual,
    reconciliation_ignore,
    reconciliation_queue,
    reconciliation_to_account,
    statement_lines_match,
)
from vorder.banking.models import LineStatus, StatementLine
from vorder.domain.money import Money
from vorder.ledger.models import Allocation, CustomerBankAccount, Invoice, Payment

BOOKED = dt.date(2024, 3, 1)
IBAN_KORENBLOEM = "NL20INGB0001234567"
IBAN_STRANGER = "NL69INGB0123456789"

pytestmark = pytest.mark.django_db


def credits(creditor, *specs: dict, key: str = "stmt") -> list[StatementLine]:
    return statement_lines_write(
        creditor=creditor,
        specs=[
            {
                "amount_minor": s["amount_minor"],
                "counterparty_name": s.get("name", ""),
                "counterparty_iban": s.get("iban", ""),
                "remittance_info": s.get("text", ""),
                "structured_reference": s.get("reference", ""),
                **{k: v for k, v in s.items() if k in ("currency",)},
            }
            for s in specs
        ],
        key=key,
        booked=BOOKED,
    )


@pytest.fixture
def korenbloem(customer):
    customer.iban = IBAN_KORENBLOEM
    customer.save()
    return customer


@pytest.fixture
def invoice(korenbloem):
    return InvoiceFactory(customer=korenbloem, number="2024-0153", net_minor=10000, vat_minor=2100)


@pytest.fixture
def clerk(db):
    return get_user_model().objects.create_user("anna", password="x")


def refreshed(obj):
    obj.refresh_from_db()
    return obj


# -- automatic matching ------------------------------------------------------------------------
def test_a_structured_reference_pays_the_invoice_at_once(creditor, invoice):
    [line] = credits(creditor, {"amount_minor": 12100, "reference": invoice.payment_reference})
    outcome = statement_lines_match(creditor=creditor, lines=[line], dry_run=False)
    assert (outcome.auto_matched, outcome.queued) == (1, 0)
    [booked] = outcome.allocations
    assert booked["line"] == str(line.pk)
    assert booked["invoice"] == "2024-0153"
    assert booked["amount"] == "121.00"
    assert isinstance(booked["confidence"], float)
    assert booked["confidence"] >= 0.97
    assert booked["explanation"].startswith(
        f"RF reference {invoice.payment_reference} → invoice 2024-0153, exact amount"
    )
    assert refreshed(invoice).status == Invoice.Status.PAID
    line = refreshed(line)
    assert line.status == LineStatus.MATCHED
    assert line.customer_id == invoice.customer_id
    assert line.confidence >= 970
    payment = line.payment
    assert payment.customer_id == invoice.customer_id
    assert payment.unallocated_minor == 0


def test_a_dry_run_says_what_it_would_book_and_books_nothing(creditor, invoice):
    [line] = credits(creditor, {"amount_minor": 12100, "reference": invoice.payment_reference})
    outcome = statement_lines_match(creditor=creditor, lines=[line], dry_run=True)
    assert outcome.auto_matched == 1
    assert outcome.allocations[0]["invoice"] == "2024-0153"
    assert refreshed(invoice).open_minor == 12100
    assert refreshed(line).status == LineStatus.NEW
    assert not Payment.objects.exists()


def test_an_invoice_number_in_noisy_text_from_a_known_account(creditor, invoice):
    [line] = credits(
        creditor,
        {"amount_minor": 12100, "text": "fact nr 2024 0153 bedankt", "iban": IBAN_KORENBLOEM},
    )
    statement_lines_match(creditor=creditor, lines=[line], dry_run=False)
    assert refreshed(invoice).status == Invoice.Status.PAID
    assert "invoice number 2024-0153 in the text" in refreshed(line).explanation


def test_a_partial_payment_lowers_the_open_amount(creditor, invoice):
    [line] = credits(creditor, {"amount_minor": 5000, "reference": invoice.payment_reference})
    statement_lines_match(creditor=creditor, lines=[line], dry_run=False)
    assert refreshed(invoice).open_minor == 7100
    assert refreshed(line).status == LineStatus.MATCHED


def test_an_overpayment_leaves_credit_on_the_customers_account(creditor, invoice):
    [line] = credits(creditor, {"amount_minor": 13000, "reference": invoice.payment_reference})
    statement_lines_match(creditor=creditor, lines=[line], dry_run=False)
    line = refreshed(line)
    assert line.status == LineStatus.PARTIALLY_MATCHED
    assert refreshed(invoice).status == Invoice.Status.PAID
    assert line.payment.unallocated_minor == 900
    assert line.payment.customer_id == invoice.customer_id


def test_money_from_a_known_customer_without_open_items_goes_on_account(creditor, korenbloem):
    [line] = credits(
        creditor,
        {"amount_minor": 5000, "iban": IBAN_KORENBLOEM, "name": "BAKKERIJ DE KORENBLOEM"},
    )
    outcome = statement_lines_match(creditor=creditor, lines=[line], dry_run=False)
    assert outcome.auto_matched == 1
    assert outcome.allocations == []
    line = refreshed(line)
    assert line.status == LineStatus.MATCHED
    assert line.customer_id == korenbloem.pk
    assert line.payment.customer_id == korenbloem.pk
    assert line.payment.unallocated_minor == 5000


def test_an_unknown_payer_waits_in_the_queue_with_suggestions(creditor, invoice):
    other = InvoiceFactory(customer=invoice.customer, number="2024-0154")
    [line] = credits(
        creditor, {"amount_minor": 12100, "name": "K. Onbekend", "iban": IBAN_STRANGER}
    )
    outcome = statement_lines_match(creditor=creditor, lines=[line], dry_run=False)
    assert (outcome.auto_matched, outcome.queued) == (0, 1)
    line = refreshed(line)
    assert line.status == LineStatus.QUEUED
    assert line.payment.unallocated_minor == 12100
    assert line.payment.customer_id is None
    assert list(reconciliation_queue(creditor=creditor)) == [line]
    assert refreshed(other).open_minor == other.gross_minor


def test_a_known_iban_with_two_invoices_of_that_amount_is_queued_with_both(creditor, invoice):
    twin = InvoiceFactory(customer=invoice.customer, number="2024-0154")
    [line] = credits(creditor, {"amount_minor": 12100, "iban": IBAN_KORENBLOEM})
    statement_lines_match(creditor=creditor, lines=[line], dry_run=False)
    line = refreshed(line)
    assert line.status == LineStatus.QUEUED
    suggested = {s["allocations"][0]["invoice"] for s in line.suggestions[:2]}
    assert suggested == {invoice.number, twin.number}
    assert len(line.suggestions) <= 3


def test_lines_in_one_batch_do_not_pay_the_same_money_twice(creditor, invoice):
    lines = credits(
        creditor,
        {"amount_minor": 12100, "reference": invoice.payment_reference},
        {"amount_minor": 12100, "reference": invoice.payment_reference},  # paid twice
    )
    outcome = statement_lines_match(creditor=creditor, lines=lines, dry_run=False)
    assert outcome.auto_matched == 1
    assert outcome.queued == 1
    assert Allocation.objects.filter(invoice=invoice).count() == 1


def test_debits_foreign_currencies_and_handled_lines_are_left_alone(creditor, invoice):
    lines = credits(
        creditor,
        {"amount_minor": -12100, "reference": invoice.payment_reference},
        {"amount_minor": 12100, "reference": invoice.payment_reference, "currency": "USD"},
    )
    outcome = statement_lines_match(creditor=creditor, lines=lines, dry_run=False)
    assert (outcome.auto_matched, outcome.queued) == (0, 0)
    assert refreshed(invoice).open_minor == 12100


def test_a_threshold_of_one_sends_everything_to_a_person(creditor, invoice):
    [line] = credits(creditor, {"amount_minor": 12100, "reference": invoice.payment_reference})
    outcome = statement_lines_match(
        creditor=creditor, lines=[line], dry_run=False, threshold=Decimal(1)
    )
    assert outcome.queued == 1


def test_the_threshold_is_a_setting(creditor, invoice, settings):
    settings.VORDER_MATCH_THRESHOLD = "0.9995"
    [line] = credits(creditor, {"amount_minor": 12100, "reference": invoice.payment_reference})
    assert statement_lines_match(creditor=creditor, lines=[line], dry_run=True).queued == 1


# -- learning ----------------------------------------------------------------------------------
def test_a_sure_match_teaches_the_payers_iban_for_next_time(creditor, korenbloem):
    first = InvoiceFactory(customer=korenbloem, number="2024-0153")
    second = InvoiceFactory(customer=korenbloem, number="2024-0154", net_minor=20000, vat_minor=0)
    new_iban = "NL44RABO0123456789"
    [line] = credits(
        creditor,
        {"amount_minor": 12100, "reference": first.payment_reference, "iban": new_iban,
         "name": "Bakkerij De Korenbloem"},
        key="march",
    )  # fmt: skip
    statement_lines_match(creditor=creditor, lines=[line], dry_run=False)
    assert CustomerBankAccount.objects.filter(customer=korenbloem, iban=new_iban).exists()
    [later] = credits(creditor, {"amount_minor": 20000, "iban": new_iban}, key="april")
    statement_lines_match(creditor=creditor, lines=[later], dry_run=False)
    assert refreshed(second).status == Invoice.Status.PAID
    assert f"payer IBAN {new_iban} known" in refreshed(later).explanation


def test_the_customers_own_iban_is_already_known_and_not_learned_again(creditor, invoice):
    [line] = credits(
        creditor,
        {"amount_minor": 12100, "reference": invoice.payment_reference, "iban": IBAN_KORENBLOEM},
    )
    outcome = statement_lines_match(creditor=creditor, lines=[line], dry_run=False)
    assert outcome.auto_matched == 1
    assert not CustomerBankAccount.objects.exists()


def test_a_sure_match_keeps_no_runners_up_a_queued_line_keeps_three(creditor, invoice):
    [sure] = credits(creditor, {"amount_minor": 12100, "reference": invoice.payment_reference})
    statement_lines_match(creditor=creditor, lines=[sure], dry_run=False)
    assert refreshed(sure).status == LineStatus.MATCHED
    assert refreshed(sure).suggestions == []
    assert "RF reference" in refreshed(sure).explanation


def test_an_invoice_number_is_found_however_the_ledger_writes_it(creditor, korenbloem):
    """Numbers of digits only are compared in the database, others by number_key in Python."""
    numbered = {
        number: InvoiceFactory(customer=korenbloem, number=number, net_minor=1000 + n, vat_minor=0)
        for n, number in enumerate(["000", "0012345", "F-2024-0153", "INV 000777", "88"])
    }
    found = _spelled_invoices(creditor, {"000", "12345", "20240153", "777", "99"})
    assert sorted(found) == sorted(
        numbered[n].pk for n in ("000", "0012345", "F-2024-0153", "INV 000777")
    )
    paid = numbered["F-2024-0153"]
    paid.status, paid.open_minor = Invoice.Status.PAID, 0
    paid.save()
    assert paid.pk not in _spelled_invoices(creditor, {"20240153"})
    assert _spelled_invoices(creditor, set()) == []


def test_a_line_whose_invoice_an_earlier_line_paid_looks_at_the_customers_other_items(
    creditor, invoice
):
    """The second payment of one invoice in a batch is not settled by the reference alone."""
    other = InvoiceFactory(customer=invoice.customer, number="2024-0200", net_minor=12100,
                           vat_minor=0)  # fmt: skip
    first, second = credits(
        creditor,
        {"amount_minor": 12100, "reference": invoice.payment_reference, "iban": IBAN_KORENBLOEM},
        {"amount_minor": 12100, "reference": invoice.payment_reference, "iban": IBAN_KORENBLOEM},
    )
    outcome = statement_lines_match(creditor=creditor, lines=[first, second], dry_run=False)
    assert refreshed(first).status == LineStatus.MATCHED
    assert refreshed(invoice).status == Invoice.Status.PAID
    # the reference now names a paid invoice; the amount fits the customer's other one
    second = refreshed(second)
    assert outcome.auto_matched == 2
    assert second.explanation.startswith("amount fits invoice 2024-0200")
    assert "the structured reference names no open invoice" in second.explanation
    assert Allocation.objects.filter(invoice=other, payment=second.payment).exists()


# -- the queue ---------------------------------------------------------------------------------
@pytest.fixture
def queued(creditor, invoice):
    InvoiceFactory(customer=invoice.customer, number="2024-0154")
    [line] = credits(creditor, {"amount_minor": 12100, "name": "X", "iban": IBAN_STRANGER,
                                "text": "2024-0153"})  # fmt: skip
    statement_lines_match(creditor=creditor, lines=[line], dry_run=False, threshold=Decimal(1))
    return refreshed(line)


def test_one_click_accepts_a_suggestion_and_learns_the_iban(queued, invoice, clerk):
    line = reconciliation_accept(line=queued, suggestion_index=0, user=clerk)
    assert line.status == LineStatus.MATCHED
    assert line.explanation.startswith("accepted by anna: invoice number 2024-0153")
    assert refreshed(invoice).status == Invoice.Status.PAID
    assert CustomerBankAccount.objects.filter(
        customer=invoice.customer, iban=IBAN_STRANGER, source="manual"
    ).exists()
    with pytest.raises(ReconciliationError, match="not queued"):
        reconciliation_accept(line=line, suggestion_index=0, user=clerk)


def test_a_missing_suggestion_is_refused(queued, clerk):
    with pytest.raises(ReconciliationError, match="has no suggestion 9"):
        reconciliation_accept(line=queued, suggestion_index=8, user=clerk)


def test_a_suggestion_without_a_customer_cannot_be_accepted(creditor, clerk):
    [line] = credits(creditor, {"amount_minor": 500, "name": "Niemand"})
    statement_lines_match(creditor=creditor, lines=[line], dry_run=False)
    with pytest.raises(ReconciliationError, match="names no customer"):
        reconciliation_accept(line=refreshed(line), suggestion_index=0, user=clerk)


def test_manual_search_and_split_over_two_invoices(creditor, queued, invoice, clerk):
    other = Invoice.objects.get(number="2024-0154")
    found = list(invoice_search(creditor=creditor, text="2024-015"))
    assert found == [invoice, other]
    line = reconciliation_allocate_manual(
        line=queued,
        allocations=[(invoice, Money.of("100.00", "EUR")), (other, Money.of("21.00", "EUR"))],
        user=clerk,
    )
    assert line.status == LineStatus.MATCHED
    assert refreshed(invoice).open_minor == 2100
    assert refreshed(other).open_minor == 10000
    assert line.explanation == "allocated by anna to invoice 2024-0153, 2024-0154"


def test_a_manual_split_cannot_exceed_the_payment_or_mix_customers(
    creditor, queued, invoice, clerk
):
    stranger_invoice = InvoiceFactory(customer=CustomerFactory(creditor=creditor))
    with pytest.raises(ReconciliationError, match="exceeds the payment"):
        reconciliation_allocate_manual(
            line=queued, allocations=[(invoice, Money.of("121.01", "EUR"))], user=clerk
        )
    with pytest.raises(ReconciliationError, match="one customer"):
        reconciliation_allocate_manual(
            line=queued,
            allocations=[(invoice, Money.of("1", "EUR")), (stranger_invoice, Money.of("1", "EUR"))],
            user=clerk,
        )
    with pytest.raises(ReconciliationError, match="at least one invoice"):
        reconciliation_allocate_manual(line=queued, allocations=[], user=clerk)


def test_a_part_allocated_by_hand_leaves_the_rest_on_account(queued, invoice, clerk):
    line = reconciliation_allocate_manual(
        line=queued, allocations=[(invoice, Money.of("21.00", "EUR"))], user=clerk
    )
    assert line.status == LineStatus.PARTIALLY_MATCHED
    assert refreshed(line).payment.unallocated_minor == 10000


def test_put_on_account(queued, korenbloem, clerk):
    line = reconciliation_to_account(line=queued, customer=korenbloem, user=clerk)
    assert line.status == LineStatus.MATCHED
    assert line.customer == korenbloem
    payment = refreshed(line).payment
    assert payment.customer_id == korenbloem.pk
    assert payment.unallocated_minor == 12100


def test_on_account_of_another_creditors_customer_is_refused(queued, clerk):
    foreign = CustomerFactory()
    with pytest.raises(ReconciliationError, match="another creditor"):
        reconciliation_to_account(line=queued, customer=foreign, user=clerk)


def test_ignore_a_line_with_a_reason(queued, clerk):
    with pytest.raises(ReconciliationError, match="say why"):
        reconciliation_ignore(line=queued, user=clerk, reason=" ")
    line = reconciliation_ignore(line=queued, user=clerk, reason="refund from supplier")
    assert line.status == LineStatus.IGNORED
    assert line.explanation == "ignored by anna: refund from supplier"
    assert refreshed(line).payment.unallocated_minor == 12100


def test_a_debit_is_no_queue_work(creditor, clerk):
    [line] = credits(creditor, {"amount_minor": -500})
    with pytest.raises(ReconciliationError, match="not a credit"):
        reconciliation_ignore(line=line, user=clerk, reason="bank costs")


def test_invoice_search_by_customer_name_and_amount(creditor, invoice):
    assert list(invoice_search(creditor=creditor, text="korenbloem")) == [invoice]
    assert list(invoice_search(creditor=creditor, text="121,00")) == [invoice]
    assert list(invoice_search(creditor=creditor, text="D10001")) == [invoice]
    assert list(invoice_search(creditor=creditor, text="nothing like it")) == []


# -- set-based ---------------------------------------------------------------------------------
def test_a_batch_of_500_lines_takes_a_fixed_number_of_queries(
    creditor, django_assert_max_num_queries
):
    customers = CustomerFactory.create_batch(50, creditor=creditor)
    for n, c in enumerate(customers):
        c.iban = f"NL{n:02d}TEST{n:010d}"
    invoices = [
        InvoiceFactory(customer=customers[n % 50], number=f"2024{n:06d}", net_minor=1000 + n)
        for n in range(250)
    ]
    specs = []
    for n, inv in enumerate(invoices):
        specs.append({"amount_minor": inv.gross_minor, "reference": inv.payment_reference})
        specs.append(
            {"amount_minor": 777 + n, "name": f"Klant {n}", "text": f"factuur {inv.number} {n}"}
        )
    lines = credits(creditor, *specs)
    # a fixed number for the candidates and the writes, plus about ten per slice of 250
    # allocations (allocations_apply): never one per line
    with django_assert_max_num_queries(60):
        outcome = statement_lines_match(creditor=creditor, lines=lines, dry_run=False)
    assert outcome.auto_matched + outcome.queued == 500
    assert outcome.auto_matched >= 250
