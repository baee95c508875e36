"""What the sync and async clients share: the request of each call, how an answer becomes a
typed result, an error or a retry, and the limits they honour. The clients only send."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
import msgspec

from fraudforge.client._retry import RetryPolicy
from fraudforge.client.errors import NotReadyError, ServiceError, ServiceUnreachableError
from fraudforge.wire import (
    BatchResult,
    ErrorBody,
    Feedback,
    ModelInfo,
    Ready,
    ScoreResult,
    Transaction,
)

T = TypeVar("T")
TransportT = TypeVar("TransportT")
HttpT = TypeVar("HttpT")

API_KEY_HEADER = "X-API-Key"
DEFAULT_BATCH = 1000
"""The service's default ``max_batch``; pass the server's if it was configured otherwise."""
RETRY_TRANSPORT: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)
"""Transport failures retried: the request never reached the service, so a retry cannot score
a transaction twice."""

_encode = msgspec.json.Encoder().encode
_error_body = msgspec.json.Decoder(ErrorBody)


def _decoder(kind: type[T]) -> Callable[[bytes], T]:
    return msgspec.json.Decoder(kind).decode


def _nothing(_: bytes) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request: method, path, body and how a successful answer is read."""

    method: str
    path: str
    body: bytes | None
    read: Callable[[bytes], T]
    ok: tuple[int, ...] = (200,)


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again after ``delay`` seconds."""

    delay: float


_SCORE = _decoder(ScoreResult)
_BATCH = _decoder(BatchResult)
_MODEL = _decoder(ModelInfo)
_READY = _decoder(Ready)


class Core:
    """Settings and decisions of a client (see ``Client`` for the options)."""

    def __init__(
        self,
        *,
        api_key: str | None,
        retry: RetryPolicy | None,
        batch_size: int,
        headers: Mapping[str, str] | None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size {batch_size} is out of range: allowed is 1 or more")
        self.retry = retry if retry is not None else RetryPolicy()
        self.batch_size = batch_size
        self.headers = {"content-type": "application/json", **(headers or {})}
        if api_key is not None:
            self.headers[API_KEY_HEADER] = api_key

    @staticmethod
    def score(txn: Transaction) -> Call[ScoreResult]:
        """POST /v1/score."""
        return Call("POST", "/v1/score", _encode(txn), _SCORE)

    def batches(self, txns: Iterable[Transaction]) -> list[Call[BatchResult]]:
        """POST /v1/score/batch per chunk of at most ``batch_size`` transactions."""
        items = list(txns)
        return [
            Call(
                "POST",
                "/v1/score/batch",
                _encode({"transactions": items[i : i + self.batch_size]}),
                _BATCH,
            )
            for i in range(0, len(items), self.batch_size)
        ]

    @staticmethod
    def feedback(feedback: Feedback) -> Call[None]:
        """POST /v1/feedback (answered 202 without a body)."""
        return Call("POST", "/v1/feedback", _encode(feedback), _nothing, ok=(200, 202, 204))

    @staticmethod
    def model_info() -> Call[ModelInfo]:
        """GET /v1/model."""
        return Call("GET", "/v1/model", None, _MODEL)

    def answer(self, call: Call[T], response: httpx.Response, attempt: int) -> T | Retry:
        """The result of ``response``, a ``Retry`` when its status is worth another attempt
        and attempts remain, else a ``ServiceError`` with the service's message."""
        status = response.status_code
        if status in call.ok:
            return call.read(response.content)
        if status in self.retry.statuses and attempt + 1 < self.retry.attempts:
            return Retry(self.retry.delay(attempt, response.headers))
        raise error_of(response)

    @staticmethod
    def probe(response: httpx.Response) -> Ready:
        """The Ready body of a ``/ready`` answer (200 or 503); any other status raises."""
        if response.status_code in (200, 503):
            return _READY(response.content)
        raise error_of(response)

    def failed(self, exc: Exception, attempt: int, url: str) -> Retry:
        """A ``Retry`` after a connection failure, or ``ServiceUnreachableError`` when attempts are
        used up."""
        if attempt + 1 < self.retry.attempts:
            return Retry(self.retry.backoff(attempt))
        raise ServiceUnreachableError(
            f"cannot reach the service at {url} after {self.retry.attempts} attempt(s): {exc}"
        ) from exc

    @staticmethod
    def is_ready(ready: Ready | None) -> bool:
        """Whether a probe's answer says ready; ``ServiceError`` when its startup failed."""
        if ready is None:
            return False
        if not ready.ready and ready.error:
            raise ServiceError(503, f"service failed to start: {ready.error}")
        return ready.ready

    @staticmethod
    def not_ready(url: str, timeout: float, ready: Ready | None, error: Any) -> NotReadyError:
        """The ``NotReadyError`` error after ``timeout`` seconds of probes, with the last reason."""
        if ready is not None:
            reason = ready.error or "it answered 503 (still starting)"
        else:
            reason = f"no answer ({error})" if error is not None else "no answer"
        return NotReadyError(f"service at {url} not ready after {timeout:g} s: {reason}", reason)


class ClientBase(Generic[TransportT, HttpT]):
    """The options both clients take (documented on ``Client``) and the httpx client they open
    with them (``_connect``)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        retry: RetryPolicy | None = None,
        batch_size: int = DEFAULT_BATCH,
        headers: Mapping[str, str] | None = None,
        transport: TransportT | None = None,
    ) -> None:
        self._core = Core(api_key=api_key, retry=retry, batch_size=batch_size, headers=headers)
        self._http: HttpT = self._connect(base_url, timeout, transport)

    def _connect(self, base_url: str, timeout: float, transport: TransportT | None) -> HttpT:
        raise NotImplementedError


def error_of(response: httpx.Response) -> ServiceError:
    """The ``ServiceError`` of an error answer (its ErrorBody, or the raw text)."""
    try:
        body = _error_body.decode(response.content)
    except msgspec.DecodeError:
        text = response.text.strip()[:200] or response.reason_phrase
        return ServiceError(response.status_code, text)
    return ServiceError(response.status_code, body.error, body.field)


def flatten(batches: Sequence[BatchResult]) -> list[ScoreResult]:
    """The results of consecutive batch answers, in order."""
    return [r for b in batches for r in b.results]


__all__ = [
    "API_KEY_HEADER",
    "DEFAULT_BATCH",
    "RETRY_TRANSPORT",
    "Call",
    "ClientBase",
    "Core",
    "Retry",
]
