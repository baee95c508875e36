"""Client errors as one exception type, and msgspec's decode errors turned into a message and
the path of the field at fault."""

from __future__ import annotations

import re
from typing import Any

import msgspec

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED = re.compile(r"(?:unknown|required|invalid) field `(?P<name>[^`]+)`")
_BYTE = re.compile(r"\(byte (?P<pos>\d+)\)")
_KEY_BEFORE = re.compile(rb'"(?P<key>[A-Za-z_][A-Za-z0-9_]{0,63})"\s*:\s*[^,{}\[\]"]*$')
_KEY_BEFORE_STRING = re.compile(rb'"(?P<key>[A-Za-z_][A-Za-z0-9_]{0,63})"\s*:\s*"[^"]*$')


class ServiceError(Exception):
    """An answer other than 2xx: status, message, the field at fault and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers or {}


def field_path(prefix: str, name: str) -> str:
    """``name`` under ``prefix`` (``transactions[2]`` + ``amount_inr``)."""
    return f"{prefix}.{name}" if prefix else name


def validation_error(exc: msgspec.ValidationError) -> ServiceError:
    """422 naming the field msgspec blamed (a missing or unknown field is named too)."""
    m = _AT.match(str(exc))
    assert m is not None  # the pattern matches any text
    message, path = m["msg"], (m["path"] or "").lstrip(".")
    named = _NAMED.search(message)
    if named is not None:
        path = field_path(path, named["name"])
    return ServiceError(422, message, field=path or None)


def decode_error(exc: msgspec.DecodeError, body: bytes) -> ServiceError:
    """400 for a body that is not JSON, naming the key whose value could not be read (e.g. a
    NaN or Infinity literal) when the position allows."""
    message = str(exc)
    field: str | None = None
    pos = _BYTE.search(message)
    if pos is not None:
        before = body[: int(pos["pos"])]
        key = _KEY_BEFORE.search(before[-200:])
        if key is not None:
            field = key["key"].decode()
    if field is not None:
        message += f" in the value of `{field}` (NaN and infinities are not JSON numbers)"
    return ServiceError(400, message, field=field)


def utf8_error(exc: UnicodeDecodeError, body: bytes) -> ServiceError:
    """400 for a body that is not UTF-8, naming the key whose string value holds the bad
    bytes when one does."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as found:
        at = found.start
    else:  # pragma: no cover - msgspec found bytes Python accepts
        at = len(body)
    key = _KEY_BEFORE_STRING.search(body[max(0, at - 300) : at])
    field = key["key"].decode() if key is not None else None
    where = f" in the value of `{field}`" if field else ""
    return ServiceError(
        400,
        f"invalid UTF-8 at byte {at}{where}: JSON text must be UTF-8 ({exc.reason})",
        field=field,
    )


def decode(decoder: msgspec.json.Decoder[Any], body: bytes) -> Any:
    """Decode ``body`` strictly, or raise the ServiceError that names the fault."""
    if not body:
        raise ServiceError(400, "request body is empty: a JSON object is expected")
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from None
    except msgspec.DecodeError as exc:
        raise decode_error(exc, body) from None
    except UnicodeDecodeError as exc:
        raise utf8_error(exc, body) from None


__all__ = ["ServiceError", "decode", "decode_error", "field_path", "utf8_error", "validation_error"]
