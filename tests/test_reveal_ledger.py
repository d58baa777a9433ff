"""Issue 12 (the reveal in the ledger): `randsup reveal` under the ledger lock, in the order of
the other writers, anchored; refused reveals leave plan folder and ledger byte-identical; SIGKILL
at every step of the reveal is repaired by running it again."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from test_ledger import raw
from test_ledger_trust import cli, ledger_verify, planned_copy, rewrite_consistently, run, run_again
from test_results import salted_plan

from randsup.history.ledger import LEDGER_FILE_NAME, Ledger
from randsup.history.lock import lock_path
from randsup.model import Plan

SALT = "松江-2027Q1-reveal-salt"
PLAN_ID = "it-2027Q1"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def salted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """root/D (demo data, its ledger), root/P1 (an unannounced 2027Q1 plan with a salt), root/salt.txt."""
    root = tmp_path_factory.mktemp("reveal-ledger")
    salted_plan(root, SALT)
    return root


def after_last(plan: Path) -> str:
    p = Plan.model_validate_json((plan / "plan.json").read_bytes())
    return (max(v.date for v in p.visits if v.date) + dt.timedelta(days=1)).isoformat()


def reveal_args(data: Path, plan: Path, *extra: object) -> list[str]:
    return ["reveal", str(plan), "--salt-file", str(plan.parent / "salt.txt"), "--data", str(data),
            "--as-of", after_last(plan), *(str(e) for e in extra)]


def reveal_records(data: Path) -> list:
    with Ledger(data / LEDGER_FILE_NAME, create=False) as book:
        return book.records("reveal")


def test_reveal_is_recorded_and_anchored(salted: Path, tmp_path: Path) -> None:
    data, plan = planned_copy(salted, tmp_path)
    with Ledger(data / LEDGER_FILE_NAME, create=False) as book:
        head = book.head()
    code, out = cli(*reveal_args(data, plan))
    assert code == 0, out
    rec = json.loads((plan / "public" / "reveal.json").read_text("utf-8"))
    assert rec["ledger"] == {"head_before": {"seq": head[0], "hash": head[1]}}  # the head it was written against
    [own] = reveal_records(data)
    assert own.seq == head[0] + 1 and own.payload["forced_reason"] is None
    assert own.payload["files"] == {name: hashlib.sha256((plan / name).read_bytes()).hexdigest()
                                    for name in ("public/drawn-list.csv", "public/reveal.json")}
    with Ledger(data / LEDGER_FILE_NAME, create=False) as book:
        assert book.pending() == [] and [r.payload["of_seq"] for r in book.records("published")][-1] == own.seq
    code, out = ledger_verify(data, plan)
    assert code == 0 and "unanchored" in out, out
    code, out = cli("verify", plan, "--data", data)
    assert code == 0, out


@pytest.mark.parametrize("edit", ["digest", "reason"])
def test_a_consistent_rewrite_of_the_reveal_record_is_caught(salted: Path, tmp_path: Path, edit: str) -> None:
    data, plan = planned_copy(salted, tmp_path)
    code, out = cli(*reveal_args(data, plan, "--force", "--reason", "行政复议需要公开抽取过程"))
    assert code == 0, out
    [own] = reveal_records(data)
    assert own.payload["forced_reason"] == "行政复议需要公开抽取过程"  # the forced reason is in the record

    def change(p: dict) -> None:
        if edit == "digest":
            p["files"]["public/drawn-list.csv"] = "0" * 64  # as if another drawn list had been published
        else:
            p["forced_reason"] = None  # as if the reveal had not been early

    rewrite_consistently(data / LEDGER_FILE_NAME, own.seq, change)
    code, out = cli("ledger", "verify", "--data", data)
    assert code == 0, out  # the chain alone cannot tell
    code, out = ledger_verify(data, plan)
    assert code == 1 and f"record seq {own.seq} (reveal)" in out, out
    code, out = cli("verify", plan, "--data", data)
    assert code == 1 and f"record seq {own.seq} (reveal)" in out, out


def test_refused_reveals_leave_plan_folder_and_ledger_byte_identical(salted: Path, tmp_path: Path) -> None:
    data, plan = planned_copy(salted, tmp_path)
    lock_path(data / LEDGER_FILE_NAME).unlink(missing_ok=True)
    before_plan, before_data = tree(plan), tree(data)
    (tmp_path / "wrong.txt").write_text("not the salt\n", encoding="utf-8")
    last = Plan.model_validate_json((plan / "plan.json").read_bytes()).visits[-1].date
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "plan.json").write_text("{not json", encoding="utf-8")
    refusals = {
        "bad salt": [*reveal_args(data, plan)[:2], "--salt-file", str(tmp_path / "wrong.txt"),
                     *reveal_args(data, plan)[4:]],
        "too early": [*reveal_args(data, plan)[:-1], str(last)],
        "bad plan folder": reveal_args(data, plan)[:1] + [str(tmp_path / "bad")] + reveal_args(data, plan)[2:],
    }
    for why, args in refusals.items():
        code, out = cli(*args)
        assert code == 2, (why, out)
        assert tree(plan) == before_plan and tree(data) == before_data, why  # not even a lock file
    # Refused under the lock: a ledger that fails verification (named), a ledger that does not know the plan.
    db = raw(data / LEDGER_FILE_NAME)
    seq = db.execute("SELECT seq FROM records WHERE kind = 'plan'").fetchone()[0]
    text = db.execute("SELECT payload FROM records WHERE seq = ?", (seq,)).fetchone()[0]
    db.execute("UPDATE records SET payload = ? WHERE seq = ?", (text.replace('"2027-', '"2026-', 1), seq))
    db.close()
    edited = (data / LEDGER_FILE_NAME).read_bytes()
    code, out = cli(*reveal_args(data, plan))
    assert code == 2 and f"fails verification at record seq {seq} (plan)" in out, out
    assert tree(plan) == before_plan and (data / LEDGER_FILE_NAME).read_bytes() == edited
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(data / "entities.csv", other / "x.csv")  # a folder whose ledger is empty
    with Ledger(other / LEDGER_FILE_NAME) as book:
        book.append("note", {"text": "another district"})
    empty = (other / LEDGER_FILE_NAME).read_bytes()
    code, out = cli(*reveal_args(data, plan), "--ledger", other / LEDGER_FILE_NAME)
    assert code == 2 and f"plan {PLAN_ID} is not in the ledger" in out, out
    assert tree(plan) == before_plan and (other / LEDGER_FILE_NAME).read_bytes() == empty


def test_the_lock_file_is_the_only_trace_of_a_refusal_under_the_lock(salted: Path, tmp_path: Path) -> None:
    """The documented choice: the empty lock file stays beside the ledger; the data still loads and verifies."""
    data, plan = planned_copy(salted, tmp_path)
    lock = lock_path(data / LEDGER_FILE_NAME)
    lock.unlink(missing_ok=True)
    before = tree(data)
    other = tmp_path / "elsewhere.sqlite"
    with Ledger(other) as book:
        book.append("note", {"text": "not this plan's ledger"})
    code, out = cli(*reveal_args(data, plan), "--ledger", other)
    assert code == 2, out
    assert tree(data) == before  # the lock is taken beside the ledger that was given, not in the data folder
    code, out = cli(*reveal_args(data, plan, "--force", "--reason", "x")[:-2], "--as-of", "2027-01-01", "--force")
    assert code == 2 and tree(data) == before, out
    code, out = cli(*reveal_args(data, plan))
    assert code == 0, out
    assert lock.is_file() and lock.stat().st_size == 0  # left behind by filelock, empty (docs/history.md)
    code, out = cli("verify", plan, "--data", data)
    assert code == 0, out


@pytest.mark.parametrize("step", ["reveal:locked", "reveal:staged", "reveal:pending", "folder:moved-aside",
                                  "reveal:moved", "reveal:published"])
def test_reveal_killed_at_every_step_is_repaired_by_running_it_again(salted: Path, tmp_path: Path,
                                                                     step: str) -> None:
    data, plan = planned_copy(salted, tmp_path)
    before = tree(plan)
    args = reveal_args(data, plan)
    killed = run(args, kill_at=step)
    assert killed.returncode == -9, killed.stderr
    code, report = ledger_verify(data)
    if step in ("reveal:locked", "reveal:staged"):
        assert code == 0 and tree(plan) == before and reveal_records(data) == [], report
    elif step == "reveal:published":
        assert code == 0, report
    else:  # pending: ledger verify names it and how to repair it
        assert code == 1 and f"the reveal of plan {PLAN_ID} is pending" in report, report
        assert "randsup reveal" in report
    run_again(args, done=step == "reveal:published", says="revealed already")
    code, report = ledger_verify(data, plan)
    assert code == 0, report
    assert len(reveal_records(data)) == 1  # recorded once, however often it was run
    code, out = cli("verify", plan, "--data", data)
    assert code == 0, out
    assert not any(p.name.startswith(".P1.") for p in plan.parent.iterdir())
