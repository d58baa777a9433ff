"""Drawn (task, entity) pairs → visits: 进一次门、查多项事 (one door, many checks).

Design notes: docs/draw.md (section randsup/draw/visits.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..errors import SpecError
from ..inputs.kinds import kind_of_object_text
from ..model import CheckItem, Directory, DrawResult, Visit
from ..spec import PlanSpec, TaskSpec

__all__ = ["TaskScope", "VisitStats", "build_visits", "task_object_kind", "task_scope"]


@dataclass(frozen=True)
class TaskScope:
    """What one task checks and who goes: its lead, departments and check items (sorted)."""

    task_id: str
    lead_department: str
    departments: tuple[str, ...]
    check_items: tuple[str, ...]
    joint_item: str | None
    object_kind: str = "市场主体"  # 检查对象类别 the task draws from


def _object_kind(task: TaskSpec, items: list[CheckItem]) -> str:
    """The task's 检查对象类别: the spec's ``object_kind``, which wins (whatever the check items'
    检查对象 say: the text → kind table reads free text, the spec is the department's word); else
    the one kind its check items' 检查对象 name.

    Raises:
        SpecError: no ``object_kind`` in the spec, and the check items (of a joint item or of the
            task) inspect objects of different kinds.
    """
    if task.object_kind is not None:
        return task.object_kind
    by_kind: dict[str, list[str]] = defaultdict(list)
    for ci in items:
        by_kind[kind_of_object_text(ci.object_type)].append(f"{ci.check_item_id} ({ci.object_type or '(empty)'})")
    if len(by_kind) > 1:
        what = f"joint item {task.joint_item}" if task.joint_item is not None else "its check items"
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(by_kind.items()))
        raise SpecError(f"task {task.task_id}: {what} inspect objects of different kinds ({detail}). One visit is "
                        "to one object: split the task, or correct the 检查对象 of the check items in "
                        "check_items.csv, or name the task's object_kind in the spec (docs/object-kinds.md has "
                        "the table of 检查对象 texts and kinds)")
    return next(iter(by_kind), "市场主体")


def task_object_kind(directory: Directory, task: TaskSpec) -> str:
    """The 检查对象类别 a task draws from (see :func:`_object_kind`); check items or a joint item
    the directory lacks are left to :func:`task_scope` and ``check_spec_against`` to report.

    Raises:
        SpecError: the task's check items inspect objects of different kinds.
    """
    names = list(task.check_items)
    joint = directory.joint_item_by_id.get(task.joint_item) if task.joint_item is not None else None
    if joint is not None:
        names += [c for c in joint.check_item_ids if c not in names]
    items = [ci for c in names if (ci := directory.check_item_by_id.get(c)) is not None]
    return _object_kind(task, items)


@dataclass(frozen=True)
class VisitStats:
    """Counts for the plan record."""

    pairs: int  # drawn (task, entity) pairs
    visits: int
    joint_visits: int  # visits with more than one department (部门联合)
    merged_visits: int  # visits that carry more than one task
    visits_saved: int  # pairs - visits: doors not knocked on twice
    desk_checks: int  # visits done in writing (书面检查)

    def as_dict(self) -> dict[str, int]:
        return {"pairs": self.pairs, "visits": self.visits, "joint_visits": self.joint_visits,
                "merged_visits": self.merged_visits, "visits_saved": self.visits_saved,
                "desk_checks": self.desk_checks}


def task_scope(directory: Directory, task: TaskSpec) -> TaskScope:
    """The departments and check items of one task.

    Raises:
        SpecError: the task names a check item or joint item the directory lacks.
    """
    items: list[CheckItem] = []
    missing: list[str] = []
    names = list(task.check_items)
    joint = None
    if task.joint_item is not None:
        joint = directory.joint_item_by_id.get(task.joint_item)
        if joint is None:
            raise SpecError(f"task {task.task_id}: joint item {task.joint_item!r} is not in joint_items; "
                            "fix the task or add the joint item")
        names += [c for c in joint.check_item_ids if c not in names]
    for c in names:
        ci = directory.check_item_by_id.get(c)
        if ci is None:
            missing.append(c)
        else:
            items.append(ci)
    if missing:
        raise SpecError(f"task {task.task_id}: check item(s) {', '.join(missing)} not in check_items; "
                        "fix the task or the check item list")
    departments = {ci.department_id for ci in items}
    if joint is not None:
        lead = joint.lead_department_id
        departments |= {lead, *joint.partner_department_ids}
    elif items:
        lead = items[0].department_id
    else:
        raise SpecError(f"task {task.task_id}: names no check item; add check_items or a joint_item")
    return TaskScope(task_id=task.task_id, lead_department=lead, departments=tuple(sorted(departments)),
                     check_items=tuple(sorted({ci.check_item_id for ci in items})),
                     joint_item=task.joint_item, object_kind=_object_kind(task, items))


def build_visits(directory: Directory, spec: PlanSpec, draw: DrawResult) -> tuple[list[Visit], VisitStats]:
    """Merge the drawn pairs into visits, one per entity; dates and inspectors are left empty.

    Visit ids follow ascending entity id: "V00001", "V00002", …

    Raises:
        SpecError: the draw names a task the spec lacks, or an entity the directory lacks.
    """
    tasks = {t.task_id: t for t in spec.tasks}
    scopes: dict[str, TaskScope] = {}
    # entity → task ids that drew it; whether any of those tasks checks it on site
    by_entity: dict[str, list[str]] = defaultdict(list)
    on_site: dict[str, bool] = defaultdict(bool)
    pairs = 0
    for td in sorted(draw.tasks, key=lambda t: t.task_id):
        if td.task_id not in tasks:
            raise SpecError(f"the draw has task {td.task_id}, which the plan specification does not name; "
                            "draw again with this specification")
        scopes[td.task_id] = task_scope(directory, tasks[td.task_id])
        desk = set(td.desk_check)
        for e in td.selected:
            by_entity[e].append(td.task_id)
            on_site[e] = on_site[e] or e not in desk
            pairs += 1

    ordered = sorted(by_entity)
    row_of = directory.entities.row_map(ordered)
    names = directory.entities.name
    kinds = directory.entities.object_kind
    unknown = [e for e in ordered if e not in row_of]
    if unknown:
        raise SpecError(f"the draw names {len(unknown)} entities not in the entity directory "
                        f"(first: {', '.join(unknown[:5])}); draw again from this directory")

    visits: list[Visit] = []
    for n, entity_id in enumerate(ordered, start=1):
        task_ids = sorted(set(by_entity[entity_id]))
        sc = [scopes[t] for t in task_ids]
        joint = [s for s in sc if s.joint_item is not None]
        lead = (joint[0] if joint else sc[0]).lead_department
        check_ids = sorted({c for s in sc for c in s.check_items})
        fields = sorted({directory.check_item_by_id[c].field for c in check_ids})
        visits.append(Visit(
            visit_id=f"V{n:05d}",
            entity_id=entity_id,
            entity_name=str(names[row_of[entity_id]]),
            object_kind=kinds.categories[kinds.codes[row_of[entity_id]]],
            lead_department=lead,
            departments=tuple(sorted({d for s in sc for d in s.departments})),
            tasks=tuple(task_ids),
            check_items=tuple(check_ids),
            fields=tuple(fields),
            method="现场检查" if on_site[entity_id] else "书面检查",
        ))
    stats = VisitStats(
        pairs=pairs,
        visits=len(visits),
        joint_visits=sum(len(v.departments) > 1 for v in visits),
        merged_visits=sum(len(v.tasks) > 1 for v in visits),
        visits_saved=pairs - len(visits),
        desk_checks=sum(v.method == "书面检查" for v in visits),
    )
    return visits, stats
