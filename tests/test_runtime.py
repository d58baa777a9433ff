"""randsup._runtime: the garbage-collector pause and the job runner the stages share."""

from __future__ import annotations

import gc
import os

import pytest

from randsup._runtime import map_jobs, paused_gc, pool_context


class _Unpicklable(Exception):
    def __init__(self, *, what: str) -> None:  # keyword-only: unpickling it would fail
        super().__init__(what)


def _job(k: int) -> tuple[int, int]:
    if k == 2:
        raise _Unpicklable(what=f"job {k}")
    return k * k, os.getpid()


def test_paused_gc_restores_the_collector_and_nests() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause did not re-enable it
    assert gc.isenabled()


def test_jobs_in_one_process_hand_back_the_exception() -> None:
    got = map_jobs(_job, [1, 5, 2, 9], workers=1)
    assert [g[1][0] for g in got if g[0]] == [0, 1, 9]  # type: ignore[index]
    assert got[2][0] is False and isinstance(got[2][1], _Unpicklable)
    assert {g[1][1] for g in got if g[0]} == {os.getpid()}  # type: ignore[index]


@pytest.mark.skipif(pool_context().get_start_method() != "fork", reason="workers need fork")
def test_jobs_in_workers_come_back_in_job_order() -> None:
    got = map_jobs(_job, [1, 5, 2, 9], workers=2)
    assert [g[1][0] for g in got if g[0]] == [0, 1, 9]  # type: ignore[index]
    assert got[2] == (False, None)  # raised in a worker: the caller reruns job 2 to raise it
    assert os.getpid() not in {g[1][1] for g in got if g[0]}  # type: ignore[index]
