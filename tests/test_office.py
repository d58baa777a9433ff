"""The district office's quarter: results templates filled in by the departments, recorded by name,
idempotently, and published department by department (谁检查、谁录入、谁公开)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from randsup.cli import app

SOURCES = ["--source", "02 05 12 20 25 31 08", "--source", "3245.67"]


def run(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("office")
    (root / "salt.txt").write_text("salt-b\n", encoding="utf-8")  # fixed, so the run is the same every time
    assert run("demo-data", root / "D", "--entities", "3000", "--inspectors", "200",
               "--salt-file", root / "salt.txt").exit_code == 0
    r = run("plan", root / "D", root / "D" / "plan-2027Q1.toml", *SOURCES, "--out", root / "P",
            "--ledger", root / "l.sqlite", "--salt-file", root / "salt.txt")
    assert r.exit_code == 0, r.output
    return root / "D", root / "P", root / "l.sqlite"


def _fill(template: Path, out: Path, result: str = "未发现问题", *, only: int | None = None) -> int:
    """Fill 检查结果 in a department's template, blank its 部门编码 (so the name must serve); rows filled."""
    wb = openpyxl.load_workbook(template)
    ws = wb.active
    header = [c.value for c in ws[1]]
    res, code = header.index("检查结果") + 1, header.index("部门编码") + 1
    filled = 0
    for r in range(2, ws.max_row + 1):
        ws.cell(r, code).value = None
        if only is None or filled < only:
            ws.cell(r, res).value = result
            filled += 1
    wb.save(out)
    return filled


def _departments(plan_dir: Path) -> list[tuple[str, str, int]]:
    """(code, name, visits) of the plan's departments, most visits first."""
    plan = json.loads((plan_dir / "plan.json").read_text(encoding="utf-8"))
    count: dict[str, int] = {}
    for v in plan["visits"]:
        for d in v["departments"]:
            count[d] = count.get(d, 0) + 1
    names = {}
    for d in count:
        wb = openpyxl.load_workbook(plan_dir / "results-templates" / f"{d}.xlsx")
        names[d] = wb.active.cell(2, 2).value
    return sorted(((d, names[d], n) for d, n in count.items()), key=lambda x: (-x[2], x[0]))


def _published(folder: Path) -> list[dict[str, object]]:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))["results"]


def test_templates_are_written_per_department_with_the_visits_prefilled(quarter: tuple[Path, Path, Path]) -> None:
    _, plan_dir, _ = quarter
    for code, name, n in _departments(plan_dir):
        rows = list(csv.reader(io.StringIO((plan_dir / "results-templates" / f"{code}.csv")
                                           .read_text(encoding="utf-8-sig"))))
        assert rows[0][:3] == ["检查编号", "检查部门", "部门编码"] and "检查结果" in rows[0]
        assert len(rows) == n + 1 and all(r[1] == name and r[2] == code for r in rows[1:])
        assert all(r[rows[0].index("检查结果")] == "" for r in rows[1:])
        ws = openpyxl.load_workbook(plan_dir / "results-templates" / f"{code}.xlsx").active
        assert ws.data_validations.dataValidation, "检查结果 has a drop-down of the categories"


def test_record_by_name_twice_then_publish_department_by_department(quarter: tuple[Path, Path, Path],
                                                                   tmp_path: Path) -> None:
    _, plan_dir, ledger = quarter
    (a, a_name, a_n), (b, b_name, b_n) = _departments(plan_dir)[:2]
    fa = tmp_path / "a.xlsx"
    assert _fill(plan_dir / "results-templates" / f"{a}.xlsx", fa) == a_n
    r = run("results", "record", fa, "--plan", plan_dir, "--ledger", ledger)
    assert r.exit_code == 0 and f"recorded {a_n} new result(s) and 0 correction(s)" in r.output, r.output
    r = run("results", "record", fa, "--plan", plan_dir, "--ledger", ledger)  # the same file again
    assert r.exit_code == 0 and "recorded 0 new result(s) and 0 correction(s)" in r.output, r.output

    r = run("results", "publish", "--plan", plan_dir, "--out", tmp_path / "pa", "--ledger", ledger,
            "--department", a_name)
    assert r.exit_code == 0, r.output
    pa = _published(tmp_path / "pa")
    assert len(pa) == a_n and {x["department_id"] for x in pa} == {a}
    notice = (tmp_path / "pa" / "results-notice.md").read_text(encoding="utf-8")
    assert notice.startswith(f"# {a_name} ")

    fb = tmp_path / "b.csv"
    wb_rows = list(csv.reader(io.StringIO((plan_dir / "results-templates" / f"{b}.csv").read_text("utf-8-sig"))))
    res, code = wb_rows[0].index("检查结果"), wb_rows[0].index("部门编码")
    for row in wb_rows[1:]:
        row[res], row[code] = "发现问题已责令改正", ""
    out = io.StringIO()
    csv.writer(out).writerows(wb_rows)
    fb.write_text(out.getvalue(), encoding="utf-8-sig")
    r = run("results", "record", fb, "--plan", plan_dir, "--ledger", ledger)
    assert r.exit_code == 0 and f"recorded {b_n} new result(s)" in r.output, r.output
    r = run("results", "publish", "--plan", plan_dir, "--out", tmp_path / "pb", "--ledger", ledger,
            "--department", b)
    assert r.exit_code == 0, r.output
    pb = _published(tmp_path / "pb")
    assert len(pb) == b_n and {x["department_id"] for x in pb} == {b}  # only the new rows, only B's
    notice_b = (tmp_path / "pb" / "results-notice.md").read_text(encoding="utf-8")
    assert "发现问题已责令改正" in notice_b and "未发现问题" not in notice_b.split("抽取核验")[0]

    # Nothing new for A: refused, nothing written.
    r = run("results", "publish", "--plan", plan_dir, "--out", tmp_path / "pa2", "--ledger", ledger,
            "--department", a)
    assert r.exit_code == 2 and "no new results" in r.output and not (tmp_path / "pa2").exists()

    # A changed row is a correction, published next time on its own and marked as such.
    fa2 = tmp_path / "a2.xlsx"
    _fill(fa, fa2, "注销", only=1)
    r = run("results", "record", fa2, "--plan", plan_dir, "--ledger", ledger)
    assert r.exit_code == 0 and "recorded 0 new result(s) and 1 correction(s)" in r.output, r.output
    r = run("results", "publish", "--plan", plan_dir, "--out", tmp_path / "pa3", "--ledger", ledger,
            "--department", a)
    assert r.exit_code == 0, r.output
    pa3 = _published(tmp_path / "pa3")
    assert len(pa3) == 1 and pa3[0]["result"] == "注销" and isinstance(pa3[0]["corrects"], int)
    assert "注销（更正）" in (tmp_path / "pa3" / "results-notice.md").read_text(encoding="utf-8")

    gsxt = list(csv.reader(io.StringIO((tmp_path / "pb" / "gsxt-results.csv").read_text(encoding="utf-8-sig"))))
    assert gsxt[0] == ["检查实施机关", "检查类型", "检查日期", "检查结果", "企业名称", "统一社会信用代码"]
    assert len(gsxt) == b_n + 1 and all(row[0] == b_name and row[3] == "发现问题已责令改正" for row in gsxt[1:])


def test_unknown_department_name_is_bad_input(quarter: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, plan_dir, ledger = quarter
    r = run("results", "publish", "--plan", plan_dir, "--out", tmp_path / "x", "--ledger", ledger,
            "--department", "不存在的局")
    assert r.exit_code == 2 and "not a department of plan" in r.output and not (tmp_path / "x").exists()
