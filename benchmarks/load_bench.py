"""Time ``randsup.load_directory`` (load + validate) on a data folder with 1,000,000 entities.

Target (issue 2): under 5 s on a 2-core machine. The folder is the Songjiang-like demo data
(randsup.demo.synth.generate_directory) at 1,000,000 entities, written as canonical CSV by
randsup.inputs.save.save_directory, then loaded ``--repeat`` times in this process. Printed: the
best and median wall-clock times, the CPU time of the best run (both threads), the machine,
and the load average, which tells a busy machine from a slow loader.

    .venv/bin/python benchmarks/load_bench.py [--entities 1000000] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import randsup
from randsup.demo.synth import generate_directory
from randsup.inputs.save import save_directory


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="write the folder here and keep it (default: a temporary folder)")
    args = ap.parse_args(argv)

    print(f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs; "
          f"Python {platform.python_version()}, numpy {np.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "data"
        t0 = time.perf_counter()
        save_directory(generate_directory(entities=args.entities), folder, overwrite=args.keep is not None)
        size = (folder / "entities.csv").stat().st_size
        print(f"generated {args.entities:,} entities in {time.perf_counter() - t0:.1f} s "
              f"(entities.csv {size / 1e6:.1f} MB)")
        runs: list[tuple[float, float]] = []
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            d = randsup.load_directory(folder)
            runs.append((time.perf_counter() - t, time.process_time() - c))
            assert int(d.entities.kind_mask("市场主体").sum()) == args.entities  # plus sites, roads, … (object kinds)
    best, cpu = min(runs)
    median = statistics.median(w for w, _ in runs)
    print(f"load_directory + validate: best {best:.2f} s (CPU {cpu:.2f} s), median {median:.2f} s over "
          f"{args.repeat} runs; {args.entities / best:,.0f} entity rows/s; "
          f"load average {os.getloadavg()[0]:.1f}")
    target = 5.0 * args.entities / 1_000_000
    print(f"target {target:.1f} s: {'met' if best < target else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
