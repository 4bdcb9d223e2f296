"""Writing and validating pain.008.001.02 (SEPA direct debit initiation) files with lxml.

Why lxml and not the ``sepaxml`` package: sepaxml writes only unstructured remittance text, has no
mandate amendment details and stamps the file with the machine clock; a collection file must carry
the invoice's structured reference (RF, OGM, betalingskenmerk) so the debtor's bank statement
names the invoice, and it must be reproducible from its inputs. Every file is validated against the
official ISO 20022 XSD (shipped in ``schemas/``) before anyone can send it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from itertools import groupby
from pathlib import Path

from lxml import etree

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"
_NS = f"{{{NAMESPACE}}}"


class Pain008Invalid(ValueError):
    """The XML does not follow the pain.008.001.02 schema; the message lists line and reason."""


@dataclass(frozen=True, slots=True)
class Remittance:
    """Structured (a reference and its issuer: ISO for RF, BBA for OGM, CUR for the Dutch
    betalingskenmerk) or, when ``issuer`` is empty, unstructured text."""

    text: str
    issuer: str = ""


@dataclass(frozen=True, slots=True)
class Transaction:
    end_to_end_id: str
    amount: Decimal
    mandate_id: str
    mandate_signed_on: date
    debtor_name: str
    debtor_iban: str
    debtor_bic: str
    debtor_country: str
    remittance: Remittance
    sequence_type: str
    scheme: str
    original_mandate_id: str = ""
    original_debtor_iban: str = ""
    original_debtor_other_bank: bool = False


@dataclass(frozen=True, slots=True)
class Creditor:
    name: str
    iban: str
    bic: str
    identifier: str
    country: str


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    child = etree.SubElement(parent, _NS + tag, attrib)
    if text is not None:
        child.text = text
    return child


def _path(parent: etree._Element, path: str, text: str) -> etree._Element:
    """Create nested elements ``A/B/C`` and put ``text`` in the innermost."""
    node = parent
    for tag in path.split("/"):
        node = _el(node, tag)
    node.text = text
    return node


def _agent(parent: etree._Element, tag: str, bic: str) -> None:
    institution = _el(_el(parent, tag), "FinInstnId")
    if bic:
        _el(institution, "BIC", bic)
    else:  # IBAN-only, allowed for SEPA since 2016
        _path(institution, "Othr/Id", "NOTPROVIDED")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def pain008_build(
    *,
    message_id: str,
    created_at: datetime,
    creditor: Creditor,
    collection_date: date,
    transactions: Sequence[Transaction],
    currency: str = "EUR",
) -> bytes:
    """The file as bytes: one PmtInf block per (scheme, sequence type), FRST apart from RCUR.

    Transactions are grouped in the order given after a stable sort, so the same input always
    gives the same file.
    """
    if not transactions:
        raise ValueError("a collection file needs at least one transaction")
    root = etree.Element(_NS + "Document", nsmap={None: NAMESPACE})
    initiation = _el(root, "CstmrDrctDbtInitn")
    header = _el(initiation, "GrpHdr")
    _el(header, "MsgId", message_id)
    _el(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    _el(header, "NbOfTxs", str(len(transactions)))
    _el(header, "CtrlSum", _amount(sum((t.amount for t in transactions), Decimal(0))))
    _el(_el(header, "InitgPty"), "Nm", creditor.name)

    def block_key(t: Transaction) -> tuple[str, str]:
        return (t.scheme, t.sequence_type)

    ordered = sorted(transactions, key=block_key)
    for (scheme, sequence_type), group in groupby(ordered, key=block_key):
        block = list(group)
        info = _el(initiation, "PmtInf")
        _el(info, "PmtInfId", f"{message_id[:26]}-{scheme}-{sequence_type}")
        _el(info, "PmtMtd", "DD")
        _el(info, "BtchBookg", "true")
        _el(info, "NbOfTxs", str(len(block)))
        _el(info, "CtrlSum", _amount(sum((t.amount for t in block), Decimal(0))))
        payment_type = _el(info, "PmtTpInf")
        _path(payment_type, "SvcLvl/Cd", "SEPA")
        _path(payment_type, "LclInstrm/Cd", scheme)
        _el(payment_type, "SeqTp", sequence_type)
        _el(info, "ReqdColltnDt", collection_date.isoformat())
        party = _el(info, "Cdtr")
        _el(party, "Nm", creditor.name)
        _el(_el(party, "PstlAdr"), "Ctry", creditor.country)
        _path(info, "CdtrAcct/Id/IBAN", creditor.iban)
        _agent(info, "CdtrAgt", creditor.bic)
        _el(info, "ChrgBr", "SLEV")
        scheme_id = _el(_el(_el(_el(info, "CdtrSchmeId"), "Id"), "PrvtId"), "Othr")
        _el(scheme_id, "Id", creditor.identifier)
        _path(scheme_id, "SchmeNm/Prtry", "SEPA")
        for t in block:
            _transaction(info, t, currency)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _transaction(info: etree._Element, t: Transaction, currency: str) -> None:
    tx = _el(info, "DrctDbtTxInf")
    _path(tx, "PmtId/EndToEndId", t.end_to_end_id)
    _el(tx, "InstdAmt", _amount(t.amount), Ccy=currency)
    mandate = _el(_el(tx, "DrctDbtTx"), "MndtRltdInf")
    _el(mandate, "MndtId", t.mandate_id)
    _el(mandate, "DtOfSgntr", t.mandate_signed_on.isoformat())
    amended = bool(t.original_mandate_id or t.original_debtor_iban)
    _el(mandate, "AmdmntInd", "true" if amended else "false")
    if amended:
        details = _el(mandate, "AmdmntInfDtls")
        if t.original_mandate_id:
            _el(details, "OrgnlMndtId", t.original_mandate_id)
        if t.original_debtor_iban and t.original_debtor_other_bank:
            # Another bank: the EPC code SMNDA ("same mandate, new debtor agent").
            _path(details, "OrgnlDbtrAgt/FinInstnId/Othr/Id", "SMNDA")
        elif t.original_debtor_iban:
            _path(details, "OrgnlDbtrAcct/Id/IBAN", t.original_debtor_iban)
    _agent(tx, "DbtrAgt", t.debtor_bic)
    debtor = _el(tx, "Dbtr")
    _el(debtor, "Nm", t.debtor_name)
    if t.debtor_country:
        _el(_el(debtor, "PstlAdr"), "Ctry", t.debtor_country)
    _path(tx, "DbtrAcct/Id/IBAN", t.debtor_iban)
    remittance = _el(tx, "RmtInf")
    if t.remittance.issuer:
        reference = _el(_el(remittance, "Strd"), "CdtrRefInf")
        kind = _el(reference, "Tp")
        _path(kind, "CdOrPrtry/Cd", "SCOR")
        _el(kind, "Issr", t.remittance.issuer)
        _el(reference, "Ref", t.remittance.text)
    else:
        _el(remittance, "Ustrd", t.remittance.text)


# -- validation ------------------------------------------------------------------------------------
@cache
def _schema() -> etree.XMLSchema:
    source = resources.files(__package__).joinpath("schemas/pain.008.001.02.xsd")
    with resources.as_file(source) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def pain008_validate(xml: bytes | Path, *, name: str = "pain.008 file") -> None:
    """Raise Pain008Invalid with every schema error (line and message) when ``xml`` is invalid."""
    try:
        document = etree.parse(str(xml)) if isinstance(xml, Path) else etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        raise Pain008Invalid(f"{name}: not well-formed XML: {exc}") from exc
    schema = _schema()
    if not schema.validate(document):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        raise Pain008Invalid(f"{name} does not follow pain.008.001.02: {problems}")
