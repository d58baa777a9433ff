"""Plans that degrade instead of failing (issue 11): dates sent back, joint visits split, --allow-unstaffed."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from test_teams import directory, inspector

from randsup.assign.rule_check import check_plan_rules
from randsup.draw.seed import PublicSeed
from randsup.errors import InfeasibleError
from randsup.model import Directory, Unavailability
from randsup.plan import make_plan
from randsup.spec import PlanSpec

Q_FIRST, Q_LAST = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
MIDDLE = dt.date(2026, 11, 15)


def _spec(tasks: list[dict[str, object]], max_per_year: int = 2) -> PlanSpec:
    return PlanSpec.model_validate({"plan_id": "p", "quarter": "2026Q4", "authority": "联席会议办公室",
                                    "team_size": 2, "seed": {"sources": ["1 2 3"]}, "announced": True,
                                    "max_inspections_per_entity_per_year": max_per_year, "tasks": tasks})


TWO_TASKS = [{"task_id": "T1", "name": "食品", "check_items": ["C1"], "count": 3},
             {"task_id": "T2", "name": "锅炉", "check_items": ["C2"], "count": 3}]


def _apart_world() -> Directory:
    """D1's inspectors are away from mid-November on, D2's until then: no day has both departments."""
    staff = ([inspector(f"A{k}", "D1", ("食品安全",)) for k in range(3)]
             + [inspector(f"B{k}", "D2", ("特种设备",)) for k in range(3)])
    away = tuple([Unavailability(inspector_id=f"A{k}", start=MIDDLE, end=Q_LAST, reason="培训") for k in range(3)]
                 + [Unavailability(inspector_id=f"B{k}", start=Q_FIRST, end=MIDDLE, reason="培训")
                    for k in range(3)])
    return directory(staff, ["E1", "E2", "E3"], unavailability=away)


def test_splitting_a_merged_visit_is_the_only_way() -> None:
    """Each entity is drawn by T1 (D1) and T2 (D2) and merged into one joint visit, which no day can
    staff; split into a D1 visit before mid-November and a D2 visit after, every team is legal."""
    d = _apart_world()
    spec = _spec(TWO_TASKS)
    plan = make_plan(d, spec, PublicSeed.for_spec(spec.seed, ["1 2 3"]))
    assert plan.stats["split_visits"] == 3 and len(plan.visits) == 6 and not plan.unstaffed
    for v in plan.visits:
        assert len(v.departments) == 1
        assert (v.date < MIDDLE) == (v.departments == ("D1",))
    parts = [v for v in plan.visits if "." in v.visit_id]  # the split-off parts: old id + "." + department
    assert len(parts) == 3 and all(v.visit_id.endswith("." + v.departments[0]) for v in parts)
    assert {v.entity_id for v in parts} == {"E1", "E2", "E3"}
    assert check_plan_rules(plan.visits, d, spec) == []


def test_no_split_beyond_the_annual_cap() -> None:
    """With one inspection a year allowed, a second visit is not an option: the plan fails, explained."""
    d = _apart_world()
    spec = _spec(TWO_TASKS, max_per_year=1)
    with pytest.raises(InfeasibleError) as info:
        make_plan(d, spec, PublicSeed.for_spec(spec.seed, ["1 2 3"]))
    assert "D1" in str(info.value) or "D2" in str(info.value)


def test_allow_unstaffed_marks_what_no_day_can_staff() -> None:
    """D2 has one inspector and a team needs two: D2's parts are unstaffed, the draw still stands."""
    staff = [inspector(f"A{k}", "D1", ("食品安全",)) for k in range(3)] + [inspector("B0", "D2", ("特种设备",))]
    d = directory(staff, ["E1", "E2", "E3"])
    spec = _spec(TWO_TASKS, max_per_year=1)
    seed = PublicSeed.for_spec(spec.seed, ["1 2 3"])
    with pytest.raises(InfeasibleError):
        make_plan(d, spec, seed)
    plan = make_plan(d, spec, seed, allow_unstaffed=True)
    assert len(plan.visits) == 3 and len(plan.unstaffed) == 3
    assert {u.department_id for u in plan.unstaffed} == {"D2"} and all("特种设备" in u.fields for u in plan.unstaffed)
    assert plan.stats["teams_unstaffed"] == 3
    marked = [(u.visit_id, u.department_id) for u in plan.unstaffed]
    assert check_plan_rules(plan.visits, d, spec, unstaffed=marked) == []
    assert make_plan(d, spec, seed, allow_unstaffed=True) == plan


def test_cli_allow_unstaffed_writes_a_plan_verify_accepts(tmp_path: Path) -> None:
    """The demo district with a department emptied: `plan --allow-unstaffed` writes the plan, the notice
    and the summary state the unstaffed count, and `verify` recomputes the same plan."""
    from typer.testing import CliRunner

    from randsup.cli import app
    from randsup.demo.synth import write_demo_data
    from randsup.inputs.load import load_directory

    data = tmp_path / "demo"
    write_demo_data(data, entities=3_000, inspectors=200, seed=0, announced=True)
    d = load_directory(data)
    # Leave one small department with a single valid non-expert certificate: the others expire.
    from randsup.draw.visits import task_scope
    from randsup.spec import load_spec

    victim = task_scope(d, load_spec(data / "plan-2027Q1.toml").tasks[0]).lead_department
    with (data / "inspectors.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    seen = 0
    for row in rows:
        if row["department_id"] == victim and row["is_expert"].lower() not in ("true", "1", "是"):
            seen += 1
            if seen > 1:
                row["certificate_valid_until"] = "2026-12-31"
    with (data / "inspectors.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    args = ["plan", str(data), str(data / "plan-2027Q1.toml"), "--source", "02 05 12 20 25 31 08",
            "--source", "3245.67", "--ledger", str(tmp_path / "ledger.sqlite")]
    failed = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "no")])
    assert failed.exit_code == 1, failed.output
    assert not (tmp_path / "no").exists()
    got = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "plan"), "--allow-unstaffed"])
    assert got.exit_code == 0, got.output
    assert "unstaffed" in got.output
    import json

    plan = json.loads((tmp_path / "plan" / "plan.json").read_text(encoding="utf-8"))
    n = len(plan["unstaffed"])
    assert n > 0 and all(u["department_id"] == victim for u in plan["unstaffed"])
    notice = next(p for p in (tmp_path / "plan").rglob("*.md") if "notice" in p.name or "公告" in p.name)
    assert f"未能配齐执法检查人员：{n} 个检查" in notice.read_text(encoding="utf-8")
    verified = CliRunner().invoke(app, ["verify", str(tmp_path / "plan"), "--data", str(data)])
    assert verified.exit_code == 0, verified.output
