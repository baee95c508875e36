"""The client of the fraudforge scoring service: ``Client`` (blocking) and ``AsyncClient``
(asyncio) on httpx, with API keys, timeouts, retries with jittered exponential backoff
(connection failures, 5xx, 429 honouring ``Retry-After``), ``wait_until_ready``, a chunking
batch helper and typed results (the msgspec Structs of ``fraudforge.wire``, which the service
decodes too; the client imports nothing else of fraudforge)."""

from fraudforge.client._retry import RETRY_STATUSES, RetryPolicy, retry_after
from fraudforge.client.aio import AsyncClient
from fraudforge.client.errors import (
    ClientError,
    NotReadyError,
    ServiceError,
    ServiceUnreachableError,
)
from fraudforge.client.sync import Client
from fraudforge.wire import (
    BatchResult,
    Feedback,
    ModelInfo,
    Ready,
    Reason,
    ScoreResult,
    Transaction,
)

__all__ = [
    "RETRY_STATUSES",
    "AsyncClient",
    "BatchResult",
    "Client",
    "ClientError",
    "Feedback",
    "ModelInfo",
    "NotReadyError",
    "Ready",
    "Reason",
    "RetryPolicy",
    "ScoreResult",
    "ServiceError",
    "ServiceUnreachableError",
    "Transaction",
    "retry_after",
]
