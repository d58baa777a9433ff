"""第二随机: inspector teams for dated visits, one min-cost flow per department.

Design notes: docs/assign.md (section randsup/assign/teams.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow
from ortools.sat.python import cp_model

from ..draw.tickets import KEY_DIGITS, KEY_SCALE, ticket_keys, tickets
from ..errors import InfeasibleError
from ..model import Assignment, Directory, Inspector, Visit
from ..spec import PlanSpec
from .workdays import quarter_bounds

# build_rules, demands_by_department and eligible_pool are public so that recusal (recuse.py) and the
# fairness baselines judge a team by exactly the rules assign_teams applies.
__all__ = [
    "Demand",
    "INSPECTORS_DOMAIN",
    "Pool",
    "RULES",
    "Rules",
    "SubSeeded",
    "assign_teams",
    "build_rules",
    "demands_by_department",
    "eligible_pool",
    "pair_ticket_id",
]

INSPECTORS_DOMAIN = "inspectors"  # sub-seed domain of 第二随机
COST_DIGITS = 12  # 8·10^12 · (nodes + 1) stays below OR-Tools' int64 cost-scaling limit to ~10^6 nodes
TIE_ROOM = 8  # cost = 12-digit prefix × 8 + rank among equal prefixes at one node
SLACK = 8  # spare lowest-ticket pairs per node in the shortlist
BF_PASSES = 500  # Bellman–Ford passes for the shortlist's certificate (about ten suffice in practice)
SHORTLIST_ROUNDS = 5  # rounds of adding pruned pairs that might improve, before solving all pairs
DAY_CODE = 10_000_000  # inspector-day code = inspector column × DAY_CODE + date ordinal
HASH_BLOCK = 1 << 21  # pairs hashed per ticket_keys call: bounds the memory of the id strings
SHOW = 20  # visits or caps listed in an explanation before "and N more"
CPSAT_WORK_LIMIT = 60.0  # CP-SAT deterministic time (≈ seconds); a status other than OPTIMAL is recorded

# The personal rules, in the order an explanation lists them.
RULES: tuple[str, ...] = ("field", "certificate", "conflict", "unavailable", "rotation")
_RULE_TEXT = {
    "field": "lacking a required field (执法领域)",
    "certificate": "with a 执法证 expired by the date",
    "conflict": "recused (回避) from the entity",
    "unavailable": "unavailable that day",
    "rotation": "on the entity's last visit by the department (rotation)",
}


class SubSeeded(Protocol):
    """What teams need of a seed: a hex sub-seed per domain (randsup.seed.PublicSeed has it)."""

    def sub_seed(self, domain: str) -> str: ...


def pair_ticket_id(visit_id: str, department_id: str, inspector_id: str) -> str:
    """The id whose consistent-sampler ticket ranks this inspector for this visit and department."""
    return str((visit_id, department_id, inspector_id))


# ---------------------------------------------------------------------------------------
# Lookup tables built once from the directory.


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


def demands_by_department(visits: Sequence[Visit], directory: Directory) -> dict[str, list[Demand]]:
    """(visit, department) nodes grouped by department, each list in visit_id order."""
    by_dept: dict[str, list[Demand]] = defaultdict(list)
    seen: set[str] = set()
    for k, v in enumerate(visits):
        if v.date is None:
            raise ValueError(f"visit {v.visit_id} has no date; assign dates before inspector teams")
        if v.visit_id in seen:
            raise ValueError(f"visit id {v.visit_id} occurs twice; visit ids must be unique")
        seen.add(v.visit_id)
        items = []
        for c in v.check_items:
            ci = directory.check_item_by_id.get(c)
            if ci is None:
                raise ValueError(f"visit {v.visit_id}: check item {c!r} is not in the directory")
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


# ---------------------------------------------------------------------------------------
# Eligibility: which inspector may go on which (visit, department).


@dataclass
class Pool:
    """The demand nodes of one department and the inspectors who may fill them."""

    department: str
    demands: list[Demand]
    inspectors: list[Inspector]  # sorted by inspector_id
    need: np.ndarray  # int64 per demand: team_size, or 1 for the optional expert
    optional: bool  # experts: serve as many as possible, never required
    fails: dict[str, np.ndarray]  # rule → bool [demand, inspector], True where the rule excludes
    eligible: np.ndarray = field(init=False)  # bool [demand, inspector]

    def __post_init__(self) -> None:
        shape = (len(self.demands), len(self.inspectors))
        ok = np.ones(shape, dtype=bool)
        for rule in RULES:
            ok &= ~self.fails[rule]
        self.eligible = ok


def eligible_pool(department: str, demands: list[Demand], inspectors: list[Inspector], rules: Rules,
          need: int, optional: bool) -> Pool:
    n, m = len(demands), len(inspectors)
    col = {p.inspector_id: j for j, p in enumerate(inspectors)}
    fails = {r: np.zeros((n, m), dtype=bool) for r in RULES}

    # Qualification: one inspector mask per distinct set of required fields.
    held = [frozenset(p.fields) for p in inspectors]
    by_fields: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, d in enumerate(demands):
        by_fields[d.fields].append(i)
    for req, rows in by_fields.items():
        lacking = np.array([not set(req) <= h for h in held], dtype=bool)
        fails["field"][np.asarray(rows)] = lacking

    day = np.array([d.date.toordinal() for d in demands], dtype=np.int64)
    valid_until = np.array([p.certificate_valid_until.toordinal() for p in inspectors], dtype=np.int64)
    fails["certificate"] = valid_until[None, :] < day[:, None]

    for j, p in enumerate(inspectors):
        for start, end in rules.unavailable.get(p.inspector_id, ()):
            fails["unavailable"][:, j] |= (day >= start.toordinal()) & (day <= end.toordinal())

    for i, d in enumerate(demands):
        for pid in rules.conflicts.get(d.entity_id, ()):
            if pid in col:
                fails["conflict"][i, col[pid]] = True
        for pid in rules.previous_team(d.entity_id, department, d.date):
            if pid in col:
                fails["rotation"][i, col[pid]] = True
    return Pool(department, demands, inspectors, np.full(n, need, dtype=np.int64), optional, fails)


def _rotation_pairs(demands: list[Demand]) -> list[tuple[int, int]]:
    """Consecutive visits of this plan to one entity by one department (rows of the pool)."""
    by_entity: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(demands):
        by_entity[d.entity_id].append(i)
    pairs: list[tuple[int, int]] = []
    for entity in sorted(by_entity):
        rows = sorted(by_entity[entity], key=lambda i: (demands[i].date, demands[i].visit_id))
        pairs += list(zip(rows, rows[1:], strict=False))
    return pairs


# ---------------------------------------------------------------------------------------
# Random costs from tickets.


@dataclass(frozen=True)
class _Arcs:
    """The eligible (demand row, inspector column) pairs of a pool, row-major, with ticket keys."""

    rows: np.ndarray  # int64
    cols: np.ndarray  # int64
    keys: np.ndarray  # uint64: the first 19 digits of each pair's ticket

    def take(self, index: np.ndarray) -> _Arcs:
        return _Arcs(self.rows[index], self.cols[index], self.keys[index])


def _pair_ids(pool: Pool, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """UTF-8 pair_ticket_id of each pair, built without a Python call per pair."""
    # repr(tuple) = "(" + repr(a) + ", " + repr(b) + ", " + repr(c) + ")"; numpy joins bytes fast.
    head = np.array([f"({d.visit_id!r}, {pool.department!r}, ".encode() for d in pool.demands] or [b""])
    tail = np.array([f"{p.inspector_id!r})".encode() for p in pool.inspectors] or [b""])
    return np.char.add(head[rows], tail[cols]) if rows.size else np.zeros(0, dtype="S1")


def _ticketed(seed_string: str, pool: Pool) -> _Arcs:
    """Every eligible pair of the pool and its ticket key, hashed in blocks to bound memory."""
    rows, cols = np.nonzero(pool.eligible)  # row-major: visit_id order, then inspector_id order
    rows, cols = rows.astype(np.int64), cols.astype(np.int64)
    keys = np.empty(rows.shape[0], dtype=np.uint64)
    for lo in range(0, rows.shape[0], HASH_BLOCK):
        hi = lo + HASH_BLOCK
        keys[lo:hi] = ticket_keys(seed_string, _pair_ids(pool, rows[lo:hi], cols[lo:hi]))
    return _Arcs(rows, cols, keys)


def _costs(seed_string: str, pool: Pool, arcs: _Arcs) -> np.ndarray:
    """Each pair's cost: its ticket's first 12 digits × 8 + its rank among equal prefixes at its node.

    The cost depends only on the pair and the lower-ticket pairs of its own (visit, department)
    node, so it is the same whether computed for a node's shortlist or for all its pairs; within
    a node costs are distinct and in ticket order (equal 19-digit keys are ordered by the full
    ticket, then the id, as consistent_sampler orders them).
    """
    n = arcs.rows.shape[0]
    order = np.lexsort((arcs.keys, arcs.rows))
    rows, keys = arcs.rows[order], arcs.keys[order]
    prefix = (keys // np.uint64(10 ** (KEY_DIGITS - COST_DIGITS))).astype(np.int64)
    same_key = np.flatnonzero((rows[1:] == rows[:-1]) & (keys[1:] == keys[:-1]))
    for i in same_key.tolist():  # astronomically rare: two tickets agree on 19 digits
        run = np.flatnonzero((rows == rows[i]) & (keys == keys[i]))
        group = order[run]
        ids = [b.decode() for b in _pair_ids(pool, arcs.rows[group], arcs.cols[group]).tolist()]
        full = tickets(seed_string, ids)
        order[run] = group[sorted(range(len(ids)), key=lambda j: (full[j], ids[j]))]
    starts = np.ones(n, dtype=bool)
    starts[1:] = (rows[1:] != rows[:-1]) | (prefix[1:] != prefix[:-1])
    k = np.arange(n, dtype=np.int64)
    rank = k - np.maximum.accumulate(np.where(starts, k, 0)) if n else k
    if n and int(rank.max()) >= TIE_ROOM:
        raise RuntimeError(f"{TIE_ROOM} tickets of one visit share their first {COST_DIGITS} digits")
    costs = np.empty(n, dtype=np.int64)
    costs[order] = prefix * TIE_ROOM + rank
    return costs


def _shortlist(pool: Pool, arcs: _Arcs) -> np.ndarray:
    """Per node, the pairs whose key lies below a threshold that keeps about SLACK spare pairs.

    Bool over the pool's arcs. A node the threshold leaves short of its team keeps all its pairs.
    """
    n_nodes = len(pool.demands)
    eligible = np.bincount(arcs.rows, minlength=n_nodes).astype(np.int64)
    want = pool.need + SLACK
    want = want + 3 * np.ceil(np.sqrt(want)).astype(np.int64) + 3  # a few standard deviations more
    scale = np.uint64(KEY_SCALE)
    per_pair = scale // np.maximum(eligible, 1).astype(np.uint64)
    theta = np.where(eligible <= want, scale, per_pair * want.astype(np.uint64))
    keep = arcs.keys < theta[arcs.rows]
    short = np.bincount(arcs.rows[keep], minlength=n_nodes) < pool.need
    if short.any():
        keep |= short[arcs.rows]
    return keep


def _potentials(net: _Network, flows: np.ndarray) -> np.ndarray | None:
    """Node potentials that prove a flow optimal: shortest distances in its residual graph.

    Bellman–Ford, one vectorised pass over the residual arcs at a time, from a virtual root
    joined to every node at cost 0. At an optimum the residual graph has no negative cycle, and
    every residual arc's reduced cost ``cost + p[tail] − p[head]`` is ≥ 0. None if it does not
    settle within BF_PASSES passes (the caller then solves all pairs).
    """
    fwd, bwd = flows < net.caps, flows > 0
    tails = np.concatenate([net.tails[fwd], net.heads[bwd]])
    heads = np.concatenate([net.heads[fwd], net.tails[bwd]])
    costs = np.concatenate([net.costs[fwd], -net.costs[bwd]])
    dist = np.zeros(net.n_nodes, dtype=np.int64)
    if heads.size == 0:
        return dist
    order = np.argsort(heads, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    targets, starts = np.unique(heads, return_index=True)
    for _ in range(BF_PASSES):
        best = np.minimum(dist[targets], np.minimum.reduceat(dist[tails] + costs, starts))
        if np.array_equal(best, dist[targets]):
            return dist
        dist[targets] = best
    return None


def _pruned_improving(pool: Pool, arcs: _Arcs, keep: np.ndarray, net: _Network,
                      dist: np.ndarray) -> np.ndarray:
    """Pruned pairs whose reduced cost could be negative under the shortlist's potentials.

    A pruned pair (inspector-day u → node v) costs at least its 12-digit prefix × 8 (its rank
    among equal prefixes only adds). An inspector-day missing from the shortlist network would
    enter with zero flow below its cap, where the inspector's own potential is valid for it.
    If no pruned pair can have a negative reduced cost, the potentials certify the shortlist's
    optimum as optimal over all pairs (linear-programming duality for min-cost flow).
    """
    day = np.array([d.date.toordinal() for d in pool.demands], dtype=np.int64)
    unit = np.uint64(10 ** (KEY_DIGITS - COST_DIGITS))
    last = max(net.day_code.shape[0] - 1, 0)
    found = []
    pruned = np.flatnonzero(~keep)
    for lo in range(0, pruned.shape[0], HASH_BLOCK):  # in blocks: bounded temporaries
        out = pruned[lo:lo + HASH_BLOCK]
        rows, cols = arcs.rows[out], arcs.cols[out]
        code = cols * DAY_CODE + day[rows]
        pos = np.minimum(np.searchsorted(net.day_code, code), last)
        exists = net.day_code[pos] == code if net.day_code.size else np.zeros(code.shape[0], dtype=bool)
        p_from = np.where(exists, dist[net.day_node0 + pos], dist[net.inspector_node0 + cols])
        floor = (arcs.keys[out] // unit).astype(np.int64) * TIE_ROOM
        found.append(out[floor + p_from - dist[net.demand_node0 + rows] < 0])
    return np.concatenate(found) if found else pruned


# ---------------------------------------------------------------------------------------
# The network of one department.


@dataclass(frozen=True)
class _Network:
    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    costs: np.ndarray
    source: int
    sink: int
    inspector_node0: int
    day_keys: list[tuple[int, int]]  # inspector-day node k ↔ (inspector column, date ordinal)
    day_code: np.ndarray  # sorted int64: column × DAY_CODE + date ordinal of each inspector-day node
    day_node0: int
    demand_node0: int
    pair_arc0: int  # pair arc k is arc pair_arc0 + k, in the order of rows/cols
    n_pairs: int
    total_demand: int
    n_nodes: int


def _network(pool: Pool, rules: Rules, rows: np.ndarray, cols: np.ndarray, costs: np.ndarray) -> _Network:
    """source → inspector (quarter cap) → inspector-day (daily cap) → (visit, dept) → sink."""
    m = len(pool.inspectors)
    day = np.array([d.date.toordinal() for d in pool.demands], dtype=np.int64)
    pair_day = day[rows]
    # Inspector-day nodes only where a pair needs one, numbered in (inspector, date) order.
    key = cols.astype(np.int64) * DAY_CODE + pair_day
    uniq, pair_day_node = np.unique(key, return_inverse=True)
    day_insp, day_ord = uniq // DAY_CODE, uniq % DAY_CODE
    day_keys = list(zip(day_insp.tolist(), day_ord.tolist(), strict=True))
    source, sink, insp0 = 0, 1, 2
    day0 = insp0 + m
    dem0 = day0 + len(day_keys)

    used_q = np.array([rules.used_quarter.get(p.inspector_id, 0) for p in pool.inspectors], dtype=np.int64)
    quarter_caps = np.maximum(0, np.array([p.max_visits_per_quarter for p in pool.inspectors],
                                          dtype=np.int64).reshape(-1) - used_q)
    per_day = np.array([p.max_visits_per_day for p in pool.inspectors], dtype=np.int64).reshape(-1)
    day_caps = per_day[day_insp] if day_keys else np.zeros(0, dtype=np.int64)
    if rules.used_day:  # history inside the quarter takes its share of the day
        ids = [p.inspector_id for p in pool.inspectors]
        used = [rules.used_day.get((ids[j], dt.date.fromordinal(o)), 0) for j, o in day_keys]
        day_caps = np.maximum(0, day_caps - np.array(used, dtype=np.int64))
    n_dem = len(pool.demands)
    tails = np.concatenate([np.full(m, source), insp0 + day_insp, day0 + pair_day_node.reshape(-1),
                            dem0 + np.arange(n_dem)]).astype(np.int32)
    heads = np.concatenate([insp0 + np.arange(m), day0 + np.arange(len(day_keys)), dem0 + rows,
                            np.full(n_dem, sink)]).astype(np.int32)
    caps = np.concatenate([quarter_caps, day_caps, np.ones(rows.shape[0], dtype=np.int64), pool.need])
    arc_costs = np.concatenate([np.zeros(m + len(day_keys), dtype=np.int64), costs,
                                np.zeros(n_dem, dtype=np.int64)])
    return _Network(tails, heads, caps, arc_costs, source, sink, insp0, day_keys, uniq.astype(np.int64), day0,
                    dem0, m + len(day_keys), int(rows.shape[0]), int(pool.need.sum()), dem0 + n_dem)


def _solve_flow(net: _Network, optional: bool) -> tuple[np.ndarray | None, str]:
    """The flow on every arc and a status; None when required demand cannot be met."""
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.caps, net.costs)
    flow.set_node_supply(net.source, net.total_demand)
    flow.set_node_supply(net.sink, -net.total_demand)
    status = flow.solve_max_flow_with_min_cost() if optional else flow.solve()
    if status == min_cost_flow.SimpleMinCostFlow.INFEASIBLE and not optional:
        return None, "INFEASIBLE"
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status.name}; please report this as a bug")
    return flow.flows(np.arange(net.tails.shape[0], dtype=np.int32)), "OPTIMAL"


# ---------------------------------------------------------------------------------------
# CP-SAT for a department whose flow broke rotation between two visits of this plan.


def _add_team_size(model: cp_model.CpModel, x: list[cp_model.IntVar], rows: np.ndarray, pool: Pool) -> None:
    """Each (visit, department) gets exactly its team (experts: at most one)."""
    per_row: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for k, r in enumerate(rows.tolist()):
        per_row[r].append(x[k])
    for r in range(len(pool.demands)):
        if pool.optional:
            model.add(sum(per_row[r]) <= int(pool.need[r]))
        else:
            model.add(sum(per_row[r]) == int(pool.need[r]))


def _add_workload_caps(model: cp_model.CpModel, x: list[cp_model.IntVar], net: _Network) -> None:
    """Each inspector within the daily cap on each day and the quarterly cap overall."""
    m = net.day_node0 - net.inspector_node0  # caps[:m] are quarter caps, caps[m + k] day node k's
    day_node = net.tails[net.pair_arc0:net.pair_arc0 + net.n_pairs] - net.day_node0
    per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for k, node in enumerate(day_node.tolist()):
        per_day[node].append(x[k])
    per_insp: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for node, lits in sorted(per_day.items()):
        model.add(sum(lits) <= int(net.caps[m + node]))
        per_insp[net.day_keys[node][0]].extend(lits)
    for j, lits in sorted(per_insp.items()):
        model.add(sum(lits) <= int(net.caps[j]))


def _add_rotation_between_visits(model: cp_model.CpModel, x: list[cp_model.IntVar], rows: np.ndarray,
                                 cols: np.ndarray, pairs: list[tuple[int, int]]) -> None:
    """No inspector on two consecutive visits of this plan to one entity by one department."""
    index = {(r, c): k for k, (r, c) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True))}
    columns: dict[int, list[int]] = defaultdict(list)
    for r, c in index:
        columns[r].append(c)
    for a, b in pairs:
        for c in sorted(set(columns[a]) & set(columns[b])):
            model.add_at_most_one(x[index[(a, c)]], x[index[(b, c)]])


def _solve_cpsat(pool: Pool, net: _Network, rows: np.ndarray, cols: np.ndarray, costs: np.ndarray,
                 pairs: list[tuple[int, int]], hint: np.ndarray) -> tuple[np.ndarray | None, str]:
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x[{pool.demands[r].visit_id},{pool.inspectors[c].inspector_id}]")
         for r, c in zip(rows.tolist(), cols.tolist(), strict=True)]
    _add_team_size(model, x, rows, pool)
    _add_workload_caps(model, x, net)
    _add_rotation_between_visits(model, x, rows, cols, pairs)
    for k, v in enumerate(x):
        model.add_hint(v, bool(hint[k]))
    solver = cp_model.CpSolver()
    # One worker and a work-based stop: the run repeats exactly (same OR-Tools version), and an
    # OPTIMAL answer is the ticket-unique optimum. The wall-clock limit is only a distant safety net.
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = CPSAT_WORK_LIMIT
    solver.parameters.max_time_in_seconds = 10 * CPSAT_WORK_LIMIT
    if pool.optional:  # experts: first serve as many visits as possible, then the cheapest way
        model.maximize(sum(x))
        st = solver.solve(model)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return np.zeros(len(x), dtype=bool), "OPTIMAL (no expert fits)"
        model.add(sum(x) == int(solver.objective_value))
    model.minimize(cp_model.LinearExpr.weighted_sum(x, costs.tolist()))
    st = solver.solve(model)
    if st == cp_model.INFEASIBLE:
        return None, "INFEASIBLE"
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT found no teams for department {pool.department} within its work limit "
                           f"({CPSAT_WORK_LIMIT:.0f}); status {solver.status_name(st)}")
    chosen = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    status = "OPTIMAL" if st == cp_model.OPTIMAL else "FEASIBLE (work limit reached; not proven optimal)"
    return chosen, status


def _breaks_rotation(chosen: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                     pairs: list[tuple[int, int]]) -> bool:
    team: dict[int, set[int]] = defaultdict(set)
    for r, c in zip(rows[chosen].tolist(), cols[chosen].tolist(), strict=True):
        team[r].add(c)
    return any(team[a] & team[b] for a, b in pairs)


# ---------------------------------------------------------------------------------------
# Explanations.


def _listed(lines: list[str], limit: int = SHOW) -> list[str]:
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"… and {len(lines) - limit} more"]


def _where(d: Demand) -> str:
    return f"visit {d.visit_id} (entity {d.entity_id}, {d.date.isoformat()})"


def _explain_ineligible(pool: Pool, team_size: int, directory: Directory) -> tuple[list[str], list[str]]:
    """Reasons and fixes for the demand nodes with fewer eligible inspectors than a team needs."""
    counts = pool.eligible.sum(axis=1)
    short = np.flatnonzero(counts < pool.need)
    dept = pool.department
    name = directory.department_by_id.get(dept)
    label = f"department {dept}" + (f" ({name.name})" if name else "")
    m = len(pool.inspectors)
    if m == 0:
        reasons = [f"{label} has no non-expert inspectors, and {len(short)} visit(s) need a team of "
                   f"{team_size}: " + ", ".join(_listed([_where(pool.demands[i]) for i in short.tolist()]))]
        return reasons, [f"add certified inspectors of {label} to inspectors.csv, or drop its tasks"]
    reasons = [f"{label}: {len(short)} visit(s) have fewer than {team_size} eligible inspectors "
               f"(of the department's {m} non-expert inspectors):"]
    lines = []
    missing_fields: Counter[str] = Counter()
    rule_hits: Counter[str] = Counter()
    for i in short.tolist():
        d = pool.demands[i]
        why = []
        for rule in RULES:
            k = int(pool.fails[rule][i].sum())
            if k:
                rule_hits[rule] += 1
                why.append(f"{k} {_RULE_TEXT[rule]}")
        for f in d.fields:
            if sum(f in p.fields for p in pool.inspectors) < team_size:
                missing_fields[f] += 1
        lines.append(f"{dept}: {_where(d)} has {int(counts[i])} eligible of {m}"
                     + (f" — {'; '.join(why)}" if why else ""))
    reasons += _listed(lines)
    fixes = []
    if m < team_size:
        fixes.append(f"{label} has only {m} non-expert inspector(s) and a team needs {team_size}: "
                     "add inspectors to it or lower team_size")
    for f, k in sorted(missing_fields.items(), key=lambda t: (-t[1], t[0])):
        fixes.append(f"certify more inspectors of {label} for field {f!r} (needed by {k} of these visits)")
    if rule_hits["field"] and not missing_fields:
        fixes.append(f"certify inspectors of {label} for all the fields these visits combine")
    if rule_hits["certificate"]:
        fixes.append(f"renew the 执法证 of inspectors of {label} whose certificates expire before the visit dates")
    if rule_hits["unavailable"]:
        fixes.append("move these visits to days when more of the department's inspectors are available")
    if rule_hits["conflict"] or rule_hits["rotation"]:
        fixes.append(f"add inspectors to {label}: 回避 conflicts and rotation leave too few for these entities")
    fixes.append(f"or lower the ratios of the tasks of {label} so that fewer visits need it")
    return reasons, fixes


def _explain_shortfall(pool: Pool, net: _Network, directory: Directory) -> tuple[list[str], list[str]]:
    """A max-flow min cut: the visits competing for too few inspector slots, and the binding caps."""
    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(net.tails, net.heads, net.caps)
    mf.solve(net.source, net.sink)
    placed = int(mf.optimal_flow())
    # The sink side of the smallest cut: nodes that can still push flow to the sink.
    sink_side = set(mf.get_sink_side_min_cut())
    dem = [i for i in range(len(pool.demands)) if net.demand_node0 + i in sink_side]
    dept = pool.department
    name = directory.department_by_id.get(dept)
    label = f"department {dept}" + (f" ({name.name})" if name else "")
    quarter = [j for j in range(len(pool.inspectors)) if net.inspector_node0 + j in sink_side]
    daily = [k for k, (j, _) in enumerate(net.day_keys)
             if net.day_node0 + k in sink_side and net.inspector_node0 + j not in sink_side]
    reasons = [f"{label}: only {placed} of {net.total_demand} team places can be filled within the "
               f"workload caps; these {len(dem)} visit(s) compete for too few inspector slots:"]
    reasons += _listed([f"{dept}: {_where(pool.demands[i])}" for i in dem])
    binding = [f"{dept}: inspector {pool.inspectors[j].inspector_id} is at the quarterly cap "
               f"({int(net.caps[j])})" for j in quarter]
    binding += [f"{dept}: inspector {pool.inspectors[j].inspector_id} is at the daily cap "
                f"({int(net.caps[net.day_node0 - net.inspector_node0 + k])}) on "
                f"{dt.date.fromordinal(o).isoformat()}" for k, (j, o) in ((k, net.day_keys[k]) for k in daily)]
    if binding:
        reasons.append(f"{label}: the binding caps are:")
        reasons += _listed(binding)
    fixes = []
    if quarter:
        fixes.append(f"raise max_visits_per_quarter of the {len(quarter)} inspector(s) of {label} listed above")
    if daily:
        days = sorted({dt.date.fromordinal(net.day_keys[k][1]).isoformat() for k in daily})
        fixes.append(f"raise max_visits_per_day in {label}, or move visits off {', '.join(_listed(days, 5))}")
    fixes.append(f"certify more inspectors of {label} for these visits' fields")
    fixes.append(f"or lower the ratios of the tasks of {label} so that fewer visits need it")
    return reasons, fixes


# ---------------------------------------------------------------------------------------
# The stage.


@dataclass
class _Solved:
    chosen: dict[int, list[Assignment]] = field(default_factory=lambda: defaultdict(list))
    status: dict[str, str] = field(default_factory=dict)
    arcs: int = 0
    experts: int = 0
    cpsat: list[str] = field(default_factory=list)
    shortlisted: int = 0  # departments solved on their shortlist alone


@dataclass(frozen=True)
class _Outcome:
    arcs: _Arcs  # the pairs the solver saw
    net: _Network
    chosen: np.ndarray | None  # bool over arcs; None if infeasible
    status: str
    solver: str
    flows: np.ndarray | None = None  # every arc's flow, when the flow's answer stands


def _solve_arcs(pool: Pool, rules: Rules, seed_string: str, arcs: _Arcs) -> _Outcome:
    """Min-cost flow on these pairs; CP-SAT if the flow breaks rotation between plan visits."""
    costs = _costs(seed_string, pool, arcs)
    net = _network(pool, rules, arcs.rows, arcs.cols, costs)
    flows, status = _solve_flow(net, pool.optional)
    if flows is None:
        return _Outcome(arcs, net, None, status, "min-cost flow")
    chosen = flows[net.pair_arc0:net.pair_arc0 + net.n_pairs] > 0
    pairs = _rotation_pairs(pool.demands)
    if pairs and _breaks_rotation(chosen, arcs.rows, arcs.cols, pairs):
        picked, status = _solve_cpsat(pool, net, arcs.rows, arcs.cols, costs, pairs, chosen)
        return _Outcome(arcs, net, picked, status, "CP-SAT")
    return _Outcome(arcs, net, chosen, status, "min-cost flow", flows)


def _solve_shortlisted(pool: Pool, rules: Rules, seed_string: str, arcs: _Arcs) -> _Outcome | None:
    """Solve on each node's lowest-ticket pairs; keep the answer only if duality proves it optimal.

    Pruned pairs that might improve it are added and the shortlist solved again, a few rounds at
    most. None when the shortlist is infeasible, leaves the flow structure or is not proven.
    """
    keep = _shortlist(pool, arcs)
    for _ in range(SHORTLIST_ROUNDS):
        out = _solve_arcs(pool, rules, seed_string, arcs.take(np.flatnonzero(keep)))
        if out.flows is None:
            return None
        dist = _potentials(out.net, out.flows)
        if dist is None:
            return None
        better = _pruned_improving(pool, arcs, keep, out.net, dist)
        if better.size == 0:
            return out
        keep[better] = True
    return None


def _solve_pool(pool: Pool, rules: Rules, seed_string: str, solved: _Solved,
                directory: Directory) -> tuple[list[str], list[str]] | None:
    """Fill the pool's demand; record assignments, or return (reasons, fixes) if caps forbid it."""
    arcs = _ticketed(seed_string, pool)
    solved.arcs += int(arcs.rows.shape[0])
    # Experts' flow maximises the number served first, which a shortlist cannot certify.
    out = None if pool.optional else _solve_shortlisted(pool, rules, seed_string, arcs)
    if out is not None:
        solver = out.solver + ", shortlist"
        solved.shortlisted += 1
    else:
        out = _solve_arcs(pool, rules, seed_string, arcs)
        solver = out.solver
        if out.chosen is None and solver == "min-cost flow":
            return _explain_shortfall(pool, out.net, directory)
    arcs, chosen, status = out.arcs, out.chosen, out.status
    rows, cols = arcs.rows, arcs.cols
    if solver.startswith("CP-SAT"):
        solved.cpsat.append(pool.department + (" experts" if pool.optional else ""))
    if chosen is None:
        pairs = _rotation_pairs(pool.demands)
        visits = [f"{pool.department}: {_where(pool.demands[a])} then {_where(pool.demands[b])}"
                  for a, b in pairs]
        return ([f"department {pool.department}: rotation between repeated visits to one entity "
                 "leaves no feasible team:"] + _listed(visits),
                [f"add inspectors to department {pool.department}, or visit these entities once"])
    kind = "experts" if pool.optional else "teams"
    solved.status[f"{pool.department} {kind}"] = f"{status} ({solver})"
    for r, c in zip(rows[chosen].tolist(), cols[chosen].tolist(), strict=True):
        p = pool.inspectors[c]
        solved.chosen[pool.demands[r].visit_index].append(
            Assignment(inspector_id=p.inspector_id, department_id=pool.department, is_expert=p.is_expert))
        solved.experts += int(p.is_expert)
    return None


def assign_teams(visits: Sequence[Visit], directory: Directory, spec: PlanSpec,
                 seed: SubSeeded) -> tuple[list[Visit], dict[str, int | str]]:
    """Draw the inspector team of every department of every dated visit (第二随机).

    Args:
        visits: visits with ``date`` set; their ``inspectors`` are replaced.
        directory: 一单两库 with inspectors, conflicts, unavailability and history.
        spec: the plan specification (``team_size``, ``quarter``).
        seed: anything with ``sub_seed(domain) -> hex``; the ``inspectors`` sub-seed is used.

    Returns:
        The visits in the given order with ``inspectors`` filled (per department in the visit's
        order: non-experts by id, then the expert), and flat statistics for ``Plan.stats``:
        ``teams_status`` ("OPTIMAL" when every department was solved to proven optimality),
        ``teams_solver``, counts, and ``teams_status:<department>`` per department.

    Raises:
        InfeasibleError: some visits lack eligible inspectors, or the workload caps cannot be
            met; names the departments, the visits, the binding caps and what to relax.
    """
    seed_string = seed.sub_seed(INSPECTORS_DOMAIN)
    by_dept = demands_by_department(visits, directory)
    rules = build_rules(directory, spec, {v.entity_id for v in visits})
    staff: dict[tuple[str, bool], list[Inspector]] = defaultdict(list)
    for p in sorted(directory.inspectors, key=lambda p: p.inspector_id):
        staff[(p.department_id, p.is_expert)].append(p)

    # Hall-type pre-check over every department before any solve, so all gaps show at once.
    pools = {d: eligible_pool(d, dem, staff[(d, False)], rules, spec.team_size, optional=False)
             for d, dem in by_dept.items()}
    reasons: list[str] = []
    fixes: list[str] = []
    for pool in pools.values():
        if (pool.eligible.sum(axis=1) < pool.need).any():
            r, f = _explain_ineligible(pool, spec.team_size, directory)
            reasons += r
            fixes += f
    if reasons:
        short = sum(int((p.eligible.sum(axis=1) < p.need).sum()) for p in pools.values())
        depts = [d for d, p in pools.items() if (p.eligible.sum(axis=1) < p.need).any()]
        raise InfeasibleError(f"no inspector teams: {short} visit-department(s) in {len(depts)} department(s) "
                              f"({', '.join(depts)}) have fewer than {spec.team_size} eligible inspectors",
                              reasons=reasons, fixes=fixes)

    solved = _Solved()
    for dept in list(pools):
        pool = pools.pop(dept)  # one department's matrices in memory at a time
        pool.fails.clear()
        gap = _solve_pool(pool, rules, seed_string, solved, directory)
        if gap is not None:
            reasons += gap[0]
            fixes += gap[1]
    if reasons:
        raise InfeasibleError("no inspector teams within the workload caps (max_visits_per_day, "
                              "max_visits_per_quarter)", reasons=reasons, fixes=fixes)

    # Experts join where a 重点 item is checked; optional, after the required teams.
    for dept, dem in by_dept.items():
        keyed = [d for d in dem if d.key_item]
        if keyed and staff[(dept, True)]:
            pool = eligible_pool(dept, keyed, staff[(dept, True)], rules, 1, optional=True)
            _solve_pool(pool, rules, seed_string, solved, directory)

    out = []
    for k, v in enumerate(visits):
        got = solved.chosen.get(k, [])
        order = {d: i for i, d in enumerate(v.departments)}
        team = sorted(got, key=lambda a: (order[a.department_id], a.is_expert, a.inspector_id))
        out.append(v.model_copy(update={"inspectors": tuple(team)}))
    all_optimal = all(s.startswith("OPTIMAL") for s in solved.status.values())
    stats: dict[str, int | str] = {
        "teams_status": "OPTIMAL" if all_optimal else "FEASIBLE (not proven optimal)",
        "teams_solver": "min-cost flow per department"
                        + (f"; CP-SAT for {', '.join(solved.cpsat)}" if solved.cpsat else ""),
        "teams_departments": len(by_dept),
        "teams_demand": sum(len(d) for d in by_dept.values()),
        "teams_eligible_pairs": solved.arcs,
        "teams_inspectors": sum(len(a) for a in solved.chosen.values()) - solved.experts,
        "teams_experts": solved.experts,
        "teams_shortlisted": solved.shortlisted,  # departments proven optimal on their shortlist
    }
    for key in sorted(solved.status):
        stats[f"teams_status:{key}"] = solved.status[key]
    return out, stats
