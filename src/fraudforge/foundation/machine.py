"""This machine's resources as the stages plan with them: cores, memory, and how to print a
size."""

from __future__ import annotations

import os

MIB = 1024**2


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
