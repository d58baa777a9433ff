"""The team rule of 第二随机, stated once: who may go on a (visit, department), and what a team is.

Used by the solver (teams.py), the field-aware dates (dates.py), recusal (history/recuse.py) and
the fairness baselines (bench/fairness.py). ``rule_check.py`` restates the rule from the docs on
purpose and does not import this module. Design notes: docs/assign.md (section eligibility.py).

The rule. For each (visit, department), a team of at least ``team_size`` certified non-expert
inspectors of that department, each holding at least one of the 执法领域 (fields) that the
department's check items on the visit need, together holding all of them; a team may grow beyond
``team_size`` up to the number of those fields. Experts join on top and never count. Each member
also holds a 执法证 valid on the date, has no 回避 conflict with the entity, is not unavailable that
day, was not on the entity's previous visit by the department (rotation), and stays within the
daily and quarterly caps.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, Problem
from ..model import Directory, Inspector, Visit
from ..spec import PlanSpec
from .workdays import quarter_bounds

__all__ = [
    "RULES",
    "RULE_TEXT",
    "Demand",
    "Pool",
    "Rules",
    "build_rules",
    "demands_by_department",
    "eligible_pool",
    "max_team",
    "slots",
    "team_problems",
]

# The personal rules, in the order an explanation lists them.
RULES: tuple[str, ...] = ("field", "certificate", "conflict", "unavailable", "rotation")
RULE_TEXT = {
    "field": "holding none of the needed fields (执法领域)",
    "certificate": "with a 执法证 expired by the date",
    "conflict": "recused (回避) from the entity",
    "unavailable": "unavailable that day",
    "rotation": "on the entity's last visit by the department (rotation)",
}


def max_team(team_size: int, n_fields: int) -> int:
    """The largest legal team: ``team_size``, or more when more fields must be covered."""
    return max(team_size, n_fields)


def slots(team_size: int, n_fields: int) -> int:
    """Team places of a (visit, department) in the one-officer-per-field shape the flow solves.

    One place per field when it needs two or more fields, topped up to ``team_size``; a
    single-field demand needs ``team_size`` holders of its field.
    """
    return team_size if n_fields <= 1 else max_team(team_size, n_fields)


def team_problems(needed: Iterable[str], member_fields: Sequence[Iterable[str]], team_size: int) -> list[str]:
    """What is wrong with a team of non-experts for a demand needing these fields (empty when legal).

    Only the field and size part of the rule; the personal rules (certificate, 回避, …) are per member.
    """
    need = set(needed)
    held = [set(f) for f in member_fields]
    out = []
    if len(held) < team_size:
        out.append(f"{len(held)} non-expert inspector(s), needs at least {team_size}")
    if len(held) > max_team(team_size, len(need)):
        out.append(f"{len(held)} non-expert inspectors, more than the {max_team(team_size, len(need))} "
                   "the fields justify")
    if need:
        idle = sum(1 for h in held if not h & need)
        if idle:
            out.append(f"{idle} member(s) hold none of the needed fields {', '.join(sorted(need))}")
        lacking = sorted(need - set().union(*held)) if held else sorted(need)
        if lacking:
            out.append(f"nobody on the team holds field(s) {', '.join(lacking)}")
    return out


@dataclass(frozen=True)
class Demand:
    """One (visit, department) node: needs a team of that department."""

    visit_index: int
    visit_id: str
    entity_id: str
    date: dt.date
    department: str
    fields: tuple[str, ...]  # every field the department's check items on the visit require
    key_item: bool  # a 重点 item among them: an expert joins if one is free


@dataclass(frozen=True)
class Rules:
    conflicts: dict[str, frozenset[str]]  # entity → inspectors who must recuse
    unavailable: dict[str, tuple[tuple[dt.date, dt.date], ...]]  # inspector → (start, end) spans
    last_visits: dict[tuple[str, str], tuple[tuple[dt.date, frozenset[str]], ...]]  # (entity, dept) → by date
    used_day: dict[tuple[str, dt.date], int]  # history inside the quarter
    used_quarter: dict[str, int]

    def previous_team(self, entity_id: str, department: str, date: dt.date) -> frozenset[str]:
        """Inspectors of the entity's most recent visit by the department before ``date``."""
        latest: frozenset[str] = frozenset()
        for d, team in self.last_visits.get((entity_id, department), ()):
            if d >= date:
                break
            latest = team
        return latest


def build_rules(directory: Directory, spec: PlanSpec, entities: set[str]) -> Rules:
    """The directory's conflicts, absences and history, indexed for these entities."""
    conflicts: dict[str, set[str]] = defaultdict(set)
    for c in directory.conflicts:
        if c.entity_id in entities:
            conflicts[c.entity_id].add(c.inspector_id)
    spans: dict[str, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for u in directory.unavailability:
        spans[u.inspector_id].append((u.start, u.end))
    q_start, q_end = quarter_bounds(spec.quarter)
    teams: dict[tuple[str, str], dict[dt.date, set[str]]] = defaultdict(lambda: defaultdict(set))
    used_day: Counter[tuple[str, dt.date]] = Counter()
    used_quarter: Counter[str] = Counter()
    for h in directory.history:
        if h.entity_id in entities:
            teams[(h.entity_id, h.department_id)][h.date].add(h.inspector_id)
        if q_start <= h.date <= q_end:
            used_day[(h.inspector_id, h.date)] += 1
            used_quarter[h.inspector_id] += 1
    return Rules(
        conflicts={e: frozenset(s) for e, s in conflicts.items()},
        unavailable={i: tuple(sorted(s)) for i, s in spans.items()},
        last_visits={k: tuple((d, frozenset(v[d])) for d in sorted(v)) for k, v in teams.items()},
        used_day=dict(used_day),
        used_quarter=dict(used_quarter),
    )


def _bad_visits(problem: str, visit_id: str) -> InputError:
    return InputError(Problem("visits", None, "visit_id", visit_id, problem))


def demands_by_department(visits: Sequence[Visit], directory: Directory) -> dict[str, list[Demand]]:
    """(visit, department) nodes grouped by department, each list in visit_id order."""
    by_dept: dict[str, list[Demand]] = defaultdict(list)
    seen: set[str] = set()
    for k, v in enumerate(visits):
        if v.date is None:
            raise _bad_visits("has no date; assign dates before inspector teams", v.visit_id)
        if v.visit_id in seen:
            raise _bad_visits("occurs twice; visit ids must be unique", v.visit_id)
        seen.add(v.visit_id)
        items = []
        for c in v.check_items:
            ci = directory.check_item_by_id.get(c)
            if ci is None:
                raise _bad_visits(f"check item {c!r} is not in the directory", v.visit_id)
            items.append(ci)
        for dept in sorted(set(v.departments)):
            own = [ci for ci in items if ci.department_id == dept]
            key = any(directory.item_by_id[ci.item_id].category == "重点"
                      for ci in own if ci.item_id in directory.item_by_id)
            by_dept[dept].append(Demand(k, v.visit_id, v.entity_id, v.date, dept,
                                        tuple(sorted({ci.field for ci in own})), key))
    for lst in by_dept.values():
        lst.sort(key=lambda d: d.visit_id)
    return dict(sorted(by_dept.items()))


def _lacking(needed: tuple[str, ...], inspectors: Sequence[Inspector]) -> np.ndarray:
    """The field rule for one field set: bool per inspector, holds none of them (nobody lacks an empty set)."""
    if not needed:
        return np.zeros(len(inspectors), dtype=bool)
    want = set(needed)
    return np.array([not (want & set(p.fields)) for p in inspectors], dtype=bool)


@dataclass(frozen=True)
class _Dated:
    """The inspectors' date facts by column: 执法证 end and unavailable spans, as ordinals."""

    valid_until: np.ndarray
    away_col: np.ndarray
    away_from: np.ndarray
    away_to: np.ndarray

    @classmethod
    def of(cls, inspectors: Sequence[Inspector], rules: Rules) -> _Dated:
        spans = [(j, a.toordinal(), b.toordinal()) for j, p in enumerate(inspectors)
                 for a, b in rules.unavailable.get(p.inspector_id, ())]
        cols, lo, hi = (np.array(x, dtype=np.int64) for x in zip(*spans, strict=True)) if spans else \
            (np.zeros(0, dtype=np.int64),) * 3
        return cls(np.array([p.certificate_valid_until.toordinal() for p in inspectors], dtype=np.int64),
                   cols, lo, hi)

    def fails(self, day: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """The date rules on ``day``: (执法证 expired, unavailable), bool per column."""
        o = day.toordinal()
        away = np.zeros(self.valid_until.shape[0], dtype=bool)
        away[self.away_col[(self.away_from <= o) & (o <= self.away_to)]] = True
        return self.valid_until < o, away


def _personal(d: Demand, col: dict[str, int], rules: Rules) -> tuple[list[int], list[int]]:
    """The per-demand rules: columns recused (回避) from the entity, and on its last visit (rotation)."""
    conflict = sorted(col[pid] for pid in rules.conflicts.get(d.entity_id, ()) if pid in col)
    rotation = sorted(col[pid] for pid in rules.previous_team(d.entity_id, d.department, d.date) if pid in col)
    return conflict, rotation


@dataclass
class Pool:
    """The demand nodes of one department and the inspectors who may fill them.

    Eligibility is kept as the rules shape it: a row of ``template`` per (field set, date) pair
    (the field and date rules), the demand's row in ``combo``, and the cells the per-demand
    rules (回避, rotation) strike. A department at 10× the demo has ~29,000 demands × ~4,700
    inspectors; the dense table is made only when asked for (``eligible``).
    """

    department: str
    demands: list[Demand]
    inspectors: list[Inspector]  # sorted by inspector_id
    need: np.ndarray  # int64 per demand: team places (see slots), or 1 for the optional expert
    optional: bool  # experts: serve as many as possible, never required
    rules: Rules
    combo: np.ndarray  # int64 per demand: its row of ``template``
    template: np.ndarray  # bool [field set × date, inspector]: the field and date rules pass
    struck: np.ndarray  # sorted unique int64 codes row × m + column: template passes, 回避 or rotation fails
    _held: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # field → holds()
    _dense: np.ndarray | None = field(default=None, repr=False)

    @property
    def eligible(self) -> np.ndarray:
        """bool [demand, inspector]: every personal rule passes (dense; made once, on first use)."""
        if self._dense is None:
            dense = self.template[self.combo] if len(self.demands) else np.zeros((0, len(self.inspectors)), bool)
            dense.reshape(-1)[self.struck] = False
            self._dense = dense
        return self._dense

    def counts(self) -> np.ndarray:
        """Eligible inspectors per demand (int64)."""
        per_mask = self.template.sum(axis=1, dtype=np.int64)
        m = max(len(self.inspectors), 1)
        return per_mask[self.combo] - np.bincount(self.struck // m, minlength=len(self.demands))

    def is_eligible(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Bool per (row, column) pair."""
        ok = self.template[self.combo[rows], cols]
        if self.struck.size:
            code = rows * len(self.inspectors) + cols
            at = np.minimum(np.searchsorted(self.struck, code), self.struck.shape[0] - 1)
            ok &= self.struck[at] != code
        return ok

    def row(self, i: int) -> np.ndarray:
        """Bool per inspector column: eligible for demand ``i``."""
        out = self.template[self.combo[i]].copy()
        m = len(self.inspectors)
        lo, hi = np.searchsorted(self.struck, [i * m, (i + 1) * m])
        out[self.struck[lo:hi] - i * m] = False
        return out

    def field_counts(self, rows: np.ndarray, names: Sequence[str]) -> np.ndarray:
        """Eligible holders of each named field, per row of ``rows`` (int64 [row, field])."""
        held = np.zeros((len(self.inspectors), len(names)), dtype=np.int64)  # [inspector, field]
        for k, f in enumerate(names):
            held[:, k] = self.holds(f)
        per_mask = self.template.astype(np.int64) @ held
        have = per_mask[self.combo[rows]]
        if self.struck.size and len(names):
            m = len(self.inspectors)
            local = np.full(len(self.demands), -1, dtype=np.int64)
            local[rows] = np.arange(rows.shape[0])
            r, c = self.struck // m, self.struck % m
            keep = local[r] >= 0
            np.subtract.at(have, local[r[keep]], held[c[keep]])
        return have

    def subset(self, rows: Sequence[int]) -> Pool:
        """The pool restricted to these demand rows (ascending)."""
        idx = np.asarray(rows, dtype=np.int64)
        m = len(self.inspectors)
        new = np.full(len(self.demands), -1, dtype=np.int64)
        new[idx] = np.arange(idx.shape[0])
        r, c = self.struck // max(m, 1), self.struck % max(m, 1)
        keep = new[r] >= 0
        struck = np.sort(new[r[keep]] * m + c[keep])
        return Pool(self.department, [self.demands[i] for i in idx.tolist()], self.inspectors, self.need[idx],
                    self.optional, self.rules, self.combo[idx], self.template, struck)

    def fails(self, rows: Sequence[int] | np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Rule → bool [row, inspector], True where that rule excludes: for explanations, so made
        only for the rows asked (default all), from the same rule pieces as the eligibility."""
        idx = np.arange(len(self.demands)) if rows is None else np.asarray(rows, dtype=np.int64).reshape(-1)
        m = len(self.inspectors)
        out = {r: np.zeros((idx.shape[0], m), dtype=bool) for r in RULES}
        col = {p.inspector_id: j for j, p in enumerate(self.inspectors)}
        days: dict[dt.date, tuple[np.ndarray, np.ndarray]] = {}
        lacking: dict[tuple[str, ...], np.ndarray] = {}
        dated = _Dated.of(self.inspectors, self.rules)
        for k, i in enumerate(idx.tolist()):
            d = self.demands[i]
            if d.fields not in lacking:
                lacking[d.fields] = _lacking(d.fields, self.inspectors)
            if d.date not in days:
                days[d.date] = dated.fails(d.date)
            out["field"][k] = lacking[d.fields]
            out["certificate"][k], out["unavailable"][k] = days[d.date]
            conflict, rotation = _personal(d, col, self.rules)
            out["conflict"][k, conflict] = True
            out["rotation"][k, rotation] = True
        return out

    def holds(self, field_name: str) -> np.ndarray:
        """Bool per inspector column: holds this field (computed once per field)."""
        if field_name not in self._held:
            self._held[field_name] = np.array([field_name in p.fields for p in self.inspectors], dtype=bool)
        return self._held[field_name]

    def holders(self, row: int, field_name: str) -> np.ndarray:
        """Columns of eligible inspectors of this demand who hold this field."""
        return np.flatnonzero(self.row(row) & self.holds(field_name))

    def short_rows(self, team_size: int) -> np.ndarray:
        """Demands no legal team can fill even without caps: too few eligible, or a field nobody holds.

        With at least ``team_size`` eligible members and a holder of each field, a team exists:
        one holder per field covers them, and any eligible members top it up to ``team_size``.
        """
        if self.optional:
            return np.zeros(0, dtype=np.int64)
        short = self.counts() < team_size
        multi = np.flatnonzero([len(d.fields) > 1 for d in self.demands])
        names = sorted({f for i in multi.tolist() for f in self.demands[i].fields})
        if multi.size and names:
            have = self.field_counts(multi, names)
            needs = np.array([[f in self.demands[i].fields for f in names] for i in multi.tolist()], dtype=bool)
            short[multi] |= (needs & (have == 0)).any(axis=1)
        return np.flatnonzero(short)


def eligible_pool(department: str, demands: list[Demand], inspectors: list[Inspector], rules: Rules,
                  team_size: int, optional: bool) -> Pool:
    """Which inspector may go on which demand under the personal rules (experts: one each, optional).

    The field and date rules depend only on a demand's (field set, day): one inspector mask is
    made per such pair; the per-demand rules (回避, rotation) then strike single cells. So the
    work grows with the demands and the inspectors, not with their product.
    """
    m = len(inspectors)
    col = {p.inspector_id: j for j, p in enumerate(inspectors)}
    keys: dict[tuple[tuple[str, ...], dt.date], int] = {}
    combo = np.array([keys.setdefault((d.fields, d.date), len(keys)) for d in demands], dtype=np.int64)
    lacking: dict[tuple[str, ...], np.ndarray] = {}
    days: dict[dt.date, np.ndarray] = {}
    dated = _Dated.of(inspectors, rules)
    template = np.empty((len(keys), m), dtype=bool)
    for (fields, day), c in keys.items():
        if fields not in lacking:
            lacking[fields] = _lacking(fields, inspectors)
        if day not in days:
            expired, away = dated.fails(day)
            days[day] = expired | away
        template[c] = ~(lacking[fields] | days[day])
    codes = []
    for i, d in enumerate(demands):
        conflict, rotation = _personal(d, col, rules)
        codes += [i * m + j for j in (*conflict, *rotation) if template[combo[i], j]]
    struck = np.unique(np.array(codes, dtype=np.int64))
    need = np.array([1 if optional else slots(team_size, len(d.fields)) for d in demands], dtype=np.int64)
    return Pool(department, demands, inspectors, need, optional, rules, combo, template, struck)
