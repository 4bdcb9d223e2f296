"""Collection costs: the worked examples of ../shared/legal/REFERENCE.md section 4 (WIK/BBIK
staffel, Book XIX caps), the B2B rules, and the caps as properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vorder.domain.costs import (
    BE_CONSUMER_MAXIMUM,
    WIK_MAXIMUM,
    WIK_MINIMUM,
    ContractClause,
    Jurisdiction,
    be_collection_costs,
    be_consumer_damages_cap,
    be_reminder_fee_cap,
    collection_costs,
    collection_costs_total,
    nl_collection_costs,
    wik_staffel,
)
from vorder.domain.errors import InvalidAmount

D = Decimal

# REFERENCE.md section 4, "WIK / BBIK staffel (NL)": W1-W9 (BBIK art. 2 lid 1 and 2).
WIK_EXAMPLES = [
    ("W1", "100.00", "40.00"),
    ("W2", "250.00", "40.00"),
    ("W3", "267.00", "40.05"),
    ("W4", "2500.00", "375.00"),
    ("W5", "2501.00", "375.10"),
    ("W6", "5000.00", "625.00"),
    ("W7", "12000.00", "895.00"),
    ("W8", "300000.00", "3275.00"),
    ("W8b", "1000000.00", "6775.00"),
    ("W9", "1500000.00", "6775.00"),
    # own, from the text of BBIK art. 2: the band edges
    ("266.67 still the minimum", "266.67", "40.00"),
    ("10,000: cumulative 875", "10000.00", "875.00"),
    ("200,000: cumulative 2,775", "200000.00", "2775.00"),
    ("W10 B2B after capitalisation", "12520.94", "900.21"),  # REFERENCE.md 4, W10 "B2B extra"
    ("W12 consumer", "1500.00", "225.00"),  # REFERENCE.md 4, "Consumer WIK on W12"
    ("W12 after capitalisation", "1592.51", "238.88"),
]


@pytest.mark.parametrize(
    ("principal", "costs"), [e[1:] for e in WIK_EXAMPLES], ids=[e[0] for e in WIK_EXAMPLES]
)
def test_wik_staffel_examples(principal, costs):
    result = nl_collection_costs(D(principal), consumer=True)
    assert result.amount == D(costs)
    assert result.vat == D("0.00")
    assert result.total == D(costs)


def test_w7b_vat_only_when_the_creditor_cannot_deduct_it():
    """REFERENCE.md 4, W7b; BBIK art. 2 lid 3."""
    result = nl_collection_costs(D("12000.00"), consumer=True, vat_deductible=False)
    assert (result.amount, result.vat, result.total) == (D("895.00"), D("187.95"), D("1082.95"))
    assert "btw" in result.reason_nl
    assert "187,95" in result.reason_nl
    assert "187.95" in result.reason_en


def test_staffel_bands_are_listed_for_the_statement():
    total, lines = wik_staffel(D("12000.00"))
    assert total == D("895.00")
    assert [(line.base, line.percent) for line in lines] == [
        (D("2500"), D(15)),
        (D("2500"), D(10)),
        (D("5000"), D(5)),
        (D("2000.00"), D(1)),
    ]
    assert lines[0].description == "15% over 2500.00"
    assert wik_staffel(D("0.00")) == (D(0), [])


def test_nl_b2b_default_is_the_staffel_with_40_per_invoice_as_floor():
    """Art. 6:96 lid 4 BW: at least 40.00 per claim (per invoice, CJEU C-370/21)."""
    assert nl_collection_costs(D("100.00"), consumer=False).amount == D("40.00")
    assert nl_collection_costs(D("10000.00"), consumer=False).amount == D("875.00")  # W10 B2B extra
    # three small invoices summed: staffel 15% x 300 = 45.00, but 3 x 40.00 = 120.00
    three = nl_collection_costs(D("300.00"), consumer=False, invoices=3)
    assert three.amount == D("120.00")
    assert "art. 6:96 lid 4" in three.source


def test_nl_b2b_agreed_clause_replaces_the_staffel_but_not_the_minimum():
    clause = ContractClause(percent=D(15), minimum=D("50.00"))
    assert nl_collection_costs(D("1000.00"), consumer=False, agreed=clause).amount == D("150.00")
    assert nl_collection_costs(D("100.00"), consumer=False, agreed=clause).amount == D("50.00")
    small = ContractClause(percent=D(1))
    assert nl_collection_costs(D("1000.00"), consumer=False, agreed=small, invoices=2).amount == D(
        "80.00"
    )


def test_nl_consumer_clause_can_only_lower_the_staffel():
    """Art. 6:96 lid 5 BW: no more than the staffel may be agreed with a consumer."""
    high = ContractClause(percent=D(20))
    low = ContractClause(percent=D(5), maximum=D("30.00"))
    assert nl_collection_costs(D("1000.00"), consumer=True, agreed=high).amount == D("150.00")
    assert nl_collection_costs(D("1000.00"), consumer=True, agreed=low).amount == D("30.00")


# REFERENCE.md section 4, "Belgian B2C (Boek XIX) maximum damages": B1-B6 (art. XIX.4 WER).
BOOK_XIX_EXAMPLES = [
    ("B1", "100.00", "20.00"),
    ("B2", "150.00", "20.00"),
    ("B2b", "150.01", "30.00"),
    ("B3", "300.00", "45.00"),
    ("B4", "500.00", "65.00"),
    ("B5", "1000.00", "90.00"),
    ("B5b", "39200.00", "2000.00"),
    ("B6", "50000.00", "2000.00"),
    ("own: 500.01", "500.01", "65.00"),
]


@pytest.mark.parametrize(
    ("balance", "cap"), [e[1:] for e in BOOK_XIX_EXAMPLES], ids=[e[0] for e in BOOK_XIX_EXAMPLES]
)
def test_book_xix_caps(balance, cap):
    assert be_consumer_damages_cap(D(balance)) == D(cap)
    assert be_collection_costs(D(balance), consumer=True).amount == D(cap)


def test_be_consumer_clause_is_capped():
    clause = ContractClause(percent=D(10), minimum=D("25.00"))
    assert be_collection_costs(D("100.00"), consumer=True, clause=clause).amount == D("20.00")
    assert be_collection_costs(D("1000.00"), consumer=True, clause=clause).amount == D("90.00")
    assert be_collection_costs(
        D("400.00"), consumer=True, clause=ContractClause(percent=D(5))
    ).amount == D("20.00")


def test_further_reminders_to_a_belgian_consumer_cost_at_most_7_50_plus_postage():
    assert be_reminder_fee_cap(D("1.51")) == D("9.01")


def test_be_b2b_fixed_40_per_invoice_or_a_higher_clause():
    """Art. 6 wet 2-8-2002 and art. 6(3) Dir. 2011/7/EU: costs *exceeding* the fixed sum."""
    assert be_collection_costs(D("5000.00"), consumer=False).amount == D(
        "40.00"
    )  # B8: 113.42 + 40.00
    assert be_collection_costs(D("5000.00"), consumer=False, invoices=2).amount == D("80.00")
    clause = ContractClause(percent=D(10), minimum=D("50.00"), maximum=D("2500.00"))
    result = be_collection_costs(D("5000.00"), consumer=False, clause=clause)
    assert result.amount == D("500.00")
    assert result.vat == D("0.00")
    assert "boven dat bedrag" in result.reason_nl
    assert be_collection_costs(D("100.00"), consumer=False, clause=clause, invoices=2).amount == D(
        "80.00"
    )


def test_dispatch_by_jurisdiction():
    assert collection_costs(D("2500"), jurisdiction="nl", consumer=True).amount == D("375.00")
    assert collection_costs(D("2500"), jurisdiction=Jurisdiction.BE, consumer=True).amount == D(
        "165.00"
    )
    nl = collection_costs(
        D("2500"), jurisdiction="nl", consumer=False, vat_deductible=False, invoices=2
    )
    assert (nl.amount, nl.vat) == (D("375.00"), D("78.75"))


@pytest.mark.parametrize(
    "call",
    [
        lambda: nl_collection_costs(D("-1.00"), consumer=True),
        lambda: nl_collection_costs(D("1.00"), consumer=False, invoices=0),
        lambda: be_collection_costs(D("1.001"), consumer=False),
        lambda: be_collection_costs(D("1.00"), consumer=False, invoices=0),
        lambda: be_reminder_fee_cap(D("-0.01")),
    ],
)
def test_bad_input_is_refused(call):
    with pytest.raises(InvalidAmount):
        call()


amounts = st.integers(min_value=0, max_value=10**10).map(lambda cents: D(cents).scaleb(-2))


@settings(max_examples=300, deadline=None)
@given(principal=amounts, consumer=st.booleans(), deductible=st.booleans())
def test_nl_costs_never_exceed_the_caps(principal, consumer, deductible):
    result = nl_collection_costs(principal, consumer=consumer, vat_deductible=deductible)
    assert WIK_MINIMUM <= result.amount <= WIK_MAXIMUM
    assert result.vat <= (result.amount * D("0.21")).quantize(D("0.01")) + D("0.01")
    assert result.amount == result.amount.quantize(D("0.01"))


@settings(max_examples=300, deadline=None)
@given(balance=amounts, percent=st.integers(min_value=0, max_value=100))
def test_book_xix_damages_never_exceed_the_caps(balance, percent):
    result = be_collection_costs(balance, consumer=True, clause=ContractClause(percent=D(percent)))
    assert result.amount <= be_consumer_damages_cap(balance) <= BE_CONSUMER_MAXIMUM
    assert be_consumer_damages_cap(balance) >= D("20.00")


@settings(max_examples=200, deadline=None)
@given(low=amounts, extra=amounts)
def test_costs_grow_with_the_principal(low, extra):
    assert (
        nl_collection_costs(low, consumer=True).amount
        <= nl_collection_costs(low + extra, consumer=True).amount
    )
    assert be_consumer_damages_cap(low) <= be_consumer_damages_cap(low + extra)


@settings(max_examples=300, deadline=None)
@given(
    principal=amounts,
    jurisdiction=st.sampled_from(list(Jurisdiction)),
    consumer=st.booleans(),
    invoices=st.integers(min_value=1, max_value=5),
    deductible=st.booleans(),
)
def test_the_fast_total_equals_the_full_calculation(
    principal, jurisdiction, consumer, invoices, deductible
):
    full = collection_costs(
        principal,
        jurisdiction=jurisdiction,
        consumer=consumer,
        invoices=invoices,
        vat_deductible=deductible,
    )
    fast = collection_costs_total(
        principal,
        jurisdiction=jurisdiction,
        consumer=consumer,
        invoices=invoices,
        vat_deductible=deductible,
    )
    assert fast == full.total


def test_the_fast_total_refuses_bad_input():
    with pytest.raises(InvalidAmount):
        collection_costs_total(D("1.00"), jurisdiction="nl", consumer=True, invoices=0)
    with pytest.raises(InvalidAmount):
        collection_costs_total(D("-1.00"), jurisdiction="be", consumer=True)


@settings(max_examples=300, deadline=None)
@given(principal=amounts)
def test_staffel_bands_and_closed_form_agree(principal):
    from vorder.domain.costs import _staffel_exact

    assert wik_staffel(principal)[0] == _staffel_exact(principal)


def test_unknown_jurisdiction_is_refused():
    with pytest.raises(ValueError, match="'de' is not a valid Jurisdiction"):
        collection_costs_total(D("1.00"), jurisdiction="de", consumer=True)


def test_the_hand_loaded_examples_match_the_reference_text(shared_dir):
    """Guard against drift: every figure above is printed in REFERENCE.md section 4."""
    text = (shared_dir / "legal" / "REFERENCE.md").read_text(encoding="utf-8")
    section = text[text.index("## 4. Worked examples") :]
    for name, principal, costs in WIK_EXAMPLES[:10] + BOOK_XIX_EXAMPLES[:8]:
        assert f"| {name} | {D(principal):,.2f} |" in section, name
        assert f"**{D(costs):,.2f}**" in section, name
