"""``fraudforge realism DATA``: the dataset's genuine traffic against a calibration table."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from fraudforge.cli._common import add_quiet_flag, out
from fraudforge.cli.progress import Meter


def cmd_realism(args: argparse.Namespace) -> int:
    """Print the scorecard (a table, JSON or Markdown); exit 1 with --strict when a figure is
    outside its band."""
    from fraudforge.realism import load_targets, score, to_json, to_markdown
    from fraudforge.realism.scorecard import rows_of

    targets = load_targets(args.targets)
    with Meter("realism", quiet=args.quiet) as meter:
        meter.phase(f"measuring {args.data} against {len(targets.figure)} figures")
        card = score(args.data, targets)
    if args.json:
        print(to_json(card), end="")
    elif args.markdown:
        print(to_markdown(card), end="")
    else:
        table = Table(title=f"{card.dataset} against the {card.table} calibration table")
        for col in ("figure", "measured", "target", "band", "inside"):
            table.add_column(col, justify="left" if col == "figure" else "right")
        for row in rows_of(card):
            table.add_row(*row)
        out.print(table)
        out.print(f"{card.genuine_rows:,} genuine rows; {card.verdict()}", soft_wrap=True)
    return 1 if args.strict and card.inside < len(card.results) else 0


def add_realism_command(sub: Any) -> None:
    """The ``realism`` sub-command and its flags."""
    p = sub.add_parser(
        "realism", help="score a dataset's genuine traffic against public market figures"
    )
    p.add_argument("data", help="dataset directory written by `generate`")
    p.add_argument(
        "--targets",
        help="calibration table (TOML; default: the bundled india table of public figures)",
    )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the scorecard as JSON")
    fmt.add_argument("--markdown", action="store_true", help="print it as a Markdown table")
    p.add_argument(
        "--strict", action="store_true", help="exit 1 when any figure is outside its band"
    )
    add_quiet_flag(p)
    p.set_defaults(func=cmd_realism)
