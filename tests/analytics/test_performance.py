"""Performance analyzers on hand-checked inputs: curves, ranking, sweep, groups, calibration."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudforge.analytics import performance as perf
from fraudforge.models.metrics import Costs
from tests.analytics.conftest import Scored

Y = np.array([0, 0, 1, 1])
S = np.array([0.1, 0.4, 0.35, 0.8])
AMOUNT = np.array([100.0, 200.0, 1000.0, 3000.0])


def test_roc_and_precision_recall_areas() -> None:
    """AUC 0.75 and average precision (1 + 2/3) / 2 for the classic four-row example."""
    roc = perf.roc(Y, S)
    assert roc.area == pytest.approx(0.75)
    assert roc.x[0] == 0.0
    assert roc.y[-1] == 1.0
    pr = perf.precision_recall(Y, S)
    assert pr.area == pytest.approx((1 + 2 / 3) / 2)
    np.testing.assert_allclose(pr.x, [0.0, 0.5, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(pr.y, [1.0, 1.0, 0.5, 2 / 3, 0.5])


def test_rank_counts_alerts_at_each_distinct_score() -> None:
    """Tied scores form one threshold; index 0 is the empty alert set."""
    r = perf.rank([1, 0, 0], [0.5, 0.5, 0.2], [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(r.thresholds, [np.inf, 0.5, 0.2])
    np.testing.assert_array_equal(r.alerts, [0, 2, 3])
    np.testing.assert_array_equal(r.tp, [0, 1, 1])
    np.testing.assert_array_equal(r.fp, [0, 1, 2])
    np.testing.assert_allclose(r.fraud_amount, [0.0, 10.0, 10.0])


def test_confusion_at_threshold() -> None:
    """score >= 0.35 alerts rows 1, 2 and 3: two fraud, one genuine."""
    c = perf.confusion(Y, S, 0.35)
    assert (c.tp, c.fp, c.fn, c.tn) == (2, 1, 0, 1)
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == 1.0
    assert c.false_positive_rate == 0.5


def test_threshold_sweep_net_benefit_and_best() -> None:
    """benefit = caught fraud amount - 150 per alert - 50 per false alert, best at 0.35."""
    sweep = perf.threshold_sweep(Y, S, AMOUNT, costs=Costs())
    np.testing.assert_allclose(sweep.net_benefit_inr, [0, 2850, 2650, 3500, 3300])
    assert sweep.best_threshold == 0.35
    assert sweep.best_net_benefit_inr == 3500
    assert sweep.benefit_at(0.5) == 2850
    assert sweep.benefit_at(0.36) == 2650
    assert sweep.benefit_at(0.35) == 3500
    assert sweep.benefit_at(2.0) == 0
    np.testing.assert_allclose(sweep.recall, [0, 0.5, 0.5, 1.0, 1.0])
    thin = sweep.thinned(2)
    assert thin.best_threshold == 0.35
    assert thin.best_net_benefit_inr == 3500


def test_sweep_recovery_rate_and_costs_that_never_pay() -> None:
    """Half recovery halves the fraud amount; a review cost above every amount means no alerts."""
    half = perf.threshold_sweep(Y, S, AMOUNT, costs=Costs(recovery_rate=0.5))
    np.testing.assert_allclose(half.net_benefit_inr, [0, 1350, 1150, 1500, 1300])
    never = perf.threshold_sweep(Y, S, AMOUNT, costs=Costs(review_cost_inr=5_000))
    assert math.isinf(never.best_threshold)
    assert never.best_net_benefit_inr == 0


def test_by_group_recall_and_alert_rate() -> None:
    """Recall of each group's fraud rows and the share of its rows alerted; null without fraud."""
    group = pl.Series(["a", "a", "b", "b", "c"])
    out = perf.by_group([1, 0, 1, 0, 0], [0.9, 0.8, 0.1, 0.7, 0.9], group, threshold=0.5)
    assert out.to_dicts() == [
        {"group": "a", "rows": 2, "fraud_rows": 1, "alerts": 2, "caught": 1, "recall": 1.0,
         "alert_rate": 1.0},
        {"group": "b", "rows": 2, "fraud_rows": 1, "alerts": 1, "caught": 0, "recall": 0.0,
         "alert_rate": 0.5},
        {"group": "c", "rows": 1, "fraud_rows": 0, "alerts": 1, "caught": 0, "recall": None,
         "alert_rate": 1.0},
    ]  # fmt: skip


def test_calibration_bins_and_brier() -> None:
    """Equal-width bins; empty ones are left out; 1.0 falls in the last bin."""
    s = np.array([0.05, 0.15, 0.12, 0.95, 1.0])
    y = np.array([0, 0, 1, 1, 1])
    c = perf.calibration(y, s)
    np.testing.assert_allclose(c.mean_score, [0.05, 0.135, 0.975])
    np.testing.assert_allclose(c.fraud_rate, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(c.rows, [1, 2, 2])
    assert c.brier == pytest.approx((0.05**2 + 0.15**2 + 0.88**2 + 0.05**2) / 5)


def test_gains_and_lift() -> None:
    """Two fraud rows among the top four of ten: gains 0.5 then 1, lift 2.5 in both groups."""
    y = np.array([1, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    s = np.linspace(0.9, 0.0, 10)
    g = perf.gains(y, s, groups=5)
    np.testing.assert_allclose(g.population_share, [0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(g.cumulative_fraud_share, [0.5, 1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(g.lift, [2.5, 2.5, 0, 0, 0])


def test_one_class_is_refused_by_measures_that_need_both() -> None:
    """ROC, precision-recall and gains name the missing class; the confusion still works."""
    for fn in (perf.roc, perf.precision_recall, perf.gains):
        with pytest.raises(ValueError, match="labels are all genuine"):
            fn([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="labels are all fraud"):
        perf.roc([1, 1], [0.1, 0.2])
    c = perf.confusion([0, 0, 0], [0.1, 0.6, 0.3], 0.5)
    assert (c.tp, c.fp, c.fn, c.tn, c.recall) == (0, 1, 0, 2, 0.0)
    sweep = perf.threshold_sweep([0, 0], [0.2, 0.9], [5.0, 5.0], costs=Costs())
    assert math.isinf(sweep.best_threshold)


def test_bad_inputs_name_the_problem() -> None:
    """Length mismatches, NaN scores and non-probabilities are refused with a reason."""
    with pytest.raises(ValueError, match="differ in length"):
        perf.confusion([0, 1], [0.5], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        perf.roc([0, 1], [0.5, float("nan")])
    with pytest.raises(ValueError, match="allowed scores are 0 to 1"):
        perf.calibration([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match="recovery_rate"):
        Costs(recovery_rate=1.5)
    with pytest.raises(ValueError, match="review_cost_inr"):
        Costs(review_cost_inr=-1)


def test_curves_on_generated_scores_are_thinned_but_keep_the_area(scored: Scored) -> None:
    """On a real model's scores the curves hold at most 400 points and sklearn's areas."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = scored.features["is_fraud"].to_numpy()
    roc = perf.roc(y, scored.scores)
    assert roc.x.shape[0] <= 400
    assert roc.area == pytest.approx(roc_auc_score(y, scored.scores))
    assert perf.precision_recall(y, scored.scores).area == pytest.approx(
        average_precision_score(y, scored.scores)
    )
    assert roc.area > 0.9
    assert np.all(np.diff(roc.x) >= 0)


def test_thinned_sweep_when_nothing_pays() -> None:
    """Without a paying threshold the thinned sweep's best is its best finite point (< 0)."""
    never = perf.threshold_sweep(Y, S, AMOUNT, costs=Costs(review_cost_inr=5_000))
    thin = never.thinned(10)
    assert np.all(np.isfinite(thin.thresholds))
    assert thin.best_net_benefit_inr == never.net_benefit_inr[1:].max()
    assert thin.best_net_benefit_inr < 0


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.booleans(), st.integers(0, 20), st.floats(1, 10_000)), min_size=1, max_size=60
    ),
    review=st.floats(0, 500),
    friction=st.floats(0, 500),
    recovery=st.floats(0, 1),
)
def test_sweep_matches_brute_force(
    rows: list[tuple[bool, int, float]], review: float, friction: float, recovery: float
) -> None:
    """At every threshold the sweep's counts and benefit equal a direct count over the rows,
    and its best is the maximum (ties in scores included)."""
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] / 20 for r in rows])
    amount = np.array([r[2] for r in rows])
    costs = Costs(review_cost_inr=review, friction_cost_inr=friction, recovery_rate=recovery)
    sweep = perf.threshold_sweep(y, s, amount, costs=costs)
    for i, t in enumerate(sweep.thresholds):
        alert = s >= t
        tp, fp = int((alert & y).sum()), int((alert & ~y).sum())
        want = recovery * amount[alert & y].sum() - review * alert.sum() - friction * fp
        assert (sweep.alerts[i], sweep.tp[i], sweep.fp[i]) == (alert.sum(), tp, fp)
        assert sweep.net_benefit_inr[i] == pytest.approx(want, abs=1e-6)
        assert sweep.benefit_at(float(t)) == pytest.approx(want, abs=1e-6)
    assert sweep.best_net_benefit_inr == pytest.approx(sweep.net_benefit_inr.max())
