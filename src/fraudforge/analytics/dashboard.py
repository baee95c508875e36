"""The analytics dashboard: every analysis of a dataset and its model scores in one self-contained
interactive HTML page (``build_report``), written atomically (``write_report``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.analytics import charts, explore, importance, performance
from fraudforge.analytics import network as netmod
from fraudforge.analytics._arrays import labels_and_scores
from fraudforge.analytics._page import Chart, Section, render
from fraudforge.analytics.recommend import (
    Recommendation,
    droppable_features,
    threshold_advice,
    weakest_fraud_types,
)
from fraudforge.analytics.scope import ModelThreshold
from fraudforge.foundation.atomic import write_atomic
from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.models.metrics import Costs
from fraudforge.realism.scorecard import Scorecard, format_value

PERMUTED = 30
"""Permutation importance is measured for this many features, those of most gain."""
NO_MODEL = (
    "No model was given: the feature importance and model performance sections are left out. "
    "Pass --model (or scores and a model to build_report) to include them."
)
ON_THE_ROWS = (
    "the cost-optimal one on the evaluated rows themselves (the model has no registered "
    "threshold), so precision and recall at it are optimistic"
)
"""Where the threshold of a model without one of its own comes from."""


def _overview_section(tx: pl.DataFrame) -> Section:
    """Fraud and anomaly types: co-occurrence, severity, amounts, fraud mix."""
    co = explore.cooccurrence(tx)
    overview = Section(
        "Fraud and anomalies",
        "Which fraud patterns and anomaly types occur, how often together, and how severe.",
    )
    by_type = explore.fraud_by_type(tx)
    if by_type.height:
        overview.tables.append(("fraud by type", by_type))
    sev = explore.severity(tx)
    if sev.height:
        overview.tables.append(("anomaly severity", sev))
    overview.charts += [
        Chart(
            charts.cooccurrence_counts(co),
            "Rows per fraud type (row) and anomaly type "
            "(column); anomalies are legitimate, so fraud rows sit in the `none` column.",
        ),
        Chart(
            charts.cooccurrence_phi(co),
            "Phi correlation of the two indicators; blank where a type never occurs.",
        ),
    ]
    if sev.height:
        samples = {
            t: charts.sample(tx.filter(pl.col("anomaly_type") == t)["anomaly_severity"], 2_000)
            for t in sev["anomaly_type"].to_list()
        }
        overview.charts.append(Chart(charts.severity_violin(samples)))
    else:
        overview.notes.append("The data has no anomalies.")
        overview.charts.append(Chart(charts.empty("Anomaly severity", "no anomalous rows")))
    amount_samples = {"genuine": charts.sample(tx.filter(~pl.col("is_fraud"))["amount_inr"], 3_000)}
    for t in by_type["fraud_type"].to_list():
        amount_samples[t] = charts.sample(tx.filter(pl.col("fraud_type") == t)["amount_inr"], 1_000)
    overview.charts.append(Chart(charts.amount_box(amount_samples)))
    fraud_amounts = tx.filter(pl.col("is_fraud"))["amount_inr"]
    overview.charts.append(
        Chart(
            charts.amount_histogram(amount_samples["genuine"], charts.sample(fraud_amounts, 20_000))
        )
    )
    if fraud_amounts.len():
        mix = (
            tx.filter(pl.col("is_fraud"))
            .group_by(pl.col("fraud_type").cast(pl.String), pl.col("payment_mode").cast(pl.String))
            .agg(rows=pl.len())
            .sort("fraud_type", "payment_mode")
        )
        overview.charts.append(Chart(charts.fraud_sunburst(mix), "Click a fraud type to zoom."))
    else:
        overview.notes.append("The data has no fraud rows.")
    return overview


def _time_section(tx: pl.DataFrame) -> Section:
    """Hour x weekday, hour of day, daily volume and festival days."""
    hw = explore.hour_weekday(tx)
    days = explore.by_day(tx)
    time_section = Section("Time", "When fraud happens: hour, weekday and festival days.")
    time_section.tables.append(
        ("festival days against ordinary days", explore.festival_effect(days))
    )
    fest = days.filter(pl.col("festival") != "").select("day", "festival", "rows", "fraud_rate")
    if fest.height:
        time_section.tables.append(("festival days in the period", fest))
    time_section.charts += [
        Chart(charts.hour_weekday_heatmap(hw)),
        Chart(charts.hour_polar(hw)),
        Chart(charts.daily_line(days)),
    ]
    return time_section


def _geography_section(tx: pl.DataFrame) -> Section:
    """Cities on a map from their coordinates, fraud rate by state."""
    geo = Section("Geography", "Where payments and fraud happen, by state and city.")
    geo.charts += [
        Chart(
            charts.city_map(explore.by_city(tx)),
            "Cities drawn at their coordinates on "
            "equal-scale latitude and longitude axes (no base map is loaded).",
        ),
        Chart(charts.state_bar(explore.by_state(tx))),
    ]
    return geo


def _risk_section(tx: pl.DataFrame) -> Section:
    """Fraud rate by payment mode, channel and merchant category."""
    risk = Section("Risk by payment attribute", "Fraud rate by payment mode, channel and category.")
    tables = {c: explore.risk_by(tx, c) for c in explore.RISK_COLUMNS}
    risk.charts += [
        Chart(charts.risk_bars({c: tables[c] for c in ("payment_mode", "channel")})),
        Chart(charts.category_treemap(tables["category"])),
    ]
    risk.tables.append(("fraud rate by category", tables["category"].drop("amount_inr")))
    return risk


def _network_section(tx: pl.DataFrame) -> Section:
    """The parties of multi-party fraud incidents."""
    net = netmod.scenario_network(tx)
    network = Section(
        "Network of multi-party incidents",
        "Fraud incidents that involve several customers (collusion rings, mule networks, "
        "loyalty rings): the customers and the merchants, devices and payee accounts they used.",
    )
    if net.edges.height:
        network.tables.append(("multi-party incidents by fraud type", net.summary))
        network.charts.append(
            Chart(
                charts.network_graph(net),
                "The largest incidents of each type; node size "
                "grows with the number of links. Drag to pan, scroll to zoom.",
            )
        )
    else:
        network.notes.append("The data has no fraud incident with more than one customer.")
        network.charts.append(Chart(charts.empty("Network", "no multi-party incidents")))
    return network


def _realism_section(card: Scorecard) -> Section:
    """The genuine traffic against the calibration table: the figures and their bands."""
    sec = Section(
        "Realism",
        f"The genuine traffic against the {card.table} calibration table of public figures "
        "(fraudforge realism; docs/realism.md): measured, public value, band and source.",
    )
    sec.notes.append(f"{card.genuine_rows:,} genuine rows; {card.verdict()}.")
    table = pl.DataFrame(
        {
            "figure": [r.description for r in card.results],
            "measured": [r.measured for r in card.results],
            "std error": [r.stderr for r in card.results],
            "public": [r.target for r in card.results],
            "band": [f"{format_value(r.low)} to {format_value(r.high)}" for r in card.results],
            "inside": ["yes" if r.inside else "no" for r in card.results],
            "source": [f"{r.source} ({r.year})" for r in card.results],
        }
    )
    # Every figure shown: a page's tables hold 40 rows each, so a longer table continues.
    for start in range(0, table.height, 40):
        title = "figures" if start == 0 else "figures (continued)"
        sec.tables.append((title, table.slice(start, 40)))
    sec.charts.append(Chart(charts.realism_bands(card.results)))
    return sec


def _data_sections(tx: pl.DataFrame) -> list[Section]:
    """Data analysis: fraud and anomalies, time, geography, risk, network."""
    return [
        make(tx)
        for make in (
            _overview_section,
            _time_section,
            _geography_section,
            _risk_section,
            _network_section,
        )
    ]


def _importance_section(
    model: importance.Model,
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.bool_],
    names: Sequence[str],
    both: bool,
) -> tuple[Section, Recommendation]:
    """Gain and split, permutation importance, SHAP, partial dependence; the drop advice."""
    sec = Section("Feature importance", "What the LightGBM model relies on, four ways.")
    gs = importance.gain_split(model, names=names)
    sec.charts.append(Chart(charts.importance_bars(gs)))
    if both:
        top_gain = gs["feature"].head(PERMUTED).to_list()
        perm = importance.permutation_importance(model, x, y, names=names, only=top_gain)
        sec.charts.append(
            Chart(
                charts.permutation_bars(perm),
                f"Shuffling a feature breaks its link to fraud; the drop in average precision "
                f"is its worth (measured for the {PERMUTED} features of most gain).",
            )
        )
    else:
        sec.notes.append("Permutation importance needs fraud and genuine rows; it is left out.")
    shap = importance.shap_values(model, x, names=names)
    sec.charts.append(Chart(charts.shap_beeswarm(shap), "LightGBM's TreeSHAP contributions."))
    scores = importance.predict(model, x)
    top_row = int(np.argmax(np.where(y, scores, -1.0))) if y.any() else int(np.argmax(scores))
    base, values = importance.explain_row(model, x[top_row], names=names)
    kind = "fraud row" if y[top_row] else "row"
    sec.charts.append(
        Chart(
            charts.shap_waterfall(
                base, values, names, f"Why the highest-scoring {kind} scores {scores[top_row]:.3f}"
            )
        )
    )
    top = gs["feature"].head(4).to_list()
    pds = [importance.partial_dependence(model, x, names=names, feature=f) for f in top]
    sec.charts.append(Chart(charts.partial_dependence_chart(pds)))
    redundant = importance.redundant_features(x, names=names, order=gs["feature"].to_list())
    sec.tables.append(("top features", gs.head(15)))
    if redundant.height:
        sec.tables.append(("nearly identical to a more important feature", redundant))
    return sec, droppable_features(gs, redundant)


def _thresholds(
    y: npt.NDArray[np.bool_],
    scores: Mapping[str, npt.NDArray[np.float64]],
    amount: npt.NDArray[np.float64],
    *,
    costs: Costs,
    threshold: float | None,
    given: Mapping[str, ModelThreshold],
) -> dict[str, ModelThreshold]:
    """Each model's alert threshold: ``threshold`` for all when given, else its own from
    ``given`` (e.g. the registered one), else the cost-optimal one on these very rows."""
    both = 0 < int(y.sum()) < y.shape[0]
    out: dict[str, ModelThreshold] = {}
    for name, v in scores.items():
        if threshold is not None:
            out[name] = ModelThreshold(threshold, "given to the report")
        elif name in given:
            out[name] = given[name]
        elif not both:
            out[name] = ModelThreshold(
                0.5, "0.5: the evaluated rows have one class, no threshold can be chosen on them"
            )
        else:
            best = performance.threshold_sweep(y, v, amount, costs=costs).best_threshold
            if math.isfinite(best):
                out[name] = ModelThreshold(best, ON_THE_ROWS)
            else:
                out[name] = ModelThreshold(
                    0.5, "0.5: no threshold pays for its alerts on the evaluated rows"
                )
    return out


def _performance_section(
    y: npt.NDArray[np.bool_],
    scores: Mapping[str, npt.NDArray[np.float64]],
    aligned: pl.DataFrame,
    features: pl.DataFrame,
    *,
    costs: Costs,
    thresholds: Mapping[str, ModelThreshold],
    primary: str,
) -> tuple[Section, list[Recommendation]]:
    """Curves, confusion, sweep, by-group results, calibration and gains of every model, each
    model alerting at its own threshold."""
    sec = Section("Model performance", f"{len(scores)} model(s) on {y.shape[0]:,} rows.")
    positives = int(y.sum())
    chosen = thresholds[primary].value
    sec.notes.append(f"Threshold of {primary}: {chosen:.4f}, {thresholds[primary].source}.")
    if positives in (0, y.shape[0]):
        only = "genuine" if positives == 0 else "fraud"
        sec.notes.append(
            f"All evaluated rows are {only}: curves, calibration and gains need "
            "both classes and are left out."
        )
        s = scores[primary]
        c = performance.confusion(y, s, chosen)
        sec.charts.append(Chart(charts.confusion_heatmap(c, primary)))
        sec.charts.append(Chart(charts.score_histogram(s[~y], s[y], primary)))
        return sec, []
    amount = aligned["amount_inr"].to_numpy().astype(np.float64)
    sweep = performance.threshold_sweep(y, scores[primary], amount, costs=costs)
    s = scores[primary]
    rows = []
    for name, v in scores.items():
        c = performance.confusion(y, v, thresholds[name].value)
        rows.append(
            {
                "model": name,
                "threshold": thresholds[name].value,
                "roc_auc": performance.roc(y, v).area,
                "average_precision": performance.precision_recall(y, v).area,
                "precision": c.precision,
                "recall": c.recall,
                "false_positive_rate": c.false_positive_rate,
            }
        )
    sec.tables.append(("models, each at its threshold", pl.DataFrame(rows)))
    c = performance.confusion(y, s, chosen)
    fraud_type = features["fraud_type"].cast(pl.String)
    by_fraud = {
        n: performance.by_group(y, v, fraud_type, threshold=thresholds[n].value).filter(
            pl.col("group") != "none"
        )
        for n, v in scores.items()
    }
    anomaly = features["anomaly_type"].cast(pl.String)
    genuine = ~y
    by_anomaly = {
        n: performance.by_group(
            y[genuine], v[genuine], anomaly.filter(genuine), threshold=thresholds[n].value
        )
        for n, v in scores.items()
    }
    sec.charts += [
        Chart(charts.roc_chart({n: performance.roc(y, v) for n, v in scores.items()})),
        Chart(
            charts.pr_chart(
                {n: performance.precision_recall(y, v) for n, v in scores.items()},
                positives / y.shape[0],
            )
        ),
        Chart(charts.score_histogram(charts.sample(s[~y], 20_000), s[y], primary)),
        Chart(charts.confusion_heatmap(c, primary)),
        Chart(
            charts.sweep_chart(sweep.thinned(), primary, chosen),
            f"Net benefit = {costs.recovery_rate:.0%} of the fraud amount alerted - INR "
            f"{costs.review_cost_inr:,.0f} per alert - INR {costs.friction_cost_inr:,.0f} per "
            "false alert; the dashed line is the report's threshold.",
        ),
        Chart(
            charts.outcome_sankey(
                _outcomes(fraud_type, aligned["channel"], y, s >= chosen), primary, chosen
            )
        ),
        Chart(charts.alert_funnel(y.shape[0], c.tp + c.fp, c.tp, positives, primary)),
        Chart(
            charts.group_recall_bars(
                by_fraud,
                value="recall",
                axis="recall",
                title="Recall by fraud type, each model at its threshold",
            )
        ),
        Chart(
            charts.group_recall_bars(
                by_anomaly,
                value="alert_rate",
                axis="false-alert rate",
                title="False-alert rate of genuine rows by anomaly type, each model at its "
                "threshold",
            )
        ),
        Chart(
            charts.calibration_chart({n: performance.calibration(y, v) for n, v in scores.items()})
        ),
        Chart(charts.gains_chart({n: performance.gains(y, v) for n, v in scores.items()})),
    ]
    recs = [threshold_advice(sweep, costs=costs, chosen=chosen, model=primary)]
    weak = weakest_fraud_types(by_fraud[primary], model=primary, threshold=chosen)
    if weak is not None:
        recs.append(weak)
    return sec, recs


def _outcomes(
    fraud_type: pl.Series,
    channel: pl.Series,
    y: npt.NDArray[np.bool_],
    alert: npt.NDArray[np.bool_],
) -> pl.DataFrame:
    """Fraud rows by fraud type, channel and outcome (caught or missed) at the alert decision."""
    frame = pl.DataFrame(
        {
            "fraud_type": fraud_type.cast(pl.String),
            "channel": channel.cast(pl.String),
            "outcome": np.where(alert, "caught", "missed"),
        }
    ).filter(pl.Series(y))
    return frame.group_by(pl.all()).agg(rows=pl.len()).sort("fraud_type", "channel", "outcome")


def _aligned(transactions: pl.DataFrame, features: pl.DataFrame) -> pl.DataFrame:
    """The amount and channel of each features row, looked up by transaction_id."""
    joined = features.select("transaction_id").join(
        transactions.select("transaction_id", "amount_inr", "channel", "timestamp"),
        on="transaction_id",
        how="left",
        maintain_order="left",
    )
    missing = joined["amount_inr"].null_count()
    if missing:
        raise DataError(
            f"{missing:,} features row(s) have a transaction_id absent from the transactions "
            "table: pass the transactions the features were computed from"
        )
    return joined


def build_report(
    *,
    transactions: pl.DataFrame,
    features: pl.DataFrame | None = None,
    scores: Mapping[str, npt.ArrayLike] | None = None,
    model: importance.Model | None = None,
    feature_names: Sequence[str] | None = None,
    costs: Costs | None = None,
    threshold: float | None = None,
    thresholds: Mapping[str, ModelThreshold] | None = None,
    evaluation: str | None = None,
    warnings: Sequence[str] = (),
    realism: Scorecard | None = None,
    title: str = "fraudforge report",
) -> str:
    """The report as one self-contained HTML page.

    ``scores`` maps model names to fraud probabilities aligned with the rows of ``features``
    (the first model is the primary one for the threshold, funnel and by-type results).
    ``model`` (a fitted LightGBM model) adds the importance section, and is scored itself when
    ``scores`` is not given. Each model alerts at ``threshold`` when given, else at its entry of
    ``thresholds`` (e.g. its registered, validated threshold, with where it came from), else at
    the cost-optimal threshold on the evaluated rows (the summary says which). ``evaluation``
    says how the ``features`` rows were chosen (``analytics.scope``); the summary gives their
    count and dates, the threshold and ``warnings``. ``realism`` (``fraudforge.realism.score``
    of the dataset) adds the section of the genuine traffic against public figures.

    Parameters
    ----------
    transactions
        The dataset's transactions.
    features
        The evaluated rows' features, with their labels.
    scores
        Fraud probabilities per model name, aligned with ``features``.
    model
        A fitted LightGBM model to explain (and score when ``scores`` is not given).
    feature_names
        The model's input names.
    costs
        The review and friction costs and recovery rate (default: ``Costs()``).
    threshold
        The alert threshold of every model.
    thresholds
        Each model's own threshold and where it came from.
    evaluation
        How the evaluated rows were chosen.
    warnings
        Lines for the summary.
    realism
        The dataset's realism scorecard.
    title
        The page's title.

    Returns
    -------
    str
        The HTML page.
    """
    costs = costs or Costs()
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold = {threshold!r}: allowed is 0 to 1")
    if (scores or model is not None) and features is None:
        raise ConfigError("scores and model need the features table they were computed on")
    names: Sequence[str] = ()
    x = None
    if model is not None:
        assert features is not None
        names = importance.model_names(model, feature_names)
        x = importance.matrix(features, names)
        if not scores:
            scores = {"lightgbm": importance.predict(model, x)}
    summary = explore.summary(transactions)
    sections = _data_sections(transactions)
    if realism is not None:
        sections.append(_realism_section(realism))
    recs: list[Recommendation] = []
    subtitle = (
        f"{summary.rows:,} transactions, {summary.first_day} to {summary.last_day}; "
        f"costs: review INR {costs.review_cost_inr:,.0f}/alert, friction INR "
        f"{costs.friction_cost_inr:,.0f}/false alert, recovery {costs.recovery_rate:.0%}"
    )
    stats = [
        ("transactions", f"{summary.rows:,}"),
        ("customers", f"{summary.customers:,}"),
        ("merchants", f"{summary.merchants:,}"),
        ("fraud rows", f"{summary.fraud_rows:,} ({summary.fraud_rate:.2%})"),
        ("fraud incidents", f"{summary.fraud_scenarios:,}"),
        ("fraud amount", f"INR {summary.fraud_amount_inr:,.0f}"),
        ("anomalous rows", f"{summary.anomaly_rows:,} ({summary.anomaly_rate:.2%})"),
        ("total amount", f"INR {summary.amount_inr:,.0f}"),
    ]
    notes = list(warnings)
    if scores:
        assert features is not None
        y = importance.labels_for(features)
        arrays = {n: labels_and_scores(y, v)[1] for n, v in scores.items()}
        for n, v in arrays.items():
            if v.size and (v.min() < 0.0 or v.max() > 1.0):
                raise DataError(f"scores of model `{n}` must be probabilities: allowed is 0 to 1")
        primary = next(iter(arrays))
        aligned = _aligned(transactions, features)
        both = 0 < int(y.sum()) < y.shape[0]
        chosen = _thresholds(
            y,
            arrays,
            aligned["amount_inr"].to_numpy().astype(np.float64),
            costs=costs,
            threshold=threshold,
            given=thresholds or {},
        )
        if model is not None:
            assert x is not None
            sec, drop = _importance_section(model, x, y, names, both)
            sections.append(sec)
            recs.append(drop)
        else:
            sections.append(
                Section(
                    "Feature importance",
                    notes=["No model object was given, only scores: importance is left out."],
                )
            )
        perf, perf_recs = _performance_section(
            y, arrays, aligned, features, costs=costs, thresholds=chosen, primary=primary
        )
        sections.append(perf)
        recs = perf_recs + recs
        period = _period(aligned["timestamp"])
        stats.append(("models", ", ".join(arrays)))
        stats.append(("evaluated rows", f"{y.shape[0]:,}"))
        stats.append(("evaluated period", period))
        stats.append((f"threshold of {primary}", f"{chosen[primary].value:.4f}"))
        how = evaluation or "the features rows given to the report"
        notes.insert(0, f"Models evaluated on {how}: {y.shape[0]:,} rows, {period}.")
        notes[1:1] = [f"Threshold of {n}: {t.value:.4f}, {t.source}." for n, t in chosen.items()]
    else:
        sections[0].notes.insert(0, NO_MODEL)
        recs.append(Recommendation("model", NO_MODEL))
    if summary.fraud_rows == 0:
        recs.append(Recommendation("data", "The data has no fraud rows: nothing to detect."))
    return render(
        title=title,
        subtitle=subtitle,
        stats=stats,
        notes=notes,
        recommendations=recs,
        sections=sections,
    )


def _period(timestamps: pl.Series) -> str:
    """``first day to last day`` of the evaluated rows."""
    days = timestamps.dt.date()
    return f"{days.min()!s} to {days.max()!s}"


def check_report_path(path: str | Path) -> Path:
    """``path`` if a report can be written there: a file name (not a directory) in an existing
    directory; checked before the report's work starts, so a typo costs no time."""
    out = Path(path)
    if out.is_dir():
        raise IsADirectoryError(
            f"{out} is a directory: give the report's file name, e.g. {out / 'report.html'}"
        )
    if not out.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write the report to {out}: directory {out.parent} does not exist "
            "(create it first, or give a file in an existing directory)"
        )
    return out


def write_report(html: str, path: str | Path) -> Path:
    """Write the page to ``path`` (a file in an existing directory) atomically: a temporary
    file in the same directory, then a rename.

    Parameters
    ----------
    html
        The page (``build_report``'s).
    path
        The file to write; its directory must exist.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileNotFoundError
        When the directory does not exist.
    IsADirectoryError
        When ``path`` is a directory.
    """
    out = check_report_path(path)
    write_atomic(out, html.encode("utf-8"))
    return out
