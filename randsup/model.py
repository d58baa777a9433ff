"""Data models of 一单两库 (the item list and the two directories) and of the plan.

Small tables are pydantic models, one object per row. The entity directory
(检查对象名录库, 10^5–10^7 rows) is columnar: :class:`EntityTable` holds numpy arrays, with
low-cardinality columns stored as :class:`Categorical` codes so that filters run on the
few distinct values and are then broadcast by code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

__all__ = [
    "Assignment",
    "CHECK_METHODS",
    "Categorical",
    "CheckItem",
    "Conflict",
    "Department",
    "Directory",
    "ENTITY_KIND",
    "DrawResult",
    "ENTITY_TYPES",
    "EntityTable",
    "HistoryVisit",
    "Inspector",
    "JointItem",
    "LedgerAnchor",
    "LedgerHead",
    "MAX_VISITS_PER_DAY",
    "MAX_VISITS_PER_QUARTER",
    "OBJECT_KINDS",
    "Plan",
    "UnstaffedTeam",
    "PlanTask",
    "RESULT_CATEGORIES",
    "RESULT_SUB_TYPES",
    "RISK_CLASSES",
    "RISK_UNGRADED",
    "StratumDraw",
    "Supersedes",
    "SupervisionItem",
    "TAG_ABNORMAL",
    "TAG_DESK_CHECK",
    "TakenDraw",
    "TaskDraw",
    "Unavailability",
    "Visit",
    "YearPlan",
]

RiskClass = Literal["A", "B", "C", "D"]
RISK_CLASSES: tuple[str, ...] = ("A", "B", "C", "D")
RISK_UNGRADED = 255  # EntityTable.risk_class of an object its department does not grade
ENTITY_KIND = "市场主体"  # the default 检查对象类别
# 检查对象类别: what a directory row is (docs/object-kinds.md; randsup.inputs.kinds reads the cells).
OBJECT_KINDS: tuple[str, ...] = (ENTITY_KIND, "工地", "建筑物", "路段", "产品", "设备", "其他")
# Tags with a meaning to the draw (architecture §6).
TAG_DESK_CHECK = "不予现场检查"  # drawn, but checked in writing (书面检查) instead of on site
TAG_ABNORMAL = "经营异常名录"  # listed as operating abnormally

CHECK_METHODS: tuple[str, ...] = ("现场检查", "书面检查", "网络监测", "专业机构核查")

# 检查结果 (top level), in the order the platforms list them (domain-rules §6; see
# randsup/history/results.py for the sources and the accepted spellings of other platforms).
RESULT_CATEGORIES: tuple[str, ...] = (
    "未发现问题",
    "发现问题已责令改正",
    "发现问题待后续处理",
    "未发现开展本次抽查涉及的经营活动",
    "通过登记的住所（经营场所）无法联系",
    "不配合检查情节严重",
    "已关闭停业或正在组织清算",
    "注销",
    "被吊销",
    "被撤销",
    "迁出",
)
# Sub-types of 发现问题待后续处理 (the Zhejiang form's second level, 工商 → 市场监管).
RESULT_SUB_TYPES: tuple[str, ...] = (
    "未按规定公示应当公示的信息",
    "公示信息隐瞒真实情况弄虚作假",
    "通过登记的住所（经营场所）无法联系",
    "违反其他市场监管相关规定",
    "违反食品药品管理相关规定",
    "违反质量技术监督相关规定",
    "违反其他部门相关规定",
)
ENTITY_TYPES: tuple[str, ...] = ("企业", "个体工商户", "农民专业合作社", "其他")


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Department(_Row):
    department_id: str
    name: str


class SupervisionItem(_Row):
    """监管事项 (an entry of the 监管事项目录清单)."""

    item_id: str
    name: str
    department_id: str
    category: Literal["一般", "重点"]
    legal_basis: str


class CheckItem(_Row):
    """检查实施清单 row: how one department checks one supervision item."""

    check_item_id: str
    item_id: str
    department_id: str
    name: str
    field: str = Field(description="执法领域: inspectors must hold this field")
    object_type: str
    check_methods: tuple[str, ...]
    legal_basis: str


class JointItem(_Row):
    """部门联合抽查事项: a lead department (发起部门) and partners (配合部门) check together."""

    joint_item_id: str
    name: str
    lead_department_id: str
    partner_department_ids: tuple[str, ...]
    check_item_ids: tuple[str, ...]
    object_type: str


# Upper bounds of the inspector caps: beyond any real workload, small enough for the solvers.
MAX_VISITS_PER_DAY = 20
MAX_VISITS_PER_QUARTER = 2_000


class Inspector(_Row):
    """执法检查人员: a certified inspector (or an expert who never counts toward team size)."""

    inspector_id: str
    name: str
    department_id: str
    certificate_no: str
    certificate_valid_until: dt.date
    fields: tuple[str, ...]
    area: str
    is_expert: bool = False
    max_visits_per_day: int = Field(default=2, ge=1, le=MAX_VISITS_PER_DAY)
    max_visits_per_quarter: int = Field(default=60, ge=1, le=MAX_VISITS_PER_QUARTER)


class Conflict(_Row):
    """回避: this inspector must not inspect this entity."""

    inspector_id: str
    entity_id: str
    reason: str


class Unavailability(_Row):
    inspector_id: str
    start: dt.date
    end: dt.date
    reason: str


class HistoryVisit(_Row):
    """A past inspection, for the annual cap and inspector rotation."""

    entity_id: str
    inspector_id: str
    department_id: str
    date: dt.date


@dataclass(frozen=True)
class Categorical:
    """A low-cardinality column: ``categories[codes[i]]`` is row i's value."""

    codes: np.ndarray  # int32, one per row
    categories: tuple[str, ...]  # sorted, unique

    @classmethod
    def from_values(cls, values: Sequence[str] | np.ndarray) -> Categorical:
        cats, codes = np.unique(np.asarray(values, dtype=str), return_inverse=True)
        return cls(codes.astype(np.int32).reshape(-1), tuple(str(c) for c in cats))

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def values(self) -> np.ndarray:
        return np.asarray(self.categories, dtype=str)[self.codes] if self.categories else \
            np.zeros(len(self), dtype=str)

    def mask(self, accept: Iterable[str] | None = None, *,
             prefixes: Iterable[str] | None = None) -> np.ndarray:
        """Rows whose value is in ``accept`` or starts with one of ``prefixes``."""
        lut = np.zeros(len(self.categories), dtype=bool)
        acc = set(accept or ())
        pre = tuple(prefixes or ())
        for i, c in enumerate(self.categories):
            lut[i] = c in acc or (bool(pre) and c.startswith(pre))
        return lut[self.codes] if lut.size else np.zeros(len(self), dtype=bool)


@dataclass(frozen=True)
class EntityTable:
    """检查对象名录库 in columnar form; row i is one inspection object: a market entity
    (市场主体) or, per ``object_kind`` (检查对象类别), a site, building, road section, … .

    ``tags`` is a bitmask: bit j set means the entity carries ``tag_names[j]``.
    ``last_inspected`` is datetime64[D], NaT where never inspected. ``object_kind`` and
    ``responsible_entity_id`` (责任主体, "" where none) default to every row a 市场主体 with
    none, so tables built before object kinds stay valid (docs/object-kinds.md).
    """

    entity_id: np.ndarray  # str, unique across kinds (the ticket id); a USCC for 市场主体 rows
    name: np.ndarray  # str
    entity_type: Categorical  # "" for objects that are not market entities
    industry: Categorical  # GB/T 4754 code, e.g. "F5221"
    area: Categorical  # 街镇
    risk_class: np.ndarray  # uint8: 0=A, 1=B, 2=C, 3=D, RISK_UNGRADED where the object is not graded
    tags: np.ndarray  # uint64 bitmask over tag_names
    tag_names: tuple[str, ...]
    last_inspected: np.ndarray  # datetime64[D]
    # Optional contact columns (住所/经营场所, 联系人, 联系电话): for the internal work lists only,
    # never published. None when the directory has no such column.
    address: np.ndarray | None = None  # str
    contact: np.ndarray | None = None  # str
    phone: np.ndarray | None = None  # str
    object_kind: Categorical = None  # type: ignore[assignment]  # one of OBJECT_KINDS
    responsible_entity_id: Categorical = None  # type: ignore[assignment]  # USCC or ""
    # Cache of id_order(); not an argument, so dataclasses.replace never carries a stale one over.
    _id_order: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self)
        for name, value in (("object_kind", ENTITY_KIND), ("responsible_entity_id", "")):
            if getattr(self, name) is None:
                object.__setattr__(self, name, Categorical(np.zeros(n, dtype=np.int32), (value,)))

    def __len__(self) -> int:
        return int(self.entity_id.shape[0])

    def kind_mask(self, kind: str) -> np.ndarray:
        """Rows whose 检查对象类别 is ``kind``."""
        return self.object_kind.mask((kind,))

    def responsible_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The 责任主体 of each of ``ids`` whose row names one, in id order.

        Only the rows that name a 责任主体 (objects, few) are read, so no id → row map of the
        whole directory is built (at 2×10^7 rows that map alone would take gigabytes).
        """
        resp = self.responsible_entity_id
        if resp.categories in ((), ("",)):
            return {}
        none = resp.categories.index("") if "" in resp.categories else -1
        rows = np.flatnonzero(resp.codes != none)
        named = dict(zip(self.entity_id[rows].tolist(),
                         (resp.categories[c] for c in resp.codes[rows].tolist()), strict=True))
        return {e: named[e] for e in sorted(ids) if e in named}

    def has_tag(self, tag: str) -> np.ndarray:
        if tag not in self.tag_names:
            return np.zeros(len(self), dtype=bool)
        bit = np.uint64(1) << np.uint64(self.tag_names.index(tag))
        return (self.tags & bit) != 0

    def tags_of(self, i: int) -> tuple[str, ...]:
        m = int(self.tags[i])
        return tuple(t for j, t in enumerate(self.tag_names) if m >> j & 1)

    def id_order(self) -> np.ndarray:
        """Row numbers in entity_id order (a stable argsort): the index ``rows_of`` searches; made once."""
        if self._id_order is None:
            object.__setattr__(self, "_id_order", np.argsort(self.entity_id, kind="stable"))
        return self._id_order

    def remember_id_order(self, order: np.ndarray) -> None:
        """Adopt ``np.argsort(entity_id, kind="stable")`` computed elsewhere (the loader's duplicate check)."""
        if order.shape != self.entity_id.shape:
            raise ValueError("an id order must have one entry per row")
        object.__setattr__(self, "_id_order", order)

    def rows_of(self, ids: Iterable[str] | np.ndarray) -> np.ndarray:
        """The row of each id (int64), −1 where the table has no such id; a binary search per id.

        No id → row dict is built: at 3·10^6 rows one takes seconds and hundreds of MB.
        """
        q = ids if isinstance(ids, np.ndarray) else np.asarray(list(ids), dtype=str)
        if q.size == 0 or len(self) == 0:
            return np.full(q.shape[0], -1, dtype=np.int64)
        order = self.id_order()
        pos = np.minimum(np.searchsorted(self.entity_id, q, sorter=order), len(self) - 1)
        rows = order[pos].astype(np.int64)
        return np.where(self.entity_id[rows] == q, rows, -1)

    def row_map(self, ids: Iterable[str]) -> dict[str, int]:
        """id → row for those of ``ids`` the table has (a few ids; ``rows_of`` for arrays)."""
        keys = sorted(set(ids))
        return {e: r for e, r in zip(keys, self.rows_of(keys).tolist(), strict=True) if r >= 0}


@dataclass(frozen=True)
class Directory:
    """一单两库: the item lists, both directories, and the side tables, as loaded and validated.

    ``digests`` maps each input file name (e.g. "entities.csv") to the SHA-256 hex of its bytes,
    so that a published plan names exactly the data it was drawn from.
    """

    departments: tuple[Department, ...]
    supervision_items: tuple[SupervisionItem, ...]
    check_items: tuple[CheckItem, ...]
    joint_items: tuple[JointItem, ...]
    entities: EntityTable
    inspectors: tuple[Inspector, ...]
    conflicts: tuple[Conflict, ...] = ()
    unavailability: tuple[Unavailability, ...] = ()
    history: tuple[HistoryVisit, ...] = ()
    digests: dict[str, str] = field(default_factory=dict)

    @cached_property
    def department_by_id(self) -> dict[str, Department]:
        return {d.department_id: d for d in self.departments}

    @cached_property
    def item_by_id(self) -> dict[str, SupervisionItem]:
        return {i.item_id: i for i in self.supervision_items}

    @cached_property
    def check_item_by_id(self) -> dict[str, CheckItem]:
        return {c.check_item_id: c for c in self.check_items}

    @cached_property
    def joint_item_by_id(self) -> dict[str, JointItem]:
        return {j.joint_item_id: j for j in self.joint_items}

    @cached_property
    def inspector_by_id(self) -> dict[str, Inspector]:
        return {i.inspector_id: i for i in self.inspectors}


# ---------------------------------------------------------------------------------------
# The draw (第一随机). Decimal quantities are strings so that plan.json holds no floats.


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StratumDraw(_Out):
    """One task × credit-risk class: what was available and what was drawn."""

    risk_class: RiskClass
    population: int  # after filters and exclusions
    excluded_at_cap: int = 0  # removed because at the annual cap (国办发〔2024〕54号)
    expected: str  # exact design sample size as a decimal string (e.g. "12.45")
    sample: int  # drawn (after sum-preserving rounding, min_per_class, population bound)
    probability: str  # design inclusion probability E[sample]/population as a decimal string
    # Where this class's draw starts on the ticket circle (decimal string in [0, 1)); classes of
    # an `apart` task each choose their own start (draw.py).
    start: str = "0"
    # The class's cut-offs, as distances (ticket - start) mod 1 at full precision: the largest of
    # the drawn entities and the smallest of those not drawn (None when there is none; both None
    # when the class draws nobody). An entity
    # can compare its own distance with them once the ticket seed is public (the public site).
    cutoff_drawn: str | None = None
    cutoff_not_drawn: str | None = None


class TaskDraw(_Out):
    task_id: str
    coordination: Literal["together", "apart", "independent"]
    ticket_seed: str  # the consistent-sampler seed string for this task's tickets
    start: str  # start point on the ticket circle, decimal string in [0, 1); "by-class" when the
    #             classes of an `apart` task start at different points (see strata[c].start)
    strata: dict[str, StratumDraw]  # by risk class "A".."D"
    selected: tuple[str, ...]  # entity ids, ascending (ticket - start) mod 1
    desk_check: tuple[str, ...] = ()  # subset of selected tagged 不予现场检查
    alternates: dict[str, tuple[str, ...]] = {}  # 递补, by risk class, in ticket order
    exclusions: dict[str, int] = {}  # reason → count (e.g. "annual cap reached")


class DrawResult(_Out):
    """第一随机 for every task of a plan."""

    seed_hex: str
    entity_ticket_seed: str  # sub-seed string shared by all `together`/`apart` tasks
    tasks: tuple[TaskDraw, ...]
    shared_pairs: int = 0  # (task, entity) pairs whose entity is also drawn by another task


# ---------------------------------------------------------------------------------------
# Visits and the plan (第二随机, 一公开).


class Assignment(_Out):
    inspector_id: str
    department_id: str
    is_expert: bool = False


class Visit(_Out):
    """One entity visited once, on one date, by one or more departments (a joint visit if several)."""

    visit_id: str
    entity_id: str
    entity_name: str
    object_kind: str = ENTITY_KIND  # 检查对象类别 of the visited object
    date: dt.date | None = None
    lead_department: str
    departments: tuple[str, ...]
    tasks: tuple[str, ...]
    check_items: tuple[str, ...]
    fields: tuple[str, ...] = ()  # 执法领域 the team must cover, per the check items
    method: Literal["现场检查", "书面检查"] = "现场检查"
    inspectors: tuple[Assignment, ...] = ()


class PlanTask(_Out):
    task_id: str
    name: str
    lead_department: str
    departments: tuple[str, ...]
    task_seed: str
    strata: dict[str, StratumDraw]
    object_kind: str = ENTITY_KIND  # 检查对象类别 the task draws from
    # Copied from the task's TaskDraw so that public/draw-record.json can name where on the
    # ticket circle each task started; defaults fit a `together` task.
    coordination: Literal["together", "apart", "independent"] = "together"
    start: str = "0"


class LedgerHead(_Out):
    """A position in the history ledger: the seq and hash of a record (seq 0: the empty ledger)."""

    seq: int = Field(ge=0)
    hash: str


class YearPlan(_Out):
    """A plan of the same year that a new plan drew against (its annual cap and rotation)."""

    plan_id: str
    seq: int  # its plan record
    plan_json_sha256: str  # its plan.json as of the head (after recorded changes)


class Supersedes(_Out):
    """The earlier version of the same plan_id that a re-plan replaces, and why (shown in the notice)."""

    seq: int
    plan_json_sha256: str
    reason: str


class TakenDraw(_Out):
    """The draw-only result (``randsup draw``) a plan took as its 第一随机: its ledger record and draw.json."""

    seq: int
    draw_json_sha256: str
    # The ledger history the draw was made with (from-draw/ledger-history.csv), None when it had none:
    # the draw record names it, so an outside verifier recomputes the draw with the history it used.
    history_sha256: str | None = None


class LedgerAnchor(_Out):
    """The ledger state a plan was made against: a recorded input, kept in spec.json and plan.json.

    ``head_before`` anchors the ledger in what is published: an outsider holding the notice can
    tell when the chain up to that record was rewritten. docs/history.md (Anchors).
    """

    head_before: LedgerHead
    year_plans: tuple[YearPlan, ...] = ()
    supersedes: Supersedes | None = None
    from_draw: TakenDraw | None = None  # plan --from-draw; left out of the files when None

    @model_serializer(mode="wrap")
    def _leave_out_no_draw(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Plans made before --from-draw existed keep their bytes (verify re-renders them).
        data = handler(self)
        if isinstance(data, dict) and data.get("from_draw") is None:
            data.pop("from_draw", None)
        return data


class UnstaffedTeam(_Out):
    """A (visit, department) that no legal team could staff (``plan --allow-unstaffed``), and why."""

    visit_id: str
    department_id: str
    date: dt.date
    fields: tuple[str, ...]
    reason: str


class Plan(_Out):
    """The plan of architecture §8, as written to plan.json."""

    format: Literal["randsup-plan/1"] = "randsup-plan/1"
    plan_id: str
    quarter: str
    seed: dict[str, str | None]  # key_string, salt_commitment, seed_hex
    inputs: dict[str, str]  # input file name → sha256 hex
    software: dict[str, str]
    tasks: tuple[PlanTask, ...]
    visits: tuple[Visit, ...]
    alternates: dict[str, tuple[str, ...]]
    stats: dict[str, int | str]
    ledger: LedgerAnchor | None = None  # copied from the spec: the ledger head it was drawn against
    # Only with allow_unstaffed; plan.json leaves the key out when empty.
    unstaffed: tuple[UnstaffedTeam, ...] = ()
