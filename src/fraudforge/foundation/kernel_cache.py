"""A pre-compiled Numba cache shipped read-only (in a container image) and copied into the
writable ``NUMBA_CACHE_DIR`` before the first kernel runs.

Numba only uses a cache directory it can write to: its locators create a temporary file there
first and, when that fails, move on to the next location (in-tree ``__pycache__``, then the
user-wide cache), so a read-only directory of valid machine code is never read. Copying it is
the way to use it: ``seed_kernel_cache(seed, target)`` copies each file of ``seed`` whose copy
in ``target`` is missing or has other content, each atomically (``staged_file``). The seed's
files win over older ones in ``target``: they were compiled from exactly the sources installed
beside them, whereas ``target`` (a volume) may hold a previous version's kernels. Files only in
``target`` (kernels compiled at run time) are left alone.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from fraudforge.foundation.atomic import staged_file

SEED_VARIABLE = "FRAUDFORGE_KERNEL_SEED"
"""Environment variable naming the read-only directory of pre-compiled kernels to seed from."""
CACHE_VARIABLE = "NUMBA_CACHE_DIR"
"""Numba's own variable: the writable cache directory the kernels are loaded from."""


def _same_content(a: Path, b: Path) -> bool:
    """True when two files hold the same bytes (sizes compared first)."""
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def seed_kernel_cache(seed: str | Path, target: str | Path) -> list[Path]:
    """Copy every file under ``seed`` that is missing under ``target`` or has other content there
    to the same relative path, atomically and keeping its modification time.

    Parameters
    ----------
    seed
        The read-only directory of pre-compiled kernels (e.g. the image's).
    target
        The writable Numba cache directory (``NUMBA_CACHE_DIR``).

    Returns
    -------
    list[pathlib.Path]
        The relative paths copied; none when ``seed`` does not exist.

    Raises
    ------
    OSError
        When ``target`` cannot be written.
    """
    seed, target = Path(seed), Path(target)
    copied: list[Path] = []
    if not seed.is_dir():
        return copied
    for path in sorted(p for p in seed.rglob("*") if p.is_file()):
        rel = path.relative_to(seed)
        dest = target / rel
        if dest.is_file() and _same_content(path, dest):
            continue
        with staged_file(dest) as work:
            shutil.copy2(path, work)
        copied.append(rel)
    return copied


def seed_from_environment(environ: Mapping[str, str] | None = None) -> list[Path]:
    """``seed_kernel_cache($FRAUDFORGE_KERNEL_SEED, $NUMBA_CACHE_DIR)`` when both are set (else
    nothing). A cache that cannot be written is reported on stderr, not raised: the service
    still starts, and Numba compiles what it cannot load.

    Parameters
    ----------
    environ
        The variables to read (default: the process environment).

    Returns
    -------
    list[pathlib.Path]
        The relative paths copied (see :func:`seed_kernel_cache`).
    """
    env = os.environ if environ is None else environ
    seed, target = env.get(SEED_VARIABLE), env.get(CACHE_VARIABLE)
    if not seed or not target:
        return []
    try:
        return seed_kernel_cache(seed, target)
    except OSError as exc:
        print(
            f"fraudforge: the pre-compiled kernels in {seed} were not copied to {target} "
            f"({exc}); kernels compile on first use instead",
            file=sys.stderr,
        )
        return []


__all__ = ["CACHE_VARIABLE", "SEED_VARIABLE", "seed_from_environment", "seed_kernel_cache"]
