"""Extrajudicial collection costs: what a creditor may charge on top of principal and interest.

Netherlands: the staffel of the Besluit vergoeding voor buitengerechtelijke incassokosten (BBIK,
Stb. 2012, 141) art. 2: 15 / 10 / 5 / 1 / 0.5 percent of the principal, at least 40.00, at most
6,775.00, plus VAT only when the creditor cannot deduct it and says so (art. 2 lid 3). The staffel is
mandatory for consumers (art. 6:96 lid 5 BW). In commercial transactions at least 40.00 per claim
is due without a reminder (art. 6:96 lid 4 BW; per invoice, CJEU C-370/21); vorder charges the
staffel there too (it already includes the 40.00) unless another amount was agreed.

Belgium: between businesses a fixed 40.00 per late invoice, plus reasonable costs exceeding that
fixed sum under a contractual clause (art. 6 wet 2-8-2002; art. 6(3) Directive 2011/7/EU). Towards
consumers only a damages clause within the caps of art. XIX.4 WER, after a free first reminder.

Amounts are computed exactly and rounded half-up to cents once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from vorder.domain.errors import InvalidAmount
from vorder.domain.interest import ZERO, check_amount, money_text, to_cents


def _eur(amount: Decimal) -> str:
    return money_text(amount)


def _euro(amount: Decimal) -> str:
    """Dutch notation for the Dutch reasons: 1.082,95."""
    whole, _, cents = money_text(amount).partition(".")
    groups = f"{int(whole):,}".replace(",", ".")
    return f"{groups},{cents}"


class Jurisdiction(StrEnum):
    NL = "nl"
    BE = "be"


WIK_MINIMUM = Decimal("40.00")  # BBIK art. 2 lid 2
WIK_MAXIMUM = Decimal("6775.00")  # BBIK art. 2 lid 1
B2B_FIXED_PER_INVOICE = Decimal(
    "40.00"
)  # art. 6:96 lid 4 BW; art. 6 wet 2-8-2002; art. 6 Dir. 2011/7
DUTCH_VAT_RATE = Decimal(21)  # art. 9 lid 1 Wet OB 1968
BE_CONSUMER_MAXIMUM = Decimal("2000.00")  # art. XIX.4 WER
BE_REMINDER_FEE = Decimal("7.50")  # art. XIX.2 WER: further reminders at most 7.50 + postage

# BBIK art. 2 lid 1: (width of the band, percentage); the last band has no upper limit.
WIK_BANDS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal(2500), Decimal(15)),
    (Decimal(2500), Decimal(10)),
    (Decimal(5000), Decimal(5)),
    (Decimal(190000), Decimal(1)),
    (None, Decimal("0.5")),
)


# The same bands as (threshold, staffel at the threshold, fraction above it), highest first.
_STAFFEL_STEPS: tuple[tuple[Decimal, Decimal, Decimal], ...] = (
    (Decimal(200000), Decimal(2775), Decimal("0.005")),
    (Decimal(10000), Decimal(875), Decimal("0.01")),
    (Decimal(5000), Decimal(625), Decimal("0.05")),
    (Decimal(2500), Decimal(375), Decimal("0.10")),
)
_FIRST_BAND_PERCENT = Decimal("0.15")
_VAT_FRACTION = DUTCH_VAT_RATE / 100
_JURISDICTIONS = frozenset(j.value for j in Jurisdiction)


@dataclass(frozen=True, slots=True)
class CostLine:
    """One band of a staffel or one fixed item, for the claim statement."""

    description: str
    base: Decimal
    percent: Decimal | None
    amount: Decimal  # unrounded for staffel bands


@dataclass(frozen=True, slots=True)
class ContractClause:
    """An agreed costs clause: ``percent`` of the principal, at least ``minimum``, at most ``maximum``."""

    percent: Decimal
    minimum: Decimal = ZERO
    maximum: Decimal | None = None

    def amount(self, principal: Decimal) -> Decimal:
        value = max(self.minimum, principal * self.percent / 100)
        if self.maximum is not None:
            value = min(value, self.maximum)
        return to_cents(value)


@dataclass(frozen=True, slots=True)
class CollectionCosts:
    jurisdiction: Jurisdiction
    consumer: bool
    principal: Decimal
    amount: Decimal  # excluding VAT, in cents
    vat: Decimal
    lines: tuple[CostLine, ...]
    reason_nl: str
    reason_en: str
    source: str

    @property
    def total(self) -> Decimal:
        return self.amount + self.vat


def _staffel_exact(principal: Decimal) -> Decimal:
    """BBIK art. 2 lid 1 before minimum and maximum, unrounded: the bands of wik_staffel in closed
    form (every term is exact, so the sum equals the band-by-band sum; a test holds them together)."""
    for floor, cumulative, percent in _STAFFEL_STEPS:
        if principal > floor:
            return cumulative + (principal - floor) * percent
    return principal * _FIRST_BAND_PERCENT


def wik_amount(principal: Decimal) -> Decimal:
    """The staffel with its minimum of 40.00 and maximum of 6,775.00, in cents."""
    return to_cents(min(max(_staffel_exact(principal), WIK_MINIMUM), WIK_MAXIMUM))


def wik_staffel(principal: Decimal) -> tuple[Decimal, list[CostLine]]:
    """The BBIK staffel over ``principal`` before minimum and maximum: exact amount and bands."""
    lines: list[CostLine] = []
    rest = principal
    total = ZERO
    for width, percent in WIK_BANDS:
        if rest <= 0:
            break
        part = rest if width is None else min(rest, width)
        amount = part * percent / 100
        lines.append(CostLine(f"{percent}% over {money_text(part)}", part, percent, amount))
        total += amount
        rest -= part
    return total, lines


def nl_collection_costs(
    principal: Decimal,
    *,
    consumer: bool,
    invoices: int = 1,
    vat_deductible: bool = True,
    vat_rate: Decimal = DUTCH_VAT_RATE,
    agreed: ContractClause | None = None,
) -> CollectionCosts:
    """Dutch extrajudicial collection costs over the (summed) principal of the claims.

    For a consumer the principals of all claims in one reminder are added up first (art. 6:96
    lid 7 BW): pass the sum. ``vat_deductible=False`` adds VAT (BBIK art. 2 lid 3), which the
    creditor must declare explicitly in the letter.
    """
    principal = check_amount(principal, "the principal")
    if invoices < 1:
        raise InvalidAmount("the number of invoices must be at least 1")
    lines = wik_staffel(principal)[1]
    staffel = wik_amount(principal)
    floor_b2b = B2B_FIXED_PER_INVOICE * invoices
    if consumer:
        amount = staffel if agreed is None else min(staffel, agreed.amount(principal))
        reason_nl = (
            f"Incassokosten volgens de staffel (BBIK art. 2) over de hoofdsom {_euro(principal)}: "
            f"{_euro(amount)}, minimaal 40,00 en maximaal 6.775,00; dwingend recht voor consumenten."
        )
        reason_en = (
            f"Collection costs by the BBIK staffel (art. 2) over the principal {_eur(principal)}: "
            f"{_eur(amount)}, at least 40.00 and at most 6,775.00; mandatory for consumers."
        )
        source = "art. 6:96 lid 5-7 BW; BBIK art. 2"
    elif agreed is not None:
        amount = max(agreed.amount(principal), floor_b2b)
        lines = [CostLine("agreed clause", principal, agreed.percent, agreed.amount(principal))]
        reason_nl = (
            f"Overeengekomen incassokosten {_euro(agreed.amount(principal))}, maar ten minste "
            f"40,00 per factuur (art. 6:96 lid 4 BW): {_euro(amount)}."
        )
        reason_en = (
            f"Agreed collection costs {_eur(agreed.amount(principal))}, but at least 40.00 per "
            f"invoice (art. 6:96 lid 4 BW): {_eur(amount)}."
        )
        source = "art. 6:96 lid 4 BW; contract"
    else:
        amount = max(staffel, floor_b2b)
        reason_nl = (
            f"Handelstransactie: de staffel (BBIK art. 2) over {_euro(principal)} geeft {_euro(staffel)}; "
            f"ten minste 40,00 per factuur ({invoices}) zonder aanmaning (art. 6:96 lid 4 BW)."
        )
        reason_en = (
            f"Commercial transaction: the BBIK staffel over {_eur(principal)} gives {_eur(staffel)}; at least "
            f"40.00 per invoice ({invoices}) without a reminder (art. 6:96 lid 4 BW)."
        )
        source = "art. 6:96 lid 4 BW; BBIK art. 2; CJEU C-370/21"
    vat = ZERO if vat_deductible else to_cents(amount * vat_rate / 100)
    if vat:
        reason_nl += (
            f" Plus {vat_rate}% btw ({_euro(vat)}): de schuldeiser kan de btw niet verrekenen."
        )
        reason_en += f" Plus {vat_rate}% VAT ({_eur(vat)}): the creditor cannot deduct VAT."
    return CollectionCosts(
        Jurisdiction.NL,
        consumer,
        principal,
        amount,
        vat,
        tuple(lines),
        reason_nl,
        reason_en,
        source,
    )


def be_consumer_damages_cap(balance: Decimal) -> Decimal:
    """Maximum lump-sum damages towards a Belgian consumer (art. XIX.4 WER), by the balance due.

    20.00 up to 150.00; 30.00 + 10% of the part above 150.00 up to 500.00; 65.00 + 5% of the part
    above 500.00, at most 2,000.00 (reached at 39,200.00).
    """
    balance = check_amount(balance, "the balance")
    if balance <= 150:
        return Decimal("20.00")
    if balance <= 500:
        return to_cents(30 + (balance - 150) * Decimal("0.10"))
    return min(BE_CONSUMER_MAXIMUM, to_cents(65 + (balance - 500) * Decimal("0.05")))


def be_reminder_fee_cap(postage: Decimal) -> Decimal:
    """Most a further reminder may cost a Belgian consumer: 7.50 plus the postage (art. XIX.2 WER).

    The first reminder is always free.
    """
    check_amount(postage, "the postage")
    return BE_REMINDER_FEE + postage


def be_collection_costs(
    balance: Decimal,
    *,
    consumer: bool,
    invoices: int = 1,
    clause: ContractClause | None = None,
) -> CollectionCosts:
    """Belgian collection costs: B2B fixed 40.00 per invoice (or a higher clause), B2C the caps.

    Towards a consumer the figure is the maximum a damages clause may ask; without such a clause
    in the contract nothing but legal interest can be claimed, and only after the free first
    reminder and its waiting period (see legal_steps).
    """
    balance = check_amount(balance, "the balance")
    if invoices < 1:
        raise InvalidAmount("the number of invoices must be at least 1")
    if consumer:
        cap = be_consumer_damages_cap(balance)
        amount = cap if clause is None else min(cap, clause.amount(balance))
        lines = (CostLine("art. XIX.4 WER cap", balance, None, cap),)
        reason_nl = (
            f"Schadebeding consument: ten hoogste {_euro(cap)} bij een openstaand saldo van {_euro(balance)} "
            f"(art. XIX.4 WER); alleen met een schadebeding in de overeenkomst en na de kosteloze "
            f"eerste herinnering: {_euro(amount)}."
        )
        reason_en = (
            f"Consumer damages clause: at most {_eur(cap)} on a balance of {_eur(balance)} (art. XIX.4 WER); "
            f"only with a damages clause in the contract and after the free first reminder: "
            f"{_eur(amount)}."
        )
        source = "art. XIX.2, XIX.4 WER"
    else:
        fixed = B2B_FIXED_PER_INVOICE * invoices
        agreed = ZERO if clause is None else clause.amount(balance)
        amount = max(fixed, agreed)
        lines = (CostLine(f"40.00 x {invoices} invoice(s)", balance, None, fixed),)
        reason_nl = (
            f"Forfaitaire vergoeding 40,00 per factuur ({_euro(fixed)}), zonder ingebrekestelling "
            f"(art. 6 wet 2-8-2002); een contractueel beding geldt voor kosten boven dat bedrag "
            f"({_euro(agreed)}): {_euro(amount)}."
        )
        reason_en = (
            f"Fixed compensation of 40.00 per invoice ({_eur(fixed)}) without notice (art. 6 law of "
            f"2-8-2002); a contractual clause covers costs exceeding that sum ({_eur(agreed)}): {_eur(amount)}."
        )
        source = "art. 6 wet 2-8-2002; art. 6(3) Directive 2011/7/EU"
    return CollectionCosts(
        Jurisdiction.BE, consumer, balance, amount, ZERO, lines, reason_nl, reason_en, source
    )


def collection_costs(
    principal: Decimal,
    *,
    jurisdiction: Jurisdiction | str,
    consumer: bool,
    invoices: int = 1,
    vat_deductible: bool = True,
    clause: ContractClause | None = None,
) -> CollectionCosts:
    """Dispatch by jurisdiction (what `vorder calc costs` and the claim statement call)."""
    if Jurisdiction(jurisdiction) is Jurisdiction.NL:
        return nl_collection_costs(
            principal,
            consumer=consumer,
            invoices=invoices,
            vat_deductible=vat_deductible,
            agreed=clause,
        )
    return be_collection_costs(principal, consumer=consumer, invoices=invoices, clause=clause)


def collection_costs_total(
    principal: Decimal,
    *,
    jurisdiction: Jurisdiction | str,
    consumer: bool,
    invoices: int = 1,
    vat_deductible: bool = True,
) -> Decimal:
    """Only costs plus VAT under the default rules (no clause), for runs over many claims.

    The same figures as collection_costs(...).total without building reasons and lines; a property
    test holds the two together.
    """
    principal = check_amount(principal, "the principal")
    if invoices < 1:
        raise InvalidAmount("the number of invoices must be at least 1")
    if jurisdiction not in _JURISDICTIONS:
        Jurisdiction(jurisdiction)  # raises the enum's own error
    if jurisdiction == Jurisdiction.BE:
        return be_consumer_damages_cap(principal) if consumer else B2B_FIXED_PER_INVOICE * invoices
    amount = wik_amount(principal)
    if not consumer:
        amount = max(amount, B2B_FIXED_PER_INVOICE * invoices)
    if vat_deductible:
        return amount
    return amount + to_cents(amount * _VAT_FRACTION)
