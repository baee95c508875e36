"""A few JSON-over-HTTP calls with the standard library alone, so the health check and the
deploy tools load in a fraction of a second and need nothing but this package."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class AdminError(RuntimeError):
    """The service refused or failed an admin request; the message carries its answer."""


def request(
    url: str,
    *,
    method: str = "GET",
    body: Any = None,
    api_key: str | None = None,
    timeout: float = 30.0,
) -> tuple[int, bytes]:
    """Status and body of one request (4xx/5xx included; ``OSError`` when nothing answered).
    ``body`` is sent as JSON; ``api_key`` as ``X-API-Key``."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"accept": "application/json"}
    if data is not None:
        headers["content-type"] = "application/json"
    if api_key:
        headers["x-api-key"] = api_key
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def call(
    url: str,
    *,
    method: str = "GET",
    body: Any = None,
    api_key: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """The JSON object a 2xx answer holds; ``AdminError`` naming the status and the service's
    message otherwise, or when the service cannot be reached."""
    try:
        status, raw = request(url, method=method, body=body, api_key=api_key, timeout=timeout)
    except OSError as exc:
        raise AdminError(f"{method} {url}: no answer ({getattr(exc, 'reason', exc)})") from None
    found = loads(raw)
    if not 200 <= status < 300:
        message = found.get("error") or raw.decode("utf-8", "replace").strip()[:200]
        raise AdminError(f"{method} {url} answered {status}: {message}")
    return found


def loads(raw: bytes) -> dict[str, Any]:
    """``raw`` as a JSON object, or an empty dict when it is not one."""
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
