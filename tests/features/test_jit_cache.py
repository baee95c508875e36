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
        online_kernel.online_step,
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
