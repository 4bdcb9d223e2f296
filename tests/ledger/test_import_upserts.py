"""The upsert services: by creditor + number, set-based, money rules enforced, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CreditorFactory, CustomerFactory, InvoiceFactory, PaymentFactory
from vorder.common.models import AuditEntry
from vorder.domain.references import generate
from vorder.ledger.models import CreditNote, Customer, Invoice, InvoiceInstalment, Payment
from vorder.ledger.records import parse_credit_note, parse_customer, parse_invoice, parse_payment
from vorder.ledger.selectors import ledger_integrity_problems
from vorder.ledger.services.allocations import payment_allocate
from vorder.ledger.services.upserts import (
    UpsertError,
    UpsertResult,
    credit_notes_upsert,
    customers_upsert,
    invoices_upsert,
    payments_upsert,
)

pytestmark = pytest.mark.django_db


def invoice(number="F1", customer="D10001", gross="121.00", **extra):
    return parse_invoice(
        {
            "number": number,
            "customer": customer,
            "issue_date": "2024-03-01",
            "gross": gross,
            **extra,
        }
    )


def test_customers_are_created_then_updated_then_unchanged(creditor):
    rows = [{"number": "D1", "name": "Bakkerij"}, {"number": "D2", "name": "Slagerij"}]
    first = customers_upsert(creditor=creditor, records=[parse_customer(r) for r in rows])
    assert first == UpsertResult(created=2, updated=0, unchanged=0)

    rows[1]["name"] = "Slagerij Jansen"
    second = customers_upsert(creditor=creditor, records=[parse_customer(r) for r in rows])
    assert second == UpsertResult(created=0, updated=1, unchanged=1)
    assert Customer.objects.filter(creditor=creditor).count() == 2
    entry = AuditEntry.objects.filter(model="ledger.customer", action="update").get()
    assert entry.changes == {"name": ["Slagerij", "Slagerij Jansen"]}
    assert entry.actor == "system"


def test_fields_a_file_does_not_mention_are_kept(creditor):
    customers_upsert(creditor=creditor, records=[parse_customer({"number": "D1", "name": "A", "email": "a@x.nl", "language": "en"})])  # fmt: skip
    customers_upsert(creditor=creditor, records=[parse_customer({"number": "D1", "name": "B"})])
    stored = Customer.objects.get(number="D1")
    assert (stored.name, stored.email, stored.language) == ("B", "a@x.nl", "en")


def test_a_new_contact_counts_as_an_update_of_its_customer(customer):
    record = parse_customer({"number": customer.number, "name": customer.name, "contact_name": "Jan", "contact_email": "jan@x.nl"})  # fmt: skip
    assert customers_upsert(creditor=customer.creditor, records=[record]).updated == 1
    assert customers_upsert(creditor=customer.creditor, records=[record]).unchanged == 1
    assert list(customer.contacts.values_list("name", "email")) == [("Jan", "jan@x.nl")]


def test_a_new_invoice_is_open_for_its_gross_with_a_reference_and_the_customers_term(customer):
    customer.payment_term_days = 14
    customer.save()
    invoices_upsert(creditor=customer.creditor, records=[invoice()])
    stored = Invoice.objects.get(number="F1")
    assert (stored.gross_minor, stored.open_minor, stored.status) == (12100, 12100, "open")
    assert stored.due_date == dt.date(2024, 3, 15)
    assert stored.payment_reference.startswith("RF")


def test_without_a_customer_term_the_creditors_default_applies(customer):
    customer.creditor.default_payment_term_days = 30
    customer.creditor.save()
    invoices_upsert(creditor=customer.creditor, records=[invoice()])
    assert Invoice.objects.get(number="F1").due_date == dt.date(2024, 3, 31)


def test_the_reference_follows_the_creditors_style(customer):
    customer.creditor.reference_style = "ogm"
    customer.creditor.save()
    invoices_upsert(creditor=customer.creditor, records=[invoice(number="2024001")])
    assert Invoice.objects.get(number="2024001").payment_reference == generate("ogm", "2024001")
    assert generate("ogm", "2024001").startswith("+++")


def test_an_unknown_customer_is_named_with_its_position(customer):
    with pytest.raises(UpsertError) as exc:
        invoices_upsert(
            creditor=customer.creditor, records=[invoice(), invoice("F2", customer="D9")]
        )
    assert [(e.index, e.field) for e in exc.value.errors] == [(1, "customer")]
    assert "unknown customer 'D9'" in str(exc.value)
    assert not Invoice.objects.exists()


def test_customers_of_another_creditor_are_invisible(customer):
    other = CreditorFactory(code="other")
    with pytest.raises(UpsertError):
        invoices_upsert(creditor=other, records=[invoice()])


def test_reimport_updates_and_never_duplicates(customer):
    creditor = customer.creditor
    assert invoices_upsert(creditor=creditor, records=[invoice()]).created == 1
    assert invoices_upsert(creditor=creditor, records=[invoice()]) == UpsertResult(0, 0, 1)
    assert invoices_upsert(creditor=creditor, records=[invoice(gross="150.00")]).updated == 1
    stored = Invoice.objects.get()
    assert (stored.gross_minor, stored.open_minor) == (15000, 15000)
    change = AuditEntry.objects.filter(model="ledger.invoice", action="update").get()
    assert change.changes["gross_minor"] == [12100, 15000]


def test_a_lower_amount_keeps_what_was_paid(customer):
    invoices_upsert(creditor=customer.creditor, records=[invoice(gross="121.00")])
    stored = Invoice.objects.get()
    payment_allocate(payment=PaymentFactory(customer=customer, amount_minor=5000), invoice=stored)

    invoices_upsert(creditor=customer.creditor, records=[invoice(gross="100.00")])
    stored.refresh_from_db()
    assert (stored.gross_minor, stored.open_minor, stored.status) == (10000, 5000, "open")
    assert ledger_integrity_problems() == []


def test_an_amount_below_what_is_already_paid_is_refused(customer):
    invoices_upsert(creditor=customer.creditor, records=[invoice(gross="121.00")])
    stored = Invoice.objects.get()
    payment_allocate(payment=PaymentFactory(customer=customer, amount_minor=10000), invoice=stored)

    with pytest.raises(UpsertError, match="less than the EUR 100.00 already paid"):
        invoices_upsert(creditor=customer.creditor, records=[invoice(gross="90.00")])
    stored.refresh_from_db()
    assert stored.gross_minor == 12100


def test_a_new_schedule_replaces_the_old_one_and_payments_settle_the_earliest_part(customer):
    schedule = "2024-04-01=100.00;2024-05-01=100.00;2024-06-01=100.00"
    invoices_upsert(creditor=customer.creditor, records=[invoice(gross="300.00", instalments=schedule)])  # fmt: skip
    stored = Invoice.objects.get()
    assert stored.has_instalments
    payment_allocate(payment=PaymentFactory(customer=customer, amount_minor=15000), invoice=stored)

    new_schedule = "2024-04-01=150.00;2024-07-01=150.00"
    result = invoices_upsert(creditor=customer.creditor, records=[invoice(gross="300.00", instalments=new_schedule)])  # fmt: skip
    assert result.updated == 1
    parts = list(InvoiceInstalment.objects.filter(invoice=stored).values_list("due_date", "amount_minor", "open_minor"))  # fmt: skip
    assert parts == [(dt.date(2024, 4, 1), 15000, 0), (dt.date(2024, 7, 1), 15000, 15000)]
    assert invoices_upsert(creditor=customer.creditor, records=[invoice(gross="300.00", instalments=new_schedule)]).unchanged == 1  # fmt: skip


def test_a_new_total_without_a_new_schedule_is_refused(customer):
    invoices_upsert(creditor=customer.creditor, records=[invoice(gross="200.00", instalments="2024-04-01=100;2024-05-01=100")])  # fmt: skip
    with pytest.raises(UpsertError, match="send the new schedule"):
        invoices_upsert(creditor=customer.creditor, records=[invoice(gross="250.00")])


def test_duplicate_numbers_in_one_batch_are_refused(customer):
    with pytest.raises(UpsertError, match="more than once"):
        invoices_upsert(creditor=customer.creditor, records=[invoice(), invoice()])


def test_lookups_are_set_based_not_per_row(creditor):
    CustomerFactory.create_batch(3, creditor=creditor)
    numbers = list(Customer.objects.values_list("number", flat=True))
    records = [invoice(number=f"F{i}", customer=numbers[i % 3]) for i in range(300)]
    with CaptureQueriesContext(connection) as queries:
        invoices_upsert(creditor=creditor, records=records)
    assert len(queries) < 20
    assert Invoice.objects.count() == 300


def test_a_credit_note_naming_its_invoice_is_allocated_to_it(customer):
    invoices_upsert(creditor=customer.creditor, records=[invoice(gross="121.00")])
    note = parse_credit_note({"number": "C1", "customer": customer.number, "issue_date": "2024-03-10", "gross": "21.00", "invoice": "F1"})  # fmt: skip
    credit_notes_upsert(creditor=customer.creditor, records=[note])
    assert Invoice.objects.get().open_minor == 10000
    assert CreditNote.objects.get().status == "settled"
    # Re-importing the credit note allocates nothing twice.
    assert credit_notes_upsert(creditor=customer.creditor, records=[note]).unchanged == 1
    assert Invoice.objects.get().open_minor == 10000
    assert ledger_integrity_problems() == []


def test_a_credit_note_naming_an_unknown_invoice_is_refused(customer):
    note = parse_credit_note({"number": "C1", "customer": customer.number, "issue_date": "2024-03-10", "gross": "21.00", "invoice": "F404"})  # fmt: skip
    with pytest.raises(UpsertError, match="unknown invoice 'F404'"):
        credit_notes_upsert(creditor=customer.creditor, records=[note])


def test_a_payment_is_allocated_to_the_invoices_it_names_and_the_rest_is_credit(customer):
    invoices_upsert(creditor=customer.creditor, records=[invoice("F1", gross="100.00"), invoice("F2", gross="50.00")])  # fmt: skip
    pay = parse_payment({"number": "B1", "date": "2024-04-01", "amount": "200.00", "invoice": "F2;F1"})  # fmt: skip
    payments_upsert(creditor=customer.creditor, records=[pay])
    assert dict(Invoice.objects.values_list("number", "status")) == {"F1": "paid", "F2": "paid"}
    payment = Payment.objects.get()
    assert (payment.unallocated_minor, payment.customer_id) == (5000, customer.pk)
    assert payments_upsert(creditor=customer.creditor, records=[pay]).unchanged == 1
    assert ledger_integrity_problems() == []


def test_a_payment_with_a_structured_reference_finds_its_invoice(customer):
    invoices_upsert(creditor=customer.creditor, records=[invoice("F7", gross="80.00")])
    reference = Invoice.objects.get().payment_reference
    pay = parse_payment({"number": "B1", "date": "2024-04-01", "amount": "30.00", "reference": reference})  # fmt: skip
    payments_upsert(creditor=customer.creditor, records=[pay])
    assert Invoice.objects.get().open_minor == 5000


def test_a_payment_with_free_text_stays_unallocated(customer):
    InvoiceFactory(customer=customer, number="F1")
    pay = parse_payment({"number": "B1", "date": "2024-04-01", "amount": "30.00", "reference": "factuur F1"})  # fmt: skip
    payments_upsert(creditor=customer.creditor, records=[pay])
    assert Payment.objects.get().unallocated_minor == 3000


def test_a_payment_naming_an_invoice_in_another_currency_is_refused(customer):
    InvoiceFactory(customer=customer, number="F1", currency="USD")
    pay = parse_payment({"number": "B1", "date": "2024-04-01", "amount": "30.00", "invoice": "F1"})
    with pytest.raises(UpsertError, match="is in USD"):
        payments_upsert(creditor=customer.creditor, records=[pay])
    assert not Payment.objects.exists()
