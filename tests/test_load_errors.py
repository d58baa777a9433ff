"""Bad input: every problem is reported in one run, with file, row and column, and nothing loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from test_load import good_tables, uscc, write_dir, write_xlsx
from typer.testing import CliRunner

import randsup
from randsup import InputError, Problem
from randsup.cli import app
from randsup.inputs.uscc import ALPHABET, uscc_problem


def problems(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        randsup.load_directory(path)
    assert info.value.exit_code == 2
    return info.value.problems


def where(ps: list[Problem]) -> set[tuple[str, int | None, str | None]]:
    return {(p.file, p.row, p.column) for p in ps}


def only(path: Path) -> Problem:
    ps = problems(path)
    assert len(ps) == 1, ps
    return ps[0]


# ---------------------------------------------------------------------------------------
# The example: four different mistakes, four messages, exit code 2.


def four_mistakes(folder: Path) -> Path:
    t = good_tables()
    good_id = t["entities"][1][2][0]
    t["entities"][1][2][0] = good_id[:17] + ("0" if good_id[17] != "0" else "1")  # wrong check digit, row 4
    t["entities"][1].append(list(t["entities"][1][3]))  # a duplicate of row 5's entity id, on row 7
    t["inspectors"][1][1][2] = "D99"  # an inspector in an unknown department
    t["check_items"][1][1][1] = "S404"  # a check item pointing at a missing supervision item
    return write_dir(folder, t)


EXPECTED = {("entities.csv", 4, "entity_id"), ("entities.csv", 7, "entity_id"),
            ("inspectors.csv", 3, "department_id"), ("check_items.csv", 3, "item_id")}


def test_four_mistakes_give_four_problems_from_the_library(tmp_path: Path) -> None:
    ps = problems(four_mistakes(tmp_path / "d"))
    assert where(ps) == EXPECTED and len(ps) == 4
    text = {(p.file, p.row): p.why for p in ps}
    assert f"expected {uscc(3)[17]!r}" in text[("entities.csv", 4)]
    assert "row 5 has it too" in text[("entities.csv", 7)]
    assert "D99 is not in departments.csv" in text[("inspectors.csv", 3)]
    assert "S404 is not in supervision_items.csv" in text[("check_items.csv", 3)]


def test_four_mistakes_exit_2_with_one_line_each_and_no_traceback(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["validate", str(four_mistakes(tmp_path / "d"))])
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("  - ")]
    assert len(lines) == 4
    for file, row, column in EXPECTED:
        assert any(f"{file}, row {row}, column {column}" in ln for ln in lines), (file, row)
    assert "Traceback" not in r.stderr and "4 problems" in r.stderr


@settings(max_examples=40, deadline=None)
@given(i=st.integers(0, 10**8 - 1), pos=st.integers(0, 17), char=st.sampled_from(ALPHABET), row=st.integers(0, 4))
def test_any_single_character_change_of_a_code_is_caught(tmp_path_factory: pytest.TempPathFactory, i: int,
                                                        pos: int, char: str, row: int) -> None:
    """GB 32100 catches every single substitution (mod-31 check, 31 prime); load names the row."""
    t = good_tables()
    code = uscc(i)
    assume(code[pos] != char)
    bad = code[:pos] + char + code[pos + 1:]
    t["entities"][1][row][0] = bad
    t["conflicts"] = (t["conflicts"][0], [])
    t["history"] = (t["history"][0], [])
    assert len(code) == 18
    p = only(write_dir(tmp_path_factory.mktemp("u"), t))
    assert (p.file, p.row, p.column, p.value) == ("entities.csv", row + 2, "entity_id", bad)
    assert p.why.startswith(uscc_problem(bad) or "?")


def test_every_kind_of_bad_cell_is_reported_at_once(tmp_path: Path) -> None:
    t = good_tables()
    t["departments"][1].append(["D01", "重复部门"])  # row 5: duplicate id
    t["supervision_items"][1][0][3] = "特别"  # category
    t["check_items"][1][0][6] = "电话检查"  # check method
    t["joint_items"][1][0][3:5] = ["D02;D77", "C0001;C0999"]  # unknown partner and check item
    t["entities"][1][0][2] = "基金会"  # entity type (not a 市场主体 form; "公司" maps to 企业)
    t["entities"][1][1][5] = "E"  # risk class
    t["entities"][1][2][7] = "2026-02-30"  # no such day
    t["entities"][1][3][3] = "G5221"  # division 52 is in section F ("5221" alone maps to F5221)
    t["entities"][1][4][1] = ""  # no name
    t["inspectors"][1][0][4] = "明年"  # not a date
    t["inspectors"][1][0][7] = "也许"  # not a boolean
    t["inspectors"][1][1][8] = "0"  # cap below 1
    t["inspectors"][1][1][3] = ""  # certificate missing for a non-expert
    t["unavailability"][1].append(["P002", "2027-02-10", "2027-02-01", ""])  # ends before it starts
    t["conflicts"][1].append(["P404", uscc(999), "x"])  # unknown inspector and entity
    t["history"][1].append([uscc(998), "P001", "D66", "2026-01-05"])  # unknown entity and department
    ps = problems(write_dir(tmp_path / "d", t))
    assert where(ps) == {
        ("departments.csv", 5, "department_id"),
        ("supervision_items.csv", 2, "category"),
        ("check_items.csv", 2, "check_methods"),
        ("joint_items.csv", 2, "partner_department_ids"), ("joint_items.csv", 2, "check_item_ids"),
        ("entities.csv", 2, "entity_type"), ("entities.csv", 3, "risk_class"),
        ("entities.csv", 4, "last_inspected"), ("entities.csv", 5, "industry"), ("entities.csv", 6, "name"),
        ("inspectors.csv", 2, "certificate_valid_until"), ("inspectors.csv", 2, "is_expert"),
        ("inspectors.csv", 3, "max_visits_per_day"), ("inspectors.csv", 3, "certificate_no"),
        ("unavailability.csv", 3, "end"),
        ("conflicts.csv", 3, "inspector_id"), ("conflicts.csv", 3, "entity_id"),
        ("history.csv", 3, "entity_id"), ("history.csv", 3, "department_id"),
    }, sorted(where(ps), key=str)
    by = {(p.file, p.row, p.column): p.why for p in ps}
    assert "一般 or 重点" in by[("supervision_items.csv", 2, "category")]
    assert "A, B, C or D" in by[("entities.csv", 3, "risk_class")]
    assert "no day 2026-02-30" in by[("entities.csv", 4, "last_inspected")]
    assert "F5221" in by[("entities.csv", 5, "industry")]
    assert "YYYY-MM-DD" in by[("inspectors.csv", 2, "certificate_valid_until")]


def test_joint_check_item_of_a_department_not_taking_part(tmp_path: Path) -> None:
    t = good_tables()
    t["joint_items"][1][0][3] = ""  # D02 no longer a partner, but C0002 is D02's
    p = only(write_dir(tmp_path / "d", t))
    assert (p.file, p.row, p.column, p.value) == ("joint_items.csv", 2, "check_item_ids", "C0002")
    assert "neither the lead nor a partner" in p.why


def test_broken_rows_do_not_cascade_into_unknown_references(tmp_path: Path) -> None:
    t = good_tables()
    t["departments"][1][0][1] = ""  # D01's name is missing; D01 still exists for references
    p = only(write_dir(tmp_path / "d", t))
    assert (p.file, p.row, p.column) == ("departments.csv", 2, "name")


def test_many_problems_in_a_column_are_counted_after_the_first_hundred(tmp_path: Path) -> None:
    t = good_tables(250)
    for r in t["entities"][1]:
        r[5] = "X"
    ps = problems(write_dir(tmp_path / "d", t))
    listed = [p for p in ps if p.row is not None]
    assert len(listed) == 100 and [p.row for p in listed] == list(range(2, 102))
    assert len(ps) == 101 and "150 more problems" in ps[-1].why and "250 in all" in ps[-1].why


def test_row_numbers_count_title_rows_and_blank_lines_like_a_spreadsheet(tmp_path: Path) -> None:
    t = good_tables()
    header, rows = t["departments"]
    rows[2][1] = ""
    t["departments"] = (["松江区部门名录"], [[], header, rows[0], [], rows[1], rows[2]])
    p = only(write_dir(tmp_path / "d", t))
    assert (p.file, p.row, p.column) == ("departments.csv", 7, "name")


# ---------------------------------------------------------------------------------------
# Whole files that are wrong: each gets its own message.


def test_missing_folder(tmp_path: Path) -> None:
    p = only(tmp_path / "nowhere")
    assert "does not exist" in p.why


def test_missing_required_file_names_it(tmp_path: Path) -> None:
    folder = write_dir(tmp_path / "d", good_tables())
    (folder / "inspectors.csv").rename(folder / "staff.csv")
    p = only(folder)
    assert p.file == "inspectors.csv" and "required file is missing" in p.why
    assert "执法检查人员名录库.csv" in p.why and "staff.csv" in p.why


def test_empty_file_of_zero_bytes(tmp_path: Path) -> None:
    folder = write_dir(tmp_path / "d", good_tables())
    (folder / "departments.csv").write_bytes(b"")
    ps = problems(folder)
    assert ps[0].file == "departments.csv" and "empty (0 bytes)" in ps[0].why
    assert len(ps) == 1  # no cascade of "unknown department" problems


def test_header_only_where_rows_are_required(tmp_path: Path) -> None:
    t = good_tables()
    t["inspectors"] = (t["inspectors"][0], [])
    t["conflicts"] = (t["conflicts"][0], [])
    t["unavailability"] = (t["unavailability"][0], [])
    p = only(write_dir(tmp_path / "d", t))
    assert p.file == "inspectors.csv" and "header but no rows" in p.why


def test_missing_required_column_names_accepted_headers(tmp_path: Path) -> None:
    t = good_tables()
    h, rows = t["entities"]
    t["entities"] = ([c for c in h if c != "risk_class"], [[v for c, v in zip(h, r, strict=True)
                                                           if c != "risk_class"] for r in rows])
    p = only(write_dir(tmp_path / "d", t))
    assert (p.file, p.row, p.column) == ("entities.csv", 1, "risk_class")
    assert "missing column risk_class" in p.why and "信用风险分类" in p.why


def test_undecodable_encoding(tmp_path: Path) -> None:
    folder = write_dir(tmp_path / "d", good_tables())
    (folder / "departments.csv").write_bytes(b"department_id,name\nD01,\xff\xfe\xff\xff\n")
    p = only(folder)
    assert p.file == "departments.csv" and p.row == 2
    assert "neither UTF-8 nor GB18030" in p.why and "CSV UTF-8" in p.why


def test_mixed_encodings_after_the_first_mebibyte(tmp_path: Path) -> None:
    t = good_tables()
    t["departments"][1].extend([f"X{i:06d}", "部门" * 20] for i in range(20_000))  # > 1 MiB of UTF-8
    folder = write_dir(tmp_path / "d", t)
    with (folder / "departments.csv").open("ab") as f:
        f.write("Z1,松江\r\n".encode("gb18030"))
    p = only(folder)
    assert p.row == 20_005 and "not valid UTF-8" in p.why


def test_utf16_export(tmp_path: Path) -> None:
    folder = write_dir(tmp_path / "d", good_tables())
    (folder / "departments.csv").write_bytes("department_id\tname\nD01\t局\n".encode("utf-16"))
    p = only(folder)
    assert "UTF-16" in p.why


def test_huge_cell_is_named_not_echoed(tmp_path: Path) -> None:
    t = good_tables()
    t["entities"][1][2][1] = "巨" * 10_000_000  # a 10 MB (30 MB in UTF-8) cell
    err = problems(write_dir(tmp_path / "d", t))
    assert [(p.file, p.row) for p in err] == [("entities.csv", 4)]
    assert "larger than" in err[0].why and "KiB" in err[0].why
    assert len(str(InputError(err))) < 600


@pytest.mark.parametrize(("content", "says"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (b"<!DOCTYPE html><html><body><table><tr><td>D01</td></tr></table></body></html>", "HTML"),
    (b"PK\x03\x04\x14\x00\x00\x00", "workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel (.xls)"),
    ("department_id;name\nD01;区市场监管局\n".encode(), "separated by semicolons"),
    ("部门编码\t部门名称\nD01\t区市场监管局\n".encode(), "separated by tabs"),
    (b"just some words\nand more\n", "no recognised header"),
])
def test_file_that_is_not_a_table(tmp_path: Path, content: bytes, says: str) -> None:
    folder = write_dir(tmp_path / "d", good_tables())
    (folder / "departments.csv").write_bytes(content)
    p = only(folder)
    assert p.file == "departments.csv" and says in p.why


def test_row_with_more_cells_than_the_header(tmp_path: Path) -> None:
    t = good_tables()
    t["departments"][1][1] = ["D02", "区卫生", "健康委"]  # an unquoted comma split the name
    p = only(write_dir(tmp_path / "d", t))
    assert (p.file, p.row) == ("departments.csv", 3) and "unquoted comma" in p.why


def test_duplicate_table_files(tmp_path: Path) -> None:
    folder = write_dir(tmp_path / "d", good_tables())
    (folder / "检查对象名录库.csv").write_bytes((folder / "entities.csv").read_bytes())
    p = only(folder)
    assert "both the entities table" in p.why


def test_duplicate_headers(tmp_path: Path) -> None:
    t = good_tables()
    t["departments"] = (["department_id", "name", "部门名称"], [r + [r[1]] for r in t["departments"][1]])
    p = only(write_dir(tmp_path / "d", t))
    assert (p.file, p.row) == ("departments.csv", 1) and "both mean name" in p.why


# ---------------------------------------------------------------------------------------
# Workbooks.


def test_workbook_missing_a_sheet(tmp_path: Path) -> None:
    t = good_tables()
    del t["check_items"]
    p = only(write_xlsx(tmp_path / "book.xlsx", t))
    assert p.file == "book.xlsx" and "no sheet 'check_items'" in p.why and "entities" in p.why


def test_workbook_cell_problems_name_the_sheet(tmp_path: Path) -> None:
    t = good_tables()
    t["entities"][1][0][5] = "Z"
    p = only(write_xlsx(tmp_path / "book.xlsx", t))
    assert (p.file, p.row, p.column) == ("book.xlsx, sheet entities", 2, "risk_class")


def test_workbook_code_stored_as_a_number(tmp_path: Path) -> None:
    t = good_tables()
    book = write_xlsx(tmp_path / "book.xlsx", t)
    from openpyxl import load_workbook

    wb = load_workbook(book)
    wb["conflicts"]["B2"] = 913101170000000190  # Excel keeps 15 significant digits of this
    wb.save(book)
    ps = problems(book)
    assert ("book.xlsx, sheet conflicts", 2, "B") in where(ps)
    assert any("15 digits" in p.why and "Text" in p.why for p in ps)


@pytest.mark.parametrize(("name", "content", "says"), [
    ("book.xlsx", b"this is not a zip", "not a valid .xlsx"),
    ("book.xlsx", b"PK\x03\x04broken", "cannot be opened"),
    ("book.xls", b"\xd0\xcf\x11\xe0", "Excel 97-2003"),
    ("entities.csv", b"x", "give the folder"),
])
def test_workbook_path_that_is_not_a_workbook(tmp_path: Path, name: str, content: bytes, says: str) -> None:
    (tmp_path / name).write_bytes(content)
    p = only(tmp_path / name)
    assert p.file == name and says in p.why


def test_two_workbooks_and_no_csv(tmp_path: Path) -> None:
    for n in ("a.xlsx", "b.xlsx"):
        wb = Workbook()
        wb.save(tmp_path / n)
    p = only(tmp_path)
    assert "keep exactly one workbook" in p.why


def test_markup_like_values_print_verbatim(tmp_path: Path) -> None:
    t = good_tables()
    t["entities"][1][0][5] = "[/x][bold]"  # rich markup must not eat or choke on user data
    r = CliRunner().invoke(app, ["validate", str(write_dir(tmp_path / "d", t))])
    assert r.exit_code == 2 and "'[/x][bold]'" in r.stderr
