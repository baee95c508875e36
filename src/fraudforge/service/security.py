"""API keys and rate limits. Keys are random 256-bit tokens stored only as their SHA-256 (a
slow password hash adds nothing for keys of that entropy and would cost milliseconds per
request); a presented key is hashed and compared with every stored hash in constant time.
Each key has scopes (``score``, ``feedback``, ``admin``) and its own token bucket; the keys file
is written owner-only (0600)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

import msgspec
from msgspec import Meta

from fraudforge.foundation.atomic import staged_file
from fraudforge.foundation.errors import ConfigError

SCOPES: tuple[str, ...] = ("score", "feedback", "admin")
"""``score``: score transactions and read the model; ``feedback``: report confirmed frauds and
chargebacks (they move merchants' and devices' fraud rates, so a separate grant); ``admin``."""
KEYS_FILE_MODE = 0o600
KEY_PREFIX = "ffk_"
HEADER = "x-api-key"

if TYPE_CHECKING:
    Scope: TypeAlias = str
else:
    Scope = Literal.__getitem__(SCOPES)


class ApiKey(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One stored key: an id for logs and rate limits, the key's SHA-256 (hex) and its scopes."""

    id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
    sha256: Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
    scopes: list[Scope]


class KeysFile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The keys file's content (JSON)."""

    keys: list[ApiKey]


def hash_key(key: str) -> str:
    """The SHA-256 (hex) a key is stored as."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh random API key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def read_keys(path: str | Path) -> KeysFile:
    """The keys in ``path``, or an error naming the bad entry (or the missing file)."""
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"API keys file {str(path)!r} does not exist: create it with `fraudforge api-key "
            f"--keys {path} --id NAME`, or leave --keys out to serve without authentication"
        )
    try:
        found = msgspec.json.decode(Path(path).read_bytes(), type=KeysFile)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"invalid keys file {path}: {exc}") from None
    ids = [k.id for k in found.keys]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"invalid keys file {path}: key ids must be unique")
    return found


def add_key(path: str | Path, key_id: str, scopes: Iterable[str]) -> str:
    """Add a new key with ``scopes`` to the keys file ``path`` (created if missing, written
    atomically, readable by its owner only) and return the key itself, which is stored
    nowhere."""
    target = Path(path)
    wanted = sorted(set(scopes))
    bad = [s for s in wanted if s not in SCOPES]
    if bad or not wanted:
        raise ConfigError(f"unknown scopes {bad or wanted}: allowed are {', '.join(SCOPES)}")
    current = read_keys(target).keys if target.exists() else []
    if any(k.id == key_id for k in current):
        raise ConfigError(f"key id `{key_id}` already exists in {target}")
    key = new_key()
    entry = msgspec.convert({"id": key_id, "sha256": hash_key(key), "scopes": wanted}, ApiKey)
    body = msgspec.json.format(msgspec.json.encode(KeysFile(keys=[*current, entry])))
    with staged_file(target) as work:
        fd = os.open(work, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEYS_FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        os.chmod(work, KEYS_FILE_MODE)  # the mode of a leftover partial file, or a umask
    return key


class KeyRing:
    """Checks presented keys against stored hashes in constant time, remembering the keys that
    matched (at most ``remember`` of them: one per stored key is all a client can present)."""

    def __init__(self, keys: Iterable[ApiKey], *, remember: int = 1024) -> None:
        self._keys = [(bytes.fromhex(k.sha256), k) for k in keys]
        self._remember = remember
        self._known: dict[str, ApiKey] = {}
        """Keys presented before that matched: hashing the key of every request cost about 3 %
        of a scoring request's CPU in a profile. Only matches are kept, so unknown keys cannot
        fill it; a lookup reveals nothing a request with that key does not (it is valid)."""

    def __len__(self) -> int:
        return len(self._keys)

    def find(self, presented: str | None) -> ApiKey | None:
        """The stored key matching ``presented``; every stored hash is compared, so the time
        taken does not tell which (or whether one) matched. A key that matched before is
        answered from memory."""
        if not presented:
            return None
        known = self._known.get(presented)
        if known is not None:
            return known
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        match: ApiKey | None = None
        for stored, key in self._keys:
            if hmac.compare_digest(stored, digest):
                match = key
        if match is not None and len(self._known) < self._remember:
            self._known[presented] = match
        return match


class RateLimiter:
    """Token buckets per key id: ``rate`` tokens a second up to ``burst``; a request costs one,
    a batch one per transaction (at most ``burst``)."""

    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, list[float]] = {}

    def take(self, key_id: str, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens of ``key_id``'s bucket: 0.0 when allowed, else the seconds to
        wait before the bucket holds enough."""
        now = self._clock()
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = self._buckets[key_id] = [self.burst, now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= cost:
            bucket[0] = tokens - cost
            return 0.0
        bucket[0] = tokens
        return (cost - tokens) / self.rate


def presented_key(headers: Any) -> str | None:
    """The key in ``X-API-Key`` or ``Authorization: Bearer``."""
    key: str | None = headers.get(HEADER)
    if key:
        return key
    auth: str | None = headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


def scope_key(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """``presented_key`` read straight from an ASGI scope's raw header list (lower-case names,
    latin-1 values; the first of each header counts), without building a headers mapping for
    every request."""
    found: dict[str, str] = {}
    for name, value in headers:
        if name in _KEY_HEADERS:
            found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return presented_key(found) if found else None


_KEY_HEADERS = frozenset((HEADER.encode(), b"authorization"))


__all__ = [
    "HEADER",
    "KEYS_FILE_MODE",
    "SCOPES",
    "ApiKey",
    "KeyRing",
    "KeysFile",
    "RateLimiter",
    "add_key",
    "hash_key",
    "new_key",
    "presented_key",
    "read_keys",
    "scope_key",
]
