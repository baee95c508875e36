"""Atomic writes of whole directories and single files: everything goes into a hidden sibling,
which is renamed into place only once complete, so an interrupted run never leaves a partial
output where a complete one is expected (and a previous one survives a failure).

Replacing a directory is one atomic exchange where the platform has it (Linux ``renameat2``);
elsewhere it is two renames with SIGINT and SIGTERM held back between them, and a run that was
killed in between (SIGKILL, power loss) is repaired by the next write to the same target, which
puts the previous output back. Only a directory that holds the writer's own marker file (a
dataset's ``manifest.json``, a features directory's ``features.json``) is ever replaced, and
never the working directory, one of its parents, the home directory or the root.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import glob
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from fraudforge.foundation.errors import OutputExistsError, UnsafeOutputError

_PARTIAL = ".partial-"
_OLD = ".old-"


def _protected(path: Path) -> str | None:
    """Why ``path`` (resolved) must never be replaced, or None."""
    cwd = Path.cwd().resolve()
    if path == Path(path.anchor):
        return "it is the root directory"
    if path == cwd:
        return "it is the working directory"
    if cwd.is_relative_to(path):
        return "it holds the working directory"
    if path == Path.home().resolve():
        return "it is the home directory"
    return None


def check_target(out: Path, overwrite: bool, *, marker: str) -> None:
    """Refuse a target that is a file, a protected directory (root, home, the working directory
    or one of its parents), a non-empty directory without ``overwrite``, or, with ``overwrite``,
    a non-empty directory without ``marker``: a directory the writer did not make."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(str(out), "it is a file; give a directory")
    resolved = out.resolve()
    why = _protected(resolved)
    if why is not None:
        raise UnsafeOutputError(str(out), why)
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not overwrite:
        raise OutputExistsError(str(out))
    if not (out / marker).is_file():
        raise UnsafeOutputError(str(out), f"it has no {marker}, so fraudforge did not write it")


def _pid_of(name: str, tag: str) -> int | None:
    """The process id in a staged sibling's name (``.NAME.partial-PID[-TOKEN]``), if any."""
    rest = name.rsplit(tag, 1)[-1]
    head = rest.split("-", 1)[0]
    return int(head) if head.isascii() and head.isdigit() else None


def _alive(pid: int | None, *, own_is_stale: bool = False) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie does not: it has exited; unknown
    counts as alive, so its files are left alone). This process's own id counts as alive (a
    thread of ours may be writing) unless ``own_is_stale``: at start-up, a file with our id is
    a leftover of an earlier process that had the same id (a container's pids repeat)."""
    if pid is None:
        return True
    if pid == os.getpid():
        return not own_is_stale
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def _remove(path: Path) -> None:
    """Remove a file, a symbolic link or a directory tree, whichever ``path`` is."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def recover(out: Path) -> None:
    """Repair what a killed writer of ``out`` left: put a previous output moved aside back when
    ``out`` is missing, and remove staged siblings of processes that are gone."""
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        return
    for sibling in sorted(parent.glob(f".{glob.escape(out.name)}{_OLD}*")):
        if _alive(_pid_of(sibling.name, _OLD)):
            continue
        if not out.exists() and not out.is_symlink():
            sibling.rename(out)
        else:
            _remove(sibling)
    remove_stale_partials(out)


def remove_stale_partials(out: Path, *, own_is_stale: bool = False) -> list[Path]:
    """Remove the staged siblings of ``out`` (``.NAME.partial-PID-...``, files or directories)
    left by writers that died mid-write (a crash, SIGKILL, power cut); returns them."""
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        return []
    removed = []
    for sibling in sorted(parent.glob(f".{glob.escape(out.name)}{_PARTIAL}*")):
        if not _alive(_pid_of(sibling.name, _PARTIAL), own_is_stale=own_is_stale):
            _remove(sibling)
            removed.append(sibling)
    return removed


@contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the duration (main thread only; elsewhere a no-op) and
    deliver them after, so a few renames that must happen together are never split."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[tuple[int, FrameType | None]] = []
    previous = {
        sig: signal.signal(sig, lambda s, f: held.append((s, f)))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum, frame in held[:1]:
            handler = previous[signal.Signals(signum)]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


@functools.cache
def _renameat2() -> Any:
    """libc's ``renameat2`` (Linux, glibc 2.28 and later), or None where it is missing; looked
    up once, among the symbols the process has already loaded."""
    if not hasattr(os, "sched_getaffinity"):  # not Linux
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step; False where the platform or the file system
    cannot (the caller then falls back to two renames)."""
    fn = _renameat2()
    if fn is None:
        return False
    done: int = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def fsync_directory(path: Path) -> None:
    """Flush a directory's entries (a rename into it) to disk, so the rename survives a power
    cut; a no-op where directories cannot be opened (Windows) or flushed (some filesystems)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _token() -> str:
    """A name suffix unique to this process and call: ``PID-RANDOM``."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def _replace_directory(work: Path, out: Path) -> None:
    """Put the complete directory ``work`` where ``out`` is; the previous ``out`` is deleted
    only after the new one is in place, and never split from it by SIGINT or SIGTERM."""
    with held_signals():
        if not out.exists() and not out.is_symlink():
            work.rename(out)
        elif exchange(work, out):
            _remove(work)  # now the previous output
        else:
            old = out.parent / f".{out.name}{_OLD}{_token()}"
            out.rename(old)
            work.rename(out)
            _remove(old)
    fsync_directory(out.parent)


@contextmanager
def staged_directory(out: Path) -> Iterator[Path]:
    """Yield an empty work directory beside ``out``; on success it replaces ``out``, on any
    error (an interrupt included) it is removed and ``out`` is left as it was."""
    out = Path(out)
    recover(out)
    work = out.parent / f".{out.name}{_PARTIAL}{_token()}"
    work.mkdir(parents=True)
    try:
        yield work
        _replace_directory(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


@contextmanager
def staged_file(out: Path) -> Iterator[Path]:
    """Yield a temporary sibling path, unique to this call, to write ``out``'s content to; on
    success its data is flushed, it is renamed over ``out`` and the directory entry flushed; on
    any error it is removed. Concurrent writers each write their own temporary file."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    work = out.parent / f".{out.name}{_PARTIAL}{_token()}"
    try:
        yield work
        with open(work, "rb") as f:
            os.fsync(f.fileno())
        os.replace(work, out)
        fsync_directory(out.parent)
    except BaseException:
        work.unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` through ``staged_file``, so a reader sees the
    old file or the complete new one, never a partial write."""
    target = Path(path)
    with staged_file(target) as work:
        work.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return target
