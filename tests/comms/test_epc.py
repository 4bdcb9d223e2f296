"""The EPC QR payload, field by field, against EPC069-12 version 002."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vorder.comms.epc import epc_payload, epc_qr_data_uri, structured_reference


def test_payload_with_an_rf_reference_uses_the_structured_field():
    payload = epc_payload(
        name="Acme Groothandel B.V.",
        iban="NL91 ABNA 0417 1643 00",
        bic="abnanl2a",
        amount=Decimal("1547.02"),
        reference="RF18 5390 0754 7034",
        text="D10001 2026-00017",
    )
    assert payload.split("\n") == [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        "ABNANL2A",
        "Acme Groothandel B.V.",
        "NL91ABNA0417164300",
        "EUR1547.02",
        "",  # purpose
        "RF18539007547034",  # structured creditor reference
    ]  # the unstructured text is left off: only one of the two may be given


def test_belgian_ogm_goes_in_as_its_twelve_digits():
    assert structured_reference("+++123/4567/89002+++") == "123456789002"


def test_free_text_and_dutch_betalingskenmerk_go_in_the_unstructured_field():
    payload = epc_payload(
        name="Acme",
        iban="NL91ABNA0417164300",
        amount=Decimal("12.30"),
        reference="5000056789012345",
    )
    lines = payload.split("\n")
    assert lines[7] == "EUR12.30"
    assert lines[9] == ""
    assert lines[10] == "5000056789012345"


def test_nothing_to_pay_leaves_the_amount_empty_and_long_names_are_cut():
    payload = epc_payload(name="X" * 90, iban="NL91ABNA0417164300", amount=Decimal("0"), text="D1")
    lines = payload.split("\n")
    assert lines[5] == "X" * 70
    assert lines[7] == ""
    assert lines[10] == "D1"


def test_only_euro():
    with pytest.raises(ValueError, match="euro"):
        epc_payload(name="A", iban="GB33BUKB20201555555555", amount=Decimal(1), currency="GBP")


def test_symbol_is_a_png():
    assert epc_qr_data_uri("BCD\n002\n1\nSCT\n\nA\nNL91ABNA0417164300").startswith(
        "data:image/png;base64,"
    )
