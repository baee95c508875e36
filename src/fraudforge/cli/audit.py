"""``fraudforge audit DATA``: the dataset's tells, worst first (docs/audit.md)."""

from __future__ import annotations

import argparse
from typing import Any

from fraudforge.cli._common import add_quiet_flag, err, out
from fraudforge.cli.progress import Meter
from fraudforge.cli.tables import Column, print_wide_or_records
from fraudforge.foundation.errors import ConfigError


def _share(x: float) -> str:
    return f"{x:.2%}" if x < 0.1 else f"{x:.1%}"


def _print(report: Any) -> None:
    from fraudforge.analytics.audit import pattern_text

    rules = [
        Column("#", right=True),
        Column("group"),
        Column("rule", long=True),
        Column("precision", right=True),
        Column("recall", right=True),
        Column("support", right=True),
        Column("incidents", right=True),
        Column("accounts", right=True),
        Column("patterns hit", long=True),
    ]
    print_wide_or_records(
        out,
        f"{report.dataset}: the {len(report.rules)} worst of {report.rules_found:,} rules "
        f"covering at least {report.min_recall:.1%} of {report.fraud_rows:,} fraud rows",
        rules,
        [
            [
                str(r.rank),
                r.group,
                r.text,
                f"{r.precision:.3f}",
                _share(r.recall),
                f"{r.support:,}",
                f"{r.incidents:,}",
                f"{r.accounts:,}",
                pattern_text(r.patterns, r.fraud_rows),
            ]
            for r in report.rules
        ],
    )
    if report.trees:
        trees = [
            Column("pattern"),
            Column("rows", right=True),
            Column("AUC", right=True),
            Column("best leaf", long=True),
            Column("its recall", right=True),
            Column("its precision", right=True),
        ]
        print_wide_or_records(
            out,
            "a depth-2 tree per pattern on the raw row (pattern vs genuine)",
            trees,
            [
                [
                    t.pattern,
                    f"{t.rows:,}",
                    f"{t.auc:.3f}",
                    t.rule,
                    _share(t.recall),
                    f"{t.precision:.3f}",
                ]
                for t in report.trees
            ],
        )
    best = report.most_precise
    if best is not None:
        done = f"; {report.rows:,} rows audited in {report.seconds:.1f} s"
        _rule_line("most precise rule", best, after=done)
    spread = report.most_precise_spread
    if spread is not None and best is not None and spread.text != best.text:
        over = f"{spread.incidents} incidents on {spread.accounts} accounts"
        _rule_line(f"most precise rule over {over}", spread)
    held = report.most_precise_held_out
    if held is not None:
        half = f" of that half's fraud rows, {held.incidents} incidents"
        _rule_line("most precise rule on held-out incidents and customers", held, recall_of=half)


def _rule_line(label: str, rule: Any, *, recall_of: str = "", after: str = "") -> None:
    """One summary line: ``label: rule (precision P, recall R<recall_of>)<after>``."""
    out.print(
        f"{label}: {rule.text} (precision {rule.precision:.3f}, recall {_share(rule.recall)}"
        f"{recall_of}){after}",
        highlight=False,
        markup=False,
    )


def cmd_audit(args: argparse.Namespace) -> int:
    """Audit the dataset; exit 1 with ``--fail-on-precision P`` when a rule covering at least
    ``--min-recall`` of fraud rows (and, with ``--min-incidents K``, spanning at least K
    incidents and K accounts) has precision >= P."""
    from fraudforge.analytics.audit import SPREAD_INCIDENTS, STEP_UNITS, audit, to_json

    if args.fail_on_precision is not None and not 0.0 < args.fail_on_precision <= 1.0:
        raise ConfigError(
            f"--fail-on-precision {args.fail_on_precision}: allowed is a precision in (0, 1]"
        )
    if args.min_incidents < 1:
        raise ConfigError(
            f"--min-incidents {args.min_incidents}: allowed is 1 (every rule) or more"
        )
    with Meter("audit", units=STEP_UNITS, quiet=args.quiet) as meter:
        report = audit(
            args.data,
            min_recall=args.min_recall,
            top=args.top,
            trees=not args.no_trees,
            held_out=not args.no_held_out,
            spread=SPREAD_INCIDENTS if args.min_incidents == 1 else args.min_incidents,
            progress=meter,
        )
    if args.json:
        print(to_json(report), end="")
    else:
        _print(report)
    gate = report.most_precise if args.min_incidents == 1 else report.most_precise_spread
    failing = (
        args.fail_on_precision is not None
        and gate is not None
        and gate.precision >= args.fail_on_precision
    )
    if failing and gate is not None:
        err.print(
            f"audit failed: `{gate.text}` has precision {gate.precision:.3f} >= "
            f"{args.fail_on_precision} and covers {_share(gate.recall)} of fraud rows "
            f"({gate.incidents} incidents, {gate.accounts} accounts)",
            markup=False,
            highlight=False,
        )
    return 1 if failing else 0


def add_audit_command(sub: Any) -> None:
    """The ``audit`` sub-command and its flags."""
    p = sub.add_parser(
        "audit", help="search a dataset for tells: simple rules that give fraud away"
    )
    p.add_argument("data", help="dataset directory written by `generate`")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--top", type=int, default=20, help="rules to print (default: 20)")
    p.add_argument(
        "--min-recall", dest="min_recall", type=float, default=0.003,
        help="smallest share of fraud rows a rule must cover (default: 0.003, 0.3 %%)",
    )  # fmt: skip
    p.add_argument(
        "--fail-on-precision", dest="fail_on_precision", type=float,
        help="exit 1 when a rule covering at least --min-recall of fraud rows has this "
        "precision or more (for CI; e.g. 0.8)",
    )  # fmt: skip
    p.add_argument(
        "--min-incidents", dest="min_incidents", type=int, default=1,
        help="with --fail-on-precision: count only rules whose fraud rows span at least this "
        "many incidents and as many accounts, so one incident's or one account's fingerprint "
        "does not fail the check (default: 1, every rule)",
    )  # fmt: skip
    p.add_argument(
        "--no-trees", dest="no_trees", action="store_true",
        help="skip the depth-2 tree per pattern",
    )  # fmt: skip
    p.add_argument(
        "--no-held-out", dest="no_held_out", action="store_true",
        help="skip the held-out check (rules found on half the incidents and customers, "
        "measured on the other half; about doubles the search time)",
    )  # fmt: skip
    add_quiet_flag(p)
    p.set_defaults(func=cmd_audit)
