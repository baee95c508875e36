"""Side-by-side comparison of models' evaluations and a recommendation for a business priority,
with the reasons: which metric decided and by how much. Exported as Markdown and JSON.

Each priority ranks models on an ordered list of metrics. The first metric keeps every model
within ``tolerance`` of the best value; the next metric breaks ties among those, and so on. The
metric that leaves one model standing is the one that decided.

- balanced: F1 at the model's threshold, then average precision, then cost-benefit in INR.
- recall-first: recall within the alert budget, then recall at the threshold, then average
  precision (miss as little fraud as possible with the analysts available).
- precision-first: precision at the threshold, then Card Precision@k, then average precision
  (every alert should be worth a review and spare genuine customers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.models._tables import markdown_table
from fraudforge.models.metric_registry import DEFAULT_PRIORITY, METRICS, PRIORITIES, RANKED
from fraudforge.models.metrics import Evaluation

COLUMNS: tuple[str, ...] = RANKED
"""The metrics of the table (``metric_registry``'s ranked ones), every one higher-is-better."""

LABELS: dict[str, str] = {name: METRICS[name].label for name in COLUMNS}
"""Column headings of the table."""


class Decision(msgspec.Struct, kw_only=True, frozen=True):
    """One step of the ranking: a metric, who stayed in contention and who dropped out."""

    metric: str
    best: float | None
    """The best value of the metric among the models still in contention."""
    kept: tuple[str, ...]
    """Models within tolerance of the best (still in contention after this metric)."""
    dropped: dict[str, float | None]
    """Models this metric ruled out, with their values (None: metric not available)."""


class Recommendation(msgspec.Struct, kw_only=True, frozen=True):
    """The model to use for a priority, the metric that decided and the margin."""

    priority: str
    model: str
    decided_by: str | None
    """The metric that left one model standing; None when every metric tied (or one model)."""
    margin: float | None
    """Winner's value minus the runner-up's on ``decided_by`` (rupees for cost-benefit)."""
    runner_up: str | None
    reasons: tuple[str, ...]
    """The decision in sentences: what decided, by how much, and the trade-offs it accepts."""
    steps: tuple[Decision, ...]


class Comparison(msgspec.Struct, kw_only=True, frozen=True):
    """Several models' evaluations side by side, and the recommendation for one priority."""

    models: tuple[str, ...]
    evaluations: dict[str, Evaluation]
    best: dict[str, tuple[str, ...]]
    """Per table metric: the model(s) with the best value."""
    recommendation: Recommendation
    warnings: tuple[str, ...]
    """Why the comparison may be unfair (different rows, k or alert budget)."""

    def to_json(self) -> bytes:
        """The comparison as JSON (NaN metrics as null)."""
        return msgspec.json.format(msgspec.json.encode(self), indent=2)

    def to_markdown(self) -> str:
        """The comparison as Markdown: the table (best values in bold), the recommendation with
        its reasons, and recall by fraud type."""
        first = self.evaluations[self.models[0]]
        labels = dict(LABELS, card_precision_at_k=f"CP@{first.k}")
        labels["recall_at_budget"] = f"recall@{first.alert_budget:.2%}"
        head = ["model", "rows", "fraud", "threshold", *(labels[c] for c in COLUMNS)]
        rows = []
        for name in self.models:
            ev = self.evaluations[name]
            cells = [f"`{name}`", f"{ev.rows:,}", f"{ev.positives:,}", f"{ev.threshold:.3g}"]
            for col in COLUMNS:
                text = format_metric(col, _value(ev, col))
                cells.append(f"**{text}**" if name in self.best[col] else text)
            rows.append(cells)
        rec = self.recommendation
        out = [
            "## Model comparison",
            "",
            markdown_table(head, rows),
            f"Best values in bold. Recommendation for **{rec.priority}**: `{rec.model}`.",
            "",
            *(f"- {r}" for r in rec.reasons),
        ]
        if self.warnings:
            out += ["", "Warnings:", "", *(f"- {w}" for w in self.warnings)]
        types = sorted({t for ev in self.evaluations.values() for t in ev.by_fraud_type})
        if types:
            by_type = [
                [t, *(format_metric("recall", self._by_type(m, t)) for m in self.models)]
                for t in types
            ]
            heads = ["fraud type", *(f"`{m}`" for m in self.models)]
            out += ["", "### Recall by fraud type", "", markdown_table(heads, by_type).rstrip("\n")]
        return "\n".join(out) + "\n"

    def _by_type(self, model: str, fraud_type: str) -> float | None:
        block = self.evaluations[model].by_fraud_type.get(fraud_type, {})
        return _clean(block.get("recall"))


def compare(
    evaluations: Mapping[str, Evaluation | Mapping[str, Any]],
    *,
    priority: str = DEFAULT_PRIORITY,
    tolerance: float = 0.005,
) -> Comparison:
    """Compare models by their evaluations (name -> Evaluation, or its dict as the registry
    records it) and recommend one for ``priority``. ``tolerance`` is the margin under which two
    values count as a tie: absolute for rates, relative to the best magnitude for rupees."""
    check_priority(priority)
    if not evaluations:
        raise ConfigError("nothing to compare: give at least one model's evaluation")
    if not 0.0 <= tolerance < 1.0:
        raise ConfigError(f"tolerance {tolerance!r} is out of range: allowed is 0 to below 1")
    evs = {name: _as_evaluation(name, ev) for name, ev in evaluations.items()}
    names = tuple(evs)
    best = {col: _leaders(evs, col, names) for col in COLUMNS}
    return Comparison(
        models=names,
        evaluations=evs,
        best=best,
        recommendation=_recommend(evs, priority, tolerance),
        warnings=_warnings(evs),
    )


def check_priority(priority: str) -> str:
    """``priority`` if it is one of PRIORITIES, else a ValueError naming the allowed ones."""
    if priority not in PRIORITIES:
        raise ConfigError(f"unknown priority `{priority}`: allowed are {', '.join(PRIORITIES)}")
    return priority


def _as_evaluation(name: str, ev: Evaluation | Mapping[str, Any]) -> Evaluation:
    if isinstance(ev, Evaluation):
        return ev
    try:
        return msgspec.convert(dict(ev), Evaluation)
    except msgspec.ValidationError as exc:
        raise DataError(f"metrics of `{name}` are not a full evaluation: {exc}") from exc


def _clean(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _value(ev: Evaluation, metric: str) -> float | None:
    return _clean(getattr(ev, metric))


def _leaders(evs: Mapping[str, Evaluation], metric: str, among: Sequence[str]) -> tuple[str, ...]:
    values = {n: _value(evs[n], metric) for n in among}
    present = [v for v in values.values() if v is not None]
    if not present:
        return ()
    top = max(present)
    return tuple(n for n, v in values.items() if v == top)


def _within(metric: str, value: float, best: float, tolerance: float) -> bool:
    slack = tolerance * abs(best) if METRICS[metric].in_rupees else tolerance
    return best - value <= slack + 1e-12


def format_metric(metric: str, value: float | None) -> str:
    """A metric value as the tables show it: rupees whole with separators, rates to 3 places,
    missing (None or NaN) as n/a."""
    value = _clean(value)
    if value is None:
        return "n/a"
    if METRICS[metric].in_rupees:
        return f"{value:,.0f}"
    return f"{value:.3f}"


def _delta(metric: str, value: float) -> str:
    return f"{value:+,.0f} INR" if METRICS[metric].in_rupees else f"{value:+.3f}"


def _recommend(evs: Mapping[str, Evaluation], priority: str, tolerance: float) -> Recommendation:
    metrics = PRIORITIES[priority]
    alive = list(evs)
    steps: list[Decision] = []
    reasons: list[str] = []
    decided_by: str | None = None
    margin: float | None = None
    runner_up: str | None = None
    if len(alive) == 1:
        reasons.append(f"`{alive[0]}` is the only model compared")
    for metric in metrics:
        if len(alive) == 1:
            break
        values = {n: _value(evs[n], metric) for n in alive}
        present = {n: v for n, v in values.items() if v is not None}
        if not present:
            steps.append(Decision(metric=metric, best=None, kept=tuple(alive), dropped={}))
            reasons.append(f"{metric} is not available for any remaining model; it decides nothing")
            continue
        top = max(present.values())
        kept = [n for n in alive if n in present and _within(metric, present[n], top, tolerance)]
        dropped = {n: values[n] for n in alive if n not in kept}
        steps.append(Decision(metric=metric, best=top, kept=tuple(kept), dropped=dropped))
        if len(kept) == 1:
            winner = kept[0]
            rivals = {n: v for n, v in dropped.items() if v is not None}
            decided_by = metric
            if rivals:
                runner_up = max(rivals, key=lambda n: rivals[n])
                margin = top - rivals[runner_up]
                reasons.append(
                    f"{metric} decided: `{winner}` {format_metric(metric, top)} vs `{runner_up}` "
                    f"{format_metric(metric, rivals[runner_up])} ({_delta(metric, margin)})"
                )
            else:
                reasons.append(
                    f"{metric} decided: only `{winner}` has it ({format_metric(metric, top)})"
                )
        elif dropped:
            reasons.append(
                f"{metric}: {', '.join(f'`{n}`' for n in kept)} tie within tolerance at "
                f"{format_metric(metric, top)}; ruled out "
                + ", ".join(f"`{n}` ({format_metric(metric, v)})" for n, v in dropped.items())
            )
        else:
            reasons.append(
                f"{metric}: {', '.join(f'`{n}`' for n in kept)} tie within tolerance at "
                f"{format_metric(metric, top)}"
            )
        alive = kept
    if len(alive) > 1:  # every metric tied: the exact primary value, then the given order
        primary = metrics[0]
        alive.sort(key=lambda n: -(_value(evs[n], primary) or -math.inf))
        reasons.append(
            f"every metric of {priority} tied within tolerance; `{alive[0]}` has the highest "
            f"exact {primary}"
        )
    winner = alive[0]
    reasons.extend(_tradeoffs(evs, winner))
    return Recommendation(
        priority=priority,
        model=winner,
        decided_by=decided_by,
        margin=margin,
        runner_up=runner_up,
        reasons=tuple(reasons),
        steps=tuple(steps),
    )


def _tradeoffs(evs: Mapping[str, Evaluation], winner: str) -> list[str]:
    """The table metrics on which another model beats the recommended one."""
    out: list[str] = []
    for metric in COLUMNS:
        mine = _value(evs[winner], metric)
        others = {n: v for n in evs if n != winner and (v := _value(evs[n], metric)) is not None}
        if not others:
            continue
        leader = max(others, key=lambda n: others[n])
        if mine is None or others[leader] > mine:
            shown = format_metric(metric, mine)
            out.append(
                f"trade-off: `{leader}` has the higher {metric} "
                f"({format_metric(metric, others[leader])} vs {shown})"
            )
    return out


def _warnings(evs: Mapping[str, Evaluation]) -> tuple[str, ...]:
    out = []
    for field, what in (
        ("rows", "rows"),
        ("positives", "fraud rows"),
        ("k", "k of Card Precision@k"),
        ("alert_budget", "alert budgets"),
    ):
        seen = {n: getattr(ev, field) for n, ev in evs.items()}
        if len(set(seen.values())) > 1:
            listed = ", ".join(f"`{n}` {v}" for n, v in seen.items())
            out.append(f"different {what} ({listed}): the comparison is only fair on the same data")
    return tuple(out)
