"""Fresh Numba caches for the feature kernels.

Numba's on-disk cache (``cache=True``) checks only the source file of the function it compiled,
but the kernels inline and call each other across ``kernels``, ``layout``, ``entity_store`` and
``online_kernel``:
after an edit or upgrade of one file, a caller compiled from another would be loaded stale. The
locators here stamp every kernel of those modules with all three files' contents, so a change to
any of them recompiles all. Import this module before defining a kernel.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from numba.core.caching import CacheImpl, InTreeCacheLocator, UserProvidedCacheLocator

KERNEL_FILES: tuple[Path, ...] = tuple(
    (Path(__file__).parent / name).resolve()
    for name in ("kernels.py", "layout.py", "entity_store.py", "online_kernel.py")
)


def sources_stamp(paths: Iterable[Path]) -> str:
    """SHA-256 over the given files' contents, in order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


class _KernelStamp:
    """A locator mixin: the freshness stamp covers every kernel file, not just the caller's."""

    _stamp: str | None = None

    def get_source_stamp(self) -> Any:
        if _KernelStamp._stamp is None:
            _KernelStamp._stamp = sources_stamp(KERNEL_FILES)
        return _KernelStamp._stamp

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        if Path(py_file).resolve() not in KERNEL_FILES:
            return None
        return super().from_function(py_func, py_file)  # type: ignore[misc]


class KernelUserDirLocator(_KernelStamp, UserProvidedCacheLocator):
    """Kernels cached under ``NUMBA_CACHE_DIR`` when it is set."""


class KernelInTreeLocator(_KernelStamp, InTreeCacheLocator):
    """Kernels cached in the package's ``__pycache__``."""


def uncompiled(modules: Iterable[ModuleType]) -> list[str]:
    """The cached kernels of ``modules`` (inlined helpers aside) with no usable entry in Numba's
    on-disk cache, which will compile on their first call (seconds each). Reads Numba's cache
    index; a Numba whose cache looks otherwise reports nothing rather than failing."""
    cold: set[str] = set()
    for module in modules:
        for name, obj in vars(module).items():
            index = getattr(
                getattr(getattr(obj, "_cache", None), "_cache_file", None), "_load_index", None
            )
            if index is None or getattr(obj, "targetoptions", {}).get("inline") == "always":
                continue
            try:
                if not index():
                    cold.add(f"{obj.py_func.__module__}.{name}")
            except Exception:  # an unreadable cache index just means "unknown"
                continue
    return sorted(cold)


def _install() -> None:
    locators = CacheImpl._locator_classes
    for cls in (KernelInTreeLocator, KernelUserDirLocator):  # user dir ends up first
        if cls not in locators:
            locators.insert(0, cls)


def _without_scipy_blas() -> None:
    """Import ``numba.np.arraymath`` (which Numba loads with its other registries on the first
    call of any kernel, cached or not) without SciPy. At import it checks whether SciPy's BLAS
    is importable, which imports ``scipy.linalg`` (0.1 s, and OpenBLAS's threads then spin for
    about another 0.1 s of CPU) only to choose how ``np.correlate`` and ``np.convolve`` of
    floats are compiled; the kernels use neither, nor any BLAS. ``np.dot`` and ``np.linalg``
    check for SciPy again where they are compiled, so they still work. Nothing is blocked
    when ``numba.np.arraymath`` or ``scipy.linalg`` is already loaded."""
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    sys.modules["scipy.linalg"] = None  # type: ignore[assignment]  # import fails fast
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        if sys.modules.get("scipy.linalg", True) is None:
            del sys.modules["scipy.linalg"]


_install()
_without_scipy_blas()
