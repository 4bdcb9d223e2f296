"""Every real statement file of ../shared/corpus either imports or is refused for a precise reason.

The corpus holds the fixtures of other parsers and banks' samples. Many were written to exercise a
parser, not to be a consistent statement: their balances do not add up, or a summary announces
entries the file does not hold. vorder refuses those with a reason a person can check by hand;
the table below says which and why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vorder.banking.models import BankStatement, StatementLine
from vorder.banking.services import statements_import

CORPUS_FOLDERS = ("camt053", "mt940", "coda")

REFUSED = {
    # camt053
    "genkgo_camt053.v2.all-balance-types.xml": "the balances do not add up",  # 1.01 + 8.85 ≠ 4.04
    "genkgo_camt053.v2.five-decimals.xml": "the balances do not add up",  # 18.15 + 8.85 ≠ 27.05
    "genkgo_camt053.v2.minimal.xml": "the closing balance is in SEK, the account in EUR",
    "genkgo_camt053.v3.xml": "the closing balance is in SEK, the account in EUR",
    "genkgo_camt053.v4.xml": "the closing balance is in SEK, the account in EUR",
    "genkgo_camt053.v8.xml": "the closing balance is in SEK, the account in EUR",
    "genkgo_camt053.v2.wrong-invalid.xml": "holds no <Stmt>",
    "oca_test-camt053_abnamro-style.xml": "the balances do not add up",
    "viafintech_camt053.v10_usd_datetime.xml": "the summary counts 14 entries but the file holds 1",
    "viafintech_camt053.v2_ing-nl_batch.xml": "the summary counts 35 entries but the file holds 3",
    "viafintech_camt053.v8_ubs_fx.xml": "the balances do not add up",
    # the ZIP holds two variants of the abnamro-style statement, which does not add up either
    "oca_test-camt053.zip": "the balances do not add up",
    # mt940
    "oca_sns.940": "the :62F: closing balance is missing",  # the third statement is cut off
    "oca_wrong-file-invalid.940": "unknown tag ':9401:'",
    "wolph_jejik_abnamro.sta": "the balances do not add up",
    "wolph_jejik_ing.sta": "the balances do not add up",
    "wolph_jejik_knab.sta": "the balances do not add up",
    "wolph_jejik_postfinance.sta": "the balances do not add up",
    "wolph_jejik_rabobank-old.sta": "the balances do not add up",
    "wolph_jejik_triodos.sta": "the balances do not add up",
    "wolph_raiffeisen-hu_huf.sta": "the balances do not add up",
    "wolph_mt942-interim.sta": "MT942 interim transaction report",
    # coda
    "acsone_Coda_faulty_version.coda": "CODA version 5 is not supported",
    "oca_kbc_2012-01-11.coda": "the balances do not add up",
}


def _corpus_files() -> list[Path]:
    root = Path(__file__).resolve().parents[3] / "shared" / "corpus"
    if not root.is_dir():
        return []
    return sorted(p for folder in CORPUS_FOLDERS for p in (root / folder).iterdir() if p.is_file())


def test_the_table_names_only_files_that_exist(shared_dir):
    names = {p.name for p in _corpus_files()}
    assert set(REFUSED) <= names


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_imports_or_is_refused_with_its_reason(shared_dir, creditor, path):
    result = statements_import(creditor=creditor, files=[path], create_accounts=True)
    if path.name in REFUSED:
        assert result.errors, f"{path.name} should be refused"
        assert REFUSED[path.name] in result.errors[0].message
        assert path.name in result.errors[0].file
        assert not BankStatement.objects.exists()  # all or nothing
        assert not StatementLine.objects.exists()
        return
    assert result.errors == []
    assert result.statements >= 1
    assert result.statements == BankStatement.objects.count()
    assert result.lines == StatementLine.objects.count()
    for statement in BankStatement.objects.all():
        booked = sum(statement.lines.values_list("amount_minor", flat=True))
        assert statement.opening_balance_minor + booked == statement.closing_balance_minor
