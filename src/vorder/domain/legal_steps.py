"""Legal steps before costs: may collection costs be charged on a given day?

The dunning engine asks before it adds costs to a reminder; each answer carries its reason in Dutch
and English and the source, so a letter, a collector and a judge can all see why.

Netherlands, consumer (art. 6:96 lid 6 BW; HR 25-11-2016, ECLI:NL:HR:2016:2704): only after a
reminder sent once the debtor is in default, stating the costs, that gives 14 days counted from
the day after the debtor *received* it; costs from the day after those 14 days. A letter with a
shorter or misstated term gives no right to costs. Several claims go in one letter (lid 7). vorder
also applies the Algemene termijnenwet (a term ending on a weekend or holiday runs to the next
working day): the safer reading, and a setting.

Netherlands, business: at least 40.00 from the day after the due date, no reminder (art. 6:96 lid 4).

Belgium, consumer (art. XIX.2 WER): only after a free first reminder and a waiting period of 14
calendar days that starts on the 3rd working day after sending on paper, or the day after sending
electronically (that day counted as day 1). Belgium, business: from the day after the due date,
without notice (art. 5 and 6 wet 2-8-2002).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from vorder.domain.calendars import add_working_days, next_working_day

TERM_DAYS = 14


class Channel(StrEnum):
    POST = "post"  # paper
    EMAIL = "email"  # any electronic means


@dataclass(frozen=True, slots=True)
class StepAnswer:
    """Yes or no, from which day, and why."""

    allowed: bool
    allowed_from: date | None  # first day costs may be charged; None when this step never allows
    reason_nl: str
    reason_en: str
    source: str

    def reason(self, language: str = "nl") -> str:
        return self.reason_nl if language == "nl" else self.reason_en


@dataclass(frozen=True, slots=True)
class Term:
    """A statutory term: when it starts, its last day, and the first day after it."""

    starts: date
    last_day: date
    after: date


def _nl(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def presumed_receipt(sent: date, channel: Channel) -> date:
    """When a Dutch letter is presumed received if the creditor has no proof of the day.

    E-mail: the day it is sent. Post: the next working day (REFERENCE.md W13 assumption; PostNL
    delivers letters the next day but not on Sunday or Monday, so a later proven date overrides).
    """
    if channel is Channel.EMAIL:
        return sent
    return next_working_day(sent + timedelta(days=1), "nl")


def nl_fourteen_day_term(received: date, *, extend_for_holidays: bool = True) -> Term:
    """The 14 days of art. 6:96 lid 6 BW: from the day after receipt (HR 25-11-2016)."""
    starts = received + timedelta(days=1)
    last = starts + timedelta(days=TERM_DAYS - 1)
    if extend_for_holidays:
        last = next_working_day(last, "nl")  # Algemene termijnenwet art. 1
    return Term(starts, last, last + timedelta(days=1))


def nl_costs_allowed(
    as_of: date,
    *,
    consumer: bool,
    in_default_from: date,
    letter_sent: date | None = None,
    channel: Channel = Channel.POST,
    letter_received: date | None = None,
    stated_deadline: date | None = None,
    states_costs: bool = True,
    covers_all_claims: bool = True,
    extend_for_holidays: bool = True,
) -> StepAnswer:
    """May Dutch extrajudicial collection costs be charged on ``as_of``?

    ``in_default_from`` is the first day of default (verzuim): the day after the due date for a
    fatal term. ``stated_deadline`` is the pay-by date printed in the letter, if it names one
    instead of "within 14 days after receipt".
    """
    if not consumer:
        allowed = as_of >= in_default_from
        return StepAnswer(
            allowed,
            in_default_from,
            f"Handelstransactie: de vergoeding van ten minste 40,00 is verschuldigd zonder "
            f"aanmaning vanaf {_nl(in_default_from)}"
            + ("." if allowed else f"; op {_nl(as_of)} is dat nog niet zo."),
            f"Commercial transaction: the compensation of at least 40.00 is due without a "
            f"reminder from {in_default_from.isoformat()}"
            + ("." if allowed else f"; on {as_of.isoformat()} it is not yet."),
            "art. 6:96 lid 4 BW",
        )
    source = "art. 6:96 lid 6 en 7 BW; HR 25-11-2016, ECLI:NL:HR:2016:2704"
    if letter_sent is None:
        return StepAnswer(
            False,
            None,
            "Nog geen veertiendagenbrief verstuurd: incassokosten mogen pas na het verstrijken "
            "van de termijn uit die brief worden gerekend.",
            "No fourteen-day letter has been sent yet: costs may only be charged after the term "
            "of that letter has passed.",
            source,
        )
    if letter_sent < in_default_from:
        return StepAnswer(
            False,
            None,
            f"De brief van {_nl(letter_sent)} is verstuurd voordat het verzuim inging "
            f"({_nl(in_default_from)}); een nieuwe brief is nodig.",
            f"The letter of {letter_sent.isoformat()} was sent before the default began "
            f"({in_default_from.isoformat()}); a new letter is needed.",
            source,
        )
    if not states_costs:
        return StepAnswer(
            False,
            None,
            "De brief noemt het bedrag van de incassokosten niet; een nieuwe brief is nodig.",
            "The letter does not state the amount of the collection costs; a new letter is needed.",
            source,
        )
    if not covers_all_claims:
        return StepAnswer(
            False,
            None,
            "De brief noemt niet alle openstaande vorderingen; ze moeten in één aanmaning staan.",
            "The letter does not name every open claim; they must be in one reminder.",
            source,
        )
    received = letter_received or presumed_receipt(letter_sent, channel)
    term = nl_fourteen_day_term(received, extend_for_holidays=extend_for_holidays)
    if stated_deadline is not None and stated_deadline < term.last_day:
        return StepAnswer(
            False,
            None,
            f"De brief vraagt betaling uiterlijk {_nl(stated_deadline)}; bij ontvangst op "
            f"{_nl(received)} loopt de termijn tot en met {_nl(term.last_day)}. Een te korte "
            f"termijn geeft geen recht op incassokosten.",
            f"The letter asks for payment by {stated_deadline.isoformat()}; received on "
            f"{received.isoformat()}, the term runs to {term.last_day.isoformat()} inclusive. A "
            f"term that is too short gives no right to collection costs.",
            source,
        )
    allowed = as_of >= term.after
    return StepAnswer(
        allowed,
        term.after,
        f"Veertiendagenbrief ontvangen op {_nl(received)}; de termijn loopt van "
        f"{_nl(term.starts)} tot en met {_nl(term.last_day)}; incassokosten vanaf "
        f"{_nl(term.after)}" + ("." if allowed else f", dus nog niet op {_nl(as_of)}."),
        f"Fourteen-day letter received on {received.isoformat()}; the term runs from "
        f"{term.starts.isoformat()} to {term.last_day.isoformat()} inclusive; costs from "
        f"{term.after.isoformat()}" + ("." if allowed else f", so not yet on {as_of.isoformat()}."),
        source,
    )


def be_waiting_period(sent: date, channel: Channel) -> Term:
    """The 14 calendar days after a Belgian first reminder (art. XIX.2 WER).

    Paper: day 1 is the 3rd working day after sending. Electronic: day 1 is the next calendar day.
    """
    if channel is Channel.EMAIL:
        starts = sent + timedelta(days=1)
    else:
        starts = add_working_days(sent, 3, "be")
    last = starts + timedelta(days=TERM_DAYS - 1)
    return Term(starts, last, last + timedelta(days=1))


def be_costs_allowed(
    as_of: date,
    *,
    consumer: bool,
    in_default_from: date,
    first_reminder_sent: date | None = None,
    channel: Channel = Channel.POST,
    reminder_compliant: bool = True,
) -> StepAnswer:
    """May Belgian damages, interest or costs be charged on ``as_of``?

    ``reminder_compliant`` says the first reminder was free and carried the content art. XIX.2
    requires (creditor and enterprise number, balance and damages, due date, the 14-day term).
    """
    if not consumer:
        allowed = as_of >= in_default_from
        return StepAnswer(
            allowed,
            in_default_from,
            f"Handelstransactie: intrest en de forfaitaire 40,00 zijn van rechtswege verschuldigd "
            f"vanaf {_nl(in_default_from)}"
            + ("." if allowed else f"; op {_nl(as_of)} is dat nog niet zo."),
            f"Commercial transaction: interest and the fixed 40.00 are due by law from "
            f"{in_default_from.isoformat()}"
            + ("." if allowed else f"; on {as_of.isoformat()} it is not yet."),
            "art. 5 en 6 wet 2-8-2002",
        )
    source = "art. XIX.2 WER"
    if first_reminder_sent is None or not reminder_compliant:
        return StepAnswer(
            False,
            None,
            "Eerst een kosteloze eerste herinnering met de verplichte vermeldingen; daarna een "
            "wachttermijn van 14 kalenderdagen.",
            "First a free first reminder with the required content; then a waiting period of 14 "
            "calendar days.",
            source,
        )
    term = be_waiting_period(first_reminder_sent, channel)
    how_nl = "elektronisch" if channel is Channel.EMAIL else "op papier"
    how_en = "electronically" if channel is Channel.EMAIL else "on paper"
    allowed = as_of >= term.after
    return StepAnswer(
        allowed,
        term.after,
        f"Eerste herinnering {how_nl} verstuurd op {_nl(first_reminder_sent)}; de wachttermijn "
        f"loopt van {_nl(term.starts)} tot en met {_nl(term.last_day)}; kosten vanaf "
        f"{_nl(term.after)}" + ("." if allowed else f", dus nog niet op {_nl(as_of)}."),
        f"First reminder sent {how_en} on {first_reminder_sent.isoformat()}; the waiting period "
        f"runs from {term.starts.isoformat()} to {term.last_day.isoformat()} inclusive; costs from "
        f"{term.after.isoformat()}" + ("." if allowed else f", so not yet on {as_of.isoformat()}."),
        source,
    )
