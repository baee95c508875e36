"""The service's online state: the ``OnlineFeatures`` restored from a snapshot or warm-started from
a dataset (both ``features.replay``), snapshots of it while serving, and the scorer in use,
swapped whole so a request that has started finishes on the model it started with.

A model is checked before it is served, at start-up and at every swap: its catalogue hash must be
the running code's, its files must match the registry's index, and its LightGBM files are read
in a child process first (LightGBM aborts the process on some damaged models). Its decision
thresholds come from its registered alert threshold unless the settings fix them.

A snapshot is written by a forked child (where ``os.fork`` exists): the fork is a copy-on-write
copy of the state taken in a few milliseconds under the state lock, and the child builds the
arrays and writes them, so the event loop never waits for a copy or a write. Elsewhere the state
is copied under the lock in a worker thread. Either way the file is written under a unique
temporary name, flushed, renamed over the snapshot and its directory flushed."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from fraudforge.features.online import OnlineFeatures
from fraudforge.features.pipeline import source_dataset
from fraudforge.features.replay import load_snapshot, warm_start, write_state
from fraudforge.foundation import atomic
from fraudforge.foundation.errors import ConfigError, NotLoadedError
from fraudforge.foundation.progress import logged
from fraudforge.models.registry import ModelVersion, Registry, RegistryError
from fraudforge.service.scoring import Scorer, load_fraud_types, thresholds_from_alert
from fraudforge.service.security import read_keys
from fraudforge.service.settings import Settings
from fraudforge.wire import ModelInfo, ModelSpec, Thresholds

log = logging.getLogger("fraudforge.service")


def remove_stale_partials(path: str | Path) -> list[Path]:
    """At start-up: remove the temporary files left beside the snapshot ``path`` by writers
    that died mid-write (a crash, SIGKILL, power cut), logging them; returns them."""
    removed = atomic.remove_stale_partials(Path(path), own_is_stale=True)
    if removed:
        log.warning(
            "removed %d temporary file(s) left by interrupted snapshots: %s",
            len(removed),
            ", ".join(p.name for p in removed),
        )
    return removed


def open_state(settings: Settings) -> tuple[OnlineFeatures, str]:
    """The online state to serve with and where it came from: the snapshot when it exists, else
    a warm start from the dataset."""
    if _restores(settings):
        assert settings.state is not None
        return load_snapshot(settings.state), f"snapshot {settings.state}"
    assert settings.data is not None
    progress = logged(log, f"warm start from {settings.data}", "transactions")
    online = warm_start(settings.data, features=settings.features, progress=progress)
    return online, f"dataset {settings.data}"


def _restores(settings: Settings) -> bool:
    """True to restore the snapshot, False to warm-start; an error when neither can be."""
    if settings.state is not None and Path(settings.state).is_file():
        return True
    if settings.data is None:
        raise ConfigError(
            "no online state: pass a dataset to warm-start from (--data) or an existing "
            "snapshot (--state)"
        )
    return False


def preflight(settings: Settings) -> ModelVersion:
    """Refuse settings that cannot work before anything listens: a missing or damaged
    registry, a bad model reference, a model the registry does not hold, one trained on another
    features catalogue or whose files are damaged (read in a child process), a missing or
    invalid API keys file, or no source for the online state. Returns the model's registered
    version."""
    spec = ModelSpec.parse(settings.model)
    registry = Registry(settings.registry, create=False)
    version = resolve_model(registry, spec)
    registry.check(spec.name, version.version)
    if settings.keys is not None:
        read_keys(settings.keys)
    if not _restores(settings):
        assert settings.data is not None
        source_dataset(settings.data)
    return version


def resolve_model(registry: Registry, spec: ModelSpec) -> ModelVersion:
    """The registered version ``spec`` names, or an error naming the reference, the registry
    and what it holds."""
    try:
        return registry.resolve(spec)
    except RegistryError as exc:
        reason = str(exc).split(": registered are", 1)[0]
        raise RegistryError(
            f"model {spec} is not in the registry {registry.root} ({reason}); it holds "
            f"{describe_registry(registry)}"
        ) from None


def describe_registry(registry: Registry) -> str:
    """Each model with its versions and their stages, on one line."""
    by_name: dict[str, list[str]] = {}
    for v in registry.list():
        by_name.setdefault(v.name, []).append(f"v{v.version} {v.stage}")
    if not by_name:
        return "no models"
    return "; ".join(f"{name} ({', '.join(vs)})" for name, vs in by_name.items())


def model_thresholds(settings: Settings, version: ModelVersion) -> Thresholds:
    """The decision thresholds to serve ``version`` with: the settings' when they fix them, else
    those derived from its registered alert threshold."""
    if settings.thresholds is not None:
        return settings.thresholds
    return thresholds_from_alert(version.threshold)


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
        """Snapshots written."""
        self.snapshot_failures = 0
        """Snapshots that failed (each logged)."""
        self.last_snapshot_s = 0.0
        """Seconds the last successful snapshot took."""
        self.last_snapshot_at = 0.0
        """Unix time the last successful snapshot finished (0: none yet)."""
        self.started = time.time()
        self.lock = threading.Lock()
        """Guards ``online``; every scorer built here shares it."""
        self._swap = asyncio.Lock()
        self._snapshot = asyncio.Lock()

    @property
    def ready(self) -> bool:
        """Model loaded and warmed up, online state restored."""
        return self.scorer is not None and self.online is not None

    def build_scorer(self, spec: ModelSpec) -> tuple[Scorer, ModelInfo]:
        """A scorer of ``spec`` over the current online state, its kernels warmed up, and the
        registry's description of its version (blocking: run it in a thread). The model is
        refused (a ``RegistryError`` / ``ArtefactError``, both ``ValueError``) when it was
        trained on another features catalogue, its files differ from the index, or LightGBM
        cannot read them in a child process; its decision thresholds come from its registered
        alert threshold unless the settings fix them."""
        if self.online is None:
            raise NotLoadedError("the online state is not loaded yet")
        registry = Registry(self.settings.registry, create=False)
        v = resolve_model(registry, spec)
        model = registry.load(spec.name, v.version, check_catalog=True, isolate=True)
        thresholds = model_thresholds(self.settings, v)
        scorer = Scorer(
            model,
            self.online,
            thresholds=thresholds,
            version=v.version,
            top_k=self.settings.top_reasons,
            fraud_types=load_fraud_types(registry, spec.name, stage=spec.stage),
            lock=self.lock,
        )
        warm = scorer.warm_up()
        log.info(
            "model %s v%s warmed up in %.2f s; thresholds flag %g, review %g, block %g (%s)",
            spec.name,
            v.version,
            warm,
            thresholds.flag,
            thresholds.review,
            thresholds.block,
            "settings" if self.settings.thresholds is not None else "from its alert threshold",
        )
        info = ModelInfo(
            name=v.name,
            version=v.version,
            kind=v.kind,
            stage=v.stage,
            created_at=v.created_at,
            features=list(v.features),
            thresholds=thresholds,
        )
        return scorer, info

    def start(self) -> None:
        """Restore (or warm-start) the state, then load the configured model (blocking)."""
        began = time.perf_counter()
        try:
            if self.settings.state is not None:
                remove_stale_partials(self.settings.state)
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
        the scorer they started with. One swap at a time; a model that fails its checks leaves
        the current one serving."""
        async with self._swap:
            scorer, info = await asyncio.to_thread(self.build_scorer, spec)
            self._install(scorer, info)
            return info

    async def promote(self, name: str, version: int, stage: str, *, serve: bool) -> ModelInfo:
        """Move ``name`` ``version`` to ``stage`` in the registry; with ``serve``, load it first
        and serve it, and only once it has loaded change the stages (in one SQLite
        transaction), so a model that fails to load leaves both the registry and the service as
        they were. Without ``serve``, a promotion to production is checked as a start-up would
        check it (so the next start can serve it). Returns the served model's description."""
        registry = Registry(self.settings.registry, create=False)
        async with self._swap:
            if serve:
                spec = ModelSpec(name, version, None)
                scorer, info = await asyncio.to_thread(self.build_scorer, spec)
                moved = await asyncio.to_thread(registry.promote, name, version, stage)
                info = msgspec.structs.replace(info, stage=moved.stage)
                self._install(scorer, info)
                return info
            if stage == "production":
                await asyncio.to_thread(registry.check, name, version)
            await asyncio.to_thread(registry.promote, name, version, stage)
            if self.info is None:
                raise NotLoadedError("no model is loaded")
            served = self.info
            now = await asyncio.to_thread(registry.show, served.name, served.version)
            self.info = msgspec.structs.replace(served, stage=now.stage)
            return self.info

    def _install(self, scorer: Scorer, info: ModelInfo) -> None:
        old = self.scorer
        self.info, self.scorer = info, scorer
        log.info(
            "model swapped: %s -> %s v%s",
            f"{old.ref.name} v{old.ref.version}" if old else "none",
            scorer.ref.name,
            scorer.ref.version,
        )

    def refresh_info(self, name: str) -> ModelInfo:
        """The registry's current description of the served version (its stage may have
        changed), kept as ``info`` (blocking)."""
        if self.info is None:
            raise NotLoadedError("no model is loaded")
        v = Registry(self.settings.registry, create=False).show(name, self.info.version)
        self.info = msgspec.structs.replace(self.info, stage=v.stage)
        return self.info

    async def snapshot(self, *, before_copy: Callable[[], None] | None = None) -> int:
        """Write a snapshot of the online state to ``settings.state``; 0 when there is no
        snapshot file configured or no state yet. One snapshot at a time (a second call waits
        for the first). A failure is logged, counted in ``snapshot_failures`` and raised.
        ``before_copy`` runs on the event loop at the instant the state is copied (under the
        state lock, right before the fork), so what it copies matches the snapshot exactly."""
        path = self.settings.state
        online = self.online
        if path is None or online is None:
            return 0
        async with self._snapshot:
            began = time.perf_counter()
            if FORK_SNAPSHOTS:
                job = asyncio.ensure_future(self._snapshot_forked(online, Path(path), before_copy))
            else:
                if before_copy is not None:
                    before_copy()
                job = asyncio.ensure_future(
                    asyncio.to_thread(self._snapshot_threaded, online, Path(path))
                )
            try:
                size = await asyncio.shield(job)
            except asyncio.CancelledError:
                # the writer runs on (a child or a thread): keep the lock until it is done, so
                # the next snapshot (the one at shutdown) cannot be overtaken by this older one
                with contextlib.suppress(BaseException):
                    await job
                raise
            except Exception as exc:
                self.snapshot_failures += 1
                log.error(
                    "snapshot %s failed (%d failure(s) so far): %s: %s",
                    path,
                    self.snapshot_failures,
                    type(exc).__name__,
                    exc,
                )
                raise
            self.snapshots += 1
            self.last_snapshot_s = time.perf_counter() - began
            self.last_snapshot_at = time.time()
            log.info("snapshot %s: %d bytes in %.3f s", path, size, self.last_snapshot_s)
            return size

    def _snapshot_threaded(self, online: OnlineFeatures, path: Path) -> int:
        with self.lock:
            state = online.to_state()
        return write_state(state, path)

    async def _snapshot_forked(
        self, online: OnlineFeatures, path: Path, before_copy: Callable[[], None] | None = None
    ) -> int:
        """Fork under the state lock (the child's memory is the state at that instant, copied
        on write), let the child build and write the snapshot, and wait for it in a thread."""
        read, write = os.pipe()
        parent = os.getpid()
        try:
            with self.lock:
                if before_copy is not None:
                    before_copy()
                pid = os.fork()
        except OSError as exc:  # e.g. no memory for the page tables: copy in a thread instead
            os.close(read)
            os.close(write)
            log.warning("cannot fork a snapshot writer (%s): copying in a thread", exc)
            return await asyncio.to_thread(self._snapshot_threaded, online, path)
        if pid == 0:  # the child: write, report, exit without running any of the parent's code
            code = 1
            try:
                os.close(read)
                _quiet_signals()
                _die_with(parent)
                size = write_state(online.to_state(), path)
                os.write(write, f"ok {size}".encode())
                code = 0
            except BaseException as exc:
                with contextlib.suppress(BaseException):
                    os.write(write, f"{type(exc).__name__}: {exc}"[:2000].encode())
            finally:
                os._exit(code)
        os.close(write)
        return await asyncio.to_thread(_reap_writer, pid, read)


FORK_SNAPSHOTS = hasattr(os, "fork")
"""Snapshots are written by a forked child where the platform can fork (see the module doc)."""

_PR_SET_PDEATHSIG = 1


def _quiet_signals() -> None:
    """In a snapshot child: ignore SIGINT and SIGTERM (a Ctrl-C reaches the whole process group;
    the server handles it and waits for this writer) and detach from the server's signal wakeup
    fd, which the child shares: a signal the child received must not reach the server's loop a
    second time (uvicorn takes a second SIGINT for "exit now")."""
    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, signal.SIG_IGN)


def _die_with(parent: int) -> None:
    """In a snapshot child: be killed when the parent dies (Linux), so a crashed or killed
    server leaves no writer behind that could rename an old state over a newer one."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)


def _reap_writer(pid: int, read: int) -> int:
    """The size a snapshot child wrote, or an error with what it reported."""
    chunks = []
    try:
        while chunk := os.read(read, 4096):
            chunks.append(chunk)
    finally:
        os.close(read)
    _, status = os.waitpid(pid, 0)
    said = b"".join(chunks).decode(errors="replace")
    if os.WIFSIGNALED(status):
        raise OSError(f"the snapshot writer (pid {pid}) was killed by signal {os.WTERMSIG(status)}")
    if os.WEXITSTATUS(status) != 0 or not said.startswith("ok "):
        raise OSError(f"the snapshot writer failed: {said or 'no message'}")
    return int(said.split()[1])


__all__ = [
    "FORK_SNAPSHOTS",
    "ServiceState",
    "describe_registry",
    "model_thresholds",
    "open_state",
    "preflight",
    "remove_stale_partials",
    "resolve_model",
]
