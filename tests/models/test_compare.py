"""Comparison and recommendation on hand-made evaluations: exact winners, reasons and exports."""

from __future__ import annotations

import json
import math

import msgspec
import pytest

from fraudforge.models.compare import compare
from tests.models.evaluations import ev

# `sharp` alerts little and precisely; `wide` catches more fraud; `even` balances the two.
MODELS = {
    "sharp": ev(precision=0.80, recall=0.40, f1=0.5333, recall_at_budget=0.50, roc_auc=0.91,
                card_precision_at_k=0.30, average_precision=0.55, cost_benefit_inr=120_000.0),
    "wide": ev(precision=0.30, recall=0.85, f1=0.4435, recall_at_budget=0.70, roc_auc=0.93,
               card_precision_at_k=0.22, average_precision=0.52, cost_benefit_inr=90_000.0),
    "even": ev(precision=0.60, recall=0.62, f1=0.6098, recall_at_budget=0.64, roc_auc=0.92,
               card_precision_at_k=0.25, average_precision=0.58, cost_benefit_inr=150_000.0),
}  # fmt: skip


@pytest.mark.parametrize(
    ("priority", "winner", "metric", "runner_up", "margin"),
    [
        ("balanced", "even", "f1", "sharp", 0.6098 - 0.5333),
        ("recall-first", "wide", "recall_at_budget", "even", 0.70 - 0.64),
        ("precision-first", "sharp", "precision", "even", 0.80 - 0.60),
    ],
)
def test_each_priority_picks_its_model_and_says_what_decided(
    priority: str, winner: str, metric: str, runner_up: str, margin: float
) -> None:
    rec = compare(MODELS, priority=priority).recommendation
    assert rec.model == winner
    assert rec.decided_by == metric
    assert rec.runner_up == runner_up
    assert rec.margin == pytest.approx(margin)
    assert rec.reasons[0].startswith(f"{metric} decided: `{winner}`")


def test_recall_first_reasons_are_exact() -> None:
    rec = compare(MODELS, priority="recall-first").recommendation
    assert rec.reasons == (
        "recall_at_budget decided: `wide` 0.700 vs `even` 0.640 (+0.060)",
        "trade-off: `even` has the higher average_precision (0.580 vs 0.520)",
        "trade-off: `sharp` has the higher precision (0.800 vs 0.300)",
        "trade-off: `even` has the higher f1 (0.610 vs 0.444)",
        "trade-off: `sharp` has the higher card_precision_at_k (0.300 vs 0.220)",
        "trade-off: `even` has the higher cost_benefit_inr (150,000 vs 90,000)",
    )
    assert rec.steps[0].kept == ("wide",)
    assert rec.steps[0].dropped == {"sharp": 0.50, "even": 0.64}


def test_a_tie_within_tolerance_passes_to_the_next_metric() -> None:
    models = {
        "a": ev(f1=0.600, average_precision=0.50),
        "b": ev(f1=0.603, average_precision=0.47),
        "c": ev(f1=0.550, average_precision=0.70),
    }
    rec = compare(models, priority="balanced", tolerance=0.005).recommendation
    assert rec.model == "a"
    assert rec.decided_by == "average_precision"
    assert rec.runner_up == "b"
    assert rec.margin == pytest.approx(0.03)
    assert rec.reasons[:2] == (
        "f1: `a`, `b` tie within tolerance at 0.603; ruled out `c` (0.550)",
        "average_precision decided: `a` 0.500 vs `b` 0.470 (+0.030)",
    )
    # without tolerance the higher F1 decides at once
    assert compare(models, priority="balanced", tolerance=0.0).recommendation.model == "b"


def test_rupee_tolerance_is_relative_and_full_ties_fall_back_to_the_primary() -> None:
    models = {
        "a": ev(f1=0.5, average_precision=0.5, cost_benefit_inr=100_000.0),
        "b": ev(f1=0.5, average_precision=0.5, cost_benefit_inr=100_400.0),
    }
    rec = compare(models, priority="balanced", tolerance=0.005).recommendation
    assert rec.decided_by is None
    assert rec.model == "a"  # identical primary: the first given
    assert rec.reasons[-2] == (
        "every metric of balanced tied within tolerance; `a` has the highest exact f1"
    )
    assert rec.reasons[-1] == (
        "trade-off: `b` has the higher cost_benefit_inr (100,400 vs 100,000)"
    )
    rec = compare(models, priority="balanced", tolerance=0.001).recommendation
    assert (rec.model, rec.decided_by, rec.margin) == ("b", "cost_benefit_inr", 400.0)
    assert rec.reasons[2] == "cost_benefit_inr decided: `b` 100,400 vs `a` 100,000 (+400 INR)"


def test_missing_metrics_lose_and_are_shown_as_not_available() -> None:
    models = {"a": ev(average_precision=None), "b": ev(average_precision=0.1)}
    comparison = compare(models, priority="balanced")
    assert comparison.recommendation.model == "b"
    assert comparison.recommendation.reasons[1] == (
        "average_precision decided: only `b` has it (0.100)"
    )
    assert comparison.best["average_precision"] == ("b",)
    assert "| `a` | 10,000 | 200 | 0.5 | **0.900** | n/a |" in comparison.to_markdown()


def test_markdown_table_bolds_the_best_and_lists_recall_by_fraud_type() -> None:
    models = {
        "sharp": msgspec.structs.replace(
            MODELS["sharp"], by_fraud_type={"card_testing": {"recall": 0.25}}
        ),
        "wide": msgspec.structs.replace(
            MODELS["wide"],
            by_fraud_type={"card_testing": {"recall": 0.9}, "money_mule": {"recall": 0.5}},
        ),
    }
    text = compare(models, priority="precision-first").to_markdown()
    lines = text.splitlines()
    assert lines[2] == (
        "| model | rows | fraud | threshold | ROC AUC | AP | precision | recall | F1 | CP@100 "
        "| recall@1.00% | cost-benefit INR |"
    )
    assert lines[4] == (
        "| `sharp` | 10,000 | 200 | 0.5 | 0.910 | **0.550** | **0.800** | 0.400 | **0.533** "
        "| **0.300** | 0.500 | **120,000** |"
    )
    assert lines[5] == (
        "| `wide` | 10,000 | 200 | 0.5 | **0.930** | 0.520 | 0.300 | **0.850** | 0.444 "
        "| 0.220 | **0.700** | 90,000 |"
    )
    assert "Recommendation for **precision-first**: `sharp`." in text
    assert "- precision decided: `sharp` 0.800 vs `wide` 0.300 (+0.500)" in text
    assert "| card_testing | 0.250 | 0.900 |" in text
    assert "| money_mule | n/a | 0.500 |" in text


def test_json_export_round_trips_and_writes_nan_as_null() -> None:
    models = {"a": ev(card_precision_at_k=math.nan), "b": ev(f1=0.9)}
    data = json.loads(compare(models, priority="balanced").to_json())
    assert data["models"] == ["a", "b"]
    assert data["evaluations"]["a"]["card_precision_at_k"] is None
    assert data["recommendation"]["model"] == "b"
    assert data["recommendation"]["decided_by"] == "f1"
    assert data["recommendation"]["margin"] == pytest.approx(0.42)
    assert data["best"]["f1"] == ["b"]
    assert data["warnings"] == []


def test_registry_dicts_are_accepted_and_unfair_comparisons_are_flagged() -> None:
    recorded = msgspec.to_builtins(ev(rows=500, k=50))
    comparison = compare({"a": recorded, "b": ev()})
    assert comparison.evaluations["a"] == ev(rows=500, k=50)
    assert comparison.warnings == (
        "different rows (`a` 500, `b` 10000): the comparison is only fair on the same data",
        "different k of Card Precision@k (`a` 50, `b` 100): the comparison is only fair on "
        "the same data",
    )
    with pytest.raises(ValueError, match="metrics of `x` are not a full evaluation"):
        compare({"x": {"roc_auc": 0.9}})


def test_a_single_model_and_bad_options() -> None:
    rec = compare({"only": ev()}).recommendation
    assert (rec.model, rec.decided_by, rec.reasons) == (
        "only",
        None,
        ("`only` is the only model compared",),
    )
    with pytest.raises(
        ValueError, match="unknown priority `cheap`: allowed are balanced, recall-first"
    ):
        compare(MODELS, priority="cheap")
    with pytest.raises(ValueError, match="nothing to compare"):
        compare({})
    with pytest.raises(ValueError, match="tolerance 2 is out of range"):
        compare(MODELS, tolerance=2)
