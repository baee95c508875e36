"""Packages that import their modules when a name is first used (PEP 562), so that importing
one light module (the client's wire types) does not load the whole stage and its heavy
libraries. A package lists its public names once, as the imports of its ``if TYPE_CHECKING:``
block: type checkers read them there, and ``lazy_exports`` reads the same block to know where
each name lives."""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _typing_imports(source: str) -> dict[str, str]:
    """Name -> module of the ``from MODULE import NAME`` lines in the source's top-level
    ``if TYPE_CHECKING:`` block."""
    where: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                if isinstance(item, ast.ImportFrom) and item.module:
                    where.update({a.asname or a.name: item.module for a in item.names})
    return where


def lazy_exports(package: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: a name its ``TYPE_CHECKING`` block
    imports is imported from that module on first use and kept on the package."""
    module = sys.modules[package]
    assert module.__file__ is not None
    where = _typing_imports(Path(module.__file__).read_text(encoding="utf-8"))

    def getattr_(name: str) -> Any:
        source = where.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        setattr(module, name, value)
        return value

    def dir_() -> list[str]:
        return sorted(set(vars(module)) | set(where))

    return getattr_, dir_
