"""models: training, tuning, ensembles, feature selection, a model registry and comparison."""

from typing import TYPE_CHECKING

from fraudforge.foundation.lazy import lazy_exports

if TYPE_CHECKING:
    from fraudforge.models._store import ArtefactError, load_model, save_model
    from fraudforge.models.artefact import KINDS, FraudModel, MissingFeaturesError
    from fraudforge.models.compare import Comparison, Recommendation, compare
    from fraudforge.models.compiled import CompiledTrees, UnsupportedModelError
    from fraudforge.models.data import ModelData, load_model_data, model_data
    from fraudforge.models.ensembles import EnsembleReport, build_ensemble
    from fraudforge.models.fraud_type import TYPE_SUFFIX, FraudTypes, fit_fraud_type
    from fraudforge.models.metric_registry import PRIORITIES
    from fraudforge.models.metrics import Costs, Evaluation, card_precision_at_k, evaluate
    from fraudforge.models.registry import (
        CatalogMismatchError,
        ModelVersion,
        Registry,
        RegistryError,
        RegistryIndexError,
    )
    from fraudforge.models.search import SPACES, SearchResult, search
    from fraudforge.models.selection import (
        CorrelationFilter,
        ImportanceSelector,
        L1Selector,
        Selection,
        select_features,
    )
    from fraudforge.models.splits import PrequentialSplit, TimeSplit, time_split
    from fraudforge.models.training import best_threshold, train_model
    from fraudforge.models.zoo import MODEL_KINDS, calibrate
    from fraudforge.wire.reference import STAGES

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "KINDS",
    "MODEL_KINDS",
    "PRIORITIES",
    "SPACES",
    "STAGES",
    "TYPE_SUFFIX",
    "ArtefactError",
    "CatalogMismatchError",
    "Comparison",
    "CompiledTrees",
    "CorrelationFilter",
    "Costs",
    "EnsembleReport",
    "Evaluation",
    "FraudModel",
    "FraudTypes",
    "ImportanceSelector",
    "L1Selector",
    "MissingFeaturesError",
    "ModelData",
    "ModelVersion",
    "PrequentialSplit",
    "Recommendation",
    "Registry",
    "RegistryError",
    "RegistryIndexError",
    "SearchResult",
    "Selection",
    "TimeSplit",
    "UnsupportedModelError",
    "best_threshold",
    "build_ensemble",
    "calibrate",
    "card_precision_at_k",
    "compare",
    "evaluate",
    "fit_fraud_type",
    "load_model",
    "load_model_data",
    "model_data",
    "save_model",
    "search",
    "select_features",
    "time_split",
    "train_model",
]
