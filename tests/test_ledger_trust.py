"""Issue 12 (ledger half): anchors, never planning from a broken ledger, supersede, one order of
events with a lock, and SIGKILL at every step of plan, recuse and results record."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_ledger import SOURCES, plan_cli, quarter_data, raw
from typer.testing import CliRunner

from randsup.cli import app
from randsup.history.ledger import LEDGER_FILE_NAME, Ledger, record_hash
from randsup.history.lock import lock_path
from randsup.model import Plan

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: object) -> tuple[int, str]:
    r = CliRunner().invoke(app, [str(a) for a in args])
    return r.exit_code, r.output


def plan_args(data: Path, quarter: int, out: Path, *extra: str) -> list[str]:
    args = ["plan", str(data), str(data / f"it-2027Q{quarter}.toml"), "--out", str(out)]
    for s in SOURCES[quarter]:
        args += ["--source", s]
    return [*args, *extra]


def load(folder: Path) -> Plan:
    return Plan.model_validate_json((folder / "plan.json").read_bytes())


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """D0: demo data (2,000 entities, 200 inspectors) and the Q1–Q3 specs, no ledger yet."""
    root = tmp_path_factory.mktemp("trust")
    quarter_data(root / "D0")
    return root


@pytest.fixture(scope="module")
def two(base: Path) -> Path:
    """D with its ledger and plans P1, P2 (2027Q1, Q2) made through the CLI."""
    shutil.copytree(base / "D0", base / "D")
    for q in (1, 2):
        plan_cli(base / "D", q, base / f"P{q}")
    return base


def fresh(base: Path, tmp_path: Path) -> Path:
    data = tmp_path / "D"
    shutil.copytree(base / "D0", data)
    return data


def copy_ledger(two: Path, tmp_path: Path) -> Path:
    p = tmp_path / "copy.sqlite"
    shutil.copy(two / "D" / LEDGER_FILE_NAME, p)
    return p


def _drop_a_visit(payload: dict) -> None:
    payload["visits"] = payload["visits"][1:]  # one visit of Q1 quietly removed from history


def rewrite_consistently(path: Path, seq: int, edit: Callable[[dict], None] = _drop_a_visit) -> None:
    """The attack of issue 12: drop the triggers, edit record ``seq``, recompute every later hash and the head."""
    db = raw(path)
    rows = db.execute("SELECT seq, kind, payload, prev_hash FROM records ORDER BY seq").fetchall()
    prev = db.execute("SELECT hash FROM records WHERE seq = ?", (seq - 1,)).fetchone()[0] if seq > 1 else "0" * 64
    for s, kind, text, _ in rows[seq - 1:]:
        if s == seq:
            payload = json.loads(text)
            edit(payload)
            text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        h = record_hash(s, kind, text, prev)
        db.execute("UPDATE records SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?", (text, prev, h, s))
        prev = h
    db.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (f"{rows[-1][0]}:{prev}",))
    db.close()


def plan_seq(path: Path, plan_id: str) -> int:
    with Ledger(path, create=False) as book:
        rec = book.plan_record(plan_id)
        assert rec is not None
        return rec.seq


class TestAnchors:
    def test_plans_state_the_head_and_the_year_plans_they_drew_against(self, two: Path) -> None:
        p1, p2 = load(two / "P1"), load(two / "P2")
        assert p1.ledger is not None and p1.ledger.head_before.seq == 0 and p1.ledger.year_plans == ()
        assert p2.ledger is not None
        seq1 = plan_seq(two / "D" / LEDGER_FILE_NAME, "it-2027Q1")
        assert [(y.plan_id, y.seq) for y in p2.ledger.year_plans] == [("it-2027Q1", seq1)]
        assert p2.ledger.head_before.seq > seq1  # the head covers Q1's plan record
        record = json.loads((two / "P2" / "public" / "draw-record.json").read_text("utf-8"))
        assert record["ledger"]["head_before"] == p2.ledger.head_before.model_dump(mode="json")
        spec = json.loads((two / "P2" / "spec.json").read_text("utf-8"))
        assert spec["ledger"] == record["ledger"]  # a recorded input: verify copies it from spec.json
        assert p2.ledger.head_before.hash in (two / "P2" / "public" / "plan-notice.md").read_text("utf-8")

    def test_intact_ledger_and_anchors_verify(self, two: Path) -> None:
        code, out = cli("ledger", "verify", "--data", two / "D", "--anchors", two / "P1", two / "P2")
        assert code == 0, out
        assert "2 anchor folder(s) match" in out and "unanchored" in out

    def test_consistent_rewrite_is_caught_by_the_anchors(self, two: Path, tmp_path: Path) -> None:
        book = copy_ledger(two, tmp_path)
        seq1 = plan_seq(book, "it-2027Q1")
        rewrite_consistently(book, seq1)
        code, out = cli("ledger", "verify", "--ledger", book)
        assert code == 0, out  # the chain alone cannot tell: that is the attack
        head = load(two / "P2").ledger.head_before.seq  # type: ignore[union-attr]
        code, out = cli("ledger", "verify", "--ledger", book, "--anchors", two / "P1", two / "P2")
        assert code == 1, out
        assert f"rewritten at or before record seq {head}" in out
        code, out = cli("verify", two / "P2", "--data", two / "D", "--ledger", book)
        assert code == 1, out
        assert f"rewritten at or before record seq {head}" in out

    def test_verify_without_the_ledger_says_the_anchors_were_not_checked(self, two: Path, tmp_path: Path) -> None:
        import randsup

        report = randsup.verify_plan(two / "P1", data=two / "D")
        assert any("anchors were not checked" in n for n in report.notes)

    def test_a_folder_without_its_record_is_named(self, two: Path, tmp_path: Path) -> None:
        empty = tmp_path / "other.sqlite"
        with Ledger(empty) as book:
            book.append("note", {"n": 1})
        code, out = cli("ledger", "verify", "--ledger", empty, "--anchors", two / "P1")
        assert code == 1 and "without its record" in out, out


class TestRefusals:
    def test_plan_on_an_edited_ledger_exits_2_naming_the_record(self, two: Path, tmp_path: Path) -> None:
        book = copy_ledger(two, tmp_path)
        seq1 = plan_seq(book, "it-2027Q1")
        db = raw(book)
        text = db.execute("SELECT payload FROM records WHERE seq = ?", (seq1,)).fetchone()[0]
        db.execute("UPDATE records SET payload = ? WHERE seq = ?", (text.replace('"2027-', '"2026-', 1), seq1))
        db.close()
        before = book.read_bytes()
        r = CliRunner().invoke(app, plan_args(two / "D", 3, tmp_path / "P3", "--ledger", str(book)))
        assert r.exit_code == 2, r.output
        assert f"fails verification at record seq {seq1} (plan)" in r.output
        assert not (tmp_path / "P3").exists() and book.read_bytes() == before

    def test_replanning_with_another_seed_needs_supersede_and_shows_it(self, two: Path, tmp_path: Path) -> None:
        book = copy_ledger(two, tmp_path)
        args = plan_args(two / "D", 2, tmp_path / "P2b", "--ledger", str(book))
        args[args.index(SOURCES[2][0])] = "4 5 7"  # another draw result: seed shopping unless declared
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2 and "--supersede" in r.output, r.output
        assert not (tmp_path / "P2b").exists()
        r = CliRunner().invoke(app, [*args, "--supersede", "--reason", "开奖号码录入错误"])
        assert r.exit_code == 0, r.output
        new = load(tmp_path / "P2b")
        old_seq = plan_seq(two / "D" / LEDGER_FILE_NAME, "it-2027Q2")
        assert new.ledger is not None and new.ledger.supersedes is not None
        assert (new.ledger.supersedes.seq, new.ledger.supersedes.reason) == (old_seq, "开奖号码录入错误")
        assert "开奖号码录入错误" in (tmp_path / "P2b" / "public" / "plan-notice.md").read_text("utf-8")
        assert plan_seq(book, "it-2027Q2") > old_seq
        assert [y.plan_id for y in new.ledger.year_plans] == ["it-2027Q1"]  # not its own earlier version

    def test_supersede_without_a_reason_is_refused(self, two: Path, tmp_path: Path) -> None:
        r = CliRunner().invoke(app, plan_args(two / "D", 3, tmp_path / "P3", "--supersede"))
        assert r.exit_code == 2 and "--reason" in r.output, r.output


# ---------------------------------------------------------------------------------------
# Crashes and concurrent runs: real processes, killed at named steps (RANDSUP_TEST_KILL_AT).


def run(args: list[str], kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RANDSUP_TEST_KILL_AT"}
    if kill_at is not None:
        env["RANDSUP_TEST_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "randsup", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def run_again(args: list[str], *, done: bool, says: str) -> None:
    """The same command again: it completes what the kill interrupted, or (``done``) exits 2 saying ``says``."""
    again = run(args)
    if done:
        assert again.returncode == 2 and says in again.stderr, again.stderr
    else:
        assert again.returncode == 0, again.stderr


def ledger_verify(data: Path, *anchors: Path) -> tuple[int, str]:
    return cli("ledger", "verify", "--data", data, *(["--anchors", *anchors] if anchors else []))


def folder_matches_ledger(data: Path, folder: Path, plan_id: str) -> bool:
    with Ledger(data / LEDGER_FILE_NAME, create=False) as book:
        digests = {r.payload.get("plan_json_sha256") for r in book.records() if r.kind == "published"
                   and r.payload["plan_id"] == plan_id}
    return hashlib.sha256((folder / "plan.json").read_bytes()).hexdigest() in digests


@pytest.mark.parametrize("step", ["plan:locked", "plan:staged", "plan:pending", "plan:moved", "plan:published"])
def test_plan_killed_at_every_step_is_repaired_by_running_it_again(base: Path, tmp_path: Path, step: str) -> None:
    data = fresh(base, tmp_path)
    out = tmp_path / "P1"
    args = plan_args(data, 1, out)
    killed = run(args, kill_at=step)
    assert killed.returncode == -9, killed.stderr
    code, report = ledger_verify(data) if (data / LEDGER_FILE_NAME).exists() else (0, "no ledger")
    if step in ("plan:locked", "plan:staged"):
        assert not out.exists() and not (data / LEDGER_FILE_NAME).exists()  # nothing recorded, nothing public
    elif step == "plan:published":
        assert code == 0 and folder_matches_ledger(data, out, "it-2027Q1"), report
    else:  # pending: ledger verify names it and how to repair
        assert code == 1 and "plan it-2027Q1 is pending" in report and "run the same" in report, report
        before = (data / LEDGER_FILE_NAME).read_bytes()
        code, said = cli(*plan_args(data, 2, tmp_path / "P2"))  # Q2 would not see Q1 whole: refused
        assert code == 2 and "plan it-2027Q1 of 2027 is pending" in said, said
        assert (data / LEDGER_FILE_NAME).read_bytes() == before and not (tmp_path / "P2").exists()
    run_again(args, done=step == "plan:published", says="nothing to do")
    code, report = ledger_verify(data, out)
    assert code == 0, report
    assert folder_matches_ledger(data, out, "it-2027Q1")
    assert not any(p.name.startswith(".P1.") for p in tmp_path.iterdir())  # no staged or moved-aside litter


def test_concurrent_plans_of_one_year_see_each_other(base: Path, tmp_path: Path) -> None:
    data = fresh(base, tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "RANDSUP_TEST_KILL_AT"}
    lock = lock_path(data / LEDGER_FILE_NAME)

    def start(q: int) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "randsup", *plan_args(data, q, tmp_path / f"P{q}")],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first = start(1)
    deadline = time.monotonic() + 120
    while not lock.exists() and first.poll() is None:  # Q2 starts once Q1 holds the ledger (or is done)
        assert time.monotonic() < deadline, "Q1 never took the ledger lock"
        time.sleep(0.01)
    procs = [first, start(2)]
    for p in procs:
        _, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
    p1, p2 = load(tmp_path / "P1"), load(tmp_path / "P2")
    assert p1.ledger is not None and p2.ledger is not None
    assert p1.ledger.year_plans == ()
    assert [y.plan_id for y in p2.ledger.year_plans] == ["it-2027Q1"]  # the second saw the first
    teams = {}
    for p in (p1, p2):
        for v in p.visits:
            pairs = {(v.entity_id, a.inspector_id) for a in v.inspectors}
            teams.setdefault(v.entity_id, []).append(pairs)
    repeated = [e for e, t in teams.items() if len(t) == 2 and t[0] & t[1]]
    assert sum(len(t) == 2 for t in teams.values()) >= 10  # enough entities drawn in both for this to matter
    assert repeated == []
    code, report = ledger_verify(data, tmp_path / "P1", tmp_path / "P2")
    assert code == 0, report


@pytest.fixture(scope="module")
def planned(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with its ledger and plan P1 (2027Q1), to copy for the recusal and results crashes."""
    root = tmp_path_factory.mktemp("planned")
    shutil.copytree(base / "D0", root / "D")
    r = run(plan_args(root / "D", 1, root / "P1"))
    assert r.returncode == 0, r.stderr
    return root


def planned_copy(planned: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the planned root (D and P1), its ledger pointing at the copied folders."""
    root = tmp_path / "root"
    shutil.copytree(planned, root)
    relocate(root / "D", planned, root)
    return root / "D", root / "P1"


def results_file(plan: Path, tmp_path: Path) -> Path:
    """A results file with one result for the plan's first visit."""
    v = load(plan).visits[0]
    f = tmp_path / "results.csv"
    f.write_text(RESULTS.format(visit=v.visit_id, dept=v.lead_department, day=v.date), "utf-8")
    return f


@pytest.mark.parametrize("step", ["recuse:locked", "recuse:staged", "recuse:pending", "folder:moved-aside",
                                  "recuse:moved", "recuse:published"])
def test_recuse_killed_at_every_step_is_repaired_by_running_it_again(planned: Path, tmp_path: Path,
                                                                      step: str) -> None:
    # The ledger records folders by path: recuse in the original place, on a private copy of the whole root.
    data, out = planned_copy(planned, tmp_path)
    root = out.parent
    visit = load(out).visits[0]
    who = visit.inspectors[0].inspector_id
    args = ["recuse", str(out), "--visit", visit.visit_id, "--inspector", who, "--reason", "亲属关系",
            "--data", str(data)]
    killed = run(args, kill_at=step)
    assert killed.returncode == -9, killed.stderr
    code, report = ledger_verify(data)
    if step in ("recuse:locked", "recuse:staged"):
        assert code == 0 and out.is_dir() and load(out) == load(planned / "P1"), report
    elif step == "recuse:published":
        assert code == 0, report
    else:
        assert code == 1 and "recusal of plan it-2027Q1 is pending" in report, report
    run_again(args, done=step == "recuse:published", says="not on visit")
    code, report = ledger_verify(data, out)
    assert code == 0, report
    new = load(out)
    team = next(v for v in new.visits if v.visit_id == visit.visit_id).inspectors
    assert who not in {a.inspector_id for a in team}
    with Ledger(data / LEDGER_FILE_NAME, create=False) as book:
        changes = book.records("change")
    assert len(changes) == 1  # recorded once, however often it was run
    assert changes[0].payload["plan_json_sha256"] == hashlib.sha256((out / "plan.json").read_bytes()).hexdigest()
    assert not any(p.name.startswith(".P1.") for p in root.iterdir())


def relocate(data: Path, old_root: Path, new_root: Path) -> None:
    """Point the copied ledger's folder paths at the copy (as if the whole root had been moved)."""
    from test_ledger import raw as raw_db

    db = raw_db(data / LEDGER_FILE_NAME)
    rows = db.execute("SELECT seq, kind, payload, prev_hash FROM records ORDER BY seq").fetchall()
    prev = "0" * 64
    for s, kind, text, _ in rows:
        text = text.replace(str(old_root), str(new_root))
        h = record_hash(s, kind, text, prev)
        db.execute("UPDATE records SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?", (text, prev, h, s))
        prev = h
    db.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (f"{rows[-1][0]}:{prev}",))
    db.close()


RESULTS = "visit_id,department_id,result,sub_result,inspected_on,notes\n{visit},{dept},未发现问题,,{day},\n"


@pytest.mark.parametrize("step", ["results:locked", "results:recorded"])
def test_results_record_killed_at_every_step(planned: Path, tmp_path: Path, step: str) -> None:
    data, out = planned_copy(planned, tmp_path)
    f = results_file(out, tmp_path)
    args = ["results", "record", str(f), "--plan", str(out), "--data", str(data)]
    killed = run(args, kill_at=step)
    assert killed.returncode == -9, killed.stderr
    code, report = ledger_verify(data, out)
    assert code == 0, report  # one transaction: the folder and the ledger agree either way
    with Ledger(data / LEDGER_FILE_NAME, create=False) as book:
        n = len(book.records("result"))
    assert n == (1 if step == "results:recorded" else 0)
    if n == 0:
        again = run(args)
        assert again.returncode == 0, again.stderr
        with Ledger(data / LEDGER_FILE_NAME, create=False) as book:
            assert len(book.records("result")) == 1


def test_a_held_lock_is_waited_for_then_given_up_with_a_clear_message(two: Path, tmp_path: Path) -> None:
    """Another command holds the ledger: progress while waiting, then exit 2 after --lock-timeout, nothing written."""
    fcntl = pytest.importorskip("fcntl")  # POSIX: hold the lock as another process would

    book = copy_ledger(two, tmp_path)
    before = book.read_bytes()
    f = results_file(two / "P1", tmp_path)
    with open(lock_path(book), "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another process's filelock would
        r = CliRunner().invoke(app, ["results", "record", str(f), "--plan", str(two / "P1"), "--ledger", str(book),
                                     "--lock-timeout", "1.5"])
    assert r.exit_code == 2, r.output
    assert "waiting for the ledger" in r.output
    assert "in use by another randsup command" in r.output and "--lock-timeout" in r.output
    assert book.read_bytes() == before


@pytest.mark.parametrize("step", ["publish:staged", "publish:pending", "publish:moved"])
def test_results_publish_killed_at_a_step_is_repaired_and_anchored(planned: Path, tmp_path: Path,
                                                                   step: str) -> None:
    data, plan = planned_copy(planned, tmp_path)
    root = plan.parent
    f = results_file(plan, tmp_path)
    code, out = cli("results", "record", f, "--plan", plan, "--data", data)
    assert code == 0, out
    notice = root / "R1"
    args = ["results", "publish", "--plan", str(plan), "--out", str(notice), "--data", str(data)]
    killed = run(args, kill_at=step)
    assert killed.returncode == -9, killed.stderr
    code, report = ledger_verify(data)
    if step == "publish:staged":
        assert code == 0 and not notice.exists(), report
    else:
        assert code == 1 and "results publication of plan it-2027Q1 is pending" in report, report
    run_again(args, done=False, says="")
    code, report = ledger_verify(data, plan, notice)
    assert code == 0, report
    with Ledger(data / LEDGER_FILE_NAME, create=False) as book:
        assert len(book.records("publication")) == 1
        last_result = book.records("result")[-1]
    stated = json.loads((notice / "results.json").read_text("utf-8"))["ledger"]["head_before"]
    assert (stated["seq"], stated["hash"]) == (last_result.seq, last_result.hash)
    assert last_result.hash in (notice / "results-notice.md").read_text("utf-8")
