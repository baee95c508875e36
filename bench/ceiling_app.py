"""The framework's ceiling for ``POST /v1/score``: a bare Litestar app whose handler does only
what any msgspec-on-Litestar handler of this route must do, namely read the request body,
decode it strictly into the service's ``Transaction`` struct, and answer a precomputed
response body of the service's size (a real ``ScoreResult`` the service returned, read from a
file). No authentication, state, features, model, ledger or metrics.

``bench/http_ceiling.py`` and ``bench/test_http_ceiling_bench.py`` run it beside
``fraudforge serve`` with the same load: it is started the same way (``server.serve``: uvicorn,
uvloop, the bounded httptools protocol, one worker, no access log), so the service's share of
its requests/s is the share of what the framework and server allow that the service reaches.

Run: ``FRAUDFORGE_HOST=127.0.0.1 FRAUDFORGE_PORT=8001 python bench/ceiling_app.py RESPONSE``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get, post

from fraudforge.service.server import serve
from fraudforge.service.settings import load_settings
from fraudforge.wire import Ready, Transaction

_JSON = "application/json"


def create_ceiling(payload: bytes) -> Litestar:
    """The bare app answering every valid ``Transaction`` POSTed to ``/v1/score`` with
    ``payload`` (and ``/ready``, so the client's ``wait_until_ready`` works on it)."""
    decoder = msgspec.json.Decoder(Transaction)
    ready = msgspec.json.encode(Ready(ready=True, model=None, error=None))

    @post("/v1/score", status_code=200)
    async def score(request: Request[Any, Any, Any]) -> Response[bytes]:
        decoder.decode(await request.body())
        return Response(payload, media_type=_JSON)

    @get("/ready")
    async def is_ready() -> Response[bytes]:
        return Response(ready, media_type=_JSON)

    return Litestar([score, is_ready], openapi_config=None, logging_config=None)


def main() -> None:
    """Serve the ceiling app with the response in ``argv[1]``, configured from ``FRAUDFORGE_*``
    as ``fraudforge serve`` is."""
    payload = Path(sys.argv[1]).read_bytes()
    serve(create_ceiling(payload), load_settings())


if __name__ == "__main__":
    main()
