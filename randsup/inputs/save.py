"""Write a Directory (一单两库) as the canonical data folder of architecture §3, or as one workbook.

Design notes: docs/inputs.md (section randsup/inputs/save.py).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from ..errors import OutputError
from ..io import atomic_directory, csv_text, neutralise_cell, write_atomic
from ..model import ENTITY_KIND, RISK_CLASSES, Directory, EntityTable

__all__ = ["ENTITY_CONTACT_COLUMNS", "TABLE_COLUMNS", "directory_csv_files", "directory_tables", "save_directory",
           "save_directory_xlsx", "write_directory_files"]

# File name → English header, in the order of architecture §3 (the loader's contract).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "departments.csv": ("department_id", "name"),
    "supervision_items.csv": ("item_id", "name", "department_id", "category", "legal_basis"),
    "check_items.csv": ("check_item_id", "item_id", "department_id", "name", "field", "object_type",
                        "check_methods", "legal_basis"),
    "joint_items.csv": ("joint_item_id", "name", "lead_department_id", "partner_department_ids",
                        "check_item_ids", "object_type"),
    "entities.csv": ("entity_id", "name", "entity_type", "industry", "area", "risk_class", "tags",
                     "last_inspected"),
    "inspectors.csv": ("inspector_id", "name", "department_id", "certificate_no",
                       "certificate_valid_until", "fields", "area", "is_expert", "max_visits_per_day",
                       "max_visits_per_quarter"),
    "conflicts.csv": ("inspector_id", "entity_id", "reason"),
    "unavailability.csv": ("inspector_id", "start", "end", "reason"),
    "history.csv": ("entity_id", "inspector_id", "department_id", "date"),
}
# Written after the entity columns only when some row is not a 市场主体 or names a 责任主体, so a
# directory of market entities alone keeps the file (and its digest) it had before object kinds.
OBJECT_COLUMNS: tuple[str, ...] = ("object_kind", "responsible_entity_id")


def _has_objects(e: EntityTable) -> bool:
    return e.object_kind.categories != (ENTITY_KIND,) or e.responsible_entity_id.categories not in (("",), ())


# Optional entity columns (internal work lists only), written after the others when present.
ENTITY_CONTACT_COLUMNS: tuple[str, ...] = ("address", "contact", "phone")

Rows = list[Sequence[str]]


def _joined(values: Iterable[str]) -> str:
    return ";".join(values)


def _bool(v: bool) -> str:
    return "true" if v else "false"


def _date(d: dt.date) -> str:
    return d.isoformat()


def _entity_rows(e: EntityTable) -> Rows:
    """Entity rows built column by column, so 10^6 rows stay a few seconds."""
    n = len(e)
    letters = np.asarray((*RISK_CLASSES, ""), dtype=str)  # RISK_UNGRADED → empty cell
    risk = letters[np.minimum(e.risk_class.astype(np.intp), len(RISK_CLASSES))] if n else np.zeros(0, dtype=str)
    # One text per distinct tag mask rather than per row: entities carry few combinations.
    masks, inverse = np.unique(e.tags, return_inverse=True)
    mask_text = [_joined(t for j, t in enumerate(e.tag_names) if int(m) >> j & 1) for m in masks.tolist()]
    tags = np.asarray(mask_text or [""], dtype=object)[inverse.reshape(-1)] if n else np.zeros(0, dtype=object)
    last = np.datetime_as_string(e.last_inspected.astype("datetime64[D]"), unit="D")
    last = np.where(np.isnat(e.last_inspected), "", last)
    columns: tuple[np.ndarray, ...] = (e.entity_id, e.name, e.entity_type.values(), e.industry.values(),
                                        e.area.values(), risk, tags, last,
                                        *(getattr(e, c) for c in ENTITY_CONTACT_COLUMNS if getattr(e, c) is not None))
    if _has_objects(e):
        columns += (e.object_kind.values(), e.responsible_entity_id.values())
    return list(zip(*(np.asarray(c).tolist() for c in columns), strict=True))


def _entity_header(e: EntityTable) -> tuple[str, ...]:
    """entities.csv's header: the contact columns only when the table has them, then the object
    columns only when some row is not a 市场主体 or names a 责任主体."""
    return (TABLE_COLUMNS["entities.csv"] + tuple(c for c in ENTITY_CONTACT_COLUMNS if getattr(e, c) is not None)
            + (OBJECT_COLUMNS if _has_objects(e) else ()))


def directory_tables(directory: Directory) -> dict[str, tuple[tuple[str, ...], Rows]]:
    """Every table as (header, rows of cell texts), before formula neutralisation."""
    d = directory
    rows: dict[str, Rows] = {
        "departments.csv": [(x.department_id, x.name) for x in d.departments],
        "supervision_items.csv": [(x.item_id, x.name, x.department_id, x.category, x.legal_basis)
                                  for x in d.supervision_items],
        "check_items.csv": [(x.check_item_id, x.item_id, x.department_id, x.name, x.field, x.object_type,
                             _joined(x.check_methods), x.legal_basis) for x in d.check_items],
        "joint_items.csv": [(x.joint_item_id, x.name, x.lead_department_id, _joined(x.partner_department_ids),
                             _joined(x.check_item_ids), x.object_type) for x in d.joint_items],
        "entities.csv": _entity_rows(d.entities),
        "inspectors.csv": [(x.inspector_id, x.name, x.department_id, x.certificate_no,
                            _date(x.certificate_valid_until), _joined(x.fields), x.area, _bool(x.is_expert),
                            str(x.max_visits_per_day), str(x.max_visits_per_quarter)) for x in d.inspectors],
        "conflicts.csv": [(x.inspector_id, x.entity_id, x.reason) for x in d.conflicts],
        "unavailability.csv": [(x.inspector_id, _date(x.start), _date(x.end), x.reason)
                               for x in d.unavailability],
        "history.csv": [(x.entity_id, x.inspector_id, x.department_id, _date(x.date)) for x in d.history],
    }
    headers = {**TABLE_COLUMNS, "entities.csv": _entity_header(d.entities)}
    return {name: (headers[name], rows[name]) for name in TABLE_COLUMNS}


def directory_csv_files(directory: Directory) -> dict[str, bytes]:
    """File name → bytes of the canonical CSV form (see the module docstring)."""
    return {name: csv_text(header, rows).encode("utf-8")
            for name, (header, rows) in directory_tables(directory).items()}


def write_directory_files(directory: Directory, folder: str | Path) -> None:
    """Write the canonical CSV files into an existing ``folder`` (each file atomically)."""
    for name, data in directory_csv_files(directory).items():
        write_atomic(Path(folder) / name, data)


def save_directory(directory: Directory, path: str | Path, *, overwrite: bool = False) -> None:
    """Write ``directory`` as a data folder of canonical CSV files, all or nothing.

    Args:
        directory: the 一单两库 to write.
        path: the folder to create.
        overwrite: replace an existing folder instead of refusing.

    Raises:
        OutputError: ``path`` exists and ``overwrite`` is not set.
    """
    with atomic_directory(path, overwrite=overwrite) as tmp:
        write_directory_files(directory, tmp)


def save_directory_xlsx(directory: Directory, path: str | Path, *,
                        progress: Callable[[str, int, int | None], None] | None = None) -> None:
    """Write ``directory`` as one XLSX workbook, a sheet per table, every cell as neutralised text.

    ``progress(step, rows_written, rows_of_the_table)`` is told every 20,000 rows.

    Raises:
        OutputError: ``path`` exists already.
    """
    target = Path(path)
    if target.exists():
        raise OutputError(f"{target} exists already; choose a new file name or remove the old workbook")
    wb = Workbook(write_only=True)
    for name, (header, rows) in directory_tables(directory).items():
        sheet = name.removesuffix(".csv")
        ws = wb.create_sheet(title=sheet)
        ws.append([neutralise_cell(h) for h in header])
        for i, r in enumerate(rows, start=2):
            if progress is not None and i % 20_000 == 0:
                progress(f"write sheet {sheet}", i - 1, len(rows))
            try:
                ws.append([neutralise_cell(c) for c in r])
            except IllegalCharacterError:
                raise OutputError(f"sheet {sheet}, row {i}: a cell holds a control character that XLSX cannot store; "
                                  "remove it from the data or write CSV instead") from None
    if progress is not None:
        progress("save workbook", 0, None)
    buf = io.BytesIO()
    wb.save(buf)
    write_atomic(target, buf.getvalue())
