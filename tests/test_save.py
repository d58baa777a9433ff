"""The canonical CSV / XLSX writer of a Directory (randsup.inputs.save)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from randsup import OutputError, generate_directory, save_directory, save_directory_xlsx
from randsup.inputs.save import TABLE_COLUMNS, directory_csv_files, directory_tables
from randsup.io import neutralise_cell
from randsup.model import (
    Categorical,
    CheckItem,
    Conflict,
    Department,
    Directory,
    EntityTable,
    HistoryVisit,
    Inspector,
    JointItem,
    SupervisionItem,
    Unavailability,
)

# Cell text that exercises the CSV quoting and the formula guard: commas, quotes, newlines,
# Chinese, and the characters a spreadsheet treats as the start of a formula.
CELL = st.text(alphabet=st.sampled_from(list("ab,\"\n =+-@\t;中文'检查")), min_size=1, max_size=12)


def _entities(names: list[str]) -> EntityTable:
    n = len(names)
    return EntityTable(
        entity_id=np.asarray([f"91310117MA1G{i:05d}X"[:18] for i in range(n)], dtype=str),
        name=np.asarray(names, dtype=str),
        entity_type=Categorical.from_values(["企业"] * n),
        industry=Categorical.from_values(["F5221"] * n),
        area=Categorical.from_values(["泗泾镇"] * n),
        risk_class=np.asarray([i % 4 for i in range(n)], dtype=np.uint8),
        tags=np.asarray([i % 4 for i in range(n)], dtype=np.uint64),
        tag_names=("不予现场检查", "经营异常名录"),
        last_inspected=np.asarray(["2026-05-04" if i % 2 else "NaT" for i in range(n)], dtype="datetime64[D]"),
    )


def _directory(text: list[str]) -> Directory:
    """A small directory whose free-text cells are ``text`` (ids stay plain)."""
    t = (text * 8)[:8]
    return Directory(
        departments=(Department(department_id="D1", name=t[0]),),
        supervision_items=(SupervisionItem(item_id="S1", name=t[1], department_id="D1", category="重点",
                                           legal_basis=t[2]),),
        check_items=(CheckItem(check_item_id="C1", item_id="S1", department_id="D1", name=t[3], field=t[4],
                               object_type=t[5], check_methods=("现场检查", "书面检查"), legal_basis=t[2]),),
        joint_items=(JointItem(joint_item_id="J1", name=t[6], lead_department_id="D1",
                               partner_department_ids=("D2", "D3"), check_item_ids=("C1",), object_type=t[5]),),
        entities=_entities(text),
        inspectors=(Inspector(inspector_id="P1", name=t[7], department_id="D1", certificate_no="31011700001",
                              certificate_valid_until=dt.date(2029, 6, 30), fields=("食品安全", "特种设备"),
                              area="泗泾镇", is_expert=True, max_visits_per_day=3, max_visits_per_quarter=55),),
        conflicts=(Conflict(inspector_id="P1", entity_id="91310117MA1G00000X", reason=t[0]),),
        unavailability=(Unavailability(inspector_id="P1", start=dt.date(2027, 1, 4), end=dt.date(2027, 1, 8),
                                       reason=t[1]),),
        history=(HistoryVisit(entity_id="91310117MA1G00000X", inspector_id="P1", department_id="D1",
                              date=dt.date(2026, 3, 2)),),
    )


def _parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(CELL, min_size=1, max_size=6))
def test_every_csv_parses_back_to_the_neutralised_cells(text: list[str]) -> None:
    d = _directory(text)
    files = directory_csv_files(d)
    assert list(files) == list(TABLE_COLUMNS)
    for name, (header, rows) in directory_tables(d).items():
        data = files[name]
        assert not data.startswith(b"\xef\xbb\xbf")  # no BOM
        assert data.endswith(b"\n") and not data.endswith(b"\r\n")
        parsed = _parse(data)
        assert parsed[0] == list(TABLE_COLUMNS[name]) == list(header)
        assert parsed[1:] == [[neutralise_cell(c) for c in r] for r in rows]


@settings(max_examples=30, deadline=None)
@given(text=st.lists(CELL, min_size=1, max_size=6))
def test_no_written_cell_starts_like_a_formula(text: list[str]) -> None:
    for name, data in directory_csv_files(_directory(text)).items():
        for row in _parse(data):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)


def test_canonical_cell_forms() -> None:
    d = _directory(["=SUM(A1:A2)", "普通", "-1", "@x"])
    files = {k: _parse(v) for k, v in directory_csv_files(d).items()}
    ent = files["entities.csv"]
    assert ent[1][1] == "'=SUM(A1:A2)" and ent[2][1] == "普通" and ent[3][1] == "'-1"
    # risk classes as letters, tags joined with ';' in tag_names order, NaT as an empty cell
    assert [r[5] for r in ent[1:]] == ["A", "B", "C", "D"]
    assert [r[6] for r in ent[1:]] == ["", "不予现场检查", "经营异常名录", "不予现场检查;经营异常名录"]
    assert [r[7] for r in ent[1:]] == ["", "2026-05-04", "", "2026-05-04"]
    assert files["inspectors.csv"][1] == ["P1", "'@x", "D1", "31011700001", "2029-06-30",
                                          "食品安全;特种设备", "泗泾镇", "true", "3", "55"]
    assert files["check_items.csv"][1][6] == "现场检查;书面检查"
    assert files["joint_items.csv"][1][3:5] == ["D2;D3", "C1"]
    assert files["unavailability.csv"][1][1:3] == ["2027-01-04", "2027-01-08"]


def test_empty_side_tables_are_written_as_a_header_line() -> None:
    d = generate_directory(entities=300, inspectors=200, seed=2)
    bare = Directory(departments=d.departments, supervision_items=d.supervision_items, check_items=d.check_items,
                     joint_items=d.joint_items, entities=d.entities, inspectors=d.inspectors)
    files = directory_csv_files(bare)
    for name in ("conflicts.csv", "unavailability.csv", "history.csv"):
        assert files[name] == (",".join(TABLE_COLUMNS[name]) + "\n").encode()


def test_save_directory_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _directory(["x"])
    save_directory(d, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(TABLE_COLUMNS)
    with pytest.raises(OutputError, match="exists already"):
        save_directory(d, tmp_path / "out")
    save_directory(_directory(["y"]), tmp_path / "out", overwrite=True)
    assert "y" in (tmp_path / "out" / "departments.csv").read_text(encoding="utf-8")

    import randsup.inputs.save as save_mod

    calls = []

    def failing(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        Path(path).write_bytes(data)

    monkeypatch.setattr(save_mod, "write_atomic", failing)
    with pytest.raises(OSError):
        save_directory(d, tmp_path / "half")
    assert not (tmp_path / "half").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_xlsx_has_a_sheet_per_table_with_text_cells_only(tmp_path: Path) -> None:
    d = _directory(["=HYPERLINK(\"http://x\")", "中文,逗号"])
    save_directory_xlsx(d, tmp_path / "d.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "d.xlsx")
    assert wb.sheetnames == [n.removesuffix(".csv") for n in TABLE_COLUMNS]
    rows = [[c.value for c in r] for r in wb["entities"].iter_rows()]
    assert rows[0] == list(TABLE_COLUMNS["entities.csv"])
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")" and rows[2][1] == "中文,逗号"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)  # nothing a spreadsheet would evaluate
    with pytest.raises(OutputError, match="exists already"):
        save_directory_xlsx(d, tmp_path / "d.xlsx")


def test_xlsx_refuses_control_characters_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"sheet departments, row 2: .*control character"):
        save_directory_xlsx(_directory(["bad\x01cell"]), tmp_path / "d.xlsx")
    assert not (tmp_path / "d.xlsx").exists()
