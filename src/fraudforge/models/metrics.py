"""Business-aware evaluation of fraud scores: ranking quality (ROC AUC, average precision),
decisions at a threshold (precision, recall, F1, cost-benefit in INR), the analyst's view
(Card Precision@k per day, recall at a fixed alert budget), each broken down by fraud type and by
anomaly type."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.models.data import ModelData
from fraudforge.models.metric_registry import metric as registered_metric
from fraudforge.models.options import ENTITIES, Entity, refuse_unknown

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


class Costs(msgspec.Struct, kw_only=True, frozen=True):
    """What a decision costs or saves, in INR."""

    review_cost_inr: float = 150.0
    """Cost of one analyst review (per alert)."""
    friction_cost_inr: float = 50.0
    """Cost of flagging a genuine customer (per false positive), on top of its review."""
    recovery_rate: float = 1.0
    """Share of a caught fraud's amount that is saved."""

    def __post_init__(self) -> None:
        for name in ("review_cost_inr", "friction_cost_inr"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"invalid cost `{name}` = {value!r}: allowed is a number >= 0")
        if not 0.0 <= self.recovery_rate <= 1.0:
            raise ConfigError(
                f"invalid cost `recovery_rate` = {self.recovery_rate!r}: allowed is 0 to 1"
            )


class Evaluation(msgspec.Struct, kw_only=True):
    """Every metric of one model's scores on one set of rows."""

    rows: int
    """Rows scored."""
    positives: int
    """Fraud rows among them."""
    roc_auc: float | None
    """Area under the ROC curve; None when only one class is present."""
    average_precision: float | None
    """Area under the precision-recall curve (scikit-learn's step-wise AP); None with one class."""
    threshold: float
    """A row is alerted when its score is >= this."""
    precision: float
    """Share of alerted rows that are fraud (0 when nothing is alerted)."""
    recall: float
    """Share of fraud rows alerted (0 when there is no fraud)."""
    f1: float
    """Harmonic mean of precision and recall (0 when both are 0)."""
    card_precision_at_k: float
    """Card Precision@k (Fraud Detection Handbook): per day, share of the k customers (or cards)
    with the highest score that are compromised that day, averaged over days."""
    k: int
    """The k of card_precision_at_k."""
    recall_at_budget: float
    """Share of fraud rows among the ``ceil(alert_budget * rows)`` highest-scored rows."""
    alert_budget: float
    """Share of rows an analyst team can review."""
    cost_benefit_inr: float
    """At the threshold: fraud amount saved (recovery_rate x caught amount) - review cost of every
    alert - friction cost of every false positive."""
    by_fraud_type: dict[str, dict[str, float | None]]
    """Per fraud type: the metrics above (rows, positives, roc_auc, average_precision, precision,
    recall, f1, card_precision_at_k, recall_at_budget, cost_benefit_inr) on that type's rows plus
    every genuine row, with alerts decided on all rows."""
    by_anomaly_type: dict[str, dict[str, float | None]]
    """Per anomaly type (legitimate but unusual rows, and fraud that carries one): the same
    metrics on that type's rows only, plus alert_rate (share of them alerted)."""


def card_precision_at_k(
    score: npt.ArrayLike,
    entity: npt.ArrayLike,
    day: npt.ArrayLike,
    y: npt.ArrayLike,
    k: int,
    *,
    drop_detected: bool = True,
) -> float:
    """Card Precision@k as the Fraud Detection Handbook defines it (section 4.2.3): for each day,
    each card's score is its highest transaction score and it is compromised when any of its
    transactions that day is fraud; the k highest-scored cards are the day's alerts and
    precision = compromised alerts / k (k even when fewer cards were active). The result is the
    mean over the days present. With ``drop_detected`` (the book's default), a card detected
    (alerted and compromised) on one day is left out of the following days. Ties rank the
    smaller entity id first.

    Parameters
    ----------
    score
        One score per transaction.
    entity
        Each transaction's card (or customer) id.
    day
        Each transaction's day (any integer or date code).
    y
        Each transaction's fraud label.
    k
        Alerts per day.
    drop_detected
        Leave out a card on the days after it was detected.

    Returns
    -------
    float
        The mean daily precision, 0 to 1 (NaN without days).
    """
    if k < 1:
        raise ConfigError(f"`k` = {k}: allowed is 1 or more")
    s = np.asarray(score, dtype=np.float64)
    e = np.asarray(entity, dtype=np.int64)
    d = np.asarray(day, dtype=np.int64)
    fraud = np.asarray(y, dtype=np.bool_)
    if s.shape[0] == 0:
        return math.nan
    order = np.lexsort((e, d))
    s, e, d, fraud = s[order], e[order], d[order], fraud[order]
    start = np.flatnonzero(np.r_[True, (d[1:] != d[:-1]) | (e[1:] != e[:-1])])
    g_score = np.maximum.reduceat(s, start)
    g_fraud = np.logical_or.reduceat(fraud, start)
    g_entity, g_day = e[start], d[start]
    day_start = np.flatnonzero(np.r_[True, g_day[1:] != g_day[:-1]])
    day_stop = np.r_[day_start[1:], g_day.shape[0]]
    detected = np.empty(0, dtype=np.int64)
    per_day = np.empty(day_start.shape[0], dtype=np.float64)
    for i, (a, b) in enumerate(zip(day_start, day_stop, strict=True)):
        ents, scores, comp = g_entity[a:b], g_score[a:b], g_fraud[a:b]
        if drop_detected and detected.shape[0]:
            keep = ~np.isin(ents, detected)
            ents, scores, comp = ents[keep], scores[keep], comp[keep]
        top = np.lexsort((ents, -scores))[:k]
        hits = ents[top][comp[top]]
        per_day[i] = hits.shape[0] / k
        if drop_detected:
            detected = np.concatenate([detected, hits])
    return float(per_day.mean())


def _safe(num: float, den: float) -> float:
    return num / den if den > 0 else 0.0


def _ranking(y: B, s: F64) -> tuple[float | None, float | None]:
    if y.shape[0] == 0 or y.all() or not y.any():
        return None, None
    return float(roc_auc_score(y, s)), float(average_precision_score(y, s))


def budget_alerts(score: npt.ArrayLike, alert_budget: float) -> B:
    """The ``ceil(alert_budget * rows)`` highest-scored rows (ties: earlier rows first)."""
    s = np.asarray(score, dtype=np.float64)
    if not 0.0 <= alert_budget <= 1.0:
        raise ConfigError(f"`alert_budget` = {alert_budget}: allowed is a share of rows, 0 to 1")
    n_alerts = math.ceil(alert_budget * s.shape[0] - 1e-9)
    out = np.zeros(s.shape[0], dtype=np.bool_)
    out[np.argsort(-s, kind="stable")[:n_alerts]] = True
    return out


def _decisions(y: B, alerted: B, amount: F64, costs: Costs) -> dict[str, float]:
    """Precision, recall, F1 and cost-benefit of alerting ``alerted``."""
    tp = int((alerted & y).sum())
    fp = int((alerted & ~y).sum())
    precision = _safe(tp, tp + fp)
    recall = _safe(tp, int(y.sum()))
    saved = costs.recovery_rate * float(amount[alerted & y].sum())
    cost = costs.review_cost_inr * (tp + fp) + costs.friction_cost_inr * fp
    return {
        "precision": precision,
        "recall": recall,
        "f1": _safe(2 * precision * recall, precision + recall),
        "cost_benefit_inr": saved - cost,
    }


def _block(
    y: B,
    s: F64,
    alerted: B,
    budget: B,
    amount: F64,
    entity: I64,
    day: I64,
    k: int,
    costs: Costs,
) -> dict[str, float | None]:
    """The metrics of one set of rows, alerts already decided."""
    positives = int(y.sum())
    auc, ap = _ranking(y, s)
    decisions = _decisions(y, alerted, amount, costs)
    return {
        "rows": float(y.shape[0]),
        "positives": float(positives),
        "roc_auc": auc,
        "average_precision": ap,
        "precision": decisions["precision"],
        "recall": decisions["recall"],
        "f1": decisions["f1"],
        "card_precision_at_k": (card_precision_at_k(s, entity, day, y, k) if y.shape[0] else None),
        "recall_at_budget": _safe(int((budget & y).sum()), positives),
        "cost_benefit_inr": decisions["cost_benefit_inr"],
    }


def evaluate(
    data: ModelData,
    score: npt.ArrayLike,
    *,
    threshold: float = 0.5,
    k: int = 100,
    alert_budget: float = 0.01,
    costs: Costs | None = None,
    entity: Entity = "customer",
) -> Evaluation:
    """Every metric of ``score`` (one per row of ``data``, higher is more suspicious).
    ``entity`` is what Card Precision@k ranks: customers (default; every payment has one) or
    cards (rows without a card count as their own customer's).

    Parameters
    ----------
    data
        The evaluated rows with their labels, amounts, days and fraud and anomaly types.
    score
        One score per row.
    threshold
        The alert threshold of the precision, recall, F1 and cost figures.
    k
        Alerts per day of Card Precision@k.
    alert_budget
        The share of rows that can be reviewed, for the recall within that budget.
    costs
        The review and friction costs and recovery rate of the cost-benefit (default:
        ``Costs()``).
    entity
        ``"customer"`` or ``"card"``: what Card Precision@k ranks.

    Returns
    -------
    Evaluation
        Every metric, broken down by fraud type and anomaly type.
    """
    s = np.asarray(score, dtype=np.float64)
    if s.shape != (len(data),):
        raise DataError(f"got {s.shape[0]} scores for {len(data)} rows: one per row is needed")
    if np.isnan(s).any():
        raise DataError("scores contain NaN: every row needs a score")
    refuse_unknown("entity", entity, ENTITIES)
    c = costs if costs is not None else Costs()
    y = data.y
    ent = data.customer_id if entity == "customer" else _cards(data)
    day = data.day
    alerted = s >= threshold
    budget = budget_alerts(s, alert_budget)

    def block(mask: B | slice) -> dict[str, float | None]:
        return _block(
            y[mask], s[mask], alerted[mask], budget[mask], data.amount[mask],
            ent[mask], day[mask], k, c,
        )  # fmt: skip

    overall = block(slice(None))
    genuine = ~y
    by_fraud = {
        name: block((data.fraud_type == name) | genuine)
        for name in sorted(set(data.fraud_type[y].tolist()) - {"none"})
    }
    by_anomaly: dict[str, dict[str, float | None]] = {}
    for name in sorted(set(data.anomaly_type.tolist()) - {"none"}):
        mask = data.anomaly_type == name
        by_anomaly[name] = {**block(mask), "alert_rate": float(alerted[mask].mean())}
    return Evaluation(
        rows=len(data),
        positives=int(y.sum()),
        roc_auc=overall["roc_auc"],
        average_precision=overall["average_precision"],
        threshold=threshold,
        precision=_num(overall["precision"]),
        recall=_num(overall["recall"]),
        f1=_num(overall["f1"]),
        card_precision_at_k=_num(overall["card_precision_at_k"]),
        k=k,
        recall_at_budget=_num(overall["recall_at_budget"]),
        alert_budget=alert_budget,
        cost_benefit_inr=_num(overall["cost_benefit_inr"]),
        by_fraud_type=by_fraud,
        by_anomaly_type=by_anomaly,
    )


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _cards(data: ModelData) -> I64:
    """Card id per row; a payment without a card stands for its customer (negated, so the two
    id spaces never meet)."""
    return np.where(data.card_id >= 0, data.card_id, -1 - data.customer_id)


def metric_value(
    name: str,
    data: ModelData,
    score: npt.ArrayLike,
    *,
    threshold: float = 0.5,
    k: int = 100,
    alert_budget: float = 0.01,
    costs: Costs | None = None,
    entity: Entity = "customer",
) -> float:
    """One metric of ``score`` on ``data``, computed alone (without the breakdowns).

    Parameters
    ----------
    name
        A metric of ``metric_registry.REGISTRY`` or one of its aliases; an unknown name is
        refused naming the allowed ones.
    data, score
        The rows and their fraud scores (probabilities for ``log_loss`` and ``brier``).
    threshold, k, alert_budget, costs, entity
        As ``evaluate`` takes them.

    Returns
    -------
    float
        The value; NaN where it is undefined (ROC AUC and average precision with one class,
        any metric on no rows).
    """
    name = registered_metric(name).name
    s = np.asarray(score, dtype=np.float64)
    y = data.y
    if name in ("roc_auc", "average_precision"):
        auc, ap = _ranking(y, s)
        return _num(auc if name == "roc_auc" else ap)
    if name == "card_precision_at_k":
        ent = data.customer_id if entity == "customer" else _cards(data)
        return card_precision_at_k(s, ent, data.day, y, k)
    if name == "recall_at_budget":
        return _safe(int((budget_alerts(s, alert_budget) & y).sum()), int(y.sum()))
    if name in ("alert_rate", "log_loss", "brier"):
        return _calibration(name, y, s, threshold)
    return _decisions(y, s >= threshold, data.amount, costs if costs is not None else Costs())[name]


def _calibration(name: str, y: B, s: F64, threshold: float) -> float:
    """The share of rows alerted at ``threshold``, or the log loss or Brier score of the scores
    read as probabilities; NaN on no rows."""
    if s.shape[0] == 0:
        return math.nan
    if name == "alert_rate":
        return float((s >= threshold).mean())
    if name == "brier":
        return float(brier_score_loss(y, s, pos_label=True))
    return float(log_loss(y, np.clip(s, 1e-15, 1 - 1e-15), labels=[False, True]))
