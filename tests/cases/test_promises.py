"""Promises to pay: dunning waits until the promised date plus grace, then checks the money."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cases.factories import pay
from tests.factories import CustomerFactory, InvoiceFactory
from vorder.cases.models import PromiseToPay, Task
from vorder.cases.selectors import customer_cases, dunning_holds
from vorder.cases.services import (
    CaseError,
    promise_cancel,
    promise_register,
    promises_evaluate,
)
from vorder.common.models import AuditEntry
from vorder.domain.cases import PromiseState
from vorder.domain.money import Money

pytestmark = pytest.mark.django_db

MADE = dt.date(2025, 4, 2)
PROMISED = dt.date(2025, 4, 10)  # + 3 days grace: holds up to and including 13 April


def promise(creditor, customer, items, collector=None, **kw):
    kw.setdefault("amount", Money.of("1815.00", "EUR"))
    return promise_register(
        creditor=creditor,
        customer=customer,
        invoices=items,
        promised_date=PROMISED,
        as_of=MADE,
        taken_by=collector,
        **kw,
    )


def test_a_promise_holds_its_invoices_until_the_promised_date_plus_grace(
    creditor, customer, invoices, collector, contact
):
    p = promise(creditor, customer, invoices[:2], collector, contact=contact)

    holds = dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 13))
    assert set(holds) == {invoices[0].pk, invoices[1].pk}
    [hold] = holds[invoices[0].pk]
    assert (hold.kind, hold.case_id, hold.until) == ("promise", p.pk, dt.date(2025, 4, 13))
    assert "2025-04-10" in hold.reason
    # The day after the grace, the unkept promise no longer holds: dunning resumes.
    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 14)) == {}
    assert AuditEntry.objects.filter(model="cases.promisetopay", object_id=str(p.pk)).exists()


def test_a_promise_kept_by_payments_is_recorded_and_holds_nothing(creditor, customer, invoices):
    p = promise(creditor, customer, invoices[:2])
    pay(invoices[0], 121000, dt.date(2025, 4, 5))
    pay(invoices[1], 60500, dt.date(2025, 4, 12))  # in the grace days

    assert promises_evaluate(creditor=creditor, as_of=dt.date(2025, 4, 11)).still_open == 1
    result = promises_evaluate(creditor=creditor, as_of=dt.date(2025, 4, 12))

    p.refresh_from_db()
    assert result.kept == [p.pk]
    assert (p.status, p.kept_on) == (PromiseToPay.Status.KEPT, dt.date(2025, 4, 12))
    assert not Task.objects.exists()
    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 12)) == {}


def test_a_partly_kept_promise_lets_dunning_resume_on_the_rest_before_the_date(
    creditor, customer, invoices
):
    p = promise(creditor, customer, invoices, amount=Money.of("500.00", "EUR"))
    pay(invoices[0], 50000, dt.date(2025, 4, 3))

    # Holds derive the state, so they are right even before the evaluation recorded it.
    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 4)) == {}
    promises_evaluate(creditor=creditor, as_of=dt.date(2025, 4, 4))
    p.refresh_from_db()
    assert p.status == PromiseToPay.Status.KEPT


def test_a_broken_promise_gets_one_call_task_even_when_evaluated_twice(
    creditor, customer, invoices, collector
):
    p = promise(creditor, customer, invoices[:2], collector)
    pay(invoices[0], 20000, dt.date(2025, 4, 9))  # something, not enough

    assert promises_evaluate(creditor=creditor, as_of=dt.date(2025, 4, 13)).broken == []
    first = promises_evaluate(creditor=creditor, as_of=dt.date(2025, 4, 14))
    again = promises_evaluate(creditor=creditor, as_of=dt.date(2025, 4, 15))

    p.refresh_from_db()
    assert first.broken == [p.pk]
    assert again.broken == []
    assert (p.status, p.broken_on) == (PromiseToPay.Status.BROKEN, dt.date(2025, 4, 14))
    [task] = Task.objects.all()
    assert (task.kind, task.promise_id, task.assigned_to) == ("promise_broken", p.pk, collector)
    assert task.reason.startswith("promise broken, call")
    assert "200.00" in task.reason
    assert first.tasks == [task]
    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 14)) == {}


def test_a_promise_paid_in_full_only_after_the_deadline_is_broken_without_a_call(
    creditor, customer, invoices
):
    p = promise(creditor, customer, invoices[:2])
    pay(invoices[0], 121000, dt.date(2025, 4, 16))
    pay(invoices[1], 60500, dt.date(2025, 4, 16))
    result = promises_evaluate(creditor=creditor, as_of=dt.date(2025, 4, 17))
    assert result.broken == [p.pk]
    assert result.tasks == []


def test_a_catch_up_run_records_the_first_day_the_promise_was_broken(creditor, customer, invoices):
    p = promise(creditor, customer, invoices[:2])
    promises_evaluate(creditor=creditor, as_of=dt.date(2025, 4, 30))
    p.refresh_from_db()
    assert p.broken_on == dt.date(2025, 4, 14)


def test_a_new_promise_on_the_same_invoice_replaces_the_old_one(creditor, customer, invoices):
    old = promise(creditor, customer, invoices[:2])
    new = promise(creditor, customer, invoices[1:], amount=None)

    old.refresh_from_db()
    assert old.status == PromiseToPay.Status.CANCELLED
    assert f"replaced by promise #{new.pk}" in old.note
    assert new.amount_minor == 60500 + 242000  # default: all that is open
    assert [h.case_id for h in dunning_holds(creditor=creditor, as_of=MADE)[invoices[1].pk]] == [
        new.pk
    ]


def test_a_cancelled_promise_holds_nothing(creditor, customer, invoices, collector):
    p = promise(creditor, customer, invoices[:1], amount=None)
    promise_cancel(promise=p, user=collector, as_of=MADE, reason="entered by mistake")
    assert dunning_holds(creditor=creditor, as_of=MADE) == {}
    with pytest.raises(CaseError, match="cancelled already"):
        promise_cancel(promise=p, user=collector, as_of=MADE)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": Money.of("5000.00", "EUR")}, "exceeds"),
        ({"amount": Money.of("0.00", "EUR")}, "positive"),
        ({"amount": Money.of("10.00", "USD")}, "USD"),
        ({"promised_date": dt.date(2025, 4, 1)}, "before today"),
        ({"grace_days": -1}, "negative"),
        ({"channel": "pigeon"}, "unknown channel"),
    ],
)
def test_a_promise_that_makes_no_sense_is_refused(creditor, customer, invoices, kwargs, message):
    args = {
        "creditor": creditor,
        "customer": customer,
        "invoices": invoices[:1],
        "promised_date": PROMISED,
        "as_of": MADE,
    } | kwargs
    with pytest.raises(CaseError, match=message):
        promise_register(**args)


def test_only_the_customers_own_open_invoices_can_be_promised(creditor, customer, invoices):
    other = CustomerFactory(creditor=creditor)
    foreign = InvoiceFactory(customer=other)
    with pytest.raises(CaseError, match="another customer"):
        promise(creditor, customer, [foreign])
    pay(invoices[0], 121000, dt.date(2025, 3, 1))
    with pytest.raises(CaseError, match="is paid"):
        promise(creditor, customer, invoices[:1])
    with pytest.raises(CaseError, match="at least one invoice"):
        promise(creditor, customer, [])


def test_the_customer_page_shows_each_promise_with_its_state(creditor, customer, invoices):
    promise(creditor, customer, invoices[:1], amount=None)
    [view] = customer_cases(customer=customer, as_of=dt.date(2025, 4, 20)).promises
    assert view.outcome.state is PromiseState.BROKEN


def test_evaluating_a_thousand_promises_takes_a_handful_of_queries(
    creditor, django_assert_max_num_queries
):
    customers = CustomerFactory.create_batch(50, creditor=creditor)
    for n, c in enumerate(customers):
        for k in range(20):
            inv = InvoiceFactory(customer=c, number=f"B{n:03d}-{k:02d}")
            promise_register(
                creditor=creditor, customer=c, invoices=[inv], promised_date=PROMISED, as_of=MADE
            )
        if n % 2 == 0:
            pay(inv, inv.gross_minor, dt.date(2025, 4, 5))

    with django_assert_max_num_queries(8):
        holds = dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 6))
    assert len(holds) == 1000 - 25
    # Reads are a fixed handful; writes are bulk (SQLite splits a bulk insert at 999 parameters,
    # about one INSERT per 60 tasks or 80 audit entries): nothing per promise.
    with django_assert_max_num_queries(60) as ctx:
        result = promises_evaluate(creditor=creditor, as_of=dt.date(2025, 4, 14))
    reads = [q for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) <= 5
    assert len(result.kept) == 25
    assert len(result.broken) == 975
    assert len(result.tasks) == 975
