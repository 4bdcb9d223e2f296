"""A credit manager approves a waiting final notice in a real browser and finds it in the outbox.

Screenshots of the policy editor and the template preview go to VORDER_SCREENSHOTS (docs/).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.dunning.conftest import business, invoice
from tests.e2e.test_workspace import sign_in
from tests.factories import CreditorFactory
from tests.workspace.conftest import PASSWORD, make_user
from vorder.common.roles import CREDIT_MANAGER
from vorder.comms.services import templates_install
from vorder.dunning.models import DunningItemState, Policy
from vorder.dunning.services import dunning_run_execute, policies_install_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_credit_manager_approves_a_final_notice_and_sees_it_in_the_outbox(
    live_server, start_browser, screenshot_dir
):
    creditor = CreditorFactory(
        code="nlco", name="Groothandel Noord B.V.", country="NL", address_line1="Havenweg 1",
        postal_code="1000 AA", city="Amsterdam", iban="NL91ABNA0417164300",
    )  # fmt: skip
    templates_install()
    policies_install_defaults(creditor=creditor)
    customer = business(creditor)
    item = invoice(customer, "F-1", dt.date(2025, 1, 2), amount=2500_00)
    DunningItemState.objects.create(
        invoice=item, creditor=creditor, level=4, last_step_on=dt.date(2025, 2, 24)
    )
    dunning_run_execute(creditor=creditor, as_of=dt.date(2025, 3, 10))  # final notice waits
    policy = Policy.objects.get(creditor=creditor, code="nl-b2b")
    make_user("marieke", CREDIT_MANAGER, first_name="Marieke")

    browser = start_browser()
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    sign_in(page, live_server, "marieke", PASSWORD)
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()

    # the approval queue: the step, its invoice and why it waits
    page.goto(f"{live_server.url}/dunning/approvals/?as_of=2025-03-11")
    decision = page.get_by_test_id("decision")
    expect(decision).to_have_count(1)
    expect(decision).to_contain_text("Bakkerij De Korenbloem B.V.")
    expect(decision).to_contain_text("F-1")
    decision.get_by_role("button", name="Approve and send").click()
    expect(page.locator(".message-success")).to_contain_text("Approved")
    expect(page.get_by_text("Nothing waits for approval.")).to_be_visible()

    # the outbox has it, registered, for the customer
    page.get_by_role("link", name="Outbox").click()
    row = page.get_by_test_id("outbox").locator("tbody tr").first
    expect(row).to_contain_text("Bakkerij De Korenbloem B.V.")
    expect(row).to_contain_text("registered")
    row.get_by_role("link").nth(1).click()
    expect(page.get_by_role("heading", name="Details")).to_be_visible()

    # the policy editor: a step by SMS with a legal step is refused live, before saving
    page.goto(f"{live_server.url}/dunning/policies/{policy.pk}/")
    expect(page.get_by_test_id("policy-problems")).to_contain_text("No problems found")
    page.screenshot(path=str(screenshot_dir / "dunning-policy-editor.png"), full_page=False)
    notice = page.get_by_test_id("level").nth(3)
    notice.get_by_label("Channel").select_option("sms")
    expect(page.get_by_test_id("policy-problems")).to_contain_text("cannot go by SMS")
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_test_id("policy-problems")).to_contain_text("Not saved")

    # the message text editor with its live preview on a real customer
    page.goto(f"{live_server.url}/dunning/messages/reminder/email/nl/?as_of=2025-03-10")
    preview = page.get_by_test_id("template-preview")
    expect(preview).to_contain_text("Bakkerij De Korenbloem B.V.")
    page.get_by_label("Subject").fill("Even herinneren: {{ customer.name }}")
    expect(page.get_by_test_id("preview-subject")).to_have_text(
        "Even herinneren: Bakkerij De Korenbloem B.V."
    )
    expect(page.frame_locator("iframe.d-html").get_by_text("F-1")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "dunning-template-preview.png"), full_page=False)

    page.goto(
        f"{live_server.url}/dunning/messages/nl_fourteen_day_letter/letter/nl/?as_of=2025-03-10"
    )
    expect(page.locator("iframe.d-pdf")).to_have_attribute("src", re.compile(r"preview\.pdf\?"))
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshot_dir / "dunning-letter-preview.png"), full_page=False)
    page.close()
