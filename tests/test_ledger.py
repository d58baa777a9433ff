"""The history ledger: hash chain and tamper detection, crash safety, concurrent writers, history."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_publish import small_directory
from typer.testing import CliRunner

from randsup.cli import app
from randsup.errors import LedgerError
from randsup.history.ledger import (
    Ledger,
    default_ledger_path,
    history_csv,
    with_history_file,
    with_ledger_history,
)
from randsup.model import Assignment, HistoryVisit, Plan, PlanTask, Visit

ROOT = Path(__file__).resolve().parents[1]


def tiny_plan(plan_id: str = "P-2026Q3", quarter: str = "2026Q3", *, day: dt.date = dt.date(2026, 9, 30),
              visits: int = 3, salt_commitment: str | None = None) -> Plan:
    """A hand-made plan: ``visits`` visits of D01 (two with D02 too), two inspectors per department."""
    vs = []
    for k in range(visits):
        deps = ("D01", "D02") if k % 2 == 0 else ("D01",)
        team = [Assignment(inspector_id=f"P{k % 3 + 1:03d}", department_id="D01"),
                Assignment(inspector_id=f"P{(k + 1) % 3 + 1:03d}", department_id="D01")]
        if "D02" in deps:
            team += [Assignment(inspector_id="Q001", department_id="D02"),
                     Assignment(inspector_id="Q002", department_id="D02")]
        vs.append(Visit(visit_id=f"V{k + 1:04d}", entity_id=f"91310117MA1G00000{k}", entity_name=f"松江第{k}公司",
                        date=day - dt.timedelta(days=k), lead_department="D01", departments=deps,
                        tasks=("T001", "T002") if "D02" in deps else ("T001",), check_items=("C0101",),
                        inspectors=tuple(team)))
    return Plan(plan_id=plan_id, quarter=quarter,
                seed={"key_string": "9319./", "salt_commitment": salt_commitment, "seed_hex": "ab" * 32},
                inputs={"entities.csv": "00" * 32}, software={"randsup": "0.1.0"},
                tasks=(PlanTask(task_id="T001", name="食品销售者监督检查", lead_department="D01",
                                departments=("D01",), task_seed="s1", strata={}),
                       PlanTask(task_id="T002", name="公共场所卫生监督检查", lead_department="D02",
                                departments=("D02",), task_seed="s2", strata={})),
                visits=tuple(vs), alternates={"T001": ("91310117MA1G000099",)}, stats={"visits": visits})


def filled_ledger(path: Path) -> Ledger:
    book = Ledger(path)
    book.append("note", {"n": 1})
    book.record_plan(tiny_plan(), plan_json_sha256="11" * 32, at="2026-07-01T00:00:00+00:00")
    book.record_change("P-2026Q3", {"type": "recusal", "visit_id": "V0001", "department_id": "D01",
                                    "inspector_out": "P001", "inspector_in": "P003", "plan_json_sha256": "22" * 32},
                       reason="亲属关系", actor="科长", at="2026-07-02T00:00:00+00:00")
    book.record_results([{"plan_id": "P-2026Q3", "visit_id": "V0001", "n": i} for i in range(2)])
    return book


def raw(path: Path) -> sqlite3.Connection:
    """Plain SQL access, as someone editing the file by hand would have (append-only triggers dropped)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DROP TRIGGER IF EXISTS records_append_only_update")
    db.execute("DROP TRIGGER IF EXISTS records_append_only_delete")
    return db


def issues_of(path: Path) -> list[str]:
    with Ledger(path, create=False) as book:
        return [str(i) for i in book.verify()]


class TestChain:
    def test_intact_ledger_verifies_and_cli_exits_0(self, tmp_path: Path) -> None:
        p = tmp_path / "l.sqlite"
        filled_ledger(p).close()
        assert issues_of(p) == []
        r = CliRunner().invoke(app, ["ledger", "verify", "--ledger", str(p)])
        assert r.exit_code == 0, r.output
        assert "intact: 6 records" in r.output

    def test_records_are_append_only_through_sqlite_too(self, tmp_path: Path) -> None:
        p = tmp_path / "l.sqlite"
        filled_ledger(p).close()
        db = sqlite3.connect(p)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE records SET kind = 'x' WHERE seq = 2")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM records WHERE seq = 2")

    @pytest.mark.parametrize("seq", [1, 2, 3, 4, 5, 6])
    def test_edited_payload_is_named(self, tmp_path: Path, seq: int) -> None:
        p = tmp_path / "l.sqlite"
        filled_ledger(p).close()
        db = raw(p)
        text = db.execute("SELECT payload FROM records WHERE seq = ?", (seq,)).fetchone()[0]
        edited = json.loads(text) | {"tampered": True}
        db.execute("UPDATE records SET payload = ? WHERE seq = ?", (json.dumps(edited), seq))
        kind = db.execute("SELECT kind FROM records WHERE seq = ?", (seq,)).fetchone()[0]
        found = issues_of(p)
        assert found and found[0].startswith(f"record seq {seq} ({kind})")
        assert "edited" in found[0]

    def test_edit_with_recomputed_hash_is_caught_by_the_next_record(self, tmp_path: Path) -> None:
        from randsup.history.ledger import record_hash

        p = tmp_path / "l.sqlite"
        filled_ledger(p).close()
        db = raw(p)
        kind, prev = db.execute("SELECT kind, prev_hash FROM records WHERE seq = 3").fetchone()
        text = '{"plan_id":"forged"}'
        db.execute("UPDATE records SET payload = ?, hash = ? WHERE seq = 3",
                   (text, record_hash(3, kind, text, prev)))
        found = issues_of(p)
        assert any(f.startswith("record seq 4 (change)") and "previous-record hash" in f for f in found)

    @pytest.mark.parametrize("seq", [1, 3, 6])
    def test_deleted_row_is_named(self, tmp_path: Path, seq: int) -> None:
        p = tmp_path / "l.sqlite"
        filled_ledger(p).close()
        raw(p).execute("DELETE FROM records WHERE seq = ?", (seq,))
        found = issues_of(p)
        assert found, "deleting a record must be detected"
        if seq == 6:  # the last one: only the stored head notices
            assert "record seq 5 (result)" in found[0] and "head" in found[0]
        else:
            assert found[0].startswith(f"record seq {seq + 1}") and "missing" in found[0]

    def test_swapped_rows_are_named(self, tmp_path: Path) -> None:
        p = tmp_path / "l.sqlite"
        filled_ledger(p).close()
        db = raw(p)
        a = db.execute("SELECT kind, payload, prev_hash, hash FROM records WHERE seq = 2").fetchone()
        b = db.execute("SELECT kind, payload, prev_hash, hash FROM records WHERE seq = 4").fetchone()
        db.execute("UPDATE records SET kind=?, payload=?, prev_hash=?, hash=? WHERE seq = 2", b)
        db.execute("UPDATE records SET kind=?, payload=?, prev_hash=?, hash=? WHERE seq = 4", a)
        found = issues_of(p)
        assert found[0].startswith("record seq 2 (change)")
        r = CliRunner().invoke(app, ["ledger", "verify", "--ledger", str(p)])
        assert r.exit_code == 1
        assert "record seq 2 (change)" in r.output

    def test_reordered_seq_numbers_are_caught(self, tmp_path: Path) -> None:
        p = tmp_path / "l.sqlite"
        filled_ledger(p).close()
        db = raw(p)
        db.execute("UPDATE records SET seq = 100 WHERE seq = 5")
        db.execute("UPDATE records SET seq = 5 WHERE seq = 6")
        db.execute("UPDATE records SET seq = 6 WHERE seq = 100")
        assert issues_of(p), "exchanging two records' positions must be detected"

    def test_not_a_ledger_is_a_clear_error(self, tmp_path: Path) -> None:
        p = tmp_path / "junk.sqlite"
        p.write_bytes(b"this is not sqlite" * 100)
        with pytest.raises(LedgerError, match="not a randsup ledger"):
            Ledger(p)
        other = tmp_path / "other.sqlite"
        sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
        before = other.read_bytes()
        for create in (False, True):  # opening to write must not add randsup's tables either
            with pytest.raises(LedgerError, match=r"not a randsup ledger \(its tables: t\)"):
                Ledger(other, create=create)
        assert other.read_bytes() == before
        r = CliRunner().invoke(app, ["ledger", "verify", "--ledger", str(tmp_path / "none.sqlite")])
        assert r.exit_code == 2 and "no ledger" in r.output

    def test_a_new_ledger_appears_only_with_its_first_record(self, tmp_path: Path) -> None:
        p = tmp_path / "new.sqlite"
        with Ledger(p) as book:
            assert book.head()[0] == 0 and book.records() == [] and book.verify() == []
            assert not p.exists(), "reading an empty ledger must not create its file"
            with pytest.raises(RuntimeError), book._write():
                raise RuntimeError("refused half-way")
            assert not p.exists() and not list(tmp_path.iterdir()), "a failed first write leaves nothing"
            book.append("note", {"x": 1})
        assert p.exists()
        with Ledger(p, create=False) as book:
            assert [r.kind for r in book.records()] == ["note"] and book.verify() == []


class TestPlansAndHistory:
    def test_plan_is_recorded_once_per_digest(self, tmp_path: Path) -> None:
        with Ledger(tmp_path / "l.sqlite") as book:
            a = book.record_plan(tiny_plan(), plan_json_sha256="11" * 32)
            b = book.record_plan(tiny_plan(), plan_json_sha256="11" * 32)
            assert a == b
            assert [r.kind for r in book.records()] == ["draw", "plan"]

    def test_history_applies_changes_and_skips_the_plan_being_made(self, tmp_path: Path) -> None:
        with filled_ledger(tmp_path / "l.sqlite") as book:
            h = book.history_for(2026)
            assert HistoryVisit(entity_id="91310117MA1G000000", inspector_id="P003", department_id="D01",
                                date=dt.date(2026, 9, 30)) in h
            assert not any(x.inspector_id == "P001" and x.entity_id == "91310117MA1G000000" for x in h)
            assert book.history_for(2027) == []
            assert book.history_for(2026, exclude_plan_id="P-2026Q3") == []
            assert book.inspections_per_entity(2026) == {f"91310117MA1G00000{k}": 1 for k in range(3)}

    def test_with_ledger_history_extends_directory_and_names_it_in_digests(self, tmp_path: Path) -> None:
        d = small_directory()
        with filled_ledger(tmp_path / "l.sqlite") as book:
            merged = with_ledger_history(d, book, 2026)
            assert len(merged.history) == len(book.history_for(2026)) > 0
            assert "ledger-history.csv" in merged.digests
            assert with_ledger_history(d, book, 2025) is d

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.tuples(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
                                                    exclude_characters="'"),
                                      min_size=1, max_size=8),
                              st.text("=+-@PQ0123", min_size=1, max_size=5),
                              st.sampled_from(["D01", "D02"]),
                              st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))), max_size=8))
    def test_history_file_round_trips(self, rows: list[tuple[str, str, str, dt.date]]) -> None:
        import tempfile

        hist = [HistoryVisit(entity_id=e, inspector_id=i, department_id=d, date=day) for e, i, d, day in rows]
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "ledger-history.csv").write_text(history_csv(hist), encoding="utf-8")
            merged = with_history_file(small_directory(), tmp)
        assert set(merged.history) == set(hist)

    def test_default_path_sits_beside_the_data(self, tmp_path: Path) -> None:
        assert default_ledger_path(tmp_path) == tmp_path / "randsup-ledger.sqlite"
        wb = tmp_path / "data.xlsx"
        wb.write_bytes(b"")
        assert default_ledger_path(wb) == tmp_path / "randsup-ledger.sqlite"


class TestConcurrency:
    def test_second_writer_waits_then_succeeds(self, tmp_path: Path) -> None:
        p = tmp_path / "l.sqlite"
        with Ledger(p) as first:
            first.append("x", {"a": 0})
        other = sqlite3.connect(p, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
        t0 = time.monotonic()
        with Ledger(p, busy_timeout=5) as book:
            book.append("x", {"a": 1})
            assert time.monotonic() - t0 >= 0.2  # it waited for the other writer
            assert book.verify() == [] and book.head()[0] == 2

    def test_locked_ledger_fails_with_a_clear_message_and_loses_nothing(self, tmp_path: Path) -> None:
        p = tmp_path / "l.sqlite"
        with Ledger(p) as book:
            book.append("x", {"a": 1})
            other = sqlite3.connect(p, isolation_level=None, check_same_thread=False)
            other.execute("BEGIN IMMEDIATE")
            book.busy_timeout = 0.2
            book._db.execute("PRAGMA busy_timeout = 200")
            with pytest.raises(LedgerError, match="locked by another randsup process"):
                book.append("x", {"a": 2})
            other.execute("ROLLBACK")
            book.append("x", {"a": 3})
            assert [r.payload["a"] for r in book.records()] == [1, 3]
            assert book.verify() == []


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_ledger import tiny_plan
    from randsup.history.ledger import Ledger

    path, marker, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    book = Ledger(path)
    if mode == "stall":
        real = Ledger._append
        calls = []
        def stalling(self, kind, payload):
            seq = real(self, kind, payload)
            calls.append(kind)
            if kind == "draw":  # inside the plan's transaction, before its plan record
                marker.write_text("in transaction")
                time.sleep(60)
            return seq
        Ledger._append = stalling
        book.record_plan(tiny_plan("P-KILLED"), plan_json_sha256="33" * 32)
    else:  # loop: many plans, killed at a random moment
        marker.write_text("started")
        for i in range(10_000):
            book.record_plan(tiny_plan(f"P-{{i:05d}}", visits=40), plan_json_sha256=f"{{i:064x}}")
""")


def _child(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(tests=str(ROOT / "tests")))
    ledger, marker = tmp_path / "l.sqlite", tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, str(script), str(ledger), str(marker), mode],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.poll() is None, "the child process died before it started writing"
        assert time.monotonic() < deadline, "the child never reached its write"
        time.sleep(0.02)
    return proc, ledger, marker


class TestCrash:
    def test_sigkill_inside_a_plan_transaction_leaves_none_of_it(self, tmp_path: Path) -> None:
        p = tmp_path / "l.sqlite"
        with Ledger(p) as book:
            book.record_plan(tiny_plan("P-BEFORE"), plan_json_sha256="44" * 32)
        proc, ledger, _ = _child(tmp_path, "stall")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with Ledger(ledger, create=False) as book:
            assert book.verify() == []
            ids = {r.payload["plan_id"] for r in book.records() if "plan_id" in r.payload}
            assert ids == {"P-BEFORE"}
            assert book.head()[0] == 2
            book.record_plan(tiny_plan("P-AFTER"), plan_json_sha256="55" * 32)  # still writable
            assert book.verify() == []

    def test_sigkill_at_a_random_moment_keeps_every_plan_whole(self, tmp_path: Path) -> None:
        proc, ledger, _ = _child(tmp_path, "loop")
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with Ledger(ledger, create=False) as book:
            assert book.verify() == []
            kinds: dict[str, list[str]] = {}
            for r in book.records():
                kinds.setdefault(r.payload["plan_id"], []).append(r.kind)
            assert kinds, "the child should have committed some plans in 0.5 s"
            assert all(k == ["draw", "plan"] for k in kinds.values())


# ---------------------------------------------------------------------------------------
# Consecutive quarters planned from the ledger (demo data, small sizes, through the CLI).

SOURCES = {1: ["1 2 3", "3000.5"], 2: ["4 5 6", "3100.5"], 3: ["7 8 9", "3200.5"]}


def write_spec(data: Path, quarter: int) -> Path:
    """One 不定向 task of 15 % per class, annual cap 2, on the demo's 2027 holidays file."""
    p = data / f"it-2027Q{quarter}.toml"
    p.write_text(textwrap.dedent(f"""
        plan_id = "it-2027Q{quarter}"
        quarter = "2027Q{quarter}"
        authority = "松江区联席会议办公室"
        team_size = 2
        max_inspections_per_entity_per_year = 2
        holidays = "holidays-2027.toml"
        announced = true
        [seed]
        sources = ["双色球", "上证指数"]
        [[tasks]]
        task_id = "T01"
        name = "食品销售者监督检查"
        check_items = ["SJ01C092", "SJ01C093"]
        ratio = {{ A = 0.15, B = 0.15, C = 0.15, D = 0.15 }}
    """), encoding="utf-8")
    return p


def plan_cli(data: Path, quarter: int, out: Path, *ledger: str) -> Plan:
    args = ["plan", str(data), str(data / f"it-2027Q{quarter}.toml"), "--out", str(out)]
    for s in SOURCES[quarter]:
        args += ["--source", s]
    r = CliRunner().invoke(app, [*args, *ledger])
    assert r.exit_code == 0, r.output
    return Plan.model_validate_json((out / "plan.json").read_bytes())


def quarter_data(data: Path) -> Path:
    """Small demo data (2,000 entities, 200 inspectors) with the specs of 2027Q1–Q3, no ledger yet."""
    from randsup.demo.synth import write_demo_data

    write_demo_data(data, entities=2000, inspectors=200, seed=3)
    for q in (1, 2, 3):
        write_spec(data, q)
    return data


@pytest.fixture(scope="module")
def quarters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """D (2,000 entities, 200 inspectors) and plans P1, P2, P3 of 2027Q1–Q3, each from the ledger in D."""
    root = tmp_path_factory.mktemp("quarters")
    quarter_data(root / "D")
    for q in (1, 2, 3):
        plan_cli(root / "D", q, root / f"P{q}")
    return root


def entity_visits(*plans: Plan) -> dict[str, list[tuple[str, frozenset[tuple[str, str]]]]]:
    out: dict[str, list[tuple[str, frozenset[tuple[str, str]]]]] = {}
    for p in plans:
        for v in p.visits:
            out.setdefault(v.entity_id, []).append(
                (p.quarter, frozenset((a.inspector_id, a.department_id) for a in v.inspectors)))
    return out


def load(root: Path, name: str) -> Plan:
    return Plan.model_validate_json((root / name / "plan.json").read_bytes())


class TestQuarters:
    def test_rotation_across_quarters_comes_from_the_ledger(self, quarters: Path, tmp_path: Path) -> None:
        p1, p2 = load(quarters, "P1"), load(quarters, "P2")
        both = {e: v for e, v in entity_visits(p1, p2).items() if len(v) == 2}
        assert len(both) >= 20  # enough entities drawn in both quarters for the rule to matter
        for e, ((_, team1), (_, team2)) in both.items():
            assert not team1 & team2, f"{e}: the same inspector of the same department in Q1 and Q2"
        # Without the ledger the same seed repeats inspectors on some of them: the ledger is what prevents it.
        blind = plan_cli(quarters / "D", 2, tmp_path / "blind", "--ledger", str(tmp_path / "empty.sqlite"))
        repeats = [e for e, v in entity_visits(p1, blind).items() if len(v) == 2 and v[0][1] & v[1][1]]
        assert repeats

    def test_annual_cap_across_quarters_comes_from_the_ledger(self, quarters: Path, tmp_path: Path) -> None:
        p1, p2, p3 = (load(quarters, f"P{q}") for q in (1, 2, 3))
        visits = entity_visits(p1, p2, p3)
        assert max(len(v) for v in visits.values()) <= 2  # max_inspections_per_entity_per_year
        at_cap = {e for e, v in entity_visits(p1, p2).items() if len(v) == 2}
        assert not at_cap & {v.entity_id for v in p3.visits}
        excluded = sum(s.excluded_at_cap for t in p3.tasks for s in t.strata.values())
        assert excluded >= len(at_cap) > 0
        blind = plan_cli(quarters / "D", 3, tmp_path / "blind", "--ledger", str(tmp_path / "empty.sqlite"))
        assert at_cap & {v.entity_id for v in blind.visits}, "without the ledger the cap would be broken"

    @pytest.mark.parametrize("name", ["P1", "P2", "P3"])
    def test_every_quarter_verifies(self, quarters: Path, name: str) -> None:
        r = CliRunner().invoke(app, ["verify", str(quarters / name), "--data", str(quarters / "D")])
        assert r.exit_code == 0, r.output
        assert (quarters / name / "ledger-history.csv").is_file() == (name != "P1")

    def test_the_ledger_holds_each_plan_and_verifies(self, quarters: Path) -> None:
        import hashlib

        r = CliRunner().invoke(app, ["ledger", "verify", "--data", str(quarters / "D")])
        assert r.exit_code == 0, r.output
        with Ledger(default_ledger_path(quarters / "D"), create=False) as book:
            assert [r.kind for r in book.records()] == ["snapshot", *["draw", "plan", "published"] * 3]
            for q in (1, 2, 3):
                rec = book.plan_record(f"it-2027Q{q}")
                assert rec is not None
                digest = hashlib.sha256((quarters / f"P{q}" / "plan.json").read_bytes()).hexdigest()
                assert rec.payload["plan_json_sha256"] == digest
                assert len(rec.payload["visits"]) == len(load(quarters, f"P{q}").visits)

    def test_replanning_the_latest_quarter_is_byte_identical(self, quarters: Path, tmp_path: Path) -> None:
        # The ledger now holds Q3 itself; a re-run leaves its own earlier run out of the history.
        plan_cli(quarters / "D", 3, tmp_path / "P3again")
        for name in ("plan.json", "ledger-history.csv", "manifest.json"):
            assert (tmp_path / "P3again" / name).read_bytes() == (quarters / "P3" / name).read_bytes()


def test_a_plan_made_through_the_library_with_a_ledger_verifies(quarters: Path, tmp_path: Path) -> None:
    """Issue 10: plan_with_ledger writes the history it read beside the plan, so verify can recompute it."""
    import randsup

    data = quarters / "D"
    book_path = tmp_path / "ledger.sqlite"
    spec1, spec2 = (randsup.load_spec(data / f"it-2027Q{q}.toml") for q in (1, 2))
    with Ledger(book_path) as book:
        for q, spec in ((1, spec1), (2, spec2)):
            seed = randsup.PublicSeed.for_spec(spec.seed, SOURCES[q])
            randsup.plan_with_ledger(randsup.load_directory(data), spec, seed, book, tmp_path / f"L{q}")
        assert [r.payload["plan_id"] for r in book.records("plan")] == ["it-2027Q1", "it-2027Q2"]
    assert (tmp_path / "L2" / "ledger-history.csv").is_file()
    for q in (1, 2):
        report = randsup.verify_plan(tmp_path / f"L{q}", data=data)
        assert report.plan_id == f"it-2027Q{q}"


def test_write_plan_refuses_ledger_history_it_cannot_keep(quarters: Path, tmp_path: Path) -> None:
    """A directory extended by with_ledger_history, written without its history file, would not verify."""
    import randsup

    data = quarters / "D"
    spec = randsup.load_spec(data / "it-2027Q2.toml")
    with Ledger(default_ledger_path(data), create=False) as book:
        directory = randsup.with_ledger_history(randsup.load_directory(data), book, 2027,
                                                exclude_plan_id=spec.plan_id)
    plan = randsup.make_plan(directory, spec, randsup.PublicSeed.for_spec(spec.seed, SOURCES[2]))
    with pytest.raises(randsup.OutputError, match="plan_with_ledger"):
        randsup.write_plan(plan, tmp_path / "out", spec=spec, directory=directory)
    assert not (tmp_path / "out").exists()
