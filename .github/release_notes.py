"""Print CHANGELOG.md's section for a release tag (``v1.2.3`` or ``1.2.3``) as the release notes.

Fails, naming what is wrong, when the tag is not a version, disagrees with pyproject.toml's
version, or has no non-empty section in the changelog.
Usage: python .github/release_notes.py TAG [--changelog PATH] [--pyproject PATH]
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = re.compile(r"^v?(\d+\.\d+\.\d+(?:[-.]?(?:a|b|rc)\d+)?)$")
HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\]")


def section(changelog: str, version: str) -> str:
    """The body of ``## [version]`` up to the next ``## [`` heading or link definitions."""
    lines: list[str] = []
    inside = False
    for line in changelog.splitlines():
        heading = HEADING.match(line)
        if heading:
            if inside:
                break
            inside = heading["version"] == version
            continue
        if inside and re.match(r"^\[[^\]]+\]: ", line):
            break
        if inside:
            lines.append(line)
    return "\n".join(lines).strip()


def main(argv: list[str] | None = None) -> int:
    """Print the notes of the tag given on the command line; 1 with a message on failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag")
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    args = parser.parse_args(argv)
    match = VERSION.match(args.tag)
    if match is None:
        print(f"tag `{args.tag}` is not a version: allowed is vMAJOR.MINOR.PATCH", file=sys.stderr)
        return 1
    version = match[1]
    package = tomllib.loads(args.pyproject.read_text())["project"]["version"]
    if package != version:
        print(
            f"tag `{args.tag}` says {version} but pyproject.toml's version is {package}",
            file=sys.stderr,
        )
        return 1
    notes = section(args.changelog.read_text(), version)
    if not notes:
        print(f"{args.changelog.name} has no section `## [{version}]` with notes", file=sys.stderr)
        return 1
    print(notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
