"""Generated documentation stays in step with the code."""

from __future__ import annotations

from pathlib import Path

from fraudforge.engine.schema import schema_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_schema_doc_is_current() -> None:
    """docs/schema.md is exactly what the schema definitions generate."""
    assert (ROOT / "docs" / "schema.md").read_text() == schema_markdown()


def test_readme_opens_with_the_two_commands() -> None:
    """The README shows `make demo` and `make test` before anything else that is code."""
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```")[1]
    assert "make demo" in first_block
    assert "make test" in first_block


def test_fraud_pattern_doc_is_current() -> None:
    """docs/fraud-patterns.md is exactly what the pattern docstrings generate."""
    from fraudforge.engine.fraud.patterns import patterns_markdown

    assert (ROOT / "docs" / "fraud-patterns.md").read_text() == patterns_markdown()


def test_feature_catalogue_doc_is_current() -> None:
    """docs/features.md is exactly what the feature catalogue generates."""
    from fraudforge.features.catalog import catalog_markdown

    assert (ROOT / "docs" / "features.md").read_text() == catalog_markdown()


def test_api_reference_is_current() -> None:
    """docs/api.md is exactly what the service's OpenAPI document generates."""
    from fraudforge.service.apidoc import api_markdown

    assert (ROOT / "docs" / "api.md").read_text() == api_markdown()


def test_relative_links_resolve() -> None:
    """Every relative link in README.md, CHANGELOG.md and docs/ names a file or directory that
    exists."""
    import re

    broken = []
    for doc in [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            if re.match(r"^(https?:|mailto:|#)", target):
                continue
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            if not path.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert broken == []
