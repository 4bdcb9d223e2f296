"""Importing bank statements: parse, check, book once, then match.

Per file, all or nothing: every statement in it is checked (known account, balances add up)
before anything of the file is kept. Within an import:

* **Idempotent.** A statement seen before (same account and fingerprint) is skipped whole; a line
  already booked from an overlapping statement is skipped by its ``dedup_key`` (see
  ``_dedup_keys``). Skipped lines count as ``duplicates``; nothing is booked twice.
* **Credits in the creditor's currency** become a ledger ``Payment`` (source ``bank``, number
  ``BANK-`` + the start of the dedup key, so it is stable) and are handed to the matching service.
* **Debits** (our own payments out, bank charges) are stored and marked ``ignored``.
* **Returns and reversals** that take back an earlier credit (a returned direct debit, a
  reversed transfer) are marked ``returned``: the original line is found by end-to-end id, then
  structured reference, then amount and payer IBAN; its payment's allocations are reversed (the
  invoices open again) and the payment is taken out of the ledger. ``returned_lines`` in
  ``selectors`` shows them to the collector.
* **Foreign-currency lines** (booked in another currency than the creditor's) are kept, flagged
  ``foreign_currency`` and never converted.

``dry_run`` does all of it, matching included, and rolls back at the end.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, ProtectedError, Q

from vorder.banking.matching import statement_lines_match
from vorder.banking.models import (
    BankAccount,
    BankStatement,
    LineStatus,
    StatementLine,
)
from vorder.banking.parsers import (
    FileParseError,
    ParsedLine,
    ParsedStatement,
    StatementParseError,
    parse_statement_file,
)
from vorder.banking.parsers.base import fingerprint, normalise_account, to_minor
from vorder.common.audit import audit_bulk, current_actor
from vorder.common.bulk import bulk_work
from vorder.common.db import AnyOf, create_objects, insert_objects, key_chunks, reserve_ids
from vorder.common.models import AuditEntry
from vorder.domain.money import Money
from vorder.ledger.models import Allocation, Creditor, Payment
from vorder.ledger.services.allocations import allocations_reverse

CHUNK = 2000  # IN lists stay under SQLite's parameter limit


@dataclass(frozen=True, slots=True)
class StatementProblem:
    """Why (part of) a file was refused: row is the statement line or XML/text line, 0 = file."""

    file: str
    row: int
    field: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.field}: {self.message}"


@dataclass
class ImportResult:
    statements: int = 0  # statements stored (seen-before ones are not counted)
    lines: int = 0  # lines booked now
    credits: int = 0  # of which credits in the creditor's currency (a payment each)
    duplicates: int = 0  # lines skipped because they were booked before
    returned: int = 0
    foreign_currency: int = 0
    auto_matched: int = 0
    queued: int = 0
    allocations: list[dict[str, Any]] = field(default_factory=list)
    errors: list[StatementProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    statement_ids: list[int] = field(default_factory=list)

    def add(self, other: ImportResult) -> None:
        for name in (
            "statements", "lines", "credits", "duplicates", "returned", "foreign_currency",
            "auto_matched", "queued",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.allocations.extend(other.allocations)
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)
        self.statement_ids.extend(other.statement_ids)

    def as_json(self) -> dict[str, Any]:
        """The contract for scripts (docs/banking.md); keep it stable."""
        return {
            "statements": self.statements,
            "lines": self.lines,
            "credits": self.credits,
            "auto_matched": self.auto_matched,
            "queued": self.queued,
            "allocations": [_allocation_json(a) for a in self.allocations],
            "errors": [e.as_json() for e in self.errors],
        }


def _allocation_json(allocation: dict[str, Any]) -> dict[str, Any]:
    confidence = allocation.get("confidence")
    if isinstance(confidence, Decimal):
        confidence = float(confidence)  # JSON has only one kind of number
    return {
        "line": str(allocation.get("line", "")),
        "invoice": str(allocation.get("invoice", "")),
        "amount": str(allocation.get("amount", "")),
        "confidence": confidence,
        "explanation": str(allocation.get("explanation", "")),
    }


class StatementRefused(Exception):
    """A statement (and so its whole file) is not booked."""

    def __init__(self, problem: StatementProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _Rollback(Exception):
    pass


# -- entry points --------------------------------------------------------------------------------
def statements_import(
    *,
    creditor: Creditor,
    files: Sequence[Path],
    dry_run: bool = False,
    create_accounts: bool = False,
) -> ImportResult:
    """Import statement files (CAMT.053, MT940, CODA, or a ZIP of them); each all or nothing."""
    result = ImportResult()
    for path in files:
        path = Path(path)
        try:
            content = path.read_bytes()
        except OSError as exc:
            result.errors.append(StatementProblem(str(path), 0, "", f"cannot read: {exc}"))
            continue
        result.add(
            statement_file_import(
                creditor=creditor,
                name=str(path),
                content=content,
                dry_run=dry_run,
                create_accounts=create_accounts,
            )
        )
    return result


def statement_file_import(
    *,
    creditor: Creditor,
    name: str,
    content: bytes,
    dry_run: bool = False,
    create_accounts: bool = False,
) -> ImportResult:
    """Import one uploaded or read file; nothing of it is kept when any statement is refused."""
    with bulk_work():
        return _file_import(
            creditor=creditor,
            name=name,
            content=content,
            dry_run=dry_run,
            create_accounts=create_accounts,
        )


def _file_import(
    *, creditor: Creditor, name: str, content: bytes, dry_run: bool, create_accounts: bool
) -> ImportResult:
    result = ImportResult()
    try:
        parsed = parse_statement_file(content, name=name)
    except FileParseError as exc:
        result.errors.append(StatementProblem(exc.name, exc.line, exc.field, exc.message))
        return result
    except StatementParseError as exc:  # pragma: no cover - parse_statement_file wraps these
        result.errors.append(StatementProblem(name, exc.line, exc.field, exc.message))
        return result
    sha = hashlib.sha256(content).hexdigest()
    booking = _Booking(creditor=creditor, dry_run=dry_run, create_accounts=create_accounts)
    try:
        with transaction.atomic():
            for parsed_file in parsed:
                for statement in parsed_file.statements:
                    booking.statement(statement, file_name=parsed_file.name, sha=sha)
            booking.finish()
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    except StatementRefused as exc:
        result.errors.append(exc.problem)
        return result
    result.add(booking.result)
    return result


# -- booking -------------------------------------------------------------------------------------
class _Booking:
    """The statements of one file, booked inside the file's transaction."""

    def __init__(self, *, creditor: Creditor, dry_run: bool, create_accounts: bool) -> None:
        self.creditor = creditor
        self.dry_run = dry_run
        self.create_accounts = create_accounts
        self.result = ImportResult()
        self.accounts: dict[str, BankAccount] = {}
        # The new lines of the file, kept in memory (ids reserved) until ``finish`` has matched
        # them: each is then written once, with its outcome.
        self.new_lines: list[StatementLine] = []
        self.statements: list[tuple[BankStatement, int, list[StatementLine]]] = []
        self.keys_in_file: set[str] = set()
        self.credit_lines: list[StatementLine] = []
        self.return_lines: list[StatementLine] = []

    def refuse(self, file: str, row: int, field_name: str, message: str) -> StatementRefused:
        return StatementRefused(StatementProblem(file, row, field_name, message))

    def statement(self, statement: ParsedStatement, *, file_name: str, sha: str) -> None:
        label = statement.describe()
        currency = statement.currency or statement.opening.currency
        minors = self._minors(statement, currency, file_name)
        opening, closing, line_minors = minors
        for balance, what in ((statement.opening, "opening"), (statement.closing, "closing")):
            if balance.currency and balance.currency != currency:
                raise self.refuse(
                    file_name,
                    statement.source_line,
                    f"{what}_balance",
                    f"{label}: the {what} balance is in {balance.currency}, the account in "
                    f"{currency}",
                )
        booked = sum(line_minors)
        if opening + booked != closing:
            raise self.refuse(
                file_name,
                statement.source_line,
                "closing_balance",
                f"{label}: the balances do not add up: opening {_fmt(opening, currency)} + "
                f"bookings {_fmt(booked, currency)} = {_fmt(opening + booked, currency)}, but "
                f"the closing balance is {_fmt(closing, currency)}",
            )
        account = self._account(statement, currency, file_name)
        identity = fingerprint(
            statement.format, statement.statement_id, statement.sequence_number,
            statement.period_from, statement.period_to, opening, closing, len(line_minors),
            booked,
        )  # fmt: skip
        seen = BankStatement.objects.filter(account=account, fingerprint=identity).first()
        if seen is not None:
            self.result.duplicates += len(line_minors)
            self.result.notes.append(
                f"{file_name}: {label} was imported before ({seen.file_name}); skipped"
            )
            return
        stored = BankStatement.objects.create(
            creditor=self.creditor,
            account=account,
            statement_id=statement.statement_id[:140],
            sequence_number=statement.sequence_number[:40],
            format=statement.format,
            period_from=statement.period_from,
            period_to=statement.period_to,
            currency=currency,
            opening_balance_minor=opening,
            opening_balance_date=statement.opening.date,
            closing_balance_minor=closing,
            closing_balance_date=statement.closing.date,
            file_name=file_name[-255:],
            file_sha256=sha,
            fingerprint=identity,
            imported_by=current_actor()[1][:150],
        )
        self.result.statements += 1
        self.result.statement_ids.append(stored.pk)
        self.result.notes.extend(f"{file_name}: {label}: {note}" for note in statement.notes)
        self._lines(stored, statement, line_minors)

    def _minors(
        self, statement: ParsedStatement, currency: str, file_name: str
    ) -> tuple[int, int, list[int]]:
        label = statement.describe()
        try:
            opening = to_minor(statement.opening.amount, currency, what="opening balance")
            closing = to_minor(statement.closing.amount, currency, what="closing balance")
        except StatementParseError as exc:
            raise self.refuse(
                file_name, statement.source_line, "balance", f"{label}: {exc}"
            ) from exc
        minors = []
        for line in statement.lines:
            if line.currency != currency:
                raise self.refuse(
                    file_name,
                    line.source_line,
                    "amount",
                    f"{label}: a booking in {line.currency} on an account in {currency}: the "
                    "statement cannot be checked",
                )
            try:
                minors.append(to_minor(line.amount, currency, what="amount"))
            except StatementParseError as exc:
                raise self.refuse(file_name, line.source_line, "amount", f"{label}: {exc}") from exc
        return opening, closing, minors

    def _account(self, statement: ParsedStatement, currency: str, file_name: str) -> BankAccount:
        key = statement.account
        account = self.accounts.get(key)
        if account is None:
            account = BankAccount.objects.filter(creditor=self.creditor, iban=key).first()
        if account is None:
            own = normalise_account(self.creditor.iban) if self.creditor.iban else ""
            if key != own and not self.create_accounts:
                raise self.refuse(
                    file_name,
                    statement.source_line,
                    "account",
                    f"{statement.describe()}: {key} is not a bank account of "
                    f"{self.creditor.code}; add it with --create-account if it is yours",
                )
            account = BankAccount.objects.create(
                creditor=self.creditor,
                iban=key,
                bic=statement.account_bic[:11],
                currency=currency,
                name=statement.account_owner[:200],
            )
            audit_bulk(
                [
                    AuditEntry.build(
                        creditor_id=self.creditor.pk,
                        obj=account,
                        action=AuditEntry.Action.CREATE,
                        changes={"iban": [None, key], "currency": [None, currency]},
                    )
                ]
            )
        if account.currency != currency:
            raise self.refuse(
                file_name,
                statement.source_line,
                "currency",
                f"{statement.describe()}: the statement is in {currency}, but account {key} "
                f"is kept in {account.currency}",
            )
        self.accounts[key] = account
        return account

    def _lines(self, stored: BankStatement, statement: ParsedStatement, minors: list[int]) -> None:
        keys = _dedup_keys(stored.account_id, statement.lines, minors)
        existing = set(self.keys_in_file)  # an overlapping statement earlier in the same file
        for chunk in key_chunks(keys):
            existing.update(
                StatementLine.objects.filter(AnyOf(F("dedup_key"), chunk)).values_list(
                    "dedup_key", flat=True
                )
            )
        new: list[StatementLine] = []
        for sequence, (parsed, minor, key) in enumerate(
            zip(statement.lines, minors, keys, strict=True), start=1
        ):
            if key in existing:
                self.result.duplicates += 1
                continue
            new.append(self._line(stored, sequence, parsed, minor, key))
        self.keys_in_file.update(line.dedup_key for line in new)
        self.new_lines.extend(new)
        self.statements.append((stored, len(statement.lines), new))

    def _line(
        self, stored: BankStatement, sequence: int, parsed: ParsedLine, minor: int, key: str
    ) -> StatementLine:
        style, reference = parsed.structured_reference()
        currency = parsed.currency
        original = None
        if parsed.original_amount is not None and parsed.original_currency:
            try:
                original = to_minor(
                    parsed.original_amount, parsed.original_currency, what="original amount"
                )
            except StatementParseError:
                original = None
        charges = None
        if parsed.charges is not None:
            try:
                charges = to_minor(parsed.charges, currency, what="charges")
            except StatementParseError:
                charges = None
        status, explanation = self._classify(parsed, minor)
        notes = " ".join(parsed.notes)
        return StatementLine(  # ids, not instances: a related-object assignment costs more
            creditor_id=self.creditor.pk,
            account_id=stored.account_id,
            statement_id=stored.pk,
            sequence=sequence,
            booking_date=parsed.booking_date,
            value_date=parsed.value_date,
            amount_minor=minor,
            currency=currency,
            original_amount_minor=original,
            original_currency=parsed.original_currency[:3] if original is not None else "",
            charges_minor=charges,
            counterparty_name=parsed.counterparty_name[:200],
            counterparty_iban=parsed.counterparty_iban[:34],
            counterparty_bic=parsed.counterparty_bic[:11],
            remittance_info=parsed.remittance_info,
            structured_reference=reference[:40],
            reference_style=style,
            end_to_end_id=parsed.end_to_end_id[:140],
            entry_reference=parsed.entry_reference[:140],
            mandate_id=parsed.mandate_id[:140],
            bank_transaction_code=parsed.transaction_code[:60],
            is_return=parsed.is_return,
            is_reversal=parsed.is_reversal,
            return_reason=parsed.return_reason[:10],
            batch_reference=parsed.batch_reference[:140],
            batch_count=parsed.batch_count,
            batch_amount_minor=(
                to_minor(parsed.batch_amount, currency, what="batch amount")
                if parsed.batch_amount is not None
                else None
            ),
            dedup_key=key,
            source_line=parsed.source_line,
            status=status,
            explanation=" ".join(p for p in (explanation, notes) if p),
        )

    def _classify(self, parsed: ParsedLine, minor: int) -> tuple[str, str]:
        takes_back = parsed.is_return or parsed.is_reversal
        if parsed.currency != self.creditor.currency:
            return (
                LineStatus.FOREIGN_CURRENCY,
                f"booked in {parsed.currency}, not {self.creditor.currency}: vorder does not "
                "convert currencies; book it by hand",
            )
        if minor < 0 and takes_back:
            return LineStatus.RETURNED, ""
        if minor > 0 and takes_back:
            return LineStatus.IGNORED, "a payment of ours that came back"
        if minor <= 0:
            return LineStatus.IGNORED, "money out: our own payment or bank charges"
        if any("globalised" in note or "do not add up" in note for note in parsed.notes):
            return LineStatus.QUEUED, "not matched automatically:"
        return LineStatus.NEW, ""

    def _payments(self, lines: Sequence[StatementLine]) -> None:
        """A ledger payment for each credit line, in bulk (audited with the statement: each
        payment is traceable through its line)."""
        if not lines:
            return
        payments = [
            Payment(
                creditor_id=self.creditor.pk,
                number=payment_number(line.dedup_key),
                date=line.value_date or line.booking_date,
                currency=line.currency,
                amount_minor=line.amount_minor,
                unallocated_minor=line.amount_minor,
                payer_name=line.counterparty_name[:200],
                payer_iban=line.counterparty_iban[:34],
                reference=(line.structured_reference or line.remittance_info)[:140],
                source=Payment.Source.BANK,
            )
            for line in lines
        ]
        create_objects(payments)  # COPY on PostgreSQL, with ids taken from the sequence
        for line, payment in zip(lines, payments, strict=True):
            line.payment_id = payment.pk

    def _direct_debit_credits(self, credits: Sequence[StatementLine]) -> set[int]:
        """Credits that are our own direct debit batches: the batch is settled (one payment per
        collection, allocated to its invoice) instead of booking the credit as a payment.

        A line is recognised by its batch reference (the batch's MsgId or one of its PmtInfIds)
        or by the end-to-end id of a collection. When the lines of a batch do not add up to what
        it still has to collect, nothing is settled: the lines go to the queue for a person.
        Works on the lines before they are saved; returns the ``id()`` of those it settled.
        """
        from vorder.banking.directdebit.models import DirectDebitBatch, DirectDebitCollection
        from vorder.banking.directdebit.services import directdebit_batch_settle

        refs = {ln.batch_reference for ln in credits if ln.batch_reference}
        e2es = {ln.end_to_end_id for ln in credits if ln.end_to_end_id}
        if not refs and not e2es:
            return set()
        if not DirectDebitBatch.objects.filter(creditor=self.creditor).exists():
            return set()  # most creditors collect nothing by direct debit
        prefixes = {r.rsplit("-", 2)[0] for r in refs if r.count("-") >= 2}
        batches = [
            batch
            for chunk in key_chunks(refs | prefixes)
            for batch in DirectDebitBatch.objects.filter(
                AnyOf(F("message_id"), chunk), creditor=self.creditor
            )
        ]
        collections = {
            c.end_to_end_id: c
            for chunk in key_chunks(e2es)
            for c in DirectDebitCollection.objects.filter(
                AnyOf(F("end_to_end_id"), chunk), creditor=self.creditor
            )
        }
        by_id = {b.pk: b for b in batches}
        missing = {c.batch_id for c in collections.values()} - set(by_id)
        by_id.update({b.pk: b for b in DirectDebitBatch.objects.filter(pk__in=missing)})
        groups: dict[int, list[StatementLine]] = defaultdict(list)
        for line in credits:
            batch = next(
                (
                    b
                    for b in batches
                    if line.batch_reference
                    and (
                        line.batch_reference == b.message_id
                        or line.batch_reference.startswith(b.message_id[:26] + "-")
                    )
                ),
                None,
            )
            if batch is None and line.end_to_end_id in collections:
                batch = by_id[collections[line.end_to_end_id].batch_id]
            if batch is not None:
                groups[batch.pk].append(line)  # not saved yet: grouped as objects
        handled: set[int] = set()
        for batch_id, lines in groups.items():
            batch = by_id[batch_id]
            due = sum(
                DirectDebitCollection.objects.filter(batch=batch)
                .exclude(status=DirectDebitCollection.Status.RETURNED)
                .values_list("amount_minor", flat=True)
            )
            received = sum(ln.amount_minor for ln in lines)
            if received != due or batch.currency != self.creditor.currency:
                for line in lines:
                    line.status = LineStatus.QUEUED
                    line.explanation = (
                        f"looks like direct debit batch {batch.message_id}, but "
                        f"{_fmt(received, line.currency)} arrived for "
                        f"{_fmt(due, batch.currency)} collected: check by hand"
                    )
                continue
            settled = directdebit_batch_settle(
                batch=batch, on=min(ln.value_date or ln.booking_date for ln in lines)
            )
            numbers = {f"DD-{e2e}": ln for ln in lines if (e2e := ln.end_to_end_id) in collections}
            for number, pk in Payment.objects.filter(
                creditor=self.creditor, number__in=list(numbers)
            ).values_list("number", "pk"):
                numbers[number].payment_id = pk
            for line in lines:
                line.status = LineStatus.MATCHED
                line.confidence = 1000
                line.explanation = f"our direct debit batch {batch.message_id}: " + (
                    "already settled"
                    if settled.already_settled
                    else f"{settled.payments} collection(s) booked to their invoices"
                )
                handled.add(id(line))
        self.result.auto_matched += len(handled)
        return handled

    def finish(self) -> None:
        """After every statement of the file is read: payments, returns, matching, then every
        new line written once, with its outcome."""
        new = self.new_lines
        for line, pk in zip(new, reserve_ids(StatementLine, len(new)), strict=True):
            line.pk = pk
        credits = [ln for ln in new if ln.status in (LineStatus.NEW, LineStatus.QUEUED)]
        settled = self._direct_debit_credits(credits)
        self._payments([ln for ln in credits if id(ln) not in settled])
        self.result.lines += len(new)
        self.result.foreign_currency += sum(
            1 for ln in new if ln.status == LineStatus.FOREIGN_CURRENCY
        )
        self.result.credits += len(credits)
        self.result.queued += sum(1 for ln in credits if ln.status == LineStatus.QUEUED)
        self.credit_lines = [ln for ln in credits if ln.status == LineStatus.NEW]
        self.return_lines = [ln for ln in new if ln.status == LineStatus.RETURNED]
        self._returns()
        self._match()
        insert_objects(new)  # COPY on PostgreSQL
        for line in new:
            line._state.adding = False
        audit_bulk(
            AuditEntry.build(
                creditor_id=self.creditor.pk,
                obj=stored,
                action=AuditEntry.Action.CREATE,
                changes={
                    "file": [None, stored.file_name],
                    "lines": [None, len(lines)],
                    "payments": [None, sum(1 for ln in lines if ln.payment_id)],
                    "duplicates skipped": [None, given - len(lines)],
                },
            )
            for stored, given, lines in self.statements
        )

    def _returns(self) -> None:
        returns = self.return_lines
        if not returns:
            return
        self.result.returned += len(returns)
        returns = self._direct_debit_returns(returns)
        if not returns:
            return
        originals = _originals(self.creditor, returns, fresh=self.new_lines)
        taken_back = {original.pk for original in originals.values()}
        self.credit_lines = [ln for ln in self.credit_lines if ln.pk not in taken_back]
        touched: list[StatementLine] = []
        for line in returns:
            original = originals.get(line.pk)
            reason = line.return_reason or ("reversal" if line.is_reversal else "return")
            if original is None:
                line.explanation = (
                    f"{reason}: the original payment of {_fmt(-line.amount_minor, line.currency)}"
                    " was not found; check by hand"
                ).strip()
                touched.append(line)
                continue
            line.reverses_id = original.pk
            line.customer_id = original.customer_id
            line.explanation = (
                f"{reason}: takes back the payment of {original.booking_date} "
                f"({original.counterparty_name or original.counterparty_iban or 'unknown payer'})"
            )
            undone = self._undo_payment(original, -line.amount_minor, reason)
            original.status = LineStatus.RETURNED
            original.explanation = (
                f"returned on {line.booking_date} ({reason}); {undone}".strip()
                + (f" {original.explanation}" if original.explanation else "")
            )
            touched.extend([line, original])
        _save_stored(touched, ["status", "explanation", "reverses", "customer", "payment"])

    def _direct_debit_returns(self, returns: list[StatementLine]) -> list[StatementLine]:
        """Returns of our own direct debit collections go to the direct debit service (it reopens
        the invoice, removes the payment and flags the mandate); the rest is returned as is."""
        e2es = {ln.end_to_end_id for ln in returns if ln.end_to_end_id}
        if not e2es:
            return returns
        from vorder.banking.directdebit.models import DirectDebitCollection
        from vorder.banking.directdebit.services import (
            DirectDebitError,
            ReturnNotice,
            directdebit_returns_apply,
        )

        ours = {
            e2e
            for chunk in key_chunks(e2es)
            for e2e in DirectDebitCollection.objects.filter(
                AnyOf(F("end_to_end_id"), chunk), creditor=self.creditor
            ).values_list("end_to_end_id", flat=True)
        }
        mine = [ln for ln in returns if ln.end_to_end_id in ours]
        if not mine:
            return returns
        notices = [
            ReturnNotice(
                end_to_end_id=ln.end_to_end_id,
                amount=Money.from_minor(-ln.amount_minor, ln.currency).amount,
                reason_code=ln.return_reason or "NARR",
                date=ln.booking_date,
            )
            for ln in mine
        ]
        try:
            with transaction.atomic():
                directdebit_returns_apply(creditor=self.creditor, returns=notices)
        except DirectDebitError as exc:
            for line in mine:
                line.explanation = f"direct debit return not applied: {exc}"
            return returns
        stored = StatementLine.objects.filter(
            end_to_end_id__in=ours, creditor=self.creditor, amount_minor__gt=0
        ).exclude(status=LineStatus.RETURNED)  # returns are few
        fresh = [ln for ln in self.new_lines if ln.end_to_end_id in ours and ln.amount_minor > 0]
        originals = {
            (ln.end_to_end_id, ln.amount_minor): ln
            for ln in [*stored, *fresh]
            if ln.status != LineStatus.RETURNED
        }
        touched: list[StatementLine] = []
        for line in mine:
            reason = line.return_reason or "return"
            line.explanation = (
                f"our direct debit {line.end_to_end_id} came back ({reason}): its invoice is "
                "open again"
            )
            original = originals.get((line.end_to_end_id, -line.amount_minor))
            if original is not None:
                line.reverses_id = original.pk
                original.status = LineStatus.RETURNED
                original.payment_id = None
                original.explanation = f"returned on {line.booking_date} ({reason})"
                touched.append(original)
            touched.append(line)
        _save_stored(touched, ["status", "explanation", "reverses", "payment"])
        return [ln for ln in returns if ln.end_to_end_id not in ours]

    def _undo_payment(self, original: StatementLine, returned_minor: int, reason: str) -> str:
        """Reverse what the original credit paid and take its payment out of the ledger."""
        if original.payment_id is None:
            return "it had no payment in the ledger"
        payment = Payment.objects.select_for_update().get(pk=original.payment_id)
        allocations = list(Allocation.objects.filter(payment_id=payment.pk))
        invoices = sorted({a.invoice_id for a in allocations if a.invoice_id})
        reversed_count = allocations_reverse(
            allocations=allocations, reason=f"bank {reason} on statement line {original.pk}"
        )
        payment.refresh_from_db()
        remaining = payment.amount_minor - returned_minor
        if remaining <= 0:
            try:
                payment.delete()
            except ProtectedError:
                return "its payment could not be removed: check by hand"
            original.payment_id = None
            audit_bulk(
                [
                    AuditEntry.build(
                        creditor_id=self.creditor.pk,
                        obj=payment,
                        action=AuditEntry.Action.DELETE,
                        changes={
                            "amount_minor": [payment.amount_minor, None],
                            "reason": [None, reason],
                        },
                    )
                ]
            )
        else:
            Payment.objects.filter(pk=payment.pk).update(
                amount_minor=remaining, unallocated_minor=remaining
            )
        if reversed_count:
            return (
                f"{reversed_count} allocation(s) reversed; invoice(s) open again: {len(invoices)}"
            )
        return "nothing had been allocated"

    def _match(self) -> None:
        lines = self.credit_lines
        if not lines:
            return
        outcome = statement_lines_match(creditor=self.creditor, lines=lines, dry_run=self.dry_run)
        self.result.auto_matched += outcome.auto_matched
        self.result.queued += outcome.queued
        self.result.allocations.extend(outcome.allocations)


def _save_stored(lines: Sequence[StatementLine], fields: Sequence[str]) -> None:
    """Write changes to lines stored by an earlier import; this file's own lines are written
    once, at the end, as they are by then."""
    stored = [line for line in lines if not line._state.adding]
    if stored:
        StatementLine.objects.bulk_update(stored, fields, batch_size=CHUNK)


def payment_number(dedup_key: str) -> str:
    """The ledger payment number of a statement line: stable, because the dedup key is."""
    return f"BANK-{dedup_key[:24]}"


_NO_REFERENCE = frozenset({"", "NONREF", "NOTPROVIDED"})


def _dedup_keys(account_id: int, lines: Sequence[ParsedLine], minors: Sequence[int]) -> list[str]:
    """The stable identity of each booking, so that it is booked once whatever file brings it.

    Key = account + booking date + amount + currency + the best identity the bank gave: its own
    reference of the booking (CAMT AcctSvcrRef, with the transaction's own reference for a split
    batch; MT940 :61: bank reference; CODA bank reference + sequence), else the end-to-end id,
    else the payer's IBAN and the remittance text. Identical bookings within one statement get a
    running number (the 2nd, 3rd ...), so an overlapping statement that repeats them maps onto the
    same keys instead of booking them again.
    """
    seen: Counter[str] = Counter()
    keys = []
    for line, minor in zip(lines, minors, strict=True):
        if line.entry_reference.upper() not in _NO_REFERENCE:
            basis = f"ref:{line.entry_reference}"
        elif line.end_to_end_id:
            basis = f"e2e:{line.end_to_end_id}"
        else:
            basis = f"txt:{line.counterparty_iban}|{line.remittance_info[:140]}"
        key = fingerprint(account_id, line.booking_date, minor, line.currency, basis)
        seen[key] += 1
        keys.append(key if seen[key] == 1 else fingerprint(key, seen[key]))
    return keys


def _originals(
    creditor: Creditor, returns: Sequence[StatementLine], fresh: Sequence[StatementLine] = ()
) -> dict[int, StatementLine]:
    """The credit each return takes back: by end-to-end id, then structured reference, then
    amount and payer IBAN; the latest one booked on or before the return, each used once.
    ``fresh`` are the credits of the same file, not stored yet."""
    e2e = {ln.end_to_end_id for ln in returns if ln.end_to_end_id}
    refs = {ln.structured_reference for ln in returns if ln.structured_reference}
    ibans = {ln.counterparty_iban for ln in returns if ln.counterparty_iban}
    amounts = {-ln.amount_minor for ln in returns}
    condition = Q(counterparty_iban__in=ibans, amount_minor__in=amounts)
    if e2e:
        condition |= Q(end_to_end_id__in=e2e)
    if refs:
        condition |= Q(structured_reference__in=refs, amount_minor__in=amounts)
    returning = {ln.pk for ln in returns}
    stored = StatementLine.objects.filter(condition, creditor=creditor, amount_minor__gt=0).exclude(
        status=LineStatus.RETURNED
    )
    same_file = [
        ln
        for ln in fresh
        if ln.amount_minor > 0
        and ln.status != LineStatus.RETURNED
        and (
            (ln.counterparty_iban in ibans and ln.amount_minor in amounts)
            or ln.end_to_end_id in e2e
            or (ln.structured_reference in refs and ln.amount_minor in amounts)
        )
    ]
    candidates = sorted(
        (ln for ln in [*stored, *same_file] if ln.pk not in returning),
        key=lambda ln: (ln.booking_date, ln.pk),
        reverse=True,
    )
    by_e2e: dict[str, list[StatementLine]] = defaultdict(list)
    by_ref: dict[tuple[str, int], list[StatementLine]] = defaultdict(list)
    by_payer: dict[tuple[str, int], list[StatementLine]] = defaultdict(list)
    for candidate in candidates:
        if candidate.end_to_end_id:
            by_e2e[candidate.end_to_end_id].append(candidate)
        if candidate.structured_reference:
            by_ref[(candidate.structured_reference, candidate.amount_minor)].append(candidate)
        if candidate.counterparty_iban:
            by_payer[(candidate.counterparty_iban, candidate.amount_minor)].append(candidate)
    used: set[int] = set()
    found: dict[int, StatementLine] = {}
    for line in returns:
        options = (
            by_e2e.get(line.end_to_end_id, []) if line.end_to_end_id else [],
            by_ref.get((line.structured_reference, -line.amount_minor), [])
            if line.structured_reference
            else [],
            by_payer.get((line.counterparty_iban, -line.amount_minor), [])
            if line.counterparty_iban
            else [],
        )
        for group in options:
            match = next(
                (
                    c
                    for c in group
                    if c.pk not in used
                    and c.booking_date <= line.booking_date
                    and c.currency == line.currency
                ),
                None,
            )
            if match is not None:
                used.add(match.pk)
                found[line.pk] = match
                break
    return found


def _fmt(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))
