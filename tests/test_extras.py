"""Optional dependencies: a missing one is refused by name, with the extra that brings it; the
core install (what the service image holds) imports the service and the CLI without them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from fraudforge.foundation.extras import MissingExtraError, require

ROOT = Path(__file__).resolve().parents[1]


def test_require_returns_the_module() -> None:
    assert require("json", "x", "y").dumps([1]) == "[1]"


def test_require_names_the_extra() -> None:
    with pytest.raises(MissingExtraError) as caught:
        require("fraudforge_no_such_module", "analytics", "the report")
    message = str(caught.value)
    assert message.startswith("the report needs `pip install 'fraudforge[analytics]'`")
    assert "fraudforge_no_such_module" in message
    assert isinstance(caught.value, ImportError)


BLOCKED = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"optuna", "plotly", "matplotlib", "ray"}:
            raise ImportError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, Block())
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKED + code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_the_core_install_serves_and_trains_without_the_extras() -> None:
    """With optuna, plotly, matplotlib and ray unimportable, the service app, the CLI parser,
    training and the registry still import."""
    done = _run(
        "import fraudforge.service.app, fraudforge.cli, fraudforge.models.training, "
        "fraudforge.models.registry, fraudforge.features.online; "
        "fraudforge.cli.build_parser(); print('ok')"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["report", "--data", "nowhere", "--out", "r.html"], "analytics"),
        (["demo", "--rows", "1000", "--out", "nowhere"], "analytics"),
        (["tune", "--data", "nowhere", "--features", "nowhere", "--method", "bayes"], "tune"),
        (["bench", "scale", "--quick", "--out", "nowhere"], "bench"),
    ],
)
def test_commands_name_their_missing_extra(argv: list[str], extra: str) -> None:
    """A command that needs an extra exits 2 with the install line, before doing any work."""
    done = _run("import sys; from fraudforge.cli import main; sys.exit(main(sys.argv[1:]))", *argv)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"fraudforge[{extra}]" in done.stderr
    assert not (ROOT / "nowhere").exists()


def test_the_core_dependencies_leave_the_extras_out() -> None:
    """The image installs ``project.dependencies`` only: none of the extras' packages are in it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"])
    for name in ("optuna", "plotly", "matplotlib", "ray"):
        assert name not in core
    extras = project["optional-dependencies"]
    assert extras["tune"] == ["optuna>=4.0"]
    assert "fraudforge[tune,analytics,bench]" in extras["dev"]
