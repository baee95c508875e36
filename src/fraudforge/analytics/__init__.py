"""analytics: fraud and anomaly analysis, model explanations and performance, and the
self-contained interactive HTML report."""

from fraudforge.analytics import _plotly  # noqa: F401 - first: refuses a missing plotly by name
from fraudforge.analytics.dashboard import build_report, write_report
from fraudforge.analytics.explore import (
    Cooccurrence,
    HourWeekday,
    Summary,
    by_city,
    by_day,
    by_state,
    cooccurrence,
    festival_effect,
    fraud_by_type,
    hour_weekday,
    risk_by,
    severity,
    summary,
)
from fraudforge.analytics.importance import (
    PartialDependence,
    Shap,
    gain_split,
    model_names,
    partial_dependence,
    permutation_importance,
    redundant_features,
    shap_values,
)
from fraudforge.analytics.loader import load_model
from fraudforge.analytics.network import Network, multi_party_incidents, scenario_network
from fraudforge.analytics.performance import (
    Calibration,
    Confusion,
    Curve,
    Gains,
    Sweep,
    by_group,
    calibration,
    confusion,
    gains,
    precision_recall,
    roc,
    threshold_sweep,
)
from fraudforge.analytics.recommend import Recommendation
from fraudforge.analytics.scope import EvaluationScope, ModelThreshold, evaluation_scope
from fraudforge.models.metrics import Costs

__all__ = [
    "Calibration",
    "Confusion",
    "Cooccurrence",
    "Costs",
    "Curve",
    "EvaluationScope",
    "Gains",
    "HourWeekday",
    "ModelThreshold",
    "Network",
    "PartialDependence",
    "Recommendation",
    "Shap",
    "Summary",
    "Sweep",
    "build_report",
    "by_city",
    "by_day",
    "by_group",
    "by_state",
    "calibration",
    "confusion",
    "cooccurrence",
    "evaluation_scope",
    "festival_effect",
    "fraud_by_type",
    "gain_split",
    "gains",
    "hour_weekday",
    "load_model",
    "model_names",
    "multi_party_incidents",
    "partial_dependence",
    "permutation_importance",
    "precision_recall",
    "redundant_features",
    "risk_by",
    "roc",
    "scenario_network",
    "severity",
    "shap_values",
    "summary",
    "threshold_sweep",
    "write_report",
]
