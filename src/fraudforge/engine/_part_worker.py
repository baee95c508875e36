"""The body of a generation helper process (``python -m fraudforge.engine._part_worker``): it reads
a pickled world, then pickled ``write_part_records`` jobs of that world from stdin, and writes
pickled ``(ok, value)`` replies to stdout until its input ends. Nothing imports this module, so
running it as ``__main__`` is clean; ``fraudforge.engine._workers.PartWorker`` starts and drives
it."""

from __future__ import annotations

import gc
import os
import pickle
import sys
import traceback
from typing import IO, Any


def _serve(jobs: IO[bytes], results: IO[bytes]) -> None:
    from fraudforge.engine.dataset import write_part_records

    try:
        world = pickle.load(jobs)
    except EOFError:
        return
    # The modules and the world live as long as this process: out of the garbage collector's
    # sight, its full collections do not walk them again (as the command's own process).
    gc.freeze()
    while True:
        try:
            job = pickle.load(jobs)
        except EOFError:
            return
        try:
            reply: tuple[bool, Any] = (True, write_part_records(world, *job))
        except Exception:  # reported to the parent, which raises it
            reply = (False, traceback.format_exc())
        pickle.dump(reply, results, protocol=pickle.HIGHEST_PROTOCOL)
        results.flush()


def main() -> None:
    """Serve jobs; stdout is kept for results only (anything printed goes to stderr). The
    process only generates: freed memory is kept for reuse (``machine.keep_freed_memory``)."""
    from fraudforge.foundation.machine import end_process, keep_freed_memory

    keep_freed_memory()
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, results)
    results.close()
    end_process(0)  # every file is written and reported: no teardown


if __name__ == "__main__":
    main()
