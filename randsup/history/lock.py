"""The ledger's write lock, and the named steps at which a test may kill a command.

One randsup command at a time reads a ledger's history and records in it: ``plan`` holds the
lock from reading the year's history to its final record, so two plans of one year run one
after the other and the second sees the first. Design notes: docs/history.md (Order of events).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import LedgerError

__all__ = ["DEFAULT_LOCK_TIMEOUT", "KILL_ENV", "Waiting", "checkpoint", "ledger_lock", "lock_path"]

DEFAULT_LOCK_TIMEOUT = 600.0  # seconds: a province-size plan holds the lock for minutes
KILL_ENV = "RANDSUP_TEST_KILL_AT"

Waiting = Callable[[float, float], None]
"""Told ``(seconds waited, timeout)`` about once a second while another command holds the lock."""


def lock_path(ledger_path: str | Path) -> Path:
    """The lock file beside a ledger: ``randsup-ledger.sqlite.lock``."""
    p = Path(ledger_path)
    return p.with_name(p.name + ".lock")


@contextmanager
def ledger_lock(ledger_path: str | Path, *, timeout: float = DEFAULT_LOCK_TIMEOUT,
                waiting: Waiting | None = None) -> Iterator[None]:
    """Hold the ledger's lock file for the ``with`` block; wait at most ``timeout`` seconds for it.

    The lock is an OS file lock (``filelock``): a killed holder releases it with its process, so
    no stale lock is ever left to remove by hand.

    Raises:
        LedgerError: another command held the lock for longer than ``timeout``.
    """
    from filelock import FileLock, Timeout

    path = lock_path(ledger_path)
    if not path.parent.is_dir():
        raise LedgerError(f"cannot lock the ledger {ledger_path}: folder {path.parent} does not exist")
    lock = FileLock(str(path), thread_local=False)
    started = time.monotonic()
    while True:
        waited = time.monotonic() - started
        try:
            lock.acquire(timeout=min(1.0, max(timeout - waited, 0.0)), poll_interval=0.05)
            break
        except Timeout:
            waited = time.monotonic() - started
            if waited >= timeout:
                raise LedgerError(
                    f"the ledger {ledger_path} is in use by another randsup command (lock file {path}); "
                    f"waited {waited:.0f} s. Nothing was written: wait for the other command to finish and "
                    "run this one again, or give it longer with --lock-timeout SECONDS") from None
            if waiting is not None:
                waiting(waited, timeout)
    try:
        yield
    finally:
        lock.release()


def checkpoint(step: str) -> None:
    """A named step of a command that writes; a test sets ``RANDSUP_TEST_KILL_AT=<step>`` to die there.

    The kill is SIGKILL (no cleanup runs, as with a power cut or ``kill -9``), so the crash tests
    see exactly what a real crash between two steps would leave behind.
    """
    if os.environ.get(KILL_ENV) == step:
        kill = getattr(signal, "SIGKILL", None)
        if kill is None:  # Windows: no SIGKILL; leave without cleanup all the same
            os._exit(137)
        os.kill(os.getpid(), kill)
        time.sleep(60)  # the signal is delivered asynchronously; never run past the step
