"""Fairness benchmark: does randsup draw and assign the way its design says, and how do the
baselines regulators use today compare? (issue 7)

Design notes: docs/bench.md (section randsup/bench/fairness.py).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import math
import platform
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from .._runtime import available_cores, pool_context
from ..assign import eligibility as teams_mod
from ..assign.dates import assign_dates
from ..assign.teams import assign_teams
from ..assign.workdays import WorkingCalendar, quarter_bounds
from ..draw.sample import at_cap_masks, draw_entities, population_mask, task_risk_classes
from ..draw.seed import PublicSeed
from ..draw.visits import build_visits, task_object_kind, task_scope
from ..errors import InfeasibleError, OutputError, RandsupError
from ..io import atomic_directory, write_atomic
from ..model import (
    RISK_CLASSES,
    Assignment,
    Directory,
    DrawResult,
    EntityTable,
    HistoryVisit,
    Inspector,
    Visit,
)
from ..spec import PlanSpec, load_spec

__all__ = [
    "DEFAULT_SEEDS",
    "QUICK_ENTITIES",
    "QUICK_INSPECTORS",
    "QUICK_SEEDS",
    "BenchSetting",
    "Burden",
    "ClassInclusion",
    "DepartmentEquality",
    "FairnessResult",
    "MethodResult",
    "Predictability",
    "check_teams",
    "coefficient_of_variation",
    "coordination_off",
    "demo_setting",
    "fixed_cost_teams",
    "gini",
    "inclusion_statistics",
    "machine_description",
    "min_max_ratio",
    "quarter_seed",
    "render_markdown",
    "round_robin_teams",
    "run_fairness",
    "summary_rows",
    "wanning_draw",
    "wanning_visits",
    "write_report",
]

DEFAULT_SEEDS = 1_000  # the full run: |z| > 4 would show a bias of a fraction of a standard error
QUICK_SEEDS = 100  # the quick run CI exercises
# The default directory: small enough that the quick run stays under 2 minutes on 2 cores.
# Inspectors are plentiful for 20,000 entities on purpose: a visit merging several tasks of
# one department needs inspectors who each hold all of their 执法领域, and with fewer than
# about 1,000 inspectors the demo district often has no such pair in 松江区市场监督管理局.
QUICK_ENTITIES = 20_000
QUICK_INSPECTORS = 1_000
QUARTERS_PER_YEAR = 4
SEED_SOURCE_TAG = 20270101  # first source of every Monte Carlo seed; the second is the quarter number
DATE_RULES = ("certificate", "unavailable")  # teams.py rules that need a real visit date


# ---------------------------------------------------------------------------------------
# Metrics


def gini(values: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient Σ_i (2i − n + 1)·p_(i) / (n·Σp) over the ascending values (i from 0).

    0 for equal values, (n − 1)/n when one holder has everything (Damgaard & Weiner 2000, as in
    the citizens'-assemblies replication code). An empty or all-zero vector has Gini 0.
    """
    p = np.sort(np.asarray(values, dtype=float))
    n = p.size
    total = float(p.sum())
    if n == 0 or total == 0.0:
        return 0.0
    if np.any(p < 0):
        raise ValueError("gini needs non-negative values")
    weights = 2.0 * np.arange(n) - n + 1.0
    return float(np.dot(weights, p) / (n * total))


def coefficient_of_variation(values: Sequence[float] | np.ndarray) -> float:
    """Population standard deviation over the mean (0 for equal values, 0 for an all-zero vector)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return 0.0
    mean = float(v.mean())
    return 0.0 if mean == 0.0 else float(v.std() / mean)


def min_max_ratio(values: Sequence[float] | np.ndarray) -> float:
    """Smallest over largest value: 1 when equal, 0 when someone is never chosen."""
    v = np.asarray(values, dtype=float)
    if v.size == 0 or float(v.max()) == 0.0:
        return 1.0
    return float(v.min() / v.max())


@dataclass(frozen=True)
class ClassInclusion:
    """Entity inclusion in one task × risk class over R seeds, against the design π."""

    task_id: str
    risk_class: str
    population: int  # N
    design_p: float  # π = E[n] / N
    mean_freq: float  # f̄ = mean over the N entities of X_k / R
    max_abs_error: float  # max_k |X_k / R − π|
    pooled_z: float  # (f̄ − π) / sd(f̄), sd from the rounding of the sample size; ±inf for a fixed bias
    max_entity_z: float  # max_k |X_k − Rπ| / √(Rπ(1−π))
    max_entity_p: float  # Šidák p-value of max_entity_z over N entities (exact binomial tails)
    chi2: float  # histogram of X_k against Binomial(R, π)
    chi2_df: int  # 0 when the test is degenerate (π ∈ {0, 1} or too few entities)
    chi2_p: float  # nan when chi2_df == 0
    freq_quantiles: tuple[float, float, float]  # 5 %, 50 %, 95 % of X_k / R, for the plot


def _merged_bins(expected: np.ndarray, minimum: float = 5.0) -> list[tuple[int, int]]:
    """Contiguous [lo, hi) ranges over 0..R whose expected counts are each at least ``minimum``."""
    bins: list[tuple[int, int]] = []
    lo, acc = 0, 0.0
    for k, e in enumerate(expected.tolist()):
        acc += e
        if acc >= minimum:
            bins.append((lo, k + 1))
            lo, acc = k + 1, 0.0
    if lo < expected.size:  # the right tail left over joins the last bin
        if bins:
            bins[-1] = (bins[-1][0], expected.size)
        else:
            bins.append((0, expected.size))
    return bins


def inclusion_statistics(task_id: str, risk_class: str, counts: np.ndarray, population: int,
                         seeds: int, expected_size: float) -> ClassInclusion:
    """Compare inclusion counts with the design of one stratum.

    Args:
        counts: X_k for the entities drawn at least once (entities never drawn are implied:
            ``population - len(counts)`` zeros).
        population: N, the stratum's size (the same in every seed).
        seeds: R.
        expected_size: x = E[n], the exact design sample size (``StratumDraw.expected``).
    """
    from scipy import stats  # the bench extra; imported here so `import randsup` stays light

    if population <= 0:
        return ClassInclusion(task_id, risk_class, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0, math.nan,
                              (0.0, 0.0, 0.0))
    c = np.asarray(counts, dtype=np.int64)
    if c.size > population:
        raise ValueError(f"{task_id}/{risk_class}: {c.size} entities drawn from a stratum of {population}")
    x = np.concatenate([c, np.zeros(population - c.size, dtype=np.int64)])
    R, N = seeds, population
    pi = min(max(expected_size / N, 0.0), 1.0)
    freq = x / R
    mean_freq = float(freq.mean())
    max_abs_error = float(np.max(np.abs(freq - pi)))

    frac = expected_size - math.floor(expected_size)
    sd_mean = math.sqrt(frac * (1.0 - frac) / R) / N
    deviation = mean_freq - pi
    if sd_mean > 0:
        pooled_z = deviation / sd_mean
    else:  # fixed sample size: the mean is exact unless the rounding is biased
        pooled_z = 0.0 if abs(deviation) < 1e-12 else math.copysign(math.inf, deviation)

    if 0.0 < pi < 1.0:
        sd = math.sqrt(R * pi * (1.0 - pi))
        z = np.abs(x - R * pi) / sd
        max_entity_z = float(z.max())
        # Two-sided exact tails of the most extreme low and high counts; the max over N entities
        # under the null has the Šidák law.
        lo, hi = int(x.min()), int(x.max())
        p_lo = float(stats.binom.cdf(lo, R, pi))
        p_hi = float(stats.binom.sf(hi - 1, R, pi))
        p_min = min(1.0, 2.0 * min(p_lo, p_hi))
        max_entity_p = float(-math.expm1(N * math.log1p(-p_min))) if p_min < 1.0 else 1.0

        expected = N * stats.binom.pmf(np.arange(R + 1), R, pi)
        bins = _merged_bins(expected)
        if len(bins) >= 2:
            observed = np.bincount(x, minlength=R + 1)
            obs = np.array([observed[a:b].sum() for a, b in bins], dtype=float)
            exp = np.array([expected[a:b].sum() for a, b in bins])
            exp *= N / exp.sum()  # pmf mass below float precision at the far tail
            chi2 = float(np.sum((obs - exp) ** 2 / exp))
            df = len(bins) - 1
            chi2_p = float(stats.chi2.sf(chi2, df))
        else:
            chi2, df, chi2_p = 0.0, 0, math.nan
    else:
        exact = bool(np.all(x == round(R * pi)))
        max_entity_z = 0.0 if exact else math.inf
        max_entity_p = 1.0 if exact else 0.0
        chi2, df, chi2_p = 0.0, 0, math.nan
    q = np.quantile(freq, [0.05, 0.5, 0.95])
    return ClassInclusion(task_id, risk_class, N, pi, mean_freq, max_abs_error, pooled_z, max_entity_z,
                          max_entity_p, chi2, df, chi2_p, (float(q[0]), float(q[1]), float(q[2])))



# ---------------------------------------------------------------------------------------
# The benchmark setting: a demo-like district and its plan


@dataclass(frozen=True)
class BenchSetting:
    """What every seed of the Monte Carlo plans: the demo directory, its spec, the calendar."""

    directory: Directory
    spec: PlanSpec
    calendar: WorkingCalendar
    entities: int
    inspectors: int
    data_seed: int


def demo_setting(*, entities: int = QUICK_ENTITIES, inspectors: int = QUICK_INSPECTORS,
                 data_seed: int = 0) -> BenchSetting:
    """The demo district of :func:`randsup.synth.write_demo_data` at this size, with its own plan
    ``plan-2027Q1.toml`` (定向 and 不定向 tasks, ratio and count tasks, joint items, one ``apart``
    and one ``independent`` task) and its working-day calendar.

    Raises:
        InputError: too few entities or inspectors for a coherent district.
    """
    from ..demo.synth import write_demo_data

    with tempfile.TemporaryDirectory(prefix="randsup-fairness-") as tmp:
        out = Path(tmp) / "data"
        # A simulation of the draw law that publishes nothing: the spec is announced, no salt needed.
        directory = write_demo_data(out, entities=entities, inspectors=inspectors, seed=data_seed, announced=True)
        spec = load_spec(out / "plan-2027Q1.toml")
        calendar = WorkingCalendar.for_quarter(spec.quarter, spec.holidays_path())
    return BenchSetting(directory, spec, calendar, entities, inspectors, data_seed)


def coordination_off(spec: PlanSpec) -> PlanSpec:
    """The same plan with coordination off: every task draws with a sub-seed of its own."""
    tasks = tuple(t.model_copy(update={"coordination": "independent"}) for t in spec.tasks)
    return spec.model_copy(update={"tasks": tasks})


def quarter_seed(r: int) -> PublicSeed:
    """The public seed of Monte Carlo quarter r = 0, 1, …: two numeric sources, no salt."""
    return PublicSeed.from_sources([str(SEED_SOURCE_TAG), str(r)])


# ---------------------------------------------------------------------------------------
# Baseline (a): the Wanning system (aixgeek/dual-random-inspection)


def wanning_draw(directory: Directory, spec: PlanSpec, rng: random.Random) -> dict[str, list[int]]:
    """Entity rows drawn per task the way the Wanning system draws: ⌊N × ratio⌋, at least 1,
    by ``rng.sample`` from the population listed by entity id.

    The Wanning system knows no credit-risk classes; a class ratio is applied per class, the
    way a regulator using it would draw each class separately. A ``count`` task draws its
    count from the whole population. The population is randsup's (filters, annual cap), so
    only the sampling differs. Rows come in the order ``sample`` returns them, which is the
    order the round-robin teams follow.
    """
    ent = directory.entities
    own_cap, via_responsible = at_cap_masks(directory, spec)
    by_id = np.argsort(ent.entity_id, kind="stable")
    out: dict[str, list[int]] = {}
    for task in spec.tasks:
        matched = population_mask(ent, task.population, task_id=task.task_id,
                                  kind=task_object_kind(directory, task))
        risk = task_risk_classes(ent, spec, task, matched)
        pop = matched & ~(own_cap | via_responsible)
        listed = by_id[pop[by_id]]
        picked: list[int] = []
        if task.ratio is not None:
            for h, cls in enumerate(RISK_CLASSES):
                rows = listed[risk[listed] == h].tolist()
                ratio = task.ratio_for(cls)
                k = 0 if ratio == 0 or not rows else min(len(rows), max(1, int(len(rows) * ratio)))
                picked += rng.sample(rows, k)
        else:
            rows = listed.tolist()
            picked = rng.sample(rows, min(task.count or 0, len(rows)))
        out[task.task_id] = picked
    return out


def wanning_visits(directory: Directory, spec: PlanSpec, drawn: dict[str, list[int]],
                   day: dt.date) -> list[Visit]:
    """One visit per drawn (task, entity), as separate departmental draws give: no merging
    across tasks (a joint-item task still sends its departments together). ``day`` is a
    nominal date; the Wanning system schedules nothing."""
    ent = directory.entities
    tasks = {t.task_id: t for t in spec.tasks}
    out: list[Visit] = []
    for task_id in sorted(drawn):
        scope = task_scope(directory, tasks[task_id])
        fields = tuple(sorted({directory.check_item_by_id[c].field for c in scope.check_items}))
        for row in drawn[task_id]:
            out.append(Visit(visit_id=f"W{len(out) + 1:06d}", entity_id=str(ent.entity_id[row]),
                             entity_name=str(ent.name[row]), date=day, lead_department=scope.lead_department,
                             departments=scope.departments, tasks=(task_id,), check_items=scope.check_items,
                             fields=fields))
    return out


def _staff(directory: Directory) -> dict[str, list[Inspector]]:
    """Non-expert inspectors per department, by id: the people a team is made of."""
    staff: dict[str, list[Inspector]] = {}
    for p in sorted(directory.inspectors, key=lambda p: p.inspector_id):
        if not p.is_expert:
            staff.setdefault(p.department_id, []).append(p)
    return staff


def round_robin_teams(visits: Sequence[Visit], directory: Directory, team_size: int) -> list[Visit]:
    """Teams the Wanning way: each department's inspectors, by id, in fixed groups of
    ``team_size``; the j-th visit of a task goes to group j mod groupCount. Qualification,
    回避, rotation and caps are not looked at."""
    staff = _staff(directory)
    groups = {d: [ps[g * team_size:(g + 1) * team_size] for g in range(len(ps) // team_size)]
              for d, ps in staff.items()}
    index: dict[str, int] = {}
    out = []
    for v in visits:
        j = index.get(v.tasks[0], 0)
        index[v.tasks[0]] = j + 1
        team = [Assignment(inspector_id=p.inspector_id, department_id=d)
                for d in v.departments if groups.get(d) for p in groups[d][j % len(groups[d])]]
        out.append(v.model_copy(update={"inspectors": tuple(team)}))
    return out


# ---------------------------------------------------------------------------------------
# Baseline (b): an optimiser without random costs


def _eligibility(visits: Sequence[Visit], directory: Directory, spec: PlanSpec
                 ) -> list[tuple[str, list[Any], list[Inspector], dict[str, np.ndarray]]]:
    """Per department: its (visit, department) demands, its non-expert inspectors and, per rule,
    which inspector each rule excludes from each demand — teams.py's own rule tables, so that
    the baselines are judged by exactly the rules randsup keeps."""
    by_dept = teams_mod.demands_by_department(visits, directory)
    rules = teams_mod.build_rules(directory, spec, {v.entity_id for v in visits})
    staff = _staff(directory)
    out = []
    for dept, demands in by_dept.items():
        people = staff.get(dept, [])
        pool = teams_mod.eligible_pool(dept, demands, people, rules, spec.team_size, optional=False)
        out.append((dept, demands, people, pool.fails()))
    return out


def _used_in_quarter(directory: Directory, spec: PlanSpec) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
    """History rows inside the plan's quarter: they count against the quarterly and daily caps."""
    start, end = quarter_bounds(spec.quarter)
    quarter: dict[str, int] = {}
    day: dict[tuple[str, int], int] = {}
    for h in directory.history:
        if start <= h.date <= end:
            quarter[h.inspector_id] = quarter.get(h.inspector_id, 0) + 1
            key = (h.inspector_id, h.date.toordinal())
            day[key] = day.get(key, 0) + 1
    return quarter, day


def fixed_cost_teams(visits: Sequence[Visit], directory: Directory, spec: PlanSpec) -> list[Visit]:
    """Teams by a min-cost flow under the same rules and caps as randsup, with the cost of a pair
    set to the inspector's rank by id instead of a random ticket: the lowest-ranked eligible
    inspectors within their caps go every time.

    Per department: source → inspector (quarterly cap) → inspector-day (daily cap) →
    (visit, department) → sink (demand team_size), as teams.py builds it.

    Raises:
        InfeasibleError: the rules and caps leave some team unfilled.
    """
    used_q, used_d = _used_in_quarter(directory, spec)
    chosen: dict[int, list[Assignment]] = {}
    for dept, demands, people, fails in _eligibility(visits, directory, spec):
        ok = ~np.logical_or.reduce([fails[r] for r in sorted(fails)])
        rows, cols = (a.astype(np.int64) for a in np.nonzero(ok))
        m, n = len(people), len(demands)
        day = np.array([d.date.toordinal() for d in demands], dtype=np.int64)
        # Inspector-day nodes where a pair needs one, keyed by (inspector column, date ordinal).
        keys, day_node = np.unique(cols * 10_000_000 + day[rows], return_inverse=True)
        day_col, day_ord = keys // 10_000_000, keys % 10_000_000
        q_cap = [max(0, p.max_visits_per_quarter - used_q.get(p.inspector_id, 0)) for p in people]
        d_cap = [max(0, people[j].max_visits_per_day - used_d.get((people[j].inspector_id, o), 0))
                 for j, o in zip(day_col.tolist(), day_ord.tolist(), strict=True)]
        insp0, day0 = 2, 2 + m
        dem0 = day0 + keys.shape[0]
        tails = np.concatenate([np.zeros(m), insp0 + day_col, day0 + day_node.reshape(-1), dem0 + np.arange(n)])
        heads = np.concatenate([insp0 + np.arange(m), day0 + np.arange(keys.shape[0]), dem0 + rows, np.ones(n)])
        # Team places as the flow gives them (eligibility.slots); fields are not split into slots here.
        need = np.array([teams_mod.slots(spec.team_size, len(d.fields)) for d in demands], dtype=np.int64)
        caps = np.concatenate([q_cap, d_cap, np.ones(rows.shape[0]), need])
        costs = np.concatenate([np.zeros(m + keys.shape[0]), cols + 1, np.zeros(n)])
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32),
                                                  caps.astype(np.int64), costs.astype(np.int64))
        flow.set_node_supply(0, int(need.sum()))
        flow.set_node_supply(1, -int(need.sum()))
        if flow.solve() != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
            raise InfeasibleError(f"the fixed-cost baseline cannot staff department {dept} within the rules and caps")
        first = m + keys.shape[0]
        picked = flow.flows(np.arange(first, first + rows.shape[0], dtype=np.int32)) > 0
        for r, c in zip(rows[picked].tolist(), cols[picked].tolist(), strict=True):
            chosen.setdefault(demands[r].visit_index, []).append(
                Assignment(inspector_id=people[c].inspector_id, department_id=dept))
    return [v.model_copy(update={"inspectors": tuple(sorted(chosen.get(k, []),
                                                            key=lambda a: (a.department_id, a.inspector_id)))})
            for k, v in enumerate(visits)]


# ---------------------------------------------------------------------------------------
# One quarter of the Monte Carlo


@dataclass(frozen=True)
class _Drawn:
    """One method's draw and visits in one quarter."""

    selected: dict[str, np.ndarray]  # task → entity rows (one per drawn pair)
    sizes: dict[str, tuple[tuple[int, str, int], ...]]  # task → per class (population, expected, sample)
    visits: int
    joint: int
    pairs: int
    visit_rows: np.ndarray  # entity row of every visit


@dataclass(frozen=True)
class _Teams:
    """One method's teams in one quarter, checked against randsup's rules."""

    places: tuple[tuple[int, str, tuple[str, ...]], ...]  # (entity row, department, non-expert inspectors)
    target: dict[str, float]  # inspector → expected places if each eligible one had the same chance
    violations: int  # places given to an inspector the rules exclude
    total_places: int
    over_cap: int  # places beyond an inspector's max_visits_per_quarter
    # inspector → (Σ 1/(eligible − 1) over its places, places): the chance a given eligible
    # colleague is its partner, at equal chance
    partner_chance: dict[str, tuple[float, int]]
    bad_size: int  # places whose team size breaks the team rule (team_size..max_team)
    # per place, the inspectors eligible for it (kept inside a worker only, for the repeat chance)
    eligible: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True)
class _Quarter:
    r: int
    drawn: dict[str, _Drawn]  # "randsup", "independent", "wanning"
    teams: dict[str, _Teams | None]  # "randsup", "wanning", "fixed"; None when no feasible teams
    seconds: dict[str, float]  # randsup's stages


def _rows(entities: EntityTable, ids: Sequence[str]) -> np.ndarray:
    """Rows of these ids, which the directory must have (a draw or a plan of it named them)."""
    rows = entities.rows_of(ids)
    if (rows < 0).any():
        raise KeyError(ids[int(np.flatnonzero(rows < 0)[0])])
    return rows


def _drawn(directory: Directory, draw: DrawResult, visits: Sequence[Visit]) -> _Drawn:
    def rows_of(ids: Sequence[str]) -> np.ndarray:
        return _rows(directory.entities, ids)

    selected = {t.task_id: rows_of(list(t.selected)) for t in draw.tasks}
    sizes = {t.task_id: tuple((s.population, s.expected, s.sample) for _, s in sorted(t.strata.items()))
             for t in draw.tasks}
    return _Drawn(selected, sizes, len(visits), sum(len(v.departments) > 1 for v in visits),
                  sum(len(v.tasks) for v in visits), rows_of([v.entity_id for v in visits]))


def check_teams(visits: Sequence[Visit], directory: Directory, spec: PlanSpec, *, dated: bool) -> _Teams:
    """Each method's teams against randsup's personal rules (teams.py's eligibility tables).

    With ``dated`` false (the Wanning baseline has no real dates) the date rules — 执法证 valid on
    the day, unavailability — are left out; field, 回避 and rotation always count. The equal-chance
    target of an inspector adds, for every (visit, department) it is eligible for,
    team_size / (eligible inspectors of that place).
    """
    index = directory.entities.row_map(v.entity_id for v in visits)
    target: dict[str, float] = {}
    places: list[tuple[int, str, tuple[str, ...]]] = []
    eligible: list[frozenset[str]] = []
    partner: dict[str, tuple[float, int]] = {}
    violations = total = bad_size = 0
    load: dict[str, int] = {}
    for dept, demands, people, fails in _eligibility(visits, directory, spec):
        rules = sorted(fails) if dated else [r for r in sorted(fails) if r not in DATE_RULES]
        excluded = np.logical_or.reduce([fails[r] for r in rules])
        ok = ~excluded
        n_ok = ok.sum(axis=1)
        share = np.divide(spec.team_size, n_ok, out=np.zeros(len(demands)), where=n_ok > 0)
        per_person = (ok * share[:, None]).sum(axis=0)
        for j, p in enumerate(people):
            if per_person[j] > 0:
                target[p.inspector_id] = target.get(p.inspector_id, 0.0) + float(per_person[j])
        col = {p.inspector_id: j for j, p in enumerate(people)}
        for i, d in enumerate(demands):
            team = tuple(sorted(a.inspector_id for a in visits[d.visit_index].inspectors
                                if a.department_id == dept and not a.is_expert))
            for pid in team:
                j = col.get(pid)
                violations += int(j is None or bool(excluded[i, j]))
                load[pid] = load.get(pid, 0) + 1
            total += len(team)
            bad_size += not spec.team_size <= len(team) <= teams_mod.max_team(spec.team_size, len(d.fields))
            places.append((index[d.entity_id], dept, team))
            eligible.append(frozenset(people[j].inspector_id for j in np.flatnonzero(ok[i]).tolist()))
            if n_ok[i] > 1:
                for pid in team:
                    a, b = partner.get(pid, (0.0, 0))
                    partner[pid] = (a + 1.0 / (float(n_ok[i]) - 1.0), b + 1)
    caps = directory.inspector_by_id
    over = sum(max(0, n - caps[p].max_visits_per_quarter) for p, n in sorted(load.items()) if p in caps)
    return _Teams(tuple(places), target, violations, total, over, partner, bad_size, tuple(eligible))


def _history(teamed: Sequence[Visit], day: dt.date) -> tuple[HistoryVisit, ...]:
    """A quarter's teams as history rows on ``day``, for the next quarter's rotation rule."""
    return tuple(HistoryVisit(entity_id=v.entity_id, inspector_id=a.inspector_id, department_id=a.department_id,
                              date=day) for v in teamed for a in v.inspectors)


@dataclass(frozen=True)
class _Worker:
    setting: BenchSetting
    independent: PlanSpec
    seeds: int


_WORKER: _Worker | None = None


def _init_worker(worker: _Worker) -> None:
    global _WORKER
    _WORKER = worker


@dataclass(frozen=True)
class _Repeats:
    """Entities meeting an inspector again within one year, for one method."""

    pairs: tuple[int, int]  # (entity, department) places in two quarters: one apart, two or more apart
    hits: tuple[int, int]  # … sharing an inspector
    chance: tuple[float, float]  # expected shared inspectors if every eligible one had the same chance


def _repeats(teams: Sequence[_Teams | None], team_size: int) -> _Repeats:
    firsts = []
    for t in teams:
        first: dict[tuple[int, str], tuple[tuple[str, ...], frozenset[str]]] = {}
        if t is not None:
            for (e, d, team), ok in zip(t.places, t.eligible, strict=True):
                first.setdefault((e, d), (team, ok))
        firsts.append(first)
    pairs, hits, chance = [0, 0], [0, 0], [0.0, 0.0]
    for a in range(len(firsts)):
        for b in range(a + 1, len(firsts)):
            lag = 0 if b - a == 1 else 1
            for key, (team_b, ok_b) in sorted(firsts[b].items()):
                if key not in firsts[a]:
                    continue
                team_a, ok_a = firsts[a][key]
                pairs[lag] += 1
                hits[lag] += bool(set(team_a) & set(team_b))
                if ok_a and ok_b:
                    both = len(ok_a & ok_b)
                    chance[lag] += min(1.0, both * min(1.0, team_size / len(ok_a)) * min(1.0, team_size / len(ok_b)))
    return _Repeats((pairs[0], pairs[1]), (hits[0], hits[1]), (chance[0], chance[1]))


def _run_year(year: int) -> tuple[list[_Quarter], dict[str, _Repeats]]:
    """Quarters 4·year … 4·year + 3 in order; each quarter's teams are the next one's history.

    Returns the quarters (without the per-place eligibility, which stays here) and, per method
    with teams, how often entities met an inspector again within the year."""
    w = _WORKER
    assert w is not None, "worker not initialised"
    s = w.setting
    base = s.directory
    spec = s.spec
    # History rows of the previous quarter are dated the day before this quarter, in the year
    # before: rotation sees them, the annual cap (counted per calendar year) does not, so the
    # design probabilities stay the same in every quarter.
    q_start, _ = quarter_bounds(spec.quarter)
    previous_day = q_start - dt.timedelta(days=1)
    first_day = s.calendar.working_days()[0]
    prev: dict[str, tuple[HistoryVisit, ...]] = {"randsup": (), "wanning": (), "fixed": ()}
    out: list[_Quarter] = []
    for r in range(year * QUARTERS_PER_YEAR, min(w.seeds, (year + 1) * QUARTERS_PER_YEAR)):
        seed = quarter_seed(r)
        dirs = {k: replace(base, history=base.history + h) for k, h in prev.items()}
        seconds: dict[str, float] = {}

        t = time.perf_counter()
        draw = draw_entities(dirs["randsup"], spec, seed, workers=1)
        seconds["draw"] = time.perf_counter() - t
        t = time.perf_counter()
        visits, _ = build_visits(dirs["randsup"], spec, draw)
        seconds["visits"] = time.perf_counter() - t
        t = time.perf_counter()
        dated = assign_dates(visits, dirs["randsup"], spec, s.calendar, seed)
        seconds["dates"] = time.perf_counter() - t
        t = time.perf_counter()
        teams: dict[str, _Teams | None] = {}
        try:
            teamed, _ = assign_teams(dated, dirs["randsup"], spec, seed)
            seconds["teams"] = time.perf_counter() - t
            teams["randsup"] = check_teams(teamed, dirs["randsup"], spec, dated=True)
            nxt = {"randsup": _history(teamed, previous_day)}
        except InfeasibleError:
            seconds["teams"] = time.perf_counter() - t
            teams["randsup"], nxt = None, {"randsup": ()}
        drawn = {"randsup": _drawn(base, draw, visits)}

        ind = draw_entities(dirs["randsup"], w.independent, seed, workers=1)
        drawn["independent"] = _drawn(base, ind, build_visits(dirs["randsup"], w.independent, ind)[0])

        try:
            fixed = fixed_cost_teams(dated, dirs["fixed"], spec)
            teams["fixed"] = check_teams(fixed, dirs["fixed"], spec, dated=True)
            nxt["fixed"] = _history(fixed, previous_day)
        except InfeasibleError:
            teams["fixed"], nxt["fixed"] = None, ()

        rows = wanning_draw(dirs["wanning"], spec, random.Random(r))
        w_visits = round_robin_teams(wanning_visits(base, spec, rows, first_day), base, spec.team_size)
        teams["wanning"] = check_teams(w_visits, dirs["wanning"], spec, dated=False)
        nxt["wanning"] = _history(w_visits, previous_day)
        drawn["wanning"] = _Drawn(
            {k: np.asarray(v, dtype=np.int64) for k, v in rows.items()}, {}, len(w_visits),
            sum(len(v.departments) > 1 for v in w_visits), len(w_visits),
            _rows(base.entities, [v.entity_id for v in w_visits]))
        prev = nxt
        out.append(_Quarter(r, drawn, teams, seconds))
    repeats = {k: _repeats([q.teams[k] for q in out], spec.team_size) for k in ("randsup", "wanning", "fixed")}
    light = [replace(q, teams={k: None if t is None else replace(t, eligible=()) for k, t in q.teams.items()})
             for q in out]
    return light, repeats


# ---------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class DepartmentEquality:
    """How evenly one department's team places fell on its qualified inspectors over all seeds.

    The qualified inspectors are the department's non-experts eligible for at least one place.
    Raw figures compare places with an equal share; the "vs chance" figures compare each
    inspector's places with the places it would expect if every eligible inspector had the same
    chance at every place (inspectors holding rare 执法领域 are eligible for fewer places).
    """

    department_id: str
    inspectors: int
    places: int
    min_max: float
    gini: float
    cv: float
    min_max_vs_chance: float
    gini_vs_chance: float
    cv_vs_chance: float
    cv_floor: float  # the CV vs chance that Monte Carlo noise alone gives (√mean(1/expected))
    gini_floor: float  # ≈ cv_floor / √π
    ratios: tuple[float, ...]  # places / expected places per inspector, ascending (for the plot)
    # Equality within classes (issue 11): inspectors of the department with the same fields, the
    # same caps, and no 回避 conflict, absence, expiring 执法证 or history row are exchangeable, so
    # their places should differ only by chance. Per class of ≥ 2 with ≥ 5 places each on average:
    # (members, places, p-value of the dispersion Σ(c − mean)²/mean against χ²(members − 1); the
    # statistic is conservative, since an inspector's places vary less than a Poisson count).
    classes: tuple[tuple[int, int, float], ...] = ()


@dataclass(frozen=True)
class Predictability:
    """Can an entity or an inspector guess who comes next?

    Each figure comes with what equal chance among the eligible inspectors would give, so that
    the rules' own effect (few inspectors hold a rare 执法领域) is not mistaken for a pattern.
    """

    next_pairs: int  # (entity, department) visited in two consecutive quarters of a year
    next_hits: int  # … where the later visit had an inspector of the earlier one
    next_chance: float  # expected such hits at equal chance among the eligible (rotation applied)
    later_pairs: int  # … visited in two quarters two or three apart
    later_hits: int
    later_chance: float
    partner_same: float  # chance two visits of an inspector have the same partner (unbiased, weighted)
    partner_chance: float  # ≈ the same at equal chance: mean of 1/(eligible − 1) over its places

    @property
    def next_rate(self) -> float:
        return self.next_hits / self.next_pairs if self.next_pairs else 0.0

    @property
    def next_chance_rate(self) -> float:
        return self.next_chance / self.next_pairs if self.next_pairs else 0.0

    @property
    def later_rate(self) -> float:
        return self.later_hits / self.later_pairs if self.later_pairs else 0.0

    @property
    def later_chance_rate(self) -> float:
        return self.later_chance / self.later_pairs if self.later_pairs else 0.0


@dataclass(frozen=True)
class Burden:
    """What the plan asks of the entities (and of the departments' time)."""

    visits_per_quarter: float
    visits_per_1000: float  # per 1,000 entities of the directory
    joint_share: float  # visits with more than one department (部门联合)
    checks_per_visit: float  # drawn (task, entity) pairs per visit
    twice_a_year: float  # share of all entities visited at least twice in a year of 4 quarters
    per_year: tuple[float, float, float, float]  # entities per year with 1, 2, 3, ≥4 visits (mean over years)


@dataclass(frozen=True)
class MethodResult:
    """One method's figures over every seed of the run."""

    key: str  # randsup | independent | wanning | fixed
    label: str
    inclusion: tuple[ClassInclusion, ...] = ()
    equality: tuple[DepartmentEquality, ...] = ()
    predictability: Predictability | None = None
    burden: Burden | None = None
    violations: int = 0
    places: int = 0
    over_cap: int = 0
    infeasible: int = 0  # quarters without feasible teams
    bad_size: int = 0  # team places whose team is not of team_size

    @property
    def worst_pooled_z(self) -> float:
        return max((abs(c.pooled_z) for c in self.inclusion if c.population), default=0.0)

    @property
    def worst_abs_error(self) -> float:
        return max((c.max_abs_error for c in self.inclusion), default=0.0)

    @property
    def classes_over_4(self) -> int:
        return sum(abs(c.pooled_z) > 4 for c in self.inclusion)

    @property
    def min_chi2_p(self) -> float:
        return min((c.chi2_p for c in self.inclusion if c.chi2_df), default=math.nan)

    @property
    def chi2_tests(self) -> int:
        return sum(c.chi2_df > 0 for c in self.inclusion)

    @property
    def worst_relative_bias(self) -> float:
        return max((abs(c.mean_freq - c.design_p) / c.design_p for c in self.inclusion if c.design_p > 0),
                   default=0.0)

    def _median(self, attr: str) -> float:
        vals = [getattr(e, attr) for e in self.equality]
        return float(np.median(vals)) if vals else math.nan

    @property
    def median_gini_vs_chance(self) -> float:
        return self._median("gini_vs_chance")

    @property
    def median_cv_vs_chance(self) -> float:
        return self._median("cv_vs_chance")

    @property
    def median_min_max_vs_chance(self) -> float:
        return self._median("min_max_vs_chance")

    @property
    def median_gini(self) -> float:
        return self._median("gini")

    @property
    def median_gini_floor(self) -> float:
        return self._median("gini_floor")


@dataclass(frozen=True)
class FairnessResult:
    """Everything one run measured; the report and the CLI table are rendered from this."""

    seeds: int
    entities: int
    inspectors: int
    data_seed: int
    tasks: int
    quarter: str
    team_size: int
    methods: tuple[MethodResult, ...]
    populations_constant: bool  # every stratum had the same population in every seed
    workers: int
    seconds: float
    stage_seconds: dict[str, float]  # randsup's stages, mean per quarter
    machine: str

    def method(self, key: str) -> MethodResult:
        for m in self.methods:
            if m.key == key:
                return m
        raise KeyError(key)


LABELS = {
    "randsup": "randsup",
    "independent": "randsup, coordination off",
    "wanning": "(a) Wanning: random.sample + round-robin groups",
    "fixed": "(b) optimiser without random costs",
}


def _inclusion(key: str, quarters: Sequence[_Quarter], reference: dict[str, tuple[tuple[int, str, int], ...]],
               directory: Directory, spec: PlanSpec) -> tuple[ClassInclusion, ...]:
    n = len(directory.entities)
    R = len(quarters)
    out = []
    for task in spec.tasks:
        counts = np.zeros(n, dtype=np.int64)
        for q in quarters:
            counts += np.bincount(q.drawn[key].selected[task.task_id], minlength=n)
        # The task's classes: an ungraded object takes the spec's default class (task_risk_classes).
        risk = task_risk_classes(directory.entities, spec, task, counts > 0)
        for h, cls in enumerate(RISK_CLASSES):
            population, expected, _ = reference[task.task_id][h]
            mask = (risk == h) & (counts > 0)
            out.append(inclusion_statistics(task.task_id, cls, counts[mask], population, R,
                                            float(Fraction(expected))))
    return tuple(out)


def equal_classes(directory: Directory, year_end: dt.date) -> dict[tuple[object, ...], list[str]]:
    """Non-expert inspectors an equal chance is owed to, by (department, fields held, caps).

    Left out: anyone with a 回避 conflict, an absence, a 执法证 ending before ``year_end`` or a
    history row (rotation), since those rules treat them apart.
    """
    apart = ({c.inspector_id for c in directory.conflicts} | {u.inspector_id for u in directory.unavailability}
             | {h.inspector_id for h in directory.history})
    out: dict[tuple[object, ...], list[str]] = {}
    for p in sorted(directory.inspectors, key=lambda p: p.inspector_id):
        if p.is_expert or p.inspector_id in apart or p.certificate_valid_until < year_end:
            continue
        key = (p.department_id, tuple(sorted(p.fields)), p.max_visits_per_day, p.max_visits_per_quarter)
        out.setdefault(key, []).append(p.inspector_id)
    return out


def _class_tests(got: dict[str, int], members: Sequence[str]) -> tuple[int, int, float] | None:
    from scipy import stats

    if len(members) < 2:
        return None
    counts = np.array([got.get(p, 0) for p in members], dtype=float)
    mean = float(counts.mean())
    if mean < 5:
        return None
    chi2 = float(((counts - mean) ** 2).sum() / mean)
    return len(members), int(counts.sum()), float(stats.chi2.sf(chi2, len(members) - 1))


def _equality(key: str, quarters: Sequence[_Quarter], directory: Directory,
              year_end: dt.date) -> tuple[DepartmentEquality, ...]:
    target: dict[str, float] = {}
    got: dict[str, int] = {}
    for q in quarters:
        t = q.teams[key]
        if t is None:
            continue
        for p, x in t.target.items():
            target[p] = target.get(p, 0.0) + x
        for _, _, team in t.places:
            for p in team:
                got[p] = got.get(p, 0) + 1
    out = []
    classes = equal_classes(directory, year_end)
    for dept, people in sorted(_staff(directory).items()):
        qualified = [p.inspector_id for p in people if target.get(p.inspector_id, 0.0) > 0]
        if len(qualified) < 2:
            continue
        places = np.array([got.get(p, 0) for p in qualified], dtype=float)
        expect = np.array([target[p] for p in qualified])
        ratios = places / expect
        cv_floor = math.sqrt(float(np.mean(1.0 / expect)))
        out.append(DepartmentEquality(
            department_id=dept, inspectors=len(qualified), places=int(places.sum()),
            min_max=min_max_ratio(places), gini=gini(places), cv=coefficient_of_variation(places),
            min_max_vs_chance=min_max_ratio(ratios), gini_vs_chance=gini(ratios),
            cv_vs_chance=coefficient_of_variation(ratios), cv_floor=cv_floor,
            gini_floor=cv_floor / math.sqrt(math.pi), ratios=tuple(sorted(ratios.tolist())),
            classes=tuple(t for k, m in sorted(classes.items(), key=lambda kv: str(kv[0])) if k[0] == dept
                          for t in [_class_tests(got, [p for p in m if target.get(p, 0.0) > 0])] if t)))
    return tuple(out)


def _predictability(key: str, quarters: Sequence[_Quarter], repeats: Sequence[_Repeats]) -> Predictability:
    partners: dict[str, dict[str, int]] = {}
    chance: dict[str, tuple[float, int]] = {}
    for q in quarters:
        t = q.teams[key]
        if t is None:
            continue
        for _, _, team in t.places:
            for p in team:
                mine = partners.setdefault(p, {})
                for o in team:
                    if o != p:
                        mine[o] = mine.get(o, 0) + 1
        for p, (a, b) in t.partner_chance.items():
            x, y = chance.get(p, (0.0, 0))
            chance[p] = (x + a, y + b)
    # Σ_j c_j(c_j − 1) / (C(C − 1)) estimates Σ_j p_j² without the small-sample upward bias of Σ (c_j/C)².
    weight = same = expected = 0.0
    for p, mine in sorted(partners.items()):
        counts = np.array(sorted(mine.values()), dtype=float)
        c = float(counts.sum())
        if c < 2 or p not in chance:
            continue
        weight += c
        same += c * float(np.sum(counts * (counts - 1)) / (c * (c - 1)))
        a, b = chance[p]
        expected += c * a / b
    return Predictability(
        next_pairs=sum(r.pairs[0] for r in repeats), next_hits=sum(r.hits[0] for r in repeats),
        next_chance=sum(r.chance[0] for r in repeats), later_pairs=sum(r.pairs[1] for r in repeats),
        later_hits=sum(r.hits[1] for r in repeats), later_chance=sum(r.chance[1] for r in repeats),
        partner_same=same / weight if weight else 0.0, partner_chance=expected / weight if weight else 0.0)


def _burden(key: str, quarters: Sequence[_Quarter], n_entities: int) -> Burden:
    visits = sum(q.drawn[key].visits for q in quarters)
    joint = sum(q.drawn[key].joint for q in quarters)
    pairs = sum(q.drawn[key].pairs for q in quarters)
    R = len(quarters)
    years = [quarters[i:i + QUARTERS_PER_YEAR] for i in range(0, R, QUARTERS_PER_YEAR)]
    years = [y for y in years if len(y) == QUARTERS_PER_YEAR]
    hist = np.zeros(4)
    twice = 0.0
    for y in years:
        per = np.bincount(np.concatenate([q.drawn[key].visit_rows for q in y]), minlength=n_entities)
        hist += [np.count_nonzero(per == 1), np.count_nonzero(per == 2), np.count_nonzero(per == 3),
                 np.count_nonzero(per >= 4)]
        twice += np.count_nonzero(per >= 2) / n_entities
    ny = max(1, len(years))
    h = hist / ny
    return Burden(visits / R, 1000.0 * visits / R / n_entities, joint / visits if visits else 0.0,
                  pairs / visits if visits else 0.0, twice / ny,
                  (float(h[0]), float(h[1]), float(h[2]), float(h[3])))


def _teams_totals(key: str, quarters: Sequence[_Quarter]) -> tuple[int, int, int, int, int]:
    ts = [q.teams[key] for q in quarters]
    done = [t for t in ts if t is not None]
    return (sum(t.violations for t in done), sum(t.total_places for t in done), sum(t.over_cap for t in done),
            sum(t is None for t in ts), sum(t.bad_size for t in done))


def machine_description() -> str:
    """The machine a benchmark ran on: platform, CPU model, cores, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.release()} ({platform.machine()}), {cpu}, "
            f"{available_cores()} cores available, Python {platform.python_version()}")


def run_fairness(setting: BenchSetting, *, seeds: int = DEFAULT_SEEDS, workers: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> FairnessResult:
    """The Monte Carlo: plan ``setting``'s quarter under ``seeds`` public seeds with randsup (and with
    coordination off), and with both baselines; measure everything in the module docstring.

    Quarters are grouped into years of four: within a year each quarter's teams are the next
    quarter's history (so rotation and the repeat rate mean something); years are independent
    and run on ``workers`` processes (default: the available cores). The figures do not depend on
    ``workers``. ``progress(done, total)`` is called after each year.
    """
    _require("scipy", "the fairness statistics")
    if seeds < 1:
        raise ValueError("seeds must be at least 1")
    started = time.perf_counter()
    worker = _Worker(setting, coordination_off(setting.spec), seeds)
    n_years = -(-seeds // QUARTERS_PER_YEAR)
    procs = max(1, min(available_cores() if workers is None else workers, n_years))
    years: list[tuple[list[_Quarter], dict[str, _Repeats]]] = []
    if procs == 1:
        _init_worker(worker)
        for y in range(n_years):
            years.append(_run_year(y))
            if progress:
                progress(len(years), n_years)
    else:
        with ProcessPoolExecutor(max_workers=procs, mp_context=pool_context(), initializer=_init_worker,
                                 initargs=(worker,)) as pool:
            for got in pool.map(_run_year, range(n_years)):
                years.append(got)
                if progress:
                    progress(len(years), n_years)
    quarters = [q for y, _ in years for q in y]

    d, spec = setting.directory, setting.spec
    reference = quarters[0].drawn["randsup"].sizes
    constant = all(tuple(p for p, _, _ in q.drawn[k].sizes[t]) == tuple(p for p, _, _ in reference[t])
                   and tuple(e for _, e, _ in q.drawn[k].sizes[t]) == tuple(e for _, e, _ in reference[t])
                   for q in quarters for k in ("randsup", "independent") for t in reference)
    methods = []
    for key in ("randsup", "independent", "wanning", "fixed"):
        inclusion = () if key == "fixed" else _inclusion(key, quarters, reference, d, spec)
        equality: tuple[DepartmentEquality, ...] = ()
        pred = None
        viol = places = over = infeasible = bad_size = 0
        if key != "independent":
            equality = _equality(key, quarters, d, quarter_bounds(spec.quarter)[1])  # every run plans this quarter
            pred = _predictability(key, quarters, [r[key] for _, r in years])
            viol, places, over, infeasible, bad_size = _teams_totals(key, quarters)
        burden = None if key == "fixed" else _burden(key, quarters, len(d.entities))
        methods.append(MethodResult(key, LABELS[key], inclusion, equality, pred, burden, viol, places, over,
                                    infeasible, bad_size))
    stages = {k: sum(q.seconds.get(k, 0.0) for q in quarters) / len(quarters)
              for k in ("draw", "visits", "dates", "teams")}
    return FairnessResult(seeds=seeds, entities=setting.entities, inspectors=setting.inspectors,
                          data_seed=setting.data_seed, tasks=len(spec.tasks), quarter=spec.quarter,
                          team_size=spec.team_size, methods=tuple(methods), populations_constant=constant,
                          workers=procs, seconds=time.perf_counter() - started, stage_seconds=stages,
                          machine=machine_description())


def _require(module: str, purpose: str) -> None:
    """Fail with a clear message when an optional dependency of the benchmark is missing."""
    if importlib.util.find_spec(module) is None:
        raise RandsupError(f"{purpose} need the Python package {module!r}, which is not installed; "
                           "install the benchmark extra: pip install 'randsup[bench]'")


# ---------------------------------------------------------------------------------------
# Rendering: one table of randsup against both baselines, the same strings in the CLI and
# in report.md, so the report's numbers are the run's numbers.


def _f(x: float, digits: int = 3) -> str:
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞"
    return f"{x:.{digits}f}"


def _pct(x: float, digits: int = 1) -> str:
    return "n/a" if math.isnan(x) else f"{100 * x:.{digits}f} %"


def _p(x: float) -> str:
    if math.isnan(x):
        return "n/a"
    return f"{x:.3g}" if x >= 1e-3 else f"{x:.1e}"


SAME_DRAW = "same draw as randsup"
NO_TEAMS = "no teams (draw only)"


SHORT_LABELS = {"randsup": "randsup", "independent": "coordination off", "wanning": "(a) Wanning",
                "fixed": "(b) fixed costs"}


def summary_rows(result: FairnessResult, *, short: bool = False) -> tuple[list[str], list[list[str]]]:
    """The headline table: a header and rows of (measure, randsup, coordination off, (a), (b)).

    ``short`` gives the columns short names, for a terminal."""
    keys = ("randsup", "independent", "wanning", "fixed")
    ms = [result.method(k) for k in keys]
    header = ["measure"] + [SHORT_LABELS[m.key] if short else m.label for m in ms]

    def incl(f: Callable[[MethodResult], str]) -> list[str]:
        return [SAME_DRAW if m.key == "fixed" else f(m) for m in ms]

    def team(f: Callable[[MethodResult], str]) -> list[str]:
        return [NO_TEAMS if m.key == "independent" else f(m) for m in ms]

    def burden(f: Callable[[Burden], str]) -> list[str]:
        return ["same visits as randsup" if m.burden is None else f(m.burden) for m in ms]

    def pred(f: Callable[[Predictability], str]) -> list[str]:
        return team(lambda m: f(m.predictability) if m.predictability else "n/a")

    rows = [
        ["inclusion: strata with |pooled z| > 4", *incl(lambda m: f"{m.classes_over_4} of {len(m.inclusion)}")],
        ["inclusion: largest |pooled z|", *incl(lambda m: _f(m.worst_pooled_z, 2))],
        ["inclusion: largest |relative error| of a stratum's mean (noise included)", *incl(lambda m: _pct(m.worst_relative_bias))],
        ["inclusion: largest per-entity |frequency − π|", *incl(lambda m: _f(m.worst_abs_error))],
        ["inclusion: smallest chi-square p (Bonferroni ×n)",
         *incl(lambda m: f"{_p(m.min_chi2_p)} (×{m.chi2_tests} = {_p(min(1.0, m.min_chi2_p * m.chi2_tests))})")],
        ["inspectors: Gini of places vs equal chance (median dept)",
         *team(lambda m: f"{_f(m.median_gini_vs_chance)} (noise ≈ {_f(m.median_gini_floor)})")],
        ["inspectors: CV of places vs equal chance (median dept)", *team(lambda m: _f(m.median_cv_vs_chance))],
        ["inspectors: min/max of places vs equal chance (median dept)",
         *team(lambda m: _f(m.median_min_max_vs_chance))],
        ["inspectors: Gini of raw places (median dept)", *team(lambda m: _f(m.median_gini))],
        ["rules: team places breaking a rule (field, 回避, rotation, …)",
         *team(lambda m: f"{m.violations} of {m.places} ({_pct(m.violations / m.places if m.places else 0.0, 2)})")],
        ["rules: places over a quarterly cap", *team(lambda m: str(m.over_cap))],
        ["rules: quarters without feasible teams", *team(lambda m: f"{m.infeasible} of {result.seeds}")],
        ["rules: visits whose team is not of team size", *team(lambda m: str(m.bad_size))],
        ["predictability: entity meets an inspector of last quarter again (chance: without rotation)",
         *pred(lambda p: f"{_pct(p.next_rate)} of {p.next_pairs} (chance {_pct(p.next_chance_rate)})")],
        ["predictability: … of two or three quarters before",
         *pred(lambda p: f"{_pct(p.later_rate)} of {p.later_pairs} (chance {_pct(p.later_chance_rate)})")],
        ["predictability: two visits of an inspector have the same partner",
         *pred(lambda p: f"{_pct(p.partner_same)} (chance ≈ {_pct(p.partner_chance)})")],
        ["burden: visits per 1,000 entities per quarter", *burden(lambda b: _f(b.visits_per_1000, 2))],
        ["burden: share of visits that are joint (部门联合)", *burden(lambda b: _pct(b.joint_share))],
        ["burden: checks (task draws) per visit", *burden(lambda b: _f(b.checks_per_visit, 2))],
        ["burden: entities visited ≥ 2 times in a year", *burden(lambda b: _pct(b.twice_a_year, 2))],
    ]
    return header, rows


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(x: str) -> str:
        return x.replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def inclusion_rows(m: MethodResult) -> tuple[list[str], list[list[str]]]:
    header = ["task", "class", "N", "design π", "mean frequency", "pooled z", "max |freq − π|",
              "max entity z (Šidák p)", "chi-square (df, p)"]
    rows = [[c.task_id, c.risk_class, str(c.population), _f(c.design_p, 5), _f(c.mean_freq, 5), _f(c.pooled_z, 2),
             _f(c.max_abs_error), f"{_f(c.max_entity_z, 2)} ({_p(c.max_entity_p)})",
             f"{_f(c.chi2, 1)} ({c.chi2_df}, {_p(c.chi2_p)})" if c.chi2_df else "n/a"]
            for c in m.inclusion if c.population]
    return header, rows


def equality_rows(result: FairnessResult) -> tuple[list[str], list[list[str]]]:
    keys = ("randsup", "wanning", "fixed")
    header = ["department", "qualified inspectors", "noise floor (Gini)"] + [
        f"{result.method(k).label}: Gini vs chance (min/max)" for k in keys] + [
        "randsup: classes of equals (smallest p)"]
    by = {k: {e.department_id: e for e in result.method(k).equality} for k in keys}
    rows = []
    for dept in sorted(by["randsup"]):
        r = by["randsup"][dept]
        cells = [dept, str(r.inspectors), _f(r.gini_floor)]
        for k in keys:
            e = by[k].get(dept)
            cells.append("n/a" if e is None else f"{_f(e.gini_vs_chance)} ({_f(e.min_max_vs_chance, 2)})")
        cells.append(f"{len(r.classes)} ({_p(min(c[2] for c in r.classes))})" if r.classes else "–")
        rows.append(cells)
    return header, rows


def render_markdown(result: FairnessResult, plots: Sequence[str] = ()) -> str:
    """report.md of one run; every number is formatted from ``result``."""
    rs = result.method("randsup")
    header, rows = summary_rows(result)
    verdict = ("reproduces the design probabilities: no stratum has |pooled z| > 4"
               if rs.classes_over_4 == 0 else
               f"**does not reproduce the design** in {rs.classes_over_4} strata (|pooled z| > 4)")
    lines = [
        "# randsup fairness benchmark",
        "",
        f"Monte Carlo over **{result.seeds} public seeds** (quarters) of the demo district: "
        f"{result.entities:,} entities, {result.inspectors:,} inspectors (data seed {result.data_seed}), "
        f"the demo plan for {result.quarter} with {result.tasks} tasks, team size {result.team_size}. "
        f"randsup {verdict}.",
        "",
        f"Machine: {result.machine}. Run time {result.seconds:.1f} s on {result.workers} worker process(es); "
        "randsup's stages per quarter: " + ", ".join(f"{k} {v:.3f} s" for k, v in result.stage_seconds.items())
        + ".",
        "",
        "## randsup against the baselines",
        "",
        _md_table(header, rows),
        "",
        "How to read it:",
        "",
        "- **pooled z**: (mean inclusion frequency of a stratum − design π) / its standard error under the "
        "design. Sample sizes come from systematic rounding of N·ratio, so the standard error is "
        "√(frac(x)(1 − frac(x))/R)/N; a fixed-size sample that misses the design is a bias (∞).",
        "- **chi-square**: the histogram of each entity's inclusion count against Binomial(R, π), tails merged "
        "to ≥ 5 expected entities; with many strata the smallest p is compared after Bonferroni.",
        "- **vs equal chance**: an inspector's team places over the places it would get if every inspector "
        "eligible for a place (field, 执法证, 回避, availability, rotation) had the same chance. The noise floor is "
        "what Monte Carlo noise alone gives.",
        "- **(a) Wanning** draws ⌊N × ratio⌋ (at least 1) per class with `random.sample` and sends the j-th visit "
        "of a task to the fixed group j mod groupCount of the department's inspectors; visits are not merged.",
        "- **(b)** uses randsup's draw, dates, rules and min-cost flow, with the cost of a pair set to the "
        "inspector's rank by id instead of a random ticket.",
        "- **predictability**: for an entity visited by a department in two quarters of a year, whether an "
        "inspector came both times; *chance* adds up, over the inspectors eligible both times, the product "
        "of their equal-chance probabilities (for consecutive quarters that is without rotation, which "
        "forbids it). *Same partner*: the chance that two visits of an inspector have the same partner "
        "(Σ c(c − 1) / (C(C − 1)) over partner counts c, unbiased), against the mean of 1/(eligible − 1).",
        "- Quarters run in years of four; each quarter's teams are the next quarter's history (rotation). "
        "History is dated before the year, so the annual cap does not change the strata between quarters"
        + ("." if result.populations_constant else " — **but some strata changed between quarters**."),
        "",
        "## Entity inclusion per task and risk class (randsup)",
        "",
        _md_table(*inclusion_rows(rs)),
        "",
        "## Entity inclusion, coordination off (every task independent)",
        "",
        _md_table(*inclusion_rows(result.method("independent"))),
        "",
        "## Entity inclusion, baseline (a) Wanning",
        "",
        _md_table(*inclusion_rows(result.method("wanning"))),
        "",
        "## Inspector equality per department",
        "",
        _md_table(*equality_rows(result)),
        "",
    ]
    if plots:
        lines += ["## Plots", ""]
        titles = {
            "inclusion.png": "Inclusion frequency against design probability, per task and risk class",
            "inspectors.png": "Inspector places against equal chance",
            "burden.png": "Visits per entity in a year, coordination on and off",
        }
        for name in plots:
            lines += [f"![{titles.get(name, name)}]({name})", ""]
    return "\n".join(lines)


REPORT_FILES = ("report.md", "inclusion.png", "inspectors.png", "burden.png")


def _png(fig: object) -> bytes:
    buf = io.BytesIO()
    # No timestamp or software tag in the file: the same run gives the same bytes.
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})  # type: ignore[attr-defined]
    return buf.getvalue()


def render_plots(result: FairnessResult) -> dict[str, bytes]:
    """The report's PNG plots (matplotlib, Agg backend), by file name.

    Raises:
        RandsupError: matplotlib is not installed.
    """
    _require("matplotlib", "the fairness report's plots")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    colours = {"randsup": "#1f77b4", "independent": "#2ca02c", "wanning": "#d62728", "fixed": "#9467bd"}
    out: dict[str, bytes] = {}

    # 1. Inclusion frequency against design, per stratum.
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.6))
    lo, hi = 1.0, 0.0
    for key, marker in (("randsup", "o"), ("independent", "s"), ("wanning", "^")):
        cs = [c for c in result.method(key).inclusion if c.population and c.design_p > 0]
        x = np.array([c.design_p for c in cs])
        y = np.array([c.mean_freq for c in cs])
        lo, hi = min(lo, float(x.min()), float(y[y > 0].min(initial=1.0))), max(hi, float(x.max()), float(y.max()))
        ax1.scatter(x, np.maximum(y, 1e-5), s=18, marker=marker, alpha=0.7, color=colours[key],
                    label=result.method(key).label)
    ax1.plot([lo, hi], [lo, hi], color="grey", lw=1, ls="--", label="design")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("design inclusion probability π")
    ax1.set_ylabel(f"mean inclusion frequency over {result.seeds} seeds")
    ax1.set_title("Inclusion per task × risk class")
    ax1.legend(fontsize=7, loc="upper left")
    for key, marker in (("randsup", "o"), ("independent", "s")):
        cs = [c for c in result.method(key).inclusion if c.population and c.design_p > 0]
        z = [c.pooled_z if math.isfinite(c.pooled_z) else 0.0 for c in cs]
        ax2.scatter([c.design_p for c in cs], z, s=18, marker=marker, alpha=0.7, color=colours[key],
                    label=result.method(key).label)
    for v in (-4, 4):
        ax2.axhline(v, color="grey", lw=1, ls="--")
    ax2.set_xscale("log")
    ax2.set_ylim(-6, 6)
    ax2.set_xlabel("design inclusion probability π")
    ax2.set_ylabel("pooled z of the stratum")
    ax2.set_title("Deviation from the design, in standard errors")
    ax2.legend(fontsize=7)
    out["inclusion.png"] = _png(fig)
    plt.close(fig)

    # 2. Inspector places against equal chance.
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.6))
    bins = np.linspace(0, 4, 41)
    for key in ("randsup", "wanning", "fixed"):
        ratios = [x for e in result.method(key).equality for x in e.ratios]
        ax1.hist(np.clip(ratios, 0, 4), bins=bins, histtype="step", lw=1.6, color=colours[key],
                 label=result.method(key).label)
    ax1.axvline(1.0, color="grey", lw=1, ls="--")
    ax1.set_xlabel("inspector's places / places expected at equal chance (clipped at 4)")
    ax1.set_ylabel("inspectors")
    ax1.set_title("Inspector selection against equal chance")
    ax1.legend(fontsize=7)
    for key in ("randsup", "wanning", "fixed"):
        es = result.method(key).equality
        ax2.scatter([e.inspectors for e in es], [e.gini_vs_chance for e in es], s=18, alpha=0.7,
                    color=colours[key], label=result.method(key).label)
    rs = result.method("randsup").equality
    ax2.scatter([e.inspectors for e in rs], [e.gini_floor for e in rs], s=10, marker="_", color="black",
                label="Monte Carlo noise floor")
    ax2.set_xlabel("qualified inspectors in the department")
    ax2.set_ylabel("Gini of places vs equal chance")
    ax2.set_title("Per department")
    ax2.legend(fontsize=7)
    out["inspectors.png"] = _png(fig)
    plt.close(fig)

    # 3. Burden: visits per entity per year, coordination on and off, and the no-merge baseline.
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.6))
    keys = ("randsup", "independent", "wanning")
    width = 0.26
    for i, key in enumerate(keys):
        b = result.method(key).burden
        assert b is not None
        ax1.bar(np.arange(4) + (i - 1) * width, b.per_year, width=width, color=colours[key],
                label=result.method(key).label)
    ax1.set_xticks(np.arange(4), ["1", "2", "3", "≥ 4"])
    ax1.set_yscale("log")
    ax1.set_xlabel("visits to one entity in a year (4 quarters)")
    ax1.set_ylabel("entities per year (mean)")
    ax1.set_title("Visits per entity")
    ax1.legend(fontsize=7)
    per_1000 = [result.method(k).burden.visits_per_1000 for k in keys]  # type: ignore[union-attr]
    joint = [result.method(k).burden.joint_share for k in keys]  # type: ignore[union-attr]
    xs = np.arange(len(keys))
    ax2.bar(xs, per_1000, color=[colours[k] for k in keys])
    for x, v, j in zip(xs, per_1000, joint, strict=True):
        ax2.annotate(f"{v:.2f}\n{100 * j:.0f} % joint", (x, v), ha="center", va="bottom", fontsize=8)
    ax2.set_xticks(xs, ["together", "independent", "Wanning"])
    ax2.set_ylabel("visits per 1,000 entities per quarter")
    ax2.set_ylim(0, max(per_1000) * 1.25)
    ax2.set_title("Doors knocked on per quarter")
    out["burden.png"] = _png(fig)
    plt.close(fig)
    return out


def write_report(result: FairnessResult, folder: str | Path) -> Path:
    """Write report.md and its PNG plots into ``folder`` (created, or replaced if it holds only
    an earlier report), all at once. Returns the path of report.md.

    Raises:
        RandsupError: matplotlib is not installed.
        OutputError: ``folder`` exists and holds files other than an earlier report.
    """
    target = Path(folder)
    if target.exists():
        if not target.is_dir():
            raise OutputError(f"{target} is a file; give a folder for the fairness report")
        strangers = sorted(p.name for p in target.iterdir() if p.name not in REPORT_FILES)
        if strangers:
            raise OutputError(f"{target} holds other files ({', '.join(strangers[:5])}); give a new or "
                              "empty folder, or one with an earlier fairness report only")
    plots = render_plots(result)
    markdown = render_markdown(result, plots=sorted(plots))
    with atomic_directory(target, overwrite=True) as tmp:
        for name, data in sorted(plots.items()):
            write_atomic(tmp / name, data)
        write_atomic(tmp / "report.md", markdown)
    return target / "report.md"
