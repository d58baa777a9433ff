"""The reveal (公布盐值): after the last visit, publish the salt and the full drawn list.

An unannounced plan (不打招呼) keeps its seed secret behind a salt commitment. Once every visit
of the plan is past, :func:`reveal_plan` checks the salt against the commitment, recomputes the
draw (第一随机) from the data directory, and adds two public files to the plan folder:
``public/reveal.json`` (salt, seed, ticket seeds, per task and class the drawn list, the
alternates used and the cut-offs) and ``public/drawn-list.csv`` (the 抽查名单). Files already
published never change; the manifest gains the two new files. ``verify`` recomputes both. The reveal is
written under the ledger lock like every other public folder (docs/history.md, The reveal):
reveal.json states the ledger head it was written against, and its ``reveal`` record holds the
digests of both files.

A draw folder (``randsup draw``) is revealed the same way once its quarter is over (a draw has
no visits); docs/history.md (The reveal).

No clock is read: the "as of" day comes from the caller (the CLI's --as-of, today by default)
and is used only for the refusal, never written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..assign.workdays import quarter_bounds
from ..draw.sample import draw_entities
from ..draw.seed import PublicSeed, verify_salt
from ..errors import InputError, LedgerError, OutputError, Problem, SeedError, VerificationError
from ..io import canonical_json
from ..model import RISK_CLASSES, RISK_UNGRADED, Directory, Plan
from ..publish.draw_only import DRAW_FILE, DrawOnly, as_plan, read_draw
from ..publish.files import (
    DRAW_RECORD,
    DRAWN_LIST,
    MANIFEST_FILE,
    PLAN_FILE,
    REVEAL_RECORD,
    read_json,
    read_plan,
    read_published_spec,
)
from ..publish.record import drawn_list_csv, reveal_record
from ..publish.render import MANIFEST_FORMAT
from ..spec import PlanSpec
from .folders import complete, publish, staged_path
from .ledger import Ledger, default_ledger_path, ensure_plan_recorded, plan_inputs_of
from .lock import checkpoint

__all__ = ["RevealReport", "last_visit_date", "reveal_files", "reveal_plan"]


@dataclass(frozen=True)
class RevealReport:
    """What the reveal published."""

    plan_id: str
    files: tuple[str, ...]
    drawn: int  # entities on the drawn lists of all tasks
    forced: bool


def last_visit_date(plan: Plan) -> dt.date | None:
    """The day of the plan's last visit (None for a plan without dated visits)."""
    days = [v.date for v in plan.visits if v.date is not None]
    return max(days) if days else None


def reveal_files(plan: Plan, spec: PlanSpec, directory: Directory, salt: str, *, draw_record_bytes: bytes,
                 forced_reason: str | None, ledger_head: Mapping[str, Any] | None = None) -> dict[str, bytes]:
    """``public/reveal.json`` and ``public/drawn-list.csv`` of a plan, recomputed from the data.

    Pure (no clock, no disk); ``reveal_plan`` writes them and ``verify`` compares them.

    Raises:
        SeedError: the salt does not match the plan's commitment.
        VerificationError: the recomputed draw differs from the plan's (verify names the fields).
    """
    commitment = plan.seed.get("salt_commitment")
    if commitment is None:
        raise SeedError(f"plan {plan.plan_id} was drawn without a salt (announced); its draw record "
                        "publishes the seed already, there is nothing to reveal")
    verify_salt(commitment, salt)
    seed = PublicSeed.from_key_string(str(plan.seed.get("key_string") or ""), salt)
    if seed.seed_hex != plan.seed.get("seed_hex"):
        raise VerificationError(f"plan {plan.plan_id}: the seed rebuilt from the key string and the salt differs "
                                "from plan.json's; run `randsup verify` to see what changed")
    draw = draw_entities(directory, spec, seed)
    by_id = {t.task_id: t for t in plan.tasks}
    for td in draw.tasks:
        pt = by_id.get(td.task_id)
        if pt is None or pt.task_seed != td.ticket_seed or pt.strata != td.strata:
            raise VerificationError(f"plan {plan.plan_id}, task {td.task_id}: the recomputed draw differs from "
                                    "plan.json; run `randsup verify` to see what changed")
    ent = directory.entities
    ids = {e for td in draw.tasks for e in (*td.selected, *(a for k in RISK_CLASSES for a in td.alternates.get(k, ())))}
    index = ent.row_map(ids)
    # An ungraded object (not a 市场主体) is in its task's default class (docs/object-kinds.md).
    class_of: dict[str, str] = {}
    task_spec = {t.task_id: t for t in spec.tasks}
    for td in draw.tasks:
        default = task_spec[td.task_id].default_risk_class or spec.default_risk_class
        for e in (*td.selected, *(a for k in RISK_CLASSES for a in td.alternates.get(k, ()))):
            r = int(ent.risk_class[index[e]])
            class_of.setdefault(e, RISK_CLASSES[r] if r != RISK_UNGRADED else str(default))
    names = {e: str(ent.name[index[e]]) for e in sorted(ids)}
    last = last_visit_date(plan)
    record = reveal_record(plan, draw.tasks, seed, salt, class_of=class_of,
                           draw_record_sha256=hashlib.sha256(draw_record_bytes).hexdigest(),
                           last_visit=None if last is None else last.isoformat(), forced_reason=forced_reason,
                           ledger_head=ledger_head)
    return {REVEAL_RECORD: canonical_json(record), DRAWN_LIST: drawn_list_csv(record, plan, names)}


def _listed(out: Path) -> dict[str, str]:
    manifest = read_json(out / MANIFEST_FILE, MANIFEST_FILE)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        raise InputError(Problem(str(out / MANIFEST_FILE), None, None, None,
                                 "has no 'files' table; restore the folder as written"),
                         header="the plan folder cannot be read")
    return files


def reveal_plan(plan_dir: str | Path, salt: str, *, data: str | Path, as_of: dt.date,
                force_reason: str | None = None, ledger: Ledger | None = None) -> RevealReport:
    """Publish the salt and the drawn lists of a plan whose visits are all past.

    Refusals that need no ledger (too early, a bad salt, a bad plan folder, changed data) come
    first and take no lock. Then, under the ledger lock and in the order of
    :mod:`randsup.history.folders`: the plan folder with the two new files and the new manifest
    is staged, a ``reveal`` record (the head before it, the files' digests, a forced reason) is
    appended as pending, the folder is moved into place, the record is marked published. The
    same command again completes a reveal a crash left pending.

    Args:
        plan_dir: the plan folder.
        salt: the secret salt whose commitment the plan published.
        data: the data directory the plan was drawn from (the drawn list needs each entity's class).
        as_of: the day to judge "past" by; the reveal is refused unless every visit is before it.
        force_reason: reveal before the last visit anyway; the reason is published in reveal.json.
        ledger: the ledger that recorded the plan (default: the one beside ``data``; it must exist).

    Raises:
        InputError: too early (and no reason), an empty reason, or the data changed since the plan.
        OutputError: the plan was revealed already.
        SeedError: the plan has no salt, or the salt does not match its commitment.
        VerificationError: the recomputed draw differs from the plan.
        LedgerError: the ledger is missing, in use, fails verification, or does not know this plan.
    """
    if ledger is None:
        with Ledger(default_ledger_path(data), create=False) as book:
            return reveal_plan(plan_dir, salt, data=data, as_of=as_of, force_reason=force_reason, ledger=book)
    out = Path(plan_dir)
    if not out.exists() and staged_path(out).is_dir():  # killed between the two renames of a reveal
        with ledger.locked():
            ledger.require_intact("reveal a plan")
            done = _complete_pending_reveal(ledger, out)
        if done is not None:
            return done
    drawn = read_draw(out) if _is_draw(out) else None
    plan = read_plan(out) if drawn is None else _draw_header(drawn)
    spec = read_published_spec(out)
    listed = _listed(out)
    if force_reason is not None and not force_reason.strip():
        raise InputError(Problem("--reason", None, None, force_reason,
                                 "say why the salt is revealed before the last visit; it is published"),
                         header="bad reveal")
    # A draw has no visits: its inspections run through its quarter (docs/history.md, The reveal).
    last = last_visit_date(plan) if drawn is None else quarter_bounds(plan.quarter)[1]
    if last is not None and as_of <= last and force_reason is None:
        until = (f"plan {plan.plan_id} has visits until {last.isoformat()}" if drawn is None else
                 f"the draw {plan.plan_id} is inspected during {plan.quarter}, until {last.isoformat()}")
        raise InputError(Problem("--as-of", None, None, as_of.isoformat(),
                                 f"{until}; revealing the salt "
                                 "now would tell who is still to be inspected. Reveal from "
                                 f"{(last + dt.timedelta(days=1)).isoformat()}, or pass --force --reason R "
                                 "(the reason is published)"),
                         header="too early to reveal")
    commitment = plan.seed.get("salt_commitment")
    if commitment is None:
        raise SeedError(f"plan {plan.plan_id} was drawn without a salt (announced); its draw record publishes "
                        "the seed already, there is nothing to reveal")
    verify_salt(commitment, salt)
    directory = plan_inputs_of(plan, out, data, action="reveal")
    if drawn is not None:
        plan = as_plan(drawn, spec, directory)
    with ledger.locked():
        checkpoint("reveal:locked")
        ledger.require_intact("reveal a plan")
        done = _complete_pending_reveal(ledger, out)
        if done is not None:
            return done  # the same command again: the reveal a crash interrupted is now complete
        if REVEAL_RECORD in listed:
            raise OutputError(f"{out / REVEAL_RECORD}: plan {plan.plan_id} is revealed already; a reveal is "
                              "published once and never replaced")
        if ledger.plan_record(plan.plan_id) is None:
            raise LedgerError(f"plan {plan.plan_id} is not in the ledger {ledger.path}; reveal a plan with the ledger "
                              "that recorded it (--ledger PATH), nothing was written")
        if drawn is None:
            ensure_plan_recorded(ledger, plan, out)  # refuses a plan.json the ledger does not know
        else:
            _require_recorded_draw(ledger, plan.plan_id, out)
        seq, hash_ = ledger.head()
        head = {"seq": seq, "hash": hash_}
        new = reveal_files(plan, spec, directory, salt, draw_record_bytes=(out / DRAW_RECORD).read_bytes(),
                           forced_reason=force_reason, ledger_head=head)
        # The whole folder is staged (unlisted files too, as they are); the digests already listed
        # are kept as they are (a changed file stays a difference verify reports).
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        files.update(new)
        entries = {**listed, **{name: hashlib.sha256(b).hexdigest() for name, b in new.items()}}
        files[MANIFEST_FILE] = canonical_json({"format": MANIFEST_FORMAT, "algorithm": "sha256",
                                               "files": dict(sorted(entries.items()))})
        target = out.resolve()
        payload = {"plan_id": plan.plan_id, "ledger": {"head_before": head},
                   "files": {name: hashlib.sha256(b).hexdigest() for name, b in sorted(new.items())},
                   "forced_reason": force_reason, "status": "pending", "folder": str(target),
                   "reveal_json_sha256": hashlib.sha256(new[REVEAL_RECORD]).hexdigest()}
        publish(ledger, target, files, step="reveal",
                record=lambda: ledger.record(ledger.record_reveal(payload)))
    return _report(plan.plan_id, new[REVEAL_RECORD])


def _is_draw(out: Path) -> bool:
    """Whether ``out`` is a draw folder (``randsup draw``) rather than a plan folder."""
    return (out / DRAW_FILE).is_file() and not (out / PLAN_FILE).is_file()


def _draw_header(drawn: DrawOnly) -> Plan:
    """A draw as a Plan header (no tasks yet): what the refusals and the input check read."""
    return Plan(plan_id=drawn.plan_id, quarter=drawn.quarter, seed=drawn.seed, inputs=drawn.inputs,
                software=drawn.software, tasks=(), visits=(), alternates={}, stats={}, ledger=drawn.ledger)


def _require_recorded_draw(ledger: Ledger, plan_id: str, out: Path) -> None:
    """Refuse a draw folder whose draw.json is not a draw of ``plan_id`` the ledger recorded."""
    digest = hashlib.sha256((out / DRAW_FILE).read_bytes()).hexdigest()
    if not any(r.payload.get("plan_id") == plan_id and r.payload.get("draw_only")
               and r.payload.get("plan_json_sha256") == digest for r in ledger.records("plan")):
        raise LedgerError(f"{out / DRAW_FILE} is not a draw {plan_id} the ledger {ledger.path} recorded; reveal the "
                          "draw folder as `randsup draw` wrote it, with the ledger that recorded it")


def _report(plan_id: str, reveal_json: bytes) -> RevealReport:
    record = json.loads(reveal_json)
    drawn = sum(len(c["drawn"]) for t in record["tasks"] for c in t["classes"].values())
    return RevealReport(plan_id, (DRAWN_LIST, REVEAL_RECORD), drawn, record.get("forced") is not None)


def _complete_pending_reveal(book: Ledger, out: Path) -> RevealReport | None:
    """Complete a reveal of this plan folder that a crash left pending; its report, or None if there was none."""
    target = out.resolve()
    for rec in book.pending():
        if rec.kind != "reveal" or Path(rec.payload["folder"]) != target:
            continue
        if not complete(book, rec):
            raise LedgerError(f"the reveal recorded as pending at seq {rec.seq} cannot be completed: neither {target} "
                              "nor its staged copy holds the reveal.json it names; restore the plan folder from a "
                              "backup")
        return _report(rec.payload["plan_id"], (target / REVEAL_RECORD).read_bytes())
    return None
