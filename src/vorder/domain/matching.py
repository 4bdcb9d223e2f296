"""Matching a bank statement credit line to open items: scores that explain themselves.

Why a pure function: the decision "whose money is this, and which invoices does it pay" must be
testable without a database and must say *why* in words a collector can check at a glance. The
service in ``banking`` fetches the candidates for a whole batch in a few queries; this module
scores them.

How it scores. Every hypothesis (pay invoice X; pay invoices X and Y; put it on Z's account) collects
evidence, each with a strength between 0 and 1 — the chance that this signal alone would be
right — and the strengths combine like independent witnesses: ``1 - prod(1 - s)``. Conflicts
(the payer's IBAN belongs to another customer, the line's structured reference names another
invoice) multiply the result down. When the runner-up fits almost as well as the best, the best is
capped below any sensible threshold: a person decides. Strengths were set so that the labelled set
(``vorder.banking.labelled``) is auto-matched ≥ 90 % with ≥ 99.9 % precision at 0.90.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher
from enum import StrEnum
from functools import lru_cache

from vorder.domain.money import Money
from vorder.domain.references import ReferenceStyle, detect

DEFAULT_THRESHOLD = Decimal("0.90")
"""Confidence from which a line is allocated without a person (the creditor may set another)."""

LEARN_THRESHOLD = Decimal("0.97")
"""Confidence from which an automatic match teaches us the payer's IBAN."""

# Strengths: how often the signal alone points at the right thing.
S_REFERENCE = Decimal("0.97")
S_NUMBER_LONG = Decimal("0.93")  # invoice number of 6+ characters found exactly
S_NUMBER_MEDIUM = Decimal("0.80")  # 4-5 characters: could be a house number or an order
S_NUMBER_SHORT = Decimal("0.40")  # up to 3 characters: almost anything
S_NUMBER_TYPO = Decimal("0.60")  # one character off, 6+ characters
S_IBAN = Decimal("0.85")
S_IBAN_SHARED = Decimal("0.50")  # the IBAN pays for several customers (a holding, a parent)
S_NAME_SAME = Decimal("0.60")
S_NAME_LIKE = Decimal("0.40")
S_AMOUNT = Decimal("0.60")  # exactly the open amount of the invoice (or the invoices named)
S_COMBINATION = Decimal("0.50")  # the customer's oldest items, or a unique set among few
S_COMBINATION_WEAK = Decimal("0.30")  # a set among many items: coincidence is possible
S_AMOUNT_ONLY = Decimal("0.30")  # nothing but the amount: shared by this many items

# Conflicts multiply the confidence.
F_PARTIAL = Decimal("0.95")  # a typo can turn one invoice number into another
F_OVERPAID = Decimal("0.95")
F_OTHER_IBAN = Decimal("0.60")  # the payer's IBAN is known for another customer
F_REFERENCE_ELSEWHERE = Decimal("0.80")  # the structured reference names another open invoice
F_REFERENCE_NOWHERE = Decimal("0.98")  # it names no open invoice (a paid one, an old one)
F_ON_ACCOUNT_WITH_ITEMS = Decimal("0.70")  # money from a known customer that fits no item
AMBIGUOUS_RATIO = 3  # the runner-up's doubt is less than three times the best's: too close
AMBIGUOUS_CAP = Decimal("0.80")

MAX_COMBINATION_ITEMS = 20
"""Subset sums look at a customer's oldest items only: payment runs pay the oldest first."""
MAX_COMBINATION_NODES = 20_000
"""Bound on the search per line, so a customer with many equal items cannot stall a batch."""
FEW_ITEMS = 10

NAME_SAME = 0.95
NAME_LIKE = 0.80

_LEGAL_FORMS = frozenset(
    [
        "bv",
        "nv",
        "vof",
        "cv",
        "cvba",
        "bvba",
        "srl",
        "sprl",
        "sa",
        "sc",
        "scrl",
        "gmbh",
        "ag",
        "ltd",
        "llc",
        "inc",
        "eenmanszaak",
        "holding",
        "vzw",
        "asbl",
    ]
)
_TITLES = frozenset(
    ["hr", "dhr", "mw", "mevr", "mr", "mrs", "ms", "de", "heer", "mevrouw", "fam", "familie", "en"]
)
_NUMBER_PREFIXES = re.compile(
    r"^(FACTUURNUMMER|FACTUURNR|FACTUUR|FACTUREN|FACTURE|FACT|FAKTUUR|INVOICE|INV|REKENING"
    r"|NUMMER|NR|NO|NUM|REF|F)+"
)


class Outcome(StrEnum):
    """What a match does with the money."""

    ONE_INVOICE = "one_invoice"
    SEVERAL_INVOICES = "several_invoices"
    PARTIAL = "partial"  # less than the open amount: allocated to the invoice named
    OVERPAYMENT = "overpayment"  # more than the open amount: the rest is credit on account
    ON_ACCOUNT = "on_account"  # the payer is known but no item fits
    UNKNOWN_PAYER = "unknown_payer"  # nobody fits: a person looks


@dataclass(frozen=True, slots=True)
class Line:
    """The parts of a statement credit line that matching reads. Credits are positive."""

    amount_minor: int
    currency: str
    booking_date: date
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: str = ""
    structured_reference: str = ""


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An open invoice that the line might pay, with what we know of its customer."""

    invoice_id: int
    number: str
    customer_id: int
    customer_name: str
    open_minor: int
    currency: str
    due_date: date
    payment_reference: str = ""
    customer_ibans: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class KnownCustomer:
    """A customer that might be the payer even without open items (its money goes on account)."""

    customer_id: int
    name: str
    ibans: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: int
    number: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Match:
    """One way to book the line, with how sure we are and why."""

    outcome: Outcome
    customer_id: int | None
    allocations: tuple[Allocation, ...]
    unallocated_minor: int
    confidence: Decimal
    explanation: str

    def is_sure(self, threshold: Decimal = DEFAULT_THRESHOLD) -> bool:
        """Sure enough to book without a person."""
        return self.outcome is not Outcome.UNKNOWN_PAYER and self.confidence >= threshold


@dataclass
class _Hypothesis:
    customer_id: int
    items: list[OpenItem]
    lead: str  # the phrase that names what was found, e.g. "RF reference … → invoice …"
    strengths: list[Decimal] = field(default_factory=list)
    factors: list[Decimal] = field(default_factory=list)
    amount_is_new_evidence: bool = True  # False when the amount is all that found it

    def key(self) -> tuple[int, tuple[int, ...]]:
        return self.customer_id, tuple(sorted(item.invoice_id for item in self.items))


# -- normalisation ----------------------------------------------------------------------------
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
_WORDS = re.compile(r"[0-9A-Za-z]+")
_REFERENCE_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        r"RF\d{2}(?:\s?[0-9A-Z]){1,21}",
        r"[+*]{3}\s?\d{3}\s?/\s?\d{4}\s?/\s?\d{5}\s?[+*]{3}",
        r"(?<!\d)\d{16}(?!\d)",
        r"(?<!\d)\d{12}(?!\d)",
    )
)


def compact(text: str) -> str:
    """Letters and digits only, upper case: how banks and people differ least."""
    if text.isalnum() and text.isascii():
        return text.upper()
    return _NOT_ALNUM.sub("", text).upper()


def number_key(number: str) -> str:
    """An invoice number without separators, prefixes ('F-', 'INV') or leading zeros."""
    if number.isdigit() and number.isascii():  # most numbers: no need for the slow path
        return number.lstrip("0") or number
    return _number_key(number)


@lru_cache(maxsize=262_144)  # the same numbers and names come back line after line
def _number_key(number: str) -> str:
    key = compact(number)
    stripped = _NUMBER_PREFIXES.sub("", key).lstrip("0")
    return stripped if any(c.isdigit() for c in stripped) else key


def number_keys_in_text(text: str) -> set[str]:
    """Every way the free text could spell an invoice number (runs of up to three words).

    "Factuur 2024 0153" yields "20240153" among others; the caller looks the keys up.
    """
    tokens = _WORDS.findall(text.upper())
    keys: set[str] = set()
    for start in range(len(tokens)):
        for end in range(start + 1, min(start + 3, len(tokens)) + 1):
            joined = "".join(tokens[start:end])
            if any(c.isdigit() for c in joined):
                key = number_key(joined)
                if len(key) >= 3:
                    keys.add(key)
    return keys


def references_in_text(text: str) -> list[tuple[ReferenceStyle, str]]:
    """Structured references typed into the free text ("RF18 5390 0754 7034", "+++…+++")."""
    found: list[tuple[ReferenceStyle, str]] = []
    upper = text.upper()
    for pattern in _REFERENCE_PATTERNS:
        for candidate in pattern.findall(upper):
            parts = candidate.split()
            for end in range(len(parts), 0, -1):  # a greedy RF may have swallowed a next word
                detected = detect("".join(parts[:end]))
                if detected is not None:
                    if detected not in found:
                        found.append(detected)
                    break
    return found


def reference_key(reference: str) -> str:
    """A structured reference compared without frame or spaces (+++…+++ becomes its digits)."""
    return compact(reference)


def iban_key(iban: str) -> str:
    return compact(iban)


def name_tokens(name: str) -> list[str]:
    """Lowercase words without accents, punctuation, legal forms (B.V., SRL, GmbH) or titles."""
    return list(_name_tokens(name))


@lru_cache(maxsize=262_144)
def _name_tokens(name: str) -> tuple[str, ...]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"\b([a-z])\.(?=[a-z]\.)", r"\1", plain)  # b.v. -> bv, n.v. -> nv
    plain = plain.replace(".", "")
    words = re.findall(r"[a-z0-9]+", plain)
    return tuple(w for w in words if w not in _LEGAL_FORMS and w not in _TITLES)


@lru_cache(maxsize=262_144)
def name_similarity(a: str, b: str) -> float:
    """Token-set similarity in 0..1; an initial ("J.") counts as most of the name it starts."""
    left, right = name_tokens(a), name_tokens(b)
    if not left or not right:
        return 0.0
    if len(left) > len(right):
        left, right = right, left
    unused = list(right)
    total = 0.0
    for word in left:
        if word in unused:  # the same word: nothing scores higher (most payer names)
            unused.remove(word)
            total += 1.0
            continue
        best, best_score = "", 0.0
        for other in unused:
            score = _word_similarity(word, other)
            if score > best_score:
                best, best_score = other, score
        if best:
            unused.remove(best)
            total += best_score
    return total / len(right)


def _word_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return 0.8 if a[0] == b[0] else 0.0
    similar = SequenceMatcher(None, a, b)
    if similar.real_quick_ratio() < 0.85 or similar.quick_ratio() < 0.85:
        return 0.0  # upper bounds of ratio(), much cheaper to compute
    ratio = similar.ratio()
    return ratio if ratio >= 0.85 else 0.0


def within_one_edit(a: str, b: str) -> bool:
    """True when b is a with one character changed, added, dropped or two neighbours swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


# -- combinations -----------------------------------------------------------------------------
def combinations_paying(
    items: Sequence[OpenItem], amount_minor: int
) -> tuple[list[list[OpenItem]], bool]:
    """Sets of two or more items whose open amounts add up to the amount exactly.

    Looks at the oldest ``MAX_COMBINATION_ITEMS`` items; returns at most three sets, the oldest
    first run ("everything due up to …") first, and whether that run was among them.
    """
    pool = sorted(items, key=lambda i: (i.due_date, i.invoice_id))[:MAX_COMBINATION_ITEMS]
    found: list[list[OpenItem]] = []
    running = 0
    prefix = False
    for n, item in enumerate(pool, start=1):
        running += item.open_minor
        if running == amount_minor and n >= 2:
            found.append(pool[:n])
            prefix = True
            break
        if running > amount_minor:
            break
    by_size = sorted(pool, key=lambda i: (-i.open_minor, i.due_date, i.invoice_id))
    rest = [0] * (len(by_size) + 1)
    for n in range(len(by_size) - 1, -1, -1):
        rest[n] = rest[n + 1] + by_size[n].open_minor
    budget = [MAX_COMBINATION_NODES]
    chosen: list[OpenItem] = []
    seen = {frozenset(i.invoice_id for i in s) for s in found}

    def search(start: int, remaining: int) -> None:
        if len(found) >= 3 or budget[0] <= 0:
            return
        budget[0] -= 1
        if remaining == 0:
            ids = frozenset(i.invoice_id for i in chosen)
            if len(chosen) >= 2 and ids not in seen:
                seen.add(ids)
                found.append(sorted(chosen, key=lambda i: (i.due_date, i.invoice_id)))
            return
        for n in range(start, len(by_size)):
            if rest[n] < remaining:
                return
            value = by_size[n].open_minor
            if value <= remaining:
                chosen.append(by_size[n])
                search(n + 1, remaining - value)
                chosen.pop()

    search(0, amount_minor)
    return found, prefix


# -- the sure case -----------------------------------------------------------------------------
# A line whose checked structured reference names exactly one open item and that pays exactly its
# open amount: that item scores at least REFERENCE_AND_AMOUNT (reference and amount, no factor,
# as long as the payer's IBAN is not another customer's). Every other hypothesis either leaves
# the item out (the reference then names another invoice: at most F_REFERENCE_ELSEWHERE) or adds
# items to it (then the line pays part of them: at most F_PARTIAL), so none comes near enough to
# make the best ambiguous, whatever other items the customer has.
REFERENCE_AND_AMOUNT = (1 - (1 - S_REFERENCE) * (1 - S_AMOUNT)).quantize(Decimal("0.001"))
_BEST_RIVAL = max(F_REFERENCE_ELSEWHERE, F_PARTIAL)
REFERENCE_SETTLES = 1 - _BEST_RIVAL >= AMBIGUOUS_RATIO * (1 - REFERENCE_AND_AMOUNT)
"""False if the strengths above are ever changed so that the argument no longer holds."""


def settled_by_reference(
    line: Line,
    named: Iterable[OpenItem],
    payer_customers: Iterable[int],
    threshold: Decimal = DEFAULT_THRESHOLD,
) -> OpenItem | None:
    """The open item a line pays beyond doubt, or None.

    ``named`` must hold every open item whose structured reference the line carries;
    ``payer_customers`` are the customers the payer's IBAN is known for. When this returns an
    item, ``match_line`` gives the same best match (the item, sure) whether or not the
    customer's other open items are among its candidates: the caller need not fetch them. Only
    the runners-up, which nobody reviews for a sure match, would differ.
    """
    if not REFERENCE_SETTLES or threshold > REFERENCE_AND_AMOUNT:
        return None
    refs = _line_references(line)
    if not refs:
        return None
    hits = [
        item
        for item in named
        if item.payment_reference
        and item.currency == line.currency
        and item.open_minor > 0
        and reference_key(item.payment_reference) in refs
    ]
    if len(hits) != 1 or hits[0].open_minor != line.amount_minor:
        return None
    if any(customer != hits[0].customer_id for customer in payer_customers):
        return None
    return hits[0]


# -- scoring ----------------------------------------------------------------------------------
def match_line(
    line: Line, items: Sequence[OpenItem], *, customers: Sequence[KnownCustomer] = ()
) -> list[Match]:
    """Every sensible way to book the line, best first; never empty.

    ``items`` are the candidate open items (found by reference, number, IBAN or name);
    ``customers`` adds payers that have no open items, so their money can go on account.
    """
    items = [i for i in items if i.currency == line.currency and i.open_minor > 0]
    people = _customers(items, customers)
    by_customer: dict[int, list[OpenItem]] = {}
    for item in items:
        by_customer.setdefault(item.customer_id, []).append(item)

    payer_iban = iban_key(line.counterparty_iban)
    iban_owners = {c for c, (_, ibans) in people.items() if payer_iban and payer_iban in ibans}
    customer_evidence = {
        c: _customer_evidence(line, name, c in iban_owners, len(iban_owners))
        for c, (name, _) in people.items()
    }

    line_refs = _line_references(line)
    text_keys = _TextKeys(number_keys_in_text(f"{line.remittance} {line.structured_reference}"))
    referenced: dict[int, tuple[Decimal, str]] = {}
    ref_targets: set[int] = set()
    for item in items:
        ref = reference_key(item.payment_reference) if item.payment_reference else ""
        if ref and ref in line_refs:
            ref_targets.add(item.invoice_id)
        found = _item_named(item, ref, line_refs, text_keys)
        if found is not None:
            referenced[item.invoice_id] = found

    hypotheses: list[_Hypothesis] = []
    # 1. Invoices the line names, one by one and (same customer) together.
    for item in items:
        if item.invoice_id in referenced:
            strength, phrase = referenced[item.invoice_id]
            hyp = _Hypothesis(item.customer_id, [item], phrase, [strength])
            hypotheses.append(hyp)
    named_by_customer: dict[int, list[OpenItem]] = {}
    for item in items:
        if item.invoice_id in referenced:
            named_by_customer.setdefault(item.customer_id, []).append(item)
    for customer_id, named in named_by_customer.items():
        if len(named) >= 2:
            named.sort(key=lambda i: (i.due_date, i.invoice_id))
            hyp = _Hypothesis(
                customer_id,
                named,
                f"invoices {_numbers(named)} named in the text",
                [referenced[i.invoice_id][0] for i in named],
            )
            hypotheses.append(hyp)
    # 2. Customers we recognise: an item of exactly this amount, a combination, or on account.
    for customer_id, (strengths, _) in customer_evidence.items():
        if not strengths:
            continue
        own = by_customer.get(customer_id, [])
        exact = [i for i in own if i.open_minor == line.amount_minor]
        for item in exact:
            if item.invoice_id not in referenced:
                hypotheses.append(
                    _Hypothesis(customer_id, [item], f"amount fits invoice {item.number}")
                )
        if not exact:
            combos, prefix = combinations_paying(own, line.amount_minor)
            for n, combo in enumerate(combos):
                sure = len(combos) == 1 and (prefix or len(own) <= FEW_ITEMS)
                hyp = _Hypothesis(
                    customer_id,
                    combo,
                    f"amount is the sum of invoices {_numbers(combo)}"
                    + (" (oldest first)" if prefix and n == 0 else ""),
                    [S_COMBINATION if sure else S_COMBINATION_WEAK]
                    + [referenced[i.invoice_id][0] for i in combo if i.invoice_id in referenced],
                )
                hypotheses.append(hyp)
        hyp = _Hypothesis(customer_id, [], "no open item fits: on account")
        if own:
            hyp.factors.append(F_ON_ACCOUNT_WITH_ITEMS)
        hypotheses.append(hyp)
    # 3. Nothing but the amount.
    known = {c for c, (s, _) in customer_evidence.items() if s}
    loose = [
        i
        for i in items
        if i.open_minor == line.amount_minor
        and i.customer_id not in known
        and i.invoice_id not in referenced
    ]
    for item in loose:
        hyp = _Hypothesis(
            item.customer_id,
            [item],
            f"only the amount fits invoice {item.number}",
            [S_AMOUNT_ONLY / len(loose)],
            amount_is_new_evidence=False,
        )
        hypotheses.append(hyp)

    matches: dict[tuple[int, tuple[int, ...]], Match] = {}
    for hyp in hypotheses:
        match = _score(hyp, line, customer_evidence, iban_owners, line_refs, ref_targets, people)
        if hyp.key() not in matches or matches[hyp.key()].confidence < match.confidence:
            matches[hyp.key()] = match
    ranked = sorted(
        matches.values(),
        key=lambda m: (-m.confidence, -len(m.allocations), [a.invoice_id for a in m.allocations]),
    )
    if not ranked:
        return [
            Match(
                outcome=Outcome.UNKNOWN_PAYER,
                customer_id=None,
                allocations=(),
                unallocated_minor=line.amount_minor,
                confidence=Decimal(0),
                explanation="unknown payer: no reference, invoice number, known IBAN or name fits",
            )
        ]
    best, rest = ranked[0], ranked[1:]
    if rest and 1 - rest[0].confidence < AMBIGUOUS_RATIO * (1 - best.confidence):
        capped = min(best.confidence, AMBIGUOUS_CAP)
        best = Match(
            outcome=best.outcome,
            customer_id=best.customer_id,
            allocations=best.allocations,
            unallocated_minor=best.unallocated_minor,
            confidence=capped,
            explanation=f"{best.explanation}; but {_what(rest[0])} fits about as well",
        )
    return [best, *rest]


def _customers(
    items: Iterable[OpenItem], extra: Iterable[KnownCustomer]
) -> dict[int, tuple[str, frozenset[str]]]:
    people: dict[int, tuple[str, frozenset[str]]] = {}
    for item in items:
        name, ibans = people.get(item.customer_id, (item.customer_name, frozenset()))
        people[item.customer_id] = (name, ibans | {iban_key(i) for i in item.customer_ibans})
    for customer in extra:
        name, ibans = people.get(customer.customer_id, (customer.name, frozenset()))
        people[customer.customer_id] = (name, ibans | {iban_key(i) for i in customer.ibans})
    return people


def _customer_evidence(
    line: Line, name: str, iban_known: bool, iban_owners: int
) -> tuple[list[Decimal], list[str]]:
    strengths: list[Decimal] = []
    notes: list[str] = []
    if iban_known:
        strengths.append(S_IBAN if iban_owners == 1 else S_IBAN_SHARED)
        notes.append(
            f"payer IBAN {iban_key(line.counterparty_iban)} known"
            + ("" if iban_owners == 1 else f" (shared by {iban_owners} customers)")
        )
    similarity = name_similarity(line.counterparty_name, name)
    if similarity >= NAME_SAME:
        strengths.append(S_NAME_SAME)
        notes.append(f"payer name '{line.counterparty_name}' is {name}")
    elif similarity >= NAME_LIKE:
        strengths.append(S_NAME_LIKE)
        notes.append(f"payer name '{line.counterparty_name}' resembles {name}")
    return strengths, notes


def _line_references(line: Line) -> dict[str, ReferenceStyle]:
    refs: dict[str, ReferenceStyle] = {}
    if line.structured_reference:
        detected = detect(line.structured_reference)
        if detected is not None:
            refs[reference_key(detected[1])] = detected[0]
    for style, ref in references_in_text(line.remittance):
        refs.setdefault(reference_key(ref), style)
    return refs


_STYLE_WORDS = {
    ReferenceStyle.RF: "RF reference",
    ReferenceStyle.OGM: "structured communication",
    ReferenceStyle.NL: "betalingskenmerk",
}


class _TextKeys:
    """The invoice-number keys a line's text spells, with the long ones by length for the typo
    check (most items are compared with none of them)."""

    __slots__ = ("keys", "long_by_length")

    def __init__(self, keys: set[str]) -> None:
        self.keys = keys
        self.long_by_length: dict[int, list[str]] = {}
        for key in sorted(keys):
            if len(key) >= 6:
                self.long_by_length.setdefault(len(key), []).append(key)

    def near(self, key: str) -> list[str]:
        """The long keys one edit could turn into ``key``, in sorted order."""
        by_length = self.long_by_length
        if not by_length:
            return []
        near = [*by_length.get(len(key) - 1, ()), *by_length.get(len(key), ()),
                *by_length.get(len(key) + 1, ())]  # fmt: skip
        return sorted(near)


def _item_named(
    item: OpenItem, ref: str, line_refs: dict[str, ReferenceStyle], text_keys: _TextKeys
) -> tuple[Decimal, str] | None:
    """How strongly the line names this invoice (reference, number, number with a typo);
    ``ref`` is the item's reference key."""
    if ref and ref in line_refs:
        words = _STYLE_WORDS[line_refs[ref]]
        return S_REFERENCE, f"{words} {item.payment_reference} → invoice {item.number}"
    key = number_key(item.number)
    if key in text_keys.keys:
        strength = (
            S_NUMBER_LONG if len(key) >= 6 else S_NUMBER_MEDIUM if len(key) >= 4 else S_NUMBER_SHORT
        )
        return strength, f"invoice number {item.number} in the text"
    if len(key) >= 6:
        for text_key in text_keys.near(key):
            if within_one_edit(key, text_key):
                return S_NUMBER_TYPO, f"'{text_key}' in the text is invoice {item.number} but one"
    return None


def _score(
    hyp: _Hypothesis,
    line: Line,
    customer_evidence: dict[int, tuple[list[Decimal], list[str]]],
    iban_owners: set[int],
    line_refs: dict[str, ReferenceStyle],
    ref_targets: set[int],
    people: dict[int, tuple[str, frozenset[str]]],
) -> Match:
    strengths = list(hyp.strengths)
    factors = list(hyp.factors)
    phrases = [hyp.lead]
    open_total = sum(i.open_minor for i in hyp.items)
    allocations: list[Allocation] = []
    if not hyp.items:
        outcome = Outcome.ON_ACCOUNT
        unallocated = line.amount_minor
    elif line.amount_minor == open_total:
        outcome = Outcome.ONE_INVOICE if len(hyp.items) == 1 else Outcome.SEVERAL_INVOICES
        if hyp.amount_is_new_evidence:
            strengths.append(S_AMOUNT)
            phrases.append("exact amount")
        allocations = [Allocation(i.invoice_id, i.number, i.open_minor) for i in hyp.items]
        unallocated = 0
    elif line.amount_minor < open_total:
        outcome = Outcome.PARTIAL if len(hyp.items) == 1 else Outcome.SEVERAL_INVOICES
        factors.append(F_PARTIAL)
        phrases.append(
            f"partial payment ({_money(line.amount_minor, line.currency)} of "
            f"{_money(open_total, line.currency)})"
        )
        left = line.amount_minor
        for item in hyp.items:
            part = min(left, item.open_minor)
            if part > 0:
                allocations.append(Allocation(item.invoice_id, item.number, part))
            left -= part
        unallocated = 0
    else:
        outcome = Outcome.OVERPAYMENT
        factors.append(F_OVERPAID)
        unallocated = line.amount_minor - open_total
        phrases.append(f"pays {_money(unallocated, line.currency)} more: credit on account")
        allocations = [Allocation(i.invoice_id, i.number, i.open_minor) for i in hyp.items]

    customer_strengths, customer_notes = customer_evidence[hyp.customer_id]
    strengths.extend(customer_strengths)
    phrases.extend(customer_notes)
    if iban_owners and hyp.customer_id not in iban_owners:
        factors.append(F_OTHER_IBAN)
        others = ", ".join(sorted(people[c][0] for c in iban_owners))
        phrases.append(f"but the payer IBAN is known for {others}")
    item_ids = {i.invoice_id for i in hyp.items}
    if line_refs and not (item_ids & ref_targets):
        if ref_targets:
            factors.append(F_REFERENCE_ELSEWHERE)
            phrases.append("but the structured reference names another invoice")
        else:
            factors.append(F_REFERENCE_NOWHERE)
            phrases.append("the structured reference names no open invoice")

    doubt = Decimal(1)
    for s in strengths:
        doubt *= 1 - s
    confidence = 1 - doubt
    for f in factors:
        confidence *= f
    confidence = min(confidence, Decimal("0.999")).quantize(Decimal("0.001"))
    return Match(
        outcome=outcome,
        customer_id=hyp.customer_id,
        allocations=tuple(allocations),
        unallocated_minor=unallocated,
        confidence=confidence,
        explanation=", ".join(phrases),
    )


def _numbers(items: Sequence[OpenItem]) -> str:
    return ", ".join(i.number for i in items)


def _what(match: Match) -> str:
    if match.allocations:
        return "invoice " + ", ".join(a.number for a in match.allocations)
    return "on account"


def _money(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))
