"""一公开: write the plan directory (architecture §8) — plan.json, the work list, the public
notice (抽查计划公告), the draw record and the manifest — byte-identical for identical inputs.

Everything is rendered in memory first (:func:`render_plan`) so that :mod:`randsup.verify`
can render a recomputed plan the same way and compare file by file; :func:`write_plan` then
moves the whole directory into place atomically.

Privacy: the work list (visits.csv/.xlsx) is internal and names the inspectors who go; nothing
under ``public/`` carries inspector ids, names or certificate numbers, nor the entity list
(inspections stay unannounced, 不打招呼). While a salt is committed but not revealed, the
public draw record also withholds the seed and the ticket seeds, because with them anyone
could recompute the drawn entities from the public directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from ..assign.workdays import quarter_bounds
from ..errors import OutputError, SpecError
from ..io import atomic_directory, canonical_json, csv_text, neutralise_cell
from ..model import RESULT_CATEGORIES, RESULT_SUB_TYPES, RISK_CLASSES, Directory, Plan, PlanTask
from ..spec import PlanSpec, PopulationFilter, TaskSpec, require_secrecy
from .files import (
    DRAW_RECORD,
    HOLIDAYS_DIR,
    LEDGER_HISTORY_INPUT,
    MANIFEST_FILE,
    NOTICE_HTML,
    NOTICE_MD,
    PLAN_FILE,
    SPEC_FILE,
    VISITS_CSV,
    VISITS_XLSX,
)
from .record import draw_record

__all__ = [
    "MANIFEST_FORMAT",
    "NoticeBlock",
    "RESULTS_TEMPLATE_COLUMNS",
    "RESULTS_TEMPLATE_DIR",
    "CONTACT_COLUMNS",
    "WORKLIST_COLUMNS",
    "holidays_files",
    "manifest_bytes",
    "notice_title",
    "plan_files",
    "plan_json_bytes",
    "plan_summary",
    "render_notice_html",
    "render_notice_markdown",
    "render_plan",
    "results_template_rows",
    "spec_json_bytes",
    "worklist_columns",
    "write_plan",
    "zh_date",
]

MANIFEST_FORMAT = "randsup-manifest/1"
# Work-list columns: (English header, Chinese header). The spec's ``worklist_headers`` picks the
# language of both visits.csv and visits.xlsx (Chinese by default: the files are for the office).
WORKLIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("visit_id", "检查编号"),
    ("date", "检查日期"),
    ("entity_id", "统一社会信用代码/对象编码"),
    ("entity_name", "检查对象名称"),
    ("object_kind", "检查对象类别"),
    ("lead_department", "牵头部门"),
    ("departments", "参与部门"),
    ("check_items", "检查事项"),
    ("inspectors", "检查人员"),
    ("method", "检查方式"),
    ("task_ids", "抽查任务编号"),
    ("tasks", "抽查任务名称"),
)
# Added after entity_name when the entity directory has them (internal only, never public).
CONTACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("address", "住所（经营场所）"),
    ("contact", "联系人"),
    ("phone", "联系电话"),
)

_COORDINATION_ZH = {
    "together": "联合（与其他任务共用随机号，重合对象合并为一次联合检查：进一次门、查多项事）",
    "apart": "错开（在随机号圆周上取其他任务未用的区段，分散检查负担）",
    "independent": "独立（使用本任务专用的子种子）",
}


# ---------------------------------------------------------------------------------------
# Small pure helpers


def zh_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _percent(ratio: Decimal) -> str:
    """0.03 → "3%", 0.125 → "12.5%": exact, never through a float."""
    return format((ratio * 100).normalize(), "f") + "%"


def _assert_no_floats(obj: Any, where: str = "plan") -> None:
    # plan.json promises decimal strings, never floats whose printing varies across platforms.
    if isinstance(obj, float):
        raise OutputError(f"{where} holds a float ({obj!r}); plan.json stores decimals as strings")
    if isinstance(obj, Mapping):
        for k in sorted(obj):
            _assert_no_floats(obj[k], f"{where}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _assert_no_floats(v, f"{where}[{i}]")


@dataclass(frozen=True)
class _Names:
    """Id → display-name lookups; ids stand in for names when no directory is given."""

    directory: Directory | None

    def department(self, department_id: str) -> str:
        d = self.directory.department_by_id.get(department_id) if self.directory else None
        return d.name if d else department_id

    def check_item(self, check_item_id: str) -> str:
        c = self.directory.check_item_by_id.get(check_item_id) if self.directory else None
        return f"{check_item_id} {c.name}" if c else check_item_id

    def inspector(self, inspector_id: str) -> str:
        i = self.directory.inspector_by_id.get(inspector_id) if self.directory else None
        return f"{inspector_id} {i.name}" if i else inspector_id

    def task_check_items(self, task: TaskSpec) -> tuple[str, ...]:
        if task.joint_item is not None and self.directory is not None:
            j = self.directory.joint_item_by_id.get(task.joint_item)
            if j is not None:
                return j.check_item_ids
        return task.check_items


# ---------------------------------------------------------------------------------------
# plan.json, spec.json, manifest.json


def _holidays_copy(holidays: str) -> str:
    # Keep the file's own name: the calendar records it in the plan, so a renamed copy would differ.
    return f"{HOLIDAYS_DIR}/{Path(holidays).name}"


def plan_json_bytes(plan: Plan) -> bytes:
    """Canonical plan.json: sorted keys, LF, UTF-8, no floats."""
    data = plan.model_dump(mode="json", exclude={"unstaffed"} if not plan.unstaffed else None)
    _assert_no_floats(data)
    return canonical_json(data)


def spec_json_bytes(spec: PlanSpec) -> bytes:
    """The spec as verify will reload it: holidays renamed to the copy beside it, no local paths."""
    data = spec.model_dump(mode="json", exclude={"base_dir"})
    if spec.holidays is not None:
        data["holidays"] = _holidays_copy(spec.holidays)
    _assert_no_floats(data, "spec")
    return canonical_json(data)


def manifest_bytes(files: Mapping[str, bytes]) -> bytes:
    """manifest.json: the SHA-256 of every other file of the plan directory, by path."""
    digests = {name: hashlib.sha256(files[name]).hexdigest() for name in sorted(files) if name != MANIFEST_FILE}
    return canonical_json({"format": MANIFEST_FORMAT, "algorithm": "sha256", "files": digests})


# ---------------------------------------------------------------------------------------
# The work list (internal): visits.csv and visits.xlsx


_LINE_BREAK = re.compile(r"\r\n?")


def _cell(text: str) -> str:
    """One work-list cell, the same in CSV and XLSX.

    A bare CR would go unquoted through the csv module (it quotes only the LF terminator) and
    split the row for readers, and XML 1.0 cannot hold most C0 controls: so CR becomes LF and
    the other controls U+FFFD. Formula neutralising happens on output (csv_text / neutralise_cell).
    """
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", _LINE_BREAK.sub("\n", text))


def worklist_columns(directory: Directory | None, language: str = "zh") -> list[str]:
    """The work-list header in ``language`` ("zh" or "en"), contact columns only when the directory has them."""
    cols = list(WORKLIST_COLUMNS)
    contact = [c for c in CONTACT_COLUMNS if directory is not None and getattr(directory.entities, c[0]) is not None]
    cols[4:4] = contact
    return [zh if language == "zh" else en for en, zh in cols]


def _worklist_rows(plan: Plan, names: _Names) -> list[list[str]]:
    """One row per visit, by date, then lead department (by its code, the directory's order), then visit id."""
    task_names = {t.task_id: t.name for t in plan.tasks}
    ents = names.directory.entities if names.directory is not None else None
    contact_cols = [getattr(ents, c) for c, _ in CONTACT_COLUMNS if ents is not None and getattr(ents, c) is not None]
    index = ents.row_map(v.entity_id for v in plan.visits) if contact_cols and ents is not None else {}
    order = sorted(plan.visits, key=lambda v: (v.date or dt.date.max, v.lead_department, v.visit_id))
    rows: list[list[str]] = []
    for v in order:
        team = [names.inspector(a.inspector_id) + ("（专家）" if a.is_expert else "")
                for a in sorted(v.inspectors, key=lambda a: (a.department_id, a.is_expert, a.inspector_id))]
        i = index.get(v.entity_id)
        contact = [str(col[i]) if i is not None else "" for col in contact_cols]
        rows.append([_cell(c) for c in (
            v.visit_id,
            v.date.isoformat() if v.date else "",
            v.entity_id,
            v.entity_name,
            *contact,
            v.object_kind,
            names.department(v.lead_department),
            ";".join(names.department(d) for d in v.departments),
            ";".join(names.check_item(c) for c in v.check_items),
            ";".join(team),
            v.method,
            ";".join(v.tasks),
            ";".join(task_names.get(t, t) for t in v.tasks),
        )])
    return rows


def _deterministic_zip(data: bytes) -> bytes:
    # zipfile stamps each entry with the local wall-clock time; rewrite every entry with one fixed
    # stamp and fixed attributes, in the original order, so equal workbooks give equal bytes.
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 3
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


_SHEET_BAD = re.compile(r"[\\/*?:\[\]]")
_WIDTHS = {"检查编号": 10, "检查日期": 12, "统一社会信用代码": 22, "检查对象名称": 30, "住所（经营场所）": 36,
           "联系人": 10, "联系电话": 16, "牵头部门": 20, "参与部门": 30, "检查事项": 50, "检查人员": 50,
           "检查方式": 10, "抽查任务编号": 12, "抽查任务名称": 30, "检查部门": 20, "部门编码": 10, "检查结果": 30,
           "结果细类": 26, "备注": 30}


def _sheet_title(name: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of \\ / * ? : [ ], unique in the workbook."""
    base = _SHEET_BAD.sub("_", name).strip("'") or "部门"
    title, n = base[:31], 1
    while title in taken:
        n += 1
        title = f"{base[:31 - len(str(n)) - 1]}_{n}"
    taken.add(title)
    return title


def _fill_sheet(ws: Any, header: Sequence[str], zh_header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    date_col = zh_header.index("检查日期")
    for r in rows:
        ws.append([dt.date.fromisoformat(c) if j == date_col and c else neutralise_cell(c) for j, c in enumerate(r)])
    # Text cells stay text (a leading '=' must never become a formula: the neutralised prefix
    # already prevents it, the explicit type keeps spreadsheet apps from re-guessing); the
    # inspection date is a real date cell, so Excel sorts and filters it as a date.
    for row in ws.iter_rows(min_row=2):
        for j, cell in enumerate(row):
            if j == date_col and cell.value is not None:
                cell.number_format = "yyyy-mm-dd"
            elif cell.value is not None:
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    for j, h in enumerate(zh_header, start=1):
        ws.column_dimensions[get_column_letter(j)].width = _WIDTHS.get(h, 14)


def _worklist_xlsx(plan: Plan, header: Sequence[str], zh_header: Sequence[str], rows: Sequence[Sequence[str]],
                   names: _Names) -> bytes:
    """All visits on the first sheet, then one sheet per department with the visits its officers go on."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "全部检查"
    _fill_sheet(ws, header, zh_header, rows)
    by_id = {v.visit_id: v for v in plan.visits}
    taken = {ws.title}
    for dep in sorted({d for v in plan.visits for d in v.departments}):
        own = [r for r in rows if dep in by_id[r[0]].departments]
        _fill_sheet(wb.create_sheet(_sheet_title(names.department(dep), taken)), header, zh_header, own)
    # The document's created/modified stamps come from the plan, never the clock.
    stamp = dt.datetime.combine(quarter_bounds(plan.quarter)[0], dt.time())
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "randsup"
    wb.properties.title = f"{plan.plan_id} 检查清单"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    return _deterministic_zip(buf.getvalue())


# ---------------------------------------------------------------------------------------
# Results templates (internal): one per department, its visits pre-filled (谁检查、谁录入)

# (English, Chinese) headers; history/results.py reads both (and department names or codes).
RESULTS_TEMPLATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("visit_id", "检查编号"),
    ("department", "检查部门"),
    ("department_id", "部门编码"),
    ("entity_id", "统一社会信用代码"),
    ("entity_name", "检查对象名称"),
    ("check_items", "检查事项"),
    ("inspected_on", "检查日期"),
    ("result", "检查结果"),
    ("sub_result", "结果细类"),
    ("notes", "备注"),
)
RESULTS_TEMPLATE_DIR = "results-templates"


def results_template_rows(plan: Plan, department_id: str, names: _Names) -> list[list[str]]:
    """The department's visits, by date: ids, names, its own check items and the planned date."""
    own = {c.check_item_id for c in names.directory.check_items if c.department_id == department_id} \
        if names.directory is not None else None
    rows = []
    for v in sorted(plan.visits, key=lambda v: (v.date or dt.date.max, v.visit_id)):
        if department_id not in v.departments:
            continue
        items = [c for c in v.check_items if own is None or c in own]
        rows.append([_cell(c) for c in (v.visit_id, names.department(department_id), department_id, v.entity_id,
                                        v.entity_name, ";".join(names.check_item(c) for c in items),
                                        v.date.isoformat() if v.date else "", "", "", "")])
    return rows


def _results_templates(plan: Plan, spec: PlanSpec, names: _Names) -> dict[str, bytes]:
    """results-templates/<department>.csv and .xlsx: fill in 检查结果 (and 检查日期 if it moved)."""
    header = [zh if spec.worklist_headers == "zh" else en for en, zh in RESULTS_TEMPLATE_COLUMNS]
    zh_header = [zh for _, zh in RESULTS_TEMPLATE_COLUMNS]
    files: dict[str, bytes] = {}
    for dep in sorted({d for v in plan.visits for d in v.departments}):
        rows = results_template_rows(plan, dep, names)
        base = f"{RESULTS_TEMPLATE_DIR}/{dep}"
        files[base + ".csv"] = csv_text(header, rows).encode("utf-8-sig")
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = _sheet_title(names.department(dep), set())
        _fill_sheet(ws, header, zh_header, rows)
        n = max(len(rows) + 1, 2)
        # Drop-down lists of the canonical categories; other platforms' spellings are accepted too.
        for col, values in (("检查结果", RESULT_CATEGORIES), ("结果细类", RESULT_SUB_TYPES)):
            letter = get_column_letter(zh_header.index(col) + 1)
            dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                showErrorMessage=False)
            dv.add(f"{letter}2:{letter}{n}")
            ws.add_data_validation(dv)
        stamp = dt.datetime.combine(quarter_bounds(plan.quarter)[0], dt.time())
        wb.properties.created = wb.properties.modified = stamp
        wb.properties.creator = "randsup"
        wb.properties.title = f"{plan.plan_id} {names.department(dep)} 检查结果录入"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(wb, archive).save()
        files[base + ".xlsx"] = _deterministic_zip(buf.getvalue())
    return files


# ---------------------------------------------------------------------------------------
# The public notice (抽查计划公告): one block structure, rendered as Markdown and as HTML


@dataclass(frozen=True)
class NoticeBlock:
    """One block of a notice. kinds: h1 h2 h3 p ul table code; ``a`` (a link: text, href);
    ``sign`` (the 落款: items = issuing authority, date, right-aligned)."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    href: str = ""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
_QUARTER_ZH = {"1": "一", "2": "二", "3": "三", "4": "四"}


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _scope(population: PopulationFilter | None) -> str:
    if population is None:
        return "不定向：名录库中全部检查对象"
    parts: list[str] = []
    if population.entity_type:
        parts.append("主体类型为" + "、".join(population.entity_type))
    if population.industry_prefix:
        parts.append("行业代码（GB/T 4754）以" + "、".join(population.industry_prefix) + "开头")
    if population.area:
        parts.append("所属街镇为" + "、".join(population.area))
    if population.tags:
        parts.append("带有标签" + "、".join(population.tags))
    if population.exclude_tags:
        parts.append("不含标签" + "、".join(population.exclude_tags))
    return "定向：" + "；".join(parts) if parts else "不定向：名录库中全部检查对象"


def _item_name(names: _Names, check_item_id: str) -> str:
    """A check item by its name in a public notice (the code only when the directory is absent)."""
    c = names.directory.check_item_by_id.get(check_item_id) if names.directory else None
    return c.name if c else check_item_id


def _task_blocks(i: int, pt: PlanTask, ts: TaskSpec | None, names: _Names) -> list[NoticeBlock]:
    blocks = [NoticeBlock("h3", f"（{i}）{pt.name}")]
    partners = [names.department(d) for d in pt.departments if d != pt.lead_department]
    facts = [f"任务编号：{pt.task_id}（与抽取记录对应）",
             f"发起部门：{names.department(pt.lead_department)}",
             "配合部门：" + ("、".join(partners) if partners else "无")]
    if ts is not None:
        items = names.task_check_items(ts)
        facts.append("检查事项：" + "；".join(_item_name(names, c) for c in items))
        if ts.joint_item is not None:
            j = names.directory.joint_item_by_id.get(ts.joint_item) if names.directory else None
            facts.append(f"部门联合抽查事项：{j.name if j else ts.joint_item}")
        facts.append(f"检查对象类别：{pt.object_kind}")
        facts.append("抽查范围：" + _scope(ts.population))
        facts.append("协同方式：" + _COORDINATION_ZH[ts.coordination])
        if ts.count is not None:
            facts.append(f"抽查数量：{ts.count} 户，按信用风险分类分配到各类")
        if ts.min_per_class:
            facts.append(f"每类至少抽取：{ts.min_per_class} 户")
    blocks.append(NoticeBlock("ul", items=tuple(facts)))
    rows = []
    for k in RISK_CLASSES:
        s = pt.strata.get(k)
        if s is None:
            continue
        ratio = _percent(ts.ratio_for(k)) if ts is not None and ts.ratio is not None else "按数量分配"
        rows.append((f"{k}类", ratio, str(s.population), str(s.excluded_at_cap), str(s.sample)))
    if rows:
        rows.append(("合计", "", str(sum(int(r[2]) for r in rows)), str(sum(int(r[3]) for r in rows)),
                     str(sum(int(r[4]) for r in rows))))
        blocks.append(NoticeBlock("table", header=("信用风险分类", "抽查比例", "检查对象数", "因年度上限排除", "抽查数量"),
                                  rows=tuple(rows)))
    return blocks


def notice_title(spec: PlanSpec) -> str:
    """The plan notice's title, as a government notice is titled."""
    return (f"{spec.authority}关于公布{spec.quarter[:4]}年第{_QUARTER_ZH[spec.quarter[-1]]}季度"
            "“双随机、一公开”抽查计划的公告")


def _source_lines(spec: PlanSpec) -> tuple[str, ...]:
    """Each named source with its values as published, when the plan recorded them."""
    values = spec.seed.published_values or ()
    return tuple(f"（{j}）{name}" + (f"：{values[j - 1]}" if j <= len(values) else "")
                 for j, name in enumerate(spec.seed.sources, start=1))


def _notice_blocks(plan: Plan, spec: PlanSpec, names: _Names) -> list[NoticeBlock]:
    first, last = quarter_bounds(plan.quarter)
    tasks_by_id = {t.task_id: t for t in spec.tasks}
    pub = spec.publication
    issuer = pub.issuer or spec.authority
    if spec.seed.published_values is not None:
        from ..draw.seed import key_string

        if key_string(spec.seed.published_values) != plan.seed.get("key_string"):
            raise SpecError("spec.json's seed.published_values do not give the plan's key string; "
                            "restore the plan folder as written")
    facts = [f"计划编号：{plan.plan_id}",
             f"抽查期间：{zh_date(first)}至{zh_date(last)}（工作日）",
             f"抽查任务：{len(plan.tasks)} 项"]
    if plan.unstaffed:
        facts.append(f"未能配齐执法检查人员：{len(plan.unstaffed)} 个检查（部门），执法检查人员不足，原因见 plan.json 的 unstaffed")
    if pub.date is not None:
        facts.append(f"发布日期：{zh_date(pub.date)}")
    blocks = [
        NoticeBlock("h1", notice_title(spec)),
        NoticeBlock("p", "依据国办发〔2015〕58号、国发〔2019〕5号，从检查对象名录库中随机抽取检查对象，"
                    "从执法检查人员名录库中随机选派执法检查人员。为保证检查不打招呼，"
                    "被抽中的检查对象名单不在本公告中公布，检查结果按“谁检查、谁录入、谁公开”"
                    "自产生之日起20个工作日内通过国家企业信用信息公示系统公示。现将本季度抽查计划公告如下。"),
        NoticeBlock("ul", items=tuple(facts)),
        NoticeBlock("h2", "一、抽查任务"),
    ]
    for i, pt in enumerate(plan.tasks, start=1):
        blocks += _task_blocks(i, pt, tasks_by_id.get(pt.task_id), names)
    commitment = plan.seed.get("salt_commitment")
    blocks += [
        NoticeBlock("h2", "二、随机种子"),
        NoticeBlock("p", "公开随机源（抽取前已公布名称，按以下顺序使用）及其公布的开奖、收盘数值："),
        NoticeBlock("ul", items=_source_lines(spec)),
        NoticeBlock("p", "由上述数值得到的密钥串（RFC 3797：每个随机源的数值由小到大排列，各值后加“.”，"
                    "各随机源后加“/”）："),
        NoticeBlock("code", str(plan.seed.get("key_string") or "")),
    ]
    if commitment:
        blocks += [NoticeBlock("p", "盐值承诺（盐值在公开随机源产生前已固定，全部检查完成后公布于 public/reveal.json）："),
                   NoticeBlock("code", str(commitment))]
        seed_rule = "种子 = SHA-256(“randsup/1” ‖ 密钥串 ‖ 盐值)；任何人可在盐值公布后核对 SHA-256(盐值) 与盐值承诺一致。"
        command = "randsup verify <计划目录> --data <名录库目录>"
        when = "在盐值公布后"
    else:
        blocks.append(NoticeBlock("p", "本计划为公开抽查（announced），未使用盐值，种子完全由公开随机源决定。"))
        seed_rule = "种子 = SHA-256(“randsup/1” ‖ 密钥串)。"
        command = "randsup verify <计划目录> --data <名录库目录>"
        when = ""
    blocks += [
        NoticeBlock("h2", "三、如何核验"),
        NoticeBlock("p", "本公告附有抽取记录，记录复算所需的全部参数（密钥串、盐值承诺、名录库文件的 SHA-256、"
                    "算法及版本、各任务的起点和各类对象数与抽取数；各任务的随机号种子在盐值公布后公开）："),
        NoticeBlock("a", "抽取记录 draw-record.json", href="draw-record.json"),
        NoticeBlock("h3", "任何人均可核验（无需名录库）"),
        NoticeBlock("ul", items=(
            "密钥串是否由上述随机源公布的数值按 RFC 3797 规则得出。",
            seed_rule,
            "各任务、各信用风险分类的对象数、抽查比例与抽查数量是否符合本公告和抽取记录。",
        )),
        NoticeBlock("h3", "需要检查对象名录库方可核验"),
        NoticeBlock("ul", items=(
            "每个检查对象的随机号为 Rivest consistent-sampler 的 first_fraction（SHA-256），各信用风险分类内"
            "抽取随机号最小的对象。复算抽中的对象需要与抽取记录中 SHA-256 一致的检查对象名录库（非公开），"
            f"由持有名录库的单位或受托的核查人员{when}执行下列命令：",
        )),
        NoticeBlock("code", command),
    ]
    blocks += _ledger_blocks(plan)
    if pub.contact:
        n = "一二三四五六七"[sum(b.kind == "h2" for b in blocks)]
        blocks += [NoticeBlock("h2", f"{n}、联系方式"),
                   NoticeBlock("p", f"对本公告或抽查工作有疑问、意见，或发现抽查工作中的违规行为，可通过以下方式反映：{pub.contact}")]
    blocks.append(NoticeBlock("sign", items=(issuer, zh_date(pub.date) if pub.date is not None else "")))
    return blocks


def _ledger_blocks(plan: Plan) -> list[NoticeBlock]:
    """台账锚点: the ledger head the plan was drawn against, the year's plans it saw, what it replaces."""
    anchor = plan.ledger
    if anchor is None:
        return []
    head = anchor.head_before
    items = [f"抽取前的检查台账（randsup 历史台账）末条记录：第 {head.seq} 条，哈希 {head.hash}"]
    items += [f"本年度已纳入的计划：{p.plan_id}（台账第 {p.seq} 条，plan.json SHA-256 {p.plan_json_sha256}）"
              for p in anchor.year_plans]
    if anchor.supersedes is not None:
        r = anchor.supersedes
        items.append(f"本计划替代同编号的原计划（台账第 {r.seq} 条，plan.json SHA-256 {r.plan_json_sha256}），"
                     f"原因：{r.reason}")
    return [NoticeBlock("h2", "四、台账锚点"),
            NoticeBlock("p", "以下记录把检查台账锚定在本公告上：此后台账若被改写，"
                        "`randsup ledger verify --anchors <计划目录>` 即可发现。"),
            NoticeBlock("ul", items=tuple(items))]


def render_notice_markdown(blocks: Sequence[NoticeBlock]) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append("#" * int(b.kind[1]) + " " + _md(b.text))
        elif b.kind == "p":
            out.append(_md(b.text))
        elif b.kind == "a":
            out.append(f"[{_md(b.text)}]({b.href})")
        elif b.kind == "sign":
            out.append("\n".join(_md(x) + "  " for x in b.items if x).rstrip())
        elif b.kind == "ul":
            out.append("\n".join("- " + _md(x) for x in b.items))
        elif b.kind == "code":
            out.append("```\n" + b.text.replace("```", "'''") + "\n```")
        elif b.kind == "table":
            lines = ["| " + " | ".join(_md(h) for h in b.header) + " |",
                     "|" + "---|" * len(b.header)]
            lines += ["| " + " | ".join(_md(c) for c in r) + " |" for r in b.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


# Screen: readable on a phone (viewport, wrapping, tables scroll sideways). Print: A4, centred
# title, no scroll boxes, the 落款 on the right as on a paper notice.
_NOTICE_CSS = """\
body{font-family:"Noto Serif CJK SC","Source Han Serif SC","SimSun","Songti SC",serif;line-height:1.75;
color:#111;max-width:48em;margin:0 auto;padding:1.5em 1em 3em}
h1{font-size:1.5em;text-align:center;line-height:1.5;margin:0.5em 0 1em}
h2{font-size:1.2em;margin:1.6em 0 0.6em}
h3{font-size:1.05em;margin:1.2em 0 0.4em}
p,li{text-align:justify}
body>p{text-indent:2em}
body>p.link{text-indent:0}
ul{padding-left:1.5em}
.table{overflow-x:auto;margin:0.6em 0}
table{border-collapse:collapse;min-width:60%}
td,th{border:1px solid #888;padding:3px 10px;text-align:center}
th{background:#f2f2f2}
pre{background:#f6f6f6;padding:0.6em;white-space:pre-wrap;word-break:break-all}
a{color:#0645ad}
.sign{text-align:right;margin-top:3em}
.sign p{text-align:right;margin:0.2em 0}
@media (max-width:600px){body{font-size:15px;padding:1em 0.8em}h1{font-size:1.3em}td,th{padding:3px 5px}}
@media print{@page{size:A4;margin:25mm 20mm}
body{max-width:none;padding:0;font-size:12pt}
h1{font-size:18pt;text-align:center}
.table{overflow:visible}
a{color:#111;text-decoration:none}
tr,li,pre{page-break-inside:avoid}}
"""


def render_notice_html(blocks: Sequence[NoticeBlock], title: str) -> str:
    e = html.escape
    body: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            body.append(f"<{b.kind}>{e(b.text)}</{b.kind}>")
        elif b.kind == "p":
            body.append(f"<p>{e(b.text)}</p>")
        elif b.kind == "a":
            body.append(f'<p class="link"><a href="{e(b.href)}">{e(b.text)}</a></p>')
        elif b.kind == "sign":
            body.append('<div class="sign">\n' + "\n".join(f"  <p>{e(x)}</p>" for x in b.items if x) + "\n</div>")
        elif b.kind == "ul":
            body.append("<ul>\n" + "\n".join(f"  <li>{e(x)}</li>" for x in b.items) + "\n</ul>")
        elif b.kind == "code":
            body.append(f"<pre><code>{e(b.text)}</code></pre>")
        elif b.kind == "table":
            head = "".join(f"<th>{e(h)}</th>" for h in b.header)
            rows = "\n".join("  <tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in b.rows)
            body.append(f'<div class="table"><table>\n  <tr>{head}</tr>\n{rows}\n</table></div>')
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(title)}</title>\n<style>\n{_NOTICE_CSS}</style>\n"
            "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


# ---------------------------------------------------------------------------------------
# The whole directory


def holidays_files(spec: PlanSpec) -> dict[str, bytes]:
    """The copy of the spec's holidays file kept in a plan (or draw) folder, under the name spec.json gives."""
    hp = spec.holidays_path()
    if hp is None:
        return {}
    try:
        return {_holidays_copy(str(hp)): hp.read_bytes()}
    except OSError as exc:
        raise SpecError(f"{hp}: the holidays file named by the spec cannot be read ({exc.strerror}); "
                        "fix 'holidays' in the spec") from None


def render_plan(plan: Plan, *, spec: PlanSpec, directory: Directory | None = None) -> dict[str, bytes]:
    """Every file of the plan directory, path → bytes, manifest included. Pure: no clock, no disk writes.

    The salt of an unannounced plan is published later, in new files (``randsup reveal``); the
    files rendered here never change at the reveal.

    Raises:
        SpecError: the spec is unannounced and the plan unsalted (:func:`randsup.spec.require_secrecy`).
    """
    require_secrecy(spec, plan.seed.get("salt_commitment"))
    names = _Names(directory)
    files: dict[str, bytes] = {PLAN_FILE: plan_json_bytes(plan), SPEC_FILE: spec_json_bytes(spec)}
    files.update(holidays_files(spec))
    rows = _worklist_rows(plan, names)
    header = worklist_columns(directory, spec.worklist_headers)
    zh_header = worklist_columns(directory, "zh")
    # UTF-8 with a BOM: Excel on Chinese Windows reads a CSV without one as GBK and garbles it.
    files[VISITS_CSV] = csv_text(header, rows).encode("utf-8-sig")
    files[VISITS_XLSX] = _worklist_xlsx(plan, header, zh_header, rows, names)
    files.update(_results_templates(plan, spec, names))
    blocks = _notice_blocks(plan, spec, names)
    files[NOTICE_MD] = render_notice_markdown(blocks).encode("utf-8")
    files[NOTICE_HTML] = render_notice_html(blocks, blocks[0].text).encode("utf-8")
    check_items = {t.task_id: names.task_check_items(t) for t in spec.tasks}
    files[DRAW_RECORD] = canonical_json(draw_record(plan, spec, check_items=check_items))
    files[MANIFEST_FILE] = manifest_bytes(files)
    return dict(sorted(files.items()))


def plan_files(plan: Plan, *, spec: PlanSpec, directory: Directory | None = None,
               extra_files: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """Every file :func:`write_plan` writes (path → bytes): the rendered plan plus ``extra_files``."""
    if LEDGER_HISTORY_INPUT in plan.inputs and LEDGER_HISTORY_INPUT not in (extra_files or {}):
        # Without the history file verify could not re-read what the plan was drawn against.
        raise OutputError(f"plan {plan.plan_id} was drawn with ledger history ({LEDGER_HISTORY_INPUT}) that is "
                          "not passed to write_plan; make such plans with randsup.plan_with_ledger")
    files = render_plan(plan, spec=spec, directory=directory)
    if extra_files:
        clash = sorted(set(extra_files) & set(files))
        if clash:
            raise OutputError(f"extra file(s) {', '.join(clash)} would replace files of the plan itself; rename them")
        files = {k: v for k, v in files.items() if k != MANIFEST_FILE} | dict(extra_files)
        files[MANIFEST_FILE] = manifest_bytes(files)
    return files


def write_plan(plan: Plan, out: str | Path, *, spec: PlanSpec, directory: Directory | None = None,
               overwrite: bool = False, extra_files: Mapping[str, bytes] | None = None) -> Path:
    """Write the plan directory of architecture §8 to ``out`` atomically and return its path.

    An existing ``out`` is an OutputError unless ``overwrite`` is set; an interrupted write
    leaves nothing behind. Pass the ``directory`` the plan was made from so that the work list
    and notice show department, item and inspector names rather than ids. ``extra_files``
    (path → bytes, e.g. the ledger history the plan was drawn with) are written beside the
    others and listed in the manifest.
    """
    files = plan_files(plan, spec=spec, directory=directory, extra_files=extra_files)
    target = Path(out)
    with atomic_directory(target, overwrite=overwrite) as tmp:
        for name, data in files.items():
            p = tmp / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
    return target



def plan_summary(plan: Plan) -> list[tuple[str, str]]:
    """The figures the CLI prints after planning, as (label, value) rows."""
    visits = plan.visits
    saved = plan.stats.get("visits_saved", sum(len(v.tasks) for v in visits) - len(visits))
    # Stage statuses ("dates_status", "teams_status"); per-department detail stays in plan.json.
    status = ", ".join(f"{k.removesuffix('_status')} {plan.stats[k]}" for k in sorted(plan.stats)
                       if k.endswith("status") and ":" not in k) or "-"
    return [
        ("tasks 抽查任务", str(len(plan.tasks))),
        ("visits 检查户次", str(len(visits))),
        ("joint visits 联合检查", str(sum(len(v.departments) > 1 for v in visits))),
        ("visits saved by merging 合并减少", str(saved)),
        ("inspectors used 参与检查人员", str(plan.stats.get(
            "inspectors_used", len({a.inspector_id for v in visits for a in v.inspectors if not a.is_expert})))),
        ("solve status 求解状态", str(status)),
        *([("unstaffed 未配齐人员 (visit-departments)", str(len(plan.unstaffed)))] if plan.unstaffed else []),
        *([("split visits 拆分检查", str(plan.stats["split_visits"]))] if plan.stats.get("split_visits") else []),
    ]
