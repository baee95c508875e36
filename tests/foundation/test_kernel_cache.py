"""Seeding Numba's writable cache from a read-only directory of pre-compiled kernels (what the
serving image ships): the right files are copied, and Numba then loads them without compiling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fraudforge.foundation.kernel_cache import seed_from_environment, seed_kernel_cache


def _tree(root: Path, files: dict[str, bytes], mtime_ns: int = 1_700_000_000_000_000_000) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, ns=(mtime_ns, mtime_ns))


def test_missing_and_different_files_are_copied_and_others_kept(tmp_path: Path) -> None:
    seed, target = tmp_path / "seed", tmp_path / "cache"
    _tree(seed, {"a/k.nbi": b"index", "a/k.0.nbc": b"code", "b/f.nbi": b"new"})
    _tree(target, {"a/k.nbi": b"index", "b/f.nbi": b"old", "b/runtime.nbi": b"mine"})
    copied = seed_kernel_cache(seed, target)
    assert copied == [Path("a/k.0.nbc"), Path("b/f.nbi")]
    assert (target / "a/k.0.nbc").read_bytes() == b"code"
    assert (target / "b/f.nbi").read_bytes() == b"new"
    assert (target / "b/runtime.nbi").read_bytes() == b"mine"
    assert (target / "b/f.nbi").stat().st_mtime_ns == (seed / "b/f.nbi").stat().st_mtime_ns
    assert sorted(p.name for p in target.rglob("*")) == sorted(
        ["a", "b", "k.nbi", "k.0.nbc", "f.nbi", "runtime.nbi"]
    )
    assert seed_kernel_cache(seed, target) == []  # unchanged files are not copied again


def test_a_missing_seed_copies_nothing(tmp_path: Path) -> None:
    assert seed_kernel_cache(tmp_path / "none", tmp_path / "cache") == []
    assert not (tmp_path / "cache").exists()


def test_the_environment_names_seed_and_cache(tmp_path: Path) -> None:
    _tree(tmp_path / "seed", {"x.nbi": b"1"})
    env = {"FRAUDFORGE_KERNEL_SEED": str(tmp_path / "seed"), "NUMBA_CACHE_DIR": str(tmp_path / "c")}
    assert seed_from_environment({}) == []
    assert seed_from_environment({"FRAUDFORGE_KERNEL_SEED": env["FRAUDFORGE_KERNEL_SEED"]}) == []
    assert seed_from_environment(env) == [Path("x.nbi")]
    assert (tmp_path / "c" / "x.nbi").read_bytes() == b"1"


def test_a_cache_that_cannot_be_written_is_reported_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _tree(tmp_path / "seed", {"d/x.nbi": b"1"})
    (tmp_path / "file").write_text("not a directory")
    env = {"FRAUDFORGE_KERNEL_SEED": str(tmp_path / "seed")}
    assert seed_from_environment({**env, "NUMBA_CACHE_DIR": str(tmp_path / "file")}) == []
    assert "were not copied to" in capsys.readouterr().err


KERNEL = """\
import json, sys
import numba

@numba.njit(cache=True)
def twice(x):
    return 2 * x

print(json.dumps([twice(21), twice.stats.cache_hits.get(twice.signatures[0], 0)]))
"""
SEEDED = """\
import sys
from fraudforge.foundation.kernel_cache import seed_from_environment
seed_from_environment()
sys.path.insert(0, sys.argv[1])
import kernel
"""


def test_numba_loads_seeded_kernels_without_compiling(tmp_path: Path) -> None:
    """Compiled once into the seed; a run with an empty cache seeded from it is a cache hit."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "kernel.py").write_text(KERNEL)
    base = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR",)}

    def run(code: list[str], **env: str) -> list[int]:
        done = subprocess.run(
            [sys.executable, *code], env={**base, **env}, capture_output=True, text=True, check=True
        )
        result: list[int] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    seed, cache = tmp_path / "seed", tmp_path / "volume-cache"
    assert run([str(tmp_path / "src" / "kernel.py")], NUMBA_CACHE_DIR=str(seed)) == [42, 0]
    assert any(seed.rglob("*.nbc"))
    hit = run(
        ["-c", SEEDED, str(tmp_path / "src")],
        NUMBA_CACHE_DIR=str(cache),
        FRAUDFORGE_KERNEL_SEED=str(seed),
    )
    assert hit == [42, 1]
