"""The dunning decision: for one customer on one day, what happens next, and why.

Kill Bill's shape: the run builds an immutable snapshot of each account (``Account``), this module
decides (``decide``) without touching a database or a clock, and the run applies the decisions in
bulk. Everything a credit manager may ask afterwards ("why did this customer get this letter?")
is in the ``Decision``'s reasons, in Dutch and English.

The rules, in the order they are applied:

1. A customer on hold is not dunned. Items under a dispute, an open promise to pay or a payment
   arrangement are left out (and named in the reasons).
2. Each remaining item climbs the policy's ladder one level at a time: a level is due when its
   trigger is met (days after the due date, or days after the item's previous level). An item
   never skips a level, so a run after days of downtime sends the next step, not a burst, and no
   legal step is ever skipped.
3. The customer gets at most one message per run, at the highest level due among its items,
   listing every overdue item; and not within ``min_days_between_messages`` of the previous one.
4. Nothing is sent when the overdue amount is under the threshold, or when the customer's
   unallocated credit (credit notes, money on account) covers it.
5. Collection costs are added only where the level says so AND the law allows them on that day
   (NL B2C: after the 14-day letter's term; BE B2C: after the free first reminder's waiting
   period). A costs level whose legal moment is near waits for it; one whose legal precondition
   is missing altogether is sent without costs, and says so.
6. The history sets the tone: a first-time late payer gets the friendly path, a habitual late
   payer the firm one (``payment_tone``).
7. After the last level, the items are proposed for hand-over to a collection agency (or a
   collector task), once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from vorder.domain import legal_steps
from vorder.domain.calendars import is_working_day
from vorder.domain.costs import collection_costs
from vorder.domain.interest import InterestKind, InterestRule, interest_total

ZERO = Decimal("0.00")


class Trigger(StrEnum):
    AFTER_DUE = "after_due"  # days after the item's due date (negative: a pre-due notice)
    AFTER_PREVIOUS = "after_previous"  # days after the item's previous level was sent


class Channel(StrEnum):
    EMAIL = "email"
    LETTER = "letter"
    REGISTERED_LETTER = "registered_letter"
    SMS = "sms"
    PHONE_TASK = "phone_task"  # a call for a collector instead of a message


class LegalStep(StrEnum):
    NONE = ""
    NL_FOURTEEN_DAY_LETTER = "nl_fourteen_day_letter"  # art. 6:96 lid 6 BW
    BE_FREE_REMINDER = "be_free_reminder"  # art. XIX.2 WER
    NOTICE_OF_DEFAULT = "notice_of_default"  # ingebrekestelling


class AfterLast(StrEnum):
    HANDOVER_PROPOSAL = "handover_proposal"
    COLLECTOR_TASK = "collector_task"


class Tone(StrEnum):
    FRIENDLY = "friendly"
    NEUTRAL = "neutral"
    FIRM = "firm"


class Action(StrEnum):
    SEND = "send"  # a message (email, letter, SMS)
    CALL = "call"  # a phone-call task for a collector
    HANDOVER = "handover"  # after the last level: propose hand-over / collector task
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of "why", in both languages of the UI."""

    code: str
    en: str
    nl: str

    def text(self, language: str = "en") -> str:
        return self.nl if language == "nl" else self.en


# -- policy -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Level:
    key: str
    name: str
    trigger: Trigger
    days: int
    channel: Channel
    template_key: str
    add_interest: bool = False
    add_costs: bool = False
    min_overdue: Decimal = ZERO
    needs_approval: bool = False
    legal_step: LegalStep = LegalStep.NONE


@dataclass(frozen=True, slots=True)
class Policy:
    code: str
    name: str
    levels: tuple[Level, ...]
    after_last: AfterLast = AfterLast.HANDOVER_PROPOSAL
    after_last_days: int = 14
    min_overdue: Decimal = ZERO
    min_days_between_messages: int = 7


def policy_problems(policy: Policy, *, jurisdiction: str, consumer: bool) -> list[str]:
    """What is wrong with a policy for this kind of customer; [] when it is sound.

    The editor shows these before a credit manager saves; the run refuses a policy with problems.
    """
    problems: list[str] = []
    if not policy.levels:
        return ["a policy needs at least one level"]
    keys = [lvl.key for lvl in policy.levels]
    if len(set(keys)) != len(keys):
        problems.append("level keys must be unique")
    if policy.levels[0].trigger is not Trigger.AFTER_DUE:
        problems.append("the first level must count from the due date")
    for i, lvl in enumerate(policy.levels):
        if lvl.trigger is Trigger.AFTER_PREVIOUS and lvl.days < 1:
            problems.append(f"level {lvl.name}: wait at least one day after the previous level")
        previous = policy.levels[i - 1] if i > 0 else None
        if (
            previous is not None
            and lvl.trigger is Trigger.AFTER_DUE
            and previous.trigger is Trigger.AFTER_DUE
            and lvl.days <= previous.days
        ):
            problems.append(f"level {lvl.name}: must come later than the level before it")
        if lvl.channel is Channel.SMS and (lvl.add_costs or lvl.legal_step):
            problems.append(f"level {lvl.name}: a legal step or costs cannot go by SMS")
        if lvl.legal_step is LegalStep.BE_FREE_REMINDER and (lvl.add_costs or lvl.add_interest):
            problems.append(f"level {lvl.name}: the first Belgian reminder must be free of charge")
    if consumer and any(lvl.add_costs for lvl in policy.levels):
        needed = (
            LegalStep.NL_FOURTEEN_DAY_LETTER if jurisdiction == "NL" else LegalStep.BE_FREE_REMINDER
        )
        first_costs = next(i for i, lvl in enumerate(policy.levels) if lvl.add_costs)
        if not any(lvl.legal_step is needed for lvl in policy.levels[:first_costs]):
            problems.append(
                f"consumers: a level with the legal step '{needed.value}' must come before the "
                "first level with costs"
            )
    return problems


# -- the account snapshot ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One open invoice (or instalment) of the account, with its place on the ladder."""

    invoice_id: int
    number: str
    due_date: date
    open: Decimal
    level: int = 0  # levels reached so far (0 = none yet)
    last_step_on: date | None = None
    hold: Reason | None = None  # dispute, promise or arrangement
    legal_step_on: date | None = None  # when the 14-day letter / free reminder went out
    legal_step_channel: str = ""  # "email" or "post"
    costs_claimed: Decimal = ZERO  # collection costs already claimed on this item (excl. VAT)
    interest_claimed: Decimal = ZERO  # interest already claimed on this item
    handover_proposed: bool = False


def overdue_days(item: Item, as_of: date) -> int:
    return (as_of - item.due_date).days


@dataclass(frozen=True, slots=True)
class History:
    """Payment behaviour over the last 12 months (from the run's selectors)."""

    paid_on_time: int = 0
    paid_late: int = 0
    average_days_late: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Account:
    customer_id: int
    number: str
    consumer: bool
    jurisdiction: str  # "NL" or "BE": the law that governs the claims
    currency: str
    items: tuple[Item, ...]
    history: History = field(default_factory=History)
    on_hold: bool = False
    hold_reason: str = ""
    credit_balance: Decimal = ZERO  # unallocated credit notes and money on account
    last_message_on: date | None = None
    vat_deductible: bool = True


# -- the decision -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemStep:
    """What the decision does to one item: climbs from one level to the next (or is listed)."""

    invoice_id: int
    number: str
    open: Decimal
    days_overdue: int
    from_level: int
    to_level: int  # == from_level when the item is only listed
    interest: Decimal = ZERO  # interest to date on this item
    costs_allowed: bool = False
    interest_new: Decimal = ZERO  # of which not claimed before: to book now
    costs_new: Decimal = ZERO  # this item's share of the costs not claimed before (excl. VAT)
    costs_vat_new: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Decision:
    customer_id: int
    action: Action
    reasons: tuple[Reason, ...]
    level: Level | None = None
    level_number: int = 0
    tone: Tone = Tone.NEUTRAL
    steps: tuple[ItemStep, ...] = ()
    overdue: Decimal = ZERO
    interest: Decimal = ZERO  # interest to date on the listed items (what the letter shows)
    costs: Decimal = ZERO  # collection costs owed on them, excl. VAT (claimed before or now)
    costs_vat: Decimal = ZERO
    held: tuple[int, ...] = ()  # invoice ids left out because of a dispute/promise/arrangement

    @property
    def interest_new(self) -> Decimal:
        return sum((s.interest_new for s in self.steps), ZERO)

    @property
    def costs_new(self) -> Decimal:
        return sum((s.costs_new + s.costs_vat_new for s in self.steps), ZERO)

    @property
    def needs_approval(self) -> bool:
        return self.level is not None and self.level.needs_approval

    @property
    def climbing(self) -> tuple[ItemStep, ...]:
        return tuple(s for s in self.steps if s.to_level > s.from_level)

    def reason_text(self, language: str = "en") -> str:
        return " ".join(r.text(language) for r in self.reasons)


def _eur(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _skip(account: Account, code: str, en: str, nl: str, **extra: object) -> Decision:
    return Decision(account.customer_id, Action.SKIP, (Reason(code, en, nl),), **extra)  # type: ignore[arg-type]


def payment_tone(history: History) -> tuple[Tone, Reason]:
    """Friendly for a first-time late payer, firm for a habitual one, neutral in between.

    First-time late: no invoice paid late in the last 12 months (this is the first time we
    chase them). Habitual: at least 3 invoices paid late in 12 months and they are at least half
    of all invoices paid, or on average more than 30 days late.
    """
    paid = history.paid_on_time + history.paid_late
    if history.paid_late == 0:
        return Tone.FRIENDLY, Reason(
            "first_time_late",
            "First time late in 12 months: the friendly path.",
            "Voor het eerst te laat in 12 maanden: de vriendelijke route.",
        )
    if (history.paid_late >= 3 and history.paid_late * 2 >= paid) or (
        history.average_days_late > 30
    ):
        return Tone.FIRM, Reason(
            "habitual_late",
            f"Habitual late payer ({history.paid_late} of {paid} invoices late in 12 months, "
            f"on average {history.average_days_late} days): the firm path.",
            f"Betaalt structureel te laat ({history.paid_late} van {paid} facturen te laat in 12 "
            f"maanden, gemiddeld {history.average_days_late} dagen): de stevige route.",
        )
    return Tone.NEUTRAL, Reason(
        "occasionally_late",
        f"Paid {history.paid_late} of {paid} invoices late in 12 months.",
        f"Betaalde {history.paid_late} van {paid} facturen te laat in 12 maanden.",
    )


def interest_kind(*, jurisdiction: str, consumer: bool) -> InterestKind:
    """The statutory interest that runs on an overdue claim of this kind."""
    if jurisdiction == "BE":
        return InterestKind.BE_LEGAL if consumer else InterestKind.BE_COMMERCIAL
    return InterestKind.NL_CONSUMER if consumer else InterestKind.NL_COMMERCIAL


def costs_answer(item: Item, account: Account, as_of: date) -> legal_steps.StepAnswer:
    """May collection costs be charged on this item today? (with the law's own reason)"""
    in_default_from = item.due_date + timedelta(days=1)
    channel = (
        legal_steps.Channel.EMAIL
        if item.legal_step_channel == "email"
        else legal_steps.Channel.POST
    )
    if account.jurisdiction == "BE":
        return legal_steps.be_costs_allowed(
            as_of,
            consumer=account.consumer,
            in_default_from=in_default_from,
            first_reminder_sent=item.legal_step_on,
            channel=channel,
        )
    return legal_steps.nl_costs_allowed(
        as_of,
        consumer=account.consumer,
        in_default_from=in_default_from,
        letter_sent=item.legal_step_on,
        channel=channel,
    )


def _next_level_due(
    item: Item, policy: Policy, as_of: date, min_gap: int, *, manual: bool = False
) -> int | None:
    """Index (0-based) of the level this item is due for today, or None.

    ``manual`` ("send a reminder now"): every overdue item is due for its next level at once.
    """
    if item.level >= len(policy.levels):
        return None
    if manual:
        return item.level if overdue_days(item, as_of) > 0 else None
    level = policy.levels[item.level]
    if level.trigger is Trigger.AFTER_DUE:
        due = as_of >= item.due_date + timedelta(days=level.days)
        if due and item.last_step_on is not None:
            # catch-up guard: never two levels of one item closer together than the policy's gap
            due = (as_of - item.last_step_on).days >= min_gap
    else:
        due = item.last_step_on is not None and (as_of - item.last_step_on).days >= level.days
    return item.level if due else None


def decide(
    account: Account,
    policy: Policy,
    as_of: date,
    *,
    manual: bool = False,
    approved: bool = False,
) -> Decision:
    """What happens to this account on ``as_of`` under ``policy``.

    ``manual``: a person asks to send now; the policy's waiting days and the gap between
    messages are not waited for, everything else (holds, thresholds, the law) applies.
    ``approved``: a credit manager approved this step; it no longer needs approval.
    """
    if account.on_hold:
        why = f": {account.hold_reason}" if account.hold_reason else ""
        return _skip(account, "on_hold", f"Customer is on hold{why}.", f"Klant staat on hold{why}.")

    if not is_working_day(as_of, account.jurisdiction.lower()):
        return _skip(
            account,
            "not_a_working_day",
            f"{as_of.isoformat()} is not a working day in {account.jurisdiction}: nothing is sent.",
            f"{as_of.isoformat()} is geen werkdag in {account.jurisdiction}: er gaat niets uit.",
        )

    pre_due_days = min((lvl.days for lvl in policy.levels[:1]), default=0)
    candidates = [
        i for i in account.items if i.open > 0 and overdue_days(i, as_of) > min(0, pre_due_days - 1)
    ]
    held = tuple(i for i in candidates if i.hold is not None)
    active = [i for i in candidates if i.hold is None]
    reasons: list[Reason] = [h.hold for h in held if h.hold is not None]
    held_ids = tuple(i.invoice_id for i in held)

    overdue_items = [i for i in active if overdue_days(i, as_of) > 0]
    overdue = sum((i.open for i in overdue_items), ZERO)

    due_now = {
        i.invoice_id: idx
        for i in active
        if (
            idx := _next_level_due(
                i, policy, as_of, policy.min_days_between_messages, manual=manual
            )
        )
        is not None
    }
    handover_due = [
        i
        for i in active
        if i.level >= len(policy.levels)
        and not i.handover_proposed
        and i.last_step_on is not None
        and (as_of - i.last_step_on).days >= policy.after_last_days
    ]
    if not due_now and not handover_due:
        if not active:
            code, en, nl = (
                ("all_held", "Every open item is on hold (dispute, promise or arrangement).",
                 "Alle openstaande posten staan stil (geschil, belofte of regeling).")
                if held else ("nothing_overdue", "Nothing is overdue.", "Er is niets vervallen.")
            )  # fmt: skip
            return Decision(
                account.customer_id, Action.SKIP, (*reasons, Reason(code, en, nl)), held=held_ids
            )
        return Decision(
            account.customer_id,
            Action.SKIP,
            (*reasons, Reason("no_step_due", "No level is due today.", "Vandaag is geen stap aan de beurt.")),
            overdue=overdue,
            held=held_ids,
        )  # fmt: skip

    amount_basis = overdue if overdue > 0 else sum((i.open for i in active), ZERO)
    threshold = policy.min_overdue
    if due_now:
        threshold = max(threshold, *(policy.levels[idx].min_overdue for idx in due_now.values()))
    if amount_basis < threshold:
        return _skip(
            account,
            "under_threshold",
            f"Overdue {_eur(amount_basis)} is under the threshold of {_eur(threshold)}.",
            f"Vervallen {_eur(amount_basis)} is minder dan de drempel van {_eur(threshold)}.",
            overdue=overdue,
            held=held_ids,
        )
    if account.credit_balance > 0 and account.credit_balance >= amount_basis:
        return _skip(
            account,
            "credit_covers",
            f"Unallocated credit of {_eur(account.credit_balance)} covers the overdue "
            f"{_eur(amount_basis)}: allocate it instead of dunning.",
            f"Niet-afgeletterd tegoed van {_eur(account.credit_balance)} dekt de vervallen "
            f"{_eur(amount_basis)}: letter het af in plaats van aan te manen.",
            overdue=overdue,
            held=held_ids,
        )
    if (
        due_now
        and not manual
        and account.last_message_on is not None
        and (as_of - account.last_message_on).days < policy.min_days_between_messages
    ):
        return _skip(
            account,
            "too_soon",
            f"The last message went out on {account.last_message_on.isoformat()}; the policy "
            f"waits {policy.min_days_between_messages} days between messages.",
            f"Het vorige bericht ging op {account.last_message_on.isoformat()}; het beleid wacht "
            f"{policy.min_days_between_messages} dagen tussen berichten.",
            overdue=overdue,
            held=held_ids,
        )

    if not due_now:
        handover_steps = tuple(
            ItemStep(i.invoice_id, i.number, i.open, overdue_days(i, as_of), i.level, i.level)
            for i in handover_due
        )
        after = (
            ("Last level passed without payment: propose hand-over to the collection agency.",
             "Laatste stap verstreken zonder betaling: voorstel tot overdracht aan het incassobureau.")
            if policy.after_last is AfterLast.HANDOVER_PROPOSAL
            else ("Last level passed without payment: a collector takes over.",
                  "Laatste stap verstreken zonder betaling: een medewerker neemt het over.")
        )  # fmt: skip
        return Decision(
            account.customer_id,
            Action.HANDOVER,
            (*reasons, Reason(policy.after_last.value, *after)),
            steps=handover_steps,
            overdue=overdue,
            held=held_ids,
        )

    message_index = max(due_now.values())
    level = policy.levels[message_index]
    tone, tone_reason = payment_tone(account.history)
    reasons.append(tone_reason)

    # Costs: per item, only where its own level adds them and the law allows it today.
    waiting: list[tuple[Item, legal_steps.StepAnswer]] = []
    costs_items: list[Item] = []
    for item in active:
        idx = due_now.get(item.invoice_id)
        if idx is None or not policy.levels[idx].add_costs:
            continue
        answer = costs_answer(item, account, as_of)
        if answer.allowed:
            costs_items.append(item)
        elif answer.allowed_from is not None and answer.allowed_from > as_of:
            waiting.append((item, answer))
        else:
            reasons.append(
                Reason("costs_not_allowed", f"{item.number}: costs left out. {answer.reason_en}",
                       f"{item.number}: geen kosten. {answer.reason_nl}")
            )  # fmt: skip
    for item, answer in waiting:
        # the law's moment is near: this item waits for it rather than go without costs
        del due_now[item.invoice_id]
        reasons.append(
            Reason("waiting_for_costs", f"{item.number} waits: {answer.reason_en}",
                   f"{item.number} wacht: {answer.reason_nl}")
        )  # fmt: skip
    if not due_now:
        return Decision(
            account.customer_id,
            Action.SKIP,
            tuple(reasons),
            overdue=overdue,
            held=held_ids,
            tone=tone,
        )
    message_index = max(due_now.values())
    level = policy.levels[message_index]

    rule = InterestRule(interest_kind(jurisdiction=account.jurisdiction, consumer=account.consumer))
    costs = costs_vat = ZERO
    shares: dict[int, tuple[Decimal, Decimal]] = {}
    if costs_items:
        principal = sum((i.open for i in costs_items), ZERO)
        figure = collection_costs(
            principal,
            jurisdiction=account.jurisdiction.lower(),
            consumer=account.consumer,
            invoices=len(costs_items),
            vat_deductible=account.vat_deductible,
        )
        costs, costs_vat = figure.amount, figure.vat
        new = max(ZERO, costs - sum((i.costs_claimed for i in costs_items), ZERO))
        new_vat = (costs_vat * new / costs).quantize(ZERO) if costs > 0 else ZERO
        weights = [int(i.open * 100) for i in costs_items]
        for item, part, vat_part in zip(
            costs_items, _split(new, weights), _split(new_vat, weights), strict=True
        ):
            shares[item.invoice_id] = (part, vat_part)
        reasons.append(Reason("costs", figure.reason_en, figure.reason_nl))

    steps: list[ItemStep] = []
    interest = ZERO
    for item in sorted(active, key=lambda i: (i.due_date, i.number)):
        days = overdue_days(item, as_of)
        if days <= 0 and item.invoice_id not in due_now:
            continue  # not yet due and not part of a pre-due notice
        idx = due_now.get(item.invoice_id)
        to_level = item.level + 1 if idx is not None else item.level
        item_interest = ZERO
        interest_allowed = not (account.jurisdiction == "BE" and account.consumer) or (
            costs_answer(item, account, as_of).allowed  # Book XIX: interest too waits
        )
        if idx is not None and policy.levels[idx].add_interest and days > 0 and interest_allowed:
            item_interest = interest_total(
                item.open, item.due_date + timedelta(days=1), as_of, rule
            )
            interest += item_interest
        share, vat_share = shares.get(item.invoice_id, (ZERO, ZERO))
        steps.append(
            ItemStep(
                item.invoice_id, item.number, item.open, days, item.level, to_level,
                item_interest, item in costs_items,
                interest_new=max(ZERO, item_interest - item.interest_claimed),
                costs_new=share, costs_vat_new=vat_share,
            )
        )  # fmt: skip

    climbing = sum(1 for s in steps if s.to_level > s.from_level)
    reasons.insert(
        0,
        Reason(
            f"level:{level.key}",
            f"Level {message_index + 1} ({level.name}) is due for {climbing} item(s); "
            f"{len(steps)} item(s) listed, overdue {_eur(overdue)} {account.currency}.",
            f"Stap {message_index + 1} ({level.name}) is aan de beurt voor {climbing} post(en); "
            f"{len(steps)} post(en) vermeld, vervallen {_eur(overdue)} {account.currency}.",
        ),
    )
    if approved and level.needs_approval:
        level = replace(level, needs_approval=False)
        reasons.append(
            Reason(
                "approved",
                "Approved by the credit manager.",
                "Goedgekeurd door de kredietbeheerder.",
            )
        )
    return Decision(
        account.customer_id,
        Action.CALL if level.channel is Channel.PHONE_TASK else Action.SEND,
        tuple(reasons),
        level=level,
        level_number=message_index + 1,
        tone=tone,
        steps=tuple(steps),
        overdue=overdue,
        interest=interest,
        costs=costs,
        costs_vat=costs_vat,
        held=held_ids,
    )


def _split(amount: Decimal, weights: list[int]) -> list[Decimal]:
    """Split an amount in cents over weights without losing a cent (remainders to the first)."""
    cents = int(amount * 100)
    total = sum(weights)
    if cents == 0 or total == 0:
        return [ZERO for _ in weights]
    parts = [cents * w // total for w in weights]
    for i in range(cents - sum(parts)):
        parts[i % len(parts)] += 1
    return [Decimal(p).scaleb(-2) for p in parts]


def resolve_channel(
    level: Level,
    *,
    contact_preference: str = "",
    customer_preference: str = "",
    has_email: bool,
    has_address: bool,
    has_phone: bool,
) -> Channel:
    """The contact's preferred channel, else the customer's, else the level's — within reason.

    Phone tasks and registered letters are never replaced. A legal step or costs never go by SMS.
    A channel the customer cannot be reached on falls back to email, then letter.
    """
    if level.channel in (Channel.PHONE_TASK, Channel.REGISTERED_LETTER):
        return level.channel
    preference = contact_preference or customer_preference
    # someone who prefers the phone still gets the written step; the worklist does the calling
    wanted = (
        level.channel
        if preference in ("", "phone", Channel.PHONE_TASK.value)
        else Channel(preference)
    )
    if wanted is Channel.SMS and (level.legal_step or level.add_costs or not has_phone):
        wanted = Channel.EMAIL
    if wanted is Channel.EMAIL and not has_email:
        wanted = Channel.LETTER
    if wanted in (Channel.LETTER, Channel.REGISTERED_LETTER) and not has_address and has_email:
        wanted = Channel.EMAIL
    return wanted


def decide_all(accounts: Sequence[tuple[Account, Policy]], as_of: date) -> list[Decision]:
    """Decide for many accounts; the run's whole domain step."""
    return [decide(account, policy, as_of) for account, policy in accounts]
