"""Structured payment references: ISO 11649 RF, Belgian OGM/VCS, Dutch betalingskenmerk.

A structured reference lets the bank statement name the invoice it pays without a person reading
free text, so every invoice gets one. Generation is deterministic from the invoice number: the
same invoice always gets the same reference, and re-imports never change it.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from operator import mul

from stdnum import iso11649
from stdnum.be import ogm_vcs
from stdnum.exceptions import ValidationError as StdnumError

from vorder.domain.errors import InvalidReference


class ReferenceStyle(StrEnum):
    RF = "rf"  # ISO 11649 creditor reference, understood by banks across SEPA
    OGM = "ogm"  # Belgian gestructureerde mededeling +++123/4567/89002+++
    NL = "nl"  # Dutch 16-digit betalingskenmerk (Currence), with check digit


_NL_WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3, 6, 1)
# Weights per number of digits, left to right (the rightmost digit weighs 2): an import generates
# a reference per invoice, so the check digit is one sum over precomputed weights.
_NL_WEIGHTS_BY_LENGTH = {
    n: tuple(_NL_WEIGHTS[i % 10] for i in reversed(range(n))) for n in range(1, 17)
}
# ISO 11649 / ISO 7064 letters as numbers: A = 10 ... Z = 35.
_RF_LETTERS = str.maketrans({c: str(10 + i) for i, c in enumerate(string.ascii_uppercase)})
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Za-z]")


def _digits_for(key: str, length: int) -> str:
    """The key's own digits when they fit, else a stable hash of the key of that length."""
    text = key.strip()
    if text and len(text) <= length and text.isdecimal():  # the same digits re's \d matches
        return text.zfill(length)
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return str(number % 10**length).zfill(length)


# -- ISO 11649 ----------------------------------------------------------------------------------
def rf_generate(key: str) -> str:
    """RF reference for a key (an invoice number): 'RF' + two check digits + up to 21 characters."""
    body = _NOT_ALPHANUMERIC.sub("", key).upper()
    if not body or len(body) > 21:
        body = _digits_for(key, 21)
    check = 98 - int(_rf_numeric(body + "RF00")) % 97
    return f"RF{check:02d}{body}"


def _rf_numeric(text: str) -> str:
    """Letters as their ISO 7064 numbers (A = 10 ... Z = 35); ``text`` is upper-case A-Z, 0-9."""
    return text.translate(_RF_LETTERS)


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
    if len(digits) == 15 and digits.isascii():
        # The generated body: five table look-ups of three digits each instead of 15 products.
        total = (
            _NL_15[0][digits[:3]]
            + _NL_15[1][digits[3:6]]
            + _NL_15[2][digits[6:9]]
            + _NL_15[3][digits[9:12]]
            + _NL_15[4][digits[12:]]
        )
    else:
        weights = _NL_WEIGHTS_BY_LENGTH.get(len(digits))
        if weights is None:
            weights = tuple(_NL_WEIGHTS[i % 10] for i in reversed(range(len(digits))))
        total = sum(map(mul, map(int, digits), weights))
    check = 11 - total % 11
    return 1 if check == 10 else 0 if check == 11 else check


# Weighted sums of every three-digit group at each of the five positions of a 15-digit body.
_NL_15 = tuple(
    {
        f"{n:03d}": sum(
            map(mul, map(int, f"{n:03d}"), _NL_WEIGHTS_BY_LENGTH[15][3 * group : 3 * group + 3])
        )
        for n in range(1000)
    }
    for group in range(5)
)


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


def generator(style: ReferenceStyle | str) -> Callable[[str], str]:
    """The generate function of a style, looked up once for a whole batch of invoices."""
    style = ReferenceStyle(style)
    if style is ReferenceStyle.OGM:
        return ogm_generate
    if style is ReferenceStyle.NL:
        return nl_generate
    return rf_generate


@lru_cache(maxsize=262_144)  # a bank import asks for each line's reference two or three times
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
