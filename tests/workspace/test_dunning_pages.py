"""The dunning screens as a credit manager, a collector and a read-only user meet them.

A Dutch wholesaler with the shipped texts and policies; Bakkerij De Korenbloem (business) owes
F-1 (due 3 March 2025) and Jansen (consumer) owes F-9; the run date is Monday 10 March 2025.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.dunning.conftest import business, consumer, invoice
from tests.factories import CreditorFactory
from vorder.common.models import AuditEntry
from vorder.comms.models import Message, MessageTemplate
from vorder.dunning.models import DunningDecision, DunningItemState, DunningRun, Policy
from vorder.dunning.services import dunning_run_execute

pytestmark = pytest.mark.django_db

RUN_DAY = dt.date(2025, 3, 10)
AS_OF = {"as_of": "2025-03-10"}


@pytest.fixture
def bakker(nl):
    customer = business(nl)
    invoice(customer, "F-1", dt.date(2025, 3, 3), amount=1210_00)
    return customer


@pytest.fixture
def waiting(nl, bakker):
    """A final notice (level 5 of nl-b2b) waiting for a credit manager's approval."""
    item = bakker.invoices.get(number="F-1")
    DunningItemState.objects.create(
        invoice=item,
        creditor=nl,
        level=4,
        last_step_on=RUN_DAY.replace(day=1) - dt.timedelta(days=5),
    )
    dunning_run_execute(creditor=nl, as_of=RUN_DAY)
    return DunningDecision.objects.get(status="pending_approval")


def text_of(response) -> str:
    html = response.content.decode()
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))


def get(client, name, *args, **params):
    response = client.get(reverse(f"workspace:{name}", args=args), {**AS_OF, **params})
    assert response.status_code == 200, response.content[:800]
    return response


def policy_post(policy: Policy, **changes) -> dict[str, str]:
    """The editor's form as the browser sends it for this policy, with some fields changed."""
    data = {
        "name": policy.name, "description": policy.description, "min_overdue": "0.00",
        "min_days_between_messages": str(policy.min_days_between_messages),
        "after_last": policy.after_last, "after_last_days": str(policy.after_last_days),
        "is_active": "on",
    }  # fmt: skip
    levels = list(policy.levels.order_by("order"))
    data["levels-TOTAL_FORMS"] = str(len(levels))
    data["levels-INITIAL_FORMS"] = str(len(levels))
    for i, lvl in enumerate(levels):
        row = {
            "position": str(lvl.order), "name": lvl.name, "key": lvl.key, "trigger": lvl.trigger,
            "days": str(lvl.days), "channel": lvl.channel, "template_key": lvl.template_key,
            "min_overdue": "0", "legal_step": lvl.legal_step,
        }  # fmt: skip
        for flag in ("add_interest", "add_costs", "needs_approval"):
            if getattr(lvl, flag):
                row[flag] = "on"
        data.update({f"levels-{i}-{k}": v for k, v in row.items()})
    rules = list(policy.rules.order_by("priority"))
    data["rules-TOTAL_FORMS"] = str(len(rules))
    data["rules-INITIAL_FORMS"] = str(len(rules))
    for i, rule in enumerate(rules):
        data[f"rules-{i}-priority"] = str(rule.priority)
        data[f"rules-{i}-kind"] = rule.kind
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# -- every page, every role ---------------------------------------------------------------------


PAGES = [
    ("dunning_policies", ()),
    ("dunning_templates", ()),
    ("dunning_run", ()),
    ("dunning_approvals", ()),
    ("dunning_outbox", ()),
]


@pytest.mark.parametrize("role", ["manager", "collector", "reader"])
@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_dunning_page_opens_for_every_role(client, request, nl, bakker, role, name, args):
    client.force_login(request.getfixturevalue(role))
    assert "vorder" in text_of(get(client, name, *args))


def test_a_stranger_is_sent_to_the_login_page(client, nl):
    response = client.get(reverse("workspace:dunning_policies"))
    assert response.status_code == 302


def test_the_navigation_leads_to_the_dunning_screens(client, manager, nl):
    client.force_login(manager)
    page = text_of(get(client, "dashboard"))
    for label in ("Approvals", "Dunning run", "Outbox", "Credit policy", "Message texts"):
        assert label in page


@pytest.mark.parametrize(
    ("name", "needs"),
    [
        ("dunning_policies_install", ()),
        ("dunning_run_start", ()),
        ("dunning_approve", ("decision",)),
        ("dunning_reject", ("decision",)),
        ("customer_send_now", ("customer",)),
    ],
)
def test_a_read_only_user_cannot_change_anything(client, reader, waiting, bakker, name, needs):
    client.force_login(reader)
    args = [{"decision": waiting.pk, "customer": bakker.pk}[n] for n in needs]
    response = client.post(
        reverse(f"workspace:{name}", args=args), {"note": "x", "run_date": "2025-03-10"}
    )
    assert response.status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == "pending_approval"
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "name", ["dunning_policies_install", "dunning_run_start", "dunning_approve"]
)
def test_a_collector_may_not_approve_start_runs_or_install_policies(
    client, collector, waiting, name
):
    client.force_login(collector)
    args = [waiting.pk] if name == "dunning_approve" else []
    response = client.post(reverse(f"workspace:{name}", args=args), {"run_date": "2025-03-10"})
    assert response.status_code == 403
    assert not DunningRun.objects.filter(started_by="cor").exists()


def test_a_read_only_user_cannot_save_a_policy_or_a_text(client, reader, nl):
    client.force_login(reader)
    policy = Policy.objects.get(creditor=nl, code="nl-b2b")
    edit = reverse("workspace:dunning_policy_edit", args=[policy.pk])
    assert client.post(edit, policy_post(policy, name="Hacked")).status_code == 403
    template = reverse("workspace:dunning_template", args=["reminder", "email", "nl"])
    assert client.post(template, {"subject": "x", "body": "y"}).status_code == 403
    policy.refresh_from_db()
    assert policy.name != "Hacked"
    assert not MessageTemplate.objects.filter(creditor=nl).exists()


# -- policies -----------------------------------------------------------------------------------


def test_the_policy_list_shows_each_policy_with_its_steps_and_rules(client, manager, nl):
    client.force_login(manager)
    page = text_of(get(client, "dunning_policies"))
    assert "Install the shipped policies for NL" in page
    b2b = Policy.objects.get(creditor=nl, code="nl-b2b")
    assert b2b.name in page
    for level in b2b.levels.all():
        assert level.name in page
    assert "Business" in page or "B2B" in page


def test_installing_the_shipped_policies_on_a_new_creditor(client, manager):
    creditor = CreditorFactory(code="be", name="Groothandel Zuid", country="BE")
    client.force_login(manager)
    response = client.post(reverse("workspace:dunning_policies_install"))
    assert response.status_code == 302
    assert set(Policy.objects.filter(creditor=creditor).values_list("code", flat=True)) == {
        "be-b2b",
        "be-b2c",
    }


def test_a_credit_manager_renames_a_step_adds_a_rule_and_the_change_is_audited(client, manager, nl):
    policy = Policy.objects.get(creditor=nl, code="nl-b2b")
    client.force_login(manager)
    edit = reverse("workspace:dunning_policy_edit", args=[policy.pk])
    assert "Steps" in text_of(get(client, "dunning_policy_edit", policy.pk))

    data = policy_post(
        policy, **{"levels-0-name": "Vriendelijke herinnering", "rules-TOTAL_FORMS": "2",
                   "rules-1-priority": "50", "rules-1-kind": "b2b", "rules-1-segment": "horeca"}
    )  # fmt: skip
    response = client.post(edit, data)

    assert response.status_code == 302, text_of(response)[:2000]
    first = policy.levels.get(order=1)
    assert first.name == "Vriendelijke herinnering"
    assert policy.rules.filter(segment="horeca", priority=50).exists()
    assert AuditEntry.objects.filter(object_id=str(policy.pk), action="update").exists()


def test_steps_are_reordered_and_removed_by_their_numbers(client, manager, nl):
    policy = Policy.objects.get(creditor=nl, code="nl-b2b")
    keys = list(policy.levels.order_by("order").values_list("key", flat=True))
    client.force_login(manager)
    # step 2 (the phone call) goes after step 3; the last step is removed
    last = len(keys) - 1
    data = policy_post(
        policy,
        **{"levels-1-position": "3", "levels-2-position": "2", f"levels-{last}-DELETE": "on"},
    )
    response = client.post(reverse("workspace:dunning_policy_edit", args=[policy.pk]), data)

    assert response.status_code == 302, text_of(response)[:2000]
    assert list(policy.levels.order_by("order").values_list("key", flat=True)) == [
        keys[0], keys[2], keys[1], *keys[3:last]
    ]  # fmt: skip


def test_the_editor_refuses_a_policy_with_problems_and_says_why(client, manager, nl):
    policy = Policy.objects.get(creditor=nl, code="nl-b2c")
    before = list(policy.levels.values_list("channel", flat=True))
    client.force_login(manager)
    # the 14-day letter by SMS: a legal step never goes by SMS
    fourteen = next(i for i, lvl in enumerate(policy.levels.order_by("order")) if lvl.legal_step)
    data = policy_post(policy, **{f"levels-{fourteen}-channel": "sms"})

    check = client.post(reverse("workspace:dunning_policy_check", args=[policy.pk]), data)
    assert check.status_code == 200
    assert "cannot go by SMS" in text_of(check)
    assert "<html" not in check.content.decode()  # only the problems partial

    response = client.post(reverse("workspace:dunning_policy_edit", args=[policy.pk]), data)
    assert response.status_code == 422
    assert "Not saved" in text_of(response)
    assert list(policy.levels.values_list("channel", flat=True)) == before


def test_the_live_check_says_when_the_policy_is_sound(client, manager, nl):
    policy = Policy.objects.get(creditor=nl, code="nl-b2b")
    client.force_login(manager)
    check = client.post(
        reverse("workspace:dunning_policy_check", args=[policy.pk]), policy_post(policy)
    )
    assert "No problems found" in text_of(check)


def test_adding_a_step_shows_an_empty_row_and_saves_nothing(client, manager, nl):
    policy = Policy.objects.get(creditor=nl, code="nl-b2b")
    count = policy.levels.count()
    client.force_login(manager)
    response = client.post(
        reverse("workspace:dunning_policy_edit", args=[policy.pk]),
        {**policy_post(policy), "add_levels": "1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="policy-editor",
    )
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="level"') == count + 1
    assert policy.levels.count() == count


# -- message texts ------------------------------------------------------------------------------


def test_the_text_list_shows_every_key_channel_and_language(client, manager, nl):
    client.force_login(manager)
    page = text_of(get(client, "dunning_templates", language="nl", channel="letter"))
    assert "nl_fourteen_day_letter" in page
    assert "shipped" in page


def test_the_email_preview_shows_a_real_customer_with_the_edited_text(client, manager, nl, bakker):
    client.force_login(manager)
    get(client, "dunning_template", "reminder", "email", "nl")
    response = client.post(
        reverse("workspace:dunning_template_preview", args=["reminder", "email", "nl"])
        + "?as_of=2025-03-10",
        {"customer": bakker.pk, "subject": "Herinnering voor {{ customer.name }}",
         "body": "Beste {{ customer.name }},\n\n[[table]]\n\nGroet"},
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert "Herinnering voor Bakkerij De Korenbloem B.V." in html
    assert "F-1" in html  # the table of overdue items, in the email's HTML
    assert not MessageTemplate.objects.filter(creditor=nl).exists()  # preview saves nothing


def test_a_half_typed_tag_shows_an_error_in_the_preview_not_a_crash(client, manager, nl, bakker):
    client.force_login(manager)
    response = client.post(
        reverse("workspace:dunning_template_preview", args=["reminder", "email", "nl"]),
        {"customer": bakker.pk, "subject": "x", "body": "{% if contact %}Beste"},
    )
    assert response.status_code == 200
    assert "cannot be shown yet" in text_of(response)


def test_the_letter_preview_is_a_pdf(client, manager, nl, bakker):
    client.force_login(manager)
    preview = client.post(
        reverse(
            "workspace:dunning_template_preview", args=["nl_fourteen_day_letter", "letter", "nl"]
        )
        + "?as_of=2025-03-10",
        {"customer": bakker.pk},
    )
    pdf_url = re.search(r'<iframe class="d-pdf"[^>]*src="([^"]+)"', preview.content.decode())
    assert pdf_url, preview.content.decode()[:1000]
    response = client.get(pdf_url.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_credit_manager_saves_an_own_text_and_goes_back_to_the_shipped_one(client, manager, nl):
    client.force_login(manager)
    url = reverse("workspace:dunning_template", args=["reminder", "email", "nl"])
    response = client.post(url, {"subject": "Even herinneren", "body": "Beste {{ customer.name }}"})
    assert response.status_code == 302
    own = MessageTemplate.objects.get(creditor=nl, key="reminder", channel="email", language="nl")
    assert own.subject == "Even herinneren"
    assert "your own" in text_of(get(client, "dunning_templates"))

    assert client.post(url, {"reset": "1"}).status_code == 302
    assert not MessageTemplate.objects.filter(creditor=nl).exists()


def test_a_text_that_does_not_compile_is_not_saved(client, manager, nl):
    client.force_login(manager)
    url = reverse("workspace:dunning_template", args=["reminder", "email", "nl"])
    response = client.post(url, {"subject": "x", "body": "{% if contact %}unclosed"})
    assert response.status_code == 200
    assert not MessageTemplate.objects.filter(creditor=nl).exists()


# -- the run ------------------------------------------------------------------------------------


def test_the_run_preview_shows_per_customer_and_totals_and_changes_nothing(
    client, manager, nl, bakker
):
    client.force_login(manager)
    page = text_of(get(client, "dunning_run", run_date="2025-03-10"))
    assert bakker.number in page
    assert "reminder" in page
    assert "F-1" in page
    assert "Start the run for 10 Mar 2025" in page
    assert not DunningDecision.objects.exists()


def test_a_collector_sees_the_preview_but_no_start_button(client, collector, nl, bakker):
    client.force_login(collector)
    page = text_of(get(client, "dunning_run", run_date="2025-03-10"))
    assert bakker.number in page
    assert "Start the run" not in page


def test_a_credit_manager_starts_the_run_and_sees_it_in_the_list(client, manager, nl, bakker):
    client.force_login(manager)
    response = client.post(
        reverse("workspace:dunning_run_start") + "?as_of=2025-03-10", {"run_date": "2025-03-10"}
    )
    assert response.status_code == 302
    run = DunningRun.objects.get(creditor=nl)
    assert (run.as_of, run.started_by, run.totals["actions"]) == (RUN_DAY, "marieke", 1)
    page = text_of(client.get(response["Location"], follow=True))
    assert "Run done: 1 action(s)" in page
    assert "10 Mar 2025" in page


# -- approvals ----------------------------------------------------------------------------------


def test_the_approval_queue_shows_the_step_its_items_and_reasons(client, manager, waiting):
    client.force_login(manager)
    page = text_of(get(client, "dunning_approvals"))
    assert "Bakkerij De Korenbloem B.V." in page
    assert "F-1" in page
    assert waiting.level_name in page
    assert waiting.reasons[0]["en"][:30] in page


def test_reasons_are_shown_in_dutch_to_a_dutch_reader(client, manager, waiting):
    client.force_login(manager)
    client.cookies["django_language"] = "nl"
    page = text_of(client.get(reverse("workspace:dunning_approvals"), HTTP_ACCEPT_LANGUAGE="nl"))
    assert waiting.reasons[0]["nl"][:30] in page


def test_approving_sends_the_step(client, manager, waiting):
    client.force_login(manager)
    response = client.post(
        reverse("workspace:dunning_approve", args=[waiting.pk]) + "?as_of=2025-03-11"
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.approved_by) == ("done", manager)
    [message] = Message.objects.filter(customer=waiting.customer)
    assert message.template_key.startswith("final_notice")
    assert "Approved" in text_of(client.get(response["Location"]))


def test_rejecting_keeps_the_note(client, manager, waiting):
    client.force_login(manager)
    response = client.post(
        reverse("workspace:dunning_reject", args=[waiting.pk]), {"note": "key account, call first"}
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == "rejected"
    assert waiting.reasons[-1]["en"] == "Rejected: key account, call first"
    assert not Message.objects.exists()


def test_rejecting_without_a_note_is_refused(client, manager, waiting):
    client.force_login(manager)
    client.post(reverse("workspace:dunning_reject", args=[waiting.pk]), {"note": ""})
    waiting.refresh_from_db()
    assert waiting.status == "pending_approval"


# -- outbox -------------------------------------------------------------------------------------


def test_the_outbox_lists_messages_and_one_opens_as_sent(client, reader, nl, bakker):
    dunning_run_execute(creditor=nl, as_of=RUN_DAY)
    message = Message.objects.get()
    message.subject = "Herinnering F-1"
    message.body_text = "Beste klant, factuur F-1 staat nog open."
    message.body_html = "<p>Beste klant</p>"
    message.save()
    client.force_login(reader)

    outbox = text_of(get(client, "dunning_outbox"))
    assert "Herinnering F-1" in outbox
    assert bakker.email in outbox

    assert text_of(get(client, "dunning_outbox", channel="letter")).count("Herinnering F-1") == 0
    detail = text_of(get(client, "dunning_message", message.pk))
    assert "factuur F-1 staat nog open" in detail
    html = client.get(reverse("workspace:dunning_message_html", args=[message.pk]))
    assert html.content == b"<p>Beste klant</p>"
    assert "default-src 'none'" in html["Content-Security-Policy"]


# -- the customer panel -------------------------------------------------------------------------


def test_the_customer_panel_shows_policy_ladder_why_and_messages(client, collector, nl, bakker):
    dunning_run_execute(creditor=nl, as_of=RUN_DAY)
    client.force_login(collector)
    response = client.get(
        reverse("workspace:customer_dunning", args=[bakker.pk]), AS_OF, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html  # a partial, for hx-get from the customer page
    page = text_of(response)
    assert "Policy: " in page
    assert "F-1" in page
    decision = DunningDecision.objects.get()
    assert decision.reasons[0]["en"][:30] in page
    assert "Send a reminder now" in page


def test_send_a_reminder_now_from_the_panel(client, collector, nl):
    customer = consumer(nl)
    invoice(customer, "F-9", dt.date(2025, 3, 7))  # 3 days overdue: the run would wait
    client.force_login(collector)
    response = client.post(
        reverse("workspace:customer_send_now", args=[customer.pk]) + "?as_of=2025-03-10",
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "is on its way" in text_of(response)
    assert DunningDecision.objects.get(customer=customer).manual
    assert Message.objects.filter(customer=customer).count() == 1


def test_send_now_says_why_nothing_was_sent(client, collector, nl):
    customer = consumer(nl, on_hold=True, on_hold_reason="curator appointed")
    invoice(customer, "F-9", dt.date(2025, 2, 7))
    client.force_login(collector)
    response = client.post(
        reverse("workspace:customer_send_now", args=[customer.pk]) + "?as_of=2025-03-10",
        HTTP_HX_REQUEST="true",
    )
    page = text_of(response)
    assert "Nothing sent" in page
    assert not Message.objects.exists()


def test_the_screens_speak_dutch_to_a_dutch_reader(client, manager, nl, bakker):
    client.force_login(manager)
    client.cookies["django_language"] = "nl"
    policy = Policy.objects.get(creditor=nl, code="nl-b2b")
    editor = text_of(get(client, "dunning_policy_edit", policy.pk))
    assert "Beleid opslaan" in editor
    assert "Geen problemen gevonden" in editor
    run = text_of(get(client, "dunning_run", run_date="2025-03-10"))
    assert "Start de run voor 10 mrt 2025" in run
    panel = text_of(get(client, "customer_dunning", bakker.pk))
    assert "Nu een herinnering sturen" in panel
