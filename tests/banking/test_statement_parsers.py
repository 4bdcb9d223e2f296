"""The statement parsers read what each bank writes, from the corpus of real fixtures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vorder.banking.parsers import StatementParseError, detect_format, parse_statement_file
from vorder.banking.parsers.camt053 import parse_camt053
from vorder.banking.parsers.coda import parse_coda
from vorder.banking.parsers.mt940 import parse_mt940


def _read(shared_dir, path: str) -> bytes:
    return (shared_dir / "corpus" / path).read_bytes()


# -- CAMT.053 ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["genkgo_camt053.v2.minimal.xml", "genkgo_camt053.v3.xml", "genkgo_camt053.v4.xml",
     "genkgo_camt053.v8.xml"],
)  # fmt: skip
def test_camt053_versions_02_to_08_read_alike(shared_dir, name):
    [statement] = parse_camt053(_read(shared_dir, f"camt053/{name}"))
    [line] = statement.lines
    assert statement.account == "NL26VAYB8060476890"
    assert line.amount == Decimal("8.85")
    assert line.currency == "EUR"
    assert line.counterparty_name == "NAME NAME"
    assert line.counterparty_iban == "NL56AGDH9619008421"
    assert line.creditor_reference == "4654654654654654"


def test_camt053_returns_and_reversals_are_flagged(shared_dir):
    [statement] = parse_camt053(_read(shared_dir, "camt053/viafintech_camt053.v4_postfinance.xml"))
    returns = [ln for ln in statement.lines if ln.is_return]
    assert len(returns) == 5
    assert sum(ln.is_reversal for ln in statement.lines) == 2
    assert {ln.return_reason for ln in returns} >= {"MD06"}


def test_camt053_a_batch_of_direct_debit_returns_is_split_with_reason(shared_dir):
    [statement] = parse_camt053(_read(shared_dir, "camt053/oca_test-camt053_abnamro-style.xml"))
    returned = [ln for ln in statement.lines if ln.is_return]
    assert [ln.amount for ln in returned] == [Decimal("-564.05"), Decimal("-100.00")]
    assert {ln.return_reason for ln in returned} == {"AC06"}
    assert {ln.batch_count for ln in returned} == {2}
    assert returned[0].mandate_id == "NL22ZZZ524885430000-C0125.1"


def test_camt053_swiss_batch_with_structured_references(shared_dir):
    path = "camt053/oca_test-camt053-txdtls_swiss-isr.xml"
    [statement] = parse_camt053(_read(shared_dir, path))
    assert [ln.amount for ln in statement.lines] == [Decimal("2187.00"), Decimal("1296.00")]
    assert statement.lines[0].creditor_reference == "302388292000011111111111111"


def test_camt053_a_booking_in_another_currency_keeps_the_original(shared_dir):
    [statement] = parse_camt053(_read(shared_dir, "camt053/viafintech_camt053.v8_ubs_fx.xml"))
    fx = statement.lines[-1]
    assert (fx.amount, fx.currency) == (Decimal("-19.69"), "CHF")
    assert (fx.original_amount, fx.original_currency) == (Decimal("-20.97"), "EUR")


def test_camt053_minified_without_booking_dates_uses_the_statement_date(shared_dir):
    path = "camt053/subite_camt053.v8_lt_batch_minified.xml"
    first, second = parse_camt053(_read(shared_dir, path))
    assert first.account == "LT625883379695428516"  # an Othr id, not an IBAN
    assert all(str(ln.booking_date) == "2024-03-14" for ln in first.lines)
    assert first.lines[0].notes


def test_camt053_without_statement_is_refused(shared_dir):
    with pytest.raises(StatementParseError, match="no <Stmt>"):
        parse_camt053(_read(shared_dir, "camt053/genkgo_camt053.v2.wrong-invalid.xml"))


def test_camt053_not_well_formed_names_the_line():
    with pytest.raises(StatementParseError) as info:
        parse_camt053(b"<Document>\n<BkToCstmrStmt>\n</Document>")
    assert info.value.line == 3


# -- MT940 ------------------------------------------------------------------------------------
def test_mt940_ing_structured_details_and_a_return(shared_dir):
    [statement] = parse_mt940(_read(shared_dir, "mt940/oca_ing.940"))
    first, _, returned, *_ = statement.lines
    assert first.end_to_end_id == "EV12341REP1231456T1234"
    assert first.counterparty_iban == "NL32INGB0000012345"
    assert first.counterparty_bic == "INGBNL2A"
    assert first.remittance_info == "EV10001REP1000000T1000"
    assert first.entry_reference == "00000000001005"  # wrapped over two lines by the bank
    assert returned.is_return
    assert returned.return_reason == "MS03"
    assert statement.lines[6].creditor_reference == "9001123412341234"


def test_mt940_the_old_ing_header_reads_the_same(shared_dir):
    [old] = parse_mt940(_read(shared_dir, "mt940/oca_ing-old-header.940"))
    assert old.account == "NL77INGB0574908765"
    assert len(old.lines) == 8


def test_mt940_abn_amro_style_fields_of_mollie(shared_dir):
    [statement] = parse_mt940(_read(shared_dir, "mt940/oca_mollie_abnamro-format.mt940"))
    line = statement.lines[0]
    assert (line.counterparty_name, line.counterparty_bic) == ("V. Oornaam", "RABONL2U")
    assert line.remittance_info == "Order 123"
    assert line.end_to_end_id


def test_mt940_rabobank_crlf_and_counterparty_iban_from_the_statement_line(shared_dir):
    statements = parse_mt940(_read(shared_dir, "mt940/oca_rabobank.swi"))
    assert len(statements) == 4  # one per :20:, each with its own balances
    line = statements[0].lines[0]
    assert line.counterparty_iban == "NL66RABO0160878799"
    assert line.counterparty_name == "R. SMITH"
    assert line.remittance_info.startswith("Test money paid by other partner")


def test_mt940_asn_puts_the_iban_in_the_customer_reference(shared_dir):
    statements = parse_mt940(_read(shared_dir, "mt940/wolph_asnbank.940.txt"))
    line = statements[0].lines[0]
    assert line.counterparty_iban == "NL47INGB9999999999"
    assert line.counterparty_name == "hr gjlm paulissen"


def test_mt940_code_page_852_and_soft_hyphens(shared_dir):
    [huf] = parse_mt940(_read(shared_dir, "mt940/wolph_raiffeisen-hu_huf.sta"))
    assert "á" in huf.lines[0].remittance_info + huf.lines[0].counterparty_name
    [ing] = parse_mt940(_read(shared_dir, "mt940/wolph_jejik_ing.sta"))  # U+00AD in dates
    assert str(ing.lines[0].booking_date) == "2010-07-22"


def test_mt940_german_returns_and_reversals(shared_dir):
    statements = parse_mt940(_read(shared_dir, "mt940/wolph_betterplace_german-sepa.sta"))
    lines = [ln for st in statements for ln in st.lines]
    assert sum(ln.is_return for ln in lines) >= 3
    assert any(ln.is_reversal and ln.amount < 0 for ln in lines)  # RC: reversal of a credit


def test_mt940_betalingskenmerk_in_free_text(shared_dir):
    statements = parse_mt940(_read(shared_dir, "mt940/wolph_jejik_rabobank-old.sta"))
    assert statements[2].lines[0].creditor_reference == "123456789"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("oca_wrong-file-invalid.940", "unknown tag ':9401:'"),
     ("wolph_mt942-interim.sta", "MT942"),
     ("oca_sns.940", "closing balance is missing")],
)  # fmt: skip
def test_mt940_files_that_are_not_statements_are_refused(shared_dir, name, reason):
    with pytest.raises(StatementParseError, match=reason):
        parse_mt940(_read(shared_dir, f"mt940/{name}"))


# -- CODA -------------------------------------------------------------------------------------
def test_coda_structured_communication_and_counterparty(shared_dir):
    [statement] = parse_coda(_read(shared_dir, "coda/oca_kbc_2012-01-11.coda"))
    ogm = statement.lines[1]
    assert ogm.amount == Decimal("3044.45")
    assert ogm.creditor_reference == "240283842818"
    assert ogm.structured_reference() == ("ogm", "+++240/2838/42818+++")
    assert (ogm.counterparty_name, ogm.counterparty_iban) == ("PARTNER 2", "BE61310126985517")


def test_coda_a_globalisation_without_details_is_flagged(shared_dir):
    path = "coda/acsone_Coda_v2_3_faulty_globalisation.coda"
    [statement] = parse_coda(_read(shared_dir, path))
    flagged = [ln for ln in statement.lines if ln.notes]
    assert [ln.amount for ln in flagged] == [Decimal("-5568.32")]
    assert "globalised amount without its details" in flagged[0].notes[0]


def test_coda_the_account_of_the_old_balance_record_is_used(shared_dir):
    [statement] = parse_coda(_read(shared_dir, "coda/acsone_Coda_v2_3_globalisation.coda"))
    assert statement.account == "BE12341676096039"
    assert "BE12301676096039" in statement.notes[0]


def test_coda_a_foreign_account(shared_dir):
    [statement] = parse_coda(_read(shared_dir, "coda/acsone_Coda_foreign_account.coda"))
    assert statement.account.startswith("FR")


def test_coda_other_versions_are_refused(shared_dir):
    with pytest.raises(StatementParseError, match="CODA version 5 is not supported"):
        parse_coda(_read(shared_dir, "coda/acsone_Coda_faulty_version.coda"))


def test_coda_trailer_totals_must_match(shared_dir):
    data = _read(shared_dir, "coda/acsone_Coda_v2_3_single_statement.coda")
    broken = data.replace(b"\n9               ", b"\n9               ", 1)
    lines = broken.split(b"\n")
    trailer = next(i for i, ln in enumerate(lines) if ln.startswith(b"9"))
    lines[trailer] = lines[trailer][:22] + b"999999999999999" + lines[trailer][37:]
    with pytest.raises(StatementParseError, match="trailer totals"):
        parse_coda(b"\n".join(lines))


# -- detection --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "kind"),
    [("camt053/oca_sftp_camt053.xml", "camt053"), ("camt053/oca_test-camt053.zip", "zip"),
     ("mt940/oca_rabobank.swi", "mt940"), ("mt940/wolph_asnbank.940.txt", "mt940"),
     ("coda/oca_kbc_2012-01-11.coda", "coda")],
)  # fmt: skip
def test_the_format_is_recognised_from_the_content(shared_dir, path, kind):
    assert detect_format(_read(shared_dir, path)) == kind


def test_a_zip_is_opened_and_its_files_named(shared_dir):
    parsed = parse_statement_file(_read(shared_dir, "camt053/oca_test-camt053.zip"), name="x.zip")
    assert [p.name for p in parsed] == ["x.zip!test-camt053_02.xml", "x.zip!test-camt053_03.xml"]


def test_camt053_with_a_namespace_prefix_reads_the_same():
    from tests.banking.statements import Entry, Tx, camt053

    plain = camt053([Entry("5.00", ref="R", txs=[Tx("5.00", name="Jansen")])], opening="1.00")
    prefixed = (
        plain.replace(b'xmlns="urn:', b'xmlns:c="urn:')
        .replace(b"<", b"<c:")
        .replace(b"<c:/", b"</c:")
        .replace(b"<c:?xml", b"<?xml")
    )
    [statement] = parse_camt053(prefixed)
    assert statement.closing.amount == Decimal("6.00")
    assert statement.lines[0].counterparty_name == "Jansen"
