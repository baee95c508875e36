"""Generation throughput: 1M rows of the india preset to Parquet and Arrow IPC, every preset at
about 500K rows, the handbook preset at its default size, and a single shard. Run with
``make bench``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fraudforge.engine.dataset import Manifest, generate
from fraudforge.engine.scenario import PRESETS, Scenario
from fraudforge.engine.shard import build_world
from sizes import at_least, near, record_rate, size, smoke

MILLION = size(1_000_000, 20_000)
"""Rows of the "1M" benchmarks (20K in a smoke run)."""
ONE_MILLION = Scenario(target_rows=MILLION)
PRESET_ROWS = size(500_000, 10_000)
PRESET_SIZES: dict[str, Scenario] = {
    "india": Scenario(target_rows=PRESET_ROWS),
    "handbook": Scenario(preset="handbook", customers=size(1_430, 29)),
}
"""About 500K rows of each preset, so their rows/s compare (the handbook preset is sized by
customers, as the book's simulator is); a new preset needs an entry."""
HANDBOOK_DEFAULT = (
    Scenario(preset="handbook") if not smoke() else Scenario(preset="handbook", customers=50)
)
"""The handbook preset at the book's size: 5,000 customers, about 1.75M rows (50 customers in a
smoke run)."""
HANDBOOK_ROWS = size(1_750_000, 17_500)


def _generate(
    benchmark: Any, scenario: Scenario, out: Path, *, rounds: int = 5, **kwargs: Any
) -> Manifest:
    generate(scenario, out, overwrite=True, **kwargs)  # warm caches (merchants, schedule)
    manifest: Manifest = benchmark.pedantic(
        lambda: generate(scenario, out, overwrite=True, **kwargs), rounds=rounds, iterations=1
    )
    rows = manifest.rows["transactions"]
    benchmark.extra_info["rows"] = rows
    record_rate(benchmark, "rows_per_s_median", rows)
    return manifest


@pytest.mark.parametrize("threads", [1, 2])
def test_generate_1m_parquet(benchmark: Any, tmp_path: Path, threads: int) -> None:
    """1M transactions, all patterns, default preset, to Parquet (budget: <= 2 s on 2 cores)."""
    m = _generate(benchmark, ONE_MILLION, tmp_path / "out", threads=threads)
    assert at_least(m.rows["transactions"], MILLION)


def test_generate_1m_ipc(benchmark: Any, tmp_path: Path) -> None:
    """1M transactions to Arrow IPC."""
    _generate(benchmark, ONE_MILLION, tmp_path / "out", format="ipc")


@pytest.mark.quick
@pytest.mark.parametrize("preset", PRESETS)
def test_generate_preset(benchmark: Any, tmp_path: Path, preset: str) -> None:
    """About 500K transactions of each preset to Parquet, 2 threads, named by preset."""
    scenario = PRESET_SIZES.get(preset)
    if scenario is None:
        pytest.fail(f"no benchmark size for preset `{preset}`: add it to PRESET_SIZES")
    m = _generate(benchmark, scenario, tmp_path / "out")
    assert near(m.rows["transactions"], PRESET_ROWS)


def test_generate_handbook_default(benchmark: Any, tmp_path: Path) -> None:
    """The handbook preset at the book's size (about 1.75M rows; the book's pandas code: 145 s)."""
    m = _generate(benchmark, HANDBOOK_DEFAULT, tmp_path / "out")
    assert near(m.rows["transactions"], HANDBOOK_ROWS)


@pytest.mark.quick
def test_one_shard(benchmark: Any) -> None:
    """One shard of 512 customers (about 75K rows), generation only (64 customers in a smoke
    run)."""
    s = Scenario(target_rows=MILLION, shard_size=size(512, 64)).resolved()
    world = build_world(s)
    world.transactions(0)
    df = benchmark(world.transactions, 1)
    benchmark.extra_info["rows"] = df.height


def _row_at_a_time(n: int, seed: int) -> list[dict[str, object]]:
    """A pure-Python, one-row-at-a-time generator of comparable rows: the same-run baseline."""
    import datetime as dt
    import random

    rng = random.Random(seed)
    start = dt.datetime(2025, 9, 1)
    modes = ["upi", "credit_card", "debit_card", "net_banking", "wallet", "bnpl", "emi"]
    rows: list[dict[str, object]] = []
    for i in range(n):
        ts = start + dt.timedelta(seconds=rng.randrange(90 * 86_400))
        amount = round(rng.lognormvariate(6.5, 1.0), 2)
        rows.append(
            {
                "transaction_id": i,
                "customer_id": rng.randrange(10_000),
                "merchant_id": rng.randrange(2_000),
                "timestamp": ts,
                "amount_inr": amount,
                "payment_mode": rng.choice(modes),
                "lat": 19.0 + rng.gauss(0, 0.05),
                "lon": 72.8 + rng.gauss(0, 0.05),
                "is_fraud": rng.random() < 0.02,
            }
        )
    return rows


def test_baseline_row_at_a_time_100k(benchmark: Any) -> None:
    """Same-run baseline: 100K rows of 9 columns built row by row in Python (no scenarios, no
    labels by mechanism) and turned into a Polars frame."""
    import polars as pl

    df = benchmark.pedantic(
        lambda: pl.DataFrame(_row_at_a_time(size(100_000, 2_000), 1)), rounds=3, iterations=1
    )
    record_rate(benchmark, "rows_per_s_median", df.height)
