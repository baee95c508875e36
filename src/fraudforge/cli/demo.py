"""``fraudforge demo``: the end-to-end run on the default scenario."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from fraudforge.cli._common import DEMO_MODEL, out
from fraudforge.cli.data import cmd_features, cmd_generate
from fraudforge.cli.models import cmd_train
from fraudforge.cli.report import cmd_report
from fraudforge.foundation.extras import require


def cmd_demo(args: argparse.Namespace) -> int:
    """End-to-end demo on the default scenario: generate, summarise, compute the features, train
    LightGBM on them and register it, then serve it and score some transactions through the
    client."""
    require("plotly", "analytics", "the demo (its report)")  # refused before any work
    root = Path(args.out)
    from fraudforge.cli import build_parser

    machine = _machine_flags(args)
    data, features = str(root / "data"), str(root / "features")
    generate = ["generate", "--out", data, "--overwrite", "--rows", str(args.rows), *machine]
    if args.seed is not None:
        generate += ["--seed", str(args.seed)]
    feats = ["features", "--in", data, "--out", features, "--overwrite", *machine]
    steps: tuple[tuple[str, Callable[[], int]], ...] = (
        ("generate", lambda: cmd_generate(build_parser().parse_args(generate))),
        ("features", lambda: cmd_features(build_parser().parse_args(feats))),
        ("model", lambda: _demo_model(root)),
        ("report", lambda: _demo_report(root)),
        ("service", lambda: _demo_service(root)),
    )
    for name, step in steps:
        out.rule(f"fraudforge demo: {name}")
        code = step()
        if code:
            return code
    return 0


def _machine_flags(args: argparse.Namespace) -> list[str]:
    """The demo's --threads, --settings and --memory-limit, passed on to generate and
    features as given."""
    flags: list[str] = []
    for flag, value in (
        ("--threads", args.threads),
        ("--settings", args.settings),
        ("--memory-limit", args.memory_limit),
    ):
        if value is not None:
            flags += [flag, str(value)]
    return flags


def _demo_model(root: Path) -> int:
    """``fraudforge train`` on the demo's data: LightGBM on a time-based split, threshold chosen
    on validation, evaluated on the test week, registered in ``root/registry`` (rebuilt each run,
    like the data) and promoted to staging."""
    import shutil

    from fraudforge.models.registry import INDEX_FILE

    registry_dir = root / "registry"
    if (registry_dir / INDEX_FILE).is_file():
        shutil.rmtree(registry_dir)
    from fraudforge.cli import build_parser

    train = build_parser().parse_args(
        ["train", "--data", str(root / "data"), "--features", str(root / "features"),
         "--registry", str(registry_dir), "--name", DEMO_MODEL, "--stage", "staging",
         "--tag", "demo"]
    )  # fmt: skip
    code = cmd_train(train)
    if code == 0:
        out.print(f"next: fraudforge registry list --registry {registry_dir}")
    return code


def _demo_service(root: Path) -> int:
    """Start ``fraudforge serve`` on a free loopback port with the demo's model and the
    fraud-type model ``train`` registered beside it, score some of the demo's transactions
    through the client, stop (``_demo_run``)."""
    from fraudforge.cli._demo_run import demo_service

    return demo_service(root, name=DEMO_MODEL, stage="staging", console=out)


def _demo_report(root: Path) -> int:
    """``fraudforge report`` on the demo's data with the registered model, evaluated on the
    test week it was not trained on: demo-output/report.html."""
    from fraudforge.cli import build_parser

    report = build_parser().parse_args(
        ["report", "--data", str(root / "data"), "--features", str(root / "features"),
         "--model", f"{DEMO_MODEL}@staging", "--registry", str(root / "registry"),
         "--test-days", "7", "--out", str(root / "report.html")]
    )  # fmt: skip
    return cmd_report(report)
