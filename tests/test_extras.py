"""Optional dependencies: a missing one is refused by name, with the extra that brings it; the
core install (what the service image holds) imports the service and the CLI without them."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from fraudforge.foundation.extras import (
    EXTRA_MODULES,
    MissingExtraError,
    missing_extras,
    require,
)

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
        (["audit", "nowhere"], "analytics"),
    ],
)
def test_commands_name_their_missing_extra(argv: list[str], extra: str) -> None:
    """A command that needs an extra exits 2 with the install line, before doing any work."""
    done = _run("import sys; from fraudforge.cli import main; sys.exit(main(sys.argv[1:]))", *argv)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"fraudforge[{extra}]" in done.stderr
    assert not (ROOT / "nowhere").exists()


def test_the_core_install_is_the_client() -> None:
    """``pip install fraudforge`` brings what the client needs (msgspec, httpx) and nothing of
    the stages; each stage's libraries come with its extra, and ``all`` and ``dev`` hold every
    stage (``dev`` all but Ray's extra, which it lists itself)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == ["msgspec>=0.19", "httpx>=0.27"]
    extras = project["optional-dependencies"]
    assert extras["client"] == []
    assert extras["all"] == ["fraudforge[engine,models,serve,tune,analytics,bench,ray]"]
    assert extras["dev"][0] == "fraudforge[engine,models,serve,tune,analytics,bench]"
    assert extras["tune"] == ["fraudforge[models]", "optuna>=4.0"]


def _requirement_name(line: str) -> str:
    return re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0].lower().replace("_", "-")


def test_extra_modules_are_the_extras_of_pyproject() -> None:
    """``EXTRA_MODULES`` (what the CLI checks) names every stage extra of pyproject.toml, and
    each extra's own distributions provide exactly the modules it lists."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(EXTRA_MODULES) == set(extras) - {"client", "all", "dev"}
    providers = metadata.packages_distributions()
    for extra, modules in EXTRA_MODULES.items():
        own = {_requirement_name(r) for r in extras[extra] if not r.startswith("fraudforge[")}
        provided = {m for m in modules for d in providers.get(m, []) if _requirement_name(d) in own}
        assert provided == set(modules), extra


def test_missing_extras_finds_without_importing() -> None:
    """Installed extras are not reported; a module a finder refuses is."""
    assert missing_extras(["engine", "models"]) == {}
    done = _run(
        "from fraudforge.foundation.extras import missing_extras; "
        "print(missing_extras(['engine', 'analytics', 'tune']))"
    )
    assert done.stdout.strip() == "{'analytics': ['plotly'], 'tune': ['optuna']}"
    with pytest.raises(KeyError):
        missing_extras(["nope"])


def test_a_command_names_every_extra_it_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    """``check_extras`` names the missing extras of a command in one install line, with the
    modules that are not there; a command of the engine alone is never refused."""
    from fraudforge.cli._command import check_extras
    from fraudforge.foundation import extras

    monkeypatch.setitem(extras.EXTRA_MODULES, "models", ("sklearn", "no_such_module_a"))
    monkeypatch.setitem(extras.EXTRA_MODULES, "serve", ("no_such_module_b",))
    check_extras("generate")
    with pytest.raises(MissingExtraError) as caught:
        check_extras("demo")
    assert str(caught.value) == (
        "fraudforge demo needs `pip install 'fraudforge[models,serve]'` "
        "(not installed: no_such_module_a, no_such_module_b)"
    )
