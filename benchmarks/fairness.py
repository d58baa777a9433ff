"""Fairness benchmark: randsup's draws and teams over many public seeds, against the baselines
regulators use today. The library does the work (randsup.bench.fairness); this script only parses.

    .venv/bin/python benchmarks/fairness.py [--seeds 1000] [--report .bench/fairness]
        [--entities 20000] [--inspectors 1000] [--workers N]

The same run as ``randsup bench fairness``; it prints the summary table and writes report.md
with PNG plots (the report folder is replaced if it holds only an earlier report).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from randsup.bench.fairness import (
    DEFAULT_SEEDS,
    QUICK_ENTITIES,
    QUICK_INSPECTORS,
    demo_setting,
    run_fairness,
    summary_rows,
    write_report,
)

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="public seeds (quarters); 100 for a quick run")
    ap.add_argument("--report", type=Path, default=ROOT / ".bench" / "fairness", help="folder for report.md")
    ap.add_argument("--entities", type=int, default=QUICK_ENTITIES)
    ap.add_argument("--inspectors", type=int, default=QUICK_INSPECTORS)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args(argv)

    setting = demo_setting(entities=args.entities, inspectors=args.inspectors)
    result = run_fairness(setting, seeds=args.seeds, workers=args.workers,
                          progress=lambda done, total: print(f"\r{done}/{total} years", end="", flush=True))
    print()
    header, rows = summary_rows(result)
    width = max(len(r[0]) for r in rows)
    for i, label in enumerate(header[1:], start=1):
        print(f"\n{label}")
        for r in rows:
            print(f"  {r[0]:<{width}}  {r[i]}")
    print(f"\n{result.seconds:.1f} s on {result.workers} process(es); {result.machine}")
    print(f"report: {write_report(result, args.report)}")
    return 0 if result.method("randsup").classes_over_4 == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
