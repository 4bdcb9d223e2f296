"""Structured payment references: ISO 11649 RF, Belgian OGM/VCS, Dutch betalingskenmerk.

A structured reference lets the bank statement name the invoice it pays without a person reading
free text, so every invoice gets one. Generation is deterministic from the invoice number: the
same invoice always gets the same reference, and re-imports never change it.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum

from stdnum import iso11649
from stdnum.be import ogm_vcs
from stdnum.exceptions import ValidationError as StdnumError

from vorder.domain.errors import InvalidReference


class ReferenceStyle(StrEnum):
    RF = "rf"  # ISO 11649 creditor reference, understood by banks across SEPA
    OGM = "ogm"  # Belgian gestructureerde mededeling +++123/4567/89002+++
    NL = "nl"  # Dutch 16-digit betalingskenmerk (Currence), with check digit


_NL_WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3, 6, 1)


def _digits_for(key: str, length: int) -> str:
    """The key's own digits when they fit, else a stable hash of the key of that length."""
    digits = re.sub(r"\D", "", key)
    if digits and len(digits) <= length and digits == key.strip():
        return digits.zfill(length)
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return str(number % 10**length).zfill(length)


# -- ISO 11649 ----------------------------------------------------------------------------------
def rf_generate(key: str) -> str:
    """RF reference for a key (an invoice number): 'RF' + two check digits + up to 21 characters."""
    body = re.sub(r"[^0-9A-Za-z]", "", key).upper()
    if not body or len(body) > 21:
        body = _digits_for(key, 21)
    check = 98 - int(_rf_numeric(body + "RF00")) % 97
    return f"RF{check:02d}{body}"


def _rf_numeric(text: str) -> str:
    return "".join(str(int(c, 36)) for c in text)


def rf_validate(reference: str) -> str:
    """Return the compact RF reference or raise InvalidReference."""
    try:
        return str(iso11649.validate(reference))
    except StdnumError as exc:
        raise InvalidReference(f"'{reference}' is not a valid RF reference: {exc}") from exc


# -- Belgian OGM/VCS --------------------------------------------------------------------------
def ogm_generate(key: str) -> str:
    """Belgian structured communication: 10 digits + mod-97 check (97 when the rest is 0)."""
    base = _digits_for(key, 10)
    check = int(base) % 97 or 97
    number = f"{base}{check:02d}"
    return f"+++{number[:3]}/{number[3:7]}/{number[7:]}+++"


def ogm_validate(reference: str) -> str:
    """Return the formatted OGM (+++123/4567/89002+++) or raise InvalidReference.

    Banks print the frame as +++ or as *** (Febelfin); stdnum knows only the first, so the frame
    is removed here before the check.
    """
    try:
        return f"+++{ogm_vcs.format(ogm_vcs.validate(reference.strip().strip('+*')))}+++"
    except StdnumError as exc:
        raise InvalidReference(
            f"'{reference}' is not a valid Belgian structured reference"
        ) from exc


# -- Dutch betalingskenmerk -------------------------------------------------------------------
# Betaalvereniging Nederland, "Specificaties betalingskenmerk": 7 digits (no check digit);
# 9-14 digits = check digit C + length code L + 7..12 digits, L = that count mod 10 (7, 8, 9, 0, 1,
# 2); 16 digits = C + 15 digits. C is a weighted modulus 11 over every digit to its right (L
# included), weights 2, 4, 8, 5, 10, 9, 7, 3, 6, 1 from the rightmost digit, repeating; C = 11 - (A
# mod 11), with 10 -> 1 and 11 -> 0. Example: (5)000 0567 8901 2345, A = 215.
def _nl_check_digit(digits: str) -> int:
    total = sum(int(d) * _NL_WEIGHTS[i % 10] for i, d in enumerate(reversed(digits)))
    check = 11 - total % 11
    return {10: 1, 11: 0}.get(check, check)


def nl_generate(key: str) -> str:
    """16-digit betalingskenmerk: a check digit followed by 15 digits (Currence, mod 11)."""
    body = _digits_for(key, 15)
    return f"{_nl_check_digit(body)}{body}"


def nl_validate(reference: str) -> str:
    """Return the digits of a valid Dutch betalingskenmerk (7, 9-14 or 16 digits) or raise."""
    digits = re.sub(r"[\s.]", "", reference)
    if not re.fullmatch(r"\d{7}|\d{9,14}|\d{16}", digits):
        raise InvalidReference(
            f"'{reference}' is not a Dutch payment reference (7, 9 to 14 or 16 digits)"
        )
    if len(digits) == 7:
        return digits  # the short form carries no check digit
    if len(digits) <= 14 and int(digits[1]) != (len(digits) - 2) % 10:
        raise InvalidReference(f"'{reference}' has a wrong length code")
    if int(digits[0]) != _nl_check_digit(digits[1:]):
        raise InvalidReference(f"'{reference}' has a wrong check digit")
    return digits


# -- dispatch ---------------------------------------------------------------------------------
def generate(style: ReferenceStyle | str, key: str) -> str:
    """Generate a reference of the creditor's style for an invoice number."""
    style = ReferenceStyle(style)
    if style is ReferenceStyle.OGM:
        return ogm_generate(key)
    if style is ReferenceStyle.NL:
        return nl_generate(key)
    return rf_generate(key)


def detect(reference: str) -> tuple[ReferenceStyle, str] | None:
    """Recognise a structured reference of any style; None when it is free text."""
    text = reference.strip()
    for style, validate in (
        (ReferenceStyle.RF, rf_validate),
        (ReferenceStyle.OGM, ogm_validate),
        (ReferenceStyle.NL, nl_validate),
    ):
        if style is ReferenceStyle.NL and len(re.sub(r"[\s.]", "", text)) == 7:
            continue  # seven digits carry no check digit: indistinguishable from free text
        try:
            return style, validate(text)
        except InvalidReference:
            continue
    return None
