"""The request path against real servers on 127.0.0.1: idempotent resends (single, batch,
across a restart), no 5xx from any client input, feedback bound to scored transactions, HEAD
/health, model references in ASCII digits, per-row rate limits and the connection bounds."""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fraudforge.features.online import to_micros
from fraudforge.service.app import api_document, create_app
from fraudforge.service.ledger import Ledger, ledger_path, read_ledger, write_ledger
from fraudforge.service.server import uvicorn_options
from fraudforge.wire import ErrorBody, ModelRef, ScoreResult

from .conftest import Deployment
from .live import live_server


def post(base: str, path: str, body: Any, key: str | None, **kw: Any) -> httpx.Response:
    """POST ``body`` (bytes as they are, anything else as JSON) with an API key."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"} | ({"x-api-key": key} if key else {})
    return httpx.post(base + path, content=content, headers=headers, **kw)


def metric(base: str, name: str) -> float:
    """The value of an unlabelled series in ``/metrics``."""
    text = httpx.get(base + "/metrics").text
    m = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert m is not None, name
    return float(m[1])


def state_of(app: Any) -> dict[str, Any]:
    """The served online state, copied."""
    online = app.state.service.state.online
    return {k: v.copy() for k, v in online.to_state().items()}


def same_state(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.fixture
def live(deployment: Deployment, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A private ready server (its own copy of the snapshot) and its app."""
    app = create_app(deployment.settings(tmp_path / "state.npz", max_batch=50))
    with live_server(app) as base:
        yield base, app


# --- 1. idempotency ------------------------------------------------------------------------


def test_resend_answers_the_original_result_and_changes_nothing(
    live: tuple[str, Any], deployment: Deployment
) -> None:
    """A resent transaction (also re-encoded: other key order, the same instant with a time
    zone) gets the first result with ``replayed: true``, leaves the online state as it was and
    is counted in /metrics; the same id with another body is a 409 naming the fields."""
    base, app = live
    key = deployment.score_key
    t = deployment.rest[0]
    first = post(base, "/v1/score", t, key)
    assert first.status_code == 200, first.text
    assert first.json()["replayed"] is False
    assert "idempotent-replayed" not in first.headers
    before = state_of(app)
    naive = dt.datetime.fromisoformat(t["timestamp"])
    aware = (naive - dt.timedelta(hours=5, minutes=30)).isoformat() + "+00:00"
    again = dict(reversed(list({**t, "timestamp": aware}.items())))
    for body in (t, again, t):
        r = post(base, "/v1/score", body, key)
        assert r.status_code == 200, r.text
        assert r.headers["idempotent-replayed"] == "true"
        assert r.json() == {**first.json(), "replayed": True}
    assert same_state(before, state_of(app))
    assert metric(base, "fraudforge_replayed_total") == 3
    assert metric(base, "fraudforge_scored_total") == 1
    assert metric(base, "fraudforge_idempotency_window") == 1
    assert metric(base, "fraudforge_online_entities_forgotten") == 0
    r = post(base, "/v1/score", {**t, "amount_inr": t["amount_inr"] + 1, "lat": 0.0}, key)
    assert r.status_code == 409
    assert r.json()["field"] == "amount_inr"
    assert "amount_inr, lat differ" in r.json()["error"]
    assert same_state(before, state_of(app))


def test_batch_repeats_are_replays(live: tuple[str, Any], deployment: Deployment) -> None:
    """In one batch, a repeat of an earlier row and a transaction scored before both get the
    first result flagged ``replayed``; the state is what scoring each once gives. A repeat
    with another body refuses the whole batch (409 naming the row and field)."""
    base, app = live
    key = deployment.score_key
    a, b, c = deployment.rest[1:4]
    assert post(base, "/v1/score", a, key).status_code == 200
    r = post(base, "/v1/score/batch", {"transactions": [b, a, b, c]}, key)
    assert r.status_code == 200, r.text
    got = r.json()["results"]
    assert [x["transaction_id"] for x in got] == [t["transaction_id"] for t in (b, a, b, c)]
    assert [x["replayed"] for x in got] == [False, True, True, False]
    assert got[2] == {**got[0], "replayed": True}
    assert metric(base, "fraudforge_scored_total") == 3
    assert metric(base, "fraudforge_replayed_total") == 2
    before = state_of(app)
    d = deployment.rest[4]
    bad = {"transactions": [d, {**d, "merchant_id": 12345678}]}
    r = post(base, "/v1/score/batch", bad, key)
    assert r.status_code == 409
    assert r.json()["field"] == "transactions[1].merchant_id"
    assert same_state(before, state_of(app))


def test_resend_after_restart_is_recognised(deployment: Deployment, tmp_path: Path) -> None:
    """The idempotency window is saved beside the snapshot and restored with it: after a
    restart a resend is a replay of the result scored before it."""
    state = tmp_path / "state.npz"
    t = deployment.rest[5]
    with live_server(create_app(deployment.settings(state))) as base:
        first = post(base, "/v1/score", t, deployment.score_key).json()
    assert ledger_path(state).is_file()  # the shutdown snapshot wrote it
    assert [i for i, _, _ in read_ledger(state)] == [t["transaction_id"]]
    app = create_app(deployment.settings(state, copy=False))
    with live_server(app) as base:
        before = state_of(app)
        r = post(base, "/v1/score", t, deployment.score_key)
        assert r.status_code == 200
        assert r.json() == {**first, "replayed": True}
        assert same_state(before, state_of(app))


def test_window_bounds_and_a_stale_ledger(tmp_path: Path) -> None:
    """The window keeps at most ``size`` entries and none older than ``ttl_s`` (a fake
    clock), their feedback leaving with them; a ledger saved with another snapshot than the
    one on disk is not read."""
    now = [1000.0]
    ledger = Ledger(size=3, ttl_s=60.0, clock=lambda: now[0])
    result = ScoreResult(
        transaction_id=0,
        fraud_probability=0.1,
        risk_score=10,
        decision="ALLOW",
        fraud_type="none",
        reasons=[],
        model=ModelRef(name="m", version=1),
        processing_ms=0.1,
    )
    payload = msgspec.json.encode(result)
    for i in range(5):
        ledger.add(i, b"%d" % i, payload)
        ledger.labels(i)["fraud"] = dt.datetime(2025, 1, 1, i)
        now[0] += 10.0
    assert [i for i, _ in ledger] == [2, 3, 4]
    assert ledger.expired == 2
    assert ledger.labels(1) == {}  # its feedback left with it
    now[0] = 1020.0 + 60.0 + 0.5  # entry 2 was added at 1020
    assert ledger.get(2) is None
    entry = ledger.get(3)
    assert entry is not None
    assert entry.result() == result
    snapshot = tmp_path / "s.npz"
    snapshot.write_bytes(b"x" * 10)
    write_ledger(ledger.copy_entries(), snapshot)
    saved = read_ledger(snapshot)
    assert [(i, s.body, lab) for i, s, lab in saved] == [
        (3, b"3", {"fraud": dt.datetime(2025, 1, 1, 3)}),
        (4, b"4", {"fraud": dt.datetime(2025, 1, 1, 4)}),
    ]
    again = Ledger(size=3, ttl_s=0.0)
    again.restore(saved)
    assert again.labels(4) == {"fraud": dt.datetime(2025, 1, 1, 4)}
    snapshot.write_bytes(b"x" * 11)
    assert read_ledger(snapshot) == []


def test_window_adds_nothing_for_the_collector() -> None:
    """Entries are bytes in tuples: after a collection none is tracked by the garbage
    collector (with live result objects, one add into a 100,000-entry window paused 0.39 s
    for a full collection)."""
    ledger = Ledger(size=1000, ttl_s=0.0)
    for i in range(1000):
        ledger.add(i, b"body", b"payload%d" % i)
    gc.collect()
    assert not any(gc.is_tracked(e) for e in ledger._entries.values())


# --- 2. no 5xx from client input -----------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private server for malformed input, without keys (only input is under test)."""
    state = tmp_path_factory.mktemp("malformed") / "state.npz"
    app = create_app(deployment.settings(state, keys=None, max_batch=20))
    with live_server(app) as base:
        yield base


def _error(r: httpx.Response) -> ErrorBody:
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    return msgspec.json.decode(r.content, type=ErrorBody)


@pytest.mark.parametrize(
    ("path", "field", "value", "status", "named"),
    [
        ("/v1/score", "timestamp", "0001-01-01T00:00:00+14:00", 422, "timestamp"),
        ("/v1/score", "timestamp", "9999-12-31T23:59:59-12:00", 422, "timestamp"),
        ("/v1/score", "timestamp", "0001-01-01T00:00:00", 422, "timestamp"),
        ("/v1/score/batch", "timestamp", "0001-01-01T00:00:00+14:00", 422,
         "transactions[0].timestamp"),
        ("/v1/feedback", "known_at", "0001-01-01T00:00:00+14:00", 422, "known_at"),
        ("/v1/feedback", "known_at", "9999-12-31T23:59:59-12:00", 422, "known_at"),
    ],
)  # fmt: skip
def test_calendar_limits_are_4xx(
    fuzz: str, deployment: Deployment, path: str, field: str, value: str, status: int, named: str
) -> None:
    """Aware times that have no IST equivalent (they were 500) name their field."""
    t = deployment.rest[-1]
    if path == "/v1/feedback":
        body: Any = {"transaction_id": 1, "customer_id": 1, "kind": "fraud", field: value}
    elif path == "/v1/score/batch":
        body = {"transactions": [{**t, field: value}]}
    else:
        body = {**t, field: value}
    r = post(fuzz, path, body, None)
    assert r.status_code == status, r.text
    assert _error(r).field == named


@pytest.mark.parametrize("path", ["/v1/score", "/v1/score/batch", "/v1/feedback"])
def test_invalid_utf8_is_400_naming_the_field(fuzz: str, deployment: Deployment, path: str) -> None:
    """Bytes that are not UTF-8 inside a JSON string (they were 500) are a 400 naming it."""
    t = json.dumps({**deployment.rest[-1], "city": "Pune"}).encode()
    bad = t.replace(b'"Pune"', b'"Pu\xffne"')
    if path == "/v1/score/batch":
        bad = b'{"transactions": [' + bad + b"]}"
    elif path == "/v1/feedback":
        bad = b'{"transaction_id": 1, "customer_id": 1, "kind": "fr\xc3aud", "known_at": "x"}'
    r = post(fuzz, path, bad, None)
    assert r.status_code == 400, r.text
    assert _error(r).field == ("kind" if path == "/v1/feedback" else "city")
    assert "UTF-8" in _error(r).error


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.datetimes(timezones=st.none() | st.timezones()).map(dt.datetime.isoformat)
    | st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999999-23:59"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(["/v1/score", "/v1/score/batch", "/v1/feedback"]),
    field=st.sampled_from(
        ["transaction_id", "timestamp", "customer_id", "amount_inr", "city", "lat",
         "merchant_id", "device_id", "counterparty", "known_at", "kind", "extra"]
    ),
    value=_JSON,
    garble=st.none() | st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=3)),
)  # fmt: skip
def test_no_5xx_for_malformed_bodies(
    fuzz: str, deployment: Deployment, path: str, field: str, value: Any, garble: Any
) -> None:
    """A valid body with one field set to any JSON value (or bytes spliced in anywhere) is
    answered below 500; every 4xx is an ErrorBody."""
    t = deployment.rest[-1]
    if path == "/v1/feedback":
        base_body: dict[str, Any] = {
            "transaction_id": t["transaction_id"],
            "customer_id": t["customer_id"],
            "kind": "fraud",
            "known_at": t["timestamp"],
        }
    else:
        base_body = dict(t)
    body: Any = {**base_body, field: value}
    if path == "/v1/score/batch":
        body = {"transactions": [body]}
    raw = json.dumps(body).encode()
    if garble is not None:
        at, junk = garble
        at = min(at, len(raw))
        raw = raw[:at] + junk + raw[at:]
    r = post(fuzz, path, raw, None)
    assert r.status_code < 500, (r.status_code, r.text, raw)
    if r.status_code >= 400:
        _error(r)


# --- 3. feedback ---------------------------------------------------------------------------


def _label_times(app: Any, kind: str, entity_id: int) -> list[int]:
    state = app.state.service.state.online.to_state()
    i = state[f"{kind}_id"].tolist().index(entity_id)
    lo, hi = state[f"{kind}_fraud_offsets"][i : i + 2]
    times: list[int] = state[f"{kind}_fraud"][lo:hi].tolist()
    return times


def test_feedback_needs_a_scored_transaction_and_counts_once(
    live: tuple[str, Any], deployment: Deployment
) -> None:
    """Feedback on an id never scored, with another customer, merchant or device than the
    scored transaction's, or known before it, is refused naming the field; the same report
    sent many times counts once at the merchant and the device; an earlier report of the other
    kind moves the one label earlier; the same kind at another time is a 409."""
    base, app = live
    fk = deployment.feedback_key
    t = next(x for x in deployment.rest[10:] if x["merchant_id"] is not None and x["device_id"])
    when = dt.datetime.fromisoformat(t["timestamp"])
    fb = {
        "transaction_id": t["transaction_id"],
        "customer_id": t["customer_id"],
        "kind": "chargeback",
        "known_at": (when + dt.timedelta(days=40)).isoformat(),
    }
    r = post(base, "/v1/feedback", fb, fk)
    assert (r.status_code, r.json()["field"]) == (422, "transaction_id")
    assert post(base, "/v1/score", t, deployment.score_key).status_code == 200
    assert post(base, "/v1/feedback", fb, deployment.score_key).status_code == 403
    assert post(base, "/v1/score", t, fk).status_code == 403
    for change, field in (
        ({"customer_id": t["customer_id"] + 1}, "customer_id"),
        ({"merchant_id": t["merchant_id"] + 1}, "merchant_id"),
        ({"device_id": t["device_id"] + 1}, "device_id"),
        ({"known_at": (when - dt.timedelta(seconds=1)).isoformat()}, "known_at"),
    ):
        r = post(base, "/v1/feedback", {**fb, **change}, fk)
        assert (r.status_code, r.json()["field"]) == (422, field), r.text
    merchant_before = _label_times(app, "merchant", t["merchant_id"])
    for _ in range(50):
        assert post(base, "/v1/feedback", fb, fk).status_code == 202
    late = to_micros(when + dt.timedelta(days=40))
    assert _label_times(app, "merchant", t["merchant_id"]) == sorted([*merchant_before, late])
    assert _label_times(app, "device", t["device_id"]).count(late) == 1
    assert metric(base, "fraudforge_feedback_total") == 1
    assert metric(base, "fraudforge_feedback_repeated_total") == 49
    early = when + dt.timedelta(days=2)
    r = post(base, "/v1/feedback", {**fb, "kind": "fraud", "known_at": early.isoformat()}, fk)
    assert r.status_code == 202
    merchant = _label_times(app, "merchant", t["merchant_id"])
    assert merchant == sorted([*merchant_before, to_micros(early)])
    r = post(
        base, "/v1/feedback", {**fb, "known_at": (when + dt.timedelta(days=9)).isoformat()}, fk
    )
    assert (r.status_code, r.json()["field"]) == (409, "known_at")
    text = httpx.get(base + "/metrics").text
    assert 'fraudforge_feedback_kind_total{kind="chargeback"} 1' in text
    assert 'fraudforge_feedback_kind_total{kind="fraud"} 1' in text


# --- 4. smaller ----------------------------------------------------------------------------


def test_head_health(fuzz: str) -> None:
    """HEAD /health is 200 with no body."""
    r = httpx.head(fuzz + "/health")
    assert r.status_code == 200
    assert r.content == b""
    port = int(fuzz.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"HEAD /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        raw = _recv_all(sock)
    assert raw.startswith(b"HTTP/1.1 200 ")
    assert raw.endswith(b"\r\n\r\n")  # headers only


def test_openapi_declares_date_times_and_the_ready_body() -> None:
    """Timestamps are ``format: date-time``; /ready's 503 body is a Ready."""
    doc = api_document()
    schemas = doc["components"]["schemas"]
    assert schemas["Transaction"]["properties"]["timestamp"]["format"] == "date-time"
    assert schemas["Feedback"]["properties"]["known_at"]["format"] == "date-time"
    ready = doc["paths"]["/ready"]["get"]["responses"]["503"]
    assert ready["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Ready"}
    assert doc["paths"]["/v1/feedback"]["post"]["x-scope"] == "feedback"


def test_admin_refuses_a_non_ascii_version(fuzz: str) -> None:
    """Over HTTP too: 422 naming ``model``."""
    r = post(fuzz, "/v1/admin/model", {"model": "fraud:١٢"}, None)
    assert (r.status_code, r.json()["field"]) == (422, "model")


# --- 5. resource limits --------------------------------------------------------------------


def test_a_batch_costs_one_token_per_row(deployment: Deployment, tmp_path: Path) -> None:
    """With a burst of 10 at 0.001/s, a batch of 8 passes and then a batch of 3 is refused."""
    app = create_app(deployment.settings(tmp_path / "s.npz", rate_per_s=0.001, burst=10))
    with live_server(app) as base:
        key = deployment.score_key
        ok = post(base, "/v1/score/batch", {"transactions": deployment.rest[20:28]}, key)
        assert ok.status_code == 200, ok.text
        r = post(base, "/v1/score/batch", {"transactions": deployment.rest[28:31]}, key)
        assert r.status_code == 429, r.text
        assert metric(base, "fraudforge_rate_limited_total") == 1
        assert metric(base, "fraudforge_scored_total") == 8


def _recv_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def test_connection_bounds(deployment: Deployment, tmp_path: Path) -> None:
    """A request head over ``max_header_bytes`` is answered 431 and closed; a connection that
    sends nothing is closed after ``header_timeout_s``; beyond ``max_connections`` a request
    is answered 503, and served again once connections close."""
    s = deployment.settings(
        tmp_path / "s.npz", max_header_bytes=4096, header_timeout_s=0.5, max_connections=3
    )
    with live_server(create_app(s), options=uvicorn_options(s)) as base:
        port = int(base.rsplit(":", 1)[1])
        big = socket.create_connection(("127.0.0.1", port), timeout=30)
        big.sendall(b"GET /health HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 8192)
        answer = _recv_all(big)
        big.close()
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]
        one = socket.create_connection(("127.0.0.1", port), timeout=30)
        one.sendall(b"GET /health HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 8192 + b"\r\n\r\n")
        answer = _recv_all(one)
        one.close()
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]
        idle = socket.create_connection(("127.0.0.1", port), timeout=30)
        assert _recv_all(idle) == b""  # closed by the server, nothing sent
        idle.close()
        assert httpx.get(base + "/health").status_code == 200
        body = {"transactions": deployment.rest[40:440]}  # a body far over the head limit
        r = post(base, "/v1/score/batch", body, deployment.score_key)
        assert r.status_code == 200, r.text
        assert len(r.request.content) > 100_000
    s = deployment.settings(tmp_path / "t.npz", header_timeout_s=60.0, max_connections=3)
    with live_server(create_app(s), options=uvicorn_options(s)) as base:
        port = int(base.rsplit(":", 1)[1])
        held = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(2)]
        r = httpx.get(base + "/health")
        assert r.status_code == 503
        for sock in held:
            sock.close()
        for _ in range(100):  # the server sees the closes asynchronously
            r = httpx.get(base + "/health")
            if r.status_code == 200:
                break
            threading.Event().wait(0.05)
        assert r.status_code == 200
