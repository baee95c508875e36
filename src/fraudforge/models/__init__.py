"""models: training, tuning, ensembles, feature selection, a model registry and comparison."""

from fraudforge.models.artefact import KINDS, FraudModel, MissingFeaturesError
from fraudforge.models.data import ModelData, load_model_data, model_data
from fraudforge.models.metrics import Costs, Evaluation, card_precision_at_k, evaluate
from fraudforge.models.splits import PrequentialSplit, TimeSplit, time_split

__all__ = [
    "KINDS",
    "Costs",
    "Evaluation",
    "FraudModel",
    "MissingFeaturesError",
    "ModelData",
    "PrequentialSplit",
    "TimeSplit",
    "card_precision_at_k",
    "evaluate",
    "load_model_data",
    "model_data",
    "time_split",
]
