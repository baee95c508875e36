"""The metric registry is the one table of metrics: every metric the command line accepts is in
it, every entry computes, and the comparison, the registry's ``best`` and the search read it."""

from __future__ import annotations

import argparse
import math

import pytest

import fraudforge.models.compare as comparison
import fraudforge.models.registry as model_registry
from fraudforge.cli import build_parser
from fraudforge.models.metric_registry import (
    ACCEPTED,
    DEFAULT_METRIC,
    DEFAULT_PRIORITY,
    LISTED,
    METRICS,
    PRIORITIES,
    RANKED,
    REGISTRY,
    UnknownMetricError,
    metric,
)
from fraudforge.models.metrics import evaluate, metric_value
from tests.models.cases import six


def _subcommand(name: str) -> argparse.ArgumentParser:
    """The parser of ``fraudforge NAME``."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = sub.choices[name]
    assert isinstance(found, argparse.ArgumentParser)
    return found


def _option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action:
    return next(a for a in parser._actions if flag in a.option_strings)


def test_every_metric_the_command_line_accepts_is_registered() -> None:
    """``tune --metric`` takes exactly the ranked metrics and their aliases, defaulting to a
    registered one; ``compare --priority`` defaults to a known priority, whose metrics are all
    ranked."""
    option = _option(_subcommand("tune"), "--metric")
    assert option.choices is not None
    assert tuple(option.choices) == ACCEPTED
    assert all(metric(name, ranked=True) for name in option.choices)
    assert option.default == DEFAULT_METRIC == metric(option.default).name
    assert "cost_benefit" in option.choices
    assert metric("cost_benefit").name == "cost_benefit_inr"
    priority = _option(_subcommand("compare"), "--priority")
    assert priority.default == DEFAULT_PRIORITY in PRIORITIES
    assert {m for ms in PRIORITIES.values() for m in ms} <= set(RANKED)


def test_every_registered_metric_computes() -> None:
    """Each entry has a value on six hand-made rows; the ranked ones equal ``evaluate``'s, the
    others are checked by hand."""
    data, score = six()
    ev = evaluate(data, score, threshold=0.5, k=2, alert_budget=1 / 3)
    values = {
        m.name: metric_value(m.name, data, score, threshold=0.5, k=2, alert_budget=1 / 3)
        for m in REGISTRY
    }
    assert all(math.isfinite(v) for v in values.values())
    for name in RANKED:
        assert values[name] == pytest.approx(getattr(ev, name)), name
    # alerts at 0.5: rows 0, 1, 4, 5; fraud rows 0, 2, 5 score 0.9, 0.3, 0.7
    assert values["alert_rate"] == pytest.approx(4 / 6)
    assert values["brier"] == pytest.approx((0.01 + 0.64 + 0.49 + 0.04 + 0.36 + 0.09) / 6)
    probabilities = (0.9, 0.2, 0.3, 0.8, 0.4, 0.7)  # of each row's true class
    assert values["log_loss"] == pytest.approx(-sum(map(math.log, probabilities)) / 6)
    assert metric_value("cost_benefit", data, score) == values["cost_benefit_inr"]


def test_the_users_of_the_metrics_read_the_registry() -> None:
    """The comparison's columns and labels, and the registry's directions, are the table's."""
    assert comparison.COLUMNS == RANKED
    assert {name: METRICS[name].label for name in RANKED} == comparison.LABELS
    assert {m.name: m.higher_is_better for m in REGISTRY} == model_registry.HIGHER_IS_BETTER
    assert all(METRICS[name].higher_is_better for name in RANKED)
    assert LISTED == ("roc_auc", "average_precision", "card_precision_at_k", "recall_at_budget")


def test_an_unknown_metric_names_the_allowed_ones() -> None:
    with pytest.raises(UnknownMetricError, match="unknown metric `auc`: allowed are roc_auc, "):
        metric("auc")
    with pytest.raises(ValueError, match="unknown metric `brier`: allowed are roc_auc, "):
        metric("brier", ranked=True)
    assert metric("brier").higher_is_better is False
