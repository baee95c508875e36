"""The ``fraudforge`` command line: ``generate`` a dataset and compute its ``features`` (locally or
on a Ray cluster), ``train``, ``tune`` and ``compare`` models in a ``registry``, write the
analytics ``report``, run the end-to-end ``demo``, measure scale runs with ``bench scale``.

Each command needs the extras of its stages (``pip install 'fraudforge[all]'`` brings them all);
one that is missing is named before the command does any work."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from rich.markup import escape

from fraudforge.cli._common import (
    _add_backend_flags,
    _add_costs,
    _add_generate_flags,
    _add_performance_flags,
    add_quiet_flag,
    err,
    out,
)
from fraudforge.cli.data import cmd_features, cmd_generate, cmd_warmup
from fraudforge.foundation.errors import FraudforgeError, storage_full
from fraudforge.foundation.extras import MissingExtraError, install_hint, missing_extras
from fraudforge.foundation.package import package_version

COMMAND_EXTRAS: dict[str, tuple[str, ...]] = {
    "train": ("models",),
    "tune": ("models",),
    "compare": ("models",),
    "registry": ("models",),
    "report": ("models", "analytics"),
    "audit": ("models", "analytics"),
    "serve": ("serve",),
    "bench": ("bench",),
    "demo": ("models", "serve", "analytics"),
}
"""The extras a command needs beyond ``engine`` (which the command line itself imports); a
command not named here needs ``engine`` alone."""


def check_extras(command: str) -> None:
    """Refuse a command whose extras are not installed, before it does any work.

    Parameters
    ----------
    command
        The subcommand's name, e.g. ``"train"``.

    Raises
    ------
    MissingExtraError
        Naming the install line of every extra of :data:`COMMAND_EXTRAS` the command lacks
        and the modules that are missing.
    """
    missing = missing_extras(COMMAND_EXTRAS.get(command, ()))
    if missing:
        modules = ", ".join(m for absent in missing.values() for m in absent)
        hint = install_hint(f"fraudforge {command}", ",".join(missing))
        raise MissingExtraError(f"{hint} (not installed: {modules})")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``fraudforge`` command; with ``command="generate"``, with
    that command alone (``parse_arguments``)."""
    parser = argparse.ArgumentParser(prog="fraudforge", description=__doc__)
    parser.add_argument(
        "--version",
        action="version",
        version=f"fraudforge {package_version()}",
        help="print the version",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="generate a labelled dataset directory")
    _add_generate_flags(gen)
    gen.set_defaults(func=cmd_generate)
    if command == "generate":
        return parser
    # The other commands' modules (and the rich tables and progress bars they use) load only
    # when their parsers are built: ``generate`` alone does not wait for them.
    from fraudforge.cli.audit import add_audit_command
    from fraudforge.cli.bench import _add_bench_commands
    from fraudforge.cli.demo import cmd_demo
    from fraudforge.cli.models import _add_model_commands
    from fraudforge.cli.realism import add_realism_command
    from fraudforge.cli.registry import _add_registry_commands
    from fraudforge.cli.report import cmd_report
    from fraudforge.cli.service import _add_service_commands

    feats = sub.add_parser("features", help="list the feature catalogue or compute features")
    feats.add_argument("--list", action="store_true", help="print the feature catalogue")
    feats.add_argument("--markdown", action="store_true", help="with --list: as Markdown")
    feats.add_argument("--json", action="store_true", help="with --list: as JSON")
    feats.add_argument(
        "data", nargs="?", help="dataset directory written by `generate` (or give it as --in)"
    )
    feats.add_argument("--in", dest="input", help="dataset directory written by `generate`")
    feats.add_argument("--out", dest="output", help="output directory for the features")
    feats.add_argument(
        "--threads", type=int, help="worker threads of the local backend (default: one per core)"
    )
    feats.add_argument("--overwrite", action="store_true", help="replace a non-empty output")
    feats.add_argument(
        "--batch-rows",
        type=int,
        help="rows of features in memory at once, whole customers, each batch a step of the "
        "progress (default: 400,000; fewer need less memory)",
    )
    _add_performance_flags(feats)
    _add_backend_flags(feats)
    add_quiet_flag(feats)
    feats.set_defaults(func=cmd_features)
    warm = sub.add_parser(
        "warmup",
        help="compile the feature kernels ahead (else the first features run or service start "
        "spends about 20 s compiling)",
    )
    add_quiet_flag(warm)
    warm.set_defaults(func=cmd_warmup)
    _add_model_commands(sub)
    _add_registry_commands(sub)
    rep = sub.add_parser("report", help="write the analytics report as one HTML file")
    rep.add_argument("--data", required=True, help="dataset directory written by `generate`")
    rep.add_argument("--features", help="features directory of that dataset (for --model)")
    rep.add_argument(
        "--model",
        action="append",
        help="model to explain and evaluate: a LightGBM text model file, or NAME, NAME@STAGE or "
        "NAME:VERSION with --registry (a bare NAME is its production version, else its newest; "
        "repeat to compare models)",
    )
    rep.add_argument("--registry", help="model registry directory for --model references")
    rep.add_argument(
        "--test-days", dest="test_days", type=int,
        help="evaluate the models on the last N days only (default: the days after a registered "
        "model's training and validation data; every row for a model file)",
    )  # fmt: skip
    rep.add_argument("--out", required=True, help="report file to write, e.g. report.html")
    rep.add_argument(
        "--threshold", type=float,
        help="alert threshold of every model, 0 to 1 (default: a registered model's own, else the "
        "cost-optimal one on the evaluated rows)",
    )  # fmt: skip
    rep.add_argument(
        "--targets",
        help="calibration table of the realism section (TOML; default: the bundled india table)",
    )
    _add_costs(rep)
    add_quiet_flag(rep)
    rep.set_defaults(func=cmd_report)
    add_realism_command(sub)
    add_audit_command(sub)
    _add_service_commands(sub)
    _add_bench_commands(sub)
    demo = sub.add_parser("demo", help="end-to-end demo on the default scenario")
    _add_generate_flags(demo, demo=True)
    demo.set_defaults(func=cmd_demo, rows=None)
    return parser


USER_ERRORS: tuple[type[BaseException], ...] = (FraudforgeError, FileNotFoundError, ValueError)
"""The errors a command answers with one line and exit code 2, by class: every
``FraudforgeError`` (each of its subclasses, whatever built-in it also is), a path that does
not exist, and the ``ValueError`` of a library underneath (Polars, NumPy). Anything else is a
fault of fraudforge and keeps its traceback."""


_ROOM = {
    "generate": "a dataset takes about 50 MiB a million rows",
    "features": "features take about 250 MiB a million rows, and from 2M rows up about "
    "300 MiB a million rows while the command runs (its entity phase's scratch files)",
}
"""What a command's outputs take on disk, for the message of a write that ran out of room."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that staged outputs are cleaned up the same way."""

    signum = signal.SIGTERM


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The parsed command line. ``generate`` is parsed by a parser of that command alone:
    the other commands' options import the models and service stages to describe them (about
    0.02 s), before ``generate`` can start. Anything that parser does not take (an unknown
    option) is parsed again by the whole parser, so the messages are the same."""
    if argv[:1] == ["generate"]:
        args, unknown = build_parser("generate").parse_known_args(argv)
        if not unknown:
            return args
    return build_parser().parse_args(argv)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fraudforge`` console command. Ctrl-C (or SIGTERM) stops a command
    with one line and exit code 130 (143): outputs are written atomically, so nothing partial is
    left behind and a previous output stays as it was."""
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    args = parse_arguments(list(sys.argv[1:] if argv is None else argv))
    if args.command == "bench":  # the report names the command that produced it
        args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.command == "demo" and args.rows is None:
        args.rows = 1_000_000
    try:
        check_extras(args.command)
        code: int = args.func(args)
    except USER_ERRORS as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        return 2
    except BrokenPipeError:
        # the reader of our output went away (`fraudforge ... | head`): stop quietly, as Unix
        # tools do, and keep Python from complaining again when it flushes stdout at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:  # a write that ran out of room is the machine's, not a fault
        full = storage_full(exc)
        if full is None:
            raise
        filename = getattr(exc, "filename", None)
        where = f" writing {escape(str(filename))}" if filename else ""
        room = _ROOM.get(args.command)
        err.print(
            f"[red]error:[/red] {full}{where}: {args.command} stopped and removed what it "
            "had written (any previous output is intact); free space where it writes, or "
            "write elsewhere" + (f": {room}" if room else ""),
            soft_wrap=True,
        )
        return 2
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        name = signal.Signals(signum).name
        err.print(f"interrupted ({name}): {args.command} stopped, any previous output intact")
        return 128 + int(signum)
    return code


__all__ = [
    "COMMAND_EXTRAS",
    "USER_ERRORS",
    "build_parser",
    "check_extras",
    "err",
    "main",
    "out",
    "parse_arguments",
]
