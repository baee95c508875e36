"""The difficulty benchmark: how hard a dataset's fraud is to detect, and for the right reasons.

For one dataset (and its features) it measures the default preset's difficulty targets
(docs/benchmarks.md, "Difficulty"):

- LightGBM on the feature catalogue over a time split with a week's gap (test on the last
  ``TEST_DAYS`` days, train on every day up to a week before them): test ROC AUC and average
  precision;
- LightGBM on the row alone (the transaction's own columns and simple per-row encodings, no
  history, no ids): test ROC AUC;
- friendly fraud against genuine rows (the catalogue model's test scores): ROC AUC;
- fraud's share of night payments (00:00-05:59) over genuine's;
- per pattern: ROC AUC against genuine rows (both models) and recall at a 1 % alert budget;
- ``fraudforge audit``'s worst rule and its most precise rule.

Run ``python -m fraudforge.bench.difficulty --rows 300000 --seeds 1,2 --out DIR`` (it generates
the datasets and their features), or pass ``--data DIR --features DIR`` for an existing one.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.metrics import average_precision_score, roc_auc_score

from fraudforge.analytics.audit import Rule, audit
from fraudforge.engine.dataset import read_manifest, scan_dataset
from fraudforge.engine.scenario import Scenario
from fraudforge.foundation.atomic import write_atomic
from fraudforge.foundation.errors import DataError
from fraudforge.models.data import ModelData, load_model_data
from fraudforge.models.metrics import budget_alerts
from fraudforge.models.splits import TimeSplit, time_split
from fraudforge.models.training import train_model

GAP_DAYS = 7
TEST_DAYS = 14
"""Two weeks: fraud comes in incidents, and one week holds too few of some patterns' to score
them."""
ALERT_BUDGET = 0.01
NIGHT_HOURS = (0, 6)
"""Night: from 00:00 to 05:59 local time."""
ROW_COLUMNS: tuple[str, ...] = (
    "amount_inr", "payment_mode", "card_network", "channel", "txn_type", "status", "category",
    "mcc", "city", "state", "lat", "lon",
)  # fmt: skip
"""The transaction's own columns the row model reads (ids, payee and labels left out)."""
TARGETS: dict[str, tuple[float, float]] = {
    "auc": (0.85, 0.97),
    "average_precision": (0.25, 0.75),
    "row_auc": (0.0, 0.85),
    "friendly_auc": (0.0, 0.70),
    "night_ratio": (0.0, 2.5),
    "audit_max_precision": (0.0, 0.8),
}
"""Issue 15's bands for the default preset (the audit's: below 0.8 for rules covering at least
0.3 % of fraud rows)."""
Say = Callable[[str], None]


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """The standard error of a ROC AUC measured on ``positives`` and ``negatives`` rows
    (Hanley and McNeil, Radiology 143, 1982): a pattern with a dozen test rows has an AUC that
    moves by several hundredths with the draw, which a band must allow for."""
    q1 = auc / (2.0 - auc)
    q2 = 2.0 * auc * auc / (1.0 + auc)
    var = (
        auc * (1.0 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)
    ) / max(positives * negatives, 1)
    return float(np.sqrt(max(var, 0.0)))


class PatternScore(msgspec.Struct, kw_only=True, frozen=True):
    """One pattern in the test week."""

    pattern: str
    test_rows: int
    auc: float | None
    """Catalogue model: the pattern's rows against genuine rows."""
    row_auc: float | None
    """Row model: the same."""
    recall_at_budget: float
    """Share of the pattern's test rows among the catalogue model's top 1 % of test rows."""


class Difficulty(msgspec.Struct, kw_only=True, frozen=True):
    """The difficulty measures of one dataset."""

    dataset: str
    scenario: dict[str, object]
    rows: int
    fraud_rows: int
    train_rows: int
    test_days: int
    test_rows: int
    test_fraud_rows: int
    auc: float
    average_precision: float
    row_auc: float
    friendly_auc: float | None
    fraud_night_share: float
    genuine_night_share: float
    night_ratio: float
    patterns: list[PatternScore]
    audit_worst_rule: Rule | None
    audit_most_precise: Rule | None
    audit_max_precision: float
    audit_spread: Rule | None = None
    """The audit's most precise rule over 3 incidents or more (a mechanism's tell rather than
    one incident's fingerprint)."""
    audit_held_out: Rule | None = None
    """The audit's most precise rule on the half of incidents and customers it was not found
    on (a tell that generalises; its figures are that half's)."""
    seconds: float

    def inside(self) -> dict[str, bool]:
        """Each measure of ``TARGETS`` against its band."""
        out = {}
        for name, (low, high) in TARGETS.items():
            value = getattr(self, name)
            out[name] = value is not None and low <= value <= high
        return out


def _auc(y: npt.NDArray[np.bool_], score: npt.NDArray[np.float64]) -> float | None:
    if y.all() or not y.any():
        return None
    return float(roc_auc_score(y, score))


def row_data(data: str | Path) -> ModelData:
    """The row model's input: each transaction's own columns (Enum columns as their codes) and
    hour, weekday, amount roundness and null flags, in time order like ``load_model_data``."""
    ts = pl.col("timestamp")
    paise = (pl.col("amount_inr") * 100).round().cast(pl.Int64)
    derived = {
        "hour": ts.dt.hour(),
        "weekday": ts.dt.weekday(),
        "amount_whole_rupees": paise % 100 == 0,
        "amount_multiple_of_100": paise % 10_000 == 0,
        "merchant_missing": pl.col("merchant_id").is_null(),
        "device_missing": pl.col("device_id").is_null(),
        "card_missing": pl.col("card_id").is_null(),
    }
    tx = scan_dataset(data)
    schema = tx.collect_schema()
    cols = [
        (pl.col(c).to_physical() if isinstance(schema[c], pl.Enum) else pl.col(c)).alias(c)
        for c in ROW_COLUMNS
    ]
    frame = (
        tx.sort("timestamp", "transaction_id")
        .select(
            *cols,
            *(e.alias(n) for n, e in derived.items()),
            "is_fraud",
            "fraud_type",
            "anomaly_type",
            "label_known_at",
            "timestamp",
            "customer_id",
            "card_id",
            "transaction_id",
        )
        .collect()
    )
    return ModelData.from_frame(frame, (*ROW_COLUMNS, *derived))


def _fit_score(
    data: ModelData, split: TimeSplit, seed: int, threads: int
) -> npt.NDArray[np.float64]:
    """Test scores of LightGBM (the zoo's defaults) trained on the training period."""
    model = train_model(
        data.subset(split.train), kind="lightgbm", params={"n_jobs": threads}, seed=seed
    )
    return np.asarray(model.score(data.subset(split.test)), dtype=np.float64)


def _night(data: str | Path) -> tuple[float, float]:
    hour = pl.col("timestamp").dt.hour()
    night = (hour >= NIGHT_HOURS[0]) & (hour < NIGHT_HOURS[1])
    row = (
        scan_dataset(data)
        .select(
            (night & pl.col("is_fraud")).sum().alias("fn"),
            pl.col("is_fraud").sum().alias("f"),
            (night & ~pl.col("is_fraud")).sum().alias("gn"),
            (~pl.col("is_fraud")).sum().alias("g"),
        )
        .collect()
        .row(0, named=True)
    )
    return row["fn"] / max(row["f"], 1), row["gn"] / max(row["g"], 1)


def measure(
    data: str | Path,
    features: str | Path,
    *,
    seed: int = 0,
    threads: int = 1,
    test_days: int = TEST_DAYS,
    say: Say | None = None,
) -> Difficulty:
    """The difficulty measures of dataset ``data`` with its features directory ``features``.
    LightGBM runs ``threads`` threads (one by default: on a shared machine, OpenMP threads
    waiting on each other cost more than they save)."""
    log = say or (lambda _: None)
    started = time.perf_counter()
    log("loading features")
    md = load_model_data(data, features)
    split = time_split(md, validation_days=0, test_days=test_days, gap_days=GAP_DAYS)
    log(f"LightGBM on {len(md.features)} features, {split.train.shape[0]:,} training rows")
    score = _fit_score(md, split, seed, threads)
    test = md.subset(split.test)
    log("LightGBM on the row alone")
    rows = row_data(data)
    if not np.array_equal(rows.transaction_id, md.transaction_id):
        raise DataError(f"{data}: the features and transactions hold different rows")
    row_score = _fit_score(rows, split, seed, threads)
    genuine = test.fraud_type == "none"
    alerts = budget_alerts(score, ALERT_BUDGET)
    patterns = []
    for name in sorted(set(test.fraud_type.tolist()) - {"none"}):
        own = test.fraud_type == name
        keep = own | genuine
        patterns.append(
            PatternScore(
                pattern=name,
                test_rows=int(own.sum()),
                auc=_auc(own[keep], score[keep]),
                row_auc=_auc(own[keep], row_score[keep]),
                recall_at_budget=float(alerts[own].mean()),
            )
        )
    friendly = next((p.auc for p in patterns if p.pattern == "friendly_fraud"), None)
    fraud_night, genuine_night = _night(data)
    log("fraudforge audit")
    found = audit(data, trees=False, top=1)
    manifest = read_manifest(data)
    return Difficulty(
        dataset=str(data),
        scenario=dict(manifest.scenario),
        rows=len(md),
        fraud_rows=int(md.y.sum()),
        train_rows=int(split.train.shape[0]),
        test_days=test_days,
        test_rows=len(test),
        test_fraud_rows=int(test.y.sum()),
        auc=float(roc_auc_score(test.y, score)),
        average_precision=float(average_precision_score(test.y, score)),
        row_auc=float(roc_auc_score(test.y, row_score)),
        friendly_auc=friendly,
        fraud_night_share=fraud_night,
        genuine_night_share=genuine_night,
        night_ratio=fraud_night / genuine_night if genuine_night else float("inf"),
        patterns=patterns,
        audit_worst_rule=found.rules[0] if found.rules else None,
        audit_most_precise=found.most_precise,
        audit_max_precision=found.max_precision,
        audit_spread=found.most_precise_spread,
        audit_held_out=found.most_precise_held_out,
        seconds=round(time.perf_counter() - started, 1),
    )


def _f(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def to_markdown(results: Sequence[Difficulty], labels: Sequence[str]) -> str:
    """The headline measures (one column per dataset, with the target bands) and the
    per-pattern table (AUC and recall at a 1 % alert budget per dataset)."""
    head = " | ".join(labels)
    lines = [
        f"| measure | band | {head} |",
        "|---|---|" + "---:|" * len(results),
    ]
    rows: list[tuple[str, str, Callable[[Difficulty], str]]] = [
        ("test ROC AUC, catalogue", "auc", lambda d: _f(d.auc)),
        ("test average precision", "average_precision", lambda d: _f(d.average_precision)),
        ("test ROC AUC, row alone", "row_auc", lambda d: _f(d.row_auc)),
        ("friendly fraud vs genuine AUC", "friendly_auc", lambda d: _f(d.friendly_auc)),
        ("night share, fraud / genuine", "night_ratio", lambda d: _f(d.night_ratio, 2)),
        ("audit: highest precision", "audit_max_precision", lambda d: _f(d.audit_max_precision)),
    ]
    for title, key, cell in rows:
        low, high = TARGETS[key]
        band = f"{low:g}-{high:g}" if low > 0 else f"<= {high:g}"
        marks = [cell(d) + ("" if d.inside()[key] else " ✗") for d in results]
        lines.append(f"| {title} | {band} | {' | '.join(marks)} |")
    lines.append(
        "| rows (fraud); test rows (fraud) | | "
        + " | ".join(
            f"{d.rows:,} ({d.fraud_rows:,}); {d.test_rows:,} ({d.test_fraud_rows:,})"
            for d in results
        )
        + " |"
    )
    rules: list[tuple[str, Callable[[Difficulty], Rule | None], bool]] = [
        ("audit's worst rule", lambda d: d.audit_worst_rule, False),
        ("audit: most precise rule over 3+ incidents and accounts", lambda d: d.audit_spread, True),
        ("audit: most precise rule on held-out incidents", lambda d: d.audit_held_out, True),
    ]
    for title, pick, with_incidents in rules:
        cells = []
        for d in results:
            r = pick(d)
            more = f", {r.incidents} incidents" if r and with_incidents else ""
            cells.append(f"`{r.text}` ({r.precision:.2f}, {r.recall:.1%}{more})" if r else "none")
        lines.append(f"| {title} | | {' | '.join(cells)} |")
    names = sorted({p.pattern for d in results for p in d.patterns})
    lines += [
        "",
        "| pattern | "
        + " | ".join(f"AUC {lab} | row AUC {lab} | recall@1% {lab}" for lab in labels)
        + " |",
        "|---|" + "---:|---:|---:|" * len(results),
    ]
    for name in names:
        cells = []
        for d in results:
            p = next((p for p in d.patterns if p.pattern == name), None)
            cells += (
                [_f(p.auc), _f(p.row_auc), f"{p.recall_at_budget:.0%} of {p.test_rows}"]
                if p
                else ["", "", ""]
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _prepare(scenario: Scenario, scratch: Path, say: Say) -> tuple[Path, Path]:
    """Generate a scenario's dataset and its features under ``scratch`` (kept when present
    and of the same scenario)."""
    from fraudforge.engine.dataset import generate
    from fraudforge.features.pipeline import build_features

    tag = f"seed{scenario.seed}" + "".join(
        f"-{k}{v}" for k, v in sorted(msgspec.to_builtins(scenario).items())
        if k in ("camouflage", "target_rows") and v is not None
    )  # fmt: skip
    data = scratch / f"data-{tag}"
    feats = scratch / f"features-{tag}"
    wanted = msgspec.to_builtins(scenario)
    same = (data / "manifest.json").is_file() and read_manifest(data).scenario == wanted
    if not same:
        say(f"generating {data}")
        generate(scenario, data, overwrite=True)
    if not same or not (feats / "features.json").is_file():
        say(f"computing features into {feats}")
        build_features(data, feats, overwrite=True)
    return data, feats


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fraudforge.bench.difficulty``: measure, print Markdown, write JSON."""
    p = argparse.ArgumentParser(prog="python -m fraudforge.bench.difficulty", description=__doc__)
    p.add_argument("--rows", type=int, default=300_000, help="rows per dataset (default 300K)")
    p.add_argument("--seeds", default="1,2", help="comma-separated seeds (default: 1,2)")
    p.add_argument("--scratch", default="difficulty-data", help="where datasets are generated")
    p.add_argument(
        "--data",
        action="append",
        help="an existing dataset directory (repeatable, with --features)",
    )
    p.add_argument("--features", action="append", help="its features directory")
    p.add_argument("--threads", type=int, default=1, help="LightGBM threads (default: 1)")
    p.add_argument(
        "--test-days", type=int, default=TEST_DAYS, help=f"test period (default: {TEST_DAYS})"
    )
    p.add_argument(
        "--camouflage",
        help="comma-separated camouflage settings to compare, e.g. 0,default,1 (each 0 to 1, or "
        "default: the preset's)",
    )
    p.add_argument("--out", default="difficulty-results", help="where the JSON and .md go")
    args = p.parse_args(argv)
    settings: list[float | None] = [None]
    if args.camouflage:
        try:
            settings = [None if c == "default" else float(c) for c in args.camouflage.split(",")]
        except ValueError:
            p.error(f"--camouflage {args.camouflage}: allowed are numbers 0 to 1 or `default`")
        if any(c is not None and not 0.0 <= c <= 1.0 for c in settings):
            p.error(f"--camouflage {args.camouflage}: each setting is 0 to 1 or `default`")

    def say(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    if len(args.data or ()) != len(args.features or ()):
        p.error("each --data needs its --features")
    if args.data:
        pairs = [
            (Path(d), Path(f), Path(d).name) for d, f in zip(args.data, args.features, strict=True)
        ]
    else:
        seeds = [int(s) for s in args.seeds.split(",")]
        scratch = Path(args.scratch)
        pairs = []
        for c in settings:
            dial = {} if c is None else {"camouflage": c}
            for s in seeds:
                scenario = msgspec.convert({"target_rows": args.rows, "seed": s, **dial}, Scenario)
                dial_label = "default" if c is None else f"{c:g}"
                label = f"seed {s}" + (f", camouflage {dial_label}" if args.camouflage else "")
                pairs.append((*_prepare(scenario, scratch, say), label))
    results = [
        measure(d, f, threads=args.threads, test_days=args.test_days, say=say) for d, f, _ in pairs
    ]
    labels = [label for _, _, label in pairs]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "difficulty.json", msgspec.json.format(msgspec.json.encode(results)))
    md = to_markdown(results, labels)
    write_atomic(out / "difficulty.md", md)
    print(md, end="")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
