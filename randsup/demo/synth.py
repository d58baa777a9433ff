"""Songjiang-scale demo data: a made-up but coherent 一单两库 for 上海市松江区, a plan spec, holidays.

Design notes: docs/demo.md (section randsup/demo/synth.py).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import chinese_calendar
import numpy as np

from ..errors import InputError, OutputError, Problem
from ..inputs.kinds import kind_of_object_text
from ..inputs.save import write_directory_files
from ..inputs.uscc import ALPHABET
from ..io import atomic_directory, write_atomic
from ..model import (
    CHECK_METHODS,
    ENTITY_KIND,
    RISK_UNGRADED,
    TAG_ABNORMAL,
    TAG_DESK_CHECK,
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
from .tables import (
    ABSENCE_REASONS as _ABSENCE_REASONS,
)
from .tables import (
    AFFINITY as _AFFINITY,
)
from .tables import (
    AREAS,
    ASPECTS,
    DEPARTMENTS,
    ENTITY_TYPES,
    INDUSTRIES,
)
from .tables import (
    BASIS_FOR as _BASIS_FOR,
)
from .tables import (
    BODY_PREFIXES as _BODY_PREFIXES,
)
from .tables import (
    CONFLICT_REASONS as _CONFLICT_REASONS,
)
from .tables import (
    COOP_WORDS as _COOP_WORDS,
)
from .tables import (
    GIVEN as _GIVEN,
)
from .tables import (
    JOINT_TEMPLATES as _JOINT_TEMPLATES,
)
from .tables import (
    OTHER_WORDS as _OTHER_WORDS,
)
from .tables import (
    REAL_DEPT_KEYWORDS as _REAL_DEPT_KEYWORDS,
)
from .tables import (
    SURNAMES as _SURNAMES,
)
from .tables import (
    ZIHAO as _ZIHAO,
)
from .tables import (
    Dept as _Dept,
)

__all__ = ["N_CHECK_ITEMS", "N_DEPARTMENTS", "N_JOINT_ITEMS", "N_SUPERVISION_ITEMS", "generate_directory",
           "holidays_2027_toml", "inspectors_for", "minimum_inspectors", "write_demo_data"]

N_DEPARTMENTS = 29
N_SUPERVISION_ITEMS = 705
N_CHECK_ITEMS = 1369
N_JOINT_ITEMS = 142  # as the Shanghai joint list (1st ed.): 142 抽查事项
DIVISION = "310117"  # 上海市松江区
QUARTER_START, QUARTER_END = dt.date(2027, 1, 1), dt.date(2027, 3, 31)
MIN_PER_FIELD = 3  # valid, non-expert inspectors per department and 执法领域: a team of 2 plus one for 回避
MIN_ENTITIES = 200

_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)  # GB 11714-1997
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)  # GB 32100-2015
assert len(DEPARTMENTS) == N_DEPARTMENTS


# ---------------------------------------------------------------------------------------
# Item lists (一单): themes → 监管事项 → 检查实施清单, then the joint list.


@dataclass(frozen=True)
class _ThemeRow:
    """One 检查类别 of one department: the source of several 监管事项."""

    department_id: str
    category: str
    object_type: str
    basis: str
    important: bool
    methods: tuple[str, ...]
    field: str
    real_name: str | None  # a real 检查事项 name, used for the theme's first item

    @property
    def text(self) -> str:
        return f"{self.category} {self.real_name or ''} {self.object_type} {self.basis}"


@dataclass
class _Lists:
    """The item lists plus what the plan spec needs to find its check items again."""

    departments: tuple[Department, ...]
    supervision_items: tuple[SupervisionItem, ...]
    check_items: tuple[CheckItem, ...]
    joint_items: tuple[JointItem, ...]
    themes: dict[str, list[_ThemeRow]]  # department → themes, in item order
    theme_checks: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (dept, theme) → check ids
    template_joint_ids: dict[str, str] = field(default_factory=dict)  # template name → joint item id


def _methods(text: str) -> tuple[str, ...]:
    """检查方式 of a real row mapped onto the four methods the model knows."""
    found = set()
    if any(k in text for k in ("现场", "实地", "抽样", "现场抽查")):
        found.add("现场检查")
    if any(k in text for k in ("书面", "调账", "备案审查", "自查", "专项检查")):
        found.add("书面检查")
    if any(k in text for k in ("网络", "线上", "技术监测")):
        found.add("网络监测")
    if any(k in text for k in ("专业机构", "检测", "统计督查")):
        found.add("专业机构核查")
    return tuple(m for m in CHECK_METHODS if m in found) or ("现场检查", "书面检查")


def _field_of(dept: _Dept, text: str) -> str:
    """The first 执法领域 with a keyword in ``text``; else the catch-all one (no keywords), else the first."""
    for name, keywords in dept.fields:
        if any(k in text for k in keywords):
            return name
    catch_all = [name for name, keywords in dept.fields if not keywords]
    return catch_all[0] if catch_all else dept.fields[0][0]


def _real_rows() -> list[dict[str, str]]:
    text = resources.files("randsup.demo").joinpath("data/real_items_sample.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _local_basis(text: str) -> str:
    """A real row's 检查依据 without the other province's local regulations (they do not bind 松江)."""
    pieces = re.split(r"(?=《)", " ".join(text.split()))
    kept = (p.strip(" ，,；;。、") for p in pieces if "海南" not in p)
    return " ".join(p for p in kept if p)


def _short_object(obj: str) -> str:
    """The object as a name fragment: long lists of subjects shortened to the first one plus 等."""
    return obj if len(obj) <= 12 else obj.split("、")[0].split("，")[0] + "等"


def _themes() -> dict[str, list[_ThemeRow]]:
    """Themes per department: the real list rows that map onto 松江's units, then the ones written here."""
    by_id = {d.department_id: d for d in DEPARTMENTS}
    out: dict[str, list[_ThemeRow]] = {d.department_id: [] for d in DEPARTMENTS}
    seen: set[tuple[str, str]] = set()
    rows = _real_rows()
    basis_of_item: dict[str, str] = {}
    for r in rows:  # the first row naming a 检查事项 with a basis lends it to rows without one
        if _local_basis(r["basis"]):
            basis_of_item.setdefault(r["check_item"].strip(), _local_basis(r["basis"]))
    for r in rows:
        name = r["check_item"].strip()
        if not name:
            continue
        category = r["check_category"].strip() or name
        if "体育" in category:
            dept_id: str | None = "SJ26"
        else:
            owner = r["department"] + " " + r["lead_dept"]
            dept_id = next((d for k, d in _REAL_DEPT_KEYWORDS if k in owner), None)
        if dept_id is None:
            continue
        dept = by_id[dept_id]
        obj = r["check_object"].strip() or "企业"
        key = (dept_id, name)
        if key in seen:
            continue
        seen.add(key)
        basis = (_local_basis(r["basis"]) or basis_of_item.get(name)
                 or next((b for k, b in _BASIS_FOR if k in name), dept.themes[0][2]))
        short = name if len(name) <= 40 else None  # long real names are lists of violations, not titles
        out[dept_id].append(_ThemeRow(dept_id, category, obj, basis, r["item_type"].startswith("重点"),
                                      _methods(r["check_method"]), _field_of(dept, f"{category} {name} {obj}"),
                                      short))
    for dept in DEPARTMENTS:
        for category, obj, basis, important, methods in dept.themes:
            out[dept.department_id].append(_ThemeRow(dept.department_id, category, obj, basis, important,
                                                     _methods(methods), _field_of(dept, f"{category} {obj}"), None))
    return out


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder apportionment of ``total`` by ``weights`` (ties to the earlier entry)."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(int)
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[: total - int(base.sum())]:
        base[i] += 1
    return [int(x) for x in base]


def _item_lists(rng: np.random.Generator) -> _Lists:
    themes = _themes()
    n_items = _allocate(N_SUPERVISION_ITEMS, [d.weight for d in DEPARTMENTS])
    extra = _allocate(N_CHECK_ITEMS - N_SUPERVISION_ITEMS,
                      [n * (d.per_item - 1) for n, d in zip(n_items, DEPARTMENTS, strict=True)])
    departments, items, checks = [], [], []
    theme_checks: dict[tuple[str, int], list[str]] = {}
    for dept, n, x in zip(DEPARTMENTS, n_items, extra, strict=True):
        d_id = dept.department_id
        dthemes = themes[d_id]
        if not len(dthemes) <= n <= len(dthemes) * len(ASPECTS) or x > 2 * n:
            raise AssertionError(f"{d_id}: {n} items, {x} extra check items do not fit {len(dthemes)} themes")
        departments.append(Department(department_id=d_id, name=dept.name))
        # Every theme first (its real item first), then further aspects round by round.
        aspect_order = [rng.permutation(len(ASPECTS)) for _ in dthemes]
        pairs = [(t, int(aspect_order[t][k])) for k in range(len(ASPECTS)) for t in range(len(dthemes))][:n]
        pairs.sort()
        # Up to two more check items per item, spread at random.
        more = np.bincount(rng.choice(2 * n, size=x, replace=False) % n, minlength=n)
        c_no = 0
        for i, ((t, a), k_more) in enumerate(zip(pairs, more.tolist(), strict=True)):
            th = dthemes[t]
            aspect, points = ASPECTS[a]
            first_of_theme = i == 0 or pairs[i - 1][0] != t
            obj = _short_object(th.object_type)
            real_item = first_of_theme and th.real_name is not None
            item_name = th.real_name if real_item and th.real_name else f"对{obj}{aspect}情况的检查"
            item_id = f"{d_id}S{i + 1:03d}"
            items.append(SupervisionItem(item_id=item_id, name=item_name, department_id=d_id,
                                         category="重点" if th.important else "一般", legal_basis=th.basis))
            for j in range(1 + k_more):
                c_no += 1
                cid = f"{d_id}C{c_no:03d}"
                checks.append(CheckItem(check_item_id=cid, item_id=item_id, department_id=d_id,
                                        name=item_name if real_item and j == 0 else f"{obj}{points[j]}检查",
                                        field=th.field,
                                        object_type=th.object_type, check_methods=th.methods,
                                        legal_basis=th.basis))
                theme_checks.setdefault((d_id, t), []).append(cid)
    lists = _Lists(tuple(departments), tuple(items), tuple(checks), (), themes, theme_checks)
    lists.joint_items = _joint_list(rng, lists)
    return lists


def _find_theme(lists: _Lists, dept_id: str, keyword: str) -> int:
    for t, th in enumerate(lists.themes[dept_id]):
        if keyword in th.text:
            return t
    raise AssertionError(f"no theme of {dept_id} mentions {keyword!r}")


def _pick_checks(rng: np.random.Generator, lists: _Lists, dept_id: str, theme: int, k: int) -> list[str]:
    ids = lists.theme_checks[(dept_id, theme)]
    chosen = rng.choice(len(ids), size=min(k, len(ids)), replace=False)
    return [ids[i] for i in sorted(chosen.tolist())]


def _joint_list(rng: np.random.Generator, lists: _Lists) -> tuple[JointItem, ...]:
    """The 部门联合抽查事项清单: the real joint items first, then drawn lead/partner combinations.

    Each department's part of a joint item stays within one theme, hence one 执法领域, so a
    team of that department qualifies for all of its check items.
    """
    joint: list[JointItem] = []
    names: set[str] = set()
    for name, obj, (lead, lead_kw), partners in _JOINT_TEMPLATES:
        ids = _pick_checks(rng, lists, lead, _find_theme(lists, lead, lead_kw), 2)
        for p, kw in partners:
            ids += _pick_checks(rng, lists, p, _find_theme(lists, p, kw), 1)
        jid = f"J{len(joint) + 1:03d}"
        joint.append(JointItem(joint_item_id=jid, name=name, lead_department_id=lead,
                               partner_department_ids=tuple(p for p, _ in partners), check_item_ids=tuple(ids),
                               object_type=obj))
        lists.template_joint_ids[name] = jid
        names.add(name)
    dept_ids = [d.department_id for d in DEPARTMENTS]
    # Market regulation leads most joint items in the Shanghai lists.
    lead_w = np.array([d.weight * (4 if d.department_id == "SJ01" else 1) for d in DEPARTMENTS], dtype=float)
    while len(joint) < N_JOINT_ITEMS:
        lead = dept_ids[int(rng.choice(len(dept_ids), p=lead_w / lead_w.sum()))]
        cands = _AFFINITY[lead]
        partners = [cands[i] for i in sorted(rng.choice(len(cands), size=int(rng.integers(1, min(3, len(cands)) + 1)),
                                                        replace=False).tolist())]
        t = int(rng.integers(len(lists.themes[lead])))
        th = lists.themes[lead][t]
        aspect = ASPECTS[int(rng.integers(len(ASPECTS)))][0]
        name = f"{_short_object(th.object_type)}{aspect}等情况联合检查"
        if name in names:
            continue
        names.add(name)
        ids = _pick_checks(rng, lists, lead, t, int(rng.integers(1, 3)))
        kind = kind_of_object_text(th.object_type)  # one visit is to one object: partners check the same kind
        joined = []
        for p in partners:
            same = [u for u, pt in enumerate(lists.themes[p]) if kind_of_object_text(pt.object_type) == kind]
            if same:
                ids += _pick_checks(rng, lists, p, same[int(rng.integers(len(same)))], 1)
                joined.append(p)
        if not joined:
            continue
        partners = joined
        joint.append(JointItem(joint_item_id=f"J{len(joint) + 1:03d}", name=name, lead_department_id=lead,
                               partner_department_ids=tuple(partners), check_item_ids=tuple(ids),
                               object_type=th.object_type))
    return tuple(joint)


# ---------------------------------------------------------------------------------------
# 检查对象名录库: vectorised, one row per market entity.

_ALPHABET_CODES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_VALUE31 = np.full(128, -1, dtype=np.int64)
_VALUE31[_ALPHABET_CODES] = np.arange(len(ALPHABET))


def _uscc(rng: np.random.Generator, heads: np.ndarray) -> np.ndarray:
    """Unique 统一社会信用代码 for rows whose first two characters are ``heads`` (e.g. "91").

    Layout (GB 32100-2015): authority + kind, 310117, an 8-character organisation body with its
    GB 11714 check character, and the GB 32100 check character over the first 17.
    """
    n = heads.shape[0]
    block = 31 ** 4
    k = rng.choice(len(_BODY_PREFIXES) * block, size=n, replace=False)
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :2] = np.frombuffer("".join(heads.tolist()).encode("ascii"), dtype=np.uint8).reshape(n, 2)
    out[:, 2:8] = np.frombuffer(DIVISION.encode("ascii"), dtype=np.uint8)
    prefixes = np.frombuffer("".join(_BODY_PREFIXES).encode("ascii"), dtype=np.uint8).reshape(-1, 4)
    out[:, 8:12] = prefixes[k // block]
    # 民办非企业单位 (民政) carry MJ bodies instead of MA.
    out[heads == "52", 9] = ord("J")
    rest = k % block
    for j in range(4):
        out[:, 15 - j] = _ALPHABET_CODES[rest % 31]
        rest //= 31
    return fill_uscc_checks(out)


def fill_uscc_checks(out: np.ndarray) -> np.ndarray:
    """Set the two check characters (columns 16, 17) of 18-byte codes (uint8 rows); return them as str."""
    body = out[:, 8:16].astype(np.int64)
    org_values = np.where(body <= ord("9"), body - ord("0"), body - 55)  # GB 11714: A=10 … Z=35
    r = 11 - (org_values @ _ORG_WEIGHTS) % 11
    out[:, 16] = np.where(r == 10, ord("X"), np.where(r == 11, ord("0"), r + ord("0")))
    total = _VALUE31[out[:, :17]] @ _USCC_WEIGHTS
    out[:, 17] = _ALPHABET_CODES[(31 - total % 31) % 31]
    return out.view("S18").reshape(out.shape[0]).astype("U18")


def _pick(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(w.shape[0], size=size, p=w / w.sum()).astype(np.int32)


def _entities(rng: np.random.Generator, n: int) -> EntityTable:
    type_idx = _pick(rng, [t[2] for t in ENTITY_TYPES], n)
    ind_idx = np.empty(n, dtype=np.int32)
    for t in range(len(ENTITY_TYPES)):
        rows = np.flatnonzero(type_idx == t)
        ind_idx[rows] = _pick(rng, [ind[4 + t] for ind in INDUSTRIES], rows.shape[0])
    area_idx = _pick(rng, [a[1] for a in AREAS], n)
    risk = _pick(rng, [0.20, 0.65, 0.12, 0.03], n).astype(np.uint8)
    # 经营异常名录 concentrates in the high-risk classes (it feeds the credit-risk score).
    abnormal = rng.random(n) < np.array([0.005, 0.02, 0.08, 0.25])[risk]
    desk = rng.random(n) < 0.005
    tag_names = tuple(sorted((TAG_ABNORMAL, TAG_DESK_CHECK)))
    tags = (abnormal.astype(np.uint64) << np.uint64(tag_names.index(TAG_ABNORMAL))) | (
        desk.astype(np.uint64) << np.uint64(tag_names.index(TAG_DESK_CHECK)))
    inspected = rng.random(n) < 0.25
    first, last = np.datetime64("2024-01-02"), np.datetime64("2026-12-25")
    days = rng.integers(0, int((last - first).astype(int)), size=n)
    last_inspected = np.where(inspected, first + days.astype("timedelta64[D]"), np.datetime64("NaT", "D"))

    ids = _uscc(rng, np.asarray([t[1] for t in ENTITY_TYPES])[type_idx])
    z1, z2 = rng.integers(len(_ZIHAO), size=(2, n)).tolist()
    third = (rng.random(n) < 0.3).tolist()
    z3 = rng.integers(len(_ZIHAO), size=n).tolist()
    suffix = _pick(rng, [0.9, 0.05, 0.05], n).tolist()
    names = []
    for i, (t, ind, a) in enumerate(zip(type_idx.tolist(), ind_idx.tolist(), area_idx.tolist(), strict=True)):
        zihao = _ZIHAO[z1[i]] + _ZIHAO[z2[i]] + (_ZIHAO[z3[i]] if third[i] else "")
        code, _, word, shop = INDUSTRIES[ind][:4]
        if t == 0:
            tail = ("有限公司", "股份有限公司", "有限公司松江分公司")[suffix[i]]
            names.append(f"上海{zihao}{word}{tail}")
        elif t == 1:
            names.append(f"松江区{AREAS[a][0]}{zihao}{shop or word + '经营部'}")
        elif t == 2:
            names.append(f"上海松江区{AREAS[a][0]}{zihao}{_COOP_WORDS.get(code, '农业')}专业合作社")
        else:
            names.append(f"上海市松江区{zihao}{_OTHER_WORDS.get(code, '服务中心')}")

    order = np.argsort(ids, kind="stable")
    return EntityTable(
        entity_id=ids[order],
        name=np.asarray(names, dtype=str)[order],
        entity_type=Categorical.from_values(np.asarray([t[0] for t in ENTITY_TYPES])[type_idx[order]]),
        industry=Categorical.from_values(np.asarray([i[0] for i in INDUSTRIES])[ind_idx[order]]),
        area=Categorical.from_values(np.asarray([a[0] for a in AREAS])[area_idx[order]]),
        risk_class=risk[order],
        tags=tags[order],
        tag_names=tag_names,
        last_inspected=last_inspected[order].astype("datetime64[D]"),
    )


_ROADS = ("人民北路", "中山东路", "荣乐中路", "谷阳北路", "新松江路", "广富林路", "文诚路", "玉树路", "沪松公路",
          "九亭大街", "泗泾路", "车墩路", "叶榭路", "洞泾路", "佘山路", "新浜路", "石湖荡路", "小昆山路")


def _with_contacts(rng: np.random.Generator, table: EntityTable) -> EntityTable:
    """Demo 住所（经营场所）, 联系人 and 联系电话 for the internal work lists (never published)."""
    n = len(table)
    roads = np.asarray(_ROADS)[rng.integers(len(_ROADS), size=n)]
    numbers = rng.integers(1, 2000, size=n).astype(str)
    address = np.char.add(np.char.add(np.char.add(np.char.add("上海市松江区", table.area.values()), roads),
                                      numbers), "号")
    surnames = np.asarray(_SURNAMES)[rng.integers(len(_SURNAMES), size=n)]
    given = np.char.add(np.asarray(_GIVEN)[rng.integers(len(_GIVEN), size=n)],
                        np.where(rng.random(n) < 0.5, np.asarray(_GIVEN)[rng.integers(len(_GIVEN), size=n)], ""))
    phone = np.char.add("021-5", np.char.zfill(rng.integers(0, 10_000_000, size=n).astype(str), 7))
    return dataclasses.replace(table, address=address, contact=np.char.add(surnames, given), phone=phone)


# ---------------------------------------------------------------------------------------
# Objects that are not market entities (docs/object-kinds.md): per kind, how many per 300,000
# entities, the industries of the enterprises responsible for them ("" = none), and whether
# their department grades them by risk (else the spec's default_risk_class applies).

_OBJECTS: tuple[tuple[str, int, tuple[str, ...] | None, bool], ...] = (
    ("工地", 900, ("E47", "E49", "E50"), True),  # 施工许可证编号; the 施工总承包单位
    ("路段", 240, None, False),  # 公路路线编号 + 桩号; maintained by the 公路管理所, not a market entity
    ("建筑物", 1200, ("K70",), False),  # 不动产单元号; the owner or property manager where it is a company
    ("设备", 2400, ("C", "G59", "H61", "K702", "F521"), True),  # 特种设备注册代码; the 使用单位
    ("产品", 1500, ("C",), False),  # 商品条码/批号; the producer
    ("其他", 400, ("L7259", "K702"), False),  # 户外广告设施; the 设置者
)
_ROUTES = ("G60", "G15", "G1501", "S32", "S36", "G318", "S124", "X2101", "X2203", "Y0412")
_EQUIPMENT = (("3110", "曳引驱动乘客电梯"), ("3120", "曳引驱动载货电梯"), ("3310", "自动扶梯"),
              ("2110", "固定式压力容器"), ("4110", "桥式起重机"), ("1110", "承压蒸汽锅炉"))
_PRODUCTS = ("电线电缆", "儿童服装", "电动自行车", "燃气灶具", "塑料食品容器", "汽车用制动液", "家用插座")


def _gtin13(body12: str) -> str:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def _unique_codes(make: Callable[[int], str], n: int) -> list[str]:
    out: dict[str, None] = {}
    i = 0
    while len(out) < n:
        out.setdefault(make(i), None)
        i += 1
    return list(out)


def _objects(rng: np.random.Generator, entities: EntityTable) -> EntityTable:
    """Construction sites, road sections, buildings, special equipment, products and outdoor
    advertising facilities, with responsible enterprises drawn from ``entities``."""
    n = len(entities)
    companies = np.flatnonzero(entities.entity_type.mask(("企业",)))
    area_names = np.asarray([a[0] for a in AREAS])
    ids: list[str] = []
    names: list[str] = []
    kinds: list[str] = []
    responsible: list[str] = []
    risk_parts: list[np.ndarray] = []
    areas: list[np.ndarray] = []
    for kind, per, industries, graded in _OBJECTS:
        m = max(10, round(per * n / 300_000))
        area = area_names[_pick(rng, [a[1] for a in AREAS], m)]
        day0 = dt.date(2024, 1, 2)
        if kind == "工地":
            days = rng.integers(0, 1090, size=m).tolist()
            codes = [f"{DIVISION}{(day0 + dt.timedelta(days=d)):%Y%m%d}{i + 1:04d}" for i, d in enumerate(days)]
            labels = [f"松江区{a}{_ZIHAO[int(rng.integers(len(_ZIHAO)))]}{('苑', '园', '广场', '中心')[i % 4]}"
                      f"{('住宅', '商业', '厂房', '市政道路')[i % 4]}项目施工工地" for i, a in enumerate(area.tolist())]
        elif kind == "路段":
            codes = [f"{_ROUTES[i % len(_ROUTES)]}K{2 * (i // len(_ROUTES)):03d}-K{2 * (i // len(_ROUTES)) + 2:03d}"
                     for i in range(m)]
            labels = [f"{c.split('K')[0]} 松江段 {c[len(c.split('K')[0]):]}" for c in codes]
        elif kind == "建筑物":
            codes = [f"{DIVISION}{int(rng.integers(1, 40)):03d}{int(rng.integers(1, 30)):03d}GB{i + 1:05d}F"
                     f"{int(rng.integers(1, 40)):04d}0000" for i in range(m)]
            labels = [f"松江区{a}{_ZIHAO[int(rng.integers(len(_ZIHAO)))]}大厦{i % 9 + 1}号楼"
                      for i, a in enumerate(area.tolist())]
        elif kind == "设备":
            def equipment(i: int) -> str:
                ym = int(rng.integers(16 * 12))
                return f"{_EQUIPMENT[int(rng.integers(len(_EQUIPMENT)))][0]}{DIVISION}{2010 + ym // 12}" \
                       f"{ym % 12 + 1:02d}{i % 10_000:04d}"

            codes = _unique_codes(equipment, m)
            kind_name = dict(_EQUIPMENT)
            labels = [f"{kind_name[c[:4]]} {c[-4:]}号" for c in codes]
        elif kind == "产品":
            codes = _unique_codes(lambda i: _gtin13(f"69{int(rng.integers(10**10)):010d}") +
                                  f"/{26 + i % 2}{int(rng.integers(1, 13)):02d}{'ABC'[i % 3]}{i % 1000:03d}", m)
            labels = [f"{_PRODUCTS[i % len(_PRODUCTS)]} 批号{c.split('/')[1]}" for i, c in enumerate(codes)]
        else:
            codes = [f"GG{DIVISION}{i + 1:06d}" for i in range(m)]
            labels = [f"松江区{a}户外广告设施{i + 1}号" for i, a in enumerate(area.tolist())]
        if industries is None or companies.size == 0:
            owners = [""] * m
        else:
            pool = companies[entities.industry.mask(prefixes=industries)[companies]]
            pool = pool if pool.size else companies
            has = rng.random(m) < (0.6 if kind == "建筑物" else 1.0)
            picked = pool[rng.integers(pool.size, size=m)]
            owners = [str(entities.entity_id[p]) if h else "" for p, h in zip(picked, has, strict=True)]
        risk = _pick(rng, [0.15, 0.6, 0.2, 0.05], m).astype(np.uint8) if graded else \
            np.full(m, RISK_UNGRADED, dtype=np.uint8)
        ids += codes
        names += labels
        kinds += [kind] * m
        responsible += owners
        risk_parts.append(risk)
        areas.append(area)
    k = len(ids)
    return EntityTable(
        entity_id=np.asarray(ids, dtype=str), name=np.asarray(names, dtype=str),
        entity_type=Categorical.from_values([""] * k), industry=Categorical.from_values([""] * k),
        area=Categorical.from_values(np.concatenate(areas)), risk_class=np.concatenate(risk_parts),
        tags=np.zeros(k, dtype=np.uint64), tag_names=(), last_inspected=np.full(k, np.datetime64("NaT", "D")),
        object_kind=Categorical.from_values(kinds), responsible_entity_id=Categorical.from_values(responsible))


def _with_objects(entities: EntityTable, objects: EntityTable) -> EntityTable:
    """One directory of both tables, rows in id order."""
    ids = np.concatenate([entities.entity_id, objects.entity_id])
    order = np.argsort(ids, kind="stable")

    def cat(a: Categorical, b: Categorical) -> Categorical:
        return Categorical.from_values(np.concatenate([a.values(), b.values()])[order])

    def col(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a, b])[order]

    return EntityTable(
        entity_id=ids[order], name=col(entities.name, objects.name),
        entity_type=cat(entities.entity_type, objects.entity_type), industry=cat(entities.industry, objects.industry),
        area=cat(entities.area, objects.area), risk_class=col(entities.risk_class, objects.risk_class),
        tags=col(entities.tags, objects.tags), tag_names=entities.tag_names,
        last_inspected=col(entities.last_inspected, objects.last_inspected),
        object_kind=cat(entities.object_kind, objects.object_kind),
        responsible_entity_id=cat(entities.responsible_entity_id, objects.responsible_entity_id),
        **{c: col(getattr(entities, c), np.full(len(objects), "", dtype=str))
           for c in ("address", "contact", "phone") if getattr(entities, c) is not None})


# ---------------------------------------------------------------------------------------
# 执法检查人员名录库 and the side tables.


def _dept_fields(lists: _Lists) -> dict[str, list[tuple[str, int]]]:
    """Each department's 执法领域 with how many of its check items need it, most first."""
    counts: dict[str, dict[str, int]] = {}
    for c in lists.check_items:
        per = counts.setdefault(c.department_id, {})
        per[c.field] = per.get(c.field, 0) + 1
    return {d: sorted(per.items(), key=lambda kv: (-kv[1], kv[0])) for d, per in counts.items()}


def _min_inspectors(n_fields: int) -> int:
    # Each inspector holds up to three fields; MIN_PER_FIELD valid non-experts per field, plus one spare.
    return max(MIN_PER_FIELD + 1, math.ceil(MIN_PER_FIELD * n_fields / 2) + 1)


def minimum_inspectors() -> int:
    """The fewest inspectors :func:`generate_directory` accepts: enough for every department's fields."""
    lists = _item_lists(np.random.Generator(np.random.PCG64(0)))  # field sets do not depend on the seed
    return sum(_min_inspectors(len(f)) for f in _dept_fields(lists).values())


def _random_date(rng: np.random.Generator, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def _person_name(rng: np.random.Generator) -> str:
    given = "".join(_GIVEN[int(i)] for i in rng.integers(len(_GIVEN), size=int(rng.integers(1, 3))))
    return _SURNAMES[int(rng.integers(len(_SURNAMES)))] + given


def _inspectors(rng: np.random.Generator, lists: _Lists, m: int) -> tuple[Inspector, ...]:
    fields = _dept_fields(lists)
    dept_ids = [d.department_id for d in lists.departments]
    minimum = [_min_inspectors(len(fields[d])) for d in dept_ids]
    if m < sum(minimum):
        raise InputError(Problem("--inspectors", None, None, str(m),
                                 f"at least {sum(minimum)} inspectors are needed so that every department has "
                                 f"{MIN_PER_FIELD} certified non-experts in each of its 执法领域; ask for more"),
                         header="bad option")
    # Beyond the minimum, inspectors follow the workload: the number of check items per department.
    n_checks = [sum(c for _, c in fields[d]) for d in dept_ids]
    counts = [a + b for a, b in zip(minimum, _allocate(m - sum(minimum), n_checks), strict=True)]
    serials = rng.choice(10 ** max(5, len(str(m)) + 1), size=m, replace=False)
    area_w = [a[1] for a in AREAS]
    out: list[Inspector] = []
    for d, n in zip(dept_ids, counts, strict=True):
        names = [f for f, _ in fields[d]]
        # Square-root weights: officers cover small fields more often than their share of items.
        w = np.sqrt(np.asarray([c for _, c in fields[d]], dtype=float))
        width = max(4, len(str(n)))
        expert = rng.random(n) < 0.03
        expiring = rng.random(n) < 0.02
        # Keep enough ordinary, valid inspectors for the minimum: the first ones never are experts or expiring.
        keep = _min_inspectors(len(names))
        expert[:keep] = False
        expiring[:keep] = False
        held: list[list[str]] = []
        for _ in range(n):
            k = min(len(names), 1 + int(_pick(rng, [0.45, 0.4, 0.15], 1)[0]))
            held.append([names[i] for i in rng.choice(len(names), size=k, replace=False, p=w / w.sum())])
        # Repair: each field reaches MIN_PER_FIELD among the always-valid first `keep` inspectors.
        for f in names:
            have = sum(f in h for h in held[:keep])
            for h in sorted(held[:keep], key=len):
                if have >= MIN_PER_FIELD:
                    break
                if f not in h:
                    h.append(f)
                    have += 1
        for i in range(n):
            valid = (_random_date(rng, dt.date(2027, 1, 15), dt.date(2027, 3, 20)) if expiring[i]
                     else _random_date(rng, dt.date(2028, 1, 1), dt.date(2030, 12, 31)))
            out.append(Inspector(
                inspector_id=f"{d}P{i + 1:0{width}d}",
                name=_person_name(rng),
                department_id=d,
                certificate_no=f"{DIVISION}{int(serials[len(out)]):05d}",
                certificate_valid_until=valid,
                fields=tuple(sorted(held[i], key=names.index)),
                area=AREAS[int(_pick(rng, area_w, 1)[0])][0],
                is_expert=bool(expert[i]),
                max_visits_per_day=int(rng.integers(2, 5)),
                max_visits_per_quarter=int(rng.integers(8, 17)) * 5,
            ))
    return tuple(out)


def _workdays_2026() -> list[dt.date]:
    day, out = dt.date(2026, 1, 1), []
    while day.year == 2026:
        if chinese_calendar.is_workday(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def _side_tables(rng: np.random.Generator, entities: EntityTable, inspectors: tuple[Inspector, ...]
                 ) -> tuple[tuple[Conflict, ...], tuple[Unavailability, ...], tuple[HistoryVisit, ...], np.ndarray]:
    """回避, absences in 2027Q1, and 2026 visits; returns last_inspected updated by the visits."""
    n, m = len(entities), len(inspectors)
    ids = entities.entity_id
    who = rng.choice(m, size=max(3, m // 40), replace=False)
    conflicts = tuple(sorted(
        (Conflict(inspector_id=inspectors[int(i)].inspector_id, entity_id=str(ids[int(rng.integers(n))]),
                  reason=_CONFLICT_REASONS[int(rng.integers(len(_CONFLICT_REASONS)))]) for i in who),
        key=lambda c: (c.inspector_id, c.entity_id)))
    away = rng.choice(m, size=max(2, m // 16), replace=False)
    absences = []
    for i in sorted(away.tolist()):
        start = _random_date(rng, dt.date(2027, 1, 4), dt.date(2027, 3, 24))
        end = min(start + dt.timedelta(days=int(rng.integers(1, 14))), QUARTER_END)
        absences.append(Unavailability(inspector_id=inspectors[i].inspector_id, start=start, end=end,
                                       reason=_ABSENCE_REASONS[int(rng.integers(len(_ABSENCE_REASONS)))]))
    by_dept: dict[str, list[Inspector]] = {}
    for x in inspectors:
        if not x.is_expert:
            by_dept.setdefault(x.department_id, []).append(x)
    depts = sorted(by_dept)
    dept_w = [len(by_dept[d]) for d in depts]
    workdays = _workdays_2026()
    last = entities.last_inspected.copy()
    history = []
    for _ in range(max(10, n // 150)):
        e = int(rng.integers(n))
        d = depts[int(_pick(rng, dept_w, 1)[0])]
        day = workdays[int(rng.integers(len(workdays)))]
        for j in sorted(rng.choice(len(by_dept[d]), size=2, replace=False).tolist()):
            history.append(HistoryVisit(entity_id=str(ids[e]), inspector_id=by_dept[d][j].inspector_id,
                                        department_id=d, date=day))
        stamp = np.datetime64(day, "D")
        if np.isnat(last[e]) or last[e] < stamp:
            last[e] = stamp
    history.sort(key=lambda h: (h.date, h.entity_id, h.inspector_id))
    return conflicts, tuple(absences), tuple(history), last


def _generate(entities: int, inspectors: int, seed: int) -> tuple[Directory, _Lists]:
    if entities < MIN_ENTITIES:
        raise InputError(Problem("--entities", None, None, str(entities),
                                 f"ask for at least {MIN_ENTITIES} entities so that every task finds some"),
                         header="bad option")
    if seed < 0:
        raise InputError(Problem("--seed", None, None, str(seed), "the seed must be a whole number ≥ 0"),
                         header="bad option")
    # spawn(6) keeps the first five children of spawn(5) and spawn(4): each addition (the
    # contacts, then the objects) changed nothing drawn before it.
    parts = np.random.SeedSequence(seed).spawn(6)
    items_rng, entity_rng, inspector_rng, side_rng, contact_rng, object_rng = (
        np.random.Generator(np.random.PCG64(s)) for s in parts)
    lists = _item_lists(items_rng)
    table = _with_contacts(contact_rng, _entities(entity_rng, entities))
    table = _with_objects(table, _objects(object_rng, table))
    people = _inspectors(inspector_rng, lists, inspectors)
    conflicts, absences, history, last = _side_tables(side_rng, table, people)
    table = dataclasses.replace(table, last_inspected=last)
    directory = Directory(departments=lists.departments, supervision_items=lists.supervision_items,
                          check_items=lists.check_items, joint_items=lists.joint_items, entities=table,
                          inspectors=people, conflicts=conflicts, unavailability=absences, history=history)
    return directory, lists


def generate_directory(*, entities: int = 300_000, inspectors: int = 1_800, seed: int = 0) -> Directory:
    """A Songjiang-like 一单两库, the same for the same arguments on every machine.

    Args:
        entities: market entities in the 检查对象名录库 (at least 200).
        inspectors: people in the 执法检查人员名录库 (at least :func:`minimum_inspectors`).
        seed: any whole number ≥ 0.

    Raises:
        InputError: too few entities or inspectors for a coherent district, or a negative seed.
    """
    return _generate(entities, inspectors, seed)[0]


# ---------------------------------------------------------------------------------------
# The sample plan specification for 2027Q1 and the provisional 2027 holidays.

_R_LOW = {"A": "0.001", "B": "0.002", "C": "0.005", "D": "0.02"}
_R_MID = {"A": "0.005", "B": "0.015", "C": "0.05", "D": "0.2"}
_R_STD = {"A": "0.01", "B": "0.03", "C": "0.08", "D": "0.3"}
_R_HIGH = {"A": "0.05", "B": "0.1", "C": "0.2", "D": "0.5"}
_R_PROD = {"A": "0.005", "B": "0.01", "C": "0.03", "D": "0.1"}
_URBAN = ["岳阳街道", "永丰街道", "方松街道", "中山街道"]

# (task id, name, (department, theme keyword) or joint template name, population, ratio or count,
# coordination). Sized so that the default directory gives about 5,000 (task, entity) pairs.
_TASKS: tuple[tuple[str, str, tuple[str, str] | str, dict[str, list[str]] | None,
                    dict[str, str] | int, str], ...] = (
    ("T01", "食品销售者监督检查", ("SJ01", "高风险食品销售"),
     {"entity_type": ["企业", "个体工商户"], "industry_prefix": ["F522"]}, _R_MID, "together"),
    ("T02", "餐饮服务单位监督检查", ("SJ01", "餐饮服务"), {"industry_prefix": ["H62"]}, _R_MID, "together"),
    ("T03", "年度报告公示信息抽查（不定向）", ("SJ01", "年度报告公示信息的检查"), None, _R_LOW, "together"),
    ("T04", "特种设备使用单位监督检查", ("SJ01", "特种设备使用单位"),
     {"industry_prefix": ["C", "G59", "H61", "K702"]}, 120, "together"),
    ("T05", "生产领域产品质量监督检查", ("SJ01", "生产领域产品质量"), None, _R_PROD, "together"),  # 产品
    ("T06", "城区商户价格行为检查", ("SJ01", "价格"), {"industry_prefix": ["F52", "H62"], "area": _URBAN}, 150,
     "together"),
    ("T07", "宾馆、旅店联合检查", "宾馆、旅店取得许可证情况的检查", {"industry_prefix": ["H61"]},
     {"A": "0.02", "B": "0.05", "C": "0.1", "D": "0.3"}, "together"),
    ("T08", "校外培训机构联合检查", "学科类校外培训机构招生、办学、收费等情况的检查", {"industry_prefix": ["P839"]},
     _R_MID, "together"),
    ("T09", "用人单位劳动保障监察", ("SJ11", "工作时间"), {"entity_type": ["企业"]}, 200, "together"),
    ("T10", "歌舞娱乐场所联合检查", "歌舞娱乐场所取得、公示相关许可证及其他情况的检查", {"industry_prefix": ["R901"]},
     _R_HIGH, "together"),
    ("T11", "排污单位环境监督检查", ("SJ05", "排污许可"), {"industry_prefix": ["C"], "entity_type": ["企业"]},
     _R_PROD, "apart"),
    ("T12", "工贸企业安全生产检查", ("SJ12", "有限空间"), {"industry_prefix": ["C", "G59"]},
     {"A": "0.003", "B": "0.008", "C": "0.02", "D": "0.08"}, "together"),
    ("T13", "公共场所卫生监督检查", ("SJ02", "公共场所卫生监督检查"), {"industry_prefix": ["O804", "O805"]}, _R_STD,
     "together"),
    ("T14", "农民专业合作社农产品质量安全抽查", ("SJ10", "农产品质量安全监督抽查"),
     {"entity_type": ["农民专业合作社"]}, 40, "together"),
    ("T15", "纳税人涉税事项随机抽查（不定向）", ("SJ14", "涉税"), None, 150, "independent"),
    ("T16", "药品零售企业联合检查", "药品零售企业联合检查", {"industry_prefix": ["F525"]}, _R_STD, "together"),
    ("T17", "道路运输企业安全检查", ("SJ07", "道路运输行业安全监管"), {"industry_prefix": ["G543"]}, _R_MID,
     "together"),
    ("T18", "物业服务企业联合检查", "物业服务企业联合检查", {"industry_prefix": ["K702"]}, 40, "together"),
    # Objects that are not market entities (docs/object-kinds.md); T05 above draws products.
    ("T19", "在建工程施工工地安全检查", ("SJ06", "在建工程施工现场安全检查"), None, _R_HIGH, "together"),
    ("T20", "公路路段路政巡查", ("SJ07", "普通国省道路段巡查检查"), None, 30, "together"),
    ("T21", "高层民用建筑消防安全检查", ("SJ13", "高层民用建筑消防安全检查"), None, 40, "together"),
    ("T22", "在用特种设备安全状况检查", ("SJ01", "在用特种设备安全状况检查"), None, 60, "together"),
    ("T23", "户外广告设施安全检查", ("SJ18", "户外广告设施安全检查"), None, 20, "together"),
)
# The 检查对象 text of T23's check items ("户外广告设施") names no kind the table knows, so the spec
# names it: the spec's object_kind wins over the check list's text.
_TASK_KINDS = {"T23": "其他"}
SEED_SOURCES = ("中国福利彩票双色球 第2026150期 开奖号码", "上证综合指数 2026-12-31 收盘点位")
AUTHORITY = "松江区市场监管领域部门联合“双随机、一公开”监管联席会议办公室"


def _q(text: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def _q_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _fit_population(entities: EntityTable, population: dict[str, list[str]] | None, kind: str = ENTITY_KIND
                    ) -> tuple[bool, dict[str, list[str]] | None]:
    """The filter without values no entity has, and whether any object of ``kind`` is left.

    A filter value that matches nothing is a spec error (a likely typo), and a very small demo
    may lack a rare industry or area, so such values are dropped rather than written.
    """
    keep = entities.kind_mask(kind)
    if population is None:
        return bool(keep.any()), None
    fitted: dict[str, list[str]] = {}
    for key, values in population.items():
        column: Categorical = getattr(entities, "industry" if key == "industry_prefix" else key)
        if key == "industry_prefix":
            present = [v for v in values if any(c.startswith(v) for c in column.categories)]
            keep &= column.mask(prefixes=present)
        else:
            present = [v for v in values if v in column.categories]
            keep &= column.mask(present)
        fitted[key] = present
    return bool(keep.any()), fitted


def _plan_spec_toml(lists: _Lists, entities: EntityTable, salt_commitment: str | None = None,
                    announced: bool = False) -> str:
    """``plan-2027Q1.toml`` for a generated directory: fields of architecture §4 only.

    Fixed counts scale with the number of entities so that a small demo stays feasible; a task
    whose population a very small demo lacks is left out (a filter matching nothing is an error).
    """
    n = len(entities)
    lines = [
        "# Sample quarterly plan for the randsup demo district (fictitious data of 上海市松江区).",
        "# Ratios are per credit-risk class (信用风险分类 A–D); `count` tasks are allocated across classes.",
        "# `population` makes a task 定向; a task without it is 不定向. `joint_item` takes the lead and",
        "# partner departments and their check items from joint_items.csv.",
        f"plan_id = {_q('songjiang-2027Q1')}",
        f"quarter = {_q('2027Q1')}",
        f"authority = {_q(AUTHORITY)}",
        "team_size = 2",
        "max_inspections_per_entity_per_year = 2",
        "# A site's, building's, … inspections count against its 责任主体 (contractor, owner, producer).",
        "cap_by_responsible_entity = true",
        "# Risk class of objects their department does not grade (road sections, buildings, products, …).",
        f"default_risk_class = {_q('B')}",
        f"holidays = {_q('holidays-2027.toml')}  # PROVISIONAL: chinesecalendar has no 2027 data yet",
        *(["announced = true  # the drawn list may be public at once: no salt needed"] if announced else []),
        "",
        "",
        "[publication]",
        "# Printed on the notices (发布日期 and 落款); never taken from the clock.",
        "date = 2026-12-28",
        f"contact = {_q('联系电话：021-57700000（工作日 9:00—17:00）；投诉举报：12315')}",
        "",
        "[seed]",
        "# Named before they are known; their numbers are passed with --source when the plan is drawn.",
        f"sources = {_q_list(SEED_SOURCES)}",
        "# The checks are unannounced (不打招呼): the seed stays secret behind a salt until `randsup reveal`.",
        (f"salt_commitment = {_q(salt_commitment)}" if salt_commitment is not None else
         "# Make a salt with `randsup salt new SALT_FILE` and paste the salt_commitment line it prints here."),
    ]
    check_by_id = {c.check_item_id: c for c in lists.check_items}
    joint_by_id = {j.joint_item_id: j for j in lists.joint_items}
    for task_id, name, source, population, size, coordination in _TASKS:
        if isinstance(source, str):
            joint_id = lists.template_joint_ids[source]
            source_line = f"joint_item = {_q(joint_id)}"
            checks = list(joint_by_id[joint_id].check_item_ids)
        else:
            dept_id, keyword = source
            checks = lists.theme_checks[(dept_id, _find_theme(lists, dept_id, keyword))][:2]
            source_line = f"check_items = {_q_list(checks)}"
        kind = _TASK_KINDS.get(task_id) or kind_of_object_text(check_by_id[checks[0]].object_type)
        found, population = _fit_population(entities, population, kind)
        if not found:
            lines += ["", f"# {task_id} {name}: left out, no entity of this small demo matches its population"]
            continue
        lines += ["", "[[tasks]]", f"task_id = {_q(task_id)}", f"name = {_q(name)}", source_line]
        if population is not None:
            lines.append("population = { " + ", ".join(f"{k} = {_q_list(v)}" for k, v in population.items()) + " }")
        if isinstance(size, int):
            lines.append(f"count = {max(5, round(size * n / 300_000))}")
        else:
            lines.append("ratio = { " + ", ".join(f"{k} = {v}" for k, v in size.items()) + " }")
        lines.append(f"coordination = {_q(coordination)}")
        if task_id in _TASK_KINDS:
            lines.append(f"object_kind = {_q(_TASK_KINDS[task_id])}")
    return "\n".join(lines) + "\n"


# 2027 arrangement, PROVISIONAL: the usual pattern of the State Council notices (2025 rules: 春节
# 4 days with 除夕, 劳动节 2 days; holidays on a weekend are made up on the next weekdays, longer
# breaks are bridged by working a weekend day). 端午 (Wed 9 June) and 中秋 (Wed 15 September) are
# assumed as single days.
_HOLIDAYS_2027: tuple[tuple[str, str, str], ...] = (
    ("2027-01-01", "2027-01-03", "元旦"),
    ("2027-02-05", "2027-02-13", "春节"),
    ("2027-04-03", "2027-04-05", "清明节"),
    ("2027-05-01", "2027-05-05", "劳动节"),
    ("2027-06-09", "2027-06-09", "端午节"),
    ("2027-09-15", "2027-09-15", "中秋节"),
    ("2027-10-01", "2027-10-07", "国庆节"),
)
_WORKDAYS_2027 = ("2027-01-31", "2027-02-14", "2027-05-08", "2027-09-26", "2027-10-09")


def holidays_2027_toml() -> str:
    """The provisional 2027 holidays file (format in the module docstring)."""
    lines = [
        "# PROVISIONAL — NOT THE OFFICIAL 2027 ARRANGEMENT.",
        "# chinesecalendar has no 2027 data yet. These dates follow the usual pattern of the State Council's",
        "# holiday notices (春节 includes 除夕; weekend holidays are made up; long breaks are bridged by working",
        "# a weekend day). Replace them with 《国务院办公厅关于2027年部分节假日安排的通知》 when it is published,",
        "# and set provisional = false.",
        "year = 2027",
        "provisional = true",
        f"source = {_q('randsup demo: provisional estimate following the usual State Council pattern, not official')}",
        "# 调休: weekend days that are working days.",
        f"workdays = {_q_list(_WORKDAYS_2027)}",
        "",
        "# Every day of each holiday period, weekends included.",
        "[holidays]",
    ]
    for first, last, name in _HOLIDAYS_2027:
        day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        while day <= end:
            lines.append(f"{_q(day.isoformat())} = {_q(name)}")
            day += dt.timedelta(days=1)
    return "\n".join(lines) + "\n"


SONGJIANG_ENTITIES, SONGJIANG_INSPECTORS = 300_000, 1_800  # the demo district: 0.6 % inspectors per entity


def inspectors_for(entities: int) -> int:
    """Inspectors for a district of this size: Songjiang's ratio, at least what the generator needs."""
    return max(-(-entities * SONGJIANG_INSPECTORS // SONGJIANG_ENTITIES), minimum_inspectors())


def write_demo_data(out: str | Path, *, entities: int = 300_000, inspectors: int | None = None, seed: int = 0,
                    salt_commitment: str | None = None, announced: bool = False) -> Directory:
    """Write the demo data folder: the 一单两库 CSVs, ``plan-2027Q1.toml`` and ``holidays-2027.toml``.

    ``inspectors`` defaults to :func:`inspectors_for` ``(entities)``. ``salt_commitment`` (from
    :func:`randsup.draw.seed.new_salt_file`) goes into the spec; without it the spec cannot be
    planned until one is pasted in (unannounced plans need a salt), unless ``announced`` writes
    ``announced = true`` (simulations and tests that publish nothing secret).

    The folder appears whole or not at all (:func:`randsup.io.atomic_directory`).

    Raises:
        OutputError: ``out`` exists already.
        InputError: too few entities or inspectors (see :func:`generate_directory`).
    """
    target = Path(out)
    if target.exists():
        # Checked before generating so that a mistyped folder fails at once, not after the work.
        raise OutputError(f"{target} exists already; choose a new output folder or remove the old one")
    directory, lists = _generate(entities, inspectors_for(entities) if inspectors is None else inspectors, seed)
    with atomic_directory(target) as tmp:
        write_directory_files(directory, tmp)
        write_atomic(tmp / "plan-2027Q1.toml", _plan_spec_toml(lists, directory.entities, salt_commitment,
                                                                     announced))
        write_atomic(tmp / "holidays-2027.toml", holidays_2027_toml())
    return directory
