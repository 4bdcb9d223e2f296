"""Customers and invoices in the trade's shapes (the Dutch creditor ``nl`` is in tests/conftest.py)."""

from __future__ import annotations

import datetime as dt

from tests.factories import CustomerFactory, InvoiceFactory


def consumer(creditor, **kw):
    defaults = {"kind": "b2c", "name": "J. Jansen", "email": "j.jansen@example.nl", "address_line1": "Dorpsstraat 5",
                    "postal_code": "1234 AB", "city": "Utrecht", "preferred_channel": "email", "language": "nl"}  # fmt: skip
    return CustomerFactory(creditor=creditor, **{**defaults, **kw})


def business(creditor, **kw):
    defaults = {"kind": "b2b", "name": "Bakkerij De Korenbloem B.V.", "email": "crediteuren@korenbloem.nl",
                    "address_line1": "Molenweg 2", "postal_code": "5678 CD", "city": "Zwolle", "language": "nl"}  # fmt: skip
    return CustomerFactory(creditor=creditor, **{**defaults, **kw})


def invoice(customer, number, due, amount=100_00):
    return InvoiceFactory(customer=customer, number=number, issue_date=due - dt.timedelta(days=14),
                          due_date=due, net_minor=amount, vat_minor=0)  # fmt: skip
