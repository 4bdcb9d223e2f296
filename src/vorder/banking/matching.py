"""Matching statement credit lines to open items, and the reconciliation queue behind it.

The scoring is the pure function ``vorder.domain.matching.match_line``; this module fetches the
candidates for a whole batch in a handful of set-based queries (never one per line), books the
sure matches through ``allocations_apply`` in one go, and queues the rest with their top three
suggestions for a person. Because allocations change the invoices' open amounts in the same
transaction, promises, arrangements, aging and the next dunning run see the payment at once.

A line whose structured reference names one open invoice and pays exactly its open amount is
settled by that invoice alone (``domain.matching.settled_by_reference``): the customer's other
open items cannot change it, so they are not fetched for it. In a bank file most lines are such.

A match that is certain (or a person's decision) ties the payer's IBAN to the customer, so the
next payment from that account is recognised even without a reference.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Func, Q, QuerySet, Value

from vorder.banking.models import LineStatus, StatementLine
from vorder.common.audit import acting_as, audit_bulk
from vorder.common.bulk import bulk_work
from vorder.common.db import AnyOf, create_objects, key_chunks, update_rows
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


class LineNotQueued(ReconciliationError):
    """The line was decided already (or is no credit): nothing waits for a person."""


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
@bulk_work()
@transaction.atomic
def statement_lines_match(
    *,
    creditor: Creditor,
    lines: Sequence[StatementLine],
    dry_run: bool,
    threshold: Decimal | None = None,
) -> MatchOutcome:
    """Match the new credit lines of a batch; book the sure ones, queue the others.

    Debits, foreign-currency lines and lines already handled are left alone. The decision is
    written onto the line objects; lines already stored are updated (and audited), lines not
    yet saved (``_state.adding``, as the statement import hands them over with their ids
    reserved) are the caller's to insert, once, with their outcome. With ``dry_run`` nothing is
    written: the outcome tells what would be booked.
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
    decided = _Candidates(creditor, todo, threshold).decide()
    for decision in decided:
        line, best = decision.line, decision.best
        if decision.sure:
            outcome.auto_matched += 1
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


@dataclass(frozen=True, slots=True)
class _Decision:
    line: StatementLine
    ranked: list[scoring.Match]  # best first
    sure: bool  # booked without a person
    learn: bool  # ties the payer's IBAN to the customer (not already its own account)

    @property
    def best(self) -> scoring.Match:
        return self.ranked[0]


class _Candidates:
    """The open items and customers a batch of lines may pay, fetched set-wise, then scored.

    1. invoices whose structured reference a line carries;
    2. invoices whose number a line's text spells;
    3. customers who pay from the lines' IBANs;
    4. customers whose name resembles a payer's (lines from an unknown account that name no
       open invoice by its reference);
    5. every open item of the customers recognised, except for lines a reference settles.
    """

    def __init__(self, creditor: Creditor, lines: Sequence[StatementLine], threshold: Decimal):
        self.creditor = creditor
        self.lines = lines
        self.threshold = threshold
        self.items: dict[int, _Item] = {}
        self.names: dict[int, str] = {}  # customer id -> name, of every item and known customer
        self.by_customer: dict[int, list[int]] = defaultdict(list)
        self.customers_fetched: set[int] = set()

    def decide(self) -> list[_Decision]:
        creditor = self.creditor
        domain_lines = [_domain_line(line) for line in self.lines]
        refs_by_line = [_reference_keys(dl) for dl in domain_lines]
        keys_by_line = [
            scoring.number_keys_in_text(f"{dl.remittance} {dl.structured_reference}")
            for dl in domain_lines
        ]
        payer_ibans = [scoring.iban_key(dl.counterparty_iban) for dl in domain_lines]

        by_reference: dict[str, list[int]] = defaultdict(list)
        wanted = {form for keys in refs_by_line for key in keys for form in _forms(key)}
        for item in self._fetch(
            AnyOf(F("payment_reference"), chunk) for chunk in key_chunks(wanted)
        ):
            by_reference[scoring.reference_key(item.reference)].append(item.pk)
        by_number_key: dict[str, list[int]] = defaultdict(list)
        found = _spelled_invoices(creditor, set().union(*keys_by_line))
        for item in self._fetch(AnyOf(F("pk"), chunk) for chunk in key_chunks(found)):
            by_number_key[scoring.number_key(item.number)].append(item.pk)
        owners, own_ibans = _iban_owners(creditor, set(payer_ibans) - {""})

        named_by_line = [
            {pk for key in refs for pk in by_reference.get(key, ())}
            | {pk for key in keys for pk in by_number_key.get(key, ())}
            for refs, keys in zip(refs_by_line, keys_by_line, strict=True)
        ]
        settled: list[int | None] = [
            self._settled(dl, named, owners.get(iban, set()))
            for dl, named, iban in zip(domain_lines, named_by_line, payer_ibans, strict=True)
        ]
        referenced = set(by_reference)
        names = _name_candidates(
            creditor,
            [
                dl.counterparty_name
                for dl, refs, iban in zip(domain_lines, refs_by_line, payer_ibans, strict=True)
                if iban not in owners and not refs & referenced
            ],
        )
        recognised = {
            c
            for iban, sure in zip(payer_ibans, settled, strict=True)
            if sure is None
            for c in owners.get(iban, ())
        } | {c for cs in names.values() for c, _ in cs}
        self._customers(recognised)
        self._names(recognised | {c for cs in owners.values() for c in cs})

        decided: list[_Decision] = []
        for n, line in enumerate(self.lines):  # in statement order: earlier lines use up items
            dl = domain_lines[n]
            payer_iban = payer_ibans[n]
            iban_customers = owners.get(payer_iban, set())
            name_customers = {c for c, _ in names.get(dl.counterparty_name, [])}
            candidate_ids = set(named_by_line[n])
            sure_item = settled[n]
            if sure_item is not None and self.items[sure_item].left != dl.amount_minor:
                sure_item = None  # an earlier line of the batch took part of it: look at all
                self._customers(iban_customers)
            if sure_item is None:
                for customer_id in iban_customers | name_customers:
                    candidate_ids.update(self.by_customer.get(customer_id, ()))
            # the payer's IBAN reaches the scoring through ``known`` below, not through every item
            candidates = [
                self.items[i].open_item(self.names)
                for i in sorted(candidate_ids)
                if self.items[i].left > 0
            ]
            known = [
                scoring.KnownCustomer(
                    customer_id=c,
                    name=self.names.get(c, ""),
                    ibans=frozenset({payer_iban}) if c in iban_customers else frozenset(),
                )
                for c in sorted(iban_customers | name_customers)
            ]
            ranked = scoring.match_line(dl, candidates, customers=known)
            best = ranked[0]
            sure = best.is_sure(self.threshold)
            if sure:
                for allocation in best.allocations:
                    self.items[allocation.invoice_id].left -= allocation.amount_minor
            learn = (
                sure
                and best.confidence >= scoring.LEARN_THRESHOLD
                and bool(line.counterparty_iban)
                and (payer_iban, best.customer_id) not in own_ibans
            )
            decided.append(_Decision(line, ranked, sure, learn))
        return decided

    def _settled(self, line: scoring.Line, named: set[int], payers: set[int]) -> int | None:
        item = scoring.settled_by_reference(
            line,
            (self.items[pk].open_item(self.names) for pk in sorted(named)),
            payers,
            self.threshold,
        )
        return None if item is None else item.invoice_id

    def _fetch(self, conditions: Iterable[Any]) -> list[_Item]:
        """The open items meeting each condition (one query each), kept for the batch."""
        found: list[_Item] = []
        for condition in conditions:
            for row in _open_invoices(self.creditor).filter(condition).values_list(*_Item.COLUMNS):
                item = self.items.get(row[0])
                if item is None:
                    item = self.items[row[0]] = _Item(row)
                    self.by_customer[item.customer_id].append(item.pk)
                found.append(item)
        self._names({item.customer_id for item in found})
        return found

    def _customers(self, customers: set[int]) -> None:
        """Every open item of these customers."""
        new = customers - self.customers_fetched
        self.customers_fetched.update(new)
        self._fetch(AnyOf(F("customer_id"), chunk) for chunk in key_chunks(new))

    def _names(self, customers: set[int]) -> None:
        new = sorted(customers - set(self.names))
        for chunk in key_chunks(new):
            self.names.update(
                Customer.objects.filter(AnyOf(F("pk"), chunk)).values_list("pk", "name")
            )


def _book(creditor: Creditor, decided: Sequence[_Decision]) -> None:
    """Write the decisions: payments, allocations, learned IBANs and the lines, in bulk."""
    _payments_ensure(creditor, [decision.line for decision in decided])
    requests: list[AllocationRequest] = []
    links: list[BankAccountLink] = []
    on_account: list[Payment] = []
    for decision in decided:
        line, best = decision.line, decision.best
        line.confidence = int(best.confidence * 1000)
        line.explanation = best.explanation
        if not decision.sure:
            line.status = LineStatus.QUEUED
            # what a person chooses from; a sure line's runners-up interest nobody
            line.suggestions = [_suggestion(m) for m in decision.ranked[:SUGGESTIONS]]
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
        if decision.learn:
            links.append(_link(line, best.customer_id))
    allocations_apply(creditor=creditor, requests=requests)
    update_rows(Payment, ["customer_id"], [(p.pk, p.customer_id) for p in on_account])
    customer_bank_accounts_confirm(creditor=creditor, links=links)
    stored = [decision.line for decision in decided if not decision.line._state.adding]
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
            for line in stored
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
        for line in stored
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
    part of it: a batch of 100,000 lines looks at hundreds of thousands of candidates."""

    COLUMNS = (
        "id", "customer_id", "number", "open_minor", "currency", "due_date", "payment_reference",
    )  # fmt: skip
    __slots__ = ("pk", "customer_id", "number", "reference", "row", "left", "_open")

    def __init__(self, row: tuple[Any, ...]) -> None:
        self.pk: int = row[0]
        self.customer_id: int = row[1]
        self.number: str = row[2]
        self.left: int = row[3]
        self.reference: str = row[6]
        self.row = row
        self._open: scoring.OpenItem | None = None

    def open_item(self, names: dict[int, str]) -> scoring.OpenItem:
        if self._open is None or self._open.open_minor != self.left:
            pk, customer_id, number, _, currency, due_date, reference = self.row
            self._open = scoring.OpenItem(
                invoice_id=pk,
                number=number,
                customer_id=customer_id,
                customer_name=names.get(customer_id, ""),
                open_minor=self.left,
                currency=currency,
                due_date=due_date,
                payment_reference=reference,
            )
        return self._open


def _open_invoices(creditor: Creditor) -> QuerySet[Invoice]:
    """Unordered: a bulk fetch needs no sort (and a cursor over a sorted scan of a million
    invoices made PostgreSQL walk them by index instead)."""
    return Invoice.objects.filter(
        creditor=creditor, status=Invoice.Status.OPEN, open_minor__gt=0
    ).order_by()


def _spelled_invoices(creditor: Creditor, keys: set[str]) -> list[int]:
    """The open invoices whose number key (``domain.matching.number_key``) is one of ``keys``.

    One pass over the open invoices in the database, which sends back only what may match: a
    number of digits only is its own key without leading zeros (so ``LTRIM(number, '0')`` must
    be a key), and a number with other characters (prefixes, separators) goes to
    ``number_key`` in Python; most ledgers have few or none of those.
    """
    if not keys:
        return []
    digit_keys = sorted(k for k in keys if k.isdigit() and k.isascii())
    zero_keys = [k for k in digit_keys if not k.strip("0")]  # "000" is its own key
    maybe = Q(number__regex=r"[^0-9]")
    if digit_keys:
        maybe |= Q(AnyOf(F("key"), digit_keys))
    if zero_keys:
        maybe |= Q(AnyOf(F("number"), zero_keys))
    rows = (
        _open_invoices(creditor)
        .alias(key=Func(F("number"), Value("0"), function="LTRIM"))
        .filter(maybe)
        .values_list("pk", "number")
    )
    return [pk for pk, number in rows.iterator(20_000) if scoring.number_key(number) in keys]


def _iban_owners(
    creditor: Creditor, ibans: set[str]
) -> tuple[dict[str, set[int]], set[tuple[str, int]]]:
    """The customers each IBAN is known for (learned or their own), and which of those pairs
    are the customer's own account in its master data (nothing to learn there)."""
    owners: dict[str, set[int]] = defaultdict(set)
    own: set[tuple[str, int]] = set()
    for chunk in key_chunks(ibans):
        for iban, customer_id in CustomerBankAccount.objects.filter(
            AnyOf(F("iban"), chunk), creditor=creditor
        ).values_list("iban", "customer_id"):
            owners[iban].add(customer_id)
        for iban, customer_id in Customer.objects.filter(
            AnyOf(F("iban"), chunk), creditor=creditor
        ).values_list("iban", "pk"):
            key = scoring.iban_key(iban)
            owners[key].add(customer_id)
            own.add((key, customer_id))
    return owners, own


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
        Customer.objects.filter(creditor=creditor)
        .order_by()
        .values_list("pk", "name")
        .iterator(20_000)
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
        raise LineNotQueued(
            f"statement line {locked.pk} is {locked.get_status_display().lower()}, not queued"
        )
    if locked.amount_minor <= 0:
        raise LineNotQueued(f"statement line {locked.pk} is not a credit")
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
