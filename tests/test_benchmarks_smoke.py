"""Every script in benchmarks/ runs, at a tiny size, so that a renamed function cannot break one unseen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import run_all  # noqa: E402  (a script folder, not a package)


def test_every_script_has_a_smoke_size() -> None:
    assert sorted(p.name for p in run_all.scripts()) == sorted(run_all.SMOKE)


@pytest.mark.parametrize("name", sorted(run_all.SMOKE))
def test_script_runs_at_a_tiny_size(name: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH / name), *run_all.smoke_args(name, str(tmp_path))],
                          capture_output=True, text=True, cwd=BENCH.parent, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert done.stdout.strip()  # it reported figures
