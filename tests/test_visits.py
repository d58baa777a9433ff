"""Drawn pairs → visits: one per entity, joint-item leads, merged check items, counts."""

from __future__ import annotations

from collections import Counter

import pytest
from factories import entity_table
from hypothesis import given, settings
from hypothesis import strategies as st

from randsup.draw.visits import build_visits, task_scope
from randsup.errors import SpecError
from randsup.model import (
    CheckItem,
    Department,
    Directory,
    DrawResult,
    EntityTable,
    JointItem,
    SupervisionItem,
    TaskDraw,
)
from randsup.spec import PlanSpec

ENTITIES = [f"E{i:02d}" for i in range(12)]


def entities(ids: list[str]) -> EntityTable:
    return entity_table(ids, names=[f"名称{e}" for e in ids])


def check(cid: str, dept: str, field: str) -> CheckItem:
    return CheckItem(check_item_id=cid, item_id="S1", department_id=dept, name=cid, field=field, object_type="企业",
                     check_methods=("现场检查",), legal_basis="法")


def directory() -> Directory:
    """D1 checks C1 (食品安全) and C3 (广告); D2 checks C2 (特种设备); D3 checks C4 (消防).
    Joint item J1: lead D2, partner D3, check items C2 and C4."""
    return Directory(
        departments=tuple(Department(department_id=d, name=d) for d in ("D1", "D2", "D3")),
        supervision_items=(SupervisionItem(item_id="S1", name="s", department_id="D1", category="一般",
                                           legal_basis="法"),),
        check_items=(check("C1", "D1", "食品安全"), check("C2", "D2", "特种设备"), check("C3", "D1", "广告"),
                     check("C4", "D3", "消防")),
        joint_items=(JointItem(joint_item_id="J1", name="联合", lead_department_id="D2",
                               partner_department_ids=("D3",), check_item_ids=("C2", "C4"), object_type="企业"),),
        entities=entities(ENTITIES), inspectors=())


def spec() -> PlanSpec:
    return PlanSpec.model_validate({
        "plan_id": "p", "quarter": "2026Q4", "authority": "a", "seed": {"sources": ["1"]},
        "tasks": [
            {"task_id": "T1", "name": "食品", "check_items": ["C1"], "count": 1},
            {"task_id": "T2", "name": "广告+设备", "check_items": ["C3", "C2"], "count": 1, "coordination": "apart"},
            {"task_id": "T3", "name": "联合", "joint_item": "J1", "count": 1},
            {"task_id": "T4", "name": "消防", "check_items": ["C4"], "count": 1, "coordination": "independent"},
        ]})


def task_draw(task_id: str, selected: list[str], desk: tuple[str, ...] = ()) -> TaskDraw:
    return TaskDraw(task_id=task_id, coordination="together", ticket_seed="s", start="0", strata={},
                    selected=tuple(selected), desk_check=desk)


def draw(selections: dict[str, list[str]], desk: dict[str, tuple[str, ...]] | None = None) -> DrawResult:
    desk = desk or {}
    return DrawResult(seed_hex="0" * 64, entity_ticket_seed="s",
                      tasks=tuple(task_draw(t, sel, desk.get(t, ())) for t, sel in selections.items()))


def test_task_scope_leads_and_departments() -> None:
    d, s = directory(), spec()
    t1, t2, t3, t4 = (task_scope(d, t) for t in s.tasks)
    assert (t1.lead_department, t1.departments, t1.check_items) == ("D1", ("D1",), ("C1",))
    # A multi-department task leads with the department of its first listed check item.
    assert (t2.lead_department, t2.departments, t2.check_items) == ("D1", ("D1", "D2"), ("C2", "C3"))
    assert (t3.lead_department, t3.departments, t3.check_items) == ("D2", ("D2", "D3"), ("C2", "C4"))
    assert t3.joint_item == "J1" and t4.joint_item is None


def test_one_visit_per_entity_and_merged_contents() -> None:
    visits, stats = build_visits(directory(), spec(), draw({
        "T1": ["E05", "E01", "E03"],
        "T2": ["E03", "E07"],
        "T3": ["E01", "E09"],
        "T4": ["E09", "E11"],
    }))
    assert [v.entity_id for v in visits] == ["E01", "E03", "E05", "E07", "E09", "E11"]
    assert [v.visit_id for v in visits] == [f"V0000{i}" for i in range(1, 7)]
    by = {v.entity_id: v for v in visits}
    # E01: T1 (D1) and the joint item T3 (D2+D3) → one joint visit led by the joint item's lead.
    e01 = by["E01"]
    assert e01.tasks == ("T1", "T3") and e01.departments == ("D1", "D2", "D3")
    assert e01.lead_department == "D2" and e01.check_items == ("C1", "C2", "C4")
    assert e01.fields == tuple(sorted(("食品安全", "消防", "特种设备"))) and e01.entity_name == "名称E01"
    # E03: T1 and the apart task T2 still share the door; the earliest task leads.
    assert by["E03"].tasks == ("T1", "T2") and by["E03"].lead_department == "D1"
    assert by["E03"].departments == ("D1", "D2")
    # E09: the joint item and the independent T4 (D3, already a partner) merge; the joint lead leads.
    assert by["E09"].tasks == ("T3", "T4") and by["E09"].lead_department == "D2"
    assert by["E11"].departments == ("D3",) and by["E11"].lead_department == "D3"
    assert all(v.date is None and v.inspectors == () for v in visits)
    assert stats.as_dict() == {"pairs": 9, "visits": 6, "joint_visits": 4, "merged_visits": 3,
                               "visits_saved": 3, "desk_checks": 0}


def test_desk_check_only_when_no_task_goes_on_site() -> None:
    visits, stats = build_visits(directory(), spec(), draw(
        {"T1": ["E01", "E02"], "T4": ["E01", "E02"]},
        desk={"T1": ("E01", "E02"), "T4": ("E02",)}))
    by = {v.entity_id: v.method for v in visits}
    assert by == {"E01": "现场检查", "E02": "书面检查"}
    assert stats.desk_checks == 1


def test_unknown_task_or_entity_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="T9"):
        build_visits(directory(), spec(), draw({"T9": ["E01"]}))
    with pytest.raises(SpecError, match="X99"):
        build_visits(directory(), spec(), draw({"T1": ["X99"]}))


@settings(max_examples=50, deadline=None)
@given(st.fixed_dictionaries({t: st.lists(st.sampled_from(ENTITIES), unique=True, max_size=8)
                              for t in ("T1", "T2", "T3", "T4")}))
def test_every_pair_lands_in_exactly_one_visit(selections: dict[str, list[str]]) -> None:
    visits, stats = build_visits(directory(), spec(), draw(selections))
    pairs = Counter((t, e) for t, sel in selections.items() for e in sel)
    covered = Counter((t, v.entity_id) for v in visits for t in v.tasks)
    assert covered == pairs
    assert stats.visits == len({e for sel in selections.values() for e in sel}) == len(visits)
    assert stats.visits_saved == stats.pairs - stats.visits == sum(pairs.values()) - len(visits)
    assert len({v.entity_id for v in visits}) == len(visits)
    for v in visits:
        assert v.lead_department in v.departments
        assert list(v.check_items) == sorted(v.check_items) and list(v.departments) == sorted(v.departments)
