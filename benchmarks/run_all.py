"""Run every benchmark script in this folder, one after another (``make bench``).

Each script runs in its own Python process, so one benchmark's memory and imports cannot
colour the next one's timings. Scripts run in name order with their own defaults; this
file and helper modules (names starting with "_") are skipped. The exit code is non-zero
if any script failed, after all of them have run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Tiny sizes at which each script runs in seconds: `run_all.py --smoke`, and the test suite, which
# fails for a script in this folder that has no entry here. "{tmp}" is a scratch folder.
SMOKE: dict[str, list[str]] = {
    "assign_bench.py": ["--entities", "5000", "--inspectors", "900", "--scales", "1", "--baseline-limit", "2"],
    "fairness.py": ["--seeds", "2", "--entities", "5000", "--inspectors", "900", "--workers", "1",
                    "--report", "{tmp}/fairness"],
    "load_bench.py": ["--entities", "2000", "--repeat", "1"],
    "performance.py": ["--tickets", "2000", "--load-entities", "2000", "--scales", "1", "--repeat", "1",
                       "--base-entities", "5000", "--base-inspectors", "900"],
    "province_bench.py": ["--entities", "20000", "--ticket-ids", "20000", "--repeat", "1"],
    "tickets_bench.py": ["--sizes", "2000", "--repeat", "1"],
}


def scripts(folder: Path = HERE) -> list[Path]:
    """The benchmark scripts of ``folder`` in the order they run."""
    me = Path(__file__).resolve().name
    return sorted(p for p in folder.glob("*.py") if p.name != me and not p.name.startswith("_"))


def smoke_args(name: str, tmp: str) -> list[str]:
    """The tiny-size arguments of one script (KeyError for a script without an entry in SMOKE)."""
    return [a.replace("{tmp}", tmp) for a in SMOKE[name]]


def main(argv: list[str] | None = None) -> int:
    """Run every script (with ``--smoke``, each at its tiny size); 0 if all succeeded, else 1."""
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: checks that every script runs, in seconds")
    args = ap.parse_args(argv)
    failed: list[str] = []
    summary: list[tuple[str, float, int]] = []
    tmp = tempfile.mkdtemp(prefix="randsup-bench-")
    for path in scripts():
        print(f"\n=== {path.name} ===", flush=True)
        started = time.perf_counter()
        extra = smoke_args(path.name, tmp) if args.smoke else []
        rc = subprocess.call([sys.executable, str(path), *extra], cwd=HERE.parent)
        elapsed = time.perf_counter() - started
        summary.append((path.name, elapsed, rc))
        if rc != 0:
            failed.append(path.name)
    print("\n=== summary ===")
    for name, elapsed, rc in summary:
        print(f"{name:<28} {'ok' if rc == 0 else f'FAILED (exit {rc})':<18} {elapsed:8.1f} s")
    if failed:
        print(f"{len(failed)} benchmark(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
