"""Process-level helpers shared by the stages (no domain rules here)."""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.context
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["available_cores", "map_jobs", "paused_gc", "pool_context"]

T = TypeVar("T")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a stage that allocates millions of objects with no cycles.

    Each full collection walks every live container, so with a large directory loaded, the
    collections that allocation triggers cost time that grows faster than the data (measured
    in the README, "How fast is it?"). Reference counting still frees everything that is not in a cycle;
    the few cycles made meanwhile are collected after the stage. Nests: only the outermost
    pause re-enables the collector.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pool_context() -> multiprocessing.context.BaseContext:
    """fork where it is safe, else spawn.

    fork shares the parent's memory (the directory, the pools) without pickling and starts in
    milliseconds, but is safe only while the parent runs a single thread (OR-Tools, a progress
    display or a caller may have started others); spawn then pays one import of randsup per worker.
    """
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


_JOB: Callable[[int], Any] | None = None  # the job of map_jobs, inherited by forked workers


def _run(k: int) -> tuple[bool, Any]:
    assert _JOB is not None
    try:
        return True, _JOB(k)
    except Exception:  # noqa: BLE001 - exceptions need not pickle; the caller reruns job k to raise it
        return False, None


def map_jobs(job: Callable[[int], T], weights: Sequence[int], *, workers: int) -> list[tuple[bool, T | BaseException | None]]:
    """``job(k)`` for k = 0 … len(weights) − 1: ``(True, result)`` or ``(False, the exception)``, in k order.

    With ``workers`` > 1 and fork available, jobs run in forked processes, heaviest first (they
    read the parent's memory; only results are pickled). A job that raised there comes back as
    ``(False, None)``: rerun it in this process to get its exception, which need not pickle.
    Results must not depend on which process ran a job.
    """
    global _JOB
    n = len(weights)
    context = pool_context()
    if workers <= 1 or n <= 1 or context.get_start_method() != "fork":
        out: list[tuple[bool, T | BaseException | None]] = []
        for k in range(n):
            try:
                out.append((True, job(k)))
            except Exception as err:  # noqa: BLE001 - handed to the caller, who raises it in order
                out.append((False, err))
        return out
    order = sorted(range(n), key=lambda k: (-weights[k], k))
    _JOB = job
    try:
        with ProcessPoolExecutor(max_workers=min(workers, n), mp_context=context) as pool:
            got = list(pool.map(_run, order))
    finally:
        _JOB = None
    result: list[tuple[bool, T | BaseException | None]] = [(False, None)] * n
    for k, r in zip(order, got, strict=True):
        result[k] = r
    return result
