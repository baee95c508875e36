"""What ``fraudforge serve`` needs installed, found by running it: ``exercise`` starts the real
service on a registry, waits for ``/ready``, scores one transaction, reads ``/metrics`` and stops
it with SIGTERM (writing its snapshot), and returns every module the server process imported.
``distributions_of`` maps those modules to the installed distributions they come from.

The serving container image installs only ``requirements-serve.txt`` (pins taken from
``requirements.lock``): its build runs ``exercise`` (which also compiles the service's kernels
into the image's Numba cache) and fails when the service does not start or score, and
``prune_bytecode`` then drops the bytecode of modules the service never imports. The tests
check that the file covers every distribution the serve path imports.

``python -m fraudforge.ops.footprint exercise|check|prune`` runs each step from a shell.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path

from fraudforge.foundation.errors import FraudforgeError

SERVE_REQUIREMENTS = "requirements-serve.txt"
"""The serving image's requirements, relative to the repository root."""

OPTIONAL_IMPORTS: dict[str, str] = {
    "attrs": "litestar registers its attrs plugin only when attrs is installed",
    "charset-normalizer": "numpy.f2py reads it when present; nothing here compiles Fortran",
    "coverage": "numba's coverage support, for coverage runs",
    "iniconfig": "pytest's, imported with it",
    "pandas": "scikit-learn and lightgbm convert pandas frames when pandas is installed",
    "pluggy": "pytest's, imported with it",
    "psutil": "joblib's process pool, which a served model never starts",
    "pyarrow": "pandas' Arrow support, imported with pandas",
    "pygments": "pytest's terminal output, imported with it",
    "pytest": "scikit-learn's test helpers import it when installed (skops lists all estimators)",
    "python-dateutil": "pandas', imported with it",
    "scipy": "numba checks SciPy's version when SciPy is installed; the service never uses it",
    "setuptools": "its distutils shim, loaded by site when setuptools is installed",
    "watchfiles": "uvicorn's reloader (--reload), never used by the service",
    "websockets": "uvicorn's WebSocket protocol; the service has no WebSocket route",
}
"""Distributions the serve path imports only when they are installed (each library falls back
when they are not), with who imports them: left out of the serving image."""

_PROBE = """\
import atexit, json, sys
def _dump(path=sys.argv[1]):
    with open(path, "w") as f:
        json.dump(sorted(sys.modules), f)
atexit.register(_dump)
from fraudforge.cli import main
sys.argv = ["fraudforge", *sys.argv[2:]]
sys.exit(main())
"""
"""The server process: ``fraudforge`` with every imported module written out at exit."""


class FootprintError(FraudforgeError, RuntimeError):
    """The service did not start, score or stop as expected while its imports were recorded."""


def canonical(name: str) -> str:
    """A distribution name normalised as PEP 503 does (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: str | Path) -> dict[str, str]:
    """The ``name==version`` lines of a requirements file, by canonical name (comments and blank
    lines skipped); any other line is an error naming it."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise FraudforgeError(
                f"{path}:{number}: {raw.strip()!r} is not a pin; allowed is NAME==VERSION"
            )
        pins[canonical(name.strip())] = version.strip()
    return pins


def distributions_of(modules: Iterable[str]) -> set[str]:
    """The canonical names of the installed distributions that provide ``modules`` (standard
    library, built-in and fraudforge's own modules left out)."""
    provided = md.packages_distributions()
    found: set[str] = set()
    for top in {m.split(".", 1)[0] for m in modules}:
        if top in sys.stdlib_module_names or top == "fraudforge":
            continue
        found.update(canonical(d) for d in provided.get(top, ()))
    found.discard("fraudforge")
    return found


def missing_requirements(modules: Iterable[str], requirements: dict[str, str]) -> list[str]:
    """The distributions ``modules`` come from that neither ``requirements`` nor
    ``OPTIONAL_IMPORTS`` name, sorted."""
    return sorted(distributions_of(modules) - set(requirements) - set(OPTIONAL_IMPORTS))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 2.0, data: bytes | None = None) -> bytes:
    headers = {"content-type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())


def _wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _get(base + "/ready")
            return
        except (OSError, urllib.error.URLError):
            if server.poll() is not None:
                raise FootprintError(f"the service exited with {server.returncode}") from None
            if time.monotonic() > deadline:
                raise FootprintError(f"the service was not ready within {timeout:g} s") from None
            time.sleep(0.05)


def sample_transaction(data: str | Path) -> bytes:
    """The newest transaction of a dataset as a ``POST /v1/score`` body, timestamped now."""
    from fraudforge.engine.dataset import scan_dataset
    from fraudforge.wire import IST, Transaction

    row = (
        scan_dataset(data, "transactions")
        .sort("timestamp")
        .tail(1)
        .select(list(Transaction.__struct_fields__))
        .collect()
        .to_dicts()[0]
    )
    row["timestamp"] = dt.datetime.now(IST).replace(tzinfo=None, microsecond=0)
    body = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}
    return json.dumps(body).encode()


def exercise(
    registry: str | Path,
    state: str | Path,
    *,
    model: str = "fraud-model@production",
    data: str | Path | None = None,
    features: str | Path | None = None,
    timeout: float = 600.0,
    log: str | Path | None = None,
) -> list[str]:
    """Serve ``model`` from ``registry`` (warm-started from ``data`` and
    ``features`` when ``state`` does not exist yet), score one transaction of ``data`` (or only
    read ``/metrics`` without it), stop with SIGTERM; returns the modules the server imported,
    sorted. The environment (``NUMBA_CACHE_DIR`` included) is inherited."""
    port = _free_port()
    modules = Path(state).with_name(Path(state).name + ".modules.json")
    args = ["serve", "--registry", str(registry), "--model", model, "--state", str(state)]
    args += ["--port", str(port)]
    if data is not None:
        args += ["--data", str(data)]
    if features is not None:
        args += ["--features", str(features)]
    out = open(log, "wb") if log is not None else None  # noqa: SIM115
    sink = out if out is not None else subprocess.DEVNULL
    server = subprocess.Popen(
        [sys.executable, "-c", _PROBE, str(modules), *args], stdout=sink, stderr=sink
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server, timeout)
        if data is not None:
            result = json.loads(_get(base + "/v1/score", timeout=60, data=sample_transaction(data)))
            if result.get("decision") not in ("ALLOW", "FLAG", "REVIEW", "BLOCK"):
                raise FootprintError(f"the service scored without a decision: {result}")
        _get(base + "/metrics")
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=120)
        if out is not None:
            out.close()
    if code not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
        raise FootprintError(f"the service exited with {code} on SIGTERM")
    names: list[str] = json.loads(modules.read_text())
    modules.unlink()
    return names


def prune_bytecode(root: str | Path, modules: Iterable[str]) -> int:
    """Remove the bytecode (``__pycache__/*.pyc``) under site-packages directory ``root`` of
    every module not in ``modules``; returns the bytes freed. A pruned module still imports,
    from its source; it is only compiled again in memory when imported."""
    root, keep = Path(root), set(modules)
    freed = 0
    for pyc in root.rglob("__pycache__/*.pyc"):
        package = pyc.parent.parent.relative_to(root).parts
        stem = pyc.name.split(".", 1)[0]
        name = ".".join(package if stem == "__init__" else (*package, stem))
        if name not in keep:
            freed += pyc.stat().st_size
            pyc.unlink()
    return freed


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fraudforge.ops.footprint", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("exercise", help="serve, score once, stop; write the imported modules")
    ex.add_argument("--registry", required=True)
    ex.add_argument("--state", required=True, help="snapshot path (warm start when missing)")
    ex.add_argument("--data")
    ex.add_argument("--features")
    ex.add_argument("--modules", required=True, help="JSON list of modules to write")
    ex.add_argument("--log", help="the server's output")
    check = sub.add_parser("check", help="fail when the modules need an unlisted distribution")
    check.add_argument("--modules", required=True)
    check.add_argument("--requirements", required=True)
    prune = sub.add_parser("prune", help="remove the bytecode of modules never imported")
    prune.add_argument("--modules", required=True)
    prune.add_argument("--root", required=True, help="site-packages directory")
    args = parser.parse_args(argv)
    if args.command == "exercise":
        names = exercise(
            args.registry, args.state, data=args.data, features=args.features, log=args.log
        )
        Path(args.modules).write_text(json.dumps(names))
        print(f"the service imported {len(names)} modules; scored and stopped cleanly")
        return 0
    names = json.loads(Path(args.modules).read_text())
    if args.command == "prune":
        freed = prune_bytecode(args.root, names)
        print(f"removed {freed / 1e6:.1f} MB of bytecode of modules the service never imports")
        return 0
    missing = missing_requirements(names, read_pins(args.requirements))
    if missing:
        print(f"the serve path imports {', '.join(missing)}, not in {args.requirements}")
        return 1
    return 0


__all__ = [
    "OPTIONAL_IMPORTS",
    "SERVE_REQUIREMENTS",
    "FootprintError",
    "canonical",
    "distributions_of",
    "exercise",
    "missing_requirements",
    "prune_bytecode",
    "read_pins",
    "sample_transaction",
]

if __name__ == "__main__":
    raise SystemExit(_main())
