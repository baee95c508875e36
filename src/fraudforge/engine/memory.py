"""How many workers, threads and shards per file a generation run uses, and the peak memory
that layout is estimated to need, so that a memory limit decides the layout.

The estimate is per process: the interpreter and libraries, the scenario-wide tables every shard
reads (merchants, fraud schedule: they grow with the customers), the shards in flight and one
file's customers. The coefficients come from ``fraudforge bench scale`` (peak RSS of fresh
processes, docs/performance.md) with a margin: the estimates run 10-25% above the measured peaks
from 1M to 10M rows.
"""

from __future__ import annotations

import math

import msgspec

from fraudforge.engine.scenario import ResolvedScenario
from fraudforge.foundation.errors import ConfigError
from fraudforge.foundation.machine import MIB, default_threads, format_bytes, physical_memory

BASE_BYTES = 160 * MIB
"""One process's interpreter, libraries and Polars buffers, with no shard in flight."""
SHARED_BYTES_PER_CUSTOMER = 160
"""The tables every shard reads (merchants, schedule, calendar), per customer of the scenario."""
ROW_BYTES = 650
"""One in-flight shard's transactions with the generator's intermediate arrays, per row."""
CUSTOMER_BYTES = 400
"""A file's customers table while it waits to be written, per customer."""
ROWS_PER_FILE = 2_000_000
FILES_PER_WORKER = 4
"""With several workers, up to this many files each, so they finish close together..."""
MIN_ROWS_PER_FILE = 250_000
"""...but files of at least this many rows, so per-file work stays small against the rows."""


class GenerationPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The layout of a generation run and its estimated peak memory (all processes)."""

    workers: int
    """Processes writing files side by side (this one and ``workers - 1`` helpers)."""
    threads: int
    """Generation threads within a process (only a single worker uses more than one)."""
    chunk_shards: int
    """Shards per transactions file."""
    estimated_bytes: int


def shard_rows(s: ResolvedScenario) -> float:
    """Expected transactions of one shard (with its share of fraud rows)."""
    from fraudforge.engine.volume import rows_per_customer

    fraud = 1 / (1 - s.fraud_rate) if s.fraud_rate < 1 else 1.0
    return rows_per_customer(s.start_date, s.days) * min(s.shard_size, s.customers) * fraud


def auto_chunk_shards(
    s: ResolvedScenario, rows_per_file: int = ROWS_PER_FILE, *, workers: int = 1
) -> int:
    """Shards per transactions file so that files hold about ``rows_per_file`` rows; with
    several ``workers``, smaller files so that each worker gets up to ``FILES_PER_WORKER``, but
    none under ``MIN_ROWS_PER_FILE`` rows."""
    per_shard = max(shard_rows(s), 1.0)
    chunk = max(1, round(rows_per_file / per_shard))
    if workers > 1:
        smallest = max(1, math.ceil(MIN_ROWS_PER_FILE / per_shard))
        chunk = min(chunk, max(smallest, s.n_shards // (FILES_PER_WORKER * workers)))
    return chunk


def estimate_bytes(s: ResolvedScenario, *, workers: int, threads: int, chunk_shards: int) -> int:
    """Estimated peak memory of all processes of a run with this layout."""
    in_flight = threads + 1
    per_process = (
        BASE_BYTES
        + SHARED_BYTES_PER_CUSTOMER * s.customers
        + in_flight * shard_rows(s) * ROW_BYTES
        + min(chunk_shards, s.n_shards) * min(s.shard_size, s.customers) * CUSTOMER_BYTES
    )
    return math.ceil(workers * per_process)


def _layout(s: ResolvedScenario, workers: int, chunk_shards: int | None) -> GenerationPlan:
    chunk = chunk_shards or auto_chunk_shards(s, workers=workers)
    files = -(-s.n_shards // chunk)
    processes = min(workers, files)
    threads = workers if processes <= 1 else 1
    processes = max(processes, 1)
    size = estimate_bytes(s, workers=processes, threads=threads, chunk_shards=chunk)
    return GenerationPlan(
        workers=processes, threads=threads, chunk_shards=chunk, estimated_bytes=size
    )


def plan_generation(
    s: ResolvedScenario,
    *,
    threads: int | None = None,
    chunk_shards: int | None = None,
    limit: int | None = None,
) -> GenerationPlan:
    """The layout for ``threads`` workers (default: the usable cores) and ``chunk_shards``
    (default: automatic). Under a memory ``limit`` (bytes), fewer shards per file (halving down
    to one, unless ``chunk_shards`` is given), then fewer workers, until the estimate fits; a
    limit below the smallest layout's estimate is refused, naming the range allowed."""
    if threads is not None and threads < 1:
        raise ConfigError(f"threads={threads} must be at least 1")
    requested = threads or default_threads()
    plan = _layout(s, requested, chunk_shards)
    if limit is None or plan.estimated_bytes <= limit:
        return plan
    for workers in range(requested, 0, -1):
        chunk = chunk_shards or auto_chunk_shards(s, workers=workers)
        while True:
            plan = _layout(s, workers, chunk)
            if plan.estimated_bytes <= limit:
                return plan
            if chunk_shards is not None or chunk == 1:
                break
            chunk = max(1, chunk // 2)
    smallest = _layout(s, 1, chunk_shards or 1).estimated_bytes
    raise ConfigError(
        f"memory_limit {format_bytes(limit)} is too small for this scenario "
        f"({s.customers:,} customers in shards of {s.shard_size}): allowed is at least "
        f"{format_bytes(smallest)} (one worker, {chunk_shards or 1} shard(s) per file) and at "
        f"most {format_bytes(physical_memory())} (this machine's memory)"
    )


__all__ = [
    "GenerationPlan",
    "auto_chunk_shards",
    "estimate_bytes",
    "format_bytes",
    "physical_memory",
    "plan_generation",
]
