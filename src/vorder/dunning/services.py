"""The daily dunning run, approvals, "send a reminder now", and the shipped policies.

The run has three steps (docs/ARCHITECTURE.md): snapshot (dunning.selectors), decide
(vorder.domain.dunning, pure), apply. Apply writes the decisions, the outbox messages (comms),
the collector tasks (cases) and each invoice's new place on the ladder in ONE transaction: a
crash leaves nothing half-done, and a rerun finds every customer it already served "too soon"
for another message, so nothing is ever sent twice. Message and task idempotency keys derive
from the decision's key as a second guard.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from vorder.cases.selectors import rejected_disputes_pending_message
from vorder.cases.services import TaskSpec, disputes_rejection_message_sent, tasks_create
from vorder.common.audit import audit_record, current_actor
from vorder.common.bulk import bulk_work
from vorder.common.db import AnyOf, execute_rows, insert_objects, key_chunk
from vorder.common.models import AuditEntry
from vorder.common.money import fmt, to_decimal
from vorder.comms.models import MessageTemplate
from vorder.comms.selectors import (
    address_block,
    creditor_context,
    message_context_base,
    postal_address_block,
)
from vorder.comms.services import OutgoingMessage, messages_enqueue
from vorder.domain import dunning as d
from vorder.dunning.models import (
    CustomerPolicy,
    DunningDecision,
    DunningRun,
    Policy,
    PolicyLevel,
    PolicyRule,
)
from vorder.dunning.policies import TEMPLATES
from vorder.dunning.selectors import (
    CustomerFacts,
    PolicyBook,
    Snapshot,
    dunning_snapshot,
    pending_approval_customers,
    policy_book,
)
from vorder.ledger.models import CreditNote, Creditor, Customer, Invoice, Payment
from vorder.ledger.services.charges import ChargeClaim, charges_claim


class DunningError(ValueError):
    """The run or an approval cannot go ahead; the message says why."""


# -- policies -----------------------------------------------------------------------------------


@transaction.atomic
def policies_install_defaults(*, creditor: Creditor) -> list[Policy]:
    """The shipped policies for the creditor's country and the rules that assign them.

    Idempotent: an existing policy with the same code is left as the credit manager edited it.
    """
    installed: list[Policy] = []
    for template in (t for t in TEMPLATES if t.country == creditor.country):
        spec = template.policy
        policy, created = Policy.objects.get_or_create(
            creditor=creditor,
            code=spec.code,
            defaults={
                "name": spec.name,
                "description": template.description,
                "after_last": spec.after_last.value,
                "after_last_days": spec.after_last_days,
                "min_overdue_minor": int(spec.min_overdue * 100),
                "min_days_between_messages": spec.min_days_between_messages,
            },
        )
        if created:
            PolicyLevel.objects.bulk_create(
                PolicyLevel(
                    policy=policy,
                    order=i,
                    key=lvl.key,
                    name=lvl.name,
                    trigger=lvl.trigger.value,
                    days=lvl.days,
                    channel=lvl.channel.value,
                    template_key=lvl.template_key,
                    add_interest=lvl.add_interest,
                    add_costs=lvl.add_costs,
                    min_overdue_minor=int(lvl.min_overdue * 100),
                    needs_approval=lvl.needs_approval,
                    legal_step=lvl.legal_step.value,
                )  # fmt: skip
                for i, lvl in enumerate(spec.levels, start=1)
            )
            PolicyRule.objects.create(
                creditor=creditor, priority=100, policy=policy, kind=template.kind
            )
            audit_record(
                creditor_id=creditor.pk, obj=policy, action="create",
                changes={"policy": [None, spec.code], "levels": [None, len(spec.levels)]},
            )  # fmt: skip
        installed.append(policy)
    return installed


@transaction.atomic
def customer_policy_set(*, customer: Customer, policy: Policy | None) -> None:
    """Give a customer its own policy (None: back to the rules)."""
    if policy is not None and policy.creditor_id != customer.creditor_id:
        raise DunningError("that policy belongs to another creditor")
    before = (
        CustomerPolicy.objects.filter(customer=customer)
        .values_list("policy__code", flat=True)
        .first()
    )
    if policy is None:
        CustomerPolicy.objects.filter(customer=customer).delete()
    else:
        CustomerPolicy.objects.update_or_create(customer=customer, defaults={"policy": policy})
    audit_record(
        creditor_id=customer.creditor_id, obj=customer, action="update",
        changes={"policy": [before, policy.code if policy else None]},
    )  # fmt: skip


def policy_problems_for(policy: Policy) -> list[str]:
    """The domain's checks for every kind of customer a policy's rules assign it to."""
    from vorder.dunning.selectors import policy_as_domain

    spec = policy_as_domain(policy)
    kinds = set(policy.rules.values_list("kind", flat=True)) or {"b2b", "b2c"}
    problems: list[str] = []
    for kind in sorted(kinds or {"b2b", "b2c"}):
        for p in d.policy_problems(
            spec, jurisdiction=policy.creditor.country, consumer=(kind in ("b2c", ""))
        ):
            if p not in problems:
                problems.append(p)
    return problems


# -- the run ------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What a run decided; ``as_json`` is the stable contract of `vorder dunning run --json`."""

    as_of: date
    creditor: Creditor
    dry_run: bool
    actions: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    run_id: int | None = None

    def totals(self) -> dict[str, Any]:
        currency = self.creditor.currency
        by_level: Counter[str] = Counter(a["level"] for a in self.actions)
        by_channel: Counter[str] = Counter(a["channel"] for a in self.actions)
        money = {
            key: fmt(sum(int(Decimal(a[key]) * 100) for a in self.actions), currency)
            for key in ("overdue_amount", "interest", "costs")
        }
        return {
            "actions": len(self.actions),
            "skipped": len(self.skipped),
            "pending_approval": sum(1 for a in self.actions if a["status"] == "pending_approval"),
            "by_level": dict(sorted(by_level.items())),
            "by_channel": dict(sorted(by_channel.items())),
            "by_level_and_channel": {
                f"{lvl}/{ch}": n
                for (lvl, ch), n in sorted(
                    Counter((a["level"], a["channel"]) for a in self.actions).items()
                )
            },
            **money,
            "currency": currency,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "creditor": self.creditor.code,
            "dry_run": self.dry_run,
            "actions": self.actions,
            "skipped": self.skipped,
            "totals": self.totals(),
        }


@dataclass(frozen=True)
class Planned:
    """One decision with everything apply needs: who, by which channel, to which address."""

    decision: d.Decision
    policy: Policy
    facts: CustomerFacts
    channel: str
    recipient: str
    language: str
    template_key: str
    key: str


@bulk_work()  # a run over a portfolio builds millions of objects: see common.bulk
def dunning_run_execute(
    *,
    creditor: Creditor,
    as_of: date,
    dry_run: bool = False,
    customer_ids: Collection[int] | None = None,
    manual: bool = False,
    approved: DunningDecision | None = None,
    started_by: str | None = None,
) -> RunResult:
    """Decide for every account with overdue items and (unless dry-run) act on it, atomically.

    ``manual``: "send a reminder now" (the policy's waiting days are not waited for).
    ``approved``: carry out a decision a credit manager approved (re-decided for today, so a
    payment since the proposal is respected).
    """
    book = policy_book(creditor=creditor)
    snapshot = dunning_snapshot(
        creditor=creditor, as_of=as_of, customer_ids=customer_ids, book=book
    )
    result = RunResult(as_of=as_of, creditor=creditor, dry_run=dry_run)
    planned = _plan(snapshot, book, result, manual=manual, approved=approved)
    if dry_run:
        for p in planned:
            result.actions.append(_action_json(p, snapshot, status=_status(p).value))
        return result
    with transaction.atomic():
        run = DunningRun.objects.create(
            creditor=creditor, as_of=as_of, started_by=started_by or current_actor()[1]
        )
        result.run_id = run.pk
        _apply(snapshot, planned, run=run, manual=manual, result=result)
        if customer_ids is None:
            _explain_rejected_disputes(creditor, as_of, result)
        run.status = DunningRun.Status.DONE
        run.finished_at = timezone.now()
        run.totals = result.totals()
        run.save(update_fields=["status", "finished_at", "totals"])
    return result


def _plan(
    snapshot: Snapshot,
    book: PolicyBook,
    result: RunResult,
    *,
    manual: bool,
    approved: DunningDecision | None = None,
) -> list[Planned]:
    waiting = pending_approval_customers(creditor=snapshot.creditor)
    if approved is not None:
        waiting.discard(approved.customer_id)
    available = _template_keys(snapshot.creditor)
    planned: list[Planned] = []
    for account in snapshot.accounts:
        facts = snapshot.customers[account.customer_id]
        if account.customer_id in waiting:
            result.skipped.append(
                {
                    "customer": facts.number,
                    "reason": "A decision for this customer waits for approval.",
                }
            )
            continue
        found = book.policy_for(facts)
        if found is None:
            result.skipped.append(
                {"customer": facts.number, "reason": "No credit policy applies to this customer."}
            )
            continue
        policy, spec = found
        decision = d.decide(
            account, spec, snapshot.as_of, manual=manual or approved is not None,
            approved=approved is not None,
        )  # fmt: skip
        if decision.action is d.Action.SKIP:
            if any(account.items) and decision.reasons[-1].code != "nothing_overdue":
                result.skipped.append({"customer": facts.number, "reason": decision.reason_text()})
            continue
        planned.append(_route(decision, policy, facts, snapshot, available, manual=manual))
    return planned


def _route(
    decision: d.Decision,
    policy: Policy,
    facts: CustomerFacts,
    snapshot: Snapshot,
    available: set[str],
    *,
    manual: bool,
) -> Planned:
    """Pick channel, address and language for a decision (contact first, then the customer)."""
    contact = facts.contact
    language = (contact.language if contact and contact.language else "") or facts.language
    key = f"{snapshot.creditor.pk}:{facts.id}:{snapshot.as_of.isoformat()}:{decision.action.value}"
    if manual:
        # several manual sends on one day are several decisions; each still sends once
        key += f":manual:{timezone.now().strftime('%H%M%S%f')}"
    if decision.level is None:  # hand-over proposal: a task, no message
        return Planned(decision, policy, facts, "task", "", language, "", key)
    email = (contact.email if contact and contact.email else "") or facts.email
    phone = (contact.phone if contact and contact.phone else "") or facts.phone
    channel = d.resolve_channel(
        decision.level,
        contact_preference=contact.preferred_channel if contact else "",
        customer_preference=facts.preferred_channel,
        has_email=bool(email),
        has_address=len(facts.address_lines) >= 2,
        has_phone=bool(phone),
    )
    if channel is d.Channel.PHONE_TASK:
        recipient = phone
    elif channel is d.Channel.EMAIL:
        recipient = email
    elif channel is d.Channel.SMS:
        recipient = phone
    else:
        recipient = _address_block(facts, snapshot.creditor.country, language)
    template_key = decision.level.template_key
    toned = f"{template_key}_{decision.tone.value}"
    if decision.tone is not d.Tone.NEUTRAL and toned in available:
        template_key = toned
    return Planned(decision, policy, facts, channel.value, recipient, language, template_key, key)


def _address_block(facts: CustomerFacts, home_country: str, language: str) -> str:
    contact = facts.contact
    return address_block(
        name=facts.name,
        attention=contact.name if contact and facts.kind == Customer.Kind.B2B else "",
        street_lines=facts.address_lines,
        country=facts.country,
        home_country=home_country,
        language=language,
    )


def _template_keys(creditor: Creditor) -> set[str]:
    return set(
        MessageTemplate.objects.filter(creditor__isnull=True)
        .values_list("key", flat=True)
        .distinct()
    ) | set(
        MessageTemplate.objects.filter(creditor=creditor).values_list("key", flat=True).distinct()
    )


def _status(p: Planned) -> DunningDecision.Status:
    if p.decision.needs_approval:
        return DunningDecision.Status.PENDING_APPROVAL
    return DunningDecision.Status.DONE


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _action_json(p: Planned, snapshot: Snapshot, *, status: str) -> dict[str, Any]:
    dec = p.decision
    return {
        "customer": p.facts.number,
        "level": dec.level.key if dec.level else dec.action.value,
        "channel": p.channel,
        "items": [s.number for s in dec.steps],
        "overdue_amount": _money(dec.overdue),
        "interest": _money(dec.interest),
        "costs": _money(dec.costs + dec.costs_vat),
        "reason": dec.reason_text(),
        "status": status,
        "tone": dec.tone.value,
    }


def _apply(
    snapshot: Snapshot,
    planned: Sequence[Planned],
    *,
    run: DunningRun | None,
    manual: bool,
    result: RunResult,
) -> list[DunningDecision]:
    """Write messages, tasks, decisions, charges and ladder states, each in one bulk write.

    Messages and tasks go first so each decision row is inserted once with its links (no
    bulk UPDATE afterwards). The decisions are the record of the run; the audit trail gets
    one entry for the run itself.
    """
    creditor, as_of = snapshot.creditor, snapshot.as_of
    keys = [p.key for p in planned]
    known: set[str] = set()
    for i in range(0, len(keys), key_chunk()):
        known.update(
            DunningDecision.objects.filter(
                AnyOf(F("idempotency_key"), keys[i : i + key_chunk()])
            ).values_list("idempotency_key", flat=True)
        )
    planned = [p for p in planned if p.key not in known]
    actor = current_actor()[1]
    rows = [_decision_row(p, creditor, as_of, run=run, manual=manual, actor=actor) for p in planned]
    ready = [
        (p, row)
        for p, row in zip(planned, rows, strict=True)
        if row.status == DunningDecision.Status.DONE
    ]
    _carry_out(snapshot, ready, on=as_of)
    insert_objects(rows)  # COPY: bulk_create would spend seconds building one giant INSERT
    for p, row in zip(planned, rows, strict=True):
        result.actions.append(_action_json(p, snapshot, status=row.status))
    if run is not None and rows:
        audit_record(
            creditor_id=creditor.pk, obj=run, action=AuditEntry.Action.CREATE,
            changes={"as_of": [None, as_of.isoformat()], "decisions": [None, len(rows)]},
        )  # fmt: skip
    return rows


def _explain_rejected_disputes(creditor: Creditor, as_of: date, result: RunResult) -> None:
    """A rejected dispute: dunning resumes, and the debtor is told why (once)."""
    disputes = rejected_disputes_pending_message(creditor=creditor)
    if not disputes:
        return
    outgoing = []
    for dispute in disputes:
        customer = dispute.customer
        contact = customer.contacts.filter(is_active=True).order_by("id").first()
        numbers = [i.number for i in dispute.invoices.all()]
        language = (contact.language if contact and contact.language else "") or customer.language
        context = message_context_base(
            creditor=creditor, customer=customer, contact=contact, items=numbers, as_of=as_of,
            language=language,
        )  # fmt: skip
        context["dispute"] = {
            "reason": dispute.resolution_note,
            "opened": dispute.opened_on.isoformat(),
        }
        context["pay_by"] = (as_of + timedelta(days=14)).isoformat()
        email = (contact.email if contact and contact.email else "") or customer.email
        channel = "email" if email else "letter"
        recipient = email or postal_address_block(
            customer=customer, contact=contact, home_country=creditor.country, language=language
        )
        outgoing.append(
            OutgoingMessage(
                creditor=creditor,
                customer=customer,
                contact=contact,
                channel=channel,
                recipient=recipient,
                language=language,
                template_key="dispute_rejected",
                context=context,
                idempotency_key=f"dispute:{dispute.pk}:rejected",
            )  # fmt: skip
        )
        result.actions.append(
            {"customer": customer.number, "level": "dispute_rejected", "channel": channel,
             "items": numbers, "overdue_amount": context["totals"]["overdue"], "interest": "0.00",
             "costs": "0.00", "reason": f"Dispute rejected: {dispute.resolution_note}",
             "status": "done", "tone": "neutral"}
        )  # fmt: skip
    messages_enqueue(messages=outgoing)
    disputes_rejection_message_sent(creditor=creditor, dispute_ids=[d_.pk for d_ in disputes])


def _decision_row(
    p: Planned, creditor: Creditor, as_of: date, *, run: DunningRun | None, manual: bool, actor: str
) -> DunningDecision:
    dec = p.decision
    cents = _cents
    return DunningDecision(
        run=run,
        creditor=creditor,
        customer_id=p.facts.id,
        as_of=as_of,
        action=dec.action.value,
        policy_code=p.policy.code,
        level_key=dec.level.key if dec.level else "",
        level_name=dec.level.name if dec.level else "",
        level_number=dec.level_number,
        legal_step=dec.level.legal_step.value if dec.level else "",
        channel=p.channel,
        tone=dec.tone.value,
        template_key=p.template_key,
        items=[
            {
                "invoice_id": s.invoice_id,
                "number": s.number,
                "open": _money(s.open),
                "days_overdue": s.days_overdue,
                "from": s.from_level,
                "to": s.to_level,
                "interest": _money(s.interest),
                "costs_allowed": s.costs_allowed,
            }
            for s in dec.steps
        ],  # fmt: skip
        currency=creditor.currency,
        overdue_minor=cents(dec.overdue),
        interest_minor=cents(dec.interest),
        costs_minor=cents(dec.costs),
        costs_vat_minor=cents(dec.costs_vat),
        reasons=[{"code": r.code, "en": r.en, "nl": r.nl} for r in dec.reasons],
        status=_status(p).value,
        manual=manual,
        decided_by=actor,
        idempotency_key=p.key,
    )


def _carry_out(
    snapshot: Snapshot, ready: Sequence[tuple[Planned, DunningDecision]], *, on: date
) -> None:
    """Send the messages, create the tasks and move the items up the ladder."""
    creditor = snapshot.creditor
    messages = [(p, row) for p, row in ready if row.action == DunningDecision.Action.SEND]
    contexts = _contexts(snapshot, [p for p, _ in messages], on=on)
    customers = Customer.objects.in_bulk([p.facts.id for p, _ in messages])
    sent = messages_enqueue(
        messages=[
            OutgoingMessage(
                creditor=creditor,
                customer=customers[p.facts.id],
                channel="letter" if p.channel == "registered_letter" else p.channel,
                recipient=p.recipient,
                language=p.language,
                template_key=p.template_key,
                context=contexts[p.facts.id],
                idempotency_key=f"dunning:{row.idempotency_key}",
                registered=p.channel == "registered_letter",
                attachments=_documents(p),
            )
            for p, row in messages
        ]
    )
    for (_, row), message in zip(messages, sent, strict=True):
        row.message_id = message.pk
    tasks = [(p, row) for p, row in ready if row.action != DunningDecision.Action.SEND]
    created = {
        t.idempotency_key: t
        for t in tasks_create(
            creditor=creditor,
            specs=[
                TaskSpec(
                    customer_id=p.facts.id,
                    kind="call"
                    if row.action == DunningDecision.Action.CALL
                    else "handover_proposal",
                    reason=p.decision.reason_text(),
                    due_date=on,
                    key=f"dunning:{row.idempotency_key}",
                )
                for p, row in tasks
            ],
        )
    }
    for _, row in tasks:
        task = created.get(f"dunning:{row.idempotency_key}")
        row.task_id = task.pk if task is not None else None
    charges_claim(creditor=creditor, claims=_claims(creditor, messages, on=on))
    _climb(creditor, [(p.decision, p.channel) for p, _ in ready], on=on)


def _claims(
    creditor: Creditor, sent: Sequence[tuple[Planned, DunningDecision]], *, on: date
) -> list[ChargeClaim]:
    """What a sent letter claims for the first time becomes a charge of its own."""
    claims: list[ChargeClaim] = []
    for p, row in sent:
        level_name = p.decision.level.name if p.decision.level else ""
        for s in p.decision.steps:
            base = f"dunning:{row.idempotency_key}:{s.invoice_id}"
            if s.interest_new > 0:
                claims.append(ChargeClaim(
                    customer_id=p.facts.id, kind="interest", amount_minor=_cents(s.interest_new),
                    vat_minor=0, currency=creditor.currency, claimed_on=on,
                    reference=f"{base}:interest", invoice_id=s.invoice_id,
                    description=f"interest to {on.isoformat()}",
                ))  # fmt: skip
            if s.costs_new + s.costs_vat_new > 0:
                claims.append(ChargeClaim(
                    customer_id=p.facts.id, kind="costs", amount_minor=_cents(s.costs_new),
                    vat_minor=_cents(s.costs_vat_new), currency=creditor.currency, claimed_on=on,
                    reference=f"{base}:costs", invoice_id=s.invoice_id,
                    description=f"collection costs ({level_name})",
                ))  # fmt: skip
    return claims


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _documents(p: Planned) -> list[str]:
    return []  # invoice PDFs are attached by comms from the items' documents when present


_CLIMB_SQL = """
    INSERT INTO dunning_dunningitemstate
        (invoice_id, creditor_id, level, last_step_on, legal_step_on, legal_step_channel)
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (invoice_id) DO UPDATE SET
        level = excluded.level,
        last_step_on = excluded.last_step_on,
        legal_step_on = COALESCE(excluded.legal_step_on, dunning_dunningitemstate.legal_step_on),
        legal_step_channel = CASE WHEN excluded.legal_step_on IS NULL
            THEN dunning_dunningitemstate.legal_step_channel ELSE excluded.legal_step_channel END
"""
_CLIMB_TYPES = ("bigint", "bigint", "smallint", "date", "date", "text")
_HANDOVER_SQL = """
    INSERT INTO dunning_dunningitemstate
        (invoice_id, creditor_id, level, last_step_on, handover_proposed_on, legal_step_channel)
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (invoice_id) DO UPDATE SET handover_proposed_on = excluded.handover_proposed_on
"""
_HANDOVER_TYPES = ("bigint", "bigint", "smallint", "date", "date", "text")


def _climb(creditor: Creditor, decisions: Iterable[tuple[d.Decision, str]], *, on: date) -> None:
    """Each climbing item reaches its next level today; the legal steps it had are recorded.

    One upsert (INSERT ... ON CONFLICT, on SQLite and PostgreSQL alike, see ``execute_rows``): a
    legal step recorded earlier is kept unless this step is a legal one itself.
    """
    climbs: list[tuple[Any, ...]] = []
    handovers: list[tuple[Any, ...]] = []
    for dec, channel in decisions:
        legal = dec.level is not None and dec.level.legal_step in (
            d.LegalStep.NL_FOURTEEN_DAY_LETTER,
            d.LegalStep.BE_FREE_REMINDER,
        )
        for s in dec.steps:
            if dec.action is d.Action.HANDOVER:
                handovers.append((s.invoice_id, creditor.pk, 0, None, on, ""))
            elif s.to_level > s.from_level:
                how = ("email" if channel in ("email", "sms") else "post") if legal else ""
                climbs.append(
                    (s.invoice_id, creditor.pk, s.to_level, on, on if legal else None, how)
                )
    execute_rows(_CLIMB_SQL, _CLIMB_TYPES, climbs)
    execute_rows(_HANDOVER_SQL, _HANDOVER_TYPES, handovers)


def _contexts(
    snapshot: Snapshot, planned: Sequence[Planned], *, on: date
) -> dict[int, dict[str, Any]]:
    """The message context of docs/comms.md for many customers: a few queries in all."""
    if not planned:
        return {}
    creditor = snapshot.creditor
    currency = creditor.currency
    ids = [p.facts.id for p in planned]
    open_items: dict[int, list[tuple[str, date, date, int, int, str]]] = defaultdict(list)
    credits: dict[int, list[tuple[str, date, int]]] = defaultdict(list)
    step = key_chunk()
    for i in range(0, len(ids), step):
        chunk = ids[i : i + step]
        for row in Invoice.objects.filter(
            AnyOf(F("customer_id"), chunk), status=Invoice.Status.OPEN, currency=currency
        ).values_list(
            "customer_id",
            "number",
            "issue_date",
            "due_date",
            "gross_minor",
            "open_minor",
            "payment_reference",
        ):
            open_items[row[0]].append(row[1:])
        for cid, number, day, amount in CreditNote.objects.filter(
            AnyOf(F("customer_id"), chunk), status=CreditNote.Status.OPEN, currency=currency
        ).values_list("customer_id", "number", "issue_date", "open_minor"):
            credits[cid].append((number, day, amount))
        for cid, number, day, amount in Payment.objects.filter(
            AnyOf(F("customer_id"), chunk), unallocated_minor__gt=0, currency=currency
        ).values_list("customer_id", "number", "date", "unallocated_minor"):
            credits[cid].append((number, day, amount))
    creditor_part = creditor_context(creditor)
    contexts: dict[int, dict[str, Any]] = {}
    for p in planned:
        dec, facts = p.decision, p.facts
        by_number = {row[0]: row for row in open_items[facts.id]}
        listed = {s.number for s in dec.steps}
        items = []
        for s in dec.steps:
            row = by_number.get(s.number)
            due = snapshot.invoices[s.invoice_id][1]
            items.append(
                {
                    "number": s.number,
                    "issue_date": (row[1] if row else due).isoformat(),
                    "due_date": due.isoformat(),
                    "days_overdue": s.days_overdue,
                    "gross": fmt(row[3], currency) if row else _money(s.open),
                    "open": _money(s.open),
                    "currency": currency,
                    "payment_reference": snapshot.invoices[s.invoice_id][3],
                }
            )
        lines, balance = [], 0
        for number, issued, due, _gross, open_minor, _ref in sorted(
            open_items[facts.id], key=lambda r: (r[2], r[0])
        ):
            balance += open_minor
            lines.append({"date": issued.isoformat(), "kind": "invoice", "number": number,
                          "description": f"due {due.isoformat()}", "debit": fmt(open_minor, currency),
                          "credit": "", "balance": fmt(balance, currency)})  # fmt: skip
        for number, day, amount in sorted(credits[facts.id], key=lambda c: (c[1], c[0])):
            balance -= amount
            lines.append({"date": day.isoformat(), "kind": "credit", "number": number, "description": "",
                          "debit": "", "credit": fmt(amount, currency), "balance": fmt(balance, currency)})  # fmt: skip
        references = {snapshot.invoices[s.invoice_id][3] for s in dec.steps}
        interest_lines = [
            {"number": s.number, "from": (snapshot.invoices[s.invoice_id][1] + timedelta(days=1)).isoformat(),
             "to": on.isoformat(), "days": s.days_overdue, "rate": "", "interest": _money(s.interest)}
            for s in dec.steps if s.interest > 0
        ]  # fmt: skip
        cost_lines = []
        if dec.costs > 0:
            cost_lines.append({"description": "collection costs", "amount": _money(dec.costs)})
        if dec.costs_vat > 0:
            cost_lines.append(
                {"description": "VAT on collection costs", "amount": _money(dec.costs_vat)}
            )
        legal = dec.level is not None and dec.level.legal_step in (
            d.LegalStep.NL_FOURTEEN_DAY_LETTER,
            d.LegalStep.BE_FREE_REMINDER,
        )
        overdue = dec.overdue
        interest = dec.interest
        costs = dec.costs + dec.costs_vat
        open_total = sum(r[4] for r in open_items[facts.id]) - sum(c[2] for c in credits[facts.id])
        contexts[facts.id] = {
            "as_of": on.isoformat(),
            "language": p.language,
            "creditor": creditor_part,
            "customer": {"number": facts.number, "name": facts.name, "address_lines": facts.address_lines,
                         "country": facts.country, "language": facts.language, "kind": facts.kind},
            "contact": ({"name": facts.contact.name, "email": facts.contact.email, "phone": facts.contact.phone}
                        if facts.contact else None),
            "items": items,
            "totals": {"currency": currency, "overdue": _money(overdue), "open": fmt(open_total, currency),
                       "interest": _money(interest), "costs": _money(costs),
                       "total_due": _money(overdue + interest + costs)},
            "interest_lines": interest_lines,
            "cost_lines": cost_lines,
            "statement": {"lines": lines, "closing": fmt(balance, currency)},
            "payment_reference": next(iter(references)) if len(references) == 1 else "",
            "pay_by": (on + timedelta(days=15 if legal else 7)).isoformat(),
            "payment_link": "",
            "portal_link": "",
            "level": {"key": dec.level.key if dec.level else "", "name": dec.level.name if dec.level else ""},
            "tone": dec.tone.value,
            "listed": sorted(listed),
        }  # fmt: skip
        if legal:
            contexts[facts.id].update(_announced(snapshot, dec, facts, on))
    return contexts


def _announced(
    snapshot: Snapshot, dec: d.Decision, facts: CustomerFacts, on: date
) -> dict[str, Any]:
    """What a legal letter must name: the costs (and interest) that follow if it is not paid.

    The NL 14-day letter (art. 6:96 lid 6 BW) and the BE free first reminder (art. XIX.2 WER)
    only make costs due when they state them; comms refuses to queue either without them.
    """
    from vorder.domain.costs import collection_costs
    from vorder.domain.interest import InterestRule

    climbing = [s for s in dec.steps if s.to_level > s.from_level]
    principal = sum((s.open for s in climbing), Decimal(0))
    consumer = facts.kind == Customer.Kind.B2C
    figure = collection_costs(
        max(principal, Decimal("0.01")), jurisdiction=snapshot.creditor.country.lower(),
        consumer=consumer, invoices=max(1, len(climbing)),
        vat_deductible=snapshot.creditor.vat_deductible,
    )  # fmt: skip
    table = InterestRule(
        d.interest_kind(jurisdiction=snapshot.creditor.country, consumer=consumer)
    ).table
    return {
        "announced_costs": _money(figure.total),
        "announced_costs_include_vat": figure.vat > 0,
        "announced_interest_rate": str(table.rate_on(on)) if table is not None else "",
    }


# -- approvals and manual sends ----------------------------------------------------------------


@transaction.atomic
def dunning_decision_approve(
    *, decision: DunningDecision, user: AbstractBaseUser, as_of: date
) -> DunningDecision:
    """A credit manager approves a waiting step: it is sent now, as decided."""
    from vorder.common.roles import CREDIT_MANAGER, role_of

    if role_of(user) != CREDIT_MANAGER:
        raise DunningError("only a credit manager approves dunning steps")
    locked = DunningDecision.objects.select_for_update().get(pk=decision.pk)
    if locked.status != DunningDecision.Status.PENDING_APPROVAL:
        raise DunningError(
            f"this decision is {locked.status.replace('_', ' ')}, not waiting for approval"
        )
    result = dunning_run_execute(
        creditor=locked.creditor, as_of=as_of, customer_ids=[locked.customer_id],
        approved=locked, started_by=user.get_username(),
    )  # fmt: skip
    locked.status = DunningDecision.Status.DONE
    locked.approved_by_id = user.pk
    locked.approved_at = timezone.now()
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    audit_record(
        creditor_id=locked.creditor_id, obj=locked, action="update",
        changes={"status": ["pending_approval", "done"], "sent": [None, len(result.actions)]},
    )  # fmt: skip
    return locked


@transaction.atomic
def dunning_decision_reject(
    *, decision: DunningDecision, user: AbstractBaseUser, note: str
) -> DunningDecision:
    from vorder.common.roles import CREDIT_MANAGER, role_of

    if role_of(user) != CREDIT_MANAGER:
        raise DunningError("only a credit manager rejects dunning steps")
    locked = DunningDecision.objects.select_for_update().get(pk=decision.pk)
    if locked.status != DunningDecision.Status.PENDING_APPROVAL:
        raise DunningError(
            f"this decision is {locked.status.replace('_', ' ')}, not waiting for approval"
        )
    locked.status = DunningDecision.Status.REJECTED
    locked.approved_by_id = user.pk
    locked.approved_at = timezone.now()
    locked.reasons = [
        *locked.reasons,
        {"code": "rejected", "en": f"Rejected: {note}", "nl": f"Afgewezen: {note}"},
    ]
    locked.save(update_fields=["status", "approved_by", "approved_at", "reasons"])
    audit_record(
        creditor_id=locked.creditor_id, obj=locked, action="update",
        changes={"status": ["pending_approval", "rejected"], "note": [None, note]},
    )  # fmt: skip
    return locked


def dunning_send_now(*, customer: Customer, as_of: date, started_by: str) -> RunResult:
    """ "Send a reminder now" from the customer page: the next level for every overdue item,
    through the same rules, legal checks, costs and records as the daily run (only the waiting
    days of the policy are not waited for)."""
    return dunning_run_execute(
        creditor=customer.creditor, as_of=as_of, customer_ids=[customer.pk], manual=True,
        started_by=started_by,
    )  # fmt: skip


def dunning_run_done(*, creditor: Creditor, as_of: date) -> bool:
    """Whether the day's run is done: the scheduler starts one run per creditor per day.

    After downtime the scheduler runs for *today* only; the ladder's one-level-per-run rule and
    the minimum gap between messages make that catch-up correct (no burst, no skipped step).
    """
    return DunningRun.objects.filter(
        creditor=creditor, as_of=as_of, dry_run=False, status=DunningRun.Status.DONE
    ).exists()


# -- the policy editor (workspace) --------------------------------------------------------------


@dataclass(frozen=True)
class LevelDraft:
    """One level as the editor sends it; its place on the ladder is its position in the draft."""

    key: str
    name: str
    trigger: str
    days: int
    channel: str
    template_key: str
    add_interest: bool = False
    add_costs: bool = False
    min_overdue_minor: int = 0
    needs_approval: bool = False
    legal_step: str = ""


@dataclass(frozen=True)
class RuleDraft:
    """An assignment rule; blank fields match every customer."""

    priority: int = 100
    kind: str = ""
    country: str = ""
    segment: str = ""
    tag: str = ""
    risk_class: str = ""


@dataclass(frozen=True)
class PolicyDraft:
    """A whole policy as edited: saved at once, so a half-edited ladder is never in force."""

    name: str
    after_last: str
    after_last_days: int
    min_overdue_minor: int
    min_days_between_messages: int
    levels: tuple[LevelDraft, ...]
    rules: tuple[RuleDraft, ...]
    description: str = ""
    is_active: bool = True


class PolicyProblems(DunningError):
    """The policy would break a rule of the trade or the law; nothing was saved."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def policy_draft_problems(*, creditor: Creditor, draft: PolicyDraft) -> list[str]:
    """The domain's checks for a policy not yet saved, for each kind of customer it would serve.

    The editor shows these live, before saving; ``policy_update`` refuses a draft that has any.
    """
    currency = creditor.currency
    spec = d.Policy(
        code="draft",
        name=draft.name,
        levels=tuple(
            d.Level(
                key=lvl.key,
                name=lvl.name or lvl.key,
                trigger=d.Trigger(lvl.trigger),
                days=lvl.days,
                channel=d.Channel(lvl.channel),
                template_key=lvl.template_key,
                add_interest=lvl.add_interest,
                add_costs=lvl.add_costs,
                min_overdue=to_decimal(lvl.min_overdue_minor, currency),
                needs_approval=lvl.needs_approval,
                legal_step=d.LegalStep(lvl.legal_step),
            )  # fmt: skip
            for lvl in draft.levels
        ),
        after_last=d.AfterLast(draft.after_last),
        after_last_days=draft.after_last_days,
        min_overdue=to_decimal(draft.min_overdue_minor, currency),
        min_days_between_messages=draft.min_days_between_messages,
    )
    kinds = {rule.kind for rule in draft.rules} or {"b2b", "b2c"}
    problems: list[str] = []
    for kind in sorted(kinds):
        for p in d.policy_problems(
            spec, jurisdiction=creditor.country, consumer=(kind in ("b2c", ""))
        ):
            if p not in problems:
                problems.append(p)
    orders = [rule.priority for rule in draft.rules]
    if len(set(orders)) != len(orders):
        problems.append("two rules of this policy have the same priority")
    return problems


def _policy_snapshot(policy: Policy) -> dict[str, Any]:
    """What the audit log keeps of a policy: its fields, ladder and rules, as plain values."""
    return {
        "name": policy.name,
        "after_last": policy.after_last,
        "after_last_days": policy.after_last_days,
        "min_overdue_minor": policy.min_overdue_minor,
        "min_days_between_messages": policy.min_days_between_messages,
        "is_active": policy.is_active,
        "levels": [
            [
                lvl.key,
                lvl.trigger,
                lvl.days,
                lvl.channel,
                lvl.template_key,
                lvl.add_interest,
                lvl.add_costs,
                lvl.min_overdue_minor,
                lvl.needs_approval,
                lvl.legal_step,
            ]
            for lvl in policy.levels.order_by("order")
        ],  # fmt: skip
        "rules": [
            [r.priority, r.kind, r.country, r.segment, r.tag, r.risk_class]
            for r in policy.rules.order_by("priority", "id")
        ],
    }


@transaction.atomic
def policy_update(*, policy: Policy, draft: PolicyDraft) -> Policy:
    """Replace a policy's fields, levels and rules with the draft, or refuse it with its problems.

    Levels are renumbered 1..n in the draft's order. An invoice's place on the ladder is a level
    number, so reordering levels of a policy in use moves invoices along with the numbers.
    """
    problems = policy_draft_problems(creditor=policy.creditor, draft=draft)
    if problems:
        raise PolicyProblems(problems)
    locked = Policy.objects.select_for_update().select_related("creditor").get(pk=policy.pk)
    before = _policy_snapshot(locked)
    for name in ("name", "description", "after_last", "after_last_days", "min_overdue_minor",
                 "min_days_between_messages", "is_active"):  # fmt: skip
        setattr(locked, name, getattr(draft, name))
    locked.save()
    PolicyLevel.objects.filter(policy=locked).delete()
    PolicyLevel.objects.bulk_create(
        PolicyLevel(policy=locked, order=i, **vars(lvl)) for i, lvl in enumerate(draft.levels, 1)
    )
    PolicyRule.objects.filter(policy=locked).delete()
    PolicyRule.objects.bulk_create(
        PolicyRule(creditor=locked.creditor, policy=locked, **vars(rule)) for rule in draft.rules
    )
    after = _policy_snapshot(locked)
    audit_record(
        creditor_id=locked.creditor_id, obj=locked, action="update",
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )  # fmt: skip
    return locked


@transaction.atomic
def policy_create(*, creditor: Creditor, code: str, draft: PolicyDraft) -> Policy:
    """A new policy of the creditor's own (the shipped ones come from policies_install_defaults)."""
    problems = policy_draft_problems(creditor=creditor, draft=draft)
    if problems:
        raise PolicyProblems(problems)
    if Policy.objects.filter(creditor=creditor, code=code).exists():
        raise DunningError(f"a policy with code '{code}' already exists")
    policy = Policy.objects.create(creditor=creditor, code=code, name=draft.name)
    audit_record(
        creditor_id=creditor.pk, obj=policy, action="create", changes={"policy": [None, code]}
    )
    return policy_update(policy=policy, draft=draft)
