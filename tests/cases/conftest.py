"""A customer with three overdue invoices, a collector and a credit manager.

Bakkerij De Korenbloem (D10001), amounts in cents:
  2025-001  due 31 Jan 2025   1,210.00
  2025-002  due 28 Feb 2025     605.00
  2025-003  due 31 Mar 2025   2,420.00
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cases.factories import staff
from tests.factories import ContactFactory, InvoiceFactory
from vorder.common.roles import COLLECTOR, CREDIT_MANAGER, READ_ONLY


@pytest.fixture
def invoices(customer):
    return [
        InvoiceFactory(customer=customer, number="2025-001", issue_date=dt.date(2025, 1, 1),
                       due_date=dt.date(2025, 1, 31), net_minor=100000, vat_minor=21000),
        InvoiceFactory(customer=customer, number="2025-002", issue_date=dt.date(2025, 1, 29),
                       due_date=dt.date(2025, 2, 28), net_minor=50000, vat_minor=10500),
        InvoiceFactory(customer=customer, number="2025-003", issue_date=dt.date(2025, 3, 1),
                       due_date=dt.date(2025, 3, 31), net_minor=200000, vat_minor=42000),
    ]  # fmt: skip


@pytest.fixture
def contact(customer):
    return ContactFactory(customer=customer, name="Anja Bakker", email="anja@korenbloem.nl")


@pytest.fixture
def collector(db):
    return staff("carla", COLLECTOR)


@pytest.fixture
def credit_manager(db):
    return staff("maarten", CREDIT_MANAGER)


@pytest.fixture
def reader(db):
    return staff("rob", READ_ONLY)
