"""distributed: the same generation and features on a Ray cluster (``pip install
fraudforge[ray]``).

Importing this package is cheap and never imports Ray: ``generate`` and ``build_features`` load
their modules on first use, and Ray is imported only when one of them runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fraudforge.distributed.cluster import RAY_MISSING, RayNotInstalledError, ray_cluster

if TYPE_CHECKING:
    from fraudforge.distributed.dataset import generate
    from fraudforge.distributed.features import build_features

_LAZY = {
    "build_features": "fraudforge.distributed.features",
    "generate": "fraudforge.distributed.dataset",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RAY_MISSING", "RayNotInstalledError", "build_features", "generate", "ray_cluster"]
