"""This machine's resources as the stages plan with them: cores, memory, how to print a size,
how the C allocator gives memory back or keeps it, and how a process whose work is done ends."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import os
import sys
from collections.abc import MutableMapping
from typing import NoReturn

MIB = 1024**2
MMAP_THRESHOLD_BYTES = MIB
"""Blocks of at least this size get their own mapping from glibc's malloc
(``return_freed_memory``)."""
HEAP_BLOCK_BYTES = 4 * MIB
"""Blocks below this size come from glibc's heap in a generating process
(``keep_freed_memory``)..."""
HEAP_KEPT_BYTES = 32 * MIB
"""...and up to this much freed memory stays at the heap's top for the next blocks."""
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)


def _mallopt(*settings: tuple[int, int]) -> bool:
    """Set glibc malloc's ``(parameter, value)`` pairs in order for the rest of the process,
    stopping at the first refused; whether all were set (not where the C library has no
    ``mallopt``: macOS, Windows, musl keeps its own)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, TypeError):  # pragma: no cover - no glibc
        return False
    return all(bool(mallopt(parameter, value)) for parameter, value in settings)


def return_freed_memory() -> bool:
    """Have glibc's malloc serve every block of ``MMAP_THRESHOLD_BYTES`` or more from its own
    mapping, handed back to the system when freed; for the rest of the process. Returns whether
    it was set (not where the C library has no ``mallopt``: macOS, Windows, musl keeps its own).

    Why: by default glibc raises this threshold after each large free (up to 32 MiB), so the
    batch- and bucket-sized NumPy arrays that follow are carved from the heap and the threads'
    arenas, where freed memory stays resident and fragments. On `fraudforge features` over 10M
    rows the entity phase peaked at 1.8 GiB and still held 1.6 GiB when it was done; with a
    fixed 1 MiB threshold, 1.0 GiB and 0.7 GiB, in the same time."""
    return _mallopt((_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed memory for reuse in a process that generates shards:
    blocks under ``HEAP_BLOCK_BYTES`` from the heap, and up to ``HEAP_KEPT_BYTES`` freed at
    its top kept rather than handed back; for the rest of the process. Returns whether it was
    set (as ``return_freed_memory``, the opposite choice of a features process).

    Why: a shard makes thousands of arrays of a few hundred KiB (a column of its ~70K rows),
    freed as soon as the next step has used them. By default glibc maps each of them afresh
    and hands it back when freed, so every one is faulted in again page by page, until a
    large free happens to raise its thresholds (a (rows, 25) temporary once did that early on
    in each process). Fixed thresholds do it from the start: the 1M-row command's minor page
    faults fall from 143-160K to 84-88K and its system time by about 0.1 s, with the same
    peak memory (docs/performance.md). A process that only generates chooses this;
    ``generate`` as a library call leaves the caller's allocator as it is."""
    return _mallopt((_M_MMAP_THRESHOLD, HEAP_BLOCK_BYTES), (_M_TRIM_THRESHOLD, HEAP_KEPT_BYTES))


def end_process(code: int) -> NoReturn:
    """End this process with ``code`` once its work is done: exit handlers run and the
    standard streams are flushed as at any exit, but the interpreter does not tear down its
    modules one by one (NumPy's, Polars' and the arrays they hold: about 0.04 s of wall and
    0.05 s of CPU a process; with Numba's and LLVM's, as in ``features``, 0.06-0.09 s against
    0.03-0.04 s). For a process whose outputs are complete: ``generate``'s helpers, and the
    ``generate`` and ``features`` commands themselves."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken stream has nothing to flush
            stream.flush()
    os._exit(code)


BLAS_THREADS_VARIABLE = "OPENBLAS_NUM_THREADS"
"""The variable that sets how many threads NumPy's OpenBLAS starts when NumPy is imported."""


def one_blas_thread(environ: MutableMapping[str, str]) -> None:
    """Have a process started with ``environ`` (``os.environ`` for this one, before NumPy is
    imported) load OpenBLAS with one thread, unless the variable is set already.

    Why: at import, OpenBLAS starts a thread per further core, and each spins for a while
    before it sleeps: about 0.03 s of CPU a process on two cores (1-3% of the samples of
    ``fraudforge generate`` and ``features`` on 1M rows under ``perf``), for nothing, since
    generating and computing features do no BLAS work that OpenBLAS would split (a few small
    matrix products), and a product of that size gives the same result on one thread."""
    environ.setdefault(BLAS_THREADS_VARIABLE, "1")


_collector_paused = False


def pause_collector() -> bool:
    """Stop Python's cyclic garbage collector until ``resume_collector``, unless it is stopped
    already; returns whether this call stopped it.

    Why: loading a command's libraries (NumPy, Polars, Numba, the stages) allocates about a
    hundred thousand objects that live to the end, and the collector, run every 700 new
    objects, walks the young ones again and again: ``import`` of what ``fraudforge features``
    loads took 0.33-0.41 s with it and 0.30-0.33 s without (five runs each), and left 563
    unreachable objects, which a full collection finds in about 0.04 s. A command pauses it
    before its imports and resumes once they are frozen out of its sight (``gc.freeze``)."""
    global _collector_paused
    if not gc.isenabled():
        return False
    gc.disable()
    _collector_paused = True
    return True


def resume_collector() -> None:
    """Restart the collector if ``pause_collector`` stopped it (else leave it as it is)."""
    global _collector_paused
    if _collector_paused:
        _collector_paused = False
        gc.enable()


def default_threads() -> int:
    """Worker threads used when none are asked for: the usable cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


def physical_memory() -> int:
    """This machine's memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def format_bytes(n: float) -> str:
    """``n`` bytes as MiB or GiB, for messages."""
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / MIB:.0f} MiB"
