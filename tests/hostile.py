"""The hostile-input corpus (issue 13): bad inputs run through the CLI in a subprocess.

Each :class:`Case` prepares a copy of one shared workspace (a demo data folder with its ledger and
a plan made from it), runs ``python -m randsup ...`` there, and the test asserts the exit code, the
absence of a traceback, that the message names the file (and row), and that nothing in the
workspace changed: same bytes, no new files, no temporary folder left behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

SOURCES = ["--source", "02 05 12 20 25 31 08", "--source", "3245.67"]
SALT = "salt.txt"  # the plan's secret salt (unannounced checks), kept outside the data folder
DATA = "D"  # the data folder (with its ledger) inside each workspace
PLAN = "P"  # a plan made from it, recorded in that ledger
SPEC = f"{DATA}/plan-2027Q1.toml"
LEDGER = f"{DATA}/randsup-ledger.sqlite"


def randsup(args: list[str], cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, in its own process."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200", **(env or {})}
    full_env.pop("RANDSUP_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "randsup", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=timeout, check=False)


def build_workspace(root: Path) -> Path:
    """The shared workspace: demo data (5,000 entities, 900 inspectors, seed 1) and one plan."""
    root.mkdir(parents=True, exist_ok=True)
    r = randsup(["salt", "new", SALT], root)
    assert r.returncode == 0, r.stderr
    r = randsup(["demo-data", DATA, "--entities", "5000", "--inspectors", "900", "--seed", "1",
                 "--salt-file", SALT], root)
    assert r.returncode == 0, r.stderr
    r = randsup(["plan", DATA, SPEC, *SOURCES, "--salt-file", SALT, "--out", PLAN], root)
    assert r.returncode == 0, r.stderr
    return root


def tree_state(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` (hidden ones too) with the SHA-256 of each file."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


# ---------------------------------------------------------------------------------------
# Helpers that damage one file of the workspace.


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` counts like a spreadsheet (the header is row 1)."""
    rows = read_csv(path)
    rows[row - 1][rows[0].index(column)] = value
    write_csv(path, rows)


def edit_lines(path: Path, fn: Callable[[list[bytes]], list[bytes]]) -> None:
    """Rewrite a file's raw lines (each with its line end)."""
    path.write_bytes(b"".join(fn(path.read_bytes().splitlines(keepends=True))))


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def first_visit(ws: Path) -> tuple[str, str, str]:
    """(visit_id, department_id, planned date) of the plan's first visit."""
    import json

    plan = json.loads((ws / PLAN / "plan.json").read_text(encoding="utf-8"))
    v = plan["visits"][0]
    return v["visit_id"], v["departments"][0], v["date"]


def results_csv(ws: Path, extra: str = "", *, date: str | None = None) -> str:
    """A valid one-row results file for the plan's first visit, then ``extra`` appended."""
    vid, dept, day = first_visit(ws)
    return (f"visit_id,department_id,result,sub_result,inspected_on,notes\n"
            f"{vid},{dept},未发现问题,,{date or day},\n{extra}")


def plan_args(spec: str = SPEC, out: str = "OUT", *more: str) -> list[str]:
    return ["plan", DATA, spec, *SOURCES, "--salt-file", SALT, "--out", out, *more]


def add_ledger_record(ledger: Path, kind: str, payload: dict[str, object]) -> None:
    """Append a correctly chained record, as a different program (or an older randsup) might."""
    from randsup.history.ledger import Ledger

    with Ledger(ledger, create=False) as book:
        book.append(kind, payload)


def foreign_sqlite(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    db.execute("INSERT INTO contacts VALUES ('张三', '13800000000')")
    db.commit()
    db.close()


# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One bad input: ``prepare`` damages the workspace and returns the command's arguments."""

    name: str
    category: str
    prepare: Callable[[Path], list[str]]
    exit_code: int = 2
    names: tuple[str, ...] = ()  # strings the message must contain: the file, "row N", ...
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    case: Case
    returncode: int
    output: str
    changed: list[str]  # paths added, removed or changed by the command
    seconds: float = 0.0


def save_with_control_characters(wb: object, path: Path) -> None:
    """Save an openpyxl workbook, then turn each "<CTRL-07>" marker into Excel's escape "_x0007_".

    openpyxl refuses to write control characters; Excel writes them escaped like this.
    """
    import re
    import zipfile

    buf = io.BytesIO()
    wb.save(buf)  # type: ignore[attr-defined]
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for n in zin.namelist():
            zout.writestr(n, re.sub(rb"&lt;CTRL-([0-9A-F]{2})&gt;", rb"_x00\1_", zin.read(n)))


def run_case(case: Case, base: Path, scratch: Path) -> Outcome:
    ws = scratch / case.name
    shutil.copytree(base, ws, symlinks=True)
    try:
        args = case.prepare(ws)
    except Exception as exc:  # a broken case fails its own test, not the whole corpus
        return Outcome(case, -1, f"preparing the case failed: {type(exc).__name__}: {exc}", [])
    before = tree_state(ws)
    started = time.perf_counter()
    r = randsup(args, ws, case.env)
    seconds = time.perf_counter() - started
    after = tree_state(ws)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return Outcome(case, r.returncode, r.stdout + r.stderr, changed, seconds)


def run_all(cases: list[Case], base: Path, scratch: Path, workers: int = 3) -> dict[str, Outcome]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = pool.map(lambda c: run_case(c, base, scratch), cases)
        return {o.case.name: o for o in done}
