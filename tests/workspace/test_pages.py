"""The staff workspace as a credit manager, a collector and a read-only user meet it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.factories import CreditorFactory, CustomerFactory, InvoiceFactory
from tests.workspace.conftest import AS_OF, make_user
from vorder.common.models import AuditEntry
from vorder.ledger.models import Customer

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
DASHBOARD = reverse("workspace:dashboard")


def eur(text: str) -> str:
    return f"€{NBSP}{text}"


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def text_of(html: str) -> str:
    """The visible words of a page, whitespace folded, to assert on what a reader sees."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))


# -- who may see ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [DASHBOARD, reverse("workspace:customer_list"), reverse("workspace:dso_trend")],
)
def test_a_stranger_is_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("workspace:login") + "?next=")


def test_the_customer_page_also_needs_a_login(client, ledger):
    bakker, _ = ledger
    response = client.get(reverse("workspace:customer_detail", args=[bakker.pk]))
    assert response.status_code == 302


def test_signing_in_leads_to_the_overview(client, manager):
    response = client.post(
        reverse("workspace:login"),
        {"username": "marieke", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD


def test_signing_out_takes_a_post_and_ends_the_session(client, manager):
    client.force_login(manager)
    response = client.post(reverse("workspace:logout"))
    assert response["Location"] == reverse("workspace:login")
    assert client.get(DASHBOARD).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, manager):
    response = client.post(reverse("workspace:login"), {"username": "marieke", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize(
    ("who", "label"),
    [("manager", "Credit manager"), ("collector", "Collector"), ("reader", "Read-only")],
)
def test_every_role_sees_the_overview_and_its_own_role(client, ledger, who, label, request):
    client.force_login(request.getfixturevalue(who))
    html = page(client, DASHBOARD, as_of=AS_OF.isoformat())
    assert f'class="badge badge-role" title="Your role">{label}<' in html


def test_an_account_without_a_role_sees_no_ledger(client, ledger):
    client.force_login(make_user("nobody"))
    response = client.get(DASHBOARD, {"as_of": AS_OF.isoformat()})
    assert response.status_code == 403
    html = response.content.decode()
    assert "has no role yet" in html
    assert "Slagerij" not in html


def test_a_superuser_counts_as_credit_manager(client, ledger):
    client.force_login(make_user("admin", is_superuser=True, is_staff=True))
    html = page(client, DASHBOARD, as_of=AS_OF.isoformat())
    assert ">Credit manager<" in html
    assert ">Master data</a>" in html


# -- the overview ------------------------------------------------------------------------


def test_the_overview_shows_the_aging_of_the_hand_made_ledger(client, manager, ledger):
    client.force_login(manager)
    html = page(client, DASHBOARD, as_of=AS_OF.isoformat())
    seen = text_of(html)

    assert f"Open receivables {eur('4,388.00')}" in seen
    assert f"Overdue {eur('3,783.00')} 86% of open" in seen
    assert "Customers with overdue items 2" in seen
    # the chart: one bar per bucket with its amount, described for screen readers
    svg = html[html.index('<svg class="aging-chart"') : html.index("</svg>")]
    assert 'role="img"' in svg
    assert (
        f"Not due: {eur('605.00')} (14%); 1–30 days: {eur('363.00')} (8%); "
        f"31–60 days: {eur('1,000.00')} (23%); 61–90 days: {eur('0.00')} (0%); "
        f"Over 90 days: {eur('2,420.00')} (55%)"
    ) in svg
    assert svg.count("<rect ") == 5
    # the tallest bar (over 90 days) fills the plot; the empty bucket has no height
    heights = [int(h) for h in re.findall(r'<rect [^>]*height="(\d+)"', svg)]
    assert heights[4] == max(heights)
    assert heights[3] == 0
    # DSO: 4,388 / 2,178 × 90 days
    assert "181.3 days" in seen


def test_top_overdue_customers_come_most_overdue_first(client, manager, ledger):
    client.force_login(manager)
    html = page(client, DASHBOARD, as_of=AS_OF.isoformat())
    table = text_of(html[html.index('data-testid="top-overdue"') :])
    assert table.index("Slagerij Van Dam") < table.index("Bakkerij De Korenbloem")
    assert (
        f"Slagerij Van Dam D10002 {eur('363.00')} {eur('0.00')} {eur('0.00')} {eur('2,420.00')} {eur('2,783.00')} {eur('2,783.00')}"
        in table
    )
    bakker, _ = ledger
    assert reverse("workspace:customer_detail", args=[bakker.pk]) + "?as_of=2025-03-31" in html


def test_an_earlier_date_shows_the_ledger_as_it_stood_then(client, manager, ledger):
    client.force_login(manager)
    # on 1 Feb the 210.00 payment of 15 Feb had not come in and F-2 did not exist yet:
    # F-1 1,210.00 (1 day late) + F-3 2,420.00 (62 days late) + F-4 363.00 (issued that day)
    seen = text_of(page(client, DASHBOARD, as_of="2025-02-01"))
    assert f"Open receivables {eur('3,993.00')}" in seen
    assert f"Overdue {eur('3,630.00')}" in seen


def test_a_date_that_cannot_be_read_is_named_and_today_is_shown(client, manager, ledger):
    client.force_login(manager)
    html = page(client, DASHBOARD, as_of="31-03-2025")
    assert "Enter the date as YYYY-MM-DD" in html
    assert "Showing today instead." in html


def test_an_empty_ledger_says_nothing_is_open(client, manager, creditor):
    client.force_login(manager)
    html = page(client, DASHBOARD, as_of=AS_OF.isoformat())
    assert 'data-testid="aging-empty"' in html
    assert "No customer has overdue items" in html


def test_htmx_gets_only_the_overview_part_for_another_date(client, manager, ledger):
    client.force_login(manager)
    response = client.get(
        DASHBOARD, {"as_of": AS_OF.isoformat()}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="overview"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="overview"')
    assert "<html" not in html
    assert eur("4,388.00") in html


def test_the_dso_trend_shows_twelve_month_ends(client, manager, ledger):
    client.force_login(manager)
    html = page(client, reverse("workspace:dso_trend"), as_of=AS_OF.isoformat())
    assert html.lstrip().startswith('<div id="dso-trend"')
    assert 'class="trend-chart"' in html
    assert html.count("<tr><td>") == 12
    assert '<td>31 Mar 2025</td><td class="num">181.3</td>' in html


# -- several creditors ---------------------------------------------------------------------


def test_with_one_creditor_there_is_no_switcher(client, manager, ledger):
    client.force_login(manager)
    html = page(client, DASHBOARD, as_of=AS_OF.isoformat())
    assert 'id="creditor-switch"' not in html


def test_the_creditor_switcher_narrows_every_figure(client, reader, ledger):
    other = CreditorFactory(code="zuid", name="Zuid Handel BV")
    far = CustomerFactory(creditor=other, number="Z1", name="Zeeuwse Mosselhandel")
    InvoiceFactory(
        customer=far,
        number="Z-1",
        issue_date=dt.date(2025, 3, 1),
        due_date=dt.date(2025, 3, 15),
        net_minor=100_00,
        vat_minor=0,
    )
    client.force_login(reader)  # choosing what to look at is not an action: read-only may
    html = page(client, DASHBOARD, as_of=AS_OF.isoformat())
    assert 'id="creditor-switch"' in html
    assert "Zeeuwse Mosselhandel" in html
    assert "Slagerij Van Dam" in html

    response = client.post(
        reverse("workspace:creditor_switch"), {"creditor": other.pk, "next": "/?as_of=2025-03-31"}
    )
    assert response["Location"] == "/?as_of=2025-03-31"
    html = page(client, DASHBOARD, as_of=AS_OF.isoformat())
    assert "Zeeuwse Mosselhandel" in html
    assert "Slagerij Van Dam" not in html
    assert f"Open receivables {eur('100.00')}" in text_of(html)

    client.post(
        reverse("workspace:creditor_switch"), {"creditor": "", "next": "https://evil.example/"}
    )
    html = page(client, DASHBOARD, as_of=AS_OF.isoformat())
    assert "Slagerij Van Dam" in html
    assert "Zeeuwse Mosselhandel" in html


# -- customers -------------------------------------------------------------------------------


def test_the_customer_list_finds_by_any_word(client, collector, ledger):
    client.force_login(collector)
    html = page(client, reverse("workspace:customer_list"), q="slager gent")
    assert "Slagerij Van Dam" in html
    assert "Bakkerij" not in html
    assert "1 customer matches" in html
    assert eur("2,783.00") in html  # open on its invoices


def test_the_customer_list_search_swaps_only_the_results_for_htmx(client, collector, ledger):
    client.force_login(collector)
    response = client.get(
        reverse("workspace:customer_list"),
        {"q": "D10001"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="customer-results",
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="customer-results"')
    assert "Bakkerij De Korenbloem" in html
    assert "Slagerij" not in html


def test_the_customer_list_pages_through_many_customers(client, collector, creditor):
    CustomerFactory.create_batch(30, creditor=creditor)
    client.force_login(collector)
    html = page(client, reverse("workspace:customer_list"))
    assert "30 customers" in html
    assert "Page 1 of 2" in html
    assert "?page=2" in html


def test_the_customer_page_shows_the_statement_with_its_running_balance(client, manager, ledger):
    bakker, _ = ledger
    client.force_login(manager)
    html = page(
        client, reverse("workspace:customer_detail", args=[bakker.pk]), as_of=AS_OF.isoformat()
    )
    statement = html[html.index('data-testid="statement"') :]
    balances = re.findall(r'data-testid="running-balance">([^<]+)<', statement)
    # F-1 1,210.00 → payment 210.00 → F-2 605.00 → credit note 121.00
    assert balances == [eur("1,210.00"), eur("1,000.00"), eur("1,605.00"), eur("1,484.00")]
    assert f"Balance on 31 Mar 2025 {eur('1,484.00')}" in text_of(statement)
    assert f'data-testid="closing-balance">{eur("1,484.00")}<' in html


def test_the_customer_page_lists_open_items_and_contacts(client, manager, ledger):
    bakker, _ = ledger
    client.force_login(manager)
    html = page(
        client, reverse("workspace:customer_detail", args=[bakker.pk]), as_of=AS_OF.isoformat()
    )
    items = text_of(
        html[html.index('data-testid="open-items"') : html.index('data-testid="statement"')]
    )
    assert f"Invoice F-1 1 Jan 2025 31 Jan 2025 59 {eur('1,210.00')} {eur('1,000.00')}" in items
    assert f"Invoice F-2 10 Mar 2025 9 Apr 2025 – {eur('605.00')} {eur('605.00')}" in items
    assert f"Credit note CN-1 20 Mar 2025 – – {eur('-121.00')} {eur('-121.00')}" in items
    contacts = text_of(html[html.index('data-testid="contacts"') :])
    assert "Anja de Boer" in contacts
    assert "anja@korenbloem.nl" in contacts
    assert "Piet Oud inactive" in contacts
    assert f"Overdue {eur('1,000.00')} (1 item)" in text_of(html)


def test_an_unknown_customer_is_not_found(client, manager, ledger):
    client.force_login(manager)
    assert client.get(reverse("workspace:customer_detail", args=[999999])).status_code == 404


# -- acting: the hold ------------------------------------------------------------------------


def test_read_only_sees_no_hold_button_and_cannot_post_one(client, reader, ledger):
    bakker, _ = ledger
    client.force_login(reader)
    html = page(client, reverse("workspace:customer_detail", args=[bakker.pk]))
    assert reverse("workspace:customer_hold", args=[bakker.pk]) not in html

    response = client.post(
        reverse("workspace:customer_hold", args=[bakker.pk]),
        {"action": "hold", "reason": "dispute"},
    )
    assert response.status_code == 403
    assert Customer.objects.get(pk=bakker.pk).on_hold is False
    assert not AuditEntry.objects.filter(model="ledger.customer").exists()


def test_a_collector_puts_a_customer_on_hold_and_it_is_audited(client, collector, ledger):
    bakker, _ = ledger
    client.force_login(collector)
    url = reverse("workspace:customer_hold", args=[bakker.pk])
    response = client.post(
        url, {"action": "hold", "reason": "Disputes the flour quality"}, follow=True
    )
    html = response.content.decode()
    assert "is on hold: no dunning until released" in html
    bakker.refresh_from_db()
    assert bakker.on_hold
    assert bakker.on_hold_reason == "Disputes the flour quality"
    entry = AuditEntry.objects.get(model="ledger.customer", object_id=str(bakker.pk))
    assert entry.actor == "cor"
    assert entry.changes["on_hold"] == [False, True]

    client.post(url, {"action": "release"})
    bakker.refresh_from_db()
    assert not bakker.on_hold
    assert bakker.on_hold_reason == ""


def test_a_hold_needs_a_reason(client, manager, ledger):
    bakker, _ = ledger
    client.force_login(manager)
    response = client.post(
        reverse("workspace:customer_hold", args=[bakker.pk]),
        {"action": "hold", "reason": ""},
        follow=True,
    )
    assert "Say why the customer goes on hold." in response.content.decode()
    bakker.refresh_from_db()
    assert not bakker.on_hold


def test_the_hold_is_changed_by_post_only(client, manager, ledger):
    bakker, _ = ledger
    client.force_login(manager)
    assert client.get(reverse("workspace:customer_hold", args=[bakker.pk])).status_code == 405


# -- language --------------------------------------------------------------------------------


def test_switching_to_dutch_translates_the_pages_and_the_amounts(client, manager, ledger):
    client.force_login(manager)
    response = client.post(reverse("set_language"), {"language": "nl", "next": DASHBOARD})
    assert response.status_code == 302
    html = page(client, DASHBOARD, as_of=AS_OF.isoformat())
    seen = text_of(html)
    assert '<html lang="nl">' in html
    assert "Overzicht" in seen
    assert "Klanten" in seen
    assert f"Openstaande vorderingen {eur('4.388,00')}" in seen
    assert "181,3 dagen" in seen
    assert "Meer dan 90 dagen" in seen

    bakker, _ = ledger
    html = page(
        client, reverse("workspace:customer_detail", args=[bakker.pk]), as_of=AS_OF.isoformat()
    )
    assert "Rekeningoverzicht" in html
    assert "Factuur" in html
    assert "31 mrt 2025" in html

    client.post(reverse("set_language"), {"language": "en", "next": DASHBOARD})
    assert "Overview" in page(client, DASHBOARD)


def test_a_shorter_statement_folds_older_movements_into_the_opening_balance(client, reader, ledger):
    _, slager = ledger
    client.force_login(reader)
    url = reverse("workspace:customer_detail", args=[slager.pk])
    # 3 months up to 31 March start on 1 January: F-3 of November is in the opening balance
    statement = text_of(page(client, url, as_of=AS_OF.isoformat(), period="3"))
    statement = statement[statement.index("Statement of account") :]
    assert f"1 Jan 2025 Opening balance {eur('2,420.00')}" in statement
    assert f"1 Feb 2025 Invoice F-4 {eur('363.00')} {eur('2,783.00')}" in statement
    assert "F-3" not in statement.split("Contacts")[0]

    everything = text_of(page(client, url, as_of=AS_OF.isoformat(), period="all"))
    assert "Opening balance" not in everything
    assert f"1 Nov 2024 Invoice F-3 {eur('2,420.00')} {eur('2,420.00')}" in everything
