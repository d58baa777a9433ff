"""examples/verify_with_consistent_sampler.py: the standard library + consistent-sampler recompute
every task of every plan from the public record (issue 12 #7), on inputs a clerk really has.

The data: the small demo district re-saved as a government export would be: GB18030, Chinese
headers, the entity table named 检查对象名录库.csv, risk classes written "B类" (and full-width
"Ｃ类"), history dates like 2027/1/11 and 2027年1月12日 that put entities at the annual cap. Two
quarters are planned through the CLI with one ledger (the second is drawn against the first's
history) and revealed; a workbook (.xlsx) copy of the same data is planned and revealed too.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from randsup.cli import app
from randsup.draw.seed import commit_salt
from randsup.inputs.load import load_directory
from randsup.inputs.save import save_directory_xlsx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "verify_with_consistent_sampler.py"
SALT = "salt-b"  # fixed, so that the small district is staffable on every run
SOURCES = {1: ["02 05 12 20 25 31 08", "3245.67"], 2: ["03 07 11 19 24 30 02", "3301.25"]}
ENTITY_HEADERS = ["统一社会信用代码", "名称", "主体类型", "行业代码", "所属街镇", "信用风险分类", "标签", "上次抽查日期",
                  "住所", "联系人", "联系电话",  # the demo has the optional contact columns
                  "检查对象类别", "责任主体统一社会信用代码"]  # and also holds sites, roads, … (object kinds)
HISTORY_HEADERS = ["统一社会信用代码", "人员编码", "部门编码", "检查日期"]
AT_CAP = 40  # entities given two inspections in January 2027 (the annual cap is 2)


def run(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def example(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLE), *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))


def government_export(src: Path, dst: Path) -> None:
    """The demo data as an office exports it (see the module docstring)."""
    shutil.copytree(src, dst)
    ents = _rows(src / "entities.csv")
    body = []
    for i, r in enumerate(ents[1:]):
        r[5] = ("Ｃ类" if r[5] == "C" and i % 2 else f"{r[5]}类")
        body.append(r)
    (dst / "entities.csv").unlink()
    with (dst / "检查对象名录库.csv").open("w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows([ENTITY_HEADERS, *body])
    hist = _rows(src / "history.csv")
    inspector, department = hist[1][1], hist[1][2]
    rows = [[e, p, d, day.replace("-", "/").replace("/0", "/")] for e, p, d, day in hist[1:]]
    for r in body[:AT_CAP]:
        rows += [[r[0], inspector, department, "2027/1/11"], [r[0], inspector, department, "2027年1月12日"]]
    with (dst / "history.csv").open("w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows([HISTORY_HEADERS, *rows])


def plan_quarter(data: Path, q: int, out: Path, salt_file: Path) -> None:
    spec = data / f"plan-2027Q{q}.toml"
    if not spec.is_file():
        text = (data / "plan-2027Q1.toml").read_text("utf-8")
        spec.write_text(text.replace("songjiang-2027Q1", f"songjiang-2027Q{q}").replace('"2027Q1"', f'"2027Q{q}"'),
                        encoding="utf-8")
    sources = [a for s in SOURCES[q] for a in ("--source", s)]
    r = run("plan", data, spec, *sources, "--salt-file", salt_file, "--out", out)
    assert r.exit_code == 0, r.output
    plan = json.loads((out / "plan.json").read_text("utf-8"))
    last = max(v["date"] for v in plan["visits"])
    day = f"{int(last[:4]) + (last[5:7] == '12')}-{(int(last[5:7]) % 12) + 1:02d}-01"  # the next month
    r = run("reveal", out, "--salt-file", salt_file, "--data", data, "--as-of", day)
    assert r.exit_code == 0, r.output


@pytest.fixture(scope="module")
def quarters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("verifier")
    (root / "salt.txt").write_text(SALT + "\n", encoding="utf-8")
    r = run("demo-data", root / "demo", "--entities", "3000", "--inspectors", "400", "--salt-file", root / "salt.txt")
    assert r.exit_code == 0, r.output
    government_export(root / "demo", root / "D")
    plan_quarter(root / "D", 1, root / "Q1", root / "salt.txt")
    plan_quarter(root / "D", 2, root / "Q2", root / "salt.txt")
    return root


def test_the_export_is_what_randsup_reads(quarters: Path) -> None:
    d = load_directory(quarters / "D")
    assert "检查对象名录库.csv" in d.digests and (quarters / "D" / "history.csv").read_bytes().decode("gb18030")
    capped = {h.entity_id for h in d.history if h.date.year == 2027}
    assert len(capped) == AT_CAP


def test_first_quarter_every_task_is_reproduced(quarters: Path) -> None:
    r = example(quarters / "Q1", "--data", quarters / "D")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "consistent_sampler reproduces every task of plan songjiang-2027Q1" in r.stdout
    record = json.loads((quarters / "Q1" / "public" / "draw-record.json").read_text("utf-8"))
    assert r.stdout.count("drawn lists, alternates and cut-offs match reveal.json") == len(record["tasks"]) == 23
    assert sum(s["excluded_at_cap"] for t in record["tasks"] for s in t["strata"].values()) > 0


def test_second_quarter_is_reproduced_with_the_ledger_history(quarters: Path) -> None:
    record = json.loads((quarters / "Q2" / "public" / "draw-record.json").read_text("utf-8"))
    assert record["ledger_history"]["file"] == "ledger-history.csv"
    r = example(quarters / "Q2", "--data", quarters / "D")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "consistent_sampler reproduces every task of plan songjiang-2027Q2" in r.stdout
    # Without the ledger history the second quarter cannot be recomputed, and the script says why.
    (quarters / "empty.csv").write_text("entity_id,inspector_id,department_id,date\n", encoding="utf-8")
    r = example(quarters / "Q2", "--data", quarters / "D", "--history", quarters / "empty.csv")
    assert r.returncode == 1 and "not the ledger history the plan was drawn with" in r.stdout


def test_before_the_reveal_only_populations_are_checked(quarters: Path, tmp_path: Path) -> None:
    out = tmp_path / "P"
    shutil.copytree(quarters / "Q1", out)
    (out / "public" / "reveal.json").unlink()
    r = example(out, "--data", quarters / "D")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "the draw itself needs the reveal" in r.stdout and "reproduces the populations" in r.stdout


def test_a_wrong_record_or_reveal_is_a_mismatch(quarters: Path, tmp_path: Path) -> None:
    out = tmp_path / "P"
    shutil.copytree(quarters / "Q1", out)
    path = out / "public" / "reveal.json"
    rec = json.loads(path.read_text("utf-8"))
    t = next(t for t in rec["tasks"] if any(c["drawn"] and c["alternates"] for c in t["classes"].values()))
    c = next(c for c in t["classes"].values() if c["drawn"] and c["alternates"])
    c["drawn"][-1], c["alternates"][0] = c["alternates"][0], c["drawn"][-1]
    path.write_text(json.dumps(rec, ensure_ascii=False), "utf-8")
    r = example(out, "--data", quarters / "D")
    assert r.returncode == 1 and "MISMATCH" in r.stdout and f"task {t['task_id']}" in r.stdout
    # A changed input file is named, not silently recomputed.
    data = tmp_path / "D"
    shutil.copytree(quarters / "D", data)
    with (data / "history.csv").open("ab") as f:
        f.write(b"\r\n")
    r = example(quarters / "Q1", "--data", data)
    assert r.returncode == 1 and "history.csv: SHA-256 differs" in r.stdout


def test_a_workbook_export_is_reproduced(quarters: Path, tmp_path: Path) -> None:
    data = tmp_path / "X"
    data.mkdir()
    for name in ("plan-2027Q1.toml", "holidays-2027.toml"):
        shutil.copy(quarters / "D" / name, data / name)
    save_directory_xlsx(load_directory(quarters / "D"), data / "一单两库.xlsx")
    assert commit_salt(SALT) in (data / "plan-2027Q1.toml").read_text("utf-8")
    plan_quarter(data, 1, tmp_path / "P", quarters / "salt.txt")
    r = example(tmp_path / "P", "--data", data)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "reproduces every task" in r.stdout


def test_workbook_date_and_number_cells_read_as_randsup_reads_them(quarters: Path, tmp_path: Path) -> None:
    """Excel stores typed dates and numbers; the stdlib reader turns them into the loader's texts."""
    import datetime as dt
    import importlib.util

    import openpyxl

    book = tmp_path / "一单两库.xlsx"
    save_directory_xlsx(load_directory(quarters / "D"), book)
    wb = openpyxl.load_workbook(book)
    ws = wb["history"]
    for (cell,) in ws.iter_rows(min_row=2, min_col=4, max_col=4):
        cell.value = dt.datetime.fromisoformat(str(cell.value))
        cell.number_format = "yyyy/m/d"
    wb.save(book)
    expected = {(h.entity_id, h.date) for h in load_directory(book).history}

    spec = importlib.util.spec_from_file_location("stdlib_verifier", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    records = mod.xlsx_sheets(book.read_bytes())["history"]
    got = {(mod.text(r["entity_id"]), mod.parse_date(r["date"])) for r in mod.table_rows(records, "history")}
    assert got == expected and len(got) > AT_CAP
