"""Plan the whole demo quarter end to end (第一随机 → visits → dates → 第二随机) and time every stage.

For each size (default: the Songjiang demo, 300,000 entities and 1,800 inspectors, then 4× both),
in a fresh process so that peak memory is that size's own:

1. write the demo data folder (randsup.demo.synth.write_demo_data) and load it (randsup.load_directory);
2. ``randsup.make_plan`` on its ``plan-2027Q1.toml``, with the time of each stage (calendar, draw,
   visits, dates, teams) and the peak resident memory (getrusage, this process);
3. check the plan with ``randsup.check_plan_rules`` (written apart from the solver);
4. the baseline: the same team rules as one plain CP-SAT model over every eligible
   (visit, department, inspector) Boolean — dates fixed as in the plan, the team rule of
   eligibility.py per (visit, department), daily and quarterly caps, the same rank costs — solved with a time
   limit; its time, status and objective are printed beside the min-cost flows'.

Goal (issue 4): the 1× plan in under 30 s and the 4× plan in under 2 minutes on a 2-core machine.

    .venv/bin/python benchmarks/assign_bench.py [--entities 300000] [--inspectors 1800] [--scales 1,4]
        [--baseline-limit 60] [--baseline-max-pairs 2000000] [--seed 0] [--shape-b]

``--shape-b`` also times the teams as CP-SAT per department for every department (shape (b) of
docs/assign.md) against the flow with per-field slots (shape (a)) on the same dates.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from ortools.sat.python import cp_model

import randsup
from randsup.assign import eligibility, teams
from randsup.assign.workdays import WorkingCalendar
from randsup.demo.synth import write_demo_data
from randsup.draw.seed import PublicSeed
from randsup.plan import make_plan

SOURCES = ["2 5 12 18 23 31 7", "3245.67"]  # stand-ins for the two named public sources


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def baseline(plan: randsup.Plan, directory: randsup.Directory, spec: randsup.PlanSpec, seed: PublicSeed,
             limit_s: float, max_pairs: int, workers: int) -> dict[str, object]:
    """The team rules as one CP-SAT model; eligibility and costs exactly as teams.py computes them."""
    started = time.perf_counter()
    visits = [v.model_copy(update={"inspectors": ()}) for v in plan.visits]
    seed_string = seed.sub_seed(teams.INSPECTORS_DOMAIN)
    rules = eligibility.build_rules(directory, spec, {v.entity_id for v in visits})
    staff: dict[str, list[randsup.Inspector]] = defaultdict(list)
    for p in sorted(directory.inspectors, key=lambda p: p.inspector_id):
        if not p.is_expert:
            staff[p.department_id].append(p)
    pools, priced = [], []
    for dept, demands in eligibility.demands_by_department(visits, directory).items():
        pool = eligibility.eligible_pool(dept, demands, staff[dept], rules, spec.team_size, optional=False)
        rk = teams._rankings(seed_string, pool)
        rk.grow_all()  # every pair ranked: the baseline model has them all
        arcs = teams._ranked(rk)
        pools.append(pool)
        priced.append((arcs, arcs.costs))
    n_pairs = sum(a.rows.shape[0] for a, _ in priced)
    if n_pairs > max_pairs:
        return {"status": f"skipped: {n_pairs:,} Booleans (over --baseline-max-pairs)", "pairs": n_pairs}

    model = cp_model.CpModel()
    terms: list[cp_model.IntVar] = []
    coeffs: list[int] = []
    per_day: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    per_quarter: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    flow_cost = 0
    chosen = {(v.visit_id, a.department_id, a.inspector_id) for v in plan.visits for a in v.inspectors
              if not a.is_expert}
    for pool, (arcs, costs) in zip(pools, priced, strict=True):
        per_node: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for r, c, cost in zip(arcs.rows.tolist(), arcs.cols.tolist(), costs.tolist(), strict=True):
            d, p = pool.demands[r], pool.inspectors[c]
            x = model.new_bool_var(f"x[{d.visit_id},{pool.department},{p.inspector_id}]")
            per_node[r].append(x)
            per_day[(p.inspector_id, d.date.toordinal())].append(x)
            per_quarter[p.inspector_id].append(x)
            terms.append(x)
            coeffs.append(cost)
            if (d.visit_id, pool.department, p.inspector_id) in chosen:
                flow_cost += cost
        # Each (visit, department): team_size..max(team_size, fields) members covering every field.
        members = {r: [pool.inspectors[c] for c in arcs.cols[arcs.rows == r].tolist()] for r in per_node}
        for r, d in enumerate(pool.demands):
            model.add(sum(per_node[r]) >= spec.team_size)
            model.add(sum(per_node[r]) <= eligibility.max_team(spec.team_size, len(d.fields)))
            if len(d.fields) > 1:
                for f in d.fields:
                    model.add(sum(x for x, p in zip(per_node[r], members.get(r, []), strict=True)
                                  if f in p.fields) >= 1)
    inspectors = directory.inspector_by_id
    # Each inspector within the daily cap on each day and the quarterly cap overall.
    for (pid, _), xs in sorted(per_day.items()):
        model.add(sum(xs) <= inspectors[pid].max_visits_per_day)
    for pid, xs in sorted(per_quarter.items()):
        model.add(sum(xs) <= inspectors[pid].max_visits_per_quarter)
    model.minimize(cp_model.LinearExpr.weighted_sum(terms, coeffs))
    built = time.perf_counter()

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit_s
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    done = time.perf_counter()
    out: dict[str, object] = {"status": solver.status_name(status), "pairs": n_pairs,
                              "build_s": round(built - started, 2), "solve_s": round(done - built, 2),
                              "flow_objective": flow_cost}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        out["objective"] = int(solver.objective_value)
        out["bound"] = int(solver.best_objective_bound)
        out["gap_to_flow"] = int(solver.objective_value) - flow_cost
    return out


def run_one(entities: int, inspectors: int, seed: int, limit_s: float, max_pairs: int,
            shape_b: bool = False) -> dict[str, object]:
    result: dict[str, object] = {"entities": entities, "inspectors": inspectors}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "demo"
        t = time.perf_counter()
        write_demo_data(data, entities=entities, inspectors=inspectors, seed=seed, announced=True)
        result["demo_data_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        directory = randsup.load_directory(data)
        result["load_s"] = round(time.perf_counter() - t, 2)
        spec = randsup.load_spec(data / "plan-2027Q1.toml")
        pseed = PublicSeed.for_spec(spec.seed, SOURCES)

        stages: dict[str, float] = {}
        began: dict[str, float] = {}

        def progress(stage: str, done: int = 0, total: int | None = None) -> None:
            if done == 0:
                began[stage] = time.perf_counter()
            else:
                stages[stage] = round(time.perf_counter() - began[stage], 2)

        t = time.perf_counter()
        plan = make_plan(directory, spec, pseed, progress=progress)
        result["plan_s"] = round(time.perf_counter() - t, 2)
        result["stages_s"] = stages
        result["peak_mb_after_plan"] = round(peak_mb())
        result["visits"] = len(plan.visits)
        result["teams"] = {k: v for k, v in plan.stats.items() if k.startswith("teams_") and ":" not in k}
        cal = WorkingCalendar.for_quarter(spec.quarter, spec.holidays_path())
        t = time.perf_counter()
        problems = randsup.check_plan_rules(plan.visits, directory, spec, set(cal.working_days()))
        result["check_s"] = round(time.perf_counter() - t, 2)
        result["violations"] = len(problems)
        result["baseline"] = baseline(plan, directory, spec, pseed, limit_s, max_pairs,
                                      workers=min(2, os.cpu_count() or 1))
        if shape_b:
            # Shape (b) of docs/assign.md: CP-SAT per department for every department, same dates.
            dated = [v.model_copy(update={"inspectors": ()}) for v in plan.visits]
            t = time.perf_counter()
            flow = teams.solve_teams(dated, directory, spec, pseed)
            result["teams_flow_s"] = round(time.perf_counter() - t, 2)
            t = time.perf_counter()
            try:
                cp = teams.solve_teams(dated, directory, spec, pseed, method="cp-sat")
                result["teams_cpsat_s"] = round(time.perf_counter() - t, 2)
                result["teams_cpsat_same_as_flow"] = cp.visits == flow.visits
            except randsup.RandsupError as exc:
                result["teams_cpsat_s"] = f"failed after {time.perf_counter() - t:.1f} s: {exc.message[:200]}"
        result["peak_mb"] = round(peak_mb())
    return result


def show(r: dict[str, object]) -> None:
    stages = r["stages_s"]
    assert isinstance(stages, dict)
    print(f"\n{r['entities']:,} entities, {r['inspectors']:,} inspectors: {r['visits']:,} visits")
    print(f"  demo data {r['demo_data_s']} s, load {r['load_s']} s")
    print(f"  make_plan {r['plan_s']} s  (" + ", ".join(f"{k} {v} s" for k, v in stages.items()) + ")")
    print(f"  teams: {json.dumps(r['teams'], ensure_ascii=False)}")
    print(f"  check_plan_rules: {r['violations']} violation(s) in {r['check_s']} s")
    print(f"  peak memory: {r['peak_mb_after_plan']} MB after make_plan, {r['peak_mb']} MB with the baseline")
    print(f"  baseline (one CP-SAT model): {json.dumps(r['baseline'])}")
    if "teams_cpsat_s" in r:
        print(f"  teams, flow with per-field slots (a): {r['teams_flow_s']} s; CP-SAT per department (b): "
              f"{r['teams_cpsat_s']} s; same teams: {r.get('teams_cpsat_same_as_flow')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=300_000)
    ap.add_argument("--inspectors", type=int, default=1_800)
    ap.add_argument("--scales", default="1,4", help="comma-separated multiples of both sizes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--baseline-limit", type=float, default=60.0, help="CP-SAT time limit in seconds")
    ap.add_argument("--baseline-max-pairs", type=int, default=2_000_000,
                    help="skip the baseline above this many Booleans (its model would not fit in memory)")
    ap.add_argument("--shape-b", action="store_true",
                    help="also time the teams as CP-SAT per department for every department (docs/assign.md)")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child process: one size
    a = ap.parse_args(argv)
    if a.one:
        print(json.dumps(run_one(a.entities, a.inspectors, a.seed, a.baseline_limit, a.baseline_max_pairs,
                                 a.shape_b)))
        return 0
    print(f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    failed = False
    for scale in [int(s) for s in a.scales.split(",")]:
        cmd = [sys.executable, __file__, "--one", "--entities", str(a.entities * scale),
               "--inspectors", str(a.inspectors * scale), "--seed", str(a.seed),
               "--baseline-limit", str(a.baseline_limit), "--baseline-max-pairs", str(a.baseline_max_pairs),
               *(["--shape-b"] if a.shape_b else [])]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"\n{scale}×: failed\n{run.stderr[-3000:]}", file=sys.stderr)
            failed = True
            continue
        r = json.loads(run.stdout.strip().splitlines()[-1])
        show(r)
        goal = 30 if scale == 1 else 120
        plan_s = float(r["plan_s"])  # type: ignore[arg-type]
        print(f"  goal: make_plan under {goal} s at {scale}×: {'met' if plan_s < goal else 'MISSED'}")
        failed |= int(r["violations"]) > 0  # type: ignore[call-overload]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
