"""MT940 (SWIFT customer statement) with the mt-940 library, plus what Dutch banks put in :86:.

The library splits the tags, reads balances and :61: statement lines and the German ``?20``
sub-fields. Around it vorder does what real files need:

* decoding: UTF-8, else code page 852 for Central European banks (the Hungarian Raiffeisen file)
  and Windows-1252 for the rest; soft hyphens (U+00AD, inside ING dates) and CR/LF are removed;
* the SWIFT envelope (``{1:..}{2:..}{4:`` ... ``-}``) and the banks' own header lines (Rabobank
  ``:940:``, old ING ``0000 01INGBNL2AXXXX00001`` / ``940 00``, ABN AMRO ``ABNANL2A``) are dropped;
* a single-line tag wrapped over two lines (ING's ``:28C:0000`` / ``0``) is joined again;
* a :61: line with a 34-character IBAN as customer reference (ASN, SNS) is read by a lenient
  variant of the library's tag;
* an :86: after the closing balance is statement information (ING ``/SUM/``), not part of the
  last line;
* the structured :86: of ING, Rabobank and ABN AMRO (``/EREF/``, ``/CNTP/``, ``/IBAN/``,
  ``/NAME/``, ``/REMI/``, ``/RTRN/``) is read into counterparty, remittance and references.

A file with a tag MT940 does not have (``:9401:``) is refused: it is not a statement, and guessing
would book money that may not exist. An MT942 interim report is refused too: it carries no
balances, so it cannot be checked.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

import mt940
from mt940 import tags as mt940_tags

from vorder.banking.parsers.base import (
    Balance,
    ParsedLine,
    ParsedStatement,
    StatementParseError,
    compact,
    find_iban,
    iban_like,
    normalise_account,
)

_TAG_LINE = re.compile(r"^:(?P<tag>[0-9A-Z]{1,5}):")
_KNOWN_TAGS = frozenset(
    {"20", "21", "25", "25P", "28", "28C", "60F", "60M", "61", "62F", "62M", "64", "65", "86",
     "NS", "13", "13D", "34F", "90C", "90D"}
)  # fmt: skip
_SINGLE_LINE = frozenset(
    {"20", "21", "25", "25P", "28", "28C", "60F", "60M", "62F", "62M", "64", "65"}
)
_CLOSING_TAGS = frozenset({"62F", "62M", "64", "65"})
_HEADER_LINE = re.compile(
    r"^(?::940:|940(?: 00)?|ABNANL2A|0000 \d\d[A-Z0-9]{6,}\d*|-\}?|\{5:.*|-\}\{5:.*)$"
)
_ENVELOPE = re.compile(r"\{[123]:[^{}]*\}|\{5:(?:\{[^{}]*\}|[^{}])*\}|\{4:")
# Countries whose banks write MT940 in code page 852 (Central Europe).
_CP852_COUNTRIES = frozenset({"HU", "PL", "CZ", "SK", "SI", "HR", "RO"})
# Sub-field keys of the SEPA-era Dutch :86: (ING, Rabobank, ABN AMRO, Knab, Mollie).
_DUTCH_KEYS = (
    "TRTP", "IBAN", "BIC", "NAME", "REMI", "EREF", "ORDP", "BENM", "ADDR", "ISDT", "CNTP",
    "MARF", "CSID", "PREF", "RTRN", "PURP", "ULTC", "ULTD", "ULTB", "IREF", "KREF", "OAMT",
    "CHGS", "EXCH", "SUM", "ID", "SVCL", "COAM", "RTYP", "BUSP", "ORIG",
)  # fmt: skip
_DUTCH_FIELD = re.compile(r"/(" + "|".join(_DUTCH_KEYS) + r")/")
_NOT_A_REF = frozenset({"", "NONREF", "NOTPROVIDED", "EREF", "PREF", "MARF"})


class LenientStatementLine(mt940_tags.Statement):
    """The library's :61: with room for what Dutch banks send.

    The customer reference may run on past 16 characters (ASN and SNS put the counterparty's
    IBAN there); whatever follows the first 16 characters on the first line is kept apart
    (``reference_rest``), because Rabobank writes the counterparty's name there.
    """

    pattern: ClassVar[str] = r"""^
    (?P<year>\d{2})(?P<month>\d{2})(?P<day>\d{2})
    (?P<entry_month>\d{2}|\s{2})?
    (?P<entry_day>\d{2}|\s{2})?
    (?P<status>R?[DC])
    (?P<funds_code>[A-Z])?
    [\n ]?
    (?P<amount>[\d,]{1,15})
    (?P<id>[A-Z][A-Z0-9 ]{3})?
    (?P<customer_reference>((?!//)[^\n]){0,16})
    (?P<reference_rest>((?!//)[^\n])*)
    (//(?P<bank_reference>[^\n]{0,23}))?
    (\n(?P<extra_details>(.|\n)*))?
    $"""


def decode(data: bytes) -> str:
    """UTF-8 when it is; else code page 852 for Central European banks, else Windows-1252."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        head = data[:4000].decode("ascii", errors="replace")
        account = re.search(r":25:([^\r\n]*)", head)
        country = ""
        if account:
            value = account.group(1).strip()
            if re.match(r"[A-Z]{2}\d{2}", value):
                country = value[:2]
            elif re.match(r"[A-Z]{6}", value):  # a BIC: bank code, then the country
                country = value[4:6]
        # a byte neither code page defines becomes U+FFFD: a real statement still reads, and
        # a file that is no text at all is refused as no statement, not with a traceback
        text = data.decode("cp852" if country in _CP852_COUNTRIES else "cp1252", errors="replace")
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\u00ad", "")


def looks_like_mt940(text: str) -> bool:
    return bool(re.search(r"(?m)^:20:", text)) and bool(re.search(r"(?m)^:(25|28C?|61|60F):", text))


def _clean(text: str) -> tuple[str, list[int], list[str]]:
    """The text the library can read, the file line of each :61:, and statement notes."""
    original_lines = text.split("\n")
    statement_lines = [i + 1 for i, ln in enumerate(original_lines) if ln.startswith(":61:")]
    if not any(re.match(r":(60[FM]|62[FM]):", ln) for ln in original_lines) and any(
        re.match(r":(34F|13D?):", ln) for ln in original_lines
    ):
        raise StatementParseError(
            "this is an MT942 interim transaction report, not an MT940 statement: it has no "
            "opening and closing balance; import the bank's end-of-day MT940 or CAMT.053",
            line=1,
        )
    for number, line in enumerate(original_lines, start=1):
        match = _TAG_LINE.match(line)
        if match and match.group("tag") not in _KNOWN_TAGS and line.strip() != ":940:":
            raise StatementParseError(
                f"unknown tag ':{match.group('tag')}:' (line {number}): this is not an MT940 "
                "statement vorder can trust (Rabobank files start with ':940:')",
                line=number,
            )
    cleaned: list[str] = []
    notes: list[str] = []
    current = ""
    after_closing = False
    for raw in _ENVELOPE.sub("\n", text).split("\n"):
        line = raw.rstrip()
        if _HEADER_LINE.match(line.strip()):
            continue
        match = _TAG_LINE.match(line)
        if match:
            current = match.group("tag")
            if current in ("20", "61"):
                after_closing = False
            elif current in _CLOSING_TAGS:
                after_closing = True
            elif current == "86" and after_closing:
                current = "86-statement"
                notes.append(compact(line[4:]))
                continue
            cleaned.append(line)
            continue
        if current == "86-statement":
            notes[-1] = compact(notes[-1] + " " + line)
            continue
        if current in _SINGLE_LINE and cleaned and line.strip():
            cleaned[-1] += line.strip()  # a single-line tag wrapped by the bank
            continue
        cleaned.append(raw)
    return "\n".join(cleaned), statement_lines, notes


def parse_mt940(data: bytes, *, name: str = "") -> list[ParsedStatement]:
    text = decode(data)
    cleaned, statement_lines, notes = _clean(text)
    try:
        blocks = mt940.parse_statements(
            cleaned, tags={61: LenientStatementLine()}, options=mt940.Options.all()
        )
    except (RuntimeError, ValueError, KeyError) as exc:
        raise StatementParseError(f"the MT940 file cannot be read: {_short(exc)}") from exc
    if not blocks:
        raise StatementParseError("no statement (:20:) in the MT940 file", line=1)
    statements = []
    line_numbers = iter(statement_lines)
    for block in blocks:
        statement = _statement(block, line_numbers)
        statement.notes.extend(notes)
        statements.append(statement)
    return statements


def _short(exc: BaseException) -> str:
    text = str(exc.args[0] if exc.args else exc)
    return text[:300]


def _balance(block: Any, *keys: str) -> Balance | None:
    for key in keys:
        balance = block.data.get(key)
        if balance is not None and getattr(balance, "amount", None) is not None:
            amount = balance.amount
            return Balance(
                Decimal(amount.amount), str(amount.currency or ""), _plain_date(balance.date), key
            )
    return None


def _plain_date(value: Any) -> Any:
    if value is None:
        return None
    from datetime import date

    return date(value.year, value.month, value.day)


def _statement(block: Any, line_numbers: Any) -> ParsedStatement:
    data = block.data
    reference = str(data.get("transaction_reference") or "").strip()
    account_raw = str(data.get("account_identification") or "").strip()
    if not account_raw:
        raise StatementParseError(f"statement {reference}: the account tag :25: is missing")
    opening = _balance(block, "final_opening_balance", "intermediate_opening_balance")
    closing = _balance(block, "final_closing_balance", "intermediate_closing_balance")
    number = str(data.get("statement_number") or "")
    sequence = str(data.get("sequence_number") or "")
    if opening is None or closing is None:
        missing = ":60F: opening" if opening is None else ":62F: closing"
        raise StatementParseError(
            f"statement {reference} {number}/{sequence} of {account_raw}: the {missing} balance "
            "is missing, so the statement is incomplete"
        )
    statement = ParsedStatement(
        format="mt940",
        statement_id=reference,
        sequence_number=f"{number}/{sequence}" if sequence else number,
        account=_account(account_raw),
        currency=opening.currency,
        opening=opening,
        closing=closing,
        period_from=opening.date,
        period_to=closing.date,
    )
    for transaction in block:
        statement.lines.append(_line(transaction.data, next(line_numbers, 0), opening.currency))
    return statement


def _account(raw: str) -> str:
    """:25: as the bank wrote it: an IBAN with a currency glued on, or BIC/number/currency."""
    iban = find_iban(raw)
    if iban:
        return iban
    value = re.sub(r"[ /]?[A-Z]{3}$", "", raw.strip())  # a trailing currency code
    return normalise_account(value)


def _line(data: dict[str, Any], source_line: int, currency: str) -> ParsedLine:
    amount = data["amount"]
    status = str(data.get("status") or "").upper()
    booked_on = _plain_date(data.get("entry_date") or data.get("date"))
    line = ParsedLine(
        booking_date=booked_on,
        value_date=_plain_date(data.get("date")),
        amount=Decimal(amount.amount),
        currency=str(amount.currency or currency),
        transaction_code=str(data.get("transaction_code") or data.get("id") or "")[:60],
        is_reversal=status in ("RC", "RD"),
        source_line=source_line,
    )
    customer_ref = str(data.get("customer_reference") or "").strip()
    rest = str(data.get("reference_rest") or "").strip()
    bank_ref = str(data.get("bank_reference") or "").strip()
    extra = str(data.get("extra_details") or "").strip()
    if rest and iban_like(customer_ref + rest):
        customer_ref, rest = customer_ref + rest, ""
    first_extra, _, more_extra = extra.partition("\n")
    if bank_ref.isdigit() and first_extra.isdigit() and len(bank_ref + first_extra) <= 16:
        bank_ref, extra = bank_ref + first_extra, more_extra  # ING wraps the reference
    line.entry_reference = "" if bank_ref.upper() in _NOT_A_REF else bank_ref
    if (
        not line.entry_reference
        and customer_ref.upper() not in _NOT_A_REF
        and not iban_like(customer_ref)
    ):
        line.entry_reference = customer_ref
    supplementary = compact(" ".join(p for p in (rest, extra) if p))

    if "purpose" in data or "applicant_name" in data or "posting_text" in data:
        _german(line, data)
    else:
        _details(line, str(data.get("transaction_details") or ""))
    if not line.counterparty_iban:
        line.counterparty_iban = iban_like(customer_ref) or find_iban(supplementary)
    if (
        not line.counterparty_name
        and supplementary
        and not find_iban(supplementary)
        and not supplementary.startswith("/")
    ):
        line.counterparty_name = supplementary[:200]
    if "RTI" in line.transaction_code.upper()[1:4] or line.transaction_code.upper() == "NRTI":
        line.is_return = True
    return line


def _german(line: ParsedLine, data: dict[str, Any]) -> None:
    """Structured :86: of German banks (GVC code, ?20 purpose, ?31 IBAN, EREF+, SVWZ+)."""
    line.transaction_code = str(data.get("transaction_code") or line.transaction_code)[:60]
    line.counterparty_name = compact(str(data.get("applicant_name") or ""))[:200]
    iban = str(data.get("applicant_iban") or data.get("gvc_applicant_iban") or "")
    line.counterparty_iban = find_iban(iban)
    line.counterparty_bic = str(data.get("applicant_bin") or data.get("gvc_applicant_bin") or "")[
        :11
    ].strip()
    e2e = str(data.get("end_to_end_reference") or "").strip()
    line.end_to_end_id = "" if e2e.upper() in _NOT_A_REF else e2e
    line.mandate_id = str(data.get("additional_position_reference") or "").strip()
    line.remittance_info = compact(str(data.get("purpose") or ""))[:2000]
    posting = str(data.get("posting_text") or "").upper()
    if "RETOURE" in posting or "RÜCK" in posting or "RUECK" in posting:
        line.is_return = True


def _details(line: ParsedLine, details: str) -> None:
    """The :86: of Dutch (and other) banks: structured /KEY/value/ sub-fields or free text."""
    joined = "".join(part for part in details.split("\n"))  # lines wrap mid-word at 65
    fields = _dutch_fields(joined)
    if fields:
        _dutch(line, fields)
        return
    text = compact(details.replace("\n", " "))
    line.remittance_info = text[:2000]
    line.counterparty_iban = iban_like(details.split("\n", 1)[0]) or find_iban(text)
    name = re.search(r"NAAM:\s*(.+?)(?:\s+[A-Z]{3,}:|$)", text)
    if name:
        line.counterparty_name = name.group(1).strip()[:200]
    elif line.counterparty_iban:  # SNS/ASN: "NL49RABO0166416932 gerrits glas en schilderwerk"
        first = details.split("\n", 1)[0]
        after = re.sub(r"^\s*[A-Z]{2}\d{2}[A-Z0-9]+\s*", "", first)
        if after.strip() and after != first:
            line.counterparty_name = compact(after)[:200]
    kenmerk = re.search(r"BETALINGSKENM\.?\s*:?\s*(\d[\d ]{6,20}\d)", text, re.IGNORECASE)
    if kenmerk:
        line.creditor_reference = kenmerk.group(1).replace(" ", "")
    if re.match(r"(TERUGBOEKING|STORNO)\b", text, re.IGNORECASE):
        line.is_return = True


def _dutch_fields(text: str) -> dict[str, str]:
    if not _DUTCH_FIELD.match(text.strip()):
        return {}
    fields: dict[str, str] = {}
    matches = list(_DUTCH_FIELD.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        key = match.group(1)
        value = text[match.end() : end]
        fields.setdefault(key, value.strip())
    return fields


def _dutch(line: ParsedLine, fields: dict[str, str]) -> None:
    def value(key: str) -> str:
        return fields.get(key, "").strip("/ ").strip()

    if "CNTP" in fields:  # ING: /CNTP/account/BIC/name/city/
        parts = fields["CNTP"].split("/")
        parts += [""] * (4 - len(parts))
        line.counterparty_iban = find_iban(parts[0]) or parts[0].strip()[:34]
        line.counterparty_bic = parts[1].strip()[:11]
        line.counterparty_name = parts[2].strip()[:200]
    if value("IBAN"):
        line.counterparty_iban = find_iban(value("IBAN")) or value("IBAN")[:34]
    if value("BIC"):
        line.counterparty_bic = value("BIC")[:11]
    if value("NAME"):
        line.counterparty_name = value("NAME")[:200]
    remittance = fields.get("REMI", "")
    if remittance.startswith("USTD//"):
        remittance = remittance[6:]
    elif remittance.startswith("STRD/"):  # ING: /REMI/STRD/CUR/<reference>/
        parts = [p for p in remittance.split("/") if p]
        line.creditor_reference = parts[-1] if len(parts) >= 3 else ""
        remittance = ""
    line.remittance_info = compact(remittance.strip("/ "))[:2000]
    eref = value("EREF")
    line.end_to_end_id = "" if eref.upper() in _NOT_A_REF else eref
    line.mandate_id = value("MARF")
    if "RTRN" in fields:
        line.is_return = True
        line.return_reason = value("RTRN").split("/")[0][:10]
    if value("TRTP") and not line.transaction_code:
        line.transaction_code = value("TRTP")[:60]
