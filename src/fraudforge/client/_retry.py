"""When to try a request again and how long to wait: exponential backoff with full jitter
(a uniform draw between 0 and ``base * 2**attempt``, capped), or the server's ``Retry-After``."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})
"""Statuses worth another attempt: rate limited, or the service failing or not ready."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """``attempts`` tries in all (1: no retry); waits of full-jitter exponential backoff from
    ``base_s`` up to ``cap_s``; a ``Retry-After`` of up to ``max_retry_after_s`` is honoured
    exactly (a longer one is capped there). ``rng`` draws the jitter (seed it for tests)."""

    attempts: int = 4
    base_s: float = 0.05
    cap_s: float = 2.0
    max_retry_after_s: float = 30.0
    statuses: frozenset[int] = RETRY_STATUSES
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts {self.attempts} is out of range: allowed is 1 or more")
        if not 0.0 <= self.base_s <= self.cap_s:
            raise ValueError(
                f"backoff base_s {self.base_s} and cap_s {self.cap_s}: allowed is "
                "0 <= base_s <= cap_s"
            )

    def backoff(self, attempt: int) -> float:
        """The wait after a failed attempt: full jitter.

        Parameters
        ----------
        attempt
            The failed attempt's number, from 0.

        Returns
        -------
        float
            Seconds, drawn uniformly between 0 and ``min(cap_s, base_s * 2**attempt)``.
        """
        return self.rng.uniform(0.0, min(self.cap_s, self.base_s * 2.0**attempt))

    def delay(self, attempt: int, headers: Mapping[str, str] | None = None) -> float:
        """The wait before the next attempt.

        Parameters
        ----------
        attempt
            The failed attempt's number, from 0.
        headers
            The failed answer's headers, if there was an answer.

        Returns
        -------
        float
            Seconds: the answer's ``Retry-After`` (at most ``max_retry_after_s``) when it has
            a readable one, else ``backoff(attempt)``.
        """
        after = retry_after(headers.get("retry-after")) if headers is not None else None
        if after is None:
            return self.backoff(attempt)
        return min(after, self.max_retry_after_s)


def retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """The seconds a ``Retry-After`` header asks for.

    Parameters
    ----------
    value
        The header's value: delay-seconds (``"120"``) or an HTTP date; None when absent.
    now
        The current time for an HTTP date (default: the clock).

    Returns
    -------
    float or None
        Seconds, 0 or more (a date in the past is 0); None when absent or unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


__all__ = ["RETRY_STATUSES", "RetryPolicy", "retry_after"]
