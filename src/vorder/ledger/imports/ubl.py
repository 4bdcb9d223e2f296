"""UBL 2.1 / Peppol BIS Billing 3.0 (and NLCIUS, UBL.BE) invoices and credit notes.

What vorder takes from an e-invoice (the full mapping is in docs/imports.md):

- number ``cbc:ID``, ``cbc:IssueDate``, due date from ``cbc:DueDate``, else
  ``cac:PaymentMeans/cbc:PaymentDueDate``, else "N days" in ``cac:PaymentTerms/cbc:Note``, else
  the customer's or creditor's payment term;
- currency ``cbc:DocumentCurrencyCode``: a non-EUR invoice stays in its own currency;
- amounts from ``cac:LegalMonetaryTotal``: gross is ``PayableAmount`` (what the buyer must pay,
  after prepaid amounts and rounding), VAT is the ``cac:TaxTotal/cbc:TaxAmount`` in the document
  currency, net is gross − VAT (equal to ``TaxExclusiveAmount`` unless something was prepaid);
- the buyer ``cac:AccountingCustomerParty`` becomes (or updates) the customer. Its debtor number
  is the first of: ``PartyIdentification/ID``, ``EndpointID``, ``PartyLegalEntity/CompanyID``,
  the VAT number, else ``UBL-`` + 10 hex digits of a hash of name and postal code (stable across
  imports). VAT, KvK (scheme 0106) or KBO (0208) numbers and email addresses that fail their
  checks are left out rather than refusing the supplier's own invoice;
- ``PaymentMeans/PaymentID`` becomes the payment reference when it is a structured reference (RF,
  OGM/VCS, betalingskenmerk); otherwise one is generated in the creditor's style;
- a CreditNote's ``BillingReference`` names the invoice it corrects (allocated to it when that
  invoice is in vorder);
- an Invoice with a negative total is a correction: it is imported as a credit note for the
  positive amount, its ``BillingReference`` naming the corrected invoice;
- the first embedded PDF (``AdditionalDocumentReference/Attachment/EmbeddedDocumentBinaryObject``
  with mimeCode application/pdf) is kept as the document file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree
from stdnum.eu import vat as eu_vat

from vorder.domain.money import exponent
from vorder.ledger.records import (
    CreditNoteRecord,
    CustomerRecord,
    FieldError,
    InvoiceRecord,
    RecordErrors,
    normalise_coc,
    parse_credit_note,
    parse_customer,
    parse_date,
    parse_invoice,
)

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
_ROOTS = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "CreditNote",
}
_COC_SCHEMES = {"0106": "NL", "0208": "BE"}  # KvK, KBO/BCE
_TERM_DAYS = re.compile(r"(\d{1,3})\s*(?:days|dagen|jours|tage)", re.IGNORECASE)


class UblError(ValueError):
    """The file is not a UBL invoice or credit note vorder can read."""

    def __init__(self, message: str, *, line: int = 0, field: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.field = field


@dataclass(frozen=True)
class UblDocument:
    customer: CustomerRecord
    invoice: InvoiceRecord | None
    credit_note: CreditNoteRecord | None
    attachment: tuple[str, bytes] | None  # (file name, PDF bytes)
    lines: dict[str, int]  # canonical field → source line, to point errors at the XML

    @property
    def number(self) -> str:
        record = self.invoice or self.credit_note
        assert record is not None
        return record.number


def _first(node: etree._Element, path: str) -> etree._Element | None:
    return node.find(path, NS)


def _text(node: etree._Element | None, path: str) -> str:
    if node is None:
        return ""
    found = node.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _amount(node: etree._Element | None, path: str, currency: str) -> Decimal | None:
    """An amount element in the document currency (TaxTotal may repeat in the tax currency)."""
    if node is None:
        return None
    for found in node.findall(path, NS):
        if found.get("currencyID", currency).strip().upper() != currency:
            continue
        try:
            return Decimal((found.text or "").strip())
        except InvalidOperation as exc:
            raise UblError(
                f"'{found.text}' is not an amount", line=found.sourceline or 0, field="gross"
            ) from exc
    return None


def parse_ubl(data: bytes) -> UblDocument:
    """Read one UBL invoice or credit note; raises UblError or RecordErrors."""
    try:
        root = etree.fromstring(
            data, parser=etree.XMLParser(resolve_entities=False, huge_tree=True)
        )
    except etree.XMLSyntaxError as exc:
        raise UblError(f"not well-formed XML: {exc}", line=exc.lineno or 0) from exc
    namespace = etree.QName(root).namespace or ""
    kind = _ROOTS.get(namespace)
    if kind is None or etree.QName(root).localname != kind:
        raise UblError(f"<{etree.QName(root).localname}> is not a UBL Invoice or CreditNote")
    lines: dict[str, int] = {}

    def line(path: str, name: str) -> None:
        found = root.find(path, NS)
        if found is not None and found.sourceline:
            lines[name] = found.sourceline

    line("cbc:ID", "number")
    line("cbc:IssueDate", "issue_date")
    line("cbc:DueDate", "due_date")
    line("cbc:DocumentCurrencyCode", "currency")
    line("cac:LegalMonetaryTotal", "gross")
    line("cac:AccountingCustomerParty", "customer")
    line("cac:BillingReference", "invoice")
    line("cac:PaymentMeans", "payment_reference")

    currency = _text(root, "cbc:DocumentCurrencyCode").upper() or "EUR"
    totals = _first(root, "cac:LegalMonetaryTotal")
    payable = _amount(totals, "cbc:PayableAmount", currency)
    if payable is None:
        payable = _amount(totals, "cbc:TaxInclusiveAmount", currency)
    if payable is None:
        raise UblError("LegalMonetaryTotal has no PayableAmount", line=lines.get("gross", 0), field="gross")  # fmt: skip
    vat = Decimal(0)
    for tax_total in root.findall("cac:TaxTotal", NS):
        amount = _amount(tax_total, "cbc:TaxAmount", currency)
        if amount is not None:
            vat = amount
            break
    else:
        inclusive = _amount(totals, "cbc:TaxInclusiveAmount", currency)
        exclusive = _amount(totals, "cbc:TaxExclusiveAmount", currency)
        if inclusive is not None and exclusive is not None:
            vat = inclusive - exclusive
    places = Decimal(1).scaleb(-exponent(currency))
    payable, vat = payable.quantize(places), vat.quantize(places)

    is_credit = kind == "CreditNote" or payable < 0
    sign = -1 if payable < 0 else 1
    gross, vat = sign * payable, sign * vat
    customer = _customer(root, lines)
    number = _text(root, "cbc:ID")
    common: dict[str, object] = {
        "number": number,
        "customer": customer.number,
        "issue_date": _text(root, "cbc:IssueDate"),
        "currency": currency,
        "gross": gross,
        "vat": vat,
        "net": gross - vat,
    }
    attachment = _attachment(root)
    if is_credit:
        row = dict(common, invoice=_text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"))  # fmt: skip
        return UblDocument(
            customer, None, _parsed(parse_credit_note, row, currency), attachment, lines
        )
    row = dict(common, due_date=_due_date(root), order_reference=_text(root, "cac:OrderReference/cbc:ID"))  # fmt: skip
    reference = _structured_reference(root)
    if reference:
        row["payment_reference"] = reference
    invoice = _parsed(parse_invoice, row, currency)
    return UblDocument(customer, invoice, None, attachment, lines)


def _parsed(parse, row: dict[str, object], currency: str):  # type: ignore[no-untyped-def]
    row = {k: v for k, v in row.items() if v not in (None, "")}
    return parse(row, default_currency=currency)


def _due_date(root: etree._Element) -> object:
    due = _text(root, "cbc:DueDate") or _text(root, "cac:PaymentMeans/cbc:PaymentDueDate")
    if due:
        return due
    issue = _text(root, "cbc:IssueDate")
    for note in root.findall("cac:PaymentTerms/cbc:Note", NS):
        match = _TERM_DAYS.search(note.text or "")
        if match and issue:
            try:
                return parse_date(issue) + timedelta(days=int(match.group(1)))
            except ValueError:
                return None
    return None


def _structured_reference(root: etree._Element) -> str:
    from vorder.domain.references import detect

    for found in root.findall("cac:PaymentMeans/cbc:PaymentID", NS):
        detected = detect(found.text or "")
        if detected:
            return detected[1]
    return ""


def _customer(root: etree._Element, lines: dict[str, int]) -> CustomerRecord:
    party = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    if party is None:
        raise UblError("the invoice has no buyer (AccountingCustomerParty)", field="customer")
    name = _text(party, "cac:PartyName/cbc:Name") or _text(
        party, "cac:PartyLegalEntity/cbc:RegistrationName"
    )
    country = _text(party, "cac:PostalAddress/cac:Country/cbc:IdentificationCode").upper()
    postal_code = _text(party, "cac:PostalAddress/cbc:PostalZone")
    vat_number = ""
    for scheme in party.findall("cac:PartyTaxScheme", NS):
        candidate = _text(scheme, "cbc:CompanyID")
        if candidate and eu_vat.is_valid(candidate):
            vat_number = candidate
            break
    legal_id = party.find("cac:PartyLegalEntity/cbc:CompanyID", NS)
    coc_number = ""
    if legal_id is not None and legal_id.get("schemeID") in _COC_SCHEMES:
        try:
            coc_number = normalise_coc(
                legal_id.text or "", _COC_SCHEMES[legal_id.get("schemeID", "")]
            )
        except ValueError:
            coc_number = ""
    legal_text = (legal_id.text or "").strip() if legal_id is not None else ""
    number = (
        _text(party, "cac:PartyIdentification/cbc:ID")
        or _text(party, "cbc:EndpointID")
        or legal_text
        or vat_number
    )
    if not number:
        digest = hashlib.sha256(f"{name}|{postal_code}".casefold().encode()).hexdigest()
        number = f"UBL-{digest[:10].upper()}"
    row: dict[str, object] = {
        "number": number[:40],
        "name": name,
        "address_line1": _text(party, "cac:PostalAddress/cbc:StreetName"),
        "address_line2": _text(party, "cac:PostalAddress/cbc:AdditionalStreetName"),
        "postal_code": postal_code,
        "city": _text(party, "cac:PostalAddress/cbc:CityName"),
    }
    if re.fullmatch(r"[A-Z]{2}", country):
        row["country"] = country
    if vat_number:
        row["vat_number"] = vat_number
    if coc_number:
        row["coc_number"] = coc_number
    email = _text(party, "cac:Contact/cbc:ElectronicMail")
    if email:
        row["email"] = email
    try:
        return parse_customer(row)
    except RecordErrors as exc:
        # Optional details that fail a check are left out; a missing name is a real error.
        keep = {e.field for e in exc.errors}
        if keep & {"number", "name"}:
            raise RecordErrors(
                [FieldError(f"customer {e.field}", e.message) for e in exc.errors]
            ) from exc
        return parse_customer({k: v for k, v in row.items() if k not in keep})


def _attachment(root: etree._Element) -> tuple[str, bytes] | None:
    for found in root.findall(
        "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS
    ):
        if (found.get("mimeCode") or "").lower() != "application/pdf":
            continue
        try:
            data = base64.b64decode("".join((found.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        filename = Path(found.get("filename") or "document.pdf").name
        filename = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "document.pdf"
        if not filename.lower().endswith(".pdf"):
            filename += ".pdf"
        return filename, data
    return None


def parse_ubl_file(path: Path | str) -> UblDocument:
    return parse_ubl(Path(path).read_bytes())
