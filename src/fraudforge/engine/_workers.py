"""Helper processes that write part files for ``generate``: each is a fresh interpreter
(``python -m fraudforge.engine._part_worker``) reading pickled jobs from its stdin and writing
pickled results to its stdout. A fresh interpreter rather than ``multiprocessing``: the caller's
``__main__`` is never re-imported, so a script without a ``__main__`` guard works, and no Polars
thread pool is inherited through ``fork``."""

from __future__ import annotations

import contextlib
import pickle
import subprocess
import sys
from typing import Any


class PartWorker:
    """One helper process writing part files of one world (sent once, at start); ``run`` sends
    a job and waits for its result (thread-safe per worker only when each worker is used by one
    thread)."""

    def __init__(self, world: Any) -> None:
        # A process group of its own: a terminal's Ctrl-C goes to the parent alone, which stops
        # the helpers (``kill``); a helper hit while starting up would print a traceback.
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "fraudforge.engine._part_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            process_group=0,
        )
        assert self._proc.stdin is not None
        pickle.dump(world, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)

    def run(self, job: tuple[Any, ...]) -> Any:
        """Run ``write_part_records(world, *job)`` in the helper; re-raise its error here."""
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None
        assert stdout is not None
        pickle.dump(job, stdin, protocol=pickle.HIGHEST_PROTOCOL)
        stdin.flush()
        try:
            ok, value = pickle.load(stdout)
        except EOFError:
            raise RuntimeError(
                f"a generation helper process exited with code {self._proc.wait()}"
            ) from None
        if not ok:
            raise RuntimeError(f"a generation helper process failed:\n{value}")
        return value

    def kill(self) -> None:
        """Stop the helper at once (the parent is giving up, e.g. on Ctrl-C) and reap it."""
        self._proc.kill()
        self.close()

    def close(self) -> None:
        """Let the helper finish (end of its input) and reap it."""
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):  # a killed helper's pipe is broken
                self._proc.stdin.close()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
