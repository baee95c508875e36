"""Seeded random streams: one independent ``numpy.random.Generator`` per purpose and shard.

Streams are derived from ``SeedSequence(seed, spawn_key=...)`` so that a shard's data depends only
on the seed and the shard's index, never on which worker or thread produced it or in what order.
"""

from __future__ import annotations

import numpy as np

STREAM_MERCHANTS = 1
STREAM_SCHEDULE = 2
STREAM_SHARD = 3
STREAM_HANDBOOK = 4
STREAM_FRAUD = 5
STREAM_VICTIMS = 6
STREAM_DEVICES = 7
STREAM_SESSION = 8


def stream(seed: int, *key: int) -> np.random.Generator:
    """The generator for ``spawn_key=key`` under ``seed`` (PCG64)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
