"""Disputes: the contested items leave dunning until decided — credited, rejected or withdrawn."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cases.factories import pay
from vorder.cases.models import Dispute, Task
from vorder.cases.selectors import (
    customer_cases,
    disputes_overdue,
    dunning_holds,
    rejected_disputes_pending_message,
)
from vorder.cases.services import (
    CaseError,
    dispute_open,
    dispute_reject,
    dispute_resolve_credit_note,
    dispute_withdraw,
    disputes_rejection_message_sent,
)
from vorder.domain.money import Money
from vorder.ledger.models import CreditNote, Invoice
from vorder.ledger.selectors import ledger_integrity_problems

pytestmark = pytest.mark.django_db

OPENED = dt.date(2025, 4, 2)


def open_dispute(creditor, customer, items, owner=None, **kw):
    return dispute_open(
        creditor=creditor,
        customer=customer,
        invoices=items,
        reason=kw.pop("reason", Dispute.Reason.GOODS_OR_SERVICE),
        description="the bread arrived mouldy",
        owner=owner,
        as_of=OPENED,
        **kw,
    )


def test_a_disputed_invoice_leaves_dunning_while_the_rest_is_dunned(
    creditor, customer, invoices, collector
):
    d = open_dispute(creditor, customer, invoices[:1], collector)

    holds = dunning_holds(creditor=creditor, as_of=OPENED)
    assert list(holds) == [invoices[0].pk]  # 2025-002 and 2025-003 are dunned as usual
    [hold] = holds[invoices[0].pk]
    assert (hold.kind, hold.case_id, hold.until) == ("dispute", d.pk, None)
    assert "Goods or service not satisfactory" in hold.reason
    [task] = Task.objects.all()
    assert (task.kind, task.due_date, task.assigned_to) == (
        "dispute_decision",
        dt.date(2025, 4, 16),  # two weeks to decide by default
        collector,
    )


def test_a_full_credit_note_settles_the_disputed_invoices(creditor, customer, invoices, collector):
    d = open_dispute(creditor, customer, invoices[:2], collector)
    pay(invoices[1], 10500, dt.date(2025, 3, 1))  # 100.00 of 605.00 paid before

    dispute_resolve_credit_note(dispute=d, as_of=dt.date(2025, 4, 8), user=collector, note="agreed")

    d.refresh_from_db()
    assert d.status == Dispute.Status.RESOLVED_CREDIT_NOTE
    assert d.resolved_on == dt.date(2025, 4, 8)
    note = d.credit_note
    assert (note.number, note.gross_minor, note.status) == (
        f"CN-DISPUTE-{d.pk}",
        171000,
        "settled",
    )
    assert note.vat_minor == round(171000 * 31500 / 181500)
    assert note.net_minor + note.vat_minor == note.gross_minor
    for invoice in invoices[:2]:
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PAID
    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 8)) == {}
    assert Task.objects.get().status == Task.Status.DONE
    assert ledger_integrity_problems() == []


def test_a_partial_credit_note_leaves_the_rest_to_dunning(creditor, customer, invoices, collector):
    d = open_dispute(creditor, customer, invoices[:1], collector, reason=Dispute.Reason.PRICE)

    dispute_resolve_credit_note(
        dispute=d,
        as_of=dt.date(2025, 4, 8),
        user=collector,
        amount=Money.of("121.00", "EUR"),
        number="CN-2025-17",
    )

    invoices[0].refresh_from_db()
    note = CreditNote.objects.get(number="CN-2025-17")
    assert (note.gross_minor, note.vat_minor, note.original_invoice_id) == (
        12100,
        2100,
        invoices[0].pk,
    )
    assert invoices[0].open_minor == 121000 - 12100
    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 8)) == {}
    with pytest.raises(CaseError, match="already"):
        dispute_withdraw(dispute=d, as_of=dt.date(2025, 4, 9), user=collector)


@pytest.mark.parametrize(
    ("amount", "message"),
    [(Money.of("5000.00", "EUR"), "exceeds"), (Money.of("1.00", "USD"), "USD")],
)
def test_a_credit_larger_than_what_is_open_is_refused(
    creditor, customer, invoices, amount, message
):
    d = open_dispute(creditor, customer, invoices[:1])
    with pytest.raises(CaseError, match=message):
        dispute_resolve_credit_note(dispute=d, as_of=OPENED, user=None, amount=amount)


def test_a_credit_note_number_is_never_reused(creditor, customer, invoices):
    first = open_dispute(creditor, customer, invoices[:1])
    second = open_dispute(creditor, customer, invoices[1:2])
    dispute_resolve_credit_note(dispute=first, as_of=OPENED, user=None, number="CN-1")
    with pytest.raises(CaseError, match="exists already"):
        dispute_resolve_credit_note(dispute=second, as_of=OPENED, user=None, number="CN-1")


def test_a_rejected_dispute_resumes_dunning_with_an_explanation(
    creditor, customer, invoices, collector
):
    d = open_dispute(creditor, customer, invoices[:1], collector)
    with pytest.raises(CaseError, match="say why"):
        dispute_reject(dispute=d, as_of=dt.date(2025, 4, 10), user=collector, note=" ")

    dispute_reject(
        dispute=d, as_of=dt.date(2025, 4, 10), user=collector, note="delivery note signed"
    )

    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 10)) == {}
    assert rejected_disputes_pending_message(creditor=creditor) == [d]
    assert disputes_rejection_message_sent(creditor=creditor, dispute_ids=[d.pk]) == 1
    assert rejected_disputes_pending_message(creditor=creditor) == []


def test_a_withdrawn_dispute_resumes_dunning(creditor, customer, invoices):
    d = open_dispute(creditor, customer, invoices[:1])
    dispute_withdraw(dispute=d, as_of=dt.date(2025, 4, 3), user=None, note="found the goods")
    d.refresh_from_db()
    assert (d.status, d.rejection_message_pending) == (Dispute.Status.WITHDRAWN, False)
    assert dunning_holds(creditor=creditor, as_of=dt.date(2025, 4, 3)) == {}


def test_an_invoice_is_disputed_only_once_at_a_time(creditor, customer, invoices):
    open_dispute(creditor, customer, invoices[:2])
    with pytest.raises(CaseError, match="2025-002 are disputed already"):
        open_dispute(creditor, customer, invoices[1:])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": "weather"}, "unknown dispute reason"),
        ({"decision_due": dt.date(2025, 4, 1)}, "before today"),
    ],
)
def test_a_dispute_that_makes_no_sense_is_refused(creditor, customer, invoices, kwargs, message):
    with pytest.raises(CaseError, match=message):
        open_dispute(creditor, customer, invoices[:1], **kwargs)


def test_old_open_disputes_are_flagged(creditor, customer, invoices):
    late = open_dispute(creditor, customer, invoices[:1], decision_due=dt.date(2025, 4, 5))
    open_dispute(creditor, customer, invoices[1:2], decision_due=dt.date(2025, 4, 30))
    decided = open_dispute(creditor, customer, invoices[2:], decision_due=dt.date(2025, 4, 3))
    dispute_withdraw(dispute=decided, as_of=dt.date(2025, 4, 4), user=None)

    assert disputes_overdue(creditor=creditor, as_of=dt.date(2025, 4, 5)) == []
    assert disputes_overdue(creditor=creditor, as_of=dt.date(2025, 4, 6)) == [late]
    assert len(customer_cases(customer=customer, as_of=dt.date(2025, 4, 6)).disputes) == 3
