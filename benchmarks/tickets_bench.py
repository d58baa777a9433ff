"""Ticket throughput against DuckDB's vectorised sha256() on the same machine, in the same run.

randsup computes one consistent-sampler ticket key per entity: SHA-256(SHA-256hex(seed) || id),
then H mod 10^19 reversed (tickets.py). The hardware reference is DuckDB hashing the same
number of strings with its vectorised sha256() on every core, twice:

* ``same digests``: SHA-256 of exactly the strings randsup hashes (the 64-character seed hash
  followed by the id), i.e. the same digests;
* ``id only``: SHA-256 of the bare ids (one block each, the cheapest possible digest).

The goal is at least half the reference throughput. Each figure is the best of ``--repeat``
runs; other load on the machine lowers all of them, so compare ratios within one run.

    .venv/bin/python benchmarks/tickets_bench.py [--sizes 1000000 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import ssl
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from randsup._runtime import available_cores
from randsup.draw.tickets import _digest_keys, _encode, _seed_prefix, ticket_keys

SEED = "randsup-benchmark-seed"


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    import duckdb

    sha_ni = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            sha_ni = " sha_ni" if " sha_ni" in f.read() else ""
    except OSError:
        pass
    return (f"{platform.system()} {platform.machine()}, {cpu}{sha_ni}, {available_cores()} usable cores "
            f"(os.cpu_count {os.cpu_count()}); Python {platform.python_version()}, numpy {np.__version__}, "
            f"duckdb {duckdb.__version__}, {ssl.OPENSSL_VERSION}")


def ids_of(n: int) -> np.ndarray:
    """n distinct 18-character ids shaped like 统一社会信用代码 (not check-digit valid)."""
    digits = np.arange(n, dtype=np.int64)
    cols = [(digits // 10**p) % 10 for p in range(8, -1, -1)]
    body = np.stack(cols, axis=1).astype(np.uint8) + ord("0")
    head = np.frombuffer(b"91310117M", dtype=np.uint8)
    raw = np.concatenate([np.broadcast_to(head, (n, head.size)), body], axis=1)
    return np.ascontiguousarray(raw).view("S18").reshape(n).astype("U18")


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its children) of the fastest run."""
    runs = []
    for _ in range(repeat):
        c0, t = os.times(), time.perf_counter()
        fn()
        wall, c1 = time.perf_counter() - t, os.times()
        cpu = (c1.user + c1.system + c1.children_user + c1.children_system
               - c0.user - c0.system - c0.children_user - c0.children_system)
        runs.append((wall, cpu))
    return min(runs)


def duckdb_rates(n: int, repeat: int) -> tuple[tuple[float, float], tuple[float, float]]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {available_cores()}")
    con.execute(f"CREATE TABLE t AS SELECT '91310117M' || lpad(i::VARCHAR, 9, '0') AS id FROM range({n}) r(i)")
    prefix = _seed_prefix(SEED).decode("ascii")
    same = f"SELECT sum(hash(sha256('{prefix}' || id))) FROM t"
    bare = "SELECT sum(hash(sha256(id))) FROM t"
    con.execute(same.replace("FROM t", "FROM (SELECT id FROM t LIMIT 1000)")).fetchall()  # warm-up
    t_same = best(lambda: con.execute(same).fetchall(), repeat)
    t_bare = best(lambda: con.execute(bare).fetchall(), repeat)
    con.close()
    return t_same, t_bare


def thread_rate(ids: np.ndarray, threads: int) -> float:
    """Ticket keys with a thread pool: shows that hashlib holds the GIL for short inputs."""
    enc = _encode(ids)
    prefix = _seed_prefix(SEED)
    parts = np.array_split(enc, threads)
    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda c: _digest_keys(prefix, c), parts))
    return enc.shape[0] / (time.perf_counter() - t)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    print(f"machine: {machine()}")
    print(f"hashlib sha256: {hashlib.sha256().name} via {ssl.OPENSSL_VERSION}")
    ok = True
    for n in args.sizes:
        ids = ids_of(n)
        ticket_keys(SEED, ids[:1000], workers=1)  # warm-up: lookup tables
        t_serial, _ = best(lambda ids=ids: ticket_keys(SEED, ids, workers=1), 1)
        t_par, cpu_par = best(lambda ids=ids: ticket_keys(SEED, ids), args.repeat)
        (t_same, cpu_same), (t_bare, cpu_bare) = duckdb_rates(n, args.repeat)
        # At a tiny size the process CPU clock may not tick at all: never divide by a zero reading.
        cpu_par, cpu_same, cpu_bare = (max(c, 1e-9) for c in (cpu_par, cpu_same, cpu_bare))
        threads = thread_rate(ids[: min(n, 1_000_000)], available_cores())
        ours, ref_same, ref_bare = n / t_par, n / t_same, n / t_bare
        # A tiny smoke run can use less CPU than the clock resolves; never divide by zero.
        cpu_par, cpu_same, cpu_bare = (max(c, 1e-6) for c in (cpu_par, cpu_same, cpu_bare))
        print(f"\n{n:,} ids (wall clock; per CPU-second in brackets, which other load on the machine does not skew)")
        print(f"  randsup ticket keys, 1 process      : {n / t_serial / 1e6:6.2f} M tickets/s")
        print(f"  randsup ticket keys, all cores      : {ours / 1e6:6.2f} M tickets/s ({t_par:.2f} s) "
              f"[{n / cpu_par / 1e6:.2f} M per CPU-s]")
        print(f"  (threads instead of processes       : {threads / 1e6:6.2f} M tickets/s — hashlib keeps the GIL)")
        print(f"  DuckDB sha256, same digests         : {ref_same / 1e6:6.2f} M digests/s  ratio {ours / ref_same:.2f} "
              f"[{n / cpu_same / 1e6:.2f} M per CPU-s, ratio {cpu_same / cpu_par:.2f}]")
        print(f"  DuckDB sha256, id only (1 block)    : {ref_bare / 1e6:6.2f} M digests/s  ratio {ours / ref_bare:.2f} "
              f"[{n / cpu_bare / 1e6:.2f} M per CPU-s, ratio {cpu_bare / cpu_par:.2f}]")
        ok &= ours >= 0.5 * ref_same
    print(f"\ngoal (>= 0.5x DuckDB on the same digests): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
