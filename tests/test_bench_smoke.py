"""The benchmark suites as a test (the smoke run): ``pytest bench --benchmark-disable --smoke`` in
a subprocess runs every benchmark body once on small inputs (bench/sizes.py), so a broken
benchmark fails ``make test`` and CI instead of the next ``make bench``. 10-18 s on the shared
two cores (docs/performance.md)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _benchmark_names() -> set[str]:
    """Every test function defined in bench/test_*.py."""
    names = set()
    for path in sorted((ROOT / "bench").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {
            f"{path.stem}.{node.name}"
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        }
    return names


def test_every_benchmark_runs_on_small_inputs(tmp_path: Path) -> None:
    """Every benchmark function runs (each parameter once) and passes; none is skipped."""
    report = tmp_path / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "bench", "--benchmark-disable", "--smoke", "-q",
         "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'tmp'}", f"--junitxml={report}"],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "0")
    ran = {
        f"{case.get('classname', '').rsplit('.', 1)[-1]}.{case.get('name', '').split('[')[0]}"
        for case in suite.iter("testcase")
    }
    assert ran == _benchmark_names()
