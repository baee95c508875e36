"""Running the app: ``run(settings)`` serves ``create_app(settings)`` with uvicorn (uvloop and
httptools, one worker, no access log; ``serve`` does the same for any ASGI app) until
interrupted; the lifespan writes the final snapshot on the way out. ``uvicorn_options(settings)``
are the connection bounds: request head size and time (``_protocol``), keep-alive, and open
connections."""

from __future__ import annotations

import logging
import socket
from typing import Any

from fraudforge.service._protocol import bounded_protocol
from fraudforge.service.app import create_app
from fraudforge.service.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options bounding what a client can hold: ``max_header_bytes`` of request line
    and headers (431 over it), ``header_timeout_s`` to send them, ``keep_alive_s`` idle
    between requests, and ``max_connections`` (a request beyond it is answered 503)."""
    return {
        "http": bounded_protocol(
            max_head=settings.max_header_bytes, head_timeout=settings.header_timeout_s
        ),
        "timeout_keep_alive": settings.keep_alive_s,
        "limit_concurrency": settings.max_connections,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }


def free_port() -> int:
    """A loopback port nobody listens on now (to start a server on, e.g. the demo's)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(settings: Settings, *, preflighted: bool = False) -> None:
    """Serve until SIGINT/SIGTERM (``preflighted``: the caller has run ``state.preflight``)."""
    serve(create_app(settings, preflighted=preflighted), settings)


def serve(app: Any, settings: Settings) -> None:
    """Serve the ASGI ``app`` as ``fraudforge serve`` serves the service: uvicorn with uvloop,
    the bounded httptools protocol, one worker, no access log, on ``settings.host`` and
    ``port``, until SIGINT/SIGTERM. Also how ``bench/`` starts its bare-framework ceiling app,
    so both run on the same server stack."""
    import uvicorn

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        workers=1,
        access_log=False,
        log_level=settings.log_level,
        lifespan="on",
        **uvicorn_options(settings),
    )


__all__ = ["free_port", "run", "serve", "uvicorn_options"]
