"""第一随机: draw the entities of every task, stratified by credit-risk class (信用风险分类).

Design notes: docs/draw.md (section randsup/draw/sample.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

import numpy as np

from ..errors import SpecError
from ..model import (
    RISK_CLASSES,
    RISK_UNGRADED,
    TAG_DESK_CHECK,
    Categorical,
    Directory,
    DrawResult,
    EntityTable,
    HistoryVisit,
    StratumDraw,
    TaskDraw,
)
from ..spec import PlanSpec, PopulationFilter, TaskSpec
from .seed import PublicSeed
from .tickets import KEY_SCALE, TicketTable, start_decimal, ticket, ticket_distance
from .visits import task_object_kind

__all__ = [
    "EXCLUSION_ANNUAL_CAP",
    "EXCLUSION_RESPONSIBLE_CAP",
    "allocate",
    "alternates_count",
    "DrawEngine",
    "PythonEngine",
    "at_cap_masks",
    "cap_exclusions",
    "cap_flags",
    "draw_entities",
    "inspections_by_entity",
    "inspections_in_year",
    "population_mask",
    "task_risk_classes",
]

EXCLUSION_ANNUAL_CAP = "annual_cap"  # TaskDraw.exclusions key: at the per-entity annual cap
# TaskDraw.exclusions key: the part of annual_cap excluded only because the object's 责任主体 is at
# its cap (spec cap_by_responsible_entity; docs/object-kinds.md)
EXCLUSION_RESPONSIBLE_CAP = "responsible_entity_cap"
START_BY_CLASS = "by-class"  # TaskDraw.start of an apart task whose classes start apart
_DESIGN_ARC_SD = 4  # design arcs reach this many standard deviations past the mean


# ---------------------------------------------------------------------------------------
# Population


def _listing(values: Iterable[str], limit: int = 12) -> str:
    vals = sorted(values)
    head = ", ".join(vals[:limit])
    return head + (f", … ({len(vals)} in all)" if len(vals) > limit else "")


def _known_values_mask(column: Categorical, values: Sequence[str], where: str) -> np.ndarray:
    """Rows whose value is one of ``values``; a value no entity has is a SpecError (likely a typo)."""
    unknown = [v for v in values if v not in column.categories]
    if unknown:
        raise SpecError(f"{where} {', '.join(map(repr, unknown))} matches no entity; the directory "
                        f"has {_listing(column.categories)}; fix the spelling")
    return column.mask(values)


def population_mask(entities: EntityTable, flt: PopulationFilter | None, *, task_id: str = "?",
                    kind: str | None = None) -> np.ndarray:
    """Rows matching a task's population filter (定向); every row when there is none (不定向).
    With ``kind``, only objects of that 检查对象类别.

    Raises:
        SpecError: a filter value matches no entity (likely a typo), or a required tag is unknown;
            the directory has no object of ``kind``.
    """
    n = len(entities)
    mask = np.ones(n, dtype=bool)
    if kind is not None:
        mask = entities.kind_mask(kind)
        if not mask.any():
            raise SpecError(f"task {task_id} draws among objects of kind {kind} (检查对象类别), but the directory "
                            f"has none; it has {_listing(entities.object_kind.categories)}. Add the objects to "
                            "entities.csv with object_kind, or name the task's object_kind in the spec")
    if flt is None:
        return mask
    where = f"task {task_id}: population"
    if flt.entity_type is not None:
        mask &= _known_values_mask(entities.entity_type, flt.entity_type, f"{where}.entity_type")
    if flt.industry_prefix is not None:
        cats = entities.industry.categories
        unknown = [p for p in flt.industry_prefix if not any(c.startswith(p) for c in cats)]
        if unknown:
            raise SpecError(f"{where}.industry_prefix {', '.join(map(repr, unknown))} matches no entity's "
                            "industry code (GB/T 4754, e.g. 'F52' or 'F5221'); fix the prefix")
        mask &= entities.industry.mask(prefixes=flt.industry_prefix)
    if flt.area is not None:
        mask &= _known_values_mask(entities.area, flt.area, f"{where}.area")
    for tag in flt.tags or ():
        if tag not in entities.tag_names:
            raise SpecError(f"{where}.tags {tag!r}: no entity carries this tag; the directory's tags are "
                            f"{_listing(entities.tag_names) or '(none)'}")
        mask &= entities.has_tag(tag)
    for tag in flt.exclude_tags or ():
        mask &= ~entities.has_tag(tag)  # an unknown tag excludes nothing, which is right
    if not mask.any():
        of_kind = f" of kind {kind}" if kind is not None else ""
        raise SpecError(f"{where}: the filter {flt.model_dump(exclude_none=True)} leaves no entity{of_kind}; "
                        "widen it or remove the task")
    return mask


def cap_exclusions(counts: Mapping[str, int], responsible: Mapping[str, str] | None, cap: int
                   ) -> tuple[frozenset[str], frozenset[str]]:
    """The annual cap (国办发〔2024〕54号) as ids: (objects at the cap by their own inspections,
    责任主体 codes at the cap), from ``counts`` (inspections this year per object id) and
    ``responsible``, the 责任主体 of the counted objects that name one, or None when the spec
    does not set ``cap_by_responsible_entity``. An enterprise's count is its own inspections plus
    those of every object naming it. One rule for every engine: each flags its rows with
    :func:`cap_flags`.
    """
    own = frozenset(e for e, c in counts.items() if c >= cap)
    if responsible is None:
        return own, frozenset()
    burden: Counter[str] = Counter()
    for e, r in sorted(responsible.items()):
        if r:
            burden[r] += counts.get(e, 0)
    return own, own | frozenset(r for r, b in burden.items() if b + counts.get(r, 0) >= cap)


def cap_flags(entities: EntityTable, own: Collection[str], full: Collection[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``entities``: (excluded by the cap, excluded only because of a 责任主体), from the
    ids of :func:`cap_exclusions`. A row is at the cap when its own count is, or when its 责任主体,
    or the row itself as a 责任主体, is at the cap counting its objects' inspections. The SQL
    engines state the same rule in SQL (randsup.draw.engines).
    """
    n = len(entities)
    own_mask = np.zeros(n, dtype=bool)
    via = np.zeros(n, dtype=bool)
    if not own and not full:
        return own_mask, via
    for ids, mask in ((own, own_mask), (full, via)):
        rows = entities.rows_of(sorted(ids))
        mask[rows[rows >= 0]] = True
    if full:
        via |= entities.responsible_entity_id.mask(full)
    via &= ~own_mask
    return own_mask | via, via


def at_cap_masks(directory: Directory, spec: PlanSpec, *, history: Iterable[HistoryVisit] | None = None,
                 year_counts: Mapping[str, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``directory.entities`` excluded by the annual cap, as two masks: at the cap by their
    own inspections, and (spec ``cap_by_responsible_entity``) only by their 责任主体's."""
    ent = directory.entities
    counts = inspections_by_entity(directory, spec.year, history=history, year_counts=year_counts)
    responsible = ent.responsible_of(counts) if spec.cap_by_responsible_entity else None
    own, full = cap_exclusions(counts, responsible, spec.max_inspections_per_entity_per_year)
    at_cap, via = cap_flags(ent, own, full)
    return at_cap & ~via, via


def task_risk_classes(entities: EntityTable, spec: PlanSpec, task: TaskSpec, rows: np.ndarray) -> np.ndarray:
    """信用风险分类 (0–3) of the objects in the mask ``rows``, an ungraded object taking the task's
    ``default_risk_class`` or else the plan's; rows outside the mask keep their stored value.

    Raises:
        SpecError: an ungraded object is in the task's population and no default is named.
    """
    risk = entities.risk_class
    ungraded = rows & (risk == RISK_UNGRADED)
    if not ungraded.any():
        return risk
    default = task.default_risk_class or spec.default_risk_class
    if default is None:
        raise SpecError(f"task {task.task_id}: {int(np.count_nonzero(ungraded))} objects of its population have "
                        "no 信用风险分类; name default_risk_class (A–D) in the spec, for the plan or this task, "
                        "or grade them in entities.csv")
    return np.where(ungraded, np.uint8(RISK_CLASSES.index(default)), risk)


def inspections_by_entity(directory: Directory, year: int, *, history: Iterable[HistoryVisit] | None = None,
                          year_counts: Mapping[str, int] | None = None) -> dict[str, int]:
    """Inspections in ``year`` per entity id: distinct (entity, date) visits of
    ``directory.history`` and ``history``, plus ``year_counts`` (entity id → count)."""
    visits = {(v.entity_id, v.date) for src in (directory.history, history or ())
              for v in src if v.date.year == year}
    per_entity = Counter(e for e, _ in visits)
    for e, c in sorted((year_counts or {}).items()):
        if c < 0:
            raise ValueError(f"year_counts[{e!r}] is {c}; counts cannot be negative")
        per_entity[e] += c
    return dict(sorted(per_entity.items()))


def inspections_in_year(directory: Directory, year: int, *, history: Iterable[HistoryVisit] | None = None,
                        year_counts: Mapping[str, int] | None = None) -> np.ndarray:
    """Inspections of each entity in ``year`` (int64 per row): distinct (entity, date) visits of
    ``directory.history`` and ``history``, plus ``year_counts`` (entity id → count)."""
    per_entity = inspections_by_entity(directory, year, history=history, year_counts=year_counts)
    counts = np.zeros(len(directory.entities), dtype=np.int64)
    if per_entity:
        ids = sorted(per_entity)
        rows = directory.entities.rows_of(ids)
        found = rows >= 0
        np.add.at(counts, rows[found], np.array([per_entity[e] for e in ids], dtype=np.int64)[found])
    return counts


# ---------------------------------------------------------------------------------------
# Sizes


def _ceil(q: Fraction) -> int:
    return -((-q.numerator) // q.denominator)


def allocate(task: TaskSpec, populations: list[int], u: Fraction) -> list[tuple[int, Fraction, Fraction]]:
    """Sample size per class (A–D order) and the design figures behind it.

    Returns (size, x, expected) per class: the drawn size, the exact design size before
    rounding, and E[size] after rounding, ``min_per_class`` and the population bound.
    ``u`` in [0, 1) is the task's rounding uniform.
    """
    if task.ratio is not None:
        x = [Fraction(task.ratio_for(c)) * n for c, n in zip(RISK_CLASSES, populations, strict=True)]
        floor_applies = [task.ratio_for(c) > 0 for c in RISK_CLASSES]
    else:
        total = sum(populations)
        count = min(task.count or 0, total)
        x = [Fraction(count * n, total) if total else Fraction(0) for n in populations]
        floor_applies = [n > 0 for n in populations]

    def bounded(size: int, h: int) -> int:
        lo = task.min_per_class if floor_applies[h] else 0
        return min(max(size, lo), populations[h])

    out = []
    running = Fraction(0)
    for h, xh in enumerate(x):
        base = math.floor(xh)
        frac = xh - base
        before, running = running, running + frac
        # Systematic rounding: the points u, u+1, u+2, … that fall in [before, running).
        extra = _ceil(running - u) - _ceil(before - u)
        expected = (1 - frac) * bounded(base, h) + frac * bounded(base + 1, h)
        out.append((bounded(base + extra, h), xh, expected))
    return out


def alternates_count(k: int, available: int) -> int:
    """How many alternates (递补) a class keeps: max(5, ⌈k/5⌉), none when nothing is drawn."""
    return 0 if k == 0 else max(0, min(available, max(5, -(-k // 5))))


def _decimal_text(q: Fraction, places: int = 12) -> str:
    """Exact decimal text of q when it has one, else rounded half-even to ``places`` decimals."""
    d = q.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d == 1:
        digits = max(twos, fives)
        value = Decimal(q.numerator * 10**digits // q.denominator).scaleb(-digits)
    else:
        value = (Decimal(q.numerator) / Decimal(q.denominator)).quantize(Decimal(1).scaleb(-places))
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# ---------------------------------------------------------------------------------------
# Arcs on the ticket circle


@dataclass
class _Drawn:
    """What later tasks need to know about an earlier task's draw."""

    task_id: str
    coordination: str
    mask: np.ndarray  # population after exclusions, over all entities
    start: list[int] = field(default_factory=lambda: [0] * len(RISK_CLASSES))
    arc: list[int] = field(default_factory=lambda: [0] * len(RISK_CLASSES))  # key units from start
    size: list[int] = field(default_factory=lambda: [0] * len(RISK_CLASSES))
    population: list[int] = field(default_factory=lambda: [0] * len(RISK_CLASSES))


def _design_arc(k: int, n: int) -> int:
    """Upper end (key units) of where the k-th smallest of n uniform keys lies, mean + 4 sd.

    The k-th order statistic of n uniforms is Beta(k, n - k + 1). Integer arithmetic keeps
    the value identical on every platform.
    """
    mean = Fraction(k, n + 1)
    var = Fraction(k * (n - k + 1), (n + 1) ** 2 * (n + 2))
    sd_units = math.isqrt(_ceil(var * KEY_SCALE**2)) + 1
    return min(KEY_SCALE, _ceil(mean * KEY_SCALE) + _DESIGN_ARC_SD * sd_units)


def _free_gaps(arcs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Complement on the circle [0, 10^19) of arcs (start, length), as (start, length), sorted."""
    pieces: list[tuple[int, int]] = []
    for s, length in arcs:
        if length <= 0:
            continue
        if length >= KEY_SCALE:
            return []
        end = s + length
        if end <= KEY_SCALE:
            pieces.append((s, end))
        else:
            pieces += [(s, KEY_SCALE), (0, end - KEY_SCALE)]
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
    wrap = KEY_SCALE - merged[-1][1] + merged[0][0]  # from the last end round to the first start
    if wrap > 0:
        gaps.append((merged[-1][1] % KEY_SCALE, wrap))
    return sorted(gaps)


def _fullest_gap(engine: DrawEngine, rows: np.ndarray, arcs: list[tuple[int, int]]) -> tuple[int, int] | None:
    """(start, how many of ``rows`` lie inside) of the free gap between ``arcs`` holding most of
    them, the lowest start on ties; None if the arcs cover the circle."""
    best: tuple[int, int] | None = None
    for g_start, g_len in _free_gaps(arcs):
        inside = engine.count_in_arc(rows, g_start, g_len)
        if best is None or inside > best[1]:
            best = (g_start, inside)
    return best


def _apart_start(engine: DrawEngine, rows: np.ndarray, h: int, k: int, done: list[_Drawn]) -> int:
    """Start point (key units) for an apart task's class h drawing k; see the module docstring.

    Every input to the choice (realised arcs of nesting populations, design arcs, counts of
    this class's entities per gap, k) is symmetric in this class's entities, which is what
    keeps their inclusion probabilities equal.
    """
    nested: list[tuple[int, int]] = []  # realised arcs: avoiding them never costs exactness
    crossing: list[tuple[int, int]] = []  # design arcs of together tasks whose population crosses
    for j in done:
        if j.coordination == "independent" or j.size[h] == 0:
            continue
        inside = j.mask[rows]
        if not inside.any():
            continue
        if inside.all():
            nested.append((j.start[h], j.arc[h]))
        elif j.coordination == "together":
            crossing.append((0, _design_arc(j.size[h], j.population[h])))
    if not nested and not crossing:
        return 0
    # Avoid every arc if one free gap still holds k of this class; else only the realised ones.
    gap = _fullest_gap(engine, rows, nested + crossing)
    if nested and crossing and (gap is None or gap[1] < k):
        gap = _fullest_gap(engine, rows, nested)
    if gap is None:  # earlier arcs cover the whole circle: start where the last one ends
        s, length = (nested + crossing)[-1]
        return (s + length) % KEY_SCALE
    return gap[0]


# ---------------------------------------------------------------------------------------
# Engines: where the tickets are computed and ordered


class DrawEngine(Protocol):
    """Where tickets are computed and ordered; the rules (filters, cap, sizes, starts) stay here.

    The draw runs its filters on ``rows()``: the entity table itself (Python engine) or the
    distinct *profiles* of a table that lives in a database (randsup.draw.engines), each profile
    weighted by how many entities share it. An engine only answers three questions about a
    set of those rows: how many entities lie on an arc of the ticket circle, and which come
    first in ticket order from a start. The result does not depend on the engine.
    """

    name: str

    def responsible_of(self, ids: Sequence[str]) -> dict[str, str]:
        """The 责任主体 of each of ``ids`` that is in the table and names one."""
        ...

    def rows(self, own_at_cap: Collection[str], responsible_at_cap: Collection[str]
             ) -> tuple[EntityTable, np.ndarray | None, np.ndarray, np.ndarray]:
        """(rows the filters run on, entities per row or None for one each, at-cap mask of the rows,
        the part of it at the cap only through a 责任主体), the cap as :func:`cap_flags` states it."""
        ...

    def order(self, ticket_seed: str, requests: Sequence[tuple[np.ndarray, int, int]]
              ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """For each (rows, m, start) of one task's classes, the first ``m`` entities of ``rows``
        in ticket order from ``start`` (key units) under ``ticket_seed``: (entity ids,
        ``(key - start) mod 10^19``, the row each belongs to)."""
        ...

    def count_in_arc(self, rows: np.ndarray, start: int, length: int) -> int:
        """Entities of ``rows`` whose ``(key - start) mod 10^19`` is below ``length`` (shared seed)."""
        ...


class PythonEngine:
    """The default engine: tickets with hashlib on every core, ordering in numpy."""

    name = "python"

    def __init__(self, entities: EntityTable, shared_seed: str, *, tickets: TicketTable | None = None,
                 workers: int | None = None) -> None:
        self.entities = entities
        self.shared_seed = shared_seed
        self.workers = workers
        self._table = _check_tickets(tickets, shared_seed, entities)

    @property
    def table(self) -> TicketTable:
        """The shared ticket table, computed on first use (an all-independent spec never needs it)."""
        if self._table is None:
            self._table = TicketTable.compute(self.shared_seed, self.entities.entity_id, workers=self.workers)
        return self._table

    def responsible_of(self, ids: Sequence[str]) -> dict[str, str]:
        return self.entities.responsible_of(ids)

    def rows(self, own_at_cap: Collection[str], responsible_at_cap: Collection[str]
             ) -> tuple[EntityTable, np.ndarray | None, np.ndarray, np.ndarray]:
        at_cap, via = cap_flags(self.entities, own_at_cap, responsible_at_cap)
        return self.entities, None, at_cap, via

    def order(self, ticket_seed: str, requests: Sequence[tuple[np.ndarray, int, int]]
              ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        return [self._order(ticket_seed, rows, m, start) for rows, m, start in requests]

    def _order(self, ticket_seed: str, rows: np.ndarray, m: int, start: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if ticket_seed == self.shared_seed:
            t, local, back = self.table, rows, None
        else:  # an independent task: tickets of its own population only
            t = TicketTable.compute(ticket_seed, self.entities.entity_id[rows], workers=self.workers)
            local, back = np.arange(rows.size), rows
        ordered = t.order(local, m, start=start)
        dist = t.shifted(ordered, start)
        if back is not None:
            ordered = back[ordered]
        return self.entities.entity_id[ordered], dist, ordered

    def count_in_arc(self, rows: np.ndarray, start: int, length: int) -> int:
        return int(np.count_nonzero(self.table.shifted(rows, start) < np.uint64(length)))


# ---------------------------------------------------------------------------------------
# The draw


def _check_tickets(tickets: TicketTable | None, seed_string: str, entities: EntityTable) -> TicketTable | None:
    if tickets is None:
        return None
    if tickets.seed_string != seed_string or len(tickets) != len(entities):
        raise ValueError("the ticket table given was computed for another seed or directory; "
                         "pass TicketTable.compute(seed.entity_ticket_seed, directory.entities.entity_id)")
    return tickets


def draw_entities(directory: Directory, spec: PlanSpec, seed: PublicSeed, *,
                  history: Iterable[HistoryVisit] | None = None, year_counts: Mapping[str, int] | None = None,
                  tickets: TicketTable | None = None, workers: int | None = None,
                  engine: DrawEngine | None = None) -> DrawResult:
    """第一随机 for every task of ``spec``: who is drawn, the alternates, and the design record.

    Args:
        history: past visits beyond ``directory.history`` (e.g. from the ledger); together
            they count toward the annual cap, each (entity, date) once.
        year_counts: further inspections this year per entity id, added to those counts.
        tickets: the entity tickets under ``seed.entity_ticket_seed``, if already computed.
        workers: processes for computing tickets (default: every available core).
        engine: where tickets are computed and ordered (default: :class:`PythonEngine` over
            ``directory.entities``; randsup.draw.engines runs the same draw in DuckDB or Spark SQL).
            The result does not depend on it.

    Raises:
        SpecError: a task's filter matches no entity, or names an unknown value or tag.
    """
    shared_seed = seed.entity_ticket_seed
    if engine is None:
        engine = PythonEngine(directory.entities, shared_seed, tickets=tickets, workers=workers)
    # The annual cap: the history is read once (it may be an iterator), the rule is
    # cap_exclusions', and the engine flags its rows (cap_flags, or the same rule in SQL).
    counts = inspections_by_entity(directory, spec.year, history=history, year_counts=year_counts)
    responsible = engine.responsible_of(sorted(counts)) if spec.cap_by_responsible_entity else None
    own, full = cap_exclusions(counts, responsible, spec.max_inspections_per_entity_per_year)
    ent, weights, at_cap, via_responsible = engine.rows(own, full)
    w = np.ones(len(ent), dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
    desk = ent.has_tag(TAG_DESK_CHECK)

    done: list[_Drawn] = []
    draws: list[TaskDraw] = []
    selected_ids: list[np.ndarray] = []
    for task in spec.tasks:
        if task.joint_item is not None and task.joint_item not in directory.joint_item_by_id:
            raise SpecError(f"task {task.task_id}: joint item {task.joint_item!r} is not in joint_items; "
                            "fix the task or add the joint item to joint_items.csv")
        kind = task_object_kind(directory, task)
        matched = population_mask(ent, task.population, task_id=task.task_id, kind=kind)
        eligible = matched & ~at_cap
        risk = task_risk_classes(ent, spec, task, matched)
        class_masks = [risk == h for h in range(len(RISK_CLASSES))]
        state = _Drawn(task.task_id, task.coordination, eligible)
        ticket_seed = seed.sub_seed(f"task/{task.task_id}") if task.coordination == "independent" else shared_seed

        rows_by_class = [np.flatnonzero(eligible & cm) for cm in class_masks]
        excluded = [int(w[matched & at_cap & cm].sum()) for cm in class_masks]
        pops = [int(w[r].sum()) for r in rows_by_class]
        sizes = allocate(task, pops, seed.uniform(f"task/{task.task_id}/rounding"))

        strata: dict[str, StratumDraw] = {}
        alternates: dict[str, tuple[str, ...]] = {}
        picked: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        starts_h = [_apart_start(engine, rows_by_class[h], h, sizes[h][0], done) if task.coordination == "apart"
                    else 0 for h in range(len(RISK_CLASSES))]
        wanted = [sizes[h][0] + alternates_count(sizes[h][0], pops[h] - sizes[h][0]) for h in range(len(RISK_CLASSES))]
        drawn = iter(engine.order(ticket_seed, [(rows_by_class[h], wanted[h], starts_h[h])
                                                for h in range(len(RISK_CLASSES)) if wanted[h]]))
        nothing = (np.zeros(0, dtype=str), np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
        for h, cls in enumerate(RISK_CLASSES):
            k, _x, expected = sizes[h]
            start = starts_h[h]
            ids, dist, of_row = next(drawn) if wanted[h] else nothing
            start_text = start_decimal(start)
            # Cut-offs: the last drawn and the first not drawn (the first alternate), full precision.
            cutoffs = [ticket_distance(ticket(ticket_seed, str(ids[i])), start_text) if 0 <= i < ids.size else None
                       for i in (k - 1, k)]
            if k:
                state.arc[h] = int(dist[k - 1]) + 1
                picked.append((ids[:k], dist[:k], desk[of_row[:k]]))
            alternates[cls] = tuple(ids[k:].tolist())
            state.start[h], state.size[h], state.population[h] = start, k, pops[h]
            strata[cls] = StratumDraw(
                risk_class=cls, population=pops[h], excluded_at_cap=excluded[h],
                expected=_decimal_text(expected), sample=k,
                probability=_decimal_text(expected / pops[h]) if pops[h] else "0",
                start=start_text, cutoff_drawn=cutoffs[0], cutoff_not_drawn=cutoffs[1])

        if picked:
            order = np.argsort(np.concatenate([d for _, d, _ in picked]), kind="stable")
            sel = np.concatenate([i for i, _, _ in picked])[order]
            sel_desk = np.concatenate([d for _, _, d in picked])[order]
        else:
            sel, sel_desk = np.zeros(0, dtype=str), np.zeros(0, dtype=bool)
        starts = {state.start[h] for h in range(len(RISK_CLASSES)) if pops[h]}
        task_start = start_decimal(starts.pop()) if len(starts) == 1 else ("0" if not starts else START_BY_CLASS)
        n_cap = int(sum(excluded))
        n_via = int(w[matched & via_responsible].sum())
        draws.append(TaskDraw(
            task_id=task.task_id, coordination=task.coordination, ticket_seed=ticket_seed,
            start=task_start, strata=strata,
            selected=tuple(sel.tolist()),
            desk_check=tuple(sel[sel_desk].tolist()),
            alternates=alternates,
            exclusions=({EXCLUSION_ANNUAL_CAP: n_cap} if n_cap else {}) |
                       ({EXCLUSION_RESPONSIBLE_CAP: n_via} if n_via else {})))
        done.append(state)
        selected_ids.append(sel)

    every = np.concatenate(selected_ids) if selected_ids else np.zeros(0, dtype=str)
    _, times_drawn = np.unique(every, return_counts=True)
    shared = int(times_drawn[times_drawn > 1].sum())
    return DrawResult(seed_hex=seed.seed_hex, entity_ticket_seed=shared_seed, tasks=tuple(draws),
                      shared_pairs=shared)
