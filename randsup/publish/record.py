"""The public draw record: one versioned schema (``randsup-draw-record/2``) for what is published.

Two files share the schema version, both under ``public/`` of a plan folder:

* ``draw-record.json`` is written with the plan. It names everything an outsider needs to
  recompute the draw (the seed rule, the sub-seed domains, the rounding and apart-start rules,
  the input digests, per task and class the sizes and starts) *except*, for an unannounced plan,
  the values that would let anyone compute who is drawn: the seed and the ticket seeds stay
  withheld until the reveal.
* ``reveal.json`` (and the 抽查名单 ``drawn-list.csv``) is added by ``randsup reveal`` once every
  visit is past: the salt, the seed, the ticket seeds, the full drawn list per task and class
  with the alternates used, and the cut-off distances.

Every field is documented in docs/draw-record.md; the stdlib verifier
(examples/verify_with_consistent_sampler.py) reads nothing else. Other stages that write
draw records (draw-only runs, anchors) add their fields here, so the schema has one owner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..draw.seed import PublicSeed
from ..io import csv_text
from ..model import RISK_CLASSES, Plan, TaskDraw
from ..spec import PlanSpec
from .files import FROM_DRAW_HISTORY

__all__ = [
    "DOMAINS",
    "DRAW_RECORD_FORMAT",
    "NORMALISATION",
    "REVEAL_FORMAT",
    "RULES",
    "draw_only_record",
    "draw_record",
    "drawn_list_csv",
    "reveal_record",
]

DRAW_RECORD_FORMAT = "randsup-draw-record/2"
REVEAL_FORMAT = "randsup-draw-record/2#reveal"
NORMALISATION = "randsup-normalisation/2 (docs/normalisation.md)"

# Sub-seed domains: HMAC-SHA256(seed bytes, UTF-8 domain). "{task_id}" is the task's id.
DOMAINS: dict[str, str] = {
    "entity_tickets": "entities",
    "independent_task_tickets": "task/{task_id}",
    "size_rounding": "task/{task_id}/rounding",
    "dates": "dates",
    "inspector_tickets": "inspectors",
}

# The rules an outsider re-implements; docs/draw-record.md explains each with an example.
# Bump the schema version whenever the bytes a rule produces change.
RULES: dict[str, str] = {
    "key_string": "RFC 3797: values of a source sorted ascending (numbers in canonical decimal form), each "
                  "followed by '.', each source ended by '/', sources in the order the spec names them",
    "seed": "seed = SHA-256(UTF-8 'randsup/1' || ASCII key string || UTF-8 salt); without a salt nothing is "
            "appended; written as 64 lower-case hex digits",
    "salt_commitment": "'sha256:' + hex SHA-256 of the UTF-8 salt, published in the spec before the sources",
    "sub_seed": "HMAC-SHA256(key = the 32 seed bytes, message = UTF-8 domain string), 64 lower-case hex digits",
    "uniform": "int(sub_seed, 16) / 2**256, an exact fraction in [0, 1)",
    "tickets": "consistent-sampler first_fraction(entity_id, ticket_seed) (Rivest consistent_sampler 1.0.10): "
               "'0.' + the 64-digit zero-padded decimal of SHA-256(hex SHA-256(ticket_seed) || entity_id), reversed",
    "population": "objects of the task's object_kind (entities.csv column object_kind, empty = 市场主体) "
                  "matching its population filter, minus those at the annual cap: distinct (object, date) visits "
                  "of the plan year in history.csv and ledger-history.csv >= max_inspections_per_entity_per_year; "
                  "with cap_by_responsible_entity also the objects whose responsible_entity_id, and the "
                  "enterprises whose own id, has own visits plus visits to the objects naming it >= that cap",
    "risk_class": "an object with an empty risk_class is in the task's default_risk_class",
    "selection": "per task and credit-risk class (信用风险分类 A-D): the sample entities with the smallest "
                 "distance (ticket - start) mod 1; equal 19-digit keys are ordered by full ticket, then id",
    "ticket_seed": "together and apart tasks share the sub-seed of 'entities'; an independent task uses the "
                   "sub-seed of 'task/<task_id>' over its own population",
    "allocation": "design size x_h = ratio_h * population_h, or count * population_h / total population (count "
                  "capped at the total); classes in A-D order, cumulative fractional parts F_h; class h gets "
                  "floor(x_h) + ceil(F_h - u) - ceil(F_(h-1) - u) with u the uniform of 'task/<task_id>/rounding'; "
                  "then at least min_per_class (classes with a positive ratio, or a non-empty population for a "
                  "count) and at most the population",
    "apart_start": "an apart task's class h starts at 0 unless an earlier non-independent task with a drawn "
                   "class h touches its population: a nested earlier population (containing all of it) "
                   "contributes its realised arc (start, largest drawn key distance + 1), a crossing together "
                   "task its design arc (0, ceil(k/(n+1) * 10^19) + 4 * (isqrt(ceil(var * 10^38)) + 1)); the "
                   "start is the lowest-start free gap holding most of the class, retried with the realised arcs "
                   "alone when it holds fewer than k; keys are the first 19 ticket digits",
    "alternates": "递补: per class the next max(5, ceil(k / 5)) entities in the same order, never more than remain",
    "cutoff": "per class after the reveal: the largest distance drawn and the smallest distance not drawn, as "
              "(ticket - start) mod 1; an entity below the cut-off and not drawn was outside the task's filter, in "
              "another class or at its annual cap",
}


def draw_record(plan: Plan, spec: PlanSpec, *, check_items: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """``public/draw-record.json`` as a dict.

    ``check_items`` gives each task's check-item ids (a joint item's, resolved). The seed and
    ticket seeds (and the start points, which an apart task takes from an earlier task's drawn
    arc) are published only for a plan drawn without a salt (``announced``); otherwise they wait
    for the reveal. ``ledger`` is the ledger anchor the plan recorded (12b).
    """
    commitment = plan.seed.get("salt_commitment")
    seed_public = commitment is None
    withheld = None if seed_public else ("seed, ticket seeds and starts withheld until the reveal "
                                         "(public/reveal.json): with them anyone could compute or bound the "
                                         "drawn entities before the inspections")
    stratum_hidden = {"risk_class"} | (set() if seed_public else {"cutoff_drawn", "cutoff_not_drawn"})
    tasks = []
    for order, pt in enumerate(plan.tasks):
        ts = next((t for t in spec.tasks if t.task_id == pt.task_id), None)
        design: dict[str, Any] = {}
        if ts is not None:
            design = {
                "check_items": list(check_items.get(pt.task_id, ts.check_items)),
                "joint_item": ts.joint_item,
                "population": None if ts.population is None else ts.population.model_dump(mode="json"),
                "ratio": None if ts.ratio is None else {k: str(v) for k, v in sorted(ts.ratio.items())},
                "count": ts.count,
                "min_per_class": ts.min_per_class,
                # The class an ungraded object (信用风险分类 empty) is drawn in (docs/object-kinds.md).
                "default_risk_class": ts.default_risk_class or spec.default_risk_class,
            }
        tasks.append({
            "order": order,
            "task_id": pt.task_id,
            "name": pt.name,
            "lead_department": pt.lead_department,
            "departments": list(pt.departments),
            "coordination": pt.coordination,
            "object_kind": pt.object_kind,  # 检查对象类别 the task draws from (docs/object-kinds.md)
            "ticket_seed_domain": (DOMAINS["independent_task_tickets"].format(task_id=pt.task_id)
                                   if pt.coordination == "independent" else DOMAINS["entity_tickets"]),
            "rounding_domain": DOMAINS["size_rounding"].format(task_id=pt.task_id),
            "ticket_seed": pt.task_seed if seed_public else None,
            # An apart task's start is where an earlier task's drawn arc ends: a cut-off in disguise.
            "start": pt.start if seed_public else None,
            # Cut-offs of an unannounced plan appear only in the reveal (public/reveal.json).
            "strata": {k: {**s.model_dump(mode="json", exclude=stratum_hidden),
                           **({} if seed_public else {"start": None})} for k, s in sorted(pt.strata.items())},
            **design,
        })
    history = plan.inputs.get("ledger-history.csv")
    history_file = "ledger-history.csv"
    took = plan.ledger.from_draw if plan.ledger is not None else None
    if took is not None:  # plan --from-draw: the draw was made with the history of the draw it took
        history, history_file = took.history_sha256, FROM_DRAW_HISTORY
    return {
        "format": DRAW_RECORD_FORMAT,
        "plan_id": plan.plan_id,
        "quarter": plan.quarter,
        "year": int(plan.quarter[:4]),
        "authority": spec.authority,
        "announced": spec.announced,
        # The notice this record belongs to (same folder), which links back here.
        "notice": {"markdown": "plan-notice.md", "html": "plan-notice.html"},
        "seed": {
            "sources": list(spec.seed.sources),
            # The sources' values as published (the --source texts), when the plan recorded them.
            "published_values": None if spec.seed.published_values is None else list(spec.seed.published_values),
            "key_string": plan.seed.get("key_string"),
            "salt_commitment": commitment,
            "seed_hex": plan.seed.get("seed_hex") if seed_public else None,
            "withheld": withheld,
            "domain_tag": "randsup/1",
        },
        "domains": DOMAINS,
        "rules": RULES,
        "normalisation": NORMALISATION,
        "inputs": dict(sorted(plan.inputs.items())),
        "entity_file": "entities.csv",
        "ledger_history": None if history is None else {"file": history_file, "sha256": history},
        # The ledger head the plan was drawn against: anchors the ledger (docs/history.md, Anchors).
        "ledger": None if plan.ledger is None else plan.ledger.model_dump(mode="json"),
        "max_inspections_per_entity_per_year": spec.max_inspections_per_entity_per_year,
        "cap_by_responsible_entity": spec.cap_by_responsible_entity,
        "software": dict(sorted(plan.software.items())),
        "tasks": tasks,
    }


def draw_only_record(plan: Plan, spec: PlanSpec, *, check_items: Mapping[str, Sequence[str]], engine: str,
                     entity_input: str, digest_kinds: Mapping[str, str]) -> dict[str, Any]:
    """``public/draw-record.json`` of a draw-only run (``randsup draw``, docs/engines.md).

    The plan's record plus: ``kind`` "draw-only"; ``engine`` (python, duckdb or spark: which
    engine computed the draw, which does not depend on it); ``entity_file`` (the entity input:
    a file name, or a table); ``digest_kinds`` (per input, "sha256" of the file or
    "sha256-canonical-csv/1", the content digest of a database table).
    """
    record = draw_record(plan, spec, check_items=check_items)
    record.update({"kind": "draw-only", "engine": engine, "entity_file": entity_input,
                   "digest_kinds": dict(sorted(digest_kinds.items()))})
    return record


def _class_lists(td: TaskDraw, class_of: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {k: [] for k in RISK_CLASSES}
    for e in td.selected:  # in ticket-distance order across classes; the order within a class is kept
        out[class_of[e]].append(e)
    return out


def reveal_record(plan: Plan, draws: Sequence[TaskDraw], seed: PublicSeed, salt: str, *,
                  class_of: Mapping[str, str], draw_record_sha256: str, last_visit: str | None,
                  forced_reason: str | None, ledger_head: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``public/reveal.json``: the salt, seed and ticket seeds, and per task and class the drawn
    list, the alternates (递补) used and the cut-offs.

    ``draws`` is the recomputed 第一随机 of the plan (one TaskDraw per task, in order);
    ``class_of`` maps each drawn or alternate entity id to its credit-risk class. The entities
    actually visited come from ``plan.visits``: an alternate visited is "used", a drawn entity
    not visited is "replaced".
    """
    visited: dict[str, set[str]] = {}
    for v in plan.visits:
        for t in v.tasks:
            visited.setdefault(t, set()).add(v.entity_id)
    tasks = []
    for td in draws:
        seen = visited.get(td.task_id, set())
        by_class = _class_lists(td, class_of)
        classes: dict[str, Any] = {}
        for k in RISK_CLASSES:
            stratum = td.strata.get(k)
            if stratum is None:
                continue
            drawn, alternates = by_class[k], list(td.alternates.get(k, ()))
            classes[k] = {
                "start": stratum.start,
                "drawn": drawn,
                "alternates": alternates,
                "alternates_used": [e for e in alternates if e in seen],
                "replaced": [e for e in drawn if e not in seen],
                "cutoff": {"largest_drawn": stratum.cutoff_drawn, "smallest_not_drawn": stratum.cutoff_not_drawn},
            }
        tasks.append({"task_id": td.task_id, "ticket_seed": td.ticket_seed, "classes": classes})
    return {
        "format": REVEAL_FORMAT,
        "plan_id": plan.plan_id,
        "draw_record_sha256": draw_record_sha256,
        "salt": salt,
        "salt_commitment": seed.salt_commitment,
        "seed_hex": seed.seed_hex,
        "last_visit": last_visit,
        "forced": None if forced_reason is None else {"reason": forced_reason},
        "tasks": tasks,
        # The ledger head the reveal was written against (docs/history.md, Anchors); absent in a
        # reveal made without a ledger (before 0.2's reveal record), which verify still recomputes.
        **({} if ledger_head is None else {"ledger": {"head_before": dict(ledger_head)}}),
    }


def drawn_list_csv(reveal: Mapping[str, Any], plan: Plan, names: Mapping[str, str]) -> bytes:
    """The 抽查名单 (``public/drawn-list.csv``): one row per drawn entity and per alternate used."""
    task_names = {t.task_id: t.name for t in plan.tasks}
    rows = []
    for t in reveal["tasks"]:
        for k, c in t["classes"].items():
            for rank, e in enumerate(c["drawn"], start=1):
                rows.append((t["task_id"], task_names.get(t["task_id"], ""), k, str(rank), e, names.get(e, ""),
                             "replaced" if e in c["replaced"] else "drawn"))
            for e in c["alternates_used"]:
                rank = len(c["drawn"]) + c["alternates"].index(e) + 1
                rows.append((t["task_id"], task_names.get(t["task_id"], ""), k, str(rank), e, names.get(e, ""),
                             "alternate_used"))
    header = ("task_id", "task_name", "risk_class", "rank", "entity_id", "entity_name", "status")
    return ("\ufeff" + csv_text(header, rows)).encode("utf-8")
