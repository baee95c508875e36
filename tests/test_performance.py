"""The [performance] settings: file < environment < flags; refusals name what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from fraudforge.foundation.machine import MIB, physical_memory
from fraudforge.foundation.runtime import (
    ENV,
    SETTINGS_FILE,
    Performance,
    load_performance,
    parse_bytes,
)
from fraudforge.service.settings import ENV_PREFIX, Settings, load_settings


def _settings(tmp_path: Path, body: str, name: str = "perf.toml") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    """Each later source wins for the settings it sets; the others keep the earlier value."""
    path = _settings(
        tmp_path,
        "[performance]\nthreads = 1\nshard_size = 256\nchunk_shards = 3\nmemory_limit = '1GiB'\n",
    )
    from_file = load_performance(settings=path, environ={})
    assert from_file == Performance(threads=1, shard_size=256, chunk_shards=3, memory_limit=1024**3)
    env = {"FRAUDFORGE_THREADS": "2", "FRAUDFORGE_MEMORY_LIMIT": "1500MB"}
    from_env = load_performance(settings=path, environ=env)
    assert from_env == Performance(
        threads=2, shard_size=256, chunk_shards=3, memory_limit=1_500_000_000
    )
    flags = {"threads": 1, "chunk_shards": 5, "shard_size": None, "memory_limit": "512MiB"}
    assert load_performance(settings=path, environ=env, overrides=flags) == Performance(
        threads=1, shard_size=256, chunk_shards=5, memory_limit=512 * MIB
    )


def test_working_directory_file_is_the_default(tmp_path: Path) -> None:
    """Without --settings, fraudforge.toml in the working directory is read when present."""
    assert load_performance(environ={}, cwd=tmp_path) == Performance()
    _settings(tmp_path, "[performance]\nchunk_shards = 7\n", SETTINGS_FILE)
    assert load_performance(environ={}, cwd=tmp_path) == Performance(chunk_shards=7)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1024, 1024), ("2GiB", 2 * 1024**3), ("1.5G", 3 * 1024**3 // 2), ("300 MB", 300_000_000)],
)
def test_sizes(value: object, expected: int) -> None:
    """Sizes take binary (K, M, G, KiB..) and decimal (KB, MB, GB) units."""
    assert parse_bytes(value) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"threads": 0}, "`threads` = 0 (from --threads): allowed is an integer from 1 to 256"),
        (
            {"shard_size": 10},
            "`shard_size` = 10 (from --shard-size): allowed is an integer from 64",
        ),
        ({"chunk_shards": 0}, "`chunk_shards` = 0 (from --chunk-shards): allowed is an integer"),
        (
            {"memory_limit": "1MB"},
            "`memory_limit` = '1MB' (from --memory-limit): allowed is a size",
        ),
        ({"memory_limit": "lots"}, "`memory_limit` = 'lots'"),
        ({"FRAUDFORGE_THREADS": "two"}, "`threads` = 'two' (from FRAUDFORGE_THREADS)"),
        ({"FRAUDFORGE_MEMORY_LIMIT": "100TiB"}, "this machine's memory"),
    ],
)
def test_bad_values_are_refused(source: dict[str, object], message: str) -> None:
    """A bad value names the setting, where it came from and what is allowed."""
    env = {k: str(v) for k, v in source.items() if k.startswith("FRAUDFORGE_")}
    flags = {k: v for k, v in source.items() if not k.startswith("FRAUDFORGE_")}
    with pytest.raises(ValueError, match="invalid performance setting") as info:
        load_performance(environ=env, overrides=flags, cwd=Path("/nonexistent"))
    assert message in str(info.value)


def test_memory_limit_range_names_the_machine(tmp_path: Path) -> None:
    """The allowed range of memory_limit is 128 MiB up to this machine's memory."""
    path = _settings(tmp_path, "[performance]\nmemory_limit = 1000\n")
    with pytest.raises(ValueError, match=r"allowed is a size from 128 MiB to") as info:
        load_performance(settings=path, environ={})
    assert f"[performance] in {path}" in str(info.value)
    top = load_performance(environ={}, overrides={"memory_limit": physical_memory()})
    assert top.memory_limit == physical_memory()


def test_unknown_keys_and_files(tmp_path: Path) -> None:
    """An unknown key, a missing file and broken TOML are refused by name."""
    path = _settings(tmp_path, "[performance]\nthreds = 2\n")
    with pytest.raises(ValueError, match=r"unknown performance setting `threds`.*allowed are"):
        load_performance(settings=path, environ={})
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_performance(settings=tmp_path / "missing.toml", environ={})
    broken = _settings(tmp_path, "[performance\n", "broken.toml")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_performance(settings=broken, environ={})


def test_environment_names_do_not_collide_with_the_service() -> None:
    """No performance variable is one the service reads (FRAUDFORGE_<FIELD>)."""
    service = {ENV_PREFIX + name.upper() for name in Settings.__struct_fields__}
    assert not service & set(ENV.values())


def test_one_file_configures_the_service_and_performance(tmp_path: Path) -> None:
    """The service's settings ignore a [performance] table; performance reads only that."""
    path = _settings(
        tmp_path,
        f"registry = '{tmp_path}'\nport = 9001\n[thresholds]\nflag = 0.2\n"
        "[performance]\nthreads = 1\nmemory_limit = '2GiB'\n",
        "fraudforge.toml",
    )
    service = load_settings(toml=path, environ={})
    assert service.port == 9001
    assert service.thresholds is not None
    assert service.thresholds.flag == 0.2
    assert load_performance(settings=path, environ={}) == Performance(
        threads=1, memory_limit=2 * 1024**3
    )
