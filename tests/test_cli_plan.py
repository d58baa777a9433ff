"""`randsup plan` and `randsup verify` end to end, bad usage, and the runnable examples."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from randsup.cli import app

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["--source", "02 05 12 20 25 31 08", "--source", "3245.67"]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def no_traceback(r: Result) -> bool:
    return "Traceback" not in r.output and (r.exception is None or isinstance(r.exception, SystemExit))


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def salt_of(out: Path) -> list[str]:
    """--salt-file with the demo's salt (kept beside the data folder, never inside it)."""
    return ["--salt-file", str(out.parent / "salt.txt")]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The README flow (demo-data with a salt's commitment → plan --salt-file), with a fixed salt
    so that the run is the same every time (`salt new` draws a fresh one: test_reveal.py)."""
    root = tmp_path_factory.mktemp("cli")
    (root / "salt.txt").write_text("salt-b\n", encoding="utf-8")  # a salt whose small demo is staffable
    r = run("demo-data", root / "D", "--entities", "3000", "--inspectors", "200", "--seed", "0",
            "--salt-file", root / "salt.txt")
    assert r.exit_code == 0, r.output
    r = run("plan", root / "D", root / "D" / "plan-2027Q1.toml", *SOURCES, *salt_of(root / "P"), "--out", root / "P")
    assert r.exit_code == 0, r.output
    return root / "D", root / "P"


def test_demo_plan_verify_exits_0_with_a_summary(demo: tuple[Path, Path]) -> None:
    data, out = demo
    r = run("verify", out, "--data", data, *salt_of(out))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("verified: ") and r.stdout.count("\n") == 1
    plan = json.loads((out / "plan.json").read_text("utf-8"))
    assert f"{len(plan['visits'])} visits" in r.stdout


def test_plan_summary_table(tmp_path: Path, demo: tuple[Path, Path]) -> None:
    data, out = demo
    r = run("plan", data, data / "plan-2027Q1.toml", *SOURCES, *salt_of(out), "--out", tmp_path / "P")
    assert r.exit_code == 0, r.output
    for label in ("tasks", "visits", "joint visits", "visits saved by merging", "inspectors used", "solve status"):
        assert label in r.stdout
    assert r.stderr == ""  # no progress bar when stderr is not a terminal


def test_plan_twice_is_byte_identical(tmp_path: Path, demo: tuple[Path, Path]) -> None:
    data, first = demo
    r = run("plan", data, data / "plan-2027Q1.toml", *SOURCES, *salt_of(first), "--out", tmp_path / "again")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "again" / "plan.json").read_bytes() == (first / "plan.json").read_bytes()
    assert tree_digest(tmp_path / "again") == tree_digest(first)


def test_edited_plan_exits_1_naming_the_visit(tmp_path: Path, demo: tuple[Path, Path]) -> None:
    import shutil

    from randsup.publish.render import manifest_bytes

    data, out = demo
    forged = tmp_path / "P"
    shutil.copytree(out, forged)
    plan = json.loads((forged / "plan.json").read_text("utf-8"))
    visit = plan["visits"][-1]
    visit["date"] = "2027-03-31" if visit["date"] != "2027-03-31" else "2027-03-30"
    (forged / "plan.json").write_text(json.dumps(plan, ensure_ascii=False, sort_keys=True, indent=2) + "\n", "utf-8")
    files = {str(p.relative_to(forged)): p.read_bytes() for p in forged.rglob("*") if p.is_file()}
    (forged / "manifest.json").write_bytes(manifest_bytes(files))
    r = run("verify", forged, "--data", data, *salt_of(out))
    assert r.exit_code == 1 and no_traceback(r)
    assert f"visit {visit['visit_id']} date" in r.stderr


def test_changed_input_exits_1_naming_the_file(tmp_path: Path, demo: tuple[Path, Path]) -> None:
    import shutil

    data, out = demo
    copy = tmp_path / "D"
    shutil.copytree(data, copy)
    with (copy / "conflicts.csv").open("ab") as f:
        f.write(b"\n")
    r = run("verify", out, "--data", copy, *salt_of(out))
    assert r.exit_code == 1 and no_traceback(r)
    assert "input conflicts.csv" in r.stderr


def test_public_files_have_no_inspector_personal_data(demo: tuple[Path, Path]) -> None:
    from randsup.inputs.load import load_directory

    data, out = demo
    directory = load_directory(data)
    text = "\n".join(p.read_text("utf-8") for p in sorted((out / "public").iterdir()))
    for i in directory.inspectors:
        assert i.certificate_no not in text
        assert i.inspector_id not in text
        assert i.name not in text
    plan = json.loads((out / "plan.json").read_text("utf-8"))
    for v in plan["visits"]:
        assert v["entity_id"] not in text  # no entity list while inspections are unannounced


# ---------------------------------------------------------------------------------------
# Bad usage: exit 2, a message, no traceback


@pytest.mark.parametrize("case", ["missing spec", "unknown field", "unknown check item", "out exists",
                                  "too few sources", "text source", "missing data"])
def test_bad_usage_exits_2(case: str, tmp_path: Path, demo: tuple[Path, Path]) -> None:
    data, out = demo
    spec = data / "plan-2027Q1.toml"
    text = spec.read_text("utf-8")
    target, sources = tmp_path / "P", SOURCES
    expect = ""
    if case == "missing spec":
        spec, expect = tmp_path / "nope.toml", "not found"
    elif case == "unknown field":
        spec, expect = tmp_path / "s.toml", "unknown field"
        spec.write_text(text.replace("coordination = ", "coordinaton = ", 1), "utf-8")
    elif case == "unknown check item":
        spec, expect = tmp_path / "s.toml", "check item 'NOPE01'"
        spec.write_text(text.replace('check_items = ["', 'check_items = ["NOPE01", "', 1), "utf-8")
    elif case == "out exists":
        target, expect = out, "exists already"
    elif case == "too few sources":
        sources, expect = SOURCES[:2], "2 seed source(s)"
    elif case == "text source":
        sources, expect = ["--source", "双色球第2027003期", "--source", "3245.67"], "not a number"
    elif case == "missing data":
        data = tmp_path / "nodata"
    before = tree_digest(out)
    r = run("plan", data, spec, *sources, *salt_of(out), "--out", target)
    assert r.exit_code == 2, r.output
    assert no_traceback(r)
    assert "error:" in r.stderr and expect in r.stderr
    assert tree_digest(out) == before
    assert case == "out exists" or not target.exists()


def test_verify_bad_usage_exits_2(tmp_path: Path, demo: tuple[Path, Path]) -> None:
    data, _ = demo
    r = run("verify", tmp_path, "--data", data)
    assert r.exit_code == 2 and no_traceback(r) and "not a plan directory" in r.stderr
    r = run("verify", tmp_path)
    assert r.exit_code == 2 and no_traceback(r)  # --data is required


# ---------------------------------------------------------------------------------------
# The examples run


def _example(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "examples" / name), *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def test_example_plan_and_verify_runs(tmp_path: Path) -> None:
    r = _example("plan_and_verify.py", "--entities", "3000", "--inspectors", "200", "--keep", str(tmp_path / "k"))
    assert r.returncode == 0, r.stderr
    assert "verified: " in r.stdout and (tmp_path / "k" / "plan" / "manifest.json").is_file()


def test_demo_work_lists_open_in_excel_as_the_office_expects(demo: tuple[Path, Path]) -> None:
    """visits.csv: UTF-8 BOM, Chinese headers; visits.xlsx: date cells, sorted, autofilter, a sheet per department."""
    import csv
    import io

    import openpyxl

    data, out = demo
    raw = (out / "visits.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["检查编号", "检查日期", "统一社会信用代码/对象编码", "检查对象名称"]
    assert "住所（经营场所）" in rows[0] and "抽查任务名称" in rows[0]
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    lead = {v["visit_id"]: v["lead_department"] for v in plan["visits"]}
    keys = [(r[1], lead[r[0]], r[0]) for r in rows[1:]]
    assert keys == sorted(keys) and len(keys) == len(plan["visits"])
    wb = openpyxl.load_workbook(out / "visits.xlsx")
    departments = {d for v in plan["visits"] for d in v["departments"]}
    assert len(wb.sheetnames) == 1 + len(departments)
    for ws in wb.worksheets:
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        cells = [ws.cell(r, 2) for r in range(2, ws.max_row + 1)]
        assert cells and all(c.is_date for c in cells)
        assert [c.value for c in cells] == sorted(c.value for c in cells)
    assert sum(ws.max_row - 1 for ws in wb.worksheets[1:]) == sum(len(v["departments"]) for v in plan["visits"])


def test_english_worklist_headers_are_recorded_and_verified(tmp_path: Path, demo: tuple[Path, Path]) -> None:
    data, _ = demo
    out = tmp_path / "EN"
    r = run("plan", data, data / "plan-2027Q1.toml", *SOURCES, "--out", out, "--worklist-headers", "en",
            "--ledger", tmp_path / "l.sqlite", *salt_of(data.parent / "P"))
    assert r.exit_code == 0, r.output
    assert (out / "visits.csv").read_text(encoding="utf-8-sig").startswith("visit_id,date,entity_id,")
    assert json.loads((out / "spec.json").read_text(encoding="utf-8"))["worklist_headers"] == "en"
    r = run("verify", out, "--data", data, *salt_of(data.parent / "P"))
    assert r.exit_code == 0, r.output
    bad = run("plan", data, data / "plan-2027Q1.toml", *SOURCES, "--out", tmp_path / "X",
              "--worklist-headers", "fr", "--ledger", tmp_path / "l.sqlite", *salt_of(data.parent / "P"))
    assert bad.exit_code == 2 and "must be one of zh, en" in bad.output and not (tmp_path / "X").exists()


def test_demo_plan_notice_is_fit_to_publish(demo: tuple[Path, Path]) -> None:
    """Publication date, 落款, contact line and each source's raw values, in Markdown and HTML."""
    _, out = demo
    md = (out / "public" / "plan-notice.md").read_text(encoding="utf-8")
    page = (out / "public" / "plan-notice.html").read_text(encoding="utf-8")
    spec = json.loads((out / "spec.json").read_text(encoding="utf-8"))
    assert spec["seed"]["published_values"] == ["02 05 12 20 25 31 08", "3245.67"]
    for text in (md, page):
        assert "发布日期：2026年12月28日" in text
        assert "投诉举报：12315" in text
        for name, values in zip(spec["seed"]["sources"], spec["seed"]["published_values"], strict=True):
            assert f"{name}：{values}" in text
        assert "draw-record.json" in text
    assert md.rstrip().endswith(spec["authority"] + "  \n2026年12月28日")
    assert f'<div class="sign">\n  <p>{spec["authority"]}</p>\n  <p>2026年12月28日</p>' in page
