"""Headless Chromium for the site tests: the DOM of a page after its scripts ran, or a screenshot.

.ci/run installs Chromium from the Debian packages when it is missing; elsewhere the tests that
need it are skipped with that reason.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (.ci/run installs it with apt)")

# Virtual time lets the page's promises (WebCrypto) settle before the DOM is dumped.
_BUDGET_MS = 20_000


def _chromium(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="randsup-chromium-") as profile:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", f"--user-data-dir={profile}",
             f"--virtual-time-budget={_BUDGET_MS}", *args],
            capture_output=True, text=True, timeout=timeout, check=False)


def dump_dom(url: str) -> str:
    """The page's DOM (as HTML) once its scripts have run."""
    proc = _chromium(["--dump-dom", url])
    dom = proc.stdout
    assert "<html" in dom, f"chromium gave no DOM for {url}: {proc.stderr[-2000:]}"
    return dom


def screenshot(url: str, path: Path, width: int = 1000, height: int = 1600) -> Path:
    """A PNG of the page as a desktop (or, with a small width, a phone) browser shows it."""
    proc = _chromium(["--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={path}", url])
    assert path.is_file(), f"chromium wrote no screenshot for {url}: {proc.stderr[-2000:]}"
    return path
