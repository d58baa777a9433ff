"""The plan directory writer (一公开): files, privacy, formula safety, determinism, atomicity."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randsup.errors import OutputError, SpecError
from randsup.model import (
    Assignment,
    Categorical,
    CheckItem,
    Department,
    Directory,
    EntityTable,
    Inspector,
    JointItem,
    Plan,
    PlanTask,
    StratumDraw,
    SupervisionItem,
    Visit,
)
from randsup.publish.render import (
    MANIFEST_FILE,
    PLAN_FILE,
    SPEC_FILE,
    WORKLIST_COLUMNS,
    render_plan,
    write_plan,
)
from randsup.spec import PlanSpec

EVIL = "=HYPERLINK(\"http://x\",\"点我\")"


def small_directory(entity_name: str = "松江某某食品店") -> Directory:
    """Two departments, three check items, one joint item, four inspectors, three entities."""
    deps = (Department(department_id="D01", name="区市场监管局"),
            Department(department_id="D02", name="区卫生健康委"))
    sup = (SupervisionItem(item_id="S1", name="食品销售监督", department_id="D01", category="重点", legal_basis="食品安全法"),
           SupervisionItem(item_id="S2", name="公共场所卫生", department_id="D02", category="一般", legal_basis="条例"))
    checks = (
        CheckItem(check_item_id="C0101", item_id="S1", department_id="D01", name="食品经营许可情况检查", field="食品",
                  object_type="食品经营者", check_methods=("现场检查",), legal_basis="食品安全法"),
        CheckItem(check_item_id="C0102", item_id="S1", department_id="D01", name="-进货查验记录", field="食品",
                  object_type="食品经营者", check_methods=("现场检查",), legal_basis="食品安全法"),
        CheckItem(check_item_id="C0201", item_id="S2", department_id="D02", name="卫生许可证检查", field="卫生",
                  object_type="公共场所", check_methods=("现场检查",), legal_basis="条例"),
    )
    joint = (JointItem(joint_item_id="J001", name="食品与卫生联合检查", lead_department_id="D01",
                       partner_department_ids=("D02",), check_item_ids=("C0101", "C0201"), object_type="食品经营者"),)
    ents = EntityTable(
        entity_id=np.array(["91310117MA1G000001", "91310117MA1G000002", "91310117MA1G000003"]),
        name=np.array([entity_name, "松江乙公司", "松江丙公司"]),
        entity_type=Categorical.from_values(["企业", "企业", "个体工商户"]),
        industry=Categorical.from_values(["F5221", "F5221", "F5222"]),
        area=Categorical.from_values(["岳阳街道", "方松街道", "中山街道"]),
        risk_class=np.array([1, 2, 3], dtype=np.uint8),
        tags=np.zeros(3, dtype=np.uint64),
        tag_names=(),
        last_inspected=np.array(["NaT"] * 3, dtype="datetime64[D]"),
    )
    valid = dt.date(2030, 1, 1)
    insp = (
        Inspector(inspector_id="P001", name="张三", department_id="D01", certificate_no="SH31000001",
                  certificate_valid_until=valid, fields=("食品",), area="岳阳街道"),
        Inspector(inspector_id="P002", name="李四", department_id="D01", certificate_no="SH31000002",
                  certificate_valid_until=valid, fields=("食品",), area="方松街道"),
        Inspector(inspector_id="P003", name="王五", department_id="D02", certificate_no="SH31000003",
                  certificate_valid_until=valid, fields=("卫生",), area="岳阳街道"),
        Inspector(inspector_id="P004", name="赵六", department_id="D02", certificate_no="SH31000004",
                  certificate_valid_until=valid, fields=("卫生",), area="中山街道", is_expert=True),
    )
    return Directory(departments=deps, supervision_items=sup, check_items=checks, joint_items=joint,
                     entities=ents, inspectors=insp,
                     digests={"entities.csv": "ab" * 32, "inspectors.csv": "cd" * 32})


def small_spec(tmp: Path, *, holidays: bool = True, authority: str = "松江区联席会议办公室",
               announced: bool = True, **extra: object) -> PlanSpec:
    if holidays:
        (tmp / "holidays-2027.toml").write_text(
            'year = 2027\nprovisional = true\nsource = "test"\nworkdays = []\n[holidays]\n"2027-01-01" = "元旦"\n',
            encoding="utf-8")
    return PlanSpec.model_validate({
        "plan_id": "test-2027Q1", "quarter": "2027Q1", "authority": authority, "announced": announced,
        "holidays": "holidays-2027.toml" if holidays else None,
        "seed": {"sources": ["福彩双色球 第2027003期", "上证指数 2027-01-08 收盘"],
                 "salt_commitment": None},
        "tasks": [
            {"task_id": "T001", "name": "食品销售者<检查>", "check_items": ["C0101", "C0102"],
             "population": {"entity_type": ["企业"], "industry_prefix": ["F52"]},
             "ratio": {"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.3}},
            {"task_id": "T002", "name": "食品卫生联合检查", "joint_item": "J001", "count": 2,
             "coordination": "apart"},
        ],
        "base_dir": str(tmp),
        **extra,
    })


def _strata(pop: int, sample: int) -> dict[str, StratumDraw]:
    return {k: StratumDraw(risk_class=k, population=pop, expected=f"{sample}.0", sample=sample,
                           probability=f"{sample / pop:.4f}") for k in ("A", "B", "C", "D")}


def small_plan(*, entity_name: str = "松江某某食品店", inspector: str = "P001",
               commitment: str | None = None) -> Plan:
    visits = (
        Visit(visit_id="V0001", entity_id="91310117MA1G000001", entity_name=entity_name,
              date=dt.date(2027, 1, 5), lead_department="D01", departments=("D01", "D02"),
              tasks=("T001", "T002"), check_items=("C0101", "C0102", "C0201"), fields=("食品", "卫生"),
              inspectors=(Assignment(inspector_id=inspector, department_id="D01"),
                          Assignment(inspector_id="P002", department_id="D01"),
                          Assignment(inspector_id="P003", department_id="D02"),
                          Assignment(inspector_id="P004", department_id="D02", is_expert=True))),
        Visit(visit_id="V0002", entity_id="91310117MA1G000003", entity_name="@SUM(A1)",
              date=dt.date(2027, 1, 6), lead_department="D01", departments=("D01",),
              tasks=("T001",), check_items=("C0101",), method="书面检查",
              inspectors=(Assignment(inspector_id="P001", department_id="D01"),
                          Assignment(inspector_id="P002", department_id="D01"))),
    )
    tasks = (
        PlanTask(task_id="T001", name="食品销售者<检查>", lead_department="D01", departments=("D01",),
                 task_seed="aa" * 32, strata=_strata(100, 3)),
        PlanTask(task_id="T002", name="食品卫生联合检查", lead_department="D01", departments=("D01", "D02"),
                 task_seed="bb" * 32, strata=_strata(50, 1), coordination="apart", start="0.5"),
    )
    return Plan(plan_id="test-2027Q1", quarter="2027Q1",
                seed={"key_string": "9319./2.5.8.10.12./", "salt_commitment": commitment, "seed_hex": "cc" * 32},
                inputs={"entities.csv": "ab" * 32, "inspectors.csv": "cd" * 32},
                software={"randsup": "0.1.0", "python": "3.11"}, tasks=tasks, visits=visits,
                alternates={"T001": ("91310117MA1G000002",)}, stats={"visits": 2, "solve_status": "OPTIMAL"})


def _files(tmp: Path, **kw: object) -> dict[str, bytes]:
    return render_plan(small_plan(**kw), spec=small_spec(tmp), directory=small_directory())  # type: ignore[arg-type]


def test_writes_every_file_of_architecture_8(tmp_path: Path) -> None:
    out = write_plan(small_plan(), tmp_path / "P", spec=small_spec(tmp_path), directory=small_directory())
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == ["calendar/holidays-2027.toml", "manifest.json", "plan.json", "public/draw-record.json",
                     "public/plan-notice.html", "public/plan-notice.md", "results-templates/D01.csv",
                     "results-templates/D01.xlsx", "results-templates/D02.csv", "results-templates/D02.xlsx",
                     "spec.json", "visits.csv", "visits.xlsx"]
    manifest = json.loads((out / MANIFEST_FILE).read_text("utf-8"))
    assert manifest["files"] == {n: hashlib.sha256((out / n).read_bytes()).hexdigest()
                                 for n in names if n != MANIFEST_FILE}
    assert list(manifest["files"]) == sorted(manifest["files"])


def test_plan_json_is_canonical_and_complete(tmp_path: Path) -> None:
    raw = _files(tmp_path)[PLAN_FILE]
    data = json.loads(raw)
    assert raw.endswith(b"\n") and b"\r" not in raw
    assert raw == (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
    assert data["format"] == "randsup-plan/1"
    for key in ("plan_id", "quarter", "seed", "inputs", "software", "tasks", "visits", "alternates", "stats"):
        assert key in data
    assert set(data["seed"]) == {"key_string", "salt_commitment", "seed_hex"}
    v = data["visits"][0]
    for key in ("visit_id", "entity_id", "entity_name", "date", "lead_department", "departments", "tasks",
                "check_items", "method", "inspectors"):
        assert key in v
    assert v["inspectors"][0] == {"inspector_id": "P001", "department_id": "D01", "is_expert": False}
    assert Plan.model_validate(data) == small_plan()  # round trip


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    a = write_plan(small_plan(), tmp_path / "A", spec=small_spec(tmp_path), directory=small_directory())
    b = write_plan(small_plan(), tmp_path / "B", spec=small_spec(tmp_path), directory=small_directory())
    for p in sorted(a.rglob("*")):
        if p.is_file():
            assert p.read_bytes() == (b / p.relative_to(a)).read_bytes(), p.name


def test_xlsx_has_fixed_timestamps(tmp_path: Path) -> None:
    data = _files(tmp_path)["visits.xlsx"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2027-01-01T00:00:00Z" in core


def test_public_files_carry_no_inspector_data_nor_entity_list(tmp_path: Path) -> None:
    d = small_directory()
    files = _files(tmp_path)
    public = {n: b.decode("utf-8") for n, b in files.items() if n.startswith("public/")}
    assert len(public) == 3
    for name, text in public.items():
        for i in d.inspectors:
            for secret in (i.name, i.certificate_no, i.inspector_id):
                assert secret not in text, (name, secret)
        for e in d.entities.entity_id.tolist() + d.entities.name.tolist():
            assert e not in text, (name, e)
        assert "V0001" not in text  # no visit list either
    # ...while the internal work list names the team.
    assert "张三" in files["visits.csv"].decode()


def test_draw_record_withholds_seeds_while_salt_is_secret(tmp_path: Path) -> None:
    open_rec = json.loads(_files(tmp_path)["public/draw-record.json"])
    assert open_rec["seed"]["seed_hex"] == "cc" * 32
    assert [t["ticket_seed"] for t in open_rec["tasks"]] == ["aa" * 32, "bb" * 32]
    assert open_rec["tasks"][1]["start"] == "0.5" and open_rec["tasks"][1]["coordination"] == "apart"
    assert open_rec["tasks"][0]["strata"]["B"]["population"] == 100
    assert open_rec["inputs"] == {"entities.csv": "ab" * 32, "inspectors.csv": "cd" * 32}
    assert open_rec["format"] == "randsup-draw-record/2" and open_rec["announced"] is True
    assert "consistent-sampler" in open_rec["rules"]["tickets"]
    assert open_rec["domains"]["size_rounding"] == "task/{task_id}/rounding"
    assert [t["rounding_domain"] for t in open_rec["tasks"]] == ["task/T001/rounding", "task/T002/rounding"]
    commitment = "sha256:" + "ee" * 32
    secret = json.loads(_files(tmp_path, commitment=commitment)["public/draw-record.json"])
    assert secret["seed"]["salt_commitment"] == commitment
    assert secret["seed"]["seed_hex"] is None and "salt" not in secret["seed"]
    assert all(t["ticket_seed"] is None for t in secret["tasks"])
    assert "cc" * 32 not in json.dumps(secret) and "aa" * 32 not in json.dumps(secret)


def test_notice_names_tasks_scope_ratios_sources_and_commitment(tmp_path: Path) -> None:
    commitment = "sha256:" + "ee" * 32
    md = _files(tmp_path, commitment=commitment)["public/plan-notice.md"].decode()
    for expected in ("抽查计划的公告", "松江区联席会议办公室", "test-2027Q1", "2027年1月1日至2027年3月31日",
                     "区市场监管局", "区卫生健康委", "食品经营许可情况检查", "定向：主体类型为企业",
                     "不定向", "| B类 | 3% | 100 |", "| D类 | 30% |", "抽查数量：2 户", "部门联合抽查事项：食品与卫生联合检查",
                     "福彩双色球 第2027003期", "上证指数 2027-01-08 收盘", commitment, "9319./2.5.8.10.12./",
                     "[抽取记录 draw-record.json](draw-record.json)", "无需名录库", "需要检查对象名录库方可核验"):
        assert expected in md, expected
    assert "C0101" not in md and "J001" not in md  # names, not internal codes


def test_notice_has_publication_date_sign_off_contact_and_raw_source_values(tmp_path: Path) -> None:
    from randsup.spec import with_office_options

    spec = with_office_options(small_spec(tmp_path), published_on=dt.date(2026, 12, 28),
                               contact="联系电话：021-57700000；投诉举报：12315",
                               source_values=("9319", "12 05 2 10 8"))  # as published, unsorted
    files = render_plan(small_plan(), spec=spec, directory=small_directory())
    md = files["public/plan-notice.md"].decode()
    page = files["public/plan-notice.html"].decode()
    for text in (md, page):
        assert "发布日期：2026年12月28日" in text
        assert "联系电话：021-57700000；投诉举报：12315" in text
        assert "福彩双色球 第2027003期：9319" in text and "上证指数 2027-01-08 收盘：12 05 2 10 8" in text
    assert md.rstrip().endswith("松江区联席会议办公室  \n2026年12月28日")  # 落款: authority, then date
    assert '<div class="sign">\n  <p>松江区联席会议办公室</p>\n  <p>2026年12月28日</p>\n</div>' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@page{size:A4" in page and '<a href="draw-record.json">' in page
    record = json.loads(files["public/draw-record.json"])
    assert record["seed"]["published_values"] == ["9319", "12 05 2 10 8"]
    assert record["notice"] == {"markdown": "plan-notice.md", "html": "plan-notice.html"}
    # Values that do not give the plan's key string are refused (a hand-edited spec.json).
    bad = with_office_options(small_spec(tmp_path), source_values=("9319", "2 5 8 10 13"))
    with pytest.raises(SpecError, match="published_values"):
        render_plan(small_plan(), spec=bad, directory=small_directory())


def test_notice_html_escapes_input_text(tmp_path: Path) -> None:
    spec = small_spec(tmp_path, authority="<script>alert(1)</script>&")
    html_text = render_plan(small_plan(), spec=spec, directory=small_directory())["public/plan-notice.html"].decode()
    assert "<script>" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in html_text
    assert "食品销售者&lt;检查&gt;" in html_text
    assert html_text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html_text


def _csv_cells(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "visits.csv starts with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _text(v: object) -> str:
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    return "" if v is None else str(v)


def _xlsx_cells(data: bytes) -> list[list[str]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [[_text(c.value) for c in row] for row in wb.active.iter_rows()]


def test_worklist_rows_and_formula_cells_are_neutralised(tmp_path: Path) -> None:
    spec = small_spec(tmp_path, worklist_headers="en")
    files = render_plan(small_plan(entity_name=EVIL), spec=spec, directory=small_directory())
    rows = _csv_cells(files["visits.csv"])
    assert rows[0] == [en for en, _ in WORKLIST_COLUMNS]
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["entity_name"] == "'" + EVIL
    assert first["lead_department"] == "区市场监管局"
    assert first["departments"] == "区市场监管局;区卫生健康委"
    assert first["inspectors"] == "P001 张三;P002 李四;P003 王五;P004 赵六（专家）"
    assert "C0102 -进货查验记录" in first["check_items"]
    assert first["task_ids"] == "T001;T002" and first["tasks"] == "食品销售者<检查>;食品卫生联合检查"
    assert dict(zip(rows[0], rows[2], strict=True))["entity_name"] == "'@SUM(A1)"
    xrows = _xlsx_cells(files["visits.xlsx"])
    assert xrows == rows  # the header language is the spec's choice for both files
    wb = openpyxl.load_workbook(io.BytesIO(files["visits.xlsx"]))
    date_col = rows[0].index("date")
    assert all(c.data_type == "s" for row in wb.active.iter_rows(min_row=2) for j, c in enumerate(row)
               if c.value and j != date_col)
    assert json.loads(files[SPEC_FILE])["worklist_headers"] == "en"  # recorded, so verify renders the same


def test_worklist_default_is_chinese_with_bom_dates_filter_and_department_sheets(tmp_path: Path) -> None:
    files = render_plan(small_plan(), spec=small_spec(tmp_path), directory=small_directory())
    assert files["visits.csv"].startswith(b"\xef\xbb\xbf\xe6\xa3\x80\xe6\x9f\xa5\xe7\xbc\x96\xe5\x8f\xb7")  # BOM 检查编号
    rows = _csv_cells(files["visits.csv"])
    assert rows[0] == [zh for _, zh in WORKLIST_COLUMNS]
    wb = openpyxl.load_workbook(io.BytesIO(files["visits.xlsx"]))
    assert wb.sheetnames == ["全部检查", "区市场监管局", "区卫生健康委"]
    for ws in wb.worksheets:
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(rows[0]))}{ws.max_row}"
        assert ws.freeze_panes == "A2"
        dates = [ws.cell(r, 2) for r in range(2, ws.max_row + 1)]
        assert all(c.is_date and isinstance(c.value, dt.datetime) for c in dates)
        assert [c.value for c in dates] == sorted(c.value for c in dates)
    # D02's officers go only on the joint visit V0001.
    assert [r[0].value for r in wb["区卫生健康委"].iter_rows(min_row=2)] == ["V0001"]
    assert [r[0].value for r in wb["区市场监管局"].iter_rows(min_row=2)] == ["V0001", "V0002"]


def test_worklist_sorted_by_date_then_lead_department(tmp_path: Path) -> None:
    plan = small_plan()
    v1, v2 = plan.visits
    later = v1.model_copy(update={"visit_id": "V0003", "date": dt.date(2027, 1, 4), "lead_department": "D02"})
    same_day = v2.model_copy(update={"visit_id": "V0000", "date": dt.date(2027, 1, 4)})
    plan = plan.model_copy(update={"visits": (v1, v2, later, same_day)})
    rows = _csv_cells(render_plan(plan, spec=small_spec(tmp_path), directory=small_directory())["visits.csv"])
    lead = rows[0].index("牵头部门")
    # 2027-01-04 first, D01 before D02 (department codes), then 01-05 and 01-06.
    assert [(r[1], r[lead], r[0]) for r in rows[1:3]] == [("2027-01-04", "区市场监管局", "V0000"),
                                                       ("2027-01-04", "区卫生健康委", "V0003")]
    assert [r[0] for r in rows[3:]] == ["V0001", "V0002"]


def test_worklist_shows_entity_contacts_only_internally(tmp_path: Path) -> None:
    d = small_directory()
    ents = dataclasses.replace(d.entities, address=np.array(["上海市松江区人民北路1号", "=cmd|' /C calc'!A0", ""]),
                               contact=np.array(["王某", "李某", ""]), phone=np.array(["021-50000001", "", ""]))
    d = dataclasses.replace(d, entities=ents)
    files = render_plan(small_plan(), spec=small_spec(tmp_path), directory=d)
    rows = _csv_cells(files["visits.csv"])
    assert rows[0][4:7] == ["住所（经营场所）", "联系人", "联系电话"]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["V0001"][4:7] == ["上海市松江区人民北路1号", "王某", "021-50000001"]
    assert by_id["V0002"][4:7] == ["", "", ""]
    xrows = {r[0]: r for r in _xlsx_cells(files["visits.xlsx"])[1:]}
    assert xrows["V0001"][4] == "上海市松江区人民北路1号"
    public = b"".join(v for k, v in files.items() if k.startswith("public/"))
    assert "人民北路".encode() not in public and b"021-50000001" not in public


def test_worklist_bytes_do_not_depend_on_the_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    first = render_plan(small_plan(), spec=small_spec(tmp_path), directory=small_directory())
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)
    monkeypatch.setattr(time, "localtime", lambda *a: time.struct_time((2033, 5, 18, 3, 33, 20, 2, 138, 0)))
    again = render_plan(small_plan(), spec=small_spec(tmp_path), directory=small_directory())
    assert first["visits.xlsx"] == again["visits.xlsx"]
    with zipfile.ZipFile(io.BytesIO(first["visits.xlsx"])) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@settings(max_examples=40, deadline=None)
@given(st.sampled_from("=+-@\t\r"), st.text(max_size=12))
def test_any_formula_start_is_neutralised_in_csv_and_xlsx(tmp_path_factory: pytest.TempPathFactory,
                                                          start: str, rest: str) -> None:
    tmp = tmp_path_factory.mktemp("f")
    name = start + rest
    files = render_plan(small_plan(entity_name=name), spec=small_spec(tmp), directory=small_directory())
    for cells in (_csv_cells(files["visits.csv"])[1:], _xlsx_cells(files["visits.xlsx"])[1:]):
        for row in cells:
            for c in row:
                assert not c.startswith(("=", "+", "-", "@", "\t", "\r")), repr(c)
    csv_rows, xlsx_rows = _csv_cells(files["visits.csv"]), _xlsx_cells(files["visits.xlsx"])
    assert csv_rows[1:] == xlsx_rows[1:]
    if start != "\r":  # a leading CR becomes LF, which no spreadsheet runs
        assert csv_rows[1][3].startswith("'" + start)


def test_existing_out_is_an_output_error_and_nothing_partial_is_left(tmp_path: Path) -> None:
    out = tmp_path / "P"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputError, match="exists already"):
        write_plan(small_plan(), out, spec=small_spec(tmp_path), directory=small_directory())
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["P", "holidays-2027.toml"]


def test_interrupted_write_leaves_no_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real = Path.write_bytes

    def flaky(self: Path, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky)
    with pytest.raises(KeyboardInterrupt):
        write_plan(small_plan(), tmp_path / "P", spec=small_spec(tmp_path), directory=small_directory())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["holidays-2027.toml"]


def test_spec_copy_reloads_to_the_same_spec(tmp_path: Path) -> None:
    spec = small_spec(tmp_path)
    files = render_plan(small_plan(), spec=spec, directory=small_directory())
    data = json.loads(files[SPEC_FILE])
    assert data["holidays"] == "calendar/holidays-2027.toml" and "base_dir" not in data
    again = PlanSpec.model_validate(data)
    assert again.model_dump(exclude={"base_dir", "holidays"}) == spec.model_dump(exclude={"base_dir", "holidays"})
    assert files["calendar/holidays-2027.toml"] == (tmp_path / "holidays-2027.toml").read_bytes()


def test_without_directory_ids_stand_in_for_names(tmp_path: Path) -> None:
    files = render_plan(small_plan(), spec=small_spec(tmp_path, holidays=False))
    header, row = _csv_cells(files["visits.csv"])[:2]
    assert row[header.index("牵头部门")] == "D01" and row[header.index("检查人员")].startswith("P001;P002")
    assert row[header.index("抽查任务名称")] == "食品销售者<检查>;食品卫生联合检查"
    assert row[header.index("检查对象类别")] == "市场主体"
    assert not any(n.startswith("calendar/") for n in files)


def test_write_plan_refuses_an_unannounced_plan_without_a_salt(tmp_path: Path) -> None:
    # The library refuses too, not only the CLI: such a plan's draw is computable from public values.
    spec = small_spec(tmp_path, announced=False)
    with pytest.raises(SpecError, match="salt new"):
        write_plan(small_plan(), tmp_path / "P", spec=spec, directory=small_directory())
    assert not (tmp_path / "P").exists()
    commitment = "sha256:" + "ee" * 32
    salted = spec.model_copy(update={"seed": spec.seed.model_copy(update={"salt_commitment": commitment})})
    assert write_plan(small_plan(commitment=commitment), tmp_path / "S", spec=salted,
                      directory=small_directory()).is_dir()
