"""A collector's day in a real (headless) browser, on 31 March 2025.

Cor opens his worklist, calls Bakkerij De Korenbloem and notes a promise to pay on 4 April; the
dunning run of that day leaves the bakery alone. Then he agrees a payment arrangement with
Slagerij Van Dam, reads its confirmation letter, and opens and resolves a dispute about the
butcher's last invoice with a credit note.
"""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect

from tests.factories import ContactFactory, CreditorFactory, CustomerFactory, InvoiceFactory
from tests.workspace.conftest import PASSWORD, make_user
from vorder.cases.models import Dispute, PaymentArrangement, PromiseToPay
from vorder.common.roles import COLLECTOR
from vorder.dunning.services import dunning_run_execute, policies_install_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AS_OF = dt.date(2025, 3, 31)


def invoice(customer, number, due, gross_minor):
    return InvoiceFactory(
        customer=customer,
        number=number,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        net_minor=gross_minor,
        vat_minor=0,
    )


def in_thread(fn, *args, **kwargs):
    """ORM work while the browser runs: Playwright's event loop lives in this thread."""

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_a_collectors_day(live_server, start_browser, screenshot_dir):
    creditor = CreditorFactory(code="acme", name="Acme Groothandel B.V.")
    policies_install_defaults(creditor=creditor)
    cor = make_user("cor", COLLECTOR, first_name="Cor", last_name="Visser")
    bakker = CustomerFactory(
        creditor=creditor, number="D10001", name="Bakkerij De Korenbloem", account_manager=cor,
        phone="+31 30 123 4567", address_line1="Dorpsstraat 1", postal_code="3511 AA",
        city="Utrecht", credit_limit_minor=5000_00,
    )  # fmt: skip
    ContactFactory(customer=bakker, name="Anja de Boer", email="anja@korenbloem.nl")
    invoice(bakker, "2025-001", dt.date(2025, 1, 31), 1210_00)
    invoice(bakker, "2025-002", dt.date(2025, 2, 28), 605_00)
    slager = CustomerFactory(
        creditor=creditor, number="D10002", name="Slagerij Van Dam", account_manager=cor,
        address_line1="Markt 3", postal_code="9000", city="Gent", country="BE",
    )  # fmt: skip
    invoice(slager, "2025-101", dt.date(2025, 1, 15), 2400_00)
    invoice(slager, "2025-102", dt.date(2025, 3, 1), 363_00)
    other = make_user("dirk", COLLECTOR)
    invoice(
        CustomerFactory(creditor=creditor, name="Transport Dijkstra", account_manager=other),
        "2025-900",
        dt.date(2025, 1, 1),
        9999_00,
    )

    browser = start_browser()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill("cor")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()

    # the worklist: his portfolio, the butcher first (most overdue), each with its reason
    page.goto(f"{live_server.url}/worklist/?as_of={AS_OF}")
    calls = page.get_by_test_id("calls")
    expect(calls.locator("tbody tr").first).to_contain_text("Slagerij Van Dam")
    expect(calls).to_contain_text("Bakkerij De Korenbloem")
    expect(calls).to_contain_text("overdue on 2 items, oldest 59 days")
    expect(calls).not_to_contain_text("Transport Dijkstra")  # Dirk's customer
    page.screenshot(path=str(screenshot_dir / "worklist.png"), full_page=True)

    # open the bakery and log the call with a promise to pay on 4 April
    calls.get_by_role("link", name="Bakkerij De Korenbloem").click()
    expect(
        page.get_by_role("heading", name=re.compile("Bakkerij De Korenbloem"), level=1)
    ).to_be_visible()
    expect(page.get_by_test_id("reach").get_by_role("link", name=re.compile(r"\+31 30 123 4567"))).to_have_attribute("href", "tel:+31 30 123 4567")  # fmt: skip
    page.get_by_text("Log a call").click()
    form = page.get_by_test_id("call-form")
    form.get_by_label("Outcome").select_option("reached")
    form.get_by_label("Satisfied with the goods or service?").select_option("yes")
    form.get_by_label("When and how will you pay?").fill("bank transfer on Friday")
    form.get_by_label("What came of it").select_option("promise")
    form.get_by_label("Will pay on").fill("2025-04-04")
    form.get_by_role("button", name="Save call").click()
    expect(page.locator(".message-success")).to_contain_text("Call logged.")
    expect(page.get_by_test_id("promises")).to_contain_text("4 Apr 2025")
    expect(page.get_by_test_id("timeline")).to_contain_text("bank transfer on Friday")
    page.screenshot(path=str(screenshot_dir / "customer-360.png"), full_page=True)

    # the dunning run of the day skips the bakery: its items are promised
    result = in_thread(dunning_run_execute, creditor=creditor, as_of=AS_OF)
    assert "D10001" not in {a["customer"] for a in result.actions}
    assert "D10002" in {a["customer"] for a in result.actions}
    promise = in_thread(lambda: PromiseToPay.objects.get(customer__number="D10001"))
    assert promise.amount_minor == 1815_00

    # the butcher: three instalments for the big invoice, and the confirmation letter
    page.goto(f"{live_server.url}/customers/{slager.pk}/?as_of={AS_OF}")
    page.get_by_text("Propose an arrangement").click()
    form = page.get_by_test_id("arrangement-form")
    form.get_by_label("2025-102").uncheck()
    form.get_by_label("Number of instalments").fill("3")
    form.get_by_label("First instalment on").fill("2025-04-15")
    form.get_by_role("button", name="Agree arrangement").click()
    expect(page.locator(".message-success")).to_contain_text("Payment arrangement agreed")
    arrangement = page.get_by_test_id("arrangement")
    expect(arrangement).to_contain_text("Active")
    expect(arrangement.locator("tbody tr")).to_have_count(3)
    arrangement.get_by_role("link", name=re.compile("confirmation")).click()
    expect(page.get_by_text("preview: not sent yet")).to_be_visible()
    letter = page.frame_locator("iframe.message-copy")
    expect(letter.locator("body")).to_contain_text("800")
    assert in_thread(lambda: PaymentArrangement.objects.get().status) == "active"

    # a dispute about the last invoice, resolved with a credit note for everything
    page.go_back()
    page.get_by_text("Open a dispute").click()
    form = page.get_by_test_id("dispute-form")
    form.get_by_label("2025-102").check()
    form.get_by_label("Reason").select_option("goods_or_service")
    form.get_by_label("Description").fill("the meat arrived warm")
    form.get_by_role("button", name="Open dispute").click()
    dispute = page.get_by_test_id("dispute")
    expect(dispute).to_contain_text("the meat arrived warm")
    dispute.get_by_label("Decision").select_option("credit_full")
    dispute.get_by_role("button", name="Decide").click()
    expect(page.locator(".message-success")).to_contain_text("Dispute decided.")
    expect(page.get_by_test_id("dispute")).to_contain_text("Resolved with a credit note")
    expect(page.get_by_test_id("timeline")).to_contain_text("Credit note")
    assert in_thread(lambda: Dispute.objects.get().status) == "resolved_credit_note"

    # keyboard first: the actions open with the keyboard
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.wait_for_load_state("networkidle")
    page.close()
