"""The daily dunning run, scenario by scenario, on a real database."""

from __future__ import annotations

import datetime as dt
import io
import json
from unittest import mock

import pytest
from django.core.management import call_command

from tests.dunning.conftest import business, consumer, invoice
from tests.factories import (
    ContactFactory,
    CreditorFactory,
    PaymentFactory,
)
from vorder.cases.services import dispute_open, promise_register, promises_evaluate
from vorder.common.services import staff_user_create
from vorder.comms.models import Message
from vorder.dunning.models import DunningDecision, DunningItemState
from vorder.dunning.services import (
    DunningError,
    dunning_decision_approve,
    dunning_decision_reject,
    dunning_run_execute,
    dunning_send_now,
    policies_install_defaults,
)
from vorder.ledger.services.allocations import payment_allocate

pytestmark = pytest.mark.django_db

D = dt.date


def messages_to(customer):
    return list(Message.objects.filter(customer=customer).order_by("id"))


def test_a_first_time_late_business_customer_gets_a_friendly_reminder_7_days_after_due(nl):
    customer = business(nl)
    invoice(customer, "F-1", D(2025, 3, 3))

    assert dunning_run_execute(creditor=nl, as_of=D(2025, 3, 7)).actions == []
    result = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))

    [action] = result.actions
    assert (action["level"], action["channel"], action["items"], action["tone"]) == (
        "reminder",
        "email",
        ["F-1"],
        "friendly",
    )
    [message] = messages_to(customer)
    assert message.template_key == "reminder_friendly"
    assert message.recipient == "crediteuren@korenbloem.nl"
    assert message.context["items"][0]["number"] == "F-1"


def test_one_message_per_customer_lists_all_its_overdue_items(nl):
    customer = business(nl)
    for n in range(3):
        invoice(customer, f"F-{n}", D(2025, 3, 3) - dt.timedelta(days=n))

    dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))

    [message] = messages_to(customer)
    assert [i["number"] for i in message.context["items"]] == ["F-2", "F-1", "F-0"]
    assert message.context["totals"]["overdue"] == "300.00"


def test_a_nl_consumer_gets_reminder_then_the_14_day_letter_and_costs_only_after_its_14_days(nl):
    customer = consumer(nl, preferred_channel="letter")
    invoice(customer, "F-1", D(2025, 1, 31), amount=2500_00)

    reminder = dunning_run_execute(creditor=nl, as_of=D(2025, 2, 7))  # Friday: 7 days after due
    assert reminder.actions[0]["level"] == "reminder"
    assert reminder.actions[0]["costs"] == "0.00"

    letter = dunning_run_execute(creditor=nl, as_of=D(2025, 2, 21))  # 14 days later
    assert letter.actions[0]["level"] == "fourteen"
    [_, fourteen] = messages_to(customer)
    assert fourteen.template_key == "nl_fourteen_day_letter"
    assert fourteen.channel == "letter"
    # the letter names the costs that will follow (art. 6:96 lid 6 BW): WIK on 2,500 = 375
    assert fourteen.context["announced_costs"] == "375.00"
    state = DunningItemState.objects.get(invoice__number="F-1")
    assert (state.legal_step_on, state.legal_step_channel) == (D(2025, 2, 21), "post")

    # posted Friday 21 Feb, presumed received Monday 24 Feb; the 14 days run 25 Feb .. 10 Mar
    for day in (D(2025, 3, 7), D(2025, 3, 10)):
        assert dunning_run_execute(creditor=nl, as_of=day).actions == [], day
    costs = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 11))
    assert costs.actions[0]["level"] == "final"
    assert costs.actions[0]["costs"] == "375.00"
    assert messages_to(customer)[-1].context["totals"]["costs"] == "375.00"


def test_a_disputed_invoice_is_left_out_of_the_letter_while_the_rest_is_dunned(nl):
    customer = business(nl)
    disputed = invoice(customer, "F-1", D(2025, 3, 1))
    invoice(customer, "F-2", D(2025, 3, 1))
    dispute_open(
        creditor=nl, customer=customer, invoices=[disputed], reason="price", as_of=D(2025, 3, 5)
    )

    result = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))

    assert result.actions[0]["items"] == ["F-2"]
    assert "F-1" in result.actions[0]["reason"]
    assert [i["number"] for i in messages_to(customer)[0].context["items"]] == ["F-2"]


def test_a_promise_suspends_dunning_until_its_date_and_dunning_resumes_when_it_is_broken(nl):
    customer = business(nl)
    item = invoice(customer, "F-1", D(2025, 3, 1))
    promise_register(creditor=nl, customer=customer, invoices=[item], promised_date=D(2025, 3, 14),
                     as_of=D(2025, 3, 7), grace_days=3)  # fmt: skip

    for day in (D(2025, 3, 10), D(2025, 3, 14), D(2025, 3, 17)):
        assert dunning_run_execute(creditor=nl, as_of=day).actions == [], day

    promises_evaluate(creditor=nl, as_of=D(2025, 3, 18))
    result = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 18))
    assert result.actions[0]["level"] == "reminder"


def test_a_kept_promise_leaves_nothing_to_dun(nl):
    customer = business(nl)
    item = invoice(customer, "F-1", D(2025, 3, 1))
    promise_register(
        creditor=nl,
        customer=customer,
        invoices=[item],
        promised_date=D(2025, 3, 14),
        as_of=D(2025, 3, 7),
    )
    payment_allocate(
        payment=PaymentFactory(customer=customer, amount_minor=100_00, date=D(2025, 3, 12)),
        invoice=item,
    )

    assert dunning_run_execute(creditor=nl, as_of=D(2025, 3, 20)).actions == []


def test_a_rerun_the_same_day_sends_nothing_new(nl):
    customer = business(nl)
    invoice(customer, "F-1", D(2025, 3, 1))

    first = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))
    second = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))

    assert len(first.actions) == 1
    assert second.actions == []
    assert len(messages_to(customer)) == 1
    assert DunningDecision.objects.count() == 1


def test_a_crash_between_decision_and_message_loses_and_duplicates_nothing(nl):
    customer = business(nl)
    invoice(customer, "F-1", D(2025, 3, 1))

    with mock.patch("vorder.dunning.services.messages_enqueue", side_effect=RuntimeError("power cut")), \
            pytest.raises(RuntimeError):  # fmt: skip
        dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))
    assert DunningDecision.objects.count() == 0
    assert not DunningItemState.objects.exists()

    dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))
    assert len(messages_to(customer)) == 1


def test_catch_up_after_downtime_sends_one_step_not_a_burst(nl):
    customer = business(nl)
    invoice(customer, "F-1", D(2025, 1, 6))  # 60 days overdue, never reminded (server was down)

    first = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 7))
    assert first.actions[0]["level"] == "reminder"
    for day in (D(2025, 3, 10), D(2025, 3, 11), D(2025, 3, 13)):
        assert dunning_run_execute(creditor=nl, as_of=day).actions == [], day
    assert dunning_run_execute(creditor=nl, as_of=D(2025, 3, 14)).actions[0]["level"] == "call"


def test_customers_on_hold_and_small_amounts_and_covered_balances_are_skipped(nl):
    on_hold = business(nl, on_hold=True, on_hold_reason="curator appointed")
    invoice(on_hold, "H-1", D(2025, 3, 1))
    covered = business(nl)
    invoice(covered, "C-1", D(2025, 3, 1))
    PaymentFactory(customer=covered, amount_minor=200_00)

    result = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))

    assert result.actions == []
    reasons = {s["customer"]: s["reason"] for s in result.skipped}
    assert "curator appointed" in reasons[on_hold.number]
    assert "covers" in reasons[covered.number]


def test_the_contact_is_addressed_in_their_own_channel(nl):
    customer = business(nl)
    ContactFactory(customer=customer, name="Petra Pieters", role="accounts_payable",
                   email="petra@korenbloem.nl", preferred_channel="email")  # fmt: skip
    invoice(customer, "F-1", D(2025, 3, 1))

    dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))

    assert messages_to(customer)[0].recipient == "petra@korenbloem.nl"


def test_a_dry_run_shows_what_would_happen_and_changes_nothing(nl):
    customer = business(nl)
    invoice(customer, "F-1", D(2025, 3, 1), amount=1234_56)
    out = io.StringIO()

    call_command("dunning", "run", "--as-of", "2025-03-10", "--dry-run", "--json", stdout=out)

    payload = json.loads(out.getvalue())
    assert payload["as_of"] == "2025-03-10"
    [action] = payload["actions"]
    assert {
        k: action[k]
        for k in ("customer", "level", "channel", "items", "overdue_amount", "interest", "costs")
    } == {
        "customer": customer.number,
        "level": "reminder",
        "channel": "email",
        "items": ["F-1"],
        "overdue_amount": "1234.56",
        "interest": "0.00",
        "costs": "0.00",
    }
    assert isinstance(action["reason"], str)
    assert payload["totals"]["by_level_and_channel"] == {"reminder/email": 1}
    assert not DunningDecision.objects.exists()
    assert not Message.objects.exists()


def test_a_step_that_needs_approval_waits_in_the_queue_until_a_credit_manager_approves(nl):
    customer = business(nl)
    item = invoice(customer, "F-1", D(2025, 1, 2), amount=2500_00)
    DunningItemState.objects.create(invoice=item, creditor=nl, level=4, last_step_on=D(2025, 2, 24))
    manager = staff_user_create(username="marieke", role="credit_manager", password="pw-123456")
    collector = staff_user_create(username="karim", role="collector", password="pw-123456")

    result = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))
    assert result.actions[0]["status"] == "pending_approval"
    assert messages_to(customer) == []
    assert dunning_run_execute(creditor=nl, as_of=D(2025, 3, 11)).actions == []  # still waiting

    decision = DunningDecision.objects.get(status="pending_approval")
    with pytest.raises(DunningError, match="credit manager"):
        dunning_decision_approve(decision=decision, user=collector, as_of=D(2025, 3, 11))
    dunning_decision_approve(decision=decision, user=manager, as_of=D(2025, 3, 11))

    [message] = messages_to(customer)
    assert message.template_key.startswith("final_notice")
    assert message.registered
    assert DunningItemState.objects.get(invoice=item).level == 5


def test_a_rejected_step_is_not_sent(nl):
    customer = business(nl)
    item = invoice(customer, "F-1", D(2025, 1, 2))
    DunningItemState.objects.create(invoice=item, creditor=nl, level=4, last_step_on=D(2025, 2, 24))
    manager = staff_user_create(username="marieke", role="credit_manager", password="pw-123456")
    dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))

    decision = dunning_decision_reject(
        decision=DunningDecision.objects.get(), user=manager, note="key account"
    )

    assert decision.status == "rejected"
    assert messages_to(customer) == []


def test_send_a_reminder_now_follows_the_same_rules_and_records(nl):
    customer = business(nl)
    invoice(customer, "F-1", D(2025, 3, 7))  # only 3 days overdue: the run would wait

    assert dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10)).actions == []
    result = dunning_send_now(customer=customer, as_of=D(2025, 3, 10), started_by="karim")

    assert result.actions[0]["level"] == "reminder"
    assert DunningDecision.objects.get().manual
    assert len(messages_to(customer)) == 1


def test_after_the_last_level_a_handover_is_proposed_as_a_task_once(nl):
    from vorder.cases.models import Task

    customer = business(nl)
    item = invoice(customer, "F-1", D(2024, 12, 2))
    DunningItemState.objects.create(invoice=item, creditor=nl, level=5, last_step_on=D(2025, 2, 24))

    result = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))
    assert result.actions[0]["level"] == "handover"
    dunning_run_execute(creditor=nl, as_of=D(2025, 3, 17))

    assert Task.objects.filter(customer=customer, kind="handover_proposal").count() == 1


def test_why_did_this_customer_get_this_letter(nl):
    customer = business(nl)
    invoice(customer, "F-1", D(2025, 3, 1))
    dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))
    out = io.StringIO()

    call_command("dunning", "why", customer.number, "--language", "nl", stdout=out)

    assert "Herinnering" in out.getvalue()
    assert "Voor het eerst te laat" in out.getvalue()


def test_shipped_policies_are_sound_for_both_countries(nl):
    be = CreditorFactory(code="beco", country="BE")
    policies_install_defaults(creditor=be)
    out = io.StringIO()
    for code in ("nlco", "beco"):
        call_command("dunning", "policies", "check", "--creditor", code, stdout=out)
    assert out.getvalue().count("every policy is sound") == 2


def test_interest_and_costs_claimed_by_a_letter_stay_due_after_the_principal_is_paid(nl):
    from vorder.ledger.models import Charge
    from vorder.ledger.selectors import customer_statement

    customer = business(nl)
    item = invoice(customer, "F-1", D(2025, 1, 2), amount=2500_00)
    DunningItemState.objects.create(invoice=item, creditor=nl, level=3, last_step_on=D(2025, 2, 24))

    result = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10))  # the notice of default
    assert result.actions[0]["level"] == "notice"
    costs = Charge.objects.get(kind="costs")
    interest = Charge.objects.get(kind="interest")
    assert costs.gross_minor == 375_00
    assert interest.gross_minor > 0

    payment_allocate(
        payment=PaymentFactory(customer=customer, amount_minor=2500_00, date=D(2025, 3, 20)),
        invoice=item,
    )
    statement = customer_statement(customer=customer, as_of=D(2025, 3, 31))
    assert statement.closing_minor == costs.gross_minor + interest.gross_minor


def test_a_rejected_dispute_is_explained_once_and_dunning_resumes(nl):
    from vorder.cases.services import dispute_reject

    customer = business(nl)
    item = invoice(customer, "F-1", D(2025, 3, 1))
    dispute = dispute_open(
        creditor=nl, customer=customer, invoices=[item], reason="price", as_of=D(2025, 3, 5)
    )
    assert dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10)).actions == []

    dispute_reject(
        dispute=dispute,
        as_of=D(2025, 3, 11),
        user=None,
        note="The price is the one agreed in the quote of 3 February.",
    )
    result = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 12))

    assert sorted(a["level"] for a in result.actions) == ["dispute_rejected", "reminder"]
    explanation = Message.objects.get(customer=customer, template_key="dispute_rejected")
    assert explanation.context["dispute"]["reason"].startswith("The price is the one agreed")
    dunning_run_execute(creditor=nl, as_of=D(2025, 3, 19))
    assert Message.objects.filter(customer=customer, template_key="dispute_rejected").count() == 1


def test_a_belgian_consumer_first_gets_the_free_reminder_naming_what_follows(db):
    from vorder.comms.services import templates_install

    be = CreditorFactory(code="beco", name="Brussels Trading SRL", country="BE", address_line1="Rue Haute 1",
                         postal_code="1000", city="Bruxelles", reference_style="ogm")  # fmt: skip
    templates_install()
    policies_install_defaults(creditor=be)
    customer = consumer(be, language="fr", country="BE", postal_code="1050", city="Ixelles")
    invoice(customer, "F-1", D(2025, 3, 3), amount=200_00)

    result = dunning_run_execute(creditor=be, as_of=D(2025, 3, 10))

    assert (result.actions[0]["level"], result.actions[0]["costs"]) == ("free", "0.00")
    [message] = messages_to(customer)
    assert message.template_key == "be_free_reminder"
    assert message.language == "fr"
    # the Book XIX cap on a balance of 200: 30 + 10% of the part above 150 = 35.00
    assert message.context["announced_costs"] == "35.00"
