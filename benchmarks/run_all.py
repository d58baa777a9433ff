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


def scripts(folder: Path = HERE) -> list[Path]:
    """The benchmark scripts of ``folder`` in the order they run."""
    me = Path(__file__).resolve().name
    return sorted(p for p in folder.glob("*.py") if p.name != me and not p.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    """Run every script; return 0 if all succeeded, else 1."""
    del argv  # no options: each script documents and defaults its own
    failed: list[str] = []
    summary: list[tuple[str, float, int]] = []
    for path in scripts():
        print(f"\n=== {path.name} ===", flush=True)
        started = time.perf_counter()
        rc = subprocess.call([sys.executable, str(path)], cwd=HERE.parent)
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
