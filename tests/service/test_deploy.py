"""scripts/deploy, scripts/rollback and scripts/health-check as an operator runs them: real
processes against a real server on 127.0.0.1 serving from a copy of the deployment's registry
(version 1 in production, version 2 in staging)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fraudforge.models.registry import Registry
from fraudforge.ops.deploy import DeployError, Target, previous_production
from fraudforge.ops.releases import read_history, read_variable
from fraudforge.service.app import create_app

from .conftest import Deployment
from .live import live_server

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
ENV = {**os.environ, "PYTHON": sys.executable}


def run(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """One script run with this interpreter, in ``cwd``."""
    return subprocess.run(
        [str(SCRIPTS / script), *args], cwd=cwd, env=ENV, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@dataclass(frozen=True)
class Live:
    """A running server over its own registry copy, with the admin key."""

    url: str
    registry: Path
    key: str
    name: str
    work: Path

    def args(self) -> list[str]:
        """Options every deploy and rollback run takes."""
        return ["--url", self.url, "--api-key", self.key, "--registry", str(self.registry),
                "--timeout", "30"]  # fmt: skip

    def stages(self) -> dict[int, str]:
        """Version -> stage in the registry."""
        return {v.version: v.stage for v in Registry(self.registry).list(self.name)}

    def served(self) -> tuple[str, int]:
        """What /v1/model says is served."""
        info = httpx.get(self.url + "/v1/model", headers={"x-api-key": self.key}).json()
        return info["name"], info["version"]


@pytest.fixture
def live(deployment: Deployment, tmp_path: Path) -> Iterator[Live]:
    """A ready server on a fresh copy of the registry (deploys change it)."""
    registry = tmp_path / "registry"
    shutil.copytree(deployment.registry, registry)
    settings = deployment.settings(tmp_path / "state.npz", registry=str(registry))
    with live_server(create_app(settings)) as url:
        yield Live(url, registry, deployment.admin_key, deployment.name, tmp_path)


def test_deploy_then_rollback_twice(live: Live) -> None:
    """Deploy v2: promoted, served, v1 archived, recorded. Rollback: v1 served and in
    production again, v2 archived. A second rollback returns to v2."""
    name = live.name
    done = run("deploy", f"{name}:2", *live.args(), cwd=live.work)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"deploy: {live.url} serves {name}:2"
    assert live.served() == (name, 2)
    assert live.stages() == {1: "archived", 2: "production"}
    assert previous_production(live.registry, name) == 1
    back = run("rollback", *live.args(), cwd=live.work)
    assert back.returncode == 0, back.stderr
    assert live.served() == (name, 1)
    assert live.stages() == {1: "production", 2: "archived"}
    again = run("rollback", *live.args(), cwd=live.work)
    assert again.returncode == 0, again.stderr
    assert live.served() == (name, 2)
    history = read_history(live.work / ".deploy-history.json")
    assert [(r.action, r.model) for r in history] == [
        ("deploy", f"{name}:2"), ("rollback", f"{name}:1"), ("rollback", f"{name}:2"),
    ]  # fmt: skip
    metrics = httpx.get(live.url + "/metrics").text
    assert "fraudforge_model_swaps_total 3" in metrics
    assert f'fraudforge_model_info{{name="{name}",version="2"}} 1.0' in metrics


def test_deploy_by_name_or_stage(live: Live) -> None:
    """With --registry, NAME alone is its production version (v1 here, though v2 is newer)
    and NAME@STAGE the newest version in that stage."""
    done = run("deploy", live.name, *live.args(), cwd=live.work)
    assert done.returncode == 0, done.stderr
    assert live.served() == (live.name, 1)
    done = run("deploy", f"{live.name}@staging", *live.args(), cwd=live.work)
    assert done.returncode == 0, done.stderr
    assert live.served() == (live.name, 2)
    assert live.stages() == {1: "archived", 2: "production"}


def test_deploy_refusals_change_nothing(live: Live, deployment: Deployment) -> None:
    """An unknown version is refused by the registry before the service is touched; a key
    without the admin scope is refused by the service (403); both exit 1 and leave v1 served."""
    unknown = run("deploy", f"{live.name}:9", *live.args(), cwd=live.work)
    assert unknown.returncode == 1
    assert f"model {live.name} has no version 9: allowed are 1-2" in unknown.stderr
    args = live.args()
    args[args.index("--api-key") + 1] = deployment.score_key
    forbidden = run("deploy", f"{live.name}:2", *args, cwd=live.work)
    assert forbidden.returncode == 1
    assert "answered 403" in forbidden.stderr
    assert "lacks scope `admin`" in forbidden.stderr
    assert live.served() == (live.name, 1)
    assert live.stages() == {1: "production", 2: "staging"}
    assert not (live.work / ".deploy-history.json").exists()


def test_usage_errors_exit_2(live: Live) -> None:
    """Nothing to deploy, an image without a restart command, a bare name without a registry,
    a rollback without a registry: exit 2 with the fix in the message."""
    cases = {
        ("deploy", "--url", live.url): "nothing to deploy",
        ("deploy", "--image", "fraudforge:2", "--url", live.url): "--image needs --restart CMD",
        ("deploy", live.name, "--url", live.url): f"give {live.name}:VERSION or --registry DIR",
        ("rollback", "--url", live.url): "rolling back the model needs --registry DIR",
    }
    for (script, *args), message in cases.items():
        done = run(script, *args, cwd=live.work)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr


def test_image_deploy_and_rollback_through_the_restart_command(live: Live) -> None:
    """--image writes FRAUDFORGE_IMAGE to the env file and runs --restart with it in the
    environment (the image found there first is recorded as the baseline); rollback
    --image-only restores the previous tag and leaves the model; a second one undoes it."""
    (live.work / ".env").write_text("FRAUDFORGE_IMAGE=fraudforge:0.0.9\n")
    seen = live.work / "restarted.txt"
    restart = (f"{sys.executable} -c \"import os, pathlib; p = pathlib.Path('{seen}'); "
               "p.write_text(p.read_text() + os.environ['FRAUDFORGE_IMAGE'] + ' ' "
               "if p.exists() else os.environ['FRAUDFORGE_IMAGE'] + ' ')\"")  # fmt: skip
    for tag in ("fraudforge:0.1.0", "fraudforge:0.2.0"):
        done = run("deploy", "--image", tag, "--restart", restart, *live.args(), cwd=live.work)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().endswith(f"on image {tag}")
    assert read_variable(live.work / ".env") == "fraudforge:0.2.0"
    back = run("rollback", "--image-only", "--restart", restart, *live.args(), cwd=live.work)
    assert back.returncode == 0, back.stderr
    assert read_variable(live.work / ".env") == "fraudforge:0.1.0"
    assert seen.read_text().split() == ["fraudforge:0.1.0", "fraudforge:0.2.0", "fraudforge:0.1.0"]
    assert live.served() == (live.name, 1)
    history = read_history(live.work / ".deploy-history.json")
    assert [(r.action, r.image) for r in history] == [
        ("baseline", "fraudforge:0.0.9"), ("deploy", "fraudforge:0.1.0"),
        ("deploy", "fraudforge:0.2.0"), ("rollback", "fraudforge:0.1.0"),
    ]  # fmt: skip
    first = run("rollback", "--image-only", "--restart", restart, *live.args(), cwd=live.work)
    assert first.returncode == 0, first.stderr
    assert read_variable(live.work / ".env") == "fraudforge:0.2.0"


def test_failing_restart_command_fails_the_deploy(live: Live) -> None:
    """A restart command that exits non-zero stops the deploy with its stderr; nothing is
    recorded and the model is not touched."""
    restart = f"{sys.executable} -c \"import sys; sys.exit('compose: no such service')\""
    done = run("deploy", f"{live.name}:2", "--image", "fraudforge:9", "--restart", restart,
               *live.args(), cwd=live.work)  # fmt: skip
    assert done.returncode == 1
    assert "exited 1: compose: no such service" in done.stderr
    assert live.served() == (live.name, 1)
    assert not (live.work / ".deploy-history.json").exists()


def test_nothing_to_roll_back_to(deployment: Deployment, tmp_path: Path) -> None:
    """With only one version ever in production the rollback names that and exits 1."""
    registry = tmp_path / "registry"
    shutil.copytree(deployment.registry, registry)
    with pytest.raises(DeployError, match=r"no earlier production version .* now: v1\)"):
        previous_production(registry, deployment.name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_health_check_exit_codes(live: Live, deployment: Deployment, tmp_path: Path) -> None:
    """0 and the model when ready; 1 when nothing listens; 3 when live but never ready (a
    server whose startup was not run answers /ready 503 for ever)."""
    ok = run("health-check", "--url", live.url, "--timeout", "10", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert f"ready, serving {live.name}:1" in ok.stdout
    down = f"http://127.0.0.1:{_free_port()}"
    gone = run("health-check", "--url", down, "--timeout", "0.5", cwd=tmp_path)
    assert gone.returncode == 1
    assert "not live" in gone.stderr
    assert "Connection refused" in gone.stderr
    app = create_app(deployment.settings(tmp_path / "s.npz"), start=False)
    with live_server(app, ready=False) as url:
        starting = run("health-check", "--url", url, "--timeout", "0.6", cwd=tmp_path)
        live_only = run("health-check", "--url", url, "--live", "--quiet", cwd=tmp_path)
    assert starting.returncode == 3
    assert "live but not ready" in starting.stderr
    assert "503" in starting.stderr
    assert live_only.returncode == 0
    assert live_only.stdout == ""
    usage = run("health-check", "--timeout", "0", cwd=tmp_path)
    assert usage.returncode == 2


def test_target_waits_for_readiness_and_names_failure(tmp_path: Path) -> None:
    """Target.wait on a port with nothing behind it fails with the URL and the reason."""
    target = Target(url=f"http://127.0.0.1:{_free_port()}", timeout=0.3)
    with pytest.raises(DeployError, match=r"is not live after .*Connection refused"):
        target.wait()
