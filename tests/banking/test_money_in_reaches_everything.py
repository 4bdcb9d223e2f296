"""A payment read from the bank is seen at once by everything that depends on it.

The acceptance scenario of the statement import: the credit is matched and allocated in the
same transaction as the import, so the promise it keeps counts as kept, and the next dunning run
(or one started right after the import) leaves the paid invoice alone.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.banking.statements import Entry, Tx, camt053
from tests.dunning.conftest import business, invoice
from vorder.banking.services import statements_import
from vorder.cases.models import PromiseToPay
from vorder.cases.services import promise_register, promises_evaluate
from vorder.domain.money import Money
from vorder.dunning.services import dunning_run_execute
from vorder.ledger.models import Invoice

pytestmark = pytest.mark.django_db

D = dt.date


def test_a_bank_payment_keeps_the_promise_and_the_next_run_leaves_its_invoice_alone(nl, tmp_path):
    customer = business(nl, iban="NL44RABO0123456789")
    paid = invoice(customer, "F-1", D(2025, 3, 3), amount=100_00)
    unpaid = invoice(customer, "F-2", D(2025, 3, 3), amount=250_00)
    [reminder] = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 10)).actions
    assert sorted(reminder["items"]) == ["F-1", "F-2"]
    promise = promise_register(
        creditor=nl, customer=customer, invoices=[paid], promised_date=D(2025, 3, 20),
        as_of=D(2025, 3, 11), amount=Money.of("100.00", "EUR"),
    )  # fmt: skip

    statement = tmp_path / "2025-03-18.xml"
    statement.write_bytes(
        camt053(
            [Entry("100.00", ref="B-1", booked="2025-03-18",
                   txs=[Tx("100.00", name="BAKKERIJ DE KORENBLOEM", iban="NL44RABO0123456789",
                           reference=paid.payment_reference)])],
            opening="0", start="2025-03-18", end="2025-03-18",
        )
    )  # fmt: skip
    result = statements_import(creditor=nl, files=[statement])

    assert (result.errors, result.auto_matched, result.queued) == ([], 1, 0)
    assert Invoice.objects.get(pk=paid.pk).status == Invoice.Status.PAID
    assert promises_evaluate(creditor=nl, as_of=D(2025, 3, 18)).kept == [promise.pk]
    assert PromiseToPay.objects.get(pk=promise.pk).status == PromiseToPay.Status.KEPT

    later = dunning_run_execute(creditor=nl, as_of=D(2025, 3, 25), dry_run=True)
    items = [number for action in later.actions for number in action["items"]]
    assert "F-1" not in items
    assert "F-2" in items
    assert Invoice.objects.get(pk=unpaid.pk).open_minor == 250_00
