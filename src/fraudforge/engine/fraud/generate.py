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
    script rotates devices per card; the last such part when one repeats), else the device of
    the incident's first part."""
    at = np.flatnonzero(rows["device"] == FRAUDSTER_DEVICE)
    if at.size == 0:
        return rows
    scenario, cust = rows["scenario"][at], rows["cust"][at]
    by_incident = np.argsort(parts.scenario, kind="stable")
    incident_first = by_incident[np.searchsorted(parts.scenario[by_incident], scenario)]
    # (incident, customer) as one sortable key: the incident's rank, then the customer
    incidents = np.unique(parts.scenario)
    width = int(max(parts.cust.max(), cust.max())) + 1
    key = np.searchsorted(incidents, parts.scenario) * width + parts.cust
    want = np.searchsorted(incidents, scenario) * width + cust
    by_key = np.argsort(key, kind="stable")
    last = np.searchsorted(key[by_key], want, side="right") - 1
    found = (last >= 0) & (key[by_key][np.maximum(last, 0)] == want)
    own = by_key[np.maximum(last, 0)]
    rows["device"][at] = np.where(found, parts.device[own], parts.device[incident_first])
    return rows
