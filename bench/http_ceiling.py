"""The service's share of the framework's ceiling: ``fraudforge serve`` and the bare Litestar +
msgspec app of ``bench/ceiling_app.py`` (same route, same request bodies, a precomputed answer
of the service's own size), both on 127.0.0.1 on the same server stack (uvicorn, uvloop, the
bounded httptools protocol, one worker), loaded by the same wrk script (bench/score.lua).

Both servers run side by side. After a warm-up of each, every repeat runs wrk against one then
the other (the order alternating between repeats) at 1 connection and at 16, so each service
figure has a ceiling figure measured next to it. The report gives, per connection count, the
medians over the repeats of requests/s, p50 and p99 for both, and the service's share of the
ceiling's requests/s (the median of the per-pair ratios). Prints one JSON document; ``--out``
also writes it.

Usage: ``python bench/http_ceiling.py [--work DIR] [--seconds 10] [--repeats 5] [--out FILE]``
(the deployment is ``bench/http_load.py``'s, built into ``--work`` once).
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import psutil

from http_load import Load, capture_response, command, report, serving

CONNECTIONS = (1, 16)
FIGURES = ("req_per_s", "p50_ms", "p99_ms", "server_cpu_us_per_request")


def summary(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """Medians over (ceiling, service) wrk reports of one connection count, and the service's
    share of the ceiling's requests/s: the median of the ratios pair by pair, and its range;
    ``cpu_share``, the same for the server's CPU time per answer (the ceiling's over the
    service's), which a loaded machine moves less than the rates."""
    shares = [s["req_per_s"] / c["req_per_s"] for c, s in pairs]
    cpu = "server_cpu_us_per_request"
    cpu_shares = [c[cpu] / s[cpu] for c, s in pairs]
    return {
        "ceiling": {f: statistics.median(c[f] for c, _ in pairs) for f in FIGURES},
        "service": {f: statistics.median(s[f] for _, s in pairs) for f in FIGURES},
        "share": round(statistics.median(shares), 3),
        "share_range": [round(min(shares), 3), round(max(shares), 3)],
        "cpu_share": round(statistics.median(cpu_shares), 3),
        "errors": sum(c["errors"] + s["errors"] for c, s in pairs),
        "runs": [{"ceiling": c, "service": s} for c, s in pairs],
    }


def compare(work: Path, info: dict[str, Any], *, seconds: int, repeats: int) -> dict[str, Any]:
    """Start both servers, warm each for 10 s at 16 connections, then run the paired repeats."""
    with serving("uvicorn", work, info) as service:
        scored = Load(service.url, work, info, server=psutil.Process(service.process.pid))
        scored.run(16, 10)  # warm-up: JIT caches, allocator, the online window fills
        capture_response(scored)
        with serving("ceiling", work, info) as ceiling:
            bare = Load(ceiling.url, work, info, server=psutil.Process(ceiling.process.pid))
            bare.run(16, 10)
            found: dict[str, Any] = {}
            for connections in CONNECTIONS:
                pairs = []
                for r in range(repeats):
                    order = (bare, scored) if r % 2 == 0 else (scored, bare)
                    first, second = (load.run(connections, seconds) for load in order)
                    pairs.append((first, second) if r % 2 == 0 else (second, first))
                found[f"connections_{connections}"] = summary(pairs)
            return found


def main() -> None:
    """Run the comparison, print the JSON report."""
    parser = command(__doc__ or "", seconds=10, seconds_help="each wrk run")
    parser.add_argument("--repeats", type=int, default=5, help="pairs per connection count")
    args = parser.parse_args()
    report(
        args,
        lambda work, info: {
            "seconds": args.seconds,
            "repeats": args.repeats,
            **compare(work, info, seconds=args.seconds, repeats=args.repeats),
        },
    )


if __name__ == "__main__":
    main()
