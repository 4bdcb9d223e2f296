"""CAMT.053 (ISO 20022 BankToCustomerStatement), versions .001.02 up to .001.10, with lxml.

Namespace-agnostic: the namespace only names the version, and the elements vorder reads sit in
the same places in all of them (the few that moved are read from both places: ``Dbtr/Nm`` in .02
became ``Dbtr/Pty/Nm`` in .08, ``BIC`` became ``BICFI``, ``Sts`` became ``Sts/Cd``, a
transaction's own ``Amt`` appeared in .04). The parser is lenient on purpose: real banks send
files that are not valid against their own XSD (an element out of order, a UUID that is not a
v4 UUID, a balance without its credit/debit mark), and refusing those would refuse real money.
What must hold is checked later by the import service: the balances must add up.

A batch entry (one booking for several transactions, ``NtryDtls/TxDtls`` repeated) is split into
one line per transaction when the transactions' amounts add up to the booking; otherwise it is
kept as one line with a note, so the balance still adds up and nothing is invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, TypeAlias

from lxml import etree

from vorder.banking.parsers.base import (
    Balance,
    ParsedLine,
    ParsedStatement,
    StatementParseError,
    compact,
    normalise_account,
    parse_decimal,
)

_OPENING = ("OPBD", "PRCD", "ITBD")  # opening booked, previous closing booked, interim booked
_CLOSING = ("CLBD", "ITBD")
# Bank transaction sub-families that mean "this takes back an earlier payment".
_RETURN_SUBFAMILIES = frozenset({"RRTN", "UPDD", "RPCR", "PRDD", "RCDD", "ARET", "AREV"})
_NOT_PROVIDED = frozenset({"", "NOTPROVIDED", "NONREF", "NOT PROVIDED"})


def _secure_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, huge_tree=True
    )


_DEFAULT_NAMESPACE = re.compile(rb'\sxmlns="urn:iso:std:iso:20022:tech:xsd:camt\.05[0-9.]*"')


def _strip_namespaces(root: etree._Element) -> None:
    if not str(root.tag).startswith("{") and not any(
        str(child.tag).startswith("{") for child in root
    ):
        return
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]


class _Node:
    """An element with every descendant indexed by its path: one walk instead of a search per
    field read (a statement of 100,000 entries reads each entry's 30-odd fields)."""

    __slots__ = ("element", "paths")

    def __init__(
        self, element: etree._Element, paths: dict[str, list[etree._Element]] | None = None
    ) -> None:
        self.element = element
        self.paths: dict[str, list[etree._Element]] = {} if paths is None else paths
        if paths is None:
            self._walk(element, "")

    def children(self, path: str) -> list[_Node]:
        """The elements at ``path`` as nodes; the only one is indexed from this node's own
        index (an entry's single transaction is not walked a second time)."""
        found = self.paths.get(path, [])
        if len(found) != 1:
            return [_Node(element) for element in found]
        prefix = path + "/"
        cut = len(prefix)
        return [
            _Node(
                found[0],
                {key[cut:]: value for key, value in self.paths.items() if key.startswith(prefix)},
            )
        ]

    def _walk(self, element: etree._Element, prefix: str) -> None:
        for child in element:
            tag = child.tag
            if isinstance(tag, str):
                path = prefix + tag
                self.paths.setdefault(path, []).append(child)
                if len(child):
                    self._walk(child, path + "/")

    @property
    def sourceline(self) -> int | None:
        return self.element.sourceline

    def find(self, path: str) -> etree._Element | None:
        found = self.paths.get(path)
        return found[0] if found else None

    def findall(self, path: str) -> list[etree._Element]:
        return self.paths.get(path, [])


_Source: TypeAlias = etree._Element | _Node


def _text(element: _Source | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    if found is None or found.text is None:
        return ""
    return str(found.text).strip()


def _first(element: _Source | None, *paths: str) -> str:
    for path in paths:
        value = _text(element, path)
        if value:
            return value
    return ""


def _date(element: _Source | None, path: str) -> date | None:
    """A date from ``path/Dt`` or ``path/DtTm`` (v10 booking dates come as date-times)."""
    if element is None:
        return None
    text = _first(element, f"{path}/Dt", f"{path}/DtTm")
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        line = element.sourceline or 0
        raise StatementParseError(f"{path}: '{text}' is not a date", line=line) from exc


def _amount(element: _Source | None, path: str) -> tuple[Decimal, str] | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or not (found.text or "").strip():
        return None
    line = found.sourceline or 0
    value = parse_decimal(found.text or "", what=path, line=line)
    return value, (found.get("Ccy") or "").strip().upper()


def _sign(element: _Source | None, default: int = 1) -> int:
    mark = _text(element, "CdtDbtInd")
    if mark == "DBIT":
        return -1
    if mark == "CRDT":
        return 1
    return default


def parse_camt053(data: bytes, *, name: str = "") -> list[ParsedStatement]:
    """Every ``<Stmt>`` of a camt.053 document, with its balances and lines."""
    # The default namespace only names the version: dropping its declaration before parsing is
    # much cheaper than renaming every element afterwards (a prefixed namespace still is).
    head = _DEFAULT_NAMESPACE.sub(b"", data[:4096], count=1)
    try:
        root = etree.fromstring(head + data[4096:], parser=_secure_parser())
    except etree.XMLSyntaxError as exc:
        raise StatementParseError(f"not well-formed XML: {exc.msg}", line=exc.lineno or 0) from exc
    _strip_namespaces(root)
    message = root.find("BkToCstmrStmt")
    if root.tag != "Document" or message is None:
        kind = next((c.tag for c in root if isinstance(c.tag, str)), root.tag)
        hint = {
            "BkToCstmrAcctRpt": " (a camt.052 intraday report, not a statement)",
            "BkToCstmrDbtCdtNtfctn": " (a camt.054 notification, not a statement)",
        }.get(str(kind), "")
        raise StatementParseError(
            f"not a camt.053 statement: the document holds <{kind}>{hint}", line=1
        )
    statements = message.findall("Stmt")
    if not statements:
        raise StatementParseError(
            "the camt.053 document holds no <Stmt>: there is no statement in it (only a group "
            "header)",
            line=message.sourceline or 0,
        )
    return [_statement(stmt) for stmt in statements]


def _statement(stmt: etree._Element) -> ParsedStatement:
    line = stmt.sourceline or 0
    account_el = stmt.find("Acct")
    account_id = _first(account_el, "Id/IBAN", "Id/Othr/Id")
    if not account_id:
        raise StatementParseError("the statement names no account (Acct/Id)", line=line)
    statement_id = _text(stmt, "Id")
    balances = _balances(stmt)
    currency = _text(account_el, "Ccy").upper()
    opening = next((balances[c][0] for c in _OPENING if c in balances), None)
    closing = next((balances[c][-1] for c in _CLOSING if c in balances), None)
    if opening is None and closing is None:
        raise StatementParseError(
            f"statement {statement_id}: no booked balance (OPBD/PRCD/CLBD); vorder cannot "
            "check that it holds every booking",
            line=line,
        )
    currency = currency or (opening or closing).currency  # type: ignore[union-attr]
    from_to = stmt.find("FrToDt")
    period_from = _iso_date(_first(from_to, "FrDtTm", "FrDt"))
    period_to = _iso_date(_first(from_to, "ToDtTm", "ToDt"))
    entries = stmt.findall("Ntry")
    expected = _int(_text(stmt, "TxsSummry/TtlNtries/NbOfNtries"))
    if expected is not None and expected != len(entries):
        raise StatementParseError(
            f"statement {statement_id}: the summary counts {expected} entries but the file "
            f"holds {len(entries)}: the statement is incomplete",
            line=line,
        )
    default_day = (closing or opening).date  # type: ignore[union-attr]
    lines: list[ParsedLine] = []
    notes: list[str] = []
    for entry in entries:
        status = _first(entry, "Sts/Cd", "Sts")
        if status and status.upper() not in ("BOOK", "BOOKED"):
            notes.append(f"entry on line {entry.sourceline} has status {status}: not booked")
            continue
        lines.extend(_entry_lines(entry, currency, default_day))
    booked = sum((ln.amount for ln in lines), Decimal(0))
    if opening is None:
        assert closing is not None
        opening = Balance(closing.amount - booked, closing.currency, None, "derived")
        notes.append(
            "the bank gave no opening balance: derived from the closing balance and the "
            "bookings, so this statement is not checked"
        )
    if closing is None:
        closing = Balance(opening.amount + booked, opening.currency, None, "derived")
        notes.append(
            "the bank gave no closing balance: derived from the opening balance and the "
            "bookings, so this statement is not checked"
        )
    return ParsedStatement(
        format="camt053",
        statement_id=statement_id,
        sequence_number=_first(stmt, "ElctrncSeqNb", "LglSeqNb"),
        account=normalise_account(account_id),
        currency=currency,
        opening=opening,
        closing=closing,
        account_bic=_first(account_el, "Svcr/FinInstnId/BIC", "Svcr/FinInstnId/BICFI"),
        account_owner=_first(account_el, "Ownr/Nm", "Ownr/Pty/Nm"),
        period_from=period_from or opening.date,
        period_to=period_to or closing.date,
        source_line=line,
        lines=lines,
        notes=notes,
    )


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _balances(stmt: etree._Element) -> dict[str, list[Balance]]:
    found: dict[str, list[Balance]] = {}
    for bal in stmt.findall("Bal"):
        code = _first(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry").upper()
        amount = _amount(bal, "Amt")
        if not code or amount is None:
            continue
        value, currency = amount
        # One real bank leaves out CdtDbtInd on a balance: read it as a credit balance and let
        # the balance check decide.
        found.setdefault(code, []).append(
            Balance(value * _sign(bal), currency, _date(bal, "Dt"), code)
        )
    return found


def _entry_lines(
    element: etree._Element, account_currency: str, default_day: date | None
) -> list[ParsedLine]:
    entry = _Node(element)
    line_no = entry.sourceline or 0
    amount = _amount(entry, "Amt")
    if amount is None:
        raise StatementParseError("an entry without an amount (Ntry/Amt)", line=line_no)
    value, currency = amount
    original: tuple[Decimal, str] | None = None
    if currency and account_currency and currency != account_currency:
        # The entry's amount belongs in the account's currency; one bank puts the transaction
        # currency there and the account currency in the amount details.
        for path in ("AmtDtls/InstdAmt/Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt"):
            other = _amount(entry, path)
            if other is not None and other[1] == account_currency:
                original = (value, currency)
                value, currency = other
                break
    sign = _sign(entry, 0)
    if sign == 0:
        raise StatementParseError(
            "an entry without a credit/debit mark (Ntry/CdtDbtInd)", line=line_no
        )
    signed = value * sign
    currency = currency or account_currency
    booking = _date(entry, "BookgDt") or _date(entry, "ValDt") or default_day
    if booking is None:
        raise StatementParseError("an entry without a booking date (BookgDt)", line=line_no)
    undated = _date(entry, "BookgDt") is None and _date(entry, "ValDt") is None
    reversal = _text(entry, "RvslInd").lower() in ("true", "1")
    entry_ref = _first(entry, "AcctSvcrRef", "NtryRef")
    code = _transaction_code(entry)
    charges = _charges(entry.find("Chrgs"))
    details = entry.children("NtryDtls/TxDtls")
    batch = entry.find("NtryDtls/Btch")
    batch_count = _int(_text(batch, "NbOfTxs")) or (len(details) if len(details) > 1 else None)
    batch_ref = _first(batch, "PmtInfId", "MsgId") if batch is not None else ""
    common: dict[str, Any] = {
        "booking_date": booking,
        "value_date": _date(entry, "ValDt"),
        "currency": currency,
        "is_reversal": reversal,
        "transaction_code": code,
        "batch_count": batch_count if batch_count and batch_count > 1 else None,
        "batch_reference": batch_ref,
        "batch_amount": signed if batch_count and batch_count > 1 else None,
    }
    additional = compact(_text(entry, "AddtlNtryInf"))

    split = _split_amounts(details, signed, currency) if len(details) > 1 else None
    if split is None:
        line = ParsedLine(amount=signed, entry_reference=entry_ref, source_line=line_no, **common)
        line.charges = charges
        if details:
            _read_details(line, details[0])
        if len(details) > 1:
            line.notes.append(
                f"batch of {len(details)} transactions whose amounts do not add up to the "
                "booking: kept as one line"
            )
            texts = (_remittance(tx) for tx in details)
            line.remittance_info = compact(" | ".join(filter(None, texts)))[:2000]
        if not line.remittance_info:
            line.remittance_info = additional
        _flag_return_by_code(line)
        if original is not None and line.original_amount is None:
            line.original_amount = original[0] * sign
            line.original_currency = original[1]
        if undated:
            line.notes.append("the entry has no booking date: the statement's date is used")
        return [line]

    lines = []
    for index, (tx, tx_amount) in enumerate(zip(details, split, strict=True), start=1):
        own_ref = _first(tx, "Refs/AcctSvcrRef", "Refs/TxId", "Refs/EndToEndId")
        if own_ref.upper() in _NOT_PROVIDED:
            own_ref = ""
        line = ParsedLine(
            amount=tx_amount,
            entry_reference=f"{entry_ref}/{own_ref or index}",
            source_line=tx.sourceline or line_no,
            **common,
        )
        _read_details(line, tx)
        if not line.remittance_info:
            line.remittance_info = additional
        _flag_return_by_code(line)
        lines.append(line)
    return lines


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _split_amounts(details: list[_Node], signed: Decimal, currency: str) -> list[Decimal] | None:
    """The signed amount of each transaction of a batch, when they add up to the booking."""
    sign = 1 if signed > 0 else -1
    amounts: list[Decimal] = []
    for tx in details:
        amount = _amount(tx, "Amt") or _amount(tx, "AmtDtls/TxAmt/Amt")
        if amount is None or (amount[1] and amount[1] != currency):
            return None
        amounts.append(amount[0] * _sign(tx, sign))
    if sum(amounts, Decimal(0)) != signed:
        return None
    return amounts


def _transaction_code(element: _Source) -> str:
    domain = _text(element, "BkTxCd/Domn/Cd")
    if domain:
        family = _text(element, "BkTxCd/Domn/Fmly/Cd")
        sub = _text(element, "BkTxCd/Domn/Fmly/SubFmlyCd")
        return "/".join(p for p in (domain, family, sub) if p)
    return _text(element, "BkTxCd/Prtry/Cd")


def _charges(element: etree._Element | None) -> Decimal | None:
    """Net charges reported on an entry or transaction (v02 lists Chrgs; v04+ has Rcrd)."""
    if element is None:
        return None
    total = _amount(element, "TtlChrgsAndTaxAmt")
    if total is not None:
        return total[0]
    records = element.findall("Rcrd") or [element]
    net = Decimal(0)
    found = False
    for record in records:
        amount = _amount(record, "Amt")
        if amount is not None:
            net += amount[0] * _sign(record, -1) * -1
            found = True
    return net if found else None


def _remittance(tx: _Source) -> str:
    parts = [t.text.strip() for t in tx.findall("RmtInf/Ustrd") if t.text and t.text.strip()]
    parts += [
        t.text.strip() for t in tx.findall("RmtInf/Strd/AddtlRmtInf") if t.text and t.text.strip()
    ]
    if not parts:
        info = _text(tx, "AddtlTxInf")
        if info:
            parts.append(info)
    return compact(" ".join(parts))


def _party(tx: _Source, role: str) -> tuple[str, str, str]:
    """(name, account, BIC) of the debtor or creditor side of a transaction."""
    name = _first(tx, f"RltdPties/{role}/Nm", f"RltdPties/{role}/Pty/Nm")
    account = _first(tx, f"RltdPties/{role}Acct/Id/IBAN", f"RltdPties/{role}Acct/Id/Othr/Id")
    bic = _first(
        tx,
        f"RltdAgts/{role}Agt/FinInstnId/BIC",
        f"RltdAgts/{role}Agt/FinInstnId/BICFI",
    )
    return name, account, bic


def _read_details(line: ParsedLine, tx: _Source) -> None:
    e2e = _text(tx, "Refs/EndToEndId")
    line.end_to_end_id = "" if e2e.upper() in _NOT_PROVIDED else e2e
    line.mandate_id = _text(tx, "Refs/MndtId")
    code = _transaction_code(tx)
    if code:
        line.transaction_code = code
    instructed = _amount(tx, "AmtDtls/InstdAmt/Amt") or _amount(tx, "AmtDtls/TxAmt/Amt")
    if instructed is not None and instructed[1] and instructed[1] != line.currency:
        line.original_amount = instructed[0] * (1 if line.amount >= 0 else -1)
        line.original_currency = instructed[1]
    tx_charges = _charges(tx.find("Chrgs"))
    if tx_charges is not None:
        line.charges = tx_charges
    # The counterparty is the other side: the debtor of money in, the creditor of money out.
    # A return reports the original transaction's parties, so the side is chosen by account too.
    debtor, creditor = _party(tx, "Dbtr"), _party(tx, "Cdtr")
    takes_back = line.is_reversal or tx.find("RtrInf") is not None
    money_in = line.amount > 0
    other, fallback = (debtor, creditor) if money_in != takes_back else (creditor, debtor)
    if not any(other):
        other = fallback
    line.counterparty_name, account, line.counterparty_bic = (
        other[0][:200],
        other[1],
        other[2][:11],
    )
    line.counterparty_iban = normalise_account(account) if account else ""
    ultimate = _first(tx, "RltdPties/UltmtDbtr/Nm", "RltdPties/UltmtDbtr/Pty/Nm")
    if ultimate and not line.counterparty_name:
        line.counterparty_name = ultimate[:200]
    line.remittance_info = _remittance(tx)[:2000]
    line.creditor_reference = _first(
        tx, "RmtInf/Strd/CdtrRefInf/Ref", "RmtInf/Strd/CdtrRefInf/CdtrRef"
    )
    return_info = tx.find("RtrInf")
    if return_info is not None:
        line.is_return = True
        line.return_reason = _first(return_info, "Rsn/Cd", "Rsn/Prtry")[:10]
        extra = compact(" ".join(_texts(return_info.findall("AddtlInf"))))
        if extra:
            line.notes.append(f"return: {extra}")


def _texts(elements: Iterable[etree._Element]) -> list[str]:
    return [e.text.strip() for e in elements if e.text and e.text.strip()]


def _flag_return_by_code(line: ParsedLine) -> None:
    sub = line.transaction_code.rsplit("/", 1)[-1] if "/" in line.transaction_code else ""
    if sub in _RETURN_SUBFAMILIES and not line.is_reversal:
        line.is_return = True
