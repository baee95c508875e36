"""API keys, token buckets and settings, on their own: exact values with a fake clock, files
holding only hashes, and errors that name what is wrong."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from fraudforge.service.security import (
    ApiKey,
    KeyRing,
    RateLimiter,
    add_key,
    hash_key,
    presented_key,
    read_keys,
    scope_key,
)
from fraudforge.service.settings import load_settings
from fraudforge.wire import Thresholds


def test_keys_file_holds_hashes_only(tmp_path: Path) -> None:
    """The returned key is nowhere in the file; its SHA-256 is, with its scopes."""
    path = tmp_path / "keys.json"
    key = add_key(path, "ops", ["admin", "score"])
    text = path.read_text()
    assert key not in text
    assert hashlib.sha256(key.encode()).hexdigest() in text
    (stored,) = read_keys(path).keys
    assert (stored.id, stored.scopes) == ("ops", ["admin", "score"])
    assert stored.sha256 == hash_key(key)
    assert len(key) > 40


def test_keys_file_is_owner_only(tmp_path: Path) -> None:
    """The keys file is written 0600, also over an existing 0644 one; a file written before
    the feedback scope existed still loads, and a feedback key can be added to it."""
    path = tmp_path / "keys.json"
    add_key(path, "ops", ["score", "admin"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    old = f'{{"keys": [{{"id": "old", "sha256": "{"a" * 64}", "scopes": ["score", "admin"]}}]}}'
    path.write_text(old)
    path.chmod(0o644)
    assert read_keys(path).keys[0].scopes == ["score", "admin"]
    add_key(path, "labels", ["feedback"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [(k.id, k.scopes) for k in read_keys(path).keys] == [
        ("old", ["score", "admin"]),
        ("labels", ["feedback"]),
    ]


def test_key_errors(tmp_path: Path) -> None:
    """Unknown scopes, duplicate ids and a malformed file are refused, naming the problem."""
    path = tmp_path / "keys.json"
    with pytest.raises(
        ValueError, match=r"unknown scopes \['root'\]: allowed are score, feedback, admin"
    ):
        add_key(path, "x", ["root"])
    add_key(path, "x", ["score"])
    with pytest.raises(ValueError, match="key id `x` already exists"):
        add_key(path, "x", ["score"])
    path.write_text('{"keys": [{"id": "y", "sha256": "abc", "scopes": ["score"]}]}')
    with pytest.raises(ValueError, match=r"keys\[0\].sha256"):
        read_keys(path)


def test_key_ring_matches_only_the_right_key() -> None:
    """A key matches its own entry; wrong, empty or missing keys match nothing."""
    ring = KeyRing([])
    assert ring.find("anything") is None
    a, b = "ffk_a", "ffk_b"
    ring = KeyRing(
        [
            ApiKey(id="a", sha256=hash_key(a), scopes=["score"]),
            ApiKey(id="b", sha256=hash_key(b), scopes=["admin"]),
        ]
    )
    found = ring.find(b)
    assert found is not None
    assert found.id == "b"
    assert ring.find("ffk_c") is None
    assert ring.find("") is None
    assert ring.find(None) is None


def test_key_ring_remembers_only_matches_up_to_its_bound() -> None:
    """A key found again is the same entry, from memory; unknown keys are never remembered,
    and past ``remember`` matched keys the ring still finds keys by their hash."""
    keys = {
        f"ffk_{i}": ApiKey(id=str(i), sha256=hash_key(f"ffk_{i}"), scopes=["score"])
        for i in range(3)
    }
    ring = KeyRing(keys.values(), remember=2)
    for _ in range(2):
        assert [ring.find(k) for k in keys] == list(keys.values())
        assert ring.find("ffk_9") is None
    assert list(ring._known) == ["ffk_0", "ffk_1"]


def test_presented_key_headers() -> None:
    """X-API-Key first, then a Bearer token; other schemes are not keys."""
    assert presented_key({"x-api-key": "k1", "authorization": "Bearer k2"}) == "k1"
    assert presented_key({"authorization": "bearer  k2 "}) == "k2"
    assert presented_key({"authorization": "Basic k2"}) is None
    assert presented_key({}) is None


def test_scope_key_reads_raw_asgi_headers() -> None:
    """The same choice as ``presented_key`` from an ASGI header list: the first X-API-Key,
    else the first Bearer token; other headers and schemes give no key."""
    head = [(b"host", b"h"), (b"content-type", b"application/json")]
    assert scope_key(head) is None
    assert scope_key([*head, (b"authorization", b"Bearer k2"), (b"x-api-key", b"k1")]) == "k1"
    assert scope_key([(b"x-api-key", b"k1"), (b"x-api-key", b"k3")]) == "k1"
    assert scope_key([(b"authorization", b"bearer  k2 "), (b"authorization", b"Bearer k4")]) == "k2"
    assert scope_key([(b"authorization", b"Basic k2")]) is None
    assert scope_key([(b"x-api-key", b""), (b"authorization", b"Bearer k2")]) == "k2"


def test_token_bucket_exact() -> None:
    """Burst 2 at 4 tokens/s: two at once, then a wait of 0.25 s per token."""
    now = [100.0]
    limiter = RateLimiter(rate=4.0, burst=2, clock=lambda: now[0])
    assert limiter.take("k") == 0.0
    assert limiter.take("k") == 0.0
    assert limiter.take("k") == pytest.approx(0.25)
    assert limiter.take("other") == 0.0  # buckets are per key
    now[0] += 0.125
    assert limiter.take("k") == pytest.approx(0.125)
    now[0] += 0.125
    assert limiter.take("k") == 0.0
    now[0] += 60.0  # refills up to the burst only
    assert [limiter.take("k") for _ in range(3)][2] == pytest.approx(0.25)


def test_settings_precedence_and_errors(tmp_path: Path) -> None:
    """TOML, then FRAUDFORGE_* variables, then overrides; bad values name the field."""
    toml = tmp_path / "serve.toml"
    toml.write_text(
        'registry = "r"\nport = 9000\nmax_batch = 10\n[thresholds]\nflag = 0.2\nreview = 0.5\n'
        "block = 0.8\n"
    )
    env = {"FRAUDFORGE_PORT": "9100", "FRAUDFORGE_CORS_ORIGINS": "https://a,https://b"}
    s = load_settings(toml=toml, environ=env, overrides={"max_batch": 20, "host": None})
    assert (s.registry, s.port, s.max_batch, s.host) == ("r", 9100, 20, "127.0.0.1")
    assert s.cors_origins == ["https://a", "https://b"]
    assert s.thresholds == Thresholds(flag=0.2, review=0.5, block=0.8)
    with pytest.raises(ValueError, match=r"port"):
        load_settings(environ={}, overrides={"registry": "r", "port": 70000})
    with pytest.raises(ValueError, match=r"registry"):
        load_settings(environ={})
    with pytest.raises(ValueError, match=r"thresholds must ascend"):
        load_settings(environ={}, overrides={"registry": "r", "thresholds": {"flag": 0.9}})
    with pytest.raises(ValueError, match=r"unknown field `colour`"):
        load_settings(environ={}, overrides={"registry": "r", "colour": "red"})
