"""Helper processes that write part files for ``generate``: each is a fresh interpreter
(``python -m fraudforge.engine._part_worker``) reading pickled jobs from its stdin and writing
pickled results to its stdout. A fresh interpreter rather than ``multiprocessing``: the caller's
``__main__`` is never re-imported, so a script without a ``__main__`` guard works, and no Polars
thread pool is inherited through ``fork``."""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import subprocess
import sys
import threading
from typing import Any

from fraudforge.foundation.machine import one_blas_thread


class PartWorker:
    """One helper process writing part files of one world (sent once, by ``send_world`` or
    the constructor); ``run`` sends a job and waits for its result (thread-safe per worker only
    when each worker is used by one thread).

    The process starts at once and imports the engine while its world is not yet known, so
    a command can start it before its own imports and world (``prestart_helpers``). The world
    is sent by a thread of its own: the helper reads it only once its imports are done (about
    a quarter of a second), and the pickle (about 0.6 MB for 1M rows) does not fit in the
    pipe, so a caller that sent it itself would wait that long before its own work started."""

    def __init__(self, world: Any = None) -> None:
        # A process group of its own: a terminal's Ctrl-C goes to the parent alone, which stops
        # the helpers (``kill``); a helper hit while starting up would print a traceback.
        env = dict(os.environ)
        one_blas_thread(env)  # generating does no BLAS work
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "fraudforge.engine._part_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            process_group=0,
            env=env,
        )
        self._sent: BaseException | None = None
        self._sender: threading.Thread | None = None
        if world is not None:
            self.send_world(world)

    def send_world(self, world: Any) -> None:
        """Send the world the jobs belong to (once), from a thread of its own."""
        self._sender = threading.Thread(
            target=self._send_world, args=(world,), name="fraudforge-part-world", daemon=True
        )
        self._sender.start()

    def _send_world(self, world: Any) -> None:
        """Pickle ``world`` into the helper's input (on the sender thread); an error (a helper
        that died while starting) is kept for ``run`` to raise."""
        assert self._proc.stdin is not None
        try:
            pickle.dump(world, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.flush()
        except BaseException as e:  # raised by run, on the caller's thread
            self._sent = e

    def run(self, job: tuple[Any, ...]) -> Any:
        """Run ``write_part_records(world, *job)`` in the helper (once the world is sent);
        re-raise its error here."""
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None
        assert stdout is not None
        if self._sender is None:
            self._sent = RuntimeError("no world was sent")
        else:
            self._sender.join()
        if self._sent is not None:  # a helper without its world is of no use: stop it
            self._proc.kill()
            raise RuntimeError(
                f"the world could not be sent to a generation helper process ({self._sent!r}; "
                f"exit code {self._proc.wait()})"
            ) from self._sent
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
        if self._sender is not None:
            self._sender.join()  # done or failed once the helper read the world or died
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):  # a killed helper's pipe is broken
                self._proc.stdin.close()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


_spares: list[PartWorker] = []
"""Helpers started ahead by ``prestart_helpers`` that no run has taken yet."""
_spares_lock = threading.Lock()


def prestart_helpers(count: int) -> None:
    """Start ``count`` helper processes now, for the next ``take_helpers``: a command calls this
    before its own imports, so the helpers' interpreter start and imports (about 0.25 s of a
    core each) run beside this process's instead of after it. Helpers no run takes are
    stopped by ``take_helpers`` or when this process exits."""
    started = [PartWorker() for _ in range(count)]
    with _spares_lock:
        _spares.extend(started)


def take_helpers(count: int) -> list[PartWorker]:
    """``count`` helper processes, not yet sent a world: those ``prestart_helpers`` started
    first, new ones for the rest; prestarted ones beyond ``count`` are stopped."""
    with _spares_lock:
        taken, extra = _spares[:count], _spares[count:]
        _spares.clear()
    for worker in extra:
        worker.kill()
    return taken + [PartWorker() for _ in range(count - len(taken))]


@atexit.register
def _stop_spares() -> None:
    """Stop the prestarted helpers no run took (a command that failed before generating)."""
    take_helpers(0)
