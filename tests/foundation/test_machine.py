"""The C allocator hands large freed blocks back to the system once told to, or keeps them for
reuse; a process whose work is done ends after its exit handlers; the data commands start
OpenBLAS with one thread; ``features`` loads its libraries with the garbage collector paused and
runs with it on."""

from __future__ import annotations

import gc
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from fraudforge.foundation.machine import (
    BLAS_THREADS_VARIABLE,
    one_blas_thread,
    pause_collector,
    resume_collector,
)

_FREED_BLOCK = """
import os
import numpy as np
from fraudforge.foundation.machine import keep_freed_memory, return_freed_memory

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

{setup}
block = np.ones({mib} * 1024**2 // 8)  # touched: resident
held = rss()
del block
print(held - rss())
"""
"""The check, in a fresh interpreter: in a long-lived one (a test session) an earlier test's
freed heap chunks or thresholds can serve the block from the heap, where its free leaves RSS
unchanged."""


def _returned(setup: str, mib: int) -> int:
    """Bytes a fresh interpreter hands back on freeing a touched block of ``mib`` MiB, after
    running ``setup``."""
    done = subprocess.run(
        [sys.executable, "-c", _FREED_BLOCK.format(setup=setup, mib=mib)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_freed_blocks_leave_the_process() -> None:
    """After a large free (which by default raises glibc's mapping threshold, so later blocks
    come from the heap and stay resident), a freed 8 MiB block still leaves the process."""
    setup = "assert return_freed_memory()\nbig = np.ones(16 * 1024**2 // 8)\ndel big"
    returned = _returned(setup, 8)
    assert returned >= 7 * 1024**2, returned


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
@pytest.mark.parametrize("keep", [False, True])
def test_a_generating_process_keeps_freed_blocks(keep: bool) -> None:
    """By default glibc hands a freed 2 MiB block back at once (it was mapped on its own);
    once ``keep_freed_memory`` is set, the block came from the heap and stays for reuse."""
    returned = _returned("assert keep_freed_memory()" if keep else "", 2)
    if keep:
        assert returned < 256 * 1024, returned
    else:
        assert returned >= 2 * 1024**2 - 64 * 1024, returned


_ENDING = """
import atexit, sys
from fraudforge.foundation.machine import end_process
atexit.register(lambda: print("handler ran", file=sys.stderr))
sys.stdout.write("unflushed output")
end_process(3)
print("never reached")
"""


def test_end_process_runs_exit_handlers_and_flushes() -> None:
    """A process ended by ``end_process`` exits with its code, after its exit handlers, with
    its buffered output written, and does nothing after."""
    done = subprocess.run([sys.executable, "-c", _ENDING], capture_output=True, text=True)
    assert done.returncode == 3
    assert done.stdout == "unflushed output"
    assert done.stderr == "handler ran\n"


def test_one_blas_thread_is_a_default_only() -> None:
    """The data commands' processes start OpenBLAS with one thread unless told otherwise: the
    variable is set where absent and a value already there is kept."""
    env: dict[str, str] = {}
    one_blas_thread(env)
    assert env == {BLAS_THREADS_VARIABLE: "1"}
    env = {BLAS_THREADS_VARIABLE: "4", "OTHER": "x"}
    one_blas_thread(env)
    assert env == {BLAS_THREADS_VARIABLE: "4", "OTHER": "x"}


@pytest.mark.parametrize(
    ("command", "blas"), [("generate", "1"), ("features", "1"), ("train", "None")]
)
def test_the_data_commands_start_with_one_blas_thread(command: str, blas: str) -> None:
    """``fraudforge generate`` and ``features`` run as a process set ``OPENBLAS_NUM_THREADS=1``
    before NumPy loads (their helper processes inherit it); another command leaves it unset."""
    probe = (
        "import os, sys\n"
        "from fraudforge.cli import main\n"
        "try:\n"
        "    main([sys.argv[1], '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != BLAS_THREADS_VARIABLE}
    done = subprocess.run(
        [sys.executable, "-c", probe, command], env=env, capture_output=True, text=True, check=False
    )
    assert done.stdout.split()[-1:] == [blas], done.stderr[-2000:]


def test_the_collector_resumes_only_if_paused_here() -> None:
    """``pause_collector`` stops a running collector and ``resume_collector`` restarts it once;
    a collector stopped by someone else stays stopped."""
    assert gc.isenabled()
    try:
        assert pause_collector()
        assert not gc.isenabled()
        assert not pause_collector()  # already stopped: not this call's to restart
        resume_collector()
        assert gc.isenabled()
        gc.disable()
        assert not pause_collector()
        resume_collector()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_features_runs_with_the_collector_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fraudforge features`` computes with the collector running (it is paused only while
    the libraries load) and leaves it running, also when it stops early with an error."""
    import fraudforge.features.pipeline as pipeline
    from fraudforge.cli import main

    seen: list[bool] = []

    def build(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        raise SystemExit(3)

    monkeypatch.setattr(pipeline, "build_features", build)
    (tmp_path / "data").mkdir()
    with pytest.raises(SystemExit):
        main(["features", "--in", str(tmp_path / "data"), "--out", str(tmp_path / "f")])
    assert seen == [True]
    assert gc.isenabled()
    assert main(["features"]) == 2  # no dataset: refused before any work
    assert gc.isenabled()
