"""End to end in a browser: the report opens offline in headless Chromium with no JavaScript
error, draws every chart, asks for nothing over the network, and is screenshotted."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from fraudforge.analytics.dashboard import build_report, write_report
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features import compute_features

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (apt-get install chromium; .ci/run installs it)",
    ),
]


@dataclass(frozen=True)
class Rendered:
    """What the browser saw: errors, outside requests, and chart counts (declared by the page,
    reported drawn by its script, chart containers, containers holding a Plotly SVG)."""

    errors: list[str]
    requests: list[str]
    declared: int
    rendered: int
    containers: int
    drawn: int


def render(page_file: Path, screenshot: Path) -> Rendered:
    """Open ``page_file`` in headless Chromium, wait until every chart is drawn, and save a
    full-page screenshot."""
    from playwright.sync_api import ConsoleMessage, Request, sync_playwright

    assert CHROMIUM is not None
    errors: list[str] = []
    requests: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_request(request: Request) -> None:
        if not request.url.startswith(("file:", "data:", "blob:")):
            requests.append(request.url)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", on_request)
            page.goto(page_file.as_uri())
            page.wait_for_function("document.body.dataset.rendered !== undefined", timeout=90_000)
            counts = page.evaluate(
                """() => {
                  const plots = Array.from(document.querySelectorAll('div.chart > div.plot'));
                  return [Number(document.body.dataset.charts),
                          Number(document.body.dataset.rendered), plots.length,
                          plots.filter(d => d.classList.contains('js-plotly-plot')
                                            && d.querySelector('svg.main-svg')).length];
                }"""
            )
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return Rendered(errors, requests, *(int(c) for c in counts))


def test_report_renders_in_chromium(report_html: str, tmp_path: Path) -> None:
    """Every chart div becomes a Plotly plot with an SVG; no console or page error; no request
    leaves the file; the screenshot is a real PNG."""
    shot = tmp_path / "report.png"
    seen = render(write_report(report_html, tmp_path / "report.html"), shot)
    assert seen.errors == []
    assert seen.requests == []
    assert seen.declared == seen.rendered == seen.containers == seen.drawn >= 25
    assert shot.stat().st_size > 100_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_without_fraud_or_anomalies_renders(tmp_path: Path) -> None:
    """A dataset with neither fraud nor anomalies, scored by a one-class model, still draws
    every chart (placeholders included) without a JavaScript error."""
    scenario = Scenario(customers=300, days=15, fraud_rate=0.0, anomaly_rate=0.0, seed=3)
    tx = scan(scenario).collect()
    features, _ = compute_features(tx, scan_customers(scenario).collect())
    page = build_report(
        transactions=tx, features=features, scores={"m": np.linspace(0, 1, features.height)}
    )
    seen = render(write_report(page, tmp_path / "edge.html"), tmp_path / "edge.png")
    assert seen.errors == []
    assert seen.declared == seen.rendered == seen.containers == seen.drawn >= 12
