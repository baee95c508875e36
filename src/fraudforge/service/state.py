"""The service's online state: the ``OnlineFeatures`` built from a snapshot or warm-started from a
dataset, atomic snapshots of it, and the scorer in use, swapped whole so a request that has
started finishes on the model it started with."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import polars as pl

from fraudforge.engine.atomic import staged_file
from fraudforge.engine.dataset import scan_dataset
from fraudforge.features.online import OnlineFeatures
from fraudforge.features.outlier import OutlierModel
from fraudforge.features.pipeline import read_features, source_dataset
from fraudforge.models.registry import STAGES, Registry
from fraudforge.service.schema import ModelInfo
from fraudforge.service.scoring import Scorer
from fraudforge.service.settings import Settings

log = logging.getLogger("fraudforge.service")

SNAPSHOT_FORMAT = 1
_REF = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,63})(?:@(?P<stage>\w+)|:(?P<v>[0-9]+))?$", re.ASCII
)


@dataclass(frozen=True)
class ModelSpec:
    """A model named as ``NAME@STAGE`` or ``NAME:VERSION`` (a bare name means production)."""

    name: str
    version: int | None = None
    stage: str | None = "production"

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """Parse ``NAME@STAGE`` / ``NAME:VERSION``, naming what is wrong."""
        m = _REF.match(text)
        if m is None:
            raise ValueError(
                f"invalid model `{text}`: allowed are NAME@STAGE or NAME:VERSION "
                "(e.g. fraud@production, fraud:3)"
            )
        if m["v"] is not None:
            return cls(m["name"], int(m["v"]), None)
        stage = m["stage"] or "production"
        if stage not in STAGES:
            raise ValueError(f"unknown stage `{stage}`: allowed are {', '.join(STAGES)}")
        return cls(m["name"], None, stage)


def save_snapshot(online: OnlineFeatures, path: str | Path) -> int:
    """Write ``online``'s state to ``path`` atomically (NumPy ``.npz``, no pickles); returns the
    bytes written."""
    return write_state(online.to_state(), path)


def write_state(state: dict[str, np.ndarray[Any, Any]], path: str | Path) -> int:
    """Write a ``to_state`` dict to ``path`` atomically."""
    target = Path(path)
    with staged_file(target) as work, open(work, "wb") as f:
        np.savez(f, __format__=np.array([SNAPSHOT_FORMAT]), **state)  # type: ignore[arg-type]
    return target.stat().st_size


def load_snapshot(path: str | Path) -> OnlineFeatures:
    """The ``OnlineFeatures`` saved in ``path``, or an error saying what is wrong with it."""
    with np.load(Path(path), allow_pickle=False) as z:
        state = {k: z[k] for k in z.files}
    found = state.pop("__format__", np.array([0]))
    if int(found[0]) != SNAPSHOT_FORMAT:
        raise ValueError(f"snapshot {path} has format {found[0]}: this reads {SNAPSHOT_FORMAT}")
    return OnlineFeatures.from_state(state)


def warm_start(data: str | Path, *, features: str | Path | None = None) -> OnlineFeatures:
    """``OnlineFeatures`` knowing the dataset's customers, with its transactions replayed in time
    order and its confirmed frauds added (each counting from its ``label_known_at``, as in the
    batch features). The outlier model comes from ``features``' ``features.json``, else it is
    fitted on the dataset as the batch pipeline would."""
    src, _ = source_dataset(data)
    customers = scan_dataset(src, "customers").select("customer_id", "home_lat", "home_lon")
    tx = scan_dataset(src, "transactions").sort("timestamp", "transaction_id").collect()
    cust = customers.collect()
    outlier: OutlierModel
    if features is not None:
        outlier = read_features(features)[0].outlier
    else:
        from fraudforge.features.batch import compute_features

        outlier = compute_features(tx, cust)[1]
    online = OnlineFeatures.from_customers(cust, outlier)
    for row in tx.iter_rows(named=True):
        online.process_row(row)
    frauds = tx.filter(pl.col("is_fraud")).select("merchant_id", "device_id", "label_known_at")
    for merchant_id, device_id, known_at in frauds.iter_rows():
        online.add_label(merchant_id=merchant_id, device_id=device_id, known_at=known_at)
    return online


def open_state(settings: Settings) -> tuple[OnlineFeatures, str]:
    """The online state to serve with and where it came from: the snapshot when it exists, else
    a warm start from the dataset."""
    if _restores(settings):
        assert settings.state is not None
        return load_snapshot(settings.state), f"snapshot {settings.state}"
    assert settings.data is not None
    return warm_start(settings.data, features=settings.features), f"dataset {settings.data}"


def _restores(settings: Settings) -> bool:
    """True to restore the snapshot, False to warm-start; an error when neither can be."""
    if settings.state is not None and Path(settings.state).is_file():
        return True
    if settings.data is None:
        raise ValueError(
            "no online state: pass a dataset to warm-start from (--data) or an existing "
            "snapshot (--state)"
        )
    return False


def preflight(settings: Settings) -> None:
    """Refuse settings that cannot work before anything listens: a missing registry, a bad
    model reference, or no source for the online state."""
    Registry(settings.registry, create=False)
    ModelSpec.parse(settings.model)
    if not _restores(settings):
        assert settings.data is not None
        source_dataset(settings.data)


class ServiceState:
    """What the app serves with: settings, the online features, and the current scorer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.online: OnlineFeatures | None = None
        self.scorer: Scorer | None = None
        self.info: ModelInfo | None = None
        """The registry's description of ``scorer``'s version."""
        self.error: str | None = None
        self.restored = False
        """True when the state came from a snapshot rather than a warm start."""
        self.snapshots = 0
        self.last_snapshot_s = 0.0
        self.started = time.time()
        self.lock = threading.Lock()
        """Guards ``online``; every scorer built here shares it."""
        self._swap = asyncio.Lock()

    @property
    def ready(self) -> bool:
        """Model loaded and warmed up, online state restored."""
        return self.scorer is not None and self.online is not None

    def build_scorer(self, spec: ModelSpec) -> tuple[Scorer, ModelInfo]:
        """A scorer of ``spec`` over the current online state, its kernels warmed up, and the
        registry's description of its version (blocking: run it in a thread)."""
        if self.online is None:
            raise RuntimeError("the online state is not loaded yet")
        registry = Registry(self.settings.registry, create=False)
        scorer = Scorer.from_registry(
            registry,
            spec.name,
            self.online,
            version=spec.version,
            stage=spec.stage,
            thresholds=self.settings.thresholds,
            top_k=self.settings.top_reasons,
            lock=self.lock,
        )
        warm = scorer.warm_up()
        log.info("model %s v%s warmed up in %.2f s", spec.name, scorer.ref.version, warm)
        v = registry.show(spec.name, scorer.ref.version)
        info = ModelInfo(
            name=v.name,
            version=v.version,
            kind=v.kind,
            stage=v.stage,
            created_at=v.created_at,
            features=list(v.features),
            thresholds=self.settings.thresholds,
        )
        return scorer, info

    def start(self) -> None:
        """Restore (or warm-start) the state, then load the configured model (blocking)."""
        began = time.perf_counter()
        try:
            online, source = open_state(self.settings)
            self.online = online
            self.restored = source.startswith("snapshot")
            scorer, info = self.build_scorer(ModelSpec.parse(self.settings.model))
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("startup failed: %s", self.error)
            raise
        self.info, self.scorer = info, scorer
        # the online state is long-lived: keep it out of the collector's full scans (one full
        # collection over a warmed state takes ~0.1 s: a latency spike every few seconds)
        gc.collect()
        gc.freeze()
        log.info(
            "ready in %.2f s: state from %s, model %s v%s",
            time.perf_counter() - began,
            source,
            scorer.ref.name,
            scorer.ref.version,
        )

    async def swap(self, spec: ModelSpec) -> ModelInfo:
        """Load ``spec`` off the event loop and make it the scorer; requests already running keep
        the scorer they started with. One swap at a time."""
        async with self._swap:
            scorer, info = await asyncio.to_thread(self.build_scorer, spec)
            old = self.scorer
            self.info, self.scorer = info, scorer
            log.info(
                "model swapped: %s -> %s v%s",
                f"{old.ref.name} v{old.ref.version}" if old else "none",
                scorer.ref.name,
                scorer.ref.version,
            )
            return info

    def refresh_info(self, name: str) -> ModelInfo:
        """The registry's current description of the served version (its stage may have
        changed), kept as ``info`` (blocking)."""
        if self.info is None:
            raise RuntimeError("no model is loaded")
        v = Registry(self.settings.registry, create=False).show(name, self.info.version)
        self.info = msgspec.structs.replace(self.info, stage=v.stage)
        return self.info

    async def snapshot(self) -> int:
        """Write a snapshot (state copied on the loop, written in a thread); 0 when there is no
        snapshot file configured or no state yet."""
        if self.settings.state is None or self.online is None:
            return 0
        began = time.perf_counter()
        with self.lock:
            state = self.online.to_state()
        size = await asyncio.to_thread(write_state, state, self.settings.state)
        self.snapshots += 1
        self.last_snapshot_s = time.perf_counter() - began
        log.info("snapshot %s: %d bytes in %.3f s", self.settings.state, size, self.last_snapshot_s)
        return size


__all__ = [
    "SNAPSHOT_FORMAT",
    "ModelSpec",
    "ServiceState",
    "load_snapshot",
    "open_state",
    "preflight",
    "save_snapshot",
    "warm_start",
    "write_state",
]
