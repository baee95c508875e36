"""The public API documents its parameters the way Polars and scikit-learn do (numpydoc): the
docstring of every public function and method that takes parameters, and of every public class
with a constructor of its own, has a ``Parameters`` section naming each parameter, and names
none that it does not take.

Public means exported by a package's ``__all__``: the top-level ``fraudforge``, ``client``,
``wire``, ``engine``, ``features``, ``models``, ``analytics`` and ``foundation`` (its modules'
``__all__`` too); a class's public methods include its class and static methods. Data records
(msgspec Structs, dataclasses, named tuples) are documented by their fields' own docstrings
instead, but their public methods are checked like any other."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

PACKAGES = (
    "fraudforge",
    "fraudforge.client",
    "fraudforge.wire",
    "fraudforge.engine",
    "fraudforge.features",
    "fraudforge.models",
    "fraudforge.analytics",
    "fraudforge.foundation",
    "fraudforge.foundation.atomic",
    "fraudforge.foundation.errors",
    "fraudforge.foundation.extras",
    "fraudforge.foundation.hashing",
    "fraudforge.foundation.kernel_cache",
    "fraudforge.foundation.lazy",
    "fraudforge.foundation.machine",
    "fraudforge.foundation.package",
    "fraudforge.foundation.progress",
    "fraudforge.foundation.runtime",
)

SECTION = re.compile(r"^Parameters\n-{10,}\n(.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)", re.S | re.M)


def _is_record(cls: type) -> bool:
    return (
        dataclasses.is_dataclass(cls)
        or issubclass(cls, msgspec.Struct)
        or (issubclass(cls, tuple) and hasattr(cls, "_fields"))
    )


def _own_init(cls: type) -> Callable[..., Any] | None:
    """The constructor a class (or a fraudforge base) defines, if any."""
    for base in cls.__mro__:
        init = vars(base).get("__init__")
        if init is not None and getattr(base, "__module__", "").startswith("fraudforge"):
            return init  # type: ignore[no-any-return]
    return None


def _method(member: object) -> Callable[..., Any] | None:
    """The function behind a class attribute that is a method (plain, class or static)."""
    if isinstance(member, classmethod | staticmethod):
        member = member.__func__
    return member if inspect.isfunction(member) else None


def public_callables() -> Iterator[tuple[str, Callable[..., Any], str | None]]:
    """(qualified name, callable whose signature counts, docstring) of the public API."""
    seen: set[int] = set()  # an object exported twice is named after its first package
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if id(obj) in seen or not getattr(obj, "__module__", "").startswith("fraudforge"):
                continue
            seen.add(id(obj))
            qualified = f"{package}.{name}"
            if inspect.isfunction(obj):
                yield qualified, obj, inspect.getdoc(obj)
            elif inspect.isclass(obj):
                if not _is_record(obj):
                    init = _own_init(obj)
                    if init is not None:
                        yield qualified, init, inspect.getdoc(obj)
                for attr, member in vars(obj).items():
                    method = _method(member)
                    if not attr.startswith("_") and method is not None:
                        yield f"{qualified}.{attr}", method, inspect.getdoc(method)


def parameters(func: Callable[..., Any]) -> list[str]:
    """The parameters a caller passes (``self`` and ``cls`` left out)."""
    return [p for p in inspect.signature(func).parameters if p not in ("self", "cls")]


def documented(doc: str | None) -> list[str] | None:
    """The names of a docstring's ``Parameters`` section, or None without one."""
    found = SECTION.search(doc or "")
    if found is None:
        return None
    names: list[str] = []
    for line in found.group(1).splitlines():
        if line and not line[0].isspace():
            names += [n.strip().lstrip("*") for n in line.split(" : ")[0].split(",")]
    return names


def undocumented() -> dict[str, str]:
    """Each public callable whose docstring does not list its parameters, with what is wrong."""
    problems: dict[str, str] = {}
    for name, func, doc in public_callables():
        wanted = parameters(func)
        if not wanted:
            continue
        listed = documented(doc)
        if listed is None:
            problems[name] = "no Parameters section"
        elif sorted(listed) != sorted(wanted):
            problems[name] = f"documents {listed}, takes {wanted}"
    return problems


def test_documented_parses_a_numpydoc_section() -> None:
    doc = "Summary.\n\nParameters\n----------\na, b : int\n    Both.\n*args\n    More.\n"
    assert documented(doc + "\nReturns\n-------\nint\n    A number.\n") == ["a", "b", "args"]
    assert documented("Summary only.") is None


def test_the_public_api_lists_its_parameters() -> None:
    problems = undocumented()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in sorted(problems.items()))


def test_engine_features_and_class_methods_are_covered() -> None:
    names = {name for name, _, _ in public_callables()}
    assert {
        "fraudforge.generate",
        "fraudforge.Scenario.from_mapping",
        "fraudforge.features.build_features",
        "fraudforge.features.OnlineFeatures.process",
        "fraudforge.features.OnlineFeatures.from_state",
        "fraudforge.features.OutlierModel.fit",
    } <= names
