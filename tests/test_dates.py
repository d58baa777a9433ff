"""Dates: working days only, joint visits on one day, capacity, spread, determinism, infeasibility."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter

import pytest
from factories import StubSeed, entity_table
from hypothesis import given, settings
from hypothesis import strategies as st

from randsup.assign.dates import assign_dates, date_ticket, schedule_dates, team_capacity
from randsup.assign.workdays import WorkingCalendar
from randsup.errors import InfeasibleError
from randsup.model import (
    Department,
    Directory,
    EntityTable,
    Inspector,
    Unavailability,
    Visit,
)
from randsup.spec import PlanSpec

D = dt.date
CAL = WorkingCalendar.for_quarter("2026Q4")  # chinesecalendar data: 国庆 and its 调休 Saturday
DAYS = CAL.working_days()


def no_entities() -> EntityTable:
    return entity_table([])


def people(dept: str, n: int, *, per_day: int = 2, per_quarter: int = 60, valid: dt.date = dt.date.max,
           experts: int = 0) -> list[Inspector]:
    return [Inspector(inspector_id=f"{dept}-{i:02d}", name=f"姓名{dept}{i}", department_id=dept,
                      certificate_no=f"No.{dept}{i}", certificate_valid_until=valid, fields=("f",), area="a",
                      is_expert=i < experts, max_visits_per_day=per_day, max_visits_per_quarter=per_quarter)
            for i in range(n)]


def directory(inspectors: list[Inspector], unavailability: tuple[Unavailability, ...] = ()) -> Directory:
    return Directory(departments=(Department(department_id="D1", name="市场监管局"),
                                  Department(department_id="D2", name="应急管理局"),
                                  Department(department_id="D3", name="消防救援支队")),
                     supervision_items=(), check_items=(), joint_items=(), entities=no_entities(),
                     inspectors=tuple(inspectors), unavailability=unavailability)


def leave(pid: str, start: dt.date, end: dt.date) -> Unavailability:
    return Unavailability(inspector_id=pid, start=start, end=end, reason="休假")


def visits(counts: dict[tuple[str, ...], int]) -> list[Visit]:
    out: list[Visit] = []
    for depts, k in counts.items():
        for _ in range(k):
            n = len(out) + 1
            out.append(Visit(visit_id=f"V{n:05d}", entity_id=f"E{n:05d}", entity_name="e", lead_department=depts[0],
                             departments=depts, tasks=("T1",), check_items=("C1",)))
    return out


SPEC = PlanSpec.model_validate({"plan_id": "p", "quarter": "2026Q4", "authority": "a", "seed": {"sources": ["1"]},
                                "tasks": [{"task_id": "T1", "name": "t", "check_items": ["C1"], "count": 1}]})


def loads(dated: list[Visit], dept: str) -> Counter[dt.date]:
    return Counter(v.date for v in dated if dept in v.departments and v.date is not None)


# --- capacity -----------------------------------------------------------------------------


def greedy_teams(caps: list[int], team_size: int) -> int:
    """Independent count: staff visits one by one with the people who have most left."""
    left, k = sorted(caps, reverse=True), 0
    while len([c for c in left if c > 0]) >= team_size:
        for i in range(team_size):
            left[i] -= 1
        left.sort(reverse=True)
        k += 1
    return k


def test_team_capacity_examples() -> None:
    assert team_capacity([2, 2], 2) == 2
    assert team_capacity([4], 2) == 0  # one person cannot be a team of two
    assert team_capacity([3, 1, 1], 2) == 2
    assert team_capacity([], 2) == 0


@given(st.lists(st.integers(0, 4), max_size=6), st.integers(2, 3))
def test_team_capacity_matches_greedy(caps: list[int], team_size: int) -> None:
    assert team_capacity(caps, team_size) == greedy_teams(caps, team_size)


# --- schedules ----------------------------------------------------------------------------


def test_working_days_joint_visits_and_even_spread() -> None:
    d = directory(people("D1", 10) + people("D2", 10))
    vs = visits({("D1",): 80, ("D2",): 40, ("D1", "D2"): 20})
    s = schedule_dates(vs, d, SPEC, CAL, StubSeed("a"))
    assert s.status == "OPTIMAL" and s.spread == 0
    assert [v.visit_id for v in s.visits] == [v.visit_id for v in vs]
    assert all(v.date in DAYS for v in s.visits)
    assert D(2026, 10, 10) in DAYS  # the 调休 Saturday is open for visits
    for dept, total in (("D1", 100), ("D2", 60)):
        per_day = loads(s.visits, dept)
        counts = [per_day.get(day, 0) for day in DAYS]
        assert sum(counts) == total
        assert set(counts) <= {total // len(DAYS), -(-total // len(DAYS))}  # as even as integers allow


def test_capacity_leave_and_certificate_expiry_are_respected() -> None:
    d1 = people("D1", 2, per_day=1)  # one team a day
    d2 = people("D2", 2, per_day=1, valid=D(2026, 11, 30))  # no certificate in December
    d = directory(d1 + d2 + people("D2", 1, experts=1),  # an expert never adds capacity
                  (leave("D1-00", D(2026, 10, 12), D(2026, 10, 23)),))
    vs = visits({("D1",): 40, ("D2",): 30})
    s = schedule_dates(vs, d, SPEC, CAL, StubSeed("b"))
    d1_days, d2_days = loads(s.visits, "D1"), loads(s.visits, "D2")
    assert max(d1_days.values()) <= 1 and max(d2_days.values()) <= 1
    assert not any(D(2026, 10, 12) <= day <= D(2026, 10, 23) for day in d1_days)
    assert all(day < D(2026, 12, 1) for day in d2_days)


def test_visits_follow_ticket_order_within_a_group() -> None:
    d = directory(people("D1", 6) + people("D2", 6))
    vs = visits({("D1",): 50, ("D1", "D2"): 30})
    seed = StubSeed("c")
    dated = assign_dates(vs, d, SPEC, CAL, seed)
    key = seed.sub_seed("dates")
    for depts in (("D1",), ("D1", "D2")):
        group = sorted((v for v in dated if v.departments == depts), key=lambda v: date_ticket(key, v.visit_id))
        assert [v.date for v in group] == sorted(v.date for v in group)  # type: ignore[type-var]


def test_same_seed_same_dates_other_seed_other_dates() -> None:
    d = directory(people("D1", 8) + people("D2", 8))
    vs = visits({("D1",): 60, ("D2",): 30, ("D1", "D2"): 15})
    a = assign_dates(vs, d, SPEC, CAL, StubSeed("x"))
    b = assign_dates(vs, d, SPEC, CAL, StubSeed("x"))
    c = assign_dates(vs, d, SPEC, CAL, StubSeed("y"))
    assert [v.date for v in a] == [v.date for v in b]
    assert sum(x.date != y.date for x, y in zip(a, c, strict=True)) > len(vs) // 2


def test_cpsat_path_same_with_one_or_two_workers() -> None:
    d = directory(people("D1", 4, per_day=1) + people("D2", 4, per_day=1) + people("D3", 4, per_day=1),
                  (leave("D2-00", D(2026, 11, 2), D(2026, 11, 20)),))
    vs = visits({("D1",): 50, ("D2",): 40, ("D3",): 20, ("D1", "D2"): 12, ("D2", "D3"): 6, ("D1", "D2", "D3"): 3})
    one = schedule_dates(vs, d, SPEC, CAL, StubSeed("w"), num_workers=1, method="cp-sat")
    two = schedule_dates(vs, d, SPEC, CAL, StubSeed("w"), num_workers=2, method="cp-sat")
    assert one.status == two.status == "OPTIMAL" and one.method == "CP-SAT"
    assert [v.date for v in one.visits] == [v.date for v in two.visits]
    auto = schedule_dates(vs, d, SPEC, CAL, StubSeed("w"))
    assert auto.spread == one.spread  # the even fill, when kept, is as even as the CP-SAT optimum
    for s in (one, auto):
        for dept in ("D1", "D2", "D3"):
            assert max(loads(s.visits, dept).values()) <= 2  # 4 people × 1 a day / teams of 2


def test_tight_capacity_goes_to_cpsat_and_stays_within_capacity() -> None:
    # D1 staffs two visits a day, but only on the 28 working days before a leave (8 Oct–13 Nov). Its 40 visits
    # cannot stay within ⌈40/62⌉ = 1 a day, so the even fill misses the bound and CP-SAT decides.
    d = directory(people("D1", 2) + people("D2", 4, per_day=1),
                  (leave("D1-00", D(2026, 11, 16), D(2026, 12, 31)),))
    vs = visits({("D1",): 34, ("D1", "D2"): 6, ("D2",): 40})
    s = schedule_dates(vs, d, SPEC, CAL, StubSeed("t"))
    assert s.method == "CP-SAT" and s.status == "OPTIMAL"
    assert s.spread == 40 - 28  # every visit beyond one a day is one miss, and no fewer will do
    d1 = loads(s.visits, "D1")
    assert sum(d1.values()) == 40 and max(d1.values()) == 2 and max(d1) < D(2026, 11, 16)
    assert max(loads(s.visits, "D2").values()) <= 2


# --- infeasibility --------------------------------------------------------------------------


def test_department_with_one_inspector_is_named() -> None:
    d = directory(people("D1", 1) + people("D2", 4))
    with pytest.raises(InfeasibleError) as err:
        schedule_dates(visits({("D1",): 3, ("D2",): 3}), d, SPEC, CAL, StubSeed("z"))
    text = str(err.value)
    assert "市场监管局 (D1)" in text and "应急管理局" not in text
    assert "add about" in text and "T1" in text and err.value.fixes


def test_quarterly_cap_shortfall_names_cap_and_weeks() -> None:
    d = directory(people("D1", 4, per_quarter=5))  # at most 4·5/2 = 10 visits a quarter
    with pytest.raises(InfeasibleError) as err:
        schedule_dates(visits({("D1",): 12}), d, SPEC, CAL, StubSeed("z"))
    assert "max_visits_per_quarter allow at most 10" in str(err.value)


def test_daily_capacity_shortfall_names_department_weeks() -> None:
    d = directory(people("D1", 2, per_day=1), (leave("D1-01", D(2026, 10, 1), D(2026, 11, 30)),))
    with pytest.raises(InfeasibleError) as err:
        schedule_dates(visits({("D1",): 30}), d, SPEC, CAL, StubSeed("z"))
    text = str(err.value)
    assert "can staff at most 23" in text  # the 23 working days of December
    assert "department-weeks over capacity: week 2026-10-08–10-10 needs" in text


def test_joint_visit_without_a_common_free_day() -> None:
    d = directory(people("D1", 2) + people("D2", 2),
                  (leave("D1-00", D(2026, 11, 1), D(2026, 12, 31)), leave("D2-00", D(2026, 10, 1), D(2026, 10, 31))))
    with pytest.raises(InfeasibleError) as err:
        schedule_dates(visits({("D1",): 3, ("D1", "D2"): 1}), d, SPEC, CAL, StubSeed("z"))
    assert "V00004" in str(err.value) and "same day" in str(err.value)


def test_joint_visits_beyond_the_overlap_are_named() -> None:
    # Each department alone has room; together they share only 5 days (9–13 November).
    d = directory(people("D1", 2, per_day=1) + people("D2", 2, per_day=1),
                  (leave("D1-00", D(2026, 11, 14), D(2026, 12, 31)), leave("D2-00", D(2026, 10, 1), D(2026, 11, 8))))
    with pytest.raises(InfeasibleError) as err:
        schedule_dates(visits({("D1", "D2"): 8}), d, SPEC, CAL, StubSeed("z"))
    text = str(err.value)
    assert "8 visit(s) (V00001, V00002" in text and "市场监管局 (D1) and 应急管理局 (D2)" in text
    assert "only on 5 working day(s) (week 2026-11-09–11-13), room for 5" in text


def test_joint_groups_competing_for_one_department() -> None:
    # D2 and D3 work only in October; D1 all quarter, one team a day. Each joint group fits the
    # 18 October days on its own, but together they need D1 on 20 of them.
    d = directory(people("D1", 2, per_day=1) + people("D2", 2, per_day=1) + people("D3", 2, per_day=1),
                  (leave("D2-00", D(2026, 11, 1), D(2026, 12, 31)), leave("D3-00", D(2026, 11, 1), D(2026, 12, 31))))
    vs = visits({("D1", "D2"): 10, ("D1", "D3"): 10})
    with pytest.raises(InfeasibleError) as err:
        schedule_dates(vs, d, SPEC, CAL, StubSeed("z"))
    assert "together the departments' free days do not fit them" in str(err.value)
    over = [int(re.search(r": (\d+) visit\(s\) over", r).group(1)) for r in err.value.reasons]  # type: ignore[union-attr]
    assert sum(over) == 2  # the least overload: two visits more than October holds
    with pytest.raises(InfeasibleError) as again:
        schedule_dates(vs, d, SPEC, CAL, StubSeed("z"), num_workers=2)
    assert again.value.reasons == err.value.reasons


def test_no_visits() -> None:
    assert assign_dates([], directory([]), SPEC, CAL, StubSeed("z")) == []


# --- property: any schedule returned keeps every rule ------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_schedules_keep_the_rules(data: st.DataObject) -> None:
    staff = {dept: data.draw(st.integers(0, 4), label=f"people {dept}") for dept in ("D1", "D2", "D3")}
    inspectors = list(itertools.chain.from_iterable(people(k, n, per_day=1) for k, n in staff.items()))
    away = data.draw(st.lists(st.tuples(st.sampled_from([p.inspector_id for p in inspectors] or ["none"]),
                                        st.integers(0, 80), st.integers(0, 30)), max_size=4), label="leave")
    unav = tuple(leave(pid, D(2026, 10, 1) + dt.timedelta(days=a), D(2026, 10, 1) + dt.timedelta(days=a + n))
                 for pid, a, n in away)
    combos = [("D1",), ("D2",), ("D3",), ("D1", "D2"), ("D2", "D3"), ("D1", "D2", "D3")]
    counts = {c: data.draw(st.integers(0, 12), label=str(c)) for c in combos}
    vs = visits(counts)
    d = directory(inspectors, unav)
    try:
        dated = assign_dates(vs, d, SPEC, CAL, StubSeed("p"))
    except InfeasibleError as err:
        assert err.reasons and err.fixes
        return
    for v in dated:
        assert v.date in DAYS
    for dept in ("D1", "D2", "D3"):
        for day, k in loads(dated, dept).items():
            free = [p for p in inspectors if p.department_id == dept
                    and not any(u.inspector_id == p.inspector_id and u.start <= day <= u.end for u in unav)]
            assert k <= len(free) // 2  # per_day 1, teams of 2
