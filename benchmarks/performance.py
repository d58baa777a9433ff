"""How fast is randsup? Tickets against DuckDB's sha256(), load + validate of 1M entities, the
demo quarter end to end, and the plan at 1×, 2× and 4× the Songjiang scale — one table with ratios.

Every measurement runs in a fresh Python process (this script re-invoked with ``--child``), so
its peak memory (ru_maxrss of the process and of its largest worker) is its own and one
measurement's caches cannot speed up the next. Data are generated in a separate child before the
timed one. Times are wall clock; other load on the machine slows them (the load average is
printed), so compare ratios within one run.

    .venv/bin/python benchmarks/performance.py [--tickets 1000000 10000000] [--load-entities 1000000]
        [--scales 1 2 4] [--repeat 3]

1× is the demo district of ``randsup demo-data``: 300,000 entities and 1,800 inspectors with its
plan-2027Q1.toml; k× multiplies both. "Plan" is ``randsup.make_plan`` (draw, visits, dates,
teams); "end to end" adds loading the CSV folder and writing the plan directory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling benchmark scripts, whose functions are reused

DEMO_ENTITIES = 300_000
DEMO_INSPECTORS = 1_800
# The values of the demo spec's two named seed sources (a 双色球 draw and an index close).
SOURCE_VALUES = ("02 05 12 20 25 31 08", "3245.67")


# ---------------------------------------------------------------------------------------
# Children: each prints one JSON line with its figures and its peak memory.


def _peak_mb() -> dict[str, float]:
    # Linux reports ru_maxrss in KiB; for children it is the largest child's peak, not a sum.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_mb": round(own, 1), "peak_child_mb": round(kids, 1)}


def child_tickets(n: int, repeat: int) -> dict[str, Any]:
    from tickets_bench import SEED, best, duckdb_rates, ids_of

    from randsup.draw.tickets import ticket_keys

    ids = ids_of(n)
    ticket_keys(SEED, ids[:1000], workers=1)  # warm-up: lookup tables
    t_ours, _ = best(lambda: ticket_keys(SEED, ids), repeat)
    (t_same, _), (t_bare, _) = duckdb_rates(n, repeat)
    return {"n": n, "randsup_s": t_ours, "duckdb_same_s": t_same, "duckdb_id_only_s": t_bare}


def child_make_directory(folder: str, entities: int) -> dict[str, Any]:
    from randsup.demo.synth import generate_directory
    from randsup.inputs.save import save_directory

    t = time.perf_counter()
    save_directory(generate_directory(entities=entities), folder)
    return {"seconds": time.perf_counter() - t}


def child_load(folder: str, repeat: int) -> dict[str, Any]:
    import randsup

    runs = []
    rows = 0
    for _ in range(repeat):
        t = time.perf_counter()
        d = randsup.load_directory(folder)
        runs.append(time.perf_counter() - t)
        rows = len(d.entities)
    return {"seconds": min(runs), "rows": rows}


def child_make_demo(folder: str, entities: int, inspectors: int) -> dict[str, Any]:
    from randsup.demo.synth import write_demo_data

    t = time.perf_counter()
    write_demo_data(folder, entities=entities, inspectors=inspectors, announced=True)
    return {"seconds": time.perf_counter() - t}


def child_quarter(folder: str, out: str) -> dict[str, Any]:
    """Load the demo folder, make the plan, write it: the whole quarter as a user runs it."""
    import randsup
    from randsup.draw.seed import PublicSeed
    from randsup.plan import make_plan
    from randsup.publish.render import write_plan
    from randsup.spec import load_spec

    t0 = time.perf_counter()
    directory = randsup.load_directory(folder)
    spec = load_spec(Path(folder) / "plan-2027Q1.toml")
    seed = PublicSeed.for_spec(spec.seed, list(SOURCE_VALUES))
    t1 = time.perf_counter()
    plan = make_plan(directory, spec, seed)
    t2 = time.perf_counter()
    write_plan(plan, out, spec=spec, directory=directory)
    t3 = time.perf_counter()
    return {"load_s": t1 - t0, "plan_s": t2 - t1, "write_s": t3 - t2, "visits": len(plan.visits),
            "entities": len(directory.entities), "inspectors": len(directory.inspectors)}


CHILDREN = {"tickets": child_tickets, "make-directory": child_make_directory, "load": child_load,
            "make-demo": child_make_demo, "quarter": child_quarter}


def run_child(name: str, **kwargs: Any) -> dict[str, Any]:
    """Run one measurement in a fresh process; its figures plus its peak memory."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, json.dumps(kwargs)]
    got = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    if got.returncode != 0:
        raise RuntimeError(f"{name} {kwargs} failed (exit {got.returncode}):\n{got.stderr[-3000:]}")
    return json.loads(got.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# The table


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in rows]
    return "\n".join(out)


def _mb(r: dict[str, Any]) -> float:
    return max(r["peak_mb"], r["peak_child_mb"])


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--child"]:
        result = CHILDREN[argv[1]](**json.loads(argv[2]))
        print(json.dumps({**result, **_peak_mb()}))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, nargs="*", default=[1_000_000, 10_000_000])
    ap.add_argument("--load-entities", type=int, default=1_000_000)
    ap.add_argument("--scales", type=int, nargs="*", default=[1, 2, 4])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--base-entities", type=int, default=DEMO_ENTITIES, help="entities at 1× (default: the demo)")
    ap.add_argument("--base-inspectors", type=int, default=DEMO_INSPECTORS, help="inspectors at 1×")
    args = ap.parse_args(argv)

    from randsup.bench.fairness import machine_description

    print(f"machine: {machine_description()}; load average {os.getloadavg()[0]:.1f}\n", flush=True)
    rows: list[list[str]] = []
    for n in args.tickets:
        r = run_child("tickets", n=n, repeat=args.repeat)
        ours, same, bare = n / r["randsup_s"], n / r["duckdb_same_s"], n / r["duckdb_id_only_s"]
        rows.append([f"tickets, {n:,} ids", f"{r['randsup_s']:.2f} s", f"{ours / 1e6:.2f} M/s",
                     f"DuckDB sha256 same digests {same / 1e6:.2f} M/s: ×{ours / same:.2f}; "
                     f"id only {bare / 1e6:.2f} M/s: ×{ours / bare:.2f}", f"{_mb(r):.0f} MB"])
        print(_table(["measure", "time", "rate", "against", "peak memory"], rows[-1:]), flush=True)

    with tempfile.TemporaryDirectory(prefix="randsup-perf-") as tmp:
        if args.load_entities:
            folder = str(Path(tmp) / "load")
            made = run_child("make-directory", folder=folder, entities=args.load_entities)
            r = run_child("load", folder=folder, repeat=args.repeat)
            rows.append([f"load + validate, {r['rows']:,} entities", f"{r['seconds']:.2f} s",
                         f"{r['rows'] / r['seconds'] / 1e6:.2f} M rows/s",
                         f"target 5 s: ×{r['seconds'] / 5:.2f} (data made in {made['seconds']:.0f} s)",
                         f"{_mb(r):.0f} MB"])
            print(_table(["measure", "time", "rate", "against", "peak memory"], rows[-1:]), flush=True)

        scale_rows: list[list[str]] = []
        first: dict[str, Any] | None = None
        for k in args.scales:
            folder = str(Path(tmp) / f"demo{k}")
            run_child("make-demo", folder=folder, entities=args.base_entities * k,
                      inspectors=args.base_inspectors * k)
            r = run_child("quarter", folder=folder, out=str(Path(tmp) / f"plan{k}"))
            total = r["load_s"] + r["plan_s"] + r["write_s"]
            first = first or {**r, "total": total}
            scale_rows.append([
                f"{k}×", f"{r['entities']:,}", f"{r['inspectors']:,}", f"{r['visits']:,}", f"{r['load_s']:.1f} s",
                f"{r['plan_s']:.1f} s", f"{r['write_s']:.1f} s", f"{total:.1f} s",
                f"×{r['plan_s'] / first['plan_s']:.2f}", f"{_mb(r):.0f} MB", f"×{_mb(r) / _mb(first):.2f}"])
            if k == 1:
                rows.append(["demo quarter end to end (load, plan, write)", f"{total:.1f} s",
                             f"{r['visits']:,} visits", f"plan {r['plan_s']:.1f} s of it", f"{_mb(r):.0f} MB"])
            shutil_rmtree(Path(tmp) / f"demo{k}")
            shutil_rmtree(Path(tmp) / f"plan{k}")
            print(f"scale {k}× done: {total:.1f} s", flush=True)

    print("\n" + _table(["measure", "time", "rate", "against", "peak memory"], rows))
    if scale_rows:
        print("\nThe plan at k × the demo district (plan = make_plan; ratios against 1×):\n")
        print(_table(["scale", "entities", "inspectors", "visits", "load", "plan", "write", "end to end",
                      "plan ratio", "peak memory", "memory ratio"], scale_rows))
    return 0


def shutil_rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
