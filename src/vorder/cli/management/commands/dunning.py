"""`vorder dunning ...`: the run, the approval queue, manual sends, policies and "why"."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from vorder.cli.base import VorderCommand, parse_date, resolve_creditor
from vorder.common.audit import acting_as
from vorder.dunning.models import DunningDecision, Policy
from vorder.dunning.selectors import approval_queue, customer_decisions
from vorder.dunning.services import (
    DunningError,
    RunResult,
    dunning_decision_approve,
    dunning_decision_reject,
    dunning_run_execute,
    dunning_send_now,
    policies_install_defaults,
    policy_problems_for,
)
from vorder.ledger.models import Customer


class Command(VorderCommand):
    help = "The daily dunning run, approvals, 'send a reminder now', policies and decisions."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{run,queue,approve,reject,send-now,why,policies}"
        )

        run = sub.add_parser("run", help="decide and act for every customer with overdue items")
        run.add_argument("--as-of", required=True, type=parse_date, metavar="YYYY-MM-DD")
        run.add_argument(
            "--dry-run", action="store_true", help="show what would happen; change nothing"
        )
        run.add_argument("--json", action="store_true")
        self.add_creditor_argument(run)

        queue = sub.add_parser("queue", help="decisions waiting for a credit manager's approval")
        queue.add_argument("--json", action="store_true")
        self.add_creditor_argument(queue)

        for name, text in (("approve", "approve a waiting decision: it is sent now"),
                           ("reject", "reject a waiting decision")):  # fmt: skip
            p = sub.add_parser(name, help=text)
            p.add_argument("decision", type=int, help="decision id (see `vorder dunning queue`)")
            p.add_argument("--user", required=True, help="the credit manager's user name")
            p.add_argument("--as-of", required=True, type=parse_date, metavar="YYYY-MM-DD")
            if name == "reject":
                p.add_argument("--note", required=True, help="why (kept with the decision)")

        now = sub.add_parser(
            "send-now", help="send a customer the next reminder now, by the same rules"
        )
        now.add_argument("customer", help="debtor number")
        now.add_argument("--as-of", required=True, type=parse_date, metavar="YYYY-MM-DD")
        now.add_argument("--json", action="store_true")
        self.add_creditor_argument(now)

        why = sub.add_parser("why", help="the decisions for a customer, with their reasons")
        why.add_argument("customer", help="debtor number")
        why.add_argument("--language", choices=["en", "nl"], default="en")
        why.add_argument("--json", action="store_true")
        self.add_creditor_argument(why)

        policies = sub.add_parser("policies", help="list the policies, or install the shipped ones")
        policies.add_argument("what", choices=["list", "install", "check"])
        policies.add_argument("--json", action="store_true")
        self.add_creditor_argument(policies)

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as(user_id=None, name="cli"):
            try:
                getattr(self, "_" + options["action"].replace("-", "_"))(options)
            except DunningError as exc:
                raise CommandError(str(exc)) from exc

    # -- run --------------------------------------------------------------------------------
    def _run(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        result = dunning_run_execute(
            creditor=creditor, as_of=options["as_of"], dry_run=options["dry_run"], started_by="cli"
        )
        self._print_result(result, options["json"])

    def _print_result(self, result: RunResult, as_json: bool) -> None:
        if as_json:
            self.print_json(result.as_json())
            return
        title = "Dry run" if result.dry_run else "Run"
        self.stdout.write(f"{title} for {result.creditor.code} on {result.as_of}:")
        for a in result.actions:
            status = " (waits for approval)" if a["status"] == "pending_approval" else ""
            self.stdout.write(
                f"  {a['customer']:<12} {a['level']:<10} {a['channel']:<18} {a['overdue_amount']:>12}"
                f"  {len(a['items'])} item(s){status}"
            )
        totals = result.totals()
        self.stdout.write(
            f"{totals['actions']} action(s), {totals['skipped']} skipped, "
            f"{totals['pending_approval']} waiting for approval; overdue {totals['overdue_amount']}, "
            f"interest {totals['interest']}, costs {totals['costs']} {totals['currency']}"
        )
        for combo, count in totals["by_level_and_channel"].items():
            self.stdout.write(f"  {combo}: {count}")

    # -- approvals --------------------------------------------------------------------------
    def _queue(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor")) if options.get("creditor") else None
        rows = [
            {"id": dec.pk, "creditor": dec.creditor.code, "customer": dec.customer.number,
             "name": dec.customer.name, "as_of": dec.as_of.isoformat(), "level": dec.level_key,
             "channel": dec.channel, "overdue": f"{dec.overdue_minor / 100:.2f}"}
            for dec in approval_queue(creditor=creditor)
        ]  # fmt: skip
        if options["json"]:
            self.print_json(rows)
            return
        if not rows:
            self.stdout.write("nothing waits for approval")
        for r in rows:
            self.stdout.write(
                f"{r['id']:>6}  {r['as_of']}  {r['customer']:<10} {r['name'][:30]:<30} "
                f"{r['level']:<10} {r['channel']:<18} {r['overdue']:>12}"
            )

    def _decision_and_user(self, options: dict[str, Any]) -> tuple[DunningDecision, Any]:
        try:
            decision = DunningDecision.objects.get(pk=options["decision"])
        except DunningDecision.DoesNotExist as exc:
            raise CommandError(f"no decision {options['decision']}") from exc
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user '{options['user']}'") from exc
        return decision, user

    def _approve(self, options: dict[str, Any]) -> None:
        decision, user = self._decision_and_user(options)
        dunning_decision_approve(decision=decision, user=user, as_of=options["as_of"])
        self.stdout.write(f"decision {decision.pk} approved and carried out")

    def _reject(self, options: dict[str, Any]) -> None:
        decision, user = self._decision_and_user(options)
        dunning_decision_reject(decision=decision, user=user, note=options["note"])
        self.stdout.write(f"decision {decision.pk} rejected")

    # -- one customer -----------------------------------------------------------------------
    def _customer(self, options: dict[str, Any]) -> Customer:
        creditor = resolve_creditor(options.get("creditor"))
        try:
            return Customer.objects.get(creditor=creditor, number=options["customer"])
        except Customer.DoesNotExist as exc:
            raise CommandError(f"no customer '{options['customer']}' at {creditor.code}") from exc

    def _send_now(self, options: dict[str, Any]) -> None:
        customer = self._customer(options)
        result = dunning_send_now(customer=customer, as_of=options["as_of"], started_by="cli")
        if not result.actions and not options["json"]:
            reason = result.skipped[0]["reason"] if result.skipped else "nothing is overdue"
            self.stdout.write(f"nothing sent: {reason}")
            return
        self._print_result(result, options["json"])

    def _why(self, options: dict[str, Any]) -> None:
        customer = self._customer(options)
        language = options["language"]
        decisions = customer_decisions(customer=customer)
        if options["json"]:
            self.print_json(
                [
                    {
                        "id": dec.pk,
                        "as_of": dec.as_of.isoformat(),
                        "action": dec.action,
                        "level": dec.level_key,
                        "channel": dec.channel,
                        "status": dec.status,
                        "items": [i["number"] for i in dec.items],
                        "reasons": [r[language] for r in dec.reasons],
                    }
                    for dec in decisions
                ]  # fmt: skip
            )
            return
        if not decisions:
            self.stdout.write(f"{customer.number} has had no dunning decisions")
        for dec in decisions:
            self.stdout.write(
                f"{dec.as_of}  {dec.level_name or dec.action} by {dec.channel or '-'} [{dec.status}]"
            )
            for reason in dec.reasons:
                self.stdout.write(f"    - {reason[language]}")

    # -- policies ---------------------------------------------------------------------------
    def _policies(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        if options["what"] == "install":
            installed = policies_install_defaults(creditor=creditor)
            self.stdout.write(f"{len(installed)} shipped policies in place for {creditor.code}")
            return
        policies = Policy.objects.filter(creditor=creditor).prefetch_related("levels", "rules")
        if options["what"] == "check":
            bad = {p.code: policy_problems_for(p) for p in policies}
            bad = {code: problems for code, problems in bad.items() if problems}
            for code, problems in bad.items():
                for problem in problems:
                    self.stderr.write(f"{code}: {problem}")
            if bad:
                raise SystemExit(1)
            self.stdout.write("every policy is sound")
            return
        payload = [
            {"code": p.code, "name": p.name, "active": p.is_active,
             "rules": [{"kind": r.kind, "country": r.country, "segment": r.segment, "tag": r.tag}
                       for r in p.rules.all()],
             "levels": [{"order": lvl.order, "key": lvl.key, "name": lvl.name, "trigger": lvl.trigger,
                         "days": lvl.days, "channel": lvl.channel, "template": lvl.template_key,
                         "interest": lvl.add_interest, "costs": lvl.add_costs,
                         "approval": lvl.needs_approval, "legal_step": lvl.legal_step}
                        for lvl in p.levels.all()]}
            for p in policies
        ]  # fmt: skip
        if options["json"]:
            self.print_json(payload)
            return
        for p in payload:
            self.stdout.write(f"{p['code']}: {p['name']}")
            for lvl in p["levels"]:
                extras = ", ".join(
                    x for x, on in (("interest", lvl["interest"]), ("costs", lvl["costs"]),
                                    ("approval", lvl["approval"]), (lvl["legal_step"], bool(lvl["legal_step"])))
                    if on
                )  # fmt: skip
                self.stdout.write(
                    f"  {lvl['order']}. {lvl['name']:<32} {lvl['days']:>4} days {lvl['trigger']:<15} "
                    f"{lvl['channel']:<18} {extras}"
                )
