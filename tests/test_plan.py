"""make_plan end to end on a small demo directory: rules hold, record complete, deterministic."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from randsup.assign.rule_check import check_plan_rules
from randsup.demo.synth import write_demo_data
from randsup.draw.seed import PublicSeed
from randsup.errors import SpecError
from randsup.inputs.load import load_directory
from randsup.model import Directory, Plan
from randsup.plan import make_plan
from randsup.spec import PlanSpec, load_spec

SOURCES = ["02 05 12 20 25 31 08", "3245.67"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Directory, PlanSpec, PublicSeed]:
    out = tmp_path_factory.mktemp("plan") / "demo"
    write_demo_data(out, entities=3_000, inspectors=200, seed=0, announced=True)
    spec = load_spec(out / "plan-2027Q1.toml")
    seed = PublicSeed.for_spec(spec.seed, SOURCES[:len(spec.seed.sources)])
    return out, load_directory(out), spec, seed


@pytest.fixture(scope="module")
def plan(demo: tuple[Path, Directory, PlanSpec, PublicSeed]) -> Plan:
    _, directory, spec, seed = demo
    return make_plan(directory, spec, seed)


def working_days_2027q1(holidays_file: Path) -> set[dt.date]:
    """Read the holidays file with tomllib alone, not through randsup.assign.workdays."""
    raw = tomllib.loads(holidays_file.read_text(encoding="utf-8"))
    off = {dt.date.fromisoformat(d) for d in raw["holidays"]}
    on = {dt.date.fromisoformat(d) for d in raw["workdays"]}
    days = [dt.date(2027, 1, 1) + dt.timedelta(days=i) for i in range(90)]  # 1 January – 31 March
    return {d for d in days if d in on or (d.weekday() < 5 and d not in off)}


def test_every_rule_holds(demo: tuple[Path, Directory, PlanSpec, PublicSeed], plan: Plan) -> None:
    out, directory, spec, _ = demo
    working = working_days_2027q1(out / "holidays-2027.toml")
    assert plan.visits and all(v.date in working for v in plan.visits)
    assert check_plan_rules(plan.visits, directory, spec, sorted(working)) == []
    for v in plan.visits:
        per_dept = Counter(a.department_id for a in v.inspectors if not a.is_expert)
        assert all(per_dept[d] >= spec.team_size for d in v.departments)


def test_plan_record(demo: tuple[Path, Directory, PlanSpec, PublicSeed], plan: Plan) -> None:
    _, directory, spec, seed = demo
    assert plan.format == "randsup-plan/1" and plan.plan_id == spec.plan_id and plan.quarter == "2027Q1"
    assert plan.seed == {"key_string": seed.key_string, "salt_commitment": None, "seed_hex": seed.seed_hex}
    assert plan.inputs == directory.digests and "entities.csv" in plan.inputs
    assert set(plan.software) >= {"randsup", "ortools", "numpy", "python", "chinesecalendar"}
    assert [t.task_id for t in plan.tasks] == [t.task_id for t in spec.tasks]
    assert set(plan.alternates) == {t.task_id for t in spec.tasks}
    for t in plan.tasks:
        assert t.lead_department in t.departments and t.task_seed
        drawn = {v.entity_id for v in plan.visits if t.task_id in v.tasks}
        assert len(drawn) == sum(st.sample for st in t.strata.values())
        alternates = plan.alternates[t.task_id]
        assert len(set(alternates)) == len(alternates) and not drawn & set(alternates)
    s = plan.stats
    assert s["tasks"] == len(spec.tasks) and s["visits"] == len(plan.visits)
    assert s["pairs"] == sum(len(v.tasks) for v in plan.visits)
    assert s["visits_saved"] == s["pairs"] - s["visits"] > 0
    assert s["joint_visits"] == sum(len(v.departments) > 1 for v in plan.visits) > 0
    assert s["inspectors_used"] == len({a.inspector_id for v in plan.visits for a in v.inspectors
                                        if not a.is_expert})
    assert s["dates_status"] == "OPTIMAL" and s["teams_status"] == "OPTIMAL"
    assert s["calendar_provisional"] == "true" and "holidays-2027.toml" in str(s["calendar_source"])
    assert [v.visit_id for v in plan.visits] == [f"V{i:05d}" for i in range(1, len(plan.visits) + 1)]


def test_progress_reports_each_stage(demo: tuple[Path, Directory, PlanSpec, PublicSeed]) -> None:
    _, directory, spec, seed = demo
    calls: list[tuple[str, int, int | None]] = []
    make_plan(directory, spec, seed, progress=lambda stage, done=0, total=None: calls.append((stage, done, total)))
    stages = ["calendar", "draw", "visits", "dates", "teams"]
    assert calls == [(s, d, 1) for s in stages for d in (0, 1)]


def test_same_plan_with_two_workers_and_in_another_process(
        demo: tuple[Path, Directory, PlanSpec, PublicSeed], plan: Plan) -> None:
    out, directory, spec, seed = demo
    text = plan.model_dump_json()
    assert make_plan(directory, spec, seed, num_workers=2).model_dump_json() == text
    script = (
        "import hashlib, sys\n"
        "from randsup import PublicSeed, load_directory, load_spec, make_plan\n"
        f"spec = load_spec({str(out / 'plan-2027Q1.toml')!r})\n"
        f"seed = PublicSeed.for_spec(spec.seed, {SOURCES[:len(spec.seed.sources)]!r})\n"
        f"plan = make_plan(load_directory({str(out)!r}), spec, seed)\n"
        "print(hashlib.sha256(plan.model_dump_json().encode()).hexdigest())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == hashlib.sha256(text.encode()).hexdigest()


def test_other_seed_other_plan(demo: tuple[Path, Directory, PlanSpec, PublicSeed], plan: Plan) -> None:
    _, directory, spec, _ = demo
    other = make_plan(directory, spec, PublicSeed.for_spec(spec.seed, ["1 2 3 4 5 6 7", "3000.01"][
        :len(spec.seed.sources)]))
    assert {v.entity_id for v in other.visits} != {v.entity_id for v in plan.visits}


def test_missing_holidays_fails_before_the_draw(demo: tuple[Path, Directory, PlanSpec, PublicSeed]) -> None:
    _, directory, spec, seed = demo
    calls: list[str] = []
    with pytest.raises(SpecError, match="has no data for 2027"):
        make_plan(directory, spec.model_copy(update={"holidays": None}), seed,
                  progress=lambda stage, done=0, total=None: calls.append(stage))
    assert "draw" not in calls
