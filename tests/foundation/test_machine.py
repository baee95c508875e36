"""The C allocator hands large freed blocks back to the system once told to."""

from __future__ import annotations

import os
import platform

import numpy as np
import pytest

from fraudforge.foundation.machine import return_freed_memory


def _rss() -> int:
    """This process's resident bytes (``/proc/self/statm``)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_freed_blocks_leave_the_process() -> None:
    """After a large free (which by default raises glibc's mapping threshold, so later blocks
    come from the heap and stay resident), a freed 8 MiB block still leaves the process."""
    assert return_freed_memory()
    big = np.ones(16 * 1024**2 // 8)
    del big
    block = np.ones(8 * 1024**2 // 8)  # touched: resident
    held = _rss()
    del block
    assert held - _rss() >= 7 * 1024**2
