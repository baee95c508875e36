"""Plotly figures of the report, one function per chart; each takes analysis results, never raw
tables, so what is drawn is what was computed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from fraudforge.analytics._arrays import F64
from fraudforge.analytics.explore import WEEKDAYS, Cooccurrence, HourWeekday
from fraudforge.analytics.importance import PartialDependence, Shap
from fraudforge.analytics.network import NODE_KINDS, Network
from fraudforge.analytics.performance import Calibration, Confusion, Curve, Gains, Sweep
from fraudforge.realism.scorecard import Result

TEMPLATE = "plotly_white"
KIND_COLOURS = {
    "customer": "#1f77b4",
    "merchant": "#ff7f0e",
    "device": "#2ca02c",
    "payee": "#d62728",
}


def _layout(fig: go.Figure, title: str, *, height: int = 420, **extra: object) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template=TEMPLATE,
        height=height,
        margin={"l": 60, "r": 30, "t": 60, "b": 50},
        **extra,
    )
    return fig


def _reference(x: list[float], y: list[float], name: str) -> go.Scatter:
    """A dotted grey reference line (chance, perfect calibration, base rate)."""
    return go.Scatter(x=x, y=y, mode="lines", name=name, line={"dash": "dot", "color": "#999"})


def empty(title: str, message: str) -> go.Figure:
    """A chart that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=260)


def cooccurrence_counts(c: Cooccurrence) -> go.Figure:
    """Heatmap of rows by fraud type and anomaly type (log colour scale, counts as text)."""
    z = np.log10(c.counts + 1.0)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(c.anomaly_types),
            y=list(c.fraud_types),
            text=c.counts,
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar={"title": "log10(rows+1)"},
            hovertemplate="fraud %{y}<br>anomaly %{x}<br>rows %{text}<extra></extra>",
        )
    )
    return _layout(fig, "Fraud type x anomaly type: rows", height=560)


def cooccurrence_phi(c: Cooccurrence) -> go.Figure:
    """Heatmap of the phi correlation between fraud-type and anomaly-type indicators."""
    fig = go.Figure(
        go.Heatmap(
            z=c.phi,
            x=list(c.anomaly_types),
            y=list(c.fraud_types),
            zmid=0,
            colorscale="RdBu",
            reversescale=True,
            texttemplate="%{z:.3f}",
            colorbar={"title": "phi"},
        )
    )
    return _layout(fig, "Fraud type x anomaly type: correlation (phi)", height=560)


def severity_violin(samples: Mapping[str, F64]) -> go.Figure:
    """Violin of anomaly severity per anomaly type."""
    fig = go.Figure(
        [
            go.Violin(
                y=v, name=k, box_visible=True, spanmode="hard", meanline_visible=True, points=False
            )
            for k, v in samples.items()
        ]
    )
    fig.update_yaxes(title="severity", range=[0, 1.05])
    return _layout(fig, "Anomaly severity by anomaly type", showlegend=False)


def amount_box(samples: Mapping[str, F64]) -> go.Figure:
    """Box plot of amounts (log scale) per fraud type, genuine rows first."""
    fig = go.Figure([go.Box(y=v, name=k, boxpoints=False) for k, v in samples.items()])
    fig.update_yaxes(title="amount (INR)", type="log")
    return _layout(fig, "Amount by fraud type", height=480, showlegend=False)


def amount_histogram(genuine: F64, fraud: F64) -> go.Figure:
    """Overlaid histograms of log10 amount for genuine and fraud rows (share of each class)."""
    fig = go.Figure()
    for name, values in (("genuine", genuine), ("fraud", fraud)):
        fig.add_trace(
            go.Histogram(
                x=np.log10(np.maximum(values, 1.0)),
                name=name,
                opacity=0.6,
                histnorm="probability",
                nbinsx=60,
            )
        )
    fig.update_xaxes(title="log10 amount (INR)")
    fig.update_yaxes(title="share of rows")
    return _layout(fig, "Amount distribution: fraud against genuine", barmode="overlay")


def fraud_sunburst(table: pl.DataFrame) -> go.Figure:
    """Sunburst of fraud rows: fraud type, then payment mode (``table``: fraud_type,
    payment_mode, rows)."""
    types = table.group_by("fraud_type").agg(pl.col("rows").sum()).sort("fraud_type")
    ids = types["fraud_type"].to_list() + [
        f"{t}/{m}" for t, m in table.select("fraud_type", "payment_mode").iter_rows()
    ]
    labels = types["fraud_type"].to_list() + table["payment_mode"].to_list()
    parents = [""] * types.height + table["fraud_type"].to_list()
    values = types["rows"].to_list() + table["rows"].to_list()
    fig = go.Figure(
        go.Sunburst(
            ids=ids, labels=labels, parents=parents, values=values, branchvalues="total", maxdepth=2
        )
    )
    return _layout(fig, "Fraud rows by fraud type and payment mode", height=560)


def hour_weekday_heatmap(hw: HourWeekday) -> go.Figure:
    """Heatmap of the fraud rate by weekday and hour."""
    rate = hw.fraud_rate
    fig = go.Figure(
        go.Heatmap(
            z=rate * 100,
            x=list(range(24)),
            y=list(WEEKDAYS),
            customdata=hw.rows,
            colorscale="OrRd",
            colorbar={"title": "fraud %"},
            hovertemplate="%{y} %{x}:00<br>fraud %{z:.2f}%<br>rows %{customdata}<extra></extra>",
        )
    )
    fig.update_xaxes(title="hour of day", dtick=2)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Fraud rate by weekday and hour")


def hour_polar(hw: HourWeekday) -> go.Figure:
    """Polar bars of the fraud rate by hour of day (a 24-hour clock)."""
    rows = hw.rows.sum(axis=0)
    fraud = hw.fraud_rows.sum(axis=0)
    rate = np.where(rows > 0, fraud / np.maximum(rows, 1), 0.0) * 100
    fig = go.Figure(
        go.Barpolar(
            r=rate,
            theta=[h * 15 for h in range(24)],
            width=[14] * 24,
            marker={"color": rate, "colorscale": "OrRd"},
            customdata=list(range(24)),
            hovertemplate="%{customdata}:00<br>fraud %{r:.2f}%<extra></extra>",
        )
    )
    fig.update_layout(
        polar={
            "angularaxis": {
                "direction": "clockwise",
                "rotation": 90,
                "tickvals": [h * 15 for h in range(0, 24, 3)],
                "ticktext": [f"{h}:00" for h in range(0, 24, 3)],
            }
        }
    )
    return _layout(fig, "Fraud rate by hour of day (%)")


def daily_line(days: pl.DataFrame) -> go.Figure:
    """Rows per day and fraud rate per day, festival days marked."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    day = days["day"].to_list()
    fig.add_trace(go.Scatter(x=day, y=days["rows"].to_list(), name="rows", mode="lines"))
    fig.add_trace(
        go.Scatter(x=day, y=(days["fraud_rate"] * 100).to_list(), name="fraud %", mode="lines"),
        secondary_y=True,
    )
    fest = days.filter(pl.col("festival") != "")
    if fest.height:
        fig.add_trace(
            go.Scatter(
                x=fest["day"].to_list(),
                y=fest["rows"].to_list(),
                mode="markers",
                name="festival",
                text=fest["festival"].to_list(),
                marker={"size": 11, "symbol": "star", "color": "#d62728"},
                hovertemplate="%{x}<br>%{text}<br>rows %{y}<extra></extra>",
            )
        )
    fig.update_yaxes(title_text="rows", secondary_y=False)
    fig.update_yaxes(title_text="fraud %", secondary_y=True)
    return _layout(fig, "Daily volume and fraud rate (festival days starred)")


def city_map(cities: pl.DataFrame) -> go.Figure:
    """Cities on latitude/longitude axes (equal scale): size by rows, colour by fraud rate."""
    rows = cities["rows"].to_numpy().astype(np.float64)
    size = 6 + 34 * np.sqrt(rows / max(rows.max(), 1.0))
    fig = go.Figure(
        go.Scatter(
            x=cities["lon"].to_list(),
            y=cities["lat"].to_list(),
            mode="markers",
            text=cities["city"].to_list(),
            customdata=np.c_[cities["rows"].to_numpy(), cities["fraud_rate"].to_numpy() * 100],
            marker={
                "size": size,
                "color": (cities["fraud_rate"] * 100).to_list(),
                "colorscale": "OrRd",
                "showscale": True,
                "colorbar": {"title": "fraud %"},
                "line": {"width": 0.5, "color": "#444"},
            },
            hovertemplate="%{text}<br>rows %{customdata[0]:,}<br>fraud %{customdata[1]:.2f}%"
            "<extra></extra>",
        )
    )
    fig.update_xaxes(title="longitude (°E)", range=[67, 98], constrain="domain")
    fig.update_yaxes(title="latitude (°N)", range=[6, 37], scaleanchor="x", scaleratio=1)
    return _layout(fig, "Cities of India by volume and fraud rate", height=640)


def state_bar(states: pl.DataFrame, *, top: int = 20, min_rows: int = 100) -> go.Figure:
    """Horizontal bars of the fraud rate of the ``top`` states with the highest rate among
    those with at least ``min_rows`` rows (a handful of rows gives a meaningless rate)."""
    t = states.filter(pl.col("rows") >= min_rows).head(top).reverse()
    fig = go.Figure(
        go.Bar(
            x=(t["fraud_rate"] * 100).to_list(),
            y=t["state"].to_list(),
            orientation="h",
            customdata=t["rows"].to_list(),
            hovertemplate="%{y}<br>fraud %{x:.2f}%<br>rows %{customdata:,}<extra></extra>",
        )
    )
    fig.update_xaxes(title="fraud %")
    return _layout(
        fig, f"Fraud rate by state (top {t.height} with at least {min_rows} rows)", height=560
    )


def realism_bands(results: Sequence[Result]) -> go.Figure:
    """Each calibration figure as the dataset's value over the public target (1 = on target),
    with its band as a bar behind the dot and two standard errors as whiskers: one row per
    figure, green inside the band, red outside."""
    rows = [r for r in results if r.measured is not None and r.target]
    ids = [r.id for r in rows][::-1]
    rows = rows[::-1]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=ids,
            x=[r.high / r.target - max(r.low / r.target, 0.1) for r in rows],
            base=[max(r.low / r.target, 0.1) for r in rows],
            orientation="h",
            marker={"color": "#dbe7f3"},
            name="public band",
            hovertemplate="%{y}: band %{base:.2f} to %{x:.2f} wide (of the target)<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            y=ids,
            x=[(r.measured or 0.0) / r.target for r in rows],
            mode="markers",
            marker={"size": 9, "color": ["#2a9d3f" if r.inside else "#d62728" for r in rows]},
            error_x={"type": "data", "array": [2 * r.stderr / r.target for r in rows]},
            customdata=[[r.measured, r.target, r.source] for r in rows],
            name="this dataset",
            hovertemplate="%{y}<br>measured %{customdata[0]:,.4g}<br>public %{customdata[1]:,.4g}"
            "<br>%{customdata[2]}<extra></extra>",
        )
    )
    fig.add_vline(x=1.0, line_dash="dot", line_color="#555")
    fig.update_xaxes(title="measured / public figure (1 = on target)", type="log")
    return _layout(fig, "Genuine traffic against public figures", height=max(360, 22 * len(ids)))


def risk_bars(tables: Mapping[str, pl.DataFrame]) -> go.Figure:
    """Side-by-side bars of the fraud rate by each given attribute."""
    fig = make_subplots(rows=1, cols=len(tables), subplot_titles=list(tables))
    for i, (col, t) in enumerate(tables.items(), start=1):
        fig.add_trace(
            go.Bar(
                x=t[col].to_list(),
                y=(t["fraud_rate"] * 100).to_list(),
                name=col,
                customdata=t["rows"].to_list(),
                hovertemplate="%{x}<br>fraud %{y:.2f}%<br>rows %{customdata:,}<extra></extra>",
            ),
            row=1,
            col=i,
        )
    fig.update_yaxes(title_text="fraud %", row=1, col=1)
    return _layout(fig, "Fraud rate by payment mode and channel", showlegend=False)


def category_treemap(table: pl.DataFrame) -> go.Figure:
    """Treemap of merchant categories: area by rows, colour by fraud rate."""
    fig = go.Figure(
        go.Treemap(
            labels=table["category"].to_list(),
            parents=[""] * table.height,
            values=table["rows"].to_list(),
            marker={
                "colors": (table["fraud_rate"] * 100).to_list(),
                "colorscale": "OrRd",
                "showscale": True,
                "colorbar": {"title": "fraud %"},
            },
            hovertemplate="%{label}<br>rows %{value:,}<br>fraud %{color:.2f}%<extra></extra>",
        )
    )
    return _layout(fig, "Merchant categories: volume (area) and fraud rate (colour)", height=520)


def network_graph(net: Network) -> go.Figure:
    """The parties of multi-party incidents: edges as lines, nodes coloured by kind."""
    pos = {k: (x, y) for k, x, y in net.nodes.select("key", "x", "y").iter_rows()}
    fig = go.Figure()
    for fraud_type in sorted(set(net.edges["fraud_type"].to_list())):
        e = net.edges.filter(pl.col("fraud_type") == fraud_type)
        xs: list[float | None] = []
        ys: list[float | None] = []
        for s, t in e.select("source", "target").iter_rows():  # a few hundred drawn edges
            xs += [pos[s][0], pos[t][0], None]
            ys += [pos[s][1], pos[t][1], None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=f"{fraud_type} link",
                line={"width": 1},
                hoverinfo="skip",
                opacity=0.6,
            )
        )
    for kind in NODE_KINDS:
        n = net.nodes.filter(pl.col("kind") == kind)
        if n.height == 0:
            continue
        fig.add_trace(
            go.Scatter(
                x=n["x"].to_list(),
                y=n["y"].to_list(),
                mode="markers",
                name=kind,
                text=[
                    f"{kind} {label}<br>links {d}"
                    for label, d in n.select("label", "degree").iter_rows()
                ],
                hoverinfo="text",
                marker={
                    "size": (6 + 2 * np.sqrt(n["degree"].to_numpy())).tolist(),
                    "color": KIND_COLOURS[kind],
                    "line": {"width": 0.5},
                },
            )
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, "Network of multi-party fraud incidents", height=640)


def roc_chart(curves: Mapping[str, Curve]) -> go.Figure:
    """ROC curves of several models, with the chance diagonal."""
    fig = go.Figure()
    for name, c in curves.items():
        fig.add_trace(go.Scatter(x=c.x, y=c.y, mode="lines", name=f"{name} (AUC {c.area:.3f})"))
    fig.add_trace(_reference([0, 1], [0, 1], "chance"))
    fig.update_xaxes(title="false-positive rate", range=[0, 1])
    fig.update_yaxes(title="true-positive rate", range=[0, 1.02])
    return _layout(fig, "ROC curves")


def pr_chart(curves: Mapping[str, Curve], base_rate: float) -> go.Figure:
    """Precision-recall curves of several models, with the base fraud rate."""
    fig = go.Figure()
    for name, c in curves.items():
        fig.add_trace(go.Scatter(x=c.x, y=c.y, mode="lines", name=f"{name} (AP {c.area:.3f})"))
    fig.add_trace(_reference([0, 1], [base_rate, base_rate], f"base rate {base_rate:.2%}"))
    fig.update_xaxes(title="recall", range=[0, 1])
    fig.update_yaxes(title="precision", range=[0, 1.02])
    return _layout(fig, "Precision-recall curves")


def score_histogram(genuine: F64, fraud: F64, model: str) -> go.Figure:
    """Overlaid score histograms of genuine and fraud rows (share of each class)."""
    fig = go.Figure()
    for name, values in (("genuine", genuine), ("fraud", fraud)):
        fig.add_trace(
            go.Histogram(
                x=values,
                name=name,
                opacity=0.6,
                histnorm="probability",
                xbins={"start": 0, "end": 1, "size": 0.02},
            )
        )
    fig.update_xaxes(title="score", range=[0, 1])
    fig.update_yaxes(title="share of rows", type="log")
    return _layout(fig, f"Score distribution of {model}", barmode="overlay")


def confusion_heatmap(c: Confusion, model: str) -> go.Figure:
    """The confusion matrix at the chosen threshold as an annotated heatmap."""
    z = [[c.tn, c.fp], [c.fn, c.tp]]
    fig = go.Figure(
        go.Heatmap(
            z=np.log10(np.asarray(z, dtype=np.float64) + 1),
            text=z,
            texttemplate="%{text:,}",
            x=["alert: no", "alert: yes"],
            y=["genuine", "fraud"],
            colorscale="Blues",
            showscale=False,
            hovertemplate="%{y}, %{x}: %{text:,}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig,
        f"Confusion matrix of {model} at threshold {c.threshold:.4f} "
        f"(precision {c.precision:.1%}, recall {c.recall:.1%})",
        height=380,
    )


def sweep_chart(sweep: Sweep, model: str, chosen: float) -> go.Figure:
    """Net benefit against threshold, with precision and recall on a second axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Scatter(
            x=sweep.thresholds, y=sweep.net_benefit_inr, mode="lines", name="net benefit (INR)"
        )
    )
    fig.add_trace(
        go.Scatter(
            x=sweep.thresholds,
            y=sweep.precision,
            mode="lines",
            name="precision",
            line={"dash": "dash"},
        ),
        secondary_y=True,
    )
    fig.add_trace(
        go.Scatter(
            x=sweep.thresholds, y=sweep.recall, mode="lines", name="recall", line={"dash": "dot"}
        ),
        secondary_y=True,
    )
    if sweep.net_benefit_inr[sweep.best] > 0:  # else no alert pays: there is no best
        b = sweep.best
        fig.add_trace(
            go.Scatter(
                x=[sweep.thresholds[b]],
                y=[sweep.net_benefit_inr[b]],
                mode="markers",
                name=f"best {sweep.thresholds[b]:.4f}",
                marker={"size": 12, "symbol": "diamond", "color": "#d62728"},
            )
        )
    fig.add_vline(x=chosen, line_dash="dash", line_color="#555")
    fig.update_xaxes(title_text="threshold (alert when score >= threshold)", range=[0, 1])
    fig.update_yaxes(title_text="net benefit (INR)", secondary_y=False)
    fig.update_yaxes(
        title_text="precision / recall", range=[0, 1.02], tickformat=".0%", secondary_y=True
    )
    return _layout(fig, f"Threshold sweep of {model}: cost-benefit", height=460)


def alert_funnel(rows: int, alerts: int, caught: int, fraud_rows: int, model: str) -> go.Figure:
    """Funnel from all transactions to alerts to caught fraud at the chosen threshold."""
    fig = go.Figure(
        go.Funnel(
            y=["transactions", "alerts", "fraud caught"],
            x=[rows, alerts, caught],
            textinfo="value+percent initial",
        )
    )
    return _layout(
        fig, f"Alert funnel of {model} ({caught:,} of {fraud_rows:,} fraud rows)", height=360
    )


def group_recall_bars(
    tables: Mapping[str, pl.DataFrame], *, value: str, title: str, axis: str
) -> go.Figure:
    """Grouped bars of ``value`` (recall or alert rate) per group for each model."""
    fig = go.Figure()
    for name, t in tables.items():
        fig.add_trace(
            go.Bar(
                x=t["group"].to_list(),
                y=t[value].to_list(),
                name=name,
                customdata=t["fraud_rows" if value == "recall" else "rows"].to_list(),
                hovertemplate="%{x}<br>%{y:.1%} of %{customdata:,} rows<extra></extra>",
            )
        )
    fig.update_yaxes(title=axis, tickformat=".0%")
    return _layout(fig, title, barmode="group")


def calibration_chart(cal: Mapping[str, Calibration]) -> go.Figure:
    """Reliability diagram of several models."""
    fig = go.Figure()
    for name, c in cal.items():
        fig.add_trace(
            go.Scatter(
                x=c.mean_score,
                y=c.fraud_rate,
                mode="lines+markers",
                name=f"{name} (Brier {c.brier:.4f})",
                customdata=c.rows,
                hovertemplate="score %{x:.3f}<br>fraud %{y:.3f}<br>"
                "rows %{customdata:,}<extra></extra>",
            )
        )
    fig.add_trace(_reference([0, 1], [0, 1], "perfect"))
    fig.update_xaxes(title="mean score in bin", range=[0, 1])
    fig.update_yaxes(title="observed fraud rate", range=[0, 1.02])
    return _layout(fig, "Calibration")


def gains_chart(g: Mapping[str, Gains]) -> go.Figure:
    """Cumulative gains (lines) and lift per decile (bars) of several models."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for name, v in g.items():
        fig.add_trace(
            go.Bar(x=v.population_share, y=v.lift, name=f"{name} lift", opacity=0.5),
            secondary_y=True,
        )
        fig.add_trace(
            go.Scatter(
                x=np.r_[0, v.population_share],
                y=np.r_[0, v.cumulative_fraud_share],
                mode="lines+markers",
                name=f"{name} gains",
            )
        )
    fig.add_trace(_reference([0, 1], [0, 1], "random"))
    fig.update_xaxes(title_text="share of transactions, highest scores first", tickformat=".0%")
    fig.update_yaxes(
        title_text="share of fraud caught", tickformat=".0%", range=[0, 1.05], secondary_y=False
    )
    top = max((float(v.lift.max()) for v in g.values()), default=1.0)
    fig.update_yaxes(title_text="lift", range=[0, 1.1 * top], secondary_y=True)
    return _layout(fig, "Cumulative gains and lift by decile", barmode="group")


def importance_bars(table: pl.DataFrame, *, top: int = 25) -> go.Figure:
    """Gain share and split count of the ``top`` features by gain."""
    t = table.head(top).reverse()
    fig = make_subplots(
        rows=1, cols=2, shared_yaxes=True, subplot_titles=["share of gain", "splits"]
    )
    fig.add_trace(
        go.Bar(x=t["gain_share"].to_list(), y=t["feature"].to_list(), orientation="h", name="gain"),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(x=t["split"].to_list(), y=t["feature"].to_list(), orientation="h", name="splits"),
        row=1,
        col=2,
    )
    fig.update_xaxes(tickformat=".0%", row=1, col=1)
    return _layout(
        fig,
        f"LightGBM importance: top {t.height} features by gain",
        height=120 + 22 * t.height,
        showlegend=False,
    )


def permutation_bars(table: pl.DataFrame, *, top: int = 25) -> go.Figure:
    """Average-precision drop when each of the ``top`` features is shuffled, with its spread."""
    t = table.head(top).reverse()
    fig = go.Figure(
        go.Bar(
            x=t["ap_drop"].to_list(),
            y=t["feature"].to_list(),
            orientation="h",
            error_x={"type": "data", "array": t["ap_drop_std"].to_list()},
        )
    )
    fig.update_xaxes(title="drop in average precision")
    return _layout(
        fig, f"Permutation importance: top {t.height} features", height=120 + 22 * t.height
    )


def shap_beeswarm(shap: Shap, *, top: int = 15, max_points: int = 1_000) -> go.Figure:
    """SHAP summary: each sampled row's contribution per top feature, coloured by the
    feature's value (rank within the sample, low blue to high red)."""
    order = np.argsort(-np.abs(shap.values).mean(axis=0))[:top][::-1]
    n = min(shap.values.shape[0], max_points)
    rng = np.random.default_rng(0)
    xs: list[float] = []
    ys: list[float] = []
    colours: list[float] = []
    labels: list[str] = []
    for pos, j in enumerate(order):
        v = shap.values[:n, j]
        raw = shap.x[:n, j]
        finite = np.isfinite(raw)
        rank = np.full(n, 0.5)
        if finite.sum() > 1:
            rank[finite] = np.argsort(np.argsort(raw[finite])) / (finite.sum() - 1)
        xs += v.tolist()
        ys += (pos + rng.uniform(-0.3, 0.3, n)).tolist()
        colours += rank.tolist()
        labels += [f"{shap.names[j]} = {r:.4g}" for r in raw]
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            text=labels,
            hoverinfo="text+x",
            marker={
                "size": 4,
                "color": colours,
                "colorscale": "RdBu",
                "reversescale": True,
                "showscale": True,
                "colorbar": {"title": "feature value (rank)"},
            },
        )
    )
    fig.update_yaxes(tickvals=list(range(len(order))), ticktext=[shap.names[j] for j in order])
    fig.update_xaxes(title="SHAP value (log-odds contribution)", zeroline=True)
    return _layout(
        fig,
        f"SHAP summary: top {len(order)} features ({n:,} rows)",
        height=140 + 28 * len(order),
        showlegend=False,
    )


def shap_waterfall(
    base: float, values: F64, names: Sequence[str], title: str, *, top: int = 12
) -> go.Figure:
    """Waterfall from the base log-odds to one row's score: its largest contributions."""
    order = np.argsort(-np.abs(values))
    shown = order[:top]
    rest = float(values[order[top:]].sum())
    x = [
        "base value",
        *[names[j] for j in shown],
        f"{len(order) - len(shown)} other features",
        "score (log-odds)",
    ]
    y = [base, *values[shown].tolist(), rest, 0.0]
    measure = ["absolute", *["relative"] * (len(shown) + 1), "total"]
    fig = go.Figure(go.Waterfall(x=x, y=y, measure=measure, texttemplate="%{delta:.2f}"))
    fig.update_yaxes(title="log-odds")
    return _layout(fig, title, height=460)


def partial_dependence_chart(pds: Sequence[PartialDependence]) -> go.Figure:
    """Partial dependence of the model's probability on each given feature."""
    fig = make_subplots(rows=1, cols=max(len(pds), 1), subplot_titles=[p.feature for p in pds])
    for i, p in enumerate(pds, start=1):
        fig.add_trace(
            go.Scatter(x=p.grid, y=p.mean_prediction, mode="lines+markers", name=p.feature),
            row=1,
            col=i,
        )
    fig.update_yaxes(title_text="mean fraud probability", row=1, col=1)
    return _layout(fig, "Partial dependence of the top features", showlegend=False)


def sample(values: npt.ArrayLike, max_points: int, seed: int = 0) -> F64:
    """At most ``max_points`` of ``values`` (a seeded sample), as float64."""
    v = np.asarray(values, dtype=np.float64)
    if v.shape[0] <= max_points:
        return v
    return v[np.random.default_rng(seed).choice(v.shape[0], size=max_points, replace=False)]


def outcome_sankey(flows: pl.DataFrame, model: str, threshold: float) -> go.Figure:
    """Fraud rows flowing from fraud type to channel to caught or missed (``flows``:
    fraud_type, channel, outcome, rows)."""
    first = flows.group_by("fraud_type", "channel").agg(pl.col("rows").sum()).sort(pl.all())
    second = flows.group_by("channel", "outcome").agg(pl.col("rows").sum()).sort(pl.all())
    labels = [
        *first["fraud_type"].unique().sort().to_list(),
        *[f"via {c}" for c in flows["channel"].unique().sort().to_list()],
        *flows["outcome"].unique().sort().to_list(),
    ]
    index = {name: i for i, name in enumerate(labels)}
    source = [index[t] for t in first["fraud_type"]] + [
        index[f"via {c}"] for c in second["channel"]
    ]
    target = [index[f"via {c}"] for c in first["channel"]] + [index[o] for o in second["outcome"]]
    fig = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 12},
            link={"source": source, "target": target,
                  "value": first["rows"].to_list() + second["rows"].to_list()},
        )
    )  # fmt: skip
    return _layout(fig, f"Fraud rows by type and channel, caught or missed by {model} at "
                   f"{threshold:.4f}", height=620)  # fmt: skip
