"""The report's HTML page: one file with plotly.js inlined once, every figure as JSON data and
one script that draws them all (no network access, opens offline)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.offline import get_plotlyjs

from fraudforge.analytics.recommend import Recommendation


@dataclass(frozen=True)
class Chart:
    """One figure with its caption."""

    figure: go.Figure
    caption: str = ""


@dataclass
class Section:
    """A titled part of the report: an introduction, notes, tables and charts."""

    title: str
    intro: str = ""
    notes: list[str] = field(default_factory=list)
    tables: list[tuple[str, pl.DataFrame]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#f6f7f9}
header{background:#17324d;color:#fff;padding:18px 32px}header h1{margin:0;font-size:24px}
header p{margin:4px 0 0;opacity:.85}
nav{padding:8px 32px;background:#fff;border-bottom:1px solid #ddd;position:sticky;top:0;z-index:9}
nav a{margin-right:16px;color:#17324d;text-decoration:none;font-size:14px}
main{padding:8px 32px 40px}section{margin-top:24px}h2{border-bottom:2px solid #17324d;
padding-bottom:4px}
.stats{display:flex;flex-wrap:wrap;gap:12px}.stat{background:#fff;border:1px solid #ddd;
border-radius:6px;padding:10px 14px;min-width:150px}.stat b{display:block;font-size:20px}
.stat span{font-size:12px;color:#666}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:8px 12px;margin:8px 0}
.recs li{margin:6px 0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 12px;
list-style:none}.recs{padding:0}.recs b{color:#17324d}
.chart{background:#fff;border:1px solid #ddd;border-radius:6px;margin:12px 0;padding:4px}
.caption{font-size:13px;color:#555;margin:0 8px 8px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#eef1f5}
td:first-child,th:first-child{text-align:left}.tables{display:flex;flex-wrap:wrap;gap:24px}
"""

_DRAW = """
(function(){
  var config={responsive:true,displaylogo:false};
  var nodes=document.querySelectorAll('script.figure');
  var pending=[];
  nodes.forEach(function(node){
    var fig=JSON.parse(node.textContent);
    var div=document.getElementById(node.dataset.target);
    pending.push(Plotly.newPlot(div,fig.data,fig.layout,config));
  });
  Promise.all(pending).then(function(){document.body.dataset.rendered=String(pending.length);});
})();
"""


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:,.4f}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return html.escape("" if value is None else str(value))


def table_html(title: str, frame: pl.DataFrame) -> str:
    """A small table (at most 40 rows) with a caption."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.head(40).iter_rows()
    )
    return (
        f"<div><h4>{html.escape(title)}</h4><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _figure_json(fig: go.Figure) -> str:
    """The figure as JSON that is safe inside a script element."""
    return str(pio.to_json(fig, validate=False)).replace("</", "<\\/")


def render(
    *,
    title: str,
    subtitle: str,
    stats: Sequence[tuple[str, str]],
    recommendations: Sequence[Recommendation],
    sections: Sequence[Section],
    notes: Sequence[str] = (),
) -> str:
    """The whole report page; ``notes`` are shown in the summary, under the statistics."""
    parts: list[str] = []
    n = 0
    nav = []
    for s_i, section in enumerate(sections):
        anchor = f"s{s_i}"
        nav.append(f'<a href="#{anchor}">{html.escape(section.title)}</a>')
        parts.append(f'<section id="{anchor}"><h2>{html.escape(section.title)}</h2>')
        if section.intro:
            parts.append(f"<p>{html.escape(section.intro)}</p>")
        parts.extend(f'<p class="note">{html.escape(note)}</p>' for note in section.notes)
        if section.tables:
            parts.append('<div class="tables">')
            parts.extend(table_html(t, f) for t, f in section.tables)
            parts.append("</div>")
        for chart in section.charts:
            div = f"chart-{n}"
            parts.append(f'<div class="chart"><div id="{div}" class="plot"></div>')
            if chart.caption:
                parts.append(f'<p class="caption">{html.escape(chart.caption)}</p>')
            parts.append(
                f'<script type="application/json" class="figure" data-target="{div}">'
                f"{_figure_json(chart.figure)}</script></div>"
            )
            n += 1
        parts.append("</section>")
    stat_html = "".join(
        f'<div class="stat"><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>'
        for k, v in stats
    )
    summary_notes = "".join(f'<p class="note">{html.escape(note)}</p>' for note in notes)
    recs = "".join(
        f"<li><b>{html.escape(r.topic)}:</b> {html.escape(r.text)}</li>" for r in recommendations
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_CSS}</style><script>{get_plotlyjs()}</script></head>"
        f'<body data-charts="{n}"><header><h1>{html.escape(title)}</h1>'
        f"<p>{html.escape(subtitle)}</p></header>"
        f'<nav><a href="#summary">Summary</a>{"".join(nav)}</nav><main>'
        f'<section id="summary"><h2>Summary</h2><div class="stats">{stat_html}</div>'
        f"{summary_notes}"
        f'<h3>Recommendations</h3><ul class="recs">{recs}</ul></section>'
        f"{''.join(parts)}</main><script>{_DRAW}</script></body></html>"
    )
