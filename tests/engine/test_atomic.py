"""Single-file atomic writes: the old file or the complete new one, never a partial write."""

from __future__ import annotations

from pathlib import Path

import pytest

from fraudforge.engine.atomic import staged_file, write_atomic


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
