"""Performance settings: threads, shard size, shards per file and a memory limit.

They come from the ``[performance]`` table of a TOML settings file (``--settings FILE``, else
``fraudforge.toml`` in the working directory when it exists), then ``FRAUDFORGE_THREADS``,
``FRAUDFORGE_SHARD_SIZE``, ``FRAUDFORGE_CHUNK_SHARDS`` and ``FRAUDFORGE_MEMORY_LIMIT``, then
command-line flags; each later source wins. Every value is checked, and a bad one is refused with
a message naming the setting, where it came from and what is allowed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from fraudforge.foundation.errors import ConfigError
from fraudforge.foundation.machine import MIB, format_bytes, physical_memory

SETTINGS_FILE = "fraudforge.toml"
"""Read from the working directory when no ``--settings`` file is given."""
TABLE = "performance"
ENV: dict[str, str] = {
    "threads": "FRAUDFORGE_THREADS",
    "shard_size": "FRAUDFORGE_SHARD_SIZE",
    "chunk_shards": "FRAUDFORGE_CHUNK_SHARDS",
    "memory_limit": "FRAUDFORGE_MEMORY_LIMIT",
}
"""The environment variable of each setting (none is a service setting's name)."""
MAX_THREADS = 256
MAX_CHUNK_SHARDS = 100_000
MIN_MEMORY = 128 * MIB
"""No run fits in less: the interpreter and its libraries alone take about 130 MiB."""
_UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kib": 1024, "kb": 1000,
    "m": 1024**2, "mib": 1024**2, "mb": 1000**2,
    "g": 1024**3, "gib": 1024**3, "gb": 1000**3,
    "t": 1024**4, "tib": 1024**4, "tb": 1000**4,
}  # fmt: skip


class Performance(msgspec.Struct, kw_only=True, frozen=True):
    """How a run uses the machine; ``None`` means the default (described per field). None of
    them changes the data except ``shard_size``, which is part of the scenario."""

    threads: int | None = None
    """Worker threads for generation and features (default: the usable cores)."""
    shard_size: int | None = None
    """Customers per shard (default: the scenario's, 512). Part of the data's definition."""
    chunk_shards: int | None = None
    """Shards per transactions file (default: about 2M rows a file)."""
    memory_limit: int | None = None
    """Peak memory, bytes, that a run plans for: it caps the shards in flight, the shards per
    file and the rows per entity bucket of ``features`` (default: no limit)."""


class _Value(msgspec.Struct):
    source: str
    raw: Any


def parse_bytes(value: Any) -> int:
    """Bytes from a size as a user writes it.

    Parameters
    ----------
    value
        An integer (bytes) or a string such as ``"2GiB"``, ``"512 MB"`` or ``"1.5G"`` (K, M, G,
        T and KiB, MiB, GiB, TiB are powers of 1024; KB, MB, GB, TB powers of 1000).

    Returns
    -------
    int
        The number of bytes.

    Raises
    ------
    ValueError
        For a boolean or a string that is not a size.
    """
    if isinstance(value, bool):
        raise ConfigError("a boolean")
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", str(value))
    if match is None or match.group(2).lower() not in _UNITS:
        raise ConfigError("not a size")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError("a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9_]+\s*", value):
        return int(value.replace("_", ""))
    raise ConfigError("not an integer")


def _check(name: str, item: _Value) -> int:
    """The checked value of one setting, or a ValueError naming it, its source and the range."""
    memory = physical_memory()
    allowed = {
        "threads": (1, MAX_THREADS, f"an integer from 1 to {MAX_THREADS}"),
        "shard_size": (64, 1_000_000, "an integer from 64 to 1,000,000 customers"),
        "chunk_shards": (1, MAX_CHUNK_SHARDS, f"an integer from 1 to {MAX_CHUNK_SHARDS:,}"),
        "memory_limit": (
            MIN_MEMORY,
            memory,
            f"a size from {format_bytes(MIN_MEMORY)} to {format_bytes(memory)} (this machine's "
            "memory), e.g. 2GiB or 1500MB",
        ),
    }
    lo, hi, text = allowed[name]
    try:
        value = parse_bytes(item.raw) if name == "memory_limit" else _integer(item.raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise ConfigError(
            f"invalid performance setting `{name}` = {item.raw!r} (from {item.source}): "
            f"allowed is {text}"
        )
    return value


def settings_path(settings: str | Path | None, cwd: Path | None = None) -> Path | None:
    """The settings file to read.

    Parameters
    ----------
    settings
        The file given (``--settings``), which must exist; None to look for the default.
    cwd
        Where to look for ``fraudforge.toml`` (default: the working directory).

    Returns
    -------
    pathlib.Path or None
        ``settings``, else ``cwd/fraudforge.toml`` when present, else None.

    Raises
    ------
    FileNotFoundError
        When ``settings`` is given and is not a file.
    """
    if settings is not None:
        path = Path(settings)
        if not path.is_file():
            raise FileNotFoundError(f"settings file {path} does not exist: give a TOML file")
        return path
    default = (cwd or Path.cwd()) / SETTINGS_FILE
    return default if default.is_file() else None


def _from_toml(path: Path) -> dict[str, _Value]:
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from None
    table = data.get(TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(f"settings file {path}: `{TABLE}` must be a table ([{TABLE}])")
    unknown = sorted(set(table) - set(ENV))
    if unknown:
        raise ConfigError(
            f"unknown performance setting `{unknown[0]}` in {path}: allowed are {', '.join(ENV)}"
        )
    return {k: _Value(f"[{TABLE}] in {path}", v) for k, v in table.items()}


def load_performance(
    *,
    settings: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> Performance:
    """The performance settings, each from the last of these that sets it.

    Parameters
    ----------
    settings
        A TOML file with a ``[performance]`` table (default: ``fraudforge.toml`` in ``cwd``
        when present; see :func:`settings_path`).
    environ
        Where the ``FRAUDFORGE_*`` variables are read (default: the process environment).
    overrides
        Command-line flags by setting name; ``None`` values are ignored.
    cwd
        The directory of the default settings file (default: the working directory).

    Returns
    -------
    Performance
        The checked settings; those set nowhere are None (their defaults).

    Raises
    ------
    ValueError
        Naming the setting, the value, where it came from and what is allowed, for an invalid
        or unknown setting or a settings file that is not valid TOML.
    FileNotFoundError
        When ``settings`` is given and does not exist.
    """
    found: dict[str, _Value] = {}
    path = settings_path(settings, cwd)
    if path is not None:
        found.update(_from_toml(path))
    env = os.environ if environ is None else environ
    for name, var in ENV.items():
        if var in env:
            found[name] = _Value(var, env[var])
    for name, value in (overrides or {}).items():
        if name not in ENV:
            raise ConfigError(f"unknown performance setting `{name}`: allowed are {', '.join(ENV)}")
        if value is not None:
            found[name] = _Value(f"--{name.replace('_', '-')}", value)
    return Performance(**{name: _check(name, item) for name, item in found.items()})


__all__ = [
    "ENV",
    "SETTINGS_FILE",
    "Performance",
    "load_performance",
    "parse_bytes",
    "settings_path",
]
