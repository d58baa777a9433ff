"""回避、重新随机选派: an inspector recuses from a visit and the next eligible one in the visit's ranking goes.

Design notes: docs/history.md (section randsup/history/recuse.py).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..assign.eligibility import RULES, build_rules, demands_by_department, eligible_pool, team_problems
from ..assign.ranking import inspector_ranking
from ..assign.teams import INSPECTORS_DOMAIN, SubSeeded
from ..draw.seed import PublicSeed
from ..errors import InfeasibleError, InputError, LedgerError, Problem, VerificationError
from ..io import canonical_json
from ..model import Assignment, Directory, Inspector, Plan, Visit
from ..publish.files import (
    CHANGES_FILE,
    MANIFEST_FILE,
    PLAN_FILE,
    read_json,
    read_plan,
    read_published_spec,
)
from ..publish.render import plan_files, render_plan
from ..spec import PlanSpec
from .folders import complete, publish
from .ledger import Ledger, default_ledger_path, ensure_plan_recorded, with_history_file
from .lock import checkpoint

__all__ = [
    "Recusal",
    "apply_recusal",
    "read_changes",
    "recuse",
    "replay_changes",
]

CHANGES_FORMAT = "randsup-changes/1"


@dataclass(frozen=True)
class Recusal:
    """One recusal and redraw, as changes.json lists it (no time: that lives in the ledger)."""

    visit_id: str
    department_id: str
    inspector_out: str
    inspector_in: str | None  # None: an expert left and no other expert was eligible
    rank: int  # 1-based rank of inspector_in in the node's ranking, among those keeping the team legal
    reason: str
    actor: str
    type: str = "recusal"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def read_changes(plan_dir: str | Path) -> list[Recusal]:
    """The changes recorded in a plan directory's changes.json, in order (empty if none)."""
    p = Path(plan_dir) / CHANGES_FILE
    if not p.is_file():
        return []
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
        if raw.get("format") != CHANGES_FORMAT:
            raise ValueError(f"format is {raw.get('format')!r}, not {CHANGES_FORMAT!r}")
        return [Recusal(**c) for c in raw["changes"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise VerificationError(f"{p}: not a randsup changes file ({exc}); restore the plan directory "
                                "as `randsup recuse` wrote it") from None


def _changes_bytes(plan_id: str, changes: list[Recusal]) -> bytes:
    return canonical_json({"format": CHANGES_FORMAT, "plan_id": plan_id,
                           "changes": [c.as_json() for c in changes]})


# ---------------------------------------------------------------------------------------
# The redraw


def _team_order(visit: Visit, team: list[Assignment]) -> tuple[Assignment, ...]:
    # The order teams.assign_teams gives: by the visit's departments, non-experts first, by id.
    order = {d: i for i, d in enumerate(visit.departments)}
    return tuple(sorted(team, key=lambda a: (order[a.department_id], a.is_expert, a.inspector_id)))


def _next_inspector(plan: Plan, directory: Directory, spec: PlanSpec, seed_string: str, visit: Visit,
                    department_id: str, expert: bool, excluded: set[str]) -> tuple[str | None, int, list[str]]:
    """(inspector id or None, its rank, why-none reasons) for the next eligible inspector in the ranking."""
    assert visit.date is not None
    rules = build_rules(directory, spec, {visit.entity_id})
    demand = demands_by_department([visit], directory)[department_id]
    staff = sorted((p for p in directory.inspectors if p.department_id == department_id and p.is_expert == expert),
                   key=lambda p: p.inspector_id)
    pool = eligible_pool(department_id, demand, staff, rules, 1, optional=expert)

    on_visit = {a.inspector_id for a in visit.inspectors}
    same_entity = {a.inspector_id for v in plan.visits if v.visit_id != visit.visit_id
                   and v.entity_id == visit.entity_id for a in v.inspectors if a.department_id == department_id}
    per_day: Counter[tuple[str, object]] = Counter()
    per_quarter: Counter[str] = Counter()
    for v in plan.visits:
        for a in v.inspectors:
            if not (v.visit_id == visit.visit_id and a.inspector_id in excluded):
                per_day[(a.inspector_id, v.date)] += 1
                per_quarter[a.inspector_id] += 1

    # The team rule: the replacement and the members who stay must still cover the visit's fields.
    staying = [directory.inspector_by_id[a.inspector_id].fields for a in visit.inspectors
               if a.department_id == department_id and not a.is_expert and a.inspector_id not in excluded]
    needed = demand[0].fields

    def keeps_team_legal(p: Inspector) -> bool:
        return expert or not team_problems(needed, [*staying, p.fields], spec.team_size)

    eligible = [p for j, p in enumerate(staff) if pool.eligible[0, j] and keeps_team_legal(p)]
    # The node's own ranking (the one the plan's teams came from), restricted to those who keep
    # the team legal.
    order = inspector_ranking(seed_string, visit.visit_id, department_id, [p.inspector_id for j, p in
                                                                           enumerate(staff) if pool.eligible[0, j]],
                              expert=expert)
    by_id = {p.inspector_id: p for p in eligible}
    ranked = [by_id[pid] for pid, _ in order if pid in by_id]
    for rank, p in enumerate(ranked, start=1):
        pid = p.inspector_id
        if pid in excluded or pid in on_visit or pid in same_entity:
            continue
        if per_day[(pid, visit.date)] + rules.used_day.get((pid, visit.date), 0) >= p.max_visits_per_day:
            continue
        if per_quarter[pid] + rules.used_quarter.get(pid, 0) >= p.max_visits_per_quarter:
            continue
        return pid, rank, []
    fails = pool.fails()
    why = [f"{int(fails[r][0].sum())} fail the rule '{r}'" for r in RULES if fails[r][0].any()]
    taken = [p.inspector_id for p in ranked]
    why.append(f"of the {len(taken)} eligible who keep the team's fields covered, all are recused, on this visit already, on another visit "
               "to the entity, or at a daily/quarterly cap")
    return None, 0, why


def apply_recusal(plan: Plan, directory: Directory, spec: PlanSpec, seed: SubSeeded, visit_id: str,
                  inspector_id: str, *, reason: str, actor: str,
                  earlier: list[Recusal] | None = None) -> tuple[Plan, Recusal]:
    """The plan with ``inspector_id`` replaced on ``visit_id`` by the next eligible inspector.

    ``earlier`` are the plan's previous recusals: an inspector who recused from this visit and
    department before is not drawn again.

    Raises:
        InputError: no such visit, or the inspector is not on it.
        InfeasibleError: no eligible inspector of that department is left for a required place.
    """
    visit = next((v for v in plan.visits if v.visit_id == visit_id), None)
    if visit is None:
        raise InputError(Problem("--visit", None, None, visit_id, f"no such visit in plan {plan.plan_id}; "
                                 "take the 检查编号 from visits.csv"), header="bad recusal")
    leaving = next((a for a in visit.inspectors if a.inspector_id == inspector_id), None)
    if leaving is None:
        team = ", ".join(a.inspector_id for a in visit.inspectors)
        raise InputError(Problem("--inspector", None, None, inspector_id,
                                 f"not on visit {visit_id} (its inspectors: {team})"), header="bad recusal")
    dept = leaving.department_id
    excluded = {c.inspector_out for c in earlier or () if c.visit_id == visit_id and c.department_id == dept}
    excluded.add(inspector_id)
    new_id, rank, why = _next_inspector(plan, directory, spec, seed.sub_seed(INSPECTORS_DOMAIN), visit, dept,
                                        leaving.is_expert, excluded)
    if new_id is None and not leaving.is_expert:
        raise InfeasibleError(
            f"no inspector of department {dept} is left to replace {inspector_id} on visit {visit_id} "
            f"(entity {visit.entity_id}, {visit.date})", reasons=why,
            fixes=[f"add certified inspectors of department {dept} for this visit's fields",
                   "or record the entity as not inspected in this plan and inspect it in a later one"])
    team = [a for a in visit.inspectors if a.inspector_id != inspector_id]
    if new_id is not None:
        team.append(Assignment(inspector_id=new_id, department_id=dept, is_expert=leaving.is_expert))
    new_visit = visit.model_copy(update={"inspectors": _team_order(visit, team)})
    stats = dict(plan.stats)
    stats["recusals"] = int(stats.get("recusals", 0)) + 1
    new_plan = plan.model_copy(update={
        "visits": tuple(new_visit if v.visit_id == visit_id else v for v in plan.visits), "stats": stats})
    return new_plan, Recusal(visit_id, dept, inspector_id, new_id, rank, reason, actor)


def replay_changes(plan: Plan, plan_dir: str | Path, directory: Directory, spec: PlanSpec,
                   seed: SubSeeded) -> Plan:
    """Apply the plan directory's changes.json to a recomputed plan, checking each redraw.

    For ``verify``: recompute the plan from the inputs and seed, replay the recorded changes, then
    compare with plan.json.

    Raises:
        VerificationError: a replayed replacement differs from the one changes.json records.
    """
    done: list[Recusal] = []
    for k, c in enumerate(read_changes(plan_dir), start=1):
        try:
            plan, got = apply_recusal(plan, directory, spec, seed, c.visit_id, c.inspector_out,
                                      reason=c.reason, actor=c.actor, earlier=done)
        except (InputError, InfeasibleError) as exc:
            raise VerificationError(f"{Path(plan_dir) / CHANGES_FILE}: change {k} (visit {c.visit_id}, "
                                    f"{c.inspector_out} recused) cannot be replayed: {exc.message}") from None
        if (got.department_id, got.inspector_in, got.rank) != (c.department_id, c.inspector_in, c.rank):
            raise VerificationError(
                f"{Path(plan_dir) / CHANGES_FILE}: change {k} (visit {c.visit_id}, {c.inspector_out} recused) "
                f"records {c.inspector_in} (rank {c.rank}) but the redraw gives {got.inspector_in} "
                f"(rank {got.rank})")
        done.append(got)
    return plan


# ---------------------------------------------------------------------------------------
# The plan directory


def recuse(plan_dir: str | Path, visit_id: str, inspector_id: str, reason: str, actor: str, *,
           data: str | Path, ledger: Ledger | None = None) -> Recusal:
    """Recuse ``inspector_id`` from ``visit_id`` and redraw; rewrite the plan directory and record it.

    In the order of :mod:`randsup.history.folders`: the rewritten folder (plan.json, the work list,
    changes.json, the manifest) is staged, the change is recorded as pending, the folder is moved
    into place, the change is marked published; the ledger lock is held throughout. Running the
    same command after a crash completes the pending change. ``ledger`` defaults to the one beside ``data``.

    Returns:
        The recorded change (who left, who goes, the rank); the new plan is in ``plan_dir``.

    Raises:
        InputError: a bad visit or inspector, a missing reason, or data that changed since the plan.
        InfeasibleError: nobody eligible is left to go.
        LedgerError: the ledger is in use, fails verification, or holds another version of this plan.
    """
    from ..inputs.load import load_directory

    if ledger is None:
        with Ledger(default_ledger_path(data)) as book:
            return recuse(plan_dir, visit_id, inspector_id, reason, actor, data=data, ledger=book)
    out = Path(plan_dir)
    if not reason.strip():
        raise InputError(Problem("--reason", None, None, reason, "say why the inspector recuses; it is recorded"),
                         header="bad recusal")
    with ledger.locked():
        checkpoint("recuse:locked")
        ledger.require_intact("record a recusal")
        done = _complete_pending(ledger, out)
        if done is not None and (done.visit_id, done.inspector_out, done.reason, done.actor) == (
                visit_id, inspector_id, reason, actor):
            return done  # the same command again: the change a crash interrupted is now complete
        plan = read_plan(out)
        spec = read_published_spec(out)
        directory = with_history_file(load_directory(data), out)
        changed = sorted(k for k in set(plan.inputs) | set(directory.digests)
                         if plan.inputs.get(k) != directory.digests.get(k))
        if changed:
            raise InputError([Problem(str(Path(data) / k), None, None, None,
                                      "differs from the file the plan was drawn from; recuse against the same data")
                              for k in changed], header="the data changed since the plan was made")
        ensure_plan_recorded(ledger, plan, out)
        earlier = read_changes(out)
        seed = PublicSeed(key_string=str(plan.seed.get("key_string") or ""), seed_hex=str(plan.seed["seed_hex"]),
                          salt_commitment=plan.seed.get("salt_commitment"))
        new_plan, change = apply_recusal(plan, directory, spec, seed, visit_id, inspector_id,
                                         reason=reason, actor=actor, earlier=earlier)

        rendered = render_plan(new_plan, spec=spec, directory=directory)
        listed = read_json(out / MANIFEST_FILE).get("files", {})
        # Files the renderer does not make (ledger-history.csv, …) are kept; changes.json grows by one.
        extras = {name: (out / name).read_bytes() for name in sorted(listed)
                  if name not in rendered and name != CHANGES_FILE}
        extras[CHANGES_FILE] = _changes_bytes(plan.plan_id, [*earlier, change])
        files = plan_files(new_plan, spec=spec, directory=directory, extra_files=extras)
        payload = {**change.as_json(), "plan_json_sha256": hashlib.sha256(files[PLAN_FILE]).hexdigest(),
                   "status": "pending", "folder": str(out.resolve())}
        publish(ledger, out.resolve(), files, step="recuse", record=lambda: ledger.record(
            ledger.record_change(plan.plan_id, payload, reason=reason, actor=actor)))
    return change


def _complete_pending(book: Ledger, out: Path) -> Recusal | None:
    """Complete a change to this plan folder that a crash left pending; the change, or None if there was none."""
    target = out.resolve()
    found = None
    for rec in book.pending():
        if Path(rec.payload["folder"]) != target:
            continue
        if rec.kind == "plan":
            raise LedgerError(f"plan {rec.payload['plan_id']} in {target} is pending in the ledger (record seq "
                              f"{rec.seq}); run the `randsup plan` command that made it again to complete it first")
        if not complete(book, rec):
            raise LedgerError(f"the change recorded as pending at seq {rec.seq} cannot be completed: neither {target} "
                              "nor its staged copy holds the plan.json it names; restore the plan folder from a backup")
        found = Recusal(**{k: rec.payload[k] for k in Recusal.__dataclass_fields__})
    return found
