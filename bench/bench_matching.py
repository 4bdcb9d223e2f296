"""Import and match 100,000 statement lines against 1,000,000 open items (issue 6's target: < 60 s
on PostgreSQL on the project's 2-core machine).

    .venv/bin/python bench/bench_matching.py                     # full size, PostgreSQL
    .venv/bin/python bench/bench_matching.py --scale 0.05        # a quick look
    .venv/bin/python bench/bench_matching.py --db sqlite --scale 0.1

The ledger (customers, open invoices, known IBANs) is written in bulk first — not timed. Then one
CAMT.053 file with the credit lines is imported through ``statements_import`` (parse, store lines
and payments, match, allocate: timed as a whole) and the time spent inside
``statement_lines_match`` is reported apart. With ``--match-only`` the lines are written straight
into the database and only matching is timed. PostgreSQL runs in a database
``vorder_bench_matching`` that is created and dropped again; SQLite in a temporary directory.

The line mix: 60 % structured reference, 15 % invoice number in free text, 10 % known IBAN and
amount only, 5 % several invoices at once, 5 % partial payments, 5 % unknown payers.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "vorder_bench_matching"
TARGET_S = 60.0
AS_OF = date(2026, 6, 30)
OUR_IBAN = "NL91ABNA0417164300"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--match-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--reuse-ledger",
        action="store_true",
        help="PostgreSQL: keep the built ledger as a template database and start from it next "
        "time (for comparing changes on identical data; drop it after a migration change)",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--slow-queries", type=int, default=0, help="print the N slowest queries")
    args = parser.parse_args()
    lines = max(100, round(100_000 * args.scale))
    items = max(1000, round(1_000_000 * args.scale))
    customers = max(100, round(100_000 * args.scale))

    tmp = tempfile.TemporaryDirectory(prefix="vorder-bench-matching-")
    os.environ["VORDER_DATA_DIR"] = tmp.name
    template = f"{DB_NAME}_ledger_{lines}_{items}_{args.seed}" if args.reuse_ledger else ""
    reused = False
    if args.db == "postgres":
        reused = _pg_recreate(template)
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
        result = _run(
            args, lines=lines, items=items, customers=customers, reused=reused, template=template
        )
        result["database"] = connection.vendor
        print(json.dumps(result, indent=2))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
    finally:
        connection.close()
        if args.db == "postgres" and not args.keep:
            _pg_drop()
        tmp.cleanup()
    return 0


def _run(
    args: argparse.Namespace,
    *,
    lines: int,
    items: int,
    customers: int,
    reused: bool = False,
    template: str = "",
) -> dict[str, Any]:
    from django.db import connection

    import vorder.banking.matching as matching
    from vorder.banking.labelled import statement_lines_write
    from vorder.banking.services import statements_import

    rng = random.Random(args.seed)
    started = time.perf_counter()
    creditor, people, invoices = _ledger(rng, customers=customers, items=items, write=not reused)
    setup_s = time.perf_counter() - started
    print(
        f"ledger: {customers:,} customers, {items:,} open invoices in {setup_s:.1f} s"
        + (" (from the template database)" if reused else ""),
        flush=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    if template and not reused:
        _pg_save_template(template)
    specs = _lines(rng, people, invoices, lines)
    # A real import runs in a process without the generator's million dicts: drop them, or
    # every garbage collection during the import walks them too.
    del people, invoices
    gc.collect()
    gc_seconds = _gc_clock()

    import vorder.banking.services as services

    timing: dict[str, float] = {}

    def clock_calls(owner: Any, name: str, key: str) -> None:
        real = getattr(owner, name)
        timing[key] = 0.0

        def timed(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return real(*a, **k)
            finally:
                timing[key] += time.perf_counter() - t0

        setattr(owner, name, timed)

    clock_calls(services, "parse_statement_file", "parse_s")
    clock_calls(services, "statement_lines_match", "match_s")
    clock_calls(matching._Candidates, "decide", "scoring_s")  # candidates + domain scoring
    clock_calls(matching, "_book", "booking_s")
    slow: list[tuple[float, str]] = []

    def clock(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            slow.append((time.perf_counter() - t0, sql[:160]))

    if args.slow_queries:
        connection.execute_wrappers.append(clock)
    result: dict[str, Any] = {
        "lines": lines,
        "open_items": items,
        "customers": customers,
    }
    if args.match_only:
        written = statement_lines_write(creditor=creditor, specs=specs, key="bench", booked=AS_OF)
        started = time.perf_counter()
        outcome = services.statement_lines_match(creditor=creditor, lines=written, dry_run=False)
        total = time.perf_counter() - started
        result.update(mode="match only (lines written straight to the database)")
        auto, queued = outcome.auto_matched, outcome.queued
    else:
        path = Path(tempfile.mkstemp(suffix=".xml")[1])
        _camt(path, specs)
        started = time.perf_counter()
        imported = statements_import(creditor=creditor, files=[path], create_accounts=True)
        total = time.perf_counter() - started
        path.unlink()
        if imported.errors:
            result["errors"] = [str(e) for e in imported.errors[:5]]
        result.update(mode="import CAMT.053 file + match", imported_lines=imported.lines)
        auto, queued = imported.auto_matched, imported.queued
    if args.slow_queries:
        connection.execute_wrappers.remove(clock)
        by_kind: dict[str, list[float]] = {}
        for seconds, sql in slow:
            by_kind.setdefault(sql[:70], []).append(seconds)
        ranked = sorted(by_kind.items(), key=lambda kv: -sum(kv[1]))[: args.slow_queries]
        for sql, times in ranked:
            print(f"{sum(times):7.2f} s {len(times):6d}x  {sql}")
    result.update(
        total_s=round(total, 1),
        gc_s=round(gc_seconds(), 1),
        parse_s=round(timing["parse_s"], 1),
        match_s=round(timing["match_s"], 1),
        of_which_scoring_s=round(timing["scoring_s"], 1),
        of_which_booking_s=round(timing["booking_s"], 1),
        auto_matched=auto,
        queued=queued,
        target_s=TARGET_S,
        verdict="PASS" if total < TARGET_S else "FAIL",
    )
    return result


def _gc_clock() -> Any:
    """Seconds spent in garbage collection from now on (a function that tells)."""
    spent = [0.0, 0.0]

    def clock(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            spent[1] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - spent[1]

    gc.callbacks.append(clock)
    return lambda: spent[0]


# -- the ledger ---------------------------------------------------------------------------------
_WORDS = [
    "Bakkerij",
    "Slagerij",
    "Garage",
    "Bouwbedrijf",
    "Installatie",
    "Transport",
    "Kapsalon",
    "Drukkerij",
    "Tuincentrum",
    "Schilders",
    "Loodgieter",
    "Apotheek",
    "Boekhandel",
    "Fietsenwinkel",
    "Bloemen",
    "Keukens",
    "Dakwerken",
    "Catering",
]
_NAMES = [
    "Jansen",
    "de",
    "Vries",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de",
    "Boer",
    "Mulder",
    "de",
    "Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Brouwer",
    "Dijkstra",
    "Smits",
    "Janssens",
    "Peeters",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
]


def _ledger(
    rng: random.Random, *, customers: int, items: int, write: bool = True
) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """The ledger's customers and invoices, written (or, from a template, only regenerated: the
    same seed gives the same rows)."""
    from schwifty import IBAN

    from vorder.common.db import insert_objects
    from vorder.domain.references import generate
    from vorder.ledger.models import Creditor, Customer, Invoice

    if write:
        creditor = Creditor.objects.create(
            code="bench", name="Bench Groothandel B.V.", country="NL", reference_style="rf",
            iban=OUR_IBAN, languages=["nl"],
        )  # fmt: skip
    else:
        creditor = Creditor.objects.get(code="bench")
    people = []
    rows = []
    for n in range(customers):
        name = f"{rng.choice(_WORDS)} {rng.choice(_NAMES)} {n} B.V."
        iban = str(IBAN.generate("NL", bank_code="INGB", account_code=f"{n + 1:010d}"))
        people.append({"number": f"D{n:06d}", "name": name, "iban": iban})
        if write:
            rows.append(
                Customer(creditor=creditor, number=f"D{n:06d}", name=name, iban=iban, country="NL")
            )
    insert_objects(rows)
    ids = dict(Customer.objects.filter(creditor=creditor).values_list("number", "pk"))
    for person in people:
        person["pk"] = ids[person["number"]]
    invoices = []
    batch: list[Invoice] = []
    for n in range(items):
        person = people[rng.randrange(customers)]
        number = f"2025{n:07d}"
        gross = rng.randint(2_000, 500_000)
        due = AS_OF - timedelta(days=rng.randint(-30, 200))
        invoices.append({"number": number, "gross": gross, "customer": person, "due": due})
        if not write:
            continue
        batch.append(
            Invoice(
                creditor=creditor,
                customer_id=person["pk"],
                number=number,
                issue_date=due - timedelta(days=30),
                due_date=due,
                net_minor=gross,
                vat_minor=0,
                gross_minor=gross,
                open_minor=gross,
                payment_reference=generate("rf", number),
                source="bench",
            )  # fmt: skip
        )
        if len(batch) == 20_000:
            insert_objects(batch)
            batch = []
    insert_objects(batch)
    for row in invoices:
        row["reference"] = generate("rf", row["number"])
    return creditor, people, invoices


def _lines(
    rng: random.Random, people: list[dict[str, Any]], invoices: list[dict[str, Any]], count: int
) -> list[dict[str, Any]]:
    by_customer: dict[int, list[dict[str, Any]]] = {}
    for row in invoices:
        by_customer.setdefault(row["customer"]["pk"], []).append(row)
    pool = rng.sample(range(len(invoices)), min(len(invoices), count * 2))
    used: set[str] = set()
    specs = []
    for n in range(count):
        row = invoices[pool[n]]
        if row["number"] in used:
            continue
        used.add(row["number"])
        person = row["customer"]
        roll = rng.random()
        spec = {
            "amount_minor": row["gross"],
            "counterparty_name": person["name"].upper(),
            "counterparty_iban": person["iban"],
            "remittance_info": "",
            "structured_reference": "",
        }
        if roll < 0.60:
            spec["structured_reference"] = row["reference"]
        elif roll < 0.75:
            spec["remittance_info"] = f"Factuur {row['number'][:4]} {row['number'][4:]}"
        elif roll < 0.85:
            spec["remittance_info"] = "betaling"
        elif roll < 0.90:
            others = [r for r in by_customer[person["pk"]] if r["number"] not in used][:2]
            used.update(r["number"] for r in others)
            spec["amount_minor"] += sum(r["gross"] for r in others)
            spec["remittance_info"] = " ".join([row["number"]] + [r["number"] for r in others])
        elif roll < 0.95:
            spec["amount_minor"] = max(100, row["gross"] // 2)
            spec["structured_reference"] = row["reference"]
        else:
            spec.update(
                amount_minor=rng.randint(100, 99_999),
                counterparty_name=f"{rng.choice('ABCDEFG')}. Onbekend",
                counterparty_iban="NL69INGB0123456789",
                remittance_info="gift",
            )
        specs.append(spec)
    return specs


def _camt(path: Path, specs: list[dict[str, Any]]) -> None:
    """One CAMT.053.001.02 statement with every line as an entry."""
    total = sum(Decimal(s["amount_minor"]) / 100 for s in specs)
    day = AS_OF.isoformat()
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
            f"<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>{day}T18:00:00</CreDtTm></GrpHdr><Stmt>"
            f"<Id>BENCH-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>{day}T18:00:00</CreDtTm>"
            f"<FrToDt><FrDtTm>{day}T00:00:00</FrDtTm><ToDtTm>{day}T23:59:59</ToDtTm></FrToDt>"
            f"<Acct><Id><IBAN>{OUR_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
            + _balance("OPBD", Decimal(0), day)
            + _balance("CLBD", total, day)
        )
        for n, s in enumerate(specs, start=1):
            amount = Decimal(s["amount_minor"]) / 100
            remittance = ""
            if s["remittance_info"] or s["structured_reference"]:
                remittance = "<RmtInf>"
                if s["remittance_info"]:
                    remittance += f"<Ustrd>{escape(s['remittance_info'])}</Ustrd>"
                if s["structured_reference"]:
                    remittance += (
                        "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                        f"<Ref>{s['structured_reference']}</Ref></CdtrRefInf></Strd>"
                    )
                remittance += "</RmtInf>"
            out.write(
                f'<Ntry><Amt Ccy="EUR">{amount:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
                f"<Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
                f"<AcctSvcrRef>BENCH{n:08d}</AcctSvcrRef>"
                "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
                "</Fmly></Domn></BkTxCd><NtryDtls><TxDtls>"
                f"<Refs><AcctSvcrRef>BENCH{n:08d}</AcctSvcrRef><EndToEndId>E2E{n:08d}</EndToEndId>"
                "</Refs>"
                f"<RltdPties><Dbtr><Nm>{escape(s['counterparty_name'])}</Nm></Dbtr>"
                f"<DbtrAcct><Id><IBAN>{s['counterparty_iban']}</IBAN></Id></DbtrAcct></RltdPties>"
                f"{remittance}</TxDtls></NtryDtls></Ntry>\n"
            )
        out.write("</Stmt></BkToCstmrStmt></Document>\n")


def _balance(code: str, amount: Decimal, day: str) -> str:
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="EUR">{abs(amount):.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        f"<Dt><Dt>{day}</Dt></Dt></Bal>"
    )


def _pg_recreate(template: str = "") -> bool:
    """A fresh benchmark database; from the template when there is one (True)."""
    _pg_drop()
    if template and _pg_exists(template):
        _pg(f"CREATE DATABASE {DB_NAME} TEMPLATE {template}")
        return True
    _pg(f"CREATE DATABASE {DB_NAME}")
    return False


def _pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        return (
            c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        )


def _pg_save_template(template: str) -> None:
    """Copy the freshly built ledger (the connection must let go of the database first)."""
    from django.db import connection

    connection.close()
    _pg(f"CREATE DATABASE {template} TEMPLATE {DB_NAME}")


def _pg_drop() -> None:
    _pg(f"DROP DATABASE IF EXISTS {DB_NAME}")


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(sql)  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main())
