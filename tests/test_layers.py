"""The packages import along the data flow only: the foundation imports none of the stages, the
engine only the foundation, the wire (the types service and client share) only the foundation,
the client only the wire, and each stage only the stages before it (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fraudforge import foundation

SRC = Path(__file__).resolve().parents[1] / "src" / "fraudforge"
RANK = {
    "foundation": 0,
    "engine": 1,
    "wire": 1,
    "client": 2,
    "realism": 2,
    "features": 2,
    "models": 3,
    "analytics": 4,
    "service": 4,
    "distributed": 4,
    "ops": 5,
    "bench": 5,
    "cli": 6,
}
"""How far along the data flow each package is: it may import packages of lower or equal rank
(the stages of one rank do not import each other, checked below)."""


def _imports(path: Path) -> set[str]:
    """The fraudforge packages a module imports (at any depth, lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "fraudforge" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(RANK))
def test_no_import_against_the_data_flow(package: str) -> None:
    wrong = [
        f"{path.relative_to(SRC)} imports fraudforge.{target}"
        for path in sorted((SRC / package).rglob("*.py"))
        for target in _imports(path) - {package}
        if target in RANK and RANK[target] >= RANK[package]
    ]
    assert wrong == []


def test_the_foundation_stands_alone() -> None:
    """The foundation imports nothing of fraudforge but itself."""
    for path in sorted(Path(foundation.__file__).parent.glob("*.py")):
        assert _imports(path) <= {"foundation"}, path.name


def test_the_wire_and_the_client_stand_apart() -> None:
    """The wire imports only the foundation (and msgspec and the standard library); the client
    only the wire, never the service."""
    for package, allowed in (("wire", {"wire", "foundation"}), ("client", {"client", "wire"})):
        for path in sorted((SRC / package).glob("*.py")):
            assert _imports(path) <= allowed, path.name


def test_the_client_loads_no_stage() -> None:
    """``import fraudforge.client`` loads the wire types and httpx: no stage, not the service,
    none of the stages' libraries (NumPy included)."""
    import subprocess
    import sys

    heavy = (
        "numpy", "polars", "pyarrow", "numba", "lightgbm", "sklearn", "scipy", "litestar",
        "uvicorn", "fraudforge.engine", "fraudforge.models", "fraudforge.service",
    )  # fmt: skip
    code = (
        f"import sys, fraudforge.client\nprint(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_computing_features_loads_no_model_library() -> None:
    """The features pipeline needs Polars and Numba, not scikit-learn or LightGBM (whose import
    took a second of every ``fraudforge features`` run)."""
    import subprocess
    import sys

    heavy = ("lightgbm", "sklearn", "scipy.stats", "litestar")
    code = (
        "import sys, fraudforge.features.pipeline\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_lazy_packages_still_export_their_names() -> None:
    """A lazy package's ``TYPE_CHECKING`` imports are exactly its ``__all__``; every name
    resolves, and an unknown one is an AttributeError naming it."""
    import fraudforge
    import fraudforge.engine
    import fraudforge.features
    import fraudforge.models
    import fraudforge.service
    from fraudforge.foundation.lazy import _typing_imports

    packages = (fraudforge, fraudforge.engine, fraudforge.features, fraudforge.models)
    for package in (*packages, fraudforge.service):
        assert package.__file__ is not None
        listed = _typing_imports(Path(package.__file__).read_text(encoding="utf-8"))
        assert sorted(listed) == sorted(package.__all__), package.__name__
        for name in package.__all__:
            assert getattr(package, name) is not None, (package.__name__, name)
        with pytest.raises(AttributeError, match="has no attribute 'nope'"):
            package.nope  # noqa: B018
