"""Every metric fraudforge computes, declared once: its name, how tables label it, whether
higher is better, its unit and the names it is also known by. The evaluation
(``models.metrics``), the registry's ``best``, the comparison's columns, the search and the
command line's choices and defaults all read this table (``tests/models/test_metric_registry.py``
holds them to it). It imports only the standard library, so the registry and the command line
can read it without loading scikit-learn."""

from __future__ import annotations

from dataclasses import dataclass

from fraudforge.foundation.errors import ConfigError


@dataclass(frozen=True)
class Metric:
    """One metric.

    Parameters
    ----------
    name
        The name evaluations, recorded metrics and ``--metric`` use.
    label
        Short column heading of comparison tables.
    title
        Row heading of an evaluation table; ``{k}``, ``{alert_budget}`` and ``{threshold}`` are
        filled in from the evaluation.
    higher_is_better
        The direction ``Registry.best`` ranks by.
    unit
        ``"INR"`` for rupee amounts (shown whole, compared with a relative tolerance), ``""`` for
        shares and scores (shown to three places).
    thresholded
        Its value depends on the alert threshold (it counts the alerted rows).
    ranked
        One of an ``Evaluation``'s headline metrics (higher is better): a search can optimise it
        and a comparison shows and ranks it. The others (alert rate, log loss, Brier score) are
        computed by ``metric_value`` and known to ``best``, but not optimised.
    aliases
        Other names accepted for it (``cost_benefit`` for ``cost_benefit_inr``).
    """

    name: str
    label: str
    title: str
    higher_is_better: bool
    unit: str = ""
    thresholded: bool = False
    ranked: bool = True
    aliases: tuple[str, ...] = ()

    @property
    def in_rupees(self) -> bool:
        """Whether its values are amounts in INR."""
        return self.unit == "INR"


REGISTRY: tuple[Metric, ...] = (
    Metric("roc_auc", "ROC AUC", "ROC AUC", True),
    Metric("average_precision", "AP", "average precision", True),
    Metric(
        "precision", "precision", "precision at threshold {threshold:.4g}", True, thresholded=True
    ),
    Metric("recall", "recall", "recall at threshold", True, thresholded=True),
    Metric("f1", "F1", "F1 at threshold", True, thresholded=True),
    Metric("card_precision_at_k", "CP@k", "Card Precision@{k}", True),
    Metric(
        "recall_at_budget", "recall@budget", "recall at a {alert_budget:.1%} alert budget", True
    ),
    Metric(
        "cost_benefit_inr",
        "cost-benefit INR",
        "cost-benefit (INR)",
        True,
        unit="INR",
        thresholded=True,
        aliases=("cost_benefit",),
    ),
    Metric(
        "alert_rate", "alert rate", "share of rows alerted", False, thresholded=True, ranked=False
    ),
    Metric("log_loss", "log loss", "log loss", False, ranked=False),
    Metric("brier", "Brier", "Brier score", False, ranked=False),
)
"""The metrics, ranked ones in the order comparison tables show them."""

METRICS: dict[str, Metric] = {m.name: m for m in REGISTRY}
RANKED: tuple[str, ...] = tuple(m.name for m in REGISTRY if m.ranked)
"""Metrics a search can optimise and a comparison ranks (every one higher-is-better)."""
LISTED: tuple[str, ...] = tuple(m.name for m in REGISTRY if m.ranked and not m.thresholded)
"""The metrics ``fraudforge registry list`` shows for each version: the ranked ones that do not
depend on its alert threshold."""
ACCEPTED: tuple[str, ...] = tuple(n for m in REGISTRY if m.ranked for n in (m.name, *m.aliases))
"""Every name ``--metric`` accepts: the ranked metrics and their aliases."""
DEFAULT_METRIC = "average_precision"
"""What a search optimises unless told otherwise: the precision-recall area, which, unlike ROC
AUC, reflects how rare fraud is."""

PRIORITIES: dict[str, tuple[str, ...]] = {
    "balanced": ("f1", "average_precision", "cost_benefit_inr"),
    "recall-first": ("recall_at_budget", "recall", "average_precision"),
    "precision-first": ("precision", "card_precision_at_k", "average_precision"),
}
"""The metrics each business priority ranks by, most important first (all higher-is-better)."""
DEFAULT_PRIORITY = "balanced"

_BY_NAME: dict[str, Metric] = {n: m for m in REGISTRY for n in (m.name, *m.aliases)}


class UnknownMetricError(ConfigError):
    """A metric name that is not in the registry (or not one that can be ranked)."""


def metric(name: str, *, ranked: bool = False) -> Metric:
    """The metric called ``name`` (or one of its aliases); with ``ranked``, only the ones a
    search or a comparison can rank. An unknown name is refused naming the allowed ones."""
    found = _BY_NAME.get(name)
    if found is None or (ranked and not found.ranked):
        allowed = RANKED if ranked else tuple(METRICS)
        raise UnknownMetricError(f"unknown metric `{name}`: allowed are {', '.join(allowed)}")
    return found


__all__ = [
    "ACCEPTED",
    "DEFAULT_METRIC",
    "DEFAULT_PRIORITY",
    "LISTED",
    "METRICS",
    "PRIORITIES",
    "RANKED",
    "REGISTRY",
    "Metric",
    "UnknownMetricError",
    "metric",
]
