"""Our own SEPA direct debits on the statement: the batch credit settles the collections, and a
collection that comes back reopens its invoice through the direct debit service."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.banking.statements import Entry, Tx, camt053
from tests.factories import InvoiceFactory
from vorder.banking.directdebit.models import DirectDebitCollection, Mandate
from vorder.banking.directdebit.services import (
    creditor_sepa_settings_set,
    directdebit_batch_create,
    mandate_create,
)
from vorder.banking.models import LineStatus, StatementLine
from vorder.banking.services import statements_import
from vorder.ledger.models import Invoice, Payment

AS_OF = dt.date(2026, 11, 20)
COLLECT = dt.date(2026, 11, 24)
RABO = "NL44RABO0123456789"


@pytest.fixture(autouse=True)
def documents(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "documents"


@pytest.fixture
def batch(creditor, customer):
    creditor_sepa_settings_set(creditor=creditor, creditor_identifier="NL08ZZZ502057730000")
    mandate_create(
        creditor=creditor, customer=customer, mandate_id="MND-0001",
        signed_on=dt.date(2025, 6, 1), debtor_iban=RABO, as_of=AS_OF,
    )  # fmt: skip
    for number, gross in (("F-1", 12100), ("F-2", 5050)):
        InvoiceFactory(
            customer=customer, number=number, issue_date=COLLECT - dt.timedelta(days=30),
            due_date=COLLECT, net_minor=gross, vat_minor=0,
        )  # fmt: skip
    result = directdebit_batch_create(creditor=creditor, collection_date=COLLECT, as_of=AS_OF)
    return result.batch


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_the_batch_credit_settles_each_collection_against_its_invoice(creditor, batch, tmp_path):
    credit = Entry(
        "171.50", ref="DD-1", booked="2026-11-24", code="PMNT/IDDT/ESDD",
        batch_ref=f"{batch.message_id[:26]}-CORE-FRST", txs=[Tx("171.50")],
    )  # fmt: skip
    path = _write(tmp_path, "day.xml", camt053([credit], opening="0", end="2026-11-24"))

    result = statements_import(creditor=creditor, files=[path])

    assert result.errors == []
    assert result.auto_matched == 1
    line = StatementLine.objects.get()
    assert line.status == LineStatus.MATCHED
    assert batch.message_id in line.explanation
    assert set(Invoice.objects.values_list("status", flat=True)) == {"paid"}
    assert sorted(Payment.objects.values_list("amount_minor", flat=True)) == [5050, 12100]


def test_a_returned_collection_reopens_its_invoice_and_flags_the_mandate(creditor, batch, tmp_path):
    collections = {c.invoice.number: c for c in batch.collections.select_related("invoice")}
    e2e = collections["F-1"].end_to_end_id
    credit = Entry(
        "171.50", ref="DD-1", booked="2026-11-24", code="PMNT/IDDT/ESDD",
        txs=[Tx("121.00", ref="A", end_to_end=e2e),
             Tx("50.50", ref="B", end_to_end=collections["F-2"].end_to_end_id)],
    )  # fmt: skip
    statements_import(
        creditor=creditor,
        files=[_write(tmp_path, "a.xml", camt053([credit], opening="0", end="2026-11-24"))],
    )
    back = Entry(
        "-121.00", ref="DD-2", booked="2026-11-27", code="PMNT/IDDT/UPDD",
        txs=[Tx("-121.00", end_to_end=e2e, return_reason="AM04")],
    )  # fmt: skip
    statement = camt053([back], opening="171.50", statement_id="S-2", start="2026-11-27",
                        end="2026-11-27")  # fmt: skip

    result = statements_import(creditor=creditor, files=[_write(tmp_path, "b.xml", statement)])

    assert result.errors == []
    assert result.returned == 1
    f1 = Invoice.objects.get(number="F-1")
    assert (f1.status, f1.open_minor) == ("open", 12100)
    assert Invoice.objects.get(number="F-2").status == "paid"
    assert DirectDebitCollection.objects.get(end_to_end_id=e2e).status == "returned"
    assert Mandate.objects.get().return_reason == "AM04"
    returned = StatementLine.objects.get(amount_minor=-12100)
    assert returned.reverses is not None
    assert returned.reverses.end_to_end_id == e2e
    assert "open again" in returned.explanation
