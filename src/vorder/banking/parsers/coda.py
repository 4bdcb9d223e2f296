"""CODA 2.x, the Belgian banks' statement (Febelfin standard, 128-character records).

vorder reads CODA itself instead of using febelfin-coda (PyPI): that parser checks its input with
``assert`` (gone under ``python -O``) and refuses files whose old- and new-balance records name
different accounts, which the anonymised public fixtures do. Here the same checks are explicit
and give reasons a person can act on:

* only version 2 is read (field 128 of the header); another version is refused;
* the old balance plus the booked movements must give the new balance, and the trailer's debit and
  credit totals must match the movements (the import service checks the balance again);
* when the new-balance record (8) names another account than the old-balance record (1), the
  account of record 1 is used and a note says so.

Records: 0 header, 1 old balance, 2.1/2.2/2.3 movement (amount, communication, counterparty),
3.x information (not booked: used only to complete a counterparty's name), 4 free communication,
8 new balance, 9 trailer. A movement's type (first digit of the transaction code) says how it is
booked: 0 and 3 are one booking (3 with informative details), 1 and 2 are a globalised amount
whose details (5, 6, 7) are split into lines when they add up to it. A globalised amount without
any details is booked as one line and flagged for a person: it cannot be matched reliably.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from vorder.banking.parsers.base import (
    Balance,
    ParsedLine,
    ParsedStatement,
    StatementParseError,
    compact,
    find_iban,
    normalise_account,
)

WIDTH = 128
_HEADER = re.compile(r"^0{5}\d{6}\d{3}05")


def looks_like_coda(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return bool(_HEADER.match(first))


def _date(text: str, *, line: int, what: str) -> date | None:
    if not text.strip() or text == "000000":
        return None
    try:
        day, month, year = int(text[0:2]), int(text[2:4]), int(text[4:6])
        return date(2000 + year if year < 80 else 1900 + year, month, day)
    except ValueError as exc:
        raise StatementParseError(f"{what}: '{text}' is not a date (DDMMYY)", line=line) from exc


def _amount(sign: str, digits: str, *, line: int, what: str) -> Decimal:
    if not digits.isdigit() or sign not in "01":
        raise StatementParseError(f"{what}: '{sign}{digits}' is not a CODA amount", line=line)
    value = Decimal(digits).scaleb(-3)
    return -value if sign == "1" else value


@dataclass
class _Movement:
    sequence: str
    detail: str
    kind: str  # the movement type: first digit of the transaction code
    line: ParsedLine
    details: list[_Movement] = field(default_factory=list)


def parse_coda(data: bytes, *, name: str = "") -> list[ParsedStatement]:
    text = data.decode("cp1252").lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    records = [(i + 1, r) for i, r in enumerate(text.split("\n")) if r.strip()]
    if not records or not _HEADER.match(records[0][1]):
        raise StatementParseError("not a CODA file: the first record is not a header", line=1)
    statements: list[ParsedStatement] = []
    state: _State | None = None
    for number, raw in records:
        record = raw.ljust(WIDTH)
        kind = record[0]
        if kind == "0":
            if state is not None:
                raise StatementParseError(
                    "a new header (record 0) before the trailer (record 9) of the previous "
                    "statement",
                    line=number,
                )
            version = record[127]
            if version != "2":
                raise StatementParseError(
                    f"CODA version {version} is not supported: vorder reads CODA 2.x (ask the "
                    "bank for version 2)",
                    line=number,
                )
            state = _State(
                header_line=number, creation=_date(record[5:11], line=number, what="creation date")
            )
            continue
        if state is None:
            raise StatementParseError(f"record {kind} before the header (record 0)", line=number)
        if kind == "1":
            state.old_balance(record, number)
        elif kind == "2":
            state.movement(record, number)
        elif kind == "3":
            state.information(record, number)
        elif kind == "4":
            state.notes.append(compact(record[32:112]))
        elif kind == "8":
            state.new_balance(record, number)
        elif kind == "9":
            statements.append(state.finish(record, number))
            state = None
        else:
            raise StatementParseError(f"unknown CODA record type '{kind}'", line=number)
    if state is not None:
        raise StatementParseError(
            "the file ends without a trailer record (9): it is incomplete", line=records[-1][0]
        )
    return statements


class _State:
    """One statement being read, from its header to its trailer."""

    def __init__(self, *, header_line: int, creation: date | None) -> None:
        self.header_line = header_line
        self.creation = creation
        self.account = ""
        self.currency = ""
        self.holder = ""
        self.paper_number = ""
        self.coda_number = ""
        self.opening: Balance | None = None
        self.closing: Balance | None = None
        self.movements: list[_Movement] = []
        self.notes: list[str] = []
        self.information_names: dict[str, str] = {}

    def _account(self, structure: str, field: str, line: int) -> tuple[str, str]:
        """Account and currency from the 37-character field of records 1 and 8."""
        if structure == "0":  # Belgian account number (BBAN)
            return field[0:12].strip(), field[13:16]
        if structure in ("1", "2", "3"):  # foreign BBAN, Belgian IBAN, foreign IBAN
            width = 31 if structure == "2" else 34
            return field[0:width].strip(), field[34:37]
        raise StatementParseError(f"unknown account structure '{structure}'", line=line)

    def old_balance(self, record: str, line: int) -> None:
        account, currency = self._account(record[1], record[5:42], line)
        self.account = normalise_account(account)
        self.currency = currency.strip().upper()
        self.opening = Balance(
            _amount(record[42], record[43:58], line=line, what="old balance"),
            self.currency,
            _date(record[58:64], line=line, what="old balance date"),
            "old",
        )
        self.holder = record[64:90].strip()
        self.paper_number = record[2:5].strip()
        self.coda_number = record[125:128].strip()

    def new_balance(self, record: str, line: int) -> None:
        structure = "2" if record[4:6].isalpha() and record[4:6] == "BE" else "3"
        account, _ = self._account(structure, record[4:41], line)
        if normalise_account(account) != self.account:
            self.notes.append(
                f"the new-balance record names account {account}, the old-balance record "
                f"{self.account}: {self.account} is used"
            )
        self.closing = Balance(
            _amount(record[41], record[42:57], line=line, what="new balance"),
            self.currency,
            _date(record[57:63], line=line, what="new balance date"),
            "new",
        )

    def movement(self, record: str, line: int) -> None:
        article = record[1]
        sequence, detail = record[2:6], record[6:10]
        if article == "1":
            self._movement_start(record, line, sequence, detail)
            return
        current = self._current(sequence, detail, line)
        if article == "2":
            current.line.remittance_info += record[10:63]
            e2e = record[63:98].strip()
            if e2e and e2e.upper() != "NOTPROVIDED":
                current.line.end_to_end_id = e2e
            current.line.counterparty_bic = record[98:109].strip()
            r_type, reason = record[112], record[113:117].strip()
            if r_type in "12345" and r_type.strip():
                current.line.is_return = r_type in "123"
                current.line.is_reversal = r_type in "45"
                current.line.return_reason = reason
        elif article == "3":
            account = record[10:47].strip()
            current.line.counterparty_iban = find_iban(account) or account.split(" ")[0][:34]
            current.line.counterparty_name = record[47:82].strip()
            current.line.remittance_info += record[82:125]
        else:
            raise StatementParseError(f"unknown movement record 2.{article}", line=line)

    def _movement_start(self, record: str, line: int, sequence: str, detail: str) -> None:
        code = record[53:61]
        structured = record[61] == "1"
        communication = record[62:115]
        parsed = ParsedLine(
            booking_date=_date(record[115:121], line=line, what="entry date")
            or _date(record[47:53], line=line, what="value date")
            or self.creation
            or date.min,
            value_date=_date(record[47:53], line=line, what="value date"),
            amount=_amount(record[31], record[32:47], line=line, what="movement amount"),
            currency=self.currency,
            entry_reference=f"{record[10:31].strip()}/{sequence}/{detail}",
            transaction_code=code.strip(),
            source_line=line,
        )
        if structured:
            kind = communication[0:3]
            body = communication[3:]
            if kind in ("101", "102"):  # Belgian structured communication (OGM/VCS)
                parsed.creditor_reference = body[0:12]
            parsed.remittance_info = ""
        else:
            parsed.remittance_info = communication
        movement = _Movement(sequence, detail, code[0:1], parsed)
        if detail == "0000":
            self.movements.append(movement)
            return
        parent = next((m for m in reversed(self.movements) if m.sequence == sequence), None)
        if parent is None:
            raise StatementParseError(
                f"detail {sequence}/{detail} without its movement {sequence}/0000", line=line
            )
        parent.details.append(movement)

    def _current(self, sequence: str, detail: str, line: int) -> _Movement:
        for movement in reversed(self.movements):
            if movement.sequence == sequence:
                if movement.detail == detail:
                    return movement
                for child in reversed(movement.details):
                    if child.detail == detail:
                        return child
        raise StatementParseError(
            f"movement record for {sequence}/{detail} without its record 2.1", line=line
        )

    def information(self, record: str, line: int) -> None:
        if record[1] != "1" or record[39] != "1":
            return
        if record[40:43] in ("001", "008", "009"):  # name (and address) of the counterparty
            self.information_names.setdefault(record[2:6], record[43:113].strip())

    def finish(self, record: str, line: int) -> ParsedStatement:
        if self.opening is None or self.closing is None:
            missing = "old-balance record (1)" if self.opening is None else "new-balance record (8)"
            raise StatementParseError(f"the statement has no {missing}", line=line)
        debit_total = _amount("0", record[22:37], line=line, what="trailer debit total")
        credit_total = _amount("0", record[37:52], line=line, what="trailer credit total")
        booked = [m.line.amount for m in self.movements]
        debits = -sum((a for a in booked if a < 0), Decimal(0))
        credits = sum((a for a in booked if a > 0), Decimal(0))
        if (debits, credits) != (debit_total, credit_total):
            raise StatementParseError(
                f"the trailer totals (debit {debit_total}, credit {credit_total}) do not match "
                f"the movements (debit {debits}, credit {credits}): the file is inconsistent",
                line=line,
            )
        statement = ParsedStatement(
            format="coda",
            statement_id=f"{self.closing.date.year if self.closing.date else ''}/{self.paper_number}",
            sequence_number=self.coda_number,
            account=self.account,
            currency=self.currency,
            opening=self.opening,
            closing=self.closing,
            account_owner=self.holder,
            period_from=self.opening.date,
            period_to=self.closing.date,
            source_line=self.header_line,
            notes=self.notes,
        )
        for movement in self.movements:
            statement.lines.extend(self._lines(movement))
        return statement

    def _lines(self, movement: _Movement) -> list[ParsedLine]:
        main = movement.line
        self._tidy(main, movement.sequence)
        first_level = [d for d in movement.details if d.kind in ("5", "6", "7")]
        if movement.kind in ("1", "2"):
            if not first_level:
                main.notes.append(
                    "a globalised amount without its details (an inconsistent globalisation): "
                    "booked as one line, for a person to split"
                )
                main.batch_count = None
                return [main]
            amounts = [d.line.amount for d in first_level]
            if sum(amounts, Decimal(0)) == main.amount:
                lines = []
                for detail in first_level:
                    self._tidy(detail.line, movement.sequence)
                    detail.line.batch_reference = main.entry_reference
                    detail.line.batch_count = len(first_level)
                    detail.line.batch_amount = main.amount
                    detail.line.booking_date = main.booking_date
                    lines.append(detail.line)
                return lines
            main.notes.append(
                f"globalised amount of {len(first_level)} details that do not add up to it: "
                "kept as one line"
            )
            main.batch_count = len(first_level)
            return [main]
        for detail in movement.details:  # type 3 and 0: the details only inform
            self._tidy(detail.line, movement.sequence)
            for name in ("counterparty_name", "counterparty_iban", "counterparty_bic"):
                if not getattr(main, name) and getattr(detail.line, name):
                    setattr(main, name, getattr(detail.line, name))
        return [main]

    def _tidy(self, line: ParsedLine, sequence: str) -> None:
        line.remittance_info = compact(line.remittance_info)[:2000]
        if not line.counterparty_name:
            line.counterparty_name = self.information_names.get(sequence, "")[:200]
