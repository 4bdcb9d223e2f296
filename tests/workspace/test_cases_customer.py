"""The customer 360 page and the collector's actions on it, as of 31 March 2025.

Bakkerij De Korenbloem (D10001, Anja de Boer at the phone) owes, in cents:
    2025-001  due 31 Jan   1,210.00  (59 days overdue)
    2025-002  due 28 Feb     605.00  (31 days overdue)
    2025-003  due 30 Apr     242.00  (not yet due)
and paid two invoices last year: one on time, one 20 days late. Credit limit 2,000.00.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.cases.factories import pay
from tests.factories import ContactFactory, CustomerFactory, InvoiceFactory
from tests.workspace.conftest import make_user
from vorder.cases.models import CallLog, Dispute, PaymentArrangement, PromiseToPay, Task
from vorder.cases.selectors import dunning_holds
from vorder.common.models import AuditEntry
from vorder.common.roles import COLLECTOR, CREDIT_MANAGER, READ_ONLY
from vorder.comms.models import Message
from vorder.dunning.models import Policy
from vorder.dunning.services import policies_install_defaults
from vorder.ledger.models import CreditNote, Invoice

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 3, 31)
Q = f"?as_of={AS_OF}"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def bakker(creditor):
    customer = CustomerFactory(
        creditor=creditor,
        number="D10001",
        name="Bakkerij De Korenbloem",
        phone="+31 30 123 4567",
        email="admin@korenbloem.nl",
        credit_limit_minor=2000_00,
        address_line1="Dorpsstraat 1",
        postal_code="3511 AA",
        city="Utrecht",
    )
    ContactFactory(customer=customer, name="Anja de Boer", email="anja@korenbloem.nl")
    for number, due, gross in (
        ("2025-001", dt.date(2025, 1, 31), 1210_00),
        ("2025-002", dt.date(2025, 2, 28), 605_00),
        ("2025-003", dt.date(2025, 4, 30), 242_00),
    ):
        InvoiceFactory(
            customer=customer,
            number=number,
            issue_date=due - dt.timedelta(days=30),
            due_date=due,
            net_minor=gross,
            vat_minor=0,
        )
    for number, paid_on, late in (
        ("2024-050", dt.date(2024, 9, 1), 0),
        ("2024-060", dt.date(2024, 10, 21), 20),
    ):
        old = InvoiceFactory(
            customer=customer,
            number=number,
            issue_date=dt.date(2024, 8, 1),
            due_date=paid_on - dt.timedelta(days=late),
            net_minor=100_00,
            vat_minor=0,
        )
        pay(old, 100_00, paid_on)  # fmt: skip
    return customer


@pytest.fixture
def cor(db):
    return make_user("cor", COLLECTOR, first_name="Cor", last_name="Visser")


@pytest.fixture
def marieke(db):
    return make_user("marieke", CREDIT_MANAGER)


def url(name, *args):
    return reverse(f"workspace:{name}", args=args) + Q


def invoices(customer, *numbers):
    return [str(i.pk) for i in Invoice.objects.filter(customer=customer, number__in=numbers)]


def test_the_page_shows_exposure_behaviour_and_click_to_call(client, cor, bakker):
    client.force_login(cor)
    html = client.get(url("customer_detail", bakker.pk)).content.decode()
    text = text_of(html)
    assert 'href="tel:+31 30 123 4567"' in html
    assert 'href="mailto:anja@korenbloem.nl"' in html
    assert "Not yet due € 242.00" in text.replace("\u00a0", " ")
    # exposure 2,057.00 against a limit of 2,000.00: over the limit
    assert "Exposure € 2,057.00 (103% of the limit)" in text.replace("\u00a0", " ")
    assert "over the limit" in text
    # paid twice in 12 months, once on time; 20 days late once → 10.0 on average
    assert "Average days late 10.0" in text
    assert "Paid on time 50% (1 of 2 invoices)" in text


def test_logging_a_call_with_a_promise_holds_dunning_until_the_promised_day(client, cor, bakker):
    client.force_login(cor)
    response = client.post(
        url("customer_call", bakker.pk),
        {
            "outcome": "reached",
            "satisfied": "yes",
            "payment_intent": "transfer on Friday",
            "right_contact": "yes",
            "notes": "cash flow tight after the winter",
            "then": "promise",
            "invoices": invoices(bakker, "2025-001", "2025-002"),
            "promised_date": "2025-04-04",
        },
    )
    assert response.status_code == 302
    call = CallLog.objects.get(customer=bakker)
    assert call.payment_intent == "transfer on Friday"
    assert call.user == cor
    promise = PromiseToPay.objects.get(customer=bakker)
    assert call.promise == promise
    assert promise.amount_minor == 1815_00
    assert promise.promised_date == dt.date(2025, 4, 4)
    holds = dunning_holds(creditor=bakker.creditor, as_of=AS_OF, customer_ids=[bakker.pk])
    assert {h.kind for hs in holds.values() for h in hs} == {"promise"}
    page = text_of(client.get(url("customer_detail", bakker.pk)).content.decode())
    assert "Call: Reached" in page
    assert "Promise to pay on 2025-04-04" in page


def test_a_promise_or_dispute_needs_the_debtor_reached(client, cor, bakker):
    client.force_login(cor)
    response = client.post(
        url("customer_call", bakker.pk),
        {"outcome": "no_answer", "satisfied": "unknown", "right_contact": "unknown",
         "then": "promise", "invoices": invoices(bakker, "2025-001"), "promised_date": "2025-04-04"},
        follow=True,
    )  # fmt: skip
    assert "A promise or a dispute needs the debtor reached." in response.content.decode()
    assert not CallLog.objects.exists()
    assert not PromiseToPay.objects.exists()


def test_an_arrangement_within_the_limits_is_confirmed_in_writing(client, cor, bakker):
    client.force_login(cor)
    client.post(
        url("customer_arrangement", bakker.pk),
        {"invoices": invoices(bakker, "2025-001", "2025-002"), "instalments": 3,
         "first_due": "2025-04-15", "interest_costs": "frozen"},
    )  # fmt: skip
    arrangement = PaymentArrangement.objects.get(customer=bakker)
    assert arrangement.status == PaymentArrangement.Status.ACTIVE
    assert sorted(i.amount_minor for i in arrangement.instalments.all()) == [605_00] * 3
    letter = Message.objects.get(template_key="arrangement_confirmation")
    page = client.get(url("customer_detail", bakker.pk)).content.decode()
    copy = reverse("workspace:customer_message", args=[bakker.pk, letter.pk])
    assert copy in page
    shown = client.get(copy + Q).content.decode()
    assert "preview: not sent yet" in shown
    assert "605" in shown  # the instalments are in the letter


def test_beyond_the_policy_limits_the_credit_manager_approves(client, cor, marieke, bakker):
    policies_install_defaults(creditor=bakker.creditor)
    Policy.objects.filter(creditor=bakker.creditor).update(
        arrangement_max_months=2, arrangement_min_instalment_minor=500_00
    )
    client.force_login(cor)
    client.post(
        url("customer_arrangement", bakker.pk),
        {"invoices": invoices(bakker, "2025-001", "2025-002"), "instalments": 6,
         "first_due": "2025-04-15", "interest_costs": "frozen"},
    )  # fmt: skip
    arrangement = PaymentArrangement.objects.get(customer=bakker)
    assert arrangement.status == PaymentArrangement.Status.AWAITING_APPROVAL
    assert not Message.objects.exists()
    assert Task.objects.get(kind=Task.Kind.APPROVAL, status=Task.Status.OPEN)
    # a collector cannot approve it
    client.post(url("arrangement_approve", arrangement.pk))
    arrangement.refresh_from_db()
    assert arrangement.status == PaymentArrangement.Status.AWAITING_APPROVAL
    client.force_login(marieke)
    page = client.get(url("customer_detail", bakker.pk)).content.decode()
    assert "Approve arrangement" in page
    client.post(url("arrangement_approve", arrangement.pk))
    arrangement.refresh_from_db()
    assert arrangement.status == PaymentArrangement.Status.ACTIVE
    assert arrangement.approved_by == marieke
    assert Message.objects.filter(template_key="arrangement_confirmation").exists()


def test_a_dispute_is_opened_and_resolved_with_a_partial_credit_note(client, cor, bakker):
    client.force_login(cor)
    client.post(
        url("customer_dispute", bakker.pk),
        {"invoices": invoices(bakker, "2025-002"), "reason": "goods_or_service",
         "description": "two bags of flour were damp"},
    )  # fmt: skip
    dispute = Dispute.objects.get(customer=bakker)
    assert dispute.status == Dispute.Status.OPEN
    assert dispute.owner == cor
    client.post(
        url("dispute_resolve", dispute.pk), {"outcome": "credit_partial", "amount": "100,00"}
    )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.RESOLVED_CREDIT_NOTE
    assert CreditNote.objects.get(pk=dispute.credit_note_id).gross_minor == 100_00
    assert Invoice.objects.get(number="2025-002").open_minor == 505_00


def test_rejecting_a_dispute_needs_an_explanation(client, cor, bakker):
    client.force_login(cor)
    client.post(
        url("customer_dispute", bakker.pk),
        {"invoices": invoices(bakker, "2025-001"), "reason": "price"},
    )
    dispute = Dispute.objects.get()
    client.post(url("dispute_resolve", dispute.pk), {"outcome": "reject"})
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN
    client.post(
        url("dispute_resolve", dispute.pk), {"outcome": "reject", "note": "the agreed price list"}
    )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.REJECTED
    assert dispute.rejection_message_pending


def test_sending_the_statement_now_queues_it_with_the_invoice_copies(client, cor, bakker):
    Invoice.objects.filter(number="2025-001").update(document="invoices/2025-001.pdf")
    client.force_login(cor)
    client.post(
        url("customer_statement_send", bakker.pk),
        {"channel": "email", "invoices": invoices(bakker, "2025-001", "2025-002")},
    )
    message = Message.objects.get(template_key="statement")
    assert message.recipient == "anja@korenbloem.nl"
    assert message.attachments == ["invoices/2025-001.pdf"]
    assert [i["number"] for i in message.context["items"]] == ["2025-001", "2025-002"]


def test_changing_the_preferred_channel_and_contact_is_audited(client, cor, bakker):
    client.force_login(cor)
    anja = bakker.contacts.get()
    client.post(
        url("customer_contact", bakker.pk),
        {"preferred_channel": "letter", "email": "admin@korenbloem.nl", "phone": "+31 30 999",
         "contact": anja.pk, "contact_email": "anja.deboer@korenbloem.nl", "contact_phone": "",
         "contact_active": "on"},
    )  # fmt: skip
    bakker.refresh_from_db()
    anja.refresh_from_db()
    assert bakker.preferred_channel == "letter"
    assert bakker.phone == "+31 30 999"
    assert anja.email == "anja.deboer@korenbloem.nl"
    entry = AuditEntry.objects.get(model="ledger.customer", object_id=str(bakker.pk))
    assert entry.changes["preferred_channel"][1] == "letter"
    assert AuditEntry.objects.filter(model="ledger.contact").exists()


def test_a_reader_sees_no_actions_and_cannot_post_them(client, bakker):
    client.force_login(make_user("rob", READ_ONLY))
    page = client.get(url("customer_detail", bakker.pk)).content.decode()
    assert "Log a call" not in page
    response = client.post(url("customer_promise", bakker.pk), {"promised_date": "2025-04-04"})
    assert response.status_code == 403


def test_the_dashboard_shows_collections_for_the_credit_manager(client, marieke, cor, bakker):
    bakker.account_manager = cor
    bakker.save()
    client.force_login(marieke)
    text = text_of(client.get(reverse("workspace:dashboard") + Q).content.decode())
    assert "Overdue by collector" in text
    assert "Cor Visser 1 € 1,815.00" in text.replace("\u00a0", " ")
    assert "Arrangements awaiting approval 0" in text


def test_the_customer_page_takes_a_fixed_number_of_queries(
    client, cor, bakker, django_assert_max_num_queries
):
    client.force_login(cor)
    client.get(url("customer_detail", bakker.pk))
    for n in range(20):
        InvoiceFactory(customer=bakker, number=f"X-{n}", issue_date=dt.date(2025, 1, 2))
    with django_assert_max_num_queries(60):
        assert client.get(url("customer_detail", bakker.pk)).status_code == 200
