"""Concrete recommendations computed from the analyses: the alert threshold that pays best for
the configured costs, the fraud types the model catches least, and features that can go."""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from fraudforge.analytics.performance import Sweep
from fraudforge.models.metrics import Costs


@dataclass(frozen=True)
class Recommendation:
    """One recommendation: its topic and what to do, with the numbers behind it."""

    topic: str
    text: str


def threshold_advice(sweep: Sweep, *, costs: Costs, chosen: float, model: str) -> Recommendation:
    """Which threshold maximises the net benefit, and what the chosen threshold leaves."""
    cost_text = (
        f"review INR {costs.review_cost_inr:,.0f} per alert, friction INR "
        f"{costs.friction_cost_inr:,.0f} per false alert, recovery {costs.recovery_rate:.0%}"
    )
    if not math.isfinite(sweep.best_threshold):
        return Recommendation(
            "threshold",
            f"No threshold of {model} pays for its alerts at these costs ({cost_text}): every "
            "alert set loses money, so alerting should wait for a better model or lower costs.",
        )
    b = sweep.best
    at_chosen = sweep.benefit_at(chosen)
    gap = sweep.best_net_benefit_inr - at_chosen
    text = (
        f"Alert when {model}'s score is at least {sweep.best_threshold:.4f}: with {cost_text} "
        f"this gives the highest net benefit, INR {sweep.best_net_benefit_inr:,.0f} "
        f"({int(sweep.alerts[b]):,} alerts, precision {sweep.precision[b]:.1%}, recall "
        f"{sweep.recall[b]:.1%})."
    )
    if abs(chosen - sweep.best_threshold) > 1e-12:
        text += (
            f" The report's threshold {chosen:.4f} yields INR {at_chosen:,.0f}, "
            f"INR {gap:,.0f} less."
        )
    return Recommendation("threshold", text)


def weakest_fraud_types(
    by_type: pl.DataFrame, *, model: str, threshold: float, count: int = 3, min_rows: int = 10
) -> Recommendation | None:
    """The ``count`` fraud types of lowest recall among those with at least ``min_rows`` fraud
    rows (``by_type`` from ``performance.by_group`` on fraud types)."""
    eligible = by_type.filter(
        (pl.col("group") != "none") & (pl.col("fraud_rows") >= min_rows)
    ).sort(["recall", "group"])
    if eligible.height == 0:
        return None
    worst = eligible.head(count)
    parts = [
        f"{g} (recall {r:.1%} of {n:,} rows)"
        for g, r, n in worst.select("group", "recall", "fraud_rows").iter_rows()
    ]
    return Recommendation(
        "weakest fraud types",
        f"At threshold {threshold:.4f}, {model} catches these fraud types least: "
        f"{'; '.join(parts)}. Look at their patterns for missing signals, or add rules for them.",
    )


def droppable_features(
    importance: pl.DataFrame, redundant: pl.DataFrame, *, near_zero_share: float = 0.001
) -> Recommendation:
    """Features below ``near_zero_share`` of the total gain, and features nearly identical
    (|corr| above the redundancy threshold) to a more important one."""
    low = importance.filter(pl.col("gain_share") < near_zero_share).sort("feature")["feature"]
    pairs = [f"{f} (|r| = {c:.3f} with {k})" for f, k, c in redundant.iter_rows()]
    if low.len() == 0 and not pairs:
        return Recommendation(
            "features",
            f"No feature is below {near_zero_share:.1%} of the total gain or nearly identical to "
            "a more important one: keep them all.",
        )
    parts = []
    if low.len():
        parts.append(
            f"{low.len()} feature(s) carry less than {near_zero_share:.1%} of the total gain and "
            f"can be dropped: {', '.join(low.to_list())}."
        )
    if pairs:
        parts.append(f"Nearly identical to a more important feature: {'; '.join(pairs)}.")
    return Recommendation("features", " ".join(parts))
