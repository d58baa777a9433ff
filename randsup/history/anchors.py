"""Anchors: the ledger heads that published files state, checked against the ledger.

A public file states the ledger head it was written against (``head_before``, a recorded input
of the plan) and its own record holds the file's digests; the next public file's head covers
that record. A rewrite of the chain (records edited and every later hash recomputed) keeps the
chain itself consistent, but no longer matches the heads already published. Design notes:
docs/history.md (Anchors).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem
from ..model import LedgerHead
from ..publish.draw_only import DRAW_FILE, read_draw
from ..publish.files import DRAWN_LIST, PLAN_FILE, REVEAL_RECORD, read_json, read_plan
from .folders import RESULTS_FILE, folder_digest
from .ledger import GENESIS_HASH, Ledger, LedgerRecord

__all__ = ["Anchor", "AnchorReport", "check_anchors", "read_anchor", "read_anchors"]


@dataclass(frozen=True)
class Anchor:
    """What one published folder states about the ledger."""

    folder: Path
    kind: str  # "plan", "publication" or "reveal"
    plan_id: str
    head: LedgerHead
    files: dict[str, str]  # public file → sha256, as found on disk
    forced_reason: str | None = None  # a reveal's: the published reason of an early reveal
    identity: str = PLAN_FILE  # the file whose digest a plan record holds: plan.json, or a draw's draw.json
    from_draw: tuple[int, str] | None = None  # a plan's: (record seq, draw.json digest) of the draw it took


@dataclass(frozen=True)
class AnchorReport:
    """Problems (each names a record), notes (folders that anchor nothing) and the unanchored tail."""

    problems: list[str]
    notes: list[str]
    unanchored: str | None = None


def _public_digests(folder: Path, names: Sequence[str]) -> dict[str, str]:
    out = {}
    for name in sorted(names):
        p = folder / name
        if p.is_file():
            out[name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _public_names(f: Path) -> list[str]:
    return [str(p.relative_to(f).as_posix()) for p in sorted((f / "public").rglob("*")) if p.is_file()]


def read_anchor(folder: str | Path) -> Anchor | None:
    """The anchor a plan, draw or results folder states; None when it states no ledger head."""
    f = Path(folder)
    if (f / PLAN_FILE).is_file():
        plan = read_plan(f)
        if plan.ledger is None:
            return None
        took = plan.ledger.from_draw
        return Anchor(f, "plan", plan.plan_id, plan.ledger.head_before, _public_digests(f, _public_names(f)),
                      from_draw=None if took is None else (took.seq, took.draw_json_sha256))
    if (f / DRAW_FILE).is_file():  # `randsup draw`: recorded as a plan without visits
        drawn = read_draw(f)
        if drawn.ledger is None:
            return None
        return Anchor(f, "plan", drawn.plan_id, drawn.ledger.head_before, _public_digests(f, _public_names(f)),
                      identity=DRAW_FILE)
    if (f / RESULTS_FILE).is_file():
        raw = read_json(f / RESULTS_FILE)
        head = (raw.get("ledger") or {}).get("head_before") if isinstance(raw, dict) else None
        if not isinstance(head, dict):
            return None
        names = [p.name for p in sorted(f.iterdir()) if p.is_file() and p.name != "manifest.json"]
        return Anchor(f, "publication", str(raw.get("plan_id")), LedgerHead.model_validate(head),
                      _public_digests(f, names))
    raise InputError(Problem(str(f), None, None, None, "neither a plan folder (plan.json), a draw folder "
                             "(draw.json) nor a results folder (results.json); pass folders that randsup wrote"),
                     header="not an anchor")


def read_anchors(folder: str | Path) -> list[Anchor | None]:
    """The anchors a folder states: its own (``read_anchor``), and a plan (or draw) folder's reveal when it has one.

    None stands for a folder (or a reveal) that states no ledger head.
    """
    f = Path(folder)
    out = [read_anchor(f)]
    if ((f / PLAN_FILE).is_file() or (f / DRAW_FILE).is_file()) and (f / REVEAL_RECORD).is_file():
        raw = read_json(f / REVEAL_RECORD, REVEAL_RECORD)
        head = (raw.get("ledger") or {}).get("head_before") if isinstance(raw, dict) else None
        forced = raw.get("forced") if isinstance(raw, dict) else None
        out.append(None if not isinstance(head, dict) else Anchor(
            f, "reveal", str(raw.get("plan_id")), LedgerHead.model_validate(head),
            _public_digests(f, [REVEAL_RECORD, DRAWN_LIST]),
            forced.get("reason") if isinstance(forced, dict) else None))
    return out


def _own_record(records: Sequence[LedgerRecord], a: Anchor) -> LedgerRecord | None:
    for r in records:
        if r.kind != a.kind or r.payload.get("plan_id") != a.plan_id:
            continue
        if a.kind == "plan" and bool(r.payload.get("draw_only")) != (a.identity == DRAW_FILE):
            continue  # a draw and a plan of one plan id may state the same head
        stated = (r.payload.get("ledger") or {}).get("head_before")
        if stated == a.head.model_dump(mode="json"):
            return r
    return None


def check_anchors(book: Ledger, folders: Sequence[str | Path]) -> AnchorReport:
    """Check that the ledger still holds the heads and records the given published folders state.

    Problems are sorted by the record they name, so the first one says where the rewrite is at
    the latest; records after the last anchor are named as unanchored (nothing published covers them).
    """
    records = book.records()
    by_seq = {r.seq: r for r in records}
    problems: list[tuple[int, str]] = []
    notes: list[str] = []
    anchors: list[Anchor] = []
    for folder in folders:
        for k, a in enumerate(read_anchors(folder)):
            if a is None:
                what = folder if k == 0 else Path(folder) / REVEAL_RECORD
                notes.append(f"{what} states no ledger head (made without a ledger or by an older randsup); "
                             "it anchors nothing")
            else:
                anchors.append(a)
    for a in sorted(anchors, key=lambda a: a.head.seq):
        head = a.head
        stated = f"{a.folder} states the ledger head before it as record seq {head.seq} ({head.hash[:16]}…)"
        if head.seq == 0:
            if head.hash != GENESIS_HASH:
                problems.append((0, f"{stated}, which is not the empty ledger's"))
        elif head.seq not in by_seq:
            problems.append((head.seq, f"{stated}, but the ledger has no record seq {head.seq} "
                                       f"(it ends at seq {len(records)}): records were removed"))
            continue
        elif by_seq[head.seq].hash != head.hash:
            problems.append((head.seq, f"{stated}, but the ledger's record seq {head.seq} now has hash "
                                       f"{by_seq[head.seq].hash[:16]}…: the ledger was rewritten at or before "
                                       f"record seq {head.seq}"))
            continue
        own = _own_record(records, a)
        if own is None:
            problems.append((head.seq + 1, f"{a.folder}: the ledger holds no {a.kind} record of plan {a.plan_id} "
                                           f"made after record seq {head.seq}: a published folder without its record"))
            continue
        recorded = own.payload.get("public") if a.kind == "plan" else own.payload.get("files")
        for name, digest in sorted((recorded or {}).items()):
            if a.files.get(name) != digest:
                problems.append((own.seq, f"{a.folder / name} is not the file record seq {own.seq} ({own.kind}) "
                                          f"holds the digest of (recorded {digest[:16]}…)"))
        if a.kind == "reveal" and own.payload.get("forced_reason") != a.forced_reason:
            problems.append((own.seq, f"{a.folder / REVEAL_RECORD} states another reason for an early reveal than "
                                      f"record seq {own.seq} (reveal) holds"))
        if a.from_draw is not None:
            seq, digest = a.from_draw
            took = by_seq.get(seq)
            if took is None or took.kind != "plan" or not took.payload.get("draw_only") \
                    or took.payload.get("plan_id") != a.plan_id or took.payload.get("plan_json_sha256") != digest:
                problems.append((seq, f"{a.folder / PLAN_FILE} states it took the draw of record seq {seq}, but that "
                                      f"record is not a draw of plan {a.plan_id} with that draw.json"))
        if a.kind == "plan":
            known = {own.payload["plan_json_sha256"]} | {
                r.payload.get("plan_json_sha256") for r in records
                if r.kind == "change" and r.seq > own.seq and r.payload.get("plan_id") == a.plan_id}
            if folder_digest(a.folder, a.identity) not in known:
                problems.append((own.seq, f"{a.folder / a.identity} is not a version of plan {a.plan_id} that the "
                                          f"ledger recorded (record seq {own.seq} and its changes)"))
    unanchored = None
    if anchors:
        last = max(anchors, key=lambda a: a.head.seq)
        if len(records) > last.head.seq:
            unanchored = (f"records seq {last.head.seq + 1}–{len(records)} come after the last anchor "
                         f"({last.folder}, record seq {last.head.seq}): they are unanchored until a later "
                          "public file states a head that covers them")
    problems.sort(key=lambda p: p[0])
    return AnchorReport([p for _, p in problems], notes, unanchored)
