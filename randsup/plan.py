"""make_plan: draw → visits → dates → teams, recorded as the Plan of architecture §8."""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol

from ._runtime import paused_gc
from .assign.dates import DateSchedule, schedule_dates
from .assign.teams import TeamsResult, Unstaffed, solve_teams
from .assign.workdays import WorkingCalendar
from .draw.sample import draw_entities, inspections_in_year
from .draw.seed import PublicSeed
from .draw.visits import build_visits, task_scope
from .errors import InfeasibleError
from .model import RISK_CLASSES, Directory, DrawResult, Plan, PlanTask, UnstaffedTeam, Visit
from .spec import PlanSpec, check_spec_against, require_secrecy
from .version import __version__

__all__ = ["Progress", "make_plan", "software_versions"]

STAGES: tuple[str, ...] = ("calendar", "draw", "visits", "dates", "teams")
DATE_ROUNDS = 3  # times visit-departments without a legal team go back to the dates stage


class Progress(Protocol):
    """Told when a stage starts (done=0) and ends (done=1); the CLI draws it with rich."""

    def __call__(self, stage: str, done: int = 0, total: int | None = None) -> None: ...


def software_versions() -> dict[str, str]:
    """Versions of randsup and the libraries a plan depends on, as recorded in plan.json."""
    def dist(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "unknown"

    return {"randsup": __version__, "ortools": dist("ortools"), "numpy": dist("numpy"),
            "chinesecalendar": dist("chinesecalendar"), "python": platform.python_version()}


def _split(visits: Sequence[Visit], unstaffed: Sequence[Unstaffed], directory: Directory, spec: PlanSpec,
           ) -> tuple[list[Visit], int]:
    """Joint visits whose department part found no team: that part becomes a visit of its own.

    Only where the entity stays within its annual cap with one more inspection (the split part is
    a second inspection everywhere: work lists, notices, the ledger). The new visit's id is the
    old one + "." + the department.
    """
    year = inspections_in_year(directory, spec.year)
    out_depts: dict[str, set[str]] = {}
    for u in unstaffed:
        out_depts.setdefault(u.visit_id, set()).add(u.department_id)
    by_id = {t.task_id: t for t in spec.tasks}
    scope_depts = {t: set(task_scope(directory, by_id[t]).departments) for t in by_id}
    result: list[Visit] = []
    split = 0
    index = directory.entities.row_map(v.entity_id for v in visits if v.visit_id in out_depts)
    for v in visits:
        depts = sorted(out_depts.get(v.visit_id, set()) & set(v.departments))
        if len(v.departments) < 2 or not depts or len(depts) == len(v.departments) \
                or year[index[v.entity_id]] + 2 > spec.max_inspections_per_entity_per_year:
            result.append(v)
            continue
        items = directory.check_item_by_id
        rest = tuple(d for d in v.departments if d not in depts)
        keep_items = tuple(c for c in v.check_items if items[c].department_id in rest)
        keep_tasks = tuple(t for t in v.tasks if scope_depts[t] & set(rest))
        result.append(v.model_copy(update={
            "departments": rest, "check_items": keep_items, "tasks": keep_tasks,
            "lead_department": v.lead_department if v.lead_department in rest else rest[0],
            "fields": tuple(sorted({items[c].field for c in keep_items}))}))
        for d in depts:
            own = tuple(c for c in v.check_items if items[c].department_id == d)
            result.append(v.model_copy(update={
                "visit_id": f"{v.visit_id}.{d}", "departments": (d,), "lead_department": d, "check_items": own,
                "tasks": tuple(t for t in v.tasks if d in scope_depts[t]),
                "fields": tuple(sorted({items[c].field for c in own}))}))
            split += 1
    return result, split


def _dates_and_teams(visits: list[Visit], directory: Directory, spec: PlanSpec, calendar: WorkingCalendar,
                     seed: PublicSeed, num_workers: int, allow_unstaffed: bool
                     ) -> tuple[list[Visit], DateSchedule, TeamsResult, dict[str, int]]:
    """Dates, then teams; visit-departments without a legal team go back to the dates stage (another
    day), then joint visits are split; what still has no team is returned as unstaffed.

    Raises:
        InfeasibleError: (without ``allow_unstaffed``) the dates' or the teams' explanation of what
            is still unstaffed.
    """
    def dated(vs: list[Visit], closed: dict[str, frozenset[dt.date]]) -> DateSchedule:
        return schedule_dates(vs, directory, spec, calendar, seed, num_workers=num_workers, closed=closed,
                              allow_over=True)

    def staffed(schedule: DateSchedule) -> TeamsResult:
        return solve_teams(schedule.visits, directory, spec, seed, allow_unstaffed=True)

    closed: dict[str, frozenset[dt.date]] = {}
    schedule = dated(visits, closed)
    teams = staffed(schedule)
    rounds = 0
    while teams.unstaffed and rounds < DATE_ROUNDS:
        rounds += 1
        for u in teams.unstaffed:
            closed[u.visit_id] = closed.get(u.visit_id, frozenset()) | {u.date}
        schedule_next = dated(visits, closed)
        teams_next = staffed(schedule_next)
        better = len(teams_next.unstaffed) < len(teams.unstaffed)
        schedule, teams = schedule_next, teams_next
        if not better:
            break
    split = 0
    if teams.unstaffed:
        visits_split, split = _split(visits, teams.unstaffed, directory, spec)
        if split:
            parted = {v.visit_id.split(".")[0] for v in visits_split if "." in v.visit_id}
            closed = {k: d for k, d in closed.items() if k not in parted}
            visits = visits_split
            schedule = dated(visits, closed)
            teams = staffed(schedule)
    if teams.unstaffed and not allow_unstaffed:
        if schedule.method.startswith("least overload"):
            schedule_dates(visits, directory, spec, calendar, seed, num_workers=num_workers, closed=closed)
        solve_teams(schedule.visits, directory, spec, seed)  # raises the teams' explanation
        raise InfeasibleError(f"{len(teams.unstaffed)} visit-department(s) have no legal team",
                              reasons=[f"{u.visit_id} {u.department_id} {u.date}: {u.reason}"
                                       for u in teams.unstaffed])
    return visits, schedule, teams, {"dates_rounds": rounds, "split_visits": split}


def make_plan(directory: Directory, spec: PlanSpec, seed: PublicSeed, *,
              progress: Progress | None = None, num_workers: int = 1, allow_unstaffed: bool = False,
              draw: DrawResult | None = None) -> Plan:
    """The quarter's plan: who is inspected (第一随机), on which working day, by whom (第二随机).

    Args:
        directory: the loaded 一单两库.
        spec: the plan specification; its ``holidays`` file is read for years chinesecalendar lacks.
        seed: the public seed; each stage derives its own sub-seed.
        progress: called as ``progress(stage, 0, 1)`` when a stage starts and ``(stage, 1, 1)`` when it ends.
        num_workers: CP-SAT threads for the dates model. The result does not depend on it
            (a unique optimum solved to OPTIMAL); the plan records the solver status.
        allow_unstaffed: write the plan even when some visit-departments have no legal team on any
            day: they are listed in ``Plan.unstaffed`` with their reason (the draw is never blocked).
        draw: the 第一随机 already made (a draw-only result the plan takes, ``plan --from-draw``):
            used as it is, only visits, dates and teams are added. The caller checks that it is
            the draw of this spec, seed and data (history/planning.py).

    Raises:
        SpecError: the spec does not fit the data, or the quarter's year has no working-day data,
            or it is unannounced without a salt (anyone could compute the draw in advance).
        InfeasibleError: no dates or teams satisfy the rules; says which departments and what to relax.
        SolverTimeoutError: a solver stopped before a proven optimum (such a plan is never written).
    """
    with paused_gc():  # planning allocates ~10 objects per visit and makes almost no cycles
        return _make_plan(directory, spec, seed, progress, num_workers, allow_unstaffed, draw)


def _make_plan(directory: Directory, spec: PlanSpec, seed: PublicSeed, progress: Progress | None,
               num_workers: int, allow_unstaffed: bool, draw: DrawResult | None) -> Plan:
    def stage(name: str, done: int) -> None:
        if progress is not None:
            progress(name, done, 1)

    require_secrecy(spec, seed.salt_commitment)
    check_spec_against(spec, directory)
    stage("calendar", 0)
    calendar = WorkingCalendar.for_quarter(spec.quarter, spec.holidays_path())
    stage("calendar", 1)

    stage("draw", 0)
    if draw is None:
        draw = draw_entities(directory, spec, seed)
    stage("draw", 1)

    stage("visits", 0)
    visits, visit_stats = build_visits(directory, spec, draw)
    stage("visits", 1)

    stage("dates", 0)
    stage("dates", 1)
    stage("teams", 0)
    visits, schedule, teams, degrade = _dates_and_teams(visits, directory, spec, calendar, seed, num_workers,
                                                        allow_unstaffed)
    staffed, team_stats = teams.visits, teams.stats
    stage("teams", 1)

    by_id = {t.task_id: t for t in spec.tasks}
    tasks = []
    alternates: dict[str, tuple[str, ...]] = {}
    for td in draw.tasks:  # in the spec's order, as drawn
        scope = task_scope(directory, by_id[td.task_id])
        tasks.append(PlanTask(task_id=td.task_id, name=by_id[td.task_id].name,
                              lead_department=scope.lead_department, departments=scope.departments,
                              task_seed=td.ticket_seed, strata=td.strata, coordination=td.coordination,
                              start=td.start, object_kind=scope.object_kind))
        # 递补 order: class by class (A–D), ticket order within a class; replacements stay in class.
        alternates[td.task_id] = tuple(e for k in RISK_CLASSES for e in td.alternates.get(k, ()))

    used = {a.inspector_id for v in staffed for a in v.inspectors if not a.is_expert}
    cal = calendar.describe()
    stats: dict[str, int | str] = {
        "tasks": len(spec.tasks),
        **visit_stats.as_dict(),
        **({"visits": len(staffed), "split_visits": degrade["split_visits"]} if degrade["split_visits"] else {}),
        **({"dates_rounds": degrade["dates_rounds"]} if degrade["dates_rounds"] else {}),
        "shared_pairs": draw.shared_pairs,
        "inspectors_used": len(used),
        "dates_status": schedule.status,
        "dates_method": schedule.method,
        "dates_spread": schedule.spread,
        "calendar_source": cal["source"],
        "calendar_provisional": cal["provisional"],
    }
    if "holidays_sha256" in cal:
        stats["calendar_holidays_sha256"] = cal["holidays_sha256"]
    for k, v in sorted(team_stats.items()):
        if k == "teams_unstaffed" and not teams.unstaffed:
            continue  # a plan that needed no allowance reads the same with or without it
        stats[k if k.startswith("teams_") else f"teams_{k}"] = v
    unstaffed = tuple(UnstaffedTeam(visit_id=u.visit_id, department_id=u.department_id, date=u.date,
                                    fields=u.fields, reason=u.reason) for u in teams.unstaffed)

    return Plan(plan_id=spec.plan_id, quarter=spec.quarter, seed=seed.record(), inputs=dict(directory.digests),
                software=software_versions(), tasks=tuple(tasks), visits=tuple(staffed), alternates=alternates,
                stats=stats, ledger=spec.ledger, unstaffed=unstaffed)
