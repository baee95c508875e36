"""``AsyncClient``: the asyncio client of the fraudforge scoring service, on
``httpx.AsyncClient``; the same calls as ``Client``, awaited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from types import TracebackType
from typing import TypeVar

import httpx

from fraudforge.client._core import RETRY_TRANSPORT, Call, ClientBase, Retry, flatten
from fraudforge.client.sync import Client
from fraudforge.wire import Feedback, ModelInfo, Ready, ScoreResult, Transaction

T = TypeVar("T")


class AsyncClient(ClientBase[httpx.AsyncBaseTransport, httpx.AsyncClient]):
    """``Client`` for asyncio: the same options and calls, awaited (each call's docstring is
    ``Client``'s, set below the class). Use as an async context manager or await ``close``.

    Parameters
    ----------
    base_url, api_key, timeout, retry, batch_size, headers
        As for :class:`Client`.
    transport
        An httpx async transport in place of the network (tests).

    Raises
    ------
    ValueError
        When ``batch_size`` is below 1.
    """

    def _connect(
        self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers=self._core.headers, transport=transport
        )

    async def _send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            try:
                response = await self._http.request(call.method, call.path, content=call.body)
            except RETRY_TRANSPORT as exc:
                step: T | Retry = self._core.failed(exc, attempt, str(self._http.base_url))
            else:
                step = self._core.answer(call, response, attempt)
            if not isinstance(step, Retry):
                return step
            await asyncio.sleep(step.delay)
            attempt += 1

    async def score(self, txn: Transaction) -> ScoreResult:
        return await self._send(self._core.score(txn))

    async def score_batch(self, txns: Iterable[Transaction]) -> list[ScoreResult]:
        return flatten([await self._send(call) for call in self._core.batches(txns)])

    async def feedback(self, feedback: Feedback) -> None:
        await self._send(self._core.feedback(feedback))

    async def model_info(self) -> ModelInfo:
        return await self._send(self._core.model_info())

    async def ready(self) -> Ready:
        response = await self._http.get("/ready")
        return self._core.probe(response)

    async def wait_until_ready(self, *, timeout: float = 30.0, interval: float = 0.1) -> Ready:
        deadline = time.monotonic() + timeout
        last: Ready | None = None
        error: Exception | None = None
        while True:
            try:
                last = await self.ready()
            except httpx.TransportError as exc:
                error = exc
            if self._core.is_ready(last):
                assert last is not None
                return last
            if time.monotonic() + interval > deadline:
                raise self._core.not_ready(str(self._http.base_url), timeout, last, error)
            await asyncio.sleep(interval)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


for _name in ("score", "score_batch", "feedback", "model_info", "ready", "wait_until_ready"):
    # the same calls as Client's, awaited: one docstring for both
    getattr(AsyncClient, _name).__doc__ = getattr(Client, _name).__doc__

__all__ = ["AsyncClient"]
