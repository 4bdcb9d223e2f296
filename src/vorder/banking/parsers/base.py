"""What every statement parser returns: plain dataclasses, no Django.

The parsers read what the bank wrote and nothing more; deciding what a line means for the ledger
(a customer's payment, our own payment out, a return) is the import service's job. Amounts are
exact ``Decimal`` in the currency the bank gave, signed from the account holder's point of view:
money in (a credit) is positive, money out (a debit) negative.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from vorder.domain.money import exponent
from vorder.domain.references import detect


class StatementParseError(ValueError):
    """The file is not a statement vorder can book; ``line`` is where the problem is (0: file)."""

    def __init__(self, message: str, *, line: int = 0, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.field = field


@dataclass(frozen=True, slots=True)
class Balance:
    amount: Decimal  # signed: a debit (overdrawn) balance is negative
    currency: str
    date: date | None
    kind: str = ""  # CAMT OPBD/PRCD/CLBD, MT940 60F/62F/62M, CODA old/new


@dataclass(slots=True)
class ParsedLine:
    """One booking (or one transaction of a batch booking) as the bank reported it."""

    booking_date: date
    amount: Decimal  # signed, in ``currency`` (the account's currency for a booked line)
    currency: str
    value_date: date | None = None
    original_amount: Decimal | None = None  # as instructed, when in another currency
    original_currency: str = ""
    charges: Decimal | None = None
    counterparty_name: str = ""
    counterparty_iban: str = ""
    counterparty_bic: str = ""
    remittance_info: str = ""
    creditor_reference: str = ""  # as written: RF, OGM, betalingskenmerk or another scheme
    end_to_end_id: str = ""
    entry_reference: str = ""  # the bank's reference of the booking (entry and detail)
    mandate_id: str = ""
    transaction_code: str = ""
    is_return: bool = False
    is_reversal: bool = False
    return_reason: str = ""
    batch_reference: str = ""
    batch_count: int | None = None
    batch_amount: Decimal | None = None
    source_line: int = 0
    notes: list[str] = field(default_factory=list)  # what the parser noticed, for the collector

    @property
    def is_credit(self) -> bool:
        return self.amount > 0

    def structured_reference(self) -> tuple[str, str]:
        """(style, normalised reference) when the creditor reference (or failing that the
        remittance text as a whole) is a valid RF, OGM/VCS or Dutch betalingskenmerk."""
        for text in (self.creditor_reference, self.remittance_info):
            if text and len(text) <= 60:
                found = detect(text)
                if found is not None:
                    return str(found[0]), found[1]
        return "", ""


@dataclass(slots=True)
class ParsedStatement:
    format: str  # camt053, mt940, coda
    statement_id: str
    account: str  # IBAN when there is one, else the bank's account number
    currency: str
    opening: Balance
    closing: Balance
    sequence_number: str = ""
    account_bic: str = ""
    account_owner: str = ""
    period_from: date | None = None
    period_to: date | None = None
    lines: list[ParsedLine] = field(default_factory=list)
    source_line: int = 0
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"statement {self.statement_id or '(no id)'} of {self.account}"


# -- helpers shared by the parsers ---------------------------------------------------------------
def to_minor(amount: Decimal, currency: str, *, what: str, line: int = 0) -> int:
    """Exact minor units; an amount with more decimals than the currency has is refused."""
    places = exponent(currency)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise StatementParseError(
            f"{what}: {amount} has more decimals than {currency} allows", line=line
        )
    return int(scaled)


def parse_decimal(text: str, *, what: str, line: int = 0, comma: bool = False) -> Decimal:
    raw = (text or "").strip()
    if comma:
        raw = raw.replace(",", ".")
        if raw.endswith("."):
            raw += "0"
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise StatementParseError(f"{what}: '{text}' is not an amount", line=line) from exc
    if not value.is_finite():
        raise StatementParseError(f"{what}: '{text}' is not an amount", line=line)
    return value


_IBAN_CANDIDATE = re.compile(r"\b([A-Z]{2}\d{2}(?:\s?[A-Z0-9]){10,30})\b")


# IBAN lengths of the countries whose banks write a currency code or a name right after the
# IBAN (":25:NL77INGB0574908765EUR"): the IBAN is cut to its length and tried again.
_IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "DE": 22, "ES": 24, "FR": 27, "GB": 22, "HU": 28, "IT": 27,
    "LT": 20, "LU": 20, "NL": 18, "PL": 28,
}  # fmt: skip


@lru_cache(maxsize=65536)
def find_iban(text: str) -> str:
    """The first valid IBAN in a piece of text (compact), or ''. Cached: payers repeat."""
    for match in _IBAN_CANDIDATE.finditer(text.upper()):
        candidate = match.group(1).replace(" ", "")
        lengths = [len(candidate)]
        known = _IBAN_LENGTHS.get(candidate[:2])
        if known and known < len(candidate):
            lengths.append(known)
        for end in lengths:
            try:
                return str(IBAN(candidate[:end]).compact)
            except SchwiftyException:
                continue
    return ""


_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")


def iban_like(text: str) -> str:
    """A valid IBAN in the text, else a word shaped like one (anonymised files carry IBANs with
    a wrong check digit: still the payer's account as the bank wrote it), else ''."""
    found = find_iban(text)
    if found:
        return found
    for word in text.upper().split():
        if _IBAN_SHAPE.fullmatch(word):
            return word
    return ""


def normalise_account(text: str) -> str:
    """The account as a key: a valid IBAN compact, else the bank's number without spaces."""
    iban = find_iban(text)
    return iban or re.sub(r"\s+", "", text).upper()[:34]


def compact(text: str) -> str:
    """Collapse runs of whitespace (banks pad free text to fixed widths)."""
    return " ".join(text.split())


def fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
