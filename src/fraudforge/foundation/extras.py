"""Optional dependencies: the parts of fraudforge that need more than the core install (the
scoring service needs none of them) import them through :func:`require`, which names the extra
that brings a missing one."""

from __future__ import annotations

import importlib
from types import ModuleType

from fraudforge.foundation.errors import FraudforgeError


class MissingExtraError(FraudforgeError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def install_hint(needed_by: str, extra: str) -> str:
    """A missing extra's install line: ``needed_by`` needs ``pip install 'fraudforge[extra]'``."""
    return f"{needed_by} needs `pip install 'fraudforge[{extra}]'`"


def require(
    module: str,
    extra: str,
    needed_by: str,
    *,
    error: type[MissingExtraError] = MissingExtraError,
) -> ModuleType:
    """``module`` imported, or ``error`` (a :class:`MissingExtraError`) with the install line of
    :func:`install_hint` and the import's own message."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise error(f"{install_hint(needed_by, extra)} ({exc})") from exc


__all__ = ["MissingExtraError", "install_hint", "require"]
