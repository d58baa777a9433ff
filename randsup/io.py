"""Atomic file and directory writes, canonical JSON, and formula-safe CSV cells."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import OutputError

__all__ = [
    "atomic_directory",
    "canonical_json",
    "control_character",
    "csv_text",
    "named_for",
    "neutralise_cell",
    "one_line",
    "parent_folder",
    "remove_stale_partials",
    "injected_fault",
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


# C0 and C1 control characters, DEL, and the byte-order mark (U+FEFF) that concatenated exports
# leave in the middle of a file. Line breaks are separate: a name or address from a registry
# export may hold one, and it becomes a space (docs/inputs.md, "Control characters").
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def control_character(s: str, *, line_breaks: bool = True) -> str | None:
    """Why ``s`` cannot be used as an identifier or name, or None: the first control character, named.

    With ``line_breaks`` (identifiers, plan ids) CR and LF count too; without, only the others do.
    """
    m = _CONTROL.search(s)
    if m is None and line_breaks:
        m = re.search(r"[\r\n]", s)
    if m is None:
        return None
    c = m.group()
    what = "a byte-order mark (U+FEFF)" if c == "\ufeff" else f"the control character U+{ord(c):04X}"
    return (f"holds {what} at position {m.start() + 1}; such characters are invisible, break "
            "spreadsheets and notices, and usually come from a damaged export: delete it")


def one_line(s: str) -> str:
    """``s`` with each line break (and the blanks around it) replaced by one space."""
    return _LINE_BREAKS.sub(" ", s) if ("\n" in s or "\r" in s) else s


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


# Temporary folders are named ".randsup-<pid>-<random>.partial": short (a 250-character target
# name still fits the 255-byte limit) and free of the target's name, which may be personal data.
_TEMP_PREFIX = ".randsup-"
_PARTIAL = re.compile(r"\.randsup-(\d+)-[A-Za-z0-9_-]+\.partial")
_STALE_AFTER = 24 * 3600  # seconds; where a process cannot be asked whether it is alive (Windows)


# A test hook, never set in normal use: CI runs as root, where no folder is unwritable and no disk
# fills up, so tests set RANDSUP_TEST_FAULT to an errno name (EACCES, ENOTDIR, ENAMETOOLONG,
# ENOSPC, ...) and the atomic writers below raise that OSError as the operating system would.
TEST_FAULT_ENV = "RANDSUP_TEST_FAULT"
_FAULT_AFTER_WRITING = {"ENOSPC", "EDQUOT", "EIO"}  # these strike while the files are being written


def injected_fault(path: Path, *, after_writing: bool) -> None:
    name = os.environ.get(TEST_FAULT_ENV, "")
    code = getattr(errno, name, None) if name.isupper() else None
    if code is None or (name in _FAULT_AFTER_WRITING) != after_writing:
        return
    raise OSError(code, os.strerror(code), str(path))


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it."""
    p = Path(path)
    injected_fault(p, after_writing=False)
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    # A short fixed prefix: the temporary name must fit where ``path`` fits (255 bytes).
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=_TEMP_PREFIX, suffix=".tmp")
    try:
        # mkstemp's 0600 would make public files unreadable to others; os.chmod (not os.fchmod,
        # which Windows lacks before Python 3.13) works on every platform.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        injected_fault(p, after_writing=True)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: the process exists but belongs to someone else
        return True
    return True


def remove_stale_partials(folder: str | Path) -> list[Path]:
    """Remove temporary folders a killed randsup run left in ``folder``; returns what was removed.

    A folder counts as stale when the process that made it (its name holds the pid) is gone; on
    Windows, where that cannot be asked safely, when it is older than a day.
    """
    removed: list[Path] = []
    try:
        entries = sorted(Path(folder).iterdir())
    except OSError:
        return removed
    for p in entries:
        m = _PARTIAL.fullmatch(p.name)
        if m is None or not p.is_dir():
            continue
        if os.name == "nt":
            try:
                stale = time.time() - p.stat().st_mtime > _STALE_AFTER
            except OSError:
                continue
        else:
            stale = not _alive(int(m.group(1)))
        if stale:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def parent_folder(target: Path) -> Path:
    """The folder that will hold ``target``, made if missing; a file in the way is ENOTDIR."""
    parent = target.parent
    for p in (parent, *parent.parents):
        if p.exists():
            if not p.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(p))
            break
    parent.mkdir(parents=True, exist_ok=True)
    return parent


@contextmanager
def atomic_directory(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success rename it to ``path``, on failure remove it.

    An existing ``path`` is an OutputError unless ``overwrite`` is set, so results are never
    silently replaced and an interrupted run never leaves a partial directory behind; one that
    a killed run left is removed by the next run in the same folder.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputError(f"{target} exists already; choose a new output folder or remove the old one")
    injected_fault(target, after_writing=False)
    parent = parent_folder(target)
    remove_stale_partials(parent)
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f"{_TEMP_PREFIX}{os.getpid()}-", suffix=".partial"))
    try:
        # mkdtemp makes the folder private (0700); a published folder should read like any other.
        tmp.chmod(0o777 & ~_umask())
        yield tmp
        injected_fault(target, after_writing=True)
        if target.exists():
            old = tmp.with_name(tmp.name.removesuffix(".partial") + "-old.partial")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise named_for(exc, tmp, target) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def named_for(exc: OSError, tmp: Path, target: Path) -> OSError:
    """The error with the path inside the temporary folder told as the path inside ``target``."""
    name = str(exc.filename) if exc.filename is not None else ""
    if name == str(tmp) or name.startswith(str(tmp) + os.sep):
        return OSError(exc.errno, exc.strerror, str(target) + name[len(str(tmp)):])
    return exc
