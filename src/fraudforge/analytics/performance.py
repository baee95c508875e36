"""Model performance from labels and scores: ROC and precision-recall curves, the confusion
matrix at a threshold, the cost-benefit threshold sweep, recall by group, calibration, gains."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from fraudforge.analytics._arrays import F64, labels_and_scores, require_both_classes
from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.models.metrics import Costs

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Curve:
    """A curve's points and its area (ROC AUC, or average precision for precision-recall)."""

    x: F64
    y: F64
    area: float


def _thin(n: int, max_points: int) -> I64:
    """At most ``max_points`` indices of 0..n-1, evenly spread, first and last kept."""
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))


def roc(y: npt.ArrayLike, scores: npt.ArrayLike, *, max_points: int = 400) -> Curve:
    """ROC curve (false-positive rate, true-positive rate) and its AUC.

    Parameters
    ----------
    y
        The rows' fraud labels.
    scores
        One score per row, higher is more suspicious.
    max_points
        The most points kept for drawing.

    Returns
    -------
    Curve
        False- and true-positive rates and the AUC.
    """
    labels, s = labels_and_scores(y, scores)
    require_both_classes(labels, "a ROC curve")
    fpr, tpr, _ = roc_curve(labels, s)
    keep = _thin(fpr.shape[0], max_points)
    return Curve(fpr[keep], tpr[keep], float(roc_auc_score(labels, s)))


@dataclass(frozen=True)
class Ranking:
    """Rows ranked by score, highest first: the cumulative counts at every distinct score.

    Alerting on ``score >= thresholds[i]`` raises ``alerts[i]`` alerts, of which ``tp[i]`` are
    fraud; index 0 is the empty alert set (threshold +inf).
    """

    thresholds: F64
    alerts: I64
    tp: I64
    fraud_amount: F64
    positives: int
    total_fraud_amount: float

    @property
    def fp(self) -> I64:
        """False alerts at each threshold."""
        return self.alerts - self.tp


def rank(y: npt.ArrayLike, scores: npt.ArrayLike, amount: npt.ArrayLike | None = None) -> Ranking:
    """Cumulative alert, fraud and fraud-amount counts at every distinct score."""
    labels, s = labels_and_scores(y, scores)
    amt = np.zeros(s.shape[0]) if amount is None else np.asarray(amount, dtype=np.float64)
    if amt.shape != s.shape:
        raise DataError(f"amount has {amt.shape[0]} values for {s.shape[0]} scores")
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    fraud = labels[order]
    cum_tp = np.cumsum(fraud, dtype=np.int64)
    cum_amt = np.cumsum(np.where(fraud, amt[order], 0.0))
    # the last row of each run of equal scores closes that threshold's alert set
    last = np.flatnonzero(np.r_[s_sorted[1:] != s_sorted[:-1], True])
    return Ranking(
        thresholds=np.r_[np.inf, s_sorted[last]],
        alerts=np.r_[0, last + 1].astype(np.int64),
        tp=np.r_[0, cum_tp[last]].astype(np.int64),
        fraud_amount=np.r_[0.0, cum_amt[last]],
        positives=int(labels.sum()),
        total_fraud_amount=float(amt[labels].sum()),
    )


def precision_recall(y: npt.ArrayLike, scores: npt.ArrayLike, *, max_points: int = 400) -> Curve:
    """Precision-recall curve (x recall, y precision) and the average precision.

    Parameters
    ----------
    y
        The rows' fraud labels.
    scores
        One score per row, higher is more suspicious.
    max_points
        The most points kept for drawing.

    Returns
    -------
    Curve
        Recall, precision and the average precision.
    """
    labels, s = labels_and_scores(y, scores)
    require_both_classes(labels, "a precision-recall curve")
    r = rank(labels, s)
    recall = r.tp[1:] / r.positives
    precision = r.tp[1:] / r.alerts[1:]
    keep = _thin(recall.shape[0], max_points)
    return Curve(
        np.r_[0.0, recall[keep]],
        np.r_[1.0, precision[keep]],
        float(average_precision_score(labels, s)),
    )


@dataclass(frozen=True)
class Confusion:
    """Counts of alerts (score >= threshold) against the labels."""

    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        """Share of alerts that are fraud (0 with no alerts)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Share of fraud rows alerted (0 with no fraud)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def false_positive_rate(self) -> float:
        """Share of genuine rows alerted (0 with no genuine rows)."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0


def confusion(y: npt.ArrayLike, scores: npt.ArrayLike, threshold: float) -> Confusion:
    """The confusion matrix of alerting on ``score >= threshold``.

    Parameters
    ----------
    y
        The rows' fraud labels.
    scores
        One score per row, higher is more suspicious.
    threshold
        The alert threshold.

    Returns
    -------
    Confusion
        True and false positives and negatives.
    """
    labels, s = labels_and_scores(y, scores)
    alert = s >= threshold
    tp = int((alert & labels).sum())
    fp = int((alert & ~labels).sum())
    fn = int((~alert & labels).sum())
    return Confusion(float(threshold), tp, fp, fn, labels.shape[0] - tp - fp - fn)


@dataclass(frozen=True)
class Sweep:
    """Net benefit (INR) of alerting at each threshold: recovered fraud minus review and
    friction costs, relative to raising no alerts."""

    thresholds: F64
    alerts: I64
    tp: I64
    fp: I64
    recall: F64
    precision: F64
    net_benefit_inr: F64
    best: int

    @property
    def best_threshold(self) -> float:
        """The threshold of the highest net benefit (+inf when no alert pays for itself)."""
        return float(self.thresholds[self.best])

    @property
    def best_net_benefit_inr(self) -> float:
        """The highest net benefit."""
        return float(self.net_benefit_inr[self.best])

    def benefit_at(self, threshold: float) -> float:
        """Net benefit of alerting on ``score >= threshold``.

        Parameters
        ----------
        threshold
            The alert threshold.

        Returns
        -------
        float
            The net benefit in INR at the sweep's highest threshold not above it.
        """
        i = int(np.searchsorted(-self.thresholds, -threshold, side="right")) - 1
        return float(self.net_benefit_inr[max(i, 0)])

    def thinned(self, max_points: int = 300) -> Sweep:
        """The same sweep on at most ``max_points`` finite thresholds (for drawing), the best
        one kept. When no alert pays (best threshold +inf, which is not kept), ``best`` is the
        best of the kept points.

        Parameters
        ----------
        max_points
            The most thresholds kept.

        Returns
        -------
        Sweep
            The thinned sweep.
        """
        idx = np.arange(1, self.thresholds.shape[0])
        keep = np.union1d(idx[_thin(idx.shape[0], max_points)], [self.best] if self.best else [])
        keep = keep.astype(np.int64)
        return Sweep(
            self.thresholds[keep],
            self.alerts[keep],
            self.tp[keep],
            self.fp[keep],
            self.recall[keep],
            self.precision[keep],
            self.net_benefit_inr[keep],
            int(np.searchsorted(keep, self.best))
            if self.best
            else int(np.argmax(self.net_benefit_inr[keep])),
        )


def threshold_sweep(
    y: npt.ArrayLike, scores: npt.ArrayLike, amount: npt.ArrayLike, *, costs: Costs
) -> Sweep:
    """Net benefit at every distinct score threshold for the given costs.

    benefit(t) = recovery_rate * (fraud amount alerted) - review_cost * alerts
    - friction_cost * false alerts; the empty alert set (t = +inf) has benefit 0.

    Parameters
    ----------
    y
        The rows' fraud labels.
    scores
        One score per row, higher is more suspicious.
    amount
        Each row's amount in INR.
    costs
        The review and friction costs and the recovery rate.

    Returns
    -------
    Sweep
        The thresholds with their alerts, hits, recall, precision and net benefit, and the best.
    """
    r = rank(y, scores, amount)
    fp = r.fp
    benefit = (
        costs.recovery_rate * r.fraud_amount
        - costs.review_cost_inr * r.alerts
        - costs.friction_cost_inr * fp
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = r.tp / r.positives if r.positives else np.zeros_like(benefit)
        precision = np.where(r.alerts > 0, r.tp / np.maximum(r.alerts, 1), 0.0)
    return Sweep(
        r.thresholds, r.alerts, r.tp, fp, recall, precision, benefit, int(np.argmax(benefit))
    )


def by_group(
    y: npt.ArrayLike, scores: npt.ArrayLike, group: pl.Series, *, threshold: float
) -> pl.DataFrame:
    """Per value of ``group``: rows, fraud rows, alerts, recall (alerted share of the group's
    fraud rows; null without fraud) and alert rate (alerted share of all its rows).

    Parameters
    ----------
    y
        The rows' fraud labels.
    scores
        One score per row, higher is more suspicious.
    group
        The value of each row that the results are grouped by.
    threshold
        The alert threshold.

    Returns
    -------
    polars.DataFrame
        One row per group value.
    """
    labels, s = labels_and_scores(y, scores)
    if group.len() != labels.shape[0]:
        raise DataError(f"group has {group.len()} values for {labels.shape[0]} scores")
    frame = pl.DataFrame({"group": group.cast(pl.String), "fraud": labels, "alert": s >= threshold})
    out = frame.group_by("group").agg(
        rows=pl.len(),
        fraud_rows=pl.col("fraud").sum(),
        alerts=pl.col("alert").sum(),
        caught=(pl.col("fraud") & pl.col("alert")).sum(),
    )
    return out.with_columns(
        recall=pl.when(pl.col("fraud_rows") > 0).then(pl.col("caught") / pl.col("fraud_rows")),
        alert_rate=pl.col("alerts") / pl.col("rows"),
    ).sort("group")


@dataclass(frozen=True)
class Calibration:
    """Reliability diagram: per score bin, the mean score and the observed fraud rate."""

    mean_score: F64
    fraud_rate: F64
    rows: I64
    brier: float


def calibration(y: npt.ArrayLike, scores: npt.ArrayLike, *, bins: int = 10) -> Calibration:
    """Equal-width bins over [0, 1]; empty bins are left out. Scores must be probabilities.

    Parameters
    ----------
    y
        The rows' fraud labels.
    scores
        One score per row, higher is more suspicious. (probabilities, 0 to 1)
    bins
        The number of equal-width bins.

    Returns
    -------
    Calibration
        The mean score, fraud rate and rows of each non-empty bin, and the Brier score.
    """
    labels, s = labels_and_scores(y, scores)
    if s.size and (s.min() < 0.0 or s.max() > 1.0):
        raise DataError("calibration needs probabilities: allowed scores are 0 to 1")
    b = np.minimum((s * bins).astype(np.int64), bins - 1)
    rows = np.bincount(b, minlength=bins)
    sums = np.bincount(b, weights=s, minlength=bins)
    fraud = np.bincount(b, weights=labels.astype(np.float64), minlength=bins)
    used = rows > 0
    return Calibration(
        sums[used] / rows[used],
        fraud[used] / rows[used],
        rows[used].astype(np.int64),
        float(np.mean((s - labels) ** 2)) if s.size else 0.0,
    )


@dataclass(frozen=True)
class Gains:
    """Rows ranked by score and cut into equal groups (deciles by default): the share of all
    fraud each group holds, cumulated (gains), and its fraud rate over the overall rate (lift)."""

    population_share: F64
    cumulative_fraud_share: F64
    lift: F64
    fraud_rows: I64


def gains(y: npt.ArrayLike, scores: npt.ArrayLike, *, groups: int = 10) -> Gains:
    """Cumulative gains and lift per score group (ties broken by row order).

    Parameters
    ----------
    y
        The rows' fraud labels.
    scores
        One score per row, higher is more suspicious.
    groups
        The number of equal-sized score groups (deciles by default).

    Returns
    -------
    Gains
        The cumulative fraud share and lift of each group, highest scores first.
    """
    labels, s = labels_and_scores(y, scores)
    require_both_classes(labels, "a gains chart")
    if not 1 <= groups <= labels.shape[0]:
        raise ConfigError(f"groups = {groups}: allowed is 1 to the number of rows")
    ranked = labels[np.argsort(-s, kind="stable")]
    edges = np.linspace(0, ranked.shape[0], groups + 1).round().astype(np.int64)
    cum = np.r_[0, np.cumsum(ranked, dtype=np.int64)]
    per_group = cum[edges[1:]] - cum[edges[:-1]]
    sizes = edges[1:] - edges[:-1]
    overall = ranked.mean()
    return Gains(
        edges[1:] / ranked.shape[0],
        np.cumsum(per_group) / cum[-1],
        (per_group / sizes) / overall,
        per_group.astype(np.int64),
    )
