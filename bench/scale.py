"""Scale run: generate a scenario in a child process and report rows, wall time, rows/s and the
child's peak RSS. Usage: ``python bench/scale.py ROWS [ROWS ...] [--threads N]``."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, json, time
from fraudforge.engine.dataset import generate
from fraudforge.engine.scenario import Scenario
rows, threads, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
m = generate(Scenario(target_rows=rows), out, threads=threads)
print(json.dumps({"rows": m.rows["transactions"], "generate_s": time.perf_counter() - t}))
"""


def run(rows: int, threads: int) -> dict[str, float]:
    """Generate ``rows`` in a fresh interpreter; return its measurements (peak RSS from wait4)."""
    out = Path(tempfile.mkdtemp(prefix="fraudforge-scale-")) / "data"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(rows), str(threads), str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    shutil.rmtree(out.parent)
    if proc.returncode != 0:
        raise SystemExit(f"generation of {rows} rows failed with exit code {proc.returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    return {
        "target_rows": rows,
        "rows": result["rows"],
        "threads": threads,
        "generate_s": round(result["generate_s"], 3),
        "process_wall_s": round(wall, 3),
        "rows_per_s": round(result["rows"] / result["generate_s"]),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
    }


def main() -> None:
    """Run each size once and print one JSON line per run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", type=int, nargs="+")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for rows in args.rows:
        print(json.dumps(run(rows, args.threads)), flush=True)


if __name__ == "__main__":
    main()
