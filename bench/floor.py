"""The floor of a whole-command benchmark: a process that writes ROWS rows of 25 random columns
(alternately float64 and int64) to Parquet, zstd level 1, as ``fraudforge`` writes its tables.
No command that writes as much can take less; `bench/test_commands_bench.py` times it in the
same run as the commands and reports each command's ratio to it.

Usage: ``python bench/floor.py OUT.parquet [ROWS]`` (default 1,000,000 rows).
"""

from __future__ import annotations

import sys

import numpy as np
import polars as pl


def write_floor(path: str, rows: int) -> None:
    """Write ``rows`` rows of 25 random columns to ``path``."""
    rng = np.random.default_rng(0)
    cols = {
        f"c{i}": rng.random(rows) if i % 2 else rng.integers(0, 1 << 40, rows) for i in range(25)
    }
    pl.DataFrame(cols).write_parquet(path, compression="zstd", compression_level=1)


if __name__ == "__main__":
    write_floor(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
