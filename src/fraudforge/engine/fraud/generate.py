"""A shard's fraud rows: every pattern of the registry materialises its own parts, each from its
own random stream (keyed by the shard and the pattern's code), so one pattern's rows never
depend on which other patterns exist; then the rows imitate their victims' habits as far as the
scenario's ``camouflage`` and the pattern's record allow, and keep to the period."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from fraudforge.engine.context import ShardContext
from fraudforge.engine.fraud.build import FRAUDSTER_DEVICE, imitate
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
            rows = imitate(own, rows, legit, p.camouflage, ctx.scenario.camouflage)
            rows = rows.take((rows["ts"] >= ctx.t_start) & (rows["ts"] < ctx.t_end))
            blocks.append(_resolve_devices(rows, mine))
    return Rows.concat(blocks)


def _resolve_devices(rows: Rows, parts: Parts) -> Rows:
    """Replace the fraudster-device placeholder with the device the schedule gave the row's
    part (its incident and customer: a hook may give each part its own, as card testing's
    script rotates devices per card), else its incident's."""
    at = np.flatnonzero(rows["device"] == FRAUDSTER_DEVICE)
    if at.size:
        order = np.argsort(parts.scenario, kind="stable")
        pos = np.searchsorted(parts.scenario[order], rows["scenario"][at])
        rows["device"][at] = parts.device[order[pos]]
        keys = zip(parts.scenario.tolist(), parts.cust.tolist(), strict=True)
        own = dict(zip(keys, parts.device.tolist(), strict=True))
        pairs = zip(rows["scenario"][at].tolist(), rows["cust"][at].tolist(), strict=True)
        found = np.array([own.get(pair, -1) for pair in pairs], dtype=np.int64)
        rows["device"][at] = np.where(found >= 0, found, rows["device"][at])
    return rows
