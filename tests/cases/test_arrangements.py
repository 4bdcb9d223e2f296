"""Payment arrangements: agreed within the policy or approved, confirmed, watched instalment by
instalment — one reminder after the first miss, broken at the second, completed when paid."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cases.factories import pay
from tests.factories import CustomerFactory, InvoiceFactory
from vorder.cases.models import PaymentArrangement, Task
from vorder.cases.selectors import (
    arrangements_confirmation_pending,
    customer_cases,
    dunning_holds,
)
from vorder.cases.services import (
    ArrangementLimits,
    CaseError,
    InstalmentInput,
    NotAllowed,
    arrangement_agree,
    arrangement_approve,
    arrangement_cancel,
    arrangement_create,
    arrangements_confirmation_sent,
    arrangements_evaluate,
    instalment_states,
)
from vorder.comms.models import Message
from vorder.domain.cases import InstalmentState
from vorder.domain.money import Money

pytestmark = pytest.mark.django_db

AGREED = dt.date(2025, 4, 1)
POLICY = ArrangementLimits(max_months=6, min_instalment_minor=5000)
EUR = "EUR"


def three_months():
    """1,815.00 in three monthly instalments of 605.00 from 1 May."""
    return [
        InstalmentInput(dt.date(2025, 5, 1), Money.of("605.00", EUR)),
        InstalmentInput(dt.date(2025, 6, 1), Money.of("605.00", EUR)),
        InstalmentInput(dt.date(2025, 7, 1), Money.of("605.00", EUR)),
    ]


def agree(creditor, customer, items, user, instalments=None, **kw):
    return arrangement_create(
        creditor=creditor,
        customer=customer,
        invoices=items,
        instalments=instalments or three_months(),
        as_of=AGREED,
        user=user,
        limits=POLICY,
        **kw,
    )


def evaluate(creditor, day):
    return arrangements_evaluate(creditor=creditor, as_of=day)


def test_within_the_limits_a_collector_agrees_and_the_confirmation_is_queued(
    creditor, customer, invoices, collector, contact
):
    a = agree(creditor, customer, invoices[:2], collector)

    assert a.status == PaymentArrangement.Status.ACTIVE
    assert (a.agreed_by, a.agreed_on, a.approved_by) == (collector, AGREED, None)
    [message] = Message.objects.filter(template_key="arrangement_confirmation")
    assert (message.channel, message.recipient) == ("email", "anja@korenbloem.nl")
    assert [i["amount"] for i in message.context["arrangement"]["instalments"]] == ["605.00"] * 3
    assert {i["number"] for i in message.context["items"]} == {"2025-001", "2025-002"}
    assert not a.confirmation_pending
    holds = dunning_holds(creditor=creditor, as_of=AGREED)
    assert set(holds) == {invoices[0].pk, invoices[1].pk}
    assert holds[invoices[0].pk][0].kind == "arrangement"
    assert holds[invoices[0].pk][0].until is None


def test_a_customer_who_wants_paper_gets_a_letter(creditor, customer, invoices, collector):
    customer.preferred_channel = "letter"
    customer.address_line1, customer.postal_code, customer.city = "Dorpsstraat 1", "1234 AB", "Ede"
    customer.save()
    agree(creditor, customer, invoices[:2], collector)
    [message] = Message.objects.filter(template_key="arrangement_confirmation")
    assert message.channel == "letter"
    assert message.recipient.splitlines()[0] == customer.name


def test_without_any_address_the_confirmation_is_left_pending(creditor, invoices, collector):
    customer = CustomerFactory(creditor=creditor, email="", preferred_channel="email")
    items = [InvoiceFactory(customer=customer, net_minor=150000, vat_minor=31500)]
    a = agree(creditor, customer, items, collector)
    assert a.confirmation_pending
    assert arrangements_confirmation_pending(creditor=creditor) == [a]
    assert arrangements_confirmation_sent(creditor=creditor, arrangement_ids=[a.pk]) == 1
    assert arrangements_confirmation_pending(creditor=creditor) == []


def test_paid_on_time_the_arrangement_completes(creditor, customer, invoices, collector):
    a = agree(creditor, customer, invoices[:2], collector)
    pay(invoices[0], 60500, dt.date(2025, 5, 1))
    assert evaluate(creditor, dt.date(2025, 5, 10)).missed == []
    pay(invoices[0], 60500, dt.date(2025, 6, 2))
    pay(invoices[1], 60500, dt.date(2025, 6, 30))

    result = evaluate(creditor, dt.date(2025, 7, 1))

    a.refresh_from_db()
    assert result.completed == [a.pk]
    assert (a.status, a.completed_on) == (PaymentArrangement.Status.COMPLETED, dt.date(2025, 6, 30))
    assert a.first_missed_on is None
    assert not Task.objects.exists()
    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 7, 1)) == {}


def test_a_first_miss_gets_one_reminder_and_one_task(creditor, customer, invoices, collector):
    a = agree(creditor, customer, invoices[:2], collector)

    assert evaluate(creditor, dt.date(2025, 5, 4)).missed == []  # still in its grace
    first = evaluate(creditor, dt.date(2025, 5, 5))
    again = evaluate(creditor, dt.date(2025, 5, 6))

    a.refresh_from_db()
    assert first.missed == [a.pk]
    assert again.missed == []
    assert (a.status, a.first_missed_on, a.missed_instalment) == ("active", dt.date(2025, 5, 5), 1)
    [reminder] = first.reminders
    assert (reminder.instalment_sequence, reminder.amount_minor, reminder.queued) == (
        1,
        60500,
        True,
    )
    [message] = Message.objects.filter(template_key="arrangement_reminder")
    assert message.context["missed_instalment"]["due_date"] == "2025-05-01"
    [task] = Task.objects.all()
    assert (task.kind, task.arrangement_id, task.assigned_to) == (
        "arrangement_missed",
        a.pk,
        collector,
    )
    # Still holding dunning: one miss does not break it.
    assert invoices[0].pk in dunning_holds(creditor=creditor, as_of=dt.date(2025, 5, 6))


def test_caught_up_after_one_miss_it_runs_on_and_completes(creditor, customer, invoices, collector):
    a = agree(creditor, customer, invoices[:2], collector)
    evaluate(creditor, dt.date(2025, 5, 5))
    pay(invoices[0], 121000, dt.date(2025, 5, 20))  # instalments 1 and 2 at once
    pay(invoices[1], 60500, dt.date(2025, 7, 1))
    evaluate(creditor, dt.date(2025, 6, 10))
    a.refresh_from_db()
    assert a.status == "active"
    evaluate(creditor, dt.date(2025, 7, 2))
    a.refresh_from_db()
    assert a.status == PaymentArrangement.Status.COMPLETED
    assert instalment_states(a, dt.date(2025, 7, 2)) == {
        1: InstalmentState.PAID_LATE,
        2: InstalmentState.PAID,
        3: InstalmentState.PAID,
    }


def test_the_second_miss_breaks_it_and_dunning_resumes(creditor, customer, invoices, collector):
    a = agree(creditor, customer, invoices[:2], collector)
    evaluate(creditor, dt.date(2025, 5, 5))
    pay(invoices[0], 60500, dt.date(2025, 5, 8))  # the first, late

    result = evaluate(creditor, dt.date(2025, 6, 5))

    a.refresh_from_db()
    assert result.broken == [a.pk]
    assert (a.status, a.broken_on) == (PaymentArrangement.Status.BROKEN, dt.date(2025, 6, 5))
    assert Message.objects.filter(template_key="arrangement_reminder").count() == 1
    assert Task.objects.filter(arrangement=a).count() == 2
    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 6, 5)) == {}
    assert evaluate(creditor, dt.date(2025, 6, 6)).broken == []


def test_a_catch_up_after_two_misses_breaks_it_without_a_late_reminder(
    creditor, customer, invoices, collector
):
    a = agree(creditor, customer, invoices[:2], collector)
    result = evaluate(creditor, dt.date(2025, 6, 20))
    a.refresh_from_db()
    assert result.broken == [a.pk]
    assert result.reminders == []
    assert a.first_missed_on == dt.date(2025, 5, 5)
    assert not Message.objects.filter(template_key="arrangement_reminder").exists()


def test_beyond_the_limits_a_collector_cannot_approve_a_credit_manager_can(
    creditor, customer, invoices, collector, credit_manager
):
    long = [
        InstalmentInput(
            dt.date(2025, 5 + n, 1) if n < 8 else dt.date(2026, n - 7, 1), Money.of(a, EUR)
        )
        for n, a in enumerate(["181.50"] * 10)
    ]
    a = agree(creditor, customer, invoices[:2], collector, instalments=long)

    assert a.status == PaymentArrangement.Status.AWAITING_APPROVAL
    assert "more than 6 months" in a.beyond_limits
    [task] = Task.objects.filter(kind=Task.Kind.APPROVAL)
    assert not Message.objects.exists()  # no confirmation before approval
    assert invoices[0].pk in dunning_holds(creditor=creditor, as_of=AGREED)  # held meanwhile
    with pytest.raises(NotAllowed):
        arrangement_approve(arrangement=a, user=collector, as_of=AGREED)

    arrangement_approve(arrangement=a, user=credit_manager, as_of=dt.date(2025, 4, 2))

    a.refresh_from_db()
    task.refresh_from_db()
    assert (a.status, a.approved_by) == (PaymentArrangement.Status.ACTIVE, credit_manager)
    assert task.status == Task.Status.DONE
    assert Message.objects.filter(template_key="arrangement_confirmation").count() == 1
    with pytest.raises(CaseError, match="not awaiting approval"):
        arrangement_approve(arrangement=a, user=credit_manager, as_of=AGREED)


def test_a_credit_manager_agreeing_beyond_the_limits_approves_at_once(
    creditor, customer, invoices, credit_manager
):
    small = [
        InstalmentInput(dt.date(2025, 5, 1), Money.of("40.00", EUR)),
        InstalmentInput(dt.date(2025, 6, 1), Money.of("1775.00", EUR)),
    ]
    a = agree(creditor, customer, invoices[:2], credit_manager, instalments=small)
    assert a.status == PaymentArrangement.Status.ACTIVE
    assert a.approved_by == credit_manager
    assert "below the minimum" in a.beyond_limits


def test_a_proposal_holds_nothing_until_agreed(creditor, customer, invoices, collector, reader):
    a = agree(creditor, customer, invoices[:2], None, agree=False)
    assert a.status == PaymentArrangement.Status.PROPOSED
    assert dunning_holds(creditor=creditor, as_of=AGREED) == {}
    with pytest.raises(NotAllowed):
        arrangement_agree(arrangement=a, user=reader, limits=POLICY, as_of=AGREED)
    arrangement_agree(arrangement=a, user=collector, limits=POLICY, as_of=AGREED)
    a.refresh_from_db()
    assert a.status == PaymentArrangement.Status.ACTIVE
    with pytest.raises(CaseError, match="not proposed"):
        arrangement_agree(arrangement=a, user=collector, limits=POLICY, as_of=AGREED)


def test_a_cancelled_arrangement_holds_nothing(creditor, customer, invoices, collector):
    a = agree(creditor, customer, invoices[:2], collector)
    arrangement_cancel(arrangement=a, user=collector, as_of=AGREED, reason="customer sold")
    assert dunning_holds(creditor=creditor, as_of=AGREED) == {}
    with pytest.raises(CaseError, match="cancelled already"):
        arrangement_cancel(arrangement=a, user=collector, as_of=AGREED)


def test_an_invoice_is_in_one_running_arrangement_at_a_time(
    creditor, customer, invoices, collector
):
    a = agree(creditor, customer, invoices[:2], collector)
    with pytest.raises(CaseError, match="2025-001, 2025-002 are in an arrangement already"):
        agree(creditor, customer, invoices[:2], collector)
    arrangement_cancel(arrangement=a, user=collector, as_of=AGREED)
    assert agree(creditor, customer, invoices[:2], collector).status == "active"


def test_down_payment_and_included_interest(creditor, customer, invoices, collector):
    a = agree(
        creditor,
        customer,
        invoices[:1],
        collector,
        down_payment=InstalmentInput(dt.date(2025, 4, 5), Money.of("210.00", EUR)),
        instalments=[
            InstalmentInput(dt.date(2025, 5, 1), Money.of("520.00", EUR)),
            InstalmentInput(dt.date(2025, 6, 1), Money.of("520.00", EUR)),
        ],
        interest_costs=PaymentArrangement.InterestCosts.INCLUDED,
        interest_costs_amount=Money.of("40.00", EUR),
    )
    assert (a.total_minor, a.down_payment_minor, a.interest_costs_minor) == (125000, 21000, 4000)
    assert [i.sequence for i in a.instalments.all()] == [0, 1, 2]
    assert evaluate(creditor, dt.date(2025, 4, 9)).missed == [a.pk]  # the down payment


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"instalments": [InstalmentInput(dt.date(2025, 5, 1), Money.of("100.00", EUR))]},
            "add up",
        ),
        (
            {"instalments": [InstalmentInput(dt.date(2025, 3, 1), Money.of("1815.00", EUR))]},
            "before",
        ),
        (
            {"instalments": [InstalmentInput(dt.date(2025, 5, 1), Money.of("1815.00", "USD"))]},
            "USD",
        ),
        ({"interest_costs": "forgotten"}, "unknown interest"),
        ({"interest_costs_amount": Money.of("1.00", EUR)}, "only goes with"),
        (
            {"down_payment": InstalmentInput(dt.date(2025, 6, 15), Money.of("5.00", EUR))},
            "down payment falls due",
        ),
    ],
)
def test_an_arrangement_that_does_not_add_up_is_refused(
    creditor, customer, invoices, collector, kwargs, message
):
    with pytest.raises(CaseError, match=message):
        agree(creditor, customer, invoices[:2], collector, **kwargs)


def test_the_customer_page_shows_each_instalments_state(creditor, customer, invoices, collector):
    agree(creditor, customer, invoices[:2], collector)
    pay(invoices[0], 60500, dt.date(2025, 4, 28))
    [view] = customer_cases(customer=customer, as_of=dt.date(2025, 6, 3)).arrangements
    assert [i.state for i in view.monitor.instalments] == [
        InstalmentState.PAID,
        InstalmentState.DUE,
        InstalmentState.UPCOMING,
    ]


def test_evaluating_many_arrangements_reads_a_fixed_handful(
    creditor, collector, django_assert_max_num_queries
):
    for n in range(40):
        c = CustomerFactory(creditor=creditor)
        inv = InvoiceFactory(customer=c, number=f"A{n:03d}", net_minor=150000, vat_minor=31500)
        agree(creditor, c, [inv], collector)
        if n % 4:
            pay(inv, 181500, dt.date(2025, 4, 20))
    with django_assert_max_num_queries(10):
        holds = dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 21))
    assert len(holds) == 40  # not yet evaluated: all are still recorded active
    with django_assert_max_num_queries(20) as ctx:
        result = evaluate(creditor, dt.date(2025, 4, 21))
    assert len(result.completed) == 30
    assert len([q for q in ctx.captured_queries if q["sql"].startswith("SELECT")]) <= 6
