"""check_plan_rules: a valid hand-made plan passes, and each broken rule is reported once, readably."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import entity_table

from randsup.assign.rule_check import check_plan_rules
from randsup.assign.workdays import WorkingCalendar
from randsup.demo.synth import write_demo_data
from randsup.draw.seed import PublicSeed
from randsup.model import (
    Assignment,
    CheckItem,
    Conflict,
    Department,
    Directory,
    HistoryVisit,
    Inspector,
    SupervisionItem,
    Unavailability,
    Visit,
)
from randsup.plan import make_plan
from randsup.spec import PlanSpec, load_spec

MON, TUE, SAT = dt.date(2027, 1, 4), dt.date(2027, 1, 5), dt.date(2027, 1, 9)
WORKING = {MON + dt.timedelta(days=k) for k in range(90)} - {SAT, SAT + dt.timedelta(days=1)}


def _inspector(pid: str, dept: str, fields: tuple[str, ...], **kw: object) -> Inspector:
    return Inspector.model_validate({"inspector_id": pid, "name": f"姓名{pid}", "department_id": dept,
                                     "certificate_no": f"No.{pid}", "certificate_valid_until": dt.date(2030, 1, 1),
                                     "fields": fields, "area": "岳阳街道", **kw})


def _directory(*, inspectors: tuple[Inspector, ...] | None = None, **side: tuple[object, ...]) -> Directory:
    staff = inspectors or (
        _inspector("A1", "D1", ("食品安全",)), _inspector("A2", "D1", ("食品安全",)),
        _inspector("A3", "D1", ("食品安全",)), _inspector("B1", "D2", ("特种设备",)),
        _inspector("B2", "D2", ("特种设备",)), _inspector("BX", "D2", ("特种设备",), is_expert=True))
    ids = ["E1", "E2"]
    ents = entity_table(ids, industry="F52", area="x")
    return Directory(
        departments=(Department(department_id="D1", name="市场监管局"), Department(department_id="D2", name="应急管理局")),
        supervision_items=(SupervisionItem(item_id="S1", name="食品", department_id="D1", category="一般", legal_basis="法"),
                           SupervisionItem(item_id="S2", name="特设", department_id="D2", category="重点", legal_basis="法")),
        check_items=(CheckItem(check_item_id="C1", item_id="S1", department_id="D1", name="食品", field="食品安全",
                               object_type="企业", check_methods=("现场检查",), legal_basis="法"),
                     CheckItem(check_item_id="C2", item_id="S2", department_id="D2", name="锅炉", field="特种设备",
                               object_type="企业", check_methods=("现场检查",), legal_basis="法")),
        joint_items=(), entities=ents, inspectors=staff, **side)  # type: ignore[arg-type]


def _team(*members: str) -> tuple[Assignment, ...]:
    return tuple(Assignment(inspector_id=m, department_id="D1" if m.startswith("A") else "D2",
                            is_expert=m == "BX") for m in members)


def _plan() -> list[Visit]:
    """A joint visit to E1 on Monday and a D1 visit to E2 on Tuesday: every rule holds."""
    return [Visit(visit_id="V1", entity_id="E1", entity_name="甲", date=MON, lead_department="D1",
                  departments=("D1", "D2"), tasks=("T1", "T2"), check_items=("C1", "C2"),
                  inspectors=_team("A1", "A2", "B1", "B2", "BX")),
            Visit(visit_id="V2", entity_id="E2", entity_name="乙", date=TUE, lead_department="D1",
                  departments=("D1",), tasks=("T1",), check_items=("C1",), inspectors=_team("A1", "A3"))]


def _spec() -> PlanSpec:
    return PlanSpec.model_validate({"plan_id": "p", "quarter": "2027Q1", "authority": "办公室",
                                    "seed": {"sources": ["1"]},
                                    "tasks": [{"task_id": "T1", "name": "t", "check_items": ["C1"], "count": 1}]})


def _with(k: int, **update: object) -> Callable[[list[Visit]], list[Visit]]:
    def change(vs: list[Visit]) -> list[Visit]:
        vs[k] = vs[k].model_copy(update=update)
        return vs
    return change


def test_valid_plan_has_no_violations() -> None:
    assert check_plan_rules(_plan(), _directory(), _spec(), WORKING) == []
    assert check_plan_rules(_plan(), _directory(), _spec()) == []


CASES: list[tuple[str, Callable[[list[Visit]], list[Visit]], dict[str, tuple[object, ...]], str]] = [
    ("team too small", _with(1, inspectors=_team("A1")), {}, "visit V2 (entity E2, 2027-01-05): department D1 has 1"),
    ("expert counted", _with(0, inspectors=_team("A1", "A2", "B1", "BX")), {}, "department D2 has 1 non-expert"),
    ("expert flag lies",
     _with(0, inspectors=(*_team("A1", "A2", "B1"), Assignment(inspector_id="BX", department_id="D2"))), {},
     "inspector BX is marked expert=False"),
    ("twice on a visit", _with(1, inspectors=_team("A1", "A3", "A3")), {}, "inspector A3 appears twice"),
    ("wrong department",
     _with(1, inspectors=(*_team("A1", "A3"), Assignment(inspector_id="B1", department_id="D1"))), {},
     "inspector B1 belongs to department D2, not D1"),
    ("department not on visit", _with(1, inspectors=_team("A1", "A3", "B1")), {},
     "assigned for department D2, which is not on the visit"),
    ("non-working day", _with(1, date=SAT), {}, "2027-01-09 is not a working day"),
    ("outside quarter", _with(1, date=dt.date(2027, 4, 1)), {}, "outside the quarter 2027Q1"),
    ("lead not a department", _with(1, lead_department="D2"), {}, "lead department D2 is not among"),
    ("no date", _with(1, date=None), {}, "visit V2 (entity E2, None): has no date"),
    ("unknown inspector", _with(1, inspectors=_team("A1", "A9")), {}, "inspector A9 is not in the inspector directory"),
    ("conflict", lambda vs: vs, {"conflicts": (Conflict(inspector_id="A3", entity_id="E2", reason="亲属"),)},
     "visit V2 (entity E2, 2027-01-05): inspector A3 must recuse (回避)"),
    ("unavailable", lambda vs: vs,
     {"unavailability": (Unavailability(inspector_id="B2", start=MON, end=MON, reason="培训"),)},
     "inspector B2 is unavailable from 2027-01-04 to 2027-01-04"),
    ("rotation from history", lambda vs: vs,
     {"history": (HistoryVisit(entity_id="E1", inspector_id="A2", department_id="D1", date=dt.date(2026, 6, 1)),
                  HistoryVisit(entity_id="E1", inspector_id="A3", department_id="D1", date=dt.date(2026, 3, 1)))},
     "inspector A2 was on the entity's last visit by D1 on 2026-06-01 (rotation)"),
    ("rotation inside the plan", _with(1, entity_id="E1", inspectors=_team("A2", "A3")), {},
     "visit V2 (entity E1): inspector A2 was also on visit V1"),
    ("daily cap", _with(1, date=MON), {"inspectors": (
        _inspector("A1", "D1", ("食品安全",), max_visits_per_day=1), _inspector("A2", "D1", ("食品安全",)),
        _inspector("A3", "D1", ("食品安全",)), _inspector("B1", "D2", ("特种设备",)),
        _inspector("B2", "D2", ("特种设备",)), _inspector("BX", "D2", ("特种设备",), is_expert=True))},
     "inspector A1: 2 visits on 2027-01-04, daily cap 1"),
    ("quarterly cap counts history", lambda vs: vs, {
        "inspectors": (_inspector("A1", "D1", ("食品安全",), max_visits_per_quarter=2), _inspector("A2", "D1", ("食品安全",)),
                       _inspector("A3", "D1", ("食品安全",)), _inspector("B1", "D2", ("特种设备",)),
                       _inspector("B2", "D2", ("特种设备",)), _inspector("BX", "D2", ("特种设备",), is_expert=True)),
        "history": (HistoryVisit(entity_id="E9", inspector_id="A1", department_id="D1", date=dt.date(2027, 1, 2)),)},
     "inspector A1: 3 visits in 2027Q1, quarterly cap 2"),
    ("unqualified", lambda vs: vs, {"inspectors": (
        _inspector("A1", "D1", ("食品安全",)), _inspector("A2", "D1", ("广告",)),
        _inspector("A3", "D1", ("食品安全",)), _inspector("B1", "D2", ("特种设备",)),
        _inspector("B2", "D2", ("特种设备",)), _inspector("BX", "D2", ("消防",), is_expert=True))},
     "inspector A2 holds none of the needed field(s) 食品安全"),
    ("certificate expired", lambda vs: vs, {"inspectors": (
        _inspector("A1", "D1", ("食品安全",)), _inspector("A2", "D1", ("食品安全",)),
        _inspector("A3", "D1", ("食品安全",), certificate_valid_until=MON), _inspector("B1", "D2", ("特种设备",)),
        _inspector("B2", "D2", ("特种设备",)), _inspector("BX", "D2", ("特种设备",), is_expert=True))},
     "visit V2 (entity E2, 2027-01-05): inspector A3 has a 执法证 valid only until 2027-01-04"),
]


@pytest.mark.parametrize(("change", "side", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_broken_rule_is_reported(change: Callable[[list[Visit]], list[Visit]],
                                      side: dict[str, tuple[object, ...]], expected: str) -> None:
    problems = check_plan_rules(change(_plan()), _directory(**side), _spec(), WORKING)
    assert any(expected in p for p in problems), problems
    assert len(problems) == len(set(problems))


def test_experts_are_checked_like_everyone_else() -> None:
    d = _directory(conflicts=(Conflict(inspector_id="BX", entity_id="E1", reason="顾问"),))
    assert check_plan_rules(_plan(), d, _spec()) == ["visit V1 (entity E1, 2027-01-04): inspector BX must recuse (回避) "
                                                    "from entity E1"]


@pytest.mark.slow
def test_default_demo_plan_keeps_every_rule(tmp_path: Path) -> None:
    """Issue 4's acceptance check: the default demo quarter, planned end to end, breaks no rule."""
    directory = write_demo_data(tmp_path / "demo", announced=True)
    spec = load_spec(tmp_path / "demo" / "plan-2027Q1.toml")
    plan = make_plan(directory, spec, PublicSeed.for_spec(spec.seed, ["2 5 12 18 23 31 7", "3245.67"]))
    working = WorkingCalendar.for_quarter(spec.quarter, spec.holidays_path()).working_days()
    assert len(plan.visits) > 3000
    assert check_plan_rules(plan.visits, directory, spec, working) == []
    assert plan.stats["teams_status"] == "OPTIMAL"
