"""A labelled matching set: synthetic statement lines from the demo portfolio, each with its truth.

Why: "auto-matched lines are right 99.9 % of the time" is only a claim until it is measured on
lines whose right answer is known. The generator takes the demo portfolio's open items and writes
the credit lines customers would send for them — the structured reference, the invoice number in
noisy text (prefixes, spaces, a typo), the amount alone, several invoices at once, a part, too
much, a stranger's money, a wrong reference — and remembers what each line truly pays.
Deterministic per seed: the same seed gives the same lines and the same table.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from schwifty import IBAN

from vorder.banking.models import BankAccount, BankStatement, LineStatus, StatementLine
from vorder.domain.references import detect
from vorder.ledger.models import Allocation, Creditor, Customer, Invoice

CASES = (
    "structured_reference",
    "number_in_text",
    "amount_only",
    "combined",
    "partial",
    "overpayment",
    "unknown_payer",
    "wrong_reference",
    "on_account",
)
SHARES = {
    "structured_reference": 32,
    "number_in_text": 20,
    "amount_only": 12,
    "combined": 8,
    "partial": 6,
    "overpayment": 5,
    "unknown_payer": 5,
    "wrong_reference": 7,
    "on_account": 5,
}
EXCLUSIVE = {"amount_only", "combined", "wrong_reference"}
"""Cases that identify the invoice by the customer's other items: one line per customer."""

_STRANGERS = (
    "Pietersen", "Van Dam", "Kuipers", "Mertens", "Dubois", "Janssens", "Smits", "Bos",
    "Hendriks", "Claes", "Lambert", "Wouters", "Dekker", "Verbeke", "Schouten",
)  # fmt: skip
_FILLER = ("", "betaling", "zie mail", "bestelling", "gift", "terugbetaling", "huur")


@dataclass(frozen=True, slots=True)
class Label:
    """What a line truly is: pay these invoices (number -> minor units), this customer's credit."""

    case: str
    customer_id: int | None  # None: nobody we know; the line belongs in the queue
    allocations: dict[str, int] = field(default_factory=dict)


@dataclass
class LabelledSet:
    creditor: Creditor
    lines: list[StatementLine]
    labels: dict[int, Label]  # line pk -> truth


@dataclass
class CaseScore:
    lines: int = 0
    auto: int = 0
    auto_right: int = 0
    queued_right: int = 0  # queued where a person must decide (a stranger's money)

    @property
    def precision(self) -> float:
        return self.auto_right / self.auto if self.auto else 1.0

    @property
    def auto_rate(self) -> float:
        return self.auto / self.lines if self.lines else 0.0

    @property
    def handled_right(self) -> float:
        return (self.auto_right + self.queued_right) / self.lines if self.lines else 0.0


# -- generation -------------------------------------------------------------------------------
def labelled_set_create(*, creditor: Creditor, lines: int, seed: int, as_of: date) -> LabelledSet:
    """Write ``lines`` new statement lines for the creditor's open items, with their labels."""
    rng = random.Random(seed)
    invoices: list[dict[str, Any]] = [
        dict(row)
        for row in Invoice.objects.filter(creditor=creditor)
        .exclude(status=Invoice.Status.CANCELLED)
        .order_by("customer_id", "due_date", "pk")
        .values("pk", "number", "customer_id", "open_minor", "due_date", "payment_reference")
    ]
    open_by_customer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    paid_by_customer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in invoices:
        (open_by_customer if row["open_minor"] > 0 else paid_by_customer)[
            row["customer_id"]
        ].append(row)
    customers = {
        c.pk: c for c in Customer.objects.filter(creditor=creditor).order_by("pk") if c.iban
    }
    with_items = [c for c in customers if open_by_customer.get(c)]
    without_items = [c for c in customers if c not in open_by_customer]
    rng.shuffle(with_items)
    rng.shuffle(without_items)

    quotas = _quotas(lines)
    specs: list[tuple[dict[str, Any], Label]] = []
    generator = _Generator(rng, customers, open_by_customer, paid_by_customer, set(), as_of)
    # Cases that read the customer's other items get customers of their own, first.
    for case in [c for c in CASES if c in EXCLUSIVE] + ["on_account"]:
        pool = without_items if case == "on_account" else with_items
        taken: list[int] = []
        for customer_id in pool:
            if len(taken) == quotas[case]:
                break
            spec = generator.make(case, customer_id)
            if spec is not None:
                specs.append(spec)
                taken.append(customer_id)
        for customer_id in taken:
            pool.remove(customer_id)
    for case in [c for c in CASES if c not in EXCLUSIVE and c != "on_account"]:
        made = 0
        for _ in range(quotas[case] * 20):
            if made == quotas[case]:
                break
            spec = generator.make(case, rng.choice(with_items))
            if spec is not None:
                specs.append(spec)
                made += 1
    rng.shuffle(specs)
    written = statement_lines_write(
        creditor=creditor, specs=[spec for spec, _ in specs], key=f"labelled-{seed}", booked=as_of
    )
    labels = {line.pk: label for line, (_, label) in zip(written, specs, strict=True)}
    return LabelledSet(creditor=creditor, lines=written, labels=labels)


def _quotas(total: int) -> dict[str, int]:
    quotas = {case: total * share // 100 for case, share in SHARES.items()}
    quotas["structured_reference"] += total - sum(quotas.values())
    return quotas


class _Generator:
    def __init__(
        self,
        rng: random.Random,
        customers: dict[int, Customer],
        open_by_customer: dict[int, list[dict[str, Any]]],
        paid_by_customer: dict[int, list[dict[str, Any]]],
        used: set[int],
        as_of: date,
    ) -> None:
        self.rng = rng
        self.customers = customers
        self.open = open_by_customer
        self.paid = paid_by_customer
        self.used = used
        self.as_of = as_of

    def make(self, case: str, customer_id: int | None) -> tuple[dict[str, Any], Label] | None:
        return getattr(self, f"_{case}")(customer_id)  # type: ignore[no-any-return]

    # -- pieces -------------------------------------------------------------------------------
    def _free(self, customer_id: int) -> list[dict[str, Any]]:
        return [row for row in self.open[customer_id] if row["pk"] not in self.used]

    def _line(self, customer_id: int, amount: int, *, known_iban: float = 0.85) -> dict[str, Any]:
        customer = self.customers[customer_id]
        iban = customer.iban if self.rng.random() < known_iban else self._stranger_iban()
        return {
            "amount_minor": amount,
            "counterparty_name": self._payer_name(customer),
            "counterparty_iban": iban,
            "remittance_info": "",
            "structured_reference": "",
        }

    def _payer_name(self, customer: Customer) -> str:
        rng = self.rng
        if customer.kind == Customer.Kind.B2B:
            return rng.choice([customer.name.upper(), customer.name, customer.name.rstrip(". ")])
        first, _, last = customer.name.partition(" ")
        return rng.choice([f"{first[:1]}. {last}", f"{first[:1]} {last}".upper(), customer.name])

    def _stranger_iban(self) -> str:
        account = "".join(str(self.rng.randrange(10)) for _ in range(10))
        return str(
            IBAN.generate("NL", bank_code=self.rng.choice(["INGB", "ABNA"]), account_code=account)
        )

    def _noisy_number(self, number: str, *, typo: bool) -> str:
        rng = self.rng
        if typo:
            digits = list(number)
            at = rng.randrange(len(digits) - 1)
            kind = rng.choice(["change", "swap", "drop"])
            if kind == "change":
                digits[at] = rng.choice([d for d in "0123456789" if d != digits[at]])
            elif kind == "swap" and digits[at] != digits[at + 1]:
                digits[at], digits[at + 1] = digits[at + 1], digits[at]
            else:
                del digits[at]
            number = "".join(digits)
        spelled = rng.choice(
            [
                number,
                f"{number[:4]} {number[4:]}",
                f"{number[:4]}-{number[4:]}",
                f"{number[:4]}.{number[4:]}",
                f"0{number}",
            ]
        )
        return rng.choice(
            [
                f"Factuur {spelled}",
                f"fact nr. {spelled}",
                f"factuurnummer: {spelled}",
                f"INV-{spelled}",
                f"F-{spelled}",
                f"inv{spelled}",
                f"betaling {spelled} dank u wel",
                f"{spelled} bestelling {rng.randint(10, 99)} stuks",
                spelled,
            ]
        )

    def _reference(self, row: dict[str, Any]) -> str:
        found = detect(row["payment_reference"])
        return found[1] if found else row["payment_reference"]

    # -- the cases ----------------------------------------------------------------------------
    def _structured_reference(self, customer_id: int) -> tuple[dict[str, Any], Label] | None:
        free = self._free(customer_id)
        if not free:
            return None
        row = self.rng.choice(free)
        self.used.add(row["pk"])
        spec = self._line(customer_id, row["open_minor"])
        spec["structured_reference"] = self._reference(row)
        return spec, Label("structured_reference", customer_id, {row["number"]: row["open_minor"]})

    def _number_in_text(self, customer_id: int) -> tuple[dict[str, Any], Label] | None:
        free = self._free(customer_id)
        if not free:
            return None
        row = self.rng.choice(free)
        self.used.add(row["pk"])
        spec = self._line(customer_id, row["open_minor"], known_iban=0.75)
        spec["remittance_info"] = self._noisy_number(row["number"], typo=self.rng.random() < 0.2)
        return spec, Label("number_in_text", customer_id, {row["number"]: row["open_minor"]})

    def _amount_only(self, customer_id: int) -> tuple[dict[str, Any], Label] | None:
        amounts = Counter(row["open_minor"] for row in self.open[customer_id])
        unique = [row for row in self._free(customer_id) if amounts[row["open_minor"]] == 1]
        if not unique:
            return None
        row = self.rng.choice(unique)
        self.used.add(row["pk"])
        spec = self._line(customer_id, row["open_minor"], known_iban=0.92)
        spec["remittance_info"] = self.rng.choice(["", "betaling", "zie factuur", "termijn"])
        return spec, Label("amount_only", customer_id, {row["number"]: row["open_minor"]})

    def _combined(self, customer_id: int) -> tuple[dict[str, Any], Label] | None:
        free = self._free(customer_id)
        if len(free) < 2:
            return None
        if self.rng.random() < 0.7:
            chosen = free[: self.rng.randint(2, min(4, len(free)))]  # the oldest: a payment run
            text = self.rng.choice(["", "betaling", f"Betaling facturen {_numbers(chosen)}"])
        else:
            chosen = sorted(self.rng.sample(free, min(len(free), self.rng.randint(2, 3))), key=_due)
            text = self.rng.choice([f"Inv {_numbers(chosen)}", _numbers(chosen)])
        self.used.update(row["pk"] for row in chosen)
        spec = self._line(customer_id, sum(row["open_minor"] for row in chosen), known_iban=1.0)
        spec["remittance_info"] = text
        return spec, Label(
            "combined", customer_id, {row["number"]: row["open_minor"] for row in chosen}
        )

    def _partial(self, customer_id: int) -> tuple[dict[str, Any], Label] | None:
        free = [row for row in self._free(customer_id) if row["open_minor"] >= 2000]
        if not free:
            return None
        row = self.rng.choice(free)
        self.used.add(row["pk"])
        amount = max(100, row["open_minor"] * self.rng.randint(20, 90) // 10000 * 100)
        spec = self._line(customer_id, amount, known_iban=0.8)
        if self.rng.random() < 0.7:
            spec["structured_reference"] = self._reference(row)
        else:
            spec["remittance_info"] = f"deelbetaling factuur {row['number']}"
        return spec, Label("partial", customer_id, {row["number"]: amount})

    def _overpayment(self, customer_id: int) -> tuple[dict[str, Any], Label] | None:
        free = self._free(customer_id)
        if not free:
            return None
        row = self.rng.choice(free)
        self.used.add(row["pk"])
        extra = self.rng.choice([100 - row["open_minor"] % 100 or 100, self.rng.randint(1, 5000)])
        spec = self._line(customer_id, row["open_minor"] + extra, known_iban=0.8)
        spec["structured_reference"] = self._reference(row)
        return spec, Label("overpayment", customer_id, {row["number"]: row["open_minor"]})

    def _unknown_payer(self, _: int | None) -> tuple[dict[str, Any], Label]:
        rng = self.rng
        return {
            "amount_minor": rng.randint(20, 2000) * 100 + rng.choice([0, 0, rng.randint(1, 99)]),
            "counterparty_name": f"{rng.choice('ABCDEHJKLMPRSTW')}. {rng.choice(_STRANGERS)}",
            "counterparty_iban": self._stranger_iban(),
            "remittance_info": rng.choice(_FILLER)
            + (f" {rng.randint(1000, 9999)}" if rng.random() < 0.5 else ""),
            "structured_reference": "",
        }, Label("unknown_payer", None)

    def _wrong_reference(self, customer_id: int) -> tuple[dict[str, Any], Label] | None:
        amounts = Counter(row["open_minor"] for row in self.open[customer_id])
        unique = [row for row in self._free(customer_id) if amounts[row["open_minor"]] == 1]
        old = [row for row in self.paid.get(customer_id, []) if row["payment_reference"]]
        if not unique or not old:
            return None
        row = self.rng.choice(unique)
        self.used.add(row["pk"])
        spec = self._line(customer_id, row["open_minor"], known_iban=1.0)
        wrong = self.rng.choice(old)
        if self.rng.random() < 0.7:
            spec["structured_reference"] = self._reference(wrong)  # last month's reference
        else:
            spec["remittance_info"] = f"Factuur {wrong['number']}"  # an invoice paid already
        return spec, Label("wrong_reference", customer_id, {row["number"]: row["open_minor"]})

    def _on_account(self, customer_id: int) -> tuple[dict[str, Any], Label]:
        spec = self._line(customer_id, self.rng.randint(10, 500) * 100, known_iban=1.0)
        spec["remittance_info"] = self.rng.choice(["", "voorschot", "vooruitbetaling"])
        return spec, Label("on_account", customer_id)


def _due(row: dict[str, Any]) -> tuple[date, int]:
    return row["due_date"], row["pk"]


def _numbers(rows: Sequence[dict[str, Any]]) -> str:
    return " ".join(row["number"] for row in rows)


def statement_lines_write(
    *, creditor: Creditor, specs: Sequence[dict[str, Any]], key: str, booked: date
) -> list[StatementLine]:
    """Store synthetic credit lines on one statement of the creditor's own account (bulk).

    Each spec holds StatementLine fields (amount_minor, counterparty_name, …); for tests,
    benchmarks and the labelled set, never for real bank files.
    """
    account, _ = BankAccount.objects.get_or_create(
        creditor=creditor, iban=creditor.iban or f"SYNTHETIC-{creditor.code}"
    )
    statement = BankStatement.objects.create(
        creditor=creditor,
        account=account,
        statement_id=key,
        format="camt053",
        period_from=booked,
        period_to=booked,
        currency=creditor.currency,
        opening_balance_minor=0,
        closing_balance_minor=sum(spec["amount_minor"] for spec in specs),
        file_name=f"{key}.xml",
        file_sha256="0" * 64,
        fingerprint=f"{creditor.code}-{key}",
        imported_by="synthetic",
    )
    lines = [
        StatementLine(
            creditor=creditor,
            account=account,
            statement=statement,
            sequence=n,
            booking_date=booked,
            value_date=booked,
            dedup_key=f"{creditor.code}-{key}-{n}",
            **{"currency": creditor.currency, **spec},
        )
        for n, spec in enumerate(specs, start=1)
    ]
    StatementLine.objects.bulk_create(lines, batch_size=2000)
    if lines and lines[0].pk is None:  # pragma: no cover - every supported backend returns keys
        lines = list(StatementLine.objects.filter(statement=statement).order_by("sequence"))
    return lines


# -- metrics ----------------------------------------------------------------------------------
def labelled_set_score(labelled: LabelledSet) -> dict[str, CaseScore]:
    """Precision and auto-match rate per case (and "overall") from the lines as matched."""
    scores: dict[str, CaseScore] = {case: CaseScore() for case in CASES}
    scores["overall"] = CaseScore()
    rows = list(
        StatementLine.objects.filter(pk__in=list(labelled.labels)).values(
            "pk", "status", "customer_id", "payment_id"
        )
    )
    # what was really booked: the allocations of each line's payment
    paid: dict[int, dict[str, int]] = defaultdict(dict)
    for payment_id, number, amount in Allocation.objects.filter(
        payment_id__in=[row["payment_id"] for row in rows if row["payment_id"]]
    ).values_list("payment_id", "invoice__number", "amount_minor"):
        paid[payment_id][number] = amount
    for row in rows:
        label = labelled.labels[row["pk"]]
        auto = row["status"] in (LineStatus.MATCHED, LineStatus.PARTIALLY_MATCHED)
        booked = paid.get(row["payment_id"], {})
        right = (
            auto
            and label.customer_id is not None
            and row["customer_id"] == label.customer_id
            and booked == label.allocations
        )
        for score in (scores[label.case], scores["overall"]):
            score.lines += 1
            score.auto += auto
            score.auto_right += right
            score.queued_right += not auto and label.customer_id is None
    return scores


def labelled_set_table(scores: dict[str, CaseScore]) -> str:
    """The per-case table for bench/RESULTS.md (Markdown)."""
    out = [
        "| case | lines | auto-matched | precision (auto right) | handled right |",
        "|---|---:|---:|---:|---:|",
    ]
    for case, s in scores.items():
        out.append(
            f"| {case} | {s.lines} | {s.auto} ({s.auto_rate:.1%}) | "
            f"{s.auto_right}/{s.auto} ({s.precision:.2%}) | {s.handled_right:.1%} |"
        )
    return "\n".join(out)


def labelled_run(
    *, lines: int, seed: int, as_of: date, customers: int = 3000, invoices: int = 30000
) -> dict[str, CaseScore]:
    """Demo portfolio → labelled lines for each demo creditor → matching → scores, all cases.

    Writes to the database (a test or a scratch database): the demo creditors must not exist.
    """
    from vorder.banking.matching import statement_lines_match
    from vorder.ledger.services.demo import demo_portfolio_create

    summary = demo_portfolio_create(customers=customers, invoices=invoices, seed=seed, as_of=as_of)
    creditors = list(Creditor.objects.filter(code__in=summary.creditors).order_by("code"))
    total: dict[str, CaseScore] = {}
    share = lines // len(creditors) + 1
    for n, creditor in enumerate(creditors):
        labelled = labelled_set_create(
            creditor=creditor, lines=share, seed=seed * 100 + n, as_of=as_of
        )
        statement_lines_match(creditor=creditor, lines=labelled.lines, dry_run=False)
        for case, score in labelled_set_score(labelled).items():
            into = total.setdefault(case, CaseScore())
            into.lines += score.lines
            into.auto += score.auto
            into.auto_right += score.auto_right
            into.queued_right += score.queued_right
    return total
