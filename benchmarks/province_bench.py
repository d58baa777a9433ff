"""Province scale: a draw-only run (``randsup draw``) of every task of the demo spec and two more over 2×10^7 entities.

Target (issue 16): 2×10^7 entities, 18 tasks, at most 5 minutes and 12 GB peak on 2 cores. The
demo spec has grown tasks for objects of other kinds (issue 17), so the run draws more than 18.

1. A directory is generated batch by batch straight into ``entities.parquet`` (demo/province.py):
   each entity copies the attributes of a random entity of the demo district, so the demo's
   plan specification (16 tasks, filters on industry and area) fits it; two tasks are added
   (an ``apart`` one and an ``independent`` one) to make 18.
2. Each engine draws in a fresh process (so one engine's memory cannot hide in another's):
   ``python`` loads the Parquet through the loader and hashes on every core; ``duckdb`` draws
   inside DuckDB from the Parquet file. Time is wall clock of make_draw (loading included) and
   the CPU seconds of the process tree. Peak memory is that of the whole process tree, sampled
   every second from /proc (reading smaps_rollup walks the page tables of a process of many GB
   under its memory lock, so sampling much more often slows the draw it measures): the peak of the summed **PSS** (proportional set size: a page shared
   by the parent and its forked ticket workers counts once, split between them), which is
   what the tree takes from the machine; the peak of the summed RSS (shared pages counted in
   every process) is printed beside it. ru_maxrss is not used: it is the largest single
   process's peak, and a forked worker's includes the parent's pages it merely shares.
3. The draws must be identical (same SHA-256 of the DrawResult).
4. Throughput on ``--ticket-ids`` ids: randsup's ticket keys (all cores), DuckDB's sha256() of
   the same messages, and the whole ticket key in DuckDB SQL (draw/sql.py), side by side.

    .venv/bin/python benchmarks/province_bench.py                 # 2×10^7 (needs ~12 GB free, minutes)
    .venv/bin/python benchmarks/province_bench.py --entities 20000 --ticket-ids 20000   # smoke size
    .venv/bin/python benchmarks/province_bench.py --work W ...; ... --data W/data       # draw again, same data
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from tickets_bench import SEED, best, duckdb_rates, ids_of, machine  # noqa: E402  (a sibling script)

SOURCES = ["02 05 12 20 25 31 08", "3245.67"]
EXTRA_TASKS = '''
[[tasks]]
task_id = "P17"
name = "企业公示信息抽查（错开）"
check_items = ["{items}"]
ratio = {{ A = 0.002, B = 0.004, C = 0.01, D = 0.03 }}
coordination = "apart"

[[tasks]]
task_id = "P18"
name = "企业公示信息抽查（独立）"
check_items = ["{items}"]
population = {{ entity_type = ["企业"] }}
ratio = {{ A = 0.001, B = 0.002, C = 0.005, D = 0.02 }}
coordination = "independent"
'''


def make_data(folder: Path, n: int, batch: int) -> tuple[Path, float]:
    """The data folder (demo tables, province entities.parquet, 18-task spec); generation seconds."""
    from randsup.demo.province import write_province_folder
    from randsup.spec import load_spec

    started = time.perf_counter()
    data, _ = write_province_folder(folder, n, seed=16, batch=batch)
    seconds = time.perf_counter() - started
    spec = load_spec(data / "plan-2027Q1.toml")
    items = next(t for t in spec.tasks if t.population is None).check_items[0]
    with (data / "plan-2027Q1.toml").open("a", encoding="utf-8") as f:
        f.write(EXTRA_TASKS.format(items=items))
    return data, seconds


def run_engine(data: Path, engine: str) -> dict[str, object]:
    """One draw in this process: seconds, peak memory, the draw's digest."""
    from randsup.draw.seed import PublicSeed
    from randsup.publish.draw_only import EntitySource, make_draw
    from randsup.spec import load_spec

    spec = load_spec(data / "plan-2027Q1.toml")
    seed = PublicSeed.for_spec(spec.seed, SOURCES, None)
    started, cpu0 = time.perf_counter(), os.times()
    result, _ = make_draw(data, spec, seed, source=EntitySource(engine=engine))
    seconds, cpu1 = time.perf_counter() - started, os.times()
    cpu = sum(cpu1[:4]) - sum(cpu0[:4])  # user + system, this process and its reaped workers
    draw = json.dumps(result.draw.model_dump(mode="json"), sort_keys=True).encode("utf-8")
    return {"engine": engine, "seconds": seconds, "cpu_seconds": cpu,
            "tasks": len(result.draw.tasks), "drawn": sum(len(t.selected) for t in result.draw.tasks),
            "draw_sha256": hashlib.sha256(draw).hexdigest()}


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", encoding="ascii") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _pss_rss_kb(pid: int) -> tuple[int, int]:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line and not line[0].isdigit())
        return int(fields["Pss"].split()[0]), int(fields["Rss"].split()[0])
    except (OSError, KeyError, ValueError):
        return 0, 0


class TreeMemory:
    """Peak summed PSS and RSS (GB) of a process tree, sampled every ``interval`` seconds."""

    def __init__(self, root: int, interval: float = 1.0) -> None:
        self.root, self.interval = root, interval
        self.peak_pss = self.peak_rss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pss = rss = 0
            for pid in _tree(self.root):
                a, b = _pss_rss_kb(pid)
                pss, rss = pss + a, rss + b
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss / 2**20), max(self.peak_rss, rss / 2**20)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def measure_engine(data: Path, engine: str) -> dict[str, object]:
    """One draw in a fresh process, its tree's memory sampled from here."""
    proc = subprocess.Popen([sys.executable, __file__, "--run-engine", engine, "--work", str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mem = TreeMemory(proc.pid)
    out, err = proc.communicate()
    mem.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"the {engine} draw failed:\n{err[-3000:]}")
    row = json.loads(out.strip().splitlines()[-1])
    row.update(peak_pss_gb=mem.peak_pss, peak_rss_gb=mem.peak_rss)
    return row


def sql_key_rate(n: int, repeat: int) -> float:
    """Ticket keys per second computed entirely in DuckDB SQL (draw/sql.py's expression)."""
    import duckdb

    from randsup._runtime import available_cores
    from randsup.draw.sql import DUCKDB, keyed_sql

    con = duckdb.connect()
    con.execute(f"SET threads = {available_cores()}")
    con.execute(f"CREATE TABLE t AS SELECT '91310117M' || lpad(i::VARCHAR, 9, '0') AS entity_id, 0 AS pid, "
                f"0 AS risk FROM range({n}) r(i)")
    sql = f"SELECT sum(hash(ticket_key)) FROM ({keyed_sql(DUCKDB, 't', SEED)})"
    wall, _ = best(lambda: con.execute(sql).fetchall(), repeat)
    con.close()
    return n / wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=20_000_000)
    ap.add_argument("--engines", nargs="+", default=["python", "duckdb"], choices=["python", "duckdb", "spark"])
    ap.add_argument("--ticket-ids", type=int, default=5_000_000, help="ids for the throughput comparison")
    ap.add_argument("--batch", type=int, default=1_000_000, help="rows per generated Parquet batch")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None, help="folder for the data (default: a temporary one)")
    ap.add_argument("--data", type=Path, default=None,
                    help="draw from this data folder of an earlier run (WORK/data) instead of generating one")
    ap.add_argument("--run-engine", default=None, help=argparse.SUPPRESS)  # internal: one draw, JSON out
    args = ap.parse_args(argv)
    if args.run_engine:
        print(json.dumps(run_engine(args.work, args.run_engine)))
        return 0

    print(f"machine: {machine()}")
    work = args.work or Path(tempfile.mkdtemp(prefix="randsup-province-"))
    same = False
    try:
        if args.data is not None:
            data = args.data
            import pyarrow.parquet as pq

            n = pq.ParquetFile(data / "entities.parquet").metadata.num_rows
            how = "from an earlier run"
        else:
            data, gen_s = make_data(work, args.entities, min(args.batch, args.entities))
            n, how = args.entities, f"generated in {gen_s:.1f} s"
        size = (data / "entities.parquet").stat().st_size / 2**20
        from randsup.spec import load_spec

        tasks = len(load_spec(data / "plan-2027Q1.toml").tasks)
        print(f"\n{n:,} entities, {tasks} tasks; entities.parquet {size:,.0f} MiB {how}")
        print(f"load average before the draws: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        rows = []
        for engine in args.engines:
            try:
                rows.append(measure_engine(data, engine))
            except RuntimeError as exc:
                print(exc, file=sys.stderr)
                return 1
        print(f"load average after the draws: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"\n  {'engine':<8} {'time':>9} {'CPU':>9} {'peak PSS':>10} {'(RSS sum)':>10} {'drawn':>9}  draw SHA-256")
        for r in rows:
            print(f"  {r['engine']:<8} {r['seconds']:8.1f}s {r['cpu_seconds']:8.1f}s {r['peak_pss_gb']:7.2f} GB "
                  f"{r['peak_rss_gb']:7.2f} GB {r['drawn']:9,}  {str(r['draw_sha256'])[:16]}…")
        same = len({r["draw_sha256"] for r in rows}) == 1
        print(f"  identical draws: {'yes' if same else 'NO'}")
        target = all(float(r["seconds"]) <= 300 and float(r["peak_pss_gb"]) <= 12 for r in rows)
        print(f"  target (<= 5 min, <= 12 GB): {'met' if target else 'NOT met'} for "
              f"{', '.join(str(r['engine']) for r in rows)}")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    from randsup.draw.tickets import ticket_keys

    n = args.ticket_ids
    ids = ids_of(n)
    ticket_keys(SEED, ids[:1000], workers=1)  # warm-up
    t_ours, _ = best(lambda: ticket_keys(SEED, ids), args.repeat)
    (t_sha, _), _ = duckdb_rates(n, args.repeat)
    sql_rate = sql_key_rate(n, args.repeat)
    print(f"\nthroughput on {n:,} ids (wall clock, all cores):")
    print(f"  randsup ticket keys (hashlib, processes) : {n / t_ours / 1e6:6.2f} M tickets/s")
    print(f"  DuckDB sha256() of the same messages     : {n / t_sha / 1e6:6.2f} M digests/s "
          f"(ratio {t_sha / t_ours:.2f})")
    print(f"  DuckDB SQL ticket key (sha256 + HUGEINT)  : {sql_rate / 1e6:6.2f} M tickets/s")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
