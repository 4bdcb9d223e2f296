"""SEPA direct debit as a credit manager runs it: mandates, the monthly collection file, the
bank's credit for it, and the collections that come back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from lxml import etree

from tests.factories import CustomerFactory, InvoiceFactory
from vorder.banking.directdebit.models import (
    DirectDebitBatch,
    DirectDebitCollection,
    Mandate,
)
from vorder.banking.directdebit.pain008 import Pain008Invalid, pain008_validate
from vorder.banking.directdebit.selectors import recent_returns
from vorder.banking.directdebit.services import (
    DirectDebitError,
    MandateError,
    ReturnNotice,
    creditor_sepa_settings_set,
    directdebit_batch_create,
    directdebit_batch_settle,
    directdebit_returns_apply,
    mandate_amend,
    mandate_create,
    mandate_revoke,
)
from vorder.ledger.models import (
    Allocation,
    CustomerBankAccount,
    Invoice,
    InvoiceInstalment,
    Payment,
)

pytestmark = pytest.mark.django_db

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
AS_OF = dt.date(2026, 11, 20)  # a Friday: the file goes to the bank
COLLECT = dt.date(2026, 11, 24)  # the Tuesday after
RABO = "NL44RABO0123456789"
INGB = "NL20INGB0001234567"


@pytest.fixture(autouse=True)
def documents(settings, tmp_path):
    """Collection files go to a temporary documents folder, not the installation's."""
    settings.MEDIA_ROOT = tmp_path / "documents"
    return settings.MEDIA_ROOT


@pytest.fixture
def sepa(creditor):
    return creditor_sepa_settings_set(creditor=creditor, creditor_identifier="NL08ZZZ502057730000")


def add_mandate(customer, mandate_id="MND-0001", iban=RABO, **kwargs):
    return mandate_create(
        creditor=customer.creditor,
        customer=customer,
        mandate_id=mandate_id,
        signed_on=kwargs.pop("signed_on", dt.date(2025, 6, 1)),
        debtor_iban=iban,
        as_of=kwargs.pop("as_of", AS_OF),
        **kwargs,
    )


def invoice(customer, number, due, gross_minor=12100, **kwargs):
    return InvoiceFactory(
        customer=customer,
        number=number,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        net_minor=gross_minor,
        vat_minor=0,
        **kwargs,
    )


def parse(xml: bytes):
    return etree.fromstring(xml)


def texts(root, path):
    return [e.text for e in root.findall(path, NS)]


def create(creditor, collection_date=COLLECT, **kwargs):
    return directdebit_batch_create(
        creditor=creditor,
        collection_date=collection_date,
        as_of=kwargs.pop("as_of", AS_OF),
        **kwargs,
    )


# -- mandates ---------------------------------------------------------------------------------
def test_a_mandate_links_the_debtor_account_to_the_customer(customer):
    mandate = add_mandate(customer, iban="nl44 rabo 0123 4567 89")
    assert (mandate.debtor_iban, mandate.debtor_bic) == (RABO, "RABONL2U")
    assert mandate.sequence_type == "FRST"
    assert mandate.status == Mandate.Status.ACTIVE
    assert mandate.debtor_name == "Bakkerij De Korenbloem"
    assert CustomerBankAccount.objects.filter(
        customer=customer, iban=RABO, source="mandate"
    ).exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"iban": "NL44RABO0123456780"}, "debtor_iban", "not a valid IBAN"),
        ({"debtor_bic": "RABONL"}, "debtor_bic", "not a valid BIC"),
        ({"mandate_id": "MND_0001"}, "mandate_id", "must be 1 to 35 characters"),
        ({"signed_on": dt.date(2026, 12, 1)}, "signed_on", "after today"),
        ({"iban": "GB33BUKB20201555555555", "scheme": "XYZ"}, "scheme", "not one of"),
    ],
)
def test_a_mandate_with_bad_details_is_refused_by_field(customer, kwargs, field, message):
    with pytest.raises(MandateError) as exc:
        add_mandate(customer, **kwargs)
    assert message in exc.value.errors[field]
    assert not Mandate.objects.exists()


def test_consumers_cannot_sign_b2b_mandates_and_customers_have_one_active_mandate(creditor):
    consumer = CustomerFactory(creditor=creditor, kind="b2c")
    with pytest.raises(MandateError, match="B2B scheme is for businesses only"):
        add_mandate(consumer, scheme="B2B")
    add_mandate(consumer)
    with pytest.raises(MandateError, match="has active mandate MND-0001"):
        add_mandate(consumer, mandate_id="MND-0002")
    other = CustomerFactory(creditor=creditor)
    with pytest.raises(MandateError, match="mandate id 'MND-0001' is used already"):
        add_mandate(other)


def test_an_amendment_cannot_take_a_mandate_id_another_mandate_has(creditor):
    first = add_mandate(CustomerFactory(creditor=creditor))
    add_mandate(CustomerFactory(creditor=creditor), mandate_id="MND-0002", iban=INGB)
    with pytest.raises(MandateError, match="mandate id 'MND-0002' is used already"):
        mandate_amend(mandate=first, mandate_id="MND-0002", as_of=dt.date(2026, 6, 1))
    # its own id again is no change, not a conflict
    assert mandate_amend(mandate=first, mandate_id="MND-0001", as_of=dt.date(2026, 6, 1)) == first


def test_a_mandate_cannot_be_revoked_before_it_was_signed(creditor, customer):
    mandate = add_mandate(customer, signed_on=dt.date(2025, 6, 1))
    with pytest.raises(MandateError, match="before the mandate was signed"):
        mandate_revoke(mandate=mandate, on=dt.date(2025, 5, 31), reason="typo")
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE


def test_a_bad_creditor_identifier_is_refused(creditor):
    with pytest.raises(DirectDebitError, match="not a valid SEPA creditor identifier"):
        creditor_sepa_settings_set(creditor=creditor, creditor_identifier="NL09ZZZ502057730000")


# -- the collection file -----------------------------------------------------------------------
@pytest.fixture
def portfolio(creditor, customer, sepa):
    """Bakkerij De Korenbloem (mandate) owes two due invoices and one due later; a second
    customer has no mandate, a third a revoked one."""
    add_mandate(customer)
    due1 = invoice(customer, "F-1", dt.date(2026, 10, 31), 12100)
    due2 = invoice(customer, "F-2", COLLECT, 5050, payment_reference="")
    invoice(customer, "F-3", dt.date(2026, 12, 31), 9900)
    invoice(customer, "F-0", dt.date(2026, 9, 30), 4000, open_minor=0, status="paid")
    no_mandate = CustomerFactory(creditor=creditor)
    invoice(no_mandate, "F-4", dt.date(2026, 10, 1))
    revoked = CustomerFactory(creditor=creditor)
    mandate_revoke(mandate=add_mandate(revoked, "MND-0002", INGB), on=AS_OF, reason="opgezegd")
    invoice(revoked, "F-5", dt.date(2026, 10, 1))
    return due1, due2


def test_the_file_collects_what_is_due_from_customers_with_a_mandate(creditor, portfolio):
    result = create(creditor)
    assert [c.item.invoice_number for c in result.collections] == ["F-1", "F-2"]
    batch = result.batch
    assert batch.status == "created"
    assert batch.total_minor == 17150
    assert batch.transactions == 2
    assert batch.file.name.startswith("directdebit/")
    assert batch.file.name.endswith(".xml")
    with batch.file.open("rb") as f:
        assert f.read() == result.xml
    root = parse(result.xml)
    assert texts(root, ".//p:GrpHdr/p:NbOfTxs") == ["2"]
    assert texts(root, ".//p:GrpHdr/p:CtrlSum") == ["171.50"]
    assert texts(root, ".//p:PmtInf/p:CtrlSum") == ["171.50"]
    assert texts(root, ".//p:InstdAmt") == ["121.00", "50.50"]
    assert texts(root, ".//p:ReqdColltnDt") == ["2026-11-24"]
    assert texts(root, ".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id") == ["NL08ZZZ502057730000"]
    assert texts(root, ".//p:MndtId") == ["MND-0001", "MND-0001"]
    assert texts(root, ".//p:DbtrAcct/p:Id/p:IBAN") == [RABO, RABO]


def test_the_file_follows_the_official_xsd(creditor, portfolio, shared_dir):
    result = create(creditor)
    pain008_validate(result.xml)  # the copy shipped with vorder
    schema = etree.XMLSchema(
        etree.parse(str(shared_dir / "corpus/pain008/xsd/pain.008.001.02.xsd"))
    )
    assert schema.validate(parse(result.xml)), schema.error_log


def test_remittance_carries_the_structured_reference_or_the_invoice_number(creditor, portfolio):
    due1, _ = portfolio
    root = parse(create(creditor).xml)
    first, second = root.findall(".//p:RmtInf", NS)
    assert first.findtext("p:Strd/p:CdtrRefInf/p:Ref", namespaces=NS) == due1.payment_reference
    assert first.findtext("p:Strd/p:CdtrRefInf/p:Tp/p:Issr", namespaces=NS) == "ISO"
    assert first.findtext("p:Strd/p:CdtrRefInf/p:Tp/p:CdOrPrtry/p:Cd", namespaces=NS) == "SCOR"
    assert second.findtext("p:Ustrd", namespaces=NS) == "Factuur F-2"


def test_belgian_ogm_goes_as_twelve_digits_issued_by_bba(creditor, customer, sepa):
    add_mandate(customer, iban="BE68539007547034")
    invoice(customer, "B-1", dt.date(2026, 11, 1), payment_reference="+++090/9337/55493+++")
    root = parse(create(creditor).xml)
    assert texts(root, ".//p:CdtrRefInf/p:Ref") == ["090933755493"]
    assert texts(root, ".//p:CdtrRefInf/p:Tp/p:Issr") == ["BBA"]
    assert texts(root, ".//p:DbtrAgt//p:Id") == ["NOTPROVIDED"]  # no BIC known for this IBAN


def test_a_dutch_betalingskenmerk_goes_issued_by_currence(creditor, customer, sepa):
    add_mandate(customer)
    invoice(customer, "N-1", dt.date(2026, 11, 1), payment_reference="5000056789012345")
    root = parse(create(creditor).xml)
    assert texts(root, ".//p:CdtrRefInf/p:Ref") == ["5000056789012345"]
    assert texts(root, ".//p:CdtrRefInf/p:Tp/p:Issr") == ["CUR"]


def test_a_second_run_for_the_same_date_collects_nothing_twice(creditor, portfolio):
    first = create(creditor)
    again = create(creditor)
    assert len(first.collections) == 2
    assert again.collections == []
    assert again.batch is None
    assert again.xml is None
    assert DirectDebitBatch.objects.count() == 1
    assert DirectDebitCollection.objects.count() == 2


def test_the_database_refuses_a_second_pending_collection_for_an_invoice(creditor, portfolio):
    collection = create(creditor).batch.collections.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        DirectDebitCollection.objects.create(
            creditor=creditor, batch=collection.batch, mandate=collection.mandate,
            invoice=collection.invoice, amount_minor=100, end_to_end_id="X-1",
            sequence_type="RCUR", remittance="x",
        )  # fmt: skip


def test_first_collection_goes_as_frst_then_the_mandate_is_recurrent(creditor, customer, sepa):
    add_mandate(customer)
    invoice(customer, "F-1", dt.date(2026, 11, 1))
    first = parse(create(creditor).xml)
    assert texts(first, ".//p:SeqTp") == ["FRST"]
    mandate = Mandate.objects.get()
    assert (mandate.sequence_type, mandate.last_collection_on) == ("RCUR", COLLECT)

    # A month later: the old customer recurs, a new one starts; FRST and RCUR in their own blocks.
    newcomer = CustomerFactory(creditor=creditor, number="D20002")
    add_mandate(newcomer, "MND-0002", INGB)
    invoice(customer, "F-2", dt.date(2026, 12, 1), 2000)
    invoice(newcomer, "F-3", dt.date(2026, 12, 1), 3000)
    invoice(newcomer, "F-4", dt.date(2026, 12, 2), 4000)
    second = parse(create(creditor, dt.date(2026, 12, 22), as_of=dt.date(2026, 12, 18)).xml)
    blocks = second.findall(".//p:PmtInf", NS)
    assert [b.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS) for b in blocks] == ["FRST", "RCUR"]
    assert [b.findtext("p:NbOfTxs", namespaces=NS) for b in blocks] == ["2", "1"]
    assert [b.findtext("p:CtrlSum", namespaces=NS) for b in blocks] == ["70.00", "20.00"]
    assert texts(second, ".//p:GrpHdr/p:CtrlSum") == ["90.00"]
    assert len(set(texts(second, ".//p:PmtInfId"))) == 2
    assert set(Mandate.objects.values_list("sequence_type", flat=True)) == {"RCUR"}


def test_a_dry_run_builds_a_valid_file_and_records_nothing(creditor, portfolio):
    result = create(creditor, dry_run=True)
    pain008_validate(result.xml)
    assert len(result.collections) == 2
    assert result.batch is None
    assert not DirectDebitBatch.objects.exists()
    assert not DirectDebitCollection.objects.exists()
    assert Mandate.objects.get(mandate_id="MND-0001").sequence_type == "FRST"


@pytest.mark.parametrize(
    ("as_of", "collection_date", "message"),
    [
        (dt.date(2026, 3, 30), dt.date(2026, 4, 3), "is a TARGET2 holiday (Good Friday)"),
        (dt.date(2026, 3, 30), dt.date(2026, 4, 6), "is a TARGET2 holiday (Easter Monday)"),
        (AS_OF, dt.date(2026, 11, 22), "is a weekend"),
        (AS_OF, AS_OF, "too soon: a file submitted on 2026-11-20 needs 1 TARGET2 business day"),
    ],
)
def test_a_collection_date_the_banks_refuse_is_refused_first(
    creditor, portfolio, as_of, collection_date, message
):
    with pytest.raises(DirectDebitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        create(creditor, collection_date, as_of=as_of)
    assert not DirectDebitBatch.objects.exists()


def test_without_a_creditor_identifier_nothing_is_collected(creditor, customer):
    with pytest.raises(DirectDebitError, match="no SEPA creditor identifier"):
        create(creditor)


def test_instalments_are_collected_as_they_fall_due(creditor, customer, sepa):
    add_mandate(customer)
    inv = invoice(customer, "F-9", dt.date(2026, 12, 31), 30000, has_instalments=True)
    for seq, (due, amount) in enumerate(
        [(dt.date(2026, 10, 31), 10000), (dt.date(2026, 11, 20), 10000),
         (dt.date(2026, 12, 31), 10000)], start=1,
    ):  # fmt: skip
        InvoiceInstalment.objects.create(
            invoice=inv, sequence=seq, due_date=due, amount_minor=amount, open_minor=amount
        )
    result = create(creditor)
    assert [c.item.amount_minor for c in result.collections] == [20000]


def test_a_mandate_unused_for_36_months_has_expired(creditor, customer, sepa):
    add_mandate(customer, signed_on=dt.date(2023, 11, 1))
    invoice(customer, "F-1", dt.date(2026, 11, 1))
    result = create(creditor)
    assert result.collections == []
    assert result.expired_mandates == ["MND-0001"]
    assert Mandate.objects.get().status == Mandate.Status.EXPIRED


def test_a_one_off_mandate_collects_once(creditor, customer, sepa):
    add_mandate(customer, sequence_type="OOFF")
    invoice(customer, "F-1", dt.date(2026, 11, 1))
    invoice(customer, "F-2", dt.date(2026, 11, 2))
    result = create(creditor)
    assert [c.item.invoice_number for c in result.collections] == ["F-1"]
    assert [s["invoice"] for s in result.skipped] == ["F-2"]
    assert texts(parse(result.xml), ".//p:SeqTp") == ["OOFF"]
    assert Mandate.objects.get().status == Mandate.Status.COMPLETED


def test_a_mandate_taken_over_from_another_system_is_collected_as_recurring(
    creditor, customer, sepa
):
    """Collected under before vorder: its first collection here is no FRST for the bank."""
    add_mandate(customer, sequence_type="RCUR")
    invoice(customer, "F-1", dt.date(2026, 11, 1))
    result = create(creditor)
    assert texts(parse(result.xml), ".//p:SeqTp") == ["RCUR"]


def test_a_mandate_sequence_must_be_a_starting_one(creditor, customer):
    with pytest.raises(MandateError, match="'FNAL' is not FRST"):
        add_mandate(customer, sequence_type="FNAL")


def test_an_amended_mandate_tells_the_bank_once(creditor, customer, sepa):
    mandate = add_mandate(customer)
    invoice(customer, "F-1", dt.date(2026, 11, 1))
    create(creditor, dt.date(2026, 11, 3), as_of=dt.date(2026, 11, 2))
    mandate_amend(mandate=mandate, debtor_iban=INGB, mandate_id="MND-0001-B", as_of=AS_OF)
    invoice(customer, "F-2", dt.date(2026, 11, 20))
    root = parse(create(creditor).xml)
    assert texts(root, ".//p:AmdmntInd") == ["true"]
    assert texts(root, ".//p:OrgnlMndtId") == ["MND-0001"]
    assert texts(root, ".//p:OrgnlDbtrAgt/p:FinInstnId/p:Othr/p:Id") == ["SMNDA"]
    pain008_validate(etree.tostring(root))
    mandate.refresh_from_db()
    assert not mandate.amendment_pending


# -- settlement and returns --------------------------------------------------------------------
@pytest.fixture
def settled(creditor, portfolio):
    batch = create(creditor).batch
    directdebit_batch_settle(batch=batch, on=COLLECT)
    return batch


def test_the_banks_credit_books_a_payment_per_collection(creditor, settled):
    f1, f2 = Invoice.objects.get(number="F-1"), Invoice.objects.get(number="F-2")
    assert (f1.status, f1.open_minor, f1.paid_on) == ("paid", 0, COLLECT)
    assert (f2.status, f2.open_minor) == ("paid", 0)
    payments = Payment.objects.filter(source="bank").order_by("number")
    assert [(p.amount_minor, p.unallocated_minor, p.payer_iban) for p in payments] == [
        (12100, 0, RABO), (5050, 0, RABO)
    ]  # fmt: skip
    assert set(settled.collections.values_list("status", flat=True)) == {"collected"}
    settled.refresh_from_db()
    assert (settled.status, settled.settled_on) == ("settled", COLLECT)
    again = directdebit_batch_settle(batch=settled, on=COLLECT)
    assert again.already_settled
    assert Payment.objects.count() == 2


def test_a_return_for_no_mandate_reopens_the_invoice_and_revokes_the_mandate(creditor, settled):
    collection = settled.collections.get(invoice__number="F-1")
    result = directdebit_returns_apply(
        creditor=creditor,
        returns=[
            ReturnNotice(collection.end_to_end_id, Decimal("121.00"), "MD01", dt.date(2026, 11, 27))
        ],
    )
    assert result.returned == [collection.end_to_end_id]
    assert result.reversed_allocations == 1
    assert result.revoked_mandates == ["MND-0001"]
    f1 = Invoice.objects.get(number="F-1")
    assert (f1.status, f1.open_minor, f1.paid_on) == ("open", 12100, None)
    assert not Payment.objects.filter(number=f"DD-{collection.end_to_end_id}").exists()
    assert Allocation.objects.filter(invoice=f1).count() == 0
    mandate = Mandate.objects.get(mandate_id="MND-0001")
    assert (mandate.status, mandate.return_reason) == ("revoked", "MD01")
    [row] = recent_returns(creditor=creditor, since=dt.date(2026, 11, 1))
    assert (row.invoice_number, row.reason_code, row.mandate_revoked) == ("F-1", "MD01", True)
    assert "no valid mandate" in row.reason
    # Applying the same return again changes nothing.
    again = directdebit_returns_apply(
        creditor=creditor,
        returns=[
            ReturnNotice(collection.end_to_end_id, Decimal("121.00"), "MD01", dt.date(2026, 11, 27))
        ],
    )
    assert again.already_returned == [collection.end_to_end_id]


def test_insufficient_funds_flags_the_customer_but_keeps_the_mandate(creditor, settled):
    collection = settled.collections.get(invoice__number="F-2")
    directdebit_returns_apply(
        creditor=creditor,
        returns=[
            ReturnNotice(collection.end_to_end_id, Decimal("50.50"), "AM04", dt.date(2026, 11, 26))
        ],
    )
    mandate = Mandate.objects.get(mandate_id="MND-0001")
    assert (mandate.status, mandate.returned_on, mandate.return_reason) == (
        "active", dt.date(2026, 11, 26), "AM04"
    )  # fmt: skip
    assert Invoice.objects.get(number="F-2").open_minor == 5050
    # The next run leaves the returned invoice to the collector.
    later = create(creditor, dt.date(2026, 12, 8), as_of=dt.date(2026, 12, 4))
    assert "F-2" not in [c.item.invoice_number for c in later.collections]


def test_a_return_before_settlement_books_nothing_and_settlement_skips_it(creditor, portfolio):
    batch = create(creditor).batch
    e2e = batch.collections.get(invoice__number="F-1").end_to_end_id
    result = directdebit_returns_apply(
        creditor=creditor,
        returns=[
            ReturnNotice(e2e, Decimal("121.00"), "AC04", COLLECT),
            ReturnNotice("VD-999-1", Decimal("1.00"), "AM04", COLLECT),
        ],
    )
    assert result.reversed_allocations == 0
    assert result.unknown == ["VD-999-1"]
    settle = directdebit_batch_settle(batch=batch, on=COLLECT)
    assert (settle.payments, settle.amount_minor) == (1, 5050)
    assert Invoice.objects.get(number="F-1").status == "open"


def test_a_return_with_another_amount_is_refused(creditor, settled):
    e2e = settled.collections.get(invoice__number="F-1").end_to_end_id
    with pytest.raises(DirectDebitError, match="amount 12.10 differs from the collected 121.00"):
        directdebit_returns_apply(
            creditor=creditor, returns=[ReturnNotice(e2e, Decimal("12.10"), "AM04", COLLECT)]
        )
    assert DirectDebitCollection.objects.get(end_to_end_id=e2e).status == "collected"


# -- the corpus ---------------------------------------------------------------------------------
def test_the_validator_accepts_the_php_sepa_xml_sample(shared_dir):
    pain008_validate(shared_dir / "corpus/pain008/phpsepaxml_pain.008.001.02.xml")


@pytest.mark.parametrize(
    "name",
    ["phpsepaxml_pain.008.001.08.xml", "sepaking_pain.008.003.02_german.xml"],
)
def test_the_validator_refuses_other_pain008_versions(shared_dir, name):
    with pytest.raises(Pain008Invalid, match="does not follow pain.008.001.02"):
        pain008_validate(shared_dir / "corpus/pain008" / name)
