"""A real server for tests: an ASGI app run by uvicorn in a thread on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn


@contextmanager
def live_server(
    app: Any, *, ready: bool = True, timeout: float = 60.0, options: dict[str, Any] | None = None
) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a port the OS picks) and yield its base URL; with ``ready``
    wait until ``/ready`` answers 200; ``options`` are more uvicorn options (e.g.
    ``server.uvicorn_options``). The server is shut down (lifespan included) on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", access_log=False, **(options or {})
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        if ready:
            while httpx.get(url + "/ready").status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the test server was not ready: {httpx.get(url + '/ready').text}"
                    )
                time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
