"""Progress of a long command on stderr: a live line with the rate and the time left on a
terminal, one log line every few seconds when stderr is not a terminal (CI logs, containers),
nothing with ``--quiet``."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.text import Text

from fraudforge.cli._common import err
from fraudforge.foundation.progress import count_text, duration

LOG_EVERY = 5.0
"""Seconds between two progress lines when stderr is not a terminal."""


class Meter:
    """The progress of one command, step by step (``meter(step, done, total)`` is a
    ``ProgressFn``): each step shows done / total in ``units[step]`` (default "rows"), the rate
    since the step began and, when the total is known, the time left at that rate."""

    def __init__(
        self,
        command: str,
        *,
        units: dict[str, str] | None = None,
        quiet: bool = False,
        console: Console | None = None,
        every: float = LOG_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.command = command
        self.units = units or {}
        self.quiet = quiet
        self.console = console or err
        self.every = every
        self.clock = clock
        self.live = self.console.is_terminal and not quiet
        self._view: Live | None = None
        self._step = ""
        self._done = 0
        self._total: int | None = None
        self._detail = ""
        self._began = self._logged = self._last = clock()
        self._started = self._began
        self._shown = True

    def __enter__(self) -> Meter:
        if self.live:
            self._view = Live(Text(f"{self.command}: starting"), console=self.console)
            self._view.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._view is not None:
            self._view.__exit__(kind, exc, tb)
            self._view = None
        elif kind is None and not self.quiet and not self._shown:
            self._emit(self._last)

    def __call__(self, step: str, done: int, total: int | None = None, detail: str = "") -> None:
        """Report ``done`` of ``total`` in ``step``; ``detail`` is extra text after the count
        (e.g. the rows written so far while counting shards)."""
        now = self.clock()
        if step != self._step:
            if not self._shown and not self.live and not self.quiet:
                self._emit(self._last)  # the last state of the step that ended
            # the step began when the previous one last reported (or the command started)
            self._step, self._began = step, self._last
            self._logged = now - self.every  # the first line of a step shows at once
        self._done, self._total, self._last, self._shown = done, total, now, False
        self._detail = detail
        if self.quiet:
            return
        if self._view is not None:
            self._view.update(Text(self.line(now)))
        elif now - self._logged >= self.every:
            self._logged = now
            self._emit(now)

    def _emit(self, at: float) -> None:
        self._shown = True
        self.console.print(self.line(at), highlight=False, soft_wrap=True)

    def line(self, now: float) -> str:
        """The progress of the current step at time ``now``, as one line of text."""
        unit = self.units.get(self._step, "rows")
        spent = now - self._began
        if not unit or self._total == 0:  # a phase: its name and how long it has run
            return f"{self.command}: {self._step}, {duration(now - self._started)} elapsed"
        text = count_text(self._done, self._total, unit, spent, self._detail)
        return f"{self.command}: {self._step} {text}, {duration(now - self._started)} elapsed"

    def phase(self, step: str) -> None:
        """A step without a count (reading, writing): shown by name and elapsed time."""
        self(step, 0, 0)


def announce_compilation(meter: Meter) -> None:
    """Say so before the feature kernels compile (first run only, up to about 20 s), which would
    otherwise look like a hang."""
    from fraudforge.features.warmup import cold_kernels

    cold = cold_kernels()
    if cold and not meter.quiet:
        meter.console.print(
            f"compiling {len(cold)} feature kernels (first run only, up to about 20 s; "
            "`fraudforge warmup` compiles them ahead)",
            highlight=False,
            soft_wrap=True,
        )
