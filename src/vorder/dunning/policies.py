"""The shipped credit policies: a working start for NL and BE, business and consumer.

A credit manager starts from these and edits them in the UI; few levels, sensible days. Each
respects its law: NL consumers get the 14-day letter before any costs; BE consumers get a free
first reminder and its waiting period; business customers pay interest and the fixed
compensation from the due date, but are asked friendly first.
"""

from __future__ import annotations

from dataclasses import dataclass

from vorder.domain.dunning import AfterLast, Channel, LegalStep, Level, Policy, Trigger

E, L, R, P = Channel.EMAIL, Channel.LETTER, Channel.REGISTERED_LETTER, Channel.PHONE_TASK
DUE, PREV = Trigger.AFTER_DUE, Trigger.AFTER_PREVIOUS


@dataclass(frozen=True)
class PolicyTemplate:
    policy: Policy
    description: str
    kind: str  # "b2b" or "b2c": the default rule assigns it to these customers
    country: str  # the creditor's country it is made for


NL_B2B = PolicyTemplate(
    Policy(
        code="nl-b2b",
        name="Zakelijk NL / Business NL",
        levels=(
            Level("reminder", "Herinnering", DUE, 7, E, "reminder"),
            Level("call", "Telefoontje", PREV, 7, P, "call"),
            Level("second", "Tweede herinnering", PREV, 7, E, "reminder", add_interest=True),
            Level("notice", "Aanmaning / ingebrekestelling", PREV, 14, L, "notice_of_default",
                  add_interest=True, add_costs=True, legal_step=LegalStep.NOTICE_OF_DEFAULT),
            Level("final", "Laatste aanmaning", PREV, 14, R, "final_notice",
                  add_interest=True, add_costs=True, needs_approval=True),
        ),
        after_last=AfterLast.HANDOVER_PROPOSAL,
        after_last_days=14,
    ),
    "Reminder at 7 days, a call, a second reminder with interest, a notice of default with "
    "interest and the statutory compensation (art. 6:96 lid 4 BW, at least EUR 40), a final "
    "notice after approval, then a hand-over proposal.",
    "b2b",
    "NL",
)  # fmt: skip

NL_B2C = PolicyTemplate(
    Policy(
        code="nl-b2c",
        name="Particulier NL / Consumer NL",
        levels=(
            Level("reminder", "Herinnering", DUE, 7, E, "reminder"),
            Level("fourteen", "Veertiendagenbrief", PREV, 14, L, "nl_fourteen_day_letter",
                  legal_step=LegalStep.NL_FOURTEEN_DAY_LETTER),
            Level("final", "Aanmaning met incassokosten", PREV, 16, L, "final_notice",
                  add_interest=True, add_costs=True),
        ),
        after_last=AfterLast.HANDOVER_PROPOSAL,
        after_last_days=14,
    ),
    "Reminder at 7 days, then the 14-day letter (art. 6:96 lid 6 BW) naming the collection "
    "costs, and only after its 14 days (counted from the day after receipt) a demand with "
    "statutory interest and the WIK costs; then a hand-over proposal.",
    "b2c",
    "NL",
)  # fmt: skip

BE_B2B = PolicyTemplate(
    Policy(
        code="be-b2b",
        name="Zakelijk BE / Entreprises BE",
        levels=(
            Level("reminder", "Herinnering", DUE, 7, E, "reminder"),
            Level("notice", "Aanmaning", PREV, 14, L, "notice_of_default", add_interest=True,
                  add_costs=True, legal_step=LegalStep.NOTICE_OF_DEFAULT),
            Level("final", "Laatste aanmaning", PREV, 14, R, "final_notice", add_interest=True,
                  add_costs=True, needs_approval=True),
        ),
        after_last=AfterLast.HANDOVER_PROPOSAL,
        after_last_days=14,
    ),
    "Reminder at 7 days, a notice with late-payment interest and the fixed EUR 40 (law of "
    "2 August 2002), a registered final notice after approval, then a hand-over proposal.",
    "b2b",
    "BE",
)  # fmt: skip

BE_B2C = PolicyTemplate(
    Policy(
        code="be-b2c",
        name="Particulier BE / Consommateurs BE",
        levels=(
            Level("free", "Kosteloze eerste herinnering", DUE, 7, E, "be_free_reminder",
                  legal_step=LegalStep.BE_FREE_REMINDER),
            Level("notice", "Aanmaning met schadevergoeding", PREV, 17, L, "final_notice",
                  add_interest=True, add_costs=True),
            Level("final", "Laatste aanmaning", PREV, 14, L, "final_notice", add_interest=True,
                  needs_approval=True),
        ),
        after_last=AfterLast.HANDOVER_PROPOSAL,
        after_last_days=14,
    ),
    "A free first reminder at 7 days (Book XIX WER), then after the 14-day waiting period a "
    "reminder with the capped damages and legal interest, a final notice after approval, then "
    "a hand-over proposal.",
    "b2c",
    "BE",
)  # fmt: skip

TEMPLATES: tuple[PolicyTemplate, ...] = (NL_B2B, NL_B2C, BE_B2B, BE_B2C)
