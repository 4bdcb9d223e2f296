from __future__ import annotations

import datetime as dt

import pytest

from vorder.ledger.models import CustomerBankAccount
from vorder.ledger.services.bank_accounts import BankAccountLink, customer_bank_accounts_confirm

pytestmark = pytest.mark.django_db


def test_a_payer_iban_confirmed_once_is_known_next_time(customer):
    link = BankAccountLink(
        customer_id=customer.pk, iban="nl91 abna 0417 1643 00", on=dt.date(2025, 3, 1)
    )

    customer_bank_accounts_confirm(creditor=customer.creditor, links=[link])
    customer_bank_accounts_confirm(creditor=customer.creditor, links=[link])

    [account] = CustomerBankAccount.objects.all()
    assert (account.customer_id, account.iban) == (customer.pk, "NL91ABNA0417164300")


def test_a_malformed_iban_teaches_nothing(customer):
    bad = BankAccountLink(customer_id=customer.pk, iban="NL00XXXX", on=dt.date(2025, 3, 1))
    assert customer_bank_accounts_confirm(creditor=customer.creditor, links=[bad]) == []
