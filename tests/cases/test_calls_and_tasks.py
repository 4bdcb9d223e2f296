"""Calls and tasks: a conversation turned into a promise, a dispute or a follow-up in one go."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from tests.factories import ContactFactory, CustomerFactory, InvoiceFactory
from vorder.cases.models import CallLog, Dispute, Task
from vorder.cases.selectors import customer_cases, dunning_holds, tasks_open
from vorder.cases.services import (
    CallAnswers,
    CaseError,
    DisputeInput,
    FollowUpInput,
    PromiseInput,
    TaskSpec,
    call_log,
    dispute_open,
    promise_register,
    task_cancel,
    task_complete,
    task_create,
    tasks_create,
)
from vorder.domain.money import Money

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 4, 2)
AT = timezone.make_aware(dt.datetime(2025, 4, 2, 10, 15))


def test_a_call_with_a_promise_a_dispute_and_a_follow_up(
    creditor, customer, invoices, collector, contact
):
    other = ContactFactory(customer=customer, name="Piet Bakker", email="piet@korenbloem.nl")
    call = call_log(
        creditor=creditor,
        customer=customer,
        user=collector,
        at=AT,
        outcome=CallLog.Outcome.REACHED,
        as_of=TODAY,
        contact=contact,
        answers=CallAnswers(
            satisfied=CallLog.Answer.NO,
            satisfied_note="the March delivery was short",
            payment_intent="transfer on the 15th, after their customers pay",
            obstacles="cash flow tight this month",
            right_contact=CallLog.Answer.NO,
            new_contact=other,
        ),
        notes="friendly, apologetic",
        promise=PromiseInput(invoices=invoices[:2], promised_date=dt.date(2025, 4, 15)),
        dispute=DisputeInput(invoices=invoices[2:], reason=Dispute.Reason.GOODS_OR_SERVICE),
        follow_up=FollowUpInput(due_date=dt.date(2025, 4, 16), reason="check the payment came"),
    )

    assert call.promise.contact == other
    assert call.promise.taken_by == collector
    assert call.promise.amount_minor == 121000 + 60500
    assert call.dispute.description == "the March delivery was short"
    assert call.dispute.owner == collector
    assert (call.follow_up.kind, call.follow_up.assigned_to) == ("follow_up", collector)
    kinds = {h[0].kind for h in dunning_holds(creditor=creditor, as_of=TODAY).values()}
    assert kinds == {"promise", "dispute"}
    cases = customer_cases(customer=customer, as_of=TODAY)
    assert cases.calls == [call]
    assert {t.kind for t in cases.tasks} == {"follow_up", "dispute_decision"}


def test_no_promise_from_a_voicemail(creditor, customer, invoices, collector):
    with pytest.raises(CaseError, match="reached"):
        call_log(
            creditor=creditor,
            customer=customer,
            user=collector,
            at=AT,
            outcome=CallLog.Outcome.VOICEMAIL,
            as_of=TODAY,
            promise=PromiseInput(invoices=invoices[:1], promised_date=TODAY),
        )
    assert not CallLog.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "shouted"}, "unknown call outcome"),
        ({"answers": CallAnswers(satisfied="maybe")}, "satisfied: answer yes, no or unknown"),
    ],
)
def test_a_call_log_with_unknown_answers_is_refused(creditor, customer, collector, kwargs, message):
    args = {"outcome": CallLog.Outcome.REACHED} | kwargs
    with pytest.raises(CaseError, match=message):
        call_log(creditor=creditor, customer=customer, user=collector, at=AT, as_of=TODAY, **args)


def test_a_contact_of_another_customer_is_refused(creditor, customer, collector):
    stranger = ContactFactory(customer=CustomerFactory(creditor=creditor))
    with pytest.raises(CaseError, match="not a contact"):
        call_log(
            creditor=creditor,
            customer=customer,
            user=collector,
            at=AT,
            outcome=CallLog.Outcome.NO_ANSWER,
            as_of=TODAY,
            contact=stranger,
        )


def test_a_task_with_a_key_is_created_once_and_closed_once(creditor, customer, collector):
    args = {
        "creditor": creditor,
        "customer": customer,
        "kind": Task.Kind.CALL,
        "reason": "first time late: call early",
        "due_date": TODAY,
        "assigned_to": collector,
        "idempotency_key": "dunning:2025-04-02:call:D10001",
    }
    task = task_create(**args)
    assert task_create(**args) == task
    assert tasks_open(creditor=creditor, as_of=TODAY, assigned_to=collector) == [task]
    assert tasks_open(creditor=creditor, as_of=dt.date(2025, 4, 1)) == []

    task_complete(task=task, user=collector, as_of=TODAY, note="reached, will pay Friday")
    task.refresh_from_db()
    assert (task.status, task.closed_on, task.closed_by) == ("done", TODAY, collector)
    with pytest.raises(CaseError, match="done already"):
        task_cancel(task=task, user=collector, as_of=TODAY)
    # a Dutch reader gets the whole sentence in one language, not "the task is gereed already"
    with translation.override("nl"), pytest.raises(CaseError, match="the task is done already"):
        task_cancel(task=task, user=collector, as_of=TODAY)
    assert tasks_open(creditor=creditor, as_of=TODAY) == []


def test_the_dunning_run_creates_its_tasks_once_and_gets_them_back_on_a_rerun(creditor, customer):
    other = CustomerFactory(creditor=creditor)
    specs = [
        TaskSpec(customer.pk, Task.Kind.CALL, "habitual late payer: call", TODAY, "dunning:1"),
        TaskSpec(other.pk, Task.Kind.HANDOVER_PROPOSAL, "last level passed", TODAY, "dunning:2"),
    ]
    first = tasks_create(creditor=creditor, specs=specs)
    again = tasks_create(creditor=creditor, specs=[*reversed(specs), specs[0]])

    assert [t.idempotency_key for t in first] == ["dunning:1", "dunning:2"]
    assert [t.pk for t in again] == [first[1].pk, first[0].pk]
    assert Task.objects.count() == 2
    assert tasks_create(creditor=creditor, specs=[]) == []


def test_a_task_of_an_unknown_kind_is_refused(creditor, customer):
    with pytest.raises(CaseError, match="unknown task kind"):
        task_create(creditor=creditor, customer=customer, kind="coffee", reason="", due_date=TODAY)


def test_a_cancelled_task_leaves_the_list(creditor, customer):
    task = task_create(
        creditor=creditor, customer=customer, kind=Task.Kind.FOLLOW_UP, reason="x", due_date=TODAY
    )
    task_cancel(task=task, user=None, as_of=TODAY)
    assert tasks_open(creditor=creditor, as_of=TODAY) == []


def test_holds_of_every_kind_for_chosen_customers_only(creditor, customer, invoices):
    other = CustomerFactory(creditor=creditor)
    elsewhere = InvoiceFactory(customer=other)
    promise_register(
        creditor=creditor,
        customer=customer,
        invoices=invoices[:1],
        promised_date=TODAY,
        as_of=TODAY,
    )
    dispute_open(
        creditor=creditor, customer=customer, invoices=invoices[:2], reason="price", as_of=TODAY
    )
    dispute_open(
        creditor=creditor, customer=other, invoices=[elsewhere], reason="other", as_of=TODAY
    )

    mine = dunning_holds(creditor=creditor, as_of=TODAY, customer_ids=[customer.pk])
    assert {k: sorted(h.kind for h in v) for k, v in mine.items()} == {
        invoices[0].pk: ["dispute", "promise"],
        invoices[1].pk: ["dispute"],
    }
    assert elsewhere.pk in dunning_holds(creditor=creditor, as_of=TODAY)
    assert dunning_holds(creditor=creditor, as_of=TODAY, customer_ids=[]) == {}
    # A case made later does not hold on an earlier day (a rerun for a past date).
    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 1)) == {}


def test_holds_for_many_customers_are_read_in_chunks(creditor, customer, invoices, monkeypatch):
    from vorder.cases import selectors

    other = CustomerFactory(creditor=creditor)
    elsewhere = InvoiceFactory(customer=other)
    for who, items in ((customer, invoices[:1]), (other, [elsewhere])):
        dispute_open(creditor=creditor, customer=who, invoices=items, reason="price", as_of=TODAY)
    monkeypatch.setattr(selectors, "KEY_CHUNK", 1)
    holds = dunning_holds(creditor=creditor, as_of=TODAY, customer_ids=[other.pk, customer.pk])
    assert set(holds) == {invoices[0].pk, elsewhere.pk}


def test_cases_of_another_creditor_are_refused(creditor, customer, invoices):
    from tests.factories import CreditorFactory

    with pytest.raises(CaseError, match="does not belong"):
        promise_register(
            creditor=CreditorFactory(),
            customer=customer,
            invoices=invoices[:1],
            promised_date=TODAY,
            as_of=TODAY,
            amount=Money.of("1.00", "EUR"),
        )
