"""`ray_cluster` bounds the object store of a local cluster it starts, and only that."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from fraudforge.distributed import cluster
from fraudforge.distributed.cluster import LOCAL_OBJECT_STORE_BYTES, ray_cluster


class _FakeRay:
    """Records ``ray.init``'s options instead of starting a cluster."""

    def __init__(self) -> None:
        self.inits: list[dict[str, Any]] = []
        context = SimpleNamespace(enable_progress_bars=True)
        self.data = SimpleNamespace(DataContext=SimpleNamespace(get_current=lambda: context))

    def is_initialized(self) -> bool:
        return False

    def init(self, **options: Any) -> None:
        self.inits.append(options)

    def shutdown(self) -> None:
        pass


def test_object_store_is_bounded_for_a_new_local_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new local cluster gets LOCAL_OBJECT_STORE_BYTES unless the caller sets its own; a
    cluster at an address (given, or in RAY_ADDRESS) is joined with no store size."""
    fake = _FakeRay()
    monkeypatch.setattr(cluster, "import_ray", lambda: fake)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    for address, options in ((None, {}), (None, {"object_store_memory": 10**9}), ("auto", {})):
        with ray_cluster(address, **options):
            pass
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    with ray_cluster():
        pass
    stores = [init.get("object_store_memory") for init in fake.inits]
    assert stores == [LOCAL_OBJECT_STORE_BYTES, 10**9, None, None]
