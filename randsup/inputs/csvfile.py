"""The one CSV reader: data-folder tables and results files alike (issue 13).

Every problem is told with the file it is in and the row (spreadsheet numbering: the first
record is row 1), never blamed on another file: a damaged encoding, a cell larger than any value,
a double quote that is never closed and swallows the rows after it, a stray byte-order mark
(U+FEFF) in the middle of a file, control characters. Cells keep their text; only line breaks
inside names and addresses become a space. Design notes: docs/inputs.md ("Hostile input").
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from ..io import control_character, one_line

__all__ = ["SAVE_AS", "CsvFile", "bad_line", "not_a_table", "open_csv", "scrub_chunk"]

SAVE_AS = "open it in Excel and choose Save As → 'CSV UTF-8 (逗号分隔)(*.csv)'"
# One search per block of rows finds whether any cell needs a closer look (C speed on clean files).
_ODD = re.compile(r"[\x00-\x1f\x7f-\x9f\ufeff]")
_CONTROL_ONLY = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]")

Report = Callable[[int | None, str | None, str | None, str], None]  # (row, column, value, why)


def bad_line(path: Path, encoding: str) -> int:
    """The line holding the first byte that does not decode, counted from 1."""
    dec = codecs.getincrementaldecoder(encoding)()
    lines = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            try:
                dec.decode(block)
            except UnicodeDecodeError as exc:
                return lines + block.count(b"\n", 0, max(exc.start, 0)) + 1
            lines += block.count(b"\n")
    return lines + 1


def not_a_table(head: bytes) -> str | None:
    """Why a file that should be CSV is something else, judged from its first bytes."""
    if head.startswith(b"PK\x03\x04"):
        return f"is an Excel workbook (.xlsx) or ZIP file with a .csv name; {SAVE_AS}"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"is an old Excel (.xls) workbook with a .csv name; {SAVE_AS}"
    if head.startswith(b"%PDF"):
        return "is a PDF document, not a table; export the table from its source system as CSV"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return f"is UTF-16 text (Excel's 'Unicode Text'), which randsup does not read; {SAVE_AS}"
    # Binary formats put NULs in their first bytes or everywhere; a stray NUL in text is a bad
    # cell, told with its row.
    if b"\x00" in head[:32] or head[:4096].count(b"\x00") > 16:
        return f"is a binary file, not a CSV table; {SAVE_AS}"
    start = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<head", b"<body")):
        return ("is an HTML or XML page, not a CSV table (some systems export web pages with a "
                f".csv or .xls name); {SAVE_AS}")
    return None


def _mostly_utf8(head: bytes) -> bool:
    """True when a head that fails as UTF-8 is still UTF-8 text with a few damaged bytes.

    GB18030 Chinese read as UTF-8 fails at nearly every character; a UTF-8 file with one stray
    byte (a hand edit in another encoding) fails once. Reading that file as GB18030 would turn
    an id into other characters and blame the files that refer to it.
    """
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    wide = sum(1 for c in text if ord(c) > 127) - bad
    return wide > 0 and bad * 20 <= wide


@dataclass
class CsvFile:
    """A CSV file opened for reading: its records in blocks, problems told through ``report``."""

    path: Path
    label: str
    encoding: str
    report: Report
    broken: bool = False  # reading stopped early or rows were swallowed: the table is incomplete
    chunk: int = 50_000
    _rows: int = field(default=0, init=False)

    def chunks(self) -> Iterator[list[list[str]]]:
        """Blocks of records, the first record first; each record is a list of cells."""
        with self.path.open(encoding=self.encoding, newline="") as f:
            reader = csv.reader(f, strict=True)  # strict: an unclosed quote is an error, not a silent merge

            def counted() -> Iterator[list[str]]:
                for rec in reader:
                    self._rows += 1
                    yield rec

            records = counted()
            try:
                while chunk := list(islice(records, self.chunk)):
                    yield chunk
            except csv.Error as exc:
                self.broken = True
                row = self._rows + 1  # the record being read when the error came
                if "field larger than field limit" in str(exc):
                    self.report(row, None, None,
                                f"a cell is larger than {csv.field_size_limit() // 1024:,} KiB, far more than "
                                "any value of this table: a double quote (\") in this row that is never closed "
                                "makes the following rows one cell, or the file is damaged. Reading stopped "
                                "here; fix this row and run again")
                elif "unexpected end of data" in str(exc):
                    self.report(row, None, None,
                                "a double quote (\") in this row opens a quoted cell that is never closed, so "
                                f"everything after it up to the end of the file (line {reader.line_num}) would "
                                "be one cell; remove the stray quote or close it")
                else:
                    self.report(row, None, None,
                                f"cannot be read as CSV ({exc}): a double quote (\") is misplaced in this row; "
                                f"put quotes only around whole cells, or {SAVE_AS}")
            except UnicodeDecodeError:
                self.broken = True
                line = bad_line(self.path, self.encoding)
                why = ("is not valid UTF-8 although the lines before it are (mixed encodings or a damaged "
                       "file)") if self.encoding == "utf-8-sig" else "is neither UTF-8 nor GB18030 text"
                self.report(line, None, None, f"line {line} {why}, so its characters cannot be read; {SAVE_AS}")


def open_csv(path: Path, label: str, report: Report, *, required: bool = True) -> CsvFile | None:
    """Open a CSV file (UTF-8, UTF-8 with BOM, or GB18030), or report why it cannot be read."""
    try:
        with path.open("rb") as f:
            head = f.read(1 << 20)
    except IsADirectoryError:
        report(None, None, None, "is a folder, not a CSV file; give the path of the file")
        return None
    except OSError as exc:
        report(None, None, None, f"cannot be read ({exc.strerror}); check the file's permissions")
        return None
    if not head:
        report(None, None, None, "the file is empty (0 bytes); it needs at least the header row. Export the "
               "table again" + ("" if required else ", or delete the file if there is nothing"))
        return None
    why = not_a_table(head)
    if why:
        report(None, None, None, why)
        return None
    # The first MiB decides the encoding; a later byte that does not fit is reported with its line.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        if head.startswith(codecs.BOM_UTF8) or _mostly_utf8(head):
            line = bad_line(path, "utf-8")
            report(line, None, None, f"line {line} is not valid UTF-8 although the rest of the file is "
                   f"(damaged file or mixed encodings); {SAVE_AS}")
            return None
        encoding = "gb18030"  # government Excel exports on Chinese Windows
    return CsvFile(path, label, encoding, report)


def _swallows_rows(cell: str, width: int) -> bool:
    """A cell over several lines of which a later one has the commas of a whole row: rows read into one cell.

    A name or address may hold a line break, and a comma now and then; a line with as many
    commas as the table has columns (less one, and at least two) is a row of its own.
    """
    lines = re.split(r"\r\n|\r|\n", cell)
    need = max(2, width - 1)
    return len(lines) > 1 and any(ln.count(",") >= need for ln in lines[1:])


def scrub_chunk(chunk: list[list[str]], first_row: int, columns: Mapping[int, str],
                identifiers: set[str], report: Report) -> tuple[set[int], bool]:
    """Check and clean the cells of one block of records in place; returns (bad rows, rows swallowed).

    ``columns`` maps a record position to its column name (unused positions are not checked);
    ``identifiers`` are the columns where a line break is refused too. In every other column a
    line break becomes a space. A control character or a stray byte-order mark is reported with
    its row and column, then removed, so that one bad id is not reported again by every file that
    refers to it.
    """
    bad: set[int] = set()
    swallowed = False
    if not chunk or not _ODD.search("".join(c for r in chunk for c in r)):
        return bad, swallowed  # the usual case: one search over the block
    for k, r in enumerate(chunk):
        if not _ODD.search("".join(r)):
            continue
        row = first_row + k
        for j, c in enumerate(r):
            name = columns.get(j)
            if name is None or not _ODD.search(c):
                continue
            if _swallows_rows(c, len(r)):
                report(row, name, c, "this cell runs over several lines that look like rows of their own: a "
                       "double quote (\") in this row opens a quoted cell that closes only rows later, so "
                       "the rows in between would be lost; remove the stray quote or close it")
                swallowed = True
                bad.add(row)
                continue
            ident = name in identifiers
            why = control_character(c.strip(), line_breaks=ident)
            if why:
                report(row, name, c, why)
                bad.add(row)
                # Removed once told, so the id still matches where other files refer to it.
                c = (_ODD if ident else _CONTROL_ONLY).sub("", c)
            r[j] = one_line(c)
    return bad, swallowed
