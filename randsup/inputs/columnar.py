"""Columnar input: a table from a Parquet file, read in bounded batches (the optional 'parquet' extra).

A province's directory (10^7 entities and more) is exported from a database or warehouse as
Parquet far more often than as one CSV. The loader (load.py) reads it batch by batch, and only
the columns it maps (a draw asks for fewer: no names, no addresses):

* **Fast path.** A batch whose cells need no cleaning is handed over in columnar form: codes
  (统一社会信用代码 already canonical: ASCII upper-case letters and digits) as one numpy string
  array, low-cardinality columns (type, industry, area, class, tags, dates) as dictionary codes
  (:class:`Coded`) whose distinct values go through the loader's own rules once, other columns
  (names, addresses) as text. "Needs no cleaning" is tested in Arrow's C++ kernels: no null
  or non-canonical code, no control character or line break in any cell read.
* **Text path.** Any other batch becomes text cells exactly as a CSV row would (dates as ISO
  ``YYYY-MM-DD``, numbers in decimal, nulls as empty cells, columns not read as empty cells),
  so that every check, message and normalisation of load.py applies unchanged.

Both paths give the same table for the same cells; the fast path only skips work whose
result is known (tests/test_engines.py loads Parquet and CSV and compares).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, Problem

__all__ = ["PARQUET_BATCH", "PARQUET_SUFFIX", "ArrowBlock", "Coded", "ParquetTable", "require_pyarrow"]

PARQUET_SUFFIX = ".parquet"
PARQUET_BATCH = 262_144  # rows per batch: big enough for the kernels, small beside the table
_CANONICAL_CODE = r"^[0-9A-Z]+$"  # cells.uscc leaves such a code as it is
_ODD = r"[\x00-\x1f\x7f-\x9f\x{feff}]"  # csvfile._ODD in RE2 syntax: control characters, line breaks, BOM


def require_pyarrow(what: str) -> None:
    """Raise a clear InputError when pyarrow (the 'parquet' extra) is not installed."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError(Problem(what, None, None, None,
                                 "reading Parquet needs pyarrow: pip install 'randsup[parquet]'"),
                         header="missing optional dependency") from None


@dataclass(frozen=True)
class Coded:
    """A block of one column as dictionary codes: cell ``k`` is ``values[codes[k]]``."""

    values: list[str]
    codes: np.ndarray  # int32 or int64, one per row


def _as_text(col: Any, label: str, name: str) -> Any:
    """A column as an Arrow string array with nulls as empty cells (the CSV reading of the cells)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        try:
            col = pc.cast(col, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise InputError(Problem(label, None, name, None,
                                     f"a column of type {col.type}, which has no text form; export it as "
                                     "text (strings), dates or numbers"), header="unreadable input") from None
    return pc.fill_null(col, "")


def _code_array(col: Any) -> np.ndarray | None:
    """Canonical codes of one block as a numpy str array, or None if one needs the loader's rules."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if col.null_count or not pc.all(pc.match_substring_regex(col, _CANONICAL_CODE)).as_py():
        return None
    wide = pa.types.is_large_string(col.type)
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int64 if wide else np.int32,
                            count=len(col) + 1, offset=col.offset * (8 if wide else 4))
    widths = np.diff(offsets)
    if widths.size and int(widths.min()) == int(widths.max()):  # one width (every 统一社会信用代码): no copies
        w = int(widths[0])
        data = np.frombuffer(col.buffers()[2], dtype=np.uint8)[int(offsets[0]):int(offsets[-1])]
        return data.view(f"S{w}").astype(f"U{w}")
    return np.asarray(col.to_pylist(), dtype=str)


class ArrowBlock:
    """One batch of a Parquet table, columns by position in the header."""

    def __init__(self, batch: Any, positions: dict[str, int], width: int, label: str) -> None:
        self.label = label
        self.batch = batch
        self.positions = positions  # file column name → position in the header
        self.width = width
        self.n = batch.num_rows

    def fast_columns(self, index: dict[str, int], *, codes: Collection[str], coded: Collection[str]
                     ) -> dict[str, Any] | None:
        """{canonical column: cells} for the read columns of ``index``, or None when a cell needs
        cleaning (then :meth:`records` gives the text path).

        ``codes`` are identifier columns (numpy str arrays), ``coded`` low-cardinality columns
        (:class:`Coded`); the others come as lists of text.
        """
        import pyarrow.compute as pc

        by_pos = {j: name for name, j in self.positions.items()}
        out: dict[str, Any] = {}
        for canon, j in index.items():
            if j not in by_pos:
                continue
            col = _as_text(self.batch.column(by_pos[j]), self.label, by_pos[j])
            if canon in codes:
                arr = _code_array(col)
                if arr is None:
                    return None
                out[canon] = arr
                continue
            text = col
            if canon in coded:
                enc = pc.dictionary_encode(text)
                values = enc.dictionary.to_pylist()
                if any(_has_odd(v) for v in values):
                    return None
                out[canon] = Coded(values, enc.indices.to_numpy(zero_copy_only=False))
            else:
                if pc.any(pc.match_substring_regex(text, _ODD)).as_py():
                    return None
                out[canon] = text.to_pylist()
        return out

    def records(self) -> list[list[str]]:
        """The batch as text records of the header's width (columns not read are empty cells)."""
        cols: list[list[str] | None] = [None] * self.width
        for name, j in self.positions.items():
            cols[j] = _as_text(self.batch.column(name), self.label, name).to_pylist()
        empty = [""] * self.n
        return [list(r) for r in zip(*(c if c is not None else empty for c in cols), strict=True)]


def _has_odd(v: str) -> bool:
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch == "\ufeff" for ch in v)


class ParquetTable:
    """A Parquet file: its header (the schema's column names) and its batches of chosen columns."""

    def __init__(self, path: Path, batch_rows: int | None = None) -> None:
        require_pyarrow(path.name)
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path = path
        self.batch_rows = batch_rows or PARQUET_BATCH
        try:
            self.file = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(Problem(path.name, None, None, None,
                                     f"cannot be read as Parquet ({exc}); export the table again"),
                             header="unreadable input") from None
        self.header = [str(n) for n in self.file.schema_arrow.names]

    def blocks(self, positions: Collection[int]) -> Iterator[ArrowBlock]:
        """The rows in batches, reading only the columns at ``positions`` of the header."""
        import pyarrow as pa

        names = {self.header[j]: j for j in sorted(positions)}
        try:
            for batch in self.file.iter_batches(batch_size=self.batch_rows, columns=list(names)):
                yield ArrowBlock(batch, names, len(self.header), self.path.name)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(Problem(self.path.name, None, None, None,
                                     f"cannot be read as Parquet ({exc}); export the table again"),
                             header="unreadable input") from None
        finally:
            self.file.close()
