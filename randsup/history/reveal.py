"""The reveal (公布盐值): after the last visit, publish the salt and the full drawn list.

An unannounced plan (不打招呼) keeps its seed secret behind a salt commitment. Once every visit
of the plan is past, :func:`reveal_plan` checks the salt against the commitment, recomputes the
draw (第一随机) from the data directory, and adds two public files to the plan folder:
``public/reveal.json`` (salt, seed, ticket seeds, per task and class the drawn list, the
alternates used and the cut-offs) and ``public/drawn-list.csv`` (the 抽查名单). Files already
published never change; the manifest gains the two new files. ``verify`` recomputes both.

No clock is read: the "as of" day comes from the caller (the CLI's --as-of, today by default)
and is used only for the refusal, never written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..draw.sample import draw_entities
from ..draw.seed import PublicSeed, verify_salt
from ..errors import InputError, OutputError, Problem, SeedError, VerificationError
from ..io import canonical_json, write_atomic
from ..model import RISK_CLASSES, Directory, Plan
from ..publish.files import (
    DRAW_RECORD,
    DRAWN_LIST,
    MANIFEST_FILE,
    REVEAL_RECORD,
    read_json,
    read_plan,
    read_published_spec,
)
from ..publish.record import drawn_list_csv, reveal_record
from ..publish.render import MANIFEST_FORMAT
from ..spec import PlanSpec
from .ledger import plan_inputs_of

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
                 forced_reason: str | None) -> dict[str, bytes]:
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
    index = ent.index
    ids = {e for td in draw.tasks for e in (*td.selected, *(a for k in RISK_CLASSES for a in td.alternates.get(k, ())))}
    class_of = {e: RISK_CLASSES[int(ent.risk_class[index[e]])] for e in sorted(ids)}
    names = {e: str(ent.name[index[e]]) for e in sorted(ids)}
    last = last_visit_date(plan)
    record = reveal_record(plan, draw.tasks, seed, salt, class_of=class_of,
                           draw_record_sha256=hashlib.sha256(draw_record_bytes).hexdigest(),
                           last_visit=None if last is None else last.isoformat(), forced_reason=forced_reason)
    return {REVEAL_RECORD: canonical_json(record), DRAWN_LIST: drawn_list_csv(record, plan, names)}


def _listed(out: Path) -> dict[str, str]:
    manifest = read_json(out / MANIFEST_FILE, MANIFEST_FILE)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        raise InputError(Problem(str(out / MANIFEST_FILE), None, None, None,
                                 "has no 'files' table; restore the plan folder as written"),
                         header="the plan folder cannot be read")
    return files


def reveal_plan(plan_dir: str | Path, salt: str, *, data: str | Path, as_of: dt.date,
                force_reason: str | None = None) -> RevealReport:
    """Publish the salt and the drawn lists of a plan whose visits are all past.

    Args:
        plan_dir: the plan folder.
        salt: the secret salt whose commitment the plan published.
        data: the data directory the plan was drawn from (the drawn list needs each entity's class).
        as_of: the day to judge "past" by; the reveal is refused unless every visit is before it.
        force_reason: reveal before the last visit anyway; the reason is published in reveal.json.

    Raises:
        InputError: too early (and no reason), an empty reason, or the data changed since the plan.
        OutputError: the plan was revealed already.
        SeedError: the plan has no salt, or the salt does not match its commitment.
        VerificationError: the recomputed draw differs from the plan.
    """
    out = Path(plan_dir)
    plan = read_plan(out)
    spec = read_published_spec(out)
    listed = _listed(out)
    if REVEAL_RECORD in listed:
        raise OutputError(f"{out / REVEAL_RECORD}: plan {plan.plan_id} is revealed already; a reveal is "
                          "published once and never replaced")
    if force_reason is not None and not force_reason.strip():
        raise InputError(Problem("--reason", None, None, force_reason,
                                 "say why the salt is revealed before the last visit; it is published"),
                         header="bad reveal")
    last = last_visit_date(plan)
    if last is not None and as_of <= last and force_reason is None:
        raise InputError(Problem("--as-of", None, None, as_of.isoformat(),
                                 f"plan {plan.plan_id} has visits until {last.isoformat()}; revealing the salt "
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
    files = reveal_files(plan, spec, directory, salt, draw_record_bytes=(out / DRAW_RECORD).read_bytes(),
                         forced_reason=force_reason)
    # New files first, the manifest last: a reveal interrupted in between leaves files the
    # manifest does not list (verify names them), and running the reveal again completes it.
    for name, data_bytes in files.items():
        write_atomic(out / name, data_bytes)
    # The digests already listed are kept as they are (a changed file stays a difference verify
    # reports), the new files are added.
    entries = {**listed, **{name: hashlib.sha256(b).hexdigest() for name, b in files.items()}}
    write_atomic(out / MANIFEST_FILE, canonical_json({"format": MANIFEST_FORMAT, "algorithm": "sha256",
                                                      "files": dict(sorted(entries.items()))}))
    record = json.loads(files[REVEAL_RECORD])
    drawn = sum(len(c["drawn"]) for t in record["tasks"] for c in t["classes"].values())
    return RevealReport(plan.plan_id, tuple(sorted(files)), drawn, force_reason is not None)
