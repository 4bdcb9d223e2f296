"""The aging report, DSO and the statement of account against hand-computed ledgers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import CreditNoteFactory, CustomerFactory, InvoiceFactory, PaymentFactory
from vorder.ledger.models import InvoiceInstalment
from vorder.ledger.selectors import (
    aging_report,
    customer_open_items,
    customer_statement,
    dso,
    receivables_as_of,
)
from vorder.ledger.services.allocations import credit_note_allocate, payment_allocate

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2024, 6, 30)


def invoice(customer, number, due, gross, issued=None):
    return InvoiceFactory(
        customer=customer,
        number=number,
        issue_date=issued or min(due, AS_OF) - dt.timedelta(days=30),
        due_date=due,
        net_minor=gross,
        vat_minor=0,
    )


@pytest.fixture
def ledger(creditor):
    """Two customers with items in every bucket; amounts in cents, worked out by hand below."""
    bakker = CustomerFactory(creditor=creditor, number="D1", name="Bakker")
    smid = CustomerFactory(creditor=creditor, number="D2", name="Smid")
    invoice(bakker, "F1", dt.date(2024, 7, 10), 100_00)  # not due
    invoice(bakker, "F2", dt.date(2024, 6, 10), 200_00)  # 20 days
    invoice(bakker, "F3", dt.date(2024, 5, 1), 300_00)  # 60 days
    invoice(smid, "F4", dt.date(2024, 4, 20), 400_00)  # 71 days
    invoice(smid, "F5", dt.date(2024, 1, 31), 500_00)  # 151 days
    paid = invoice(smid, "F6", dt.date(2024, 6, 1), 50_00)  # fully paid: not in the report
    payment_allocate(
        payment=PaymentFactory(customer=smid, amount_minor=50_00, date=dt.date(2024, 6, 5)),
        invoice=paid,
    )
    return bakker, smid


def test_aging_puts_each_open_item_in_its_bucket(ledger, creditor):
    report = aging_report(as_of=AS_OF, creditor=creditor)

    [total] = report.totals
    assert (total.not_due, total.d1_30, total.d31_60, total.d61_90, total.d90_plus) == (
        100_00,
        200_00,
        300_00,
        400_00,
        500_00,
    )
    assert total.total == 1500_00
    # the customer with most overdue comes first
    assert [c.customer_number for c in report.customers] == ["D2", "D1"]
    assert report.customers[0].overdue == 900_00


def test_customers_come_most_overdue_first_then_largest_then_by_number(creditor):
    """The order the credit manager reads: the database orders it, and the replay of an
    earlier day (payments after that day added back) orders the same way."""
    due = dt.date(2024, 5, 1)
    for number, overdue, not_due in [("D10", 100_00, 0), ("D9", 300_00, 0), ("D11", 100_00, 50_00),
                                     ("D2", 100_00, 0), ("Z1", 0, 900_00)]:  # fmt: skip
        customer = CustomerFactory(creditor=creditor, number=number)
        if overdue:
            invoice(customer, f"{number}-1", due, overdue)
        if not_due:
            invoice(customer, f"{number}-2", dt.date(2024, 8, 1), not_due)
    expected = ["D9", "D11", "D10", "D2", "Z1"]  # ties on amount: by number, as text
    assert [c.customer_number for c in aging_report(as_of=AS_OF, creditor=creditor).customers] == (
        expected
    )

    # D2 pays in full after AS_OF: the replay of AS_OF still shows it, in the same place
    d2 = creditor.customers.get(number="D2")
    payment_allocate(
        payment=PaymentFactory(customer=d2, amount_minor=100_00, date=AS_OF + dt.timedelta(days=3)),
        invoice=d2.invoices.get(),
    )
    replayed = aging_report(as_of=AS_OF, creditor=creditor)
    assert [c.customer_number for c in replayed.customers] == expected
    assert replayed.customers[3].d61_90 == 0
    assert replayed.customers[3].d31_60 == 100_00
    assert (
        aging_report(as_of=AS_OF + dt.timedelta(days=3), creditor=creditor)
        .customers[3]
        .customer_number
        == "Z1"
    )


def test_aging_json_has_the_documented_shape(ledger, creditor):
    payload = aging_report(as_of=AS_OF, creditor=creditor).as_json()

    assert payload["as_of"] == "2024-06-30"
    assert payload["totals"] == [
        {
            "creditor": "acme",
            "currency": "EUR",
            "not_due": "100.00",
            "d1_30": "200.00",
            "d31_60": "300.00",
            "d61_90": "400.00",
            "d90_plus": "500.00",
            "total": "1500.00",
        }
    ]
    assert payload["customers"][1]["customer"] == "D1"
    assert payload["customers"][1]["total"] == "600.00"


def test_a_partial_payment_leaves_only_the_rest_in_its_bucket(ledger, creditor):
    bakker, _ = ledger
    f3 = bakker.invoices.get(number="F3")
    payment_allocate(
        payment=PaymentFactory(customer=bakker, amount_minor=120_00, date=dt.date(2024, 6, 20)),
        invoice=f3,
    )

    [total] = aging_report(as_of=AS_OF, creditor=creditor).totals
    assert total.d31_60 == 180_00


def test_aging_on_an_earlier_day_replays_the_ledger_as_it_stood(ledger, creditor):
    """A payment on 5 June is not yet in the aging of 31 May; an invoice of June is not either."""
    _, smid = ledger
    report = aging_report(as_of=dt.date(2024, 5, 31), creditor=creditor)

    [total] = report.totals
    # F6 (due 1 June, paid 5 June) was open and not yet due on 31 May
    # F1 and F2 were issued on 31 May and 11 May: both open, not yet due
    # F3 due 1 May: 30 days; F4 due 20 April: 41 days; F5 due 31 January: 121 days
    assert total.not_due == 50_00 + 100_00 + 200_00
    assert total.d1_30 == 300_00
    assert total.d31_60 == 400_00
    assert total.d61_90 == 0
    assert total.d90_plus == 500_00


def test_each_instalment_ages_by_its_own_due_date(customer):
    inv = InvoiceFactory(
        customer=customer,
        issue_date=dt.date(2024, 1, 1),
        due_date=dt.date(2024, 2, 1),
        net_minor=300_00,
        vat_minor=0,
        has_instalments=True,
    )
    for seq, due in enumerate(
        (dt.date(2024, 2, 1), dt.date(2024, 5, 15), dt.date(2024, 8, 1)), start=1
    ):
        InvoiceInstalment.objects.create(
            invoice=inv, sequence=seq, due_date=due, amount_minor=100_00, open_minor=100_00
        )
    payment_allocate(
        payment=PaymentFactory(customer=customer, amount_minor=100_00, date=dt.date(2024, 2, 1)),
        invoice=inv,
    )

    [total] = aging_report(as_of=AS_OF).totals
    assert (total.not_due, total.d31_60, total.d90_plus) == (100_00, 100_00, 0)

    items = customer_open_items(customer=customer, as_of=AS_OF)
    assert [(i.number, i.open_minor, i.days_overdue) for i in items] == [
        (f"{inv.number}/2", 100_00, 46),
        (f"{inv.number}/3", 100_00, 0),
    ]


def test_aging_before_an_instalment_payment_shows_the_first_part_open(customer):
    inv = InvoiceFactory(
        customer=customer,
        issue_date=dt.date(2024, 1, 1),
        due_date=dt.date(2024, 2, 1),
        net_minor=200_00,
        vat_minor=0,
        has_instalments=True,
    )
    for seq, due in enumerate((dt.date(2024, 2, 1), dt.date(2024, 3, 1)), start=1):
        InvoiceInstalment.objects.create(
            invoice=inv, sequence=seq, due_date=due, amount_minor=100_00, open_minor=100_00
        )
    payment_allocate(
        payment=PaymentFactory(customer=customer, amount_minor=100_00, date=dt.date(2024, 6, 1)),
        invoice=inv,
    )

    [total] = aging_report(as_of=dt.date(2024, 3, 15)).totals
    assert (total.d1_30, total.d31_60) == (100_00, 100_00)


def test_open_items_list_credits_as_negative_amounts(customer):
    inv = InvoiceFactory(customer=customer, net_minor=100_00, vat_minor=21_00)
    note = CreditNoteFactory(customer=customer, net_minor=10_00, vat_minor=0)
    PaymentFactory(customer=customer, amount_minor=5_00, date=dt.date(2024, 2, 15))

    items = customer_open_items(customer=customer, as_of=AS_OF)

    kinds = {(i.kind, i.open_minor) for i in items}
    assert kinds == {("invoice", 121_00), ("credit_note", -10_00), ("payment", -5_00)}
    credit_note_allocate(credit_note=note, invoice=inv)
    assert {
        (i.kind, i.open_minor) for i in customer_open_items(customer=customer, as_of=AS_OF)
    } == {
        ("invoice", 111_00),
        ("payment", -5_00),
    }


def test_statement_of_account_runs_a_balance(customer):
    InvoiceFactory(
        customer=customer,
        number="F1",
        issue_date=dt.date(2024, 1, 10),
        net_minor=100_00,
        vat_minor=0,
    )
    InvoiceFactory(
        customer=customer,
        number="F2",
        issue_date=dt.date(2024, 2, 10),
        net_minor=50_00,
        vat_minor=0,
    )
    CreditNoteFactory(
        customer=customer,
        number="C1",
        issue_date=dt.date(2024, 2, 12),
        net_minor=20_00,
        vat_minor=0,
    )
    PaymentFactory(customer=customer, number="P1", date=dt.date(2024, 3, 1), amount_minor=80_00)

    statement = customer_statement(customer=customer, as_of=AS_OF)

    assert [
        (line.number, line.debit_minor, line.credit_minor, line.balance_minor)
        for line in statement.lines
    ] == [
        ("F1", 100_00, 0, 100_00),
        ("F2", 50_00, 0, 150_00),
        ("C1", 0, 20_00, 130_00),
        ("P1", 0, 80_00, 50_00),
    ]
    assert statement.closing_minor == 50_00

    since = customer_statement(customer=customer, as_of=AS_OF, since=dt.date(2024, 2, 11))
    assert since.opening_minor == 150_00
    assert [line.number for line in since.lines] == ["C1", "P1"]
    assert since.closing_minor == 50_00


def test_dso_by_both_methods(creditor):
    """Sales of 100 in each of April, May and June (90 days); 150 still open on 30 June."""
    cust = CustomerFactory(creditor=creditor)
    for number, issued in (
        ("A", dt.date(2024, 4, 15)),
        ("M", dt.date(2024, 5, 15)),
        ("J", dt.date(2024, 6, 15)),
    ):
        InvoiceFactory(
            customer=cust,
            number=number,
            issue_date=issued,
            due_date=issued + dt.timedelta(days=30),
            net_minor=100_00,
            vat_minor=0,
        )
    payment_allocate(
        payment=PaymentFactory(customer=cust, amount_minor=150_00, date=dt.date(2024, 6, 1)),
        invoice=cust.invoices.get(number="A"),
        amount=None,
    )
    payment = cust.payments.get()
    payment.refresh_from_db()
    payment_allocate(payment=payment, invoice=cust.invoices.get(number="M"))

    figure = dso(as_of=AS_OF, creditor=creditor, period_days=91)

    assert receivables_as_of(as_of=AS_OF, creditor=creditor) == 150_00
    assert figure.sales_minor == 300_00  # 1 April .. 30 June (91 days)
    assert figure.standard == Decimal("45.5")  # 150 / 300 × 91
    # countback: June's 100 fully open (30 days), then 50 of May's 100 (half of 31 days)
    assert figure.countback == Decimal("45.5")
