"""The payment mechanics fraud patterns share: running totals and limits, amounts from a
category's own model, the bank's decision on each attempt."""

from __future__ import annotations

import numpy as np
import pytest

from fraudforge.engine import market as mkt
from fraudforge.engine.context import ShardContext
from fraudforge.engine.fraud.build import make_rows
from fraudforge.engine.fraud.mechanics import (
    beyond_credit,
    category_amounts,
    normal_cdf,
    normal_ppf,
    over_limit,
    running_total,
    settle,
    size_to_line,
)
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.shard import IndiaWorld


def test_running_total_sums_each_group_in_time_order() -> None:
    group = np.array([0, 0, 1, 0])
    ts = np.array([3, 1, 2, 2])
    amount = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(running_total(group, ts, amount), [7.0, 2.0, 3.0, 6.0])


def test_over_limit_refuses_what_would_pass_the_limit_and_counts_only_what_went_through() -> None:
    """The second payment would pass 5 and is refused; so is the third (3 + 3); the fourth fits
    because refused payments do not count."""
    group = np.zeros(4, dtype=np.int64)
    ts = np.arange(4, dtype=np.int64)
    amount = np.array([3.0, 3.0, 3.0, 1.0])
    counts = np.ones(4, dtype=bool)
    np.testing.assert_array_equal(
        over_limit(group, ts, amount, counts, 5.0), [False, True, True, False]
    )
    # Rows that do not count are never refused and add nothing.
    counts = np.array([True, False, True, True])
    np.testing.assert_array_equal(
        over_limit(group, ts, amount, counts, 5.0), [False, False, True, False]
    )


def test_normal_quantile_and_distribution_agree() -> None:
    assert normal_ppf(np.array([0.975]))[0] == pytest.approx(1.959964, abs=1e-6)
    assert normal_ppf(np.array([0.5]))[0] == pytest.approx(0.0, abs=1e-12)
    p = np.array([1e-6, 0.01, 0.3, 0.7, 0.99, 1 - 1e-6])
    np.testing.assert_allclose(normal_cdf(normal_ppf(p)), p, rtol=1e-7, atol=1e-12)


def test_category_amounts_stay_in_the_asked_part_of_the_model() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    grocery = np.full(n, mkt.CAT["grocery"])
    ones = np.ones(n)
    median = mkt.CAT_MEDIAN[mkt.CAT["grocery"]]
    upper = category_amounts(rng, grocery, ones, lo=0.5, hi=0.9)
    assert upper.min() >= median * (1 - 1e-9)
    assert np.quantile(upper, 0.5) == pytest.approx(
        median * np.exp(mkt.CAT_SIGMA[mkt.CAT["grocery"]] * normal_ppf(np.array([0.7]))[0]),
        rel=0.03,
    )
    capped = category_amounts(rng, grocery, ones, lo=0.5, cap=150.0)
    assert capped.max() < 150.0
    assert capped.min() >= median * (1 - 1e-9)
    # A cap below the asked quantiles wins: the top of what is left under it.
    jewellery = np.full(n, mkt.CAT["jewellery"])
    taps = category_amounts(rng, jewellery, ones, lo=0.5, cap=4_999.0)
    assert taps.max() < 4_999.0
    # A floor above them too: the part of the model above it.
    floor = category_amounts(rng, grocery, ones, hi=0.3, floor=400.0)
    assert floor.min() >= 400.0


@pytest.fixture(scope="module")
def ctx() -> ShardContext:
    """A shard of a small scenario."""
    return IndiaWorld.build(Scenario(customers=400, days=30, seed=3).resolved()).context(0)


def test_settle_uses_the_genuine_vocabulary_and_declines_what_is_refused(ctx: ShardContext) -> None:
    n = 2_000
    cust = ctx.customers.offset + np.arange(n) % ctx.customers.n
    rows = make_rows(
        ctx,
        cust=cust,
        ts=np.full(n, ctx.t_start + 3_600),
        amount=np.full(n, 100.0),
        mode=np.full(n, mkt.MODE["upi"]),
        category=np.full(n, mkt.CAT["grocery"]),
    )
    refused = np.arange(n) < 500
    settle(ctx, rows, refused=refused)
    status = rows["status"]
    assert set(np.unique(status)) <= set(mkt.STATUS.values())
    assert (status[refused] == mkt.STATUS["declined"]).all()
    approved = (status[~refused] == mkt.STATUS["approved"]).mean()
    assert 0.85 <= approved <= 0.99
    settle(ctx, rows, risk=1.0)
    assert (rows["status"] == mkt.STATUS["declined"]).all()


def test_credit_lines_are_used_up_to_their_limit_and_no_further(ctx: ShardContext) -> None:
    cu = ctx.customers
    holder = int(np.flatnonzero(cu.has_credit)[0])
    limit = float(cu.credit_limit[holder])
    n = 6
    cust = np.full(n, cu.offset + holder)
    mode = np.full(n, mkt.MODE["credit_card"])
    group = np.zeros(n, dtype=np.int64)
    amount = size_to_line(ctx, group, cust, np.full(n, limit), mode)
    assert 0.85 * limit <= amount.sum() <= 1.15 * limit + 1e-6
    rows = make_rows(
        ctx,
        cust=cust,
        ts=ctx.t_start + np.arange(n, dtype=np.int64) * 60,
        amount=np.full(n, limit / 4),
        mode=mode,
        category=np.full(n, mkt.CAT["electronics"]),
        online=np.ones(n, dtype=bool),
    )
    np.testing.assert_array_equal(beyond_credit(ctx, group, rows), [False] * 4 + [True] * 2)
