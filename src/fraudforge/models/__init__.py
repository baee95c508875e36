"""models: training, tuning, ensembles, feature selection, a model registry and comparison."""

from fraudforge.models.artefact import KINDS, FraudModel, MissingFeaturesError

__all__ = [
    "KINDS",
    "FraudModel",
    "MissingFeaturesError",
]
