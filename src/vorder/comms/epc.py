"""The EPC QR code ("GiroCode", EPC069-12 version 002) for a SEPA credit transfer.

A payer scans it with a banking app and gets a transfer filled in: our name, IBAN, the amount
and the reference, so the payment arrives with a reference that banking can match. The payload
is built here (plain, tested against the spec); segno draws the symbol.
"""

from __future__ import annotations

import re
from decimal import Decimal

import segno

from vorder.domain.errors import InvalidReference
from vorder.domain.references import ReferenceStyle, detect

MAX_PAYLOAD_BYTES = 331


def structured_reference(reference: str) -> str | None:
    """The reference as the EPC 'structured creditor reference' field, or None for free text.

    RF references (ISO 11649) go in compact form; a Belgian OGM/VCS as its 12 digits, which is
    how Belgian banks carry it. Anything else (a Dutch betalingskenmerk, free text) goes in the
    unstructured remittance field instead.
    """
    try:
        found = detect(reference)
    except InvalidReference:  # pragma: no cover - detect swallows these
        return None
    if found is None:
        return None
    style, value = found
    if style is ReferenceStyle.RF:
        return value
    if style is ReferenceStyle.OGM:
        return re.sub(r"\D", "", value)
    return None


def epc_payload(
    *,
    name: str,
    iban: str,
    amount: Decimal | None,
    reference: str = "",
    text: str = "",
    bic: str = "",
    purpose: str = "",
    currency: str = "EUR",
) -> str:
    """EPC069-12 v002 payload, UTF-8 (character set 1), lines joined by LF.

    Fields: BCD / 002 / 1 / SCT / BIC / name (≤70) / IBAN / EUR amount / purpose / structured
    reference (≤35) / unstructured text (≤140). Only one of reference and text may be given:
    a structured reference wins and the text is dropped.
    """
    if currency != "EUR":
        raise ValueError("the EPC QR code only carries euro transfers")
    if amount is not None and not (Decimal("0.01") <= amount <= Decimal("999999999.99")):
        amount = None  # nothing to pay (or a credit): let the payer fill in the amount
    structured = structured_reference(reference) if reference else None
    unstructured = ""
    if structured is None:
        unstructured = (text or reference).strip()[:140]
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic.strip().upper(),
        name.strip()[:70],
        re.sub(r"\s", "", iban).upper(),
        f"EUR{amount:.2f}" if amount is not None else "",
        purpose.strip().upper()[:4],
        (structured or "")[:35],
        unstructured,
    ]
    while lines and lines[-1] == "":
        lines.pop()  # trailing empty fields may be left off
    payload = "\n".join(lines)
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError("EPC QR payload longer than 331 bytes")
    return payload


def epc_qr_data_uri(payload: str) -> str:
    """The QR symbol as a PNG data URI (error correction M, as the spec requires).

    PNG, not SVG: WeasyPrint lays out an SVG of a few hundred modules noticeably slower, and ten
    pixels per module print at well over 300 dpi in the 30 mm box of the letter.
    """
    qr = segno.make(payload, error="m", micro=False, encoding="utf-8", boost_error=False)
    return str(qr.png_data_uri(scale=10, border=0))
