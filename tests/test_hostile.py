"""Hostile input through the CLI (issue 13): every bad input gets a clean exit, names its file, changes nothing.

The cases run in subprocesses, three at a time, on copies of one shared workspace (see
tests/hostile.py). Each case is its own test; the subprocess runs happen once per session.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from hostile import (
    DATA,
    LEDGER,
    PLAN,
    SALT,
    SOURCES,
    SPEC,
    Case,
    Outcome,
    add_ledger_record,
    build_workspace,
    edit_lines,
    first_visit,
    foreign_sqlite,
    plan_args,
    randsup,
    replace_text,
    results_csv,
    run_all,
    save_with_control_characters,
    set_cell,
    tree_state,
)

CASES: list[Case] = []


def case(name: str, category: str, *, exit_code: int = 2, names: tuple[str, ...] = (),
         env: dict[str, str] | None = None):  # noqa: ANN201
    def register(prepare):  # noqa: ANN001, ANN202
        CASES.append(Case(name, category, prepare, exit_code, names, env or {}))
        return prepare
    return register


# --- CLI paths and the operating system ----------------------------------------------------

@case("out_below_a_file", "paths", names=("afile", "not a folder"))
def _(ws: Path) -> list[str]:
    (ws / "afile").write_text("x")
    return plan_args(out="afile/sub")


@case("out_exists", "paths", names=("P", "exists already"))
def _(ws: Path) -> list[str]:
    return plan_args(out=PLAN)


for _errno, _hint in (("EACCES", "permissions"), ("ENOTDIR", "not a folder"), ("ENAMETOOLONG", "too long"),
                      ("ENOSPC", "disk is full"), ("EROFS", "read-only")):
    case(f"out_fault_{_errno.lower()}", "paths", names=("OUT", _hint), env={"RANDSUP_TEST_FAULT": _errno})(
        lambda ws: plan_args())
    case(f"demo_data_fault_{_errno.lower()}", "paths", names=("NEW", _hint), env={"RANDSUP_TEST_FAULT": _errno})(
        lambda ws: ["demo-data", "NEW", "--entities", "300", "--inspectors", "200"])


@case("data_folder_missing", "paths", names=("nowhere", "does not exist"))
def _(ws: Path) -> list[str]:
    return ["plan", "nowhere", SPEC, *SOURCES, "--salt-file", SALT, "--out", "OUT"]


@case("data_is_one_csv", "paths", names=("entities.csv",))
def _(ws: Path) -> list[str]:
    return ["validate", f"{DATA}/entities.csv"]


@case("spec_missing", "paths", names=("nospec.toml", "not found"))
def _(ws: Path) -> list[str]:
    return plan_args(spec="nospec.toml")


@case("spec_is_a_folder", "paths", names=("specdir.toml",))
def _(ws: Path) -> list[str]:
    (ws / "specdir.toml").mkdir()
    return plan_args(spec="specdir.toml")


@case("entities_csv_is_a_folder", "paths", names=("entities.csv",))
def _(ws: Path) -> list[str]:
    (ws / DATA / "entities.csv").unlink()
    (ws / DATA / "entities.csv").mkdir()
    return plan_args()


@case("ledger_folder_missing", "paths", names=("nodir",))
def _(ws: Path) -> list[str]:
    return plan_args("D/plan-2027Q1.toml", "OUT", "--ledger", "nodir/l.sqlite")


# --- the plan specification (TOML) ----------------------------------------------------------

def spec_edit(name: str, old: str, new: str, *names: str, file: str = "plan-2027Q1.toml") -> None:
    def prepare(ws: Path) -> list[str]:
        replace_text(ws / SPEC, old, new)
        return plan_args()
    case(name, "spec", names=(file, *names))(prepare)


spec_edit("spec_cap_20_digits", "max_inspections_per_entity_per_year = 2",
          "max_inspections_per_entity_per_year = 99999999999999999999", "from 1 to 100")
spec_edit("spec_count_10e30", "count = 5", "count = 1000000000000000000000000000000", "T04", "10,000,000")
spec_edit("spec_count_zero", "count = 5", "count = 0", "T04", "from 1 to")
spec_edit("spec_min_per_class_10e20", 'coordination = "apart"',
          'coordination = "apart"\nmin_per_class = 100000000000000000000', "T11", "min_per_class", "1,000,000")
spec_edit("spec_team_size_float", "team_size = 2", "team_size = 1e3", "team_size", "from 2 to 20")
spec_edit("spec_team_size_one", "team_size = 2", "team_size = 1", "team_size", "from 2 to 20")
spec_edit("spec_ratio_nan", "ratio = { A = 0.005, B = 0.015", "ratio = { A = nan, B = 0.015", "T01", "from 0 to 1")
spec_edit("spec_ratio_inf", "ratio = { A = 0.005, B = 0.015", "ratio = { A = inf, B = 0.015", "T01", "from 0 to 1")
spec_edit("spec_ratio_above_one", "ratio = { A = 0.005, B = 0.015", "ratio = { A = 1.5, B = 0.015", "T01",
          "between 0 and 1")
spec_edit("spec_plan_id_bell", 'plan_id = "songjiang-2027Q1"', 'plan_id = "songjiang\\u0007-2027Q1"', "plan_id",
          "U+0007")
spec_edit("spec_plan_id_newline", 'plan_id = "songjiang-2027Q1"', 'plan_id = "songjiang\\n2027Q1"', "plan_id",
          "U+000A")
spec_edit("spec_task_name_escape", 'name = "食品销售者监督检查"', 'name = "食品\\u001b[2J销售者"', "T01", "U+001B")
spec_edit("spec_authority_too_long", 'authority = "', 'authority = "' + "长" * 300, "authority", "at most 200")
spec_edit("spec_year_9999", 'quarter = "2027Q1"', 'quarter = "9999Q4"', "quarter", "2000 to 2200")
spec_edit("spec_quarter_without_holidays", 'plan_id = "songjiang-2027Q1"\nquarter = "2027Q1"',
          'plan_id = "songjiang-2031Q1"\nquarter = "2031Q1"', "2031", file="holidays-2027.toml")
spec_edit("spec_toml_syntax", "team_size = 2", "team_size = = 2", "not valid TOML")
spec_edit("spec_unknown_field", "team_size = 2", "team_size = 2\nteam_sise = 3", "team_sise", "unknown field")
spec_edit("spec_no_sources", "sources = [", "sources = [] #", "sources")
spec_edit("spec_unknown_check_item", '"SJ01C097", "SJ01C098"', '"SJ01C097", "NOPE999"', "T01", "NOPE999",
          file="check_items")
spec_edit("spec_bad_commitment", 'salt_commitment = "sha256:', 'salt_commitment = "md5:', "salt_commitment")


@case("spec_not_utf8", "spec", names=("plan-2027Q1.toml", "UTF-8"))
def _(ws: Path) -> list[str]:
    p = ws / SPEC
    p.write_bytes(p.read_text(encoding="utf-8").encode("gb18030"))
    return plan_args()


# --- the data folder: numbers, dates and identifiers ------------------------------------------

def data_cell(name: str, file: str, row: int, column: str, value: str, *names: str,
              command: str = "plan") -> None:
    def prepare(ws: Path) -> list[str]:
        set_cell(ws / DATA / file, row, column, value)
        return plan_args() if command == "plan" else ["validate", DATA]
    case(name, "data-csv", names=(file, f"row {row}", *names))(prepare)


data_cell("inspector_quarter_cap_20_digits", "inspectors.csv", 2, "max_visits_per_quarter",
          "99999999999999999999", "from 1 to 2,000")
data_cell("inspector_day_cap_zero", "inspectors.csv", 3, "max_visits_per_day", "0", "from 1 to 20")
data_cell("inspector_day_cap_negative", "inspectors.csv", 4, "max_visits_per_day", "-3", "from 1 to 20",
          command="validate")
data_cell("inspector_id_control", "inspectors.csv", 5, "inspector_id", "SJ01P\x070001", "U+0007")
data_cell("inspector_name_escape", "inspectors.csv", 6, "name", "张\x1b[31m三", "U+001B")
data_cell("department_id_tab", "departments.csv", 3, "department_id", "SJ\t02", "U+0009")
data_cell("entity_name_nul", "entities.csv", 7, "name", "某某\x00公司", "U+0000")
data_cell("entity_name_bell", "entities.csv", 8, "name", "某某\x07公司", "U+0007")
data_cell("check_item_id_newline", "check_items.csv", 4, "check_item_id", "SJ01\nC003", "U+000A")
data_cell("certificate_date_impossible", "inspectors.csv", 9, "certificate_valid_until", "2027-02-30",
          "no day")
data_cell("unavailability_date_year_0", "unavailability.csv", 2, "start", "0000-01-01", command="validate")
data_cell("history_date_text", "history.csv", 2, "date", "last spring", "not a date", command="validate")


@case("mid_file_bom_departments", "data-csv", names=("departments.csv", "row 4", "U+FEFF"))
def _(ws: Path) -> list[str]:
    edit_lines(ws / DATA / "departments.csv", lambda ls: [*ls[:3], b"\xef\xbb\xbf" + ls[3], *ls[4:]])
    return ["validate", DATA]


@case("stray_quote_departments", "data-csv", names=("departments.csv", "row 3", "quote"))
def _(ws: Path) -> list[str]:
    edit_lines(ws / DATA / "departments.csv", lambda ls: [*ls[:2], b'"' + ls[2], *ls[3:]])
    return ["validate", DATA]


@case("unterminated_quote_entities", "data-csv", names=("entities.csv", "row 10", "quote"))
def _(ws: Path) -> list[str]:
    def damage(ls: list[bytes]) -> list[bytes]:
        cells = ls[9].split(b",")
        cells[1] = b'"' + cells[1]
        return [*ls[:9], b",".join(cells), *ls[10:]]
    edit_lines(ws / DATA / "entities.csv", damage)
    return plan_args()


@case("cell_200kb_check_items", "data-csv", names=("check_items.csv", "row 5"))
def _(ws: Path) -> list[str]:
    set_cell(ws / DATA / "check_items.csv", 5, "legal_basis", "法" * 200_000)
    return ["validate", DATA]


@case("nul_byte_deep_in_entities", "data-csv", names=("entities.csv", "row 4000"))
def _(ws: Path) -> list[str]:
    set_cell(ws / DATA / "entities.csv", 4000, "area", "永丰\x00街道")
    return ["validate", DATA]


@case("latin1_byte_deep_in_inspectors", "data-csv", names=("inspectors.csv", "line 700"))
def _(ws: Path) -> list[str]:
    edit_lines(ws / DATA / "inspectors.csv", lambda ls: [*ls[:699], ls[699].replace(b",", b",\xe9", 1), *ls[700:]])
    return ["validate", DATA]


@case("utf16_departments", "data-csv", names=("departments.csv", "UTF-16"))
def _(ws: Path) -> list[str]:
    p = ws / DATA / "departments.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("utf-16"))
    return ["validate", DATA]


@case("xlsx_named_csv", "data-csv", names=("joint_items.csv", "Excel"))
def _(ws: Path) -> list[str]:
    (ws / DATA / "joint_items.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    return plan_args()


@case("empty_entities", "data-csv", names=("entities.csv", "empty"))
def _(ws: Path) -> list[str]:
    (ws / DATA / "entities.csv").write_bytes(b"")
    return plan_args()


@case("missing_column_inspectors", "data-csv", names=("inspectors.csv", "certificate_valid_until"))
def _(ws: Path) -> list[str]:
    replace_text(ws / DATA / "inspectors.csv", "certificate_valid_until", "valid_until_when")
    return ["validate", DATA]


@case("semicolon_departments", "data-csv", names=("departments.csv", "semicolons"))
def _(ws: Path) -> list[str]:
    p = ws / DATA / "departments.csv"
    p.write_text(p.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    return ["validate", DATA]


@case("ragged_row_supervision_items", "data-csv", names=("supervision_items.csv", "row 6", "cells"))
def _(ws: Path) -> list[str]:
    edit_lines(ws / DATA / "supervision_items.csv",
               lambda ls: [*ls[:5], ls[5].rstrip(b"\r\n") + b",extra,cells\n", *ls[6:]])
    return ["validate", DATA]


@case("duplicate_entity", "data-csv", names=("entities.csv", "row 12", "duplicate"))
def _(ws: Path) -> list[str]:
    edit_lines(ws / DATA / "entities.csv", lambda ls: [*ls[:11], ls[1], *ls[12:]])
    return plan_args()


@case("two_entity_tables", "data-csv", names=("检查对象名录库.csv", "entities.csv"))
def _(ws: Path) -> list[str]:
    (ws / DATA / "检查对象名录库.csv").write_bytes((ws / DATA / "entities.csv").read_bytes())
    return ["validate", DATA]


# --- one workbook instead of CSVs ------------------------------------------------------------

def workbook(ws: Path, damage=None) -> Path:  # noqa: ANN001
    """The data folder as one .xlsx workbook (one sheet per table), after ``damage(sheets)``."""
    import openpyxl
    from hostile import read_csv

    wb = openpyxl.Workbook(write_only=True)
    sheets = {p.stem: read_csv(p) for p in sorted((ws / DATA).glob("*.csv"))}
    if damage:
        damage(sheets)
    for name, rows in sheets.items():
        sh = wb.create_sheet(name)
        for r in rows:
            sh.append(r)
    out = ws / "book" / "data.xlsx"
    out.parent.mkdir()
    save_with_control_characters(wb, out)
    return out


@case("xlsx_control_character", "data-xlsx", names=("data.xlsx", "sheet inspectors", "row 3", "U+0007"))
def _(ws: Path) -> list[str]:
    def damage(sheets: dict[str, list[list[str]]]) -> None:
        sheets["inspectors"][2][1] = "李<CTRL-07>四"
    workbook(ws, damage)
    return ["validate", "book/data.xlsx"]


@case("xlsx_cap_20_digits", "data-xlsx", names=("data.xlsx", "sheet inspectors", "row 2", "from 1 to 2,000"))
def _(ws: Path) -> list[str]:
    def damage(sheets: dict[str, list[list[str]]]) -> None:
        h = sheets["inspectors"][0]
        sheets["inspectors"][1][h.index("max_visits_per_quarter")] = "99999999999999999999"
    workbook(ws, damage)
    return ["validate", "book/data.xlsx"]


@case("xlsx_missing_sheet", "data-xlsx", names=("data.xlsx", "departments"))
def _(ws: Path) -> list[str]:
    workbook(ws, lambda sheets: sheets.pop("departments"))
    return ["validate", "book/data.xlsx"]


@case("xlsx_truncated", "data-xlsx", names=("data.xlsx", ".xlsx"))
def _(ws: Path) -> list[str]:
    p = workbook(ws)
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    return ["validate", "book/data.xlsx"]


@case("xlsx_two_workbooks", "data-xlsx", names=("a.xlsx", "b.xlsx"))
def _(ws: Path) -> list[str]:
    p = workbook(ws)
    (ws / "book" / "b.xlsx").write_bytes(p.read_bytes())
    p.rename(ws / "book" / "a.xlsx")
    return ["validate", "book"]


# --- verify targets -------------------------------------------------------------------------

def verify_args() -> list[str]:
    return ["verify", PLAN, "--data", DATA, "--salt-file", SALT]


@case("verify_plan_json_is_a_folder", "verify", names=("plan.json", "folder"))
def _(ws: Path) -> list[str]:
    (ws / PLAN / "plan.json").unlink()
    (ws / PLAN / "plan.json").mkdir()
    return verify_args()


@case("verify_plan_json_200000_deep", "verify", names=("plan.json", "nested"))
def _(ws: Path) -> list[str]:
    (ws / PLAN / "plan.json").write_text("[" * 200_000 + "]" * 200_000)
    return verify_args()


@case("verify_plan_json_not_json", "verify", names=("plan.json",))
def _(ws: Path) -> list[str]:
    (ws / PLAN / "plan.json").write_text('{"plan_id": "x", ')
    return verify_args()


@case("verify_plan_json_a_list", "verify", names=("plan.json",))
def _(ws: Path) -> list[str]:
    (ws / PLAN / "plan.json").write_text("[1, 2, 3]\n")
    return verify_args()


@case("verify_plan_json_not_utf8", "verify", names=("plan.json",))
def _(ws: Path) -> list[str]:
    (ws / PLAN / "plan.json").write_bytes(b'{"plan_id": "\xff\xfe"}')
    return verify_args()


@case("verify_plan_folder_missing", "verify", names=("NOPLAN",))
def _(ws: Path) -> list[str]:
    return ["verify", "NOPLAN", "--data", DATA]


@case("verify_plan_folder_is_a_file", "verify", names=("afile",))
def _(ws: Path) -> list[str]:
    (ws / "afile").write_text("x")
    return ["verify", "afile", "--data", DATA]


@case("verify_edited_visit", "verify", exit_code=1, names=("visits.csv",))
def _(ws: Path) -> list[str]:
    p = ws / PLAN / "visits.csv"
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace("现场检查", "书面检查", 1)
    p.write_text("".join(lines), encoding="utf-8")
    return verify_args()


@case("verify_spec_json_deep", "verify", names=("spec.json",))
def _(ws: Path) -> list[str]:
    (ws / PLAN / "spec.json").write_text("{\"a\":" * 100_000 + "1" + "}" * 100_000)
    return verify_args()


# --- results files ------------------------------------------------------------------------

def results_case(name: str, *names: str, exit_code: int = 2):  # noqa: ANN201
    def register(make):  # noqa: ANN001, ANN202
        def prepare(ws: Path) -> list[str]:
            target = make(ws)
            return ["results", "record", target, "--plan", PLAN, "--data", DATA]
        case(name, "results", names=names, exit_code=exit_code)(prepare)
        return make
    return register


@results_case("results_200kb_cell", "results.csv", "row 2")
def _(ws: Path) -> str:
    (ws / "results.csv").write_text(results_csv(ws).replace("未发现问题,,", "未发现问题,," + "备" * 200_000, 1)
                                    .replace(",\n", "\n", 1), encoding="utf-8")
    return "results.csv"


@results_case("results_date_9999", "results.csv", "row 2", "9999-12-31")
def _(ws: Path) -> str:
    (ws / "results.csv").write_text(results_csv(ws, date="9999-12-31"), encoding="utf-8")
    return "results.csv"


@results_case("results_unterminated_quote", "results.csv", "row 2", "quote")
def _(ws: Path) -> str:
    vid, dept, day = first_visit(ws)
    text = results_csv(ws).replace(",未发现问题,", ',"未发现问题,', 1)
    (ws / "results.csv").write_text(text + f"{vid},{dept},未发现问题,,{day},\n", encoding="utf-8")
    return "results.csv"


@results_case("results_mid_file_bom", "results.csv", "row 3", "U+FEFF")
def _(ws: Path) -> str:
    vid, dept, day = first_visit(ws)
    (ws / "results.csv").write_text(results_csv(ws, f"\ufeffV99999,{dept},未发现问题,,{day},\n"), encoding="utf-8")
    return "results.csv"


@results_case("results_nul_byte", "results.csv", "row 2", "U+0000")
def _(ws: Path) -> str:
    (ws / "results.csv").write_text(results_csv(ws).replace("未发现问题", "未发现\x00问题", 1), encoding="utf-8")
    return "results.csv"


@results_case("results_utf16", "results.csv", "UTF-16")
def _(ws: Path) -> str:
    (ws / "results.csv").write_bytes(results_csv(ws).encode("utf-16"))
    return "results.csv"


@results_case("results_latin1_byte", "results.csv", "line 2", "UTF-8")
def _(ws: Path) -> str:
    (ws / "results.csv").write_bytes(results_csv(ws).encode("utf-8").replace(b"\xe6\x9c\xaa", b"\xe9", 1))
    return "results.csv"


@results_case("results_is_a_folder", "resdir.csv")
def _(ws: Path) -> str:
    (ws / "resdir.csv").mkdir()
    return "resdir.csv"


@results_case("results_missing_column", "results.csv", "inspected_on")
def _(ws: Path) -> str:
    (ws / "results.csv").write_text(results_csv(ws).replace("inspected_on", "when", 1), encoding="utf-8")
    return "results.csv"


@results_case("results_unknown_visit", "results.csv", "row 2", "V99999")
def _(ws: Path) -> str:
    vid, _, _ = first_visit(ws)
    (ws / "results.csv").write_text(results_csv(ws).replace(vid, "V99999", 1), encoding="utf-8")
    return "results.csv"


@results_case("results_xlsx_truncated", "results.xlsx")
def _(ws: Path) -> str:
    (ws / "results.xlsx").write_bytes(b"PK\x03\x04" + b"\x01" * 100)
    return "results.xlsx"


@results_case("results_xlsx_control_character", "results.xlsx", "row 2", "U+0007")
def _(ws: Path) -> str:
    import openpyxl

    wb = openpyxl.Workbook()
    for line in results_csv(ws).splitlines():
        wb.active.append(line.split(","))
    wb.active["F2"] = "备<CTRL-07>注"
    save_with_control_characters(wb, ws / "results.xlsx")
    return "results.xlsx"


# --- the ledger -----------------------------------------------------------------------------

@case("ledger_foreign_sqlite_plan", "ledger", names=("contacts.sqlite", "not a randsup ledger"))
def _(ws: Path) -> list[str]:
    foreign_sqlite(ws / "contacts.sqlite")
    return plan_args(SPEC, "OUT", "--ledger", "contacts.sqlite")


@case("ledger_foreign_sqlite_verify", "ledger", names=("contacts.sqlite", "not a randsup ledger"))
def _(ws: Path) -> list[str]:
    foreign_sqlite(ws / "contacts.sqlite")
    return ["ledger", "verify", "--ledger", "contacts.sqlite"]


@case("ledger_foreign_sqlite_results", "ledger", names=("contacts.sqlite", "not a randsup ledger"))
def _(ws: Path) -> list[str]:
    foreign_sqlite(ws / "contacts.sqlite")
    (ws / "results.csv").write_text(results_csv(ws), encoding="utf-8")
    return ["results", "record", "results.csv", "--plan", PLAN, "--ledger", "contacts.sqlite"]


@case("ledger_junk_file", "ledger", names=("junk.sqlite",))
def _(ws: Path) -> list[str]:
    (ws / "junk.sqlite").write_bytes(b"not a database at all " * 100)
    return plan_args(SPEC, "OUT", "--ledger", "junk.sqlite")


@case("ledger_is_a_folder", "ledger", names=("ledgerdir",))
def _(ws: Path) -> list[str]:
    (ws / "ledgerdir").mkdir()
    return plan_args(SPEC, "OUT", "--ledger", "ledgerdir")


@case("ledger_plan_record_without_visits", "ledger", names=("randsup-ledger.sqlite", "visits"))
def _(ws: Path) -> list[str]:
    add_ledger_record(ws / LEDGER, "plan", {"plan_id": "other-2027Q1", "plan_json_sha256": "0" * 64,
                                            "quarter": "2027Q1"})
    return plan_args()


@case("ledger_plan_record_without_plan_id", "ledger", names=("randsup-ledger.sqlite", "plan_id"))
def _(ws: Path) -> list[str]:
    add_ledger_record(ws / LEDGER, "plan", {"visits": []})
    return plan_args()


@case("ledger_edited_record", "ledger", exit_code=1, names=("randsup-ledger.sqlite",))
def _(ws: Path) -> list[str]:
    db = sqlite3.connect(ws / LEDGER)
    db.execute("DROP TRIGGER records_append_only_update")
    db.execute("UPDATE records SET payload = replace(payload, '2027', '2028') WHERE seq = 2")
    db.commit()
    db.close()
    return ["ledger", "verify", "--data", DATA]


@case("results_due_date_not_a_date", "ledger", names=("--on",))
def _(ws: Path) -> list[str]:
    return ["results", "due", "--on", "31/12/2027", "--data", DATA]


@case("ledger_missing_for_verify", "ledger", names=("none.sqlite", "no ledger"))
def _(ws: Path) -> list[str]:
    return ["ledger", "verify", "--ledger", "none.sqlite"]


@case("recuse_unknown_visit", "ledger", names=("V99999",))
def _(ws: Path) -> list[str]:
    return ["recuse", PLAN, "--visit", "V99999", "--inspector", "X", "--reason", "亲属", "--data", DATA]


# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one pre-generated workspace of the session: demo data, ledger, salt and a plan."""
    return build_workspace(tmp_path_factory.mktemp("hostile-base"))


@pytest.fixture(scope="session")
def outcomes(base: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_all(CASES, base, tmp_path_factory.mktemp("hostile-cases"))


def test_the_corpus_is_large_and_covers_every_category() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    assert len(CASES) >= 60
    cats = {c.category for c in CASES}
    assert cats >= {"paths", "spec", "data-csv", "data-xlsx", "verify", "results", "ledger"}


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_hostile_input(name: str, outcomes: dict[str, Outcome]) -> None:
    o = outcomes[name]
    c = o.case
    assert "Traceback" not in o.output, o.output
    assert "internal error" not in o.output, o.output
    assert o.returncode == c.exit_code, f"exit {o.returncode}, expected {c.exit_code}:\n{o.output}"
    for s in c.names:
        assert s in o.output, f"the message should name {s!r}:\n{o.output}"
    assert o.changed == [], f"the command changed {o.changed}:\n{o.output}"


# --- what must work, not be refused ------------------------------------------------------------

@pytest.fixture
def workspace(base: Path, tmp_path: Path) -> Path:
    """A private copy of the shared workspace."""
    return Path(shutil.copytree(base, tmp_path / "ws", symlinks=True))


def test_a_250_character_out_name_works_and_leaves_no_temporary_folder(workspace: Path) -> None:
    out = "p" * 250
    r = randsup(plan_args(SPEC, out, "--ledger", "l2.sqlite"), workspace)
    assert r.returncode == 0, r.stderr
    assert (workspace / out / "plan.json").is_file()
    assert not [p for p in workspace.iterdir() if p.name.endswith(".partial")]


def test_a_killed_run_leaves_a_partial_folder_that_the_next_run_removes(workspace: Path) -> None:
    # A kill -9 cannot be caught. What it leaves: a plan staging never recorded as pending
    # (".randsup-staged-HASH", removed once older than a few minutes) or an atomic writer's
    # ".randsup-<pid>-*.partial" of a process that is gone.
    from randsup.history.folders import STALE_AFTER

    staged = workspace / ".randsup-staged-0123456789abcdef"
    partial = workspace / ".randsup-999999999-abc123.partial"
    recent = workspace / ".randsup-staged-fedcba9876543210"
    for d in (staged, partial, recent):
        (d / "public").mkdir(parents=True)
        (d / "visits.csv").write_text("V00001,张三\n", encoding="utf-8")
    long_ago = time.time() - STALE_AFTER - 60
    os.utime(staged, (long_ago, long_ago))
    r = randsup(plan_args(SPEC, "after-kill", "--ledger", "l3.sqlite"), workspace)
    assert r.returncode == 0, r.stderr
    assert not staged.exists() and not partial.exists()
    assert recent.exists(), "a recent staging may belong to a command running beside this one"
    assert not [p for p in workspace.iterdir() if p.name.startswith(".randsup-staged-") and p != recent]


def test_a_refused_plan_creates_no_ledger(workspace: Path) -> None:
    ws = workspace
    spec = ws / "late.toml"
    spec.write_text((ws / SPEC).read_text(encoding="utf-8").replace('quarter = "2027Q1"', 'quarter = "2031Q1"')
                    .replace('holidays = "', 'holidays = "D/'), encoding="utf-8")
    r = randsup(plan_args("late.toml", "late", "--ledger", "fresh.sqlite"), ws)
    assert r.returncode == 2 and "2031" in r.stderr, r.stderr
    assert not (ws / "fresh.sqlite").exists() and not (ws / "late").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere; the test "
                    "hook RANDSUP_TEST_FAULT covers this case under root")
def test_a_read_only_folder_on_the_real_file_system(workspace: Path) -> None:
    ro = workspace / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        before = tree_state(workspace / DATA)
        r = randsup(plan_args(SPEC, "ro/plan"), workspace)
        assert r.returncode == 2 and "ro" in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert tree_state(workspace / DATA) == before
        (workspace / DATA / "entities.csv").chmod(0o000)
        r = randsup(["validate", DATA], workspace)
        assert r.returncode == 2 and "entities.csv" in r.stderr, r.stderr
    finally:
        ro.chmod(0o755)
        (workspace / DATA / "entities.csv").chmod(0o644)


def test_line_breaks_in_registry_names_become_spaces(workspace: Path) -> None:
    from hostile import read_csv, write_csv

    data = workspace / "names"
    shutil.copytree(workspace / DATA, data)
    (data / "randsup-ledger.sqlite").unlink(missing_ok=True)
    rows = read_csv(data / "entities.csv")
    rows[5][rows[0].index("name")] = "上海市松江区\r\n某某有限公司"
    write_csv(data / "entities.csv", rows)
    r = randsup(["validate", "names"], workspace)
    assert r.returncode == 0, r.stderr
    from randsup.inputs.load import load_directory

    d = load_directory(data)
    assert "上海市松江区 某某有限公司" in set(d.entities.name.tolist())

