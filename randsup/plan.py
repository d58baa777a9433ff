"""make_plan: draw → visits → dates → teams, recorded as the Plan of architecture §8."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol

from .assign.dates import schedule_dates
from .assign.teams import assign_teams
from .assign.workdays import WorkingCalendar
from .draw.sample import draw_entities
from .draw.seed import PublicSeed
from .draw.visits import build_visits, task_scope
from .model import RISK_CLASSES, Directory, Plan, PlanTask
from .spec import PlanSpec, check_spec_against, require_secrecy
from .version import __version__

__all__ = ["Progress", "make_plan"]

STAGES: tuple[str, ...] = ("calendar", "draw", "visits", "dates", "teams")


class Progress(Protocol):
    """Told when a stage starts (done=0) and ends (done=1); the CLI draws it with rich."""

    def __call__(self, stage: str, done: int = 0, total: int | None = None) -> None: ...


def _software() -> dict[str, str]:
    def dist(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "unknown"

    return {"randsup": __version__, "ortools": dist("ortools"), "numpy": dist("numpy"),
            "chinesecalendar": dist("chinesecalendar"), "python": platform.python_version()}


def make_plan(directory: Directory, spec: PlanSpec, seed: PublicSeed, *,
              progress: Progress | None = None, num_workers: int = 1) -> Plan:
    """The quarter's plan: who is inspected (第一随机), on which working day, by whom (第二随机).

    Args:
        directory: the loaded 一单两库.
        spec: the plan specification; its ``holidays`` file is read for years chinesecalendar lacks.
        seed: the public seed; each stage derives its own sub-seed.
        progress: called as ``progress(stage, 0, 1)`` when a stage starts and ``(stage, 1, 1)`` when it ends.
        num_workers: CP-SAT threads for the dates model. The result does not depend on it
            (a unique optimum solved to OPTIMAL); the plan records the solver status.

    Raises:
        SpecError: the spec does not fit the data, or the quarter's year has no working-day data,
            or it is unannounced without a salt (anyone could compute the draw in advance).
        InfeasibleError: no dates or teams satisfy the rules; says which departments and what to relax.
    """
    def stage(name: str, done: int) -> None:
        if progress is not None:
            progress(name, done, 1)

    require_secrecy(spec, seed.salt_commitment)
    check_spec_against(spec, directory)
    stage("calendar", 0)
    calendar = WorkingCalendar.for_quarter(spec.quarter, spec.holidays_path())
    stage("calendar", 1)

    stage("draw", 0)
    draw = draw_entities(directory, spec, seed)
    stage("draw", 1)

    stage("visits", 0)
    visits, visit_stats = build_visits(directory, spec, draw)
    stage("visits", 1)

    stage("dates", 0)
    schedule = schedule_dates(visits, directory, spec, calendar, seed, num_workers=num_workers)
    stage("dates", 1)

    stage("teams", 0)
    staffed, team_stats = assign_teams(schedule.visits, directory, spec, seed)
    stage("teams", 1)

    by_id = {t.task_id: t for t in spec.tasks}
    tasks = []
    alternates: dict[str, tuple[str, ...]] = {}
    for td in draw.tasks:  # in the spec's order, as drawn
        scope = task_scope(directory, by_id[td.task_id])
        tasks.append(PlanTask(task_id=td.task_id, name=by_id[td.task_id].name,
                              lead_department=scope.lead_department, departments=scope.departments,
                              task_seed=td.ticket_seed, strata=td.strata, coordination=td.coordination,
                              start=td.start))
        # 递补 order: class by class (A–D), ticket order within a class; replacements stay in class.
        alternates[td.task_id] = tuple(e for k in RISK_CLASSES for e in td.alternates.get(k, ()))

    used = {a.inspector_id for v in staffed for a in v.inspectors if not a.is_expert}
    cal = calendar.describe()
    stats: dict[str, int | str] = {
        "tasks": len(spec.tasks),
        **visit_stats.as_dict(),
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
        stats[k if k.startswith("teams_") else f"teams_{k}"] = v

    return Plan(plan_id=spec.plan_id, quarter=spec.quarter, seed=seed.record(), inputs=dict(directory.digests),
                software=_software(), tasks=tuple(tasks), visits=tuple(staffed), alternates=alternates,
                stats=stats, ledger=spec.ledger)
