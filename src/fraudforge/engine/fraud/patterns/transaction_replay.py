"""Transaction replay: the authorisation message of a genuine approved payment (a purchase, a P2P
transfer or a bill) is captured, by malware on a terminal or app or a compromised merchant
system, and submitted again as it was (same merchant or payee, amount, instrument and device),
once or twice, ten minutes to two days later (log-uniform): late enough to pass the short
duplicate windows of gateways and processors, which refuse the same card and amount within
seconds, so it is not an accidental double payment (those follow within minutes and are
genuine). Only the copies are fraud; issuers' duplicate and cryptogram checks decline a share of
them. Sources: Scam Encyclopedia, "Replay attack"
(https://scamencyclopedia.org/glossary/replay-attack): a captured transaction authorisation
resubmitted later; CivicPlus on Heartland's duplicate check
(https://www.civicplus.help/docs/duplicate-transactions-with-heartland): the same amount and
card within 30 seconds is refused as a duplicate; "Replay attack: a prevalent pattern of
fraudulent online transactions" (https://discovery.researcher.life/article/replay-attack-a-prevalent-pattern-of-fraudulent-online-transactions/9da70c0e44433000b466f97f46a72cb2):
repeated payments between the same customer and vendor in an Asian bank's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import (
    counts_between,
    expand,
    label,
    later,
    nearest_prior,
)
from fraudforge.engine.fraud.mechanics import settle
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_ONLINE, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

DELAY_S = (600, 2 * 86_400)
"""A copy follows its original (or the copy before it) by ten minutes to two days."""
RISK = 0.3
"""Share of copies the issuer's duplicate and cryptogram checks decline."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    ttype = legit["txn_type"]
    replayable = (ttype != mkt.TXN["refund"]) & (ttype != mkt.TXN["withdrawal"])
    eligible = np.flatnonzero(replayable & (legit["status"] == mkt.STATUS["approved"]))
    src = nearest_prior(legit["cust"][eligible], legit["ts"][eligible], parts.cust, parts.t0)
    keep = src >= 0
    parts, src = parts.take(keep), eligible[src[keep]]
    k = counts_between(rng, len(parts), 1, 2)
    part, pos = expand(k)
    rows = legit.take(src[part])
    lo, hi = np.log(DELAY_S[0]), np.log(DELAY_S[1])
    delay = np.exp(rng.uniform(lo, hi, part.size)).astype(np.int64)
    # copies a few hours or more after the original come at the hours the fraudster works
    copy = rows["ts"] + delay * (pos + 1)
    rows["ts"] = np.where(delay < 3 * 3_600, copy, later(rng, copy, 1, PATTERN.hours))
    inside = rows["ts"] < ctx.t_end
    rows, part = rows.take(inside), part[inside]
    rows["anomaly"], rows["severity"] = 0, 0.0
    settle(ctx, rows, risk=RISK)
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="transaction_replay",
    code=11,
    description=__doc__ or "",
    weight=0.065,
    mean_rows=1.5,
    targets="customers whose payment was captured in transit",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_FLAT,
    span_days=0,
    susceptibility=Susceptibility(activity=1.0),
)
