"""The HTTP app against a real uvicorn server on 127.0.0.1: scoring equal to the in-process
scorer, every class of bad input answered 4xx naming the field, keys, scopes, rate limits, the
body limit, metrics, the offline docs page and CORS."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from fraudforge.features.online import to_micros
from fraudforge.features.replay import load_snapshot
from fraudforge.service.app import create_app
from fraudforge.service.scoring import Scorer
from fraudforge.service.settings import Settings
from fraudforge.wire import ScoreResult, Transaction

from .conftest import Deployment
from .live import live_server


def settings_for(d: Deployment, state: Path, **changes: Any) -> Settings:
    """The deployment's settings with a batch limit of 50."""
    settings: Settings = d.settings(state, **{"max_batch": 50, **changes})
    return settings


@pytest.fixture(scope="module")
def url(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server for the bad-input tests (checked as soon as it listens)."""
    state = tmp_path_factory.mktemp("state") / "state.npz"
    with live_server(create_app(settings_for(deployment, state)), ready=False) as base:
        yield base


@pytest.fixture(scope="module")
def server(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ready server for the scoring tests."""
    state = tmp_path_factory.mktemp("state") / "state.npz"
    with live_server(create_app(settings_for(deployment, state))) as base:
        yield base


def post(base: str, path: str, body: Any, key: str | None, **kw: Any) -> httpx.Response:
    """POST ``body`` (bytes sent as they are, anything else as JSON) with an API key."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"} | ({"x-api-key": key} if key else {})
    return httpx.post(base + path, content=content, headers=headers, **kw)


def test_scores_equal_the_in_process_scorer(server: str, deployment: Deployment) -> None:
    """The first transactions after the snapshot score exactly as a Scorer over the same state
    does; the answer is well formed and its decision follows the bands derived from the
    model's registered alert threshold."""
    from fraudforge.models import Registry
    from fraudforge.service.scoring import thresholds_from_alert

    alert = Registry(deployment.registry, create=False).show(deployment.name, 1).threshold
    bands = thresholds_from_alert(alert)
    online = load_snapshot(deployment.snapshot)
    local = Scorer.from_registry(
        deployment.registry, deployment.name, online, stage="production", top_k=5
    )
    for body in deployment.rest[:20]:
        r = post(server, "/v1/score", body, deployment.score_key)
        assert r.status_code == 200, r.text
        got = msgspec.json.decode(r.content, type=ScoreResult)
        want = local.score(msgspec.convert(body, Transaction))
        assert got.transaction_id == body["transaction_id"]
        assert got.fraud_probability == want.fraud_probability
        assert got.reasons == want.reasons
        assert got.fraud_type == want.fraud_type
        assert (got.model.name, got.model.version) == (deployment.name, 1)
        assert 0 <= got.risk_score <= 100
        p = got.fraud_probability
        expected = (
            "BLOCK"
            if p >= bands.block
            else "REVIEW"
            if p >= bands.review
            else "FLAG"
            if p >= bands.flag
            else "ALLOW"
        )
        assert got.decision == expected


def test_batch_answers_in_input_order(server: str, deployment: Deployment) -> None:
    """A batch's results follow its transactions' order."""
    bodies = deployment.rest[20:45]
    r = post(server, "/v1/score/batch", {"transactions": bodies}, deployment.score_key)
    assert r.status_code == 200, r.text
    ids = [x["transaction_id"] for x in r.json()["results"]]
    assert ids == [b["transaction_id"] for b in bodies]


def _txn(d: Deployment) -> dict[str, Any]:
    return dict(d.rest[-1])


def _raw(txn: dict[str, Any], field: str, literal: bytes) -> bytes:
    """``txn`` as JSON with ``field``'s value replaced by ``literal`` (not valid JSON)."""
    text = json.dumps({**txn, field: 0.5}).encode()
    return text.replace(f'"{field}": 0.5'.encode(), f'"{field}": '.encode() + literal)


@pytest.mark.parametrize(
    ("make", "status", "field"),
    [
        (lambda t: b"{not json", 400, None),
        (lambda t: b"", 400, None),
        (lambda t: _raw(t, "amount_inr", b"NaN"), 400, "amount_inr"),
        (lambda t: _raw(t, "lat", b"-Infinity"), 400, "lat"),
        (lambda t: _raw(t, "amount_inr", b"1e400"), 422, "amount_inr"),
        (lambda t: {**t, "amount_inr": "100.0"}, 422, "amount_inr"),
        (lambda t: {**t, "customer_id": 1.5}, 422, "customer_id"),
        (lambda t: {**t, "amount_inr": -5.0}, 422, "amount_inr"),
        (lambda t: {**t, "amount_inr": 0.0}, 422, "amount_inr"),
        (lambda t: {**t, "amount_inr": 5e8}, 422, "amount_inr"),
        (lambda t: {**t, "payment_mode": "cheque"}, 422, "payment_mode"),
        (lambda t: {**t, "city": "Paris"}, 422, "city"),
        (lambda t: {**t, "is_fraud": True}, 422, "is_fraud"),
        (lambda t: {k: v for k, v in t.items() if k != "channel"}, 422, "channel"),
        (lambda t: {**t, "timestamp": "2999-01-01T00:00:00"}, 422, "timestamp"),
        (lambda t: {**t, "timestamp": "1999-12-31T23:00:00"}, 422, "timestamp"),
        (lambda t: {**t, "timestamp": "yesterday"}, 422, "timestamp"),
        (lambda t: {**t, "customer_id": 10**9}, 422, "customer_id"),
        (lambda t: {**t, "lat": 123.0}, 422, "lat"),
        (lambda t: [t], 422, None),
    ],
    ids=[
        "malformed", "empty", "nan", "infinity", "overflow", "string-number", "float-id",
        "negative", "zero", "absurd", "enum-mode", "enum-city", "label-field", "missing",
        "future", "ancient", "bad-time", "unknown-customer", "latitude", "not-object",
    ],
)  # fmt: skip
def test_bad_transaction_is_refused_naming_the_field(
    url: str, deployment: Deployment, make: Any, status: int, field: str | None
) -> None:
    """Each class of bad input answers 4xx with an ErrorBody naming the field."""
    _wait_ready(url)
    r = post(url, "/v1/score", make(_txn(deployment)), deployment.score_key)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "field"}
    assert body["error"]
    assert body["field"] == field


def test_batch_errors_name_the_item(url: str, deployment: Deployment) -> None:
    """Bad items are named by position; too many items is 413; order within a batch holds."""
    t = _txn(deployment)
    k = deployment.score_key
    r = post(url, "/v1/score/batch", {"transactions": [t, {**t, "amount_inr": -1}]}, k)
    assert (r.status_code, r.json()["field"]) == (422, "transactions[1].amount_inr")
    r = post(url, "/v1/score/batch", {"transactions": [t, {**t, "bogus": 1}]}, k)
    assert (r.status_code, r.json()["field"]) == (422, "transactions[1].bogus")
    r = post(url, "/v1/score/batch", {"transactions": [t] * 51}, k)
    assert (r.status_code, r.json()["field"]) == (413, "transactions")
    first, *others = (x for x in deployment.rest if x["customer_id"] == t["customer_id"])
    later = next(x for x in others if x["timestamp"] > first["timestamp"])
    r = post(url, "/v1/score/batch", {"transactions": [later, first]}, k)
    assert (r.status_code, r.json()["field"]) == (422, "transactions[1].timestamp")
    assert r.json()["error"] == (
        f"transaction {first['transaction_id']} is earlier than customer {t['customer_id']}'s "
        "previous one in this batch: each customer's must come in time order"
    )
    served = httpx.get(url + "/metrics").text
    assert "fraudforge_scored_total 0" in served  # nothing of the refused batches was scored


def test_time_order_of_one_transaction(deployment: Deployment, tmp_path: Path) -> None:
    """A transaction earlier than its customer's last scored one answers 422 naming
    ``timestamp`` with the rule's message and changes nothing: resent in order, both are
    scored."""
    app = create_app(settings_for(deployment, tmp_path / "s.npz"))
    t = _txn(deployment)
    first, *others = (x for x in deployment.rest if x["customer_id"] == t["customer_id"])
    later = next(x for x in others if x["timestamp"] > first["timestamp"])
    k = deployment.score_key
    with live_server(app) as base:
        assert post(base, "/v1/score", later, k).status_code == 200
        r = post(base, "/v1/score", first, k)
        assert (r.status_code, r.json()["field"]) == (422, "timestamp"), r.text
        at = dt.datetime.fromisoformat(first["timestamp"]).replace(tzinfo=None)
        assert r.json()["error"].startswith(
            f"{at} is earlier than customer {t['customer_id']}'s last transaction ("
        )
        assert app.state.service.metrics.scored == 1
        r = post(base, "/v1/score", {**first, "customer_id": 10**9}, k)
        assert (r.status_code, r.json()["field"]) == (422, "customer_id"), r.text


def _wait_ready(url: str) -> None:
    for _ in range(1200):
        if httpx.get(url + "/ready").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(httpx.get(url + "/ready").text)


def test_keys_and_scopes(url: str, deployment: Deployment) -> None:
    """No key or a wrong key is 401, a score key on admin is 403; Bearer works like X-API-Key."""
    _wait_ready(url)
    t = _txn(deployment)
    assert post(url, "/v1/score", t, None).status_code == 401
    assert post(url, "/v1/score", t, "ffk_wrong").status_code == 401
    r = post(url, "/v1/admin/snapshot", {}, deployment.score_key)
    assert r.status_code == 403
    assert "admin" in r.json()["error"]
    r = httpx.get(url + "/v1/model", headers={"authorization": f"Bearer {deployment.admin_key}"})
    assert r.status_code == 200
    assert r.json()["name"] == deployment.name
    assert httpx.get(url + "/health").status_code == 200  # no key needed


def test_rate_limit_answers_429_with_retry_after(deployment: Deployment, tmp_path: Path) -> None:
    """A key past its burst waits; another key's bucket is its own."""
    app = create_app(settings_for(deployment, tmp_path / "s.npz", rate_per_s=0.5, burst=3))
    with live_server(app, ready=False) as base:
        codes = [
            httpx.get(base + "/v1/model", headers={"x-api-key": deployment.score_key}).status_code
            for _ in range(4)
        ]
        assert codes[:3] != [429] * 3
        assert codes[3] == 429
        r = httpx.get(base + "/v1/model", headers={"x-api-key": deployment.score_key})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        other = httpx.get(base + "/v1/model", headers={"x-api-key": deployment.admin_key})
        assert other.status_code != 429


def test_body_limit(deployment: Deployment, tmp_path: Path) -> None:
    """A body over the configured size is 413 whatever its content."""
    app = create_app(settings_for(deployment, tmp_path / "s.npz", max_body_bytes=2048))
    with live_server(app) as base:
        r = post(base, "/v1/score", b" " * 4096, deployment.score_key)
        assert r.status_code == 413
        assert "2048" in r.json()["error"]


def test_unknown_route_and_method(url: str) -> None:
    """404 and 405 answer with an ErrorBody too."""
    assert httpx.get(url + "/v2/nothing").status_code == 404
    r = httpx.get(url + "/v1/score")
    assert r.status_code == 405
    assert r.json()["error"]


def test_metrics_count_requests_and_decisions(server: str, deployment: Deployment) -> None:
    """Prometheus text: request counters, latency buckets, decisions and the model version."""
    before = httpx.get(server + "/metrics").text
    n = _sample(before, "fraudforge_scored_total")
    bodies = deployment.rest[45:55]
    for body in bodies:
        assert post(server, "/v1/score", body, deployment.score_key).status_code == 200
    text = httpx.get(server + "/metrics").text
    assert httpx.get(server + "/metrics").headers["content-type"].startswith("text/plain")
    assert _sample(text, "fraudforge_scored_total") == n + len(bodies)
    decisions = sum(
        float(v) for v in re.findall(r"^fraudforge_decisions_total\{[^}]*\} (\S+)$", text, re.M)
    )
    assert decisions == n + len(bodies)
    assert f'fraudforge_model_info{{name="{deployment.name}",version="1"}} 1.0' in text
    count = r'fraudforge_http_request_duration_seconds_count\{method="POST",route="/v1/score"\}'
    assert re.search(count + r" \d+", text)
    assert 'le="0.0005"' in text
    assert 'le="+Inf"' in text


def _sample(text: str, name: str) -> float:
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    assert m is not None, name
    return float(m[1])


def test_openapi_and_offline_docs(url: str) -> None:
    """The schema lists every route with its body; the docs page loads nothing from outside."""
    doc = httpx.get(url + "/schema/openapi.json").json()
    assert {"/v1/score", "/v1/score/batch", "/v1/feedback", "/v1/model", "/ready"} <= set(
        doc["paths"]
    )
    body = doc["paths"]["/v1/score"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Transaction"}
    assert doc["components"]["schemas"]["Transaction"]["additionalProperties"] is False
    page = httpx.get(url + "/docs")
    assert page.status_code == 200
    assert "/v1/score/batch" in page.text
    assert not re.search(r"<(script|link|img)\b", page.text)


def test_cors_only_when_configured(url: str, deployment: Deployment, tmp_path: Path) -> None:
    """No CORS headers by default; the configured origin is allowed when set."""
    origin = {"origin": "https://bank.example"}
    assert "access-control-allow-origin" not in httpx.get(url + "/health", headers=origin).headers
    app = create_app(
        settings_for(deployment, tmp_path / "s.npz", cors_origins=["https://bank.example"])
    )
    with live_server(app, ready=False) as base:
        r = httpx.get(base + "/health", headers=origin)
        assert r.headers["access-control-allow-origin"] == "https://bank.example"


def test_feedback_reaches_the_online_state(deployment: Deployment, tmp_path: Path) -> None:
    """A confirmed fraud of a scored transaction is accepted (202) with a feedback key and
    counted at its merchant from known_at; a score key is refused (403)."""
    app = create_app(settings_for(deployment, tmp_path / "s.npz"))
    t = next(x for x in deployment.rest if x["merchant_id"] is not None)
    known = dt.datetime.fromisoformat(t["timestamp"]) + dt.timedelta(days=3)
    fb = {
        "transaction_id": t["transaction_id"],
        "customer_id": t["customer_id"],
        "merchant_id": t["merchant_id"],
        "kind": "chargeback",
        "known_at": known.isoformat() + "+05:30",
    }
    with live_server(app) as base:
        assert post(base, "/v1/score", t, deployment.score_key).status_code == 200
        assert post(base, "/v1/feedback", fb, deployment.score_key).status_code == 403
        r = post(base, "/v1/feedback", fb, deployment.feedback_key)
        assert r.status_code == 202, r.text
        assert (
            post(base, "/v1/feedback", {**fb, "kind": "dispute"}, deployment.feedback_key).json()[
                "field"
            ]
            == "kind"
        )
        online = app.state.service.state.online
        state = online.to_state()
        i = state["merchant_id"].tolist().index(t["merchant_id"])
        lo, hi = state["merchant_fraud_offsets"][i : i + 2]
        assert state["merchant_fraud"][lo:hi].tolist().count(to_micros(known)) == 1


def test_logs_hold_no_keys_or_payloads(
    url: str, deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    """At debug level a refused request logs its route, status and field, never the key or
    the body's values."""
    _wait_ready(url)
    marker = "secret-payee-4242@upi"
    with caplog.at_level(logging.DEBUG, logger="fraudforge.service"):
        t = {**_txn(deployment), "counterparty": marker, "amount_inr": -1.0}
        assert post(url, "/v1/score", t, deployment.score_key).status_code == 422
        assert post(url, "/v1/score", t, "ffk_not-a-key-0000").status_code == 401
        assert (
            post(url, "/v1/score", {**t, "city": marker}, deployment.score_key).status_code == 422
        )
    assert "/v1/score" in caplog.text
    assert "amount_inr" in caplog.text
    for secret in (marker, deployment.score_key, "ffk_not-a-key-0000"):
        assert secret not in caplog.text
