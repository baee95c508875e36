"""How long-running stages report progress: one callback type, so every command can show it the
same way (a live bar on a terminal, a log line every few seconds otherwise)."""

from __future__ import annotations

from collections.abc import Callable

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
