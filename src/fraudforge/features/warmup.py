"""Compile the feature kernels ahead of their first use: Numba compiles each kernel on its first
call (about 20 s for all of them on two cores) and caches the machine code on disk, so running
them once on a small generated dataset makes every later ``features`` run and service start
load them instead. ``fraudforge warmup`` and the container build call this."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import ModuleType

from fraudforge.foundation.progress import ProgressFn, ignore

WARMUP_CUSTOMERS = 200
"""Customers of the small dataset the kernels run on: enough for every code path to run."""


def kernel_modules() -> tuple[ModuleType, ...]:
    """The modules that hold the feature kernels (batch and online)."""
    from fraudforge.features import entity_store, kernels, layout, online_kernel

    return (kernels, layout, entity_store, online_kernel)


def cold_kernels() -> list[str]:
    """The feature kernels that will compile on their first call (none after a warm-up)."""
    from fraudforge.features._jit import uncompiled

    return uncompiled(kernel_modules())


def compile_kernels(progress: ProgressFn = ignore) -> list[str]:
    """Run the batch and online feature kernels once on a small generated dataset, so Numba
    caches them; returns the kernels that were cold before (``progress`` gets the step
    "compiling kernels", counted in kernels)."""
    from fraudforge.engine.dataset import generate, scan_dataset
    from fraudforge.engine.scenario import Scenario
    from fraudforge.features.online import OnlineFeatures
    from fraudforge.features.pipeline import build_features, read_features

    cold = cold_kernels()
    total = len(cold)
    progress("compiling kernels", 0, total)
    with tempfile.TemporaryDirectory(prefix="fraudforge-warmup-") as tmp:
        data, features = Path(tmp) / "data", Path(tmp) / "features"
        generate(Scenario(customers=WARMUP_CUSTOMERS, days=14, seed=0), data, threads=1)
        # One thread passes the kernels whole matrices, more pass row slices (another array
        # layout, so another compiled version): compile both.
        build_features(data, Path(tmp) / "sliced", threads=2)
        build_features(data, features, threads=1)
        progress("compiling kernels", total - len(cold_kernels()), total)
        manifest, _ = read_features(features)
        customers = scan_dataset(data, "customers").collect()
        online = OnlineFeatures.from_customers(customers, manifest.outlier)
        rows = scan_dataset(data).sort("timestamp").head(50).collect()
        for txn in rows.iter_rows(named=True):
            online.process(txn)
        online.probe_row()
    progress("compiling kernels", total - len(cold_kernels()), total)
    return cold
