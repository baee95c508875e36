"""The ``fraudforge`` command: generate, demo, and errors that say what is allowed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fraudforge.cli import main
from fraudforge.engine.dataset import read_manifest
from fraudforge.foundation.errors import (
    ConfigError,
    DataError,
    ModelError,
    NotFoundError,
    NotLoadedError,
    UnsupportedTypeError,
)
from fraudforge.models.registry import Registry


def test_generate_writes_a_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`generate --rows` writes the dataset and prints counts by fraud and anomaly type."""
    out = tmp_path / "data"
    code = main(["generate", "--rows", "20000", "--seed", "3", "--out", str(out), "--days", "30"])
    assert code == 0
    m = read_manifest(out)
    assert m.resolved["seed"] == 3
    assert m.resolved["days"] == 30
    assert 18_000 < m.rows["transactions"] < 22_000
    printed = capsys.readouterr().out
    assert "by fraud type" in printed
    assert "by anomaly type" in printed
    assert "rows/s" in printed


def test_config_file_and_overrides(tmp_path: Path) -> None:
    """A config file is read and command-line flags override it."""
    config = tmp_path / "s.toml"
    config.write_text("seed = 5\ncustomers = 300\ndays = 20\nfraud_rate = 0.05\n")
    out = tmp_path / "data"
    assert (
        main(["generate", "--config", str(config), "--seed", "6", "--out", str(out), "--quiet"])
        == 0
    )
    m = read_manifest(out)
    assert m.resolved["seed"] == 6
    assert m.resolved["customers"] == 300
    assert m.resolved["fraud_rate"] == 0.05


def test_ipc_and_handbook(tmp_path: Path) -> None:
    """--format ipc and --preset handbook work together."""
    out = tmp_path / "hb"
    args = ["generate", "--preset", "handbook", "--customers", "200", "--merchants", "500"]
    assert main([*args, "--days", "10", "--format", "ipc", "--out", str(out), "--quiet"]) == 0
    m = read_manifest(out)
    assert m.format == "ipc"
    assert m.resolved["preset"] == "handbook"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fraud-rate", "2"], "`fraud_rate` = 2.0: allowed is 0 to 0.5"),
        (["--days", "0"], "`days` = 0"),
        (["--start-date", "1999-01-01"], "start_date"),
        (["--customers", "10", "--rows", "100"], "not both"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """User errors exit with status 2 and name the field, value and allowed range."""
    code = main(["generate", "--out", str(tmp_path / "x"), "--quiet", *argv])
    assert code == 2
    assert message in capsys.readouterr().err.replace("\n", " ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('seed = "abc"\n', "`seed` = 'abc': allowed is an integer (got a string)"),
        ('fraud_rate = "x"\n', "`fraud_rate` = 'x': allowed is a number (got a string)"),
        ("days = [1]\n", "`days` = [1]: allowed is an integer (got a list)"),
    ],
)
def test_config_file_errors_read_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    """A wrong type in a scenario file names the field, the value and the type wanted in words;
    a missing file is named as missing, not as a field."""
    config = tmp_path / "s.toml"
    config.write_text(text)
    assert main(["generate", "--config", str(config), "--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err.replace("\n", " ")
    missing = tmp_path / "missing.toml"
    assert main(["generate", "--config", str(missing), "--out", str(tmp_path / "x")]) == 2
    assert f"scenario file '{missing}' does not exist: give an existing .toml" in (
        capsys.readouterr().err.replace("\n", "")
    )


def test_existing_output_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A non-empty output directory needs --overwrite, which replaces only a dataset."""
    out = tmp_path / "data"
    out.mkdir()
    (out / "x").write_text("x")
    assert main(["generate", "--customers", "100", "--out", str(out), "--quiet"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    overwrite = ["generate", "--customers", "100", "--out", str(out), "--quiet", "--overwrite"]
    assert main(overwrite) == 2
    assert "it has no manifest.json, so fraudforge did not write it" in capsys.readouterr().err
    (out / "x").unlink()
    assert main(overwrite[:-1]) == 0
    assert main(overwrite) == 0


def test_demo_runs_small(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`demo` generates, computes features, trains and registers a model and its fraud-type
    model, writes the report of the model on its test week (printing its path), then serves the
    model and scores through the client (here at a small size)."""
    assert main(["demo", "--rows", "20000", "--out", str(tmp_path / "demo")]) == 0
    text = capsys.readouterr().out
    printed = text.replace("\n", "")
    assert "content hash" in text
    assert "registered fraud-lightgbm v1" in text
    assert "scored 12 transactions through the client with fraud-lightgbm v1" in text
    assert re.search(r"^(ALLOW|FLAG|REVIEW|BLOCK) +p=", text, re.MULTILINE)
    assert "service stopped (exit code 0)" in text
    reg = Registry(tmp_path / "demo" / "registry", create=False)
    version, types = reg.list()
    assert (types.name, types.kind, types.stage) == ("fraud-lightgbm-type", "logistic", "staging")
    assert (version.name, version.version, version.stage, version.kind) == (
        "fraud-lightgbm",
        1,
        "staging",
        "lightgbm",
    )
    assert version.metric("roc_auc") is not None
    assert version.data_hash == read_manifest(tmp_path / "demo" / "data").content_hash
    assert reg.load("fraud-lightgbm", stage="staging", check_catalog=True).kind == "lightgbm"
    report = tmp_path / "demo" / "report.html"
    assert str(report.resolve()) in printed
    assert "fraud-lightgbm@staging" in report.read_text()


def test_version_and_defaults_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    """``fraudforge --version`` prints the installed version; ``generate --help`` gives the
    defaults a user would otherwise have to guess (rows, seed, days, start date)."""
    from fraudforge.foundation.package import package_version

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"fraudforge {package_version()}"
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for default in ("about 1.3M rows", "(default: 42)", "(default: 90)", "2025-09-01"):
        assert default in text


def test_serve_help_shows_its_limits_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """`serve --help` names the default of every limit, from the settings' own defaults."""
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for phrase in (
        "requests/s per key (default: 2,000)",
        "requests a key may send at once (default: 4,000)",
        "transactions per batch request at most (default: 1,000)",
        "request body size at most, bytes (default: 1,048,576)",
        "amount_inr of a transaction at most (default: 10,000,000)",
        "(default: info)",
    ):
        assert phrase in text


def test_features_take_the_dataset_as_an_argument_or_as_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``fraudforge features DATA --out F`` is ``--in DATA``: the same files; two different
    datasets, or none, are refused with exit 2 and what to give."""
    import polars as pl

    data = tmp_path / "data"
    generate = ["generate", "--customers", "200", "--days", "20", "--out", str(data), "--quiet"]
    assert main(generate) == 0
    one, two = tmp_path / "f1", tmp_path / "f2"
    assert main(["features", str(data), "--out", str(one), "--quiet"]) == 0
    assert main(["features", "--in", str(data), "--out", str(two), "--quiet"]) == 0
    files = sorted(p.relative_to(one) for p in one.rglob("*.parquet"))
    assert files
    for f in files:
        assert pl.read_parquet(one / f).equals(pl.read_parquet(two / f))
    capsys.readouterr()
    other = ["features", str(data), "--in", str(tmp_path / "x"), "--out", str(tmp_path / "f3")]
    assert main(other) == 2
    assert "two datasets given" in capsys.readouterr().err
    assert main(["features", "--out", str(tmp_path / "f3")]) == 2
    assert "a dataset (DATA or --in DATA)" in capsys.readouterr().err


def test_feature_catalogue_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`features --list --json` prints the catalogue's rows: 69 features, each named once."""
    import json

    assert main(["features", "--list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 69
    assert len({r["name"] for r in rows}) == 69
    assert {r["group"] for r in rows} == {"fraud", "anomaly", "interaction"}


def test_a_closed_pipe_ends_the_command_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that goes away (`fraudforge ... | head -1`) stops the command with exit 141,
    as Unix tools do, instead of a traceback; what is left to print goes nowhere."""
    import os
    import sys

    def closed() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("fraudforge.features.catalog.catalog_rows", closed)
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "w") as pipe:
        monkeypatch.setattr(sys, "stdout", pipe)
        assert main(["features", "--list", "--json"]) == 141
        print("more output", file=pipe)  # now goes to /dev/null: no second BrokenPipeError
        pipe.flush()


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (NotFoundError("customer_id 9 is unknown"), "error: customer_id 9 is unknown"),
        (ConfigError("`k` = 0: allowed is 1 or more"), "error: `k` = 0: allowed is 1 or more"),
        (DataError("cannot split an empty dataset"), "error: cannot split an empty dataset"),
        (ModelError("not a fraud-type model"), "error: not a fraud-type model"),
        (UnsupportedTypeError("cannot score a list"), "error: cannot score a list"),
        (NotLoadedError("no model is loaded"), "error: no model is loaded"),
    ],
)
def test_every_kind_of_error_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    line: str,
) -> None:
    """Each subclass of the root error reaches the user as one line and exit code 2, mapped by
    its class; a lookup's message is printed as its sentence, not as a quoted key."""

    def failing() -> None:
        raise error

    monkeypatch.setattr("fraudforge.features.catalog.catalog_rows", failing)
    assert main(["features", "--list", "--json"]) == 2
    assert capsys.readouterr().err.strip() == line


def test_a_fault_outside_the_root_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error that is not the user's (not under the root, not a ValueError) is raised on."""

    def failing() -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("fraudforge.features.catalog.catalog_rows", failing)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["features", "--list", "--json"])


@pytest.mark.parametrize(
    ("argv", "env", "helpers"),
    [
        (["generate", "--threads", "3", "--out", "d"], {}, 2),
        (["generate", "--out", "d", "--threads=1"], {}, 0),
        (["generate", "--out", "d"], {"FRAUDFORGE_THREADS": "4"}, 3),
        (["generate", "--out", "d", "--backend", "ray", "--threads", "3"], {}, 0),
        (["generate", "--help", "--threads", "3"], {}, 0),
        (["generate", "--threads", "many"], {}, 0),
        (["features", "--threads", "3"], {}, 0),
    ],
)
def test_generate_prestarts_its_helpers_only_when_it_will_use_them(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    env: dict[str, str],
    helpers: int,
) -> None:
    """In a fresh process, ``generate`` on this machine starts ``threads - 1`` helper processes
    before its imports (the flag, else the environment); nothing else does, nor a process that
    has the engine imported already (no imports left to run beside)."""
    import sys

    from fraudforge.cli._prestart import helpers_wanted

    monkeypatch.chdir(tmp_path)  # no fraudforge.toml
    monkeypatch.delenv("FRAUDFORGE_THREADS", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert helpers_wanted(argv) == 0  # the engine is imported here
    monkeypatch.delitem(sys.modules, "fraudforge.engine.dataset")
    assert helpers_wanted(argv) == helpers


@pytest.mark.parametrize(
    ("argv", "ends_fast"),
    [
        (["generate", "--out", "d"], True),
        (["features", "--in", "d", "--out", "f", "--quiet"], True),
        (["features", "d", "--out", "f", "--backend", "ray"], False),
        (["generate", "--out", "d", "--backend=ray"], False),
        (["features", "--help"], False),
        (["train", "--features", "f"], False),
        (["serve"], False),
        ([], False),
    ],
)
def test_only_the_local_data_commands_end_without_teardown(
    argv: list[str], ends_fast: bool
) -> None:
    """``generate`` and ``features`` on this machine end their process without the
    interpreter's teardown; the Ray backend, help and every other command exit as usual."""
    from fraudforge.cli._prestart import local_data_command

    assert local_data_command(argv) is ends_fast


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "--out", "d"],
        ["generate", "--rows", "1000", "--seed", "5", "--out", "d", "--threads", "1", "--quiet"],
        ["generate", "--preset", "handbook", "--customers", "300", "--out", "d", "--format", "ipc"],
    ],
)
def test_generate_is_parsed_as_by_the_whole_parser(argv: list[str]) -> None:
    """``generate``'s own parser (which spares it the other commands' imports) gives the
    whole parser's options."""
    from fraudforge.cli._command import build_parser, parse_arguments

    assert vars(parse_arguments(argv)) == vars(build_parser().parse_args(argv))


def test_generate_with_an_unknown_option_gets_the_whole_parsers_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An option ``generate`` does not take is reported by the whole parser, as before."""
    from fraudforge.cli._command import parse_arguments

    with pytest.raises(SystemExit) as exit_:
        parse_arguments(["generate", "--out", "d", "--bogus"])
    assert exit_.value.code == 2
    message = capsys.readouterr().err
    assert "unrecognized arguments: --bogus" in message
    assert "features" in message  # the usage line lists every command
