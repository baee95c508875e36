"""The client installs alone: fraudforge built as a wheel from this tree and installed with its
core dependencies (``pip install fraudforge``, pinned by requirements.lock) into a fresh venv has
none of the stages' libraries, imports ``fraudforge.client``, names the extra its command line
needs, and scores against the real service on 127.0.0.1 run from the test's own environment.

Its only network use is pip's (the build backend and the client's requirements): it tries pip's
configured local wheels first (``--no-index``), then the configured index, and is skipped with
pip's message when neither has them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from fraudforge.features.replay import load_snapshot
from fraudforge.foundation.extras import EXTRA_MODULES
from fraudforge.service.app import create_app
from fraudforge.service.scoring import Scorer
from fraudforge.wire import ModelInfo, ScoreResult, Transaction

from .conftest import Deployment
from .live import live_server
from .test_app import settings_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
STAGE_MODULES = sorted({m for modules in EXTRA_MODULES.values() for m in modules})
"""Every library an extra brings (polars, numba, numpy, lightgbm, sklearn, litestar, ...)."""
CLIENT_DISTRIBUTIONS = {"msgspec", "httpx", "httpcore", "h11", "anyio", "idna", "certifi"} | {
    "sniffio",
    "typing-extensions",
    "typing_extensions",
    "exceptiongroup",
}
"""msgspec, httpx and what httpx and anyio require on Python 3.11 or later."""

SCORE = """
import json, sys
import msgspec
from fraudforge.client import Client, RetryPolicy, Transaction

url, key = sys.argv[1], sys.argv[2]
txns = msgspec.json.decode(sys.stdin.buffer.read(), type=list[Transaction])
with Client(url, api_key=key, batch_size=7, retry=RetryPolicy(attempts=3)) as client:
    client.wait_until_ready(timeout=120)
    single = [client.score(t) for t in txns[:5]]
    batch = client.score_batch(txns[5:])
    info = client.model_info()
loaded = sorted({m.split(".")[0] for m in sys.modules})
sys.stdout.buffer.write(
    msgspec.json.encode({"results": single + batch, "model": info, "loaded": loaded})
)
"""


class Answer(msgspec.Struct):
    """What the light venv's script prints."""

    results: list[ScoreResult]
    model: ModelInfo
    loaded: list[str]


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """This environment's pip acting on the venv of ``python`` (pip's ``--python``), without
    ``PYTHONPATH``: a source tree on it would show pip fraudforge as installed already."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check",
         *args],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip


def _install(python: Path, *args: str) -> None:
    """``pip install ARGS`` from pip's local wheels, else from its index; skip when neither
    has what is asked."""
    offline = _pip(python, "install", "--no-index", *args)
    if offline.returncode == 0:
        return
    online = _pip(python, "install", *args)
    if online.returncode != 0:
        pytest.skip(f"pip cannot install {args[-1]} (no index reachable?): {online.stderr[-600:]}")


@pytest.fixture(scope="module")
def light(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv holding fraudforge's wheel and its core dependencies only."""
    root = tmp_path_factory.mktemp("light-client")
    tree = root / "tree"  # a copy: building writes build/ and *.egg-info beside the sources
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__"))
    python = root / "venv" / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", root / "venv"], check=True)
    built = _pip(python, "wheel", "--no-deps", "--wheel-dir", str(root / "dist"), str(tree))
    if built.returncode != 0:
        pytest.skip(f"pip cannot build the wheel (no index for setuptools?): {built.stderr[-600:]}")
    (wheel,) = (root / "dist").glob("fraudforge-*.whl")
    _install(python, "--constraint", str(LOCK), str(wheel))
    return python


def test_the_core_install_is_the_client_and_is_pinned(light: Path) -> None:
    """Only msgspec, httpx and httpx's own requirements are installed, each at its
    requirements.lock pin; none of the stages' libraries can be imported."""
    frozen = _pip(light, "list", "--format", "freeze", "--exclude", "fraudforge")
    installed = set(frozen.stdout.split())
    pins = {line.strip() for line in LOCK.read_text().splitlines()}
    assert installed - pins == set()
    names = {line.split("==")[0].lower() for line in installed}
    assert {"msgspec", "httpx"} <= names
    assert names <= CLIENT_DISTRIBUTIONS
    probe = "import importlib.util as u, json; print(json.dumps([m for m in {} if u.find_spec(m)]))"
    found = subprocess.run(
        [light, "-c", probe.format(STAGE_MODULES)], capture_output=True, text=True, check=True
    )
    assert json.loads(found.stdout) == []


def test_the_command_line_names_the_extra(light: Path, tmp_path: Path) -> None:
    """``fraudforge --version`` works in the light install; any command exits 2 with the line
    that installs the engine, and does nothing."""
    tool = light.parent / "fraudforge"
    version = subprocess.run([tool, "--version"], capture_output=True, text=True)
    assert (version.returncode, version.stdout.strip()) == (0, "fraudforge 0.1.0")
    for argv in (["--help"], ["generate", "--rows", "100", "--out", str(tmp_path / "data")]):
        done = subprocess.run([tool, *argv], capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        assert "pip install 'fraudforge[engine]'" in done.stderr
        assert "is the client alone" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()


def test_the_light_client_scores_against_the_real_service(
    light: Path, deployment: Deployment, tmp_path: Path
) -> None:
    """The client of the light venv scores 40 transactions (5 one by one, the rest in batches
    of 7) against the service run here: the results equal an in-process scorer's on the same
    stream, and the client loaded nothing of the stages."""
    state = tmp_path / "state.npz"
    sent = deployment.rest[:40]
    with live_server(create_app(settings_for(deployment, state)), ready=False) as url:
        done = subprocess.run(
            [light, "-c", SCORE, url, deployment.score_key],
            input=json.dumps(sent), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    answer = msgspec.json.decode(done.stdout, type=Answer)
    got = answer.results
    assert (answer.model.name, answer.model.version) == (deployment.name, 1)
    assert [r.transaction_id for r in got] == [t["transaction_id"] for t in sent]
    scorer = Scorer.from_registry(
        deployment.registry, deployment.name, load_snapshot(deployment.snapshot), version=1
    )
    txns = msgspec.json.decode(json.dumps(sent), type=list[Transaction])
    expected = [scorer.score(t) for t in txns]
    assert [r.fraud_probability for r in got] == [e.fraud_probability for e in expected]
    assert [r.decision for r in got] == [e.decision for e in expected]
    assert not set(answer.loaded) & set(STAGE_MODULES)
