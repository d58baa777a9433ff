"""抽查结果: categories and row errors, the 20-working-day deadline, due lists and the public notice."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import chinese_calendar
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ledger import plan_cli, tiny_plan, write_spec
from typer.testing import CliRunner

from randsup.assign.workdays import WorkingCalendar
from randsup.cli import app
from randsup.errors import InputError, LedgerError
from randsup.history.ledger import Ledger
from randsup.history.results import (
    RESULT_CATEGORIES,
    RESULT_SUB_TYPES,
    canonical_result,
    due_results,
    publication_deadline,
    publish_results,
    read_results_file,
    record_results,
)
from randsup.model import Plan
from randsup.publish.render import plan_json_bytes

HEADER = "visit_id,department_id,result,sub_result,inspected_on,notes\n"
# tiny_plan(): V0001 on 2026-09-30 (D01, D02), V0002 on 2026-09-29 (D01), V0003 on 2026-09-28 (D01, D02).
GOOD = (HEADER +
        "V0001,D01,未发现问题,,2026-09-30,\n"
        "V0001,D02,发现问题待后续处理,未按规定公示应当公示的信息,2026-09-30,需复查\n"
        "V0002,D01,发现问题经责令已改正,,2026/9/29,\n")


def plan_dir(tmp_path: Path, plan: Plan | None = None) -> Path:
    d = tmp_path / "plan"
    d.mkdir()
    (d / "plan.json").write_bytes(plan_json_bytes(plan or tiny_plan()))
    (d / "spec.json").write_text(json.dumps({"authority": "松江区联席会议办公室"}), encoding="utf-8")
    return d


def write(tmp_path: Path, text: str, name: str = "results.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def naive_deadline(d: dt.date, n: int) -> dt.date:
    """Independent of randsup.assign.workdays: chinese_calendar's own is_workday, day by day."""
    while n:
        d += dt.timedelta(days=1)
        n -= chinese_calendar.is_workday(d)
    return d


class TestDeadline:
    def test_inspection_before_national_day_skips_the_holiday(self) -> None:
        cal = WorkingCalendar.for_quarter("2026Q3")
        day = dt.date(2026, 9, 30)  # the working day before 国庆节 2026 (10-01 … 10-07 off, 10-10 worked)
        assert chinese_calendar.is_workday(day) and not chinese_calendar.is_workday(dt.date(2026, 10, 1))
        deadline = publication_deadline(day, cal)
        assert deadline == dt.date(2026, 11, 3) == naive_deadline(day, 20)
        # Counting weekdays only would land a week early, inside the window the holiday took away.
        weekdays, d = 0, day
        while weekdays < 20:
            d += dt.timedelta(days=1)
            weekdays += d.weekday() < 5
        assert d == dt.date(2026, 10, 28) < deadline

    @settings(max_examples=40, deadline=None)
    @given(st.dates(dt.date(2025, 1, 1), dt.date(2026, 10, 31)))
    def test_deadline_is_the_20th_working_day(self, day: dt.date) -> None:
        cal = WorkingCalendar.for_quarter("2025Q1")
        assert publication_deadline(day, cal) == naive_deadline(day, 20)


class TestCategories:
    def test_every_category_and_sub_type_is_its_own_canonical_name(self) -> None:
        for c in RESULT_CATEGORIES + RESULT_SUB_TYPES:
            assert canonical_result(c) == c
        assert len(RESULT_CATEGORIES) == 11

    @pytest.mark.parametrize(("text", "canon"), [
        ("通过登记的住所(经营场所)无法联系", "通过登记的住所（经营场所）无法联系"),
        (" 未发现问题 ", "未发现问题"),
        ("发现问题经责令已改正", "发现问题已责令改正"),
        ("吊证", "被吊销"),
        ("公示信息隐瞒真实情况、弄虚作假", "公示信息隐瞒真实情况弄虚作假"),
    ])
    def test_spellings_of_other_platforms_are_accepted(self, text: str, canon: str) -> None:
        assert canonical_result(text) == canon

    def test_unknown_text_is_no_category(self) -> None:
        assert canonical_result("合格") is None


class TestReading:
    def test_good_file_gives_results_with_deadlines(self, tmp_path: Path) -> None:
        rs = read_results_file(write(tmp_path, GOOD), tiny_plan(), WorkingCalendar.for_quarter("2026Q3"))
        assert [(r.visit_id, r.department_id, r.result) for r in rs] == [
            ("V0001", "D01", "未发现问题"), ("V0001", "D02", "发现问题待后续处理"), ("V0002", "D01", "发现问题已责令改正")]
        assert rs[1].sub_result == "未按规定公示应当公示的信息"
        assert rs[0].deadline == dt.date(2026, 11, 3)
        assert rs[2].inspected_on == dt.date(2026, 9, 29)

    def test_xlsx_with_chinese_headers_and_date_cells(self, tmp_path: Path) -> None:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["检查编号", "部门编码", "检查结果", "结果细类", "检查日期", "备注"])
        ws.append(["V0003", "D02", "注销", None, dt.datetime(2026, 9, 28), None])
        p = tmp_path / "r.xlsx"
        wb.save(p)
        (r,) = read_results_file(p, tiny_plan(), WorkingCalendar.for_quarter("2026Q3"))
        assert (r.visit_id, r.department_id, r.result, r.inspected_on) == ("V0003", "D02", "注销", dt.date(2026, 9, 28))

    def test_bad_rows_one_message_each_and_exit_2(self, tmp_path: Path) -> None:
        bad = (HEADER +
               "V0001,D01,未发现问题,,2026-09-30,\n"      # row 2: fine
               "V0001,D02,合格,,2026-09-30,\n"            # row 3: unknown category
               "V9999,D01,未发现问题,,2026-09-30,\n"      # row 4: unknown visit
               "V0002,D01,未发现问题,,2026-09-01,\n"      # row 5: before the planned 2026-09-29
               "V0002,D02,未发现问题,,2026-09-29,\n"      # row 6: D02 is not on V0002
               "V0003,D01,注销,,昨天,\n")                  # row 7: not a date
        p = write(tmp_path, bad)
        with pytest.raises(InputError) as info:
            read_results_file(p, tiny_plan(), WorkingCalendar.for_quarter("2026Q3"))
        probs = info.value.problems
        assert [(x.row, x.column) for x in probs] == [
            (3, "result"), (4, "visit_id"), (5, "inspected_on"), (6, "department_id"), (7, "inspected_on")]
        assert "合格" in str(probs[0]) and "V9999" in str(probs[1]) and "2026-09-29" in str(probs[2])

        d = plan_dir(tmp_path)
        r = CliRunner().invoke(app, ["results", "record", str(p), "--plan", str(d),
                                     "--ledger", str(tmp_path / "l.sqlite")])
        assert r.exit_code == 2
        assert "Traceback" not in r.output
        for row in (3, 4, 5, 6, 7):
            assert r.output.count(f"row {row},") == 1, r.output
        assert "row 2," not in r.output
        with Ledger(tmp_path / "l.sqlite") as book:
            assert book.records("result") == []  # nothing half-recorded

    def test_a_row_with_two_faults_is_one_message(self, tmp_path: Path) -> None:
        p = write(tmp_path, HEADER + "V0001,D01,合格,,2020-01-01,\n")
        with pytest.raises(InputError) as info:
            read_results_file(p, tiny_plan(), WorkingCalendar.for_quarter("2026Q3"))
        (prob,) = info.value.problems
        assert prob.row == 2 and prob.column == "result, inspected_on"

    def test_sub_type_only_for_follow_up_and_repeats_rejected(self, tmp_path: Path) -> None:
        p = write(tmp_path, HEADER + "V0001,D01,未发现问题,公示信息隐瞒真实情况弄虚作假,2026-09-30,\n"
                                     "V0002,D01,未发现问题,,2026-09-30,\n"
                                     "V0002,D01,注销,,2026-09-30,\n")
        with pytest.raises(InputError) as info:
            read_results_file(p, tiny_plan(), WorkingCalendar.for_quarter("2026Q3"))
        assert [(x.row, x.column) for x in info.value.problems] == [(2, "sub_result"), (4, "visit_id")]

    def test_missing_column_is_named(self, tmp_path: Path) -> None:
        p = write(tmp_path, "visit_id,department_id,result\nV0001,D01,未发现问题\n")
        with pytest.raises(InputError, match="inspected_on"):
            read_results_file(p, tiny_plan(), WorkingCalendar.for_quarter("2026Q3"))


class TestRecordDuePublish:
    def test_record_then_due_then_publish(self, tmp_path: Path) -> None:
        d = plan_dir(tmp_path)
        with Ledger(tmp_path / "l.sqlite") as book:
            recorded = record_results(write(tmp_path, GOOD), d, book)
            assert len(recorded) == 3
            assert [r.kind for r in book.records()] == ["draw", "plan", "result", "result", "result"]
            due = due_results(book, dt.date(2026, 10, 30))
            assert [x.status for x in due] == ["due"] * 3
            assert [x.result.deadline for x in due] == [dt.date(2026, 11, 2), dt.date(2026, 11, 3),
                                                         dt.date(2026, 11, 3)]
            late = due_results(book, dt.date(2026, 11, 4))
            assert {x.status for x in late} == {"overdue"}

            out = tmp_path / "pub"
            published = publish_results(d, out, book)
            assert len(published) == 3
            assert due_results(book, dt.date(2026, 11, 4)) == []
            assert book.verify() == []
        md = (out / "results-notice.md").read_text(encoding="utf-8")
        page = (out / "results-notice.html").read_text(encoding="utf-8")
        for text in (md, page):
            assert "抽查结果公告" in text and "松江区联席会议办公室" in text
            assert "91310117MA1G000000" in text and "松江第0公司" in text
            assert "发现问题待后续处理（未按规定公示应当公示的信息）" in text
            for inspector in ("P001", "P002", "P003", "Q001", "Q002"):
                assert inspector not in text  # no inspector data in public
        assert "需复查" not in (out / "results.json").read_text(encoding="utf-8")  # internal notes stay internal
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert sorted(manifest["files"]) == ["gsxt-results.csv", "results-notice.html", "results-notice.md",
                                             "results.json"]

    def test_publish_is_deterministic(self, tmp_path: Path) -> None:
        d = plan_dir(tmp_path)
        for ledger, out, day in (("l1.sqlite", "a", "02"), ("l2.sqlite", "b", "03")):
            with Ledger(tmp_path / ledger) as book:
                record_results(write(tmp_path, GOOD), d, book, at="2026-10-01T00:00:00+00:00")
                publish_results(d, tmp_path / out, book, at=f"2026-10-{day}T00:00:00+00:00")
                # Published once: a second publication has nothing new and says so.
                with pytest.raises(LedgerError, match="no new results"):
                    publish_results(d, tmp_path / (out + "2"), book)
        for name in ("results-notice.md", "results-notice.html", "results.json", "gsxt-results.csv",
                     "manifest.json"):
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()

    def test_later_result_supersedes_earlier(self, tmp_path: Path) -> None:
        d = plan_dir(tmp_path)
        with Ledger(tmp_path / "l.sqlite") as book:
            record_results(write(tmp_path, GOOD), d, book)
            record_results(write(tmp_path, HEADER + "V0001,D01,注销,,2026-09-30,\n", "fix.csv"), d, book)
            due = {(x.result.visit_id, x.result.department_id): x.result.result
                   for x in due_results(book, dt.date(2026, 10, 1))}
            assert due[("V0001", "D01")] == "注销" and len(due) == 3

    def test_a_plan_json_the_ledger_does_not_know_is_refused(self, tmp_path: Path) -> None:
        d = plan_dir(tmp_path)
        with Ledger(tmp_path / "l.sqlite") as book:
            book.record_plan(tiny_plan(), plan_json_sha256="ff" * 32)
            with pytest.raises(LedgerError, match="not the plan"):
                record_results(write(tmp_path, GOOD), d, book)

    def test_cli_record_due_publish(self, tmp_path: Path) -> None:
        d = plan_dir(tmp_path)
        led = str(tmp_path / "l.sqlite")
        run = CliRunner().invoke
        r = run(app, ["results", "record", str(write(tmp_path, GOOD)), "--plan", str(d), "--ledger", led])
        assert r.exit_code == 0 and "recorded 3 new result(s)" in r.output, r.output
        r = run(app, ["results", "due", "--on", "2026-11-03", "--ledger", led])
        assert r.exit_code == 0 and "1 overdue, 2 due" in r.output, r.output
        r = run(app, ["results", "due", "--on", "tomorrow", "--ledger", led])
        assert r.exit_code == 2
        r = run(app, ["results", "publish", "--plan", str(d), "--out", str(tmp_path / "pub"), "--ledger", led])
        assert r.exit_code == 0, r.output
        r = run(app, ["results", "publish", "--plan", str(d), "--out", str(tmp_path / "pub"), "--ledger", led])
        assert r.exit_code == 2 and "exists already" in r.output
        r = run(app, ["results", "due", "--on", "2026-11-03", "--ledger", led])
        assert "nothing due" in r.output


# ---------------------------------------------------------------------------------------
# On a demo plan of 2027 (holidays from the plan's own provisional file) with a committed salt.

SALT = "松江-2027Q1-secret-salt"


def salted_plan(root: Path, salt: str = SALT) -> tuple[Path, Path, Plan]:
    """root/D (demo data and its ledger), root/P1 (an unannounced 2027Q1 plan), root/salt.txt."""
    import hashlib

    from randsup.demo.synth import write_demo_data

    data, out = root / "D", root / "P1"
    write_demo_data(data, entities=1000, inspectors=150, seed=7)
    spec = write_spec(data, 1)
    commitment = "sha256:" + hashlib.sha256(salt.encode()).hexdigest()
    spec.write_text(spec.read_text(encoding="utf-8").replace("announced = true\n", "").replace(
        "[seed]\n", f'[seed]\nsalt_commitment = "{commitment}"\n'), encoding="utf-8")
    (root / "salt.txt").write_text(salt + "\n", encoding="utf-8")
    return data, out, plan_cli(data, 1, out, "--salt-file", str(root / "salt.txt"))


@pytest.fixture()
def salted(tmp_path: Path) -> tuple[Path, Path, Plan]:
    return salted_plan(tmp_path)


def deadline_2027(d: dt.date, data: Path) -> dt.date:
    """Independent of randsup.assign.workdays: the demo's holidays file read with tomllib, day by day."""
    import tomllib

    raw = tomllib.loads((data / "holidays-2027.toml").read_text(encoding="utf-8"))
    off = {dt.date.fromisoformat(k) for k in raw["holidays"]}
    worked = {dt.date.fromisoformat(k) for k in raw["workdays"]}
    n = 20
    while n:
        d += dt.timedelta(days=1)
        n -= d in worked or (d.weekday() < 5 and d not in off)
    return d


def test_results_of_a_2027_plan_use_its_holidays_and_show_the_seed_only_after_the_reveal(
        salted: tuple[Path, Path, Plan], tmp_path: Path) -> None:
    import hashlib

    data, out, plan = salted
    visits = sorted(plan.visits, key=lambda v: v.date or dt.date.min)
    # The visit closest before 春节 (provisional 2027-02-05 … 02-13), plus the first and last.
    chosen = [visits[0], max((v for v in visits if v.date and v.date < dt.date(2027, 2, 5)), key=lambda v: v.date),
              visits[-1]]
    rows = "".join(f"{v.visit_id},{v.lead_department},未发现问题,,{v.date},\n" for v in chosen)
    run = CliRunner().invoke
    r = run(app, ["results", "record", str(write(tmp_path, HEADER + rows)), "--plan", str(out), "--data", str(data)])
    assert r.exit_code == 0, r.output
    with Ledger(tmp_path / "D" / "randsup-ledger.sqlite", create=False) as book:
        got = {x.result.visit_id: x.result.deadline for x in due_results(book, dt.date(2027, 1, 1))}
    assert got == {v.visit_id: deadline_2027(v.date, data) for v in chosen if v.date}

    # Before the reveal: results publish, but neither the salt nor the seed (who else is drawn).
    early = tmp_path / "early"
    r = run(app, ["results", "publish", "--plan", str(out), "--out", str(early), "--data", str(data)])
    assert r.exit_code == 0, r.output
    record = json.loads((early / "results.json").read_text(encoding="utf-8"))
    assert record["seed"]["salt"] is None and record["seed"]["seed_hex"] is None
    for f in ("results-notice.md", "results-notice.html", "results.json"):
        text = (early / f).read_text(encoding="utf-8")
        assert SALT not in text and plan.seed["seed_hex"] not in text
    # `results publish --salt` no longer reveals by itself: it points to `randsup reveal`.
    pub = tmp_path / "pub"
    r = run(app, ["results", "publish", "--plan", str(out), "--out", str(pub), "--data", str(data), "--salt", SALT])
    assert r.exit_code == 2 and "randsup reveal" in r.output and not pub.exists()
    r = run(app, ["reveal", str(out), "--salt-file", str(tmp_path / "salt.txt"), "--data", str(data),
                  "--as-of", (visits[-1].date + dt.timedelta(days=1)).isoformat()])
    assert r.exit_code == 0, r.output
    # Nothing new since the early publication: published again with --all, now with the seed.
    r = run(app, ["results", "publish", "--plan", str(out), "--out", str(pub), "--data", str(data)])
    assert r.exit_code == 2 and "no new results" in r.output and not pub.exists()
    r = run(app, ["results", "publish", "--plan", str(out), "--out", str(pub), "--data", str(data), "--all"])
    assert r.exit_code == 0, r.output
    record = json.loads((pub / "results.json").read_text(encoding="utf-8"))
    assert record["seed"]["salt"] == SALT and record["seed"]["seed_hex"] == plan.seed["seed_hex"]
    assert "sha256:" + hashlib.sha256(record["seed"]["salt"].encode()).hexdigest() == plan.seed["salt_commitment"]
    people = {a.inspector_id for v in plan.visits for a in v.inspectors}
    names = {line.split(",")[1] for line in (data / "inspectors.csv").read_text(encoding="utf-8").splitlines()[1:]}
    for f in ("results-notice.md", "results-notice.html", "results.json"):
        text = (pub / f).read_text(encoding="utf-8")
        assert SALT in text
        assert not [p for p in people | names if p and p in text], f  # no inspector ids or names in public


def test_results_notice_groups_a_joint_visit_into_one_row_per_entity(tmp_path: Path) -> None:
    from randsup.history.results import render_results_notice

    d = plan_dir(tmp_path)
    plan = tiny_plan()
    with Ledger(tmp_path / "l.sqlite") as book:
        results = record_results(write(tmp_path, GOOD), d, book)
    md, _ = render_results_notice(plan, results, department_names={"D01": "甲局", "D02": "乙局"}, salt=None)
    table = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(table) == 2  # V0001 (joint, two results) and V0002
    joint = next(line for line in table if "甲局、乙局" in line)
    assert "甲局：未发现问题；乙局：发现问题待后续处理（未按规定公示应当公示的信息）" in joint
    assert "2 户检查对象的 3 项检查结果" in md
