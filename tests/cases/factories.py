"""Factories and helpers for cases: staff users per role, paying an invoice on a day."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group, User

from tests.factories import PaymentFactory
from vorder.ledger.models import Invoice, Payment
from vorder.ledger.services.allocations import payment_allocate


def staff(username: str, role: str) -> User:
    """A staff user holding one role (credit_manager, collector, read_only)."""
    user = User.objects.create_user(username=username, password="x" * 12)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def pay(invoice: Invoice, amount_minor: int, on: dt.date) -> Payment:
    """The debtor pays ``amount_minor`` on ``on``; the bank import allocates it to ``invoice``."""
    payment = PaymentFactory(
        customer=invoice.customer,
        creditor=invoice.creditor,
        date=on,
        amount_minor=amount_minor,
        currency=invoice.currency,
    )
    payment_allocate(payment=payment, invoice=invoice)
    return payment
