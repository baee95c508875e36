"""The service's errors, mapped once to HTTP: each class of error answer carries its status and
its problem type (the description the OpenAPI document gives that status), and ``ANSWERS`` maps
the errors other stages raise (``FraudforgeError`` and the built-in classes they also derive
from) to one of those classes. Every handler raises these; one exception handler turns them
into an ``ErrorBody``. Also msgspec's decode errors turned into a message and the path of the
field at fault."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec

from fraudforge.foundation.errors import FraudforgeError, NotLoadedError
from fraudforge.models.registry import RegistryIndexError

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED = re.compile(r"(?:unknown|required|invalid) field `(?P<name>[^`]+)`")
_BYTE = re.compile(r"\(byte (?P<pos>\d+)\)")
_KEY_BEFORE = re.compile(rb'"(?P<key>[A-Za-z_][A-Za-z0-9_]{0,63})"\s*:\s*[^,{}\[\]"]*$')
_KEY_BEFORE_STRING = re.compile(rb'"(?P<key>[A-Za-z_][A-Za-z0-9_]{0,63})"\s*:\s*"[^"]*$')


class ResponseError(FraudforgeError):
    """An answer other than 2xx: the message, the field at fault and extra headers; the status
    and problem type are the class's (one subclass per status)."""

    status: ClassVar[int] = 500
    problem: ClassVar[str] = "Internal error"
    """What an answer with this status means, as the OpenAPI document describes it."""

    def __init_subclass__(cls, *, status: int, problem: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.status, cls.problem = status, problem

    def __init__(
        self, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = headers or {}


class MalformedBodyError(ResponseError, status=400, problem="Malformed JSON"):
    """A body that is not a JSON document (empty, not UTF-8, not JSON)."""


class UnauthenticatedError(ResponseError, status=401, problem="Missing or unknown API key"):
    """No API key, or one the service does not know."""


class ForbiddenError(ResponseError, status=403, problem="The key lacks the scope"):
    """A known API key without the endpoint's scope."""


class ConflictError(
    ResponseError, status=409, problem="Conflict with what the service holds (see the error)"
):
    """A request that contradicts what the service holds (a resend with another body, feedback
    known at another time, no snapshot file)."""


class TooLargeError(ResponseError, status=413, problem="Body or batch too large"):
    """A body or batch over its limit."""


class InvalidFieldError(ResponseError, status=422, problem="A field's value is not allowed"):
    """A well-formed request whose field holds a value that is not allowed."""


class RateLimitedError(ResponseError, status=429, problem="Rate limit reached (see Retry-After)"):
    """A key over its rate limit (``Retry-After`` says when to come back)."""


class UnavailableError(ResponseError, status=503, problem="Not ready yet (see Retry-After)"):
    """The service cannot answer now: starting, or a store it needs is unreadable
    (``Retry-After`` says when to try again)."""


RESPONSES: tuple[type[ResponseError], ...] = (
    MalformedBodyError,
    UnauthenticatedError,
    ForbiddenError,
    ConflictError,
    TooLargeError,
    InvalidFieldError,
    RateLimitedError,
    UnavailableError,
)
"""Every class of error answer, one per status."""

ANSWERS: tuple[tuple[type[BaseException], type[ResponseError], dict[str, str]], ...] = (
    (RegistryIndexError, UnavailableError, {"Retry-After": "5"}),
    (NotLoadedError, UnavailableError, {"Retry-After": "1"}),
    (FraudforgeError, InvalidFieldError, {}),
    (ValueError, InvalidFieldError, {}),
    (KeyError, InvalidFieldError, {}),
)
"""The answer to an error another stage raises while serving a request, and its headers: the
first row that matches (the more specific classes come first). A registry index that cannot be
read, or an online state or model not loaded yet, is worth a retry; anything else the request
asked for is a value that is not allowed (every ``FraudforgeError``, and the built-in
``ValueError`` and ``KeyError`` of the libraries underneath). Mapped by class, never by
message."""

ANSWERED: tuple[type[BaseException], ...] = tuple(caught for caught, _, _ in ANSWERS)
"""The classes ``answer`` maps: what a handler catches around work of another stage."""


def answer(
    exc: BaseException, *, message: str | None = None, field: str | None = None
) -> ResponseError:
    """The error answer to ``exc`` (by ``ANSWERS``), saying ``message`` (default: ``exc``'s own
    message) and naming ``field`` unless the fault is the service's (5xx). An error no row
    matches is re-raised: a fault of the service, answered 500."""
    for caught, response, headers in ANSWERS:
        if isinstance(exc, caught):
            text = message or (exc.args[0] if isinstance(exc, KeyError) else str(exc))
            named = field if response.status < 500 else None
            return response(text, field=named, headers=dict(headers))
    raise exc


def field_path(prefix: str, name: str) -> str:
    """``name`` under ``prefix`` (``transactions[2]`` + ``amount_inr``)."""
    return f"{prefix}.{name}" if prefix else name


def validation_error(exc: msgspec.ValidationError) -> ResponseError:
    """422 naming the field msgspec blamed (a missing or unknown field is named too)."""
    m = _AT.match(str(exc))
    assert m is not None  # the pattern matches any text
    message, path = m["msg"], (m["path"] or "").lstrip(".")
    named = _NAMED.search(message)
    if named is not None:
        path = field_path(path, named["name"])
    return InvalidFieldError(message, field=path or None)


def decode_error(exc: msgspec.DecodeError, body: bytes) -> ResponseError:
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
    return MalformedBodyError(message, field=field)


def utf8_error(exc: UnicodeDecodeError, body: bytes) -> ResponseError:
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
    return MalformedBodyError(
        f"invalid UTF-8 at byte {at}{where}: JSON text must be UTF-8 ({exc.reason})",
        field=field,
    )


def decode(decoder: msgspec.json.Decoder[Any], body: bytes) -> Any:
    """Decode ``body`` strictly, or raise the error answer that names the fault."""
    if not body:
        raise MalformedBodyError("request body is empty: a JSON object is expected")
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from None
    except msgspec.DecodeError as exc:
        raise decode_error(exc, body) from None
    except UnicodeDecodeError as exc:
        raise utf8_error(exc, body) from None


__all__ = [
    "ANSWERED",
    "ANSWERS",
    "RESPONSES",
    "ConflictError",
    "ForbiddenError",
    "InvalidFieldError",
    "MalformedBodyError",
    "RateLimitedError",
    "ResponseError",
    "TooLargeError",
    "UnauthenticatedError",
    "UnavailableError",
    "answer",
    "decode",
    "decode_error",
    "field_path",
    "utf8_error",
    "validation_error",
]
