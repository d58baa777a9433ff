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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..draw.sample import draw_entities
from ..draw.seed import PublicSeed
from ..errors import InputError, LedgerError, OutputError, Problem, VerificationError
from ..io import canonical_json
from ..model import Directory, LedgerAnchor, LedgerHead, Plan, Supersedes, TakenDraw, YearPlan
from ..plan import Progress, make_plan
from ..publish.draw_only import DRAW_FILE, DrawOnly, EntitySource, as_plan, make_draw, read_draw, render_draw
from ..publish.files import (
    FROM_DRAW_FILE,
    FROM_DRAW_HISTORY,
    LEDGER_HISTORY_INPUT,
    PLAN_FILE,
    read_plan,
    read_published_spec,
)
from ..publish.render import plan_files, spec_json_bytes
from ..spec import PlanSpec, check_spec_against, require_secrecy
from .folders import complete, folder_digest, publish, write_folder
from .ledger import GENESIS_HASH, Ledger, LedgerRecord, ledger_history, with_history_file
from .lock import checkpoint

__all__ = ["TakenFolder", "draw_with_ledger", "ledger_anchor", "plan_with_ledger", "take_draw"]

_T = TypeVar("_T")


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
                     supersede: str | None = None, allow_unstaffed: bool = False,
                     from_draw: str | Path | None = None) -> Plan:
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
        from_draw: a draw folder (``randsup draw``) whose draw this plan takes as its 第一随机: the
            selection stays byte-identical, visits, dates and teams are added. The folder is checked
            first (its spec, seed and inputs are the plan's, its draw recomputes, the ledger holds it
            as the current version of the plan id with these files and no results yet); the plan
            states it (``ledger.from_draw``) and keeps a copy (``from-draw/``) for ``verify``.

    Raises:
        SpecError, InfeasibleError: as :func:`randsup.make_plan`.
        InputError: ``from_draw`` is not a draw of this spec, seed and data, or does not recompute.
        OutputError: ``out`` exists (and is not this plan) or cannot be written.
        LedgerError: the ledger fails verification (the first broken record is named), is in use
            for longer than ``ledger.lock_timeout``, holds a pending plan of the year, or already holds
            this plan id from other inputs or seed and ``supersede`` is not given.
    """
    target = Path(out).resolve()
    require_secrecy(spec, seed.salt_commitment)  # refused before anything is locked or written
    check_spec_against(spec, directory)
    taken = None if from_draw is None else take_draw(from_draw, directory, spec, seed)
    with ledger.locked():
        records = _start(ledger, spec, "plan")
        took = None if taken is None else _taken_in_ledger(ledger, records, taken, spec, supersede)

        def request_at(upto: int, why: str | None) -> str | None:
            prepared = _prepare(records, directory, ledger, spec, seed, upto, why, took)
            return None if prepared is None else prepared[2]

        def build(upto: int, why: str | None) -> tuple[Plan, dict[str, bytes]]:
            prepared = _prepare(records, directory, ledger, spec, seed, upto, why, took)
            assert prepared is not None
            spec2, directory2, _request, history_file = prepared
            plan = make_plan(directory2, spec2, seed, progress=progress, num_workers=num_workers,
                             allow_unstaffed=allow_unstaffed, draw=None if taken is None else taken.draw.draw)
            return plan, _files(plan, spec2, directory2, history_file, taken)

        rec = _repeated(ledger, records, spec, supersede, request_at, taking=None if took is None else took.seq)
        if rec is not None:
            return _again(ledger, rec, target, lambda: build(*_recorded_at(rec, supersede)), PLAN_FILE,
                          read_plan, "plan")
        _refuse_existing(target)
        prepared = _prepare(records, directory, ledger, spec, seed, len(records), supersede, took)
        assert prepared is not None
        spec2, directory2, request, _history_file = prepared
        plan, files = build(len(records), supersede)
        extra = _pending_extra(target, request, files, spec2)
        digest = hashlib.sha256(files[PLAN_FILE]).hexdigest()
        publish(ledger, target, files, step="plan", record=lambda: ledger.record(ledger.record_plan(
            plan, plan_json_sha256=digest, directory=directory2, extra=extra)))
    return plan


def draw_with_ledger(data: str | Path, spec: PlanSpec, seed: PublicSeed, ledger: Ledger, out: str | Path, *,
                     source: EntitySource | None = None, supersede: str | None = None) -> DrawOnly:
    """``randsup draw`` with the ledger: a draw-only result (第一随机) recorded like a plan's draw.

    The same guarantees as :func:`plan_with_ledger`, by the same code: a broken ledger is refused,
    the lock is held from reading the history to the final record, the draw is recorded pending
    before its folder appears and published after, draw.json and the draw record state the ledger
    head (an anchor), the year's history feeds the annual cap (kept as ``ledger-history.csv``),
    the same command again completes a pending draw, and another seed or inputs for a recorded
    plan id needs ``supersede``. The ledger keeps the draw as a ``plan`` record without visits,
    marked ``draw_only``, whose ``plan_json_sha256`` is the digest of draw.json (docs/history.md).

    Raises:
        as :func:`plan_with_ledger`; InputError when the entity source is unusable.
    """
    target = Path(out).resolve()
    src = source or EntitySource()
    require_secrecy(spec, seed.salt_commitment)
    with ledger.locked():
        records = _start(ledger, spec, "draw")
        made: dict[tuple[int, str | None], _Draw | None] = {}

        def at(upto: int, why: str | None) -> _Draw | None:
            if (upto, why) not in made:
                made[(upto, why)] = _draw_at(records, data, ledger, spec, seed, src, upto, why)
            return made[(upto, why)]

        def request_at(upto: int, why: str | None) -> str | None:
            drawn = at(upto, why)
            return None if drawn is None else drawn.request

        def build(upto: int, why: str | None) -> tuple[DrawOnly, dict[str, bytes]]:
            drawn = at(upto, why)
            assert drawn is not None
            return drawn.draw, drawn.files

        if _plan_versions(records, len(records)).get(spec.plan_id) is None:
            _refuse_existing(target)  # before the (long) draw
        rec = _repeated(ledger, records, spec, supersede, request_at)
        if rec is not None:
            return _again(ledger, rec, target, lambda: build(*_recorded_at(rec, supersede)), DRAW_FILE,
                          read_draw, "draw")
        _refuse_existing(target)
        drawn = at(len(records), supersede)
        assert drawn is not None
        extra = {**_pending_extra(target, drawn.request, drawn.files, drawn.spec), "draw_only": True,
                 "engine": drawn.draw.engine}
        digest = hashlib.sha256(drawn.files[DRAW_FILE]).hexdigest()
        plan = as_plan(drawn.draw, drawn.spec, drawn.directory)
        # The snapshot counts the entities; a draw inside a database loaded none of them.
        snapshot = drawn.directory if src.engine == "python" else None
        publish(ledger, target, drawn.files, step="draw", record=lambda: ledger.record(ledger.record_plan(
            plan, plan_json_sha256=digest, directory=snapshot, extra=extra)))
    return drawn.draw


def _refuse_existing(target: Path) -> None:
    if target.exists():
        raise OutputError(f"{target} exists already; choose a new output folder or remove the old one")


def _start(ledger: Ledger, spec: PlanSpec, step: str) -> list[LedgerRecord]:
    """With the lock held: refuse a broken ledger or a pending plan of the year; the records."""
    checkpoint(f"{step}:locked")
    ledger.require_intact(step)
    _refuse_pending_of_year(ledger, spec)
    return ledger.records()


def _recorded_at(rec: LedgerRecord, supersede: str | None) -> tuple[int, str | None]:
    """(ledger position, supersede reason) a recorded plan was made at: how to make it again."""
    anchor = rec.payload.get("ledger") or {}
    upto = int(anchor.get("head_before", {}).get("seq", rec.seq - 1))
    return upto, supersede if anchor.get("supersedes") else None


def _repeated(ledger: Ledger, records: list[LedgerRecord], spec: PlanSpec, supersede: str | None,
              request_at: Callable[[int, str | None], str | None], *, taking: int | None = None
              ) -> LedgerRecord | None:
    """The recorded version of ``spec.plan_id`` this command repeats (same request), or None for a new one.

    ``taking``: the record seq of the draw a plan takes (``from_draw``); when that draw is the plan
    id's current version, the plan completes it rather than replacing it.

    Raises:
        LedgerError: the plan id is recorded from other inputs or seed and ``supersede`` is None, or
            ``supersede`` is given and there is nothing to supersede.
    """
    latest = _plan_versions(records, len(records)).get(spec.plan_id)
    if latest is None:
        if supersede is not None:
            ledger_anchor(records, spec, len(records), supersede)  # raises: nothing to supersede
        return None
    rec = latest[0]
    if taking is not None and rec.seq == taking:
        return None  # the plan takes the draw: nothing is superseded (checked by _taken_in_ledger)
    # The same command again? Then it is made against the ledger as it was before its own record.
    if request_at(*_recorded_at(rec, supersede)) == rec.payload.get("request_sha256"):
        return rec
    if supersede is None:
        what = "draw" if rec.payload.get("draw_only") else "plan"
        raise LedgerError(
            f"plan {spec.plan_id} is already in the ledger {ledger.path} (record seq {rec.seq}, a {what}) from "
            "other inputs or another seed; re-planning it replaces a plan that may have been published: pass "
            "--supersede --reason TEXT to do so (recorded, and shown in the new notice), or use a new plan_id")
    return None


def _pending_extra(target: Path, request: str, files: dict[str, bytes], spec: PlanSpec) -> dict[str, Any]:
    """What a pending plan (or draw) record holds beside the plan: its folder, request, public files, anchor."""
    return {"status": "pending", "folder": str(target), "request_sha256": request,
            "public": {k: hashlib.sha256(v).hexdigest() for k, v in files.items() if k.startswith("public/")},
            "ledger": spec.ledger.model_dump(mode="json") if spec.ledger else None}


@dataclass(frozen=True)
class _Draw:
    draw: DrawOnly
    spec: PlanSpec
    directory: Directory
    files: dict[str, bytes]
    request: str


def _draw_at(records: list[LedgerRecord], data: str | Path, ledger: Ledger, spec: PlanSpec, seed: PublicSeed,
             source: EntitySource, upto: int, supersede: str | None) -> _Draw | None:
    """The draw made against the ledger at ``upto`` (None: nothing to supersede there)."""
    try:
        anchor = ledger_anchor(records, spec, upto, supersede)
    except LedgerError:
        return None
    spec2 = spec.model_copy(update={"ledger": anchor})
    kept: list[bytes | None] = [None]

    def with_history(directory: Directory) -> Directory:
        merged, kept[0] = ledger_history(directory, ledger, spec.year, exclude_plan_id=spec.plan_id, upto=upto)
        return merged

    drawn, directory = make_draw(data, spec2, seed, source=source, prepare=with_history)
    files = render_draw(drawn, spec=spec2, directory=directory, history_file=kept[0])
    text = canonical_json({"draw_only": True, "engine": drawn.engine, "spec": json.loads(spec_json_bytes(spec2)),
                           "inputs": dict(sorted(drawn.inputs.items())), "seed": dict(sorted(seed.record().items()))})
    return _Draw(drawn, spec2, directory, files, hashlib.sha256(text).hexdigest())


_Prepared = tuple[PlanSpec, Directory, str, bytes | None]


def _prepare(records: list[LedgerRecord], directory: Directory, ledger: Ledger, spec: PlanSpec,
             seed: PublicSeed, upto: int, supersede: str | None, took: TakenDraw | None = None) -> _Prepared | None:
    """(spec with its anchor, directory with the ledger history, request digest, history file) at ``upto``."""
    try:
        anchor = ledger_anchor(records, spec, upto, supersede)
    except LedgerError:
        return None
    if took is not None:
        anchor = anchor.model_copy(update={"from_draw": took})
    merged, history_file = ledger_history(directory, ledger, spec.year, exclude_plan_id=spec.plan_id, upto=upto)
    spec2 = spec.model_copy(update={"ledger": anchor})
    return spec2, merged, _request_sha256(spec2, merged, seed), history_file


def _files(plan: Plan, spec: PlanSpec, directory: Directory, history_file: bytes | None,
           taken: TakenFolder | None = None) -> dict[str, bytes]:
    extra = {LEDGER_HISTORY_INPUT: history_file} if history_file else {}
    if taken is not None:  # the draw the plan took, kept for verify (docs/history.md)
        extra[FROM_DRAW_FILE] = taken.draw_json
        if taken.history is not None:
            extra[FROM_DRAW_HISTORY] = taken.history
    return plan_files(plan, spec=spec, directory=directory, extra_files=extra or None)


# ---------------------------------------------------------------------------------------
# A plan that takes a draw-only result as its 第一随机 (plan --from-draw)


@dataclass(frozen=True)
class TakenFolder:
    """A draw folder checked against the plan's spec, seed and data (:func:`take_draw`)."""

    folder: Path
    draw: DrawOnly
    draw_json: bytes
    history: bytes | None  # its ledger-history.csv
    public: dict[str, str]  # its public files → sha256

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.draw_json).hexdigest()


def _draw_fields(spec: PlanSpec) -> dict[str, Any]:
    """What of a spec decides its draw (the notice and team options do not)."""
    seed = spec.seed.model_dump(mode="json")
    seed.pop("published_values", None)
    return {"plan_id": spec.plan_id, "quarter": spec.quarter, "announced": spec.announced, "seed": seed,
            "max_inspections_per_entity_per_year": spec.max_inspections_per_entity_per_year,
            "tasks": [t.model_dump(mode="json") for t in spec.tasks]}


def _refuse_draw(folder: Path, why: Sequence[str]) -> InputError:
    return InputError([Problem(str(folder), None, None, None, w) for w in why],
                      header=f"the draw {folder} cannot be taken by this plan; nothing was written")


def take_draw(folder: str | Path, directory: Directory, spec: PlanSpec, seed: PublicSeed) -> TakenFolder:
    """Check a draw folder for a plan that takes it: the same spec (draw settings), seed and data, and
    a draw that recomputes from them with the history it kept. Reads only; the ledger is checked
    under the lock (:func:`_taken_in_ledger`).

    Raises:
        InputError: the folder is not a draw folder, or differs from the plan (each difference named).
    """
    f = Path(folder)
    if not (f / DRAW_FILE).is_file() or (f / PLAN_FILE).is_file():
        raise _refuse_draw(f, ["not a draw folder (no draw.json); pass the OUT folder `randsup draw` wrote"])
    try:
        drawn = read_draw(f)
        published = read_published_spec(f)
    except (VerificationError, InputError) as exc:
        raise _refuse_draw(f, [exc.message]) from None
    why: list[str] = []
    if _draw_fields(published) != _draw_fields(spec):
        mine, theirs = _draw_fields(spec), _draw_fields(published)
        keys = ", ".join(k for k in mine if mine[k] != theirs.get(k))
        why.append(f"its spec.json differs from the plan's spec in {keys}; plan with the spec the draw was made with")
    if dict(drawn.seed) != dict(seed.record()):
        why.append("it was drawn from another seed (key string, salt commitment or seed); give the plan the "
                   "draw's --source values and salt")
    base = with_history_file(directory, f) if (f / LEDGER_HISTORY_INPUT).is_file() else directory
    changed = sorted(k for k in set(drawn.inputs) | set(base.digests) if drawn.inputs.get(k) != base.digests.get(k))
    if changed:
        why.append(f"it was drawn from other data: {', '.join(changed)} differ from the files of this data folder "
                   "(or the draw's ledger-history.csv was changed); take a draw of this data folder")
    if why:
        raise _refuse_draw(f, why)
    if draw_entities(base, spec, seed) != drawn.draw:
        raise _refuse_draw(f, ["its draw.json does not match the draw recomputed from this data, spec and seed "
                               "(the folder was changed); check it with `randsup verify`"])
    history = f / LEDGER_HISTORY_INPUT
    public = {p.relative_to(f).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in sorted((f / "public").rglob("*")) if p.is_file()}
    return TakenFolder(f, drawn, (f / DRAW_FILE).read_bytes(), history.read_bytes() if history.is_file() else None,
                       public)


def _taken_in_ledger(ledger: Ledger, records: list[LedgerRecord], taken: TakenFolder, spec: PlanSpec,
                     supersede: str | None) -> TakenDraw:
    """The ledger's record of the draw a plan takes, checked: published, these files, current, no results.

    Raises:
        LedgerError: the ledger does not hold this draw, or holds it pending, with other public files,
            superseded, or with results recorded (they would count twice).
    """
    where = f"the draw {taken.folder}"
    mine = [r for r in records if r.kind == "plan" and r.payload.get("plan_id") == spec.plan_id
            and r.payload.get("draw_only") and r.payload.get("plan_json_sha256") == taken.digest]
    if not mine:
        raise LedgerError(f"{where} is not recorded in the ledger {ledger.path} (no draw {spec.plan_id} with its "
                          "draw.json); take a draw made with this ledger (`randsup draw … --ledger`)")
    rec = mine[-1]
    if any(p.seq == rec.seq for p in ledger.pending()):
        raise LedgerError(f"{where} is pending in the ledger (record seq {rec.seq}); run the same `randsup draw` "
                          "command again to complete it first")
    for name, digest in sorted((rec.payload.get("public") or {}).items()):
        if taken.public.get(name) != digest:
            raise LedgerError(f"{where}: {name} is not the file record seq {rec.seq} holds the digest of; "
                              "restore the draw folder as written")
    results = [r.seq for r in records if r.kind == "result" and r.payload.get("plan_id") == spec.plan_id
               and r.seq > rec.seq]
    if results:
        raise LedgerError(f"{where} already has results recorded (record seq {results[0]}…): its inspections "
                          "are done, and a plan taking it would count them twice; plan a new plan_id instead")
    latest = _plan_versions(records, len(records))[spec.plan_id][0]
    if latest.seq == rec.seq:
        if supersede is not None:
            raise LedgerError(f"a plan taking {where} replaces nothing; leave out --supersede and --reason")
    else:
        stated = (latest.payload.get("ledger") or {}).get("from_draw") or {}
        if (stated.get("seq"), stated.get("draw_json_sha256")) != (rec.seq, taken.digest):
            what = "draw" if latest.payload.get("draw_only") else "plan"
            raise LedgerError(f"{where} (record seq {rec.seq}) is no longer the current version of plan "
                              f"{spec.plan_id}: record seq {latest.seq} (a {what}) replaced it; take the current one")
    return TakenDraw(seq=rec.seq, draw_json_sha256=taken.digest,
                     history_sha256=None if taken.history is None else hashlib.sha256(taken.history).hexdigest())


def _again(book: Ledger, rec: LedgerRecord, target: Path, build: Callable[[], tuple[_T, dict[str, bytes]]],
           identity: str, read: Callable[[Path], _T], step: str) -> _T:
    """The same command again: complete its pending record, or write the recorded folder to ``target``.

    ``identity`` is the file whose digest the record holds (plan.json, or draw.json of a draw).
    """
    want = rec.payload["plan_json_sha256"]
    pending = any(p.seq == rec.seq for p in book.pending())
    if pending and Path(rec.payload["folder"]) == target and complete(book, rec):
        return read(target)
    if target.exists():
        if folder_digest(target, identity) == want and not pending:
            raise OutputError(f"{target} exists already and holds this {step} as the ledger recorded it "
                              f"(record seq {rec.seq}): nothing to do")
        raise OutputError(f"{target} exists already; choose a new output folder or remove the old one")
    made, files = build()
    if hashlib.sha256(files[identity]).hexdigest() != want:
        raise LedgerError(
            f"{step} {rec.payload['plan_id']} recomputed from the same inputs and seed differs from the {identity} the "
            f"ledger recorded (record seq {rec.seq}); the randsup version or its libraries changed since. "
            f"Make it with the version that made it, or replace it with --supersede --reason")
    if pending:
        publish(book, target, files, step=step, record=lambda: rec)
    else:  # another copy of a published plan: the same digest, nothing new to record
        write_folder(target, files)
    return made
