"""HTTP load against ``fraudforge serve`` on 127.0.0.1 with one worker, driven by wrk (Debian's
``wrk``; ``apt-get install wrk``) POSTing real transactions to ``/v1/score`` (bench/score.lua).

For each server (uvicorn with uvloop + httptools, as ``fraudforge serve`` runs it, and granian):
start it on a free port from a fresh copy of the warmed snapshot, wait until ready (the client's
``wait_until_ready``), warm up for 10 s, then run 1 connection and 16 connections for
``--seconds`` each, the same two resending one transaction over and over (a retrying client:
answered from the idempotency window), and a 60 s 16-connection run with the server's RSS (its
process tree) sampled every second. Prints one JSON document; ``--out`` also writes it.

Usage: ``python bench/http_load.py [--work DIR] [--seconds 30] [--servers uvicorn,granian]``.
The deployment (a generated scenario, its LightGBM model with the zoo's defaults and fraud-type
model in a registry, the warmed online-state snapshot, an API key) is built into ``--work`` once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import psutil

from fraudforge.client import Client
from fraudforge.service.server import free_port
from fraudforge.wire import ScoreResult, Transaction

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NAME = "fraud-lightgbm"
STEP_S = 30
"""Simulated seconds between two requests: each of 3,000 customers pays about once a day, so
the 30-day online window fills and then stays the same size under load."""
EPOCH = dt.datetime(1970, 1, 1)
RESPONSE = "response.json"
"""A real ``/v1/score`` answer of the service, which the ceiling app answers every request with."""


def build(
    work: Path, *, customers: int = 3_000, days: int = 30, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The deployment in ``work`` (built on first use, from a scenario of ``customers`` over
    ``days``; ``params`` overrides the LightGBM defaults): registry, snapshot, key, request
    templates (JSON for ``transactions``, Lua for wrk)."""
    meta = work / "deployment.json"
    if meta.is_file() and (work / "templates.json").is_file():
        loaded: dict[str, Any] = json.loads(meta.read_text())
        return loaded
    from fraudforge.engine.scenario import Scenario
    from fraudforge.engine.streaming import scan, scan_customers
    from fraudforge.features.batch import compute_features
    from fraudforge.features.replay import replayed, save_snapshot
    from fraudforge.models import Registry, model_data, train_model
    from fraudforge.models.fraud_type import TYPE_SUFFIX, fit_fraud_type
    from fraudforge.service.security import add_key

    work.mkdir(parents=True, exist_ok=True)
    s = Scenario(customers=customers, days=days, fraud_rate=0.02, seed=31)
    tx = scan(s).collect().sort("timestamp", "transaction_id")
    people = scan_customers(s).collect()
    features, outlier = compute_features(tx, people)
    data = model_data(features, tx)
    model = train_model(data, params=params, name=NAME)
    registry = Registry(work / "registry")
    registry.promote(NAME, registry.register(model, name=NAME).version, "staging")
    types = fit_fraud_type(data, features=model.features)
    registry.register(types, name=NAME + TYPE_SUFFIX)
    save_snapshot(replayed(tx, people, outlier), work / "snapshot.npz")
    key = add_key(work / "keys.json", "load", ["score"])
    templates, bodies = [], []
    for row in tx.unique("customer_id", keep="last").sort("customer_id").iter_rows(named=True):
        body = {f: row[f] for f in Transaction.__struct_fields__}
        body["transaction_id"], body["timestamp"] = "@ID@", "@TS@"
        bodies.append(body)
        text = json.dumps(body, separators=(",", ":")).replace("%", "%%")
        templates.append(text.replace('"@ID@"', "%d").replace("@TS@", "%s"))
    lua = "return {\n" + ",\n".join("[[" + t + "]]" for t in templates) + "\n}\n"
    (work / "templates.lua").write_text(lua)
    (work / "templates.json").write_text(json.dumps(bodies))
    last: dt.datetime = tx["timestamp"].max()  # type: ignore[assignment]
    base = last + dt.timedelta(days=1)
    info = {"key": key, "base": int((base - EPOCH).total_seconds()), "rows": tx.height}
    meta.write_text(json.dumps(info))
    return info


def start(server: str, work: Path, port: int) -> subprocess.Popen[bytes]:
    """Start ``server`` on ``port``: uvicorn through ``fraudforge serve``, granian, or the bare
    framework ceiling (``bench/ceiling_app.py``, answering ``work/RESPONSE``, which
    ``capture_response`` writes) on the server stack ``fraudforge serve`` uses."""
    state = work / f"state-{server}.npz"
    shutil.copyfile(work / "snapshot.npz", state)
    settings = {
        "registry": str(work / "registry"),
        "model": f"{NAME}@staging",
        "state": str(state),
        "keys": str(work / "keys.json"),
        "snapshot_interval_s": "0",
        "rate_per_s": "1000000",
        "burst": "1000000",
        "log_level": "warning",
        "host": "127.0.0.1",
        "port": str(port),
    }
    env = {**os.environ, **{"FRAUDFORGE_" + k.upper(): v for k, v in settings.items()}}
    if server == "uvicorn":
        cmd = [str(BIN / "fraudforge"), "serve"]
    elif server == "granian":
        cmd = [
            str(BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1",
            "--port", str(port), "--workers", "1", "--loop", "uvloop", "--no-access-log",
            "--log-level", "warning", "--factory", "bench.granian_app:app",
        ]  # fmt: skip
    elif server == "ceiling":
        cmd = [sys.executable, str(ROOT / "bench" / "ceiling_app.py"), str(work / RESPONSE)]
    else:
        raise ValueError(f"unknown server `{server}`: allowed are uvicorn, granian, ceiling")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def rss_mb(proc: psutil.Process) -> float:
    """Resident memory of a process and its children, in MiB."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


def cpu_s(proc: psutil.Process) -> float:
    """CPU seconds (user and system) used so far by a process and its children."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(out: str) -> dict[str, Any]:
    """Requests, rate, latency percentiles (ms) and errors from wrk's ``--latency`` report."""
    found: dict[str, Any] = {}
    for q in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{q}%\s+(\S+)", out, re.MULTILINE)
        found[f"p{q}_ms"] = round(_ms(m.group(1)), 3) if m else None
    m = re.search(r"(\d+) requests in", out)
    found["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    found["req_per_s"] = round(float(m.group(1)), 1) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    found["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    found["socket_errors"] = sum(int(g) for g in m.groups()) if m else 0
    found["errors"] = found["non_2xx"] + found["socket_errors"]
    return found


def run_wrk(cmd: list[str], env: dict[str, str], stopping: int, *, timeout: float) -> str:
    """Run wrk and return its report. With ``stopping`` threads that each stop after a fixed
    number of answers (``FF_LIMIT``), interrupt wrk once all have said ``thread done``: its
    main thread would otherwise sleep out the whole ``-d`` duration, and on SIGINT it reports
    the time actually elapsed."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        assert proc.stdout is not None
        lines = []
        done = 0
        for line in proc.stdout:
            lines.append(line)
            if stopping and line.strip() == "thread done":
                done += 1
                if done == stopping:
                    proc.send_signal(signal.SIGINT)
        code = proc.wait()
    finally:
        timer.cancel()
    if code != 0:
        raise subprocess.CalledProcessError(code, cmd, "".join(lines))
    return "".join(lines)


class Load:
    """wrk runs against one server, each continuing the simulated clock of the one before."""

    def __init__(
        self,
        url: str,
        work: Path,
        info: dict[str, Any],
        *,
        first: int = 0,
        server: psutil.Process | None = None,
    ) -> None:
        self.url = url
        self.work = work
        self.info = info
        self.sent = first
        """The next clock step (``first``: where this load's clock starts)."""
        self.server = server
        """The server process: when given, each report adds the CPU time it used per answer."""

    def run(
        self, connections: int, seconds: int, *, resend: bool = False, requests: int = 0
    ) -> dict[str, Any]:
        """One bounded wrk run; its parsed report. ``resend``: each wrk thread sends one
        transaction over and over (retries of one payment). ``requests``: stop once that many
        are answered (split over wrk's threads; ``seconds`` is then only a bound)."""
        threads = 1 if connections == 1 else 2
        env = {
            **os.environ,
            "FF_THREADS": str(threads),
            "FF_BASE": str(self.info["base"] + self.sent * STEP_S),
            "FF_STEP": str(STEP_S),
            "FF_FIRST_ID": str(10**12 + self.sent),
            "FF_TEMPLATES": str(self.work / "templates.lua"),
            "FF_KEY": self.info["key"],
            "FF_RESEND": "1" if resend else "0",
            "FF_LIMIT": str(-(-requests // threads)),
        }
        cmd = [
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
            "--timeout", "5s", "-s", str(ROOT / "bench" / "score.lua"), self.url + "/v1/score",
        ]  # fmt: skip
        used = cpu_s(self.server) if self.server is not None else 0.0
        stdout = run_wrk(cmd, env, threads if requests else 0, timeout=seconds + 30)
        report = parse_wrk(stdout)
        if self.server is not None and report["requests"]:
            used = cpu_s(self.server) - used
            report["server_cpu_us_per_request"] = round(used / report["requests"] * 1e6, 1)
        failure = re.search(r"^first failure: (.*)$", stdout, re.MULTILINE)
        if failure:
            report["first_failure"] = failure.group(1)
        last = re.search(r"^last step: (\d+)", stdout, re.MULTILINE)
        if last is None:
            raise RuntimeError(f"wrk did not report its last clock step:\n{stdout}")
        self.sent += int(last.group(1)) + 1
        return {"connections": connections, "seconds": seconds, "resend": resend, **report}


def transactions(work: Path, info: dict[str, Any], *, first: int = 0) -> Iterator[Transaction]:
    """The requests ``score.lua`` sends with one wrk thread, from clock step ``first`` on: the
    customers' templates in turn, step ``n`` numbered ``10**12 + n`` and stamped ``n * STEP_S``
    seconds after the deployment's base time, so each customer's arrive in time order."""
    bodies: list[dict[str, Any]] = json.loads((work / "templates.json").read_text())
    for n in itertools.count(first):
        body = bodies[n % len(bodies)]
        at = EPOCH + dt.timedelta(seconds=info["base"] + n * STEP_S)
        yield msgspec.convert({**body, "transaction_id": 10**12 + n, "timestamp": at}, Transaction)


def capture_response(load: Load) -> bytes:
    """Score the next transaction of ``load``'s clock through a plain POST and keep the raw
    answer in ``work/RESPONSE``: the body the ceiling app answers with (the same size as the
    service's). Advances the clock past it."""
    txn = next(transactions(load.work, load.info, first=load.sent))
    request = urllib.request.Request(
        load.url + "/v1/score",
        data=msgspec.json.encode(txn),
        headers={"Content-Type": "application/json", "X-API-Key": load.info["key"]},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        payload: bytes = answer.read()
    msgspec.json.decode(payload, type=ScoreResult)  # a scored result, not an error body
    (load.work / RESPONSE).write_bytes(payload)
    load.sent += 1
    return payload


@dataclass(frozen=True)
class Server:
    """A server process started by ``serving`` and its base URL."""

    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def serving(server: str, work: Path, info: dict[str, Any]) -> Iterator[Server]:
    """Start ``server`` on a free loopback port and yield it once ready; terminate it on exit
    (killed if it has not stopped within 30 s)."""
    port = free_port()
    proc = start(server, work, port)
    url = f"http://127.0.0.1:{port}"
    try:
        with Client(url, api_key=info["key"]) as client:
            ready = client.wait_until_ready(timeout=120)
            assert ready.ready
        yield Server(url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(server: str, work: Path, info: dict[str, Any], seconds: int) -> dict[str, Any]:
    """The runs of one server."""
    with serving(server, work, info) as served:
        load = Load(served.url, work, info)
        load.run(16, 10)  # warm-up: JIT caches, allocator, the online window fills
        one = load.run(1, seconds)
        many = load.run(16, seconds)
        # the same transaction sent again and again: each is answered from the idempotency window
        one_resent = load.run(1, seconds, resend=True)
        many_resent = load.run(16, seconds, resend=True)
        samples: list[float] = []
        watched = psutil.Process(served.process.pid)
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(1.0):
                samples.append(round(rss_mb(watched), 1))

        sampler = threading.Thread(target=sample, daemon=True)
        samples.append(round(rss_mb(watched), 1))
        sampler.start()
        long = load.run(16, 60)
        stop.set()
        sampler.join()
        return {
            "server": server,
            "one_connection": one,
            "sixteen_connections": many,
            "one_connection_resending": one_resent,
            "sixteen_connections_resending": many_resent,
            "sixteen_60s": long,
            "rss_mb": {
                "start": samples[0],
                "end": samples[-1],
                "max": max(samples),
                "min": min(samples),
                "samples": samples,
            },
        }


def command(description: str, *, seconds: int, seconds_help: str) -> argparse.ArgumentParser:
    """The options every HTTP load script takes: ``--work`` (the deployment), ``--seconds``
    and ``--out``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--work", default="/tmp/fraudforge-http-load")
    parser.add_argument("--seconds", type=int, default=seconds, help=seconds_help)
    parser.add_argument("--out", help="also write the report here")
    return parser


def report(
    args: argparse.Namespace, measured: Callable[[Path, dict[str, Any]], dict[str, Any]]
) -> None:
    """Build the deployment in ``args.work`` if needed, run ``measured`` on it and print its
    figures as one JSON document with the machine and the rows warmed (also into
    ``args.out``)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    work = Path(args.work)
    info = build(work)
    found = {
        "machine": f"{os.cpu_count()} cores, shared; wrk runs on the same machine",
        "rows_warmed": info["rows"],
        **measured(work, info),
    }
    text = json.dumps(found, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


def main() -> None:
    """Measure each server, print the JSON report."""
    parser = command(__doc__ or "", seconds=30, seconds_help="1- and 16-connection runs")
    parser.add_argument("--servers", default="uvicorn,granian")
    args = parser.parse_args()
    report(
        args,
        lambda work, info: {
            "results": [measure(s, work, info, args.seconds) for s in args.servers.split(",")]
        },
    )


if __name__ == "__main__":
    main()
