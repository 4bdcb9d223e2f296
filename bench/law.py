"""Benchmark: statutory interest and collection costs for many claims (issue 3: 1,000,000 < 20 s).

The daily dunning run computes, for every overdue claim, the interest to date and the collection
costs. Claims are spread over 900 due dates, four interest kinds and both jurisdictions, the way a
real ledger looks; "today" is fixed. Run `python bench/law.py [--claims N]`; the exit code is 1
when the target (20 s for 1,000,000 claims, scaled to N) is missed. `run()` returns the figures for
bench/run.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from vorder.domain.costs import collection_costs_total
from vorder.domain.interest import InterestRule, interest_total

AS_OF = date(2026, 11, 22)
TARGET_SECONDS_PER_MILLION = 20.0
KINDS = [
    ("nl-commercial", "nl", False),
    ("nl-consumer", "nl", True),
    ("be-commercial", "be", False),
    ("be-legal", "be", True),
]


def make_claims(count: int, seed: int = 2026) -> list[tuple[Decimal, date, int]]:
    rng = random.Random(seed)
    return [
        (
            Decimal(rng.randint(1_000, 5_000_000)).scaleb(-2),
            AS_OF - timedelta(days=rng.randint(1, 900)),
            rng.randrange(len(KINDS)),
        )
        for _ in range(count)
    ]


def run(count: int) -> dict[str, object]:
    claims = make_claims(count)
    rules = [InterestRule.parse(kind) for kind, _, _ in KINDS]
    began = time.perf_counter()
    interest = costs = Decimal(0)
    for principal, first_day, k in claims:
        _, jurisdiction, consumer = KINDS[k]
        interest += interest_total(principal, first_day, AS_OF, rules[k])
        costs += collection_costs_total(principal, jurisdiction=jurisdiction, consumer=consumer)
    seconds = time.perf_counter() - began
    target = TARGET_SECONDS_PER_MILLION * count / 1_000_000
    return {
        "claims": count,
        "seconds": round(seconds, 2),
        "target_seconds": round(target, 2),
        "passed": seconds < target,
        "microseconds_per_claim": round(seconds / count * 1e6, 2),
        "interest_total": str(interest),
        "costs_total": str(costs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=1_000_000)
    result = run(parser.parse_args().claims)
    for key, value in result.items():
        print(f"{key}: {value}")
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
