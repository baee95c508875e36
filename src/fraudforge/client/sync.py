"""``Client``: the blocking client of the fraudforge scoring service, on ``httpx.Client``."""

from __future__ import annotations

import time
from collections.abc import Iterable
from types import TracebackType
from typing import TypeVar

import httpx

from fraudforge.client._core import RETRY_TRANSPORT, Call, ClientBase, Retry, flatten
from fraudforge.wire import Feedback, ModelInfo, Ready, ScoreResult, Transaction

T = TypeVar("T")


class Client(ClientBase[httpx.BaseTransport, httpx.Client]):
    """Scores transactions against a running service at ``base_url``. Use as a context manager
    or call ``close``.

    Parameters
    ----------
    base_url
        The service's address, e.g. ``"http://127.0.0.1:8000"``.
    api_key
        Sent as ``X-API-Key`` with every request (default: none, for a service without keys).
    timeout
        Seconds each request may take (connect, send and read), default 5.
    retry
        Attempts and backoff for connection failures, 5xx and 429 (honouring
        ``Retry-After``); default ``RetryPolicy()``: 4 attempts.
    batch_size
        The service's batch limit, which ``score_batch`` chunks to (default 1000, the
        service's default ``max_batch``).
    headers
        More headers for every request.
    transport
        An httpx transport in place of the network (tests).

    Raises
    ------
    ValueError
        When ``batch_size`` is below 1.
    """

    def _connect(
        self, base_url: str, timeout: float, transport: httpx.BaseTransport | None
    ) -> httpx.Client:
        return httpx.Client(
            base_url=base_url, timeout=timeout, headers=self._core.headers, transport=transport
        )

    def _send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            try:
                response = self._http.request(call.method, call.path, content=call.body)
            except RETRY_TRANSPORT as exc:
                step: T | Retry = self._core.failed(exc, attempt, str(self._http.base_url))
            else:
                step = self._core.answer(call, response, attempt)
            if not isinstance(step, Retry):
                return step
            time.sleep(step.delay)
            attempt += 1

    def score(self, txn: Transaction) -> ScoreResult:
        """Score one transaction (it also enters the customer's online history).

        Parameters
        ----------
        txn
            The payment as the bank sees it at authorisation.

        Returns
        -------
        ScoreResult
            Its fraud probability, risk score, decision, likely fraud type and reasons.

        Raises
        ------
        ServiceError
            When the service refuses it (e.g. 422 naming the field) after any retries.
        ServiceUnreachableError
            When no connection could be made within the retry policy's attempts.
        """
        return self._send(self._core.score(txn))

    def score_batch(self, txns: Iterable[Transaction]) -> list[ScoreResult]:
        """Score transactions in chunks of the batch limit.

        Parameters
        ----------
        txns
            The payments, in the order each customer's happened.

        Returns
        -------
        list[ScoreResult]
            One result per transaction, in input order (empty for no transactions).

        Raises
        ------
        ServiceError
            When the service refuses a chunk; earlier chunks have been scored.
        ServiceUnreachableError
            When no connection could be made within the retry policy's attempts.
        """
        return flatten([self._send(call) for call in self._core.batches(txns)])

    def feedback(self, feedback: Feedback) -> None:
        """Report a confirmed fraud or chargeback.

        Parameters
        ----------
        feedback
            The scored transaction, the kind (``fraud`` or ``chargeback``) and when it became
            known.

        Raises
        ------
        ServiceError
            When the service refuses it (e.g. an unknown transaction, or a key without the
            ``feedback`` scope).
        """
        self._send(self._core.feedback(feedback))

    def model_info(self) -> ModelInfo:
        """The model being served."""
        return self._send(self._core.model_info())

    def ready(self) -> Ready:
        """One readiness probe (no retries; a connection failure raises)."""
        response = self._http.get("/ready")
        return self._core.probe(response)

    def wait_until_ready(self, *, timeout: float = 30.0, interval: float = 0.1) -> Ready:
        """Poll ``/ready`` until the service is ready.

        Parameters
        ----------
        timeout
            Seconds to wait at most.
        interval
            Seconds between probes.

        Returns
        -------
        Ready
            The first answer that says ready (with the model being served).

        Raises
        ------
        NotReadyError
            After ``timeout`` seconds, with the last reason (still starting, or no answer).
        ServiceError
            At once when the service reports that its startup failed.
        """
        deadline = time.monotonic() + timeout
        last: Ready | None = None
        error: Exception | None = None
        while True:
            try:
                last = self.ready()
            except httpx.TransportError as exc:
                error = exc
            if self._core.is_ready(last):
                assert last is not None
                return last
            if time.monotonic() + interval > deadline:
                raise self._core.not_ready(str(self._http.base_url), timeout, last, error)
            time.sleep(interval)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


__all__ = ["Client"]
