"""One order of events for a plan folder and its ledger record, with no crash window.

1. the complete folder is written to a hidden sibling (``.randsup-staged-HASH``) and synced;
2. the ledger records the plan (or the change) as *pending*, naming the folder and its plan.json digest;
3. the staged folder is moved into place (an existing folder is moved aside first, then removed);
4. the ledger marks the record *published*.

A kill between any two steps leaves either no record (nothing public changed) or a pending
record whose folder can be completed from what is on disk: :func:`complete` does it, and the
commands call it when they are run again. ``ledger verify`` names every pending record
(:func:`pending_problems`). Design notes: docs/history.md (Order of events).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from ..io import injected_fault, named_for, parent_folder, remove_stale_partials
from ..publish.draw_only import DRAW_FILE
from ..publish.files import PLAN_FILE, REVEAL_RECORD
from .ledger import Ledger, LedgerRecord
from .lock import checkpoint

RESULTS_FILE = "results.json"  # the file that identifies a results folder (history/results.py)

__all__ = ["RESULTS_FILE", "complete", "folder_digest", "pending_problems", "publish", "staged_path", "write_folder"]


def _short(folder: str | Path, kind: str) -> Path:
    # Found again from the folder's name after a kill, yet short (a 250-character folder name
    # still fits the 255-byte limit) and without that name, which may be personal data.
    p = Path(folder)
    return p.with_name(f".randsup-{kind}-{hashlib.sha256(p.name.encode('utf-8')).hexdigest()[:16]}")


def staged_path(folder: str | Path) -> Path:
    return _short(folder, "staged")


def _aside_path(folder: str | Path) -> Path:
    return _short(folder, "old")


def _identity(rec: LedgerRecord) -> tuple[str, str]:
    """(file, sha256) that identifies the folder a pending record names: plan.json, or results.json."""
    if rec.kind == "publication":
        return RESULTS_FILE, rec.payload["results_json_sha256"]
    if rec.kind == "reveal":
        return REVEAL_RECORD, rec.payload["reveal_json_sha256"]
    if rec.payload.get("draw_only"):  # a `randsup draw` result, recorded as a plan without visits
        return DRAW_FILE, rec.payload["plan_json_sha256"]
    return PLAN_FILE, rec.payload["plan_json_sha256"]


def folder_digest(folder: str | Path, name: str = PLAN_FILE) -> str | None:
    """SHA-256 of the folder's plan.json (or another file), or None when it has none."""
    p = Path(folder) / name
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        return None


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its renames are durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _stage(folder: Path, files: Mapping[str, bytes]) -> None:
    staged = staged_path(folder)
    injected_fault(folder, after_writing=False)
    parent_folder(folder)
    shutil.rmtree(staged, ignore_errors=True)  # a staging that a kill interrupted, never recorded
    try:
        staged.mkdir()
        for name in sorted(files):
            p = staged / name
            p.parent.mkdir(parents=True, exist_ok=True)
            with open(p, "wb") as f:
                f.write(files[name])
                f.flush()
                os.fsync(f.fileno())
        injected_fault(folder, after_writing=True)
        for d in sorted({(staged / n).parent for n in files}, key=lambda d: len(d.parts), reverse=True):
            _fsync(d)
    except OSError as exc:  # disk full, permissions...: nothing was recorded, so leave nothing behind
        shutil.rmtree(staged, ignore_errors=True)
        raise named_for(exc, staged, folder) from None


def _move_into_place(folder: Path) -> None:
    aside = _aside_path(folder)
    if folder.exists():
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(folder, aside)
        checkpoint("folder:moved-aside")
    os.replace(staged_path(folder), folder)
    _fsync(folder.parent)
    shutil.rmtree(aside, ignore_errors=True)


def _restore(folder: Path) -> None:
    """Finish a move killed between its two renames (the folder is then missing)."""
    if folder.exists():
        return
    staged, aside = staged_path(folder), _aside_path(folder)
    if staged.is_dir():
        os.replace(staged, folder)
        shutil.rmtree(aside, ignore_errors=True)
    elif aside.is_dir():
        os.replace(aside, folder)


STALE_AFTER = 600  # seconds: a staging this old, and needed by no pending record, was left by a kill


def _remove_stale_stagings(book: Ledger, parent: Path) -> None:
    """Remove stagings a killed run left beside the folders (they hold the whole plan, names included).

    Kept: those a pending record of this ledger still needs to complete, and recent ones (another
    ledger's command may be writing beside us). Temporary folders of killed ``atomic_directory``
    writers go too (:func:`randsup.io.remove_stale_partials`).
    """
    remove_stale_partials(parent)
    if not parent.is_dir():
        return
    needed = {staged_path(Path(r.payload["folder"])).name for r in book.pending() if "folder" in r.payload}
    now = time.time()
    for p in sorted(parent.glob(".randsup-staged-*")):
        try:
            old = now - p.stat().st_mtime > STALE_AFTER
        except OSError:
            continue
        if old and p.is_dir() and p.name not in needed:
            shutil.rmtree(p, ignore_errors=True)


def write_folder(folder: str | Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` as ``folder`` (staged, then moved into place) without recording anything."""
    _stage(Path(folder), files)
    _move_into_place(Path(folder))


def publish(book: Ledger, folder: str | Path, files: Mapping[str, bytes], record: Callable[[], LedgerRecord],
            step: str) -> LedgerRecord:
    """Write ``files`` as ``folder`` in the order above; ``record`` appends the pending record.

    Call with the ledger lock held. ``step`` names the test kill points (``STEP:staged``, …).
    """
    target = Path(folder)
    _remove_stale_stagings(book, target.parent)
    _stage(target, files)
    checkpoint(f"{step}:staged")
    rec = record()
    checkpoint(f"{step}:pending")
    _move_into_place(target)
    checkpoint(f"{step}:moved")
    book.record_published(rec, target)
    checkpoint(f"{step}:published")
    return rec


def complete(book: Ledger, rec: LedgerRecord) -> bool:
    """Complete a pending record from disk: move its folder into place and mark it published.

    Returns False (and changes nothing) when neither the folder nor its staged copy holds the
    plan.json the record names; the command must then be run again to write it.
    """
    folder = Path(rec.payload["folder"])
    name, want = _identity(rec)
    _restore(folder)
    if folder_digest(folder, name) != want:
        if folder_digest(staged_path(folder), name) != want:
            return False
        _move_into_place(folder)
    book.record_published(rec, folder)
    return True


def pending_problems(book: Ledger) -> list[str]:
    """Each pending record with what its folder shows and how to repair it."""
    out = []
    for rec in book.pending():
        folder = Path(rec.payload["folder"])
        name, want = _identity(rec)
        draw = bool(rec.payload.get("draw_only"))
        what = {"plan": f"{'the draw' if draw else 'plan'} {rec.payload['plan_id']}",
                "publication": f"the results publication of plan {rec.payload['plan_id']}",
                "reveal": f"the reveal of plan {rec.payload['plan_id']}"}.get(
            rec.kind, f"{rec.payload.get('type', 'change')} of plan {rec.payload['plan_id']}")
        if folder_digest(folder, name) == want:
            state = f"its folder {folder} is complete but was never marked published"
        elif folder_digest(staged_path(folder), name) == want:
            state = f"its folder {folder} was written but never moved into place"
        else:
            state = f"its folder {folder} was never completed"
        command = {"plan": "randsup draw" if draw else "randsup plan", "publication": "randsup results publish",
                   "reveal": "randsup reveal"}.get(rec.kind, "randsup recuse")
        out.append(f"record seq {rec.seq} ({rec.kind}): {what} is pending: {state}; run the same `{command}` "
                   "command again to complete it")
    return out
