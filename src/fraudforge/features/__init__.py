"""features: the 69 model features as Numba kernels, identical in batch and online."""

from typing import TYPE_CHECKING

from fraudforge.foundation.lazy import lazy_exports

if TYPE_CHECKING:
    from fraudforge.features.batch import compute_features
    from fraudforge.features.catalog import CATALOG, FEATURE_NAMES, FeatureSpec, catalog_markdown
    from fraudforge.features.online import OnlineFeatures
    from fraudforge.features.outlier import OutlierModel
    from fraudforge.features.pipeline import (
        FeaturesManifest,
        FeaturesMismatchError,
        build_features,
        read_features,
    )
    from fraudforge.features.transformer import FeatureTransformer

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "CATALOG",
    "FEATURE_NAMES",
    "FeatureSpec",
    "FeatureTransformer",
    "FeaturesManifest",
    "FeaturesMismatchError",
    "OnlineFeatures",
    "OutlierModel",
    "build_features",
    "catalog_markdown",
    "compute_features",
    "read_features",
]
