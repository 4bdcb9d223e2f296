"""The SEPA rules themselves: identifiers, TARGET2 days, lead times, expiry, return codes."""

from __future__ import annotations

import datetime as dt

import pytest

from vorder.banking.directdebit.rules import (
    SepaRuleError,
    add_months,
    collection_date_check,
    creditor_identifier_validate,
    mandate_expires_on,
    return_reason,
    sepa_identifier,
    sepa_text,
    target2_add_business_days,
    target2_closed_reason,
)


@pytest.mark.parametrize(
    "identifier",
    ["NL08ZZZ502057730000", "nl08 zzz 502057730000", "BE68ZZZ0123456789", "DE98ZZZ09999999999"],
)
def test_a_valid_creditor_identifier_is_kept_compact(identifier):
    assert " " not in creditor_identifier_validate(identifier)


@pytest.mark.parametrize(
    "identifier",
    ["NL09ZZZ502057730000", "NL98ZZZ999999999999", "BE68ZZZ0123456788", "ZZZ", ""],
)
def test_a_creditor_identifier_with_wrong_check_digits_is_refused(identifier):
    with pytest.raises(SepaRuleError, match="not a valid SEPA creditor identifier"):
        creditor_identifier_validate(identifier)


def test_mandate_ids_keep_to_the_sepa_character_set():
    assert sepa_identifier(" MND-2024/001 ") == "MND-2024/001"
    for bad in ("MND_001", "M" * 36, "/MND", "MND//1", "MND/", "Mandaat€1", ""):
        with pytest.raises(SepaRuleError):
            sepa_identifier(bad, "mandate id")


def test_names_are_transliterated_for_the_banks():
    assert sepa_text("Brasserie L'Écluse & Fils", 70) == "Brasserie L'Ecluse + Fils"
    assert sepa_text("Müller_Straße GmbH", 70) == "Muller Strasse GmbH"
    assert len(sepa_text("x" * 200, 70)) == 70


def test_target2_is_closed_on_weekends_and_its_six_holidays():
    assert target2_closed_reason(dt.date(2026, 4, 3)) == "a TARGET2 holiday (Good Friday)"
    assert "Easter Monday" in target2_closed_reason(dt.date(2026, 4, 6))
    assert target2_closed_reason(dt.date(2026, 5, 1))
    assert target2_closed_reason(dt.date(2026, 12, 26))
    assert target2_closed_reason(dt.date(2026, 11, 21)) == "a weekend"
    # Dutch King's Day and Belgian national day are ordinary TARGET2 days.
    assert target2_closed_reason(dt.date(2026, 4, 27)) is None
    assert target2_closed_reason(dt.date(2026, 7, 21)) is None


def test_business_days_skip_easter():
    assert target2_add_business_days(dt.date(2026, 4, 2), 1) == dt.date(2026, 4, 7)
    assert target2_add_business_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)
    assert target2_add_business_days(dt.date(2026, 11, 21), 0) == dt.date(2026, 11, 23)


def test_a_collection_needs_one_business_day_of_lead_time():
    collection_date_check(
        submitted_on=dt.date(2026, 11, 20), collection_date=dt.date(2026, 11, 23), lead_days=1
    )
    with pytest.raises(SepaRuleError, match="too soon.*earliest collection date is 2026-11-23"):
        collection_date_check(
            submitted_on=dt.date(2026, 11, 20), collection_date=dt.date(2026, 11, 20), lead_days=1
        )
    with pytest.raises(SepaRuleError, match="earliest collection date is 2026-11-25"):
        collection_date_check(
            submitted_on=dt.date(2026, 11, 20), collection_date=dt.date(2026, 11, 24), lead_days=3
        )


def test_a_collection_on_good_friday_is_refused_with_the_next_day_named():
    with pytest.raises(SepaRuleError) as exc:
        collection_date_check(
            submitted_on=dt.date(2026, 3, 30), collection_date=dt.date(2026, 4, 3), lead_days=1
        )
    assert str(exc.value) == (
        "collection date 2026-04-03 is a TARGET2 holiday (Good Friday): banks settle direct "
        "debits on TARGET2 business days only; the next one is 2026-04-07"
    )


def test_a_mandate_unused_for_36_months_expires():
    assert mandate_expires_on(signed_on=dt.date(2020, 1, 31), last_collection_on=None) == dt.date(
        2023, 1, 31
    )
    assert mandate_expires_on(
        signed_on=dt.date(2020, 1, 31), last_collection_on=dt.date(2023, 5, 31)
    ) == dt.date(2026, 5, 31)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


def test_return_codes_say_whether_the_mandate_is_gone():
    for code in ("MD01", "MD07", "AC04", "md01 "):
        assert return_reason(code).mandate_gone, code
    for code in ("AM04", "MD06", "MS02", "ZZ99"):
        assert not return_reason(code).mandate_gone, code
    assert return_reason("AM04").description == "insufficient funds"
    assert return_reason("ZZ99").description == "reason code not known to vorder"
