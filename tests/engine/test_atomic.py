"""Atomic writes: the old output or the complete new one, never a partial write, whatever
interrupts the writer; and the outputs that overwriting may never replace."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from fraudforge.engine.errors import OutputExistsError, UnsafeOutputError
from fraudforge.foundation import atomic
from fraudforge.foundation.atomic import check_target, staged_file, write_atomic


def test_write_atomic_text_and_bytes(tmp_path: Path) -> None:
    """Text is written as UTF-8, bytes as given; parent folders are made; no temporary is left."""
    target = tmp_path / "sub" / "report.md"
    assert write_atomic(target, "₹ 1,500\n") == target
    assert target.read_bytes() == "₹ 1,500\n".encode()
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    """An error while writing leaves the previous content and removes the partial file."""
    target = tmp_path / "model.json"
    target.write_text("old")

    def interrupted_write() -> None:
        with staged_file(target) as work:
            work.write_text("half of the ne")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        interrupted_write()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


# --- what --overwrite may replace, and what an interrupt or a crash leaves ---------------------


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("where", ["cwd", "parent", "home", "root"])
def test_protected_directories_are_never_replaced(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The working directory, its parents, home and the root are refused even with overwrite
    and even when they hold a manifest: replacing them would pull the ground from under a shell."""
    inner = tmp_path / "outer" / "inner"
    inner.mkdir(parents=True)
    (tmp_path / "outer" / "manifest.json").write_text("{}")
    (inner / "manifest.json").write_text("{}")
    monkeypatch.chdir(inner)
    monkeypatch.setenv("HOME", str(tmp_path / "outer"))
    target = {"cwd": Path("."), "parent": Path(".."), "home": Path("~").expanduser()}.get(
        where, Path("/")
    )
    why = {
        "cwd": "it is the working directory",
        "parent": "it holds the working directory",
        "home": "it holds the working directory",  # home is a parent of cwd here
        "root": "it is the root directory",
    }[where]
    with pytest.raises(UnsafeOutputError, match=why):
        check_target(target, True, marker="manifest.json")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnsafeOutputError, match="it is the home directory"):
        check_target(tmp_path / "outer", True, marker="manifest.json")


def test_overwrite_needs_the_marker(tmp_path: Path) -> None:
    """Overwrite replaces a directory with the writer's marker file, nothing else; a file as
    target and a non-empty directory without overwrite are refused; an empty one is fine."""
    out = tmp_path / "out"
    check_target(out, False, marker="manifest.json")
    out.mkdir()
    check_target(out, False, marker="manifest.json")
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(OutputExistsError, match="not empty"):
        check_target(out, False, marker="manifest.json")
    with pytest.raises(UnsafeOutputError, match=r"has no manifest\.json"):
        check_target(out, True, marker="manifest.json")
    (out / "manifest.json").write_text("{}")
    check_target(out, True, marker="manifest.json")
    with pytest.raises(OutputExistsError, match="it is a file"):
        check_target(out / "thesis.tex", True, marker="manifest.json")


def _dataset(path: Path, text: str) -> None:
    path.mkdir()
    (path / "manifest.json").write_text(text)


@pytest.mark.parametrize("atomic_exchange", [True, False])
def test_signal_between_the_renames_is_held_back(
    atomic_exchange: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGINT that arrives in the middle of replacing the output is delivered only once the new
    output is in place: the target is the complete new output, the old one is gone, no sibling is
    left, with the atomic exchange and with the two-rename fallback."""
    out = tmp_path / "out"
    _dataset(out, "old")
    real_rename, real_exchange = Path.rename, atomic.exchange

    def rename_then_signal(self: Path, target: Path) -> Path:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right inside the swap
        return real_rename(self, target)

    def exchange_then_signal(a: Path, b: Path) -> bool:
        os.kill(os.getpid(), signal.SIGINT)
        return atomic_exchange and real_exchange(a, b)

    def write() -> None:
        with atomic.staged_directory(out) as work:
            (work / "manifest.json").write_text("new")
            monkeypatch.setattr(Path, "rename", rename_then_signal)
            monkeypatch.setattr(atomic, "exchange", exchange_then_signal)

    with pytest.raises(KeyboardInterrupt):
        write()
    assert (out / "manifest.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_interrupt_while_writing_keeps_the_previous_output(tmp_path: Path) -> None:
    """Ctrl-C while the new output is being written removes it and keeps the previous one."""
    out = tmp_path / "out"
    _dataset(out, "old")

    def write() -> None:
        with atomic.staged_directory(out) as work:
            (work / "manifest.json").write_text("half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write()
    assert (out / "manifest.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_killed_swap_is_repaired_by_the_next_write(tmp_path: Path) -> None:
    """A writer killed between moving the old output aside and putting the new one in place
    (SIGKILL, power loss) leaves the output missing; the next write to it puts the previous
    output back first, and removes the dead writer's staged files. A live writer's are kept."""
    out = tmp_path / "out"
    dead, live = _dead_pid(), os.getpid()
    _dataset(tmp_path / f".out.old-{dead}-0a0b", "previous")
    _dataset(tmp_path / f".out.partial-{dead}-1c1d", "half")
    _dataset(tmp_path / f".out.partial-{live}-2e2f", "another writer's")
    atomic.recover(out)
    assert (out / "manifest.json").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".out.partial-{live}-2e2f", "out"]


def test_concurrent_file_writers_never_corrupt(tmp_path: Path) -> None:
    """Threads writing the same file each use their own temporary name: whatever the order,
    the file is one writer's complete content and no temporary is left."""
    target = tmp_path / "state.bin"
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    for _ in range(5):
        threads = [threading.Thread(target=write_atomic, args=(target, p)) for p in payloads]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert target.read_bytes() in payloads
        assert [p.name for p in tmp_path.iterdir()] == ["state.bin"]


def test_held_signals_delivers_after_the_block() -> None:
    """SIGINT inside ``held_signals`` raises KeyboardInterrupt only when the block ends."""
    done = []

    def block() -> None:
        with atomic.held_signals():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("rest of the block ran")

    with pytest.raises(KeyboardInterrupt):
        block()
    assert done == ["rest of the block ran"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
