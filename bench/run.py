"""`make bench`: import 1,000,000 invoices for 100,000 customers and age them, on SQLite and
PostgreSQL, and write the figures with their targets to bench/RESULTS.md.

    .venv/bin/python bench/run.py                      # the full benchmark, both databases
    .venv/bin/python bench/run.py --scale 0.1 --db sqlite   # a quick look

Targets (issue 2, on the project's 2-core machine): the import runs at 20,000 invoices a second
or more; the aging report over 1,000,000 open items takes less than 2 seconds on PostgreSQL.

Each database runs in its own process (bench/worker.py): SQLite in a throw-away VORDER_DATA_DIR,
PostgreSQL in a database ``vorder_bench`` that this script creates and drops again. The CSV
files are generated once per scale under bench/out/ (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from datagen import generate  # noqa: E402
from machine import describe  # noqa: E402

FULL_CUSTOMERS = 100_000
FULL_INVOICES = 1_000_000
IMPORT_TARGET = 20_000  # invoices per second
AGING_TARGET_S = 2.0  # on PostgreSQL
DEFAULT_AS_OF = date(2026, 6, 30)
MARKER = "<!-- other benchmarks: kept when this file is rewritten -->"


def main() -> int:
    args = _arguments()
    customers = max(10, round(FULL_CUSTOMERS * args.scale))
    invoices = max(10, round(FULL_INVOICES * args.scale))
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results_path = args.results or (
        HERE / "RESULTS.md"
        if args.scale == 1 and args.db == "both"
        else args.out / f"RESULTS-scale-{args.scale:g}-{args.db}.md"
    )

    print(f"Generating {customers:,} customers and {invoices:,} invoices under {args.out} ...")
    started = time.perf_counter()
    files = generate(
        args.out, customers=customers, invoices=invoices, as_of=args.as_of, seed=args.seed
    )
    print(f"  ready in {time.perf_counter() - started:.1f} s")

    load_before = os.getloadavg()
    runs: dict[str, dict[str, Any]] = {}
    for database in databases:
        print(f"{database}:", flush=True)
        runs[database] = _run(database, files, args)

    load = f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after (1-minute average)"
    text = _markdown(runs, args, customers, invoices, load)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    if results_path.exists() and MARKER in results_path.read_text():
        # the other benchmarks keep their sections below the marker
        kept = results_path.read_text().split(MARKER, 1)[1]
        text = text.rstrip() + "\n\n" + MARKER + kept
    results_path.write_text(text)
    print(f"\nWrote {results_path}\n")
    print(text)
    return 0 if all(_passed(db, r) for db, r in runs.items()) else 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 100,000 customers and 1,000,000 invoices; 0.1 for a quick run")  # fmt: skip
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF, help="aging date; invoices are issued in the 400 days before it")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--out", type=Path, default=HERE / "out", help="generated files (git-ignored)"
    )
    parser.add_argument("--results", type=Path, help="where to write the results (default: bench/RESULTS.md for a full run)")  # fmt: skip
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"), help="PostgreSQL server (no database name)")  # fmt: skip
    parser.add_argument("--aging-runs", type=int, default=3)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the invoice import into bench/out/"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the benchmark database afterwards"
    )
    return parser.parse_args()


def _run(database: str, files: Any, args: argparse.Namespace) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-{database}-", dir=args.out))
    env["VORDER_DATA_DIR"] = str(data_dir)
    env.setdefault("VORDER_SECRET_KEY", "bench-only-not-secret")
    db_name = "vorder_bench"
    if database == "postgres":
        _pg_admin(args.pg, f'DROP DATABASE IF EXISTS "{db_name}"', f'CREATE DATABASE "{db_name}"')
        env["DATABASE_URL"] = f"{args.pg.rstrip('/')}/{db_name}"
    result_file = data_dir / "result.json"
    command = [
        sys.executable, str(HERE / "worker.py"),
        "--customers", str(files.customers), "--invoices", str(files.invoices),
        "--as-of", args.as_of.isoformat(), "--result", str(result_file),
        "--aging-runs", str(args.aging_runs),
    ]  # fmt: skip
    if args.profile:
        command += ["--profile", str(args.out / f"profile-import-invoices-{database}.prof")]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, env=env, check=False)
    result: dict[str, Any] = json.loads(result_file.read_text()) if result_file.exists() else {}
    result["wall_s"] = round(time.perf_counter() - started, 1)
    if completed.returncode:
        result["failed"] = f"worker exited with {completed.returncode}"
    if database == "postgres" and not args.keep:
        _pg_admin(args.pg, f'DROP DATABASE IF EXISTS "{db_name}"')
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def _pg_admin(server: str, *statements: str) -> None:
    """Run statements on the server's maintenance database (CREATE/DROP DATABASE need autocommit)."""
    import psycopg

    with psycopg.connect(f"{server.rstrip('/')}/postgres", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)  # type: ignore[arg-type]


# -- the report -------------------------------------------------------------------------------
def _import_ok(result: dict[str, Any]) -> bool | None:
    rate = result.get("import_invoices", {}).get("per_second")
    return None if rate is None else rate >= IMPORT_TARGET


def _aging_ok(database: str, result: dict[str, Any]) -> bool | None:
    median = result.get("aging", {}).get("median_s")
    if median is None or database != "postgres":
        return None
    return bool(median < AGING_TARGET_S)


def _passed(database: str, result: dict[str, Any]) -> bool:
    return (
        "failed" not in result
        and _import_ok(result) is not False
        and _aging_ok(database, result) is not False
    )


def _verdict(ok: bool | None, scale: float) -> str:
    if ok is None:
        return "—"
    word = "**pass**" if ok else "**FAIL**"
    return word if scale == 1 else f"{word} (at scale {scale:g}; the target is for scale 1)"


def _markdown(runs: dict[str, dict[str, Any]], args: argparse.Namespace, customers: int, invoices: int, load: str) -> str:  # fmt: skip
    machine = describe()
    machine["Load"] = f"{load}; other work on the machine slows the figures down"
    for result in runs.values():
        if result.get("vendor") == "postgresql":
            machine["PostgreSQL"] = result.get("database_version", "").replace("PostgreSQL ", "")
    try:
        import django

        machine["Django"] = django.get_version()
    except ImportError:
        pass
    now = datetime.now(UTC)
    lines = [
        "# Benchmark results",
        "",
        f"Measured {now:%Y-%m-%d %H:%M} UTC by `bench/run.py --scale {args.scale:g} --db {args.db}`: "
        f"{customers:,} customers and {invoices:,} open invoices imported from CSV with "
        "`vorder import`, then the aging report (`aging_report`) over all of them as of "
        f"{args.as_of.isoformat()}. How to run it and what is measured: bench/README.md.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {key} | {value} |" for key, value in machine.items()],
        "",
        "## Figures",
        "",
        "| Database | Measure | Figure | Target | Result |",
        "|---|---|---|---|---|",
    ]
    for database, result in runs.items():
        name = "SQLite" if database == "sqlite" else "PostgreSQL"
        if "failed" in result and "aging" not in result:
            lines.append(f"| {name} | whole run | {result['failed']} | | **FAIL** |")
        cust = result.get("import_customers")
        if cust:
            lines.append(
                f"| {name} | import customers | {cust['rows']:,} in {cust['seconds']} s = "
                f"{cust['per_second']:,}/s | — | — |"
            )
        inv = result.get("import_invoices")
        if inv:
            lines.append(
                f"| {name} | import invoices | {inv['rows']:,} in {inv['seconds']} s = "
                f"**{inv['per_second']:,}/s** | ≥ {IMPORT_TARGET:,}/s | "
                f"{_verdict(_import_ok(result), args.scale)} |"
            )
        aging = result.get("aging")
        if aging:
            target = f"< {AGING_TARGET_S:g} s" if database == "postgres" else "—"
            lines.append(
                f"| {name} | aging, {aging['open_items']:,} open items, {aging['customers']:,} "
                f"customers | **{aging['median_s']} s** (median of {len(aging['runs'])}; first "
                f"{aging['first_s']} s) | {target} | {_verdict(_aging_ok(database, result), args.scale)} |"
            )
    lines += [
        "",
        "## Notes",
        "",
        "- Import figures are wall-clock time of `call_command('import', ...)` in a warm process:"
        " reading and validating every row, generating the payment references, the upserts and"
        " the audit entries, in one transaction per file.",
        "- Before the aging runs the script runs `ANALYZE`, as autovacuum (PostgreSQL) would"
        " within a minute of a bulk load.",
    ]
    lines.append(
        "- CPU seconds of the benchmark process itself (Python and, for SQLite, the database"
        " engine; not the PostgreSQL server), less sensitive to other load than wall time:"
    )
    for database, result in runs.items():
        parts = [
            f"import {kind} {result[f'import_{kind}']['cpu_s']} s"
            for kind in ("customers", "invoices")
            if "cpu_s" in result.get(f"import_{kind}", {})
        ]
        if "python_cpu_median_s" in result.get("aging", {}):
            parts.append(f"aging {result['aging']['python_cpu_median_s']} s")
        if parts:
            lines.append(f"  - {database}: {', '.join(parts)}.")
    for database, result in runs.items():
        extra = ", ".join(
            f"{key} {result[key]} s"
            for key in ("migrate_s", "analyze_s", "wall_s")
            if key in result
        )
        lines.append(f"- {database}: {extra}.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
