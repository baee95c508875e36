"""The GitHub Actions workflows pass actionlint (which catches a broken one), install what the
Makefile installs, and the release notes come from CHANGELOG.md's section for the tag."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
NOTES = ROOT / ".github" / "release_notes.py"


def _actionlint() -> str:
    """The actionlint binary of the dev extras (beside this interpreter, else on PATH)."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    assert found, "actionlint is not installed: the dev extras bring it (pip install -e .[dev])"
    return found


def _lint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_actionlint(), "-oneline", "-no-color", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _workflows() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def test_the_three_workflows_exist() -> None:
    """CI, CD and the benchmarks each have a workflow."""
    assert [p.name for p in _workflows()] == ["benchmark.yml", "cd.yml", "ci.yml"]


def test_workflows_pass_actionlint() -> None:
    """actionlint finds nothing in any workflow."""
    run = _lint(*_workflows())
    assert run.stdout == ""
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(
    ("name", "old", "new", "finding"),
    [
        ("ci.yml", "matrix.python-version", "matrix.python_version", "python_version"),
        ("cd.yml", "steps.meta.outputs.tags", "steps.metadata.outputs.tags", "metadata"),
        ("benchmark.yml", "runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04", "runs_on"),
    ],
)
def test_actionlint_fails_on_a_broken_copy(
    tmp_path: Path, name: str, old: str, new: str, finding: str
) -> None:
    """A copy with an undefined matrix key, an unknown step id or a misspelt key is refused,
    and the finding names what is wrong."""
    text = (WORKFLOWS / name).read_text()
    assert old in text
    broken = tmp_path / ".github" / "workflows" / name
    broken.parent.mkdir(parents=True)
    broken.write_text(text.replace(old, new, 1))
    run = _lint(broken)
    assert run.returncode == 1, run.stdout + run.stderr
    assert finding in run.stdout
    assert all(
        re.match(rf".*{re.escape(name)}:\d+:\d+: ", line) for line in run.stdout.splitlines()
    )


def test_ci_installs_like_the_makefile() -> None:
    """ci.yml pins the same pip and installs requirements.lock as constraints, as make does."""
    makefile = (ROOT / "Makefile").read_text()
    ci = (WORKFLOWS / "ci.yml").read_text()
    pip = re.search(r"'pip==[^']+'", makefile)
    assert pip is not None
    install = "-c requirements.lock -e '.[dev]'"
    assert install in makefile
    assert ci.count(f"python -m pip install {pip.group()}") == 2
    assert ci.count(f"python -m pip install {install}") == 2


def _notes(
    tmp_path: Path, tag: str, changelog: str, version: str
) -> subprocess.CompletedProcess[str]:
    log = tmp_path / "CHANGELOG.md"
    log.write_text(changelog)
    project = tmp_path / "pyproject.toml"
    project.write_text(f'[project]\nname = "x"\nversion = "{version}"\n')
    return subprocess.run(
        [sys.executable, str(NOTES), tag, "--changelog", str(log), "--pyproject", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )


CHANGELOG = """# Changelog

## [Unreleased]

### Added
- next thing

## [1.2.0] - 2026-11-30

### Added
- a feature

### Fixed
- a bug

## [1.1.0] - 2026-10-01

- older

[1.2.0]: https://example.invalid/compare/v1.1.0...v1.2.0
"""


def test_release_notes_are_the_tags_section(tmp_path: Path) -> None:
    """v1.2.0 gets exactly its section: not the unreleased one, the older one or the links."""
    run = _notes(tmp_path, "v1.2.0", CHANGELOG, "1.2.0")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "### Added\n- a feature\n\n### Fixed\n- a bug\n"
    last = _notes(tmp_path, "v1.1.0", CHANGELOG, "1.1.0")
    assert last.stdout == "- older\n"


@pytest.mark.parametrize(
    ("tag", "version", "message"),
    [
        ("v1.3.0", "1.3.0", "has no section `## [1.3.0]`"),
        ("v1.2.0", "1.2.1", "pyproject.toml's version is 1.2.1"),
        ("release-1", "1.2.0", "is not a version"),
    ],
)
def test_release_notes_refuse(tmp_path: Path, tag: str, version: str, message: str) -> None:
    """A tag with no section, one that disagrees with the package version, or no version at all
    fails the release with a message saying which."""
    run = _notes(tmp_path, tag, CHANGELOG, version)
    assert run.returncode == 1
    assert run.stdout == ""
    assert message in run.stderr


def test_the_package_version_has_release_notes() -> None:
    """CHANGELOG.md has a non-empty section for pyproject.toml's version, so tagging it works."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    run = subprocess.run(
        [sys.executable, str(NOTES), f"v{version}"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "### Added" in run.stdout
