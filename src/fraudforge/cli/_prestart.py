"""Starting ``generate``'s helper processes before the command's own imports.

A helper is a fresh interpreter that imports the engine (about 0.25 s of a core); started
when the command begins, that runs beside this process's imports and world instead of after
them. Only ``generate`` on this machine uses helpers, and only when it will run several
workers; this module reads the few flags that decide it from the raw arguments (the real
parse comes later, with the heavy imports). A wrong guess costs time, never data:
``engine.dataset.generate`` takes the helpers it needs (starting any missing) and stops the
rest."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fraudforge.foundation.machine import default_threads


def _local_command(
    args: Sequence[str], commands: Sequence[str] = ("generate",)
) -> argparse.Namespace | None:
    """The few flags of ``fraudforge ARGS`` read here, if it is one of ``commands`` on this
    machine (not asking for help); else None. The real parse comes later and reports any
    error."""
    if not args or args[0] not in commands:
        return None
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("-h", "--help", action="store_true")
    p.add_argument("--backend", default="local")
    p.add_argument("--threads")
    p.add_argument("--settings")
    try:
        known, _ = p.parse_known_args(list(args[1:]))
    except (Exception, SystemExit):
        return None
    return None if known.help or known.backend != "local" else known


def local_data_command(args: Sequence[str]) -> bool:
    """Whether ``fraudforge ARGS`` is ``generate`` or ``features`` on this machine: a command
    whose outputs are complete when it returns, so its process may end without the
    interpreter's teardown (``foundation.machine.end_process``)."""
    return _local_command(args, ("generate", "features")) is not None


def helpers_wanted(args: Sequence[str]) -> int:
    """The helper processes ``fraudforge ARGS`` will likely use: ``threads - 1`` (the flag,
    the environment or the settings file, else the usable cores) for a local ``generate``
    whose engine is not imported yet (in a fresh process), none for anything else or when
    asking for help."""
    known = _local_command(args)
    if known is None or "fraudforge.engine.dataset" in sys.modules:
        return 0
    try:
        from fraudforge.foundation.runtime import load_performance

        perf = load_performance(settings=known.settings, overrides={"threads": known.threads})
    except (Exception, SystemExit):  # the real parse reports it
        return 0
    return (perf.threads or default_threads()) - 1


def prestart(args: Sequence[str]) -> None:
    """Start the helpers ``helpers_wanted(args)`` names."""
    count = helpers_wanted(args)
    if count > 0:
        from fraudforge.engine._workers import prestart_helpers

        prestart_helpers(count)
