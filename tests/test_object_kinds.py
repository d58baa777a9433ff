"""检查对象类别 (issue 17): objects that are not market entities, their ids, their kinds, their 责任主体."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from randsup.cli import app
from randsup.demo.synth import write_demo_data
from randsup.draw.sample import EXCLUSION_ANNUAL_CAP, EXCLUSION_RESPONSIBLE_CAP, draw_entities
from randsup.draw.seed import PublicSeed
from randsup.draw.visits import build_visits, task_object_kind
from randsup.errors import InputError, SpecError
from randsup.inputs.kinds import (
    ID_RULES,
    gtin_problem,
    kind_of_object_text,
    normalise_kind,
    object_id_problem,
)
from randsup.inputs.load import load_directory
from randsup.inputs.save import save_directory
from randsup.inputs.uscc import check_character, org_check_character, uscc_problem
from randsup.model import OBJECT_KINDS, RISK_UNGRADED
from randsup.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["02 05 12 20 25 31 08", "3245.67"]
HEADER = ["entity_id", "name", "entity_type", "industry", "area", "risk_class", "tags", "last_inspected",
          "object_kind", "responsible_entity_id"]


def uscc(body: str, head: str = "91") -> str:
    """A valid 统一社会信用代码 with an 8-character organisation body (digits and capitals)."""
    first17 = head + "310117" + body + org_check_character(body)
    return first17 + check_character(first17)


CONTRACTOR = uscc("MA1G0001")
OWNER = uscc("MA1G0002")
SHOP = uscc("MA1G0003")

# One row per kind; ids follow each kind's scheme.
OBJECT_ROWS = [
    [CONTRACTOR, "上海某建设工程有限公司", "企业", "E4790", "岳阳街道", "B", "", "", "", ""],
    [OWNER, "上海某物业管理有限公司", "企业", "K7020", "岳阳街道", "A", "", "", "市场主体", ""],
    [SHOP, "松江区某便利店", "个体工商户", "F5212", "方松街道", "C", "", "", "", ""],
    ["310117202603150001", "某住宅项目施工工地", "", "", "岳阳街道", "", "", "", "工地", CONTRACTOR],
    ["310117003028GB00012F00040000", "某大厦3号楼", "", "", "方松街道", "", "", "", "建筑物", OWNER],
    ["G60K025-K027", "G60 松江段 K025-K027", "", "", "车墩镇", "", "", "", "路段", ""],
    ["6901234567892/2601A001", "电线电缆 批号2601A001", "", "", "九亭镇", "", "", "", "产品", SHOP],
    ["31103101172015030001", "曳引驱动乘客电梯 1号", "", "", "九亭镇", "B", "", "", "设备", OWNER],
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kinds") / "D"
    write_demo_data(root, entities=300, inspectors=200, seed=1)
    return root


def folder(base: Path, tmp: Path, rows: list[list[str]], *, header: list[str] = HEADER) -> Path:
    """The demo folder with entities.csv replaced by ``rows`` and no history or conflicts."""
    d = tmp / "D"
    shutil.copytree(base, d)
    for side in ("history.csv", "conflicts.csv"):
        (d / side).unlink(missing_ok=True)
    with (d / "entities.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return d


def validate(d: Path) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["validate", str(d)])
    return r.exit_code, r.output


# ---------------------------------------------------------------------------------------
# The directory


def test_a_directory_mixing_market_entities_with_sites_buildings_roads_and_products_validates(
        base: Path, tmp_path: Path) -> None:
    d = folder(base, tmp_path, OBJECT_ROWS)
    code, out = validate(d)
    assert code == 0, out
    e = load_directory(d).entities
    kinds = dict(zip(e.entity_id.tolist(), e.object_kind.values().tolist(), strict=True))
    assert kinds["G60K025-K027"] == "路段" and kinds[CONTRACTOR] == "市场主体"
    assert sorted(set(kinds.values())) == sorted(["市场主体", "工地", "建筑物", "路段", "产品", "设备"])
    resp = dict(zip(e.entity_id.tolist(), e.responsible_entity_id.values().tolist(), strict=True))
    assert resp["310117202603150001"] == CONTRACTOR and resp["G60K025-K027"] == ""
    risk = dict(zip(e.entity_id.tolist(), e.risk_class.tolist(), strict=True))
    assert risk["G60K025-K027"] == RISK_UNGRADED and risk["31103101172015030001"] == 1
    # Kind columns are stored as categorical codes, not one string per row.
    assert e.object_kind.codes.dtype == np.int32 and len(e.object_kind.categories) == 6
    # Ids keep their full length (a 不动产单元号 has 28 characters).
    assert "310117003028GB00012F00040000" in kinds


def test_save_and_load_round_trip_the_kind_columns(base: Path, tmp_path: Path) -> None:
    d = load_directory(folder(base, tmp_path, OBJECT_ROWS))
    save_directory(d, tmp_path / "S")
    again = load_directory(tmp_path / "S").entities
    assert again.entity_id.tolist() == d.entities.entity_id.tolist()
    assert again.object_kind.values().tolist() == d.entities.object_kind.values().tolist()
    assert again.responsible_entity_id.values().tolist() == d.entities.responsible_entity_id.values().tolist()
    assert again.risk_class.tolist() == d.entities.risk_class.tolist()


def test_a_file_without_kind_columns_is_all_market_entities(base: Path, tmp_path: Path) -> None:
    d = folder(base, tmp_path, [r[:8] for r in OBJECT_ROWS[:3]], header=HEADER[:8])
    e = load_directory(d).entities
    assert e.object_kind.values().tolist() == ["市场主体"] * 3
    assert e.responsible_entity_id.values().tolist() == [""] * 3


_ID_TEXT = st.text(alphabet=string.ascii_uppercase + string.digits + "-/+#_.()（）路段号楼", min_size=1, max_size=64)


@settings(max_examples=200, deadline=None)
@given(code=_ID_TEXT, kind=st.sampled_from(["路段", "其他", "建筑物", "工地"]))
def test_a_non_entity_row_is_never_refused_for_lacking_a_uscc(code: str, kind: str) -> None:
    """Every printable id without spaces is accepted for kinds whose schemes it does not imitate."""
    imitates = (code.isdigit() and len(code) in (18, 20, 28)) or (len(code) == 18 and uscc_problem(code) is None) \
        or (kind == "建筑物" and len(code) == 28) or (kind == "工地" and code[:4].isdigit() and code.count("-") == 4)
    if not imitates:
        assert object_id_problem(kind, code) is None


def test_non_entity_rows_need_neither_uscc_nor_entity_type_nor_risk_class(base: Path, tmp_path: Path) -> None:
    rows = [*OBJECT_ROWS[:3], ["X2101K010-K012", "某县道路段", "", "", "泖港镇", "", "", "", "路段", ""]]
    assert validate(folder(base, tmp_path, rows))[0] == 0


BAD_IDS = [
    ("市场主体", "91310117MA1G00000X", "统一社会信用代码"),
    ("工地", "310117202613450001", "施工许可证编号"),
    ("建筑物", "310117003028GB00012X00040000", "不动产单元号"),
    ("路段", "G60 K25", "space"),
    ("产品", "6901234567890/2601A001", "商品条码"),
    ("设备", "31103101172015130001", "特种设备注册代码"),
    ("其他", "GG" + "1" * 70, "more than 64"),  # control characters are refused for every cell by the reader
]


@pytest.mark.parametrize(("kind", "code", "why"), BAD_IDS, ids=[k for k, _, _ in BAD_IDS])
def test_a_bad_id_of_any_kind_exits_2_naming_file_row_and_the_kinds_rule(
        base: Path, tmp_path: Path, kind: str, code: str, why: str) -> None:
    bad = [code, "坏编码", "企业" if kind == "市场主体" else "", "", "岳阳街道", "B", "", "", kind, ""]
    d = folder(base, tmp_path, [*OBJECT_ROWS, bad])
    exit_code, out = validate(d)
    assert exit_code == 2 and "Traceback" not in out
    with pytest.raises(InputError) as info:
        load_directory(d)
    (p,) = [p for p in info.value.problems if p.column == "entity_id"]
    assert (p.file, p.row) == ("entities.csv", len(OBJECT_ROWS) + 2)
    assert why in p.why
    if kind != "市场主体":
        assert f"the id of a {kind}" in p.why and ID_RULES[kind] in p.why
    assert "entities.csv" in out and str(len(OBJECT_ROWS) + 2) in out


def test_a_code_two_kinds_share_is_refused_naming_both_rows(base: Path, tmp_path: Path) -> None:
    twin = ["G60K025-K027", "同号的户外广告设施", "", "", "岳阳街道", "", "", "", "其他", ""]
    with pytest.raises(InputError) as info:
        load_directory(folder(base, tmp_path, [*OBJECT_ROWS, twin]))
    (p,) = info.value.problems
    assert p.row == len(OBJECT_ROWS) + 2 and p.column == "entity_id"
    assert "row 7" in p.why and "路段" in p.why and "其他" in p.why and "unique across" in p.why


def test_an_enterprise_code_as_an_objects_id_is_refused(base: Path, tmp_path: Path) -> None:
    wrong = [uscc("MA1G0009"), "把承包商代码当工地编码", "", "", "岳阳街道", "", "", "", "工地", CONTRACTOR]
    # An 18-character USCC with letters cannot be a 施工许可证编号 (18 digits): refused.
    with pytest.raises(InputError, match="responsible_entity_id"):
        load_directory(folder(base, tmp_path, [*OBJECT_ROWS, wrong]))


@pytest.mark.parametrize(("owner", "kind", "message"), [
    ("91310117MA1G00000X", "工地", "统一社会信用代码"),  # not a valid USCC
    ("G60K025-K027", "工地", "18 characters"),  # a road section's id
    (CONTRACTOR, "市场主体", "its own 责任主体"),
])
def test_bad_responsible_entity_ids_are_refused(base: Path, tmp_path: Path, owner: str, kind: str,
                                               message: str) -> None:
    code = "310117202603150099" if kind == "工地" else uscc("MA1G0010")
    row = [code, "x", "企业" if kind == "市场主体" else "", "", "岳阳街道", "B", "", "", kind, owner]
    with pytest.raises(InputError) as info:
        load_directory(folder(base, tmp_path, [*OBJECT_ROWS, row]))
    assert any(p.column == "responsible_entity_id" and message in p.why for p in info.value.problems)


def lucky_permit() -> str:
    """An 18-digit 施工许可证编号 that passes the USCC check characters by chance (about 1 in 340)."""
    return next(c for i in range(10_000) if uscc_problem(c := f"31011720260115{i:04d}") is None)


def test_a_responsible_entity_in_the_directory_must_be_a_market_entity(base: Path, tmp_path: Path) -> None:
    site = [lucky_permit(), "某工地", "", "", "岳阳街道", "", "", "", "工地", CONTRACTOR]
    building = ["310117003028GB00099F00010000", "工地旁的楼", "", "", "岳阳街道", "", "", "", "建筑物", site[0]]
    with pytest.raises(InputError) as info:
        load_directory(folder(base, tmp_path, [*OBJECT_ROWS, site, building]))
    (p,) = info.value.problems
    assert (p.row, p.column) == (len(OBJECT_ROWS) + 3, "responsible_entity_id") and "not a 市场主体" in p.why
    # A 责任主体 registered elsewhere (not in this directory) is fine.
    building[-1] = uscc("MA1G0099")
    e = load_directory(folder(base, tmp_path / "b", [*OBJECT_ROWS, site, building])).entities
    assert uscc("MA1G0099") in e.responsible_entity_id.categories


def test_unknown_kind_is_named() -> None:
    assert normalise_kind("") == "市场主体" and normalise_kind(" 施工工地 ") == "工地"
    assert normalise_kind("ROAD_SECTION") == "路段"
    with pytest.raises(ValueError, match="检查对象类别 must be one of"):
        normalise_kind("桥")


# ---------------------------------------------------------------------------------------
# Id schemes


def test_gtin_check_digit() -> None:
    assert gtin_problem("6901234567892") is None
    assert "expected 2" in (gtin_problem("6901234567890") or "")
    assert gtin_problem("96385074") is None  # GTIN-8 example from GS1


def test_equipment_code_checks_its_organisation_code() -> None:
    body = "MA1G0001"
    good = "3110" + body + org_check_character(body) + "20150001"
    assert object_id_problem("设备", good) is None
    wrong = "3110" + body + ("0" if org_check_character(body) != "0" else "1") + "20150001"
    assert "组织机构代码" in (object_id_problem("设备", wrong) or "")


def test_an_18_digit_permit_number_is_never_taken_for_a_uscc() -> None:
    lucky = lucky_permit()
    assert object_id_problem("工地", lucky) is None
    assert "统一社会信用代码" in (object_id_problem("建筑物", lucky) or "")


# ---------------------------------------------------------------------------------------
# 检查对象 text → kind


@pytest.mark.parametrize(("text", "kind"), [
    ("在建房屋建筑和市政基础设施工程施工工地", "工地"), ("建设工程施工单位", "市场主体"), ("建筑施工企业", "市场主体"),
    ("高层民用建筑", "建筑物"), ("辖区普通国省道路段", "路段"), ("市场上或企业成品仓库内的待销产品", "产品"),
    ("在用电梯、锅炉、起重机械等特种设备", "设备"), ("电梯使用管理单位", "市场主体"), ("户外广告设施", "市场主体"),
    ("食用农产品集中交易市场（含批发市场和农贸市场）", "市场主体"), ("", "市场主体"), ("路段", "路段"), ("其他", "其他"),
])
def test_object_text_to_kind(text: str, kind: str) -> None:
    assert kind_of_object_text(text) == kind


def test_every_kind_is_documented() -> None:
    doc = (ROOT / "docs" / "object-kinds.md").read_text("utf-8")
    for kind in OBJECT_KINDS:
        assert f"| {kind} |" in doc, kind


# ---------------------------------------------------------------------------------------
# Drawing by kind, the cap per 责任主体


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kinds-demo") / "D"
    write_demo_data(root, entities=3000, inspectors=400, seed=2)
    return root


def test_a_plan_with_one_task_per_kind_draws_each_task_only_from_its_kind(demo: Path) -> None:
    d = load_directory(demo)
    spec = load_spec(demo / "plan-2027Q1.toml")
    draw = draw_entities(d, spec, PublicSeed.for_spec(spec.seed, SOURCES))
    e = d.entities
    kind_of = dict(zip(e.entity_id.tolist(), e.object_kind.values().tolist(), strict=True))
    by_task = {t.task_id: t for t in spec.tasks}
    seen = set()
    for td in draw.tasks:
        kind = task_object_kind(d, by_task[td.task_id])
        seen.add(kind)
        drawn = [*td.selected, *(a for alts in td.alternates.values() for a in alts)]
        assert {kind_of[x] for x in drawn} <= {kind}, td.task_id
        if by_task[td.task_id].population is None:  # 不定向: the population is every object of the kind
            total = sum(s.population + s.excluded_at_cap for s in td.strata.values())
            assert total == int(e.kind_mask(kind).sum()), td.task_id
    assert seen == set(OBJECT_KINDS)
    assert any(td.selected for td in draw.tasks if task_object_kind(d, by_task[td.task_id]) != "市场主体")
    visits, _ = build_visits(d, spec, draw)
    assert all(v.object_kind == kind_of[v.entity_id] for v in visits)


def _cap_spec(path: Path, by_responsible: bool) -> Path:
    body = f"""plan_id = "cap"
quarter = "2027Q1"
authority = "x"
max_inspections_per_entity_per_year = 2
cap_by_responsible_entity = {"true" if by_responsible else "false"}
default_risk_class = "B"
[seed]
sources = ["a", "b"]
[[tasks]]
task_id = "S"
name = "sites"
check_items = ["SJ06X1"]
count = 100
"""
    path.write_text(body, encoding="utf-8")
    return path


def test_the_annual_cap_counts_a_sites_visit_against_its_contractor(base: Path, tmp_path: Path) -> None:
    """The contractor is at its cap from history, so its site is excluded; another site is not."""
    other = ["310117202603150002", "另一工地", "", "", "岳阳街道", "B", "", "", "工地", SHOP]
    d = folder(base, tmp_path, [*OBJECT_ROWS, other])
    with (d / "check_items.csv").open("a", encoding="utf-8", newline="") as f:
        sup = next(csv.DictReader((d / "supervision_items.csv").open(encoding="utf-8")))
        csv.writer(f).writerow(["SJ06X1", sup["item_id"], sup["department_id"], "施工现场安全检查", "建设工程管理",
                                "在建工程施工工地", "现场检查", "《建设工程安全生产管理条例》第四十条"])
    inspector = next(csv.DictReader((d / "inspectors.csv").open(encoding="utf-8")))
    with (d / "history.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["entity_id", "inspector_id", "department_id", "date"])
        for day in ("2027-01-05", "2027-01-12"):  # two visits to the contractor itself this year
            w.writerow([CONTRACTOR, inspector["inspector_id"], inspector["department_id"], day])
    directory = load_directory(d)
    seed = PublicSeed.for_spec(load_spec(_cap_spec(tmp_path / "a.toml", True)).seed, ["1", "2"])
    on = draw_entities(directory, load_spec(_cap_spec(tmp_path / "a.toml", True)), seed).tasks[0]
    off = draw_entities(directory, load_spec(_cap_spec(tmp_path / "b.toml", False)), seed).tasks[0]
    assert set(off.selected) == {"310117202603150001", "310117202603150002"}
    assert set(on.selected) == {"310117202603150002"}
    assert on.exclusions == {EXCLUSION_ANNUAL_CAP: 1, EXCLUSION_RESPONSIBLE_CAP: 1}
    assert sum(s.excluded_at_cap for s in on.strata.values()) == 1


def test_visits_to_objects_bring_their_enterprise_to_the_cap(base: Path, tmp_path: Path) -> None:
    """Two visits to the contractor's site this year: the contractor itself is at the cap too."""
    from randsup.draw.sample import at_cap_masks

    d = folder(base, tmp_path, OBJECT_ROWS)
    inspector = next(csv.DictReader((d / "inspectors.csv").open(encoding="utf-8")))
    with (d / "history.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["entity_id", "inspector_id", "department_id", "date"])
        for day in ("2027-01-05", "2027-01-12"):
            w.writerow(["310117202603150001", inspector["inspector_id"], inspector["department_id"], day])
    directory = load_directory(d)
    ids = directory.entities.entity_id.tolist()
    own, via = at_cap_masks(directory, load_spec(_cap_spec(tmp_path / "a.toml", True)))
    assert {ids[i] for i in np.flatnonzero(own)} == {"310117202603150001"}
    assert {ids[i] for i in np.flatnonzero(via)} == {CONTRACTOR}
    own, via = at_cap_masks(directory, load_spec(_cap_spec(tmp_path / "b.toml", False)))
    assert not via.any()


def test_the_history_is_read_once_so_an_iterator_counts_fully(base: Path, tmp_path: Path) -> None:
    """draw_entities reads ``history`` once: a one-shot iterator excludes the contractor at its own
    cap and, through it, its site, exactly as a list does (the cap used to read it twice)."""
    import datetime as dt

    from randsup.model import HistoryVisit

    d = folder(base, tmp_path, OBJECT_ROWS)
    sup = next(csv.DictReader((d / "supervision_items.csv").open(encoding="utf-8")))
    with (d / "check_items.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(["SJ06X1", sup["item_id"], sup["department_id"], "施工现场安全检查", "建设工程管理",
                                "在建工程施工工地", "现场检查", "《建设工程安全生产管理条例》第四十条"])
    directory = load_directory(d)
    entity_item = next(c.check_item_id for c in directory.check_items
                       if kind_of_object_text(c.object_type) == "市场主体")
    inspector = directory.inspectors[0]
    history = [HistoryVisit(entity_id=CONTRACTOR, inspector_id=inspector.inspector_id,
                            department_id=inspector.department_id, date=dt.date(2027, 1, day)) for day in (5, 12)]
    spec_path = _cap_spec(tmp_path / "a.toml", True)
    spec_path.write_text(spec_path.read_text("utf-8") + f"""[[tasks]]
task_id = "E"
name = "entities"
check_items = ["{entity_item}"]
count = 100
""", "utf-8")
    spec = load_spec(spec_path)
    seed = PublicSeed.for_spec(spec.seed, ["1", "2"])
    from_list = draw_entities(directory, spec, seed, history=history)
    from_iterator = draw_entities(directory, spec, seed, history=iter(history))
    assert from_iterator == from_list
    sites, entities = from_iterator.tasks
    assert sites.selected == () and sites.exclusions == {EXCLUSION_ANNUAL_CAP: 1, EXCLUSION_RESPONSIBLE_CAP: 1}
    assert set(entities.selected) == {OWNER, SHOP} and entities.exclusions == {EXCLUSION_ANNUAL_CAP: 1}


def test_visits_of_one_contractor_share_a_day(base: Path, tmp_path: Path) -> None:
    """Two sites of one contractor and the contractor itself, drawn in one plan, get one date
    (their departments can staff them that day); the rule checker agrees, and catches a plan
    where one of them is moved to another day by swapping with a visit of another site."""
    from randsup.assign.rule_check import check_plan_rules, check_same_day
    from randsup.plan import make_plan

    sites = [[f"3101172026031500{k:02d}", f"工地{k}", "", "", "岳阳街道", "", "", "", "工地",
              CONTRACTOR if k <= 2 else SHOP if k <= 4 else ""] for k in range(1, 21)]
    d = folder(base, tmp_path, [*OBJECT_ROWS[:3], *sites])
    directory = load_directory(d)
    site_item, entity_item = (next(c.check_item_id for c in directory.check_items
                                   if kind_of_object_text(c.object_type) == kind) for kind in ("工地", "市场主体"))
    spec_path = _cap_spec(d / "a.toml", True)
    spec_path.write_text('announced = true\nholidays = "holidays-2027.toml"\n'
                         + spec_path.read_text("utf-8").replace("SJ06X1", site_item) + f"""[[tasks]]
task_id = "E"
name = "entities"
check_items = ["{entity_item}"]
count = 100
""", "utf-8")
    spec = load_spec(spec_path)
    seed = PublicSeed.for_spec(spec.seed, SOURCES)
    plan = make_plan(directory, spec, seed)
    visits = list(plan.visits)
    assert len({v.date for v in visits}) > 5  # the plan spreads over the quarter ...
    family = [v for v in visits if v.entity_id in (CONTRACTOR, "310117202603150001", "310117202603150002")]
    assert len(family) == 3 and len({v.date for v in family}) == 1  # ... but the contractor's visits share a day
    shop = [v for v in visits if v.entity_id in (SHOP, "310117202603150003", "310117202603150004")]
    assert len(shop) == 3 and len({v.date for v in shop}) == 1
    assert check_same_day(visits, directory) == [] and check_plan_rules(visits, directory, spec) == []
    assert make_plan(directory, spec, seed) == plan  # deterministic
    # A site of the contractor swapped with another site's visit on another day breaks the rule.
    first = next(v for v in family if v.object_kind == "工地")
    other = next(v for v in visits if v.object_kind == "工地" and v not in family and v not in shop
                 and v.date != first.date)
    swapped = [v.model_copy(update={"date": other.date}) if v is first else
               v.model_copy(update={"date": first.date}) if v is other else v for v in visits]
    (problem,) = check_same_day(swapped, directory)
    assert f"责任主体 {CONTRACTOR}" in problem and first.visit_id in problem
    # The published plan has the shared day, and verify recomputes it.
    out = tmp_path / "P"
    src = [a for x in SOURCES for a in ("--source", x)]
    r = CliRunner().invoke(app, ["plan", str(d), str(spec_path), *src, "--out", str(out)])
    assert r.exit_code == 0, r.output
    published = json.loads((out / "plan.json").read_text("utf-8"))["visits"]
    assert len({v["date"] for v in published if v["entity_id"] in {f.entity_id for f in family}}) == 1
    r = CliRunner().invoke(app, ["verify", str(out), "--data", str(d)])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("capacity", [1, 2, 3])
def test_same_day_places_stay_within_daily_capacity(capacity: int) -> None:
    """Three visits of one 责任主体 (one department), one place a day each: they share a day only
    as far as the department's daily capacity allows, every day stays within it, and the number
    of places per group is unchanged."""
    from randsup.assign.dates import FieldLoad, same_day_places

    n_days = 5
    groups = [("D1",), ("D2",)]
    counts = {(0, 0): 1, (0, 2): 1, (0, 4): 1, (1, 1): 2}  # the family's group, and another
    families = {CONTRACTOR: ["V1", "V2", "V3"]}
    group_of = {"V1": 0, "V2": 0, "V3": 0, "V4": 1, "V5": 1}
    daily = {"D1": [capacity] * n_days, "D2": [2] * n_days}
    fields = FieldLoad([], np.zeros((0, n_days), dtype=np.int64), [{}, {}])
    pinned, after, moved = same_day_places(families, group_of, counts, groups, daily, fields,
                                           [frozenset(), frozenset()], np.ones((2, n_days), dtype=np.int64),
                                           {"D1": 3, "D2": 2}, "seed")
    per_day = [sum(k for (g, t), k in after.items() if g == 0 and t == day) for day in range(n_days)]
    assert max(per_day) <= max(capacity, 1) and sum(per_day) == 3 and after[(1, 1)] == 2
    shared = max(list(pinned.values()).count(t) for t in set(pinned.values())) if pinned else 1
    assert shared == min(capacity, 3)
    assert moved == (min(capacity, 3) - 1 if capacity > 1 else 0)


def test_ungraded_objects_need_a_default_class(base: Path, tmp_path: Path) -> None:
    d = folder(base, tmp_path, OBJECT_ROWS)
    with (d / "check_items.csv").open("a", encoding="utf-8", newline="") as f:
        sup = next(csv.DictReader((d / "supervision_items.csv").open(encoding="utf-8")))
        csv.writer(f).writerow(["SJ07X1", sup["item_id"], sup["department_id"], "路段巡查", "道路运输",
                                "普通公路路段", "现场检查", "《公路安全保护条例》"])
    directory = load_directory(d)
    spec_path = tmp_path / "r.toml"
    spec_path.write_text('plan_id = "r"\nquarter = "2027Q1"\nauthority = "x"\n[seed]\nsources = ["a"]\n'
                         '[[tasks]]\ntask_id = "R"\nname = "roads"\ncheck_items = ["SJ07X1"]\ncount = 1\n', "utf-8")
    spec = load_spec(spec_path)
    seed = PublicSeed.for_spec(spec.seed, ["1"])
    with pytest.raises(SpecError, match="default_risk_class"):
        draw_entities(directory, spec, seed)
    spec_path.write_text(spec_path.read_text("utf-8").replace('count = 1', 'count = 1\ndefault_risk_class = "C"'),
                         "utf-8")
    (td,) = draw_entities(directory, load_spec(spec_path), seed).tasks
    assert td.selected == ("G60K025-K027",) and td.strata["C"].population == 1


def test_the_spec_object_kind_wins_and_mixed_kinds_are_refused(demo: Path) -> None:
    d = load_directory(demo)
    spec = load_spec(demo / "plan-2027Q1.toml")
    t23 = next(t for t in spec.tasks if t.task_id == "T23")
    assert t23.object_kind == "其他" and task_object_kind(d, t23) == "其他"
    assert task_object_kind(d, t23.model_copy(update={"object_kind": None})) == "市场主体"
    site = next(t for t in spec.tasks if t.task_id == "T19")
    shop = next(t for t in spec.tasks if t.task_id == "T02")
    mixed = site.model_copy(update={"check_items": site.check_items + shop.check_items})
    with pytest.raises(SpecError, match="objects of different kinds"):
        task_object_kind(d, mixed)
    # The spec's object_kind wins over the items, even where they disagree among themselves.
    for kind in OBJECT_KINDS:
        assert task_object_kind(d, mixed.model_copy(update={"object_kind": kind})) == kind
        assert task_object_kind(d, site.model_copy(update={"object_kind": kind})) == kind
    joint = next(j for j in d.joint_items if task_object_kind(
        d, site.model_copy(update={"check_items": (), "joint_item": j.joint_item_id})) == "市场主体")
    mixed_joint = joint.model_copy(update={"check_item_ids": joint.check_item_ids + site.check_items})
    by_joint = site.model_copy(update={"check_items": (), "joint_item": joint.joint_item_id, "object_kind": None})
    with pytest.raises(SpecError, match=f"joint item {joint.joint_item_id} inspect objects of different kinds"):
        task_object_kind(dataclasses.replace(d, joint_items=(mixed_joint,)), by_joint)
    assert task_object_kind(dataclasses.replace(d, joint_items=(mixed_joint,)),
                            by_joint.model_copy(update={"object_kind": "工地"})) == "工地"


# ---------------------------------------------------------------------------------------
# The public record: the stdlib/consistent_sampler verifier reproduces non-entity tasks


def _example(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "examples" / "verify_with_consistent_sampler.py"), *args],
                          capture_output=True, text=True, timeout=300)


def test_the_consistent_sampler_example_reproduces_non_entity_tasks(tmp_path: Path) -> None:
    """A salted plan, revealed after its last visit: the stdlib verifier recomputes every
    non-entity task's drawn list, alternates and cut-offs from the public record."""
    def cli(*args: object) -> None:
        r = CliRunner().invoke(app, [str(a) for a in args])
        assert r.exit_code == 0, r.output

    (tmp_path / "salt.txt").write_text("kinds-salt\n", encoding="utf-8")
    data, out = tmp_path / "D", tmp_path / "P"
    cli("demo-data", data, "--entities", "3000", "--inspectors", "400", "--seed", "2",
        "--salt-file", tmp_path / "salt.txt")
    cli("plan", data, data / "plan-2027Q1.toml", "--source", SOURCES[0], "--source", SOURCES[1],
        "--salt-file", tmp_path / "salt.txt", "--out", out)
    plan = json.loads((out / "plan.json").read_text("utf-8"))
    cli("reveal", out, "--salt-file", tmp_path / "salt.txt", "--data", data, "--as-of", "2027-04-30")  # after 2027Q1
    record = json.loads((out / "public" / "draw-record.json").read_text("utf-8"))
    assert record["cap_by_responsible_entity"] is True
    objects = [t for t in record["tasks"] if t["object_kind"] != "市场主体"]
    assert {t["object_kind"] for t in objects} == set(OBJECT_KINDS) - {"市场主体"}
    assert any(v["object_kind"] != "市场主体" for v in plan["visits"])
    for t in objects:
        done = _example(str(out), "--data", str(data), "--task", t["task_id"])
        assert done.returncode == 0, done.stdout + done.stderr
        assert "MISMATCH" not in done.stdout
        assert f"task {t['task_id']}" in done.stdout and "match reveal.json" in done.stdout
    # Work list, plan notice and results notice name the kind.
    with (out / "visits.csv").open(encoding="utf-8-sig") as f:  # the Chinese work-list header
        work = list(csv.DictReader(f))
    assert {r["检查对象类别"] for r in work} == {v["object_kind"] for v in plan["visits"]} > {"市场主体"}
    notice = (out / "public" / "plan-notice.md").read_text("utf-8")
    assert all(f"检查对象类别：{k}" in notice for k in OBJECT_KINDS)
    _check_results_notice(plan)
    # The record is what the verifier reads: a wrong kind is caught.
    t = next(t for t in record["tasks"] if t["object_kind"] == "设备")
    t["object_kind"] = "工地"
    (out / "public" / "draw-record.json").write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    done = _example(str(out), "--data", str(data), "--task", t["task_id"])
    assert done.returncode == 1 and f"task {t['task_id']} class" in done.stdout.split("MISMATCH")[1]


def _check_results_notice(plan_json: dict[str, object]) -> None:
    import datetime as dt

    from randsup.history.results import InspectionResult, render_results_notice
    from randsup.model import Plan

    plan = Plan.model_validate(plan_json)
    v = next(v for v in plan.visits if v.object_kind == "工地")
    r = InspectionResult(plan_id=plan.plan_id, visit_id=v.visit_id, department_id=v.lead_department,
                         entity_id=v.entity_id, entity_name=v.entity_name, result="未发现问题", sub_result=None,
                         inspected_on=dt.date(2027, 2, 1), deadline=dt.date(2027, 3, 1))
    md, _ = render_results_notice(plan, [r], department_names={}, salt=None)
    assert "检查对象类别" in md and f"| 工地 | {v.entity_id} |" in md
