"""The feature kernels' Numba caches go stale together: a change to any kernel file recompiles
every kernel, since they call and inline each other across modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fraudforge.features import _jit, layout, online_kernel
from fraudforge.features import kernels as k


def test_every_kernel_uses_the_shared_stamp() -> None:
    """Batch, entity, finishing and online kernels are all stamped with every kernel file."""
    kernels: tuple[Any, ...] = (
        k.customer_pass,
        k.entity_pass,
        k.entity_step,
        k.entity_label,
        layout.finish_rows,
        online_kernel.online_txn,
    )
    for dispatcher in kernels:
        locator = dispatcher._cache._impl.locator
        assert isinstance(locator, _jit.KernelInTreeLocator | _jit.KernelUserDirLocator)
        assert locator.get_source_stamp() == _jit.sources_stamp(_jit.KERNEL_FILES)


def test_stamp_changes_with_any_file(tmp_path: Path) -> None:
    """Editing one file (not the caller's) changes the stamp; the same contents give the same."""
    copies = []
    for source in _jit.KERNEL_FILES:
        copy = tmp_path / source.name
        copy.write_bytes(source.read_bytes())
        copies.append(copy)
    before = _jit.sources_stamp(copies)
    assert before == _jit.sources_stamp(_jit.KERNEL_FILES)
    copies[0].write_text(copies[0].read_text() + "\n# edited\n")
    assert _jit.sources_stamp(copies) != before


def test_other_modules_keep_numba_default_locator() -> None:
    """Functions outside the kernel files are left to Numba's own locators."""
    assert (
        _jit.KernelInTreeLocator.from_function(
            test_other_modules_keep_numba_default_locator, __file__
        )
        is None
    )


def test_kernels_run_without_importing_scipy() -> None:
    """A fresh process that calls a kernel does not import scipy.linalg (Numba's BLAS check is
    skipped); importing it afterwards still gives Numba a working np.dot."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from fraudforge.features.batch import payee_key\n"
        "assert payee_key('a@upi') == payee_key('a@upi')\n"
        "print('scipy.linalg' in sys.modules)\n"
        "import numba, numpy as np\n"
        "dot = numba.njit(lambda a, b: np.dot(a, b))\n"
        "print(dot(np.ones((2, 2)), np.ones((2, 2))).sum())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "8.0"]
