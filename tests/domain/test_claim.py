"""The claim statement (specificatie van de vordering) as data for letters, portal and hand-over."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from vorder.domain.claim import claim_statement
from vorder.domain.costs import nl_collection_costs
from vorder.domain.errors import InvalidAmount, InvalidPayment
from vorder.domain.interest import InterestRule, Payment

D = Decimal


def test_w10_statement_with_costs_and_a_partial_payment():
    """REFERENCE.md 4, W10 with the B2B staffel costs (875.00) and a payment of 2,500 on 2024-01-10."""
    costs = nl_collection_costs(D("10000.00"), consumer=False)
    statement = claim_statement(
        principal=D("10000.00"),
        interest_from=date(2023, 3, 15),
        as_of=date(2025, 6, 30),
        rule=InterestRule.parse("nl-commercial"),
        costs=costs,
        payments=[Payment(date(2024, 1, 10), D("2500.00"))],
    )
    assert statement.interest is not None
    (paid,) = statement.interest.payments
    # art. 6:44 BW: 875.00 costs, then the interest run so far, then principal
    assert paid.to_costs == D("875.00")
    assert paid.to_interest == D("949.86")  # 310.684932 + 604.931507 + 34.246575 (10 days at 12.5%)
    assert paid.to_principal == D("675.14")
    assert statement.costs_total == D("875.00")
    assert statement.payments_total == D("2500.00")
    payload = statement.as_dict()
    assert payload["total_due"] == str(statement.total_due)
    assert payload["costs"]["total"] == "875.00"
    assert payload["interest"]["payments"][0]["to_principal"] == "675.14"
    # principal + interest + costs - payments adds up to the total due
    assert (
        statement.principal
        + statement.interest_total
        + statement.costs_total
        - statement.payments_total
        == statement.total_due
    )
    assert statement.credit == D("0.00")


def test_statement_before_interest_runs():
    statement = claim_statement(
        principal=D("100"),
        interest_from=date(2025, 7, 1),
        as_of=date(2025, 6, 15),
        rule=InterestRule.parse("be-commercial"),
        payments=[Payment(date(2025, 6, 1), D("30.00"))],
        currency="eur",
    )
    assert statement.interest is None
    assert statement.interest_total == D(0)
    assert statement.total_due == D("70.00")
    assert statement.credit == D(0)
    payload = statement.as_dict()
    assert payload["interest"] is None
    assert payload["costs"] is None
    assert payload["principal"] == "100.00"
    assert payload["currency"] == "EUR"


def test_overpayment_before_interest_runs_is_a_credit():
    statement = claim_statement(
        principal=D("100.00"),
        interest_from=date(2025, 7, 1),
        as_of=date(2025, 6, 15),
        rule=InterestRule.parse("be-commercial"),
        payments=[Payment(date(2025, 6, 1), D("130.00"))],
    )
    assert statement.total_due == D(0)
    assert statement.credit == D("30.00")


def test_overpayment_after_interest_is_a_credit():
    statement = claim_statement(
        principal=D("100.00"),
        interest_from=date(2025, 1, 1),
        as_of=date(2025, 1, 31),
        rule=InterestRule.parse("contract:0"),
        payments=[Payment(date(2025, 1, 31), D("130.00"))],
    )
    assert statement.total_due == D(0)
    assert statement.credit == D("30.00")


def test_bad_statement_input_is_refused():
    rule = InterestRule.parse("be-legal")
    with pytest.raises(InvalidPayment, match="after the statement date 2025-01-31"):
        claim_statement(
            principal=D("1.00"),
            interest_from=date(2025, 1, 1),
            as_of=date(2025, 1, 31),
            rule=rule,
            payments=[Payment(date(2025, 2, 1), D("1.00"))],
        )
    with pytest.raises(InvalidAmount):
        claim_statement(
            principal=D("-1"), interest_from=date(2025, 1, 1), as_of=date(2025, 1, 31), rule=rule
        )
    with pytest.raises(InvalidAmount):
        claim_statement(
            principal=D("1"),
            interest_from=date(2025, 1, 1),
            as_of=date(2025, 1, 31),
            rule=rule,
            currency="euro",
        )
