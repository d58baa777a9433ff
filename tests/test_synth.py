"""Songjiang-scale demo data (randsup.demo.synth) and the demo-data command."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import randsup
from randsup import (
    InputError,
    OutputError,
    check_spec_against,
    generate_directory,
    load_spec,
    write_demo_data,
)
from randsup.assign.workdays import load_holidays
from randsup.cli import app
from randsup.demo.synth import MIN_PER_FIELD, minimum_inspectors

SMALL = {"entities": 3000, "inspectors": 200}
DATA_FILES = ("departments.csv", "supervision_items.csv", "check_items.csv", "joint_items.csv", "entities.csv",
              "inspectors.csv", "conflicts.csv", "unavailability.csv", "history.csv")

# ---------------------------------------------------------------------------------------
# An independent GB 32100-2015 / GB 11714-1997 check, written from the standards' text
# (not from randsup.inputs.uscc): 31-symbol alphabet without I O Z S V, weights 3^i mod 31,
# C18 = 31 - (sum mod 31) with 31 → 0; organisation code weights 3 7 9 10 5 8 4 2 mod 11.

GB32100 = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W18 = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]  # 3^i mod 31, i = 0..16
W9 = [3, 7, 9, 10, 5, 8, 4, 2]


def gb32100_valid(code: str) -> bool:
    if len(code) != 18 or any(c not in GB32100 for c in code):
        return False
    org = sum((int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w for c, w in zip(code[8:16], W9, strict=True))
    c9 = 11 - org % 11
    if code[16] != {10: "X", 11: "0"}.get(c9, str(c9)):
        return False
    c18 = 31 - sum(GB32100.index(c) * w for c, w in zip(code[:17], W18, strict=True)) % 31
    return code[17] == GB32100[0 if c18 == 31 else c18]


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet=GB32100, min_size=8, max_size=8), head=st.sampled_from(["91", "92", "93", "52"]))
def test_the_independent_check_agrees_with_randsup_and_catches_any_single_change(body: str, head: str) -> None:
    org = 11 - sum((int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w for c, w in zip(body, W9, strict=True)) % 11
    first17 = head + "310117" + body + {10: "X", 11: "0"}.get(org, str(org))
    code = first17 + randsup.check_character(first17)
    assert gb32100_valid(code) and randsup.uscc_problem(code) is None
    # weights are non-zero modulo the prime 31, so every single substitution is detected
    for i in (0, 5, 9, 17):
        for c in "0A":
            if c != code[i]:
                assert not gb32100_valid(code[:i] + c + code[i + 1:])


def gb32100_valid_all(codes: list[str]) -> bool:
    """The same check over many codes at once (numpy), for the 300,000-entity directory."""
    raw = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(-1, 18).astype(np.int64)
    value31 = np.full(128, -1)
    value31[[ord(c) for c in GB32100]] = np.arange(31)
    v = value31[raw]
    if (v < 0).any():
        return False
    org = np.where(raw[:, 8:16] <= ord("9"), raw[:, 8:16] - ord("0"), raw[:, 8:16] - ord("A") + 10) @ W9
    c9 = 11 - org % 11
    want9 = np.where(c9 == 10, ord("X"), np.where(c9 == 11, ord("0"), c9 + ord("0")))
    c18 = (31 - (v[:, :17] @ W18) % 31) % 31
    return bool((raw[:, 16] == want9).all() and (v[:, 17] == c18).all())


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, randsup.Directory]:
    out = tmp_path_factory.mktemp("synth") / "demo"
    d = write_demo_data(out, seed=3, **SMALL)
    return out, d


# ---------------------------------------------------------------------------------------
# The item lists.


def test_exact_songjiang_counts(demo: tuple[Path, randsup.Directory]) -> None:
    out, d = demo
    rows = {name: read_csv(out / name) for name in DATA_FILES}
    assert len(rows["departments.csv"]) == 29
    assert len(rows["supervision_items.csv"]) == 705
    assert len(rows["check_items.csv"]) == 1369
    assert 130 <= len(rows["joint_items.csv"]) <= 150
    market = [r for r in rows["entities.csv"] if r["object_kind"] == "市场主体"]
    assert len(market) == SMALL["entities"] and len(rows["inspectors.csv"]) == SMALL["inspectors"]
    for name in DATA_FILES:
        ids = [r[next(iter(r))] for r in rows[name]]
        if name in ("departments.csv", "supervision_items.csv", "check_items.csv", "joint_items.csv",
                    "entities.csv", "inspectors.csv"):
            assert len(set(ids)) == len(ids), name
    # Market regulation has the largest lists, as in every district.
    by_dept = Counter(r["department_id"] for r in rows["check_items.csv"])
    assert by_dept.most_common(1)[0][0] == "SJ01"
    names = {r["department_id"]: r["name"] for r in rows["departments.csv"]}
    assert names["SJ01"] == "松江区市场监督管理局" and all("松江" in n for n in names.values())


def test_every_reference_of_the_item_lists_exists(demo: tuple[Path, randsup.Directory]) -> None:
    out, _ = demo
    depts = {r["department_id"] for r in read_csv(out / "departments.csv")}
    items = {r["item_id"]: r for r in read_csv(out / "supervision_items.csv")}
    checks = {r["check_item_id"]: r for r in read_csv(out / "check_items.csv")}
    assert all(i["department_id"] in depts for i in items.values())
    assert {i["category"] for i in items.values()} == {"一般", "重点"}
    assert all(i["legal_basis"].strip() and "海南" not in i["legal_basis"] for i in items.values())
    for c in checks.values():
        assert c["department_id"] in depts
        assert c["item_id"] in items
        assert items[c["item_id"]]["department_id"] == c["department_id"]
        assert c["field"] and c["check_methods"]
    assert {c["item_id"] for c in checks.values()} == set(items)  # every 监管事项 has a 检查实施清单
    for j in read_csv(out / "joint_items.csv"):
        partners = j["partner_department_ids"].split(";")
        members = [j["lead_department_id"], *partners]
        assert set(members) <= depts and len(set(members)) == len(members)
        ids = j["check_item_ids"].split(";")
        assert all(c in checks for c in ids)
        # every department of the joint item brings check items of one 执法领域 only
        for dept in members:
            mine = [checks[c] for c in ids if checks[c]["department_id"] == dept]
            assert mine, (j["joint_item_id"], dept)
            assert len({c["field"] for c in mine}) == 1
        assert {checks[c]["department_id"] for c in ids} == set(members)


def test_item_names_come_from_the_real_lists(demo: tuple[Path, randsup.Directory]) -> None:
    _, d = demo
    real = {r["check_item"] for r in csv.DictReader(
        (Path(randsup.__file__).parent / "demo" / "data" / "real_items_sample.csv").read_text(encoding="utf-8").splitlines())}
    names = {i.name for i in d.supervision_items}
    assert len(names & real) >= 40
    assert {"宾馆、旅店取得许可证情况的检查", "年度报告公示信息的检查"} <= names
    assert len(names) > 650  # built from fragments, not numbered copies
    assert not any("（第" in n for n in names)


# ---------------------------------------------------------------------------------------
# 检查对象名录库.


def test_every_entity_id_passes_an_independent_gb32100_check(demo: tuple[Path, randsup.Directory]) -> None:
    out, _ = demo
    rows = [r for r in read_csv(out / "entities.csv") if r["object_kind"] == "市场主体"]
    assert all(gb32100_valid(r["entity_id"]) for r in rows)
    assert all(r["entity_id"][2:8] == "310117" for r in rows)  # 上海市松江区
    heads = {r["entity_type"]: set() for r in rows}
    for r in rows:
        heads[r["entity_type"]].add(r["entity_id"][:2])
    assert heads == {"企业": {"91"}, "个体工商户": {"92"}, "农民专业合作社": {"93"}, "其他": {"52"}}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 400))
def test_generated_codes_are_valid_and_unique_for_any_seed(seed: int, n: int) -> None:
    from randsup.demo.synth import _uscc

    heads = np.asarray(["91", "92", "93", "52"])[np.arange(n) % 4]
    codes = _uscc(np.random.Generator(np.random.PCG64(seed)), heads).tolist()
    assert len(set(codes)) == n
    assert all(gb32100_valid(c) and c[:2] == h for c, h in zip(codes, heads.tolist(), strict=True))


def test_objects_of_every_kind_with_valid_ids_and_real_responsible_enterprises(
        demo: tuple[Path, randsup.Directory]) -> None:
    from randsup.inputs.kinds import object_id_problem

    rows = read_csv(demo[0] / "entities.csv")
    by_id = {r["entity_id"]: r for r in rows}
    kinds = Counter(r["object_kind"] for r in rows)
    assert set(kinds) == {"市场主体", "工地", "路段", "建筑物", "设备", "产品", "其他"}
    for r in rows:
        if r["object_kind"] == "市场主体":
            assert r["responsible_entity_id"] == ""
            continue
        assert object_id_problem(r["object_kind"], r["entity_id"]) is None, r
        owner = r["responsible_entity_id"]
        if r["object_kind"] == "路段":
            assert owner == ""  # maintained by a government body, not a market entity
        elif r["object_kind"] in ("工地", "设备", "产品"):
            assert by_id[owner]["entity_type"] == "企业", r
    sites = [r for r in rows if r["object_kind"] == "工地"]
    # Contractors are construction companies (GB/T 4754 section E) wherever the demo has one.
    assert all(by_id[r["responsible_entity_id"]]["industry"][0] == "E" for r in sites)
    # Only sites and equipment are graded; the rest take the spec's default_risk_class.
    assert all((r["risk_class"] == "") == (r["object_kind"] not in ("工地", "设备")) for r in rows
               if r["object_kind"] != "市场主体")


def test_demo_spec_has_a_task_for_every_kind(demo: tuple[Path, randsup.Directory]) -> None:
    from randsup.draw.visits import task_object_kind

    out, d = demo
    spec = load_spec(out / "plan-2027Q1.toml")
    assert spec.cap_by_responsible_entity and spec.default_risk_class == "B"
    kinds = Counter(task_object_kind(d, t) for t in spec.tasks)
    assert set(kinds) == {"市场主体", "工地", "路段", "建筑物", "设备", "产品", "其他"}
    assert [t.object_kind for t in spec.tasks if t.object_kind] == ["其他"]  # the spec names it; it wins


def test_entity_shares_match_the_design(demo: tuple[Path, randsup.Directory]) -> None:
    rows = [r for r in read_csv(demo[0] / "entities.csv") if r["object_kind"] == "市场主体"]
    n = len(rows)

    def share_ok(count: int, p: float) -> bool:
        return abs(count / n - p) <= 4 * math.sqrt(p * (1 - p) / n)  # 4 standard errors

    types = Counter(r["entity_type"] for r in rows)
    assert share_ok(types["企业"], 0.60) and share_ok(types["个体工商户"], 0.38)
    risk = Counter(r["risk_class"] for r in rows)
    for k, p in zip("ABCD", (0.20, 0.65, 0.12, 0.03), strict=True):
        assert share_ok(risk[k], p), k
    tags = Counter(t for r in rows for t in r["tags"].split(";") if t)
    assert share_ok(tags["经营异常名录"], 0.2 * 0.005 + 0.65 * 0.02 + 0.12 * 0.08 + 0.03 * 0.25)
    assert set(tags) == {"经营异常名录", "不予现场检查"}
    assert {r["area"] for r in rows} <= {"岳阳街道", "永丰街道", "方松街道", "中山街道", "广富林街道", "九里亭街道",
                                          "泗泾镇", "佘山镇", "车墩镇", "新桥镇", "洞泾镇", "九亭镇", "泖港镇",
                                          "石湖荡镇", "新浜镇", "叶榭镇", "小昆山镇"}
    assert all(len(r["industry"]) == 5 and r["industry"][0].isalpha() and r["industry"][1:].isdigit()
               for r in rows)
    last = [dt.date.fromisoformat(r["last_inspected"]) for r in rows if r["last_inspected"]]
    assert 0 < len(last) < n and max(last) < dt.date(2027, 1, 1)


# ---------------------------------------------------------------------------------------
# 执法检查人员名录库 and side tables.


def test_every_department_can_field_teams_in_every_field(demo: tuple[Path, randsup.Directory]) -> None:
    _, d = demo
    quarter_end = dt.date(2027, 3, 31)
    needed = {(c.department_id, c.field) for c in d.check_items}
    able = Counter((i.department_id, f) for i in d.inspectors
                   if not i.is_expert and i.certificate_valid_until >= quarter_end for f in i.fields)
    assert all(able[k] >= MIN_PER_FIELD for k in needed), [k for k in needed if able[k] < MIN_PER_FIELD]
    dept_fields = {k[0]: set() for k in needed}
    for dept, f in needed:
        dept_fields[dept].add(f)
    for i in d.inspectors:
        assert len(i.fields) >= 1 and set(i.fields) <= dept_fields[i.department_id]
        assert 2 <= i.max_visits_per_day <= 4 and 40 <= i.max_visits_per_quarter <= 80
        assert i.certificate_no.startswith("310117") and len(i.certificate_no) == 11
    assert len({i.certificate_no for i in d.inspectors}) == len(d.inspectors)
    per_dept = Counter(i.department_id for i in d.inspectors)
    assert per_dept.most_common(1)[0][0] == "SJ01"
    assert 0 < sum(i.is_expert for i in d.inspectors) < 0.1 * len(d.inspectors)


def test_side_tables_point_at_existing_rows(demo: tuple[Path, randsup.Directory]) -> None:
    _, d = demo
    ids = set(d.entities.entity_id.tolist())
    people = d.inspector_by_id
    assert d.conflicts and d.unavailability and d.history
    assert all(c.entity_id in ids and c.inspector_id in people for c in d.conflicts)
    for u in d.unavailability:
        assert u.inspector_id in people and dt.date(2027, 1, 1) <= u.start <= u.end <= dt.date(2027, 3, 31)
    for h in d.history:
        assert h.entity_id in ids and people[h.inspector_id].department_id == h.department_id
        assert h.date.year == 2026 and not people[h.inspector_id].is_expert
    # last_inspected is never earlier than the entity's latest recorded visit
    pos = {e: i for i, e in enumerate(d.entities.entity_id.tolist())}
    for h in d.history:
        assert d.entities.last_inspected[pos[h.entity_id]] >= np.datetime64(h.date, "D")


# ---------------------------------------------------------------------------------------
# Plan spec, holidays, round trip, determinism.


def test_plan_spec_loads_and_names_only_existing_items(demo: tuple[Path, randsup.Directory]) -> None:
    out, d = demo
    spec = load_spec(out / "plan-2027Q1.toml")
    check_spec_against(spec, d)
    assert (spec.plan_id, spec.quarter, spec.team_size, spec.max_inspections_per_entity_per_year) == \
        ("songjiang-2027Q1", "2027Q1", 2, 2)
    assert 12 <= len(spec.tasks) <= 25 and len(spec.seed.sources) == 2
    for t in spec.tasks:
        assert all(c in d.check_item_by_id for c in t.check_items)
        assert t.joint_item is None or t.joint_item in d.joint_item_by_id
    kinds = Counter(t.coordination for t in spec.tasks)
    assert kinds["apart"] == 1 and kinds["independent"] == 1 and kinds["together"] >= 10
    assert sum(t.joint_item is not None for t in spec.tasks) >= 3
    assert sum(t.population is None for t in spec.tasks) >= 1  # 不定向
    assert sum(t.count is not None for t in spec.tasks) >= 2
    assert len({d.check_item_by_id[c].department_id for t in spec.tasks for c in t.check_items}) >= 5
    assert spec.holidays_path() == out / "holidays-2027.toml"


def test_holidays_file_is_provisional_and_readable(demo: tuple[Path, randsup.Directory]) -> None:
    out, _ = demo
    text = (out / "holidays-2027.toml").read_text(encoding="utf-8")
    assert text.startswith("# PROVISIONAL")
    h = load_holidays(out / "holidays-2027.toml")
    assert h.year == 2027 and h.provisional is True
    assert h.holidays[dt.date(2027, 1, 1)] == "元旦" and h.holidays[dt.date(2027, 2, 6)] == "春节"
    assert {n for n in h.holidays.values()} == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    assert all(d.weekday() >= 5 for d in h.workdays)
    q1 = [dt.date(2027, 1, 1) + dt.timedelta(days=k) for k in range(90)]
    assert sum(h.is_working_day(x) for x in q1) == 59


def test_written_directory_loads_back_unchanged(demo: tuple[Path, randsup.Directory]) -> None:
    out, d = demo
    back = randsup.load_directory(out)
    for table in ("departments", "supervision_items", "check_items", "joint_items", "inspectors", "conflicts",
                  "unavailability", "history"):
        assert getattr(back, table) == getattr(d, table), table
    e, b = d.entities, back.entities
    for col in ("entity_id", "name", "risk_class", "tags"):
        assert np.array_equal(getattr(e, col), getattr(b, col)), col
    for col in ("entity_type", "industry", "area"):
        assert np.array_equal(getattr(e, col).values(), getattr(b, col).values()), col
    assert np.array_equal(e.last_inspected.astype(str), b.last_inspected.astype(str))
    assert e.tag_names == b.tag_names


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    write_demo_data(tmp_path / "a", seed=11, entities=1500, inspectors=150)
    write_demo_data(tmp_path / "b", seed=11, entities=1500, inspectors=150)
    write_demo_data(tmp_path / "c", seed=12, entities=1500, inspectors=150)
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert a == b
    assert sorted(a) == sorted([*DATA_FILES, "plan-2027Q1.toml", "holidays-2027.toml"])
    for name in ("entities.csv", "inspectors.csv", "check_items.csv", "joint_items.csv"):
        assert a[name] != c[name], name
    assert a["departments.csv"] == c["departments.csv"]  # the 29 departments are fixed


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_any_seed_gives_a_coherent_small_district(seed: int) -> None:
    d = generate_directory(entities=400, inspectors=minimum_inspectors(), seed=seed)
    assert (len(d.departments), len(d.supervision_items), len(d.check_items)) == (29, 705, 1369)
    assert all(c.item_id in d.item_by_id for c in d.check_items)
    market = d.entities.kind_mask("市场主体")
    assert int(market.sum()) == 400 and all(gb32100_valid(x) for x in d.entities.entity_id[market].tolist())
    needed = {(c.department_id, c.field) for c in d.check_items}
    able = Counter((i.department_id, f) for i in d.inspectors
                   if not i.is_expert and i.certificate_valid_until >= dt.date(2027, 3, 31) for f in i.fields)
    assert all(able[k] >= MIN_PER_FIELD for k in needed)


def test_too_few_inspectors_or_entities_is_a_clear_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--inspectors.*at least"):
        generate_directory(entities=1000, inspectors=minimum_inspectors() - 1)
    with pytest.raises(InputError, match="--entities"):
        generate_directory(entities=10)
    with pytest.raises(InputError, match="--seed"):
        generate_directory(entities=1000, inspectors=300, seed=-1)


# ---------------------------------------------------------------------------------------
# CLI and the default size.


def test_cli_demo_data_writes_then_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "d"
    ok = runner.invoke(app, ["demo-data", str(target), "--entities", "1000", "--inspectors", "150", "--seed", "5"])
    assert ok.exit_code == 0, ok.output
    assert "29 departments, 705 supervision items, 1369 check items" in ok.output
    assert (target / "plan-2027Q1.toml").is_file()
    again = runner.invoke(app, ["demo-data", str(target)])
    assert again.exit_code == 2 and "exists already" in again.output
    few = runner.invoke(app, ["demo-data", str(tmp_path / "e"), "--inspectors", "5"])
    assert few.exit_code == 2 and "--inspectors" in few.output and "Traceback" not in few.output
    assert not (tmp_path / "e").exists()
    valid = runner.invoke(app, ["validate", str(target)])
    assert valid.exit_code == 0, valid.output


def test_write_demo_data_refuses_an_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    with pytest.raises(OutputError, match="exists already"):
        write_demo_data(tmp_path / "x", entities=500, inspectors=200)


def test_default_size_is_valid(tmp_path: Path) -> None:
    """The default 300,000 / 1,800 district (its speed is measured in benchmarks/, not asserted here)."""
    d = write_demo_data(tmp_path / "full")
    market = d.entities.kind_mask("市场主体")
    assert int(market.sum()) == 300_000 and len(d.inspectors) == 1_800
    assert len(set(d.entities.entity_id.tolist())) == len(d.entities)
    ids = d.entities.entity_id[market].tolist()
    assert len(set(ids)) == len(ids) and gb32100_valid_all(ids)
    assert gb32100_valid_all(ids[:1] + ["91310117MA1G00000X"]) is False  # the fast check can fail
    expiring = [i for i in d.inspectors if i.certificate_valid_until < dt.date(2027, 3, 31)]
    assert 0 < len(expiring) < 0.05 * len(d.inspectors)
    assert all(i.certificate_valid_until >= dt.date(2027, 1, 1) for i in d.inspectors)
