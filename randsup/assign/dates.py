"""Dates of visits: every visit on one working day of the quarter, with CP-SAT.

Design notes: docs/assign.md (section randsup/assign/dates.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
from ortools.sat.python import cp_model

from ..errors import InfeasibleError, SolverTimeoutError
from ..model import Directory, Inspector, Visit
from ..spec import PlanSpec
from .workdays import WorkingCalendar

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DateSchedule", "FieldLoad", "assign_dates", "date_ticket", "department_capacity", "even_fill",
           "field_load", "responsible_families", "same_day_places", "schedule_dates", "team_capacity"]

# A safety net only: the models are solved to OPTIMAL in well under this on demo data; a run
# that hits it is recorded as not reproducible rather than silently accepted.
_TIME_LIMIT_S = 120.0
_TIEBREAK_BITS = 32


class _SubSeeds(Protocol):
    def sub_seed(self, domain: str) -> str: ...


@dataclass(frozen=True)
class DateSchedule:
    """The dated visits and what the solver decided, for the plan record."""

    visits: list[Visit]
    status: str  # "OPTIMAL" when reproducible; anything else is recorded as such
    method: str  # "even fill (reached the lower bound)" or "CP-SAT"
    spread: int  # stage-1 objective: visits outside each department's ⌊mean⌋..⌈mean⌉ daily window
    groups: int  # distinct department sets
    variables: int  # count variables n[g, t] in the model
    load: dict[str, list[int]] = field(default_factory=dict)  # department → visits per working day
    capacity: dict[str, list[int]] = field(default_factory=dict)  # department → teams per working day
    # places moved between days so that visits of one 责任主体 share a day (same_day_places); the
    # spread above is the solver's, before those moves
    same_day_moves: int = 0


# ---------------------------------------------------------------------------------------
# Capacity


def team_capacity(caps: Sequence[int] | np.ndarray, team_size: int) -> int:
    """Most visits that people with these per-visit caps can staff, ``team_size`` distinct people each.

    k visits are possible if and only if Σ_i min(cap_i, k) ≥ team_size·k: each person serves a
    visit at most once, so nobody counts for more than k places. This is tighter than
    ⌊Σ cap / team_size⌋ when one person holds most of the capacity.
    """
    c = np.asarray(caps, dtype=np.int64)
    lo, hi = 0, int(c.sum()) // team_size
    while lo < hi:  # f(k) = Σ min(c, k) − s·k is concave with f(0) = 0, so feasible k form [0, k*]
        mid = (lo + hi + 1) // 2
        if int(np.minimum(c, mid).sum()) >= team_size * mid:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _available(directory: Directory, inspectors: Sequence[Inspector], days: Sequence[dt.date]) -> np.ndarray:
    """available[i, t]: certificate valid on day t and not on leave (unavailability) that day."""
    row = {p.inspector_id: i for i, p in enumerate(inspectors)}
    day_ord = np.array([d.toordinal() for d in days], dtype=np.int64)
    valid = np.array([p.certificate_valid_until.toordinal() for p in inspectors], dtype=np.int64)
    avail = valid[:, None] >= day_ord[None, :]
    for u in directory.unavailability:
        i = row.get(u.inspector_id)
        if i is not None:
            avail[i] &= ~((day_ord >= u.start.toordinal()) & (day_ord <= u.end.toordinal()))
    return avail


def department_capacity(directory: Directory, departments: Sequence[str], days: Sequence[dt.date],
                        team_size: int) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Teams each department can field per working day, and visits it can staff per quarter.

    Only non-expert inspectors count (experts join teams but never toward ``team_size``).
    """
    by_dept: dict[str, list[Inspector]] = defaultdict(list)
    for p in sorted(directory.inspectors, key=lambda p: p.inspector_id):
        if not p.is_expert:
            by_dept[p.department_id].append(p)
    daily: dict[str, list[int]] = {}
    quarterly: dict[str, int] = {}
    for d in departments:
        people = by_dept.get(d, [])
        if not people:
            daily[d], quarterly[d] = [0] * len(days), 0
            continue
        avail = _available(directory, people, days)
        per_day = np.array([p.max_visits_per_day for p in people], dtype=np.int64)
        daily[d] = [team_capacity(per_day[avail[:, t]], team_size) for t in range(len(days))]
        quarterly[d] = team_capacity([p.max_visits_per_quarter for p in people], team_size)
    return daily, quarterly


@dataclass(frozen=True)
class FieldLoad:
    """Capacity per (department, field) and day, and what each visit group takes of it.

    A fast filter that makes the dates know fields: a single-field (visit, department) needs
    ``team_size`` holders of its field, a multi-field one a holder of each field. ``cap[r, t]`` is
    the visits per day the available non-experts of resource r (department, field) can make
    (Σ max_visits_per_day). The teams stage checks exactly, and sends visits back when it must.
    """

    resources: list[tuple[str, str]]
    cap: np.ndarray  # int64 [resource, day]
    usage: list[dict[int, int]]  # per group: resource index → places per visit


def field_load(directory: Directory, groups: Sequence[tuple[str, ...]],
               signatures: Sequence[tuple[tuple[str, ...], ...]], days: Sequence[dt.date],
               team_size: int) -> FieldLoad:
    """The FieldLoad of these groups (``signatures[g]``: the needed fields per department of group g)."""
    needed = sorted({(d, f) for g, sig in zip(groups, signatures, strict=True) for d, fs in zip(g, sig, strict=True)
                     for f in fs})
    row = {r: i for i, r in enumerate(needed)}
    people: dict[str, list[Inspector]] = defaultdict(list)
    for p in sorted(directory.inspectors, key=lambda p: p.inspector_id):
        if not p.is_expert:
            people[p.department_id].append(p)
    cap = np.zeros((len(needed), len(days)), dtype=np.int64)
    for d in sorted({d for d, _ in needed}):
        staff = people.get(d, [])
        if not staff:
            continue
        avail = _available(directory, staff, days)
        per_day = np.array([p.max_visits_per_day for p in staff], dtype=np.int64)
        for f in sorted({f for dd, f in needed if dd == d}):
            holds = np.array([f in p.fields for p in staff], dtype=bool)
            cap[row[(d, f)]] = (per_day[:, None] * (avail & holds[:, None])).sum(axis=0)
    usage = []
    for g, sig in zip(groups, signatures, strict=True):
        use: dict[int, int] = {}
        for d, fs in zip(g, sig, strict=True):
            for f in fs:
                use[row[(d, f)]] = team_size if len(fs) == 1 else 1
        usage.append(use)
    return FieldLoad(needed, cap, usage)


# ---------------------------------------------------------------------------------------
# Tickets


def date_ticket(dates_seed: str, visit_id: str) -> str:
    """A visit's date ticket: SHA-256 hex of "<dates sub-seed>/<visit id>"; lower goes earlier in its group."""
    return hashlib.sha256(f"{dates_seed}/{visit_id}".encode()).hexdigest()


def _tiebreak_weight(dates_seed: str, group: tuple[str, ...], day: dt.date) -> int:
    h = hashlib.sha256(f"{dates_seed}/{'+'.join(group)}/{day.isoformat()}".encode()).digest()
    return 1 + (int.from_bytes(h[:8], "big") >> (64 - _TIEBREAK_BITS))


# ---------------------------------------------------------------------------------------
# The model


@dataclass
class _Counts:
    """n[g, t]: how many visits of department set g go on working day t (absent where 0 is forced)."""

    model: cp_model.CpModel
    n: dict[tuple[int, int], cp_model.IntVar]

    def on_day(self, g: int, t: int) -> cp_model.IntVar | int:
        return self.n.get((g, t), 0)


def _new_counts(model: cp_model.CpModel, groups: Sequence[tuple[str, ...]], sizes: Sequence[int],
                daily: Mapping[str, Sequence[int]], n_days: int, *, capped: bool,
                closed: Sequence[frozenset[int]] | None = None) -> _Counts:
    n: dict[tuple[int, int], cp_model.IntVar] = {}
    for g, (depts, size) in enumerate(zip(groups, sizes, strict=True)):
        for t in range(n_days):
            if closed is not None and t in closed[g]:
                continue
            ub = min([size] + [daily[d][t] for d in depts]) if capped else size
            if ub > 0:
                n[g, t] = model.new_int_var(0, ub, f"n[{'+'.join(depts)},{t}]")
    return _Counts(model, n)


def add_every_visit_on_one_day(c: _Counts, sizes: Sequence[int], n_days: int) -> None:
    """Every visit of every group is placed on exactly one working day."""
    for g, size in enumerate(sizes):
        c.model.add(sum(c.on_day(g, t) for t in range(n_days)) == size)


def _load(c: _Counts, members: Sequence[int], t: int) -> cp_model.LinearExprT:
    return sum(c.on_day(g, t) for g in members)


def add_daily_capacity(c: _Counts, members: Mapping[str, Sequence[int]], daily: Mapping[str, Sequence[int]],
                       n_days: int, slack: Mapping[tuple[str, int], cp_model.IntVar] | None = None) -> None:
    """A department's visits on a day never exceed the teams its available inspectors can form."""
    for d in sorted(members):
        for t in range(n_days):
            extra = slack[d, t] if slack is not None else 0
            c.model.add(_load(c, members[d], t) <= daily[d][t] + extra)


def add_field_capacity(c: _Counts, fields: FieldLoad, n_days: int) -> None:
    """Per department, field and day, the places visits need stay within what its holders can make."""
    users: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for g, use in enumerate(fields.usage):
        for r, k in sorted(use.items()):
            users[r].append((g, k))
    for r in sorted(users):
        for t in range(n_days):
            terms = [(c.n[g, t], k) for g, k in users[r] if (g, t) in c.n]
            if terms:
                c.model.add(sum(k * x for x, k in terms) <= int(fields.cap[r, t]))


def add_spread(c: _Counts, members: Mapping[str, Sequence[int]], demand: Mapping[str, int],
               n_days: int) -> dict[tuple[str, int], cp_model.IntVar]:
    """Each department's daily load stays within ⌊mean⌋..⌈mean⌉; returns the misses to minimise.

    ``miss[d, t]`` is how far day t's load falls outside that window. Σ miss is 0 exactly when
    the load is as even as integers allow. Unlike Σ |T·load − visits|, whose linear relaxation
    (a perfectly flat fractional load) sits far below every integer schedule, this one's
    relaxation is near the integer optimum, so CP-SAT proves optimality in about a second
    instead of branching for minutes over symmetric near-even schedules.
    """
    misses: dict[tuple[str, int], cp_model.IntVar] = {}
    for d in sorted(members):
        lo, hi = demand[d] // n_days, -(-demand[d] // n_days)
        for t in range(n_days):
            load = _load(c, members[d], t)
            miss = c.model.new_int_var(0, demand[d], f"miss[{d},{t}]")
            c.model.add(load - miss <= hi)
            c.model.add(load + miss >= lo)
            misses[d, t] = miss
    return misses


def even_fill(groups: Sequence[tuple[str, ...]], sizes: Sequence[int], daily: Mapping[str, Sequence[int]],
              demand: Mapping[str, int], weights: np.ndarray,
              closed: Sequence[frozenset[int]] | None = None,
              fields: FieldLoad | None = None) -> dict[tuple[int, int], int] | None:
    """Place visits one at a time on the day their departments are least loaded; None if stuck.

    Groups with more departments go first (they fit on fewest days), larger groups before
    smaller. A visit goes to the open day (every department below capacity) that minimises,
    in order: the highest load of its departments relative to their means, the sum of those,
    and the seeded weight ``weights[g, t]``, so equal days are chosen at random. Integer
    arithmetic only: the same inputs give the same counts everywhere.
    """
    depts = sorted(daily)
    row = {d: i for i, d in enumerate(depts)}
    n_days = weights.shape[1]
    cap = np.array([daily[d] for d in depts], dtype=np.int64).reshape(len(depts), n_days)
    mean_t = np.array([demand.get(d, 0) for d in depts], dtype=np.int64)[:, None]
    load = np.zeros_like(cap)
    f_load = np.zeros_like(fields.cap) if fields is not None else None
    out: dict[tuple[int, int], int] = defaultdict(int)
    for g in sorted(range(len(groups)), key=lambda g: (-len(groups[g]), -sizes[g], groups[g], g)):
        idx = np.array([row[d] for d in groups[g]], dtype=np.int64)
        if fields is not None:
            f_idx = np.array(sorted(fields.usage[g]), dtype=np.int64)
            f_use = np.array([fields.usage[g][r] for r in sorted(fields.usage[g])], dtype=np.int64)[:, None]
        for _ in range(sizes[g]):
            sub = load[idx]
            open_ = (sub < cap[idx]).all(axis=0)
            if fields is not None and f_load is not None and f_idx.size:
                open_ &= (f_load[f_idx] + f_use <= fields.cap[f_idx]).all(axis=0)
            if closed is not None and closed[g]:
                open_[sorted(closed[g])] = False
            if not open_.any():
                return None
            rel = sub * n_days - mean_t[idx]  # T·load − visits: above the mean when positive
            worst, total = rel.max(axis=0), rel.sum(axis=0)
            pick = open_ & (worst == worst[open_].min())
            pick &= total == total[pick].min()
            t = int(np.flatnonzero(pick)[np.argmin(weights[g, pick])])
            out[g, t] += 1
            load[idx, t] += 1
            if fields is not None and f_load is not None and f_idx.size:
                f_load[f_idx, t] += f_use[:, 0]
    return dict(out)


def _build_model(groups: Sequence[tuple[str, ...]], sizes: Sequence[int], members: Mapping[str, Sequence[int]],
                 daily: Mapping[str, Sequence[int]], demand: Mapping[str, int],
                 n_days: int, closed: Sequence[frozenset[int]] | None = None, fields: FieldLoad | None = None
                 ) -> tuple[cp_model.CpModel, _Counts, dict[tuple[str, int], cp_model.IntVar]]:
    """The dates model with every hard rule; returns it with its count and spread variables."""
    model = cp_model.CpModel()
    counts = _new_counts(model, groups, sizes, daily, n_days, capped=True, closed=closed)
    add_every_visit_on_one_day(counts, sizes, n_days)
    add_daily_capacity(counts, members, daily, n_days)
    if fields is not None:
        add_field_capacity(counts, fields, n_days)
    return model, counts, add_spread(counts, members, demand, n_days)


def _misses(counts: Mapping[tuple[int, int], int], groups: Sequence[tuple[str, ...]],
            members: Mapping[str, Sequence[int]], demand: Mapping[str, int],
            n_days: int) -> dict[tuple[str, int], int]:
    """miss[d, t] of a given schedule, as add_spread defines it."""
    load: dict[str, list[int]] = {d: [0] * n_days for d in members}
    for (g, t), k in counts.items():
        for d in groups[g]:
            load[d][t] += k
    out: dict[tuple[str, int], int] = {}
    for d in sorted(members):
        lo, hi = demand[d] // n_days, -(-demand[d] // n_days)
        for t, x in enumerate(load[d]):
            out[d, t] = max(0, x - hi, lo - x)
    return out


def _solver(num_workers: int, *, keep_hint: bool = False) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.num_workers = num_workers
    s.parameters.random_seed = 0
    s.parameters.max_time_in_seconds = _TIME_LIMIT_S
    # Symmetry breaking in presolve can cut off a complete, feasible hint, and repairing
    # it single-threaded takes minutes; keeping all feasible solutions keeps the hint.
    s.parameters.keep_all_feasible_solutions_in_presolve = keep_hint
    return s


# ---------------------------------------------------------------------------------------
# Explanations


def _weeks(days: Sequence[dt.date]) -> list[tuple[dt.date, list[int]]]:
    """Working-day indices grouped by ISO week, labelled by the week's Monday."""
    out: dict[dt.date, list[int]] = {}
    for t, d in enumerate(days):
        out.setdefault(d - dt.timedelta(days=d.weekday()), []).append(t)
    return sorted(out.items())


def _week_label(days: Sequence[dt.date], ts: Sequence[int]) -> str:
    """A week named by its working days inside the quarter, e.g. "week 2027-01-04–01-08"."""
    a, b = days[ts[0]], days[ts[-1]]
    return f"week {a}" if a == b else f"week {a}–{b:%m-%d}"


def _dept_label(directory: Directory, d: str) -> str:
    dep = directory.department_by_id.get(d)
    return f"{dep.name} ({d})" if dep is not None else d


def _fixes_for(directory: Directory, d: str, short: int, team_size: int, n_days: int,
               visits: Sequence[Visit]) -> str:
    people = [p for p in directory.inspectors if p.department_id == d and not p.is_expert]
    if people:
        per_q = sum(p.max_visits_per_quarter for p in people) / len(people)
        per_day = sum(p.max_visits_per_day for p in people) / len(people)
    else:
        per_q, per_day = 60.0, 2.0  # the model's defaults
    each = max(min(per_q, per_day * n_days) / team_size, 1e-9)
    need = math.ceil(short / each)
    tasks: dict[str, int] = defaultdict(int)
    for v in visits:
        if d in v.departments:
            for t in v.tasks:
                tasks[t] += 1
    top = sorted(tasks.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    named = ", ".join(f"{t} ({k} visits)" for t, k in top)
    return (f"{_dept_label(directory, d)}: add about {need} certified inspector(s) "
            f"(each staffs about {each:.0f} visits a quarter in teams of {team_size}), "
            f"or raise its inspectors' max_visits_per_day / max_visits_per_quarter, "
            f"or lower the ratios or counts of the tasks that send it: {named}")


def _raise_precheck(directory: Directory, visits: Sequence[Visit], days: Sequence[dt.date],
                    demand: Mapping[str, int], daily: Mapping[str, Sequence[int]],
                    quarterly: Mapping[str, int], team_size: int) -> None:
    """Department totals over the quarter: the shortfalls a solver would only call INFEASIBLE."""
    reasons: list[str] = []
    fixes: list[str] = []
    weeks = _weeks(days)
    for d in sorted(demand):
        need = demand[d]
        total = sum(daily[d])
        short = max(need - quarterly[d], need - total)
        if short <= 0:
            continue
        label = _dept_label(directory, d)
        if quarterly[d] == 0 and total == 0:
            reasons.append(f"{label}: {need} visits need teams of {team_size}, but the department has "
                           f"no available certified non-expert inspectors in {days[0]}–{days[-1]}")
        else:
            if need > quarterly[d]:
                reasons.append(f"{label}: {need} visits need teams of {team_size}, but its inspectors' "
                               f"max_visits_per_quarter allow at most {quarterly[d]}")
            if need > total:
                reasons.append(f"{label}: {need} visits need teams of {team_size}, but on the quarter's "
                               f"{len(days)} working days its available inspectors can staff at most {total}")
            # Where it shows, at an even spread over the working days.
            over = []
            for _, ts in weeks:
                want = need * len(ts) / len(days)
                cap = sum(daily[d][t] for t in ts)
                if want > cap:
                    over.append(f"{_week_label(days, ts)} needs {want:.1f}, can staff {cap}")
            if over:
                reasons.append(f"{label}: department-weeks over capacity: " + "; ".join(over))
        fixes.append(_fixes_for(directory, d, short, team_size, len(days), visits))
    if reasons:
        raise InfeasibleError(
            f"no dates exist for the quarter's {len(visits)} visits: some departments cannot staff "
            "their visits", reasons=reasons, fixes=fixes)


def _raise_joint_shortfall(directory: Directory, groups: Sequence[tuple[str, ...]],
                           group_visits: Sequence[Sequence[Visit]], daily: Mapping[str, Sequence[int]],
                           days: Sequence[dt.date]) -> None:
    """Joint visits that outnumber the days on which all of their departments have a team free."""
    reasons: list[str] = []
    for depts, vs in zip(groups, group_visits, strict=True):
        if len(depts) < 2:
            continue
        shared = [min(daily[d][t] for d in depts) for t in range(len(days))]
        room = sum(min(k, len(vs)) for k in shared)
        if room >= len(vs):
            continue
        listed = sorted(v.visit_id for v in vs)
        ids = ", ".join(listed[:10]) + (" …" if len(vs) > 10 else "")
        names = " and ".join(_dept_label(directory, d) for d in depts)
        if room == 0:
            where = "no working day of the quarter has a team free in each of them"
        else:
            weeks = [_week_label(days, [t for t in ts if shared[t]]) for _, ts in _weeks(days)
                     if any(shared[t] for t in ts)]
            where = (f"they all have a team free only on {sum(1 for k in shared if k)} working day(s) "
                     f"({'; '.join(weeks)}), room for {room}")
        reasons.append(f"{len(vs)} visit(s) ({ids}) need {names} on the same day, but {where}")
    if reasons:
        raise InfeasibleError(
            "some joint visits cannot be dated: their departments are too rarely free on the same day",
            reasons=reasons,
            fixes=["shorten or move the unavailability of those departments' inspectors so that their free "
                   "days overlap, certify more inspectors in the department that is rarely free, or take "
                   "the joint item out of the quarter's tasks"])


def _explain_coupled(directory: Directory, visits: Sequence[Visit], groups: Sequence[tuple[str, ...]],
                     sizes: Sequence[int], members: Mapping[str, Sequence[int]],
                     daily: Mapping[str, Sequence[int]], days: Sequence[dt.date], team_size: int,
                     dates_seed: str, num_workers: int, closed: Sequence[frozenset[int]] | None = None
                     ) -> tuple[InfeasibleError, dict[tuple[int, int], int]]:
    """Every department and joint group fits alone, yet not all together: find the least overload.

    The relaxed model lets each department-day exceed its capacity by ``over[d, t]``; the
    least total overload, placed by seeded weights so that the named weeks are reproducible,
    shows where inspectors are missing.
    """
    n_days = len(days)
    model = cp_model.CpModel()
    counts = _new_counts(model, groups, sizes, daily, n_days, capped=False, closed=closed)
    over = {(d, t): model.new_int_var(0, sum(sizes), f"over[{d},{t}]") for d in sorted(members)
            for t in range(n_days)}
    add_every_visit_on_one_day(counts, sizes, n_days)
    add_daily_capacity(counts, members, daily, n_days, over)
    keys = sorted(over)
    total = cp_model.LinearExpr.sum([over[k] for k in keys])
    model.minimize(total)
    solver = _solver(num_workers)
    solver.solve(model)
    model.add(total <= round(solver.objective_value))
    model.minimize(cp_model.LinearExpr.weighted_sum(
        [over[k] for k in keys], [_tiebreak_weight(dates_seed, (d,), days[t]) for d, t in keys]))
    solver = _solver(num_workers)
    if solver.solve(model) != cp_model.OPTIMAL:
        raise SolverTimeoutError("the dates model for an over-full quarter stopped without a proven optimum; "
                                 "no plan is written")
    placed = {k: int(solver.value(v)) for k, v in sorted(counts.n.items()) if solver.value(v)}
    reasons: list[str] = []
    short: dict[str, int] = defaultdict(int)
    for d in sorted(members):
        for _, ts in _weeks(days):
            extra = sum(solver.value(over[d, t]) for t in ts)
            if extra > 0:
                cap = sum(daily[d][t] for t in ts)
                reasons.append(f"{_dept_label(directory, d)}, {_week_label(days, ts)}: {extra} visit(s) over "
                               f"the {cap} its inspectors can staff")
                short[d] += extra
    fixes = [_fixes_for(directory, d, k, team_size, n_days, visits) for d, k in sorted(short.items())]
    fixes.append("or split joint items whose departments are rarely free on the same days")
    return InfeasibleError(
        f"no dates exist for the quarter's {len(visits)} visits: joint visits need their departments on "
        "the same day, and together the departments' free days do not fit them", reasons=reasons,
        fixes=fixes), placed


# ---------------------------------------------------------------------------------------
# Entry points


def _solve_cpsat(groups: Sequence[tuple[str, ...]], sizes: Sequence[int], members: Mapping[str, Sequence[int]],
                 daily: Mapping[str, Sequence[int]], demand: Mapping[str, int], weights: np.ndarray,
                 hint: Mapping[tuple[int, int], int] | None, num_workers: int,
                 closed: Sequence[frozenset[int]] | None = None, fields: FieldLoad | None = None
                 ) -> tuple[dict[tuple[int, int], int] | None, int, str, int]:
    """Both CP-SAT stages; returns (counts or None if infeasible, spread, status, variables)."""
    n_days = weights.shape[1]
    # Stage 1: the most even spread, started from the even-fill schedule when there is one.
    model, counts, misses = _build_model(groups, sizes, members, daily, demand, n_days, closed, fields)
    model.minimize(cp_model.LinearExpr.sum(list(misses.values())))
    if hint is not None:
        hint_miss = _misses(hint, groups, members, demand, n_days)
        for k in sorted(counts.n):
            model.add_hint(counts.n[k], hint.get(k, 0))
        for k in sorted(misses):
            model.add_hint(misses[k], hint_miss[k])
    solver = _solver(num_workers, keep_hint=hint is not None)
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        return None, 0, "INFEASIBLE", len(counts.n)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolverTimeoutError(
            f"the dates model found no schedule within {_TIME_LIMIT_S:.0f} s (solver status "
            f"{solver.status_name(status)}), though every department fits its capacity on its own",
            fixes=["lower the ratios of the largest tasks, or add inspectors to the busiest departments"])
    best_spread, statuses = round(solver.objective_value), [solver.status_name(status)]

    # Stage 2: keep that spread; the seeded weights make the optimum unique.
    # No hint here: CP-SAT's hint-repair phase costs more than the search it would save.
    model, counts, misses = _build_model(groups, sizes, members, daily, demand, n_days, closed, fields)
    if best_spread == 0:  # bounds rather than one dense row keep the relaxation sparse
        for m in misses.values():
            model.add(m == 0)
    else:
        model.add(cp_model.LinearExpr.sum(list(misses.values())) <= best_spread)
    keys = sorted(counts.n)
    model.minimize(cp_model.LinearExpr.weighted_sum([counts.n[k] for k in keys],
                                                    [int(weights[k]) for k in keys]))
    solver = _solver(num_workers)
    status = solver.solve(model)
    statuses.append(solver.status_name(status))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover - stage 1 found a solution
        raise SolverTimeoutError(f"the dates tie-break stage failed (solver status {statuses[-1]})")
    found = {k: int(solver.value(counts.n[k])) for k in keys}
    if statuses != ["OPTIMAL", "OPTIMAL"]:  # a schedule that could not be re-derived is never published
        raise SolverTimeoutError(
            f"the dates model stopped at its {_TIME_LIMIT_S:.0f} s limit without a proven optimum "
            f"(stages {'/'.join(statuses)}); no plan is written",
            fixes=["run again on a less loaded machine or with more --workers",
                   "or lower the ratios of the largest tasks"])
    status_text = "OPTIMAL"
    return {k: v for k, v in found.items() if v}, best_spread, status_text, len(counts.n)


# ---------------------------------------------------------------------------------------
# Visits of one 责任主体 on one day (docs/object-kinds.md, "Same day")


def responsible_families(visits: Sequence[Visit], directory: Directory) -> dict[str, list[str]]:
    """责任主体 → the visit ids (sorted) of its objects and of itself, where it has two or more
    (docs/object-kinds.md, "Same day")."""
    responsible = directory.entities.responsible_of(v.entity_id for v in visits)
    families: dict[str, list[str]] = defaultdict(list)
    for v in visits:
        if r := responsible.get(v.entity_id):
            families[r].append(v.visit_id)
    for v in visits:
        if v.entity_id in families:
            families[v.entity_id].append(v.visit_id)
    return {r: sorted(ids) for r, ids in sorted(families.items()) if len(ids) >= 2}


def same_day_places(families: Mapping[str, Sequence[str]], group_of: Mapping[str, int],
                    counts: Mapping[tuple[int, int], int], groups: Sequence[tuple[str, ...]],
                    daily: Mapping[str, Sequence[int]], fields: FieldLoad, shut_days: Sequence[frozenset[int]],
                    weights: np.ndarray, demand: Mapping[str, int], dates_seed: str
                    ) -> tuple[dict[str, int], dict[tuple[int, int], int], int]:
    """Days for the visits of each 责任主体 family that can share one: (visit id → day index,
    the counts n[g, t] after it, how many places moved).

    A family's visit takes a place its group already has that day; failing that, the place moves
    there from another day of its group (the most loaded, then by the seeded weight) when every
    department of the group is still below its daily capacity that day, every field within its
    holders' capacity, and the day is not closed to the group: the date stage's capacity rules,
    so the teams stage can staff the day as before. Families go largest first, then by a seeded
    ticket; each takes the day where most of its visits fit (then fewest moves, then a seeded
    ticket), and the rest try again among themselves while two or more are left.
    """
    n_days = weights.shape[1]
    counts = dict(counts)
    remaining = dict(counts)  # places not yet taken by a family's visit
    load = {d: [0] * n_days for d in daily}
    f_load = np.zeros_like(fields.cap)
    for (g, t), k in counts.items():
        for d in groups[g]:
            load[d][t] += k
        for r, u in fields.usage[g].items():
            f_load[r, t] += u * k

    def room(g: int, t: int, extra: Mapping[str, int], f_extra: Mapping[int, int]) -> bool:
        return (t not in shut_days[g] and all(load[d][t] + extra.get(d, 0) < daily[d][t] for d in groups[g])
                and all(f_load[r, t] + f_extra.get(r, 0) + u <= fields.cap[r, t] for r, u in fields.usage[g].items()))

    def fit(left: Sequence[str], t: int) -> list[tuple[str, bool]]:
        used: dict[int, int] = defaultdict(int)
        extra: dict[str, int] = defaultdict(int)
        f_extra: dict[int, int] = defaultdict(int)
        out = []
        for vid in left:
            g = group_of[vid]
            if remaining.get((g, t), 0) > used[g]:
                used[g] += 1
                out.append((vid, False))
            elif room(g, t, extra, f_extra):
                for d in groups[g]:
                    extra[d] += 1
                for r, u in fields.usage[g].items():
                    f_extra[r] += u
                out.append((vid, True))
        return out

    def move(g: int, t: int) -> None:
        src = min((t2 for t2 in range(n_days) if t2 != t and remaining.get((g, t2), 0) > 0),
                  key=lambda t2: (-max(load[d][t2] * n_days - demand[d] for d in groups[g]), int(weights[g, t2]), t2))
        for d in groups[g]:
            load[d][src] -= 1
            load[d][t] += 1
        for r, u in fields.usage[g].items():
            f_load[r, src] -= u
            f_load[r, t] += u
        for key, step in (((g, src), -1), ((g, t), 1)):
            counts[key] = counts.get(key, 0) + step
            remaining[key] = remaining.get(key, 0) + step

    pinned: dict[str, int] = {}
    moved = 0
    order = sorted(families, key=lambda r: (-len(families[r]), date_ticket(dates_seed, f"responsible/{r}"), r))
    for r in order:
        left = sorted(families[r], key=lambda vid: (date_ticket(dates_seed, vid), vid))
        while len(left) >= 2:
            best: tuple[tuple[int, int, str], int, list[tuple[str, bool]]] | None = None
            for t in range(n_days):
                places = fit(left, t)
                if len(places) >= 2:
                    key = (-len(places), sum(m for _, m in places), date_ticket(dates_seed, f"responsible/{r}/{t}"))
                    if best is None or key < best[0]:
                        best = (key, t, places)
            if best is None:
                break
            _, t, places = best
            for vid, moves in places:
                g = group_of[vid]
                if moves:
                    move(g, t)
                    moved += 1
                remaining[(g, t)] -= 1
                pinned[vid] = t
            left = [vid for vid in left if vid not in pinned]
    return pinned, {k: v for k, v in counts.items() if v}, moved


def schedule_dates(visits: Sequence[Visit], directory: Directory, spec: PlanSpec, calendar: WorkingCalendar,
                   seed: _SubSeeds, *, num_workers: int = 1,
                   method: Literal["auto", "cp-sat"] = "auto",
                   closed: Mapping[str, frozenset[dt.date]] | None = None,
                   allow_over: bool = False) -> DateSchedule:
    """Give every visit a working day of the quarter; see the module docstring for the model.

    Args:
        num_workers: CP-SAT threads; the result does not depend on it.
        method: "auto" keeps the even-fill schedule when it reaches the lower bound and
            solves with CP-SAT otherwise; "cp-sat" always solves both CP-SAT stages.
        closed: visit id → days it must not take (the teams stage found no legal team there).
        allow_over: when the departments cannot staff every visit, place them anyway with the
            least overload (the teams stage then leaves the overflow unstaffed) instead of raising.

    Raises:
        InfeasibleError: naming the departments (and department-weeks) without enough
            inspectors, and what would fix it.
        SolverTimeoutError: CP-SAT stopped before a proven optimum.
    """
    days = calendar.working_days()
    n_days = len(days)
    dates_seed = seed.sub_seed("dates")
    team_size = spec.team_size
    if not visits:
        return DateSchedule([], "OPTIMAL", "none", 0, 0, 0)
    day_index = {d: t for t, d in enumerate(days)}

    # Data: groups of visits with the same department set (and closed days), each in date-ticket order.
    # A group is also keyed by the fields each of its departments needs (the dates know fields).
    by_group: dict[tuple[tuple[str, ...], tuple[tuple[str, ...], ...], tuple[int, ...]], list[Visit]] = \
        defaultdict(list)
    items = directory.check_item_by_id
    for v in sorted(visits, key=lambda v: v.visit_id):
        shut = tuple(sorted(day_index[d] for d in (closed or {}).get(v.visit_id, ()) if d in day_index))
        depts = tuple(sorted(v.departments))
        sig = tuple(tuple(sorted({items[c].field for c in v.check_items if c in items and items[c].department_id == d}))
                    for d in depts)
        by_group[(depts, sig, shut)].append(v)
    keys = sorted(by_group)
    groups = [k[0] for k in keys]
    shut_days = [frozenset(k[2]) for k in keys]
    group_visits = [sorted(by_group[k], key=lambda v: (date_ticket(dates_seed, v.visit_id), v.visit_id))
                    for k in keys]
    sizes = [len(vs) for vs in group_visits]
    departments = sorted({d for g in groups for d in g})
    members: dict[str, list[int]] = {d: [] for d in departments}
    for g, depts in enumerate(groups):
        for d in depts:
            members[d].append(g)
    demand = {d: sum(sizes[g] for g in members[d]) for d in departments}
    daily, quarterly = department_capacity(directory, departments, days, team_size)
    # A group with closed days gets weights of its own, so that the stage-2 optimum stays unique.
    # Each group has weights of its own (fields and closed days in the key): the stage-2 optimum stays unique.
    weights = np.array([[_tiebreak_weight(dates_seed, (*g, "fields", *("/".join(f) for f in k[1]),
                                                       *(("closed", *map(str, k[2])) if k[2] else ())), day)
                         for day in days] for g, k in zip(groups, keys, strict=True)], dtype=np.int64)
    any_closed = any(shut_days)
    fields = field_load(directory, groups, [k[1] for k in keys], days, team_size)

    try:
        _raise_precheck(directory, visits, days, demand, daily, quarterly, team_size)
        _raise_joint_shortfall(directory, groups, group_visits, daily, days)
        over = False
    except InfeasibleError:
        if not allow_over:
            raise
        over = True

    filled = None if over else even_fill(groups, sizes, daily, demand, weights, shut_days if any_closed else None,
                                         fields)
    if method == "auto" and filled is not None and not any(_misses(filled, groups, members, demand,
                                                                    n_days).values()):
        counts, spread, status, used, variables = filled, 0, "OPTIMAL", "even fill (reached the lower bound)", 0
    else:
        found = None
        if not over:
            found, spread, status, variables = _solve_cpsat(groups, sizes, members, daily, demand, weights, filled,
                                                              num_workers, shut_days if any_closed else None, fields)
        if found is None:
            err, placed = _explain_coupled(directory, visits, groups, sizes, members, daily, days, team_size,
                                           dates_seed, num_workers, shut_days if any_closed else None)
            if not allow_over:
                raise err
            found, spread, status, variables = placed, 0, "OPTIMAL", 0
            used = "least overload (more visits than the inspectors can staff)"
        else:
            used = "CP-SAT"
        counts = found

    # Extract: the visits of one 责任主体 first take places of their groups on a shared day
    # (same_day_places, which may move a place between days within the capacity rules); then
    # each group's other visits, in ticket order, take its remaining places in date order.
    group_of = {v.visit_id: g for g, vs in enumerate(group_visits) for v in vs}
    pinned, counts, moved = same_day_places(responsible_families(visits, directory), group_of, counts, groups, daily,
                                            fields, shut_days, weights, demand, dates_seed)
    dated: dict[str, dt.date] = {vid: days[t] for vid, t in pinned.items()}
    taken: dict[tuple[int, int], int] = defaultdict(int)
    for vid, t in pinned.items():
        taken[(group_of[vid], t)] += 1
    load = {d: [0] * n_days for d in departments}
    for g, vs in enumerate(group_visits):
        free = iter([v for v in vs if v.visit_id not in pinned])
        for t in range(n_days):
            k = counts.get((g, t), 0)
            for _ in range(k - taken[(g, t)]):
                dated[next(free).visit_id] = days[t]
            for d in groups[g]:
                load[d][t] += k
    out = [v.model_copy(update={"date": dated[v.visit_id]}) for v in visits]
    return DateSchedule(visits=out, status=status, method=used, spread=spread, groups=len(groups),
                        variables=variables, load=load, capacity={d: list(daily[d]) for d in departments},
                        same_day_moves=moved)


def assign_dates(visits: Sequence[Visit], directory: Directory, spec: PlanSpec, calendar: WorkingCalendar,
                 seed: _SubSeeds, *, num_workers: int = 1) -> list[Visit]:
    """The visits, in the same order, each with a working day of the quarter (see schedule_dates)."""
    return schedule_dates(visits, directory, spec, calendar, seed, num_workers=num_workers).visits
