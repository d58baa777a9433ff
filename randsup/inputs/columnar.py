"""Columnar input: a table from a Parquet file, read in bounded chunks (the optional 'parquet' extra).

A province's directory (10^7 entities and more) is exported from a database or warehouse as
Parquet far more often than as one CSV. The loader reads it through the same path as a CSV:
each batch of rows becomes text cells (dates as ISO ``YYYY-MM-DD``, numbers in decimal, nulls
as empty cells), so that every check and normalisation of load.py applies unchanged, and only
one batch of text is held at a time besides the columnar result.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError, Problem

__all__ = ["PARQUET_SUFFIX", "parquet_records", "require_pyarrow"]

PARQUET_SUFFIX = ".parquet"


def require_pyarrow(what: str) -> None:
    """Raise a clear InputError when pyarrow (the 'parquet' extra) is not installed."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError(Problem(what, None, None, None,
                                 "reading Parquet needs pyarrow: pip install 'randsup[parquet]'"),
                         header="missing optional dependency") from None


def parquet_records(path: Path, chunk_rows: int) -> Iterator[list[list[str]]]:
    """The file's records as text, header first, in blocks of at most ``chunk_rows`` rows."""
    require_pyarrow(path.name)
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        f = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(Problem(path.name, None, None, None,
                                 f"cannot be read as Parquet ({exc}); export the table again"),
                         header="unreadable input") from None
    try:
        yield [list(f.schema_arrow.names)]
        for batch in f.iter_batches(batch_size=chunk_rows):
            cols = []
            for col in batch.columns:
                text = col if pa.types.is_string(col.type) or pa.types.is_large_string(col.type) \
                    else pc.cast(col, pa.string())
                cols.append(pc.fill_null(text, "").to_pylist())
            yield list(map(list, zip(*cols, strict=True)))
    finally:
        f.close()
