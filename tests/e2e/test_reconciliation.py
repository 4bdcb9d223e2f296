"""A collector clears the reconciliation queue in a real browser.

Three payments of 1 March 2024 wait: one the collector accepts with a single click, one she
splits by hand over two invoices of Slagerij Van Dam (after the over-allocation is refused), and
a tax refund she ignores. The queue's screenshot goes to VORDER_SCREENSHOTS (docs/screenshots).
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.test_workspace import sign_in
from tests.factories import CreditorFactory, CustomerFactory, InvoiceFactory
from tests.workspace.conftest import PASSWORD, make_user
from vorder.banking.labelled import statement_lines_write
from vorder.banking.matching import statement_lines_match
from vorder.banking.models import LineStatus, StatementLine
from vorder.common.roles import COLLECTOR
from vorder.ledger.models import Invoice

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_collector_accepts_splits_and_ignores_queued_payments(
    live_server, start_browser, screenshot_dir
):
    creditor = CreditorFactory(code="acme", name="Acme Groothandel B.V.")
    bakker = CustomerFactory(creditor=creditor, number="D10001", name="Bakkerij De Korenbloem")
    slager = CustomerFactory(creditor=creditor, number="D10002", name="Slagerij Van Dam")
    InvoiceFactory(customer=bakker, number="2024-0153", net_minor=10000, vat_minor=2100)
    InvoiceFactory(customer=slager, number="2024-0160", net_minor=20000, vat_minor=0)
    InvoiceFactory(customer=slager, number="2024-0161", net_minor=8000, vat_minor=0)
    lines = statement_lines_write(
        creditor=creditor,
        specs=[
            {
                "amount_minor": 12100,
                "counterparty_name": "B. de Korenbloem",
                "counterparty_iban": "NL69INGB0123456789",
                "remittance_info": "factuur 2024-0153 dank u wel",
            },
            {
                "amount_minor": 25000,
                "counterparty_name": "Van Dam Vleeswaren",
                "counterparty_iban": "BE68539007547034",
                "remittance_info": "facturen maart",
            },
            {
                "amount_minor": 3550,
                "counterparty_name": "Belastingdienst",
                "counterparty_iban": "NL86INGB0002445588",
                "remittance_info": "teruggave 2023",
            },
        ],  # fmt: skip
        key="march",
        booked=dt.date(2024, 3, 1),
    )
    statement_lines_match(creditor=creditor, lines=lines, dry_run=False, threshold=Decimal(1))
    accepted, split, refund = lines
    make_user("cor", COLLECTOR, first_name="Cor")

    browser = start_browser()
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    sign_in(page, live_server, "cor", PASSWORD)
    page.goto(f"{live_server.url}/bank/reconciliation/?as_of=2024-03-05")
    rows = page.get_by_test_id("queued-line")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("invoice number 2024-0153")
    page.screenshot(path=str(screenshot_dir / "reconciliation.png"), full_page=True)

    # one click: the suggestion is booked and the row goes
    first = page.locator(f"#line-{accepted.pk}")
    first.get_by_role("button", name="Accept").first.click()
    expect(first).to_have_count(0)
    expect(rows).to_have_count(2)

    # ignore the tax refund, with a reason, from the keyboard
    refund_row = page.locator(f"#line-{refund.pk}")
    refund_row.get_by_label("Ignore because").fill("tax refund, not a customer")
    refund_row.get_by_label("Ignore because").press("Enter")
    expect(refund_row).to_have_count(0)

    # split by hand: search as you type, add two invoices, watch what remains
    page.locator(f"#line-{split.pk}").get_by_role("link", name="Match by hand or split…").click()
    page.get_by_role("searchbox", name="Search open invoices").fill("Van Dam")
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text("2024-0161")
    results.get_by_role("button", name="Add 2024-0160").click()
    expect(page.get_by_test_id("split-row")).to_have_count(1)
    results.get_by_role("button", name="Add 2024-0161").click()
    expect(page.get_by_test_id("split-row")).to_have_count(2)
    remaining = page.get_by_test_id("remaining")
    expect(remaining).to_contain_text("over by € 30.00")
    page.get_by_role("button", name="Book the split").click()
    expect(page.locator(".message-error")).to_contain_text("exceeds the payment")

    # the second try: 200.00 + 50.00, nothing left over
    results = page.get_by_test_id("search-results")
    page.get_by_role("searchbox", name="Search open invoices").fill("2024-016")
    expect(results).to_contain_text("2024-0160")
    results.get_by_role("button", name="Add 2024-0160").click()
    results.get_by_role("button", name="Add 2024-0161").click()
    page.get_by_label("Amount for 2024-0161").fill("50,00")
    expect(remaining).to_contain_text("remaining € 0.00")
    page.screenshot(path=str(screenshot_dir / "reconciliation-split.png"), full_page=True)
    page.get_by_role("button", name="Book the split").click()
    expect(page.locator(".message-success")).to_contain_text("Allocated by hand")
    expect(page.get_by_text("Nothing waits: every payment is booked.")).to_be_visible()
    browser.close()

    # Playwright's loop still runs in this thread, so the ledger is read from another one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        statuses, opens = pool.submit(_outcome).result()
    assert statuses == {
        accepted.pk: LineStatus.MATCHED,
        split.pk: LineStatus.MATCHED,
        refund.pk: LineStatus.IGNORED,
    }
    assert opens == {"2024-0153": 0, "2024-0160": 0, "2024-0161": 3000}


def _outcome() -> tuple[dict[int, str], dict[str, int]]:
    from django.db import connection

    try:
        statuses = dict(StatementLine.objects.values_list("pk", "status"))
        opens = dict(Invoice.objects.values_list("number", "open_minor"))
    finally:
        connection.close()
    return statuses, opens
