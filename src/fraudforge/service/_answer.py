"""``JsonAnswer``: a 200 answer whose JSON body is already encoded, sent as it is.

Litestar turns a ``Response`` into an ``ASGIResponse`` for every request: its constructor checks
cookies and headers against ``typing.Mapping`` (an ``isinstance`` through ``abc``), then the
conversion merges the route's headers, cookies and encoders and builds a mutable headers
object. For a scoring answer there is nothing to merge, and that work cost a tenth of the
service's time in a profile. ``JsonAnswer`` is a ``Response`` (so handlers keep their type and
Litestar its response path) that, when the route adds no headers, cookies or background task,
sends the same two messages with the same headers (``content-type: application/json`` and
``content-length``) directly; otherwise it takes Litestar's own path.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

_JSON = "application/json"


class _Sent:
    """The ASGI app answering one encoded JSON body."""

    __slots__ = ("body", "status")

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self.body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class JsonAnswer(Response[bytes]):
    """A JSON answer of ``body`` (encoded already) with ``status_code`` and no headers of its
    own."""

    def __init__(self, body: bytes, status_code: int = 200) -> None:
        self._status = status_code
        self.content = body
        self.background = None
        self.cookies = []
        self.encoding = "utf-8"
        self.headers = {}
        self.media_type = _JSON
        self.status_code = status_code
        self.response_type_encoders = {}

    def to_asgi_response(
        self,
        app: Any,
        request: Request[Any, Any, Any],
        *,
        background: Any = None,
        cookies: Any = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        **options: Any,
    ) -> ASGIResponse:
        """The direct answer, or Litestar's ``ASGIResponse`` when the route adds headers,
        cookies or a background task, or the request is a HEAD."""
        if background is None and not cookies and not headers and not is_head_response:
            return _Sent(self._status, self.content)  # type: ignore[return-value]
        return super().to_asgi_response(
            app,
            request,
            background=background,
            cookies=cookies,
            headers=headers,
            is_head_response=is_head_response,
            **options,
        )
