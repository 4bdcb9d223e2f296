"""Matching a bank credit to open items: each signal, each outcome, and the explanations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vorder.domain import matching as m
from vorder.domain.matching import KnownCustomer, Line, OpenItem, Outcome, match_line
from vorder.domain.references import generate

IBAN_KORENBLOEM = "NL91ABNA0417164300"
IBAN_OTHER = "NL02RABO0123456789"
DAY = date(2024, 3, 1)


def item(
    invoice_id: int,
    number: str,
    open_minor: int,
    *,
    customer_id: int = 1,
    name: str = "Bakkerij De Korenbloem B.V.",
    due: date = date(2024, 2, 1),
    ibans: frozenset[str] = frozenset({IBAN_KORENBLOEM}),
    reference: str | None = None,
    currency: str = "EUR",
) -> OpenItem:
    return OpenItem(
        invoice_id=invoice_id,
        number=number,
        customer_id=customer_id,
        customer_name=name,
        open_minor=open_minor,
        currency=currency,
        due_date=due,
        payment_reference=generate("rf", number) if reference is None else reference,
        customer_ibans=ibans,
    )


def line(amount_minor: int, **kwargs: str) -> Line:
    return Line(amount_minor=amount_minor, currency="EUR", booking_date=DAY, **kwargs)


def best(text_line: Line, items: list[OpenItem], **kwargs: object) -> m.Match:
    return match_line(text_line, items, **kwargs)[0]  # type: ignore[arg-type]


# -- normalisation -----------------------------------------------------------------------------
def test_invoice_numbers_are_compared_without_prefixes_separators_or_leading_zeros() -> None:
    assert m.number_key("F-2024-0153") == "20240153"
    assert m.number_key("INV 000153") == "153"
    assert m.number_key("Factuur 2024/0153") == "20240153"
    assert m.number_key("ABC") == "ABC"  # no digits: the number stays what it is


def test_the_free_text_yields_numbers_spread_over_words() -> None:
    keys = m.number_keys_in_text("Factuur nr. 2024 0153 en F-2024-0154")
    assert {"20240153", "20240154"} <= keys
    assert m.number_keys_in_text("bedankt voor de levering") == set()
    assert m.number_keys_in_text("nr 12") == set()  # too short to be anything


def test_structured_references_typed_into_the_text_are_found() -> None:
    found = m.references_in_text("betaling RF18 5390 0754 7034 en +++090/9337/55493+++")
    assert [ref for _, ref in found] == ["RF18539007547034", "+++090/9337/55493+++"]
    assert m.references_in_text("RF18539007547034, RF18539007547034") == [
        (m.ReferenceStyle.RF, "RF18539007547034")
    ]
    assert m.references_in_text("RF99 1234") == []  # wrong check digits


def test_payer_names_are_compared_without_legal_forms_titles_or_accents() -> None:
    assert m.name_tokens("Bakkerij De Korenbloem B.V.") == ["bakkerij", "korenbloem"]
    assert m.name_tokens("Crème Brûlée SRL") == ["creme", "brulee"]
    assert m.name_similarity("BAKKERIJ DE KORENBLOEM BV", "Bakkerij De Korenbloem B.V.") == 1.0
    assert m.name_similarity("HR J. JANSEN", "Jan Jansen") == 0.9
    assert m.name_similarity("Jan Pieter Jansen", "J Jansen") == 0.6
    assert m.name_similarity("K. Jansen", "Jan Jansen") == 0.5
    assert m.name_similarity("Bakkerij Korenblom", "Bakkerij Korenbloem") > 0.9
    assert m.name_similarity("B.V.", "Jansen") == 0.0


def test_one_character_typos_are_recognised_and_nothing_more() -> None:
    assert m.within_one_edit("20240153", "20240153")
    assert m.within_one_edit("20240153", "20240154")  # one changed
    assert m.within_one_edit("20240153", "20240135")  # two neighbours swapped
    assert m.within_one_edit("20240153", "2024153")  # one dropped
    assert m.within_one_edit("2024153", "20240153")  # one added
    assert not m.within_one_edit("20240153", "20240351")  # far swap
    assert not m.within_one_edit("20240153", "20240162")  # two changed
    assert not m.within_one_edit("20240153", "202401")
    assert not m.within_one_edit("20240153", "2024135")


# -- outcomes ----------------------------------------------------------------------------------
def test_rf_reference_and_exact_amount_pay_the_invoice() -> None:
    invoice = item(1, "2024-0153", 12100, reference="RF18539007547034")
    match = best(line(12100, structured_reference="RF18539007547034"), [invoice])
    assert match.outcome is Outcome.ONE_INVOICE
    assert match.allocations == (m.Allocation(1, "2024-0153", 12100),)
    assert match.explanation.startswith(
        "RF reference RF18539007547034 → invoice 2024-0153, exact amount"
    )
    assert match.confidence >= Decimal("0.98")
    assert match.is_sure()


def test_belgian_structured_communication_names_the_invoice() -> None:
    ogm = generate("ogm", "2024000153")
    invoice = item(1, "2024000153", 5000, reference=ogm, ibans=frozenset())
    match = best(line(5000, remittance=f"MEDEDELING {ogm}"), [invoice])
    assert match.explanation.startswith(f"structured communication {ogm} → invoice 2024000153")
    assert match.is_sure()


def test_dutch_betalingskenmerk_names_the_invoice() -> None:
    kenmerk = generate("nl", "2024000153")
    invoice = item(1, "2024000153", 5000, reference=kenmerk, ibans=frozenset())
    match = best(line(5000, structured_reference=kenmerk), [invoice])
    assert match.explanation.startswith(f"betalingskenmerk {kenmerk}")
    assert match.is_sure()


def test_an_unreadable_structured_reference_is_ignored() -> None:
    invoice = item(1, "2024000153", 5000)
    match = best(line(5000, structured_reference="not a reference"), [invoice])
    assert match.outcome is Outcome.ONE_INVOICE
    assert "structured reference" not in match.explanation


def test_invoice_number_in_noisy_text_pays_the_invoice() -> None:
    invoice = item(1, "2024000153", 24200, ibans=frozenset())
    match = best(line(24200, remittance="fact nr. 2024 000153 dank u"), [invoice])
    assert match.outcome is Outcome.ONE_INVOICE
    assert match.explanation.startswith("invoice number 2024000153 in the text, exact amount")
    assert match.is_sure()


def test_a_typo_in_the_number_needs_more_than_the_amount() -> None:
    invoice = item(1, "2024000153", 24200, ibans=frozenset())
    alone = best(line(24200, remittance="factuur 2024000135"), [invoice])
    assert "'2024000135' in the text is invoice 2024000153 but one" in alone.explanation
    assert not alone.is_sure()
    named = best(
        line(24200, remittance="factuur 2024000135", counterparty_name="Bakkerij Korenbloem"),
        [invoice],
    )
    assert named.allocations[0].invoice_id == 1
    assert named.is_sure()


def test_short_numbers_are_weak_evidence() -> None:
    short = item(1, "153", 5000, ibans=frozenset())
    medium = item(2, "1530", 7000, ibans=frozenset(), customer_id=2, name="Other")
    assert not best(line(5000, remittance="huisnummer 153"), [short]).is_sure()
    assert best(line(7000, remittance="nr 1530"), [medium]).confidence < Decimal("0.95")
    # typos are not looked for in short numbers: only the amount fits
    typo = best(line(7000, remittance="nr 1531"), [medium])
    assert typo.explanation == "only the amount fits invoice 1530"


def test_known_iban_and_exact_amount_pay_the_only_item_of_that_amount() -> None:
    items = [item(1, "2024000153", 5000), item(2, "2024000154", 7000)]
    match = best(line(7000, counterparty_iban="NL91 ABNA 0417 1643 00"), items)
    assert match.allocations == (m.Allocation(2, "2024000154", 7000),)
    assert f"payer IBAN {IBAN_KORENBLOEM} known" in match.explanation
    assert match.is_sure()


def test_two_items_of_the_same_amount_go_to_a_person() -> None:
    items = [item(1, "2024000153", 5000), item(2, "2024000154", 5000)]
    ranked = match_line(line(5000, counterparty_iban=IBAN_KORENBLOEM), items)
    assert not ranked[0].is_sure()
    assert "fits about as well" in ranked[0].explanation
    assert {ranked[0].allocations[0].invoice_id, ranked[1].allocations[0].invoice_id} == {1, 2}


def test_a_payment_run_pays_the_oldest_items_together() -> None:
    items = [
        item(1, "2024000151", 1000, due=date(2024, 1, 1)),
        item(2, "2024000152", 2000, due=date(2024, 1, 2)),
        item(3, "2024000153", 4000, due=date(2024, 1, 3)),
        item(4, "2024000154", 8000, due=date(2024, 1, 4)),
    ]
    match = best(line(3000, counterparty_iban=IBAN_KORENBLOEM), items)
    assert match.outcome is Outcome.SEVERAL_INVOICES
    assert [a.invoice_id for a in match.allocations] == [1, 2]
    assert "(oldest first)" in match.explanation
    assert match.is_sure()
    other = best(line(9000, counterparty_iban=IBAN_KORENBLOEM), items)  # 1 + 4
    assert [a.invoice_id for a in other.allocations] == [1, 4]
    assert other.is_sure()


def test_combinations_among_many_items_are_not_trusted_alone() -> None:
    items = [item(n, f"20240001{n:02d}", 1000 * n + 7) for n in range(1, 13)]
    match = best(line(1007 + 3007 + 12007, counterparty_iban=IBAN_KORENBLOEM), items)
    assert match.outcome is Outcome.SEVERAL_INVOICES
    assert not match.is_sure()


def test_the_combination_search_is_bounded() -> None:
    items = [item(n, f"20240001{n:02d}", 1000) for n in range(1, 30)]
    found, prefix = m.combinations_paying(items, 3000)
    assert prefix
    assert len(found) == 3
    assert len(found[0]) == 3
    assert m.combinations_paying(items, 1)[0] == []
    few = [item(1, "2024000101", 500), item(2, "2024000102", 700)]
    assert m.combinations_paying(few, 999_999) == ([], False)


def test_invoices_named_together_are_paid_together() -> None:
    items = [
        item(1, "2024000151", 1000, ibans=frozenset(), due=date(2024, 1, 2)),
        item(2, "2024000152", 2000, ibans=frozenset(), due=date(2024, 1, 1)),
    ]
    match = best(line(3000, remittance="facturen 2024000151 2024000152"), items)
    assert match.outcome is Outcome.SEVERAL_INVOICES
    assert [a.invoice_id for a in match.allocations] == [2, 1]
    assert match.is_sure()


def test_less_than_the_invoices_named_pays_the_oldest_first() -> None:
    items = [
        item(1, "2024000151", 1000, ibans=frozenset(), due=date(2024, 1, 1)),
        item(2, "2024000152", 2000, ibans=frozenset(), due=date(2024, 1, 2)),
    ]
    ranked = match_line(line(1500, remittance="facturen 2024000151 2024000152"), items)
    several = next(x for x in ranked if len(x.allocations) == 2)
    assert several.outcome is Outcome.SEVERAL_INVOICES
    assert [a.amount_minor for a in several.allocations] == [1000, 500]
    assert several.unallocated_minor == 0


def test_a_partial_payment_goes_to_the_invoice_named() -> None:
    invoice = item(1, "2024-0153", 12100, reference="RF18539007547034")
    match = best(line(5000, structured_reference="RF18539007547034"), [invoice])
    assert match.outcome is Outcome.PARTIAL
    assert match.allocations == (m.Allocation(1, "2024-0153", 5000),)
    assert "partial payment (EUR 50.00 of EUR 121.00)" in match.explanation
    assert match.is_sure()


def test_an_overpayment_pays_the_invoice_and_leaves_credit() -> None:
    invoice = item(1, "2024-0153", 12100, reference="RF18539007547034")
    match = best(
        line(13000, structured_reference="RF18539007547034", counterparty_iban=IBAN_KORENBLOEM),
        [invoice],
    )
    assert match.outcome is Outcome.OVERPAYMENT
    assert match.allocations == (m.Allocation(1, "2024-0153", 12100),)
    assert match.unallocated_minor == 900
    assert "pays EUR 9.00 more: credit on account" in match.explanation
    assert match.is_sure()


def test_a_known_payer_without_open_items_pays_on_account() -> None:
    korenbloem = KnownCustomer(1, "Bakkerij De Korenbloem B.V.", frozenset({IBAN_KORENBLOEM}))
    match = best(
        line(5000, counterparty_iban=IBAN_KORENBLOEM, counterparty_name="BAKKERIJ DE KORENBLOEM"),
        [],
        customers=[korenbloem],
    )
    assert match.outcome is Outcome.ON_ACCOUNT
    assert match.customer_id == 1
    assert match.unallocated_minor == 5000
    assert match.is_sure()


def test_money_that_fits_no_item_of_a_known_payer_goes_to_a_person() -> None:
    match = best(line(4321, counterparty_iban=IBAN_KORENBLOEM), [item(1, "2024000153", 5000)])
    assert match.outcome is Outcome.ON_ACCOUNT
    assert not match.is_sure()


def test_an_unknown_payer_is_queued() -> None:
    match = best(line(5000, counterparty_name="X. Onbekend", remittance="bestelling"), [])
    assert match.outcome is Outcome.UNKNOWN_PAYER
    assert match.confidence == 0
    assert not match.is_sure(Decimal(0))


def test_only_the_amount_is_a_suggestion_not_a_match() -> None:
    items = [
        item(1, "2024000153", 5000, ibans=frozenset()),
        item(2, "2024000999", 5000, customer_id=2, name="Slagerij Vos", ibans=frozenset()),
    ]
    ranked = match_line(line(5000, counterparty_name="Q. Niemand"), items)
    assert ranked[0].explanation.startswith("only the amount fits invoice")
    assert ranked[0].confidence == Decimal("0.150")  # 0.30 shared by two
    assert "fits about as well" in ranked[0].explanation


def test_wrong_reference_but_right_amount_and_iban() -> None:
    paid_before = generate("rf", "2024000100")  # the reference of last month's invoice
    items = [item(1, "2024000153", 5000), item(2, "2024000154", 7000)]
    match = best(
        line(7000, structured_reference=paid_before, counterparty_iban=IBAN_KORENBLOEM), items
    )
    assert match.allocations[0].invoice_id == 2
    assert "the structured reference names no open invoice" in match.explanation
    assert match.is_sure()


def test_a_reference_to_another_customers_invoice_is_a_conflict() -> None:
    foreign = item(
        9, "2024000999", 9900, customer_id=2, name="Slagerij Vos", ibans=frozenset({IBAN_OTHER})
    )
    own = item(1, "2024000153", 5000)
    ranked = match_line(
        line(
            5000, structured_reference=foreign.payment_reference, counterparty_iban=IBAN_KORENBLOEM
        ),
        [foreign, own],
    )
    assert not ranked[0].is_sure()
    texts = " | ".join(x.explanation for x in ranked)
    assert "but the payer IBAN is known for Bakkerij De Korenbloem B.V." in texts
    assert "but the structured reference names another invoice" in texts


def test_an_iban_shared_by_two_customers_identifies_neither_for_sure() -> None:
    items = [
        item(1, "2024000153", 5000, ibans=frozenset({IBAN_OTHER})),
        item(2, "2024000999", 6000, customer_id=2, name="Vos", ibans=frozenset({IBAN_OTHER})),
    ]
    match = best(line(6000, counterparty_iban=IBAN_OTHER), items)
    assert match.allocations[0].invoice_id == 2
    assert "shared by 2 customers" in match.explanation
    assert not match.is_sure()


def test_items_in_another_currency_or_already_paid_are_not_candidates() -> None:
    items = [item(1, "2024000153", 5000, currency="USD"), item(2, "2024000154", 0)]
    match = best(line(5000, remittance="2024000153 2024000154"), items)
    assert match.outcome is Outcome.UNKNOWN_PAYER


def test_a_customer_given_twice_keeps_all_its_ibans() -> None:
    extra = KnownCustomer(1, "Bakkerij De Korenbloem B.V.", frozenset({IBAN_OTHER}))
    match = best(
        line(5000, counterparty_iban=IBAN_OTHER), [item(1, "2024000153", 5000)], customers=[extra]
    )
    assert match.allocations[0].invoice_id == 1
    assert match.is_sure()


def test_the_same_booking_found_twice_is_listed_once() -> None:
    # named by number and found by amount through the IBAN: one suggestion, the stronger one
    invoice = item(1, "2024000153", 5000)
    ranked = match_line(
        line(5000, remittance="2024000153", counterparty_iban=IBAN_KORENBLOEM), [invoice]
    )
    assert len([x for x in ranked if x.allocations]) == 1
    assert ranked[0].confidence == Decimal("0.996")  # 1 - 0.07 * 0.4 * 0.15


def test_a_resembling_name_helps_but_does_not_decide() -> None:
    invoice = item(1, "2024000153", 5000, name="Jan Jansen", ibans=frozenset())
    match = best(line(5000, counterparty_name="HR J. JANSEN"), [invoice])
    assert "payer name 'HR J. JANSEN' resembles Jan Jansen" in match.explanation
    assert not match.is_sure()


def test_a_payment_below_the_first_of_several_named_invoices_pays_only_that_one() -> None:
    items = [
        item(1, "2024000151", 1000, ibans=frozenset(), due=date(2024, 1, 1)),
        item(2, "2024000152", 2000, ibans=frozenset(), due=date(2024, 1, 2)),
    ]
    ranked = match_line(line(500, remittance="facturen 2024000151 2024000152"), items)
    several = next(x for x in ranked if x.outcome is Outcome.SEVERAL_INVOICES)
    assert several.allocations == (m.Allocation(1, "2024000151", 500),)


def test_invoices_named_together_and_found_by_the_sum_are_one_suggestion() -> None:
    items = [item(1, "2024000151", 1000), item(2, "2024000152", 2000)]
    ranked = match_line(
        line(3000, remittance="2024000151 2024000152", counterparty_iban=IBAN_KORENBLOEM), items
    )
    assert [a.invoice_id for a in ranked[0].allocations] == [1, 2]
    assert len([x for x in ranked if len(x.allocations) == 2]) == 1


def test_two_customers_on_one_iban_without_items_cannot_be_told_apart() -> None:
    shared = frozenset({IBAN_OTHER})
    ranked = match_line(
        line(5000, counterparty_iban=IBAN_OTHER),
        [],
        customers=[KnownCustomer(1, "Vos", shared), KnownCustomer(2, "Vos en Zn", shared)],
    )
    assert ranked[0].outcome is Outcome.ON_ACCOUNT
    assert ranked[0].explanation.endswith("but on account fits about as well")


# -- a reference that settles the line ---------------------------------------------------------
def test_a_checked_reference_and_the_exact_amount_settle_the_line() -> None:
    named = item(1, "2024-0153", 12100)
    paid = line(12100, structured_reference=named.payment_reference)
    assert m.settled_by_reference(paid, [named], payer_customers=[]) == named
    assert m.settled_by_reference(paid, [named], payer_customers=[1]) == named


def test_no_settling_by_reference_when_anything_is_in_doubt() -> None:
    named = item(1, "2024-0153", 12100)
    reference = named.payment_reference
    twin = item(2, "2024-0154", 12100, reference=reference)
    assert m.settled_by_reference(line(6000, structured_reference=reference), [named], []) is None
    assert m.settled_by_reference(line(12100, remittance="2024-0153"), [named], []) is None
    assert m.settled_by_reference(line(12100, structured_reference=reference), [named], [7]) is None
    assert (
        m.settled_by_reference(line(12100, structured_reference=reference), [named, twin], [])
        is None
    )
    sure = line(12100, structured_reference=reference)
    assert m.settled_by_reference(sure, [named], [], threshold=Decimal("0.995")) is None


def test_the_strengths_keep_a_settling_reference_beyond_any_rival() -> None:
    assert m.REFERENCE_SETTLES
    assert m.REFERENCE_AND_AMOUNT >= m.DEFAULT_THRESHOLD


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    others=st.lists(
        st.tuples(
            st.sampled_from([1, 1, 1, 2, 3]),  # customer: mostly the payer's own
            st.sampled_from([12100, 12100, 6050, 6050, 3000, 24200, 999]),  # open amount
            st.sampled_from(["", "typo", "number"]),  # how the text names it
        ),
        max_size=12,
    ),
    payer_known=st.booleans(),
    name=st.sampled_from(["BAKKERIJ DE KORENBLOEM", "J. Jansen", ""]),
)
def test_a_settling_reference_gives_the_same_best_match_whatever_else_is_open(
    others: list[tuple[int, int, str]], payer_known: bool, name: str
) -> None:
    """What lets the service skip fetching a customer's other open items for such lines. As in
    the service, the payer's IBAN reaches the scoring through the known customers only."""
    named = item(1, "20240153", 12100, ibans=frozenset())
    text = []
    everything = [named]
    for n, (customer_id, amount, how) in enumerate(others, start=2):
        number = f"2024{1000 + n:04d}"
        everything.append(
            item(
                n,
                number,
                amount,
                customer_id=customer_id,
                name=f"Klant {customer_id}",
                ibans=frozenset(),
            )  # fmt: skip
        )
        if how == "number":
            text.append(number)
        elif how == "typo":
            text.append(number[:-1] + str((int(number[-1]) + 1) % 10))
    paid = line(
        12100,
        structured_reference=named.payment_reference,
        remittance=" ".join(text),
        counterparty_name=name,
        counterparty_iban=IBAN_KORENBLOEM if payer_known else "",
    )
    known = [KnownCustomer(1, named.customer_name, frozenset({IBAN_KORENBLOEM}))]
    payers = [1] if payer_known else []
    named_items = [named] + [i for i in everything[1:] if m.number_key(i.number) in text]
    assert m.settled_by_reference(paid, named_items, payers) == named
    alone = match_line(paid, named_items, customers=known if payer_known else [])[0]
    full = match_line(paid, everything, customers=known if payer_known else [])[0]
    assert (alone.allocations, alone.confidence, alone.explanation) == (
        full.allocations,
        full.confidence,
        full.explanation,
    )
    assert alone.is_sure()
