"""The ``fraudforge`` command line (``fraudforge --help``; the commands are built in
``cli._command``). This package imports nothing heavy itself, so that an install without the
stages' libraries (the client alone, ``pip install fraudforge``) gets a line naming the extra to
install instead of a traceback; ``build_parser``, ``err`` and ``out`` load on first use."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fraudforge.foundation.extras import install_hint, missing_extras
from fraudforge.foundation.lazy import lazy_exports
from fraudforge.foundation.machine import one_blas_thread, pause_collector, resume_collector

if TYPE_CHECKING:
    from fraudforge.cli._command import build_parser, err, out

__getattr__, __dir__ = lazy_exports(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fraudforge`` console command.

    Parameters
    ----------
    argv
        The arguments after the program's name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code: 0 on success, 2 for an error a user can fix (a bad option, a missing
        input, an extra that is not installed), 130 or 143 when interrupted.

    Notes
    -----
    Without the ``engine`` extra only ``--version`` works; anything else prints which extra
    to install and returns 2. With it, :func:`fraudforge.cli._command.main` runs the command.
    Run as the process's own command (``argv`` None), ``generate`` or ``features`` on this
    machine ends the process when it returns, its exit handlers run and output flushed,
    without the interpreter's teardown of the libraries (``foundation.machine.end_process``:
    0.03-0.05 s).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    missing = missing_extras(["engine"])
    if not missing:
        if args[:1] in (["generate"], ["features"]) and "numpy" not in sys.modules:
            one_blas_thread(os.environ)  # these do no BLAS work: no spinning BLAS threads
        if args[:1] == ["features"]:
            pause_collector()  # while its libraries load (resumed by the command)
        try:
            from fraudforge.cli._prestart import local_data_command, prestart

            prestart(args)  # generate's helper processes, importing beside this one
            from fraudforge.cli._command import main as run

            code = run(argv)
        finally:
            resume_collector()
        if argv is None and local_data_command(args):
            from fraudforge.foundation.machine import end_process

            end_process(code)  # its output is complete (or cleaned up): no teardown
        return code
    if args == ["--version"]:
        # Imported here: importlib.metadata (0.015 s) would delay generate's helpers.
        from fraudforge.foundation.package import package_version

        print(f"fraudforge {package_version()}")
        return 0
    hint = install_hint("the command line", "engine")
    print(
        f"error: this fraudforge install is the client alone (fraudforge.client, fraudforge.wire); "
        f"{hint}, or 'fraudforge[all]' for every command (not installed: "
        f"{', '.join(missing['engine'])})",
        file=sys.stderr,
    )
    return 2


__all__ = ["build_parser", "err", "main", "out"]
