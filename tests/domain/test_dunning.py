"""The dunning decision in the trade's own scenarios (pure domain: no database, no clock)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from vorder.domain.dunning import (
    Account,
    Action,
    AfterLast,
    Channel,
    History,
    Item,
    LegalStep,
    Level,
    Policy,
    Reason,
    Tone,
    Trigger,
    decide,
    decide_all,
    interest_kind,
    payment_tone,
    policy_problems,
    resolve_channel,
)

D = Decimal
MONDAY = date(2025, 3, 10)  # a plain working day in NL and BE

NL_B2B = Policy(
    code="nl-b2b",
    name="NL business",
    levels=(
        Level("reminder", "Reminder", Trigger.AFTER_DUE, 7, Channel.EMAIL, "reminder"),
        Level("second", "Second reminder", Trigger.AFTER_PREVIOUS, 14, Channel.EMAIL, "reminder",
              add_interest=True),
        Level("notice", "Notice of default", Trigger.AFTER_PREVIOUS, 14, Channel.LETTER,
              "notice_of_default", add_interest=True, add_costs=True,
              legal_step=LegalStep.NOTICE_OF_DEFAULT),
    ),
    min_overdue=D("10.00"),
)  # fmt: skip

NL_B2C = Policy(
    code="nl-b2c",
    name="NL consumer",
    levels=(
        Level("reminder", "Reminder", Trigger.AFTER_DUE, 7, Channel.EMAIL, "reminder"),
        Level("fourteen", "14-day letter", Trigger.AFTER_PREVIOUS, 10, Channel.LETTER,
              "nl_fourteen_day_letter", legal_step=LegalStep.NL_FOURTEEN_DAY_LETTER),
        Level("costs", "Demand with costs", Trigger.AFTER_PREVIOUS, 15, Channel.LETTER,
              "final_notice", add_interest=True, add_costs=True),
    ),
)  # fmt: skip

BE_B2C = Policy(
    code="be-b2c",
    name="BE consumer",
    levels=(
        Level("free", "Free first reminder", Trigger.AFTER_DUE, 7, Channel.EMAIL,
              "be_free_reminder", legal_step=LegalStep.BE_FREE_REMINDER),
        Level("costs", "Reminder with damages", Trigger.AFTER_PREVIOUS, 15, Channel.LETTER,
              "final_notice", add_interest=True, add_costs=True),
    ),
)  # fmt: skip


def item(n: int, due: date, amount: str = "1000.00", **kw) -> Item:
    return Item(invoice_id=n, number=f"F{n}", due_date=due, open=D(amount), **kw)


def account(*items: Item, consumer=False, jurisdiction="NL", **kw) -> Account:
    return Account(
        customer_id=1, number="D1", consumer=consumer, jurisdiction=jurisdiction,
        currency="EUR", items=items, **kw,
    )  # fmt: skip


def test_a_first_time_late_business_customer_gets_a_friendly_reminder_7_days_after_due():
    decision = decide(account(item(1, MONDAY - timedelta(days=7))), NL_B2B, MONDAY)

    assert decision.action is Action.SEND
    assert decision.level.key == "reminder"
    assert decision.tone is Tone.FRIENDLY
    assert [(s.number, s.from_level, s.to_level) for s in decision.steps] == [("F1", 0, 1)]
    assert "First time late" in decision.reason_text("en")
    assert "Voor het eerst te laat" in decision.reason_text("nl")


def test_six_days_after_due_nothing_is_sent_yet():
    decision = decide(account(item(1, MONDAY - timedelta(days=6))), NL_B2B, MONDAY)
    assert decision.action is Action.SKIP
    assert decision.reasons[-1].code == "no_step_due"


def test_a_habitual_late_payer_gets_the_firm_tone():
    history = History(paid_on_time=2, paid_late=5, average_days_late=D("21"))
    decision = decide(account(item(1, MONDAY - timedelta(days=8)), history=history), NL_B2B, MONDAY)
    assert decision.tone is Tone.FIRM


@pytest.mark.parametrize(
    ("history", "tone"),
    [
        (History(), Tone.FRIENDLY),
        (History(paid_on_time=10, paid_late=0), Tone.FRIENDLY),
        (History(paid_on_time=10, paid_late=1, average_days_late=D("4")), Tone.NEUTRAL),
        (History(paid_on_time=3, paid_late=3, average_days_late=D("9")), Tone.FIRM),
        (History(paid_on_time=10, paid_late=3, average_days_late=D("9")), Tone.NEUTRAL),
        (History(paid_on_time=10, paid_late=1, average_days_late=D("45")), Tone.FIRM),
    ],
)
def test_the_history_sets_the_tone(history, tone):
    assert payment_tone(history)[0] is tone


def test_a_disputed_invoice_is_left_out_while_the_rest_is_dunned():
    dispute = Reason("dispute", "F2 is disputed.", "F2 is betwist.")
    decision = decide(
        account(
            item(1, MONDAY - timedelta(days=10)), item(2, MONDAY - timedelta(days=10), hold=dispute)
        ),
        NL_B2B,
        MONDAY,
    )
    assert decision.action is Action.SEND
    assert [s.number for s in decision.steps] == ["F1"]
    assert decision.held == (2,)
    assert decision.overdue == D("1000.00")
    assert "F2 is disputed." in decision.reason_text()


def test_when_every_item_is_held_nothing_is_sent():
    promise = Reason("promise", "Promise to pay until 20-03.", "Betaalbelofte tot 20-03.")
    decision = decide(account(item(1, MONDAY - timedelta(days=30), hold=promise)), NL_B2B, MONDAY)
    assert decision.action is Action.SKIP
    assert decision.reasons[-1].code == "all_held"


def test_a_customer_on_hold_is_not_dunned():
    decision = decide(
        account(item(1, MONDAY - timedelta(days=30)), on_hold=True, hold_reason="bankruptcy filed"),
        NL_B2B,
        MONDAY,
    )
    assert decision.action is Action.SKIP
    assert decision.reasons[0].code == "on_hold"
    assert "bankruptcy filed" in decision.reason_text()


def test_amounts_under_the_threshold_are_left_alone():
    decision = decide(account(item(1, MONDAY - timedelta(days=30), amount="9.99")), NL_B2B, MONDAY)
    assert decision.reasons[0].code == "under_threshold"


def test_a_customer_whose_credit_covers_the_overdue_amount_is_not_dunned():
    decision = decide(
        account(item(1, MONDAY - timedelta(days=30), amount="100.00"), credit_balance=D("150.00")),
        NL_B2B,
        MONDAY,
    )
    assert decision.reasons[0].code == "credit_covers"


def test_nothing_is_sent_on_a_weekend_or_public_holiday():
    saturday = date(2025, 3, 15)
    kings_day = date(2025, 12, 25)  # Christmas Day, a Thursday
    assert (
        decide(account(item(1, saturday - timedelta(days=10))), NL_B2B, saturday).reasons[0].code
        == "not_a_working_day"
    )
    assert (
        decide(account(item(1, kings_day - timedelta(days=10))), NL_B2B, kings_day).reasons[0].code
        == "not_a_working_day"
    )


def test_after_days_of_downtime_the_next_run_sends_one_level_not_a_burst():
    # 40 days overdue, never reminded: levels 1, 2 and 3 would all have been "due" by now
    decision = decide(account(item(1, MONDAY - timedelta(days=40))), NL_B2B, MONDAY)
    assert decision.level.key == "reminder"
    assert decision.steps[0].to_level == 1


def test_the_next_level_waits_its_days_after_the_previous_one():
    sent = MONDAY - timedelta(days=13)
    it = item(1, MONDAY - timedelta(days=40), level=1, last_step_on=sent)
    assert decide(account(it, last_message_on=sent), NL_B2B, MONDAY).action is Action.SKIP
    tuesday = MONDAY + timedelta(days=1)
    decision = decide(account(it, last_message_on=sent), NL_B2B, tuesday)
    assert decision.level.key == "second"
    assert decision.interest > 0


def test_one_message_per_customer_at_the_highest_level_lists_every_overdue_item():
    old = item(1, MONDAY - timedelta(days=60), level=1, last_step_on=MONDAY - timedelta(days=20))
    new = item(2, MONDAY - timedelta(days=8))
    not_yet = item(3, MONDAY - timedelta(days=2))
    decision = decide(
        account(old, new, not_yet, last_message_on=MONDAY - timedelta(days=20)), NL_B2B, MONDAY
    )

    assert decision.level.key == "second"
    assert [(s.number, s.from_level, s.to_level) for s in decision.steps] == [
        ("F1", 1, 2),
        ("F2", 0, 1),
        ("F3", 0, 0),  # listed, not climbing
    ]
    assert decision.overdue == D("3000.00")


def test_a_second_run_the_same_day_sends_nothing_new():
    first = decide(account(item(1, MONDAY - timedelta(days=7))), NL_B2B, MONDAY)
    assert first.action is Action.SEND
    after = item(1, MONDAY - timedelta(days=7), level=1, last_step_on=MONDAY)
    assert decide(account(after, last_message_on=MONDAY), NL_B2B, MONDAY).action is Action.SKIP


def test_nl_consumer_costs_only_after_the_fourteen_days_of_the_letter():
    """Reminder, then the 14-day letter; costs appear on the step after those 14 days."""
    due = date(2025, 1, 31)
    # the 14-day letter went by email on Monday 10 March: received that day, term 11..24 March
    letter_day = MONDAY
    it = item(
        1,
        due,
        amount="2500.00",
        level=2,
        last_step_on=letter_day,
        legal_step_on=letter_day,
        legal_step_channel="email",
    )
    b2c = {"consumer": True, "last_message_on": letter_day}

    on_day_15 = letter_day + timedelta(days=15)  # Tuesday 25 March: term has ended
    on_day_14 = letter_day + timedelta(days=14)  # Monday 24 March: last day of the term

    assert decide(account(it, **b2c), NL_B2C, on_day_14).action is Action.SKIP
    decision = decide(account(it, **b2c), NL_B2C, on_day_15)
    assert decision.level.key == "costs"
    # WIK on 2,500: 15% of 2,500 = 375.00
    assert decision.costs == D("375.00")
    assert decision.steps[0].costs_allowed


def test_nl_consumer_costs_level_waits_for_the_term_rather_than_go_without_costs():
    policy = replace(
        NL_B2C, levels=(NL_B2C.levels[0], NL_B2C.levels[1], replace(NL_B2C.levels[2], days=5))
    )
    letter_day = MONDAY - timedelta(days=7)
    it = item(
        1,
        date(2025, 1, 31),
        level=2,
        last_step_on=letter_day,
        legal_step_on=letter_day,
        legal_step_channel="email",
    )
    decision = decide(account(it, consumer=True, last_message_on=letter_day), policy, MONDAY)
    assert decision.action is Action.SKIP
    assert any(r.code == "waiting_for_costs" for r in decision.reasons)


def test_without_a_fourteen_day_letter_a_consumer_gets_no_costs_and_is_told_why():
    policy = Policy(
        code="bad", name="bad",
        levels=(Level("x", "Costs at once", Trigger.AFTER_DUE, 7, Channel.LETTER, "final_notice", add_costs=True),),
    )  # fmt: skip
    decision = decide(account(item(1, MONDAY - timedelta(days=10)), consumer=True), policy, MONDAY)
    assert decision.action is Action.SEND
    assert decision.costs == 0
    assert any(r.code == "costs_not_allowed" for r in decision.reasons)


def test_nl_business_costs_are_due_without_a_fourteen_day_letter():
    it = item(
        1,
        MONDAY - timedelta(days=60),
        amount="2500.00",
        level=2,
        last_step_on=MONDAY - timedelta(days=14),
    )
    decision = decide(account(it, last_message_on=MONDAY - timedelta(days=14)), NL_B2B, MONDAY)
    assert decision.level.key == "notice"
    assert decision.costs == D("375.00")


def test_costs_already_claimed_are_not_claimed_again():
    it = item(1, MONDAY - timedelta(days=60), amount="2500.00", level=2,
              last_step_on=MONDAY - timedelta(days=14), costs_claimed=D("375.00"))  # fmt: skip
    decision = decide(account(it, last_message_on=MONDAY - timedelta(days=14)), NL_B2B, MONDAY)
    assert decision.costs == D("375.00")  # still owed, and shown in the letter
    assert decision.costs_new == 0  # but not booked a second time


def test_interest_already_claimed_is_booked_only_for_the_days_since():
    it = item(1, MONDAY - timedelta(days=60), amount="2500.00", level=2,
              last_step_on=MONDAY - timedelta(days=14), interest_claimed=D("20.00"))  # fmt: skip
    decision = decide(account(it, last_message_on=MONDAY - timedelta(days=14)), NL_B2B, MONDAY)
    assert decision.interest > D("20.00")
    assert decision.interest_new == decision.interest - D("20.00")


def test_costs_are_shared_over_the_items_to_the_cent():
    its = [item(n, MONDAY - timedelta(days=60), amount=a, level=2, last_step_on=MONDAY - timedelta(days=14))
           for n, a in ((1, "1000.00"), (2, "1000.00"), (3, "1000.01"))]  # fmt: skip
    decision = decide(account(*its, last_message_on=MONDAY - timedelta(days=14)), NL_B2B, MONDAY)
    assert sum(s.costs_new for s in decision.steps) == decision.costs


def test_be_consumer_interest_and_damages_wait_for_the_free_reminder_period():
    due = date(2025, 1, 31)
    sent = MONDAY - timedelta(days=15)  # electronic: waiting period from the day after sending
    it = item(
        1,
        due,
        amount="200.00",
        level=1,
        last_step_on=sent,
        legal_step_on=sent,
        legal_step_channel="email",
    )
    decision = decide(
        account(it, consumer=True, jurisdiction="BE", last_message_on=sent), BE_B2C, MONDAY
    )
    assert decision.level.key == "costs"
    assert decision.costs > 0
    assert decision.interest > 0

    too_early = MONDAY - timedelta(days=2)
    early = decide(
        account(it, consumer=True, jurisdiction="BE", last_message_on=sent),
        replace(BE_B2C, levels=(BE_B2C.levels[0], replace(BE_B2C.levels[1], days=5))),
        too_early,
    )
    assert early.action is Action.SKIP


def test_after_the_last_level_a_handover_is_proposed_once():
    it = item(1, MONDAY - timedelta(days=90), level=3, last_step_on=MONDAY - timedelta(days=14))
    decision = decide(account(it), NL_B2B, MONDAY)
    assert decision.action is Action.HANDOVER
    assert decision.reasons[-1].code == AfterLast.HANDOVER_PROPOSAL.value
    proposed = replace(it, handover_proposed=True)
    assert decide(account(proposed), NL_B2B, MONDAY).action is Action.SKIP


def test_a_phone_level_becomes_a_call_task():
    policy = Policy(
        code="p",
        name="p",
        levels=(Level("call", "Call", Trigger.AFTER_DUE, 3, Channel.PHONE_TASK, "call"),),
    )
    assert (
        decide(account(item(1, MONDAY - timedelta(days=3))), policy, MONDAY).action is Action.CALL
    )


def test_a_pre_due_notice_goes_before_the_due_date():
    policy = Policy(
        code="p", name="p",
        levels=(
            Level("pre", "Friendly notice", Trigger.AFTER_DUE, -5, Channel.EMAIL, "pre_due"),
            Level("reminder", "Reminder", Trigger.AFTER_DUE, 7, Channel.EMAIL, "reminder"),
        ),
    )  # fmt: skip
    decision = decide(account(item(1, MONDAY + timedelta(days=5))), policy, MONDAY)
    assert decision.level.key == "pre"
    assert decision.steps[0].days_overdue == -5
    assert (
        decide(account(item(1, MONDAY + timedelta(days=6))), policy, MONDAY).action is Action.SKIP
    )


def test_interest_kind_follows_the_jurisdiction_and_the_customer():
    assert interest_kind(jurisdiction="NL", consumer=False).value == "nl-commercial"
    assert interest_kind(jurisdiction="NL", consumer=True).value == "nl-consumer"
    assert interest_kind(jurisdiction="BE", consumer=False).value == "be-commercial"
    assert interest_kind(jurisdiction="BE", consumer=True).value == "be-legal"


@pytest.mark.parametrize(
    ("level_channel", "contact", "customer", "reach", "expected"),
    [
        (Channel.EMAIL, "letter", "email", (True, True, True), Channel.LETTER),  # contact first
        (Channel.EMAIL, "", "sms", (True, True, True), Channel.SMS),
        (Channel.LETTER, "", "", (True, True, True), Channel.LETTER),
        (Channel.PHONE_TASK, "email", "email", (True, True, True), Channel.PHONE_TASK),
        (Channel.REGISTERED_LETTER, "email", "", (True, True, True), Channel.REGISTERED_LETTER),
        (Channel.EMAIL, "", "email", (False, True, True), Channel.LETTER),  # no email address
        (Channel.EMAIL, "", "sms", (True, True, False), Channel.EMAIL),  # no phone
        (Channel.LETTER, "", "", (True, False, True), Channel.EMAIL),  # no postal address
        (Channel.EMAIL, "", "phone", (True, True, True), Channel.EMAIL),
    ],
)
def test_the_channel_is_the_contacts_else_the_customers_else_the_levels(
    level_channel, contact, customer, reach, expected
):
    level = Level("x", "x", Trigger.AFTER_DUE, 7, level_channel, "reminder")
    has_email, has_address, has_phone = reach
    got = resolve_channel(level, contact_preference=contact, customer_preference=customer,
                          has_email=has_email, has_address=has_address, has_phone=has_phone)  # fmt: skip
    assert got is expected


def test_a_legal_step_never_goes_by_sms():
    level = Level(
        "x",
        "x",
        Trigger.AFTER_DUE,
        7,
        Channel.LETTER,
        "nl_fourteen_day_letter",
        legal_step=LegalStep.NL_FOURTEEN_DAY_LETTER,
    )
    assert (
        resolve_channel(
            level, customer_preference="sms", has_email=True, has_address=True, has_phone=True
        )
        is Channel.EMAIL
    )


def test_policy_problems_name_what_is_wrong():
    assert policy_problems(NL_B2C, jurisdiction="NL", consumer=True) == []
    assert policy_problems(BE_B2C, jurisdiction="BE", consumer=True) == []
    assert policy_problems(Policy("e", "e", ()), jurisdiction="NL", consumer=False) == [
        "a policy needs at least one level"
    ]
    bad = Policy(
        "b", "b",
        (
            Level("a", "A", Trigger.AFTER_PREVIOUS, 0, Channel.SMS, "r", add_costs=True),
            Level("a", "B", Trigger.AFTER_DUE, 5, Channel.EMAIL, "r"),
            Level("c", "C", Trigger.AFTER_DUE, 5, Channel.EMAIL, "r", legal_step=LegalStep.BE_FREE_REMINDER, add_interest=True),
        ),
    )  # fmt: skip
    problems = policy_problems(bad, jurisdiction="BE", consumer=True)
    assert "level keys must be unique" in problems
    assert "the first level must count from the due date" in problems
    assert any("at least one day" in p for p in problems)
    assert any("later than the level before" in p for p in problems)
    assert any("SMS" in p for p in problems)
    assert any("free of charge" in p for p in problems)
    assert any("must come before the first level with costs" in p for p in problems)


def test_decide_all_decides_each_account():
    decisions = decide_all([(account(item(1, MONDAY - timedelta(days=7))), NL_B2B)], MONDAY)
    assert [d.action for d in decisions] == [Action.SEND]
