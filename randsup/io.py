"""Atomic file and directory writes, canonical JSON, and formula-safe CSV cells."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import OutputError

__all__ = [
    "atomic_directory",
    "canonical_json",
    "csv_text",
    "neutralise_cell",
    "unneutralise_cell",
    "write_atomic",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """Text for a CSV/XLSX cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    s = "" if value is None else str(value)
    # Text that already starts with quote marks before a formula character gets one more, so that
    # unneutralise_cell gives back exactly the original.
    return "'" + s if s.lstrip("'").startswith(_FORMULA_START) else s


def unneutralise_cell(s: str) -> str:
    """The inverse of :func:`neutralise_cell`, for reading back what randsup wrote."""
    return s[1:] if s.startswith("'") and s.lstrip("'").startswith(_FORMULA_START) else s


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV (LF line ends, every cell neutralised) as a string."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    # With LF line ends the csv module leaves a bare CR unquoted, which splits the row for
    # spreadsheet readers; such rows are written fully quoted instead.
    w_quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for r in [header, *rows]:
        cells = [neutralise_cell(c) for c in r]
        (w_quoted if any("\r" in c for c in cells) else w).writerow(cells)
    return buf.getvalue()


def canonical_json(obj: Any) -> bytes:
    """UTF-8 JSON with sorted keys, 2-space indent and a final LF: byte-identical for equal data."""
    return (json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would make public files unreadable to others
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_directory(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success rename it to ``path``, on failure remove it.

    An existing ``path`` is an OutputError unless ``overwrite`` is set, so results are never
    silently replaced and an interrupted run never leaves a partial directory behind.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputError(f"{target} exists already; choose a new output folder or remove the old one")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial"))
    # mkdtemp makes the folder private (0700); a published folder should read like any other.
    tmp.chmod(0o777 & ~_umask())
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
