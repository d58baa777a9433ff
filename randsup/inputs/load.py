"""Load and validate 一单两库 (architecture §3) from CSV files or one XLSX workbook.

Design notes: docs/inputs.md (section randsup/inputs/load.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ValidationError

from .._runtime import paused_gc
from ..errors import InputError, Problem
from ..io import unneutralise_cell
from ..model import (
    CHECK_METHODS,
    ENTITY_KIND,
    ENTITY_TYPES,
    MAX_VISITS_PER_DAY,
    MAX_VISITS_PER_QUARTER,
    RISK_CLASSES,
    RISK_UNGRADED,
    Categorical,
    CheckItem,
    Conflict,
    Department,
    Directory,
    EntityTable,
    HistoryVisit,
    Inspector,
    JointItem,
    SupervisionItem,
    Unavailability,
)
from . import cells as registry
from .cells import CellError
from .columnar import PARQUET_SUFFIX, ArrowBlock, Coded, ParquetTable
from .csvfile import SAVE_AS, not_a_table, open_csv, scrub_chunk
from .kinds import ID_RULES, normalise_kind, object_id_problem
from .uscc import uscc_problem, uscc_problems

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

__all__ = ["DRAW_COLUMNS", "clean_cell", "entity_column", "entity_type_problem", "industry_problem",
           "load_directory", "responsible_entity_code", "risk_class_index", "risk_ungraded", "split_list"]

# The entity columns a draw (第一随机) reads, by their canonical names; the SQL engines read the same.
# object_kind and responsible_entity_id are optional (docs/object-kinds.md).
DRAW_COLUMNS: tuple[str, ...] = ("entity_id", "entity_type", "industry", "area", "risk_class", "tags",
                                 "object_kind", "responsible_entity_id")

_CHUNK = 50_000  # rows per columnar chunk of a large table: bounds memory, keeps numpy calls big
_PER_COLUMN = 100  # problems listed per (file, column) before the rest are only counted
_HEADER_SEARCH = 10  # records searched for the header row (government exports put titles above it)


# A cell that cannot be used; ``why`` says how to fix it. One type with the registry-value
# mappings of cells.py, so that every cell parser raises the same thing.
_Bad = CellError


# ---------------------------------------------------------------------------------------
# Cell parsers: text in, typed value out, or _Bad with a fix the clerk can apply.


def _text(s: str) -> str:
    return unneutralise_cell(s.strip())


def _required(s: str) -> str:
    s = _text(s)
    if not s:
        raise _Bad("empty; this cell must be filled in")
    return s


_LIST_SPLIT = re.compile(r"[;；]")
_METHOD_SPLIT = re.compile(r"[;；、]")
# Names for check methods seen in published lists (real_items_sample.csv), mapped to ours.
_METHOD_SYNONYMS = {"网络检查": "网络监测", "实地检查": "现场检查", "实地核查": "现场检查"}


def _entity_code(s: str) -> str:
    """A 统一社会信用代码 referred to from another table: upper case, as entities.csv's are."""
    return registry.uscc(_required(s))


def _list(s: str) -> tuple[str, ...]:
    return tuple(p for p in (_text(x) for x in _LIST_SPLIT.split(s)) if p)


def _required_list(s: str) -> tuple[str, ...]:
    items = _list(s)
    if not items:
        raise _Bad("empty; list at least one code, several separated by ';'")
    return items


def _check_methods(s: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in _METHOD_SPLIT.split(s):
        m = _METHOD_SYNONYMS.get(part.strip(), part.strip())
        if not m:
            continue
        if m not in CHECK_METHODS:
            raise _Bad(f"check method {m!r} is not one of {', '.join(CHECK_METHODS)}; "
                       "separate several with ';'")
        if m not in out:
            out.append(m)
    if not out:
        raise _Bad(f"empty; give at least one of {', '.join(CHECK_METHODS)}")
    return tuple(out)


def _category(s: str) -> str:
    v = s.strip().removesuffix("检查事项").removesuffix("事项")
    if v not in ("一般", "重点"):
        raise _Bad("事项类别 must be 一般 or 重点")
    return v


_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0{1,2}:00(?::00)?)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)


def _parse_date(s: str) -> dt.date:
    v = s.strip()
    for form in _DATE_FORMS:
        m = form.fullmatch(v)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError:
                raise _Bad(f"there is no day {y:04d}-{mo:02d}-{d:02d}; correct the date") from None
    if not v:
        raise _Bad("empty; write the date as YYYY-MM-DD, e.g. 2027-03-31")
    raise _Bad("not a date; write it as YYYY-MM-DD, e.g. 2027-03-31")


_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否", ""}


def _bool(s: str) -> bool:
    v = s.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise _Bad("must be 是 or 否 (also accepted: true/false, 1/0, yes/no, Y/N)")


def _cap(default: int, highest: int) -> Callable[[str], int]:
    def parse(s: str) -> int:
        v = s.strip()
        if not v:
            return default
        m = re.fullmatch(r"(\d{1,15})(?:\.0*)?", v)  # "3" or, from a spreadsheet, "3.0"
        if m is None or not 1 <= int(m.group(1)) <= highest:
            raise _Bad(f"must be a whole number of visits from 1 to {highest:,}, or empty for {default}")
        return int(m.group(1))
    return parse


# ---------------------------------------------------------------------------------------
# The tables of architecture §3 and their accepted header names.


@dataclass(frozen=True)
class _Col:
    name: str  # the English header, also the model field
    aliases: tuple[str, ...]  # Chinese (and other) header names; the first is architecture §3's
    parse: Callable[[str], object] = _text
    required: bool = True  # the column must be present
    default: object = None  # value when an optional column is absent


@dataclass(frozen=True)
class _TableSpec:
    name: str  # "entities": file entities.csv, sheet "entities"
    chinese: tuple[str, ...]  # other accepted file / sheet names
    columns: tuple[_Col, ...]
    key: str | None  # the id column that must be unique
    required: bool = True  # the file must be present
    needs_rows: bool = True  # a header-only file is a problem
    # Rules across cells of one row: (column, value, why) for each broken one. Sees the cells that
    # parsed, so a rule whose cells are bad is skipped rather than reported twice.
    row_rules: Callable[[dict[str, object]], list[tuple[str, str | None, str]]] | None = None

    @property
    def file(self) -> str:
        return self.name + ".csv"


def _certified(v: dict[str, object]) -> list[tuple[str, str | None, str]]:
    if v.get("is_expert") is False and v.get("certificate_no") == "":
        return [("certificate_no", None, "empty: only holders of a 执法证 may inspect; enter the certificate "
                                         "number, or mark the person as an expert (is_expert = 是)")]
    return []


def _in_order(v: dict[str, object]) -> list[tuple[str, str | None, str]]:
    start, end = v.get("start"), v.get("end")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and start > end:
        return [("end", end.isoformat(), f"ends before it starts ({start}); swap start and end")]
    return []


_INSPECTOR_ID = ("人员编码", "执法人员编码", "检查人员编码")
_DEPARTMENT_ID = ("部门编码", "部门代码")
_ENTITY_ID = ("统一社会信用代码", "社会信用代码", "信用代码", "检查对象编码", "对象编码")

_TABLES: tuple[_TableSpec, ...] = (
    _TableSpec("departments", ("部门", "部门名录"), (
        _Col("department_id", _DEPARTMENT_ID, _required),
        _Col("name", ("部门名称", "名称"), _required),
    ), key="department_id"),
    _TableSpec("supervision_items", ("监管事项目录清单", "监管事项"), (
        _Col("item_id", ("监管事项编码", "事项编码"), _required),
        _Col("name", ("监管事项名称", "事项名称"), _required),
        _Col("department_id", _DEPARTMENT_ID, _required),
        _Col("category", ("事项类别",), _category),
        _Col("legal_basis", ("检查依据", "法律依据"), _required),
    ), key="item_id"),
    _TableSpec("check_items", ("检查实施清单",), (
        _Col("check_item_id", ("检查实施清单编码",), _required),
        _Col("item_id", ("监管事项编码",), _required),
        _Col("department_id", _DEPARTMENT_ID, _required),
        _Col("name", ("检查事项", "检查事项名称"), _required),
        _Col("field", ("执法领域",), _required),
        _Col("object_type", ("检查对象",)),
        _Col("check_methods", ("检查方式",), _check_methods),
        _Col("legal_basis", ("检查依据", "法律依据"), _required),
    ), key="check_item_id"),
    _TableSpec("joint_items", ("部门联合抽查事项清单", "联合抽查事项清单"), (
        _Col("joint_item_id", ("联合抽查事项编码", "抽查事项编码"), _required),
        _Col("name", ("抽查事项", "联合抽查事项名称", "事项名称"), _required),
        _Col("lead_department_id", ("发起部门", "发起部门编码"), _required),
        _Col("partner_department_ids", ("配合部门", "配合部门编码"), _list),
        _Col("check_item_ids", ("检查实施清单编码",), _required_list),
        _Col("object_type", ("检查对象",)),
    ), key="joint_item_id", needs_rows=False),
    # Entities are read column-wise by _EntityBuilder, which checks each column itself.
    _TableSpec("entities", ("检查对象名录库",), (
        _Col("entity_id", _ENTITY_ID),
        _Col("name", ("名称", "企业名称", "主体名称")),
        _Col("entity_type", ("主体类型", "主体类别", "企业类型")),
        _Col("industry", ("行业代码", "行业")),
        _Col("area", ("所属街镇", "街镇")),
        _Col("risk_class", ("信用风险分类", "风险分类", "信用风险等级")),
        _Col("tags", ("标签",), required=False),
        _Col("last_inspected", ("上次抽查日期", "上次检查日期"), required=False),
        # Internal work lists only (never public): where to go and whom to call.
        _Col("address", ("住所/经营场所", "住所（经营场所）", "住所", "经营场所", "经营地址", "注册地址"),
             required=False),
        _Col("contact", ("联系人", "联络人"), required=False),
        _Col("phone", ("联系电话", "联系方式", "电话"), required=False),
        _Col("object_kind", ("检查对象类别", "对象类别"), required=False),
        _Col("responsible_entity_id", ("责任主体统一社会信用代码", "责任主体代码", "责任主体"), required=False),
    ), key="entity_id"),
    _TableSpec("inspectors", ("执法检查人员名录库",), (
        _Col("inspector_id", _INSPECTOR_ID, _required),
        _Col("name", ("姓名",), _required),
        _Col("department_id", _DEPARTMENT_ID, _required),
        _Col("certificate_no", ("执法证号",)),
        _Col("certificate_valid_until", ("执法证有效期至", "有效期至"), _parse_date),
        _Col("fields", ("执法领域",), _list),
        _Col("area", ("所属街镇", "区域")),
        _Col("is_expert", ("是否专家",), _bool, required=False, default=False),
        _Col("max_visits_per_day", ("每日最多检查户数",), _cap(2, MAX_VISITS_PER_DAY), required=False, default=2),
        _Col("max_visits_per_quarter", ("每季度最多检查户数",), _cap(60, MAX_VISITS_PER_QUARTER),
             required=False, default=60),
    ), key="inspector_id", row_rules=_certified),
    _TableSpec("conflicts", ("回避",), (
        _Col("inspector_id", _INSPECTOR_ID, _required),
        _Col("entity_id", _ENTITY_ID, _entity_code),
        _Col("reason", ("回避原因", "原因"), required=False, default=""),
    ), key=None, required=False, needs_rows=False),
    _TableSpec("unavailability", ("不可用时间",), (
        _Col("inspector_id", _INSPECTOR_ID, _required),
        _Col("start", ("开始日期",), _parse_date),
        _Col("end", ("结束日期",), _parse_date),
        _Col("reason", ("原因", "事由"), required=False, default=""),
    ), key=None, required=False, needs_rows=False, row_rules=_in_order),
    _TableSpec("history", ("抽查记录",), (
        _Col("entity_id", _ENTITY_ID, _entity_code),
        _Col("inspector_id", _INSPECTOR_ID, _required),
        _Col("department_id", _DEPARTMENT_ID, _required),
        _Col("date", ("检查日期", "日期"), _parse_date),
    ), key=None, required=False, needs_rows=False),
)
_SPEC = {t.name: t for t in _TABLES}


def _norm(name: str) -> str:
    """Header / file-name key: full-width folded (NFKC), trimmed, lower case, '_' for blanks."""
    s = unicodedata.normalize("NFKC", name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", s).strip("*")


_ALIASES: dict[str, dict[str, str]] = {
    t.name: {_norm(a): c.name for c in t.columns for a in (c.name, *c.aliases)} for t in _TABLES
}
_TABLE_BY_NAME: dict[str, str] = {_norm(n): t.name for t in _TABLES for n in (t.name, *t.chinese)}


def _column_of(header: str, table: str) -> str | None:
    """The canonical column a header names; "entity_id [统一社会信用代码]" style works too."""
    aliases = _ALIASES[table]
    h = _norm(header)
    if h in aliases:
        return aliases[h]
    for piece in re.split(r"[\[\]()【】]", h):
        piece = piece.strip(" _*")
        if piece in aliases:
            return aliases[piece]
    return None


# ---------------------------------------------------------------------------------------
# Problems: every one is kept (up to a display bound per column) and raised together.


class _Problems:
    def __init__(self) -> None:
        self._kept: list[tuple[int, int, int, Problem]] = []
        self._count: Counter[tuple[str, str | None]] = Counter()
        self._file_order: dict[str, int] = {}
        self.incomplete: set[str] = set()  # tables whose ids cannot be trusted for cross-checks
        # file → canonical column → the header as the file spells it ("企业类型"), so that a
        # message names the column the clerk sees.
        self.headers: dict[str, dict[str, str]] = {}

    def add(self, file: str, row: int | None, column: str | None, value: str | None, why: str) -> None:
        column = self.headers.get(file, {}).get(column, column) if column is not None else None
        key = (file, column)
        self._count[key] += 1
        if self._count[key] > _PER_COLUMN:
            return
        if value is not None and len(value) > 200:
            value = value[:200]
        order = self._file_order.setdefault(file, len(self._file_order))
        self._kept.append((order, row if row is not None else 0, len(self._kept),
                           Problem(file, row, column, value, why)))

    def count_more(self, file: str, column: str | None, n: int) -> None:
        """Count ``n`` further problems of a column without listing them (beyond the display bound)."""
        column = self.headers.get(file, {}).get(column, column) if column is not None else None
        self._count[(file, column)] += n

    def __bool__(self) -> bool:
        return bool(self._kept)

    def error(self) -> InputError:
        kept = [p for *_, p in sorted(self._kept)]
        for (file, column), n in sorted(self._count.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            if n > _PER_COLUMN:
                kept.append(Problem(file, None, column, None,
                                    f"{n - _PER_COLUMN:,} more problems in this column are not listed "
                                    f"({n:,} in all); fix the ones above and run again"))
        return InputError(kept)


# ---------------------------------------------------------------------------------------
# Reading files: raw records (lists of str), header first.


@dataclass
class _Sheet:
    label: str  # how problems name the file: "entities.csv" or "data.xlsx, sheet entities"
    chunks: Iterator[list[list[str]]]  # raw records in blocks, header first
    columnar: ParquetTable | None = None  # a Parquet file: header from its schema, columnar blocks


def _sha256(path: Path) -> str:
    # hashlib releases the GIL on large buffers, so this runs beside the parser on a second core.
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _open_csv(path: Path, table: str, problems: _Problems) -> _Sheet | None:
    label = path.name

    def report(row: int | None, column: str | None, value: str | None, why: str) -> None:
        problems.add(label, row, column, value, why)

    f = open_csv(path, label, report, required=_SPEC[table].required)
    if f is None:
        return None

    def chunks() -> Iterator[list[list[str]]]:
        yield from f.chunks()
        if f.broken:  # reading stopped early: ids of this table cannot be trusted for cross-checks
            problems.incomplete.add(table)

    return _Sheet(label, chunks())


_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # how Excel writes a control character in a cell: _x0007_


def _xlsx_cell(v: object, label: str, row: int, col: int, problems: _Problems) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), v) if "_x" in v else v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, int | float) and float(v).is_integer():
        if abs(v) >= 1e15:  # Excel numbers carry 15 significant digits: a long code lost its tail
            from openpyxl.utils import get_column_letter

            problems.add(label, row, get_column_letter(col + 1), f"{v:.0f}",
                         "this code is stored as a number, so Excel kept only its first 15 digits; "
                         "format the column as Text (文本) and enter the codes again")
        return str(int(v))
    return str(v)


def _xlsx_chunks(ws: ReadOnlyWorksheet, label: str, problems: _Problems) -> Iterator[list[list[str]]]:
    rows = enumerate(ws.iter_rows(values_only=True), 1)
    while block := list(islice(rows, _CHUNK)):
        yield [[_xlsx_cell(v, label, r, j, problems) for j, v in enumerate(values)] for r, values in block]


class _Source:
    """Where the tables come from: a folder of CSVs or one workbook."""

    def __init__(self, path: Path, problems: _Problems, pool: ThreadPoolExecutor) -> None:
        self.problems = problems
        self._pool = pool
        self._digests: dict[str, Future[str]] = {}
        self.csv_files: dict[str, Path] = {}
        self.workbook: Workbook | None = None
        self.book_label = ""
        self.sheets: dict[str, str] = {}
        self.folder = path
        self.unrecognised: list[str] = []
        if path.is_file():
            self._open_workbook(path)
            return
        found: dict[str, list[Path]] = {}
        books: list[Path] = []
        for p in sorted(path.iterdir()):
            suffix = p.suffix.lower()
            if suffix in (".csv", PARQUET_SUFFIX) and p.is_file():
                table = _TABLE_BY_NAME.get(_norm(p.stem))
                if table:
                    found.setdefault(table, []).append(p)
                else:
                    self.unrecognised.append(p.name)
            elif suffix in (".xlsx", ".xlsm") and not p.name.startswith("~$"):
                books.append(p)
        for table, paths in sorted(found.items()):
            if len(paths) > 1:
                problems.add(paths[1].name, None, None, None,
                             f"{' and '.join(q.name for q in paths)} are both the {table} table; "
                             "keep one of them")
            self.csv_files[table] = paths[0]
        if not found and len(books) == 1:
            self._open_workbook(books[0])
        elif not found and len(books) > 1:
            self.book_label = path.name or str(path)  # no table can be read: say why once
            problems.add(self.book_label, None, None, None,
                         f"holds no table CSVs and {len(books)} workbooks ({', '.join(b.name for b in books)}); "
                         "keep exactly one workbook, with one sheet per table")

    def _open_workbook(self, path: Path) -> None:
        import openpyxl

        label = self.book_label = path.name  # from here on, tables come from this file or from nowhere
        suffix = path.suffix.lower()
        if suffix == ".xls":
            self.problems.add(label, None, None, None,
                              "is an old Excel 97-2003 workbook; save it as .xlsx (Excel Workbook) or "
                              "export each table as CSV UTF-8")
            return
        if suffix == ".csv":
            self.problems.add(label, None, None, None,
                              "give the folder that holds the table CSVs, not one CSV file")
            return
        if suffix not in (".xlsx", ".xlsm"):
            self.problems.add(label, None, None, None,
                              "is not a folder or an .xlsx workbook; give the folder that holds the "
                              "table CSVs or the path of one .xlsx workbook")
            return
        self._digests[label] = self._pool.submit(_sha256, path)
        with path.open("rb") as f:
            head = f.read(4096)
        if not head.startswith(b"PK\x03\x04"):
            why = not_a_table(head) or "is not a valid .xlsx workbook"
            self.problems.add(label, None, None, None,
                              why + "; open it in Excel and save it again as Excel Workbook (.xlsx)")
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
                wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
            self.problems.add(label, None, None, None,
                              f"cannot be opened as an .xlsx workbook ({type(exc).__name__}); open it in "
                              "Excel and save it again as Excel Workbook (.xlsx)")
            return
        self.workbook = wb
        for name in wb.sheetnames:
            table = _TABLE_BY_NAME.get(_norm(name.removesuffix(".csv")))
            if table and table in self.sheets:
                self.problems.add(label, None, None, None,
                                  f"sheets {self.sheets[table]!r} and {name!r} are both the {table} table; "
                                  "keep one of them")
            elif table:
                self.sheets[table] = name

    def open(self, spec: _TableSpec) -> _Sheet | None:
        """The table's records, or None (with a problem where the table is required)."""
        if self.workbook is not None:
            name = self.sheets.get(spec.name)
            if name is None:
                if spec.required:
                    present = ", ".join(self.workbook.sheetnames)
                    self.problems.add(self.book_label, None, None, None,
                                      f"has no sheet {spec.name!r} ({'/'.join(spec.chinese)}); add a sheet "
                                      f"named {spec.name} with that table (sheets present: {present})")
                return None
            ws = self.workbook[name]
            ws.reset_dimensions()  # some writers record a wrong used range; read every row
            label = f"{self.book_label}, sheet {name}"
            return _Sheet(label, _xlsx_chunks(ws, label, self.problems))
        if self.book_label:  # the workbook could not be opened; that problem is already reported
            return None
        path = self.csv_files.get(spec.name)
        if path is None:
            if spec.required:
                other = f" (CSV files here that are no table: {', '.join(self.unrecognised)})" \
                    if self.unrecognised else ""
                self.problems.add(spec.file, None, None, None,
                                  f"required file is missing from {self.folder}{other}; add {spec.file} "
                                  f"(or {spec.chinese[0]}.csv) with the {spec.name} table")
            return None
        self._digests[path.name] = self._pool.submit(_sha256, path)
        if path.suffix.lower() == PARQUET_SUFFIX:  # columnar export of a big table (columnar.py)
            return _Sheet(path.name, iter(()), ParquetTable(path))
        return _open_csv(path, spec.name, self.problems)

    def digests(self) -> dict[str, str]:
        """SHA-256 hex of each file read, by file name, sorted."""
        return {name: f.result() for name, f in sorted(self._digests.items())}

    def close(self) -> None:
        if self.workbook is not None:
            self.workbook.close()


# ---------------------------------------------------------------------------------------
# From records to columns: header detection, ragged rows, blank rows, chunking.


@dataclass
class _Table:
    spec: _TableSpec
    label: str
    header_row: int  # spreadsheet row of the header
    width: int
    index: dict[str, int]  # canonical column → position in the record
    raw: Iterator[list[list[str]] | ArrowBlock]  # the records after the header, in blocks
    # Rows already reported as unusable as a whole; their cells are still read, so that their ids
    # count as existing and one bad row does not become many "unknown id" problems elsewhere.
    broken: set[int] = field(default_factory=set)
    read: frozenset[str] | None = None  # the columns read, when not all of index (a Parquet projection)

    def chunks(self, problems: _Problems) -> Iterator[tuple[np.ndarray, dict[str, Sequence[str]]]]:
        """(row numbers, {column: cells}) for successive blocks of non-empty rows.

        A Parquet block of the entity table may come in columnar form (columnar.py): ids as a
        numpy array of canonical codes, low-cardinality columns as :class:`Coded`.
        """
        row = self.header_row
        w = self.width
        for chunk in self.raw:
            if isinstance(chunk, ArrowBlock):
                fast = chunk.fast_columns(self.index, codes=("entity_id",), coded=_FACTOR_COLUMNS) \
                    if self.spec.name == "entities" else None
                if fast is not None:
                    yield np.arange(row + 1, row + 1 + chunk.n, dtype=np.int64), fast  # type: ignore[misc]
                    row += chunk.n
                    continue
                chunk = chunk.records()
            if not chunk:
                continue
            first = row + 1
            row += len(chunk)
            lengths = list(map(len, chunk))  # map runs in C: these lines see every row
            ragged = [] if lengths.count(w) == len(chunk) else [k for k, n in enumerate(lengths) if n != w]
            for k in ragged:
                r = chunk[k]
                if len(r) > w and any(c.strip() for c in r[w:]):
                    problems.add(self.label, first + k, None, None,
                                 f"has {len(r)} cells but the header has {w}; a value probably holds an "
                                 "unquoted comma: put such values in double quotes or export the CSV again")
                    self.broken.add(first + k)
                chunk[k] = (r + [""] * (w - len(r)))[:w]
            bad, swallowed = scrub_chunk(chunk, first, self.positions, self.identifiers, self.report(problems))
            self.broken |= bad
            if swallowed:
                problems.incomplete.add(self.spec.name)
            rows = np.arange(first, row + 1, dtype=np.int64)
            columns = list(zip(*chunk, strict=True))
            # Blank rows (blank lines, or cells a spreadsheet left empty or holding spaces) are
            # skipped. Only a row whose first cell is blank can be one, so test those alone.
            firsts = list(map(str.strip, columns[0]))
            if "" in firsts:
                blank = {k for k, f in enumerate(firsts) if not f and not any(c.strip() for c in chunk[k])}
                if blank:
                    rows = np.delete(rows, sorted(blank))
                    chunk = [r for k, r in enumerate(chunk) if k not in blank]
                    if not chunk:
                        continue
                    columns = list(zip(*chunk, strict=True))
            yield rows, {name: columns[j] for name, j in self.index.items()
                         if self.read is None or name in self.read}

    @property
    def positions(self) -> dict[int, str]:
        return {j: name for name, j in self.index.items()}

    @property
    def identifiers(self) -> set[str]:
        """Columns of codes, where a line break is refused (elsewhere it becomes a space)."""
        return {n for n in self.index if n.endswith(("_id", "_ids")) or n == "certificate_no"}

    def report(self, problems: _Problems) -> Callable[[int | None, str | None, str | None, str], None]:
        def add(row: int | None, column: str | None, value: str | None, why: str) -> None:
            problems.add(self.label, row, column, value, why)
        return add

    def rows(self, problems: _Problems) -> Iterator[tuple[int, dict[str, str]]]:
        for rows, cols in self.chunks(problems):
            names = list(cols)
            for i, r in enumerate(rows.tolist()):
                yield r, {n: cols[n][i] for n in names}


def _map_header(cells: list[str], table: str) -> tuple[dict[str, int], list[str]]:
    """Column positions by canonical name, and problems with duplicate headers."""
    index: dict[str, int] = {}
    dupes: list[str] = []
    for j, h in enumerate(cells):
        c = _column_of(h, table)
        if c is None:
            continue
        if c in index:
            dupes.append(f"headers {cells[index[c]]!r} and {h!r} both mean {c}; delete or rename one")
        else:
            index[c] = j
    return index, dupes


def _open_table(sheet: _Sheet, spec: _TableSpec, problems: _Problems,
                keep: Collection[str] | None = None) -> _Table | None:
    """The table after its header row; ``keep`` limits the columns a Parquet file is read for."""
    label = sheet.label
    head: list[list[str]] = []
    if sheet.columnar is not None:  # a Parquet schema: the header is its first row, for sure
        head.append(sheet.columnar.header)
    for block in sheet.chunks:
        head.extend(block)
        if len(head) >= _HEADER_SEARCH:
            break
    nonblank = [(k, r) for k, r in enumerate(head[:_HEADER_SEARCH]) if any(c.strip() for c in r)]
    if not nonblank:
        if spec.name not in problems.incomplete:
            problems.add(label, None, None, None,
                         "has no header row and no data (the file holds only blank lines); export the "
                         "table again with its header row")
        return None
    required = [c for c in spec.columns if c.required]
    best = None
    for k, r in nonblank:
        index, dupes = _map_header(r, spec.name)
        score = sum(c.name in index for c in required)
        if best is None or score > best[0]:
            best = (score, k, r, index, dupes)
        if score == len(required):
            break
    assert best is not None
    _, k, cells, index, dupes = best
    header_row = k + 1
    for d in dupes:
        problems.add(label, header_row, None, None, d)
    missing = [c for c in required if c.name not in index]
    if missing:
        problems.incomplete.add(spec.name)
        seps = [(";", "semicolons"), ("\t", "tabs"), ("|", "'|' characters")]
        glued = next((n for s, n in seps if len(cells) == 1 and s in cells[0]), None)
        if glued:
            problems.add(label, header_row, None, cells[0],
                         f"has a single column whose header holds {glued}: the file is separated by "
                         f"{glued}, not commas; {SAVE_AS}")
            return None
        if not index:
            problems.add(label, header_row, None, None,
                         "no recognised header: this does not look like the "
                         f"{spec.name} table (found: {', '.join(c.strip() for c in cells if c.strip())[:300]}); "
                         f"the header row needs {', '.join(c.name for c in required)}")
            return None
        for c in missing:
            problems.add(label, header_row, c.name, None,
                         f"missing column {c.name}: add a column headed {c.name} or "
                         f"{' or '.join(c.aliases)}")
        return None
    problems.headers[label] = {c: cells[j].strip() for c, j in index.items() if cells[j].strip()}
    if sheet.columnar is not None:
        read = frozenset(c for c in index if keep is None or c in keep)
        return _Table(spec, label, header_row, len(cells), index, sheet.columnar.blocks(index[c] for c in read),
                      read=read)
    return _Table(spec, label, header_row, len(cells), index, chain([head[k + 1:]], sheet.chunks))


# ---------------------------------------------------------------------------------------
# Small tables: one pydantic model per row.


@dataclass
class _Parsed:
    """A small table after cell checks: good rows, and the ids of every row (good or not)."""

    label: str
    rows: list[tuple[int, dict[str, object]]]
    ids: dict[str, int]  # id → first row, from every row with a non-empty id
    count: int  # rows read, good or not


def _parse_small(table: _Table, problems: _Problems) -> _Parsed:
    spec = table.spec
    out: list[tuple[int, dict[str, object]]] = []
    ids: dict[str, int] = {}
    count = 0
    present = [c for c in spec.columns if c.name in table.index]
    absent = {c.name: c.default for c in spec.columns if c.name not in table.index}
    for row, cells in table.rows(problems):
        count += 1
        vals: dict[str, object] = dict(absent)
        ok = True
        for col in present:
            raw = cells[col.name]
            try:
                vals[col.name] = col.parse(raw)
            except _Bad as bad:
                problems.add(table.label, row, col.name, raw, bad.why)
                ok = False
        for column, value, why in spec.row_rules(vals) if spec.row_rules else ():
            problems.add(table.label, row, column, value, why)
            ok = False
        if row in table.broken:
            ok = False
        if spec.key:
            key = _text(cells[spec.key])
            if key in ids:
                problems.add(table.label, row, spec.key, key,
                             f"duplicate {spec.key}: row {ids[key]} has it too; ids must be unique")
                ok = False
            elif key:
                ids[key] = row
        if ok:
            out.append((row, vals))
    return _Parsed(table.label, out, ids, count)


def _models(parsed: _Parsed | None, model: type[BaseModel], problems: _Problems) -> list[BaseModel]:
    if parsed is None:
        return []
    out = []
    for row, vals in parsed.rows:
        try:
            out.append(model(**vals))
        except ValidationError as exc:  # our cell checks should catch all; this keeps the promise
            for e in exc.errors():
                col = str(e["loc"][0]) if e["loc"] else None
                problems.add(parsed.label, row, col, None, e["msg"])
    return out


# ---------------------------------------------------------------------------------------
# The entity directory: columnar, chunk by chunk.


class _Codes(dict[str, int]):
    """Value → code, a new value taking the next code; lookups of known values stay in C."""

    def __missing__(self, key: str) -> int:
        code = self[key] = len(self)
        return code


class _Factor:
    """Incremental factorisation of a low-cardinality column: raw cell → first-seen code."""

    def __init__(self) -> None:
        self.lut = _Codes()
        self.codes: list[np.ndarray] = []

    def add(self, cells: Sequence[str] | Coded | None, n: int) -> None:
        if cells is None:  # an optional column the file does not have
            self.codes.append(np.full(n, self.lut[""], dtype=np.int32))
        elif isinstance(cells, Coded):  # a dictionary-encoded block: each distinct cell looked up once
            lut = np.fromiter(map(self.lut.__getitem__, cells.values), np.int32, len(cells.values))
            self.codes.append(lut[cells.codes] if cells.codes.size else np.zeros(0, np.int32))
        else:
            self.codes.append(np.fromiter(map(self.lut.__getitem__, cells), np.int32, n))

    def all_codes(self) -> np.ndarray:
        return np.concatenate(self.codes) if self.codes else np.zeros(0, np.int32)


_MAX_TAGS = 64  # EntityTable.tags is a uint64 bitmask


# The entity column rules, shared with the SQL engines (randsup.draw.engines), which apply them to
# the distinct values a database holds.


def entity_type_problem(v: str) -> str | None:
    """Why a cleaned 主体类型 cell is not accepted, or None."""
    if v in ENTITY_TYPES:
        return None
    return f"主体类型 must be one of {', '.join(ENTITY_TYPES)}"


_INDUSTRY = re.compile(r"[A-T](\d{2}|\d{3}|\d{4})?")  # canonical form only (the SQL engines' rule)


def industry_problem(v: str) -> str | None:
    """Why a cleaned 行业代码 cell is not accepted, or None."""
    if not v or _INDUSTRY.fullmatch(v):
        return None
    return ("not a GB/T 4754 industry code: write the section letter A–T and 2–4 digits, "
            "e.g. F5221, or leave the cell empty")


RISK_CLASS_PROBLEM = "信用风险分类 must be A, B, C or D"


def risk_class_index(v: str) -> int | None:
    """0–3 for a 信用风险分类 cell ("A", "ａ", "B类", …), None if it is none of them."""
    c = unicodedata.normalize("NFKC", v).strip().upper().removesuffix("类")
    return RISK_CLASSES.index(c) if c in RISK_CLASSES else None


def risk_ungraded(v: str) -> bool:
    """Whether a 信用风险分类 cell is empty ("", "类"): allowed only for objects that are not 市场主体."""
    return not unicodedata.normalize("NFKC", v).strip().removesuffix("类")


def responsible_entity_code(v: str) -> str:
    """A 责任主体 cell as its 统一社会信用代码 ("" when empty).

    Raises:
        CellError: the cell is not a valid 统一社会信用代码.
    """
    if not v:
        return ""
    code = registry.uscc(v)
    why = uscc_problem(code)
    if why is not None:
        raise CellError(f"{why}; the 责任主体 (contractor, owner, producer) is named by its "
                        "统一社会信用代码, or leave the cell empty")
    return code


def _risk_class_code(v: str) -> int:
    code = risk_class_index(v)
    if code is None:
        raise _Bad(RISK_CLASS_PROBLEM)
    return code


def clean_cell(s: str) -> str:
    """A cell as the loader keeps it: trimmed, spreadsheet formula-neutralising quote removed."""
    return _text(s)


def split_list(s: str) -> tuple[str, ...]:
    """A list cell ("a;b", "a；b") as its cleaned, non-empty items."""
    return _list(s)


def entity_column(header: str) -> str | None:
    """The canonical entity column a header names (English name or a Chinese alias), or None."""
    return _column_of(header, "entities")


def _is_entity_kind(cell: str) -> bool:
    """Whether a 检查对象类别 cell names a 市场主体 (an unknown spelling is reported in finish())."""
    try:
        return normalise_kind(cell) == ENTITY_KIND
    except ValueError:
        return True


# Low-cardinality entity columns, factorised as they are read (Parquet blocks come dictionary-encoded).
_FACTOR_COLUMNS = ("entity_type", "industry", "area", "risk_class", "tags", "last_inspected",
                   "object_kind", "responsible_entity_id")


class _EntityBuilder:
    def __init__(self, label: str, problems: _Problems, pool: ThreadPoolExecutor) -> None:
        self.label = label
        self.problems = problems
        self.pool = pool
        self.rows: list[np.ndarray] = []
        self.ids: list[np.ndarray] = []
        self.bad_ids: list[Future[np.ndarray]] = []
        self.names: list[np.ndarray] = []
        self.contacts: dict[str, list[np.ndarray]] = {"address": [], "contact": [], "phone": []}
        self.factors = {c: _Factor() for c in _FACTOR_COLUMNS}

    def add(self, rows: np.ndarray, cols: dict[str, Sequence[str]]) -> None:
        n = len(rows)
        # A 市场主体's code as registry exports write it (lower case, blanks) is folded; the ids of
        # other kinds are only trimmed, their own rules are checked in finish().
        cells = cols["entity_id"]
        kind_cells = cols.get("object_kind")
        if isinstance(cells, np.ndarray):  # canonical already (columnar.py's fast path): both rules keep it
            id_arr = cells
        else:
            ids = list(map(registry.uscc, cells)) if kind_cells is None else [
                registry.uscc(v) if _is_entity_kind(k) else v.strip()
                for v, k in zip(cells, kind_cells, strict=True)]
            id_arr = np.asarray(ids, dtype=str)
        # numpy releases the GIL here, so the check digits run on the second core while this
        # thread parses the next chunk.
        self.bad_ids.append(self.pool.submit(lambda a: np.flatnonzero(uscc_problems(a)), id_arr))
        self.rows.append(rows)
        self.ids.append(id_arr)
        if "name" in cols:  # not read for a draw (load_directory's entity_columns)
            names = list(map(str.strip, cols["name"]))
            for k in [k for k, s in enumerate(names) if not s or s[0] == "'"]:  # one pass finds both
                names[k] = _text(names[k])
                if not names[k]:
                    self.problems.add(self.label, int(rows[k]), "name", None, "empty: every entity needs its name")
            self.names.append(np.asarray(names, dtype=str))
        for c, parts in self.contacts.items():
            cells = cols.get(c)
            if cells is not None:
                # Registry exports break long addresses over lines; one line reads better in a cell.
                parts.append(np.asarray([" ".join(_text(v).split()) for v in cells], dtype=str))
        for c, f in self.factors.items():
            f.add(cols.get(c), n)  # type: ignore[arg-type]

    def _categorical(self, column: str, rows: np.ndarray,
                     convert: Callable[[str], str] | None = None) -> Categorical:
        """Sorted categories of the cleaned values, each distinct cell mapped once by ``convert``
        (cells.py); rows whose value it rejects are reported."""
        f = self.factors[column]
        raw = list(f.lut)
        clean = [_text(v) for v in raw]
        bad: dict[int, str] = {}
        if convert is not None:
            for i, c in enumerate(clean):
                try:
                    clean[i] = convert(c)
                except CellError as exc:
                    bad[i] = exc.why
        cats = sorted(set(clean))
        pos = {c: i for i, c in enumerate(cats)}
        perm = np.asarray([pos[c] for c in clean], dtype=np.int32)
        codes = f.all_codes()
        self._report(column, rows, codes, raw, bad)
        return Categorical(perm[codes] if codes.size else codes, tuple(cats))

    def _report(self, column: str, rows: np.ndarray, codes: np.ndarray, raw: list[str],
                bad: dict[int, str]) -> None:
        """Report the rows whose code is in ``bad`` (code → why), listing only the first ones."""
        if not bad:
            return
        mask = np.isin(codes, np.fromiter(bad, np.int64, len(bad)))
        hit = np.flatnonzero(mask)
        for k in hit[:_PER_COLUMN].tolist():
            self.problems.add(self.label, int(rows[k]), column, raw[codes[k]], bad[int(codes[k])])
        self.problems.count_more(self.label, column, max(hit.size - _PER_COLUMN, 0))

    def _mapped(self, column: str, rows: np.ndarray, parse: Callable[[str], object],
                dtype: object, fallback: object) -> np.ndarray:
        """Per-row values of a column parsed once per distinct cell."""
        f = self.factors[column]
        codes = f.all_codes()
        raw = list(f.lut)
        table = np.empty(len(raw), dtype=dtype)  # type: ignore[call-overload]
        bad: dict[int, str] = {}
        for i, v in enumerate(raw):
            try:
                table[i] = parse(v)
            except _Bad as exc:
                table[i] = fallback
                bad[i] = exc.why
        self._report(column, rows, codes, raw, bad)
        return table[codes] if codes.size else np.zeros(0, dtype=dtype)  # type: ignore[call-overload]

    def _kinds(self, rows: np.ndarray) -> Categorical:
        """检查对象类别 per row, normalised ("" → 市场主体); unknown spellings are reported."""
        f = self.factors["object_kind"]
        raw = list(f.lut)
        canon: list[str] = []
        bad: dict[int, str] = {}
        for i, v in enumerate(raw):
            try:
                canon.append(normalise_kind(_text(v)))
            except ValueError as exc:
                canon.append(ENTITY_KIND)
                bad[i] = str(exc)
        codes = f.all_codes()
        self._report("object_kind", rows, codes, raw, bad)
        cats = sorted(set(canon)) or [ENTITY_KIND]
        perm = np.asarray([cats.index(c) for c in canon], dtype=np.int32)
        return Categorical(perm[codes] if codes.size else codes, tuple(cats))

    def _rows_problem(self, column: str, rows: np.ndarray, mask: np.ndarray, values: np.ndarray | None,
                      why: str) -> None:
        hit = np.flatnonzero(mask)
        for k in hit[:_PER_COLUMN].tolist():
            self.problems.add(self.label, int(rows[k]), column, None if values is None else str(values[k]) or None,
                              why)
        self.problems.count_more(self.label, column, max(hit.size - _PER_COLUMN, 0))

    def finish(self) -> EntityTable:
        """The table, with its id order (for lookups) already made by the duplicate check."""
        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, np.int64)
        ids = np.concatenate(self.ids) if self.ids else np.zeros(0, "U18")
        names = np.concatenate(self.names) if self.names else np.zeros(ids.size, "U1")
        kinds = self._kinds(rows)
        entity_rows = kinds.mask((ENTITY_KIND,))
        offset = 0
        for ids_k, bad in zip(self.ids, self.bad_ids, strict=True):
            for k in bad.result().tolist():
                if not entity_rows[offset + k]:
                    continue  # an object of another kind: its own rule is checked below
                code = str(ids_k[k])
                why = uscc_problem(code) if code else "empty: every entity needs its 统一社会信用代码"
                self.problems.add(self.label, int(rows[offset + k]), "entity_id", code or None,
                                  f"{why}; a {ENTITY_KIND}'s id is its 统一社会信用代码: copy the code from the "
                                  "business licence or 国家企业信用信息公示系统 (another kind of object needs "
                                  "its object_kind)")
            offset += len(ids_k)
        for parts in (self.rows, self.ids, self.names, self.bad_ids):
            parts.clear()  # the blocks: 2×10^7 ids are 1.4 GB, not to be held twice
        kind_of = kinds.values()
        for k in np.flatnonzero(~entity_rows).tolist():
            kind, code = str(kind_of[k]), str(ids[k])
            why = object_id_problem(kind, code)
            if why:
                self.problems.add(self.label, int(rows[k]), "entity_id", code or None,
                                  f"{why}; the id of a {kind} (检查对象类别) must be {ID_RULES[kind]}")
        id_order = self._report_duplicates(ids, rows, kind_of)

        def entity_type(v: str) -> str:
            # Empty is allowed for objects that are not market entities; checked below.
            return registry.entity_type(v) if v else ""

        def risk(v: str) -> int:
            if risk_ungraded(v):
                return RISK_UNGRADED  # allowed for objects that are not market entities; checked below
            return RISK_CLASSES.index(registry.risk_class(v))

        def last(v: str) -> np.datetime64:
            return np.datetime64(_parse_date(v), "D") if v.strip() else np.datetime64("NaT", "D")

        tag_sets = {raw: _list(raw) for raw in self.factors["tags"].lut}
        tag_names = tuple(sorted({t for ts in tag_sets.values() for t in ts}))
        if len(tag_names) > _MAX_TAGS:
            self.problems.add(self.label, None, "tags", None,
                              f"{len(tag_names)} different tags; randsup keeps at most {_MAX_TAGS}. "
                              "Drop tags no plan uses")
            tag_names = tag_names[:_MAX_TAGS]
        bit = {t: np.uint64(1) << np.uint64(j) for j, t in enumerate(tag_names)}

        def mask(raw: str) -> np.uint64:
            m = np.uint64(0)
            for t in tag_sets[raw]:
                m |= bit.get(t, np.uint64(0))
            return m

        types = self._categorical("entity_type", rows, entity_type)
        risk_class = self._mapped("risk_class", rows, risk, np.uint8, 0)
        self._rows_problem("entity_type", rows, entity_rows & types.mask(("",)), None,
                           f"empty: every {ENTITY_KIND} needs its 主体类型 ({', '.join(ENTITY_TYPES)})")
        self._rows_problem("risk_class", rows, entity_rows & (risk_class == RISK_UNGRADED), None,
                           f"empty: every {ENTITY_KIND} needs its 信用风险分类 A, B, C or D (only objects of "
                           "other kinds may be ungraded)")
        resp = self._categorical("responsible_entity_id", rows, responsible_entity_code)
        named = ~resp.mask(("",))
        resp_values = resp.values()
        self._rows_problem("responsible_entity_id", rows, entity_rows & named, resp_values,
                           f"a {ENTITY_KIND} is its own 责任主体; leave responsible_entity_id empty on its row")
        if named.any() and not entity_rows.all():
            # A 责任主体 need not be in this directory (a contractor registered elsewhere), but
            # where its code is here, that row must be a market entity.
            self._rows_problem("responsible_entity_id", rows, named & np.isin(resp_values, ids[~entity_rows]),
                               resp_values, "names a row of this directory that is not a 市场主体; the 责任主体 "
                               "must be a market entity (its 统一社会信用代码)")

        table = EntityTable(
            entity_id=ids.astype(str, copy=False),
            name=names,
            entity_type=types,
            industry=self._categorical("industry", rows, registry.industry_code),
            area=self._categorical("area", rows),
            risk_class=risk_class,
            tags=self._mapped("tags", rows, mask, np.uint64, 0),
            tag_names=tag_names,
            last_inspected=self._mapped("last_inspected", rows, last, "datetime64[D]", np.datetime64("NaT")),
            **{c: np.concatenate(parts) for c, parts in self.contacts.items() if parts},
            object_kind=kinds,
            responsible_entity_id=resp,
        )
        table.remember_id_order(id_order)  # the index of EntityTable.rows_of, made here anyway
        return table

    def _report_duplicates(self, ids: np.ndarray, rows: np.ndarray, kinds: np.ndarray) -> np.ndarray:
        """Report repeated ids (the first row wins); returns the ids' stable sort order."""
        order = np.argsort(ids, kind="stable")
        s = ids[order]
        if s.size < 2 or not (s[1:] == s[:-1]).any():
            return order
        same = np.flatnonzero(s[1:] == s[:-1]) + 1
        first: dict[str, int] = {}
        for k in same.tolist():
            v = str(s[k])
            if not v:
                continue  # empty ids are already reported
            # The first k of a run has the run's first row at k - 1 (stable sort keeps file order).
            k0 = first.setdefault(v, int(order[k - 1]))
            kind0, kind = str(kinds[k0]), str(kinds[order[k]])
            if kind0 == kind:
                why = (f"duplicate entity_id: row {int(rows[k0])} has it too; list each entity once "
                       "(delete or merge the duplicate rows)")
            else:
                why = (f"duplicate entity_id: this {kind} has the code of the {kind0} in row {int(rows[k0])}; "
                       "an id is unique across all 检查对象类别 (it is the ticket id): give one of the two "
                       "objects another code")
            self.problems.add(self.label, int(rows[order[k]]), "entity_id", v, why)
        return order


def _read_entities(table: _Table, problems: _Problems, pool: ThreadPoolExecutor,
                   progress: Callable[[str, int, int | None], None] | None = None) -> EntityTable:
    b = _EntityBuilder(table.label, problems, pool)
    n = 0
    for rows, cols in table.chunks(problems):
        b.add(rows, cols)
        n += len(rows)
        if progress is not None:
            progress(f"read {table.label}", n, None)
    return b.finish()


# ---------------------------------------------------------------------------------------
# Cross-references.


class _Refs:
    """Checks that codes refer to rows that exist; skipped where the target table is unreadable."""

    def __init__(self, problems: _Problems) -> None:
        self.problems = problems
        self.known: dict[str, tuple[set[str], str]] = {}  # table → (ids, how problems name it)

    def table(self, name: str, parsed: _Parsed | None) -> None:
        if parsed is not None and name not in self.problems.incomplete:
            self.known[name] = (set(parsed.ids), parsed.label)

    def check(self, label: str, row: int, column: str, value: str, target: str) -> bool:
        if target not in self.known or value in self.known[target][0]:
            return True
        self.problems.add(label, row, column, value,
                          f"{value} is not in {self.known[target][1]}; add it there or correct the code")
        return False


def _check_refs(parsed: dict[str, _Parsed | None], entities: EntityTable | None, entity_label: str,
                problems: _Problems) -> None:
    """Every department, item, check item, inspector and entity referred to exists.

    Entity ids are found by binary search (``EntityTable.rows_of``); None: the entities were not read.
    """
    refs = _Refs(problems)
    for name in ("departments", "supervision_items", "check_items", "inspectors"):
        refs.table(name, parsed.get(name))

    def rows(name: str) -> list[tuple[str, int, dict[str, object]]]:
        p = parsed.get(name)
        return [(p.label, r, v) for r, v in p.rows] if p else []

    for label, r, v in rows("supervision_items"):
        refs.check(label, r, "department_id", str(v["department_id"]), "departments")
    for label, r, v in rows("check_items"):
        refs.check(label, r, "item_id", str(v["item_id"]), "supervision_items")
        refs.check(label, r, "department_id", str(v["department_id"]), "departments")
    check_items = parsed.get("check_items")
    dept_of = {str(v["check_item_id"]): str(v["department_id"]) for _, v in check_items.rows} \
        if check_items else {}
    for label, r, v in rows("joint_items"):
        lead = str(v["lead_department_id"])
        refs.check(label, r, "lead_department_id", lead, "departments")
        partners = tuple(str(p) for p in v["partner_department_ids"])  # type: ignore[attr-defined]
        for p in partners:
            refs.check(label, r, "partner_department_ids", p, "departments")
        for c in v["check_item_ids"]:  # type: ignore[attr-defined]
            if refs.check(label, r, "check_item_ids", c, "check_items") and c in dept_of \
                    and dept_of[c] != lead and dept_of[c] not in partners:
                problems.add(label, r, "check_item_ids", c,
                             f"check item {c} belongs to department {dept_of[c]}, which is neither the lead "
                             "nor a partner of this joint item; add the department to "
                             "partner_department_ids or remove the check item")
    for label, r, v in rows("inspectors"):
        refs.check(label, r, "department_id", str(v["department_id"]), "departments")
    for label, r, v in rows("unavailability"):
        refs.check(label, r, "inspector_id", str(v["inspector_id"]), "inspectors")
    for label, r, v in rows("history"):
        refs.check(label, r, "inspector_id", str(v["inspector_id"]), "inspectors")
        refs.check(label, r, "department_id", str(v["department_id"]), "departments")
    for label, r, v in rows("conflicts"):
        refs.check(label, r, "inspector_id", str(v["inspector_id"]), "inspectors")

    if entities is None or "entities" in problems.incomplete:
        return
    for name in ("conflicts", "history"):
        items = rows(name)
        if not items:
            continue
        q = np.asarray([str(v["entity_id"]) for _, _, v in items], dtype=str)
        found = entities.rows_of(q) >= 0
        for k in np.flatnonzero(~found).tolist():
            label, r, _ = items[k]
            problems.add(label, r, "entity_id", str(q[k]),
                         f"{q[k]} is not in {entity_label}; add the entity there or correct the code")


# ---------------------------------------------------------------------------------------


_MODELS: dict[str, type[BaseModel]] = {
    "departments": Department,
    "supervision_items": SupervisionItem,
    "check_items": CheckItem,
    "joint_items": JointItem,
    "inspectors": Inspector,
    "conflicts": Conflict,
    "unavailability": Unavailability,
    "history": HistoryVisit,
}


def load_directory(path: str | os.PathLike[str], *, with_entities: bool = True,
                   entity_columns: Collection[str] | None = None,
                   progress: Callable[[str, int, int | None], None] | None = None) -> Directory:
    """Load and validate the 一单两库 data folder (or one .xlsx workbook) of architecture §3.

    Raises InputError listing every problem found (file, row, column, value, why); returns a
    Directory only when there is none. ``Directory.digests`` holds the SHA-256 of each input file.
    ``with_entities=False`` skips the entity directory (an empty table is returned in its place):
    for draws whose entities live in a database (randsup.draw.engines).
    ``entity_columns`` (e.g. :data:`DRAW_COLUMNS`) limits the entity columns read from a Parquet
    file to those a task needs: a draw reads no names or addresses (the table's are empty then).
    ``progress(step, rows_read, None)`` is told the entity rows read so far, chunk by chunk.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(Problem(str(p), None, None, None,
                                 "does not exist; give the folder that holds departments.csv, entities.csv "
                                 "and the other tables, or the path of one .xlsx workbook"))
    if not os.access(p, os.R_OK | (os.X_OK if p.is_dir() else 0)):
        raise InputError(Problem(str(p), None, None, None, "cannot be read: check its permissions"))
    problems = _Problems()
    parsed: dict[str, _Parsed | None] = {}
    entities: EntityTable | None = None
    checked: EntityTable | None = None  # the entities read from a file, whose ids the references must name
    entity_label = ""
    # One worker beside the parser: file digests and check digits (hashlib and numpy release the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool, paused_gc():
        source = _Source(p, problems, pool)
        try:
            for spec in _TABLES:
                if spec.name == "entities" and not with_entities:
                    entities = _read_entities(_Table(spec, "", 0, 0, {}, iter(())), problems, pool)
                    continue
                sheet = source.open(spec)
                keep = entity_columns if spec.name == "entities" else None
                table = _open_table(sheet, spec, problems, keep) if sheet else None
                if table is None:
                    if sheet is not None or spec.required:
                        problems.incomplete.add(spec.name)
                    parsed[spec.name] = None
                    continue
                if spec.name == "entities":
                    entities = checked = _read_entities(table, problems, pool, progress)
                    entity_label = table.label
                    n = len(entities)
                else:
                    small = parsed[spec.name] = _parse_small(table, problems)
                    n = small.count
                if spec.needs_rows and n == 0 and spec.name not in problems.incomplete:
                    problems.add(table.label, None, None, None,
                                 f"has a header but no rows; the {spec.name} table needs at least one row")
                    problems.incomplete.add(spec.name)  # references into it say nothing new
        finally:
            source.close()
        digests = source.digests()
    _check_refs(parsed, checked, entity_label, problems)
    models = {name: tuple(_models(parsed.get(name), model, problems)) for name, model in _MODELS.items()}
    if problems or entities is None:
        raise problems.error()
    return Directory(
        departments=models["departments"],  # type: ignore[arg-type]
        supervision_items=models["supervision_items"],  # type: ignore[arg-type]
        check_items=models["check_items"],  # type: ignore[arg-type]
        joint_items=models["joint_items"],  # type: ignore[arg-type]
        entities=entities,
        inspectors=models["inspectors"],  # type: ignore[arg-type]
        conflicts=models["conflicts"],  # type: ignore[arg-type]
        unavailability=models["unavailability"],  # type: ignore[arg-type]
        history=models["history"],  # type: ignore[arg-type]
        digests=digests,
    )
