"""Rendering PDF letters: how many per second on this machine.

    .venv/bin/python bench/bench_letters.py [--count 10000] [--workers 2]

Each letter is a real one: the shipped firm reminder in Dutch, with its items table, totals, the
EPC QR code, rendered from a different customer's context every time (template compile is
cached, as in the dispatcher). No database: the template comes straight from the shipped file.
Prints one JSON line with the rate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("VORDER_DATA_DIR", tempfile.mkdtemp(prefix="vorder-bench-letters-"))
    import django

    django.setup()


def _context(n: int) -> dict:
    from tests.comms.conftest import full_context

    context = full_context("nl")
    context["customer"] = {**context["customer"], "number": f"D{n:06d}", "name": f"Klant {n} B.V."}
    context["items"] = [
        {**item, "number": f"2026-{n:06d}-{k}"} for k, item in enumerate(context["items"] * 2)
    ]
    return context


def _render(batch: range) -> tuple[int, int, float]:
    _setup()
    from vorder.comms.models import MessageTemplate
    from vorder.comms.pdf import letter_pdf
    from vorder.comms.rendering import render_template
    from vorder.comms.services import shipped_templates

    shipped = next(
        t
        for t in shipped_templates()
        if (t.key, t.channel, t.language) == ("reminder_firm", "letter", "nl")
    )
    template = MessageTemplate(
        key=shipped.key,
        channel="letter",
        language="nl",
        subject=shipped.subject,
        body=shipped.body,
        table=shipped.table,
    )
    size = 0
    cpu = time.process_time()
    for n in batch:
        size += len(letter_pdf(render_template(template=template, context=_context(n)).html))
    return len(batch), size, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    _render(range(0, 3))  # warm up fonts and caches before the clock starts
    step = max(1, min(250, -(-args.count // max(1, args.workers))))
    chunks = [range(i, min(i + step, args.count)) for i in range(0, args.count, step)]
    started = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(_render, chunks))
    else:
        results = [_render(chunk) for chunk in chunks]
    seconds = time.perf_counter() - started
    letters = sum(r[0] for r in results)
    cpu_per_letter = sum(r[2] for r in results) / letters
    print(
        json.dumps(
            {
                "bench": "letters_pdf",
                "letters": letters,
                "workers": args.workers,
                "seconds": round(seconds, 1),
                "letters_per_second": round(letters / seconds, 1),
                "avg_pdf_kb": round(sum(r[1] for r in results) / letters / 1024, 1),
                # CPU seconds per letter: the rate an idle core would reach, whatever the load
                "cpu_seconds_per_letter": round(cpu_per_letter, 3),
                "letters_per_cpu_second": round(1 / cpu_per_letter, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
