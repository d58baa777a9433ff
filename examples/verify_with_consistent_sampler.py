"""Recompute every task of a randsup plan from its public draw record, with consistent-sampler alone.

This script uses nothing but the Python standard library, Rivest's ``consistent_sampler``
package and what a plan publishes: ``public/draw-record.json`` (randsup-draw-record/2, every
field documented in docs/draw-record.md) and, after ``randsup reveal``, ``public/reveal.json``.
No randsup code is imported; every rule is re-implemented here from the record and the docs.

It also needs the *internal inputs a data holder has*: the entity directory the plan was drawn
from (a folder of CSV files in UTF-8 or GB18030 with English or Chinese headers, or one .xlsx
workbook; docs/normalisation.md says how cells are read) and, for a plan drawn against the
ledger's history of its year (a second quarter and later), the ``ledger-history.csv`` kept in
the plan folder (or given with --history). Their SHA-256 digests must match the record.

A task draws only objects of its 检查对象类别 (``object_kind``: 市场主体, 工地, 建筑物, 路段, 产品, 设备,
其他; docs/object-kinds.md); an ungraded object is in the task's ``default_risk_class``; with
``cap_by_responsible_entity`` the annual cap also counts an object's inspections against its 责任主体.

What is checked, per task and credit-risk class (信用风险分类 A–D):

* before the reveal: the population and the number excluded at the annual cap;
* after the reveal (or for an announced plan): also the seed from the key string and the salt,
  the ticket seed, the sample size (systematic rounding with its uniform), the start point
  (the apart rule), the drawn entities in order, the alternates (递补) and the cut-offs.

    python examples/verify_with_consistent_sampler.py PLAN_DIR --data DATA [--history FILE] [--task T]

Exit status 0 when everything matches, 1 otherwise.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import math
import re
import sys
import unicodedata
import zipfile
from collections.abc import Iterable
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from consistent_sampler import first_fraction

CLASSES = ("A", "B", "C", "D")
KEY_SCALE = 10**19  # keys: a ticket's first 19 digits; starts and arcs are in these units
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# --- Reading the inputs (docs/normalisation.md) ----------------------------------------------

TABLE_NAMES = {"entities": ("entities", "检查对象名录库"), "history": ("history", "抽查记录")}
COLUMNS = {
    "entities": {
        "entity_id": ("统一社会信用代码", "社会信用代码", "信用代码", "检查对象编码", "对象编码"),
        "name": ("名称", "企业名称", "主体名称"),
        "entity_type": ("主体类型", "主体类别", "企业类型"),
        "industry": ("行业代码", "行业"),
        "area": ("所属街镇", "街镇"),
        "risk_class": ("信用风险分类", "风险分类", "信用风险等级"),
        "tags": ("标签",),
        "object_kind": ("检查对象类别", "对象类别"),
        "responsible_entity_id": ("责任主体统一社会信用代码", "责任主体代码", "责任主体"),
    },
    "history": {
        "entity_id": ("统一社会信用代码", "社会信用代码", "信用代码"),
        "inspector_id": ("人员编码", "执法人员编码", "检查人员编码"),
        "department_id": ("部门编码", "部门代码"),
        "date": ("检查日期", "日期"),
    },
}
REQUIRED = {"entities": ("entity_id", "name", "entity_type", "industry", "area", "risk_class"),
            "history": ("entity_id", "inspector_id", "department_id", "date")}
DATE_FORMS = (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0{1,2}:00(?::00)?)?"),
              re.compile(r"(\d{4})(\d{2})(\d{2})"),
              re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"))


def norm(name: str) -> str:
    """A header or file name as compared: NFKC, no BOM, trimmed, lower case, '_' for blanks."""
    s = unicodedata.normalize("NFKC", name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", s).strip("*")


def column_of(header: str, table: str) -> str | None:
    aliases = {norm(a): c for c, names in COLUMNS[table].items() for a in (c, *names)}
    h = norm(header)
    if h in aliases:
        return aliases[h]
    for piece in re.split(r"[\[\]()【】]", h):
        piece = piece.strip(" _*")
        if piece in aliases:
            return aliases[piece]
    return None


def text(cell: str) -> str:
    """A text cell: trimmed, with the leading apostrophe of a neutralised formula removed."""
    s = cell.strip()
    return s[1:] if s.startswith("'") and s.lstrip("'").startswith(FORMULA_START) else s


def tag_list(cell: str) -> set[str]:
    return {t for t in (text(x) for x in re.split(r"[;；]", cell)) if t}


# Registry values as exported, mapped as randsup/inputs/cells.py does (docs/normalisation.md,
# "Registry values"); tests/test_cells.py checks this mirror against the loader.
def _fold(cell: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell))


def uscc(cell: str) -> str:
    return _fold(cell).upper()


_TYPES = ("企业", "个体工商户", "农民专业合作社", "其他")
_TYPE_RULES = (("非企业", "其他"), ("常驻代表机构", "其他"), ("代表机构", "其他"), ("个体", "个体工商户"),
               ("农民专业合作", "农民专业合作社"), ("农专社", "农民专业合作社"), ("专业合作社", "农民专业合作社"),
               ("公司", "企业"), ("企业", "企业"), ("合伙", "企业"), ("独资", "企业"), ("集体所有制", "企业"),
               ("全民所有制", "企业"), ("股份合作制", "企业"), ("联营", "企业"))


def entity_type(cell: str) -> str:
    v = _fold(text(cell))
    return v if v in _TYPES else next((c for needle, c in _TYPE_RULES if needle in v), v)


_SECTIONS = {"A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
             "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
             "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97)}


def industry(cell: str) -> str:
    v = _fold(text(cell))
    m = re.fullmatch(r"\[?([A-Za-z])?(\d{2}|\d{3}|\d{4})?\]?(?:[^\dA-Za-z].*)?", v)
    if not v or m is None or not (m[1] or m[2]):
        return v
    digits = m[2] or ""
    section = next((k for k, (lo, hi) in _SECTIONS.items() if digits and lo <= int(digits[:2]) <= hi), None)
    return f"{section or (m[1] or '').upper()}{digits}"


def risk_class(cell: str) -> str:
    v = _fold(cell)
    m = re.search(r"(?:^|[（(])([A-Da-d])(?:类|级)?(?:[）)]|$)|([A-Da-d])类", v)
    if m:
        return (m[1] or m[2]).upper()
    words = v.removeprefix("信用风险").removesuffix("风险").removesuffix("类")
    if not words:
        return ""  # ungraded: an object that is not a 市场主体 (its task's default_risk_class)
    return next((c for w, c in (("较高", "C"), ("一般", "B"), ("低", "A"), ("高", "D")) if w in words), v.upper())


# 检查对象类别 cell spellings (docs/object-kinds.md); an empty cell is a market entity.
KINDS = {"": "市场主体", "市场主体": "市场主体", "主体": "市场主体", "企业": "市场主体", "market_entity": "市场主体",
         "entity": "市场主体", "工地": "工地", "施工工地": "工地", "建设工程": "工地", "在建工程": "工地",
         "工程项目": "工地", "建设项目": "工地", "site": "工地", "construction_site": "工地", "建筑物": "建筑物",
         "建筑": "建筑物", "房屋": "建筑物", "building": "建筑物", "路段": "路段", "道路": "路段", "公路": "路段",
         "road": "路段", "road_section": "路段", "产品": "产品", "商品": "产品", "批次": "产品", "产品批次": "产品",
         "product": "产品", "设备": "设备", "特种设备": "设备", "equipment": "设备", "其他": "其他", "其它": "其他",
         "other": "其他"}


def object_kind(cell: str) -> str:
    return KINDS[unicodedata.normalize("NFKC", text(cell)).lower().replace(" ", "_")]


def capped(entities: list[dict[str, Any]], per_entity: dict[str, int], cap: int, by_responsible: bool) -> set[str]:
    """Ids excluded by the annual cap: an object's own inspections, and with
    cap_by_responsible_entity its 责任主体's: the enterprise's own inspections plus those of every
    object naming it (docs/object-kinds.md)."""
    out = {r["entity_id"] for r in entities if per_entity.get(r["entity_id"], 0) >= cap}
    if not by_responsible:
        return out
    burden: dict[str, int] = {}
    for r in entities:
        if r["responsible"]:
            burden[r["responsible"]] = burden.get(r["responsible"], 0) + per_entity.get(r["entity_id"], 0)
    full = {o for o, n in burden.items() if n + per_entity.get(o, 0) >= cap}
    return out | {r["entity_id"] for r in entities if r["entity_id"] in full or r["responsible"] in full}


def parse_date(cell: str) -> dt.date:
    v = cell.strip()
    for form in DATE_FORMS:
        m = form.fullmatch(v)
        if m:
            return dt.date(*(int(g) for g in m.groups()))
    raise ValueError(f"not a date: {cell!r}")


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the first MiB decodes as UTF-8, else GB18030."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data[: 1 << 20])
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


# XLSX: the workbook's sheets, read with zipfile and ElementTree.
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
DATE_FORMAT_IDS = set(range(14, 23)) | {45, 46, 47}


def _col_index(ref: str) -> int:
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):  # type: ignore[union-attr]
        n = n * 26 + ord(ch) - 64
    return n - 1


def xlsx_sheets(data: bytes) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook as rows of cell texts (numbers as written, date cells as ISO dates)."""
    z = zipfile.ZipFile(io.BytesIO(data))
    shared: list[str] = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
            shared.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
    date_styles: set[int] = set()
    if "xl/styles.xml" in z.namelist():
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
        custom = {int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in styles.iter(f"{{{NS['m']}}}numFmt")}
        xfs = styles.find("m:cellXfs", NS)
        for i, xf in enumerate(xfs.findall("m:xf", NS) if xfs is not None else []):
            fid = int(xf.get("numFmtId", "0"))
            code = re.sub(r'"[^"]*"|\[[^\]]*\]', "", custom.get(fid, "")).lower()
            if fid in DATE_FORMAT_IDS or (fid in custom and re.search(r"[dy]", code)):
                date_styles.add(i)
    rels = {r.get("Id"): r.get("Target", "") for r in
            ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels")).findall("p:Relationship", NS)}
    out: dict[str, list[list[str]]] = {}
    for sheet in ElementTree.fromstring(z.read("xl/workbook.xml")).iter(f"{{{NS['m']}}}sheet"):
        target = rels[sheet.get(f"{{{NS['r']}}}id")].lstrip("/")
        path = target if target.startswith("xl/") else "xl/" + target
        rows: list[list[str]] = []
        for row in ElementTree.fromstring(z.read(path)).iter(f"{{{NS['m']}}}row"):
            cells: dict[int, str] = {}
            for j, c in enumerate(row.findall("m:c", NS)):
                kind, v = c.get("t", "n"), c.find("m:v", NS)
                if kind == "inlineStr":
                    value = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
                elif v is None or v.text is None:
                    value = ""
                elif kind == "s":
                    value = shared[int(v.text)]
                elif kind == "b":
                    value = "true" if v.text == "1" else "false"
                elif kind in ("str", "e"):
                    value = v.text
                else:
                    number = float(v.text)
                    if int(c.get("s", "0")) in date_styles:
                        value = (dt.date(1899, 12, 30) + dt.timedelta(days=int(number))).isoformat()
                    else:
                        value = str(int(number)) if number.is_integer() else v.text
                ref = c.get("r")
                cells[_col_index(ref) if ref else j] = value
            width = max(cells) + 1 if cells else 0
            rows.append([cells.get(k, "") for k in range(width)])
        out[sheet.get("name", "")] = rows
    return out


def read_records(data_dir: Path, table: str, digests: dict[str, str]) -> list[list[str]] | None:
    """The records (header first) of a table from DATA (a folder of CSVs or one workbook)."""
    names = {norm(n) for n in TABLE_NAMES[table]}
    books = [data_dir] if data_dir.is_file() else \
        sorted(p for p in data_dir.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm") and not p.name.startswith("~$"))
    csvs = [] if data_dir.is_file() else sorted(p for p in data_dir.iterdir()
                                                 if p.suffix.lower() == ".csv" and norm(p.stem) in names)
    if csvs:
        raw = csvs[0].read_bytes()
        digests[csvs[0].name] = hashlib.sha256(raw).hexdigest()
        return list(csv.reader(io.StringIO(decode_csv(raw), newline="")))
    if len(books) == 1:
        raw = books[0].read_bytes()
        digests[books[0].name] = hashlib.sha256(raw).hexdigest()
        for sheet, rows in xlsx_sheets(raw).items():
            if norm(sheet.removesuffix(".csv")) in names:
                return rows
    return None


def table_rows(records: list[list[str]], table: str) -> list[dict[str, str]]:
    """Rows as {column: cell}: the header is the first of ten non-blank records naming most
    required columns; blank rows are skipped; short rows are padded."""
    best: tuple[int, int, dict[str, int]] | None = None
    nonblank = [(k, r) for k, r in enumerate(records[:10]) if any(c.strip() for c in r)]
    for k, r in nonblank:
        index: dict[str, int] = {}
        for j, h in enumerate(r):
            c = column_of(h, table)
            if c is not None and c not in index:
                index[c] = j
        score = sum(c in index for c in REQUIRED[table])
        if best is None or score > best[0]:
            best = (score, k, index)
        if score == len(REQUIRED[table]):
            break
    if best is None or best[0] < len(REQUIRED[table]):
        raise SystemExit(f"the {table} table has no recognisable header row")
    _, k, index = best
    out = []
    for r in records[k + 1:]:
        if not any(c.strip() for c in r):
            continue
        out.append({c: (r[j] if j < len(r) else "") for c, j in index.items()})
    return out


# --- The draw (docs/draw-record.md) ------------------------------------------------------------


def sub_seed(seed_hex: str, domain: str) -> str:
    return hmac.new(bytes.fromhex(seed_hex), domain.encode("utf-8"), hashlib.sha256).hexdigest()


def uniform(seed_hex: str, domain: str) -> Fraction:
    return Fraction(int(sub_seed(seed_hex, domain), 16), 1 << 256)


def ceil(q: Fraction) -> int:
    return -((-q.numerator) // q.denominator)


def allocate(task: dict[str, Any], pops: list[int], u: Fraction) -> list[int]:
    """Sizes per class by sum-preserving systematic rounding (the record's rules.allocation)."""
    if task["ratio"] is not None:
        ratio = {k: Fraction(Decimal(v)) for k, v in task["ratio"].items()}
        x = [ratio.get(c, Fraction(0)) * n for c, n in zip(CLASSES, pops, strict=True)]
        floor_applies = [ratio.get(c, Fraction(0)) > 0 for c in CLASSES]
    else:
        total = sum(pops)
        count = min(task["count"] or 0, total)
        x = [Fraction(count * n, total) if total else Fraction(0) for n in pops]
        floor_applies = [n > 0 for n in pops]
    sizes, running = [], Fraction(0)
    for h, xh in enumerate(x):
        base = math.floor(xh)
        before, running = running, running + (xh - base)
        size = base + ceil(running - u) - ceil(before - u)
        lo = task["min_per_class"] if floor_applies[h] else 0
        sizes.append(min(max(size, lo), pops[h]))
    return sizes


def design_arc(k: int, n: int) -> int:
    mean = Fraction(k, n + 1)
    var = Fraction(k * (n - k + 1), (n + 1) ** 2 * (n + 2))
    return min(KEY_SCALE, ceil(mean * KEY_SCALE) + 4 * (math.isqrt(ceil(var * KEY_SCALE**2)) + 1))


def free_gaps(arcs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    for s, length in arcs:
        if length <= 0:
            continue
        if length >= KEY_SCALE:
            return []
        end = s + length
        pieces += [(s, end)] if end <= KEY_SCALE else [(s, KEY_SCALE), (0, end - KEY_SCALE)]
    if not pieces:
        return [(0, KEY_SCALE)]
    pieces.sort()
    merged = [list(pieces[0])]
    for a, b in pieces[1:]:
        if a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    gaps = [(merged[i][1], merged[i + 1][0] - merged[i][1]) for i in range(len(merged) - 1)]
    wrap = KEY_SCALE - merged[-1][1] + merged[0][0]
    if wrap > 0:
        gaps.append((merged[-1][1] % KEY_SCALE, wrap))
    return sorted(gaps)


def fullest_gap(keys: list[int], arcs: list[tuple[int, int]]) -> tuple[int, int] | None:
    best = None
    for g_start, g_len in free_gaps(arcs):
        inside = sum((k - g_start) % KEY_SCALE < g_len for k in keys)
        if best is None or inside > best[1]:
            best = (g_start, inside)
    return best


def apart_start(keys: list[int], ids: set[str], h: int, k: int, done: list[dict[str, Any]]) -> int:
    """An apart task's start for class h (the record's rules.apart_start)."""
    nested, crossing = [], []
    for j in done:
        if j["coordination"] == "independent" or j["size"][h] == 0 or not (j["eligible"] & ids):
            continue
        if ids <= j["eligible"]:
            nested.append((j["start"][h], j["arc"][h]))
        elif j["coordination"] == "together":
            crossing.append((0, design_arc(j["size"][h], j["population"][h])))
    if not nested and not crossing:
        return 0
    gap = fullest_gap(keys, nested + crossing)
    if nested and crossing and (gap is None or gap[1] < k):
        gap = fullest_gap(keys, nested)
    if gap is None:
        s, length = (nested + crossing)[-1]
        return (s + length) % KEY_SCALE
    return gap[0]


def start_text(units: int) -> str:
    with localcontext() as ctx:
        ctx.prec = 60
        return format((Decimal(units) / KEY_SCALE).normalize(), "f") if units else "0"


def distance(ticket: str, start: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 120
        d = Decimal(ticket) - Decimal(start) / KEY_SCALE
        return d + 1 if d < 0 else d


def in_population(row: dict[str, Any], flt: dict[str, Any] | None) -> bool:
    if not flt:
        return True
    if flt.get("entity_type") is not None and row["entity_type"] not in flt["entity_type"]:
        return False
    if flt.get("industry_prefix") is not None and not row["industry"].startswith(tuple(flt["industry_prefix"])):
        return False
    if flt.get("area") is not None and row["area"] not in flt["area"]:
        return False
    if flt.get("tags") is not None and not set(flt["tags"]) <= row["tags"]:
        return False
    return not (flt.get("exclude_tags") is not None and row["tags"] & set(flt["exclude_tags"]))


class Tickets:
    """consistent_sampler tickets per ticket seed, computed once."""

    def __init__(self) -> None:
        self._cache: dict[str, dict[str, str]] = {}

    def of(self, seed: str, ids: Iterable[str]) -> dict[str, str]:
        table = self._cache.setdefault(seed, {})
        for e in ids:
            if e not in table:
                table[e] = str(first_fraction(e, seed))
        return table


def check_plan(record: dict[str, Any], reveal: dict[str, Any] | None, entities: list[dict[str, Any]],
               history: set[tuple[str, dt.date]], only: str | None) -> list[str]:
    problems: list[str] = []
    year, cap = record["year"], record["max_inspections_per_entity_per_year"]
    per_entity: dict[str, int] = {}
    for e, day in history:
        if day.year == year:
            per_entity[e] = per_entity.get(e, 0) + 1
    seed_hex = record["seed"]["seed_hex"] or (reveal or {}).get("seed_hex")
    if reveal is not None:  # the revealed salt against its commitment, the seed from the key string
        salt = reveal["salt"]
        if "sha256:" + hashlib.sha256(salt.encode("utf-8")).hexdigest() != record["seed"]["salt_commitment"]:
            problems.append("reveal.json: the salt does not match the salt commitment")
        rebuilt = hashlib.sha256(b"randsup/1" + record["seed"]["key_string"].encode("ascii")
                                 + salt.encode("utf-8")).hexdigest()
        if rebuilt != seed_hex:
            problems.append("reveal.json: the seed is not SHA-256('randsup/1' || key string || salt)")
    elif seed_hex is not None and hashlib.sha256(
            b"randsup/1" + record["seed"]["key_string"].encode("ascii")).hexdigest() != seed_hex:
        problems.append("draw-record.json: the seed is not SHA-256('randsup/1' || key string)")
    at_cap_ids = capped(entities, per_entity, cap, record.get("cap_by_responsible_entity", False))
    revealed = {t["task_id"]: t for t in (reveal or {}).get("tasks", [])}
    tickets = Tickets()
    done: list[dict[str, Any]] = []
    for task in sorted(record["tasks"], key=lambda t: t["order"]):
        tid = task["task_id"]
        # Objects of the task's kind; an ungraded one is in the task's default class.
        kind, default = task.get("object_kind", "市场主体"), task.get("default_risk_class")
        matched = [{**r, "risk_class": r["risk_class"] or default} for r in entities
                   if r["object_kind"] == kind and in_population(r, task["population"])]
        eligible = [r for r in matched if r["entity_id"] not in at_cap_ids]
        by_class = [sorted(r["entity_id"] for r in eligible if r["risk_class"] == c) for c in CLASSES]
        pops = [len(ids) for ids in by_class]
        at_cap = [sum(r["risk_class"] == c for r in matched) - pops[h] for h, c in enumerate(CLASSES)]
        state = {"coordination": task["coordination"], "eligible": {r["entity_id"] for r in eligible},
                 "start": [0] * 4, "arc": [0] * 4, "size": [0] * 4, "population": pops}
        for h, c in enumerate(CLASSES):
            s = task["strata"].get(c)
            if s is not None and (s["population"], s["excluded_at_cap"]) != (pops[h], at_cap[h]):
                problems.append(f"task {tid} class {c}: population {pops[h]} (record {s['population']}), "
                                f"at the annual cap {at_cap[h]} (record {s['excluded_at_cap']})")
        if seed_hex is None:
            print(f"task {tid}: populations and annual-cap exclusions checked; the draw itself needs the reveal")
            done.append(state)
            continue
        ticket_seed = sub_seed(seed_hex, f"task/{tid}" if task["coordination"] == "independent" else "entities")
        if ticket_seed != (task["ticket_seed"] or revealed.get(tid, {}).get("ticket_seed")):
            problems.append(f"task {tid}: the ticket seed is not HMAC-SHA256(seed, {task['ticket_seed_domain']!r})")
        sizes = allocate(task, pops, uniform(seed_hex, f"task/{tid}/rounding"))
        table = tickets.of(ticket_seed, (e for ids in by_class for e in ids))
        drawn_total = 0
        for h, c in enumerate(CLASSES):
            ids, k = by_class[h], sizes[h]
            keys = [int(table[e][2:2 + 19]) for e in ids]
            start = apart_start(keys, set(ids), h, k, done) if task["coordination"] == "apart" else 0
            order = sorted(ids, key=lambda e: (distance(table[e], start), e))
            n_alt = 0 if k == 0 else max(0, min(pops[h] - k, max(5, -(-k // 5))))
            drawn, alternates = order[:k], order[k:k + n_alt]
            state["start"][h], state["size"][h] = start, k
            if k:
                state["arc"][h] = (int(table[drawn[-1]][2:21]) - start) % KEY_SCALE + 1
            drawn_total += k
            s = task["strata"].get(c)
            if s is not None and s["sample"] != k:
                problems.append(f"task {tid} class {c}: sample {k}, record {s['sample']}")
            if s is not None and s.get("start") is not None and s["start"] != start_text(start):
                problems.append(f"task {tid} class {c}: start {start_text(start)}, record {s['start']}")
            got = revealed.get(tid, {}).get("classes", {}).get(c)
            if got is None:
                continue
            if got["start"] != start_text(start):
                problems.append(f"task {tid} class {c}: start {start_text(start)}, reveal.json {got['start']}")
            if got["drawn"] != drawn:
                problems.append(f"task {tid} class {c}: {len(set(got['drawn']) ^ set(drawn))} drawn entities differ "
                                "from reveal.json (or their order does)")
            if got["alternates"] != alternates:
                problems.append(f"task {tid} class {c}: the alternates (递补) differ from reveal.json")
            cut = got["cutoff"]
            want = (distance(table[drawn[-1]], start) if drawn else None,
                    distance(table[alternates[0]], start) if alternates else None)
            have = tuple(None if v is None else Decimal(v) for v in (cut["largest_drawn"], cut["smallest_not_drawn"]))
            if have != want:
                problems.append(f"task {tid} class {c}: the cut-offs differ from reveal.json")
        done.append(state)
        if only in (None, tid):
            print(f"task {tid} {task['name']} ({task['coordination']}): {drawn_total} drawn"
                  + (", drawn lists, alternates and cut-offs match reveal.json" if tid in revealed else ""))
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Recompute every task of a randsup plan from its public draw record with consistent-sampler "
                    "and the standard library alone. Besides the public record it needs the internal inputs a "
                    "data holder has: the entity directory (--data) and, for a plan drawn against earlier plans "
                    "of its year, the ledger history kept in the plan folder (ledger-history.csv) or --history.")
    ap.add_argument("plan", type=Path, help="the plan folder (public/draw-record.json, public/reveal.json)")
    ap.add_argument("--data", type=Path, required=True,
                    help="the data the plan was drawn from: a folder of CSVs (UTF-8 or GB18030, English or Chinese "
                         "headers) or one .xlsx workbook")
    ap.add_argument("--history", type=Path, help="the ledger history the plan was drawn with [default: "
                                                 "PLAN/ledger-history.csv when the record names one]")
    ap.add_argument("--task", help="print only this task (every task is still recomputed: later tasks depend on it)")
    args = ap.parse_args(argv)

    record = json.loads((args.plan / "public" / "draw-record.json").read_text(encoding="utf-8"))
    if record.get("format") != "randsup-draw-record/2":
        print(f"not a randsup-draw-record/2 record: {record.get('format')!r}")
        return 1
    reveal_path = args.plan / "public" / "reveal.json"
    reveal = json.loads(reveal_path.read_text(encoding="utf-8")) if reveal_path.is_file() else None
    digests: dict[str, str] = {}
    ent_records = read_records(args.data, "entities", digests)
    if ent_records is None:
        print(f"{args.data}: no entities table (entities.csv / 检查对象名录库.csv, or a workbook sheet)")
        return 1
    hist_records = read_records(args.data, "history", digests)
    problems = []
    ledger = record.get("ledger_history")
    history: set[tuple[str, dt.date]] = set()
    if ledger is not None:
        path = args.history or args.plan / ledger["file"]
        raw = path.read_bytes() if path.is_file() else b""
        if hashlib.sha256(raw).hexdigest() != ledger["sha256"]:
            problems.append(f"{path}: not the ledger history the plan was drawn with (SHA-256 differs)")
        for row in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
            history.add((text(row["entity_id"]), dt.date.fromisoformat(row["date"])))
    for name, digest in sorted(digests.items()):
        if record["inputs"].get(name) != digest:
            problems.append(f"{name}: SHA-256 differs from the record's inputs; this is not the data the plan used")
    if problems:
        print("\n".join(["MISMATCH:", *problems]))
        return 1
    entities = [{"entity_id": uscc(r["entity_id"]) if object_kind(r.get("object_kind", "")) == "市场主体"
                 else r["entity_id"].strip(), "entity_type": entity_type(r["entity_type"]),
                 "industry": industry(r["industry"]), "area": text(r["area"]), "risk_class": risk_class(r["risk_class"]),
                 "tags": tag_list(r.get("tags", "")), "object_kind": object_kind(r.get("object_kind", "")),
                 "responsible": uscc(text(r.get("responsible_entity_id", "")))}
                for r in table_rows(ent_records, "entities")]
    for r in table_rows(hist_records, "history") if hist_records is not None else []:
        history.add((uscc(text(r["entity_id"])), parse_date(r["date"])))
    problems = check_plan(record, reveal, entities, history, args.task)
    if problems:
        print("\n".join(["MISMATCH:", *problems]))
        return 1
    what = "every task" if record["seed"]["seed_hex"] or reveal else "the populations of every task"
    print(f"consistent_sampler reproduces {what} of plan {record['plan_id']} ({len(record['tasks'])} tasks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
