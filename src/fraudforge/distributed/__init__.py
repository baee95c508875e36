"""distributed: the same generation and features on a Ray cluster (``pip install
fraudforge[ray]``); Ray is imported only when one of these runs."""

from fraudforge.distributed.cluster import RAY_MISSING, RayNotInstalledError, ray_cluster
from fraudforge.distributed.features import build_features
from fraudforge.distributed.generate import generate

__all__ = ["RAY_MISSING", "RayNotInstalledError", "build_features", "generate", "ray_cluster"]
