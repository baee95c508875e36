"""The service's settings: one msgspec Struct, read from a TOML file, then ``FRAUDFORGE_*``
environment variables, then command-line options (each later source wins)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from fraudforge.foundation.errors import ConfigError
from fraudforge.foundation.runtime import TABLE as PERFORMANCE_TABLE
from fraudforge.wire import Thresholds

ENV_PREFIX = "FRAUDFORGE_"

Positive = Annotated[float, Meta(gt=0.0)]
PositiveInt = Annotated[int, Meta(ge=1)]


class Settings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Everything ``create_app`` needs. Paths are strings so the Struct round-trips TOML."""

    registry: str
    """The model registry directory."""
    model: str = "fraud-model@production"
    """The model to serve: ``NAME``, ``NAME@STAGE`` or ``NAME:VERSION``
    (``wire.reference.ModelSpec``)."""
    host: str = "127.0.0.1"
    port: Annotated[int, Meta(ge=0, le=65535)] = 8000
    data: str | None = None
    """A dataset directory: its customers are the known ones and its transactions warm-start the
    online state (replayed in time order) when no snapshot exists."""
    features: str | None = None
    """A features directory whose ``features.json`` gives the outlier model (else it is fitted
    on the warm-start data)."""
    state: str | None = None
    """The snapshot file: restored at start when present, written periodically and at shutdown."""
    snapshot_interval_s: Annotated[float, Meta(ge=0.0)] = 300.0
    """Seconds between periodic snapshots (0: only at shutdown)."""
    keys: str | None = None
    """The API keys file (hashes and scopes); without one every request is allowed."""
    rate_per_s: Positive = 2000.0
    """Sustained requests per second allowed per API key (a batch counts one per transaction)."""
    burst: PositiveInt = 4000
    """Requests a key may make at once before the rate applies (a batch costs at most this)."""
    idempotency_window: PositiveInt = 100_000
    """Scored transactions remembered by ``transaction_id``: a resend within the window is
    answered with its original result (``replayed: true``) and feedback must name one of them."""
    idempotency_ttl_s: Annotated[float, Meta(ge=0.0)] = 86_400.0
    """Seconds a scored transaction stays in the idempotency window (0: no age limit)."""
    max_header_bytes: Annotated[int, Meta(ge=1024)] = 32_768
    """Bytes a request's line and headers may take; over it the connection is answered 431 and
    closed."""
    header_timeout_s: Positive = 10.0
    """Seconds a connection may take to send a request's line and headers (a new connection
    sending nothing is closed after this)."""
    keep_alive_s: Annotated[int, Meta(ge=1)] = 5
    """Seconds an idle keep-alive connection stays open after a response."""
    max_connections: PositiveInt = 1000
    """Open connections (and requests in progress) at most; a request over it is answered 503."""
    max_entities: PositiveInt = 2_000_000
    """Merchants (and, separately, devices) kept in the online state at most. Below it online
    features equal the batch ones; over it the least recently seen is forgotten (its fraud rate
    restarts), see docs/service.md."""
    max_body_bytes: PositiveInt = 1_048_576
    max_batch: PositiveInt = 1000
    max_amount_inr: Positive = 10_000_000.0
    max_future_minutes: Annotated[float, Meta(ge=0.0)] = 5.0
    """How far past the server's clock (IST) a transaction's timestamp may be."""
    top_reasons: Annotated[int, Meta(ge=0, le=50)] = 5
    thresholds: Thresholds | None = None
    """Fixed FLAG / REVIEW / BLOCK cut-offs for every model served; None (the default) derives
    them from each model's registered alert threshold (``scoring.thresholds_from_alert``)."""
    cors_origins: list[str] = msgspec.field(default_factory=list)
    """Origins allowed by CORS; empty means CORS is off."""
    log_level: str = "info"

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied and validated again."""
        return load_settings(environ={}, overrides={**msgspec.to_builtins(self), **changes})


def _env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings named by ``FRAUDFORGE_<FIELD>`` variables (lists comma-separated)."""
    found: dict[str, Any] = {}
    for name in Settings.__struct_fields__:
        value = environ.get(ENV_PREFIX + name.upper())
        if value is not None:
            found[name] = value.split(",") if name == "cors_origins" else value
    return found


def load_settings(
    *,
    toml: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings from a TOML file, the environment and ``overrides`` (None values ignored), with
    an error naming the field on a bad value. The file's ``[performance]`` table, if any, is left
    to ``fraudforge.foundation.runtime`` (one file can configure both)."""
    merged: dict[str, Any] = {}
    if toml is not None:
        merged.update(tomllib.loads(Path(toml).read_text()))
        merged.pop(PERFORMANCE_TABLE, None)  # fraudforge.foundation.runtime reads it
    merged.update(_env(os.environ if environ is None else environ))
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return msgspec.convert(merged, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"invalid service settings: {exc}") from None


__all__ = ["ENV_PREFIX", "Settings", "load_settings"]
