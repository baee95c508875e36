"""uvicorn's httptools protocol with the two bounds it lacks: a size limit on a request's line
and headers (431, then the connection is closed) and a time limit for sending them (a
connection that sends no complete request head within it, a new one sending nothing
included, is closed). uvicorn bounds neither for httptools (``h11_max_incomplete_event_size``
applies to h11 only), and it arms its keep-alive timer only after a response."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _answer(status: int, reason: str, message: str) -> bytes:
    body = ('{"error":"' + message + '","field":null}').encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class BoundedHttpTools(HttpToolsProtocol):
    """``HttpToolsProtocol`` refusing request heads over ``max_head`` bytes and closing
    connections that take over ``head_timeout`` seconds to send one (set both on a subclass,
    see ``bounded_protocol``)."""

    max_head = 32_768
    head_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        """Bytes received since the request head began, while it is unfinished (what the
        parser holds; may include the end of the previous request's body)."""
        self._parsed = 0
        """Bytes of the head's URL and headers parsed so far."""
        self._head_done = False
        self._too_large = False
        self._head_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._head_done or self.transport.is_closing():
            return
        if self._head_bytes:
            self.transport.write(
                _answer(408, "Request Timeout", "the request head was not received in time")
            )
        self.transport.close()

    def _refuse_large(self) -> None:
        self._disarm()
        self.transport.write(
            _answer(
                431,
                "Request Header Fields Too Large",
                f"the request line and headers are over {self.max_head} bytes",
            )
        )
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        super().data_received(data)
        if not self._head_done and not self.transport.is_closing():
            # the head is still unfinished: the parser holds what came of it
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head:
                self._refuse_large()

    def send_400_response(self, msg: str) -> None:
        if self._too_large:  # a parser callback below refused the head
            self._refuse_large()
            return
        super().send_400_response(msg)

    def _count(self, n: int) -> None:
        self._parsed += n
        if self._parsed > self.max_head:
            self._too_large = True
            raise ValueError("request head too large")  # the parser stops: send_400_response

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_done = False
        self._head_bytes = self._parsed = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_done = True
        self._head_bytes = self._parsed = 0
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)  # the next request's head is in already
        super().on_response_complete()
        if not pipelined and not self.transport.is_closing():
            self._arm()  # ignored if no new request begins (keep-alive closes it then)


def bounded_protocol(*, max_head: int, head_timeout: float) -> type[BoundedHttpTools]:
    """A ``BoundedHttpTools`` class with these bounds (uvicorn takes a class, not options)."""
    return type(
        "BoundedHttpTools",
        (BoundedHttpTools,),
        {"max_head": max_head, "head_timeout": head_timeout},
    )


__all__ = ["BoundedHttpTools", "bounded_protocol"]
