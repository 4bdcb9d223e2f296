"""`vorder directdebit ...`: SEPA mandates, collection files, settlement and returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from vorder.banking.directdebit.models import DirectDebitBatch, Mandate, Scheme
from vorder.banking.directdebit.pain008 import Pain008Invalid
from vorder.banking.directdebit.selectors import batches_for, mandates_for
from vorder.banking.directdebit.services import (
    DirectDebitError,
    ReturnNotice,
    creditor_sepa_settings_set,
    directdebit_batch_create,
    directdebit_batch_settle,
    directdebit_returns_apply,
    mandate_amend,
    mandate_create,
    mandate_revoke,
)
from vorder.cli.base import VorderCommand, parse_date, resolve_creditor
from vorder.common.audit import acting_as
from vorder.common.money import fmt
from vorder.domain.errors import InvalidAmount
from vorder.domain.money import parse_amount
from vorder.ledger.models import Customer


class Command(VorderCommand):
    help = "SEPA direct debit: mandates, pain.008 collection files, settlement and returns."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True,
            metavar="{setup,create,mandates,batches,settle,return}",
        )  # fmt: skip

        setup = sub.add_parser("setup", help="the creditor's SEPA creditor identifier")
        setup.add_argument("--creditor-id", required=True, help="e.g. NL08ZZZ502057730000")
        setup.add_argument(
            "--lead-days", type=int, default=1,
            help="TARGET2 business days between submission and collection",
        )  # fmt: skip
        self.add_creditor_argument(setup)

        create = sub.add_parser("create", help="write the pain.008 file for a collection date")
        create.add_argument("--collection-date", required=True, type=parse_date,
                            metavar="YYYY-MM-DD")  # fmt: skip
        create.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD",
                            help="the day the file goes to the bank (default: today)")  # fmt: skip
        create.add_argument("--dry-run", action="store_true",
                            help="build and validate the file, record nothing")  # fmt: skip
        create.add_argument("--out", type=Path, metavar="FILE", help="also write the file here")
        create.add_argument("--json", action="store_true")
        self.add_creditor_argument(create)

        mandates = sub.add_parser("mandates", help="add, list, amend or revoke mandates")
        msub = mandates.add_subparsers(dest="mandate_action", required=True,
                                       metavar="{add,list,amend,revoke}")  # fmt: skip
        add = msub.add_parser("add", help="record a signed mandate")
        add.add_argument("--customer", required=True, help="debtor number")
        add.add_argument("--mandate-id", required=True)
        add.add_argument("--signed-on", required=True, type=parse_date, metavar="YYYY-MM-DD")
        add.add_argument("--iban", required=True)
        add.add_argument("--bic", default="")
        add.add_argument("--name", default="", help="account holder (default: customer name)")
        add.add_argument("--scheme", choices=Scheme.values, default=Scheme.CORE)
        add.add_argument(
            "--sequence",
            choices=["FRST", "RCUR", "OOFF"],
            default="FRST",
            help="FRST: new recurring mandate (default); RCUR: taken over from another system "
            "that collected under it already; OOFF: one-off",
        )
        add.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD")
        self.add_creditor_argument(add)
        listing = msub.add_parser("list", help="list mandates")
        listing.add_argument("--status", choices=Mandate.Status.values)
        listing.add_argument("--json", action="store_true")
        self.add_creditor_argument(listing)
        amend = msub.add_parser(
            "amend", help="a new account or mandate id under the same mandate (SEPA amendment)"
        )
        amend.add_argument("mandate_id")
        amend.add_argument("--iban", help="the debtor's new account")
        amend.add_argument("--bic", help="with --iban: the new account's BIC")
        amend.add_argument("--new-mandate-id", help="the mandate's new id")
        amend.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD")
        self.add_creditor_argument(amend)
        revoke = msub.add_parser("revoke", help="revoke a mandate")
        revoke.add_argument("mandate_id")
        revoke.add_argument("--on", required=True, type=parse_date, metavar="YYYY-MM-DD")
        revoke.add_argument("--reason", required=True)
        self.add_creditor_argument(revoke)

        batches = sub.add_parser("batches", help="list collection batches")
        batches.add_argument("--json", action="store_true")
        self.add_creditor_argument(batches)

        settle = sub.add_parser("settle", help="the bank credited a batch: book the payments")
        settle.add_argument("message_id")
        settle.add_argument("--on", required=True, type=parse_date, metavar="YYYY-MM-DD")
        self.add_creditor_argument(settle)

        ret = sub.add_parser("return", help="a collection came back (R-transaction)")
        ret.add_argument("end_to_end_id")
        ret.add_argument("--amount", required=True)
        ret.add_argument("--reason", required=True, help="return code, e.g. AM04, MD01")
        ret.add_argument("--on", required=True, type=parse_date, metavar="YYYY-MM-DD")
        self.add_creditor_argument(ret)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "mandates":
            action = f"mandates_{options['mandate_action']}"
        with acting_as(user_id=None, name="cli"):
            try:
                getattr(self, "_" + action)(options)
            except (DirectDebitError, Pain008Invalid) as exc:
                raise CommandError(str(exc)) from exc

    # -- setup and files ------------------------------------------------------------------------
    def _setup(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        settings = creditor_sepa_settings_set(
            creditor=creditor,
            creditor_identifier=options["creditor_id"],
            collection_lead_days=options["lead_days"],
        )
        self.stdout.write(
            f"{creditor.code}: creditor identifier {settings.creditor_identifier}, "
            f"lead time {settings.collection_lead_days} TARGET2 business day(s)"
        )

    def _create(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        result = directdebit_batch_create(
            creditor=creditor,
            collection_date=options["collection_date"],
            as_of=options["as_of"] or timezone.localdate(),
            dry_run=options["dry_run"],
        )
        if options["out"] and result.xml:
            options["out"].write_bytes(result.xml)
        payload = result.as_json()
        if options["out"] and result.xml:
            payload["out"] = str(options["out"])
        if options["json"]:
            self.print_json(payload)
            return
        for name in payload["expired_mandates"]:
            self.stdout.write(f"mandate {name} expired: unused for 36 months")
        for skip in payload["skipped"]:
            self.stdout.write(f"skipped {skip['invoice']} ({skip['customer']}): {skip['reason']}")
        if not result.collections:
            self.stdout.write(f"nothing to collect on {payload['collection_date']}")
            return
        for c in payload["collections"]:
            self.stdout.write(
                f"  {c['customer']:<12} {c['invoice']:<16} {c['sequence_type']}  "
                f"{c['amount']:>12}  {c['end_to_end_id']}"
            )
        title = "Dry run" if result.dry_run else "Batch"
        where = payload.get("out") or payload["file"] or "not written"
        self.stdout.write(
            f"{title} {payload['message_id']}: {payload['transactions']} collection(s), "
            f"{payload['total']} {payload['currency']} on {payload['collection_date']}; "
            f"file: {where}"
        )

    # -- mandates ---------------------------------------------------------------------------------
    def _mandates_add(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        try:
            customer = Customer.objects.get(creditor=creditor, number=options["customer"])
        except Customer.DoesNotExist as exc:
            raise CommandError(f"unknown customer '{options['customer']}'") from exc
        mandate = mandate_create(
            creditor=creditor,
            customer=customer,
            mandate_id=options["mandate_id"],
            signed_on=options["signed_on"],
            debtor_iban=options["iban"],
            debtor_bic=options["bic"],
            debtor_name=options["name"],
            scheme=options["scheme"],
            sequence_type=options["sequence"],
            as_of=options["as_of"] or timezone.localdate(),
        )
        self.stdout.write(
            f"mandate {mandate.mandate_id} for {customer.number}: {mandate.debtor_iban} "
            f"{mandate.scheme} {mandate.sequence_type}"
        )

    def _mandates_list(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        rows = [
            {"mandate_id": m.mandate_id, "customer": m.customer.number, "name": m.debtor_name,
             "iban": m.debtor_iban, "bic": m.debtor_bic, "scheme": m.scheme,
             "sequence_type": m.sequence_type, "status": m.status,
             "signed_on": m.signed_on.isoformat(),
             "last_collection_on": (
                 m.last_collection_on.isoformat() if m.last_collection_on else None),
             "returned_on": m.returned_on.isoformat() if m.returned_on else None,
             "return_reason": m.return_reason or None}
            for m in mandates_for(creditor=creditor, status=options.get("status"))
        ]  # fmt: skip
        if options["json"]:
            self.print_json(rows)
            return
        if not rows:
            self.stdout.write("no mandates")
        for r in rows:
            returned = (
                f"  returned {r['returned_on']} {r['return_reason']}" if r["returned_on"] else ""
            )
            self.stdout.write(
                f"{r['mandate_id']:<20} {r['customer']:<12} {r['iban']:<22} {r['scheme']:<4} "
                f"{r['sequence_type']} {r['status']:<9}{returned}"
            )

    def _mandate(self, options: dict[str, Any]) -> Mandate:
        creditor = resolve_creditor(options.get("creditor"))
        try:
            return Mandate.objects.get(creditor=creditor, mandate_id=options["mandate_id"])
        except Mandate.DoesNotExist as exc:
            raise CommandError(f"unknown mandate '{options['mandate_id']}'") from exc

    def _mandates_amend(self, options: dict[str, Any]) -> None:
        if not (options["iban"] or options["new_mandate_id"]):
            raise CommandError("say what changes: --iban (and --bic) or --new-mandate-id")
        if options["bic"] and not options["iban"]:
            raise CommandError("--bic goes with --iban: the BIC of the new account")
        mandate = self._mandate(options)
        before = (mandate.mandate_id, mandate.debtor_iban)
        mandate = mandate_amend(
            mandate=mandate,
            debtor_iban=options["iban"],
            debtor_bic=options["bic"],
            mandate_id=options["new_mandate_id"],
            as_of=options["as_of"] or timezone.localdate(),
        )
        if (mandate.mandate_id, mandate.debtor_iban) == before:
            self.stdout.write(f"mandate {mandate.mandate_id}: nothing changed")
            return
        self.stdout.write(
            f"mandate {mandate.mandate_id} amended: {mandate.debtor_iban}; the next collection "
            "carries the amendment"
        )

    def _mandates_revoke(self, options: dict[str, Any]) -> None:
        mandate = self._mandate(options)
        mandate_revoke(mandate=mandate, on=options["on"], reason=options["reason"])
        self.stdout.write(f"mandate {mandate.mandate_id} revoked")

    # -- batches, settlement, returns -------------------------------------------------------------
    def _batches(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        rows = [
            {"message_id": b.message_id, "collection_date": b.collection_date.isoformat(),
             "submitted_on": b.submitted_on.isoformat(), "status": b.status,
             "transactions": b.transactions, "total": fmt(b.total_minor, b.currency),
             "currency": b.currency, "file": b.file.name or None,
             "settled_on": b.settled_on.isoformat() if b.settled_on else None}
            for b in batches_for(creditor=creditor)
        ]  # fmt: skip
        if options["json"]:
            self.print_json(rows)
            return
        if not rows:
            self.stdout.write("no batches")
        for r in rows:
            self.stdout.write(
                f"{r['message_id']:<28} {r['collection_date']}  {r['status']:<9} "
                f"{r['transactions']:>6} {r['total']:>14} {r['currency']}"
            )

    def _settle(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        try:
            batch = DirectDebitBatch.objects.get(
                creditor=creditor, message_id=options["message_id"]
            )
        except DirectDebitBatch.DoesNotExist as exc:
            raise CommandError(f"unknown batch '{options['message_id']}'") from exc
        result = directdebit_batch_settle(batch=batch, on=options["on"])
        if result.already_settled:
            self.stdout.write(f"batch {batch.message_id} was settled already")
            return
        self.stdout.write(
            f"batch {batch.message_id} settled: {result.payments} payment(s), "
            f"{fmt(result.amount_minor, batch.currency)} {batch.currency}"
        )

    def _return(self, options: dict[str, Any]) -> None:
        creditor = resolve_creditor(options.get("creditor"))
        try:
            amount = parse_amount(options["amount"])
        except InvalidAmount as exc:
            raise CommandError(str(exc)) from exc
        result = directdebit_returns_apply(
            creditor=creditor,
            returns=[
                ReturnNotice(options["end_to_end_id"], amount, options["reason"], options["on"])
            ],
        )
        if result.unknown:
            raise CommandError(f"no collection with end-to-end id '{options['end_to_end_id']}'")
        if result.already_returned:
            self.stdout.write(f"{options['end_to_end_id']} was returned already")
            return
        revoked = (
            f"; mandate {', '.join(result.revoked_mandates)} revoked"
            if result.revoked_mandates
            else ""
        )
        self.stdout.write(
            f"{options['end_to_end_id']} returned ({options['reason'].upper()}); "
            f"{result.reversed_allocations} allocation(s) reversed{revoked}"
        )
