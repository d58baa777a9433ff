"""The team rule of issue 11: teams that cover a visit's fields together (eligibility.py, teams.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from factories import StubSeed
from test_teams import day, directory, inspector, oracle_feasible, spec, visit

from randsup.assign.eligibility import max_team, slots, team_problems
from randsup.assign.rule_check import check_plan_rules
from randsup.assign.teams import assign_teams, solve_teams
from randsup.assign.workdays import WorkingCalendar
from randsup.demo.synth import inspectors_for, minimum_inspectors, write_demo_data
from randsup.draw.seed import PublicSeed
from randsup.errors import InfeasibleError
from randsup.model import CheckItem, Directory, SupervisionItem
from randsup.plan import make_plan
from randsup.spec import load_spec


def test_team_problems_states_the_rule() -> None:
    assert team_problems(["食品安全", "广告"], [("食品安全",), ("广告",)], 2) == []
    assert team_problems(["食品安全", "广告"], [("食品安全",), ("食品安全",)], 2) == [
        "nobody on the team holds field(s) 广告"]
    assert "needs at least 2" in team_problems(["食品安全"], [("食品安全",)], 2)[0]
    assert "hold none of the needed fields" in team_problems(["食品安全"], [("食品安全",), ("消防",)], 2)[0]
    assert "more than the 2" in team_problems(["a", "b"], [("a",), ("b",), ("a",)], 2)[0]
    assert team_problems(["a", "b", "c"], [("a",), ("b",), ("c",)], 2) == []  # grows to the fields
    assert (max_team(2, 3), slots(2, 1), slots(2, 3), slots(3, 2)) == (3, 2, 3, 3)


def test_only_legal_assignment_needs_a_mixed_field_team() -> None:
    """V1 needs 食品安全 and 广告 from D1; nobody holds both, so only a mixed team can go."""
    staff = [inspector("A1", "D1", ("食品安全",)), inspector("A2", "D1", ("广告",)), inspector("A3", "D1", ("食品安全",)),
             inspector("B1", "D2", ("特种设备",)), inspector("B2", "D2", ("特种设备",))]
    d = directory(staff, ["E1"])
    vs = [visit("V1", "E1", day(0), ("C1", "C3"))]
    assert oracle_feasible(vs, d, 2)
    for s in range(20):
        out, stats = assign_teams(vs, d, spec(), StubSeed(f"mixed{s}"))
        team = {a.inspector_id for a in out[0].inspectors}
        assert "A2" in team and len(team) == 2 and team & {"A1", "A3"}
        assert check_plan_rules(out, d, spec()) == []
        assert stats["teams_status"] == "OPTIMAL"


def _three_field_directory(staff: list) -> Directory:
    d = directory(staff, ["E1", "E2"])
    extra = CheckItem(check_item_id="C4", item_id="S4", department_id="D1", name="计量", field="计量",
                      object_type="企业", check_methods=("现场检查",), legal_basis="法")
    item = SupervisionItem(item_id="S4", name="计量器具", department_id="D1", category="一般", legal_basis="法")
    return Directory(**{**{k: getattr(d, k) for k in ("departments", "joint_items", "entities", "inspectors",
                                                       "conflicts", "unavailability", "history")},
                        "supervision_items": (*d.supervision_items, item), "check_items": (*d.check_items, extra)})


def test_a_member_may_cover_two_fields_of_a_smaller_team() -> None:
    """Three fields, team_size 2, two eligible people, one holding all three: the one-officer-per-field
    flow has no answer, the team rule has one ({A1, A2}); CP-SAT finds it."""
    staff = [inspector("A1", "D1", ("食品安全", "广告", "计量")), inspector("A2", "D1", ("食品安全",)),
             inspector("B1", "D2", ("特种设备",)), inspector("B2", "D2", ("特种设备",))]
    d = _three_field_directory(staff)
    vs = [visit("V1", "E1", day(0), ("C1", "C3", "C4"))]
    out, stats = assign_teams(vs, d, spec(), StubSeed("cover"))
    assert {a.inspector_id for a in out[0].inspectors} == {"A1", "A2"}
    assert "CP-SAT for D1" in str(stats["teams_solver"])
    assert check_plan_rules(out, d, spec()) == []


def test_no_legal_team_names_visit_department_field_and_date() -> None:
    staff = [inspector("A1", "D1", ("食品安全",)), inspector("A2", "D1", ("食品安全",)),
             inspector("B1", "D2", ("特种设备",)), inspector("B2", "D2", ("特种设备",))]
    d = directory(staff, ["E1"])
    vs = [visit("V1", "E1", day(0), ("C1", "C3", "C2"))]
    with pytest.raises(InfeasibleError) as info:
        assign_teams(vs, d, spec(), StubSeed("x"))
    text = str(info.value)
    assert "visit V1" in text and "D1" in text and "广告" in text and day(0).isoformat() in text
    # With allow_unstaffed the visit-department is left unstaffed with that reason instead.
    result = solve_teams(vs, d, spec(), StubSeed("x"), allow_unstaffed=True)
    assert [(u.visit_id, u.department_id) for u in result.unstaffed] == [("V1", "D1")]
    assert "广告" in result.unstaffed[0].reason
    assert not [a for a in result.visits[0].inspectors if a.department_id == "D1"]
    assert len([a for a in result.visits[0].inspectors if a.department_id == "D2"]) == 2
    assert check_plan_rules(result.visits, d, spec(), unstaffed=[("V1", "D1")]) == []


def test_caps_shortage_leaves_some_unstaffed_and_the_rest_legal() -> None:
    """Three visits on one day, two D1 inspectors with a daily cap of 1: one visit can be staffed."""
    staff = [inspector("A1", "D1", ("食品安全",), per_day=1), inspector("A2", "D1", ("食品安全",), per_day=1)]
    d = directory(staff, ["E1", "E2", "E3"])
    vs = [visit(f"V{k}", f"E{k}", day(0)) for k in (1, 2, 3)]
    with pytest.raises(InfeasibleError):
        assign_teams(vs, d, spec(), StubSeed("cap"))
    result = solve_teams(vs, d, spec(), StubSeed("cap"), allow_unstaffed=True)
    assert len(result.unstaffed) == 2 and result.stats["teams_unstaffed"] == 2
    marked = [(u.visit_id, u.department_id) for u in result.unstaffed]
    assert check_plan_rules(result.visits, d, spec(), unstaffed=marked) == []
    again = solve_teams(vs, d, spec(), StubSeed("cap"), allow_unstaffed=True)
    assert again == result  # deterministic
    assert isinstance(day(0), dt.date)


def _own_team_rule_check(visits: list, directory: Directory, team_size: int) -> list[str]:
    """The field and size part of the rule written out once more, from the README's paragraph."""
    item_field = {c.check_item_id: (c.department_id, c.field) for c in directory.check_items}
    people = directory.inspector_by_id
    bad = []
    for v in visits:
        for dept in v.departments:
            need = {f for c in v.check_items for dd, f in [item_field[c]] if dd == dept}
            members = [people[a.inspector_id] for a in v.inspectors if a.department_id == dept and not a.is_expert]
            held = set().union(*(set(p.fields) for p in members)) if members else set()
            if not team_size <= len(members) <= max(team_size, len(need)) or not need <= held \
                    or any(not set(p.fields) & need for p in members) or any(p.is_expert for p in members):
                bad.append(f"{v.visit_id}/{dept}")
    return bad


@pytest.mark.slow
@pytest.mark.parametrize(("entities", "inspectors"), [(20_000, 300)])
def test_small_district_plans_with_mixed_teams(tmp_path: Path, entities: int, inspectors: int) -> None:
    """Issue 11: `demo-data --entities 20000 --inspectors 300 --seed 7` plans, and every team obeys the
    rule by two checks that share nothing with the solver (rule_check and the one above)."""
    directory = write_demo_data(tmp_path / "demo", entities=entities, inspectors=inspectors, seed=7, announced=True)
    spec = load_spec(tmp_path / "demo" / "plan-2027Q1.toml")
    plan = make_plan(directory, spec, PublicSeed.for_spec(spec.seed, ["02 05 12 20 25 31 08", "3245.67"]))
    working = WorkingCalendar.for_quarter(spec.quarter, spec.holidays_path()).working_days()
    assert check_plan_rules(plan.visits, directory, spec, working) == []
    assert _own_team_rule_check(list(plan.visits), directory, spec.team_size) == []
    # Some teams are mixed: two members who each lack one of the department's needed fields.
    item_field = {c.check_item_id: (c.department_id, c.field) for c in directory.check_items}
    mixed = 0
    for v in plan.visits:
        for dept in v.departments:
            need = {f for c in v.check_items for dd, f in [item_field[c]] if dd == dept}
            members = [directory.inspector_by_id[a.inspector_id] for a in v.inspectors
                       if a.department_id == dept and not a.is_expert]
            mixed += any(not need <= set(p.fields) for p in members)
    assert mixed > 0
    assert plan.stats["teams_status"] == "OPTIMAL"


def test_demo_inspectors_scale_with_entities() -> None:
    assert inspectors_for(300_000) == 1_800
    assert inspectors_for(1_000_000) == 6_000
    assert inspectors_for(5_000) == minimum_inspectors()


def test_shortlist_certificate_holds_for_mixed_teams() -> None:
    """Many inspectors per field (more than the shortlist keeps): the certified shortlist gives the
    same teams as the flow on all pairs, mixed-field visits included."""
    staff = ([inspector(f"A{k:02d}", "D1", ("食品安全", "广告") if k % 3 == 0 else ("广告",) if k % 3 == 1
                        else ("食品安全",), per_day=1, per_quarter=3) for k in range(60)]
             + [inspector(f"B{k:02d}", "D2", ("特种设备",)) for k in range(4)])
    ents = [f"E{k:02d}" for k in range(40)]
    d = directory(staff, ents)
    vs = [visit(f"V{k:02d}", ents[k], day(k % 3), ("C1", "C3") if k % 2 else ("C1",)) for k in range(40)]
    for s in range(3):
        short = solve_teams(vs, d, spec(), StubSeed(f"sl{s}"))
        full = solve_teams(vs, d, spec(), StubSeed(f"sl{s}"), method="full")
        assert short.visits == full.visits
        assert int(short.stats["teams_shortlisted"]) >= 1
        assert check_plan_rules(short.visits, d, spec()) == []
