"""``_answer.JsonAnswer``: the same answer Litestar's ``Response`` gives, sent directly."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Litestar, Response, get
from litestar.datastructures import ResponseHeader

from fraudforge.service._answer import JsonAnswer

BODY = b'{"fraud_probability":0.25,"reasons":[]}'


@get("/litestar", sync_to_thread=False)
def litestar_answer() -> Response[bytes]:
    return Response(BODY, status_code=200, media_type="application/json")


@get("/direct", sync_to_thread=False)
def direct_answer() -> Response[bytes]:
    return JsonAnswer(BODY)


@get("/created", sync_to_thread=False)
def created() -> Response[bytes]:
    return JsonAnswer(BODY, 201)


@get(
    "/with-header",
    sync_to_thread=False,
    response_headers=[ResponseHeader(name="x-route", value="yes")],
)
def with_header() -> Response[bytes]:
    return JsonAnswer(BODY)


def _messages(app: Litestar, path: str) -> list[dict[str, Any]]:
    """The ASGI messages ``app`` sends for a GET of ``path``."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"127.0.0.1")], "state": {},
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return sent


def test_same_messages_as_litestar() -> None:
    """Status, headers (content-type, content-length) and body as Litestar's ``Response``
    sends them; another status is kept."""
    app = Litestar([litestar_answer, direct_answer, created], openapi_config=None)
    expected = _messages(app, "/litestar")
    assert _messages(app, "/direct") == expected
    assert expected[0]["headers"] == [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ]
    assert expected[1]["body"] == BODY
    start, body = _messages(app, "/created")
    assert (start["status"], start["headers"], body["body"]) == (201, expected[0]["headers"], BODY)


def test_route_headers_take_litestars_path() -> None:
    """A route's own headers are still sent (through Litestar's response)."""
    app = Litestar([with_header], openapi_config=None)
    start, body = _messages(app, "/with-header")
    assert (b"x-route", b"yes") in start["headers"]
    assert (b"content-type", b"application/json") in start["headers"]
    assert body["body"] == BODY
