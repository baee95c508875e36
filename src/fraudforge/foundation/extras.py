"""Optional dependencies. The core install is the client (msgspec and httpx); every stage comes
with an extra of ``pyproject.toml``. :data:`EXTRA_MODULES` says which modules each extra brings,
:func:`missing_extras` which of them an install lacks (without importing anything), and
:func:`require` imports one or names the extra that brings it."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from types import ModuleType

from fraudforge.foundation.errors import FraudforgeError

EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "engine": ("numba", "numpy", "polars", "pyarrow", "yaml", "rich"),
    "models": ("sklearn", "skops", "lightgbm"),
    "serve": ("litestar", "uvicorn"),
    "tune": ("optuna",),
    "analytics": ("plotly",),
    "bench": ("matplotlib",),
    "ray": ("ray",),
}
"""The top-level modules each extra of ``pyproject.toml`` installs (its own packages, not those
of the extras it includes); ``tests/test_extras.py`` checks them against the distributions."""


class MissingExtraError(FraudforgeError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def install_hint(needed_by: str, extra: str) -> str:
    """The install line of a missing extra.

    Parameters
    ----------
    needed_by
        What needs it, as the sentence's subject (e.g. ``"the report"``).
    extra
        The extra of ``pyproject.toml`` that brings it (e.g. ``"analytics"``).

    Returns
    -------
    str
        ``needed_by`` needs ``pip install 'fraudforge[extra]'``.
    """
    return f"{needed_by} needs `pip install 'fraudforge[{extra}]'`"


def missing_extras(extras: Iterable[str]) -> dict[str, list[str]]:
    """The extras among ``extras`` that this install lacks, found without importing them.

    Parameters
    ----------
    extras
        Names of :data:`EXTRA_MODULES`.

    Returns
    -------
    dict[str, list[str]]
        Each extra with a missing module, in the order given, with the modules it lacks; empty
        when everything is installed.

    Raises
    ------
    KeyError
        For a name that is not an extra of :data:`EXTRA_MODULES`.
    """
    missing: dict[str, list[str]] = {}
    for extra in extras:
        absent = [m for m in EXTRA_MODULES[extra] if not _installed(m)]
        if absent:
            missing[extra] = absent
    return missing


def _installed(module: str) -> bool:
    """Whether a top-level module can be found (a finder that refuses it counts as not)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def require(
    module: str,
    extra: str,
    needed_by: str,
    *,
    error: type[MissingExtraError] = MissingExtraError,
) -> ModuleType:
    """Import an optional dependency, or say which extra to install.

    Parameters
    ----------
    module
        The module to import (e.g. ``"plotly"``).
    extra
        The extra of ``pyproject.toml`` that brings it.
    needed_by
        What needs it, for the message (see :func:`install_hint`).
    error
        The :class:`MissingExtraError` subclass to raise.

    Returns
    -------
    ModuleType
        The imported module.

    Raises
    ------
    MissingExtraError
        (``error``) with the install line of :func:`install_hint` and the import's own message,
        when the module cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise error(f"{install_hint(needed_by, extra)} ({exc})") from exc


__all__ = ["EXTRA_MODULES", "MissingExtraError", "install_hint", "missing_extras", "require"]
