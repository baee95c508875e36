"""docs/service.md covers every endpoint and every setting the code has."""

from __future__ import annotations

from pathlib import Path

from fraudforge.service.app import ENDPOINTS
from fraudforge.service.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "service.md"


def test_every_endpoint_and_setting_is_documented() -> None:
    """Each route appears as `METHOD PATH`, each settings field as a table row."""
    text = DOC.read_text()
    for endpoint, _ in ENDPOINTS:
        assert f"`{endpoint.method} {endpoint.path}`" in text, endpoint.path
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    for name in Settings.__struct_fields__:
        assert any(f"`{name}`" in row for row in rows), name
