"""Who fraud reaches: every customer's susceptibility to each pattern, from the attributes
public reporting ties to victimisation (age, digital savviness, segment, city tier, card
holding, how much they pay), times a latent vulnerability of their own, so the same
vulnerable customers are hit again and most customers are never touched.

Sources (docs/realism.md): senior citizens and customers with low digital literacy are the
main targets of phishing, vishing, fake KYC and "digital arrest" calls (NPCI's safety advisory
for senior citizens, 2025; Bengaluru police via NCRB's 86 % rise in cybercrime against senior
citizens 2020-22); money mules are mostly young adults and students recruited with job offers
(Cifas and UK Finance 2021: 21-30 year olds 42 % of mule cases; Barclays 2020: 30 % under 21);
card skimming and theft need card-present use, online card fraud online shopping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.record import Susceptibility
from fraudforge.engine.population import draw_customers
from fraudforge.engine.rng import STREAM_SHARD, STREAM_VICTIMS, stream
from fraudforge.engine.scenario import ResolvedScenario
from fraudforge.foundation.errors import ConfigError

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

AGE_BANDS = np.array([25, 40, 60])
"""Bands: under 25, 25-39, 40-59, 60 and over."""
VULNERABILITY_SIGMA = 3.0
"""Log-sd of each customer's latent vulnerability (shared by all patterns) and propensity: a
heavy tail, so victims (and first-party fraudsters) concentrate on fewer customers, hit more
than once, as in victimisation surveys. With ``WEIGHT_CAP`` it sets how many customers fraud
touches: 23-24 % in 90 days on the default preset (1.8 and a cap of 6 touched 31 %; at most a
quarter is the target, docs/realism.md)."""
PROPENSITY_SIGMA = 1.8
"""Log-sd of each customer's latent propensity to defraud (first-party patterns): a heavy
tail too, but lighter than vulnerability's, so first-party fraudsters are not few enough for a
model to learn them by their history alone (friendly fraud stays near genuine purchases)."""
WEIGHT_CAP = 4.0
"""No customer's chance under one pattern exceeds this many times the mean of those who can be
drawn: repeat victims are hit a few times, not dozens (once defrauded, a customer's bank
blocks the channel, reissues the card or the credentials, and the customer is warned), and no
single account carries a sizeable share of a pattern's incidents."""


@dataclass(frozen=True)
class People:
    """The attributes of every customer of a scenario that targeting reads (global index)."""

    age: I64
    savviness: I64
    tier: I64
    segment: I64
    income: I64
    has_credit: npt.NDArray[np.bool_]
    rate: F64
    home_city: I64
    partner: I64
    """Global index of the household member whose home the customer shares, -1 for none."""
    vulnerability: F64
    """Latent vulnerability to being defrauded, lognormal with mean 1."""
    propensity: F64
    """Latent propensity to defraud (first-party fraud), lognormal with mean 1."""

    @property
    def n(self) -> int:
        return int(self.age.shape[0])

    def weights(self, s: Susceptibility) -> F64:
        """Every customer's relative chance under ``s``."""
        seg = np.ones(len(mkt.SEGMENTS))
        for name, mult in s.segments:
            seg[mkt.SEGMENTS.index(name)] = mult
        w = (
            np.asarray(s.age)[np.searchsorted(AGE_BANDS, self.age, side="right")]
            * np.asarray(s.savviness)[self.savviness]
            * np.asarray(s.tier)[np.clip(self.tier, 1, 3) - 1]
            * seg[self.segment]
            * np.asarray(s.income)[self.income]
            * np.where(self.has_credit, s.credit_card, 1.0)
        )
        if s.activity:
            w = w * self.rate**s.activity
        if s.vulnerability:
            w = w * self.vulnerability**s.vulnerability
        if s.propensity:
            w = w * self.propensity**s.propensity
        positive = w[w > 0]
        if positive.size:
            w = np.minimum(w, WEIGHT_CAP * positive.mean())
        return np.asarray(w, dtype=np.float64)


FIELDS = (
    "age",
    "savviness",
    "tier",
    "segment",
    "income",
    "has_credit",
    "rate",
    "home_city",
    "partner",
)


def draw_people(s: ResolvedScenario, period: tuple[int, int]) -> People:
    """The targeting attributes of every customer: each shard's customers drawn from the shard's
    own stream exactly as the shard draws them (only these attributes kept, so memory stays at a
    few arrays of the customer count), and a latent vulnerability and propensity of their own."""
    cols: dict[str, list[npt.NDArray[Any]]] = {name: [] for name in FIELDS}
    for shard in range(s.n_shards):
        lo = shard * s.shard_size
        n = min(lo + s.shard_size, s.customers) - lo
        c = draw_customers(stream(s.seed, STREAM_SHARD, shard), lo, n, period)
        for name in FIELDS:
            cols[name].append(getattr(c, name))
        cols["partner"][-1] = np.where(c.partner >= 0, c.partner + lo, -1)
    sigma = VULNERABILITY_SIGMA
    rng = stream(s.seed, STREAM_VICTIMS)
    whole = {name: np.concatenate(v) for name, v in cols.items()}
    return People(
        age=whole["age"].astype(np.int64),
        savviness=whole["savviness"].astype(np.int64),
        tier=whole["tier"].astype(np.int64),
        segment=whole["segment"].astype(np.int64),
        income=whole["income"].astype(np.int64),
        has_credit=whole["has_credit"].astype(bool),
        rate=whole["rate"].astype(np.float64),
        home_city=whole["home_city"].astype(np.int64),
        partner=whole["partner"].astype(np.int64),
        vulnerability=rng.lognormal(-(sigma**2) / 2, sigma, s.customers),
        propensity=rng.lognormal(-(PROPENSITY_SIGMA**2) / 2, PROPENSITY_SIGMA, s.customers),
    )


def pick(rng: np.random.Generator, weight: F64, n: int) -> I64:
    """``n`` customers drawn with replacement, with probability proportional to ``weight``
    (customers of weight 0 never)."""
    cum = np.cumsum(weight)
    if n and not cum[-1] > 0:
        raise ConfigError(f"no customer can be drawn for {n} incidents: every weight is 0")
    idx = np.searchsorted(cum, rng.random(n) * cum[-1] if n else np.zeros(0), side="right")
    return np.asarray(np.minimum(idx, weight.shape[0] - 1), dtype=np.int64)
