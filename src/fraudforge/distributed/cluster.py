"""Connecting to Ray: imported lazily, so the rest of fraudforge never needs it installed."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from fraudforge.foundation.extras import MissingExtraError, install_hint, require

RAY_MISSING = install_hint("the ray backend", "ray")
LOCAL_OBJECT_STORE_BYTES = 512 * 1024**2
"""The object store of a local cluster that ``ray_cluster`` starts. Generation and features
send only small metadata through it (the features' shuffle goes through the output's
directory), so it is bounded instead of Ray's default of 30% of the machine's memory, which
a worker could map whole."""


class RayNotInstalledError(MissingExtraError):
    """Ray is not importable; the message says how to install it."""


def import_ray() -> ModuleType:
    """The ``ray`` module (with ``ray.data`` loaded), or :class:`RayNotInstalledError`."""
    ray = require("ray", "ray", "the ray backend", error=RayNotInstalledError)
    require("ray.data", "ray", "the ray backend", error=RayNotInstalledError)
    return ray


@contextmanager
def ray_cluster(address: str | None = None, **init: Any) -> Iterator[ModuleType]:
    """Yield ``ray`` connected to a cluster: the one this process already joined, else the one at
    ``address`` (``auto``, ``HOST:PORT`` or ``ray://HOST:10001``), else a new local one; a
    connection made here is closed on exit. ``init`` goes to ``ray.init`` (e.g. ``num_cpus``;
    Ray's own log level defaults to warnings). Ray Data's progress bars are switched off:
    fraudforge reports progress itself. A new local cluster's object store is
    ``LOCAL_OBJECT_STORE_BYTES`` unless ``init`` sets ``object_store_memory``."""
    ray = import_ray()
    owned = not ray.is_initialized()
    if owned:
        init.setdefault("logging_level", logging.WARNING)
        if address is None and not os.environ.get("RAY_ADDRESS"):
            init.setdefault("object_store_memory", LOCAL_OBJECT_STORE_BYTES)
        ray.init(address=address, include_dashboard=False, **init)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    try:
        yield ray
    finally:
        if owned:
            ray.shutdown()


def cluster_cpus(ray: ModuleType) -> int:
    """CPUs the connected cluster offers (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def one_task_each(ray: ModuleType, items: list[dict[str, Any]]) -> Any:
    """A Ray Dataset of ``items`` with one item per block, so each becomes its own task."""
    return ray.data.from_items(items, override_num_blocks=max(1, len(items)))
