"""The release history and the compose environment file: exact contents on small inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from fraudforge.ops.releases import (
    Release,
    current_image,
    previous_image,
    read_history,
    read_variable,
    record,
    set_variable,
)


def _release(image: str | None, model: str = "fraud-model:1") -> Release:
    return Release(at="2026-01-01T00:00:00+00:00", action="deploy", image=image, model=model)


def test_set_variable_replaces_only_its_line(tmp_path: Path) -> None:
    """Other lines (comments, exports, other variables) stay as they were; a repeated
    assignment collapses to one; a missing file is created."""
    env = tmp_path / ".env"
    env.write_text("# images\nFRAUDFORGE_MODEL=fraud-model@production\n"
                   "export FRAUDFORGE_IMAGE=a:1\nFRAUDFORGE_IMAGE=a:0\nOTHER=x\n")  # fmt: skip
    set_variable(env, "fraudforge:2")
    assert env.read_text() == (
        "# images\nFRAUDFORGE_MODEL=fraud-model@production\nFRAUDFORGE_IMAGE=fraudforge:2\n"
        "OTHER=x\n"
    )
    assert read_variable(env) == "fraudforge:2"
    fresh = tmp_path / "new" / ".env"
    set_variable(fresh, "fraudforge:1")
    assert fresh.read_text() == "FRAUDFORGE_IMAGE=fraudforge:1\n"
    assert read_variable(tmp_path / "missing") is None


@pytest.mark.parametrize("bad", ["", "  ", "a\nb"])
def test_set_variable_refuses_a_value_that_is_not_one_line(tmp_path: Path, bad: str) -> None:
    """An empty or multi-line value would corrupt the file: refused, file untouched."""
    env = tmp_path / ".env"
    env.write_text("FRAUDFORGE_IMAGE=a:1\n")
    with pytest.raises(ValueError, match="allowed is one non-empty line"):
        set_variable(env, bad)
    assert env.read_text() == "FRAUDFORGE_IMAGE=a:1\n"


def test_history_round_trips_and_appends(tmp_path: Path) -> None:
    """Each record appends; reading gives the releases back in order."""
    path = tmp_path / "history.json"
    assert read_history(path) == []
    record(path, _release("a:1"))
    record(path, _release(None, "fraud-model:2"))
    assert read_history(path) == [_release("a:1"), _release(None, "fraud-model:2")]


def test_history_that_is_not_one_is_refused(tmp_path: Path) -> None:
    """A corrupt history names the file rather than being overwritten."""
    path = tmp_path / "history.json"
    path.write_text('{"releases": [{"at": 1}]}')
    with pytest.raises(ValueError, match="is not a release history"):
        record(path, _release("a:1"))
    assert path.read_text() == '{"releases": [{"at": 1}]}'


def test_previous_image_toggles_like_an_undo() -> None:
    """Model-only releases are skipped; the previous image is the newest one that differs
    from the current, so rolling back twice returns to where the first rollback started."""
    releases = [_release("a:1"), _release("a:2"), _release(None, "fraud-model:3"), _release("a:2")]
    assert current_image(releases) == "a:2"
    assert previous_image(releases) == "a:1"
    after = [*releases, _release("a:1")]
    assert previous_image(after) == "a:2"
    with pytest.raises(ValueError, match="only image a:1 was ever deployed"):
        previous_image([_release("a:1"), _release(None)])
    with pytest.raises(ValueError, match="no image recorded"):
        previous_image([_release(None)])
