"""A credit manager opens vorder in a real (headless) browser and reads the aging chart."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from tests.factories import CreditorFactory
from tests.workspace.conftest import PASSWORD, build_ledger, make_user
from vorder.common.roles import CREDIT_MANAGER
from vorder.ledger.services.demo import demo_portfolio_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"


def sign_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit]").last.click()


def test_a_credit_manager_logs_in_and_sees_the_aging_chart(live_server, start_browser):
    build_ledger(CreditorFactory(code="acme", name="Acme Groothandel B.V."))
    make_user("marieke", CREDIT_MANAGER)
    browser = start_browser()
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    sign_in(page, live_server, "marieke", PASSWORD)
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()

    # choose the date of the hand-made ledger: htmx swaps the figures and keeps the URL
    page.get_by_label("Figures as of").fill("2025-03-31")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"as_of=2025-03-31"))
    chart = page.get_by_role(
        "img", name=re.compile("Aging of open receivables in EUR as of 31 March 2025")
    )
    expect(chart).to_be_visible()
    expect(chart.locator("rect")).to_have_count(5)
    expect(chart).to_contain_text(f"€{NBSP}2,420.00")
    expect(page.get_by_test_id("kpi-open")).to_have_text(f"€{NBSP}4,388.00")
    expect(page.get_by_test_id("dso-standard")).to_have_text("181.3 days")
    # the DSO trend arrives by itself after the page (hx-trigger="load")
    expect(page.locator(".trend-chart")).to_be_visible()

    # the most overdue customer, then its statement of account
    page.get_by_test_id("top-overdue").get_by_role("link").first.click()
    expect(
        page.get_by_role("heading", name=re.compile("Slagerij Van Dam"), level=1)
    ).to_be_visible()
    expect(page.get_by_test_id("closing-balance")).to_have_text(f"€{NBSP}2,783.00")

    # keyboard first: the first Tab reaches the skip link
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")

    # Dutch, with Dutch amounts
    page.get_by_role("button", name="NL").click()
    expect(page.get_by_role("heading", name="Rekeningoverzicht")).to_be_visible()
    expect(page.get_by_test_id("closing-balance")).to_have_text(f"€{NBSP}2.783,00")
    page.wait_for_load_state("networkidle")
    page.close()


def test_the_demo_portfolio_reads_well_in_both_languages(
    live_server, start_browser, screenshot_dir
):
    """Two creditors of demo data; screenshots for docs/ when VORDER_SCREENSHOTS is set."""
    as_of = dt.date(2026, 3, 31)
    demo_portfolio_create(customers=120, invoices=1500, seed=7, as_of=as_of)
    user = User.objects.create_user(
        "demo", password="demo", is_staff=True, first_name="Demi", last_name="de Vries"
    )
    user.groups.add(Group.objects.get_or_create(name=CREDIT_MANAGER)[0])
    browser = start_browser()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(page, live_server, "demo", "demo")

    page.goto(f"{live_server.url}/?as_of={as_of.isoformat()}")
    expect(page.get_by_label("Creditor")).to_be_visible()  # several creditors: the switcher shows
    # one chart per creditor and currency
    expect(page.get_by_test_id("aging-chart").first).to_be_visible()
    assert page.get_by_test_id("aging-chart").count() >= 2
    expect(page.locator(".trend-chart")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)

    page.get_by_test_id("top-overdue").get_by_role("link").first.click()
    expect(page.get_by_test_id("statement")).to_be_visible()
    expect(page.get_by_test_id("open-items")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "customer.png"), full_page=True)
    page.get_by_label("Period").select_option("3")
    page.get_by_role("button", name="Show").last.click()
    expect(page).to_have_url(re.compile(r"period=3"))
    expect(page.get_by_test_id("statement")).to_contain_text("Opening balance")

    page.goto(f"{live_server.url}/customers/")
    page.get_by_label("Search customers").fill("bv")
    expect(page).to_have_url(re.compile(r"q=bv"))  # htmx searched as we typed
    page.screenshot(path=str(screenshot_dir / "customers.png"), full_page=True)

    # a Dutch tablet, working for one creditor
    page.wait_for_load_state("networkidle")
    page.close()
    page = browser.new_page(viewport={"width": 1024, "height": 1366}, locale="nl-NL")
    sign_in(page, live_server, "demo", "demo")  # the browser asks for Dutch: the login is Dutch
    expect(page.get_by_role("heading", name="Overzicht", level=1)).to_be_visible()
    page.get_by_role("button", name="NL").click()
    page.goto(f"{live_server.url}/?as_of={as_of.isoformat()}")
    page.get_by_label("Administratie").select_option(index=1)
    page.get_by_role("button", name="Wissel").click()
    expect(page.get_by_role("heading", name="Ouderdomsanalyse", exact=True)).to_be_visible()
    expect(page.locator(".trend-chart")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "dashboard-nl-tablet.png"), full_page=True)
    page.wait_for_load_state("networkidle")
    page.close()
