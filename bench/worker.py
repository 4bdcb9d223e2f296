"""One benchmark run against one database, in its own process.

Django reads its database settings once, at start-up, so every database gets a fresh process:
``run.py`` sets ``VORDER_DATA_DIR`` / ``DATABASE_URL`` and starts this script, which migrates,
creates the benchmark creditor, imports the two CSV files through the real ``vorder import``
command (in-process, ``call_command``: the timing is the import, not Python's start-up) and times
the aging selector. The measured figures go to a JSON file.

    python bench/worker.py --customers FILE --invoices FILE --as-of DATE --result FILE
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=Path, required=True)
    parser.add_argument("--invoices", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--aging-runs", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the invoice import here")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from vorder.ledger.models import Creditor, Invoice
    from vorder.ledger.selectors import aging_report

    result: dict[str, Any] = {"vendor": connection.vendor}
    result["database_version"] = _database_version(connection)

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    result["migrate_s"] = round(time.perf_counter() - started, 2)
    Creditor.objects.create(
        code="bench", name="Bench Groothandel B.V.", country="NL", reference_style="nl",
        iban="NL91ABNA0417164300", languages=["nl"],
    )  # fmt: skip

    for kind, path in (("customers", args.customers), ("invoices", args.invoices)):
        summary, seconds = _import(
            call_command, kind, path, args.profile if kind == "invoices" else None
        )
        if summary["errors"]:
            result[f"import_{kind}_errors"] = summary["errors"][:5]
            _write(args.result, result)
            print(f"import of {kind} failed: {summary['errors'][:3]}", file=sys.stderr)
            return 1
        rows = summary["created"] + summary["updated"] + summary["unchanged"]
        result[f"import_{kind}"] = {
            "rows": rows,
            "created": summary["created"],
            "seconds": round(seconds, 2),
            "per_second": round(rows / seconds) if seconds else None,
            "cpu_s": summary["cpu_s"],
        }
        print(f"  {connection.vendor}: imported {rows:,} {kind} in {seconds:.1f} s", flush=True)

    # Statistics as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) would leave them a
    # minute after a bulk load; without them the planner guesses.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    result["analyze_s"] = round(time.perf_counter() - started, 2)

    open_items = Invoice.objects.filter(status=Invoice.Status.OPEN).count()
    timings: list[float] = []
    cpu_timings: list[float] = []
    rows = 0
    for _ in range(max(1, args.aging_runs)):
        started, cpu = time.perf_counter(), time.process_time()
        report = aging_report(as_of=args.as_of)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu)
        rows = len(report.customers)
    result["aging"] = {
        "open_items": open_items,
        "customers": rows,
        "first_s": round(timings[0], 3),
        "median_s": round(statistics.median(timings), 3),
        "runs": [round(t, 3) for t in timings],
        "python_cpu_median_s": round(statistics.median(cpu_timings), 3),
    }
    print(f"  {connection.vendor}: aging over {open_items:,} open items in "
          f"{statistics.median(timings):.2f} s (median of {len(timings)})", flush=True)  # fmt: skip
    _write(args.result, result)
    return 0


def _import(call_command: Any, kind: str, path: Path, profile: Path | None) -> tuple[dict[str, Any], float]:  # fmt: skip
    out = StringIO()
    command = ("import", kind, str(path), "--creditor", "bench", "--json")
    cpu = time.process_time()
    started = time.perf_counter()
    try:
        if profile is not None:
            import cProfile

            with cProfile.Profile() as profiler:
                call_command(*command, stdout=out)
            profiler.dump_stats(profile)
        else:
            call_command(*command, stdout=out)
    except Exception as exc:  # CommandError on bad rows: the JSON summary is still printed
        if not out.getvalue():
            raise
        print(f"  import {kind}: {exc}", file=sys.stderr)
    seconds = time.perf_counter() - started
    summary = json.loads(out.getvalue())
    summary["cpu_s"] = round(time.process_time() - cpu, 2)  # this process only, not the server
    return summary, seconds


def _database_version(connection: Any) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("select sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def _write(path: Path, result: dict[str, Any]) -> None:
    path.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.exit(main())
