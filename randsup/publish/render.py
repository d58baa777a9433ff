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
from openpyxl.writer.excel import ExcelWriter

from ..assign.workdays import quarter_bounds
from ..errors import OutputError, SpecError
from ..io import atomic_directory, canonical_json, csv_text, neutralise_cell
from ..model import RISK_CLASSES, Directory, Plan, PlanTask
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
    "WORKLIST_COLUMNS",
    "manifest_bytes",
    "plan_files",
    "plan_json_bytes",
    "plan_summary",
    "render_notice_html",
    "render_notice_markdown",
    "render_plan",
    "spec_json_bytes",
    "write_plan",
    "zh_date",
]

MANIFEST_FORMAT = "randsup-manifest/1"
# Work-list columns: (English header for visits.csv, Chinese header for visits.xlsx).
WORKLIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("visit_id", "检查编号"),
    ("date", "检查日期"),
    ("entity_id", "统一社会信用代码"),
    ("entity_name", "检查对象名称"),
    ("lead_department", "牵头部门"),
    ("departments", "参与部门"),
    ("check_items", "检查事项"),
    ("inspectors", "检查人员"),
    ("method", "检查方式"),
    ("tasks", "抽查任务"),
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


def _worklist_rows(plan: Plan, names: _Names) -> list[list[str]]:
    rows: list[list[str]] = []
    for v in sorted(plan.visits, key=lambda v: v.visit_id):
        team = [names.inspector(a.inspector_id) + ("（专家）" if a.is_expert else "")
                for a in sorted(v.inspectors, key=lambda a: (a.department_id, a.is_expert, a.inspector_id))]
        rows.append([_cell(c) for c in (
            v.visit_id,
            v.date.isoformat() if v.date else "",
            v.entity_id,
            v.entity_name,
            names.department(v.lead_department),
            ";".join(names.department(d) for d in v.departments),
            ";".join(names.check_item(c) for c in v.check_items),
            ";".join(team),
            v.method,
            ";".join(v.tasks),
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


def _worklist_xlsx(plan: Plan, rows: Sequence[Sequence[str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "检查清单"
    ws.append([zh for _, zh in WORKLIST_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([neutralise_cell(c) for c in r])
    # Every cell is text: a leading '=' must never become a formula (the neutralised prefix
    # already prevents it; the explicit type keeps spreadsheet apps from re-guessing).
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFGHIJ", (10, 12, 22, 30, 20, 30, 50, 50, 10, 12), strict=True):
        ws.column_dimensions[col].width = width
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
# The public notice (抽查计划公告): one block structure, rendered as Markdown and as HTML


@dataclass(frozen=True)
class NoticeBlock:
    kind: str  # h1 | h2 | h3 | p | ul | table | code
    text: str = ""
    items: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


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


def _task_blocks(i: int, pt: PlanTask, ts: TaskSpec | None, names: _Names) -> list[NoticeBlock]:
    blocks = [NoticeBlock("h3", f"{i}. {pt.task_id} {pt.name}")]
    partners = [names.department(d) for d in pt.departments if d != pt.lead_department]
    facts = [f"发起部门：{names.department(pt.lead_department)}",
             "配合部门：" + ("、".join(partners) if partners else "无")]
    if ts is not None:
        items = names.task_check_items(ts)
        facts.append("检查事项：" + "；".join(names.check_item(c) for c in items))
        if ts.joint_item is not None:
            facts.append(f"部门联合抽查事项：{ts.joint_item}")
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
        rows.append((k, ratio, str(s.population), str(s.excluded_at_cap), str(s.sample)))
    if rows:
        rows.append(("合计", "", str(sum(int(r[2]) for r in rows)), str(sum(int(r[3]) for r in rows)),
                     str(sum(int(r[4]) for r in rows))))
        blocks.append(NoticeBlock("table", header=("信用风险分类", "抽查比例", "检查对象数", "因年度上限排除", "抽查数量"),
                             rows=tuple(rows)))
    return blocks


def _notice_blocks(plan: Plan, spec: PlanSpec, names: _Names) -> list[NoticeBlock]:
    first, last = quarter_bounds(plan.quarter)
    tasks_by_id = {t.task_id: t for t in spec.tasks}
    blocks = [
        NoticeBlock("h1", f"{spec.authority} {plan.quarter[:4]}年第{plan.quarter[-1]}季度“双随机、一公开”抽查计划公告"),
        NoticeBlock("ul", items=(
            f"发布机关：{spec.authority}",
            f"计划编号：{plan.plan_id}",
            f"抽查期间：{zh_date(first)}至{zh_date(last)}（工作日）",
            f"抽查任务：{len(plan.tasks)} 项",
            *([f"未能配齐执法检查人员：{len(plan.unstaffed)} 个检查（部门），执法检查人员不足，原因见 plan.json 的 unstaffed"]
              if plan.unstaffed else []),
        )),
        NoticeBlock("p", "依据国办发〔2015〕58号、国发〔2019〕5号，从检查对象名录库中随机抽取检查对象，"
                    "从执法检查人员名录库中随机选派执法检查人员。为保证检查不打招呼，"
                    "被抽中的检查对象名单不在本公告中公布，检查结果按“谁检查、谁录入、谁公开”"
                    "自产生之日起20个工作日内通过国家企业信用信息公示系统公示。"),
        NoticeBlock("h2", "一、抽查任务"),
    ]
    for i, pt in enumerate(plan.tasks, start=1):
        blocks += _task_blocks(i, pt, tasks_by_id.get(pt.task_id), names)
    commitment = plan.seed.get("salt_commitment")
    blocks += [
        NoticeBlock("h2", "二、随机种子"),
        NoticeBlock("p", "公开随机源（抽取前已公布名称，按以下顺序使用）："),
        NoticeBlock("ul", items=tuple(f"（{j}）{s}" for j, s in enumerate(spec.seed.sources, start=1))),
        NoticeBlock("p", "由上述随机源的开奖、收盘数值得到的密钥串（RFC 3797）："),
        NoticeBlock("code", str(plan.seed.get("key_string") or "")),
    ]
    if commitment:
        blocks += [NoticeBlock("p", "盐值承诺（盐值在公开随机源产生前已固定，全部检查完成后公布于 public/reveal.json）："),
                   NoticeBlock("code", str(commitment))]
        seed_rule = "种子 = SHA-256(“randsup/1” ‖ 密钥串 ‖ 盐值)；任何人可在盐值公布后核对 SHA-256(盐值) 与盐值承诺一致。"
        command = "复算命令（盐值公布后）：randsup verify <计划目录> --data <名录库目录>"
    else:
        blocks.append(NoticeBlock("p", "本计划为公开抽查（announced），未使用盐值，种子完全由公开随机源决定。"))
        seed_rule = "种子 = SHA-256(“randsup/1” ‖ 密钥串)。"
        command = "复算命令：randsup verify <计划目录> --data <名录库目录>"
    blocks += [
        NoticeBlock("h2", "三、如何核验"),
        NoticeBlock("ul", items=(
            seed_rule,
            "每个检查对象的随机号为 Rivest consistent-sampler 的 first_fraction（SHA-256），"
            "可用独立发布的 consistent-sampler 软件包复算；各信用风险分类内抽取随机号最小的对象。",
            "public/draw-record.json 记录复算所需的全部参数：密钥串、盐值承诺、名录库文件的 SHA-256、算法及版本、"
            "各任务的随机号种子（盐值公布前不公开）、起点和各类对象数与抽取数。",
            command,
        )),
    ]
    return blocks + _ledger_blocks(plan)


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


def render_notice_html(blocks: Sequence[NoticeBlock], title: str) -> str:
    e = html.escape
    body: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            body.append(f"<{b.kind}>{e(b.text)}</{b.kind}>")
        elif b.kind == "p":
            body.append(f"<p>{e(b.text)}</p>")
        elif b.kind == "ul":
            body.append("<ul>\n" + "\n".join(f"  <li>{e(x)}</li>" for x in b.items) + "\n</ul>")
        elif b.kind == "code":
            body.append(f"<pre><code>{e(b.text)}</code></pre>")
        elif b.kind == "table":
            head = "".join(f"<th>{e(h)}</th>" for h in b.header)
            rows = "\n".join("  <tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in b.rows)
            body.append(f"<table>\n  <tr>{head}</tr>\n{rows}\n</table>")
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{e(title)}</title>\n"
            "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
            "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 8px}</style>\n"
            "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


# ---------------------------------------------------------------------------------------
# The whole directory


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
    hp = spec.holidays_path()
    if hp is not None:
        try:
            files[_holidays_copy(str(hp))] = hp.read_bytes()
        except OSError as exc:
            raise SpecError(f"{hp}: the holidays file named by the spec cannot be read ({exc.strerror}); "
                            "fix 'holidays' in the spec") from None
    rows = _worklist_rows(plan, names)
    files[VISITS_CSV] = csv_text([en for en, _ in WORKLIST_COLUMNS], rows).encode("utf-8")
    files[VISITS_XLSX] = _worklist_xlsx(plan, rows)
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
