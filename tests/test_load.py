"""load_directory and `randsup validate` on good input: every accepted form gives the same Directory.

Also holds the tiny-table helpers that tests/test_load_errors.py imports.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from typer.testing import CliRunner

import randsup
from randsup.cli import app
from randsup.inputs.save import save_directory, save_directory_xlsx
from randsup.inputs.uscc import check_character, org_check_character
from randsup.model import Directory

Tables = dict[str, tuple[list[str], list[list[str]]]]


def uscc(i: int, area: str = "310117") -> str:
    """A valid 统一社会信用代码 whose organisation body is the number i."""
    body = f"{i:08d}"
    first17 = "91" + area + body + org_check_character(body)
    return first17 + check_character(first17)


def good_tables(n_entities: int = 5) -> Tables:
    """A small, valid 一单两库 with every table and column of architecture §3."""
    return {
        "departments": (["department_id", "name"], [["D01", "区市场监管局"], ["D02", "区卫生健康委"],
                                                     ["D03", "区文化旅游局"]]),
        "supervision_items": (["item_id", "name", "department_id", "category", "legal_basis"], [
            ["S001", "食品销售监督检查", "D01", "重点", "《中华人民共和国食品安全法》第八十七条"],
            ["S002", "公共场所卫生检查", "D02", "一般", "《公共场所卫生管理条例》第十条"],
        ]),
        "check_items": (["check_item_id", "item_id", "department_id", "name", "field", "object_type",
                         "check_methods", "legal_basis"], [
            ["C0001", "S001", "D01", "食品销售者检查", "食品安全", "食品销售者", "现场检查;书面检查", "《食品安全法》"],
            ["C0002", "S002", "D02", "公共场所卫生检查", "卫生监督", "公共场所", "现场检查", "《条例》"],
        ]),
        "joint_items": (["joint_item_id", "name", "lead_department_id", "partner_department_ids",
                         "check_item_ids", "object_type"], [
            ["J001", "餐饮场所联合检查", "D01", "D02", "C0001;C0002", "餐饮服务"],
        ]),
        "entities": (["entity_id", "name", "entity_type", "industry", "area", "risk_class", "tags",
                      "last_inspected"], [
            [uscc(i), f"上海松江{i}号商贸有限公司", ("企业", "个体工商户")[i % 2], ("F5221", "H6210")[i % 2],
             ("中山街道", "泗泾镇", "九亭镇")[i % 3], "ABCD"[i % 4],
             ("", "经营异常名录", "经营异常名录;不予现场检查")[i % 3], ("", "2026-05-12")[i % 2]]
            for i in range(1, n_entities + 1)
        ]),
        "inspectors": (["inspector_id", "name", "department_id", "certificate_no", "certificate_valid_until",
                        "fields", "area", "is_expert", "max_visits_per_day", "max_visits_per_quarter"], [
            ["P001", "张三", "D01", "310117001", "2028-12-31", "食品安全", "中山街道", "否", "2", "60"],
            ["P002", "李四", "D02", "310117002", "2027-06-30", "卫生监督;食品安全", "泗泾镇", "false", "3", "40"],
            ["P003", "王五", "D01", "", "2027-12-31", "食品安全", "", "是", "", ""],
        ]),
        "conflicts": (["inspector_id", "entity_id", "reason"], [["P001", uscc(1), "亲属关系"]]),
        "unavailability": (["inspector_id", "start", "end", "reason"], [["P002", "2027-01-04", "2027-01-08", "培训"]]),
        "history": (["entity_id", "inspector_id", "department_id", "date"], [[uscc(2), "P001", "D01", "2026-05-12"]]),
    }


def write_dir(folder: Path, tables: Tables, encoding: str = "utf-8") -> Path:
    """Write each table as <name>.csv in ``encoding`` (``utf-8-sig`` adds the BOM)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables.items():
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
        (folder / f"{name}.csv").write_bytes(buf.getvalue().encode(encoding))
    return folder


def write_xlsx(path: Path, tables: Tables, sheet_names: dict[str, str] | None = None) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, (header, rows) in tables.items():
        ws = wb.create_sheet((sheet_names or {}).get(name, name))
        ws.append(header)
        for r in rows:
            ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def same(a: Directory, b: Directory) -> None:
    """Assert two directories hold the same data (digests aside)."""
    for f in ("departments", "supervision_items", "check_items", "joint_items", "inspectors", "conflicts",
              "unavailability", "history"):
        assert getattr(a, f) == getattr(b, f), f
    ea, eb = a.entities, b.entities
    for f in ("entity_id", "name", "risk_class", "tags"):
        np.testing.assert_array_equal(getattr(ea, f), getattr(eb, f), err_msg=f)
    np.testing.assert_array_equal(ea.last_inspected, eb.last_inspected)
    for f in ("entity_type", "industry", "area"):
        assert getattr(ea, f).categories == getattr(eb, f).categories, f
        np.testing.assert_array_equal(getattr(ea, f).codes, getattr(eb, f).codes, err_msg=f)
    assert ea.tag_names == eb.tag_names


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_dir(tmp_path / "data", good_tables())


def test_good_directory_loads_every_table(good: Path) -> None:
    d = randsup.load_directory(good)
    assert [x.department_id for x in d.departments] == ["D01", "D02", "D03"]
    assert d.supervision_items[0].category == "重点"
    assert d.check_items[0].check_methods == ("现场检查", "书面检查")
    assert d.joint_items[0].partner_department_ids == ("D02",)
    assert d.joint_items[0].check_item_ids == ("C0001", "C0002")
    p1, p2, p3 = d.inspectors
    assert (p1.is_expert, p2.is_expert, p3.is_expert) == (False, False, True)
    assert p2.fields == ("卫生监督", "食品安全") and p2.max_visits_per_day == 3
    assert (p3.max_visits_per_day, p3.max_visits_per_quarter) == (2, 60)  # empty cells: model defaults
    assert p1.certificate_valid_until == dt.date(2028, 12, 31)
    assert d.unavailability[0].start == dt.date(2027, 1, 4)
    assert d.history[0].entity_id == uscc(2) and d.conflicts[0].reason == "亲属关系"


def test_entities_are_columnar(good: Path) -> None:
    e = randsup.load_directory(good).entities
    assert len(e) == 5 and e.entity_id.dtype == np.dtype("<U18")
    assert e.entity_id.tolist() == [uscc(i) for i in range(1, 6)]
    assert e.risk_class.dtype == np.uint8 and e.risk_class.tolist() == [1, 2, 3, 0, 1]
    assert e.entity_type.categories == ("个体工商户", "企业")  # sorted
    assert e.entity_type.values().tolist() == ["个体工商户", "企业", "个体工商户", "企业", "个体工商户"]
    assert e.area.categories == ("中山街道", "九亭镇", "泗泾镇")
    assert e.tag_names == ("不予现场检查", "经营异常名录")
    assert e.tags_of(0) == ("经营异常名录",) and e.tags_of(1) == ("不予现场检查", "经营异常名录")
    assert e.tags_of(2) == ()
    assert e.has_tag("经营异常名录").tolist() == [True, True, False, True, True]
    assert np.isnat(e.last_inspected[1]) and e.last_inspected[0] == np.datetime64("2026-05-12")


def test_digests_are_sha256_of_each_file_sorted(good: Path) -> None:
    d = randsup.load_directory(good)
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in good.glob("*.csv")}
    assert d.digests == expected
    assert list(d.digests) == sorted(d.digests)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_bom_and_gb18030_read_like_utf8(tmp_path: Path, good: Path, encoding: str) -> None:
    other = randsup.load_directory(write_dir(tmp_path / encoding, good_tables(), encoding))
    same(randsup.load_directory(good), other)
    if encoding == "gb18030":  # the bytes really differ from UTF-8
        assert (tmp_path / encoding / "entities.csv").read_bytes() != (good / "entities.csv").read_bytes()


CHINESE_HEADERS = {
    "departments": ["部门编码", "部门名称"],
    "supervision_items": ["监管事项编码", "监管事项名称", "部门编码", "事项类别", "检查依据"],
    "check_items": ["检查实施清单编码", "监管事项编码", "部门编码", "检查事项", "执法领域", "检查对象", "检查方式",
                    "检查依据"],
    "joint_items": ["联合抽查事项编码", "抽查事项", "发起部门", "配合部门", "检查实施清单编码", "检查对象"],
    "entities": ["统一社会信用代码", "名称", "主体类型", "行业代码", "所属街镇", "信用风险分类", "标签", "上次抽查日期"],
    "inspectors": ["人员编码", "姓名", "部门编码", "执法证号", "执法证有效期至", "执法领域", "所属街镇", "是否专家",
                   "每日最多检查户数", "每季度最多检查户数"],
    "conflicts": ["人员编码", "统一社会信用代码", "回避原因"],
    "unavailability": ["人员编码", "开始日期", "结束日期", "原因"],
    "history": ["统一社会信用代码", "人员编码", "部门编码", "检查日期"],
}


def test_chinese_headers_and_gb18030(tmp_path: Path, good: Path) -> None:
    tables = {name: (CHINESE_HEADERS[name], rows) for name, (_, rows) in good_tables().items()}
    same(randsup.load_directory(good), randsup.load_directory(write_dir(tmp_path / "cn", tables, "gb18030")))


def test_header_variants_title_rows_extra_columns_and_column_order(tmp_path: Path, good: Path) -> None:
    tables = good_tables()
    header, rows = tables["entities"]
    # Reversed columns, "english [中文]" and full-width forms, an unknown column, a title row above.
    header = ["备注"] + [f"{h} [{c}]" if j % 2 else h.upper().replace("_", " ")
                         for j, (h, c) in enumerate(zip(header, CHINESE_HEADERS["entities"], strict=True))]
    header[1] = "ＥＮＴＩＴＹ＿ＩＤ"
    rows = [["随便"] + r for r in rows]
    tables["entities"] = (["松江区检查对象名录库（2027年第一季度）"], [header[::-1], *[r[::-1] for r in rows]])
    tables["departments"] = (["部门代码", "名称"], tables["departments"][1])
    d = randsup.load_directory(write_dir(tmp_path / "v", tables))
    same(randsup.load_directory(good), d)


def test_cells_are_trimmed_lists_split_on_both_semicolons(tmp_path: Path) -> None:
    tables = good_tables()
    tables["joint_items"][1][0][3:5] = [" D02 ；; ", "C0001 ；C0002;"]
    tables["inspectors"][1][1][5] = "卫生监督；食品安全 ;"
    tables["check_items"][1][0][6] = "现场检查、书面检查;现场检查"  # 、 as in published lists; repeats once
    tables["departments"][1][0] = ["  D01\t", " 区市场监管局 "]
    d = randsup.load_directory(write_dir(tmp_path / "t", tables))
    assert d.joint_items[0].partner_department_ids == ("D02",)
    assert d.joint_items[0].check_item_ids == ("C0001", "C0002")
    assert d.inspectors[1].fields == ("卫生监督", "食品安全")
    assert d.check_items[0].check_methods == ("现场检查", "书面检查")
    assert d.departments[0].model_dump() == {"department_id": "D01", "name": "区市场监管局"}


def test_short_rows_are_padded_and_blank_rows_skipped(tmp_path: Path) -> None:
    t = good_tables()
    t["entities"][1][0][6:] = ["", ""]
    expected = randsup.load_directory(write_dir(tmp_path / "plain", t))
    folder = write_dir(tmp_path / "ragged", t)
    lines = (folder / "entities.csv").read_bytes().decode().split("\r\n")
    assert lines[1].endswith(",,")
    lines[1] = lines[1][:-2]  # an exporter that drops trailing empty cells
    lines[3:3] = ["", ",,,,,,,", "   "]  # a blank line, a row of empty cells, a row of blanks
    (folder / "entities.csv").write_bytes("\r\n".join(lines).encode())
    same(expected, randsup.load_directory(folder))


@pytest.mark.parametrize(("text", "expert"), [("true", True), ("1", True), ("YES", True), ("是", True),
                                              ("Y", True), ("false", False), ("0", False), ("no", False),
                                              ("否", False), ("n", False), ("", False)])
def test_boolean_spellings(tmp_path: Path, text: str, expert: bool) -> None:
    tables = good_tables()
    tables["inspectors"][1][0][7] = text
    assert randsup.load_directory(write_dir(tmp_path / "b", tables)).inspectors[0].is_expert is expert


@pytest.mark.parametrize("text", ["2028-03-05", "2028/03/05", "2028/3/5", "20280305", "2028年3月5日",
                                  "2028-03-05 00:00:00"])
def test_date_spellings(tmp_path: Path, text: str) -> None:
    tables = good_tables()
    tables["inspectors"][1][0][4] = text
    tables["entities"][1][0][7] = text
    d = randsup.load_directory(write_dir(tmp_path / "d", tables))
    assert d.inspectors[0].certificate_valid_until == dt.date(2028, 3, 5)
    assert d.entities.last_inspected[0] == np.datetime64("2028-03-05")


def test_optional_tables_and_columns_may_be_absent(tmp_path: Path) -> None:
    tables = good_tables()
    for name in ("conflicts", "unavailability", "history"):
        del tables[name]
    h, rows = tables["entities"]
    tables["entities"] = (h[:6], [r[:6] for r in rows])  # no tags, no last_inspected
    h, rows = tables["inspectors"]
    tables["inspectors"] = (h[:7], [r[:7] for r in rows])  # no is_expert or caps
    tables["inspectors"][1][2][3] = "310117003"  # without is_expert, P003 needs a certificate
    tables["joint_items"] = (tables["joint_items"][0], [])  # a header alone: no joint items
    d = randsup.load_directory(write_dir(tmp_path / "o", tables))
    assert d.conflicts == d.unavailability == d.history == d.joint_items == ()
    assert d.entities.tag_names == () and not d.entities.tags.any()
    assert np.isnat(d.entities.last_inspected).all()
    assert all(not i.is_expert and i.max_visits_per_quarter == 60 for i in d.inspectors)
    assert set(d.digests) == {f"{n}.csv" for n in tables}


def test_file_and_sheet_names_ignore_case_and_accept_chinese(tmp_path: Path, good: Path) -> None:
    folder = write_dir(tmp_path / "names", good_tables())
    (folder / "entities.csv").rename(folder / "检查对象名录库.csv")
    (folder / "departments.csv").rename(folder / "Departments.CSV")
    same(randsup.load_directory(good), randsup.load_directory(folder))


def test_xlsx_workbook_path_or_only_file_in_folder(tmp_path: Path, good: Path) -> None:
    book = write_xlsx(tmp_path / "book" / "一单两库.xlsx", good_tables(), {"entities": "检查对象名录库"})
    by_path = randsup.load_directory(book)
    by_folder = randsup.load_directory(book.parent)
    same(randsup.load_directory(good), by_path)
    same(by_path, by_folder)
    assert by_path.digests == {"一单两库.xlsx": hashlib.sha256(book.read_bytes()).hexdigest()}


def test_xlsx_typed_cells_become_text(tmp_path: Path, good: Path) -> None:
    tables = good_tables()
    book = tmp_path / "typed.xlsx"
    write_xlsx(book, tables)
    from openpyxl import load_workbook

    wb = load_workbook(book)
    ws = wb["inspectors"]
    ws["E2"] = dt.datetime(2028, 12, 31)  # a real Excel date, not text
    ws["I2"], ws["J2"] = 2, 60.0  # numbers
    ws["H2"] = False
    wb.save(book)
    same(randsup.load_directory(good), randsup.load_directory(book))


def test_csv_beside_a_stray_workbook_wins(tmp_path: Path, good: Path) -> None:
    write_xlsx(good / "old-export.xlsx", {"departments": (["x"], [])})
    d = randsup.load_directory(good)
    assert "old-export.xlsx" not in d.digests and len(d.entities) == 5


def test_validate_cli_prints_counts_and_exits_0(good: Path) -> None:
    r = CliRunner().invoke(app, ["validate", str(good)])
    assert r.exit_code == 0, r.stderr
    assert "3 departments" in r.stdout and "5 entities" in r.stdout and "1 joint items" in r.stdout
    assert len(r.stdout.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------
# Round trips: load → save → load is the identity, for CSV and for XLSX.

# Cell text: CJK, Latin, digits, CSV specials (comma, quote) and formula starters that
# randsup.io neutralises with a leading apostrophe. Values are as a load leaves them: trimmed.
# (A line break in a name becomes a space on loading, so it does not round-trip: test_hostile.py.)
_CHARS = st.sampled_from(list("松江区市场监管局食品安全企业abcXYZ0129 ,\"=+-@|/[]"))
_text = st.text(_CHARS, min_size=1, max_size=12).map(str.strip).filter(bool)
_code = st.text(st.sampled_from(list("ABCD0123456789-_")), min_size=1, max_size=6)
_date = st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)).map(dt.date.isoformat)


@st.composite
def _tables(draw: st.DrawFn) -> Tables:
    t = good_tables(0)
    depts = draw(st.lists(_code, min_size=1, max_size=4, unique=True))
    t["departments"] = (t["departments"][0], [[c, draw(_text)] for c in depts])
    items = draw(st.lists(_code, min_size=1, max_size=3, unique=True))
    t["supervision_items"] = (t["supervision_items"][0], [
        [i, draw(_text), draw(st.sampled_from(depts)), draw(st.sampled_from(["一般", "重点"])), draw(_text)]
        for i in items])
    checks = draw(st.lists(_code, min_size=1, max_size=3, unique=True))
    t["check_items"] = (t["check_items"][0], [
        [c, draw(st.sampled_from(items)), depts[0], draw(_text), draw(_text), draw(_text),
         ";".join(draw(st.lists(st.sampled_from(["现场检查", "书面检查", "网络监测", "专业机构核查"]),
                                min_size=1, max_size=4, unique=True))), draw(_text)] for c in checks])
    t["joint_items"] = (t["joint_items"][0], [
        [j, draw(_text), depts[0], ";".join(draw(st.lists(st.sampled_from(depts), max_size=3))),
         ";".join(draw(st.lists(st.sampled_from(checks), min_size=1, max_size=3))), draw(_text)]
        for j in draw(st.lists(_code, max_size=2, unique=True))])
    ids = draw(st.lists(st.integers(0, 10**8 - 1), min_size=1, max_size=8, unique=True))
    tag = st.sampled_from(["经营异常名录", "不予现场检查", "=重点", "-x"])
    t["entities"] = (t["entities"][0], [
        [uscc(i), draw(_text), draw(st.sampled_from(["企业", "个体工商户", "农民专业合作社", "其他"])),
         draw(st.sampled_from(["", "F52", "F5221", "C391", "A01"])), draw(st.sampled_from(["", "中山街道", "=x"])),
         draw(st.sampled_from("ABCD")), ";".join(draw(st.lists(tag, max_size=3, unique=True))),
         draw(st.sampled_from(["", "2026-05-12", "1999-12-31"]))] for i in ids])
    people = draw(st.lists(_code, min_size=1, max_size=3, unique=True))
    t["inspectors"] = (t["inspectors"][0], [
        [p, draw(_text), draw(st.sampled_from(depts)), draw(_text), draw(_date),
         ";".join(draw(st.lists(_text, max_size=2))), draw(st.sampled_from(["", "泗泾镇"])),
         draw(st.sampled_from(["true", "false"])), str(draw(st.integers(1, 9))), str(draw(st.integers(1, 99)))]
        for p in people])
    t["conflicts"] = (t["conflicts"][0], [[draw(st.sampled_from(people)), uscc(ids[0]), draw(_text)]])
    t["unavailability"] = (t["unavailability"][0], [[people[0], "2027-01-04", "2027-01-04", ""]])
    t["history"] = (t["history"][0], [[uscc(ids[-1]), people[-1], depts[-1], draw(_date)]])
    return t


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=_tables())
def test_load_save_load_round_trip(tmp_path_factory: pytest.TempPathFactory, tables: Tables) -> None:
    base = tmp_path_factory.mktemp("rt")
    first = randsup.load_directory(write_dir(base / "in", tables))
    save_directory(first, base / "saved")
    second = randsup.load_directory(base / "saved")
    same(first, second)
    save_directory(second, base / "again")  # and the canonical files are a fixed point, byte for byte
    assert {p.name: p.read_bytes() for p in (base / "saved").iterdir()} == \
        {p.name: p.read_bytes() for p in (base / "again").iterdir()}
    save_directory_xlsx(first, base / "book.xlsx")
    same(first, randsup.load_directory(base / "book.xlsx"))
    # What was written is what was read: spot-check cells against the generated tables.
    assert [d.department_id for d in first.departments] == [r[0] for r in tables["departments"][1]]
    assert first.entities.name.tolist() == [r[1] for r in tables["entities"][1]]
