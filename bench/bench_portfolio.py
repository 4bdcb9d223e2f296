"""Aging report and daily dunning run over a big portfolio, on SQLite and PostgreSQL.

The portfolio is written with one INSERT ... SELECT per table (generate_series on PostgreSQL, a
recursive CTE on SQLite), so building a million invoices takes seconds and the benchmark times
only what it is about: `aging_report` (issue 2: < 2 s on PostgreSQL) and `dunning_run_execute`
(issue 4: < 30 s on PostgreSQL, < 60 s on SQLite, peak memory < 2 GB) for 100,000 customers and
1,000,000 open invoices of which about 20% are overdue.

    .venv/bin/python bench/bench_portfolio.py --db postgres [--customers 100000 --invoices 1000000]

Each database runs in a fresh process (a throwaway PostgreSQL database `vorder_bench_portfolio`,
or a temporary SQLite file). Prints one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432/vorder_bench_portfolio"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--as-of", default="2026-06-30")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.customers, args.invoices, date.fromisoformat(args.as_of))))
        return
    results = {}
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        results[db] = run_child(db, args)
    print(json.dumps(results, indent=2))


def run_child(db: str, args: argparse.Namespace) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "VORDER_LOG_LEVEL": "ERROR"}
    with tempfile.TemporaryDirectory() as data_dir:
        env["VORDER_DATA_DIR"] = data_dir
        if db == "postgres":
            env["DATABASE_URL"] = PG
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                            "DROP DATABASE IF EXISTS vorder_bench_portfolio", "postgres"], check=True)  # fmt: skip
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                            "CREATE DATABASE vorder_bench_portfolio", "postgres"], check=True)  # fmt: skip
        else:
            env.pop("DATABASE_URL", None)
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", "--customers", str(args.customers),
                 "--invoices", str(args.invoices), "--as-of", args.as_of],
                env=env, check=False, capture_output=True, text=True, cwd=ROOT,
            )  # fmt: skip
            if out.returncode != 0:
                raise SystemExit(f"{db} benchmark failed:\n{out.stderr[-3000:]}")
        finally:
            if db == "postgres":
                subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                                "DROP DATABASE IF EXISTS vorder_bench_portfolio", "postgres"], check=False)  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])


def measure(customers: int, invoices: int, as_of: date) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from vorder.comms.services import templates_install
    from vorder.dunning.services import dunning_run_execute, policies_install_defaults
    from vorder.ledger.models import Creditor, Invoice
    from vorder.ledger.selectors import aging_report

    figures: dict[str, object] = {"vendor": None, "customers": customers, "invoices": invoices}
    call_command("migrate", verbosity=0)
    figures["vendor"] = connection.vendor
    creditor = Creditor.objects.create(
        code="bench", name="Bench B.V.", country="NL", iban="NL91ABNA0417164300"
    )
    templates_install()
    policies_install_defaults(creditor=creditor)

    started = time.perf_counter()
    _portfolio(connection, creditor.pk, customers, invoices, as_of)
    figures["build_s"] = round(time.perf_counter() - started, 2)
    figures["overdue_invoices"] = Invoice.objects.filter(due_date__lt=as_of).count()

    timings = []
    for _ in range(3):
        started = time.perf_counter()
        report = aging_report(as_of=as_of, creditor=creditor)
        timings.append(time.perf_counter() - started)
    figures["aging_s"] = round(sorted(timings)[1], 3)
    figures["aging_first_s"] = round(timings[0], 3)
    figures["aging_customers"] = len(report.customers)

    started = time.perf_counter()
    cpu = time.process_time()
    result = dunning_run_execute(creditor=creditor, as_of=as_of)
    figures["dunning_run_s"] = round(time.perf_counter() - started, 2)
    figures["dunning_run_cpu_s"] = round(time.process_time() - cpu, 2)
    figures["dunning_actions"] = len(result.actions)
    figures["dunning_skipped"] = len(result.skipped)
    figures["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures


def _series(vendor: str, count: int) -> tuple[str, str]:
    """(prefix, source) giving rows i = 1..count."""
    if vendor == "postgresql":
        return "", f"generate_series(1::bigint, {count}) AS s(i)"
    return (
        f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count}) ",
        "s",
    )


def _day(vendor: str, as_of: date, offset_sql: str) -> str:
    """as_of plus an integer SQL expression of days."""
    if vendor == "postgresql":
        return f"(DATE '{as_of.isoformat()}' + ({offset_sql})::int)"
    return f"date('{as_of.isoformat()}', ({offset_sql}) || ' days')"


def _portfolio(connection, creditor_id: int, customers: int, invoices: int, as_of: date) -> None:
    vendor = connection.vendor
    now = "CURRENT_TIMESTAMP"
    prefix, source = _series(vendor, customers)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO ledger_customer (number, name, kind, coc_number, vat_number, address_line1,
                address_line2, postal_code, city, country, email, phone, language, preferred_channel,
                segment, tags, on_hold, on_hold_reason, iban, created_at, updated_at, creditor_id)
            {prefix}SELECT 'D' || i, 'Customer ' || i, CASE WHEN i % 5 = 0 THEN 'b2c' ELSE 'b2b' END, '', '',
                'Street ' || i, '', '1000 AA', 'Amsterdam', 'NL', 'c' || i || '@example.nl', '', 'nl', 'email',
                '', '[]', false, '', '', {now}, {now}, {creditor_id} FROM {source}"""
        )
        cursor.execute("SELECT MIN(id) FROM ledger_customer WHERE creditor_id = %s", [creditor_id])
        first = cursor.fetchone()[0]
        prefix, source = _series(vendor, invoices)
        # about 20% overdue by 1..120 days, the rest due within 60 days
        overdue = "((i * 7919) % 100) < 20"
        due_offset = f"CASE WHEN {overdue} THEN -(1 + (i * 31) % 120) ELSE 1 + (i * 13) % 60 END"
        due = _day(vendor, as_of, due_offset)
        issue = _day(vendor, as_of, f"({due_offset}) - 30")
        amount = "(10000 + (i * 104729) % 500000)"
        cursor.execute(
            f"""INSERT INTO ledger_invoice (number, issue_date, due_date, currency, net_minor, vat_minor,
                gross_minor, open_minor, payment_reference, status, has_instalments, description,
                order_reference, document, source, created_at, updated_at, creditor_id, customer_id)
            {prefix}SELECT 'INV' || i, {issue}, {due}, 'EUR', {amount}, 0, {amount}, {amount}, '', 'open',
                false, '', '', '', 'bench', {now}, {now}, {creditor_id}, {first} + (i % {customers}) FROM {source}"""
        )
        # what autovacuum does within a minute of a bulk load (and makes index-only scans possible)
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")


if __name__ == "__main__":
    main()
