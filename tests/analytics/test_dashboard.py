"""The report page: self-contained, every chart type present, recommendations computed, edge
cases stated plainly, and written atomically."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from plotly.offline import get_plotlyjs

from fraudforge.analytics import performance as perf
from fraudforge.analytics.dashboard import NO_MODEL, build_report, write_report
from fraudforge.models.metrics import Costs
from tests.analytics.conftest import Scored

FIGURE = re.compile(r'<script type="application/json" class="figure"[^>]*>(.*?)</script>', re.S)


def figures(page: str) -> list[dict[str, object]]:
    """The figures embedded in a report page."""
    return [json.loads(m.replace("<\\/", "</")) for m in FIGURE.findall(page)]


def trace_types(page: str) -> set[str]:
    """The Plotly trace types drawn in a report page."""
    return {str(t.get("type", "scatter")) for f in figures(page) for t in f["data"]}  # type: ignore[attr-defined]


def test_page_is_self_contained(report_html: str) -> None:
    """plotly.js is inlined exactly once and nothing is loaded from elsewhere."""
    assert report_html.count(get_plotlyjs()[:500]) == 1
    assert "<script src" not in report_html
    assert "<link" not in report_html
    assert "<iframe" not in report_html


def test_every_chart_is_embedded_and_many_types_are_drawn(report_html: str) -> None:
    """The page declares as many charts as it embeds, of at least 12 trace types."""
    figs = figures(report_html)
    declared = int(re.search(r'data-charts="(\d+)"', report_html).group(1))  # type: ignore[union-attr]
    assert declared == len(figs) >= 25
    types = trace_types(report_html)
    assert len(types) >= 12, types
    assert {"heatmap", "bar", "scatter", "violin", "box", "histogram", "waterfall", "funnel",
            "sunburst", "treemap", "barpolar"} <= types  # fmt: skip


def test_recommendations_are_the_computed_ones(scored: Scored, report_html: str) -> None:
    """The recommended threshold is the sweep's best for the default costs; the weakest type
    named first has the lowest recall at that threshold."""
    y = scored.features["is_fraud"].to_numpy()
    amount = scored.features.join(
        scored.transactions.select("transaction_id", "amount_inr"), on="transaction_id",
        maintain_order="left",
    )["amount_inr"].to_numpy()  # fmt: skip
    sweep = perf.threshold_sweep(y, scored.scores, amount, costs=Costs())
    best = sweep.best_threshold
    assert f"Alert when lightgbm&#x27;s score is at least {best:.4f}" in report_html
    assert f"INR {sweep.best_net_benefit_inr:,.0f}" in report_html
    by_type = perf.by_group(y, scored.scores, scored.features["fraud_type"], threshold=best)
    worst = (
        by_type.filter((pl.col("group") != "none") & (pl.col("fraud_rows") >= 10))
        .sort(["recall", "group"])
        .row(0, named=True)
    )
    assert f"catches these fraud types least: {worst['group']} (recall {worst['recall']:.1%}" in (
        report_html
    )
    assert "carry less than 0.1% of the total gain" in report_html or "keep them all" in (
        report_html
    )


def test_without_a_model_the_report_says_so(scored: Scored) -> None:
    """Data sections only, and a plain statement that no model was given."""
    page = build_report(transactions=scored.transactions)
    assert NO_MODEL in page
    assert "Model performance" not in page
    assert len(figures(page)) >= 12
    assert int(re.search(r'data-charts="(\d+)"', page).group(1)) == len(figures(page))  # type: ignore[union-attr]


def test_no_fraud_and_one_class(scored: Scored) -> None:
    """Data without fraud builds; curves that need both classes are replaced by a note."""
    tx = scored.transactions.filter(~pl.col("is_fraud"))
    keep = (~scored.features["is_fraud"]).to_numpy()
    page = build_report(
        transactions=tx,
        features=scored.features.filter(pl.Series(keep)),
        scores={"m": scored.scores[keep]},
    )
    assert "All evaluated rows are genuine" in page
    assert "The data has no fraud rows" in page
    assert "The data has no fraud incident with more than one customer" in page
    assert "ROC curves" not in page


def test_no_anomalies(scored: Scored) -> None:
    """Data without anomalies says so and draws a placeholder chart instead of the violin."""
    page = build_report(transactions=scored.transactions.filter(~pl.col("is_anomaly")))
    assert "The data has no anomalies." in page
    assert "violin" not in trace_types(page)


def test_bad_inputs_are_refused(scored: Scored) -> None:
    """Scores need features; scores must be probabilities; rows must exist in transactions."""
    with pytest.raises(ValueError, match="need the features table"):
        build_report(transactions=scored.transactions, scores={"m": scored.scores})
    with pytest.raises(ValueError, match="model `m` must be probabilities"):
        build_report(transactions=scored.transactions, features=scored.features,
                     scores={"m": scored.scores * 3})  # fmt: skip
    with pytest.raises(ValueError, match="threshold = 2"):
        build_report(transactions=scored.transactions, threshold=2)
    with pytest.raises(ValueError, match="absent from the transactions"):
        build_report(transactions=scored.transactions.head(10), features=scored.features,
                     scores={"m": scored.scores})  # fmt: skip
    with pytest.raises(ValueError, match="differ in length"):
        build_report(transactions=scored.transactions, features=scored.features,
                     scores={"m": np.zeros(3)})  # fmt: skip


def test_write_report_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new file appears whole; a failed write leaves the old one and no temporary file."""
    target = tmp_path / "sub" / "report.html"
    target.parent.mkdir()
    assert write_report("<html>one</html>", target) == target
    assert target.read_text() == "<html>one</html>"

    def fail(self: Path, data: bytes) -> int:
        self.open("wb").write(data[:5])
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", fail)
    with pytest.raises(OSError, match="disk full"):
        write_report("<html>two</html>", target)
    monkeypatch.undo()
    assert target.read_text() == "<html>one</html>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]
    with pytest.raises(IsADirectoryError, match="give the report's file name"):
        write_report("x", tmp_path)
    missing = tmp_path / "absent" / "r.html"
    with pytest.raises(FileNotFoundError, match=r"directory .*absent does not exist"):
        write_report("x", missing)
    assert not missing.parent.exists()
