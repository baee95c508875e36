"""Small draws the fraud schedule is made of: runs of incidents sharing an account (a mule
frozen after a few victims) and merchants' shares of their kind's custom (what collusion draws
its shops by)."""

from __future__ import annotations

import numpy as np

from fraudforge.engine.fraud.schedule import runs
from fraudforge.engine.population import draw_merchants, group_key


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
