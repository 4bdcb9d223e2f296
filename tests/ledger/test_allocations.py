"""Afletteren: payments and credit notes settle invoices, and the books always balance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import CreditNoteFactory, InvoiceFactory, PaymentFactory
from vorder.common.models import AuditEntry
from vorder.domain.money import Money
from vorder.ledger.models import Invoice, InvoiceInstalment
from vorder.ledger.selectors import ledger_integrity_problems
from vorder.ledger.services.allocations import (
    AllocationError,
    AllocationRequest,
    OverAllocationError,
    allocations_apply,
    allocations_reverse,
    credit_note_allocate,
    payment_allocate,
)

pytestmark = pytest.mark.django_db


def test_a_payment_of_the_full_amount_settles_the_invoice(customer):
    invoice = InvoiceFactory(customer=customer, net_minor=10000, vat_minor=2100)
    payment = PaymentFactory(customer=customer, amount_minor=12100)

    payment_allocate(payment=payment, invoice=invoice)

    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.open_minor == 0
    assert invoice.status == Invoice.Status.PAID
    assert payment.unallocated_minor == 0
    assert ledger_integrity_problems() == []


def test_a_partial_payment_leaves_the_rest_open(customer):
    invoice = InvoiceFactory(customer=customer, net_minor=10000, vat_minor=2100)
    payment = PaymentFactory(customer=customer, amount_minor=5000)

    payment_allocate(payment=payment, invoice=invoice)

    invoice.refresh_from_db()
    assert invoice.open_minor == 7100
    assert invoice.status == Invoice.Status.OPEN


def test_an_overpayment_stays_on_account_as_credit(customer):
    invoice = InvoiceFactory(customer=customer, net_minor=10000, vat_minor=2100)
    payment = PaymentFactory(customer=customer, amount_minor=15000)

    payment_allocate(payment=payment, invoice=invoice)

    payment.refresh_from_db()
    assert payment.unallocated_minor == 2900


def test_over_allocation_is_refused_and_nothing_is_written(customer):
    first = InvoiceFactory(customer=customer, net_minor=1000, vat_minor=0)
    second = InvoiceFactory(customer=customer, net_minor=1000, vat_minor=0)
    payment = PaymentFactory(customer=customer, amount_minor=5000)

    with pytest.raises(OverAllocationError, match=second.number):
        allocations_apply(
            creditor=customer.creditor,
            requests=[
                AllocationRequest(
                    invoice_id=first.pk, amount_minor=1000, date=payment.date, payment_id=payment.pk
                ),
                AllocationRequest(
                    invoice_id=second.pk,
                    amount_minor=1001,
                    date=payment.date,
                    payment_id=payment.pk,
                ),
            ],
        )

    first.refresh_from_db()
    payment.refresh_from_db()
    assert first.open_minor == 1000
    assert payment.unallocated_minor == 5000
    assert not first.allocations.exists()


def test_a_payment_cannot_be_spent_twice(customer):
    first = InvoiceFactory(customer=customer, net_minor=3000, vat_minor=0)
    second = InvoiceFactory(customer=customer, net_minor=3000, vat_minor=0)
    payment = PaymentFactory(customer=customer, amount_minor=4000)
    payment_allocate(payment=payment, invoice=first)
    payment.refresh_from_db()

    with pytest.raises(OverAllocationError, match=payment.number):
        payment_allocate(payment=payment, invoice=second, amount=Money.of("20.00", "EUR"))


def test_a_credit_note_reduces_what_is_owed(customer):
    invoice = InvoiceFactory(customer=customer, net_minor=10000, vat_minor=2100)
    note = CreditNoteFactory(customer=customer, net_minor=1000, vat_minor=210)

    credit_note_allocate(credit_note=note, invoice=invoice)

    invoice.refresh_from_db()
    note.refresh_from_db()
    assert invoice.open_minor == 12100 - 1210
    assert note.open_minor == 0
    assert note.status == "settled"


def test_currencies_are_never_mixed(customer):
    invoice = InvoiceFactory(customer=customer, currency="USD")
    payment = PaymentFactory(customer=customer, currency="EUR")

    with pytest.raises(AllocationError, match="USD"):
        payment_allocate(payment=payment, invoice=invoice, amount=Money.of("10", "EUR"))


def test_an_unknown_payer_becomes_the_customer_of_the_invoice_it_paid(customer):
    invoice = InvoiceFactory(customer=customer)
    payment = PaymentFactory(customer=None, creditor=customer.creditor, amount_minor=500)

    payment_allocate(payment=payment, invoice=invoice)

    payment.refresh_from_db()
    assert payment.customer_id == customer.pk


def test_reversing_a_returned_payment_reopens_the_invoice(customer):
    invoice = InvoiceFactory(customer=customer, net_minor=10000, vat_minor=2100)
    payment = PaymentFactory(customer=customer, amount_minor=12100)
    allocation = payment_allocate(payment=payment, invoice=invoice)

    allocations_reverse(allocations=[allocation], reason="direct debit returned (AM04)")

    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.open_minor == 12100
    assert invoice.status == Invoice.Status.OPEN
    assert payment.unallocated_minor == 12100
    assert AuditEntry.objects.filter(changes__has_key="reason").count() == 1
    assert ledger_integrity_problems() == []


def test_instalments_are_settled_earliest_first(customer):
    invoice = InvoiceFactory(customer=customer, net_minor=30000, vat_minor=0, has_instalments=True)
    for seq, month in enumerate((2, 3, 4), start=1):
        InvoiceInstalment.objects.create(
            invoice=invoice,
            sequence=seq,
            due_date=dt.date(2024, month, 1),
            amount_minor=10000,
            open_minor=10000,
        )
    payment = PaymentFactory(customer=customer, amount_minor=15000)

    payment_allocate(payment=payment, invoice=invoice)

    opens = list(invoice.instalments.order_by("sequence").values_list("open_minor", flat=True))
    assert opens == [0, 5000, 10000]
    assert ledger_integrity_problems() == []


def test_the_database_itself_refuses_a_negative_open_amount(customer):
    invoice = InvoiceFactory(customer=customer, net_minor=1000, vat_minor=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(open_minor=-1)


def test_the_database_refuses_an_allocation_without_a_source(customer):
    from vorder.ledger.models import Allocation

    invoice = InvoiceFactory(customer=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Allocation.objects.create(
            creditor=customer.creditor,
            invoice=invoice,
            amount_minor=100,
            currency="EUR",
            date=dt.date(2024, 1, 1),
        )


def test_integrity_check_notices_a_tampered_open_amount(customer):
    invoice = InvoiceFactory(customer=customer, net_minor=1000, vat_minor=0)
    Invoice.objects.filter(pk=invoice.pk).update(open_minor=900)
    assert ledger_integrity_problems() == [
        f"invoice {invoice.number}: open 900 but gross 1000 - allocated 0"
    ]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    invoices=st.lists(st.integers(min_value=1, max_value=50_000), min_size=1, max_size=4),
    payments=st.lists(st.integers(min_value=1, max_value=60_000), min_size=1, max_size=4),
    plan=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 70_000)), max_size=10
    ),
)
def test_open_amounts_are_never_negative_and_always_balance(customer, invoices, payments, plan):
    """Whatever allocations are attempted, accepted ones keep every sum exact; refused ones change nothing."""
    invs = [InvoiceFactory(customer=customer, net_minor=g, vat_minor=0) for g in invoices]
    pays = [PaymentFactory(customer=customer, amount_minor=a) for a in payments]
    for inv_index, pay_index, amount in plan:
        invoice, payment = invs[inv_index % len(invs)], pays[pay_index % len(pays)]
        invoice.refresh_from_db()
        payment.refresh_from_db()
        try:
            payment_allocate(
                payment=payment, invoice=invoice, amount=Money.from_minor(amount, "EUR")
            )
        except OverAllocationError:
            assert amount > min(invoice.open_minor, payment.unallocated_minor)
        else:
            assert amount <= min(invoice.open_minor, payment.unallocated_minor)
    assert ledger_integrity_problems(creditor=customer.creditor) == []
    for invoice in Invoice.objects.filter(customer=customer):
        assert 0 <= invoice.open_minor <= invoice.gross_minor
    total_invoiced = sum(i.gross_minor for i in Invoice.objects.filter(customer=customer))
    total_open = sum(i.open_minor for i in Invoice.objects.filter(customer=customer))
    total_paid = sum(p.amount_minor - p.unallocated_minor for p in customer.payments.all())
    assert total_invoiced - total_open == total_paid


def test_a_paid_invoice_remembers_when_and_how_late_it_was_paid(customer):
    invoice = InvoiceFactory(
        customer=customer, due_date=dt.date(2024, 1, 31), net_minor=1000, vat_minor=0
    )
    payment = PaymentFactory(customer=customer, amount_minor=1000, date=dt.date(2024, 2, 12))
    allocation = payment_allocate(payment=payment, invoice=invoice)

    invoice.refresh_from_db()
    assert (invoice.paid_on, invoice.days_late) == (dt.date(2024, 2, 12), 12)

    allocations_reverse(allocations=[allocation], reason="wrong match")
    invoice.refresh_from_db()
    assert (invoice.paid_on, invoice.days_late) == (None, None)


def test_paid_dates_are_filled_in_for_bulk_loaded_history(customer):
    from vorder.ledger.models import Allocation
    from vorder.ledger.services.allocations import invoices_refresh_paid_on

    invoice = InvoiceFactory(customer=customer, due_date=dt.date(2024, 1, 31), net_minor=1000, vat_minor=0,
                             open_minor=0, status="paid")  # fmt: skip
    payment = PaymentFactory(customer=customer, amount_minor=1000, unallocated_minor=0)
    Allocation.objects.create(creditor=customer.creditor, invoice=invoice, payment=payment, amount_minor=1000,
                              currency="EUR", date=dt.date(2024, 1, 29))  # fmt: skip

    assert invoices_refresh_paid_on(creditor=customer.creditor) == 1
    invoice.refresh_from_db()
    assert (invoice.paid_on, invoice.days_late) == (dt.date(2024, 1, 29), -2)
