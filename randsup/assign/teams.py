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

from .._runtime import available_cores, map_jobs
from ..errors import InfeasibleError, RandsupError, SolverTimeoutError
from ..model import Assignment, Directory, Inspector, Visit
from ..spec import PlanSpec
from .eligibility import (
    RULE_TEXT,
    RULES,
    Demand,
    Pool,
    Rules,
    build_rules,
    demands_by_department,
    eligible_pool,
)
from .ranking import COST_SCALE, Rankings, node_id

__all__ = [
    "INSPECTORS_DOMAIN",
    "SubSeeded",
    "TeamsResult",
    "Unstaffed",
    "assign_teams",
    "solve_teams",
]

INSPECTORS_DOMAIN = "inspectors"  # sub-seed domain of 第二随机
SLACK = 8  # ranks beyond a node's places in the first shortlist
FIELD_SEEN = 3  # … and for a multi-field node, until this many holders of each field are ranked
BF_PASSES = 500  # Bellman–Ford passes for the shortlist's certificate (about ten suffice in practice)
SHORTLIST_ROUNDS = 12  # rounds of ranking further where the certificate fails, before ranking everything
DAY_CODE = 10_000_000  # inspector-day code = inspector column × DAY_CODE + date ordinal
PARALLEL_MIN_DEMANDS = 20_000  # visit-departments from which departments are solved in parallel processes
SHOW = 20  # visits or caps listed in an explanation before "and N more"
CPSAT_WORK_LIMIT = 60.0  # CP-SAT deterministic time (≈ seconds); short of OPTIMAL is a SolverTimeoutError


class SubSeeded(Protocol):
    """What teams need of a seed: a hex sub-seed per domain (randsup.seed.PublicSeed has it)."""

    def sub_seed(self, domain: str) -> str: ...


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
# Random costs: per node a lazily drawn ranking of its eligible inspectors (ranking.py).


@dataclass(frozen=True)
class _Arcs:
    """(demand row, inspector column) pairs of a pool, ordered by row then rank, with their costs."""

    rows: np.ndarray  # int64
    cols: np.ndarray  # int64
    costs: np.ndarray  # int64, in [0, COST_SCALE): strictly increasing with the rank within a row


def _rankings(seed_string: str, pool: Pool) -> Rankings:
    """The pool's nodes' rankings, nothing drawn yet (experts have rankings of their own)."""
    nodes = [node_id(d.visit_id, pool.department, pool.optional) for d in pool.demands]
    return Rankings.of_masks(seed_string, nodes, pool.template, pool.combo, pool.struck)


def _ranked(rk: Rankings) -> _Arcs:
    return _Arcs(*rk.arcs())


def _all_pairs(pool: Pool, rk: Rankings) -> tuple[np.ndarray, np.ndarray]:
    """Every eligible pair (rows, columns), ranked or not, for a cost-free max flow."""
    return rk.candidates(np.arange(len(pool.demands), dtype=np.int64))


def _first_ranks(pool: Pool, rk: Rankings) -> None:
    """The shortlist to start from: per node its places + SLACK ranks, and for a multi-field node
    more until FIELD_SEEN holders of each field are ranked (or all it has)."""
    rk.grow(pool.need + SLACK)
    multi = np.flatnonzero(_multi_rows(pool))
    if multi.size == 0:
        return
    holds = _holds(pool)
    names = sorted(holds)
    held = np.array([holds[f] for f in names], dtype=bool).T  # [inspector column, field]
    needs = np.array([[f in pool.demands[i].fields for f in names] for i in multi.tolist()], dtype=bool)
    have = pool.field_counts(multi, names)  # eligible holders per field
    want = np.where(needs, np.minimum(have, FIELD_SEEN), 0)
    local = np.full(len(pool.demands), -1, dtype=np.int64)
    local[multi] = np.arange(multi.size)
    rows, cols, _ = rk.arcs()
    in_multi = local[rows] >= 0
    seen = np.zeros_like(want)
    np.add.at(seen, local[rows[in_multi]], held[cols[in_multi]].astype(want.dtype))
    while True:
        short = np.flatnonzero((seen < want).any(axis=1) & ~rk.full[multi])
        if short.size == 0:
            return
        got = rk.advance(multi[short])
        ok = got >= 0
        seen[short[ok]] += held[got[ok]]


def _grow_to(rk: Rankings, rows: np.ndarray, targets: np.ndarray) -> None:
    goal = rk.drawn.copy()
    goal[rows] = np.maximum(goal[rows], targets)
    rk.grow(goal)


def _uncertified(pool: Pool, rk: Rankings, arcs: _Arcs, net: _Network, dist: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Nodes whose unranked pairs might improve the shortlist's flow, and how far to extend each.

    An unranked pair of node i costs at least ``rk.lower_bound()[i]`` (its rank is at least the
    next one). With node potentials ``dist`` proving the flow optimal on the ranked pairs, the flow
    is optimal over all pairs when every unranked pair (inspector-day u → node i) has reduced cost
    bound + p(u) − p(entry) ≥ 0 (linear-programming duality for min-cost flow). p(u) is the
    inspector-day's potential, or the inspector's for a day not in the network (it would enter
    with no flow); the entry is the node's demand node, or for a multi-field node the highest slot
    the inspector could fill. Per date the inspectors are sorted by p(u), so only those below a
    node's threshold are looked at. Returns (rows, new rank counts): at least double, and at least
    enough that the next rank's floor covers the worst gap found.
    """
    n, m = len(pool.demands), len(pool.inspectors)
    bound = rk.lower_bound()
    open_rows = np.flatnonzero(~rk.full)
    empty = np.zeros(0, dtype=np.int64)
    if open_rows.size == 0:
        return empty, empty
    multi = _multi_rows(pool)
    n_fields = np.array([len(d.fields) for d in pool.demands], dtype=np.int64)
    direct = ~multi | (pool.need > n_fields)  # pairs may enter at the demand node itself
    entry = np.where(direct, dist[net.demand_node0 + np.arange(n)], -(1 << 62))
    if net.field_node_row.size:
        slots = net.field_node0 + np.arange(net.field_node_row.shape[0])
        np.maximum.at(entry, net.field_node_row, dist[slots])
    ords = np.array([d.date.toordinal() for d in pool.demands], dtype=np.int64)
    dates, date_of = np.unique(ords, return_inverse=True)
    date_of = date_of.reshape(-1)
    frm = np.tile(dist[net.inspector_node0:net.inspector_node0 + m], (dates.shape[0], 1))
    if net.day_code.size:
        frm[np.searchsorted(dates, net.day_code % DAY_CODE), net.day_code // DAY_CODE] = \
            dist[net.day_node0 + np.arange(net.day_code.shape[0])]
    order = np.argsort(frm, axis=1, kind="stable")
    ranked = np.take_along_axis(frm, order, axis=1)
    theta = entry[open_rows] - bound[open_rows]  # a pair can improve only if p(u) < theta
    below = np.zeros(open_rows.shape[0], dtype=np.int64)
    for g in np.unique(date_of[open_rows]).tolist():
        sel = date_of[open_rows] == g
        below[sel] = np.searchsorted(ranked[g], theta[sel], side="left")
    rows, below = open_rows[below > 0], below[below > 0]
    if rows.size == 0:
        return empty, empty
    rep = np.repeat(rows, below)
    pos = np.arange(rep.shape[0]) - np.repeat(np.cumsum(below) - below, below)
    cols = order[date_of[rep], pos]
    drawn = np.sort(arcs.rows * m + arcs.cols)
    code = rep * m + cols
    at = np.minimum(np.searchsorted(drawn, code), max(drawn.shape[0] - 1, 0))
    is_drawn = drawn[at] == code if drawn.size else np.zeros(code.shape[0], dtype=bool)
    keep = pool.is_eligible(rep, cols) & ~is_drawn
    rep, cols = rep[keep], cols[keep]
    gap = _entry_potential(pool, net, dist, rep, cols) - frm[date_of[rep], cols]
    bad = gap > bound[rep]
    if not bad.any():
        return empty, empty
    worst = np.zeros(n, dtype=np.int64)
    np.maximum.at(worst, rep[bad], gap[bad])
    rows = np.flatnonzero(worst > 0)
    targets = []
    for i in rows.tolist():
        e = int(rk.counts[i])
        enough = -(-int(worst[i]) * (e + 1) // COST_SCALE) - 1  # least k with ⌊(k+1)·S/(E+1)⌋ ≥ gap
        targets.append(min(e, max(2 * int(rk.drawn[i]), enough)))
    return rows, np.array(targets, dtype=np.int64)


def _holds(pool: Pool) -> dict[str, np.ndarray]:
    """Per field the demands need, a bool per inspector: holds it."""
    return {f: pool.holds(f) for f in sorted({f for d in pool.demands for f in d.fields})}


def _multi_rows(pool: Pool) -> np.ndarray:
    """Bool per demand: it needs two or more fields, so the flow gives it one slot per field."""
    if pool.optional:
        return np.zeros(len(pool.demands), dtype=bool)
    return np.array([len(d.fields) > 1 for d in pool.demands], dtype=bool)


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


def _entry_potential(pool: Pool, net: _Network, dist: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Per pair, the potential its flow would have to reach: its demand node, or for a multi-field
    demand the highest of the slot nodes it could fill (a new (visit, inspector) node between
    needs a potential at least that high and at most the pair's cost above its tail)."""
    target = dist[net.demand_node0 + rows]
    if net.field_node_row.size == 0:
        return target
    multi = _multi_rows(pool)[rows]
    if not multi.any():
        return target
    lowest = np.iinfo(np.int64).min
    best = np.full(rows.shape[0], lowest, dtype=np.int64)
    top_up = pool.need > np.array([len(d.fields) for d in pool.demands], dtype=np.int64)
    best = np.where(top_up[rows], target, best)
    slot_of: dict[str, np.ndarray] = {}
    for k, r in enumerate(net.field_node_row.tolist()):
        f = pool.demands[r].fields[k - int(np.searchsorted(net.field_node_row, r))]
        slot_of.setdefault(f, np.full(len(pool.demands), -1, dtype=np.int64))[r] = net.field_node0 + k
    holds = _holds(pool)
    for f, node in slot_of.items():
        n = node[rows]
        ok = (n >= 0) & holds[f][cols]
        best = np.where(ok, np.maximum(best, dist[np.maximum(n, 0)]), best)
    return np.where(multi, best, target)


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
    field_node0: int = 0  # (visit, field) slot nodes of multi-field demands start here
    field_node_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _slot_arcs(pool: Pool, rows: np.ndarray, cols: np.ndarray, dem0: int, first: int
               ) -> tuple[np.ndarray, list[int], np.ndarray | list[int], np.ndarray | list[int],
                          np.ndarray | list[int], int]:
    """Per-field slots of multi-field demands: (pair heads, slot rows, extra tails, extra heads, extra caps, n).

    A multi-field demand gets one node per field (capacity 1 to the sink) and its demand node
    keeps the places beyond the fields (``team_size`` − fields, often 0). A pair whose inspector
    holds exactly one of the fields and has no top-up place to fill goes straight to that field's
    node; otherwise it goes to a (visit, inspector) node of capacity 1 that feeds each field the
    inspector holds (and the top-up place), so nobody fills two places of one visit.
    """
    heads = dem0 + rows
    multi = _multi_rows(pool)
    slot_rows: list[int] = []
    if not multi.any():
        return heads, slot_rows, [], [], [], first
    holds = _holds(pool)
    n_dem = len(pool.demands)
    n_fields = np.array([len(d.fields) for d in pool.demands], dtype=np.int64)
    top_up = multi & (pool.need > n_fields)
    slot_pos: dict[str, np.ndarray] = {f: np.full(n_dem, -1, dtype=np.int64) for f in holds}
    for i in np.flatnonzero(multi).tolist():  # the slot nodes first, contiguous from `first`
        for k, f in enumerate(pool.demands[i].fields):
            slot_pos[f][i] = first + len(slot_rows) + k
        slot_rows += [i] * len(pool.demands[i].fields)
    nxt = first + len(slot_rows)
    in_multi = np.flatnonzero(multi[rows])
    r, c = rows[in_multi], cols[in_multi]
    held = {f: (slot_pos[f][r] >= 0) & holds[f][c] for f in holds}
    n_held = np.sum([h.astype(np.int64) for h in held.values()], axis=0)
    direct = (n_held == 1) & ~top_up[r]
    for f, h in held.items():
        go = direct & h
        heads[in_multi[go]] = slot_pos[f][r[go]]
    via = np.flatnonzero(~direct)  # through a (visit, inspector) node of capacity 1
    w = nxt + np.arange(via.shape[0], dtype=np.int64)
    heads[in_multi[via]] = w
    x_t: list[np.ndarray] = []
    x_h: list[np.ndarray] = []
    for f, h in held.items():
        go = h[via]
        x_t.append(w[go])
        x_h.append(slot_pos[f][r[via][go]])
    up = top_up[r[via]]
    x_t.append(w[up])
    x_h.append(dem0 + r[via][up])
    tails_x = np.concatenate(x_t) if x_t else np.zeros(0, dtype=np.int64)
    heads_x = np.concatenate(x_h) if x_h else np.zeros(0, dtype=np.int64)
    return heads, slot_rows, tails_x, heads_x, np.ones(tails_x.shape[0], dtype=np.int64), nxt + via.shape[0]


def _network(pool: Pool, rules: Rules, rows: np.ndarray, cols: np.ndarray, costs: np.ndarray) -> _Network:
    """source → inspector (quarter cap) → inspector-day (daily cap) → (visit, dept) → sink.

    Multi-field demands get per-field slots between the pair and the sink (see _slot_arcs).
    """
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
    n_dem = len(pool.demands)
    field0 = dem0 + n_dem

    used_q = np.array([rules.used_quarter.get(p.inspector_id, 0) for p in pool.inspectors], dtype=np.int64)
    quarter_caps = np.maximum(0, np.array([p.max_visits_per_quarter for p in pool.inspectors],
                                          dtype=np.int64).reshape(-1) - used_q)
    per_day = np.array([p.max_visits_per_day for p in pool.inspectors], dtype=np.int64).reshape(-1)
    day_caps = per_day[day_insp] if day_keys else np.zeros(0, dtype=np.int64)
    if rules.used_day:  # history inside the quarter takes its share of the day
        ids = [p.inspector_id for p in pool.inspectors]
        used = [rules.used_day.get((ids[j], dt.date.fromordinal(o)), 0) for j, o in day_keys]
        day_caps = np.maximum(0, day_caps - np.array(used, dtype=np.int64))
    pair_heads, slot_rows, x_t, x_h, x_c, n_nodes = _slot_arcs(pool, rows.astype(np.int64), cols, dem0, field0)
    multi = _multi_rows(pool)
    dem_caps = np.where(multi, np.maximum(0, pool.need - np.array([len(d.fields) for d in pool.demands],
                                                                    dtype=np.int64)), pool.need)
    n_slots = len(slot_rows)
    tails = np.concatenate([np.full(m, source), insp0 + day_insp, day0 + pair_day_node.reshape(-1),
                            dem0 + np.arange(n_dem), field0 + np.arange(n_slots),
                            np.asarray(x_t, dtype=np.int64)]).astype(np.int32)
    heads = np.concatenate([insp0 + np.arange(m), day0 + np.arange(len(day_keys)), pair_heads,
                            np.full(n_dem, sink), np.full(n_slots, sink),
                            np.asarray(x_h, dtype=np.int64)]).astype(np.int32)
    caps = np.concatenate([quarter_caps, day_caps, np.ones(rows.shape[0], dtype=np.int64), dem_caps,
                           np.ones(n_slots, dtype=np.int64), np.asarray(x_c, dtype=np.int64)])
    arc_costs = np.concatenate([np.zeros(m + len(day_keys), dtype=np.int64), costs,
                                np.zeros(n_dem + n_slots + len(x_t), dtype=np.int64)])
    return _Network(tails, heads, caps, arc_costs, source, sink, insp0, day_keys, uniq.astype(np.int64), day0,
                    dem0, m + len(day_keys), int(rows.shape[0]), int(pool.need.sum()), n_nodes,
                    field0, np.asarray(slot_rows, dtype=np.int64))


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
        raise RandsupError(f"the teams flow ended with status {status.name} on a network of {net.n_nodes:,} "
                           "nodes (OR-Tools' cost scaling needs cost × nodes < 2^63); please report this")
    return flow.flows(np.arange(net.tails.shape[0], dtype=np.int32)), "OPTIMAL"


# ---------------------------------------------------------------------------------------
# CP-SAT for a department whose flow broke rotation between two visits of this plan.


def _add_team_rule(model: cp_model.CpModel, x: list[cp_model.IntVar], rows: np.ndarray, cols: np.ndarray,
                   pool: Pool, team_size: int) -> None:
    """Each (visit, department): ``team_size``..max(team_size, fields) members covering every field.

    Experts: at most one. This is the rule of eligibility.py in full, where a member may cover
    two fields of a smaller team (the flow gives one member per field).
    """
    per_row: dict[int, list[int]] = defaultdict(list)
    for k, r in enumerate(rows.tolist()):
        per_row[r].append(k)
    holds = _holds(pool)
    for r, d in enumerate(pool.demands):
        ks = per_row[r]
        if pool.optional:
            model.add(sum(x[k] for k in ks) <= 1)
            continue
        model.add(sum(x[k] for k in ks) >= team_size)
        model.add(sum(x[k] for k in ks) <= max(team_size, len(d.fields)))
        if len(d.fields) > 1:
            for f in d.fields:
                model.add(sum(x[k] for k in ks if holds[f][int(cols[k])]) >= 1)


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
                 pairs: list[tuple[int, int]], hint: np.ndarray | None, team_size: int
                 ) -> tuple[np.ndarray | None, str]:
    """The department's teams by CP-SAT over all its pairs; None if no legal assignment exists.

    Raises:
        SolverTimeoutError: the work limit came before a proven optimum (a plan that could not be
            re-derived is never published).
    """
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x[{pool.demands[r].visit_id},{pool.inspectors[c].inspector_id}]")
         for r, c in zip(rows.tolist(), cols.tolist(), strict=True)]
    _add_team_rule(model, x, rows, cols, pool, team_size)
    _add_workload_caps(model, x, net)
    _add_rotation_between_visits(model, x, rows, cols, pairs)
    if hint is not None:
        for k, v in enumerate(x):
            model.add_hint(v, bool(hint[k]))
    solver = cp_model.CpSolver()
    # One worker and a work-based stop: the run repeats exactly (same OR-Tools version), and an
    # OPTIMAL answer is the ticket-unique optimum. The wall-clock limit is only a distant safety net.
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = CPSAT_WORK_LIMIT
    solver.parameters.max_time_in_seconds = 10 * CPSAT_WORK_LIMIT
    what = f"department {pool.department}" + (" experts" if pool.optional else " teams")

    def timeout(st: int) -> SolverTimeoutError:
        return SolverTimeoutError(
            f"the teams solver (CP-SAT) stopped at its work limit ({CPSAT_WORK_LIMIT:.0f}) for {what} without a "
            f"proven optimum (status {solver.status_name(st)}); such a plan could not be re-derived, so none is "
            "written", fixes=["certify more inspectors of the department for the visits' fields so that the "
                              "one-officer-per-field flow suffices", "or lower the ratios of its tasks"])

    if pool.optional:  # experts: first serve as many visits as possible, then the cheapest way
        model.maximize(sum(x))
        st = solver.solve(model)
        if st == cp_model.INFEASIBLE:
            return np.zeros(len(x), dtype=bool), "OPTIMAL (no expert fits)"
        if st != cp_model.OPTIMAL:
            raise timeout(st)
        model.add(sum(x) == round(solver.objective_value))
        model.clear_hints()
    model.minimize(cp_model.LinearExpr.weighted_sum(x, costs.tolist()))
    st = solver.solve(model)
    if st == cp_model.INFEASIBLE:
        return None, "INFEASIBLE"
    if st != cp_model.OPTIMAL:
        raise timeout(st)
    return np.array([solver.boolean_value(v) for v in x], dtype=bool), "OPTIMAL"


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
    fields = f", fields {', '.join(d.fields)}" if d.fields else ""
    return f"visit {d.visit_id} (entity {d.entity_id}, {d.date.isoformat()}{fields})"


def _label(directory: Directory, dept: str) -> str:
    name = directory.department_by_id.get(dept)
    return f"department {dept}" + (f" ({name.name})" if name else "")


def _row_reasons(pool: Pool, rows: np.ndarray, fails: dict[str, np.ndarray], team_size: int) -> list[str]:
    """Why each of these demands has no legal team even without caps: visit, department, field,
    date, rules (``fails``: ``pool.fails(rows)``, made once for all of them)."""
    m = len(pool.inspectors)
    counts = pool.counts()
    out = []
    for k, i in enumerate(rows.tolist()):
        d = pool.demands[i]
        count = int(counts[i])
        why = [f"{int(fails[r][k].sum())} {RULE_TEXT[r]}" for r in RULES if fails[r][k].any()]
        missing = [f for f in d.fields if len(d.fields) > 1 and pool.holders(i, f).size == 0]
        head = f"{d.department}: {_where(d)} has {count} eligible of {m}"
        if missing:
            head += f"; nobody eligible holds field(s) {', '.join(missing)}"
        elif count < team_size:
            head += f", a team needs {team_size}"
        out.append(head + (f" — {'; '.join(why)}" if why else ""))
    return out


def _explain_ineligible(pool: Pool, rows: np.ndarray, team_size: int,
                        directory: Directory) -> tuple[list[str], list[str], list[str]]:
    """Reasons and fixes for the demand nodes no legal team can fill (Pool.short_rows), and the
    reason of each of them (for the ones left unstaffed)."""
    dept = pool.department
    label = _label(directory, dept)
    m = len(pool.inspectors)
    fails = pool.fails(rows)
    per_row = _row_reasons(pool, rows, fails, team_size)
    if m == 0:
        reasons = [f"{label} has no non-expert inspectors, and {len(rows)} visit(s) need a team of "
                   f"{team_size}: " + ", ".join(_listed([_where(pool.demands[i]) for i in rows.tolist()]))]
        return reasons, [f"add certified inspectors of {label} to inspectors.csv, or drop its tasks"], per_row
    reasons = [f"{label}: {len(rows)} visit(s) have no legal team of at least {team_size} eligible inspectors "
               f"covering their fields (of the department's {m} non-expert inspectors):"]
    reasons += _listed(per_row)
    missing_fields: Counter[str] = Counter()
    rule_hits: Counter[str] = Counter()
    for k, i in enumerate(rows.tolist()):
        for rule in RULES:
            if fails[rule][k].any():
                rule_hits[rule] += 1
        for f in pool.demands[i].fields:
            if sum(f in p.fields for p in pool.inspectors) < (1 if len(pool.demands[i].fields) > 1 else team_size):
                missing_fields[f] += 1
    fixes = []
    if m < team_size:
        fixes.append(f"{label} has only {m} non-expert inspector(s) and a team needs {team_size}: "
                     "add inspectors to it or lower team_size")
    for f, k in sorted(missing_fields.items(), key=lambda t: (-t[1], t[0])):
        fixes.append(f"certify more inspectors of {label} for field {f!r} (needed by {k} of these visits)")
    if rule_hits["certificate"]:
        fixes.append(f"renew the 执法证 of inspectors of {label} whose certificates expire before the visit dates")
    if rule_hits["unavailable"]:
        fixes.append("move these visits to days when more of the department's inspectors are available")
    if rule_hits["conflict"] or rule_hits["rotation"]:
        fixes.append(f"add inspectors to {label}: 回避 conflicts and rotation leave too few for these entities")
    fixes.append(f"or lower the ratios of the tasks of {label} so that fewer visits need it")
    return reasons, fixes, per_row


def _max_flow_cut(net: _Network) -> tuple[int, set[int]]:
    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(net.tails, net.heads, net.caps)
    mf.solve(net.source, net.sink)
    return int(mf.optimal_flow()), set(mf.get_sink_side_min_cut())


def _cut_rows(pool: Pool, net: _Network, sink_side: set[int]) -> list[int]:
    rows = {i for i in range(len(pool.demands)) if net.demand_node0 + i in sink_side}
    rows |= {int(net.field_node_row[k]) for k in range(net.field_node_row.shape[0])
             if net.field_node0 + k in sink_side}
    return sorted(rows)


def _explain_shortfall(pool: Pool, net: _Network, directory: Directory) -> tuple[list[str], list[str]]:
    """A max-flow min cut: the visits competing for too few inspector slots, and the binding caps."""
    placed, sink_side = _max_flow_cut(net)
    dem = _cut_rows(pool, net, sink_side)
    dept = pool.department
    label = _label(directory, dept)
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


def _underfilled(pool: Pool, net: _Network) -> list[int]:
    """Demands to leave unstaffed so that the rest can be filled: a deterministic greedy step.

    A maximum flow at least cost shows how many places can be filled; demands it leaves short
    are dropped, least filled first (then by visit id), until the places dropped cover the deficit.
    The caller solves the rest again and repeats if needed.
    """
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.caps, net.costs)
    flow.set_node_supply(net.source, net.total_demand)
    flow.set_node_supply(net.sink, -net.total_demand)
    flow.solve_max_flow_with_min_cost()
    n_dem = len(pool.demands)
    first = net.pair_arc0 + net.n_pairs
    got = np.array(flow.flows(np.arange(first, first + n_dem, dtype=np.int32)), dtype=np.int64)
    slot_arcs = np.arange(first + n_dem, first + n_dem + net.field_node_row.shape[0], dtype=np.int32)
    if slot_arcs.size:
        np.add.at(got, net.field_node_row, np.array(flow.flows(slot_arcs), dtype=np.int64))
    deficit = int((pool.need - got).sum())
    short = sorted(np.flatnonzero(got < pool.need).tolist(),
                   key=lambda i: (got[i] / pool.need[i], pool.demands[i].visit_id))
    out: list[int] = []
    for i in short:
        if deficit <= 0:
            break
        out.append(i)
        deficit -= int(pool.need[i])
    return out


# ---------------------------------------------------------------------------------------
# The stage.


@dataclass(frozen=True)
class Unstaffed:
    """A (visit, department) that no legal team can staff on its date, and why."""

    visit_id: str
    department_id: str
    date: dt.date
    fields: tuple[str, ...]
    reason: str


@dataclass
class _Solved:
    chosen: dict[int, list[Assignment]] = field(default_factory=lambda: defaultdict(list))
    status: dict[str, str] = field(default_factory=dict)
    arcs: int = 0
    experts: int = 0
    cpsat: list[str] = field(default_factory=list)
    shortlisted: int = 0  # departments whose teams were proven optimal on their shortlist
    ranked: int = 0  # (node, inspector) ranks drawn, i.e. pairs hashed
    unstaffed: list[Unstaffed] = field(default_factory=list)

    def merge(self, other: _Solved) -> None:
        """Add what another department's solve found (parts merge in department order)."""
        for k, got in other.chosen.items():
            self.chosen[k].extend(got)
        self.status.update(other.status)
        self.arcs += other.arcs
        self.experts += other.experts
        self.cpsat += other.cpsat
        self.shortlisted += other.shortlisted
        self.ranked += other.ranked
        self.unstaffed += other.unstaffed


@dataclass(frozen=True)
class _Outcome:
    arcs: _Arcs  # the pairs the solver saw
    net: _Network
    chosen: np.ndarray | None  # bool over arcs; None if infeasible
    status: str
    solver: str
    flows: np.ndarray | None = None  # every arc's flow, when the flow's answer stands


def _solve_arcs(pool: Pool, rules: Rules, arcs: _Arcs, team_size: int,
                exact: bool = True, method: str = "auto", net: _Network | None = None) -> _Outcome:
    """Min-cost flow on these pairs; CP-SAT when the flow breaks rotation between plan visits, or
    when it finds no one-officer-per-field teams but a smaller team covering two fields might exist.

    ``exact=False`` (a shortlist): never CP-SAT, the caller solves all pairs instead.
    ``method="cp-sat"``: CP-SAT for the department in any case (for measurement).
    """
    costs = arcs.costs
    if net is None:  # (the caller may have built it from these arcs already)
        net = _network(pool, rules, arcs.rows, arcs.cols, costs)
    pairs = _rotation_pairs(pool.demands)
    if method == "cp-sat" and exact:
        picked, status = _solve_cpsat(pool, net, arcs.rows, arcs.cols, costs, pairs, None, team_size)
        return _Outcome(arcs, net, picked, status, "CP-SAT")
    flows, status = _solve_flow(net, pool.optional)
    if flows is None:
        if exact and _multi_rows(pool).any():
            picked, status = _solve_cpsat(pool, net, arcs.rows, arcs.cols, costs, pairs, None, team_size)
            return _Outcome(arcs, net, picked, status, "CP-SAT")
        return _Outcome(arcs, net, None, status, "min-cost flow")
    chosen = flows[net.pair_arc0:net.pair_arc0 + net.n_pairs] > 0
    if pairs and _breaks_rotation(chosen, arcs.rows, arcs.cols, pairs):
        if not exact:
            return _Outcome(arcs, net, None, "rotation", "min-cost flow")
        picked, status = _solve_cpsat(pool, net, arcs.rows, arcs.cols, costs, pairs, chosen, team_size)
        return _Outcome(arcs, net, picked, status, "CP-SAT")
    return _Outcome(arcs, net, chosen, status, "min-cost flow", flows)


def _augmentable_rows(pool: Pool, rk: Rankings, net: _Network) -> np.ndarray:
    """Nodes with an unranked pair that could carry more flow: its inspector-day (or the inspector,
    for a day not in the network) is reachable from the source in the shortlist's residual graph
    after a maximum flow, and the node can still reach the sink."""
    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(net.tails, net.heads, net.caps)
    mf.solve(net.source, net.sink)
    reach = np.zeros(net.n_nodes, dtype=bool)
    reach[np.asarray(mf.get_source_side_min_cut(), dtype=np.int64)] = True
    to_sink = np.zeros(net.n_nodes, dtype=bool)
    to_sink[np.asarray(mf.get_sink_side_min_cut(), dtype=np.int64)] = True
    n = len(pool.demands)
    rows = np.flatnonzero(to_sink[net.demand_node0 + np.arange(n)] & ~rk.full)
    if rows.size == 0:
        return rows
    rep, cols = rk.undrawn(rows)
    day = np.array([d.date.toordinal() for d in pool.demands], dtype=np.int64)
    code = cols * DAY_CODE + day[rep]
    pos = np.minimum(np.searchsorted(net.day_code, code), max(net.day_code.shape[0] - 1, 0))
    exists = net.day_code[pos] == code if net.day_code.size else np.zeros(code.shape[0], dtype=bool)
    open_pair = np.where(exists, reach[net.day_node0 + pos], reach[net.inspector_node0 + cols])
    return np.unique(rep[open_pair])


def _solve_shortlisted(pool: Pool, rules: Rules, rk: Rankings, team_size: int) -> _Outcome | None:
    """Solve on the ranked pairs; keep the answer only if duality proves it optimal over all pairs.

    Starts from ``_first_ranks``. A node whose unranked pairs might improve the flow, or that
    lies on the sink side of the min cut of an infeasible shortlist, is ranked further and the
    shortlist solved again, SHORTLIST_ROUNDS at most. None when it is not proven (the caller then
    ranks everything and solves all pairs): the shortlist breaks rotation, is infeasible with every
    node of its cut fully ranked, or runs out of rounds. Experts: the shortlist must also serve as
    many nodes as a maximum flow over all pairs (computed without costs); unserved nodes are ranked
    further until it does, checked with cost-free maximum flows before any min-cost flow is solved.
    """
    _first_ranks(pool, rk)
    most: int | None = None  # experts: the maximum flow over all pairs, once needed
    for _ in range(SHORTLIST_ROUNDS):
        if rk.full.all():
            return None
        arcs = _ranked(rk)
        net = None
        if pool.optional:  # experts: first a shortlist that serves as many as all pairs (max flows only)
            net = _network(pool, rules, arcs.rows, arcs.cols, arcs.costs)
            served = _max_flow_cut(net)[0]
            if served < net.total_demand:
                if most is None:
                    rows, cols = _all_pairs(pool, rk)
                    most = _max_flow_cut(_network(pool, rules, rows, cols, np.zeros(rows.shape[0], dtype=np.int64)))[0]
                if served < most:  # not yet a maximum flow of all pairs: rank further where a path opens
                    grow = _augmentable_rows(pool, rk, net)
                    if grow.size == 0:
                        return None
                    _grow_to(rk, grow, 2 * rk.drawn[grow])
                    continue
        out = _solve_arcs(pool, rules, arcs, team_size, exact=False, net=net)
        if out.flows is None:
            if out.status == "rotation":
                return None
            cut = np.asarray(_cut_rows(pool, out.net, _max_flow_cut(out.net)[1]), dtype=np.int64)
            cut = cut[~rk.full[cut]] if cut.size else cut
            if cut.size == 0:
                return None
            _grow_to(rk, cut, 2 * rk.drawn[cut])
            continue
        dist = _potentials(out.net, out.flows)
        if dist is None:
            return None
        rows, targets = _uncertified(pool, rk, out.arcs, out.net, dist)
        if rows.size == 0:
            return out
        _grow_to(rk, rows, targets)
    return None


def _solve_pool(pool: Pool, rules: Rules, seed_string: str, solved: _Solved, directory: Directory,
                team_size: int, *, allow_unstaffed: bool = False, method: str = "auto"
                ) -> tuple[list[str], list[str]] | None:
    """Fill the pool's demand; record assignments, or return (reasons, fixes) if caps forbid it.

    With ``allow_unstaffed``, demands a maximum flow leaves short are recorded as unstaffed and
    the rest solved again (a few rounds), instead of returning the explanation.
    """
    rk = _rankings(seed_string, pool)
    solved.arcs += int(rk.counts.sum())
    out = _solve_shortlisted(pool, rules, rk, team_size) if method == "auto" else None
    if out is not None:
        solver = out.solver + ", shortlist"
        solved.shortlisted += int(not pool.optional)
    else:
        rk.grow_all()
        out = _solve_arcs(pool, rules, _ranked(rk), team_size, method=method)
        solver = out.solver
    solved.ranked += int(rk.drawn.sum())
    if out.chosen is None:
        pairs = _rotation_pairs(pool.demands)
        if not pairs or _max_flow_cut(out.net)[0] < out.net.total_demand:
            reasons, fixes = _explain_shortfall(pool, out.net, directory)
        else:
            lines = [f"{pool.department}: {_where(pool.demands[a])} then {_where(pool.demands[b])}"
                     for a, b in pairs]
            reasons = [f"{_label(directory, pool.department)}: rotation between repeated visits to one entity "
                       "leaves no legal teams within the caps:"] + _listed(lines)
            fixes = [f"add inspectors to department {pool.department}, or visit these entities once"]
        if not allow_unstaffed:
            return reasons, fixes
        short = _underfilled(pool, out.net) or list(range(len(pool.demands)))
        reason = reasons[0]
        for i in short:
            d = pool.demands[i]
            solved.unstaffed.append(Unstaffed(d.visit_id, d.department, d.date, d.fields, reason))
        dropped = set(short)
        keep = [i for i in range(len(pool.demands)) if i not in dropped]
        if keep:
            solved.arcs -= int(rk.counts.sum())
            return _solve_pool(pool.subset(keep), rules, seed_string, solved, directory, team_size,
                               allow_unstaffed=True, method=method)
        return None
    arcs, chosen, status = out.arcs, out.chosen, out.status
    rows, cols = arcs.rows, arcs.cols
    if solver.startswith("CP-SAT"):
        solved.cpsat.append(pool.department + (" experts" if pool.optional else ""))
    kind = "experts" if pool.optional else "teams"
    solved.status[f"{pool.department} {kind}"] = f"{status} ({solver})"
    for r, c in zip(rows[chosen].tolist(), cols[chosen].tolist(), strict=True):
        p = pool.inspectors[c]
        # The fields come from validated Inspector rows, so the model is built without validating again.
        solved.chosen[pool.demands[r].visit_index].append(
            Assignment.model_construct(inspector_id=p.inspector_id, department_id=pool.department,
                                       is_expert=p.is_expert))
        solved.experts += int(p.is_expert)
    return None


@dataclass(frozen=True)
class TeamsResult:
    """The staffed visits, the statistics for ``Plan.stats`` and the visit-departments left unstaffed."""

    visits: list[Visit]
    stats: dict[str, int | str]
    unstaffed: tuple[Unstaffed, ...] = ()


def solve_teams(visits: Sequence[Visit], directory: Directory, spec: PlanSpec, seed: SubSeeded, *,
                allow_unstaffed: bool = False, method: str = "auto", workers: int | None = None) -> TeamsResult:
    """Draw the inspector team of every department of every dated visit (第二随机).

    Args:
        visits: visits with ``date`` set; their ``inspectors`` are replaced.
        directory: 一单两库 with inspectors, conflicts, unavailability and history.
        spec: the plan specification (``team_size``, ``quarter``).
        seed: anything with ``sub_seed(domain) -> hex``; the ``inspectors`` sub-seed is used.
        allow_unstaffed: leave visit-departments without a legal team unstaffed (listed in the
            result with their reason) instead of raising.
        method: "auto" (flow on a certified shortlist, CP-SAT where needed), "full" (the same on all
            pairs, no shortlist) or "cp-sat" (CP-SAT for every department); the last two are for
            measurement and tests, and give the same teams as "auto" where the flow's answer stands.
        workers: processes for the departments' solves (default: the cores this process may use;
            one below PARALLEL_MIN_DEMANDS visit-departments). The result does not depend on it.

    Returns:
        The visits in the given order with ``inspectors`` filled (per department in the visit's
        order: non-experts by id, then the expert), flat statistics (``teams_status`` "OPTIMAL",
        ``teams_solver``, counts, ``teams_status:<department>``) and the unstaffed visit-departments.

    Raises:
        InfeasibleError: (without ``allow_unstaffed``) some visits have no legal team; names the
            departments, the visits, their fields and dates, the binding caps and what to relax.
        SolverTimeoutError: CP-SAT stopped before a proven optimum.
    """
    if method not in ("auto", "full", "cp-sat"):
        raise RandsupError(f"unknown teams method {method!r}; use 'auto', 'full' or 'cp-sat'")
    seed_string = seed.sub_seed(INSPECTORS_DOMAIN)
    team_size = spec.team_size
    by_dept = demands_by_department(visits, directory)
    rules = build_rules(directory, spec, {v.entity_id for v in visits})
    staff: dict[tuple[str, bool], list[Inspector]] = defaultdict(list)
    for p in sorted(directory.inspectors, key=lambda p: p.inspector_id):
        staff[(p.department_id, p.is_expert)].append(p)

    # Hall-type pre-check over every department before any solve, so all gaps show at once.
    pools = {d: eligible_pool(d, dem, staff[(d, False)], rules, team_size, optional=False)
             for d, dem in by_dept.items()}
    reasons: list[str] = []
    fixes: list[str] = []
    solved = _Solved()
    short_total = 0
    short_depts = []
    for dept, pool in list(pools.items()):
        short = pool.short_rows(team_size)
        if short.size == 0:
            continue
        r, f, why = _explain_ineligible(pool, short, team_size, directory)
        short_total += int(short.size)
        short_depts.append(dept)
        if allow_unstaffed:
            for i, reason in zip(short.tolist(), why, strict=True):
                d = pool.demands[i]
                solved.unstaffed.append(Unstaffed(d.visit_id, dept, d.date, d.fields, reason))
            rest = sorted(set(range(len(pool.demands))) - set(short.tolist()))
            if rest:
                pools[dept] = pool.subset(rest)
            else:
                del pools[dept]
        else:
            reasons += r
            fixes += f
    if reasons:
        raise InfeasibleError(f"no inspector teams: {short_total} visit-department(s) in {len(short_depts)} "
                              f"department(s) ({', '.join(short_depts)}) have no legal team of at least "
                              f"{team_size} eligible inspectors covering their fields", reasons=reasons, fixes=fixes)

    # Experts join where a 重点 item is checked; optional, after the required teams, and not on a
    # visit-department left unstaffed. Their pools are made now, beside the teams', and remade
    # below for a department whose teams' solve left more visits unstaffed.
    def expert_pool(dept: str, unstaffed: set[tuple[str, str]]) -> Pool | None:
        keyed = [d for d in by_dept[dept] if d.key_item and (d.visit_id, dept) not in unstaffed]
        if not keyed or not staff[(dept, True)]:
            return None
        return eligible_pool(dept, keyed, staff[(dept, True)], rules, 1, optional=True)

    known = {(u.visit_id, u.department_id) for u in solved.unstaffed}
    experts = {d: p for d in by_dept if (p := expert_pool(d, known)) is not None}
    jobs = [(p, allow_unstaffed, method) for p in pools.values()] + [(p, False, "auto") for p in experts.values()]
    del pools

    def solve(k: int) -> tuple[_Solved, tuple[list[str], list[str]] | None]:
        pool, allow, how = jobs[k]
        part = _Solved()
        return part, _solve_pool(pool, rules, seed_string, part, directory, team_size, allow_unstaffed=allow,
                                 method=how)

    n_teams = len(jobs) - len(experts)
    procs = (available_cores() if workers is None else workers) \
        if sum(len(p.demands) for p, _, _ in jobs) >= PARALLEL_MIN_DEMANDS else 1
    done = map_jobs(solve, [len(p.demands) for p, _, _ in jobs], workers=procs)

    def result(k: int) -> tuple[_Solved, tuple[list[str], list[str]] | None]:
        ok, got = done[k]
        if ok:
            return got  # type: ignore[return-value]
        if got is None:
            return solve(k)  # it raised in a worker: raise it here
        raise got  # type: ignore[misc]

    for k in range(n_teams):
        part, gap = result(k)
        solved.merge(part)
        if gap is not None:
            reasons += gap[0]
            fixes += gap[1]
    if reasons:
        raise InfeasibleError("no inspector teams within the workload caps (max_visits_per_day, "
                              "max_visits_per_quarter)", reasons=reasons, fixes=fixes)

    unstaffed_keys = {(u.visit_id, u.department_id) for u in solved.unstaffed}
    later = {u[1] for u in unstaffed_keys - known}
    for k, dept in enumerate(experts, start=n_teams):
        if dept in later:  # its expert pool changed: solve it again, here
            pool = expert_pool(dept, unstaffed_keys)
            if pool is not None:
                _solve_pool(pool, rules, seed_string, solved, directory, team_size)
            continue
        solved.merge(result(k)[0])

    out = []
    for k, v in enumerate(visits):
        got = solved.chosen.get(k, [])
        order = {d: i for i, d in enumerate(v.departments)}
        team = sorted(got, key=lambda a: (order[a.department_id], a.is_expert, a.inspector_id))
        out.append(v.model_copy(update={"inspectors": tuple(team)}))
    all_optimal = all(s.startswith("OPTIMAL") for s in solved.status.values())
    stats: dict[str, int | str] = {
        "teams_status": "OPTIMAL" if all_optimal else "FEASIBLE (not proven optimal)",
        "teams_solver": "min-cost flow per department with per-field slots"
                        + (f"; CP-SAT for {', '.join(solved.cpsat)}" if solved.cpsat else ""),
        "teams_departments": len(by_dept),
        "teams_demand": sum(len(d) for d in by_dept.values()),
        "teams_eligible_pairs": solved.arcs,
        "teams_inspectors": sum(len(a) for a in solved.chosen.values()) - solved.experts,
        "teams_experts": solved.experts,
        "teams_shortlisted": solved.shortlisted,  # departments proven optimal on their shortlist
        "teams_ranked_pairs": solved.ranked,  # pairs whose rank was drawn (hashed); the rest never were
    }
    if allow_unstaffed:
        stats["teams_unstaffed"] = len(solved.unstaffed)
    for key in sorted(solved.status):
        stats[f"teams_status:{key}"] = solved.status[key]
    unstaffed = tuple(sorted(solved.unstaffed, key=lambda u: (u.visit_id, u.department_id)))
    return TeamsResult(out, stats, unstaffed)


def assign_teams(visits: Sequence[Visit], directory: Directory, spec: PlanSpec,
                 seed: SubSeeded) -> tuple[list[Visit], dict[str, int | str]]:
    """The visits with their teams and the statistics (solve_teams without unstaffed visits).

    Raises:
        InfeasibleError: some visits have no legal team within the rules and caps.
        SolverTimeoutError: CP-SAT stopped before a proven optimum.
    """
    result = solve_teams(visits, directory, spec, seed)
    return result.visits, result.stats
