"""The README's library snippet runs as written (issue 10: the public API did not change under the layout)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def python_snippets() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_has_a_library_snippet() -> None:
    assert any("import randsup" in s for s in python_snippets())


def test_readme_snippets_run_against_small_demo_data(tmp_path: Path) -> None:
    """Each snippet runs in a folder holding `demo/data` and `demo/salt.txt`, as `make demo` leaves them
    (small here; a fixed salt whose small district is staffable)."""
    from randsup.demo.synth import write_demo_data
    from randsup.draw.seed import commit_salt

    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "salt.txt").write_text("salt-b\n", encoding="utf-8")
    write_demo_data(tmp_path / "demo" / "data", entities=3000, inspectors=200, seed=0,
                    salt_commitment=commit_salt("salt-b"))
    for snippet in python_snippets():
        done = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, snippet + "\n" + done.stderr[-3000:]
