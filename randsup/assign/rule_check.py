"""Solver-agnostic checks of a plan's visits against the team and date rules.

Design notes: docs/assign.md (section randsup/assign/rule_check.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from ..model import Directory, Visit
from ..spec import PlanSpec
from .workdays import quarter_bounds

__all__ = ["check_plan_rules", "check_same_day"]


def check_plan_rules(visits: Sequence[Visit], directory: Directory, spec: PlanSpec,
                     calendar_working_days: Iterable[dt.date] | None = None,
                     unstaffed: Iterable[tuple[str, str]] = ()) -> list[str]:
    """Every violation of the team and date rules, as readable sentences; empty when all hold.

    Args:
        visits: the plan's visits with dates and inspectors.
        directory: the 一单两库 the plan was made from.
        spec: the plan specification (``team_size``, ``quarter``).
        calendar_working_days: the quarter's working days; when given, every date must be one.
        unstaffed: (visit_id, department_id) the plan marks unstaffed: they must have no team.
    """
    problems: list[str] = []
    marked: dict[str, set[str]] = defaultdict(set)
    for visit_id, dept in unstaffed:
        marked[visit_id].add(dept)
    working = None if calendar_working_days is None else set(calendar_working_days)
    q_start, q_end = quarter_bounds(spec.quarter)
    inspectors = directory.inspector_by_id
    check_items = directory.check_item_by_id

    conflicts = {(c.inspector_id, c.entity_id) for c in directory.conflicts}
    away: dict[str, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for u in directory.unavailability:
        away[u.inspector_id].append((u.start, u.end))
    # Every earlier visit per (entity, department): date → inspectors, from history and this plan.
    earlier: dict[tuple[str, str], dict[dt.date, set[str]]] = defaultdict(lambda: defaultdict(set))
    per_day: Counter[tuple[str, dt.date]] = Counter()
    per_quarter: Counter[str] = Counter()
    for h in directory.history:
        earlier[(h.entity_id, h.department_id)][h.date].add(h.inspector_id)
        if q_start <= h.date <= q_end:
            per_day[(h.inspector_id, h.date)] += 1
            per_quarter[h.inspector_id] += 1

    plan_visits: dict[tuple[str, str], list[tuple[dt.date, str, set[str]]]] = defaultdict(list)
    for v in visits:
        where = f"visit {v.visit_id} (entity {v.entity_id}, {v.date})"
        if v.date is None:
            problems.append(f"{where}: has no date")
            continue
        if working is not None and v.date not in working:
            problems.append(f"{where}: {v.date} is not a working day")
        if not q_start <= v.date <= q_end:
            problems.append(f"{where}: {v.date} is outside the quarter {spec.quarter}")
        if v.lead_department not in v.departments:
            problems.append(f"{where}: lead department {v.lead_department} is not among its departments "
                            f"{', '.join(v.departments)}")

        seen: set[str] = set()
        for a in v.inspectors:
            if a.inspector_id in seen:
                problems.append(f"{where}: inspector {a.inspector_id} appears twice")
            seen.add(a.inspector_id)

        for dept in v.departments:
            team = [a for a in v.inspectors if a.department_id == dept]
            counted = [a for a in team if not a.is_expert and a.inspector_id in inspectors
                       and not inspectors[a.inspector_id].is_expert
                       and inspectors[a.inspector_id].department_id == dept]
            needed = set()
            for c in v.check_items:
                ci = check_items.get(c)
                if ci is None:
                    problems.append(f"{where}: check item {c} is not in the directory")
                elif ci.department_id == dept:
                    needed.add(ci.field)
            if dept in marked.get(v.visit_id, ()):
                if team:
                    problems.append(f"{where}: department {dept} is marked unstaffed but has inspectors")
                continue
            # The team rule as docs/assign.md states it: at least team_size non-experts, at most
            # one per needed field when there are more fields than that, together holding every field.
            people = {a.inspector_id for a in counted}
            largest = max(spec.team_size, len(needed))
            if len(people) < spec.team_size:
                problems.append(f"{where}: department {dept} has {len(counted)} non-expert inspector(s), "
                                f"needs {spec.team_size}")
            if len(people) > largest:
                problems.append(f"{where}: department {dept} has {len(people)} non-expert inspectors; the "
                                f"{len(needed)} field(s) allow at most {largest}")
            covered: set[str] = set()
            for pid in people:
                covered |= set(inspectors[pid].fields)
            if needed - covered:
                problems.append(f"{where}: department {dept}'s team holds none of the field(s) "
                                f"{', '.join(sorted(needed - covered))}")
            plan_visits[(v.entity_id, dept)].append((v.date, v.visit_id, {a.inspector_id for a in team}))

            for a in team:
                who = f"{where}: inspector {a.inspector_id}"
                p = inspectors.get(a.inspector_id)
                if p is None:
                    problems.append(f"{who} is not in the inspector directory")
                    continue
                per_day[(p.inspector_id, v.date)] += 1
                per_quarter[p.inspector_id] += 1
                if p.department_id != dept:
                    problems.append(f"{who} belongs to department {p.department_id}, not {dept}")
                if a.is_expert != p.is_expert:
                    problems.append(f"{who} is marked expert={a.is_expert} but the directory says {p.is_expert}")
                if needed and not needed & set(p.fields):
                    problems.append(f"{who} holds none of the needed field(s) {', '.join(sorted(needed))}")
                if p.certificate_valid_until < v.date:
                    problems.append(f"{who} has a 执法证 valid only until {p.certificate_valid_until}")
                if (p.inspector_id, v.entity_id) in conflicts:
                    problems.append(f"{who} must recuse (回避) from entity {v.entity_id}")
                for start, end in away[p.inspector_id]:
                    if start <= v.date <= end:
                        problems.append(f"{who} is unavailable from {start} to {end}")
                past = [d for d in earlier[(v.entity_id, dept)] if d < v.date]
                if past and p.inspector_id in earlier[(v.entity_id, dept)][max(past)]:
                    problems.append(f"{who} was on the entity's last visit by {dept} on {max(past)} (rotation)")

        for a in v.inspectors:
            if a.department_id not in v.departments:
                problems.append(f"{where}: inspector {a.inspector_id} is assigned for department "
                                f"{a.department_id}, which is not on the visit")

    # Rotation between visits of this plan to one entity by one department, in date order.
    for (entity, dept), lst in sorted(plan_visits.items()):
        lst.sort(key=lambda t: (t[0], t[1]))
        for (_, first, team1), (_, second, team2) in zip(lst, lst[1:], strict=False):
            for pid in sorted(team1 & team2):
                problems.append(f"visit {second} (entity {entity}): inspector {pid} was also on visit {first}, "
                                f"the entity's previous visit by {dept} (rotation)")

    for (pid, day), n in sorted(per_day.items()):
        p = inspectors.get(pid)
        if p is not None and n > p.max_visits_per_day:
            problems.append(f"inspector {pid}: {n} visits on {day}, daily cap {p.max_visits_per_day}")
    for pid, n in sorted(per_quarter.items()):
        p = inspectors.get(pid)
        if p is not None and n > p.max_visits_per_quarter:
            problems.append(f"inspector {pid}: {n} visits in {spec.quarter}, quarterly cap {p.max_visits_per_quarter}")
    return problems


def check_same_day(visits: Sequence[Visit], directory: Directory) -> list[str]:
    """Visits of one 责任主体 (its objects' and its own) that could share a day and do not.

    The rule as docs/object-kinds.md ("Same day") states it, apart from the date stage's code:
    the visits of a 责任主体 with two or more are on one day where their departments allow it.
    Certainly allowed onto a day is a visit for which that day has a *partner*: a visit with the
    same departments (and the same 执法领域 per department) that is not itself one of a
    责任主体's visits, since the two could swap dates without changing any department's load.
    So for a family on several days, one of the days with most of its visits must have no
    partner for any of the family's visits elsewhere. (A visit the teams stage sent back also has closed days, which
    this check does not know: it is meant for plans made in one round.)
    """
    ent = directory.entities
    index = ent.row_map(v.entity_id for v in visits)
    resp = ent.responsible_entity_id
    items = directory.check_item_by_id
    families: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        i = index.get(v.entity_id)
        r = resp.categories[resp.codes[i]] if i is not None else ""
        if r:
            families[r].append(v)
    for v in visits:
        if v.entity_id in families:
            families[v.entity_id].append(v)
    families = {r: vs for r, vs in families.items() if len(vs) >= 2}
    in_family = {v.visit_id for vs in families.values() for v in vs}

    def kind(v: Visit) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((d, tuple(sorted({items[c].field for c in v.check_items
                                        if c in items and items[c].department_id == d})))
                     for d in sorted(v.departments))

    partners: dict[tuple[dt.date, tuple[tuple[str, tuple[str, ...]], ...]], list[str]] = defaultdict(list)
    for v in visits:
        if v.date is not None and v.visit_id not in in_family:
            partners[(v.date, kind(v))].append(v.visit_id)
    problems: list[str] = []
    for r, vs in sorted(families.items()):
        on = Counter(v.date for v in vs if v.date is not None)
        if len(on) <= 1:
            continue
        found: list[str] = []
        most = max(on.values())
        for day in sorted(d for d, k in on.items() if k == most):
            found = [f"visit {v.visit_id} (on {v.date}) could take the date of visit {partners[(day, kind(v))][0]} "
                     f"on {day}" for v in sorted(vs, key=lambda v: v.visit_id)
                     if v.date != day and partners.get((day, kind(v)))]
            if not found:
                break
        if found:
            problems.append(f"责任主体 {r}: its {len(vs)} visits are on {len(on)} days though they could share one: "
                            + "; ".join(found))
    return problems
