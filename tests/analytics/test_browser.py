"""End to end in a browser: the report opens offline in headless Chromium with no JavaScript
error, draws every chart, asks for nothing over the network, and is screenshotted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fraudforge.analytics.report import write_report

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


def test_report_renders_in_chromium(report_html: str, tmp_path: Path) -> None:
    """Every chart div becomes a Plotly plot with an SVG; no console or page error; no request
    leaves the file."""
    from playwright.sync_api import ConsoleMessage, Request, sync_playwright

    assert CHROMIUM is not None
    page_file = write_report(report_html, tmp_path / "report.html")
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
            declared = int(page.evaluate("document.body.dataset.charts"))
            rendered = int(page.evaluate("document.body.dataset.rendered"))
            containers = page.locator("div.chart > div.plot").count()
            drawn = int(
                page.evaluate(
                    "Array.from(document.querySelectorAll('div.chart > div.plot')).filter("
                    "d => d.classList.contains('js-plotly-plot') && d.querySelector('svg.main-svg')"
                    ").length"
                )
            )
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert requests == []
    assert declared == rendered == containers == drawn >= 25
    assert shot.stat().st_size > 100_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
