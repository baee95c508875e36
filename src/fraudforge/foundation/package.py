"""This installation of fraudforge: its version, as manifests, the API document and
``fraudforge --version`` report it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """The installed fraudforge version ("0+unknown" when run from a source tree)."""
    try:
        return version("fraudforge")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"
