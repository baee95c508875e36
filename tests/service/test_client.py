"""The client against the real app on 127.0.0.1 (typed results equal to the in-process scorer,
batches chunked, errors naming the field) and against a scripted ASGI server for retries,
Retry-After, connection failures and readiness."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import socket
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from fraudforge.client import (
    AsyncClient,
    Client,
    NotReadyError,
    RetryPolicy,
    ServiceError,
    ServiceUnreachableError,
    retry_after,
)
from fraudforge.features.replay import load_snapshot
from fraudforge.service.app import create_app
from fraudforge.service.scoring import Scorer
from fraudforge.wire import Feedback, ModelRef, ScoreResult, Transaction

from .conftest import Deployment
from .live import live_server
from .test_app import settings_for

FAST = RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05, rng=random.Random(1))


def _txns(d: Deployment, n: int) -> list[Transaction]:
    return msgspec.json.decode(json.dumps(d.rest[:n]), type=list[Transaction])


@pytest.fixture(scope="module")
def real(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app serving the deployment from a copy of its snapshot (not waited for)."""
    state = tmp_path_factory.mktemp("client-state") / "state.npz"
    with live_server(create_app(settings_for(deployment, state)), ready=False) as base:
        yield base


def test_client_scores_like_the_in_process_scorer(real: str, deployment: Deployment) -> None:
    """wait_until_ready, then single and chunked batch scores equal an in-process scorer fed the
    same stream; model_info and feedback answer; a bad field is a ServiceError naming it."""
    txns = _txns(deployment, 140)
    with Client(real, api_key=deployment.score_key, batch_size=50, retry=FAST) as client:
        ready = client.wait_until_ready(timeout=60)
        assert ready.ready
        assert ready.model == ModelRef(name=deployment.name, version=1)
        got = [client.score(t) for t in txns[:20]] + client.score_batch(txns[20:])
        info = client.model_info()
        again = client.score(txns[3])
        with Client(real, api_key=deployment.feedback_key, retry=FAST) as labels:
            labels.feedback(
                Feedback(
                    transaction_id=txns[0].transaction_id,
                    customer_id=txns[0].customer_id,
                    merchant_id=txns[0].merchant_id,
                    device_id=txns[0].device_id,
                    kind="fraud",
                    known_at=txns[-1].timestamp,
                )
            )
        bad = msgspec.structs.replace(txns[-1], customer_id=10**12, transaction_id=1)
        with pytest.raises(ServiceError) as refused:
            client.score(bad)
        assert client.score_batch([]) == []
    assert refused.value.status == 422
    assert refused.value.field == "customer_id"
    assert (info.name, info.version, info.kind) == (deployment.name, 1, "lightgbm")
    assert all(isinstance(r, ScoreResult) for r in got)
    assert not any(r.replayed for r in got)
    assert again == msgspec.structs.replace(got[3], replayed=True)
    assert [r.transaction_id for r in got] == [t.transaction_id for t in txns]
    scorer = Scorer.from_registry(
        deployment.registry, deployment.name, load_snapshot(deployment.snapshot), version=1
    )
    expected = [scorer.score(t) for t in txns]
    assert [r.fraud_probability for r in got] == [e.fraud_probability for e in expected]
    assert [r.decision for r in got] == [e.decision for e in expected]


def test_async_client_and_keys(real: str, deployment: Deployment) -> None:
    """AsyncClient reads the model; an unknown key is refused at once (401, no retry)."""

    async def run() -> tuple[str, int]:
        async with AsyncClient(real, api_key=deployment.score_key, retry=FAST) as client:
            await client.wait_until_ready(timeout=60)
            info = await client.model_info()
        async with AsyncClient(real, api_key="wrong", retry=FAST) as client:
            with pytest.raises(ServiceError) as refused:
                await client.model_info()
        return info.name, refused.value.status

    assert asyncio.run(run()) == (deployment.name, 401)


class Scripted:
    """A raw ASGI app answering from a queue of (status, headers, body), recording requests."""

    def __init__(self) -> None:
        self.replies: deque[tuple[int, dict[str, str], bytes]] = deque()
        self.seen: list[tuple[str, str, dict[str, str], float]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].rsplit(".", 1)[-1]
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.seen.append((scope["method"], scope["path"], headers, time.monotonic()))
        status, extra, body = self.replies.popleft() if self.replies else (500, {}, b"{}")
        raw = [
            (k.encode(), v.encode())
            for k, v in {"content-type": "application/json", **extra}.items()
        ]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[str, Scripted]]:
    """The scripted server and its URL."""
    app = Scripted()
    with live_server(app, ready=False) as base:
        yield base, app


@pytest.fixture
def fake(scripted: tuple[str, Scripted]) -> tuple[str, Scripted]:
    """The scripted server, its queue and record emptied."""
    base, app = scripted
    app.replies.clear()
    app.seen.clear()
    return base, app


def _result(tid: int) -> bytes:
    return msgspec.json.encode(
        ScoreResult(
            transaction_id=tid, fraud_probability=0.25, risk_score=25, decision="ALLOW",
            fraud_type="none", reasons=[], model=ModelRef(name="m", version=1),
            processing_ms=0.1,
        )
    )  # fmt: skip


def _txn(tid: int = 1) -> Transaction:
    return Transaction(
        transaction_id=tid, timestamp=dt.datetime(2024, 5, 1, 10), customer_id=1,
        amount_inr=120.0, payment_mode="upi", card_network="none", channel="mobile_app",
        txn_type="purchase", status="approved", category="groceries", city="Mumbai",
        state="Maharashtra", lat=19.07, lon=72.87, counterparty="shop@upi",
    )  # fmt: skip


def test_retries_5xx_then_succeeds_and_sends_the_key(fake: tuple[str, Scripted]) -> None:
    """Two 503s, then the answer: three requests with the API key, a typed result."""
    base, app = fake
    app.replies.extend([(503, {}, b"{}"), (502, {}, b""), (200, {}, _result(7))])
    with Client(base, api_key="k1", retry=FAST) as client:
        result = client.score(_txn(7))
    assert result.transaction_id == 7
    assert [(m, p) for m, p, _, _ in app.seen] == [("POST", "/v1/score")] * 3
    assert all(h["x-api-key"] == "k1" for _, _, h, _ in app.seen)


def test_429_waits_for_retry_after(fake: tuple[str, Scripted]) -> None:
    """A 429 with Retry-After: 1 is retried after at least that second."""
    base, app = fake
    app.replies.extend(
        [(429, {"retry-after": "1"}, b'{"error": "slow down"}'), (200, {}, _result(1))]
    )
    with Client(base, retry=FAST) as client:
        client.score(_txn())
    assert len(app.seen) == 2
    assert app.seen[1][3] - app.seen[0][3] >= 0.95


def test_gives_up_after_the_attempts(fake: tuple[str, Scripted]) -> None:
    """A persistent 500 raises the service's message after exactly `attempts` requests; a 4xx
    is not retried."""
    base, app = fake
    app.replies.extend([(500, {}, b'{"error": "boom"}')] * 3)
    with Client(base, retry=FAST) as client, pytest.raises(ServiceError, match="HTTP 500: boom"):
        client.score(_txn())
    assert len(app.seen) == 3
    app.seen.clear()
    app.replies.append((422, {}, b'{"error": "amount_inr too large", "field": "amount_inr"}'))
    with Client(base, retry=FAST) as client, pytest.raises(ServiceError) as refused:
        client.score(_txn())
    assert (refused.value.status, refused.value.field) == (422, "amount_inr")
    assert len(app.seen) == 1


def test_batch_is_chunked_in_order(fake: tuple[str, Scripted]) -> None:
    """score_batch sends chunks of batch_size and joins the answers in order."""
    base, app = fake
    for chunk in ([1, 2], [3, 4], [5]):
        body = b'{"results": [' + b",".join(_result(t) for t in chunk) + b'], "processing_ms": 1}'
        app.replies.append((200, {}, body))
    with Client(base, retry=FAST, batch_size=2) as client:
        results = client.score_batch([_txn(t) for t in range(1, 6)])
    assert [r.transaction_id for r in results] == [1, 2, 3, 4, 5]
    assert [p for _, p, _, _ in app.seen] == ["/v1/score/batch"] * 3


def test_async_retries_too(fake: tuple[str, Scripted]) -> None:
    """AsyncClient retries a 503 and returns the typed answer."""
    base, app = fake
    app.replies.extend([(503, {"retry-after": "0"}, b"{}"), (200, {}, _result(3))])

    async def run() -> int:
        async with AsyncClient(base, retry=FAST) as client:
            return (await client.score(_txn(3))).transaction_id

    assert asyncio.run(run()) == 3
    assert len(app.seen) == 2


def test_wait_until_ready(fake: tuple[str, Scripted]) -> None:
    """Ready after two 503s; NotReadyError on timeout; a failed start raises at once."""
    base, app = fake
    starting: tuple[int, dict[str, str], bytes] = (503, {}, b'{"ready": false}')
    app.replies.extend([starting, starting, (200, {}, b'{"ready": true}')])
    with Client(base) as client:
        assert client.wait_until_ready(timeout=5, interval=0.01).ready
        app.replies.extend([starting] * 100)
        with pytest.raises(NotReadyError, match=r"not ready after 0\.2 s: it answered 503"):
            client.wait_until_ready(timeout=0.2, interval=0.01)
        app.replies.clear()
        app.replies.append((503, {}, b'{"ready": false, "error": "KeyError: no model"}'))
        with pytest.raises(ServiceError, match="failed to start: KeyError: no model"):
            client.wait_until_ready(timeout=5, interval=0.01)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_service(tmp_path: Path) -> None:
    """Nothing listening: connection failures are retried, then ServiceUnreachableError;
    wait_until_ready keeps probing until its timeout."""
    base = f"http://127.0.0.1:{_closed_port()}"
    with Client(base, retry=FAST) as client:
        with pytest.raises(ServiceUnreachableError, match="after 3 attempt"):
            client.model_info()
        start = time.monotonic()
        with pytest.raises(NotReadyError, match="no answer"):
            client.wait_until_ready(timeout=0.3, interval=0.05)
        assert time.monotonic() - start >= 0.25


def test_retry_policy_by_hand() -> None:
    """Full jitter stays within [0, min(cap, base * 2**n)]; Retry-After is read as seconds or an
    HTTP date and capped; bad settings are refused."""
    policy = RetryPolicy(
        attempts=5, base_s=0.1, cap_s=0.5, max_retry_after_s=3, rng=random.Random(0)
    )
    for n in range(6):
        waits = [policy.backoff(n) for _ in range(200)]
        assert min(waits) >= 0.0
        assert max(waits) <= min(0.5, 0.1 * 2**n)
        assert max(waits) > 0.5 * min(0.5, 0.1 * 2**n)  # spread over the range, not fixed
    assert policy.delay(0, {"retry-after": "2"}) == 2.0
    assert policy.delay(0, {"retry-after": "120"}) == 3.0
    assert 0.0 <= policy.delay(0, {}) <= 0.1
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after("Thu, 01 Jan 2026 12:00:05 GMT", now=now) == 5.0
    assert retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert retry_after("soon") is None
    assert retry_after(None) is None
    with pytest.raises(ValueError, match="attempts 0 is out of range"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="0 <= base_s <= cap_s"):
        RetryPolicy(base_s=2, cap_s=1)
    with pytest.raises(ValueError, match="batch_size 0 is out of range"):
        Client(batch_size=0)
