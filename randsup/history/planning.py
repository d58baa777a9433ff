"""Planning with the ledger: this year's history in, the new plan written and recorded.

The annual cap per entity (国办发〔2024〕54号) and inspector rotation need the year's earlier
plans, which live in the ledger. :func:`plan_with_ledger` is the one way a plan is made from a
ledger, by the CLI and by library users alike: the history it read is written beside the plan
(``ledger-history.csv``) so that ``verify`` can re-read it, and the plan is recorded. Design
notes: docs/history.md (Planning with the ledger).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..draw.seed import PublicSeed
from ..errors import LedgerError, OutputError
from ..io import canonical_json
from ..model import Directory, LedgerAnchor, LedgerHead, Plan, Supersedes, YearPlan
from ..plan import Progress, make_plan
from ..publish.files import LEDGER_HISTORY_INPUT, PLAN_FILE, read_plan
from ..publish.render import plan_files, spec_json_bytes
from ..spec import PlanSpec, check_spec_against, require_secrecy
from .folders import complete, folder_digest, publish, write_folder
from .ledger import GENESIS_HASH, Ledger, LedgerRecord, ledger_history
from .lock import checkpoint

__all__ = ["ledger_anchor", "plan_with_ledger"]


def _plan_versions(records: list[LedgerRecord], upto: int) -> dict[str, tuple[LedgerRecord, str]]:
    """Each plan id's latest plan record up to ``upto`` and its plan.json digest after recorded changes."""
    out: dict[str, tuple[LedgerRecord, str]] = {}
    for r in records:
        if r.seq > upto:
            break
        pid = r.payload.get("plan_id")
        if r.kind == "plan":
            out[pid] = (r, r.payload["plan_json_sha256"])
        elif r.kind == "change" and pid in out and r.payload.get("plan_json_sha256"):
            out[pid] = (out[pid][0], r.payload["plan_json_sha256"])
    return out


def ledger_anchor(records: list[LedgerRecord], spec: PlanSpec, upto: int,
                  supersede: str | None) -> LedgerAnchor:
    """The ledger state a plan of ``spec`` drawn after record ``upto`` states (a recorded input).

    Raises:
        LedgerError: ``supersede`` is given but no earlier version of the plan id is recorded.
    """
    head = LedgerHead(seq=upto, hash=records[upto - 1].hash if upto else GENESIS_HASH)
    versions = _plan_versions(records, upto)
    year_plans = tuple(YearPlan(plan_id=pid, seq=rec.seq, plan_json_sha256=digest)
                       for pid, (rec, digest) in sorted(versions.items())
                       if pid != spec.plan_id and str(rec.payload["quarter"])[:4] == str(spec.year))
    replaced = None
    if supersede is not None:
        if spec.plan_id not in versions:
            raise LedgerError(f"--supersede was given but plan {spec.plan_id} is not in the ledger; "
                              "leave --supersede and --reason out to make it")
        rec, digest = versions[spec.plan_id]
        replaced = Supersedes(seq=rec.seq, plan_json_sha256=digest, reason=supersede)
    return LedgerAnchor(head_before=head, year_plans=year_plans, supersedes=replaced)


def _request_sha256(spec: PlanSpec, directory: Directory, seed: PublicSeed) -> str:
    """What makes a plan: the spec (with its ledger anchor), the input digests and the seed."""
    text = canonical_json({"spec": json.loads(spec_json_bytes(spec)), "inputs": dict(sorted(directory.digests.items())),
                           "seed": dict(sorted(seed.record().items()))})
    return hashlib.sha256(text).hexdigest()


def _refuse_pending_of_year(book: Ledger, spec: PlanSpec) -> None:
    quarters = {r.payload["plan_id"]: str(r.payload["quarter"]) for r in book.records("plan")}
    for rec in book.pending():
        pid = rec.payload["plan_id"]
        # A pending plan or change of the year changes its history; a pending results notice does not.
        if rec.kind in ("plan", "change") and pid != spec.plan_id and quarters.get(pid, "")[:4] == str(spec.year):
            raise LedgerError(
                f"plan {pid} of {spec.year} is pending in the ledger {book.path} (record seq {rec.seq}): its folder "
                f"{rec.payload['folder']} was not completed. Run the command that made it again (the same inputs "
                f"and seed complete it) before planning {spec.plan_id}; `randsup ledger verify` lists what is pending")


def plan_with_ledger(directory: Directory, spec: PlanSpec, seed: PublicSeed, ledger: Ledger,
                     out: str | Path, *, progress: Progress | None = None, num_workers: int = 1,
                     supersede: str | None = None, allow_unstaffed: bool = False) -> Plan:
    """Make the plan against the ledger's history of its year, write it to ``out`` and record it.

    The ledger lock is held from reading the history to the final record, so plans of one year
    made at the same time run one after the other and each sees the ones before it. The plan
    states the ledger head it was drawn against and the year's plans it drew against
    (``spec.ledger``, copied into plan.json and the draw record). Running the same command again
    (same inputs and seed) completes a plan a crash left pending, or writes the recorded plan
    again; a plan id already recorded with other inputs or seed needs ``supersede`` (the reason,
    recorded and shown in the new notice).

    Args:
        directory: the loaded 一单两库 (its own history.csv, if any, is kept).
        spec: the plan specification.
        seed: the public seed (with the salt, when the spec commits to one).
        ledger: the history ledger; this year's other plans feed the annual cap and rotation.
        out: a new folder for the plan.
        progress, num_workers, allow_unstaffed: as for :func:`randsup.make_plan`.
        supersede: why an earlier version of this plan id is replaced (None: it must not exist).

    Raises:
        SpecError, InfeasibleError: as :func:`randsup.make_plan`.
        OutputError: ``out`` exists (and is not this plan) or cannot be written.
        LedgerError: the ledger fails verification (the first broken record is named), is in use
            for longer than ``ledger.lock_timeout``, holds a pending plan of the year, or already holds
            this plan id from other inputs or seed and ``supersede`` is not given.
    """
    target = Path(out).resolve()
    require_secrecy(spec, seed.salt_commitment)  # refused before anything is locked or written
    check_spec_against(spec, directory)
    with ledger.locked():
        checkpoint("plan:locked")
        ledger.require_intact("plan")
        _refuse_pending_of_year(ledger, spec)
        records = ledger.records()
        latest = _plan_versions(records, len(records)).get(spec.plan_id)
        if latest is not None:
            # The same command again? Then it is drawn against the ledger as it was before its own record.
            rec = latest[0]
            anchor = rec.payload.get("ledger") or {}
            upto = int(anchor.get("head_before", {}).get("seq", rec.seq - 1))
            again = _prepare(records, directory, ledger, spec, seed, upto,
                             supersede if anchor.get("supersedes") else None)
            if again is not None and again[2] == rec.payload.get("request_sha256"):
                return _again(ledger, rec, again, seed, target, progress, num_workers, allow_unstaffed)
            if supersede is None:
                raise LedgerError(
                    f"plan {spec.plan_id} is already in the ledger {ledger.path} (record seq {rec.seq}) from other "
                    "inputs or another seed; re-planning it replaces a plan that may have been published: pass "
                    "--supersede --reason TEXT to do so (recorded, and shown in the new notice), or use a new plan_id")
        elif supersede is not None:
            ledger_anchor(records, spec, len(records), supersede)  # raises: nothing to supersede
        prepared = _prepare(records, directory, ledger, spec, seed, len(records), supersede)
        assert prepared is not None
        if target.exists():
            raise OutputError(f"{target} exists already; choose a new output folder or remove the old one")
        spec2, directory2, request, history_file = prepared
        plan = make_plan(directory2, spec2, seed, progress=progress, num_workers=num_workers,
                         allow_unstaffed=allow_unstaffed)
        files = _files(plan, spec2, directory2, history_file)
        extra = {"status": "pending", "folder": str(target), "request_sha256": request,
                 "public": {k: hashlib.sha256(v).hexdigest() for k, v in files.items() if k.startswith("public/")},
                 "ledger": spec2.ledger.model_dump(mode="json") if spec2.ledger else None}
        digest = hashlib.sha256(files[PLAN_FILE]).hexdigest()
        publish(ledger, target, files, step="plan", record=lambda: ledger.record(ledger.record_plan(
            plan, plan_json_sha256=digest, directory=directory2, extra=extra)))
    return plan


_Prepared = tuple[PlanSpec, Directory, str, bytes | None]


def _prepare(records: list[LedgerRecord], directory: Directory, ledger: Ledger, spec: PlanSpec,
             seed: PublicSeed, upto: int, supersede: str | None) -> _Prepared | None:
    """(spec with its anchor, directory with the ledger history, request digest, history file) at ``upto``."""
    try:
        anchor = ledger_anchor(records, spec, upto, supersede)
    except LedgerError:
        return None
    merged, history_file = ledger_history(directory, ledger, spec.year, exclude_plan_id=spec.plan_id, upto=upto)
    spec2 = spec.model_copy(update={"ledger": anchor})
    return spec2, merged, _request_sha256(spec2, merged, seed), history_file


def _files(plan: Plan, spec: PlanSpec, directory: Directory, history_file: bytes | None) -> dict[str, bytes]:
    return plan_files(plan, spec=spec, directory=directory,
                      extra_files={LEDGER_HISTORY_INPUT: history_file} if history_file else None)


def _again(book: Ledger, rec: LedgerRecord, prepared: _Prepared, seed: PublicSeed, target: Path,
           progress: Progress | None, num_workers: int, allow_unstaffed: bool = False) -> Plan:
    """The same plan command again: complete its pending record, or write the recorded plan to ``target``."""
    want = rec.payload["plan_json_sha256"]
    pending = any(p.seq == rec.seq for p in book.pending())
    if pending and Path(rec.payload["folder"]) == target and complete(book, rec):
        return read_plan(target)
    if target.exists():
        if folder_digest(target) == want and not pending:
            raise OutputError(f"{target} exists already and holds this plan as the ledger recorded it "
                              f"(record seq {rec.seq}): nothing to do")
        raise OutputError(f"{target} exists already; choose a new output folder or remove the old one")
    spec2, directory2, _request, history_file = prepared
    plan = make_plan(directory2, spec2, seed, progress=progress, num_workers=num_workers,
                     allow_unstaffed=allow_unstaffed)
    files = _files(plan, spec2, directory2, history_file)
    if hashlib.sha256(files[PLAN_FILE]).hexdigest() != want:
        raise LedgerError(
            f"plan {rec.payload['plan_id']} recomputed from the same inputs and seed differs from the plan.json the "
            f"ledger recorded (record seq {rec.seq}); the randsup version or its libraries changed since. "
            "Plan with the version that made it, or replace it with --supersede --reason")
    if pending:
        publish(book, target, files, step="plan", record=lambda: rec)
    else:  # another copy of a published plan: the same digest, nothing new to record
        write_folder(target, files)
    return plan
