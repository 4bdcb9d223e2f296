"""The dunning run's snapshot: every account with overdue items, read in a handful of queries.

Kill Bill's first step. Nothing here loops over customers with a query inside: each part
(items with their ladder state, customers, contacts, holds, credits, history, last message) is
one grouped read for the whole creditor, then joined in memory into immutable domain values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Max, Q, QuerySet, Sum

from vorder.cases.selectors import dunning_holds
from vorder.common.money import to_decimal
from vorder.domain import dunning as d
from vorder.dunning.models import (
    CustomerPolicy,
    DunningDecision,
    DunningItemState,
    DunningRun,
    Policy,
    PolicyRule,
)
from vorder.ledger.models import (
    Charge,
    Contact,
    CreditNote,
    Creditor,
    Customer,
    Invoice,
    InvoiceInstalment,
    Payment,
)

HISTORY_DAYS = 365
LATE_TOLERANCE_DAYS = 3  # bank processing: two or three days late is not "late" yet


# -- policies ---------------------------------------------------------------------------------


def policy_as_domain(policy: Policy) -> d.Policy:
    return d.Policy(
        code=policy.code,
        name=policy.name,
        levels=tuple(
            d.Level(
                key=lvl.key,
                name=lvl.name,
                trigger=d.Trigger(lvl.trigger),
                days=lvl.days,
                channel=d.Channel(lvl.channel),
                template_key=lvl.template_key,
                add_interest=lvl.add_interest,
                add_costs=lvl.add_costs,
                min_overdue=to_decimal(lvl.min_overdue_minor, policy.creditor.currency),
                needs_approval=lvl.needs_approval,
                legal_step=d.LegalStep(lvl.legal_step),
            )
            for lvl in policy.levels.all()
        ),
        after_last=d.AfterLast(policy.after_last),
        after_last_days=policy.after_last_days,
        min_overdue=to_decimal(policy.min_overdue_minor, policy.creditor.currency),
        min_days_between_messages=policy.min_days_between_messages,
    )


@dataclass
class PolicyBook:
    """A creditor's policies, rules and per-customer choices, loaded once per run."""

    policies: dict[int, Policy]
    domain: dict[int, d.Policy]
    rules: list[PolicyRule]
    own: dict[int, int]  # customer_id -> policy_id

    def policy_for(self, customer: CustomerFacts) -> tuple[Policy, d.Policy] | None:
        policy_id = self.own.get(customer.id)
        if policy_id is None:
            for rule in self.rules:
                if (
                    (not rule.kind or rule.kind == customer.kind)
                    and (not rule.country or rule.country == customer.country)
                    and (not rule.segment or rule.segment == customer.segment)
                    and (not rule.tag or rule.tag in customer.tags)
                    and (not rule.risk_class or rule.risk_class == customer.risk_class)
                ):
                    policy_id = rule.policy_id
                    break
        if policy_id is None or policy_id not in self.policies:
            return None
        return self.policies[policy_id], self.domain[policy_id]


def policy_book(*, creditor: Creditor) -> PolicyBook:
    policies = {
        p.pk: p
        for p in Policy.objects.filter(creditor=creditor, is_active=True)
        .select_related("creditor")
        .prefetch_related("levels")
    }
    return PolicyBook(
        policies=policies,
        domain={pk: policy_as_domain(p) for pk, p in policies.items()},
        rules=list(PolicyRule.objects.filter(creditor=creditor, policy__is_active=True)),
        own=dict(
            CustomerPolicy.objects.filter(customer__creditor=creditor).values_list(
                "customer_id", "policy_id"
            )
        ),
    )


def policy_for_customer(*, customer: Customer) -> Policy | None:
    """The policy that governs this customer (its own, else the first matching rule)."""
    book = policy_book(creditor=customer.creditor)
    facts = _customer_facts(Customer.objects.filter(pk=customer.pk))[customer.pk]
    found = book.policy_for(facts)
    return found[0] if found else None


# -- the snapshot -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactFacts:
    id: int
    name: str
    email: str
    phone: str
    preferred_channel: str
    language: str
    role: str


@dataclass
class CustomerFacts:
    """What the run needs of a customer beyond the domain Account: who to write to, how."""

    id: int
    number: str
    name: str
    kind: str
    country: str
    language: str
    preferred_channel: str
    email: str
    phone: str
    address_lines: list[str]
    segment: str
    tags: list[str]
    on_hold: bool
    on_hold_reason: str
    risk_class: str = ""
    contacts: list[ContactFacts] = field(default_factory=list)

    @property
    def contact(self) -> ContactFacts | None:
        """The person to address: accounts payable first, then finance, owner, anyone."""
        order = {"accounts_payable": 0, "finance": 1, "owner": 2}
        ranked = sorted(self.contacts, key=lambda c: (order.get(c.role, 9), c.id))
        return ranked[0] if ranked else None


@dataclass(frozen=True)
class Snapshot:
    creditor: Creditor
    as_of: date
    accounts: list[d.Account]
    customers: dict[int, CustomerFacts]
    invoices: dict[int, tuple[str, date, int, str]]  # id -> number, due date, open minor, ref


def _customer_facts(customers: QuerySet[Customer]) -> dict[int, CustomerFacts]:
    facts: dict[int, CustomerFacts] = {}
    for c in customers.values(
        "id", "number", "name", "kind", "country", "language", "preferred_channel", "email",
        "phone", "address_line1", "address_line2", "postal_code", "city", "segment", "tags",
        "on_hold", "on_hold_reason",
    ):  # fmt: skip
        city_line = " ".join(x for x in (c["postal_code"], c["city"]) if x)
        facts[c["id"]] = CustomerFacts(
            id=c["id"], number=c["number"], name=c["name"], kind=c["kind"], country=c["country"],
            language=c["language"], preferred_channel=c["preferred_channel"], email=c["email"],
            phone=c["phone"],
            address_lines=[x for x in (c["address_line1"], c["address_line2"], city_line) if x],
            segment=c["segment"], tags=list(c["tags"] or []), on_hold=c["on_hold"],
            on_hold_reason=c["on_hold_reason"],
        )  # fmt: skip
    for contact in Contact.objects.filter(customer__in=customers, is_active=True).values(
        "id", "customer_id", "name", "email", "phone", "preferred_channel", "language", "role"
    ):
        customer_id = contact.pop("customer_id")
        if customer_id in facts:
            facts[customer_id].contacts.append(ContactFacts(**contact))
    return facts


def dunning_snapshot(
    *,
    creditor: Creditor,
    as_of: date,
    customer_ids: Collection[int] | None = None,
    book: PolicyBook | None = None,
) -> Snapshot:
    """Every account of the creditor with an item that is overdue (or near a pre-due notice)."""
    book = book or policy_book(creditor=creditor)
    lead = max(
        (-lvl.days for p in book.domain.values() for lvl in p.levels[:1] if lvl.days < 0),
        default=0,
    )
    horizon = as_of + timedelta(days=lead)
    currency = creditor.currency
    invoices = Invoice.objects.filter(
        creditor=creditor, status=Invoice.Status.OPEN, currency=currency
    )
    if customer_ids is not None:
        invoices = invoices.filter(customer_id__in=list(customer_ids))

    # 1. items: plain invoices due by the horizon, with their place on the ladder (one join)
    rows: list[tuple[int, int, str, date, int, str]] = []
    for r in invoices.filter(has_instalments=False, due_date__lte=horizon).values_list(
        "id", "customer_id", "number", "due_date", "open_minor", "payment_reference"
    ):
        rows.append(r)
    # instalment invoices: the item is the part of the schedule due by the horizon
    parts: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for invoice_id, due, open_minor in InvoiceInstalment.objects.filter(
        invoice__in=invoices.filter(has_instalments=True), open_minor__gt=0, due_date__lte=horizon
    ).values_list("invoice_id", "due_date", "open_minor"):
        parts[invoice_id].append((due, open_minor))
    if parts:
        for inv_id, customer_id, number, reference in Invoice.objects.filter(
            pk__in=list(parts)
        ).values_list("id", "customer_id", "number", "payment_reference"):
            due_parts = parts[inv_id]
            rows.append(
                (inv_id, customer_id, number, min(p[0] for p in due_parts),
                 sum(p[1] for p in due_parts), reference)
            )  # fmt: skip

    states = _states(creditor, [r[0] for r in rows] if customer_ids is not None else None)
    by_customer: dict[int, list[tuple[int, int, str, date, int, str]]] = defaultdict(list)
    for r in rows:
        by_customer[r[1]].append(r)
    scope = list(by_customer)

    customers = _customer_facts(
        Customer.objects.filter(creditor=creditor, pk__in=scope)
        if len(scope) < 5000 or customer_ids is not None
        else Customer.objects.filter(
            creditor=creditor,
            # the customers with an item due by the horizon (a superset of scope: cheaper than
            # a 100,000-id list, and a tenth of all open invoices to scan)
            pk__in=invoices.filter(Q(due_date__lte=horizon) | Q(has_instalments=True)).values(
                "customer_id"
            ),
        )
    )
    holds = dunning_holds(creditor=creditor, as_of=as_of, customer_ids=customer_ids)
    credits = _credit_balances(creditor, currency, customer_ids)
    history = _history(creditor, as_of, customer_ids)
    last_message = _last_messages(creditor, customer_ids)
    claimed = _claimed(creditor, customer_ids)

    accounts: list[d.Account] = []
    for customer_id, items in by_customer.items():
        facts = customers.get(customer_id)
        if facts is None:
            continue
        domain_items = []
        for inv_id, _, number, due, open_minor, _ref in items:
            state = states.get(inv_id)
            hold_list = holds.get(inv_id, [])
            hold = None
            if hold_list:
                text = "; ".join(h.reason for h in hold_list)
                hold = d.Reason(
                    f"hold:{hold_list[0].kind}", f"{number}: {text}", f"{number}: {text}"
                )
            domain_items.append(
                d.Item(
                    invoice_id=inv_id,
                    number=number,
                    due_date=due,
                    open=to_decimal(open_minor, currency),
                    level=state.level if state else 0,
                    last_step_on=state.last_step_on if state else None,
                    hold=hold,
                    legal_step_on=state.legal_step_on if state else None,
                    legal_step_channel=state.legal_step_channel if state else "",
                    costs_claimed=to_decimal(claimed.get((inv_id, "costs"), 0), currency),
                    interest_claimed=to_decimal(claimed.get((inv_id, "interest"), 0), currency),
                    handover_proposed=bool(state and state.handover_proposed_on),
                )
            )
        accounts.append(
            d.Account(
                customer_id=customer_id,
                number=facts.number,
                consumer=facts.kind == Customer.Kind.B2C,
                jurisdiction=creditor.country,
                currency=currency,
                items=tuple(domain_items),
                history=history.get(customer_id, d.History()),
                on_hold=facts.on_hold,
                hold_reason=facts.on_hold_reason,
                credit_balance=to_decimal(credits.get(customer_id, 0), currency),
                last_message_on=last_message.get(customer_id),
                vat_deductible=creditor.vat_deductible,
            )
        )
    return Snapshot(
        creditor=creditor,
        as_of=as_of,
        accounts=accounts,
        customers=customers,
        invoices={r[0]: (r[2], r[3], r[4], r[5]) for r in rows},
    )


def _states(creditor: Creditor, invoice_ids: list[int] | None) -> dict[int, DunningItemState]:
    states = DunningItemState.objects.filter(creditor=creditor)
    if invoice_ids is not None:
        states = states.filter(invoice_id__in=invoice_ids)
    else:
        states = states.filter(invoice__status=Invoice.Status.OPEN)
    return {s.invoice_id: s for s in states}


def _scoped(qs: QuerySet, customer_ids: Iterable[int] | None) -> QuerySet:  # type: ignore[type-arg]
    return qs if customer_ids is None else qs.filter(customer_id__in=list(customer_ids))


def _credit_balances(
    creditor: Creditor, currency: str, customer_ids: Collection[int] | None
) -> dict[int, int]:
    """Unallocated money on account plus open credit notes, per customer (minor units)."""
    credits: dict[int, int] = defaultdict(int)
    payments = _scoped(
        Payment.objects.filter(creditor=creditor, currency=currency, unallocated_minor__gt=0),
        customer_ids,
    )
    for customer_id, total in (
        payments.exclude(customer=None).values("customer_id").annotate(t=Sum("unallocated_minor"))
        .order_by().values_list("customer_id", "t")
    ):  # fmt: skip
        credits[customer_id] += total
    notes = _scoped(
        CreditNote.objects.filter(
            creditor=creditor, currency=currency, status=CreditNote.Status.OPEN
        ),
        customer_ids,
    )
    for customer_id, total in (
        notes.values("customer_id").annotate(t=Sum("open_minor")).order_by()
        .values_list("customer_id", "t")
    ):  # fmt: skip
        credits[customer_id] += total
    return dict(credits)


def _history(
    creditor: Creditor, as_of: date, customer_ids: Collection[int] | None
) -> dict[int, d.History]:
    """Invoices paid in the last 12 months per customer: on time, late, how late on average."""
    paid = _scoped(
        Invoice.objects.filter(
            creditor=creditor,
            paid_on__gt=as_of - timedelta(days=HISTORY_DAYS),
            paid_on__lte=as_of,
            days_late__isnull=False,
        ),
        customer_ids,
    )
    late = Q(days_late__gt=LATE_TOLERANCE_DAYS)
    result: dict[int, d.History] = {}
    for row in (
        paid.values("customer_id")
        .annotate(
            late=Count("id", filter=late),
            on_time=Count("id", filter=~late),
            avg_late=Avg("days_late", filter=late),
        )
        .order_by()
    ):
        result[row["customer_id"]] = d.History(
            paid_on_time=row["on_time"],
            paid_late=row["late"],
            average_days_late=Decimal(row["avg_late"] or 0).quantize(Decimal("0.1")),
        )
    return result


def _claimed(
    creditor: Creditor, customer_ids: Collection[int] | None
) -> dict[tuple[int, str], int]:
    """Interest and costs (excl. VAT) claimed so far per invoice: never claimed twice."""
    charges = _scoped(Charge.objects.filter(creditor=creditor, invoice__isnull=False), customer_ids)
    return {
        (invoice_id, kind): total
        for invoice_id, kind, total in charges.values("invoice_id", "kind")
        .annotate(t=Sum("amount_minor"))
        .order_by()
        .values_list("invoice_id", "kind", "t")
    }


def _last_messages(creditor: Creditor, customer_ids: Collection[int] | None) -> dict[int, date]:
    """The day each customer last got (or was proposed) a message or call, for the min gap."""
    decisions = _scoped(
        DunningDecision.objects.filter(creditor=creditor).exclude(
            action=DunningDecision.Action.HANDOVER
        ),
        customer_ids,
    )
    return dict(
        decisions.values("customer_id").annotate(last=Max("as_of")).order_by()
        .values_list("customer_id", "last")
    )  # fmt: skip


def pending_approval_customers(*, creditor: Creditor) -> set[int]:
    return set(
        DunningDecision.objects.filter(
            creditor=creditor, status=DunningDecision.Status.PENDING_APPROVAL
        ).values_list("customer_id", flat=True)
    )


def approval_queue(*, creditor: Creditor | None = None) -> QuerySet[DunningDecision]:
    decisions = DunningDecision.objects.filter(status=DunningDecision.Status.PENDING_APPROVAL)
    if creditor is not None:
        decisions = decisions.filter(creditor=creditor)
    return decisions.select_related("customer", "creditor").order_by("as_of", "id")


def customer_decisions(*, customer: Customer, limit: int = 50) -> list[DunningDecision]:
    """ "Why did this customer get this letter?": the decisions with their reasons, newest first."""
    return list(DunningDecision.objects.filter(customer=customer).order_by("-as_of", "-id")[:limit])


# -- for the workspace ------------------------------------------------------------------------


def dunning_runs(*, creditor: Creditor | None, limit: int = 30) -> list[DunningRun]:
    """Past runs, newest first, with the totals they recorded."""
    qs = DunningRun.objects.select_related("creditor").filter(dry_run=False)
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    return list(qs.order_by("-started_at", "-id")[:limit])


def preview_customers(*, creditor: Creditor, limit: int = 200) -> list[Customer]:
    """Customers to preview a template on: those with open invoices first, by name."""
    with_open = Customer.objects.filter(
        creditor=creditor, invoices__status=Invoice.Status.OPEN
    ).distinct()
    return list(with_open.order_by("name", "number")[:limit])


def template_preview_context(
    *, customer: Customer, as_of: date, language: str, level_name: str = ""
) -> dict[str, Any]:
    """A real customer's message context (comms' standard part) plus sample values for the
    extras the run or a collector would fill (costs announced, pay-by date, promise...), so every
    shipped template renders fully in the editor's preview."""
    from vorder.comms.selectors import message_context_base
    from vorder.domain.costs import collection_costs

    creditor = customer.creditor
    ctx = message_context_base(
        creditor=creditor, customer=customer, contact=None, items=None, as_of=as_of,
        language=language,
    )  # fmt: skip
    overdue = Decimal(ctx["totals"]["overdue"])
    costs = Decimal(0)
    if overdue > 0:
        costs = collection_costs(
            overdue, jurisdiction=creditor.country.lower(),
            consumer=customer.kind == Customer.Kind.B2C, invoices=max(1, len(ctx["items"])),
            vat_deductible=creditor.vat_deductible,
        ).total  # fmt: skip
    pay_by = (as_of + timedelta(days=14)).isoformat()
    ctx.update(
        {
            "pay_by": pay_by,
            "announced_costs": f"{costs:.2f}",
            "announced_interest_rate": "",
            "agency": "",
            "level": {"key": "", "name": level_name},
            "promise": {"amount": f"{overdue:.2f}", "date": pay_by},
            "arrangement": {
                "total": f"{overdue:.2f}",
                "instalments": [{"date": pay_by, "amount": f"{overdue:.2f}"}],
            },
            "dispute": {"reason": ""},
        }
    )
    return ctx


def policies_overview(*, creditor: Creditor) -> list[Policy]:
    """The creditor's policies with their levels and rules, for the policy list (3 queries)."""
    return list(
        Policy.objects.filter(creditor=creditor)
        .select_related("creditor")
        .prefetch_related("levels", "rules")
        .order_by("name")
    )


def customer_ladder(*, customer: Customer) -> list[tuple[Invoice, DunningItemState | None]]:
    """Each open invoice of the customer with its place on the ladder (None: not dunned yet)."""
    invoices = list(
        Invoice.objects.filter(customer=customer, status=Invoice.Status.OPEN).order_by(
            "due_date", "number"
        )
    )
    states = {
        s.invoice_id: s
        for s in DunningItemState.objects.filter(invoice_id__in=[i.pk for i in invoices])
    }
    return [(invoice, states.get(invoice.pk)) for invoice in invoices]
