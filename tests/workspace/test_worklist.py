"""The collector's worklist: whom to call today and why, as of 31 March 2025.

Groothandel Jansen   (Cor's)     6,050.00 overdue, 120 days              → big and old
Bakkerij Smit        (Cor's)       242.00 overdue, 10 days; paid 3 invoices on time
                                                                      → first time late
Slagerij Peeters     (unassigned)   605.00 overdue, 40 days; a promise broken on 10 Mar
Drukkerij De Vries   (Cor's)     1,210.00 overdue, all in an open dispute → not to call
Café Het Hoekje      (Cor's)       900.00 overdue, on hold                → not to call
Transport Dijkstra   (Dirk's)    3,630.00 overdue, 60 days                → Dirk's portfolio
Fietsen Bos          (Cor's)       300.00 overdue, a follow-up task today → under tasks
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory, InvoiceFactory
from tests.workspace.conftest import make_user
from vorder.cases.models import PromiseToPay, Task
from vorder.cases.services import dispute_open, promise_register, task_create
from vorder.common.roles import COLLECTOR, CREDIT_MANAGER
from vorder.ledger.models import Invoice
from vorder.workspace.selectors import worklist

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 3, 31)
WORKLIST = reverse("workspace:worklist")


def overdue(customer, number, days, gross_minor):
    due = AS_OF - dt.timedelta(days=days)
    return InvoiceFactory(
        customer=customer,
        number=number,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        net_minor=gross_minor,
        vat_minor=0,
    )


def paid_on_time(customer, number, paid_on):
    """An invoice of last year, paid (days_late as the allocation service records it)."""
    return InvoiceFactory(
        customer=customer,
        number=number,
        issue_date=paid_on - dt.timedelta(days=40),
        due_date=paid_on + dt.timedelta(days=2),
        net_minor=10000,
        vat_minor=0,
        open_minor=0,
        status=Invoice.Status.PAID,
        paid_on=paid_on,
        days_late=-2,
    )


@pytest.fixture
def cor(db):
    return make_user("cor", COLLECTOR, first_name="Cor")


@pytest.fixture
def dirk(db):
    return make_user("dirk", COLLECTOR, first_name="Dirk")


@pytest.fixture
def portfolio(creditor, cor, dirk):
    def customer(name, manager):
        return CustomerFactory(creditor=creditor, name=name, account_manager=manager)

    jansen = customer("Groothandel Jansen", cor)
    overdue(jansen, "J-1", 120, 6050_00)
    smit = customer("Bakkerij Smit", cor)
    overdue(smit, "S-1", 10, 242_00)
    for n, day in enumerate((dt.date(2024, 11, 5), dt.date(2024, 12, 5), dt.date(2025, 2, 5))):
        paid_on_time(smit, f"S-OLD-{n}", day)
    peeters = customer("Slagerij Peeters", None)
    p1 = overdue(peeters, "P-1", 40, 605_00)
    promise = promise_register(
        creditor=creditor,
        customer=peeters,
        invoices=[p1],
        promised_date=dt.date(2025, 3, 5),
        as_of=dt.date(2025, 3, 1),
    )
    PromiseToPay.objects.filter(pk=promise.pk).update(
        status=PromiseToPay.Status.BROKEN, broken_on=dt.date(2025, 3, 10)
    )
    devries = customer("Drukkerij De Vries", cor)
    d1 = overdue(devries, "V-1", 30, 1210_00)
    dispute_open(
        creditor=creditor,
        customer=devries,
        invoices=[d1],
        reason="price",
        as_of=dt.date(2025, 3, 20),
    )
    hoekje = customer("Café Het Hoekje", cor)
    hoekje.on_hold = True
    hoekje.save()
    overdue(hoekje, "H-1", 50, 900_00)
    dijkstra = customer("Transport Dijkstra", dirk)
    overdue(dijkstra, "T-1", 60, 3630_00)
    bos = customer("Fietsen Bos", cor)
    overdue(bos, "B-1", 5, 300_00)
    task_create(
        creditor=creditor,
        customer=bos,
        kind=Task.Kind.FOLLOW_UP,
        reason="call back about the new order",
        due_date=AS_OF,
        assigned_to=cor,
    )
    return {"jansen": jansen, "smit": smit, "peeters": peeters, "bos": bos}


def names(work):
    return [line.name for line in work.calls]


def test_the_credit_manager_sees_everyone_worth_a_call_in_order(creditor, portfolio):
    work = worklist(creditor=creditor, as_of=AS_OF)
    assert names(work) == [
        "Groothandel Jansen",  # 40 + 17 points
        "Transport Dijkstra",  # 36 + 8
        "Slagerij Peeters",  # 6 + 5 + a broken promise 20
        "Bakkerij Smit",  # 2 + 1 + first time late 15
    ]
    assert [t.customer.name for t in work.tasks] == ["Fietsen Bos"]


def test_each_line_says_why(creditor, portfolio):
    lines = {line.name: line for line in worklist(creditor=creditor, as_of=AS_OF).calls}
    assert lines["Groothandel Jansen"].reasons == [
        "€\u00a06,050.00 overdue on 1 item, oldest 120 days"
    ]
    assert "1 promise broken lately" in lines["Slagerij Peeters"].reasons
    assert lines["Bakkerij Smit"].first_time_late
    assert "first time late: call early, keep the customer" in lines["Bakkerij Smit"].reasons


def test_a_collector_sees_their_portfolio_and_the_unassigned(creditor, portfolio, cor):
    work = worklist(creditor=creditor, as_of=AS_OF, collector=cor)
    assert "Transport Dijkstra" not in names(work)
    assert "Slagerij Peeters" in names(work)  # nobody manages it: Cor may call
    assert set(names(work)) == {"Groothandel Jansen", "Slagerij Peeters", "Bakkerij Smit"}


def test_the_segment_filter(creditor, portfolio):
    portfolio["jansen"].segment = "horeca"
    portfolio["jansen"].save()
    work = worklist(creditor=creditor, as_of=AS_OF, segment="horeca")
    assert names(work) == ["Groothandel Jansen"]
    assert work.tasks == []


def test_the_worklist_page_opens_on_the_collectors_portfolio(client, creditor, portfolio, cor):
    client.force_login(cor)
    html = client.get(WORKLIST, {"as_of": AS_OF.isoformat()}).content.decode()
    assert "Groothandel Jansen" in html
    assert "Transport Dijkstra" not in html
    assert "call back about the new order" in html
    assert reverse("workspace:customer_detail", args=[portfolio["jansen"].pk]) in html


def test_a_credit_manager_filters_by_collector(client, creditor, portfolio, dirk):
    client.force_login(make_user("marieke", CREDIT_MANAGER))
    everyone = client.get(WORKLIST, {"as_of": AS_OF.isoformat()}).content.decode()
    assert "Transport Dijkstra" in everyone
    assert "Groothandel Jansen" in everyone
    dirks = client.get(
        WORKLIST, {"as_of": AS_OF.isoformat(), "collector": dirk.pk}
    ).content.decode()
    assert "Transport Dijkstra" in dirks
    assert "Groothandel Jansen" not in dirks


def test_marking_a_task_done_takes_it_off_the_list(client, creditor, portfolio, cor):
    client.force_login(cor)
    task = Task.objects.get(customer=portfolio["bos"])
    response = client.post(
        reverse("workspace:task_done", args=[task.pk]) + f"?as_of={AS_OF}",
        {"next": "worklist"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    assert task.closed_by == cor
    assert worklist(creditor=creditor, as_of=AS_OF).tasks == []
    # without a task the customer is again one to call
    assert "Fietsen Bos" in names(worklist(creditor=creditor, as_of=AS_OF))


def test_the_ranking_takes_a_fixed_number_of_queries(
    creditor, portfolio, django_assert_max_num_queries
):
    for n in range(30):
        overdue(CustomerFactory(creditor=creditor), f"X-{n}", 20 + n, 1000_00 + n)
    with django_assert_max_num_queries(11):
        work = worklist(creditor=creditor, as_of=AS_OF)
    assert len(work.calls) == 34


def test_a_collectors_customer_list_is_their_portfolio_until_they_ask_for_all(
    client, creditor, portfolio, cor
):
    client.force_login(cor)
    mine = client.get(reverse("workspace:customer_list")).content.decode()
    assert "Groothandel Jansen" in mine
    assert "Slagerij Peeters" in mine  # unassigned
    assert "Transport Dijkstra" not in mine
    everyone = client.get(reverse("workspace:customer_list"), {"all": "1"}).content.decode()
    assert "Transport Dijkstra" in everyone


def test_a_broken_promise_is_not_lost_among_many_bigger_debts(creditor, portfolio):
    """More customers than the worklist weighs in full owe more and longer (the most points for
    amount and age); the one who broke a promise still comes first, since the broken promise
    weighs on top of the same points."""
    for n in range(160):
        overdue(CustomerFactory(creditor=creditor), f"BIG-{n}", 200, 9000_00 + n)
    breaker = CustomerFactory(creditor=creditor, name="Garage Mulder")
    m1 = overdue(breaker, "M-1", 200, 5000_00)
    promise = promise_register(
        creditor=creditor,
        customer=breaker,
        invoices=[m1],
        promised_date=dt.date(2025, 3, 10),
        as_of=dt.date(2025, 3, 1),
    )
    PromiseToPay.objects.filter(pk=promise.pk).update(
        status=PromiseToPay.Status.BROKEN, broken_on=dt.date(2025, 3, 15)
    )
    work = worklist(creditor=creditor, as_of=AS_OF)
    assert names(work)[0] == "Garage Mulder"
    assert work.calls[0].reasons[1] == "1 promise broken lately"
    assert len(work.calls) == 50


def test_customers_on_hold_stay_off_the_list_however_much_they_owe(creditor, portfolio):
    portfolio["jansen"].on_hold = True
    portfolio["jansen"].save()
    assert "Groothandel Jansen" not in names(worklist(creditor=creditor, as_of=AS_OF))
