"""A memory limit decides the generation layout: workers, threads and shards per file."""

from __future__ import annotations

import pytest

from fraudforge.engine.memory import (
    ROWS_PER_FILE,
    GenerationPlan,
    auto_chunk_shards,
    estimate_bytes,
    plan_generation,
    shard_rows,
)
from fraudforge.engine.scenario import Scenario
from fraudforge.foundation.machine import MIB

S = Scenario(customers=51_200, days=30).resolved()
"""100 shards of 512 customers, about 1.5M rows."""


def test_estimate_grows_with_every_part_of_the_layout() -> None:
    """More workers, threads or shards per file never need less memory."""
    one = estimate_bytes(S, workers=1, threads=1, chunk_shards=1)
    assert estimate_bytes(S, workers=2, threads=1, chunk_shards=1) > one
    assert estimate_bytes(S, workers=1, threads=2, chunk_shards=1) > one
    assert estimate_bytes(S, workers=1, threads=1, chunk_shards=10) > one
    bigger = Scenario(customers=512_000, days=30).resolved()
    assert estimate_bytes(bigger, workers=1, threads=1, chunk_shards=1) > one


def test_several_workers_get_several_files() -> None:
    """With two workers, files are cut so each worker gets four (12 shards of 100 a file)."""
    one = auto_chunk_shards(S)  # files of about ROWS_PER_FILE rows: 2M
    assert abs(one * shard_rows(S) - ROWS_PER_FILE) <= shard_rows(S) / 2
    assert auto_chunk_shards(S, workers=2) == 12
    plan = plan_generation(S, threads=2)
    assert (plan.workers, plan.threads, plan.chunk_shards) == (2, 1, 12)
    single = plan_generation(Scenario(customers=1_000, days=30).resolved(), threads=2)
    assert (single.workers, single.threads) == (1, 2)  # one file: threads in one process


def test_a_limit_halves_shards_per_file_then_drops_workers() -> None:
    """Just under the default estimate, two workers write files of half the shards; under two
    workers with one shard per file, one worker is used. Each plan fits its limit."""
    two = plan_generation(S, threads=2)
    plan = plan_generation(S, threads=2, limit=two.estimated_bytes - 1)
    assert (plan.workers, plan.chunk_shards) == (2, 6)
    floor = estimate_bytes(S, workers=2, threads=1, chunk_shards=1)
    plan = plan_generation(S, threads=2, limit=floor - 1)
    assert plan.workers == 1
    assert plan.estimated_bytes <= floor - 1
    one_file = estimate_bytes(S, workers=1, threads=1, chunk_shards=auto_chunk_shards(S))
    tight = plan_generation(S, threads=1, limit=one_file - 1)
    assert tight == GenerationPlan(
        workers=1,
        threads=1,
        chunk_shards=auto_chunk_shards(S) // 2,
        estimated_bytes=estimate_bytes(
            S, workers=1, threads=1, chunk_shards=auto_chunk_shards(S) // 2
        ),
    )


def test_a_given_chunk_size_is_kept() -> None:
    """An explicit chunk_shards is never changed by the limit; only the workers are."""
    limit = estimate_bytes(S, workers=1, threads=1, chunk_shards=5)
    plan = plan_generation(S, threads=2, chunk_shards=5, limit=limit)
    assert (plan.workers, plan.chunk_shards) == (1, 5)


def test_an_impossible_limit_names_the_range() -> None:
    """Below one worker writing one shard per file, the limit is refused with the least allowed."""
    least = estimate_bytes(S, workers=1, threads=1, chunk_shards=1)
    with pytest.raises(ValueError, match="memory_limit 128 MiB is too small") as info:
        plan_generation(S, threads=2, limit=128 * MIB)
    text = str(info.value)
    assert f"allowed is at least {least / MIB:.0f} MiB (one worker, 1 shard(s) per file)" in text
    assert "this machine's memory" in text
    assert plan_generation(S, threads=2, limit=least).estimated_bytes == least
