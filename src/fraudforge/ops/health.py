"""Health checks of a running service: poll ``/health`` (liveness) and ``/ready`` (model loaded,
state restored) until both answer 200 or a timeout passes, for scripts, deploys and the
container's HEALTHCHECK (``python -m fraudforge.ops.health``)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fraudforge.ops._http import loads, request

OK = 0
NOT_LIVE = 1
USAGE = 2
NOT_READY = 3
"""Exit codes of ``main``: healthy; ``/health`` never answered 200; bad arguments; live but
``/ready`` never answered 200 (or the service reported that its startup failed)."""


@dataclass(frozen=True)
class Probe:
    """The outcome of ``wait_healthy``."""

    live: bool
    ready: bool
    seconds: float
    """Seconds from the first request until the outcome was known."""
    model: str | None = None
    """The model ``/ready`` names, once ready."""
    error: str | None = None
    """Why the service is not live or not ready, when it is not."""
    asked_ready: bool = True
    """False for a liveness-only check."""

    @property
    def code(self) -> int:
        """The exit code for this outcome (see ``OK``, ``NOT_LIVE``, ``NOT_READY``)."""
        if not self.live:
            return NOT_LIVE
        return OK if self.ready or not self.asked_ready else NOT_READY


def default_url(environ: dict[str, str] | None = None) -> str:
    """``http://127.0.0.1:$FRAUDFORGE_PORT`` (port 8000 when unset): the service as seen from
    its own host or container."""
    env = os.environ if environ is None else environ
    return f"http://127.0.0.1:{env.get('FRAUDFORGE_PORT', '8000')}"


def wait_healthy(
    base_url: str,
    *,
    timeout: float = 30.0,
    interval: float = 0.2,
    ready: bool = True,
    clock: Callable[[], float] = time.monotonic,
) -> Probe:
    """Poll ``/health`` until 200, then (with ``ready``) ``/ready`` until 200, each request
    bounded by what is left of ``timeout`` seconds. A ``/ready`` that reports a startup error
    ends the wait at once: the service will not become ready by itself."""
    base = base_url.rstrip("/")
    began = clock()
    deadline = began + timeout
    live = False
    error = "no answer"
    while True:
        left = deadline - clock()
        try:
            if not live:
                status, body = request(base + "/health", timeout=max(left, 0.05))
                live = status == 200
                error = "" if live else f"/health answered {status}: {_text(body)}"
            if live and not ready:
                return Probe(live=True, ready=False, seconds=clock() - began, asked_ready=False)
            if live:
                status, body = request(base + "/ready", timeout=max(left, 0.05))
                found = loads(body)
                if status == 200:
                    model = found.get("model")
                    return Probe(
                        live=True,
                        ready=True,
                        seconds=clock() - began,
                        model=_model_ref(model),
                    )
                failed = found.get("error")
                if failed:
                    return Probe(live=True, ready=False, seconds=clock() - began, error=str(failed))
                error = f"/ready answered {status}: {_text(body)}"
        except OSError as exc:  # refused, reset, timed out: not up (any more)
            live = False
            error = f"{base}: {getattr(exc, 'reason', exc)}"
        if clock() + interval > deadline:
            return Probe(
                live=live, ready=False, seconds=clock() - began, error=error, asked_ready=ready
            )
        time.sleep(interval)


def _model_ref(model: object) -> str | None:
    if isinstance(model, dict) and "name" in model and "version" in model:
        return f"{model['name']}:{model['version']}"
    return None


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace").strip()[:200]


def parser() -> argparse.ArgumentParser:
    """The health check's command line."""
    p = argparse.ArgumentParser(
        prog="health-check",
        description="Poll a fraudforge service's /health and /ready until both answer 200.",
        epilog=f"exit codes: {OK} healthy, {NOT_LIVE} /health never answered 200, {USAGE} bad "
        f"arguments, {NOT_READY} live but /ready never answered 200 (or startup failed)",
    )
    p.add_argument(
        "--url",
        default=None,
        help="the service's base URL (default: http://127.0.0.1:$FRAUDFORGE_PORT, port 8000)",
    )
    p.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to keep trying (default: 30)"
    )
    p.add_argument(
        "--interval", type=float, default=0.2, help="seconds between attempts (default: 0.2)"
    )
    p.add_argument("--live", action="store_true", help="check /health only, not /ready")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the health check; the exit code says the outcome."""
    args = parser().parse_args(argv)
    if args.timeout <= 0 or args.interval <= 0:
        print("health-check: --timeout and --interval must be above 0", file=sys.stderr)
        return USAGE
    url = args.url or default_url()
    probe = wait_healthy(url, timeout=args.timeout, interval=args.interval, ready=not args.live)
    if probe.code == OK:
        if not args.quiet:
            what = "live" if args.live else f"ready, serving {probe.model}"
            print(f"{url}: {what} ({probe.seconds:.2f} s)")
    else:
        state = "not live" if not probe.live else "live but not ready"
        print(f"health-check: {url} {state} after {probe.seconds:.1f} s: {probe.error}",
              file=sys.stderr)  # fmt: skip
    return probe.code


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["NOT_LIVE", "NOT_READY", "OK", "USAGE", "Probe", "default_url", "main", "wait_healthy"]
