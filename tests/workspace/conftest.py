"""A small hand-made ledger and one user per role, for the workspace pages.

The ledger (as of 31 March 2025, EUR, amounts in cents):

    Bakkerij De Korenbloem (D10001)
      F-1  issued  1 Jan, due 31 Jan  1,210.00; 210.00 paid on 15 Feb → 1,000.00 open, 59 days late
      F-2  issued 10 Mar, due  9 Apr    605.00 → not due
      CN-1 credit note 20 Mar           121.00, not yet allocated
    Slagerij Van Dam (D10002)
      F-3  issued  1 Nov 2024, due 1 Dec 2024  2,420.00 → 120 days late
      F-4  issued  1 Feb, due 3 Mar            363.00 → 28 days late

    buckets: not due 605.00 · 1–30 363.00 · 31–60 1,000.00 · 61–90 0.00 · >90 2,420.00
    total 4,388.00, overdue 3,783.00; sales 1 Jan–31 Mar 2,178.00 → DSO 4,388 / 2,178 × 90 = 181.3
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.contrib.auth.models import Group, User

from tests.factories import (
    ContactFactory,
    CreditNoteFactory,
    CustomerFactory,
    InvoiceFactory,
    PaymentFactory,
)
from vorder.common.roles import COLLECTOR, CREDIT_MANAGER, READ_ONLY
from vorder.domain.money import Money
from vorder.ledger.services.allocations import payment_allocate

AS_OF = dt.date(2025, 3, 31)
PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        # get_or_create: a transactional test (the browser test) flushes the migration's groups.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def manager(db):
    return make_user("marieke", CREDIT_MANAGER, first_name="Marieke", last_name="Jansen")


@pytest.fixture
def collector(db):
    return make_user("cor", COLLECTOR)


@pytest.fixture
def reader(db):
    return make_user("rob", READ_ONLY)


def invoice(customer, number, issued, due, gross_minor, description=""):
    return InvoiceFactory(
        customer=customer,
        number=number,
        issue_date=issued,
        due_date=due,
        net_minor=gross_minor,
        vat_minor=0,
        description=description,
    )


def build_ledger(creditor):
    bakker = CustomerFactory(
        creditor=creditor, number="D10001", name="Bakkerij De Korenbloem", city="Utrecht"
    )
    slager = CustomerFactory(
        creditor=creditor, number="D10002", name="Slagerij Van Dam", city="Gent", country="BE"
    )
    f1 = invoice(bakker, "F-1", dt.date(2025, 1, 1), dt.date(2025, 1, 31), 1210_00, "Bread flour")
    invoice(bakker, "F-2", dt.date(2025, 3, 10), dt.date(2025, 4, 9), 605_00, "Rye")
    CreditNoteFactory(
        customer=bakker,
        number="CN-1",
        issue_date=dt.date(2025, 3, 20),
        net_minor=121_00,
        vat_minor=0,
        description="Damaged bags",
    )
    payment = PaymentFactory(
        customer=bakker,
        number="BANK-1",
        date=dt.date(2025, 2, 15),
        amount_minor=210_00,
        reference="F-1 part",
    )
    payment_allocate(
        payment=payment, invoice=f1, amount=Money.of("210.00", "EUR"), on=dt.date(2025, 2, 15)
    )
    invoice(slager, "F-3", dt.date(2024, 11, 1), dt.date(2024, 12, 1), 2420_00)
    invoice(slager, "F-4", dt.date(2025, 2, 1), dt.date(2025, 3, 3), 363_00)
    ContactFactory(
        customer=bakker, name="Anja de Boer", email="anja@korenbloem.nl", phone="+31 30 123 4567"
    )
    ContactFactory(customer=bakker, name="Piet Oud", email="piet@korenbloem.nl", is_active=False)
    return bakker, slager


@pytest.fixture
def ledger(creditor):
    return build_ledger(creditor)


def text_of(response) -> str:
    """A page's visible text, tags and runs of white space gone: what a reader sees."""
    page = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r"[ \t\r\n\u00a0]+", " ", page)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client
