"""抽查结果 (inspection results): record them, know their publication deadline, publish them.

Categories follow the result form of the Zhejiang 企业信息交换共享平台 (domain-rules §6), the
most complete list found; 工商 wording is brought up to date (市场监管 since the 2018 reform)
and the older or variant spellings of other platforms are accepted as aliases.

Deadline: results are published "自产生之日起20个工作日内" (企业信息公示暂行条例 第六条, 谁检查、谁录入、
谁公开): the 20th working day after the inspection date on the Chinese working-day calendar
(chinesecalendar with 调休, or the plan's holidays file). No clock is read here: "today" is
always passed in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..assign.workdays import WorkingCalendar
from ..errors import InputError, LedgerError, OutputError, Problem, SeedError, SpecError
from ..inputs.csvfile import open_csv, scrub_chunk
from ..io import canonical_json, csv_text
from ..model import RESULT_CATEGORIES, RESULT_SUB_TYPES, Plan, Visit
from ..publish.draw_only import DRAW_FILE, DrawOnly, read_draw
from ..publish.files import (
    DRAW_RECORD,
    MANIFEST_FILE,
    PLAN_FILE,
    SPEC_FILE,
    read_json,
    read_plan,
    revealed_salt,
)
from ..publish.render import (
    NoticeBlock,
    manifest_bytes,
    render_notice_html,
    render_notice_markdown,
    zh_date,
)
from .folders import RESULTS_FILE, complete, publish
from .ledger import Ledger, ensure_plan_recorded
from .lock import checkpoint

__all__ = [
    "PUBLICATION_WORKING_DAYS",
    "RESULT_CATEGORIES",
    "RESULT_SUB_TYPES",
    "GSXT_COLUMNS",
    "DueResult",
    "InspectionResult",
    "due_results",
    "gsxt_rows",
    "publication_deadline",
    "publish_results",
    "read_results_file",
    "record_results",
    "render_results_notice",
]

PUBLICATION_WORKING_DAYS = 20

FOLLOW_UP = "发现问题待后续处理"
# Spellings other platforms use for the same result (domain-rules §6, lists 2 and 3, older form).
_ALIASES: dict[str, str] = {
    "发现问题经责令已改正": "发现问题已责令改正",
    "未发现违法行为": "未发现问题",
    "正常": "未发现问题",
    "未发现本次抽查涉及的生产经营活动": "未发现开展本次抽查涉及的经营活动",
    "查无下落": "通过登记的住所（经营场所）无法联系",
    "已关闭停业或正在清算": "已关闭停业或正在组织清算",
    "不予配合情节严重": "不配合检查情节严重",
    "已办理营业执照注销": "注销",
    "被吊销营业执照": "被吊销",
    "吊证": "被吊销",
    "公示信息隐瞒真实情况、弄虚作假": "公示信息隐瞒真实情况弄虚作假",
    "违反其他工商行政管理规定行为": "违反其他市场监管相关规定",
    "违反工商行政管理相关规定": "违反其他市场监管相关规定",
}

# Columns of a results file: English name → Chinese header accepted for it.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "visit_id": ("检查编号",),
    # A draw-only result (`randsup draw`) has no visits: its rows name the entity and the task.
    "entity_id": ("统一社会信用代码", "检查对象编码", "主体代码"),
    "entity_name": ("检查对象名称", "企业名称", "主体名称"),
    "task_id": ("任务编号", "抽查任务编号"),
    "department_id": ("部门编码", "检查部门编码"),
    "department": ("检查部门", "部门", "部门名称", "检查实施机关"),  # a name, or a code
    "result": ("检查结果",),
    "sub_result": ("结果细类", "问题类型"),
    "inspected_on": ("检查日期", "实施日期"),
    "notes": ("备注", "说明"),
}
_REQUIRED = ("visit_id", "result", "inspected_on")  # and department_id or department
_REQUIRED_DRAW = ("entity_id", "result", "inspected_on")  # results of a draw-only result


def _norm(text: str) -> str:
    # NFKC folds full-width letters/digits and ASCII vs full-width brackets into one spelling;
    # the canonical names use full-width brackets, so map them back afterwards.
    s = unicodedata.normalize("NFKC", text).strip()
    return re.sub(r"\s+", "", s).replace("(", "（").replace(")", "）").replace(",", "、")


_CANON = {_norm(c): c for c in RESULT_CATEGORIES + RESULT_SUB_TYPES}
_CANON.update({_norm(k): v for k, v in _ALIASES.items()})


def canonical_result(text: str) -> str | None:
    """The canonical category or sub-type name for ``text``, or None if it is none of them."""
    return _CANON.get(_norm(text))


@dataclass(frozen=True)
class InspectionResult:
    """One department's result for one visit."""

    plan_id: str
    visit_id: str
    department_id: str
    entity_id: str
    entity_name: str
    result: str
    sub_result: str | None
    inspected_on: dt.date
    deadline: dt.date
    notes: str = ""
    corrects: int | None = None  # ledger seq of the earlier result of this visit and department it corrects
    # A result of a draw-only result: its task (the visit_id is then "TASK/ENTITY", one per task and entity).
    task_id: str | None = None

    def payload(self) -> dict[str, Any]:
        p = {"plan_id": self.plan_id, "visit_id": self.visit_id, "department_id": self.department_id,
             "entity_id": self.entity_id, "entity_name": self.entity_name, "result": self.result,
             "sub_result": self.sub_result, "inspected_on": self.inspected_on.isoformat(),
             "deadline": self.deadline.isoformat(), "notes": self.notes}
        if self.task_id is not None:
            p["task_id"] = self.task_id
        return p if self.corrects is None else {**p, "corrects": self.corrects}

    def same_as(self, other: InspectionResult) -> bool:
        """The same finding (result, sub-type, date, notes): recording it again changes nothing."""
        return (self.result, self.sub_result, self.inspected_on, self.notes) == \
            (other.result, other.sub_result, other.inspected_on, other.notes)

    @classmethod
    def from_payload(cls, p: Mapping[str, Any]) -> InspectionResult:
        return cls(plan_id=p["plan_id"], visit_id=p["visit_id"], department_id=p["department_id"],
                   entity_id=p["entity_id"], entity_name=p["entity_name"], result=p["result"],
                   sub_result=p.get("sub_result"), inspected_on=dt.date.fromisoformat(p["inspected_on"]),
                   deadline=dt.date.fromisoformat(p["deadline"]), notes=p.get("notes", ""),
                   corrects=p.get("corrects"), task_id=p.get("task_id"))


# ---------------------------------------------------------------------------------------
# The plan directory


def plan_calendar(plan: Plan, plan_dir: str | Path) -> WorkingCalendar:
    """The plan quarter's working-day calendar, with the holidays file the plan directory keeps.

    spec.json names that copy relative to the plan directory (``holidays``), as verify reads it.
    """
    try:
        name = json.loads((Path(plan_dir) / SPEC_FILE).read_text(encoding="utf-8")).get("holidays")
    except (OSError, ValueError, AttributeError):
        name = None
    override = Path(plan_dir) / name if isinstance(name, str) and name else None
    return WorkingCalendar.for_quarter(plan.quarter, override)


def publication_deadline(inspected_on: dt.date, calendar: WorkingCalendar) -> dt.date:
    """The last day to publish a result: the 20th working day after the inspection date."""
    return calendar.add_working_days(inspected_on, PUBLICATION_WORKING_DAYS)


# ---------------------------------------------------------------------------------------
# Reading a results file


def _parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    s = _norm(str(value))
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", s)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _xlsx_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):  # an inspection date entered with a time
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v)
    # Excel writes a control character in a cell as _x0007_; read it back to refuse it.
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s) if "_x" in s else s


def _read_rows(path: Path, required: Sequence[str] = _REQUIRED) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (row number, cells) of a CSV (UTF-8, UTF-8 with BOM, GB18030) or the first sheet of an XLSX.

    CSV goes through the data folder's reader (:mod:`randsup.inputs.csvfile`), so a damaged
    encoding, a huge cell or an unclosed quote is told with this file's name and row.
    """
    name = str(path)
    problems: list[Problem] = []

    def report(row: int | None, column: str | None, value: str | None, why: str) -> None:
        problems.append(Problem(name, row, column, value, why))

    if not path.is_file():
        why = "is a folder, not a results file" if path.is_dir() else "results file not found"
        raise InputError(Problem(name, None, None, None, f"{why}; pass a .csv or .xlsx file"))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
            raise InputError(Problem(name, None, None, None,
                                     f"not a readable XLSX workbook ({type(exc).__name__}); "
                                     "save it again from a spreadsheet program")) from None
        try:
            table = [[_xlsx_text(c) for c in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    else:
        f = open_csv(path, name, report)
        table = [r for chunk in f.chunks() for r in chunk] if f is not None else []
    if problems:
        raise InputError(problems, header=f"{name} cannot be read; nothing was recorded")
    numbered = [(k, r) for k, r in enumerate(table, start=1) if any(c.strip() for c in r)]
    if not numbered:
        raise InputError(Problem(name, None, None, None, "the file is empty; the first row must be the header"))
    (_, first), rows = numbered[0], numbered[1:]
    header = [_norm_header(c) for c in first]
    positions = {i: col for col, i in _column_map(header, name, required).items()}
    width = len(header)
    for rownum, cells in rows:
        cells[:] = (cells + [""] * (width - len(cells)))[:max(width, len(cells))]
        scrub_chunk([cells], rownum, positions, {"visit_id", "department_id", "entity_id", "task_id"}, report)
    if problems:
        raise InputError(problems, header=f"{len(problems)} bad cell(s) in {name}; nothing was recorded")
    return header, rows


def _norm_header(cell: str) -> str:
    return cell.replace("\ufeff", "").strip()


def _column_map(header: Sequence[str], name: str, required: Sequence[str] = _REQUIRED) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, h in enumerate(header):
        for col, zh in _COLUMNS.items():
            if h == col or h in zh:
                found.setdefault(col, i)
    missing = [c for c in required if c not in found]
    if "department_id" not in found and "department" not in found:
        missing.append("department_id")
    if missing:
        raise InputError([Problem(name, 1, c, None,
                                  f"required column missing; add a column {c!r} (or {_COLUMNS[c][0]!r})")
                          for c in missing])
    return found


@dataclass(frozen=True)
class _Target:
    """What a results row names: a visit of a plan, or a drawn entity of a draw-only result's task."""

    visit_id: str  # the key of the result (with the department): a visit id, or "TASK/ENTITY" for a draw
    entity_id: str
    entity_name: str
    departments: tuple[str, ...]
    not_before: dt.date | None  # the planned inspection date (a result cannot precede it)
    task_id: str | None = None


# Finds the target a row names: (target, None) or (None, (column, value, why)).
_Locate = Callable[[Callable[[str], object]], tuple[_Target | None, tuple[str, str, str] | None]]


def read_results_file(path: str | Path, plan: Plan, calendar: WorkingCalendar, *,
                      department_names: Mapping[str, str] | None = None) -> list[InspectionResult]:
    """Parse and check a results file against its plan; every bad row reported at once.

    Each bad row gives exactly one Problem (its faults joined), naming the row and column(s).
    A department is named by its code or, with ``department_names`` (code → name), by its name.
    Rows whose 检查结果 is empty are visits not yet done (the pre-filled template) and are skipped.

    Raises:
        InputError: unknown category or sub-type, unknown visit, a department not on that visit,
            a date that is not a date or falls before the planned inspection date, a repeated
            (visit, department), or a missing column.
    """
    visits: dict[str, Visit] = {v.visit_id: v for v in plan.visits}

    def locate(cell: Callable[[str], object]) -> tuple[_Target | None, tuple[str, str, str] | None]:
        visit_id = str(cell("visit_id")).strip()
        v = visits.get(visit_id)
        if v is None:
            return None, ("visit_id", visit_id, f"no such visit in plan {plan.plan_id}; copy the 检查编号 from visits.csv")
        return _Target(visit_id, v.entity_id, v.entity_name, v.departments, v.date), None

    return _read_results(Path(path), plan.plan_id, plan.quarter, calendar, department_names,
                         {d for v in plan.visits for d in v.departments}, _REQUIRED, locate)


def read_draw_results_file(path: str | Path, draw: DrawOnly, departments: Mapping[str, Sequence[str]],
                           calendar: WorkingCalendar, *,
                           department_names: Mapping[str, str] | None = None) -> list[InspectionResult]:
    """Parse and check a results file for a draw-only result (``randsup draw``): one row per (entity,
    task, department) inspected, with its date, as users fill it in from the 抽查名单 (drawn.csv).

    Columns: entity_id (统一社会信用代码), task_id (任务编号; may be left out when the entity was
    drawn by one task only), department_id or department (检查部门), inspected_on (检查日期), result
    (检查结果), optional sub_result, entity_name, notes. An entity must be drawn (or an alternate, 递补)
    for the task; the date must fall in the draw's quarter or later (up to the end of the next year).
    ``departments``: the departments of each task (draw-record.json).

    Raises:
        InputError: as :func:`read_results_file`, with the entity, task and department named.
    """
    quarter_start = dt.date(int(draw.quarter[:4]), 3 * int(draw.quarter[-1]) - 2, 1)
    tasks_of: dict[str, list[str]] = {}
    for td in draw.draw.tasks:
        for e in (*td.selected, *(e for k in sorted(td.alternates) for e in td.alternates[k])):
            if td.task_id not in tasks_of.setdefault(e, []):
                tasks_of[e].append(td.task_id)

    def locate(cell: Callable[[str], object]) -> tuple[_Target | None, tuple[str, str, str] | None]:
        entity = str(cell("entity_id")).strip()
        task = str(cell("task_id")).strip()
        drawn_by = tasks_of.get(entity, [])
        if not drawn_by:
            return None, ("entity_id", entity, f"not drawn (nor an alternate) in {draw.plan_id}; copy the entity_id "
                                               "from drawn.csv")
        if not task:
            if len(drawn_by) > 1:
                return None, ("task_id", "", f"the entity was drawn by tasks {', '.join(drawn_by)}; name the task")
            task = drawn_by[0]
        elif task not in drawn_by:
            return None, ("task_id", task, f"task {task} did not draw this entity (it was drawn by "
                                           f"{', '.join(drawn_by)}); correct the task or the entity")
        return _Target(f"{task}/{entity}", entity, str(cell("entity_name")).strip(),
                       tuple(departments.get(task, ())), quarter_start, task), None

    return _read_results(Path(path), draw.plan_id, draw.quarter, calendar, department_names,
                         {d for ds in departments.values() for d in ds}, _REQUIRED_DRAW, locate)


def _read_results(p: Path, plan_id: str, quarter: str, calendar: WorkingCalendar,
                  department_names: Mapping[str, str] | None, department_ids: set[str],
                  required: Sequence[str], locate: _Locate) -> list[InspectionResult]:
    """The rows of a results file, each checked; the target of a row is found by ``locate``."""
    name = str(p)
    header, rows = _read_rows(p, required)
    cols = _column_map(header, name, required)
    problems: list[Problem] = []
    out: list[InspectionResult] = []
    seen: dict[tuple[str, str], int] = {}
    latest = dt.date(int(quarter[:4]) + 1, 12, 31)  # no date arithmetic beyond it
    by_name = {_norm(n): d for d, n in (department_names or {}).items()}
    for rownum, raw in rows:
        def cell(col: str, raw: list[object] = raw) -> object:
            i = cols.get(col)
            v = raw[i] if i is not None and i < len(raw) else None
            return "" if v is None else v

        faults: list[tuple[str, str, str]] = []  # (column, value, why)
        result_text = str(cell("result")).strip()
        if not result_text:
            continue  # not inspected yet: the template lists every visit of the department
        dep_col = "department_id" if str(cell("department_id")).strip() else "department"
        dep_text = str(cell(dep_col)).strip()
        department_id = dep_text if dep_text in department_ids else by_name.get(_norm(dep_text), dep_text)
        target, fault = locate(cell)
        if fault is not None:
            faults.append(fault)
        elif target is not None and department_id not in target.departments:
            on_visit = ", ".join(f"{d} {department_names[d]}" if department_names and d in department_names else d
                                 for d in target.departments)
            what = f"task {target.task_id}" if target.task_id else f"visit {target.visit_id}"
            faults.append((dep_col, dep_text, f"department is not on {what} (its departments: {on_visit}); "
                                              "write one of them, by name or by code"))
        result = canonical_result(result_text) if result_text else None
        if result is None or result not in RESULT_CATEGORIES:
            faults.append(("result", result_text, "unknown result category; use one of: " +
                           "、".join(RESULT_CATEGORIES)))
        sub_text = str(cell("sub_result")).strip()
        sub = None
        if sub_text:
            sub = canonical_result(sub_text)
            if sub not in RESULT_SUB_TYPES:
                faults.append(("sub_result", sub_text, "unknown sub-type of 发现问题待后续处理; use one of: " +
                               "、".join(RESULT_SUB_TYPES)))
            elif result is not None and result != FOLLOW_UP:
                faults.append(("sub_result", sub_text, f"a sub-type belongs only to the result {FOLLOW_UP}; "
                                                       "leave it empty for other results"))
        raw_date = cell("inspected_on")
        inspected = _parse_date(raw_date)
        if inspected is None:
            faults.append(("inspected_on", str(raw_date), "not a date; write it as YYYY-MM-DD"))
        elif inspected > latest:
            faults.append(("inspected_on", inspected.isoformat(),
                           f"later than {latest.isoformat()}: a result of plan {plan_id} must be dated "
                           f"from its planned inspection date to the end of the following year; "
                           "correct the date"))
        elif target is not None and target.not_before is not None and inspected < target.not_before:
            when = ("the start of its quarter" if target.task_id else "the planned inspection date") + \
                f" {target.not_before.isoformat()}"
            faults.append(("inspected_on", inspected.isoformat(),
                           f"before {when} of {target.visit_id}; a result cannot precede its inspection"))
        if target is not None:
            key = (target.visit_id, department_id)
            if key in seen:
                faults.append(("visit_id" if target.task_id is None else "entity_id", target.visit_id,
                               f"a result for this {'visit' if target.task_id is None else 'entity and task'} and "
                               f"department {department_id} is already on row {seen[key]}; keep one row per pair"))
            seen.setdefault(key, rownum)
        if faults:
            problems.append(_one_problem(name, rownum, faults))
            continue
        assert target is not None and result is not None and inspected is not None
        try:
            deadline = publication_deadline(inspected, calendar)
        except SpecError as exc:  # no working-day data for the year the deadline falls in
            problems.append(Problem(name, rownum, "inspected_on", inspected.isoformat(), str(exc)))
            continue
        out.append(InspectionResult(plan_id=plan_id, visit_id=target.visit_id, department_id=department_id,
                                    entity_id=target.entity_id, entity_name=target.entity_name, result=result,
                                    sub_result=sub, inspected_on=inspected, deadline=deadline,
                                    notes=str(cell("notes")).strip(), task_id=target.task_id))
    if problems:
        n = len(problems)
        raise InputError(problems, header=f"{n} bad row{'s' if n != 1 else ''} in {name}; nothing was recorded")
    return sorted(out, key=lambda r: (r.visit_id, r.department_id))


def _one_problem(name: str, row: int, faults: list[tuple[str, str, str]]) -> Problem:
    if len(faults) == 1:
        col, value, why = faults[0]
        return Problem(name, row, col, value, why)
    return Problem(name, row, ", ".join(f[0] for f in faults), None,
                   "; ".join(f"{col} {value!r}: {why}" for col, value, why in faults))


# ---------------------------------------------------------------------------------------
# Recording, due lists


def record_results(path: str | Path, plan_dir: str | Path, ledger: Ledger, *,
                   at: str | None = None) -> list[InspectionResult]:
    """Read a results file (CSV/XLSX) for the plan in ``plan_dir`` and record it in the ledger.

    ``plan_dir`` may be a draw folder (``randsup draw``): the rows then name entity, task,
    department and date (:func:`read_draw_results_file`), and the draw must be the version of its
    plan id the ledger holds. Recorded results of a draw count toward the annual cap
    (docs/history.md).

    All rows are checked first; a file with any bad row records nothing. Recording is idempotent:
    a row equal to the result already recorded for its (visit, department) is skipped, and a
    changed row is recorded as a correction of it (``corrects`` = the earlier record's seq).
    Departments may be named by code or by name (names from the ledger's snapshot of the plan).

    Returns:
        The newly recorded results (new ones and corrections), sorted by visit and department.
    """
    folder = Path(plan_dir)
    if (folder / DRAW_FILE).is_file() and not (folder / PLAN_FILE).is_file():
        drawn = read_draw(folder)
        plan_id = drawn.plan_id
        results = read_draw_results_file(path, drawn, _draw_departments(folder), _draw_calendar(drawn, folder),
                                         department_names=_department_names(ledger))

        def recorded() -> None:
            _require_current_draw(ledger, drawn, folder)
    else:
        plan = read_plan(plan_dir)
        plan_id = plan.plan_id
        # Checked before anything is written: a refused file leaves the ledger as it was.
        results = read_results_file(path, plan, plan_calendar(plan, plan_dir),
                                    department_names=_department_names(ledger))

        def recorded() -> None:
            ensure_plan_recorded(ledger, plan, plan_dir, at=at)
    with ledger.locked():  # only for this short write: the file was read and checked before
        checkpoint("results:locked")
        ledger.require_intact("record results")
        recorded()
        known = {(r.visit_id, r.department_id): (seq, r) for seq, r in current_results(ledger, plan_id)}
        new: list[InspectionResult] = []
        for r in results:
            prev = known.get((r.visit_id, r.department_id))
            if prev is not None and prev[1].same_as(r):
                continue
            new.append(r if prev is None else dataclasses.replace(r, corrects=prev[0]))
        if new:
            ledger.record_results([r.payload() for r in new], at=at)
        checkpoint("results:recorded")
    return new


def _draw_departments(folder: Path) -> dict[str, list[str]]:
    """Each task's departments, from the draw record (public/draw-record.json) of a draw folder."""
    raw = read_json(folder / DRAW_RECORD, DRAW_RECORD)
    tasks = raw.get("tasks") if isinstance(raw, dict) else None
    if not isinstance(tasks, list):
        raise InputError(Problem(str(folder / DRAW_RECORD), None, None, None,
                                 "has no task list; restore the draw folder as `randsup draw` wrote it"))
    return {str(t.get("task_id")): [str(d) for d in t.get("departments", [])] for t in tasks if isinstance(t, dict)}


def _draw_calendar(drawn: DrawOnly, folder: Path) -> WorkingCalendar:
    """The draw quarter's working-day calendar, with the holidays copy the draw folder keeps."""
    return plan_calendar(_draw_header(drawn), folder)


def _draw_header(drawn: DrawOnly) -> Plan:
    """The header of a draw as a Plan without tasks or visits (what the calendar and notices read)."""
    return Plan(plan_id=drawn.plan_id, quarter=drawn.quarter, seed=drawn.seed, inputs=drawn.inputs,
                software=drawn.software, tasks=(), visits=(), alternates={}, stats={}, ledger=drawn.ledger)


def _require_current_draw(ledger: Ledger, drawn: DrawOnly, folder: Path) -> None:
    """Refuse results for a draw folder that is not the version of its plan id the ledger holds now."""
    rec = ledger.plan_record(drawn.plan_id)
    digest = hashlib.sha256((folder / DRAW_FILE).read_bytes()).hexdigest()
    if rec is None:
        raise LedgerError(f"the draw {drawn.plan_id} is not in the ledger {ledger.path}; record results in the "
                          "ledger that recorded the draw (--ledger), or run `randsup draw` with it first")
    if not rec.payload.get("draw_only"):
        raise LedgerError(f"plan {drawn.plan_id} in the ledger {ledger.path} (record seq {rec.seq}) is a plan that "
                          f"replaced or took the draw {folder}: record its results against the plan's visits "
                          "(the plan folder) so that they are not counted twice")
    if rec.payload["plan_json_sha256"] != digest:
        raise LedgerError(f"{folder / DRAW_FILE} is not the draw {drawn.plan_id} the ledger {ledger.path} holds "
                          f"(record seq {rec.seq}); use the draw folder `randsup draw` wrote, or check it with "
                          "`randsup verify`")


def current_results(ledger: Ledger, plan_id: str | None = None) -> list[tuple[int, InspectionResult]]:
    """The latest result per (plan, visit, department), with its ledger seq, sorted."""
    latest: dict[tuple[str, str, str], tuple[int, InspectionResult]] = {}
    for rec in ledger.records("result"):
        r = InspectionResult.from_payload(rec.payload)
        if plan_id is None or r.plan_id == plan_id:
            latest[(r.plan_id, r.visit_id, r.department_id)] = (rec.seq, r)
    return [latest[k] for k in sorted(latest)]


def _published_seqs(ledger: Ledger) -> set[int]:
    return {int(s) for rec in ledger.records("publication") for s in rec.payload.get("result_seqs", [])}


@dataclass(frozen=True)
class DueResult:
    """An unpublished result and where it stands on ``on``: "overdue" or "due"."""

    result: InspectionResult
    status: str
    seq: int


def due_results(ledger: Ledger, on: dt.date) -> list[DueResult]:
    """Results recorded but not yet published, by deadline: overdue if the deadline is before ``on``.

    ``on`` is the day to judge by (the CLI passes today); nothing here reads the clock.
    """
    published = _published_seqs(ledger)
    out = [DueResult(r, "overdue" if r.deadline < on else "due", seq)
           for seq, r in current_results(ledger) if seq not in published]
    return sorted(out, key=lambda d: (d.result.deadline, d.result.plan_id, d.result.visit_id,
                                      d.result.department_id))


# ---------------------------------------------------------------------------------------
# Publishing (抽查结果公告)


def _department_names(ledger: Ledger) -> dict[str, str]:
    names: dict[str, str] = {}
    for rec in ledger.records("snapshot"):
        names.update(rec.payload.get("department_names", {}))
    return names


def _outcome(r: InspectionResult) -> str:
    return r.result + (f"（{r.sub_result}）" if r.sub_result else "") + ("（更正）" if r.corrects is not None else "")


def render_results_notice(plan: Plan, results: Sequence[InspectionResult], *,
                          department_names: Mapping[str, str], salt: str | None,
                          authority: str | None = None,
                          ledger_head: tuple[int, str] | None = None) -> tuple[str, str]:
    """The 抽查结果公告 as (Markdown, HTML): one row per entity visited (a joint visit's departments
    and their results together), with 统一社会信用代码, items and results only; no inspector appears."""
    title = (f"{authority + ' ' if authority else ''}{plan.quarter[:4]}年第{plan.quarter[-1]}季度"
             "“双随机、一公开”抽查结果公告")
    task_names = {t.task_id: t.name for t in plan.tasks}
    task_departments = {t.task_id: set(t.departments) for t in plan.tasks}
    visits = {v.visit_id: v for v in plan.visits}
    by_visit: dict[str, list[InspectionResult]] = {}
    for r in sorted(results, key=lambda r: (r.inspected_on, r.visit_id, r.department_id)):
        by_visit.setdefault(r.visit_id, []).append(r)
    rows: list[tuple[str, ...]] = []
    for i, group in enumerate(by_visit.values(), start=1):
        first = group[0]
        v = visits.get(first.visit_id)
        deps = {r.department_id for r in group}
        tasks = [task_names[t] for t in (v.tasks if v else ()) if deps & task_departments.get(t, set())]
        if len(group) == 1:
            outcome = _outcome(first)
        else:
            outcome = "；".join(f"{department_names.get(r.department_id, r.department_id)}：{_outcome(r)}"
                               for r in group)
        dates = sorted({zh_date(r.inspected_on) for r in group})
        rows.append((str(i), first.entity_name, v.object_kind if v else "", first.entity_id,
                     "、".join(department_names.get(r.department_id, r.department_id) for r in group),
                     "；".join(tasks), "、".join(dates), outcome))
    commitment = plan.seed.get("salt_commitment")
    checks = [f"密钥串（RFC 3797）：{plan.seed.get('key_string') or ''}"]
    if commitment and salt is None:
        # Not revealed yet: the seed would tell who is still to be inspected.
        checks += [f"盐值承诺（抽取前公布）：{commitment}",
                   "盐值在本计划全部检查完成后公布（public/reveal.json），届时任何人可复算抽取结果。"]
    elif commitment:
        checks += [f"盐值承诺（抽取前公布）：{commitment}", f"公布的盐值：{salt}",
                   "核对：SHA-256(盐值) 应等于盐值承诺；种子 = SHA-256(“randsup/1” ‖ 密钥串 ‖ 盐值)。"]
    else:
        checks.append("本计划未使用秘密盐值：种子 = SHA-256(“randsup/1” ‖ 密钥串)。")
    if salt is not None or not commitment:
        checks += [f"种子：{plan.seed.get('seed_hex') or ''}",
                   "复算命令：randsup verify <计划目录> --data <名录库目录>"]
    corrections = sum(r.corrects is not None for r in results)
    blocks = [
        NoticeBlock("h1", title),
        NoticeBlock("p", f"根据抽查计划 {plan.plan_id}（{plan.quarter}）开展的“双随机、一公开”抽查，"
                    f"现将 {len(by_visit)} 户检查对象的 {len(results)} 项检查结果公告如下"
                    + (f"（其中更正 {corrections} 项）" if corrections else "") + "。检查结果按“谁检查、谁录入、谁公开”，"
                    f"自检查之日起{PUBLICATION_WORKING_DAYS}个工作日内公示。"),
        NoticeBlock("table", header=("序号", "检查对象名称", "检查对象类别", "统一社会信用代码/对象编码", "检查部门", "抽查任务",
                                     "检查日期", "检查结果"),
                    rows=tuple(rows)),
        NoticeBlock("h2", "抽取核验"),
        NoticeBlock("ul", items=tuple(checks)),
    ]
    if ledger_head is not None:  # anchors the ledger (docs/history.md, Anchors)
        blocks += [NoticeBlock("h2", "台账锚点"), NoticeBlock("p", f"本公告依据的检查台账末条记录：第 {ledger_head[0]} 条，"
                                                                 f"哈希 {ledger_head[1]}")]
    return render_notice_markdown(blocks), render_notice_html(blocks, title)


# The 抽查检查结果 columns of 国家企业信用信息公示系统 (docs/history.md, "公示系统 export").
GSXT_COLUMNS: tuple[str, ...] = ("检查实施机关", "检查类型", "检查日期", "检查结果", "企业名称", "统一社会信用代码")


def gsxt_rows(plan: Plan, results: Sequence[InspectionResult],
              department_names: Mapping[str, str]) -> list[tuple[str, ...]]:
    """One row per department's result, in the layout of the 公示系统's 抽查检查结果信息 section."""
    joint = {v.visit_id for v in plan.visits if len(v.departments) > 1}
    return [(department_names.get(r.department_id, r.department_id),
             "部门联合双随机抽查" if r.visit_id in joint else "双随机抽查",
             r.inspected_on.isoformat(), r.result + (f"（{r.sub_result}）" if r.sub_result else ""),
             r.entity_name, r.entity_id)
            for r in sorted(results, key=lambda r: (r.inspected_on, r.visit_id, r.department_id))]


def _plan_authority(plan_dir: str | Path) -> str | None:
    """The issuing authority named by the plan's spec.json, when the plan directory has one."""
    p = Path(plan_dir) / SPEC_FILE
    try:
        value = json.loads(p.read_text(encoding="utf-8")).get("authority")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value.strip() else None


def _revealed(plan: Plan, plan_dir: str | Path, salt: str | None) -> str | None:
    """The salt the results notice may show: the one ``randsup reveal`` published, if any.

    Publishing results never reveals the salt by itself; ``salt`` (the old --salt) is accepted
    only when it is the salt already revealed.
    """
    revealed = revealed_salt(plan_dir) if plan.seed.get("salt_commitment") else None
    if salt is not None and salt != revealed:
        raise SeedError(f"plan {plan.plan_id}: `results publish` no longer reveals the salt; once every visit is "
                        "past, run `randsup reveal PLAN --salt-file SALT_FILE --data DATA` and publish the results "
                        "without --salt (their notice then shows the seed)")
    return revealed


def publish_results(plan_dir: str | Path, out: str | Path, ledger: Ledger, *, salt: str | None = None,
                    department: str | None = None, include_published: bool = False, authority: str | None = None,
                    overwrite: bool = False, at: str | None = None) -> list[InspectionResult]:
    """Write the 抽查结果公告 of the results not yet published to ``out``.

    谁检查、谁录入、谁公开: with ``department`` (a code or a name) only that department's new results
    are published, under its own name; without it, every department's new results. Each
    publication holds only results recorded since the last one that covered them (corrections
    included, marked 更正); ``include_published`` publishes every current result again (after the
    reveal, so that the notice shows the seed). ``out`` gets results-notice.md/.html, results.json, gsxt-results.csv
    (the 公示系统 抽查检查结果 layout) and a manifest.

    Publishing results never reveals a salt: the notice shows the seed only once ``randsup
    reveal`` has published it (or when the plan had none). ``salt`` is kept for old callers and
    must be that revealed salt. The output depends only on the plan and the recorded results;
    the ledger notes the publication (with its time) afterwards.

    Raises:
        SeedError: a salt is given that the plan has not revealed.
        LedgerError: the plan folder is not the plan the ledger recorded, or nothing new is recorded.
        InputError: ``department`` is not a department of the plan.
    """
    plan = read_plan(plan_dir)
    salt = _revealed(plan, plan_dir, salt)
    names = _department_names(ledger)
    department_id = None if department is None else _department_of(plan, department, names)
    with ledger.locked():
        checkpoint("publish:locked")
        ledger.require_intact("publish results")
        done = _complete_pending_publication(ledger, out, plan.plan_id)
        if done is not None:
            return done  # the same command again: the publication a crash interrupted is now complete
        return _publish_locked(plan, plan_dir, out, ledger, salt=salt, authority=authority, overwrite=overwrite,
                               at=at, department_id=department_id, names=names,
                               include_published=include_published)


def _complete_pending_publication(book: Ledger, out: str | Path, plan_id: str) -> list[InspectionResult] | None:
    target = Path(out).resolve()
    for rec in book.pending():
        if rec.kind == "publication" and Path(rec.payload["folder"]) == target and rec.payload["plan_id"] == plan_id:
            if not complete(book, rec):
                raise LedgerError(f"the publication recorded as pending at seq {rec.seq} cannot be completed: "
                                  f"neither {target} nor its staged copy holds the results.json it names; "
                                  "restore the folder from a backup")
            seqs = set(rec.payload["result_seqs"])
            return [r for s, r in current_results(book, plan_id) if s in seqs]
    return None


def _publish_locked(plan: Plan, plan_dir: str | Path, out: str | Path, ledger: Ledger, *, salt: str | None,
                    authority: str | None, overwrite: bool, at: str | None, department_id: str | None,
                    names: Mapping[str, str], include_published: bool) -> list[InspectionResult]:
    target = Path(out).resolve()
    if target.exists() and not overwrite:
        raise OutputError(f"{out} exists already; choose a new output folder or remove the old one")
    ensure_plan_recorded(ledger, plan, plan_dir)
    published = set() if include_published else _published_seqs(ledger)
    current = [(seq, r) for seq, r in current_results(ledger, plan.plan_id)
               if seq not in published and (department_id is None or r.department_id == department_id)]
    if not current:
        who = f"department {department_id} ({names.get(department_id, department_id)})" if department_id else "any department"
        raise LedgerError(f"no new results of plan {plan.plan_id} for {who} since its last publication in "
                          f"{ledger.path}; record them first with `randsup results record RESULTS --plan PLAN`")
    results = [r for _, r in current]
    if department_id is not None:
        authority = authority or names.get(department_id, department_id)
    elif authority is None:
        authority = _plan_authority(plan_dir)
    # The notice is anchored at the last record it depends on (its plan, the plan's changes, its
    # results), not the moving head: publishing the same results again gives the same bytes.
    rec = ledger.plan_record(plan.plan_id)
    last = max([s for s, _ in current] + [rec.seq if rec else 0] + [
        r.seq for r in ledger.records("change") if r.payload.get("plan_id") == plan.plan_id])
    seq, hash_ = last, ledger.record(last).hash
    anchor = {"head_before": {"seq": seq, "hash": hash_}}
    md, page = render_results_notice(plan, results, department_names=names, salt=salt,
                                     authority=authority, ledger_head=(seq, hash_))
    record = {
        "format": "randsup-results/1",
        "plan_id": plan.plan_id,
        "quarter": plan.quarter,
        "department_id": department_id,
        "seed": {"key_string": plan.seed.get("key_string"), "salt_commitment": plan.seed.get("salt_commitment"),
                 "salt": salt,
                 "seed_hex": plan.seed.get("seed_hex") if salt is not None or not plan.seed.get("salt_commitment")
                 else None},
        "results": [{**{k: v for k, v in r.payload().items() if k != "notes"},
                     "department_name": names.get(r.department_id, r.department_id)} for r in results],
    }
    record["ledger"] = anchor
    files = {"results-notice.md": md.encode("utf-8"), "results-notice.html": page.encode("utf-8"),
             RESULTS_FILE: canonical_json(record),
             "gsxt-results.csv": csv_text(GSXT_COLUMNS, gsxt_rows(plan, results, names)).encode("utf-8-sig")}
    files[MANIFEST_FILE] = manifest_bytes(files)
    payload = {"plan_id": plan.plan_id, "department_id": department_id, "result_seqs": [s for s, _ in current],
               "files": json.loads(files[MANIFEST_FILE])["files"], "ledger": anchor, "status": "pending",
               "folder": str(target), "results_json_sha256": hashlib.sha256(files[RESULTS_FILE]).hexdigest()}
    publish(ledger, target, files, step="publish",
            record=lambda: ledger.record(ledger.record_publication(payload, at=at)))
    return results


def _department_of(plan: Plan, text: str, names: Mapping[str, str]) -> str:
    """A department of the plan named by its code or its name."""
    on_plan = sorted({d for v in plan.visits for d in v.departments})
    if text in on_plan:
        return text
    by_name = {_norm(n): d for d, n in names.items() if d in on_plan}
    found = by_name.get(_norm(text))
    if found is None:
        listed = ", ".join(f"{d} {names[d]}" if d in names else d for d in on_plan)
        raise InputError(Problem("--department", None, None, text,
                                 f"not a department of plan {plan.plan_id}; use a code or name of: {listed}"),
                         header="bad option")
    return found
