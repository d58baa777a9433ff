"""Issue 16 with decisions-0.2 (Scale and engines): a draw-only result (`randsup draw`) recorded in
the ledger like a plan's draw — refusals, anchors, rerun and supersede, kills at every step, two
commands at once."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_ledger import SOURCES, quarter_data, raw
from test_ledger_trust import ROOT, cli, fresh, plan_args, rewrite_consistently, run, run_again

from randsup.history.ledger import LEDGER_FILE_NAME, Ledger
from randsup.history.lock import lock_path
from randsup.publish.draw_only import read_draw


def draw_args(data: Path, quarter: int, out: Path, *extra: str) -> list[str]:
    args = ["draw", str(data), str(data / f"it-2027Q{quarter}.toml"), "--out", str(out)]
    for s in SOURCES[quarter]:
        args += ["--source", s]
    return [*args, *extra]


def draw_record(data: Path, plan_id: str):  # noqa: ANN201 - a LedgerRecord
    with Ledger(data / LEDGER_FILE_NAME, create=False) as book:
        rec = book.plan_record(plan_id)
    assert rec is not None
    return rec


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """D0: demo data (2,000 entities) with the 2027Q1–Q3 specs, no ledger (copied by ``fresh``)."""
    root = tmp_path_factory.mktemp("drawledger")
    quarter_data(root / "D0")
    return root


@pytest.fixture(scope="module")
def drawn(base: Path) -> Path:
    """D with plan P1 (2027Q1) and then the draw-only result W2 (2027Q2), both through the ledger."""
    shutil.copytree(base / "D0", base / "D")
    for args in (plan_args(base / "D", 1, base / "P1"), draw_args(base / "D", 2, base / "W2")):
        code, out = cli(*args)
        assert code == 0, out
    return base


def snapshot(*paths: Path) -> dict[str, bytes]:
    """Every file under the paths, by path: to show a refused command changed nothing."""
    out = {}
    for p in paths:
        for f in sorted([p] if p.is_file() else p.rglob("*")):
            if f.is_file():
                out[str(f)] = f.read_bytes()
    return out


class TestRecorded:
    def test_the_draw_is_a_plan_record_without_visits_naming_its_draw_json(self, drawn: Path) -> None:
        rec = draw_record(drawn / "D", "it-2027Q2")
        assert rec.payload["draw_only"] is True and rec.payload["visits"] == []
        assert rec.payload["plan_json_sha256"] == hashlib.sha256((drawn / "W2" / "draw.json").read_bytes()).hexdigest()
        with Ledger(drawn / "D" / LEDGER_FILE_NAME, create=False) as book:
            assert book.pending() == []
            published = [r for r in book.records("published") if r.payload["of_seq"] == rec.seq]
            kinds = [r.kind for r in book.records()]
        assert len(published) == 1
        assert kinds[kinds.index("plan", kinds.index("plan") + 1) - 1] == "draw"  # its 第一随机 record too

    def test_draw_json_and_record_state_the_head_and_the_year_plans(self, drawn: Path) -> None:
        d = read_draw(drawn / "W2")
        p1 = draw_record(drawn / "D", "it-2027Q1")
        assert d.ledger is not None and d.ledger.head_before.seq > p1.seq
        assert [(y.plan_id, y.seq) for y in d.ledger.year_plans] == [("it-2027Q1", p1.seq)]
        record = json.loads((drawn / "W2" / "public" / "draw-record.json").read_text("utf-8"))
        assert record["ledger"]["head_before"] == d.ledger.head_before.model_dump(mode="json")
        # Q1's visits are this year's history: kept beside the draw, named among its inputs.
        assert (drawn / "W2" / "ledger-history.csv").is_file() and "ledger-history.csv" in d.inputs

    def test_verify_and_ledger_verify_check_the_draw_folder(self, drawn: Path) -> None:
        code, out = cli("verify", drawn / "W2", "--data", drawn / "D")
        assert code == 0 and "draw-only" in out and "anchors were not checked" not in out, out
        code, out = cli("ledger", "verify", "--data", drawn / "D", "--anchors", drawn / "P1", drawn / "W2")
        assert code == 0 and "2 anchor folder(s) match" in out, out

    def test_a_consistent_rewrite_is_caught_by_the_draw_folders_anchor(self, drawn: Path, tmp_path: Path) -> None:
        book = tmp_path / "copy.sqlite"
        shutil.copy(drawn / "D" / LEDGER_FILE_NAME, book)
        rewrite_consistently(book, draw_record(drawn / "D", "it-2027Q1").seq)
        head = read_draw(drawn / "W2").ledger.head_before.seq  # type: ignore[union-attr]
        code, out = cli("ledger", "verify", "--ledger", book, "--anchors", drawn / "W2")
        assert code == 1 and f"rewritten at or before record seq {head}" in out, out
        code, out = cli("verify", drawn / "W2", "--data", drawn / "D", "--ledger", book)
        assert code == 1 and f"rewritten at or before record seq {head}" in out, out

    def test_a_draw_folder_that_is_not_the_recorded_one_is_named(self, drawn: Path, tmp_path: Path) -> None:
        copy = tmp_path / "W2"
        shutil.copytree(drawn / "W2", copy)
        notice = copy / "public" / "draw-notice.md"
        notice.write_text(notice.read_text("utf-8") + "\n", encoding="utf-8")
        code, out = cli("ledger", "verify", "--data", drawn / "D", "--anchors", copy)
        assert code == 1 and "draw-notice.md is not the file record seq" in out, out


class TestRefusals:
    def test_the_same_command_again_has_nothing_to_do(self, drawn: Path) -> None:
        before = snapshot(drawn / "D", drawn / "W2")
        code, out = cli(*draw_args(drawn / "D", 2, drawn / "W2"))
        assert code == 2 and "nothing to do" in out, out
        assert snapshot(drawn / "D", drawn / "W2") == before

    def test_another_seed_needs_supersede_and_is_shown(self, drawn: Path, tmp_path: Path) -> None:
        book = tmp_path / "copy.sqlite"
        shutil.copy(drawn / "D" / LEDGER_FILE_NAME, book)
        args = draw_args(drawn / "D", 2, tmp_path / "W2b", "--ledger", str(book))
        args[args.index(SOURCES[2][0])] = "4 5 7"
        before = snapshot(book)
        code, out = cli(*args)
        assert code == 2 and "--supersede" in out and "a draw" in out, out
        assert snapshot(book) == before and not (tmp_path / "W2b").exists()
        code, out = cli(*args, "--supersede", "--reason", "开奖号码录入错误")
        assert code == 0, out
        new = read_draw(tmp_path / "W2b")
        old = draw_record(drawn / "D", "it-2027Q2")
        assert new.ledger is not None and new.ledger.supersedes is not None
        assert (new.ledger.supersedes.seq, new.ledger.supersedes.reason) == (old.seq, "开奖号码录入错误")
        assert "开奖号码录入错误" in (tmp_path / "W2b" / "public" / "draw-notice.md").read_text("utf-8")

    def test_a_plan_id_planned_already_needs_supersede_to_be_drawn(self, drawn: Path, tmp_path: Path) -> None:
        before = snapshot(drawn / "D")
        code, out = cli(*draw_args(drawn / "D", 1, tmp_path / "W1"))
        assert code == 2 and "--supersede" in out and "a plan" in out, out
        assert snapshot(drawn / "D") == before and not (tmp_path / "W1").exists()

    def test_a_broken_ledger_is_refused_and_nothing_changes(self, drawn: Path, tmp_path: Path) -> None:
        book = tmp_path / "copy.sqlite"
        shutil.copy(drawn / "D" / LEDGER_FILE_NAME, book)
        seq = draw_record(drawn / "D", "it-2027Q1").seq
        db = raw(book)
        text = db.execute("SELECT payload FROM records WHERE seq = ?", (seq,)).fetchone()[0]
        db.execute("UPDATE records SET payload = ? WHERE seq = ?", (text.replace('"2027-', '"2026-', 1), seq))
        db.close()
        before = snapshot(book)
        code, out = cli(*draw_args(drawn / "D", 3, tmp_path / "W3", "--ledger", str(book)))
        assert code == 2 and f"fails verification at record seq {seq} (plan)" in out, out
        assert snapshot(book) == before and not (tmp_path / "W3").exists()

    def test_supersede_without_a_reason_and_an_existing_folder_are_refused(self, drawn: Path,
                                                                           tmp_path: Path) -> None:
        code, out = cli(*draw_args(drawn / "D", 3, tmp_path / "W3", "--supersede"))
        assert code == 2 and "--reason" in out, out
        (tmp_path / "W3").mkdir()
        before = snapshot(drawn / "D")
        code, out = cli(*draw_args(drawn / "D", 3, tmp_path / "W3"))
        assert code == 2 and "exists already" in out, out
        assert snapshot(drawn / "D") == before


def _published_digests(data: Path, plan_id: str) -> set[str]:
    with Ledger(data / LEDGER_FILE_NAME, create=False) as book:
        return {r.payload.get("plan_json_sha256") for r in book.records() if r.kind == "published"
                and r.payload["plan_id"] == plan_id}


@pytest.mark.parametrize("step", ["draw:locked", "draw:staged", "draw:pending", "draw:moved", "draw:published"])
def test_draw_killed_at_every_step_is_repaired_by_running_it_again(base: Path, tmp_path: Path, step: str) -> None:
    data = fresh(base, tmp_path)
    out = tmp_path / "W1"
    args = draw_args(data, 1, out)
    killed = run(args, kill_at=step)
    assert killed.returncode == -9, killed.stderr
    code, report = cli("ledger", "verify", "--data", data) if (data / LEDGER_FILE_NAME).exists() else (0, "")
    if step in ("draw:locked", "draw:staged"):
        assert not out.exists() and not (data / LEDGER_FILE_NAME).exists()
    elif step == "draw:published":
        assert code == 0, report
    else:
        assert code == 1 and "the draw it-2027Q1 is pending" in report and "randsup draw" in report, report
        before = (data / LEDGER_FILE_NAME).read_bytes()
        code, said = cli(*draw_args(data, 2, tmp_path / "W2"))  # Q2 would not see Q1 whole: refused
        assert code == 2 and "plan it-2027Q1 of 2027 is pending" in said, said
        assert (data / LEDGER_FILE_NAME).read_bytes() == before and not (tmp_path / "W2").exists()
    run_again(args, done=step == "draw:published", says="nothing to do")
    code, report = cli("ledger", "verify", "--data", data, "--anchors", out)
    assert code == 0, report
    assert hashlib.sha256((out / "draw.json").read_bytes()).hexdigest() in _published_digests(data, "it-2027Q1")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".randsup-")] == []


def test_a_draw_and_a_plan_at_once_run_one_after_the_other(base: Path, tmp_path: Path) -> None:
    data = fresh(base, tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "RANDSUP_TEST_KILL_AT"}
    lock = lock_path(data / LEDGER_FILE_NAME)
    first = subprocess.Popen([sys.executable, "-m", "randsup", *draw_args(data, 1, tmp_path / "W1")], cwd=ROOT,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not lock.exists() and first.poll() is None:
        assert time.monotonic() < deadline, "the draw never took the ledger lock"
        time.sleep(0.01)
    second = subprocess.Popen([sys.executable, "-m", "randsup", *plan_args(data, 2, tmp_path / "P2")], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for p in (first, second):
        _, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
    from randsup.model import Plan

    p2 = Plan.model_validate_json((tmp_path / "P2" / "plan.json").read_bytes())
    assert p2.ledger is not None and [y.plan_id for y in p2.ledger.year_plans] == ["it-2027Q1"]
    code, report = cli("ledger", "verify", "--data", data, "--anchors", tmp_path / "W1", tmp_path / "P2")
    assert code == 0, report


# ---------------------------------------------------------------------------------------
# Results of a draw-only result: recorded against the drawn entities, counted toward the annual cap.


def task_departments(draw_dir: Path) -> dict[str, list[str]]:
    record = json.loads((draw_dir / "public" / "draw-record.json").read_text("utf-8"))
    return {t["task_id"]: t["departments"] for t in record["tasks"]}


def write_results(path: Path, rows: list[tuple[str, ...]],
                  header: str = "entity_id,task_id,department,inspected_on,result") -> Path:
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


class TestDrawResults:
    def test_results_name_entity_task_department_and_date(self, drawn: Path, tmp_path: Path) -> None:
        book = tmp_path / "copy.sqlite"
        shutil.copy(drawn / "D" / LEDGER_FILE_NAME, book)
        d = read_draw(drawn / "W2")
        (task,) = d.draw.tasks
        dep = task_departments(drawn / "W2")["T01"][0]
        a, b = task.selected[:2]
        good = write_results(tmp_path / "r.csv", [(a, "T01", dep, "2027-04-20", "未发现问题"),
                                                  (b, "", dep, "2027-05-06", "发现问题已责令改正")])
        code, out = cli("results", "record", good, "--plan", drawn / "W2", "--ledger", book)
        assert code == 0 and "recorded 2 new result(s)" in out, out
        with Ledger(book, create=False) as ledger:
            rows = [r.payload for r in ledger.records("result")]
            counted = ledger.inspections_per_entity(2027)
        assert {(r["entity_id"], r["task_id"], r["visit_id"], r["inspected_on"]) for r in rows} == {
            (a, "T01", f"T01/{a}", "2027-04-20"), (b, "T01", f"T01/{b}", "2027-05-06")}
        assert counted.get(a, 0) >= 1 and counted.get(b, 0) >= 1
        code, out = cli("results", "record", good, "--plan", drawn / "W2", "--ledger", book)
        assert code == 0 and "recorded 0 new result(s)" in out, out  # idempotent

    def test_bad_rows_are_named_and_nothing_is_recorded(self, drawn: Path, tmp_path: Path) -> None:
        book = tmp_path / "copy.sqlite"
        shutil.copy(drawn / "D" / LEDGER_FILE_NAME, book)
        d = read_draw(drawn / "W2")
        drawn_ids = set(d.draw.tasks[0].selected) | {e for v in d.draw.tasks[0].alternates.values() for e in v}
        dep = task_departments(drawn / "W2")["T01"][0]
        a = d.draw.tasks[0].selected[0]
        from randsup.inputs.load import load_directory

        stranger = next(e for e in sorted(load_directory(drawn / "D").entities.entity_id) if e not in drawn_ids)
        bad = write_results(tmp_path / "bad.csv", [
            (stranger, "T01", dep, "2027-04-20", "未发现问题"),
            (a, "T09", dep, "2027-04-20", "未发现问题"),
            (a, "T01", "NOSUCHDEP", "2027-04-20", "未发现问题"),
            (a, "T01", dep, "2027-03-01", "未发现问题"),
        ])
        before = snapshot(book, drawn / "W2")
        code, out = cli("results", "record", bad, "--plan", drawn / "W2", "--ledger", book)
        assert code == 2 and "4 bad rows" in out, out
        for says in ("not drawn", "task T09 did not draw", "department is not on task T01",
                     "before the start of its quarter 2027-04-01"):
            assert says in visible(out), out
        assert snapshot(book, drawn / "W2") == before

    def test_results_for_a_tampered_or_superseded_draw_are_refused(self, drawn: Path, tmp_path: Path) -> None:
        book = tmp_path / "copy.sqlite"
        shutil.copy(drawn / "D" / LEDGER_FILE_NAME, book)
        copy = tmp_path / "W2"
        shutil.copytree(drawn / "W2", copy)
        (copy / "draw.json").write_text((copy / "draw.json").read_text("utf-8") + " ", encoding="utf-8")
        a = read_draw(copy).draw.tasks[0].selected[0]
        dep = task_departments(copy)["T01"][0]
        rows = write_results(tmp_path / "r.csv", [(a, "T01", dep, "2027-04-20", "未发现问题")])
        before = snapshot(book)
        code, out = cli("results", "record", rows, "--plan", copy, "--ledger", book)
        assert code == 2 and "is not the draw it-2027Q2 the ledger" in visible(out), out
        assert snapshot(book) == before


def visible(text: str) -> str:
    return " ".join(text.split())


def _cap_one(data: Path, quarter: int) -> None:
    spec = data / f"it-2027Q{quarter}.toml"
    text = spec.read_text("utf-8")
    assert "max_inspections_per_entity_per_year = 2" in text
    spec.write_text(text.replace("max_inspections_per_entity_per_year = 2", "max_inspections_per_entity_per_year = 1"),
                    encoding="utf-8")


def test_an_entity_at_its_cap_through_draw_results_is_excluded_from_the_next_plan(base: Path,
                                                                                   tmp_path: Path) -> None:
    from randsup.model import Plan

    control, data = fresh(base, tmp_path / "control"), fresh(base, tmp_path)
    for d in (control, data):
        _cap_one(d, 2)
        code, out = cli(*draw_args(d, 1, d.parent / "W1"))
        assert code == 0, out
    # Without results the draw counts nothing: the control plan of Q2 draws some of W1's entities.
    code, out = cli(*plan_args(control, 2, control.parent / "P2"))
    assert code == 0, out
    control_drawn = {v.entity_id for v in Plan.model_validate_json((control.parent / "P2" / "plan.json").read_bytes()).visits}
    w1 = read_draw(data.parent / "W1").draw.tasks[0].selected
    both = sorted(set(w1) & control_drawn)
    assert len(both) >= 5
    dep = task_departments(data.parent / "W1")["T01"][0]
    results = write_results(tmp_path / "r.csv", [(e, "T01", dep, "2027-02-15", "未发现问题") for e in both])
    code, out = cli("results", "record", results, "--plan", data.parent / "W1", "--data", data)
    assert code == 0, out
    code, out = cli(*plan_args(data, 2, tmp_path / "P2"))
    assert code == 0, out
    p2 = Plan.model_validate_json((tmp_path / "P2" / "plan.json").read_bytes())
    assert set(both).isdisjoint(v.entity_id for v in p2.visits)  # at the cap of 1: excluded
    history = (tmp_path / "P2" / "ledger-history.csv").read_text("utf-8")
    assert all(f"{e},,{dep},2027-02-15" in history for e in both)
    assert sum(s.excluded_at_cap for t in p2.tasks for s in t.strata.values()) >= len(both)
    code, out = cli("verify", tmp_path / "P2", "--data", data)
    assert code == 0, out


# ---------------------------------------------------------------------------------------
# A plan that takes a draw-only result as its 第一随机 (plan --from-draw)


@pytest.fixture(scope="module")
def taken(drawn: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of D (data and ledger) in which plan P2 took the draw W2."""
    root = tmp_path_factory.mktemp("taken")
    shutil.copytree(drawn / "D", root / "D")
    code, out = cli(*plan_args(root / "D", 2, root / "P2", "--from-draw", str(drawn / "W2")))
    assert code == 0, out
    return root


def load_plan(folder: Path):  # noqa: ANN201 - a Plan
    from randsup.model import Plan

    return Plan.model_validate_json((folder / "plan.json").read_bytes())


class TestFromDraw:
    def test_the_selection_is_kept_and_visits_dates_teams_added(self, drawn: Path, taken: Path) -> None:
        d, p = read_draw(drawn / "W2"), load_plan(taken / "P2")
        assert [t.strata for t in p.tasks] == [t.strata for t in d.draw.tasks]
        assert [t.start for t in p.tasks] == [t.start for t in d.draw.tasks]
        assert sorted(v.entity_id for v in p.visits) == sorted(d.draw.tasks[0].selected)
        assert all(v.date is not None and v.inspectors for v in p.visits)
        assert p.alternates["T01"] == tuple(e for k in "ABCD" for e in d.draw.tasks[0].alternates.get(k, ()))
        assert (taken / "P2" / "from-draw" / "draw.json").read_bytes() == (drawn / "W2" / "draw.json").read_bytes()

    def test_the_ledger_records_that_the_plan_took_the_draw(self, drawn: Path, taken: Path) -> None:
        p = load_plan(taken / "P2")
        w2 = draw_record(drawn / "D", "it-2027Q2")
        assert p.ledger is not None and p.ledger.from_draw is not None and p.ledger.supersedes is None
        assert (p.ledger.from_draw.seq, p.ledger.from_draw.draw_json_sha256) == (
            w2.seq, w2.payload["plan_json_sha256"])
        latest = draw_record(taken / "D", "it-2027Q2")
        assert not latest.payload.get("draw_only") and latest.payload["ledger"]["from_draw"]["seq"] == w2.seq
        record = json.loads((taken / "P2" / "public" / "draw-record.json").read_text("utf-8"))
        assert record["ledger"]["from_draw"]["seq"] == w2.seq
        # One version of the plan id counts: the plan's visits, once each.
        with Ledger(taken / "D" / LEDGER_FILE_NAME, create=False) as book:
            versions = [q for q in book.current_plans() if q["plan_id"] == "it-2027Q2"]
            rows = book.history_for(2027)
        assert len(versions) == 1 and not versions[0].get("draw_only")
        q2_days = {(h.entity_id, h.date) for h in rows if h.entity_id in {v.entity_id for v in p.visits}
                   and any(v.entity_id == h.entity_id and v.date == h.date for v in p.visits)}
        assert len(q2_days) == len(p.visits)

    def test_verify_and_anchors(self, drawn: Path, taken: Path) -> None:
        code, out = cli("verify", taken / "P2", "--data", taken / "D")
        assert code == 0 and "anchors were not checked" not in out, out
        code, out = cli("ledger", "verify", "--data", taken / "D", "--anchors", drawn / "W2", taken / "P2")
        assert code == 0, out

    def test_the_draw_record_names_the_history_the_draw_was_made_with(self, drawn: Path, taken: Path) -> None:
        record = json.loads((taken / "P2" / "public" / "draw-record.json").read_text("utf-8"))
        kept = (drawn / "W2" / "ledger-history.csv").read_bytes()
        assert record["ledger_history"] == {"file": "from-draw/ledger-history.csv",
                                            "sha256": hashlib.sha256(kept).hexdigest()}
        example = ROOT / "examples" / "verify_with_consistent_sampler.py"
        r = subprocess.run([sys.executable, str(example), str(taken / "P2"), "--data", str(taken / "D")],
                           capture_output=True, text=True, timeout=600, cwd=ROOT)
        assert r.returncode == 0 and "reproduces every task of plan it-2027Q2" in r.stdout, r.stdout + r.stderr

    def test_verify_catches_another_draw_in_the_plan_folder(self, taken: Path, tmp_path: Path) -> None:
        copy = tmp_path / "P2"
        shutil.copytree(taken / "P2", copy)
        kept = copy / "from-draw" / "draw.json"
        kept.write_bytes(kept.read_bytes().replace(b'"quarter"', b'"quarter" ', 1))
        code, out = cli("verify", copy, "--data", taken / "D")
        assert code == 1 and "from-draw/draw.json: is not the draw.json plan.json states" in out, out

    def test_the_same_draw_taken_by_a_second_plan_needs_supersede(self, drawn: Path, taken: Path,
                                                                   tmp_path: Path) -> None:
        before = snapshot(taken / "D")
        code, out = cli(*plan_args(taken / "D", 2, tmp_path / "P2b", "--from-draw", str(drawn / "W2"),
                                   "--published-on", "2027-03-20"))
        assert code == 2 and "--supersede" in out, out
        assert snapshot(taken / "D") == before and not (tmp_path / "P2b").exists()

    def test_a_plan_cannot_take_a_draw_it_does_not_match(self, drawn: Path, tmp_path: Path) -> None:
        data = tmp_path / "D"
        shutil.copytree(drawn / "D", data)
        before = snapshot(data)
        other_seed = plan_args(data, 2, tmp_path / "X1", "--from-draw", str(drawn / "W2"))
        other_seed[other_seed.index(SOURCES[2][0])] = "4 5 7"
        cases = {
            "it was drawn from another seed": other_seed,
            "differs from the plan's spec in plan_id, quarter":
                plan_args(data, 3, tmp_path / "X2", "--from-draw", str(drawn / "W2")),
            "not a draw folder": plan_args(data, 2, tmp_path / "X3", "--from-draw", str(drawn / "P1")),
        }
        for says, args in cases.items():
            code, out = cli(*args)
            assert code == 2 and says in visible(out), (says, out)
        assert snapshot(data) == before and not any((tmp_path / f"X{i}").exists() for i in (1, 2, 3))

    def test_a_tampered_draw_folder_is_refused(self, drawn: Path, tmp_path: Path) -> None:
        data = tmp_path / "D"
        shutil.copytree(drawn / "D", data)
        before = snapshot(data)
        for name, says in (("draw.json", "does not match the draw recomputed"),
                           ("public/draw-notice.md", "is not the file record seq")):
            copy = tmp_path / f"W2-{name.replace('/', '-')}"
            shutil.copytree(drawn / "W2", copy)
            f = copy / name
            if name == "draw.json":  # the first two drawn entities swapped: the same set, another order
                d = json.loads(f.read_text("utf-8"))
                sel = d["draw"]["tasks"][0]["selected"]
                sel[0], sel[1] = sel[1], sel[0]
                f.write_text(json.dumps(d, ensure_ascii=False, indent=2), encoding="utf-8")
            else:
                f.write_text(f.read_text("utf-8") + "\n", encoding="utf-8")
            code, out = cli(*plan_args(data, 2, tmp_path / "X", "--from-draw", str(copy)))
            assert code == 2 and says in visible(out), (name, out)
        assert snapshot(data) == before and not (tmp_path / "X").exists()

    def test_a_draw_of_another_data_folder_is_refused(self, drawn: Path, tmp_path: Path) -> None:
        from test_ledger import write_spec

        from randsup.demo.synth import write_demo_data

        other = tmp_path / "E"
        write_demo_data(other, entities=2000, inspectors=200, seed=4)
        write_spec(other, 2)
        code, out = cli(*plan_args(other, 2, tmp_path / "X", "--from-draw", str(drawn / "W2")))
        assert code == 2 and "it was drawn from other data" in visible(out), out
        assert not (tmp_path / "X").exists() and not (other / LEDGER_FILE_NAME).exists()

    def test_a_draw_with_results_or_superseded_is_refused(self, drawn: Path, tmp_path: Path) -> None:
        data = tmp_path / "D"
        shutil.copytree(drawn / "D", data)
        a = read_draw(drawn / "W2").draw.tasks[0].selected[0]
        dep = task_departments(drawn / "W2")["T01"][0]
        rows = write_results(tmp_path / "r.csv", [(a, "T01", dep, "2027-04-20", "未发现问题")])
        code, out = cli("results", "record", rows, "--plan", drawn / "W2", "--data", data)
        assert code == 0, out
        before = snapshot(data)
        code, out = cli(*plan_args(data, 2, tmp_path / "X", "--from-draw", str(drawn / "W2")))
        assert code == 2 and "already has results recorded" in visible(out), out
        assert snapshot(data) == before
        # Another draw of the plan id replaced W2: W2 can no longer be taken.
        data2 = tmp_path / "D2"
        shutil.copytree(drawn / "D", data2)
        redraw = draw_args(data2, 2, tmp_path / "W2b", "--supersede", "--reason", "重新抽取")
        redraw[redraw.index(SOURCES[2][0])] = "4 5 7"
        code, out = cli(*redraw)
        assert code == 0, out
        code, out = cli(*plan_args(data2, 2, tmp_path / "X", "--from-draw", str(drawn / "W2")))
        assert code == 2 and "is no longer the current version" in visible(out), out


# ---------------------------------------------------------------------------------------
# The reveal of an unannounced draw (公布盐值), after its quarter


def test_an_unannounced_draw_is_revealed_after_its_quarter_and_verified(base: Path, tmp_path: Path) -> None:
    salt = "省局-2027Q1-draw-salt"
    data = fresh(base, tmp_path)
    spec = data / "it-2027Q1.toml"
    commitment = "sha256:" + hashlib.sha256(salt.encode()).hexdigest()
    spec.write_text(spec.read_text("utf-8").replace("announced = true\n", "").replace(
        "[seed]\n", f'[seed]\nsalt_commitment = "{commitment}"\n'), encoding="utf-8")
    (tmp_path / "salt.txt").write_text(salt + "\n", encoding="utf-8")
    out = tmp_path / "W1"
    code, said = cli(*draw_args(data, 1, out, "--salt-file", str(tmp_path / "salt.txt")))
    assert code == 0, said
    reveal = ["reveal", str(out), "--salt-file", str(tmp_path / "salt.txt"), "--data", str(data)]
    before = snapshot(out, data)
    code, said = cli(*reveal, "--as-of", "2027-03-31")  # the quarter's last day: still being inspected
    assert code == 2 and "is inspected during 2027Q1, until 2027-03-31" in visible(said), said
    assert snapshot(out, data) == before
    code, said = cli("verify", out, "--data", data)  # before the reveal the salt is needed
    assert code == 2 and "commits to a secret salt" in visible(said), said
    code, said = cli(*reveal, "--as-of", "2027-04-01")
    assert code == 0 and "revealed plan it-2027Q1" in said, said
    record = json.loads((out / "public" / "reveal.json").read_text("utf-8"))
    assert record["salt"] == salt
    d = read_draw(out)
    listed = (out / "public" / "drawn-list.csv").read_text("utf-8")
    assert all(e in listed for e in d.draw.tasks[0].selected)
    code, said = cli("verify", out, "--data", data)  # the revealed salt suffices now
    assert code == 0 and "salt matches its commitment" in visible(said), said
    code, said = cli("ledger", "verify", "--data", data, "--anchors", out)
    assert code == 0, said
    code, said = cli(*reveal, "--as-of", "2027-04-02")
    assert code == 2 and "revealed already" in visible(said), said
    # A changed drawn list is caught by verify's recomputation of the reveal.
    f = out / "public" / "drawn-list.csv"
    f.write_text(f.read_text("utf-8").replace(d.draw.tasks[0].selected[0], "X" * 18, 1), encoding="utf-8")
    code, said = cli("verify", out, "--data", data)
    assert code == 1 and "drawn-list.csv" in said, said
