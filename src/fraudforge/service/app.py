"""The HTTP app: ``create_app(settings)`` builds a Litestar ASGI app serving the scorer.

Bodies are decoded by msgspec in strict mode straight from the request bytes (Litestar's own
body parsing converts leniently, e.g. ``"12"`` to 12), so the OpenAPI document is generated from
the same Structs (``_openapi``) rather than by Litestar. Every client error answers 4xx with an
``ErrorBody`` naming the field; only a fault of the service itself answers 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, head, route
from litestar.config.cors import CORSConfig
from litestar.exceptions import HTTPException
from litestar.handlers.http_handlers import HTTPRouteHandler

from fraudforge.features.online import TimeOrderError, check_time_order
from fraudforge.foundation.package import package_version
from fraudforge.models.registry import CatalogMismatchError
from fraudforge.service._answer import JsonAnswer
from fraudforge.service._body import read_body
from fraudforge.service._errors import (
    ANSWERED,
    ConflictError,
    ForbiddenError,
    InvalidFieldError,
    RateLimitedError,
    ResponseError,
    TooLargeError,
    UnauthenticatedError,
    UnavailableError,
    answer,
    decode,
    field_path,
)
from fraudforge.service._openapi import Endpoint, docs_page, openapi_document
from fraudforge.service.ledger import Ledger, differing, fingerprint, read_ledger, write_ledger
from fraudforge.service.scoring import Scorer
from fraudforge.service.security import KeyRing, RateLimiter, read_keys, scope_key
from fraudforge.service.settings import Settings
from fraudforge.service.state import ServiceState, preflight
from fraudforge.service.telemetry import CONTENT_TYPE, Metrics, MetricsMiddleware
from fraudforge.wire import (
    IST,
    BatchRequest,
    BatchResult,
    ErrorBody,
    Feedback,
    Health,
    LoadModel,
    ModelInfo,
    ModelSpec,
    Promote,
    Ready,
    ScoreResult,
    SnapshotInfo,
    Transaction,
)

log = logging.getLogger("fraudforge.service")

OPENAPI_PATH = "/schema/openapi.json"
DOCS_PATH = "/docs"
EARLIEST = dt.datetime(2000, 1, 1)
"""Timestamps before this are refused as absurd."""
CLOCK_REUSE_S = 0.01
"""How long the service reuses one reading of the clock for the latest timestamp it accepts
(so the bound is at most this much stricter than ``max_future_minutes`` from now)."""

_JSON = "application/json"
_ENCODER = msgspec.json.Encoder()
_DECODERS: dict[type, msgspec.json.Decoder[Any]] = {
    t: msgspec.json.Decoder(t) for t in (Transaction, BatchRequest, Feedback, LoadModel, Promote)
}


class Service:
    """Everything a request needs: settings, state, keys, rate limits and metrics."""

    def __init__(self, settings: Settings, *, preflighted: bool = False) -> None:
        if not preflighted:
            preflight(settings)
        self.settings = settings
        self.state = ServiceState(settings)
        self.keys = KeyRing(read_keys(settings.keys).keys) if settings.keys else None
        if self.keys is None:
            log.warning("no API keys file: every endpoint is open to anyone who can connect")
        self.limiter = RateLimiter(rate=settings.rate_per_s, burst=settings.burst)
        self.metrics = Metrics()
        self.ledger = Ledger(size=settings.idempotency_window, ttl_s=settings.idempotency_ttl_s)
        self._future = dt.timedelta(minutes=settings.max_future_minutes)
        self._latest = EARLIEST
        self._latest_until = -math.inf

    def charge(self, request: Request[Any, Any, Any], rows: int) -> None:
        """Charge a batch's rows beyond the one its request paid in the guard (one token per
        row, at most ``burst``)."""
        raw: dict[str, Any] = request.scope  # type: ignore[assignment]
        key_id: str | None = raw.get(_KEY_ID)
        extra = min(rows, self.settings.burst) - 1
        if key_id is None or extra <= 0:
            return
        wait = self.limiter.take(key_id, float(extra))
        if wait > 0:
            self.metrics.rate_limited += 1
            raise _rate_limited(self, key_id, wait)

    def replay(self, txn: Transaction, body: bytes, prefix: str = "") -> ScoreResult | None:
        """The original result when ``txn`` was scored already (flagged ``replayed``), None
        when it is new; 409 when its id was scored with another transaction. ``body`` is
        ``txn`` as received or its ``fingerprint``: a body other than the one recorded is the
        same transaction when their fingerprints are equal. Callers count it."""
        entry = self.ledger.get(txn.transaction_id)
        if entry is None:
            return None
        if entry.body != body:
            scored = entry.transaction()
            if fingerprint(scored) != fingerprint(txn):
                raise _conflict(txn, scored, prefix)
        return msgspec.structs.replace(entry.result(), replayed=True)

    async def snapshot(self) -> int:
        """Snapshot the online state and, beside it, the idempotency window as of the same
        instant (copied by the state's snapshot at the moment it copies the state)."""
        copied: list[Any] = []
        size = await self.state.snapshot(
            before_copy=lambda: copied.append(self.ledger.copy_entries())
        )
        if size and copied and self.settings.state is not None:
            await asyncio.to_thread(write_ledger, copied[0], self.settings.state)
        return size

    def scorer(self) -> Scorer:
        """The current scorer, or 503 while starting."""
        scorer = self.state.scorer
        if scorer is None or self.state.online is None:
            reason = self.state.error or "the model and online state are still loading"
            raise UnavailableError(f"not ready: {reason}", headers={"Retry-After": "1"})
        return scorer

    def check(
        self,
        txn: Transaction,
        prefix: str = "",
        *,
        after: dt.datetime | None = None,
        state: bool = True,
    ) -> None:
        """The rules the schema cannot state: configured amount and time bounds, a known
        customer, and time order per customer (after the state's last transaction of the
        customer and, in a batch, ``after`` its previous one in the batch). With ``state``
        False the last two are left to the online features, which refuse the transaction
        before changing anything (``score`` then asks this method for the answer)."""
        if txn.amount_inr > self.settings.max_amount_inr:
            raise InvalidFieldError(
                f"amount_inr {txn.amount_inr} is above the maximum {self.settings.max_amount_inr}",
                field=field_path(prefix, "amount_inr"),
            )
        ts = txn.timestamp
        if ts > self.latest() or ts < EARLIEST:
            self.check_time(ts, field_path(prefix, "timestamp"))
        if not state:
            return
        online = self.state.online
        assert online is not None  # callers hold a scorer, so the state is loaded
        try:
            online.check(txn.customer_id, ts)
            if after is not None:
                check_time_order(
                    txn.customer_id, ts, after, transaction_id=txn.transaction_id, in_batch=True
                )
        except KeyError as exc:
            raise answer(exc, field=field_path(prefix, "customer_id")) from None
        except TimeOrderError as exc:
            raise answer(exc, field=field_path(prefix, "timestamp")) from None

    def latest(self) -> dt.datetime:
        """The latest timestamp allowed: IST now (naive) plus ``max_future_minutes``, from a
        clock read at most ``CLOCK_REUSE_S`` ago (reading and converting the clock for every
        request cost more than the rest of the checks)."""
        now = time.monotonic()
        if now >= self._latest_until:
            self._latest = dt.datetime.now(IST).replace(tzinfo=None) + self._future
            self._latest_until = now + CLOCK_REUSE_S
        return self._latest

    def check_time(self, ts: dt.datetime, field: str) -> None:
        """Refuse a time too far in the future (IST) or before 2000."""
        if ts > self.latest():
            raise InvalidFieldError(
                f"{field} {ts.isoformat()} is more than {self.settings.max_future_minutes:g} "
                f"minutes in the future (IST now is {dt.datetime.now(IST):%Y-%m-%dT%H:%M:%S})",
                field=field,
            )
        if ts < EARLIEST:
            raise InvalidFieldError(f"{field} {ts.isoformat()} is before 2000-01-01", field=field)


_KEY_ID = "fraudforge.key_id"
"""Where the guard leaves the id of the request's API key in the ASGI scope."""


def _rate_limited(svc: Service, key_id: str, wait: float) -> RateLimitedError:
    return RateLimitedError(
        f"rate limit of key `{key_id}` reached ({svc.settings.rate_per_s:g}/s, burst "
        f"{svc.settings.burst})",
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


def _conflict(txn: Transaction, scored: Transaction, prefix: str) -> ConflictError:
    fields = differing(scored, txn)
    return ConflictError(
        f"transaction_id {txn.transaction_id} was already scored with a different body: "
        f"{', '.join(fields)} differ{'s' if len(fields) == 1 else ''} (a resend must be "
        "identical; a new transaction needs a new id)",
        field=field_path(prefix, fields[0]) if fields else field_path(prefix, "transaction_id"),
    )


_SERVICE = "fraudforge.service"
"""Where the guard leaves the service in the ASGI scope: reading it there costs a dictionary
look-up, through ``request.app.state`` half a microsecond."""


def _service(request: Request[Any, Any, Any]) -> Service:
    svc: Service | None = request.scope.get(_SERVICE)  # type: ignore[assignment]
    if svc is None:
        svc = request.app.state.service
    return svc


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    if headers is None:
        return JsonAnswer(_ENCODER.encode(value), status)
    return Response(_ENCODER.encode(value), status_code=status, media_type=_JSON, headers=headers)


def _authorize(svc: Service, raw: dict[str, Any], scope: str) -> None:
    """API key, scope and rate limit of an endpoint (no-op without a keys file); leaves the
    key's id in the ASGI scope for ``Service.charge``."""
    keys = svc.keys
    if keys is None:
        return
    key = keys.find(scope_key(raw["headers"]))
    if key is None:
        raise UnauthenticatedError(
            "missing or unknown API key: send it as X-API-Key or Authorization: Bearer",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if scope not in key.scopes:
        raise ForbiddenError(f"key `{key.id}` lacks scope `{scope}`")
    wait = svc.limiter.take(key.id)
    if wait > 0:
        svc.metrics.rate_limited += 1
        raise _rate_limited(svc, key.id, wait)
    raw[_KEY_ID] = key.id


Handler = Callable[[Request[Any, Any, Any]], Awaitable[Response[bytes]]]


def _guarded(svc: Service, fn: Handler, scope: str | None) -> Handler:
    """``fn`` checking the API key of ``scope`` before anything else (without a scope, ``fn``
    itself). A plain call at the top of the handler, not a Litestar guard: Litestar copies the
    route handler object for every guarded request, which cost more than the whole check."""
    if scope is None:
        return fn

    async def guarded(request: Request[Any, Any, Any]) -> Response[bytes]:
        raw: dict[str, Any] = request.scope  # type: ignore[assignment]
        _authorize(svc, raw, scope)
        raw[_SERVICE] = svc
        return await fn(request)

    guarded.__name__, guarded.__qualname__, guarded.__doc__ = (
        fn.__name__,
        fn.__qualname__,
        fn.__doc__,
    )
    return guarded


# --- handlers ------------------------------------------------------------------------------


_REPLAYED = {"Idempotent-Replayed": "true"}


async def score(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Score one transaction, or answer a resend with its original result."""
    svc = _service(request)
    scorer = svc.scorer()
    body = await read_body(request, svc.settings.max_body_bytes)
    txn: Transaction = decode(_DECODERS[Transaction], body)
    # the window keeps the body as received: encoding the transaction again for every request
    # costs more than comparing fingerprints on the rare resend in another form
    replayed = svc.replay(txn, body)
    if replayed is not None:
        svc.metrics.replayed += 1
        return _json(replayed, headers=_REPLAYED)
    svc.check(txn, state=False)
    try:
        result = scorer.score(txn)
    except (KeyError, TimeOrderError):
        # An unknown customer or a time before its last: the state is unchanged, and the
        # check answers it naming the field, as it would have before scoring.
        svc.check(txn)
        raise
    payload = _ENCODER.encode(result)
    svc.ledger.add(txn.transaction_id, body, payload)
    svc.metrics.decided((result.decision,))
    return JsonAnswer(payload)


async def score_batch(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Score up to ``max_batch`` transactions, answering in input order; the whole batch is
    checked before any of it changes the state. A transaction scored before, or earlier in the
    batch, gets that result flagged ``replayed``."""
    began = time.perf_counter_ns()
    svc = _service(request)
    scorer = svc.scorer()
    batch: BatchRequest = decode(
        _DECODERS[BatchRequest], await read_body(request, svc.settings.max_body_bytes)
    )
    txns = batch.transactions
    if len(txns) > svc.settings.max_batch:
        raise TooLargeError(
            f"batch of {len(txns)} transactions is over the limit of {svc.settings.max_batch}",
            field="transactions",
        )
    svc.charge(request, len(txns))
    last: dict[int, dt.datetime] = {}
    first: dict[int, tuple[int, bytes]] = {}
    plan: list[ScoreResult | int] = []
    """Per transaction: its earlier result, or the index of its first occurrence when it is
    scored now (or repeats an earlier row of the batch)."""
    fresh: list[Transaction] = []
    bodies: list[bytes] = []
    for i, txn in enumerate(txns):
        prefix = f"transactions[{i}]"
        body = fingerprint(txn)
        seen = first.get(txn.transaction_id)
        if seen is not None:
            if seen[1] != body:
                raise _conflict(txn, txns[seen[0]], prefix)
            plan.append(seen[0])
            continue
        first[txn.transaction_id] = (i, body)
        replayed = svc.replay(txn, body, prefix)
        if replayed is not None:
            plan.append(replayed)
            continue
        plan.append(i)
        fresh.append(txn)
        bodies.append(body)
        svc.check(txn, prefix, after=last.get(txn.customer_id))
        last[txn.customer_id] = txn.timestamp
    scored = scorer.score_many(fresh)
    svc.metrics.decided(r.decision for r in scored)
    new: dict[int, ScoreResult] = {}
    for txn, body, result in zip(fresh, bodies, scored, strict=True):
        svc.ledger.add(txn.transaction_id, body, _ENCODER.encode(result))
        new[txn.transaction_id] = result
    results: list[ScoreResult] = []
    for i, step in enumerate(plan):
        if isinstance(step, ScoreResult):
            svc.metrics.replayed += 1
            results.append(step)
        elif step == i:
            results.append(new[txns[i].transaction_id])
        else:  # a repeat of row ``step`` within the batch
            svc.metrics.replayed += 1
            results.append(msgspec.structs.replace(results[step], replayed=True))
    return _json(BatchResult(results=results, processing_ms=(time.perf_counter_ns() - began) / 1e6))


async def feedback(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Record a confirmed fraud or chargeback of a transaction in the idempotency window: its
    merchant's and device's fraud rates count it once, from the earliest report's ``known_at``.
    The same report again changes nothing (202, ``Idempotent-Replayed: true``)."""
    svc = _service(request)
    scorer = svc.scorer()
    fb: Feedback = decode(
        _DECODERS[Feedback], await read_body(request, svc.settings.max_body_bytes)
    )
    svc.check_time(fb.known_at, "known_at")
    entry = svc.ledger.get(fb.transaction_id)
    if entry is None:
        raise InvalidFieldError(
            f"transaction_id {fb.transaction_id} was not scored by this service within the "
            f"idempotency window (the last {svc.settings.idempotency_window} transactions, "
            f"{svc.settings.idempotency_ttl_s:g} s): feedback must name a scored transaction",
            field="transaction_id",
        )
    txn = entry.transaction()
    _same(fb.customer_id, txn.customer_id, "customer_id", fb.transaction_id)
    if fb.merchant_id is not None:
        _same(fb.merchant_id, txn.merchant_id, "merchant_id", fb.transaction_id)
    if fb.device_id is not None:
        _same(fb.device_id, txn.device_id, "device_id", fb.transaction_id)
    if fb.known_at < txn.timestamp:
        raise InvalidFieldError(
            f"known_at {fb.known_at.isoformat()} is before transaction {fb.transaction_id} "
            f"({txn.timestamp.isoformat()}): a label is known after the payment",
            field="known_at",
        )
    labels = svc.ledger.labels(fb.transaction_id)
    before = labels.get(fb.kind)
    if before is not None:
        if before != fb.known_at:
            raise ConflictError(
                f"transaction {fb.transaction_id} already has {fb.kind} feedback known at "
                f"{before.isoformat()}, not {fb.known_at.isoformat()}",
                field="known_at",
            )
        svc.metrics.feedback_repeated += 1
        return Response(b"", status_code=202, media_type=_JSON, headers=_REPLAYED)
    counted = min(labels.values()) if labels else None
    labels[fb.kind] = fb.known_at
    if counted is None or fb.known_at < counted:
        scorer.feedback(
            msgspec.structs.replace(fb, merchant_id=txn.merchant_id, device_id=txn.device_id),
            replaces=counted,
        )
    svc.metrics.feedback += 1
    svc.metrics.feedback_kinds[fb.kind] = svc.metrics.feedback_kinds.get(fb.kind, 0) + 1
    return Response(b"", status_code=202, media_type=_JSON)


def _same(given: int, scored: int | None, field: str, transaction_id: int) -> None:
    if given != scored:
        raise InvalidFieldError(
            f"{field} {given} is not transaction {transaction_id}'s (it was scored with "
            f"{field} {scored})",
            field=field,
        )


async def model(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The model being served."""
    svc = _service(request)
    svc.scorer()
    return _json(svc.state.info)


async def health(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Liveness."""
    return _json(Health(uptime_s=round(time.time() - _service(request).state.started, 3)))


async def health_head() -> None:
    """Liveness for ``HEAD``: 200, no body."""


async def ready(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Readiness: 200 once the model is loaded and the state restored, else 503."""
    st = _service(request).state
    scorer = st.scorer
    body = Ready(ready=st.ready, model=scorer.ref if scorer else None, error=st.error)
    return _json(body, 200 if st.ready else 503, None if st.ready else {"Retry-After": "1"})


async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text exposition."""
    svc = _service(request)
    st = svc.state
    gauges: dict[str, tuple[str, dict[str, Any], float]] = {
        "fraudforge_ready": ("1 when ready to score.", {}, float(st.ready)),
        "fraudforge_uptime_seconds": ("Seconds since start.", {}, time.time() - st.started),
        "fraudforge_snapshots": ("Snapshots written.", {}, float(st.snapshots)),
        "fraudforge_snapshot_last_success_timestamp_seconds": (
            "Unix time the last snapshot was written (0: none since start).",
            {},
            st.last_snapshot_at,
        ),
        "fraudforge_idempotency_window": (
            "Scored transactions in the idempotency window.",
            {},
            float(len(svc.ledger)),
        ),
    }
    if st.online is not None:
        counts = st.online.entity_counts()
        gauges["fraudforge_online_entities"] = (
            "Merchants, devices and payees held in the online state (active and compacted).",
            {},
            float(sum(v for k, v in counts.items() if not k.endswith("forgotten"))),
        )
        gauges["fraudforge_online_entities_forgotten"] = (
            "Merchants, devices and payees forgotten at max_entities since start (parity ends "
            "there).",
            {},
            float(sum(v for k, v in counts.items() if k.endswith("forgotten"))),
        )
    if st.scorer is not None:
        ref = st.scorer.ref
        gauges["fraudforge_model_info"] = (
            "The model being served (value 1).",
            {"name": ref.name, "version": ref.version},
            1.0,
        )
    counters = {
        "fraudforge_snapshot_failures_total": (
            "Snapshots that failed (each is logged).",
            st.snapshot_failures,
        )
    }
    text = svc.metrics.render(gauges, counters)
    return Response(text.encode(), media_type=CONTENT_TYPE)


async def admin_load(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Load another registered model and swap to it."""
    svc = _service(request)
    svc.scorer()
    body: LoadModel = decode(
        _DECODERS[LoadModel], await read_body(request, svc.settings.max_body_bytes)
    )
    try:
        spec = ModelSpec.parse(body.model)
    except ValueError as exc:
        raise answer(exc, field="model") from None
    return _json(await _swap(svc, spec, "model"))


async def admin_promote(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Move a version to a stage in the registry and (with ``serve``) swap to it."""
    svc = _service(request)
    svc.scorer()
    body: Promote = decode(
        _DECODERS[Promote], await read_body(request, svc.settings.max_body_bytes)
    )
    # with serve: loaded first, stages moved only once it has loaded (one transaction)
    with _model_errors(f"{body.name}:{body.version}", "version"):
        info = await svc.state.promote(body.name, body.version, body.stage, serve=body.serve)
    if body.serve:
        svc.metrics.swaps += 1
    return _json(info)


async def _swap(svc: Service, spec: ModelSpec, field: str) -> ModelInfo:
    with _model_errors(str(spec), field):
        info = await svc.state.swap(spec)
    svc.metrics.swaps += 1
    return info


@contextlib.contextmanager
def _model_errors(ref: str, field: str) -> Iterator[None]:
    """A model refused by the swap checks as an error answer naming what is wrong (the model
    being served stays), by ``_errors.ANSWERS``: 422 (another features catalogue, with both
    hashes; an unknown version; damaged files; a model LightGBM cannot read), or 503 for a
    registry index that cannot be read or a state not loaded yet."""
    try:
        yield
    except CatalogMismatchError as exc:
        raise answer(
            exc,
            message=f"cannot serve {ref}: trained on features catalogue {exc.recorded}, this "
            f"service computes catalogue {exc.current}; retrain it on current features",
            field=field,
        ) from None
    except ANSWERED as exc:
        raise answer(exc, message=f"cannot serve {ref}: {exc}", field=field) from None


async def admin_snapshot(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Write a snapshot of the online state now."""
    svc = _service(request)
    svc.scorer()
    if svc.settings.state is None:
        raise ConflictError("no snapshot file configured (settings.state / --state)")
    try:
        size = await svc.snapshot()
    except Exception as exc:  # logged and counted by snapshot()
        raise UnavailableError(
            f"snapshot to {svc.settings.state} failed: {type(exc).__name__}: {exc}"
        ) from None
    return _json(
        SnapshotInfo(path=svc.settings.state, bytes=size, seconds=svc.state.last_snapshot_s)
    )


ENDPOINTS: tuple[tuple[Endpoint, Callable[..., Any]], ...] = (
    (
        Endpoint(
            "POST", "/v1/score", "Score one transaction (a resend answers its first result).",
            ScoreResult, Transaction, "score", errors=(409, 503),
        ),
        score,
    ),
    (
        Endpoint(
            "POST", "/v1/score/batch", "Score transactions, answering in input order.",
            BatchResult, BatchRequest, "score", errors=(409, 503),
        ),
        score_batch,
    ),
    (
        Endpoint(
            "POST", "/v1/feedback", "Report a confirmed fraud or chargeback of a scored "
            "transaction.", None, Feedback, "feedback", status=202, errors=(409, 503),
        ),
        feedback,
    ),
    (Endpoint("GET", "/v1/model", "The model being served.", ModelInfo, None, "score",
              errors=(503,)), model),
    (Endpoint("GET", "/health", "Liveness.", Health), health),
    (Endpoint("GET", "/ready", "Readiness (model loaded, state restored).", Ready,
              errors=(503,), bodies=((503, Ready),)), ready),
    (Endpoint("GET", "/metrics", "Prometheus metrics.", None, media_type=CONTENT_TYPE), metrics),
    (
        Endpoint(
            "POST", "/v1/admin/model", "Load a registered model and serve it without downtime.",
            ModelInfo, LoadModel, "admin", errors=(503,),
        ),
        admin_load,
    ),
    (
        Endpoint(
            "POST", "/v1/admin/promote", "Promote a version; serve it unless serve is false.",
            ModelInfo, Promote, "admin", errors=(503,),
        ),
        admin_promote,
    ),
    (
        Endpoint(
            "POST", "/v1/admin/snapshot", "Write a snapshot of the online state now.",
            SnapshotInfo, None, "admin", errors=(409, 503),
        ),
        admin_snapshot,
    ),
)  # fmt: skip


# --- errors --------------------------------------------------------------------------------


def _error_response(request: Request[Any, Any, Any], exc: ResponseError) -> Response[bytes]:
    """A ``ResponseError`` raised by any handler or guard, with its class's status."""
    if exc.status >= 500:
        log.warning("%s %s: %s %s", request.method, request.url.path, exc.status, exc.message)
    else:
        log.debug("%s %s: %s %s", request.method, request.url.path, exc.status, exc.field)
    return _json(ErrorBody(error=exc.message, field=exc.field), exc.status, exc.headers)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """Litestar's own refusals (unknown route, wrong method, body too large) as ErrorBody."""
    status = exc.status_code
    message = exc.detail or "error"
    if status == 413:
        limit = _service(request).settings.max_body_bytes
        message = f"request body is larger than the limit of {limit} bytes"
    elif status == 404:
        message = f"no route {request.url.path}"
    elif status == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return _json(ErrorBody(error=message), status, dict(exc.headers or {}))


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.error(
        "%s %s failed: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc
    )
    return _json(ErrorBody(error=f"internal error ({type(exc).__name__})"), 500)


# --- app -----------------------------------------------------------------------------------


def api_document() -> dict[str, Any]:
    """The service's OpenAPI document, built from the endpoint table alone (no settings, model
    or state needed), exactly as ``/schema/openapi.json`` serves it."""
    return openapi_document(
        tuple(e for e, _ in ENDPOINTS),
        title="fraudforge scoring service",
        version=package_version(),
        description="Scores Indian payment transactions for fraud with online features.",
    )


def _static(content: bytes, media_type: str) -> Callable[..., Any]:
    async def serve() -> Response[bytes]:
        return Response(content, media_type=media_type)

    return serve


def create_app(settings: Settings, *, start: bool = True, preflighted: bool = False) -> Litestar:
    """The ASGI app for ``settings``, refused (a ``ValueError`` naming what is wrong) when
    ``state.preflight`` finds they cannot work, unless ``preflighted`` says it already ran. With
    ``start`` its lifespan restores (or warm-starts) the state and loads the model in a worker
    thread — ``/health`` answers meanwhile, ``/ready`` turns 200 when done — then snapshots
    periodically and once more at shutdown."""
    svc = Service(settings, preflighted=preflighted)
    doc = api_document()
    handlers: list[HTTPRouteHandler] = [
        route(e.path, http_method=e.method, name=e.path)(_guarded(svc, fn, e.scope))
        for e, fn in ENDPOINTS
    ]
    handlers.append(
        route(OPENAPI_PATH, http_method="GET", name="openapi")(
            _static(_ENCODER.encode(doc), "application/json")
        )
    )
    handlers.append(head("/health", name="health-head")(health_head))
    page = docs_page(doc, schema_url=OPENAPI_PATH).encode()
    handlers.append(route(DOCS_PATH, http_method="GET", name="docs")(_static(page, "text/html")))

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        tasks = []
        if start:
            tasks.append(asyncio.create_task(_start(svc)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if svc.state.ready:
                with contextlib.suppress(Exception):  # logged and counted by snapshot()
                    await svc.snapshot()

    cors = (
        CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "x-api-key", "authorization"],
        )
        if settings.cors_origins
        else None
    )
    app = Litestar(
        route_handlers=handlers,
        exception_handlers={
            ResponseError: _error_response,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        request_max_body_size=settings.max_body_bytes,
        openapi_config=None,
        cors_config=cors,
        lifespan=[lifespan],
        logging_config=None,
    )
    app.state.service = svc
    app.asgi_handler = MetricsMiddleware(app.asgi_handler, svc.metrics)
    return app


async def _start(svc: Service) -> None:
    """Load in a thread, then snapshot every ``snapshot_interval_s`` seconds. A failed snapshot
    is logged and counted (``fraudforge_snapshot_failures_total``) and the next one is tried
    on schedule: a failure never stops the periodic snapshots. The idempotency window saved
    with the snapshot is read first (before anything is scored), and kept only if the state is
    restored from that snapshot."""
    if svc.settings.state is not None:
        saved = await asyncio.to_thread(read_ledger, svc.settings.state)
        svc.ledger.restore(saved)  # only a ledger saved with the snapshot on disk is read
    try:
        await asyncio.to_thread(svc.state.start)
    except Exception:  # recorded in state.error, shown by /ready
        return
    online = svc.state.online
    if online is not None:
        with svc.state.lock:
            online.limit_entities(svc.settings.max_entities)
    if svc.settings.state is None:
        return
    if not svc.state.restored:  # warm-started: save it so a restart need not replay again
        with contextlib.suppress(Exception):  # logged and counted by snapshot()
            await svc.snapshot()
    interval = svc.settings.snapshot_interval_s
    while interval > 0:
        await asyncio.sleep(interval)
        with contextlib.suppress(Exception):  # logged and counted by snapshot()
            await svc.snapshot()


__all__ = ["DOCS_PATH", "ENDPOINTS", "OPENAPI_PATH", "Service", "api_document", "create_app"]
