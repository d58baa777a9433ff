"""The history ledger: an append-only, hash-chained SQLite log of snapshots, plans, changes and results.

Design notes: docs/history.md (section randsup/history/ledger.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import InputError, LedgerError, Problem
from ..inputs.load import load_directory
from ..io import csv_text, unneutralise_cell
from ..model import Directory, HistoryVisit, Plan
from ..publish.files import LEDGER_HISTORY_INPUT, PLAN_FILE
from .lock import DEFAULT_LOCK_TIMEOUT, Waiting, ledger_lock

__all__ = [
    "LEDGER_FILE_NAME",
    "Ledger",
    "LedgerIssue",
    "LedgerRecord",
    "default_ledger_path",
    "directory_digest",
    "ensure_plan_recorded",
    "ledger_history",
    "plan_inputs_of",
    "plan_json_sha256",
    "with_history_file",
    "with_ledger_history",
]

LEDGER_FILE_NAME = "randsup-ledger.sqlite"
LEDGER_FORMAT = "randsup-ledger/1"
GENESIS_HASH = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS records_append_only_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'randsup ledger records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_append_only_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'randsup ledger records are append-only'); END;
"""


# The fields each kind of record must have, as this randsup writes them; checked on reading, so a
# record from another program or an older version is a clear LedgerError, not a KeyError.
_REQUIRED_FIELDS: dict[str, dict[str, type]] = {
    "plan": {"plan_id": str, "plan_json_sha256": str, "visits": list},
    "change": {"plan_id": str},
}


def _malformed(kind: str, payload: object) -> str | None:
    """Why a stored payload cannot be a record of ``kind``, or None."""
    if not isinstance(payload, dict):
        return f"holds {type(payload).__name__} where an object was expected"
    for name, typ in _REQUIRED_FIELDS.get(kind, {}).items():
        if name not in payload:
            return f"lacks the field {name!r}"
        if not isinstance(payload[name], typ):
            return f"has a field {name!r} that is not a {typ.__name__}"
    if kind == "plan":
        for v in payload["visits"]:
            if not isinstance(v, dict) or not isinstance(v.get("visit_id"), str) \
                    or not isinstance(v.get("inspectors"), list):
                return "has a visit without its visit_id or inspectors"
    return None


def _cell(s: str) -> str:
    """A CSV cell as randsup wrote it, back to its text (undoes csv_text's formula guard)."""
    return unneutralise_cell(s.strip())


def default_ledger_path(data: str | Path) -> Path:
    """Where the ledger of a data directory lives: inside it, or beside a single XLSX workbook."""
    p = Path(data)
    return (p.parent if p.is_file() else p) / LEDGER_FILE_NAME


def _canonical(obj: Any) -> str:
    # Compact, sorted, UTF-8: the exact text that is hashed and stored.
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def record_hash(seq: int, kind: str, payload: str, prev_hash: str) -> str:
    """SHA-256 over the canonical serialisation ``[seq, kind, payload text, previous hash]``."""
    return hashlib.sha256(_canonical([seq, kind, payload, prev_hash]).encode("utf-8")).hexdigest()


def directory_digest(digests: Mapping[str, str]) -> str:
    """One digest for a directory snapshot: SHA-256 of its sorted ``file name → sha256`` map."""
    return hashlib.sha256(_canonical(dict(sorted(digests.items()))).encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class LedgerRecord:
    """One stored record, as read back (payload parsed)."""

    seq: int
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class LedgerIssue:
    """One break in the chain: the record where it shows and what is wrong."""

    seq: int
    kind: str
    why: str

    def __str__(self) -> str:
        return f"record seq {self.seq} ({self.kind}): {self.why}"


def plan_visits_payload(plan: Plan) -> list[dict[str, Any]]:
    """The visits of a plan as the ledger keeps them: enough to read history back."""
    return [
        {
            "visit_id": v.visit_id,
            "entity_id": v.entity_id,
            "date": None if v.date is None else v.date.isoformat(),
            "lead_department": v.lead_department,
            "departments": list(v.departments),
            "method": v.method,
            "inspectors": [[a.inspector_id, a.department_id, a.is_expert] for a in v.inspectors],
        }
        for v in sorted(plan.visits, key=lambda v: v.visit_id)
    ]


class Ledger:
    """A hash-chained ledger in one SQLite file. Use as a context manager or call :meth:`close`.

    Args:
        path: the SQLite file.
        create: create the file when missing and (re)create its tables and append-only triggers;
            False opens an existing ledger only (a missing file or another SQLite file is a LedgerError).
        busy_timeout: seconds a writer waits for another writer before failing.
        lock_timeout, waiting: how long a command waits for the lock file another command holds,
            and a callback told ``(seconds waited, timeout)`` meanwhile (:meth:`locked`).
    """

    def __init__(self, path: str | Path, *, create: bool = True, busy_timeout: float = 10.0,
                 lock_timeout: float = DEFAULT_LOCK_TIMEOUT, waiting: Waiting | None = None) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.lock_timeout = lock_timeout
        self.waiting = waiting
        self._create = create
        if self.path.is_dir():
            raise LedgerError(f"{self.path} is a folder, not a ledger file; point --ledger at the ledger file")
        if not self.path.exists() and not create:
            raise LedgerError(f"no ledger at {self.path}; plan a quarter first (it creates the ledger) "
                              "or pass --ledger PATH")
        if not self.path.parent.is_dir():
            raise LedgerError(f"cannot create the ledger {self.path}: folder {self.path.parent} does not exist")
        # A missing ledger is created by its first write, not here: a refused command leaves no file.
        self._lazy = not self.path.exists()
        self._connect(":memory:" if self._lazy else self.path)

    def _connect(self, where: str | Path) -> None:
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a plan is one transaction.
            self._db = sqlite3.connect(where, timeout=self.busy_timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open the ledger {self.path}: {exc}") from None
        try:
            self._setup(in_memory=where == ":memory:")
        except BaseException:
            self._db.close()
            raise

    # -- connection and transactions -----------------------------------------------------

    def _setup(self, *, in_memory: bool = False) -> None:
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            # Tables first: switching another application's database to WAL would change its file.
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if {"meta", "records"} <= tables:
                row = self._db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
                if row is None or row[0] != LEDGER_FORMAT:
                    found = "no format" if row is None else f"format {row[0]!r}"
                    raise LedgerError(f"{self.path} has {found}; this randsup reads {LEDGER_FORMAT!r} ledgers")
            elif tables or not self._create:
                # Never turn another application's database (or, to read, an empty file) into a ledger.
                kept = f" (its tables: {', '.join(sorted(tables)[:8])})" if tables else " (it has no records table)"
                raise LedgerError(f"{self.path} is not a randsup ledger{kept}; point --ledger at a randsup "
                                  "ledger file, or at a path where none exists yet to start a new one")
            mode = "wal" if in_memory else self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            # FULL: a committed plan survives power loss too, not only a killed process.
            self._db.execute("PRAGMA synchronous = FULL")
            # New file, or put back append-only triggers someone dropped: done by the first write, so
            # that opening a ledger (and a refused command) leaves its file byte-identical.
            self._schema_pending = self._create
            if in_memory:
                self._create_schema()
        except sqlite3.DatabaseError as exc:
            raise self._translate(exc, "open") from None
        if str(mode).lower() != "wal":
            raise LedgerError(f"{self.path}: SQLite would not switch to WAL mode (got {mode!r}); "
                              "keep the ledger on a local disk")

    def _create_schema(self) -> None:
        for stmt in _SCHEMA.split(";\n"):
            if stmt.strip():
                self._db.execute(stmt)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (LEDGER_FORMAT,))

    def _translate(self, exc: sqlite3.Error, doing: str) -> LedgerError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return LedgerError(
                f"the ledger {self.path} is locked by another randsup process (waited {self.busy_timeout:g} s "
                f"to {doing}); nothing was written. Wait for the other run to finish and try again")
        if "not a database" in text or "malformed" in text:
            return LedgerError(f"{self.path} is not a randsup ledger or is damaged ({text}); "
                               "restore it from a backup or point --ledger at the right file")
        if "append-only" in text:
            return LedgerError(f"the ledger {self.path} refused to change a stored record: records are append-only")
        return LedgerError(f"the ledger {self.path} failed to {doing}: {text}")

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction: taken up front (IMMEDIATE) so the chain head cannot move under us."""
        created = self._lazy
        if self._lazy:  # the first write creates the file
            self._lazy = False
            self._db.close()
            self._connect(self.path)
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            if created:
                self._forget_new_file()
            raise self._translate(exc, "write") from None
        try:
            if self._schema_pending:
                self._create_schema()
                self._schema_pending = False
            yield
            self._db.execute("COMMIT")
        except BaseException as exc:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            if created:  # nothing was recorded: a refused first write leaves no ledger file
                self._forget_new_file()
            if isinstance(exc, sqlite3.Error):
                raise self._translate(exc, "write") from None
            raise

    def _forget_new_file(self) -> None:
        """Remove the ledger file this object created but never committed to; read from memory again."""
        self._db.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self._lazy = True
        self._connect(":memory:")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The ledger's lock file, held for a command's whole read-decide-record sequence (lock.py)."""
        with ledger_lock(self.path, timeout=self.lock_timeout, waiting=self.waiting):
            if self._lazy and self.path.exists():  # created by the command we waited for: read it
                self._lazy = False
                self._db.close()
                self._connect(self.path)
            yield

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- appending -----------------------------------------------------------------------

    def _head_locked(self) -> tuple[int, str]:
        row = self._db.execute("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))

    def _append(self, kind: str, payload: Mapping[str, Any]) -> int:
        """Append one record inside the caller's transaction; returns its seq."""
        seq, prev = self._head_locked()
        seq += 1
        text = _canonical(payload)
        h = record_hash(seq, kind, text, prev)
        self._db.execute("INSERT INTO records (seq, kind, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?)",
                         (seq, kind, text, prev, h))
        # The head is kept beside the chain so that removing the last records is noticed too.
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (f"{seq}:{h}",))
        return seq

    def append(self, kind: str, payload: Mapping[str, Any]) -> int:
        """Append one record in its own transaction; returns its seq."""
        with self._write():
            return self._append(kind, payload)

    def _has_snapshot(self, digest: str) -> bool:
        for (text,) in self._db.execute("SELECT payload FROM records WHERE kind = 'snapshot'"):
            if json.loads(text).get("digest") == digest:
                return True
        return False

    def _snapshot_payload(self, directory: Directory) -> dict[str, Any]:
        digests = {k: v for k, v in sorted(directory.digests.items()) if k != LEDGER_HISTORY_INPUT}
        return {
            "digest": directory_digest(digests),
            "files": digests,
            "entities": len(directory.entities),
            "inspectors": len(directory.inspectors),
            "departments": len(directory.departments),
            # Names let a results notice name each department without reloading the directory.
            "department_names": {d.department_id: d.name for d in sorted(directory.departments,
                                                                         key=lambda d: d.department_id)},
        }

    def record_snapshot(self, directory: Directory, *, at: str | None = None) -> int | None:
        """Record an imported directory by digest; returns the new seq, or None if already recorded."""
        with self._write():
            return self._record_snapshot_locked(directory, at)

    def _record_snapshot_locked(self, directory: Directory, at: str | None) -> int | None:
        snap = self._snapshot_payload(directory)
        if self._has_snapshot(snap["digest"]):
            return None
        return self._append("snapshot", {**snap, "recorded_at": at or _now()})

    def record_plan(self, plan: Plan, *, plan_json_sha256: str, directory: Directory | None = None,
                    at: str | None = None, extra: Mapping[str, Any] | None = None) -> int:
        """Record a plan and its draw (and the directory snapshot, when new) in ONE transaction.

        A crash anywhere inside leaves the ledger with all of this plan or none of it. Recording
        the same plan.json twice is a no-op that returns the earlier seq.

        Returns:
            The seq of the ``plan`` record.
        """
        when = at or _now()
        with self._write():
            for rec in self._iter_locked("plan"):
                p = rec.payload
                if p["plan_id"] == plan.plan_id and p["plan_json_sha256"] == plan_json_sha256:
                    return rec.seq
            snap = None
            if directory is not None:
                self._record_snapshot_locked(directory, when)
                snap = self._snapshot_payload(directory)["digest"]
            self._append("draw", {
                "plan_id": plan.plan_id,
                "quarter": plan.quarter,
                "seed_hex": plan.seed.get("seed_hex"),
                "tasks": [{"task_id": t.task_id, "task_seed": t.task_seed,
                           "strata": {k: s.model_dump(mode="json") for k, s in sorted(t.strata.items())}}
                          for t in plan.tasks],
                "alternates": {k: list(v) for k, v in sorted(plan.alternates.items())},
            })
            return self._append("plan", {
                "plan_id": plan.plan_id,
                "quarter": plan.quarter,
                "plan_json_sha256": plan_json_sha256,
                "snapshot": snap,
                "inputs": dict(sorted(plan.inputs.items())),
                "seed": dict(sorted(plan.seed.items())),
                "visits": plan_visits_payload(plan),
                "recorded_at": when,
                **dict(extra or {}),
            })

    def record_change(self, plan_id: str, change: Mapping[str, Any], *, reason: str, actor: str,
                      at: str | None = None, before_commit: Callable[[], None] | None = None) -> int:
        """Record one change to a plan (``change["type"]``: e.g. "recusal", "entity_not_inspectable").

        ``before_commit`` runs inside the transaction after the record is added (e.g. rewriting the
        plan directory): if it raises, nothing is recorded; while it runs, other writers wait.
        """
        if "type" not in change:
            raise LedgerError("a plan change needs a 'type' (e.g. 'recusal')")
        with self._write():
            if self._latest_plan_locked(plan_id) is None:
                raise LedgerError(f"plan {plan_id!r} is not in the ledger {self.path}; "
                                  "record the plan before changing it")
            seq = self._append("change", {**dict(change), "plan_id": plan_id, "reason": reason,
                                          "actor": actor, "recorded_at": at or _now()})
            if before_commit is not None:
                before_commit()
            return seq

    def record_published(self, of: LedgerRecord, folder: str | Path, *, at: str | None = None) -> int:
        """Mark a pending plan or change published: its folder is complete and in place."""
        with self._write():
            digest = {k: of.payload[k] for k in ("plan_json_sha256", "results_json_sha256", "reveal_json_sha256")
                      if k in of.payload}
            return self._append("published", {"of_seq": of.seq, "of_kind": of.kind, "plan_id": of.payload["plan_id"],
                                              "folder": str(folder), **digest, "recorded_at": at or _now()})

    def pending(self) -> list[LedgerRecord]:
        """Plans and changes recorded as pending whose folder was never marked published (nor superseded)."""
        recs = self.records()
        done = {int(r.payload["of_seq"]) for r in recs if r.kind == "published"}
        latest: dict[str, int] = {}
        for r in recs:
            if r.kind == "plan":
                latest[r.payload["plan_id"]] = r.seq
        return [r for r in recs if r.kind in ("plan", "change", "publication", "reveal") and r.payload.get("status") == "pending"
                and r.seq not in done and not (r.kind == "plan" and latest[r.payload["plan_id"]] != r.seq)]

    def require_intact(self, doing: str) -> None:
        """Refuse to ``doing`` on a ledger whose chain is broken, naming the first broken record."""
        issues = self.verify()
        if issues:
            raise LedgerError(
                f"the ledger {self.path} fails verification at {issues[0]}; refusing to {doing} from it, "
                "nothing was written. Run `randsup ledger verify` to see every problem and restore the ledger "
                "from a backup")

    def record_results(self, results: Sequence[Mapping[str, Any]], *, at: str | None = None) -> list[int]:
        """Record results (抽查结果), all in one transaction; returns their seqs."""
        when = at or _now()
        with self._write():
            return [self._append("result", {**dict(r), "recorded_at": when}) for r in results]

    def record_publication(self, payload: Mapping[str, Any], *, at: str | None = None) -> int:
        """Record that results were published (which plan, which results, which files)."""
        with self._write():
            return self._append("publication", {**dict(payload), "recorded_at": at or _now()})

    def record_reveal(self, payload: Mapping[str, Any], *, at: str | None = None) -> int:
        """Record a reveal (公布盐值) of a plan: its anchor, the digests of its files, a forced reason."""
        with self._write():
            return self._append("reveal", {**dict(payload), "recorded_at": at or _now()})

    # -- reading -------------------------------------------------------------------------

    def _iter_locked(self, kind: str | None = None) -> Iterator[LedgerRecord]:
        sql = "SELECT seq, kind, payload, prev_hash, hash FROM records"
        args: tuple[str, ...] = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            args = (kind,)
        for seq, k, text, prev, h in self._db.execute(sql + " ORDER BY seq", args).fetchall():
            try:
                payload = json.loads(text)
            except (json.JSONDecodeError, RecursionError):
                raise LedgerError(f"{self.path}: record seq {seq} ({k}) is not valid JSON; "
                                  "run `randsup ledger verify` to see what was changed") from None
            why = _malformed(str(k), payload)
            if why:
                raise LedgerError(f"the ledger {self.path}, record {seq} ({k}), {why}: it was not written by "
                                  "this randsup or has been edited. Run `randsup ledger verify` and restore the "
                                  "ledger from a backup")
            yield LedgerRecord(int(seq), str(k), payload, str(prev), str(h))

    def records(self, kind: str | None = None) -> list[LedgerRecord]:
        """Every record (of one kind, if given) in seq order."""
        try:
            return list(self._iter_locked(kind))
        except sqlite3.Error as exc:
            raise self._translate(exc, "read") from None

    def record(self, seq: int) -> LedgerRecord:
        """The record with this seq."""
        found = [r for r in self.records() if r.seq == seq]
        if not found:
            raise LedgerError(f"the ledger {self.path} has no record seq {seq}")
        return found[0]

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last record; publish it to anchor the ledger against truncation."""
        return self._head_locked()

    def verify(self) -> list[LedgerIssue]:
        """Check the whole chain; returns every issue found (empty = intact).

        Detects an edited record (its hash no longer matches its content), a removed or reordered
        record (gap in seq, or a ``prev_hash`` that is not the hash before it) and removed trailing
        records (the stored head no longer matches the last record).
        """
        try:
            rows = self._db.execute(
                "SELECT seq, kind, payload, prev_hash, hash FROM records ORDER BY seq").fetchall()
            head_row = self._db.execute("SELECT value FROM meta WHERE key = 'head'").fetchone()
        except sqlite3.Error as exc:
            raise self._translate(exc, "read") from None
        issues: list[LedgerIssue] = []
        expected_seq, prev = 1, GENESIS_HASH
        for seq, kind, text, prev_hash, h in rows:
            seq, kind = int(seq), str(kind)
            if seq != expected_seq:
                missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
                issues.append(LedgerIssue(seq, kind, f"record(s) seq {missing} before it are missing (removed?)"))
            if prev_hash != prev:
                issues.append(LedgerIssue(seq, kind, "its previous-record hash does not match the record "
                                                     "before it (a record was removed, inserted or reordered)"))
            if record_hash(seq, kind, str(text), str(prev_hash)) != h:
                issues.append(LedgerIssue(seq, kind, "its content does not match its hash (the record was edited)"))
            expected_seq, prev = seq + 1, str(h)
        last_seq = expected_seq - 1
        if head_row is None:
            if rows:
                issues.append(LedgerIssue(last_seq, str(rows[-1][1]), "the ledger head is missing"))
        else:
            hseq, _, hhash = str(head_row[0]).partition(":")
            if not hseq.isdigit() or int(hseq) != last_seq or hhash != prev:
                kind = str(rows[-1][1]) if rows else "-"
                issues.append(LedgerIssue(
                    last_seq, kind,
                    f"the ledger head says the last record is seq {hseq} but the last stored record is seq "
                    f"{last_seq} (trailing records removed or the head edited)"))
        return issues

    # -- plans and history ---------------------------------------------------------------

    def _latest_plan_locked(self, plan_id: str) -> LedgerRecord | None:
        latest = None
        for rec in self._iter_locked("plan"):
            if rec.payload["plan_id"] == plan_id:
                latest = rec
        return latest

    def plan_record(self, plan_id: str) -> LedgerRecord | None:
        """The latest ``plan`` record for this plan id (a re-run plan supersedes the earlier one)."""
        return self._latest_plan_locked(plan_id)

    def current_plans(self, *, upto: int | None = None) -> list[dict[str, Any]]:
        """Each plan id's latest plan payload with the changes recorded after it applied, by plan id.

        ``upto``: only records with seq ≤ upto count (the ledger as it was then).
        """
        recs = [r for r in self.records() if upto is None or r.seq <= upto]
        latest: dict[str, LedgerRecord] = {}
        for r in recs:
            if r.kind == "plan":
                latest[r.payload["plan_id"]] = r
        out: dict[str, dict[str, Any]] = {}
        for pid, rec in latest.items():
            visits = {v["visit_id"]: {**v, "inspectors": [list(a) for a in v["inspectors"]]}
                      for v in rec.payload["visits"]}
            for r in recs:
                if r.kind == "change" and r.seq > rec.seq and r.payload["plan_id"] == pid:
                    _apply_change(visits, r.payload)
            out[pid] = {**rec.payload, "visits": [visits[k] for k in sorted(visits)], "seq": rec.seq}
        return [out[k] for k in sorted(out)]

    def history_for(self, year: int, *, exclude_plan_id: str | None = None,
                    upto: int | None = None) -> list[HistoryVisit]:
        """Past visits dated in ``year``, one row per (visit, department, inspector), sorted.

        Reads every plan recorded in the ledger (latest version of each plan id, with its recorded
        changes applied), and the results recorded for draw-only results (``randsup draw``: no
        inspector, the date the results file gives). ``exclude_plan_id`` leaves out the plan being (re)made, so planning the
        same quarter twice sees the same history.
        """
        rows: set[tuple[str, str, str, dt.date]] = set()
        plans = self.current_plans(upto=upto)
        drawn_only = {p["plan_id"]: p["seq"] for p in plans if p.get("draw_only") and p["plan_id"] != exclude_plan_id}
        for entity_id, department_id, d in self._draw_results(drawn_only, upto):
            if d.year == year:
                rows.add((entity_id, "", department_id, d))  # a draw has no inspectors: none rotate
        for p in plans:
            if p["plan_id"] == exclude_plan_id:
                continue
            for v in p["visits"]:
                if v["date"] is None or v.get("cancelled"):
                    continue
                d = dt.date.fromisoformat(v["date"])
                if d.year != year:
                    continue
                for inspector_id, department_id, _expert in v["inspectors"]:
                    rows.add((v["entity_id"], inspector_id, department_id, d))
        return [HistoryVisit(entity_id=e, inspector_id=i, department_id=dep, date=d)
                for e, i, dep, d in sorted(rows)]

    def _draw_results(self, draws: Mapping[str, int], upto: int | None) -> list[tuple[str, str, dt.date]]:
        """(entity, department, inspection date) of the results recorded for draw-only results.

        ``draws``: plan id → the seq of its current (draw-only) record; a result counts when it was
        recorded after that record (results of a superseded draw do not), its latest correction wins.
        """
        latest: dict[tuple[str, str, str], tuple[str, str, dt.date]] = {}
        for r in self.records("result"):
            p = r.payload
            pid = p.get("plan_id")
            if pid not in draws or r.seq <= draws[pid] or (upto is not None and r.seq > upto):
                continue
            try:
                latest[(pid, str(p["visit_id"]), str(p["department_id"]))] = (
                    str(p["entity_id"]), str(p["department_id"]), dt.date.fromisoformat(p["inspected_on"]))
            except (KeyError, TypeError, ValueError):
                raise LedgerError(f"the ledger {self.path}, record {r.seq} (result), is not a result this randsup "
                                  "wrote; run `randsup ledger verify`") from None
        return [latest[k] for k in sorted(latest)]

    def inspections_per_entity(self, year: int, *, exclude_plan_id: str | None = None) -> dict[str, int]:
        """How many inspections (distinct visit dates) each entity has in ``year``, by entity id."""
        days = {(h.entity_id, h.date) for h in self.history_for(year, exclude_plan_id=exclude_plan_id)}
        counts = Counter(e for e, _ in days)
        return {k: counts[k] for k in sorted(counts)}


def _apply_change(visits: dict[str, dict[str, Any]], change: Mapping[str, Any]) -> None:
    v = visits.get(change.get("visit_id", ""))
    if v is None:
        return
    if change["type"] == "recusal":
        for a in v["inspectors"]:
            if a[0] == change["inspector_out"] and a[1] == change["department_id"]:
                a[0] = change["inspector_in"]
    elif change["type"] == "entity_not_inspectable":
        v["cancelled"] = True


def history_csv(history: Sequence[HistoryVisit]) -> str:
    """history.csv text (architecture §3 columns), sorted: what the ledger adds to a plan's inputs."""
    return csv_text(["entity_id", "inspector_id", "department_id", "date"],
                    [(h.entity_id, h.inspector_id, h.department_id, h.date.isoformat()) for h in
                     sorted(history, key=lambda h: (h.entity_id, h.inspector_id, h.department_id, h.date))])


def plan_json_sha256(plan_dir: str | Path) -> str:
    """SHA-256 hex of a plan directory's plan.json."""
    return hashlib.sha256((Path(plan_dir) / PLAN_FILE).read_bytes()).hexdigest()


def ensure_plan_recorded(ledger: Ledger, plan: Plan, plan_dir: str | Path, *, at: str | None = None) -> None:
    """Record the plan if the ledger does not hold it yet; refuse a plan.json the ledger does not know.

    A plan.json is known when its digest is the recorded plan's or that of a recorded change to it
    (a recusal rewrites plan.json and records the new digest). ``at``: the recording time (the
    caller's, so that one command's records carry one time; default now).
    """
    digest = plan_json_sha256(plan_dir)
    rec = ledger.plan_record(plan.plan_id)
    if rec is None:
        ledger.record_plan(plan, plan_json_sha256=digest, at=at)
        return
    known = {rec.payload["plan_json_sha256"]}
    known |= {r.payload.get("plan_json_sha256") for r in ledger.records("change")
              if r.seq > rec.seq and r.payload["plan_id"] == plan.plan_id}
    if digest not in known:
        raise LedgerError(
            f"{Path(plan_dir) / 'plan.json'} is not the plan {plan.plan_id} the ledger {ledger.path} recorded "
            "(its digest differs from every recorded version); use the plan folder as written by "
            "`randsup plan` / `randsup recuse`, or check it with `randsup verify`")


def _merge_history(directory: Directory, rows: Sequence[HistoryVisit], data: bytes) -> Directory:
    own = set(directory.history)
    extra = [h for h in rows if h not in own]
    digests = dict(directory.digests)
    digests[LEDGER_HISTORY_INPUT] = hashlib.sha256(data).hexdigest()
    merged = tuple(sorted((*directory.history, *extra),
                          key=lambda h: (h.entity_id, h.date, h.department_id, h.inspector_id)))
    return replace(directory, history=merged, digests=digests)


def ledger_history(directory: Directory, ledger: Ledger, year: int, *, exclude_plan_id: str | None = None,
                   upto: int | None = None) -> tuple[Directory, bytes | None]:
    """The directory with the ledger's history of ``year`` merged in, and the file to keep beside the plan.

    Rows already in the directory's own history are not repeated. When the ledger adds rows, the
    canonical CSV of those rows is returned (``None`` otherwise) and its digest enters ``digests`` as
    ``ledger-history.csv``, so the plan names the history it was made with; write that file into
    the plan directory so that ``verify`` can re-read it (:func:`with_history_file`).
    """
    own = set(directory.history)
    extra = [h for h in ledger.history_for(year, exclude_plan_id=exclude_plan_id, upto=upto) if h not in own]
    if not extra:
        return directory, None
    data = history_csv(extra).encode("utf-8")
    return _merge_history(directory, extra, data), data


def with_ledger_history(directory: Directory, ledger: Ledger, year: int, *,
                        exclude_plan_id: str | None = None) -> Directory:
    """The directory with ``directory.history`` extended by the ledger's visits in ``year``."""
    return ledger_history(directory, ledger, year, exclude_plan_id=exclude_plan_id)[0]


def with_history_file(directory: Directory, plan_dir: str | Path) -> Directory:
    """The directory with the ``ledger-history.csv`` kept in a plan directory merged in (if there is one).

    This is how a plan made from ledger history is re-checked: verify and recuse load the data
    directory, then add the history the plan recorded; its digest must match plan.json's inputs.
    """
    p = Path(plan_dir) / LEDGER_HISTORY_INPUT
    if not p.is_file():
        return directory
    data = p.read_bytes()
    rows: list[HistoryVisit] = []
    try:
        for rec in csv.DictReader(io.StringIO(data.decode("utf-8"))):
            rows.append(HistoryVisit(entity_id=_cell(rec["entity_id"]), inspector_id=_cell(rec["inspector_id"]),
                                     department_id=_cell(rec["department_id"]),
                                     date=dt.date.fromisoformat(rec["date"])))
    except (UnicodeDecodeError, KeyError, ValueError, TypeError) as exc:
        raise LedgerError(f"{p}: not a ledger history file written by randsup ({exc}); "
                          "restore the plan directory as written") from None
    return _merge_history(directory, rows, data)


def plan_inputs_of(plan: Plan, plan_dir: str | Path, data: str | Path, *, action: str) -> Directory:
    """The data directory a plan was drawn from, with its kept ledger history, checked unchanged.

    ``action`` ("recuse", "reveal", …) goes into the message.

    Raises:
        InputError: a data file differs from the one whose digest the plan recorded.
    """
    directory = with_history_file(load_directory(data), plan_dir)
    changed = sorted(k for k in set(plan.inputs) | set(directory.digests)
                     if plan.inputs.get(k) != directory.digests.get(k))
    if changed:
        raise InputError([Problem(str(Path(data) / k), None, None, None,
                                  f"differs from the file the plan was drawn from; {action} against the same data")
                          for k in changed], header="the data changed since the plan was made")
    return directory
