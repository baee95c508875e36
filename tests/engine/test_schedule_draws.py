"""Small draws the fraud schedule is made of: runs of incidents sharing an account (a mule
frozen after a few victims), spaced about two weeks apart at any size, and merchants' shares of
their kind's custom (what collusion, card testing and cashback rings draw their merchant by)."""

from __future__ import annotations

import numpy as np
import pytest

from fraudforge.engine.fraud.patterns import REGISTRY
from fraudforge.engine.fraud.schedule import runs, spaced
from fraudforge.engine.population import draw_merchants, group_key
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.shard import IndiaWorld


def test_runs_are_cut_at_their_longest() -> None:
    """Exact: a mean so large that every item would join the first run gives runs of three
    with ``most=3``; with no limit, one run; mean 1, every item its own run."""
    rng = np.random.default_rng(0)
    assert runs(rng, 7, 1e9, most=3).tolist() == [0, 0, 0, 1, 1, 1, 2]
    assert runs(rng, 7, 1e9).tolist() == [0] * 7
    assert runs(rng, 4, 1.0, most=3).tolist() == [0, 1, 2, 3]
    assert runs(rng, 0, 2.0, most=3).tolist() == []


def test_runs_keep_their_mean_below_the_limit() -> None:
    """Geometric runs of mean 1.5 cut at four: no run is longer than four, and the mean stays
    near 1.5 (runs of four or more are 3.7 % of a geometric draw: cutting them moves it little)."""
    r = runs(np.random.default_rng(1), 200_000, 1.5, most=4)
    lengths = np.bincount(r)
    assert lengths.max() == 4
    assert 1.42 < lengths.mean() < 1.5


def test_custom_shares_are_each_group_s_custom() -> None:
    """Every merchant's share is positive, and the shares of each group (a kind of shop in a
    city, or online) add up to one."""
    m = draw_merchants(3, 3_000)
    share = m.custom_shares()
    assert share.shape == (m.n,)
    assert (share > 0).all()
    key = group_key(m.category, m.city, m.is_online)
    _, group = np.unique(key, return_inverse=True)
    np.testing.assert_allclose(np.bincount(group, weights=share), 1.0, rtol=1e-9)


def test_spaced_puts_a_runs_members_stride_apart() -> None:
    """Exact: runs [0 0 0 | 1 | 2 2 | 3 | 4 4 | 5] with stride 3 want places 0 3 6, 3, 4 7, 6,
    7 10, 9 (a run's first member keeps its own); sorted by place (ties in item order) the
    items take places 0 1 3 4 2 6 5 7 9 8; stride 1 or less keeps the order."""
    run = np.array([0, 0, 0, 1, 2, 2, 3, 4, 4, 5])
    assert spaced(run, 3.0).tolist() == [0, 1, 3, 4, 2, 6, 5, 7, 9, 8]
    assert spaced(run, 0.5).tolist() == list(range(10))
    assert spaced(np.zeros(0, dtype=np.int64), 3.0).tolist() == []


def _repeat_gaps(customers: int, name: str) -> np.ndarray:
    """Days between the starts of consecutive incidents of one account of pattern ``name``."""
    s = Scenario(customers=customers, days=90, fraud_rate=0.03, seed=5).resolved()
    parts = IndiaWorld.build(s).schedule.parts
    p = parts.take(parts.pattern == REGISTRY.by_name(name).code)
    first = np.unique(p.scenario, return_index=True)[1]
    cust, t0 = p.cust[first], p.t0[first]
    order = np.lexsort((t0, cust))
    cust, t0 = cust[order], t0[order]
    same = cust[1:] == cust[:-1]
    return np.asarray(np.diff(t0)[same] / 86_400.0)


@pytest.mark.parametrize("name", ["friendly_fraud", "refund_fraud"])
def test_an_accounts_incidents_are_weeks_apart_at_any_size(name: str) -> None:
    """One account's incidents start about ``reuse_gap_days`` (14) apart, in a small scenario
    and in one four times larger alike (with runs of incidents adjacent in time, a serial
    disputer's next dispute came hours later in the larger one)."""
    gap = REGISTRY.by_name(name).reuse_gap_days
    medians = []
    for customers in (3_000, 12_000):
        days = _repeat_gaps(customers, name)
        assert days.size >= 20, (customers, days.size)
        medians.append(float(np.median(days)))
        assert 0.5 * gap < medians[-1] < 1.5 * gap, (customers, medians[-1])
    assert abs(medians[0] - medians[1]) < 0.3 * gap, medians
