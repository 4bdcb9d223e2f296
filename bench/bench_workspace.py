"""Time the collector's two busiest pages: the worklist and the customer 360 page.

Issue 5's target: with the 1,000,000-invoice benchmark portfolio both render in under 300 ms
(server time). This script loads the portfolio (the same CSV files and `vorder import` as
``bench/run.py``) into a fresh database, pays a third of the invoices (so the payment history
has something to read), assigns customers to ten collectors, adds a few thousand open tasks and
promises, and then times both views through Django's test client (request to response, in
process, no network) and prints the figures.

    .venv/bin/python bench/bench_workspace.py                       # 1,000,000 invoices, SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vorder_bench_ws \\
        .venv/bin/python bench/bench_workspace.py --scale 0.1       # PostgreSQL, 100,000
    .venv/bin/python bench/bench_workspace.py --reuse               # the database as it is

SQLite goes into a throw-away VORDER_DATA_DIR unless one is set; a PostgreSQL database named in
DATABASE_URL must exist and be empty (or hold a previous run: use --reuse).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

FULL_CUSTOMERS = 100_000
FULL_INVOICES = 1_000_000
TARGET_MS = 300
AS_OF = date(2026, 6, 30)
CHUNK = 20_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="time the database as it is")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()

    if "DATABASE_URL" not in os.environ and "VORDER_DATA_DIR" not in os.environ:
        os.environ["VORDER_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-ws-", dir=args.out)
    os.environ.setdefault("VORDER_SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host is allowed
    if not args.reuse:
        _load(args)
    figures = _time_pages(args.runs)
    figures["vendor"] = connection.vendor
    print(json.dumps(figures, indent=2))
    ok = figures["worklist_median_ms"] < TARGET_MS and figures["customer_median_ms"] < TARGET_MS
    print(
        f"{connection.vendor}: worklist {figures['worklist_median_ms']} ms, customer page "
        f"{figures['customer_median_ms']} ms (median of {args.runs}; target < {TARGET_MS} ms): "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


def _load(args: argparse.Namespace) -> None:
    from datagen import generate
    from django.core.management import call_command

    from vorder.ledger.models import Creditor

    customers = max(100, int(FULL_CUSTOMERS * args.scale))
    invoices = max(1000, int(FULL_INVOICES * args.scale))
    files = generate(args.out, customers=customers, invoices=invoices, as_of=AS_OF)
    call_command("migrate", verbosity=0)
    creditor = Creditor.objects.create(
        code="bench", name="Bench Groothandel B.V.", country="NL", reference_style="nl",
        iban="NL91ABNA0417164300", languages=["nl"],
    )  # fmt: skip
    for kind, path in (("customers", files.customers), ("invoices", files.invoices)):
        started = time.perf_counter()
        call_command("import", kind, str(path), "--creditor", "bench", "--json", stdout=StringIO())
        print(f"imported {kind} in {time.perf_counter() - started:.1f} s", flush=True)
    _prepare(creditor, customers)


def _prepare(creditor: Any, customers: int) -> None:
    """Payments, collectors, tasks and promises on top of the imported portfolio."""
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.db.models import F

    from vorder.cases.models import PromiseToPay, Task
    from vorder.common.roles import COLLECTOR
    from vorder.ledger.models import Customer, Invoice

    # a third paid (a payment history), some late: bulk updates, not a loop
    paid = _every(Invoice, 3, 0)
    for start in range(0, len(paid), CHUNK):  # SQLite takes at most 250,000 parameters
        Invoice.objects.filter(id__in=paid[start : start + CHUNK]).update(
            status=Invoice.Status.PAID, open_minor=0, paid_on=F("due_date"), days_late=0
        )
    collectors = []
    group, _ = Group.objects.get_or_create(name=COLLECTOR)
    for n in range(10):
        user = User.objects.create_user(f"collector{n}", password="bench-only")
        user.groups.add(group)
        collectors.append(user)
        Customer.objects.filter(id__in=_every(Customer, 10, n)).update(account_manager=user)
    ids = list(
        Customer.objects.order_by("id").values_list("id", flat=True)[:: max(1, customers // 2000)]
    )
    Task.objects.bulk_create(
        Task(creditor=creditor, customer_id=cid, kind=Task.Kind.CALL, reason="bench call",
             due_date=AS_OF - timedelta(days=n % 5), assigned_to=collectors[n % 10])
        for n, cid in enumerate(ids)
    )  # fmt: skip
    for n, cid in enumerate(ids[:1000]):
        invoice = Invoice.objects.filter(customer_id=cid, status=Invoice.Status.OPEN).first()
        if invoice is None:
            continue
        promise = PromiseToPay.objects.create(
            creditor=creditor, customer_id=cid, currency="EUR", amount_minor=invoice.open_minor,
            made_on=AS_OF - timedelta(days=20), promised_date=AS_OF - timedelta(days=10),
            status=PromiseToPay.Status.BROKEN if n % 2 else PromiseToPay.Status.OPEN,
            broken_on=AS_OF - timedelta(days=6) if n % 2 else None,
        )  # fmt: skip
        promise.invoices.add(invoice)
    # VACUUM as autovacuum would: the worklist reads the open items from an index alone, which
    # PostgreSQL only does on pages the visibility map marks all-visible
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _every(model: type, step: int, offset: int) -> list[int]:
    """Every ``step``-th id starting at ``offset`` (one read)."""
    ids = list(model.objects.order_by("id").values_list("id", flat=True))  # type: ignore[attr-defined]
    return ids[offset::step]


def _time_pages(runs: int) -> dict[str, object]:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from vorder.workspace.selectors import worklist

    user = User.objects.filter(username="collector0").first() or User.objects.first()
    manager = User.objects.create_superuser(f"bench-cm-{time.time_ns()}", password="bench-only")
    client = Client()
    client.force_login(manager)
    params = {"as_of": AS_OF.isoformat()}

    def timed(url: str, query: dict[str, str]) -> list[float]:
        out = []
        for _ in range(runs + 1):  # the first warms caches: reported apart
            started = time.perf_counter()
            response = client.get(url, query)
            out.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        return out

    everyone = timed("/worklist/", {**params, "collector": ""})
    mine = timed("/worklist/", {**params, "collector": str(user.pk)}) if user else everyone
    from vorder.ledger.models import Creditor

    work = worklist(creditor=Creditor.objects.get(code="bench"), as_of=AS_OF)
    customer_id = work.calls[0].customer_id if work.calls else work.tasks[0].customer_id
    customer = timed(f"/customers/{customer_id}/", params)
    return {
        "worklist_median_ms": round(statistics.median(everyone[1:]), 1),
        "worklist_first_ms": round(everyone[0], 1),
        "worklist_one_collector_median_ms": round(statistics.median(mine[1:]), 1),
        "customer_median_ms": round(statistics.median(customer[1:]), 1),
        "customer_first_ms": round(customer[0], 1),
        "worklist_lines": len(work.calls),
        "tasks": len(work.tasks),
        "customer_id": customer_id,
        "database": connection.settings_dict["NAME"],
    }


if __name__ == "__main__":
    sys.exit(main())
