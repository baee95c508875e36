"""Optional dependencies: the parts of fraudforge that need more than the core install (the
scoring service needs none of them) import them through :func:`require`, which names the extra
that brings a missing one."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def require(module: str, extra: str, needed_by: str) -> ModuleType:
    """``module`` imported, or :class:`MissingExtraError` saying that ``needed_by`` needs
    ``pip install 'fraudforge[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{needed_by} needs `pip install 'fraudforge[{extra}]'` ({exc})"
        ) from exc


__all__ = ["MissingExtraError", "require"]
