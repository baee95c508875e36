"""``_body.read_body``: the body from the ASGI messages with Litestar's limits and answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.exceptions import ClientException, InternalServerException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from fraudforge.service._body import read_body


class _Request:
    """What ``read_body`` reads of a Litestar request: the ASGI scope and ``receive``."""

    def __init__(self, messages: list[dict[str, Any]], length: bytes | None = None) -> None:
        headers = [(b"host", b"127.0.0.1")]
        if length is not None:
            headers.append((b"content-length", length))
        self.scope = {"type": "http", "headers": headers}
        self._messages = iter(messages)

    async def receive(self) -> dict[str, Any]:
        return next(self._messages)


def _read(request: _Request, limit: int | None = 100) -> bytes:
    return asyncio.run(read_body(request, limit))  # type: ignore[arg-type]


def _part(body: bytes, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


def test_one_message_and_chunks() -> None:
    """A body in one message is that message's bytes; chunks are joined in order, empty ones
    and messages of other types skipped."""
    assert _read(_Request([_part(b'{"a": 1}', False)], b"8")) == b'{"a": 1}'
    chunks = [
        _part(b"ab", True),
        {"type": "http.other"},
        _part(b"", True),
        _part(b"cd", True),
        _part(b"e", False),
    ]
    assert _read(_Request(chunks)) == b"abcde"
    assert _read(_Request([_part(b"", False)])) == b""
    assert _read(_Request([{"type": "http.request"}])) == b""


def test_limits() -> None:
    """Over the limit is 413, announced or received; at the limit, or without one, it reads."""
    with pytest.raises(RequestEntityTooLarge):
        _read(_Request([_part(b"x", False)], b"101"))
    with pytest.raises(RequestEntityTooLarge):
        _read(_Request([_part(b"x" * 60, True), _part(b"x" * 41, False)]))
    assert _read(_Request([_part(b"x" * 60, True), _part(b"x" * 40, False)])) == b"x" * 100
    assert _read(_Request([_part(b"x" * 500, False)], b"500"), None) == b"x" * 500


def test_bad_length_and_disconnect() -> None:
    """An unreadable Content-Length is 400 naming it; a disconnect mid-body is 500."""
    with pytest.raises(ClientException, match="Invalid content-length: 'ten'") as bad:
        _read(_Request([_part(b"x", False)], b"ten"))
    assert bad.value.status_code == 400
    with pytest.raises(InternalServerException, match="disconnected"):
        _read(_Request([_part(b"x", True), {"type": "http.disconnect"}]))
