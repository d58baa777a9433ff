"""一公开 for the public: a static site where anyone checks the seed and any entity checks its draw.

``randsup site PLAN_DIR [--results RESULTS_DIR ...] --out SITE`` writes plain HTML, one CSS and
two JavaScript files (package data in ``site_assets/``). Nothing is loaded from outside the site
and nothing needs a server: the pages work opened from disk and from any static web server. The
data a page needs is embedded in it as JSON (browsers refuse ``fetch`` on file:// pages).

Pages (docs/site.md):

* ``index.html`` — the plan: its notice, the public seed sources with their values, the key
  string, the salt commitment, the ledger anchor when the plan has one, each task's population
  and sample per credit-risk class, and a "check the seed" button that recomputes the RFC 3797
  key string (and, once the salt is public, the seed) in the browser.
* ``check.html`` — after the reveal: the salt and seed, and the "check my draw" form: an entity
  types its id and the browser computes its consistent-sampler ticket for every task, whether it
  was drawn, and its distance from each task's start beside each class's cut-offs. Before the
  reveal the page only says when the check opens: the site then holds no salt, seed or ticket
  seed, and no drawn list, so nothing in it lets anyone compute who will be inspected.
* ``results.html`` — the published 抽查结果 of any number of results folders, grouped by entity.

When is a plan revealed? An unannounced (salted) plan once ``randsup reveal`` has written
``public/reveal.json`` into its folder: the site checks that salt against the commitment and takes
"drawn" from the reveal's drawn list (with the alternates used). An announced plan (no salt) is
public at once, and its drawn list is read from plan.json.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any

from ..draw.seed import verify_salt
from ..errors import InputError, OutputError, Problem, SeedError
from ..io import atomic_directory
from ..model import RISK_CLASSES, Plan
from ..version import __version__
from .files import DRAW_RECORD, NOTICE_HTML, REVEAL_RECORD, SPEC_FILE, read_json, read_plan, revealed_salt

__all__ = ["SITE_ASSETS", "build_site", "source_values", "write_site"]

# Files copied from randsup/publish/site_assets into SITE/assets.
SITE_ASSETS: tuple[str, ...] = ("randsup-core.js", "site.js", "site.css")
_MARKET_ENTITY = "市场主体"  # the object kind whose ids are 统一社会信用代码 (GB 32100 check)
REVEAL_FILE = "public/reveal.json"  # written by `randsup reveal` once every visit is past
_NOTICE_TAGS = re.compile(r'</?(h1|h2|h3|p|ul|li|pre|code|table|tr|th|td|div|a)>|<div class="(table|sign)">'
                          r'|<p class="link">|<a href="draw-record\.json">')

_COORDINATION = {"together": "联合（共用随机号）", "apart": "错开（随机号圆周上错开）",
                 "independent": "独立（本任务专用随机号）"}


# ---------------------------------------------------------------------------------------
# Reading the plan folder and the results folders


@dataclass(frozen=True)
class _Inputs:
    plan: Plan
    spec: dict[str, Any]
    record: dict[str, Any]
    notice_html: str
    results: tuple[tuple[str, dict[str, Any]], ...]  # (folder name, results.json)
    salt: str | None  # the revealed salt, checked against the commitment
    revealed: bool
    reveal: dict[str, Any] | None  # public/reveal.json, when `randsup reveal` wrote one


def _object(path: Path, what: str) -> dict[str, Any]:
    data = read_json(path, what)
    if not isinstance(data, dict):
        raise InputError(Problem(str(path), None, None, None, "not a JSON object; restore it as written"),
                         header=f"{what} cannot be read")
    return data


def _read_inputs(plan_dir: Path, results_dirs: Sequence[Path]) -> _Inputs:
    plan = read_plan(plan_dir)
    spec = _object(plan_dir / SPEC_FILE, SPEC_FILE)
    record = _object(plan_dir / DRAW_RECORD, DRAW_RECORD)
    try:
        notice_html = (plan_dir / NOTICE_HTML).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise InputError(Problem(str(plan_dir / NOTICE_HTML), None, None, None,
                                 "the plan notice is missing or not UTF-8; restore the plan folder as written"),
                         header="the plan folder cannot be read") from None
    commitment = plan.seed.get("salt_commitment")
    results: list[tuple[str, dict[str, Any]]] = []
    for folder in results_dirs:
        where = folder / "results.json"
        data = _object(where, "results.json")
        if data.get("plan_id") != plan.plan_id:
            raise InputError(Problem(str(where), None, "plan_id", str(data.get("plan_id")),
                                     f"these results belong to another plan, not {plan.plan_id}; "
                                     "pass only results folders of this plan"), header="results of another plan")
        results.append((folder.name, data))
    # The reveal (`randsup reveal`: public/reveal.json) is the one source of the salt and the drawn list.
    salt = revealed_salt(plan_dir)
    reveal = _object(plan_dir / REVEAL_RECORD, REVEAL_RECORD) if salt is not None else None
    if reveal is not None:
        if reveal.get("plan_id") != plan.plan_id or not isinstance(reveal.get("tasks"), list):
            raise InputError(Problem(str(plan_dir / REVEAL_RECORD), None, "plan_id", str(reveal.get("plan_id")),
                                     f"not the reveal of plan {plan.plan_id}; restore the plan folder as written"),
                             header="the reveal cannot be read")
        if commitment is None:
            raise SeedError(f"{plan_dir / REVEAL_RECORD} reveals a salt, but plan {plan.plan_id} was drawn "
                            "without one; restore the plan folder as written")
        try:
            verify_salt(commitment, str(salt))
        except SeedError as exc:
            raise SeedError(f"{plan_dir / REVEAL_RECORD}: {exc}") from None
    # An announced plan (no salt) is public at once; an unannounced one only after its reveal.
    revealed = reveal is not None if commitment else bool(spec.get("announced"))
    return _Inputs(plan, spec, record, notice_html, tuple(results), salt, revealed, reveal)


# ---------------------------------------------------------------------------------------
# Seed sources


def source_values(key_string: str) -> list[str]:
    """The values of each source as the key string writes them, one space-separated text per source.

    The key string keeps only canonical values ("02" is written "2", values sorted), so these are
    the published values in that form; typing them into the page gives the same key string. A
    segment such as "3245.67." can be read as one decimal or as the two integers 3245 and 67: the
    reading kept is the one whose values ascend as the key string requires, integers preferred.
    """
    out = []
    for segment in key_string.split("/")[:-1]:
        groups = segment.split(".")[:-1]
        values = _read_segment(tuple(groups), None)
        if values is None:
            raise InputError(Problem("plan.json", None, "seed.key_string", key_string,
                                     "not a key string randsup writes; was plan.json edited?"),
                             header="the plan's key string cannot be read")
        out.append(" ".join(values))
    return out


def _read_segment(groups: tuple[str, ...], floor: tuple[int, str] | None) -> list[str] | None:
    """Values for ``groups`` (digit groups between the dots), each at least ``floor``, or None."""
    if not groups:
        return []
    whole = groups[0]
    if not whole.isdigit() or (len(whole) > 1 and whole[0] == "0"):
        return None
    options = [(whole, "", 1)]
    if len(groups) > 1 and groups[1].isdigit() and not groups[1].endswith("0"):
        options.append((f"{whole}.{groups[1]}", groups[1], 2))
    for text, frac, used in options:
        value = (int(whole), frac.ljust(80, "0"))
        if floor is not None and value < floor:
            continue
        rest = _read_segment(groups[used:], value)
        if rest is not None:
            return [text, *rest]
    return None


# ---------------------------------------------------------------------------------------
# HTML


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _json_script(data: Any) -> str:
    # "<" escaped so that no value can close the script element.
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
    return f'<script type="application/json" id="site-data">{text}</script>'


# A line break between two Chinese characters renders as a space; the templates break lines freely.
_CJK_BREAK = re.compile(r"(?<=[^\x00-\x7f])\n(?=[^\x00-\x7f])")


def _page(title: str, heading: str, active: str, body: str, *, has_results: bool,
          data: Any = None, scripts: bool = True) -> str:
    body = _CJK_BREAK.sub("", body)
    nav = [("index.html", "抽查计划"), ("check.html", "核对抽取")]
    if has_results:
        nav.append(("results.html", "抽查结果"))
    current = ' aria-current="page"'
    links = "".join(f'<li><a href="{href}"{current if href == active else ""}>{_e(label)}</a></li>'
                    for href, label in nav)
    tail = ""
    if data is not None:
        tail += _json_script(data) + "\n"
    if scripts:
        tail += ('<script src="assets/randsup-core.js"></script>\n'
                 '<script src="assets/site.js"></script>\n')
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{_e(title)}</title>
<link rel="stylesheet" href="assets/site.css">
</head>
<body>
<a class="skip" href="#main">跳到正文</a>
<header class="site">
<p class="kicker">“双随机、一公开”抽查公开核验</p>
<h1>{_e(heading)}</h1>
<nav aria-label="本站页面"><ul>{links}</ul></nav>
</header>
<main id="main">
{body}
</main>
<footer>
<p>本站是静态网页，不连接任何服务器，也不收集您输入的内容：所有核对都在您自己的浏览器中完成。
页面可直接从磁盘打开，也可放在任何网站上。由 randsup {_e(__version__)} 生成。</p>
</footer>
{tail}</body>
</html>
"""


def _notice_body(notice_html: str) -> str:
    """The body of the plan notice randsup wrote, headings moved two levels down."""
    m = re.search(r"<body>\n?(.*)</body>", notice_html, re.S)
    body = m.group(1) if m else ""
    # Only the tags randsup's notice renderer writes, without attributes; anything else means the
    # file was edited and is not copied into a public page.
    for tag in re.findall(r"<[^>]*>", body):
        if not _NOTICE_TAGS.fullmatch(tag):
            raise InputError(Problem(NOTICE_HTML, None, None, tag[:60],
                                     "the notice holds markup randsup does not write; was it edited?"),
                             header="the plan notice cannot be published")
    body = re.sub(r"<h1>.*?</h1>\n?", "", body, count=1, flags=re.S)
    body = re.sub(r"<(/?)h3>", r"<\1h4>", body)
    body = re.sub(r"<(/?)h2>", r"<\1h3>", body)
    # The notice's table wrapper becomes the site's; the draw record is not part of the site, so
    # its link stays as text.
    body = body.replace('<div class="table">', '<div class="scroll">')
    body = re.sub(r'<p class="link"><a href="draw-record\.json">(.*?)</a></p>', r"<p>\1</p>", body)
    return body


def _zh_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def _reveal_date(plan: Plan) -> str | None:
    dates = sorted(v.date.isoformat() for v in plan.visits if v.date is not None)
    return dates[-1] if dates else None


def _title(inp: _Inputs) -> str:
    q = inp.plan.quarter
    return f"{q[:4]}年第{q[-1]}季度抽查计划 {inp.plan.plan_id}"


def _anchor(plan: Plan) -> list[tuple[str, str]]:
    """台账锚点: the ledger head the plan was drawn against (plan.json, as the notice states it)."""
    anchor = plan.ledger
    if anchor is None:
        return []
    head = anchor.head_before
    rows = [("台账锚点（抽取前检查台账的末条记录）", f"第 {head.seq} 条 {head.hash}")]
    rows += [(f"本年度已纳入的计划 {p.plan_id}", f"台账第 {p.seq} 条，plan.json SHA-256 {p.plan_json_sha256}")
             for p in anchor.year_plans]
    if anchor.supersedes is not None:
        r = anchor.supersedes
        rows.append(("本计划替代的原计划", f"台账第 {r.seq} 条，plan.json SHA-256 {r.plan_json_sha256}；原因：{r.reason}"))
    return rows


def _strata_table(inp: _Inputs) -> str:
    head = "".join(f'<th scope="col">{k}类<br><span class="unit">抽取 / 对象数</span></th>' for k in RISK_CLASSES)
    rows = []
    for t in inp.plan.tasks:
        cells = []
        for k in RISK_CLASSES:
            s = t.strata.get(k)
            cells.append(f"<td>{s.sample} / {s.population}</td>" if s else "<td>—</td>")
        total_s = sum(s.sample for s in t.strata.values())
        total_p = sum(s.population for s in t.strata.values())
        capped = sum(s.excluded_at_cap for s in t.strata.values())
        rows.append(f'<tr><th scope="row">{_e(t.task_id)} {_e(t.name)}</th>{"".join(cells)}'
                    f"<td>{total_s} / {total_p}</td><td>{capped}</td></tr>")
    return (f'<div class="scroll"><table class="strata"><caption>各任务按信用风险分类的抽取数与检查对象数'
            f'</caption><thead><tr><th scope="col">抽查任务</th>{head}<th scope="col">合计</th>'
            f'<th scope="col">因年度上限排除</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _plan_page(inp: _Inputs) -> str:
    plan, spec = inp.plan, inp.spec
    commitment = plan.seed.get("salt_commitment")
    names = list((spec.get("seed") or {}).get("sources") or [])
    values = source_values(str(plan.seed.get("key_string") or ""))
    reveal = _reveal_date(plan)
    sources = []
    for i, (name, value) in enumerate(zip(names, values, strict=True), start=1):
        sources.append(f'<li><label for="source-{i}">（{i}）{_e(name)}</label>'
                       f'<input id="source-{i}" name="source{i}" class="source" value="{_e(value)}" '
                       f'inputmode="decimal" autocomplete="off" spellcheck="false"></li>')
    facts = [("计划编号", plan.plan_id), ("发布机关", spec.get("authority", "")),
             ("抽查季度", f"{plan.quarter[:4]}年第{plan.quarter[-1]}季度"), ("抽查任务", f"{len(plan.tasks)} 项")]
    if reveal:
        label = "最后检查日（此后公布盐值、开放核对）" if commitment and not inp.revealed else "最后检查日"
        facts.append((label, _zh_date(reveal)))
    seed_rows = [("密钥串（RFC 3797，由上列数值得出）", plan.seed.get("key_string") or "")]
    if commitment:
        seed_rows.append(("盐值承诺（抽取前公布）", commitment))
    seed_rows += _anchor(plan)
    if inp.revealed:
        if inp.salt is not None:
            seed_rows.append(("已公布的盐值", inp.salt))
        seed_rows.append(("种子", plan.seed.get("seed_hex") or ""))
        explain = ("按下按钮后，浏览器用上面的数值重新计算密钥串，再计算 "
                   "种子 = SHA-256(“randsup/1” ‖ 密钥串" + (" ‖ 盐值" if commitment else "") + ")"
                   + ("，并核对 SHA-256(盐值) 与盐值承诺" if commitment else "") + "，与记录比对。")
    else:
        when = f"（{_zh_date(reveal)}之后）" if reveal else ""
        explain = ("按下按钮后，浏览器用上面的数值重新计算密钥串，与记录比对。种子还取决于秘密盐值，"
                   f"盐值在全部检查完成后{when}公布，届时本站可核对种子和每个检查对象的随机号。")
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    sr = "".join(f'<dt>{_e(k)}</dt><dd><code class="long">{_e(v)}</code></dd>' for k, v in seed_rows)
    body = f"""<section aria-labelledby="h-facts">
<h2 id="h-facts">计划概况</h2>
<dl class="facts">{dl}</dl>
</section>
<section aria-labelledby="h-seed">
<h2 id="h-seed">随机种子：任何人都可以核对</h2>
<p>抽取所用的随机数来自抽取前已公布名称的公开随机源。下面是各随机源公布的数值（按密钥串的写法：去掉前导零、从小到大排列）；
您也可以改成开奖公告上的原始写法，结果应当相同。</p>
<form id="seed-form" class="check">
<ol class="sources">{''.join(sources)}</ol>
<button type="submit">核对种子</button>
</form>
<div id="seed-result" class="result" role="status" aria-live="polite"></div>
<dl class="seed">{sr}</dl>
<p class="note">{_e(explain)}</p>
</section>
<section aria-labelledby="h-tasks">
<h2 id="h-tasks">抽查任务与抽取数量</h2>
{_strata_table(inp)}
</section>
<section aria-labelledby="h-notice" class="notice">
<h2 id="h-notice">抽查计划公告原文</h2>
{_notice_body(inp.notice_html)}
</section>"""
    data = {"page": "plan", "key_string": plan.seed.get("key_string"), "salt_commitment": commitment,
            "sources": len(names)}
    if inp.revealed:
        data |= {"salt": inp.salt, "seed": plan.seed.get("seed_hex")}
    return _page(_title(inp), _title(inp), "index.html", body, has_results=bool(inp.results), data=data)


# How an entity stands on a task's revealed drawn list (抽查名单).
DRAWN, ALTERNATE, REPLACED = "drawn", "alternate", "replaced"


def _statuses_from_visits(plan: Plan) -> dict[str, dict[str, str]]:
    """Per task, the entities visited for it: the drawn list as far as plan.json tells it (the
    alternates used later and the entities they replaced are not distinguished there)."""
    out: dict[str, dict[str, str]] = {t.task_id: {} for t in plan.tasks}
    for v in plan.visits:
        for t in v.tasks:
            out.setdefault(t, {})[v.entity_id] = DRAWN
    return {t: dict(sorted(ids.items())) for t, ids in sorted(out.items())}


def _statuses_from_reveal(reveal: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Per task, the revealed drawn list: drawn, replaced by an alternate, or an alternate used."""
    out: dict[str, dict[str, str]] = {}
    for t in reveal["tasks"]:
        ids: dict[str, str] = {}
        for c in (t.get("classes") or {}).values():
            replaced = set(c.get("replaced") or ())
            ids.update({e: REPLACED if e in replaced else DRAWN for e in c.get("drawn") or ()})
            ids.update({e: ALTERNATE for e in c.get("alternates_used") or ()})
        out[str(t.get("task_id"))] = dict(sorted(ids.items()))
    return out


def _check_page(inp: _Inputs) -> str:
    plan = inp.plan
    commitment = plan.seed.get("salt_commitment")
    reveal = _reveal_date(plan)
    if not inp.revealed:
        when = f"{_zh_date(reveal)}（本计划最后一次检查之日）之后" if reveal else "全部检查完成后"
        body = f"""<section aria-labelledby="h-wait">
<h2 id="h-wait">核对本单位是否被抽中：尚未开放</h2>
<p class="callout">本计划的检查不打招呼。为此，抽取时使用了一个秘密盐值，只公布了它的承诺（SHA-256）。
在盐值公布之前，任何人（包括本站）都无法算出谁被抽中。</p>
<p>盐值将在{_e(when)}公布。届时本页开放核对：输入统一社会信用代码，即可在浏览器中算出本单位在每项抽查任务中的随机号，
看到是否被抽中，以及各信用风险分类的抽取界限。</p>
<p>现在就可以做的：在<a href="index.html#h-seed">抽查计划页</a>核对公开随机源与密钥串，
并记下盐值承诺{'（' + _e(commitment) + '）' if commitment else ''}，以便日后核对公布的盐值。</p>
</section>"""
        return _page("核对抽取（尚未开放）", _title(inp), "check.html", body, has_results=bool(inp.results),
                     scripts=False)
    record_tasks = {t.get("task_id"): t for t in inp.record.get("tasks", []) if isinstance(t, dict)}
    # The reveal's drawn list (with the alternates used) where there is one; else the visits of plan.json.
    statuses = _statuses_from_reveal(inp.reveal) if inp.reveal else _statuses_from_visits(plan)
    tasks = []
    for t in plan.tasks:
        rt = record_tasks.get(t.task_id, {})
        domain = f"task/{t.task_id}" if t.coordination == "independent" else "entities"
        tasks.append({
            "task_id": t.task_id, "name": t.name, "coordination": t.coordination, "ticket_seed": t.task_seed,
            "domain": domain, "object_kind": rt.get("object_kind") or _MARKET_ENTITY,
            "status": statuses.get(t.task_id, {}),
            "classes": {k: {"start": s.start, "population": s.population, "sample": s.sample,
                            "excluded_at_cap": s.excluded_at_cap, "cutoff_drawn": s.cutoff_drawn,
                            "cutoff_not_drawn": s.cutoff_not_drawn} for k, s in sorted(t.strata.items())},
        })
    # 市场主体 first: it is the form's default kind (an 18-character code is checked as a USCC).
    kinds = sorted({t["object_kind"] for t in tasks}, key=lambda k: (k != _MARKET_ENTITY, k))
    kind_field = ""
    if len(kinds) > 1:
        opts = "".join(f'<option value="{_e(k)}">{_e(k)}</option>' for k in kinds)
        kind_field = f'<label for="kind">检查对象类别</label><select id="kind" name="kind">{opts}</select>'
    salt_row = f"<dt>已公布的盐值</dt><dd><code class=\"long\">{_e(inp.salt)}</code></dd>" if inp.salt else ""
    body = f"""<section aria-labelledby="h-check">
<h2 id="h-check">核对本单位是否被抽中</h2>
<p>输入统一社会信用代码（小写字母也可以），浏览器会按公开的算法算出它在每项抽查任务中的随机号，
并与公布的抽查名单和各类抽取界限比对。计算只在您的浏览器中进行。</p>
<form id="draw-form" class="check" novalidate>
{kind_field}
<label for="entity-id">统一社会信用代码（或检查对象编号）</label>
<input id="entity-id" name="id" autocomplete="off" spellcheck="false" autocapitalize="characters"
 aria-describedby="id-hint id-error" placeholder="例如 91310117MA1J3Y1X2K">
<p id="id-hint" class="hint">18位，由数字和大写字母组成；最后一位是校验码（GB 32100）。</p>
<p id="id-error" class="error" role="alert"></p>
<button type="submit">核对</button>
</form>
<div id="draw-result" class="result" role="status" aria-live="polite"></div>
</section>
<section aria-labelledby="h-how">
<h2 id="h-how">怎样读结果</h2>
<ul>
<li><strong>随机号</strong>：consistent-sampler 的 first_fraction，即 SHA-256(SHA-256十六进制(随机号种子) ‖ 代码) 的十进制数字倒序写成的 0 到 1 之间的小数。</li>
<li><strong>距起点距离</strong>：(随机号 − 任务起点) mod 1。每个任务在每个信用风险分类内，抽取距离最小的若干对象。</li>
<li><strong>抽取界限</strong>：本类被抽中对象中最大的距离，和未被抽中对象中最小的距离。</li>
<li>是否被抽中，以公布的抽查名单为准（本站从抽查计划中读取），不是按界限推算的。</li>
</ul>
<p class="callout">距离低于某一类的界限却没有被抽中，本身不说明任何问题。本站看不到以下事实，而它们都可能解释这种情况：</p>
<ul>
<li>本单位不在该任务的抽查范围内（行业、所属街镇、主体类型、标签等筛选条件，见<a href="index.html#h-notice">计划公告</a>）；</li>
<li>本单位属于另一个信用风险分类（每一类单独抽取，各有各的界限）；</li>
<li>本单位本年度的检查次数已达上限，抽取前被排除（年度上限见计划公告，“因年度上限排除”的户数见抽查计划页）；</li>
<li>本单位在抽取时尚未列入检查对象名录库，或已注销、迁出。</li>
</ul>
<p>反过来，距离高于界限却被抽中，可能是递补：被抽中的对象无法检查时，按随机号顺序由下一个对象递补。
如仍有疑问，可凭本页结果向发布机关询问。</p>
</section>
<section aria-labelledby="h-seeds">
<h2 id="h-seeds">本页使用的种子</h2>
<dl class="seed"><dt>密钥串</dt><dd><code class="long">{_e(plan.seed.get('key_string') or '')}</code></dd>
{salt_row}<dt>种子</dt><dd><code class="long">{_e(plan.seed.get('seed_hex') or '')}</code></dd></dl>
<p class="note">计算随机号前，浏览器先由种子重新推出每个任务的随机号种子（HMAC-SHA256(种子, “entities” 或 “task/任务编号”)），
与记录不一致时会停下并说明。种子本身可在<a href="index.html#h-seed">抽查计划页</a>核对。</p>
<div id="subseed-result" class="result" role="status" aria-live="polite"></div>
</section>
<section id="batch-section" hidden aria-labelledby="h-batch">
<h2 id="h-batch">批量核对</h2>
<div class="scroll"><table id="batch"><caption>地址栏 ids 参数中每个代码的随机号</caption>
<thead><tr><th scope="col">输入</th><th scope="col">代码</th><th scope="col">校验</th><th scope="col">随机号种子</th>
<th scope="col">随机号</th></tr></thead><tbody></tbody></table></div>
</section>"""
    data = {"page": "check", "key_string": plan.seed.get("key_string"), "salt_commitment": commitment,
            "salt": inp.salt, "seed": plan.seed.get("seed_hex"), "tasks": tasks, "kinds": kinds,
            "market_entity": _MARKET_ENTITY}
    return _page("核对抽取", _title(inp), "check.html", body, has_results=bool(inp.results), data=data)


def _results_page(inp: _Inputs) -> str:
    # One result per (visit, department): a later folder's result replaces an earlier one, as a
    # re-recorded result supersedes the first in the ledger (and the same folder given twice counts once).
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for _folder, data in inp.results:
        for r in data.get("results", []):
            if isinstance(r, dict):
                latest[(str(r.get("visit_id", "")), str(r.get("department_id", "")))] = r
    by_entity: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for r in latest.values():
        eid = str(r.get("entity_id", ""))
        names.setdefault(eid, str(r.get("entity_name", "")))
        by_entity.setdefault(eid, []).append(r)
    tasks_of = {t.task_id: t for t in inp.plan.tasks}
    visit_tasks = {v.visit_id: v.tasks for v in inp.plan.visits}
    sections = []
    for eid in sorted(by_entity, key=lambda e: (names[e], e)):
        rows = []
        for r in sorted(by_entity[eid], key=lambda r: (str(r.get("inspected_on")), str(r.get("department_id")))):
            outcome = str(r.get("result", "")) + (f"（{r['sub_result']}）" if r.get("sub_result") else "")
            dept_id = str(r.get("department_id", ""))
            # The tasks of this visit that this department takes part in, as the results notice lists them.
            tasks = "；".join(tasks_of[t].name for t in visit_tasks.get(str(r.get("visit_id")), ())
                             if t in tasks_of and dept_id in tasks_of[t].departments)
            dept = r.get("department_name") or dept_id
            rows.append(f"<tr><td>{_e(_zh_date(str(r.get('inspected_on'))))}</td><td>{_e(dept)}</td>"
                        f"<td>{_e(tasks)}</td><td>{_e(outcome)}</td></tr>")
        link = (f' <a class="small" href="check.html?id={_e(eid)}">核对抽取</a>' if inp.revealed else "")
        sections.append(f'<section class="entity" aria-label="{_e(names[eid])}"><h3>{_e(names[eid])}</h3>'
                        f'<p class="code">统一社会信用代码 <code>{_e(eid)}</code>{link}</p>'
                        f'<div class="scroll"><table class="results"><thead><tr><th scope="col">检查日期</th><th scope="col">检查部门</th>'
                        f'<th scope="col">抽查任务</th><th scope="col">检查结果</th></tr></thead>'
                        f'<tbody>{"".join(rows)}</tbody></table></div></section>')
    n = sum(len(v) for v in by_entity.values())
    body = f"""<section aria-labelledby="h-results">
<h2 id="h-results">抽查结果（按检查对象）</h2>
<p>本计划已公布 {n} 项检查结果，涉及 {len(by_entity)} 个检查对象。检查结果按“谁检查、谁录入、谁公开”，
自检查之日起20个工作日内公示。计划与抽取方法见<a href="index.html">抽查计划页</a>。</p>
{''.join(sections)}
</section>"""
    return _page("抽查结果", _title(inp), "results.html", body, has_results=True, scripts=False)


def build_site(plan_dir: str | Path, results_dirs: Sequence[str | Path] = ()) -> dict[str, bytes]:
    """Every file of the site, path → bytes. Pure apart from reading the input folders.

    Raises:
        InputError: a folder is not a randsup plan or results folder, holds results of another plan,
            or the plan notice holds markup randsup does not write.
        SeedError: a revealed salt does not match the plan's commitment.
    """
    inp = _read_inputs(Path(plan_dir), [Path(r) for r in results_dirs])
    out: dict[str, bytes] = {
        "index.html": _plan_page(inp).encode("utf-8"),
        "check.html": _check_page(inp).encode("utf-8"),
    }
    if inp.results:
        out["results.html"] = _results_page(inp).encode("utf-8")
    assets = package_files("randsup.publish") / "site_assets"
    for name in SITE_ASSETS:
        out[f"assets/{name}"] = (assets / name).read_bytes()
    return dict(sorted(out.items()))


def write_site(plan_dir: str | Path, out: str | Path, results_dirs: Sequence[str | Path] = (), *,
               overwrite: bool = False) -> Path:
    """Build the site and write it to ``out`` atomically (an existing ``out`` needs ``overwrite``)."""
    files = build_site(plan_dir, results_dirs)
    target = Path(out)
    try:
        with atomic_directory(target, overwrite=overwrite) as tmp:
            for name, data in files.items():
                p = tmp / name
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}") from None
    return target
