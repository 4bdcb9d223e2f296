"""Claimed interest and costs: owed in their own right until paid or written off."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import InvoiceFactory, PaymentFactory
from vorder.common.models import AuditEntry
from vorder.ledger.models import Charge
from vorder.ledger.selectors import (
    customer_open_items,
    customer_statement,
    ledger_integrity_problems,
)
from vorder.ledger.services.allocations import (
    AllocationError,
    AllocationRequest,
    allocations_apply,
    payment_allocate,
)
from vorder.ledger.services.charges import ChargeClaim, ChargeError, charge_write_off, charges_claim

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 6, 30)


def claim(customer, invoice, kind="costs", amount=375_00, ref="letter-1"):
    [charge] = charges_claim(
        creditor=customer.creditor,
        claims=[ChargeClaim(customer_id=customer.pk, kind=kind, amount_minor=amount, vat_minor=0,
                            currency="EUR", claimed_on=dt.date(2025, 3, 11), reference=ref,
                            invoice_id=invoice.pk)],
    )  # fmt: skip
    return charge


def test_claimed_costs_stay_due_after_the_invoice_is_paid(customer):
    invoice = InvoiceFactory(customer=customer, net_minor=2500_00, vat_minor=0)
    claim(customer, invoice)
    payment_allocate(
        payment=PaymentFactory(customer=customer, amount_minor=2500_00, date=dt.date(2025, 4, 1)),
        invoice=invoice,
    )

    items = customer_open_items(customer=customer, as_of=AS_OF)
    assert [(i.kind, i.open_minor) for i in items] == [("charge_costs", 375_00)]
    statement = customer_statement(customer=customer, as_of=AS_OF)
    assert statement.closing_minor == 375_00


def test_the_same_claim_twice_books_one_charge(customer):
    invoice = InvoiceFactory(customer=customer)
    claim(customer, invoice)
    assert charges_claim(
        creditor=customer.creditor,
        claims=[ChargeClaim(customer_id=customer.pk, kind="costs", amount_minor=375_00, vat_minor=0,
                            currency="EUR", claimed_on=dt.date(2025, 3, 11), reference="letter-1")],
    ) == []  # fmt: skip
    assert Charge.objects.count() == 1


def test_a_payment_can_settle_a_charge(customer):
    invoice = InvoiceFactory(customer=customer)
    charge = claim(customer, invoice, amount=40_00)
    payment = PaymentFactory(customer=customer, amount_minor=40_00)

    allocations_apply(
        creditor=customer.creditor,
        requests=[AllocationRequest(invoice_id=None, charge_id=charge.pk, amount_minor=40_00,
                                    date=payment.date, payment_id=payment.pk)],
    )  # fmt: skip

    charge.refresh_from_db()
    assert (charge.open_minor, charge.status) == (0, "paid")
    assert ledger_integrity_problems() == []


def test_a_write_off_is_explicit_and_audited(customer):
    invoice = InvoiceFactory(customer=customer)
    charge = claim(customer, invoice)

    charge_write_off(
        charge=charge, reason="goodwill: long-standing customer", as_of=dt.date(2025, 5, 1)
    )

    charge.refresh_from_db()
    assert (charge.status, charge.open_minor) == ("written_off", 0)
    entry = AuditEntry.objects.get(action="write_off")
    assert entry.changes["reason"] == [None, "goodwill: long-standing customer"]
    lines = customer_statement(customer=customer, as_of=AS_OF).lines
    assert [line.kind for line in lines][-2:] == ["charge_costs", "write_off"]
    assert not [
        i
        for i in customer_open_items(customer=customer, as_of=AS_OF)
        if i.kind.startswith("charge")
    ]
    with pytest.raises(ChargeError, match="not open"):
        charge_write_off(charge=charge, reason="again", as_of=dt.date(2025, 5, 2))
    payment = PaymentFactory(customer=customer, amount_minor=100)
    with pytest.raises(AllocationError, match="written off"):
        allocations_apply(
            creditor=customer.creditor,
            requests=[
                AllocationRequest(
                    invoice_id=None,
                    charge_id=charge.pk,
                    amount_minor=1,
                    date=AS_OF,
                    payment_id=payment.pk,
                )
            ],
        )


def test_a_write_off_needs_a_reason(customer):
    charge = claim(customer, InvoiceFactory(customer=customer))
    with pytest.raises(ChargeError, match="say why"):
        charge_write_off(charge=charge, reason=" ", as_of=AS_OF)
