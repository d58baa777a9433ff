"""回避、重新随机选派: the next eligible inspector in the visit's ranking, nothing else moves, replay agrees."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from test_ledger import plan_cli, write_spec
from test_teams import StubSeed, small_instance, spec, stdlib_ranking
from typer.testing import CliRunner

from randsup.assign.rule_check import check_plan_rules
from randsup.assign.teams import assign_teams
from randsup.cli import app
from randsup.errors import InfeasibleError, InputError
from randsup.history.ledger import Ledger, default_ledger_path
from randsup.history.recuse import Recusal, apply_recusal
from randsup.model import Plan, PlanTask

SEED = StubSeed("recuse")


def teamed_plan() -> tuple[Plan, object]:
    vs, d = small_instance()
    out, stats = assign_teams(vs, d, spec(), SEED)
    plan = Plan(plan_id="p", quarter="2027Q1", seed={"key_string": "1.2.3./", "salt_commitment": None,
                                                     "seed_hex": "00" * 32},
                inputs={}, software={}, tasks=(PlanTask(task_id="T1", name="t", lead_department="D1",
                                                        departments=("D1", "D2"), task_seed="x", strata={}),),
                visits=tuple(out), alternates={}, stats=stats)
    return plan, d


def team(plan: Plan, vid: str) -> dict[str, tuple[str, str, bool]]:
    v = next(v for v in plan.visits if v.visit_id == vid)
    return {a.inspector_id: (a.inspector_id, a.department_id, a.is_expert) for a in v.inspectors}


def test_replacement_is_the_next_ranked_eligible_and_nothing_else_moves() -> None:
    plan, d = teamed_plan()
    v = next(v for v in plan.visits if v.visit_id == "V02")  # D2 only: B1..B5, no conflicts, no history
    leaving = next(a.inspector_id for a in v.inspectors if not a.is_expert)
    staying = {a.inspector_id for a in v.inspectors} - {leaving}
    new, change = apply_recusal(plan, d, spec(), SEED, "V02", leaving, reason="亲属关系", actor="科长")
    s = SEED.sub_seed("inspectors")
    # Independently, with the stdlib construction: the first of the visit's ranking not on it already.
    ranked = [p for p, _ in stdlib_ranking(s, "V02", "D2", [f"B{k}" for k in range(1, 6)])]
    assert {a.inspector_id for a in v.inspectors if not a.is_expert} == set(ranked[:2])
    free = [p for p in ranked if p not in staying | {leaving}]
    assert change.inspector_in == free[0]
    assert change.inspector_out == leaving and change.department_id == "D2" and change.rank >= 1
    assert set(team(new, "V02")) == staying | {change.inspector_in}
    for a, b in zip(plan.visits, new.visits, strict=True):
        if a.visit_id != "V02":
            assert a == b
    assert check_plan_rules(list(new.visits), d, spec()) == []
    assert new.stats["recusals"] == 1


def test_an_inspector_recused_before_is_not_drawn_again() -> None:
    plan, d = teamed_plan()
    first_out = next(a.inspector_id for a in next(v for v in plan.visits if v.visit_id == "V02").inspectors
                     if not a.is_expert)
    p1, c1 = apply_recusal(plan, d, spec(), SEED, "V02", first_out, reason="r", actor="a")
    assert c1.inspector_in is not None
    p2, c2 = apply_recusal(p1, d, spec(), SEED, "V02", c1.inspector_in, reason="r", actor="a", earlier=[c1])
    assert c2.inspector_in not in (first_out, c1.inspector_in)
    assert first_out not in team(p2, "V02")


def test_rules_hold_for_every_recusal_in_the_plan() -> None:
    plan, d = teamed_plan()
    for v in plan.visits:
        for a in v.inspectors:
            try:
                new, change = apply_recusal(plan, d, spec(), SEED, v.visit_id, a.inspector_id, reason="r", actor="a")
            except InfeasibleError:
                continue
            assert a.inspector_id not in team(new, v.visit_id)
            assert check_plan_rules(list(new.visits), d, spec()) == [], (v.visit_id, a.inspector_id)
            # 回避 with the entity (A1–E00), rotation (A3/A4 on E03) and unavailability stay respected.
            assert change.inspector_in != "A1" or v.entity_id != "E00"


def test_expert_leaves_without_replacement_when_none_is_left() -> None:
    plan, d = teamed_plan()
    v = next(v for v in plan.visits if any(a.is_expert for a in v.inspectors))
    new, change = apply_recusal(plan, d, spec(), SEED, v.visit_id, "BX", reason="r", actor="a")
    assert change.inspector_in is None and change.rank == 0
    assert "BX" not in team(new, v.visit_id)


def test_nobody_left_is_explained() -> None:
    plan, d = teamed_plan()
    p, earlier = plan, []
    with pytest.raises(InfeasibleError, match="no inspector of department D2 is left"):
        for _ in range(10):  # five D2 inspectors: at most three redraws, then nobody is left
            out = next(a.inspector_id for a in next(v for v in p.visits if v.visit_id == "V02").inspectors
                       if not a.is_expert)
            p, c = apply_recusal(p, d, spec(), SEED, "V02", out, reason="r", actor="a", earlier=earlier)
            earlier.append(c)
    assert len(earlier) == 3


@pytest.mark.parametrize(("visit", "inspector", "what"), [("V99", "B1", "no such visit"),
                                                          ("V02", "A1", "not on visit V02")])
def test_bad_recusal_is_an_input_error(visit: str, inspector: str, what: str) -> None:
    plan, d = teamed_plan()
    with pytest.raises(InputError, match=what):
        apply_recusal(plan, d, spec(), SEED, visit, inspector, reason="r", actor="a")


def test_recusal_json_round_trip() -> None:
    c = Recusal("V1", "D1", "A1", "A2", 3, "亲属", "科长")
    assert Recusal(**c.as_json()) == c


# ---------------------------------------------------------------------------------------
# Through the CLI on a demo plan: recorded, rewritten, verifiable, tamper-evident.

@pytest.fixture()
def planned(tmp_path: Path) -> tuple[Path, Path, Plan]:
    from randsup.demo.synth import write_demo_data

    data, out = tmp_path / "D", tmp_path / "P1"
    write_demo_data(data, entities=1000, inspectors=150, seed=5, announced=True)
    write_spec(data, 1)
    return data, out, plan_cli(data, 1, out)


def recuse_cli(data: Path, out: Path, visit: str, inspector: str) -> str:
    r = CliRunner().invoke(app, ["recuse", str(out), "--visit", visit, "--inspector", inspector,
                                 "--reason", "与检查对象负责人系亲属", "--actor", "张科长", "--data", str(data)])
    assert r.exit_code == 0, r.output
    return r.output


def fix_manifest(out: Path) -> None:
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    m["files"] = {k: hashlib.sha256((out / k).read_bytes()).hexdigest() for k in m["files"]}
    (out / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


def test_recusal_is_recorded_rewritten_and_verifies(planned: tuple[Path, Path, Plan]) -> None:
    data, out, plan = planned
    v = plan.visits[3]
    leaving = v.inspectors[0].inspector_id
    text = recuse_cli(data, out, v.visit_id, leaving)
    new = Plan.model_validate_json((out / "plan.json").read_bytes())
    (change,) = json.loads((out / "changes.json").read_text(encoding="utf-8"))["changes"]
    assert change["inspector_out"] == leaving and change["inspector_in"] in text
    assert "recorded_at" not in change  # the time lives in the ledger only
    new_team = {a.inspector_id for a in next(x for x in new.visits if x.visit_id == v.visit_id).inspectors}
    assert leaving not in new_team and change["inspector_in"] in new_team
    assert [x for x in new.visits if x.visit_id != v.visit_id] == [x for x in plan.visits if x.visit_id != v.visit_id]
    assert change["inspector_in"] in (out / "visits.csv").read_text(encoding="utf-8")

    r = CliRunner().invoke(app, ["verify", str(out), "--data", str(data)])
    assert r.exit_code == 0, r.output
    with Ledger(default_ledger_path(data), create=False) as book:
        assert book.verify() == []
        (rec,) = book.records("change")
        assert rec.payload["actor"] == "张科长" and rec.payload["recorded_at"]
        assert rec.payload["plan_json_sha256"] == hashlib.sha256((out / "plan.json").read_bytes()).hexdigest()
        history = {(h.entity_id, h.inspector_id) for h in book.history_for(2027)}
        assert (v.entity_id, change["inspector_in"]) in history and (v.entity_id, leaving) not in history


def test_a_forged_redraw_is_caught_by_verify(planned: tuple[Path, Path, Plan]) -> None:
    data, out, plan = planned
    v = plan.visits[0]
    recuse_cli(data, out, v.visit_id, v.inspectors[0].inspector_id)
    changes = json.loads((out / "changes.json").read_text(encoding="utf-8"))
    chosen = changes["changes"][0]["inspector_in"]
    dept = changes["changes"][0]["department_id"]
    team = {a.inspector_id for a in v.inspectors} | {chosen}
    other = sorted(p for p in {a.inspector_id for x in plan.visits for a in x.inspectors if a.department_id == dept}
                   if p not in team)[0]
    # Someone swaps in a preferred inspector consistently in changes.json and plan.json, and fixes the manifest.
    changes["changes"][0]["inspector_in"] = other
    (out / "changes.json").write_text(json.dumps(changes, ensure_ascii=False), encoding="utf-8")
    raw = (out / "plan.json").read_text(encoding="utf-8").replace(f'"inspector_id": "{chosen}"',
                                                                  f'"inspector_id": "{other}"', 1)
    (out / "plan.json").write_text(raw, encoding="utf-8")
    fix_manifest(out)
    r = CliRunner().invoke(app, ["verify", str(out), "--data", str(data)])
    assert r.exit_code == 1
    assert "changes.json" in r.output and "change 1" in r.output


def test_recusal_against_changed_data_is_refused(planned: tuple[Path, Path, Plan]) -> None:
    data, out, plan = planned
    with (data / "inspectors.csv").open("a", encoding="utf-8") as f:
        f.write("\n")
    v = plan.visits[0]
    r = CliRunner().invoke(app, ["recuse", str(out), "--visit", v.visit_id, "--inspector",
                                 v.inspectors[0].inspector_id, "--reason", "x", "--data", str(data)])
    assert r.exit_code == 2 and "inspectors.csv" in r.output
    assert not (out / "changes.json").exists()
