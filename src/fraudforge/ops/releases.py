"""What has been deployed: a history file of releases (image tag and model version, newest
last) and the compose environment file whose ``FRAUDFORGE_IMAGE`` line picks the image. Both
are rewritten atomically, so an interrupted deploy leaves the previous file whole."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import msgspec

from fraudforge.foundation.atomic import write_atomic
from fraudforge.foundation.errors import ConfigError, DataError

IMAGE_VARIABLE = "FRAUDFORGE_IMAGE"
"""The variable compose.yaml reads the service's image from."""

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=")


class Release(msgspec.Struct, kw_only=True, frozen=True):
    """One deploy or rollback: when, which image and which model version were put in place."""

    at: str
    """UTC time, ISO 8601."""
    action: str
    """``deploy``, ``rollback``, or ``baseline``: the image found in place before the first
    recorded image deploy."""
    image: str | None = None
    model: str | None = None
    """``NAME:VERSION`` served afterwards."""


class History(msgspec.Struct, kw_only=True):
    """The history file's contents."""

    releases: list[Release] = msgspec.field(default_factory=list)


def now() -> str:
    """The current UTC time as a history timestamp."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_history(path: str | Path) -> list[Release]:
    """The releases recorded in ``path``, oldest first (none when it does not exist)."""
    file = Path(path)
    if not file.is_file():
        return []
    try:
        return msgspec.json.decode(file.read_bytes(), type=History).releases
    except msgspec.DecodeError as exc:
        raise DataError(f"history file {file} is not a release history: {exc}") from None


def record(path: str | Path, release: Release) -> list[Release]:
    """Append ``release`` to the history in ``path`` (atomically); returns the new history."""
    releases = [*read_history(path), release]
    write_atomic(path, msgspec.json.format(msgspec.json.encode(History(releases=releases))))
    return releases


def current_image(releases: Sequence[Release]) -> str | None:
    """The image of the newest release that set one."""
    return next((r.image for r in reversed(releases) if r.image), None)


def previous_image(releases: Sequence[Release]) -> str:
    """The image in place before the current one: the newest recorded image that differs from
    it (so a second rollback goes back to the release the first one left)."""
    current = current_image(releases)
    if current is None:
        raise DataError("no image recorded in the history: nothing to roll back to")
    for release in reversed(releases):
        if release.image and release.image != current:
            return release.image
    raise DataError(f"only image {current} was ever deployed: nothing to roll back to")


def set_variable(path: str | Path, value: str, *, name: str = IMAGE_VARIABLE) -> None:
    """Set ``name=value`` in the environment file ``path`` (created when missing), keeping
    every other line as it is."""
    if "\n" in value or not value.strip():
        raise ConfigError(f"invalid value {value!r} for {name}: allowed is one non-empty line")
    file = Path(path)
    lines = file.read_text().splitlines() if file.is_file() else []
    assignment = f"{name}={value}"
    kept = []
    replaced = False
    for line in lines:
        m = _ASSIGNMENT.match(line)
        if m is not None and m["name"] == name:
            if not replaced:
                kept.append(assignment)
                replaced = True
            continue
        kept.append(line)
    if not replaced:
        kept.append(assignment)
    write_atomic(file, "\n".join(kept) + "\n")


def read_variable(path: str | Path, *, name: str = IMAGE_VARIABLE) -> str | None:
    """The value of ``name`` in the environment file ``path``, if set there."""
    file = Path(path)
    if not file.is_file():
        return None
    found = None
    for line in file.read_text().splitlines():
        m = _ASSIGNMENT.match(line)
        if m is not None and m["name"] == name:
            found = line[m.end() :].strip()
    return found


__all__ = [
    "IMAGE_VARIABLE",
    "History",
    "Release",
    "current_image",
    "now",
    "previous_image",
    "read_history",
    "read_variable",
    "record",
    "set_variable",
]
