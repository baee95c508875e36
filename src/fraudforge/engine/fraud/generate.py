"""A shard's fraud rows: every pattern of the registry materialises its own parts, each from its
own random stream (keyed by the shard and the pattern's code), so one pattern's rows never
depend on which other patterns exist."""

from __future__ import annotations

from dataclasses import replace

from fraudforge.engine.context import ShardContext
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import Registry
from fraudforge.engine.rng import STREAM_FRAUD, stream
from fraudforge.engine.rows import Rows


def fraud_rows(ctx: ShardContext, parts: Parts, legit: Rows, registry: Registry) -> Rows:
    """All fraud rows of a shard, given its parts and its genuine rows: the rows of incidents
    that straddle the period's edges are kept only inside it."""
    blocks = []
    seed = ctx.scenario.seed
    for p in registry.patterns:
        mine = parts.of(p.code)
        if len(mine):
            own = replace(ctx, rng=stream(seed, STREAM_FRAUD, ctx.shard, p.code))
            rows = p.build(own, mine, legit)
            blocks.append(rows.take((rows["ts"] >= ctx.t_start) & (rows["ts"] < ctx.t_end)))
    return Rows.concat(blocks)
