"""Matching statement credit lines to open items, and the reconciliation queue behind it.

The scoring is the pure function ``vorder.domain.matching.match_line``; this module fetches the
candidates for a whole batch in a handful of set-based queries (never one per line), books the
sure matches through ``allocations_apply`` in one go, and queues the rest with their top three
suggestions for a person. Because allocations change the invoices' open amounts in the same
transaction, promises, arrangements, aging and the next dunning run see the payment at once.

A match that is certain (or a person's decision) ties the payer's IBAN to the customer, so the
next payment from that account is recognised even without a reference.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet

from vorder.banking.models import LineStatus, StatementLine
from vorder.common.audit import acting_as, audit_bulk
from vorder.common.db import AnyOf, create_objects, key_chunk, update_rows
from vorder.common.models import AuditEntry
from vorder.domain import matching as scoring
from vorder.domain.money import Money
from vorder.ledger.models import Creditor, Customer, CustomerBankAccount, Invoice, Payment
from vorder.ledger.services.allocations import AllocationRequest, allocations_apply
from vorder.ledger.services.bank_accounts import BankAccountLink, customer_bank_accounts_confirm

MAX_NAME_CANDIDATES = 20
"""Customers compared per payer name, those sharing the rarest words first."""
SUGGESTIONS = 3


class ReconciliationError(ValueError):
    """A queue action cannot be done (the line is not in the queue, the amounts do not fit)."""


@dataclass
class MatchOutcome:
    """What a matching run did; ``allocations`` is the JSON contract of ``import statement``."""

    auto_matched: int = 0
    queued: int = 0
    allocations: list[dict[str, Any]] = field(default_factory=list)


def match_threshold() -> Decimal:
    """The confidence from which lines are booked without a person (setting VORDER_MATCH_THRESHOLD)."""
    return Decimal(str(getattr(settings, "VORDER_MATCH_THRESHOLD", scoring.DEFAULT_THRESHOLD)))


# -- the batch --------------------------------------------------------------------------------
@transaction.atomic
def statement_lines_match(
    *,
    creditor: Creditor,
    lines: Sequence[StatementLine],
    dry_run: bool,
    threshold: Decimal | None = None,
) -> MatchOutcome:
    """Match the new credit lines of a batch; book the sure ones, queue the others.

    Debits, foreign-currency lines and lines already handled are left alone. With ``dry_run``
    nothing is written: the outcome tells what would be booked.
    """
    threshold = match_threshold() if threshold is None else threshold
    todo = [
        line
        for line in lines
        if line.status == LineStatus.NEW
        and line.amount_minor > 0
        and line.currency == creditor.currency
        and not line.is_return
        and not line.is_reversal
    ]
    outcome = MatchOutcome()
    if not todo:
        return outcome
    decided = _decide(creditor, todo, threshold)
    for line, ranked, sure in decided:
        if sure:
            outcome.auto_matched += 1
            best = ranked[0]
            for allocation in best.allocations:
                outcome.allocations.append(
                    {
                        "line": str(line.pk),
                        "invoice": allocation.number,
                        "amount": str(
                            Money.from_minor(allocation.amount_minor, line.currency).amount
                        ),
                        "confidence": float(best.confidence),
                        "explanation": best.explanation,
                    }
                )
        else:
            outcome.queued += 1
    if not dry_run:
        _book(creditor, decided)
    return outcome


def _decide(
    creditor: Creditor, lines: Sequence[StatementLine], threshold: Decimal
) -> list[tuple[StatementLine, list[scoring.Match], bool]]:
    """Score every line against candidates fetched for the whole batch."""
    domain_lines = {line.pk: _domain_line(line) for line in lines}
    refs_by_line = {pk: _reference_keys(dl) for pk, dl in domain_lines.items()}
    keys_by_line = {
        pk: scoring.number_keys_in_text(f"{dl.remittance} {dl.structured_reference}")
        for pk, dl in domain_lines.items()
    }
    ibans = {scoring.iban_key(dl.counterparty_iban) for dl in domain_lines.values()} - {""}

    items: dict[int, _Item] = {}
    by_reference: dict[str, list[int]] = defaultdict(list)
    by_number_key: dict[str, list[int]] = defaultdict(list)
    # 1. invoices whose structured reference a line carries
    wanted_refs = {form for keys in refs_by_line.values() for key in keys for form in _forms(key)}
    for chunk in _chunks(sorted(wanted_refs)):
        for row in _open_items(creditor).filter(AnyOf(F("payment_reference"), chunk)):
            items[row["id"]] = _Item(row)
            by_reference[scoring.reference_key(row["payment_reference"])].append(row["id"])
    # 2. invoices whose number a line's text spells (one pass over the open numbers)
    wanted_keys = set().union(*keys_by_line.values())
    if wanted_keys:
        found = [
            pk
            for pk, number in _open_invoices(creditor).values_list("pk", "number").iterator(20_000)
            if scoring.number_key(number) in wanted_keys
        ]
        for chunk in _chunks(sorted(set(found) - set(items))):
            for row in _open_items(creditor).filter(AnyOf(F("pk"), chunk)):
                items[row["id"]] = _Item(row)
        for item in items.values():
            by_number_key[scoring.number_key(item.row["number"])].append(item.row["id"])
    # 3. customers who pay from the lines' IBANs
    owners: dict[str, set[int]] = defaultdict(set)
    for chunk in _chunks(sorted(ibans)):
        for iban, customer_id in CustomerBankAccount.objects.filter(
            AnyOf(F("iban"), chunk), creditor=creditor
        ).values_list("iban", "customer_id"):
            owners[iban].add(customer_id)
        for iban, customer_id in Customer.objects.filter(
            AnyOf(F("iban"), chunk), creditor=creditor
        ).values_list("iban", "pk"):
            owners[scoring.iban_key(iban)].add(customer_id)
    # 4. customers whose name resembles a payer's, for lines from an unknown account without a
    # structured reference that names an open invoice (an invoice number may be a typo for another)
    referenced_refs = set(by_reference)
    names = _name_candidates(
        creditor,
        [
            dl.counterparty_name
            for pk, dl in domain_lines.items()
            if scoring.iban_key(dl.counterparty_iban) not in owners
            and not refs_by_line[pk] & referenced_refs
        ],
    )
    # 5. the open items of every customer recognised, in one query per chunk
    recognised = {c for cs in owners.values() for c in cs} | {
        c for cs in names.values() for c, _ in cs
    }
    customer_names: dict[int, str] = {}
    for chunk in _chunks(sorted(recognised)):
        for row in _open_items(creditor).filter(AnyOf(F("customer_id"), chunk)):
            items.setdefault(row["id"], _Item(row))
        customer_names.update(
            Customer.objects.filter(AnyOf(F("pk"), chunk)).values_list("pk", "name").iterator()
        )
    by_customer: dict[int, list[int]] = defaultdict(list)
    for item in sorted(items.values(), key=lambda i: i.row["id"]):
        by_customer[item.row["customer_id"]].append(item.row["id"])

    decided: list[tuple[StatementLine, list[scoring.Match], bool]] = []
    for line in lines:  # in statement order: earlier lines use up open amounts first
        dl = domain_lines[line.pk]
        payer_iban = scoring.iban_key(dl.counterparty_iban)
        iban_customers = owners.get(payer_iban, set())
        name_customers = {c for c, _ in names.get(dl.counterparty_name, [])}
        candidate_ids: set[int] = set()
        for key in refs_by_line[line.pk]:
            candidate_ids.update(by_reference.get(key, ()))
        for key in keys_by_line[line.pk]:
            candidate_ids.update(by_number_key.get(key, ()))
        for customer_id in iban_customers | name_customers:
            candidate_ids.update(by_customer.get(customer_id, ()))
        # the payer's IBAN reaches the scoring through ``known`` below, not through every item
        candidates = [items[i].open_item() for i in sorted(candidate_ids) if items[i].left > 0]
        known = [
            scoring.KnownCustomer(
                customer_id=c,
                name=customer_names.get(c, ""),
                ibans=frozenset({payer_iban}) if c in iban_customers else frozenset(),
            )
            for c in sorted(iban_customers | name_customers)
        ]
        ranked = scoring.match_line(dl, candidates, customers=known)
        sure = ranked[0].is_sure(threshold)
        if sure:
            for allocation in ranked[0].allocations:
                items[allocation.invoice_id].left -= allocation.amount_minor
        decided.append((line, ranked, sure))
    return decided


def _book(
    creditor: Creditor, decided: Sequence[tuple[StatementLine, list[scoring.Match], bool]]
) -> None:
    """Write the decisions: payments, allocations, learned IBANs and the lines, in bulk."""
    _payments_ensure(creditor, [line for line, _, _ in decided])
    requests: list[AllocationRequest] = []
    links: list[BankAccountLink] = []
    on_account: list[Payment] = []
    for line, ranked, sure in decided:
        best = ranked[0]
        line.confidence = int(best.confidence * 1000)
        line.explanation = best.explanation
        line.suggestions = [_suggestion(m) for m in ranked[:SUGGESTIONS]]
        if not sure:
            line.status = LineStatus.QUEUED
            continue
        line.customer_id = best.customer_id
        line.status = (
            LineStatus.PARTIALLY_MATCHED
            if best.allocations and best.unallocated_minor
            else LineStatus.MATCHED
        )
        requests.extend(
            AllocationRequest(
                invoice_id=a.invoice_id,
                amount_minor=a.amount_minor,
                date=line.booking_date,
                payment_id=line.payment_id,
            )
            for a in best.allocations
        )
        if not best.allocations:
            on_account.append(Payment(pk=line.payment_id, customer_id=best.customer_id))
        if best.confidence >= scoring.LEARN_THRESHOLD and line.counterparty_iban:
            links.append(_link(line, best.customer_id))
    allocations_apply(creditor=creditor, requests=requests)
    update_rows(Payment, ["customer_id"], [(p.pk, p.customer_id) for p in on_account])
    customer_bank_accounts_confirm(creditor=creditor, links=links)
    lines = [line for line, _, _ in decided]
    update_rows(
        StatementLine,
        ["status", "customer_id", "confidence", "explanation", "suggestions", "payment_id"],
        [
            (
                line.pk,
                line.status,
                line.customer_id,
                line.confidence,
                line.explanation,
                json.dumps(line.suggestions),
                line.payment_id,
            )
            for line in lines
        ],
    )
    audit_bulk(
        AuditEntry.build(
            creditor_id=creditor.pk,
            obj=line,
            action=AuditEntry.Action.UPDATE,
            changes={
                "status": [LineStatus.NEW, line.status],
                "confidence": [None, line.confidence],
            },
        )
        for line in lines
    )


def _payments_ensure(creditor: Creditor, lines: Sequence[StatementLine]) -> None:
    """Every credit line needs its ledger payment to allocate from; the import normally made it."""
    missing = [line for line in lines if line.payment_id is None]
    if not missing:
        return
    payments = [
        Payment(
            creditor=creditor,
            number=f"BANK-{line.pk}",
            date=line.booking_date,
            currency=line.currency,
            amount_minor=line.amount_minor,
            unallocated_minor=line.amount_minor,
            payer_name=line.counterparty_name[:200],
            payer_iban=line.counterparty_iban[:34],
            reference=(line.structured_reference or line.remittance_info)[:140],
            source=Payment.Source.BANK,
        )
        for line in missing
    ]
    create_objects(payments)
    for line, payment in zip(missing, payments, strict=True):
        line.payment_id = payment.pk


# -- candidates -------------------------------------------------------------------------------
class _Item:
    """An open invoice fetched for the batch, with what earlier lines of the batch left open.

    Its ``OpenItem`` is built once and again only after a sure match of an earlier line took
    part of it: a batch of 100,000 lines looks at about a million candidates."""

    __slots__ = ("row", "left", "_open")

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.left: int = row["open_minor"]
        self._open: scoring.OpenItem | None = None

    def open_item(self) -> scoring.OpenItem:
        if self._open is None or self._open.open_minor != self.left:
            row = self.row
            self._open = scoring.OpenItem(
                invoice_id=row["id"],
                number=row["number"],
                customer_id=row["customer_id"],
                customer_name=row["customer__name"],
                open_minor=self.left,
                currency=row["currency"],
                due_date=row["due_date"],
                payment_reference=row["payment_reference"],
            )
        return self._open


def _open_invoices(creditor: Creditor) -> QuerySet[Invoice]:
    return Invoice.objects.filter(creditor=creditor, status=Invoice.Status.OPEN, open_minor__gt=0)


def _open_items(creditor: Creditor) -> QuerySet[Invoice, Any]:
    return _open_invoices(creditor).values(
        "id",
        "number",
        "customer_id",
        "customer__name",
        "open_minor",
        "currency",
        "due_date",
        "payment_reference",
    )


def _domain_line(line: StatementLine) -> scoring.Line:
    return scoring.Line(
        amount_minor=line.amount_minor,
        currency=line.currency,
        booking_date=line.booking_date,
        counterparty_name=line.counterparty_name,
        counterparty_iban=line.counterparty_iban,
        remittance=line.remittance_info,
        structured_reference=line.structured_reference,
    )


def _reference_keys(line: scoring.Line) -> set[str]:
    found = [ref for _, ref in scoring.references_in_text(line.remittance)]
    if line.structured_reference:
        found.append(line.structured_reference)
    return {scoring.reference_key(ref) for ref in found} - {""}


def _forms(key: str) -> list[str]:
    """How an invoice may store a reference: compact, or an OGM in its +++…+++ frame."""
    forms = [key]
    if len(key) == 12 and key.isdigit():
        forms.append(f"+++{key[:3]}/{key[3:7]}/{key[7:]}+++")
    return forms


def _name_candidates(
    creditor: Creditor, payer_names: Iterable[str]
) -> dict[str, list[tuple[int, float]]]:
    """Customers whose name resembles each payer name, found through a word index of the batch.

    One pass over the creditor's customer names; only customers sharing a word of three letters
    or more with a payer are compared, the rarest shared words first.
    """
    wanted: dict[str, set[str]] = {}
    for name in set(payer_names):
        words = {w for w in scoring.name_tokens(name) if len(w) >= 3}
        if words:
            wanted[name] = words
    if not wanted:
        return {}
    all_words = set().union(*wanted.values())
    index: dict[str, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for pk, name in (
        Customer.objects.filter(creditor=creditor).values_list("pk", "name").iterator(20_000)
    ):
        hit = False
        for word in scoring.name_tokens(name):
            if word in all_words:
                index[word].append(pk)
                hit = True
        if hit:
            names[pk] = name
    result: dict[str, list[tuple[int, float]]] = {}
    for payer, words in wanted.items():
        seen: list[int] = []
        for word in sorted(words, key=lambda w: len(index.get(w, ()))):
            for pk in index.get(word, ()):
                if pk not in seen and len(seen) < MAX_NAME_CANDIDATES:
                    seen.append(pk)
        scored = [(pk, scoring.name_similarity(payer, names[pk])) for pk in seen]
        close = [(pk, s) for pk, s in scored if s >= scoring.NAME_LIKE]
        if close:
            result[payer] = close
    return result


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    size = key_chunk()
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _suggestion(match: scoring.Match) -> dict[str, Any]:
    return {
        "outcome": str(match.outcome),
        "customer_id": match.customer_id,
        "allocations": [
            {"invoice_id": a.invoice_id, "invoice": a.number, "amount_minor": a.amount_minor}
            for a in match.allocations
        ],
        "unallocated_minor": match.unallocated_minor,
        "confidence": str(match.confidence),
        "explanation": match.explanation,
    }


def _link(line: StatementLine, customer_id: int | None, source: str = "match") -> BankAccountLink:
    assert customer_id is not None
    return BankAccountLink(
        customer_id=customer_id,
        iban=line.counterparty_iban,
        on=line.booking_date,
        holder_name=line.counterparty_name,
        source=source,
    )


# -- the reconciliation queue -----------------------------------------------------------------
def reconciliation_queue(*, creditor: Creditor) -> QuerySet[StatementLine]:
    """Lines waiting for a person, oldest first."""
    return (
        StatementLine.objects.filter(creditor=creditor, status=LineStatus.QUEUED)
        .select_related("payment", "customer")
        .order_by("booking_date", "pk")
    )


def invoice_search(*, creditor: Creditor, text: str, limit: int = 50) -> QuerySet[Invoice]:
    """Open invoices for a manual match: by number, reference, customer name/number or amount."""
    text = text.strip()
    condition = (
        Q(number__icontains=text)
        | Q(payment_reference__icontains=scoring.compact(text) or text)
        | Q(customer__name__icontains=text)
        | Q(customer__number__iexact=text)
    )
    try:
        amount = Money.of(text.replace(",", "."), creditor.currency)
    except ValueError:
        pass
    else:
        condition |= Q(open_minor=amount.minor) | Q(gross_minor=amount.minor)
    return (
        _open_invoices(creditor)
        .filter(condition)
        .select_related("customer")
        .order_by("due_date", "number")[:limit]
    )


def _queued(line: StatementLine) -> StatementLine:
    """The line, locked, with its payment; refuses lines that are not waiting for a person."""
    locked = (
        StatementLine.objects.select_for_update(of=("self",))
        .select_related("payment")
        .get(pk=line.pk)
    )
    if locked.status not in (LineStatus.QUEUED, LineStatus.NEW):
        raise ReconciliationError(
            f"statement line {locked.pk} is {locked.get_status_display().lower()}, not queued"
        )
    if locked.amount_minor <= 0:
        raise ReconciliationError(f"statement line {locked.pk} is not a credit")
    return locked


def _settle(
    line: StatementLine,
    *,
    customer_id: int,
    allocations: Sequence[tuple[int, int]],
    explanation: str,
    user: Any,
    learn: bool = True,
) -> StatementLine:
    creditor = line.creditor
    _payments_ensure(creditor, [line])
    with acting_as(user_id=getattr(user, "pk", None), name=_user_name(user)):
        before = line.status
        allocations_apply(
            creditor=creditor,
            requests=[
                AllocationRequest(
                    invoice_id=invoice_id,
                    amount_minor=amount,
                    date=line.booking_date,
                    payment_id=line.payment_id,
                )
                for invoice_id, amount in allocations
            ],
        )
        assert line.payment_id is not None  # made by _payments_ensure above
        Payment.objects.filter(pk=line.payment_id).update(customer_id=customer_id)
        allocated = sum(amount for _, amount in allocations)
        line.customer_id = customer_id
        line.status = (
            LineStatus.PARTIALLY_MATCHED
            if allocations and allocated < line.amount_minor
            else LineStatus.MATCHED
        )
        line.explanation = explanation
        line.save(update_fields=["status", "customer", "explanation", "payment"])
        if learn and line.counterparty_iban:
            customer_bank_accounts_confirm(
                creditor=creditor, links=[_link(line, customer_id, source="manual")]
            )
        audit_bulk(
            [
                AuditEntry.build(
                    creditor_id=creditor.pk,
                    obj=line,
                    action=AuditEntry.Action.UPDATE,
                    changes={"status": [before, line.status], "decision": [None, explanation]},
                )
            ]
        )
    return line


@transaction.atomic
def reconciliation_accept(
    *, line: StatementLine, suggestion_index: int, user: Any
) -> StatementLine:
    """One click: book the suggestion the person chose."""
    line = _queued(line)
    try:
        suggestion = line.suggestions[suggestion_index]
    except (IndexError, TypeError) as exc:
        raise ReconciliationError(
            f"statement line {line.pk} has no suggestion {suggestion_index + 1}"
        ) from exc
    if suggestion["customer_id"] is None:
        raise ReconciliationError("this suggestion names no customer: search by hand")
    return _settle(
        line,
        customer_id=suggestion["customer_id"],
        allocations=[(a["invoice_id"], a["amount_minor"]) for a in suggestion["allocations"]],
        explanation=f"accepted by {_user_name(user)}: {suggestion['explanation']}",
        user=user,
    )


@transaction.atomic
def reconciliation_allocate_manual(
    *, line: StatementLine, allocations: Sequence[tuple[Invoice, Money]], user: Any
) -> StatementLine:
    """Manual search and split: the person says which invoices get how much."""
    line = _queued(line)
    if not allocations:
        raise ReconciliationError("name at least one invoice")
    customers = {invoice.customer_id for invoice, _ in allocations}
    if len(customers) != 1:
        raise ReconciliationError("one payment pays the invoices of one customer")
    total = sum(amount.minor for _, amount in allocations)
    if total > line.amount_minor:
        raise ReconciliationError(
            f"the split ({Money.from_minor(total, line.currency)}) exceeds the payment "
            f"({Money.from_minor(line.amount_minor, line.currency)})"
        )
    numbers = ", ".join(invoice.number for invoice, _ in allocations)
    return _settle(
        line,
        customer_id=customers.pop(),
        allocations=[(invoice.pk, amount.minor) for invoice, amount in allocations],
        explanation=f"allocated by {_user_name(user)} to invoice {numbers}",
        user=user,
    )


@transaction.atomic
def reconciliation_to_account(
    *, line: StatementLine, customer: Customer, user: Any
) -> StatementLine:
    """The money is the customer's, but pays no invoice yet: credit on account."""
    line = _queued(line)
    if customer.creditor_id != line.creditor_id:
        raise ReconciliationError(f"customer {customer.number} belongs to another creditor")
    return _settle(
        line,
        customer_id=customer.pk,
        allocations=[],
        explanation=f"put on account of {customer.number} {customer.name} by {_user_name(user)}",
        user=user,
    )


@transaction.atomic
def reconciliation_ignore(*, line: StatementLine, user: Any, reason: str) -> StatementLine:
    """Not a customer's payment (a refund, an internal transfer): out of the queue, with why."""
    line = _queued(line)
    if not reason.strip():
        raise ReconciliationError("say why the line is ignored")
    with acting_as(user_id=getattr(user, "pk", None), name=_user_name(user)):
        before = line.status
        line.status = LineStatus.IGNORED
        line.explanation = f"ignored by {_user_name(user)}: {reason.strip()}"
        line.save(update_fields=["status", "explanation"])
        audit_bulk(
            [
                AuditEntry.build(
                    creditor_id=line.creditor_id,
                    obj=line,
                    action=AuditEntry.Action.UPDATE,
                    changes={"status": [before, line.status], "reason": [None, reason.strip()]},
                )
            ]
        )
    return line


def _user_name(user: Any) -> str:
    return str(user.get_username()) if hasattr(user, "get_username") else str(user or "system")
