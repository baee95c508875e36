"""How long-running stages report progress: one callback type, so every command can show it the
same way (a live bar on a terminal, a log line every few seconds otherwise)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

ProgressFn = Callable[[str, int, "int | None"], None]
"""``progress(step, done, total)``: the stage is in ``step`` (a short phrase such as
"customer features" or "boosting rounds"), ``done`` of ``total`` units (rows, shards, rounds,
trials; ``None`` when unknown) are finished. A new step restarts the count; ``total`` 0 marks a
step without a count (reading, evaluating), shown by its name and elapsed time."""


def ignore(step: str, done: int, total: int | None) -> None:
    """A progress callback that shows nothing."""


def phase(progress: ProgressFn, step: str) -> None:
    """Report that the stage entered ``step``, a step without a count."""
    progress(step, 0, 0)


def duration(seconds: float) -> str:
    """``seconds`` as people read it: "7 s", "2 min 05 s", "1 h 03 min"."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def count_text(done: int, total: int | None, unit: str, spent: float, detail: str = "") -> str:
    """ "done/total unit[, detail], rate unit/s, about T left" for a step that has run
    ``spent`` seconds (the rate and time left once something is done)."""
    count = f"{done:,}" if total is None else f"{done:,}/{total:,}"
    parts = [f"{count} {unit}"]
    if detail:
        parts.append(detail)
    if spent > 0 and done:
        rate = done / spent
        parts.append(f"{rate:,.0f} {unit}/s" if rate >= 10 else f"{rate:,.2f} {unit}/s")
        if total:
            left = (total - done) / rate
            parts.append("done" if left <= 0 else f"about {duration(left)} left")
    return ", ".join(parts)


def logged(
    log: logging.Logger,
    what: str,
    unit: str = "rows",
    *,
    every: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
) -> ProgressFn:
    """A progress callback that logs ``what: step done/total unit, rate, time left`` at INFO
    at most every ``every`` seconds, and the last report of each step (for processes whose
    output is a log, such as the service)."""
    started = clock()
    state: dict[str, Any] = {"step": None, "began": started, "logged": -math.inf}

    def report(step: str, done: int, total: int | None) -> None:
        now = clock()
        if step != state["step"]:
            state.update(step=step, began=now, logged=-math.inf)
        finished = total is not None and done >= total
        if now - state["logged"] >= every or finished:
            state["logged"] = now
            text = count_text(done, total, unit, now - state["began"])
            log.info("%s: %s %s, %s elapsed", what, step, text, duration(now - started))

    return report
