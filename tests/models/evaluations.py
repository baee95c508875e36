"""Hand-made Evaluations for the comparison and registry tests."""

from __future__ import annotations

from typing import Any

from fraudforge.models.metrics import Evaluation


def ev(**values: Any) -> Evaluation:
    """An evaluation of 10,000 rows with plain defaults, overridden by ``values``."""
    base: dict[str, Any] = {
        "rows": 10_000,
        "positives": 200,
        "roc_auc": 0.90,
        "average_precision": 0.50,
        "threshold": 0.5,
        "precision": 0.40,
        "recall": 0.60,
        "f1": 0.48,
        "card_precision_at_k": 0.20,
        "k": 100,
        "recall_at_budget": 0.55,
        "alert_budget": 0.01,
        "cost_benefit_inr": 100_000.0,
        "by_fraud_type": {},
        "by_anomaly_type": {},
    }
    base.update(values)
    return Evaluation(**base)
