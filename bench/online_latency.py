"""Latency percentiles of OnlineFeatures.process: warm the state with the first half of a
generated stream, then time each of the next transactions. Usage:
``python bench/online_latency.py [--customers N] [--days D]``."""

from __future__ import annotations

import argparse
import gc
import json
import time

import numpy as np

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.features.online import OnlineFeatures


def main() -> None:
    """Print p50/p90/p99/max in microseconds as one JSON line (``process``: a dict by name)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rows", action="store_true", help="time process_row (array out)")
    args = parser.parse_args()
    s = Scenario(customers=args.customers, days=args.days, seed=8)
    tx = scan(s).collect().sort("timestamp", "transaction_id")
    customers = scan_customers(s).collect()
    _, model = compute_features(tx, customers)
    rows = list(tx.iter_rows(named=True))
    half = len(rows) // 2
    online = OnlineFeatures.from_customers(customers, model)
    for txn in rows[:half]:
        online.process(txn)
    gc.collect()
    gc.freeze()  # as a server does after start-up: long-lived state leaves the collector's scans
    times = np.empty(len(rows) - half)
    step = online.process_row if args.rows else online.process
    for j, txn in enumerate(rows[half:]):
        t0 = time.perf_counter_ns()
        step(txn)
        times[j] = (time.perf_counter_ns() - t0) / 1_000
    p = np.percentile(times, [50, 90, 99])
    print(
        json.dumps(
            {
                "transactions": int(times.size),
                "p50_us": round(p[0], 1),
                "p90_us": round(p[1], 1),
                "p99_us": round(p[2], 1),
                "max_us": round(float(times.max()), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
