"""Writing a whole output directory atomically: everything goes into a hidden sibling, which is
renamed into place only once complete, so an interrupted run never leaves a partial directory
where a complete one is expected (and a previous one survives a failure)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fraudforge.engine.errors import OutputExistsError


def check_target(out: Path, overwrite: bool) -> None:
    """Refuse a target that is a file, or a non-empty directory without ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(str(out))
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(str(out))


@contextmanager
def staged_directory(out: Path) -> Iterator[Path]:
    """Yield an empty work directory beside ``out``; on success it replaces ``out``, on any
    error it is removed and ``out`` is left as it was."""
    work = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        yield work
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            work.rename(out)
            shutil.rmtree(old)
        else:
            work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


@contextmanager
def staged_file(out: Path) -> Iterator[Path]:
    """Yield a temporary sibling path to write ``out``'s content to; on success it is renamed
    over ``out`` (with its data flushed to disk first), on any error it is removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        yield work
        with open(work, "rb") as f:
            os.fsync(f.fileno())
        os.replace(work, out)
    except BaseException:
        work.unlink(missing_ok=True)
        raise
