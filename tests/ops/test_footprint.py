"""What the serving image installs: requirements-serve.txt is pinned by requirements.lock, and
the build's helpers do what they say (tests/service/test_serve_imports.py runs the serve path
and checks the file covers what it imports)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from fraudforge.foundation.errors import FraudforgeError
from fraudforge.ops.footprint import (
    OPTIONAL_IMPORTS,
    SERVE_REQUIREMENTS,
    canonical,
    distributions_of,
    missing_requirements,
    prune_bytecode,
    read_pins,
)

ROOT = Path(__file__).resolve().parents[2]


def test_pins_are_read_by_canonical_name(tmp_path: Path) -> None:
    path = tmp_path / "req.txt"
    path.write_text("# header\n\nPyYAML==6.0.4\ntyping_extensions==4.16.0  # why\n")
    assert read_pins(path) == {"pyyaml": "6.0.4", "typing-extensions": "4.16.0"}
    path.write_text("numpy>=2\n")
    with pytest.raises(FraudforgeError, match=r"req.txt:1: 'numpy>=2' is not a pin"):
        read_pins(path)


def test_canonical_names() -> None:
    assert [canonical(n) for n in ("Foo_Bar", "a.b-c", "polars-runtime-32")] == [
        "foo-bar",
        "a-b-c",
        "polars-runtime-32",
    ]


def test_the_serving_requirements_are_pinned_as_in_the_lock() -> None:
    serve = read_pins(ROOT / SERVE_REQUIREMENTS)
    lock = read_pins(ROOT / "requirements.lock")
    assert {name: lock.get(name) for name in serve} == serve
    # what the issue keeps out of the serving image
    assert not {"pyarrow", "ray", "plotly", "optuna", "matplotlib", "faker", "pandas"} & set(serve)
    # the service scores from the booster's text and the fraud-type arrays
    assert not {"lightgbm", "scikit-learn", "scipy", "skops", "joblib"} & set(serve)
    assert not set(OPTIONAL_IMPORTS) & set(serve)


def test_modules_map_to_their_distributions() -> None:
    modules = ["json", "numpy.linalg", "yaml", "fraudforge.cli", "sklearn.base", "no_such_mod"]
    assert distributions_of(modules) == {"numpy", "pyyaml", "scikit-learn"}
    assert missing_requirements(modules, {"numpy": "1"}) == ["pyyaml", "scikit-learn"]


def test_bytecode_of_modules_never_imported_is_removed(tmp_path: Path) -> None:
    for rel in ("pkg/__init__.py", "pkg/used.py", "pkg/unused.py", "pkg/sub/__init__.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    cache = {
        "pkg/__pycache__/__init__.cpython-312.pyc": 3,
        "pkg/__pycache__/used.cpython-312.pyc": 5,
        "pkg/__pycache__/unused.cpython-312.pyc": 7,
        "pkg/sub/__pycache__/__init__.cpython-312.pyc": 11,
    }
    for rel, size in cache.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x" * size)
    assert prune_bytecode(tmp_path, ["pkg", "pkg.used"]) == 18
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.pyc")) == [
        "pkg/__pycache__/__init__.cpython-312.pyc",
        "pkg/__pycache__/used.cpython-312.pyc",
    ]
    assert (tmp_path / "pkg/unused.py").exists()


def _stages(containerfile: str) -> list[str]:
    """The ``AS`` names of a Containerfile's stages, in order."""
    return re.findall(r"^FROM \S+ AS (\S+)$", containerfile, re.MULTILINE)


def test_the_images_and_compose_agree() -> None:
    """The serving image is the Containerfile's last (default) target, one layer run as user
    10001, and installs the serving requirements alone; compose builds the service from it and
    batch jobs from the batch target; the build context holds every file the Containerfile
    copies."""
    text = (ROOT / "Containerfile").read_text()
    stages = _stages(text)
    assert stages[-1] == "serve"
    assert "batch" in stages
    assert "--no-deps \\\n        --requirement requirements-serve.txt" in text
    # one layer, so what serve-root removes from the base is not in the image at all
    assert "FROM scratch AS serve\nCOPY --from=serve-root / /\n" in text
    assert "\nUSER 10001:10001\n" in text.split("FROM scratch AS serve", 1)[1]
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert services["fraudforge"]["build"]["target"] == "serve"
    assert services["batch"]["build"]["target"] == "batch"
    assert services["batch"]["volumes"] == services["fraudforge"]["volumes"]
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE)
    kept = {
        line[1:].rstrip("/")
        for line in (ROOT / ".containerignore").read_text().splitlines()
        if line.startswith("!")
    }
    assert {s for line in copied for s in line.split()} <= kept
