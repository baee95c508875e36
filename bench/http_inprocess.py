"""The service's app and the framework's ceiling app driven in process through ASGI, with no
server and no sockets: the CPU time a request costs each app (``time.thread_time_ns``, so
other processes on a shared machine move it less than wall time). The requests are the ones
bench/score.lua sends, on ``bench/http_load.py``'s deployment; the ceiling answers the
service's own first answer.

After 3,000 warm-up requests to each app, every round sends ``--requests`` to the ceiling app
and then the next ``--requests`` to the service. Prints one JSON document: per round, the
median CPU microseconds per request of each app, and their medians over the rounds. Run it
under ``py-spy record`` to see where the service's time goes (docs/performance.md).

Usage: ``python bench/http_inprocess.py [--work DIR] [--requests 5000] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

from ceiling_app import create_ceiling
from fraudforge.service.app import create_app
from fraudforge.service.settings import load_settings
from http_load import NAME, build, transactions

ASGI = Callable[..., Awaitable[None]]
WARM = 3_000


def scope(body: bytes, key: str) -> dict[str, Any]:
    """The ASGI scope uvicorn gives a POST /v1/score with ``body`` and the API key."""
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "method": "POST", "scheme": "http", "path": "/v1/score",
        "raw_path": b"/v1/score", "query_string": b"", "root_path": "", "state": {},
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "headers": [
            (b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
            (b"x-api-key", key.encode()), (b"content-length", str(len(body)).encode()),
        ],
    }  # fmt: skip


async def drive(app: ASGI, bodies: list[bytes], key: str) -> tuple[list[int], list[bytes]]:
    """Send each body to ``app``; the CPU nanoseconds of each request and each answer's body
    (an answer other than 200 is an error)."""
    spent: list[int] = []
    answers: list[bytes] = []
    for body in bodies:
        message = {"type": "http.request", "body": body, "more_body": False}
        sent: list[dict[str, Any]] = []

        async def receive(m: dict[str, Any] = message) -> dict[str, Any]:
            return m

        async def send(m: dict[str, Any], out: list[dict[str, Any]] = sent) -> None:
            out.append(m)

        began = time.thread_time_ns()
        await app(scope(body, key), receive, send)
        spent.append(time.thread_time_ns() - began)
        if sent[0]["status"] != 200:
            raise RuntimeError(f"answer {sent[0]['status']}: {sent[1].get('body', b'')!r}")
        answers.append(sent[1]["body"])
    return spent, answers


async def started(app: Any) -> None:
    """Run ``app``'s lifespan start-up and wait until the service is ready."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    out: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await queue.put({"type": "lifespan.startup"})
    lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    app.state.lifespan_task = asyncio.create_task(app(lifespan, queue.get, out.put))
    message = await out.get()
    if message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the service did not start: {message}")
    while not app.state.service.state.ready:
        if app.state.service.state.error:
            raise RuntimeError(app.state.service.state.error)
        await asyncio.sleep(0.1)


def median_us(spent: list[int]) -> float:
    """The median of CPU nanoseconds, in microseconds."""
    return round(statistics.median(spent) / 1e3, 1)


async def compare(work: Path, info: dict[str, Any], requests: int, rounds: int) -> dict[str, Any]:
    """The warm-up, then ``rounds`` rounds of ``requests`` to each app."""
    state = work / "state-inprocess.npz"
    shutil.copyfile(work / "snapshot.npz", state)
    settings = load_settings(
        environ={},
        overrides={
            "registry": str(work / "registry"), "model": f"{NAME}@staging", "state": str(state),
            "keys": str(work / "keys.json"), "snapshot_interval_s": 0, "rate_per_s": 1e9,
            "burst": 1_000_000_000, "log_level": "warning",
        },
    )  # fmt: skip
    stream = transactions(work, info)
    encode = msgspec.json.encode

    def next_bodies(n: int) -> list[bytes]:
        return [encode(next(stream)) for _ in range(n)]

    service = create_app(settings)
    await started(service)
    _, answers = await drive(service, next_bodies(WARM), info["key"])
    ceiling = create_ceiling(answers[-1])
    await drive(ceiling, next_bodies(WARM), info["key"])
    found: list[dict[str, float]] = []
    for _ in range(rounds):
        bodies = next_bodies(requests)
        bare, _ = await drive(ceiling, bodies, info["key"])
        served, _ = await drive(service, bodies, info["key"])
        found.append({"ceiling_us": median_us(bare), "service_us": median_us(served)})
    return {
        "requests": requests,
        "rounds": found,
        "ceiling_us": statistics.median(r["ceiling_us"] for r in found),
        "service_us": statistics.median(r["service_us"] for r in found),
    }


def main() -> None:
    """Build the deployment if needed, compare the two apps, print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", default="/tmp/fraudforge-http-load")
    parser.add_argument("--requests", type=int, default=5_000, help="per app and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(args.work)
    info = build(work)
    print(json.dumps(asyncio.run(compare(work, info, args.requests, args.rounds)), indent=2))


if __name__ == "__main__":
    main()
