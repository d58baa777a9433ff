"""Inspector teams (第二随机): rules, explanations, determinism and fairness on small instances."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from factories import StubSeed, entity_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from randsup.assign import teams
from randsup.assign.rule_check import check_plan_rules
from randsup.assign.teams import assign_teams
from randsup.draw.seed import PublicSeed
from randsup.errors import InfeasibleError
from randsup.model import (
    CheckItem,
    Conflict,
    Department,
    Directory,
    EntityTable,
    HistoryVisit,
    Inspector,
    SupervisionItem,
    Unavailability,
    Visit,
)
from randsup.spec import PlanSpec

Q_START = dt.date(2027, 1, 4)


def entities(ids: list[str]) -> EntityTable:
    return entity_table(ids, names=[f"name {e}" for e in ids])


def inspector(pid: str, dept: str, fields: tuple[str, ...] = ("食品安全",), *, expert: bool = False,
              valid: dt.date = dt.date(2030, 1, 1), per_day: int = 2, per_quarter: int = 60) -> Inspector:
    return Inspector(inspector_id=pid, name=f"姓名{pid}", department_id=dept, certificate_no=f"No.{pid}",
                     certificate_valid_until=valid, fields=fields, area="岳阳街道", is_expert=expert,
                     max_visits_per_day=per_day, max_visits_per_quarter=per_quarter)


def directory(inspectors: list[Inspector], entity_ids: list[str], *, conflicts: tuple[Conflict, ...] = (),
              unavailability: tuple[Unavailability, ...] = (), history: tuple[HistoryVisit, ...] = ()) -> Directory:
    """Two departments: D1 checks C1 (食品安全, 一般) and C3 (广告, 一般); D2 checks C2 (特种设备, 重点)."""
    return Directory(
        departments=(Department(department_id="D1", name="市场监管局"),
                     Department(department_id="D2", name="应急管理局")),
        supervision_items=(
            SupervisionItem(item_id="S1", name="食品销售", department_id="D1", category="一般", legal_basis="法"),
            SupervisionItem(item_id="S2", name="特种设备", department_id="D2", category="重点", legal_basis="法"),
            SupervisionItem(item_id="S3", name="广告发布", department_id="D1", category="一般", legal_basis="法"),
        ),
        check_items=(
            CheckItem(check_item_id="C1", item_id="S1", department_id="D1", name="食品", field="食品安全",
                      object_type="企业", check_methods=("现场检查",), legal_basis="法"),
            CheckItem(check_item_id="C2", item_id="S2", department_id="D2", name="锅炉", field="特种设备",
                      object_type="企业", check_methods=("现场检查",), legal_basis="法"),
            CheckItem(check_item_id="C3", item_id="S3", department_id="D1", name="广告", field="广告",
                      object_type="企业", check_methods=("现场检查",), legal_basis="法"),
        ),
        joint_items=(), entities=entities(entity_ids), inspectors=tuple(inspectors),
        conflicts=conflicts, unavailability=unavailability, history=history)


def visit(vid: str, entity: str, date: dt.date, items: tuple[str, ...] = ("C1",)) -> Visit:
    depts = tuple(dict.fromkeys({"C1": "D1", "C3": "D1", "C4": "D1", "C2": "D2"}[c] for c in items))
    return Visit(visit_id=vid, entity_id=entity, entity_name=f"name {entity}", date=date,
                 lead_department=depts[0], departments=depts, tasks=("T1",), check_items=items)


def spec(team_size: int = 2) -> PlanSpec:
    return PlanSpec.model_validate({"plan_id": "p", "quarter": "2027Q1", "authority": "联席会议办公室",
                                    "team_size": team_size, "seed": {"sources": ["1 2 3"]},
                                    "tasks": [{"task_id": "T1", "name": "t", "check_items": ["C1"], "count": 1}]})


def teams_of(visits: list[Visit]) -> list[tuple[str, tuple[tuple[str, str, bool], ...]]]:
    return [(v.visit_id, tuple((a.inspector_id, a.department_id, a.is_expert) for a in v.inspectors))
            for v in visits]


def day(k: int) -> dt.date:
    return Q_START + dt.timedelta(days=k)


# ---------------------------------------------------------------------------------------


def small_instance() -> tuple[list[Visit], Directory]:
    staff = ([inspector(f"A{k}", "D1", ("食品安全", "广告") if k % 2 else ("食品安全",)) for k in range(1, 9)]
             + [inspector(f"B{k}", "D2", ("特种设备",)) for k in range(1, 6)]
             + [inspector("BX", "D2", ("特种设备",), expert=True)])
    ents = [f"E{k:02d}" for k in range(12)]
    vs = [visit(f"V{k:02d}", ents[k], day(k % 4),
                ("C1", "C2") if k % 3 == 0 else ("C1", "C3") if k % 3 == 1 else ("C2",)) for k in range(12)]
    d = directory(staff, ents,
                  conflicts=(Conflict(inspector_id="A1", entity_id="E00", reason="亲属"),),
                  unavailability=(Unavailability(inspector_id="A2", start=day(0), end=day(1), reason="培训"),),
                  history=(HistoryVisit(entity_id="E03", inspector_id="A3", department_id="D1", date=dt.date(2026, 5, 1)),
                           HistoryVisit(entity_id="E03", inspector_id="A4", department_id="D1", date=dt.date(2026, 5, 1)),
                           HistoryVisit(entity_id="E03", inspector_id="A5", department_id="D1", date=dt.date(2025, 5, 1))))
    return vs, d


def test_small_plan_meets_every_rule() -> None:
    vs, d = small_instance()
    out, stats = assign_teams(vs, d, spec(), StubSeed("s1"))
    assert check_plan_rules(out, d, spec()) == []
    assert [v.visit_id for v in out] == [v.visit_id for v in vs]
    assert stats["teams_status"] == "OPTIMAL"
    assert stats["teams_demand"] == 12 + 4  # every visit has one department, four have two
    for v in out:
        for dept in v.departments:
            assert sum(1 for a in v.inspectors if a.department_id == dept and not a.is_expert) == 2
        # D2's item is 重点, so its only expert joins those visits, never as one of the two.
        assert any(a.is_expert for a in v.inspectors) == ("D2" in v.departments)
        assert all(a.department_id != "D2" or a.inspector_id != "BX" or a.is_expert for a in v.inspectors)


def test_rotation_conflicts_and_unavailability_respected() -> None:
    vs, d = small_instance()
    for s in range(10):
        out, _ = assign_teams(vs, d, spec(), StubSeed(f"rot{s}"))
        by_id = {v.visit_id: {a.inspector_id for a in v.inspectors} for v in out}
        assert "A1" not in by_id["V00"]  # 回避
        assert not {"A3", "A4"} & by_id["V03"]  # last visit by D1 was A3 and A4
        assert all("A2" not in by_id[v.visit_id] for v in out if v.date in (day(0), day(1)))
        # V04 combines 食品安全 and 广告: only the odd-numbered D1 inspectors hold 广告, so one of them
        # is on the team, which together covers both fields.
        assert by_id["V04"] & {"A1", "A3", "A5", "A7"}


def stdlib_ranking(seed: str, visit_id: str, dept: str, ids: list[str], expert: bool = False) -> list[tuple[str, int]]:
    """The ranking of docs/assign.md (section ranking.py) written out again with the stdlib only:
    a Fisher–Yates shuffle of the sorted ids driven by SHA-256(seed "\n" node "\n" counter)."""
    node = str((visit_id, dept, "expert")) if expert else str((visit_id, dept))
    ids = sorted(ids)
    e, scale = len(ids), 2**42
    order, out, counter = list(range(e)), [], 0
    for t in range(e):
        n = e - t
        while True:
            digest = hashlib.sha256(f"{seed}\n{node}\n{counter}".encode()).digest()
            counter += 1
            x = int.from_bytes(digest[:8], "big")
            if x < (2**64 // n) * n:
                break
        j = t + x % n
        order[t], order[j] = order[j], order[t]
        cost = (t + 1) * scale // (e + 1) + int.from_bytes(digest[8:16], "big") % (scale // (e + 1))
        out.append((ids[order[t]], cost))
    return out


def test_first_ranked_win_without_binding_caps() -> None:
    """Anyone can recompute the team with the stdlib: the first two of the visit's ranking."""
    vs, d = small_instance()
    seed = StubSeed("audit")
    out, _ = assign_teams(vs, d, spec(), seed)
    s = seed.sub_seed("inspectors")
    v = next(v for v in out if v.visit_id == "V02")  # D2 only, no conflicts or history
    ranked = stdlib_ranking(s, "V02", "D2", [f"B{k}" for k in range(1, 6)])
    assert [a.inspector_id for a in v.inspectors if not a.is_expert] == sorted(p for p, _ in ranked[:2])
    # The expert has a ranking of its own; with one expert it is that one.
    assert stdlib_ranking(s, "V02", "D2", ["BX"], expert=True)[0][0] == "BX"


def test_ids_with_quotes_and_chinese_rank_as_documented() -> None:
    staff = [inspector(pid, "D1") for pid in ("张'1", 'I"2', "I\\3", "检查员4", "5\n")]
    vs = [visit("V'1", "E1", day(0))]
    for k in range(8):
        seed = StubSeed(f"odd ids {k}")
        out, _ = assign_teams(vs, directory(staff, ["E1"]), spec(), seed)
        ranked = stdlib_ranking(seed.sub_seed("inspectors"), "V'1", "D1", [p.inspector_id for p in staff])
        assert {a.inspector_id for a in out[0].inspectors} == {p for p, _ in ranked[:2]}


def test_one_qualified_inspector_is_explained() -> None:
    staff = [inspector("A1", "D1"), inspector("A2", "D1"), inspector("A3", "D1"),
             inspector("B1", "D2", ("特种设备",)), inspector("B2", "D2", ("消防",)),
             inspector("BX", "D2", ("特种设备",), expert=True)]
    ents = ["E1", "E2", "E3"]
    vs = [visit("V1", "E1", day(0), ("C1", "C2")), visit("V2", "E2", day(1), ("C2",)),
          visit("V3", "E3", day(2))]
    with pytest.raises(InfeasibleError) as info:
        assign_teams(vs, directory(staff, ents), spec(), StubSeed("x"))
    err = info.value
    text = str(err)
    assert "1 department(s) (D2)" in err.message
    assert "visit V1 (entity E1, 2027-01-04" in text and "visit V2 (entity E2, 2027-01-05" in text
    assert "V3" not in text  # D1's visit is fine
    assert any("1 eligible of 2" in r and "holding none of the needed fields" in r for r in err.reasons)
    assert any("特种设备" in f and "D2" in f for f in err.fixes)
    assert err.exit_code == 1


def test_experts_never_count() -> None:
    staff = [inspector("B1", "D2", ("特种设备",)), inspector("BX", "D2", ("特种设备",), expert=True),
             inspector("BY", "D2", ("特种设备",), expert=True)]
    with pytest.raises(InfeasibleError, match="D2"):
        assign_teams([visit("V1", "E1", day(0), ("C2",))], directory(staff, ["E1"]), spec(), StubSeed("x"))


def test_caps_shortfall_names_visits_and_binding_caps() -> None:
    staff = [inspector(f"A{k}", "D1", per_quarter=2) for k in range(1, 4)]
    vs = [visit(f"V{k}", f"E{k}", day(k)) for k in range(4)]  # needs 8 places, 3 × 2 exist
    with pytest.raises(InfeasibleError) as info:
        assign_teams(vs, directory(staff, [f"E{k}" for k in range(4)]), spec(), StubSeed("x"))
    err = info.value
    assert "workload caps" in err.message
    assert any("only 6 of 8 team places" in r for r in err.reasons)
    assert all(any(f"visit V{k} " in r for r in err.reasons) for k in range(4))
    assert any("inspector A1 is at the quarterly cap (2)" in r for r in err.reasons)
    assert any("max_visits_per_quarter" in f for f in err.fixes)


def test_daily_cap_binds_and_is_named() -> None:
    staff = [inspector(f"A{k}", "D1", per_day=1) for k in range(1, 4)]
    vs = [visit(f"V{k}", f"E{k}", day(0)) for k in range(2)]  # 4 places on one day, 3 exist
    with pytest.raises(InfeasibleError) as info:
        assign_teams(vs, directory(staff, ["E0", "E1"]), spec(), StubSeed("x"))
    assert any("daily cap (1) on 2027-01-04" in r for r in info.value.reasons)
    assert any("move visits off 2027-01-04" in f for f in info.value.fixes)


def test_history_in_the_quarter_uses_up_caps() -> None:
    staff = [inspector(f"A{k}", "D1", per_quarter=1) for k in range(1, 4)]
    hist = (HistoryVisit(entity_id="E9", inspector_id="A1", department_id="D1", date=dt.date(2027, 1, 2)),)
    d = directory(staff, ["E0", "E9"], history=hist)
    out, _ = assign_teams([visit("V0", "E0", day(0))], d, spec(), StubSeed("h"))
    assert {a.inspector_id for a in out[0].inspectors} == {"A2", "A3"}
    assert check_plan_rules(out, d, spec()) == []


def test_rotation_between_plan_visits_uses_cpsat() -> None:
    staff = [inspector(f"A{k}", "D1") for k in range(1, 5)]
    d = directory(staff, ["E1"])
    vs = [visit("V1", "E1", day(0)), visit("V2", "E1", day(3))]
    solvers = set()
    for s in range(12):
        out, stats = assign_teams(vs, d, spec(), StubSeed(f"r{s}"))
        assert check_plan_rules(out, d, spec()) == []
        assert stats["teams_status"] == "OPTIMAL"
        solvers.add(str(stats["teams_solver"]))
    # Two random pairs out of four overlap most of the time, so CP-SAT had to step in.
    assert any("CP-SAT for D1" in s for s in solvers)
    with pytest.raises(InfeasibleError, match="rotation"):
        assign_teams(vs, directory(staff[:3], ["E1"]), spec(), StubSeed("r"))


@pytest.mark.parametrize(("slack", "per_quarter", "per_day"),
                         [(8, 60, 2), (8, 3, 2), (0, 60, 1), (0, 6, 1), (0, 3, 2), (0, 3, 1)])
def test_shortlist_gives_the_optimum_over_all_pairs(slack: int, per_quarter: int, per_day: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """40 eligible inspectors per visit, 60 visits over 3 days, caps from slack to tight.

    The shortlist answer stands only when node potentials prove no unranked pair can improve it;
    otherwise nodes are ranked further and it is solved again. Either way the teams equal those
    of the plain network of all pairs (method "full"), and the tight cases do need more rounds.
    """
    staff = [inspector(f"A{k:02d}", "D1", per_quarter=per_quarter, per_day=per_day) for k in range(40)]
    d = directory(staff, [f"E{k:02d}" for k in range(60)])
    vs = [visit(f"V{k:02d}", f"E{k:02d}", day(k % 3)) for k in range(60)]
    rounds: list[int] = []
    uncertified = teams._uncertified

    def counted(*args: object) -> tuple[np.ndarray, np.ndarray]:
        rows, targets = uncertified(*args)  # type: ignore[arg-type]
        rounds.append(int(rows.size))
        return rows, targets

    monkeypatch.setattr(teams, "_uncertified", counted)
    monkeypatch.setattr(teams, "SLACK", slack)
    seed = StubSeed(f"short{per_quarter}")
    short = teams.solve_teams(vs, d, spec(), seed)
    assert check_plan_rules(short.visits, d, spec()) == []
    status = str(short.stats["teams_status:D1 teams"])
    if "shortlist" in status:
        assert rounds[-1] == 0  # the last certificate found nothing to add
        assert int(short.stats["teams_ranked_pairs"]) < int(short.stats["teams_eligible_pairs"])
    if per_quarter <= 3 and slack == 0:
        assert len(rounds) > 1 or "shortlist" not in status  # a tight case ranks further
    full = teams.solve_teams(vs, d, spec(), seed, method="full")
    assert teams_of(short.visits) == teams_of(full.visits)
    assert full.stats["teams_ranked_pairs"] == full.stats["teams_eligible_pairs"]


def test_same_inputs_same_teams_in_one_process() -> None:
    vs, d = small_instance()
    a = assign_teams(vs, d, spec(), StubSeed("same"))
    b = assign_teams(list(reversed(vs)), d, spec(), StubSeed("same"))
    assert a[1] == b[1]
    assert sorted(teams_of(a[0])) == sorted(teams_of(b[0]))
    c = assign_teams(vs, d, spec(), StubSeed("other"))
    assert teams_of(a[0]) != teams_of(c[0])


def test_same_teams_in_a_separate_process() -> None:
    """With the real PublicSeed: a fresh interpreter (own hash randomisation) draws the same teams."""
    vs, d = small_instance()
    here = teams_of(assign_teams(vs, d, spec(), PublicSeed.from_sources(["2 5 12", "3245.67"]))[0])
    code = textwrap.dedent("""
        import json, sys
        sys.path.insert(0, sys.argv[1])
        import test_teams as t
        from randsup.draw.seed import PublicSeed
        vs, d = t.small_instance()
        out, _ = t.assign_teams(vs, d, t.spec(), PublicSeed.from_sources(["2 5 12", "3245.67"]))
        print(json.dumps(t.teams_of(out)))
    """)
    run = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True,
                         text=True, check=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert json.loads(run.stdout) == json.loads(json.dumps(here))


def test_equal_chance_over_200_seeds() -> None:
    """Without binding caps, equally eligible inspectors are drawn equally often, mixed-field teams too.

    I01–I06 hold both fields, I07–I10 only 食品安全. 20 visits need 食品安全 (each of the 10 goes
    with probability 2/10), 10 need both (a team of one 食品安全 and one 广告 holder: the chance
    differs between the two classes, but not within a class). Per seed, an inspector's count on
    the mixed visits is a sum of independent Bernoulli(p_class) (visits get independent rankings);
    p_class is estimated from the class total, so each count is checked against its class mean
    with the binomial standard error.
    """
    staff = [inspector(f"I{k:02d}", "D1", ("食品安全", "广告") if k <= 6 else ("食品安全",))
             for k in range(1, 11)]
    vs = [visit(f"V{k:02d}", f"E{k:02d}", day(k), ("C1", "C3") if k < 10 else ("C1",)) for k in range(30)]
    d = directory(staff, [f"E{k:02d}" for k in range(30)])
    seeds = 200
    single: Counter[str] = Counter()
    mixed: Counter[str] = Counter()
    for s in range(seeds):
        out, _ = assign_teams(vs, d, spec(), StubSeed(f"fair{s}"))
        for v in out:
            (mixed if len(v.check_items) == 2 else single).update(a.inspector_id for a in v.inspectors)
    assert sum(single.values()) == seeds * 20 * 2 and sum(mixed.values()) == seeds * 10 * 2
    both = [p.inspector_id for p in staff if "广告" in p.fields]
    food = [p.inspector_id for p in staff if "广告" not in p.fields]
    assert all(mixed[i] >= seeds * 10 / 6 * 0.5 for i in both)  # the 广告 place always goes to this class
    for cls in (both, food):
        p_cls = sum(mixed[i] for i in cls) / (seeds * 10 * len(cls))
        for i in cls:
            mean = seeds * (20 * 0.2 + 10 * p_cls)
            se = math.sqrt(seeds * (20 * 0.2 * 0.8 + 10 * p_cls * (1 - p_cls)))
            got = single[i] + mixed[i]
            assert abs(got - mean) <= 4 * se, (i, got, mean, se)


def oracle_feasible(vs: list[Visit], d: Directory, team_size: int) -> bool:
    """x[visit, dept, inspector] over everyone, every rule written out again from docs/assign.md (no shared code)."""
    model = cp_model.CpModel()
    fields = {c.check_item_id: (c.department_id, c.field) for c in d.check_items}
    conflicts = {(c.inspector_id, c.entity_id) for c in d.conflicts}
    x = {}
    for v in vs:
        for dept in v.departments:
            need = {f for c in v.check_items for dd, f in [fields[c]] if dd == dept}
            past = sorted({h.date for h in d.history if h.entity_id == v.entity_id and h.department_id == dept
                           and h.date < v.date})
            last = {h.inspector_id for h in d.history if past and h.entity_id == v.entity_id
                    and h.department_id == dept and h.date == past[-1]}
            ok = []
            for p in d.inspectors:
                if (p.department_id == dept and not p.is_expert and need & set(p.fields)
                        and p.certificate_valid_until >= v.date and (p.inspector_id, v.entity_id) not in conflicts
                        and not any(u.inspector_id == p.inspector_id and u.start <= v.date <= u.end
                                    for u in d.unavailability)
                        and p.inspector_id not in last):
                    x[(v.visit_id, p.inspector_id)] = model.new_bool_var("")
                    ok.append((x[(v.visit_id, p.inspector_id)], set(p.fields)))
            # At least team_size, at most one per field beyond that, together holding every field.
            model.add(sum(var for var, _ in ok) >= team_size)
            model.add(sum(var for var, _ in ok) <= max(team_size, len(need)))
            for f in need:
                model.add(sum(var for var, held in ok if f in held) >= 1)
    date = {v.visit_id: v.date for v in vs}
    for p in d.inspectors:
        mine = [(vid, var) for (vid, pid), var in x.items() if pid == p.inspector_id]
        model.add(sum(var for _, var in mine) <= p.max_visits_per_quarter)
        for dd in {date[vid] for vid, _ in mine}:
            model.add(sum(var for vid, var in mine if date[vid] == dd) <= p.max_visits_per_day)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    return solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Visit], Directory]:
    """1–5 visits over 3 days; 2–6 inspectors in D1, 1–4 in D2; tight caps, some expired certificates."""
    fields_d1 = st.sampled_from([("食品安全", "广告"), ("食品安全", "广告"), ("食品安全",), ("广告",)])
    staff = []
    for k in range(draw(st.integers(2, 6))):
        staff.append(inspector(f"A{k}", "D1", draw(fields_d1), expert=draw(st.booleans()) and k == 0,
                               valid=day(draw(st.integers(0, 30))), per_day=draw(st.integers(1, 2)),
                               per_quarter=draw(st.integers(1, 4))))
    for k in range(draw(st.integers(1, 4))):
        staff.append(inspector(f"B{k}", "D2", ("特种设备",), valid=day(draw(st.integers(0, 30))),
                               per_day=draw(st.integers(1, 2)), per_quarter=draw(st.integers(1, 4))))
    n = draw(st.integers(1, 5))
    ents = [f"E{k}" for k in range(n)]
    vs = [visit(f"V{k}", ents[k], day(draw(st.integers(0, 2))),
                draw(st.sampled_from([("C1",), ("C1",), ("C1", "C3"), ("C2",), ("C1", "C2")])))
          for k in range(n)]
    ids = [p.inspector_id for p in staff]
    conflicts = tuple(Conflict(inspector_id=p, entity_id=e, reason="r")
                      for p, e in draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ents)), max_size=2)))
    away = tuple(Unavailability(inspector_id=p, start=day(a), end=day(a + b), reason="r")
                 for p, a, b in draw(st.lists(st.tuples(st.sampled_from(ids), st.integers(0, 2), st.integers(0, 1)),
                                              max_size=2)))
    hist = tuple(HistoryVisit(entity_id=e, inspector_id=p, department_id={"A": "D1", "B": "D2"}[p[0]],
                              date=dt.date(2026, 6, 1 + k))
                 for k, (p, e) in enumerate(draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ents)),
                                                          max_size=3))))
    return vs, directory(staff, ents, conflicts=conflicts, unavailability=away, history=hist)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 10**6))
def test_rules_hold_or_infeasibility_is_explained(inst: tuple[list[Visit], Directory], s: int) -> None:
    vs, d = inst
    feasible = oracle_feasible(vs, d, 2)
    try:
        out, stats = assign_teams(vs, d, spec(), StubSeed(str(s)))
    except InfeasibleError as err:
        assert not feasible
        assert err.reasons and err.fixes
        assert any(dept in err.message or dept in " ".join(err.reasons) for dept in ("D1", "D2"))
        return
    assert feasible
    assert check_plan_rules(out, d, spec()) == []
    assert stats["teams_status"] == "OPTIMAL"


# ---------------------------------------------------------------------------------------
# Departments solved in parallel processes give what one process gives.


def _unstaffed_of(result: teams.TeamsResult) -> list[tuple[str, str, str]]:
    return [(u.visit_id, u.department_id, u.reason) for u in result.unstaffed]


@pytest.mark.parametrize("allow", [False, True])
def test_parallel_departments_give_the_same_teams(allow: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two departments and D2's experts, solved by one process and by two forked workers."""
    monkeypatch.setattr(teams, "PARALLEL_MIN_DEMANDS", 0)
    vs, d = small_instance()
    one = teams.solve_teams(vs, d, spec(), StubSeed("par"), allow_unstaffed=allow, workers=1)
    two = teams.solve_teams(vs, d, spec(), StubSeed("par"), allow_unstaffed=allow, workers=2)
    assert teams_of(one.visits) == teams_of(two.visits)
    assert one.stats == two.stats
    assert any(a.is_expert for v in two.visits for a in v.inspectors)  # the expert job ran too
    assert check_plan_rules(two.visits, d, spec()) == []


def test_parallel_departments_explain_a_shortfall_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """A department short of places: the worker's failure is raised (or left unstaffed) as in one process."""
    monkeypatch.setattr(teams, "PARALLEL_MIN_DEMANDS", 0)
    staff = ([inspector(f"A{k}", "D1", per_quarter=2) for k in range(1, 4)]
             + [inspector(f"B{k}", "D2", ("特种设备",)) for k in range(1, 4)]
             + [inspector("BX", "D2", ("特种设备",), expert=True)])
    ents = [f"E{k}" for k in range(5)]
    vs = [visit(f"V{k}", f"E{k}", day(k), ("C1", "C2")) for k in range(4)] + [visit("V4", "E4", day(1), ("C2",))]
    d = directory(staff, ents)
    errors = []
    for workers in (1, 2):
        with pytest.raises(InfeasibleError) as info:
            teams.solve_teams(vs, d, spec(), StubSeed("x"), workers=workers)
        errors.append((info.value.message, info.value.reasons, info.value.fixes))
    assert errors[0] == errors[1]
    assert "workload caps" in errors[0][0]
    one, two = (teams.solve_teams(vs, d, spec(), StubSeed("x"), allow_unstaffed=True, workers=w) for w in (1, 2))
    assert _unstaffed_of(one) == _unstaffed_of(two) != []
    assert teams_of(one.visits) == teams_of(two.visits)
    # An unstaffed D1 part keeps no expert question open; D2's expert still goes where D2 is staffed.
    assert one.stats == two.stats
