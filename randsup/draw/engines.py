"""The draw inside a database: DuckDB and Spark SQL run the same draw as the Python engine.

The rules of the draw stay in Python (randsup.draw.sample): filters, the annual cap, sample
sizes, start points. The database holds the entities and answers with small results only:

1. **Profiles.** The distinct combinations of the columns the rules read (entity type,
   industry, area, credit-risk class, tags, object kind 检查对象类别, at the annual cap by its
   own count or through its 责任主体 or not), with how many entities share each
   (docs/object-kinds.md, "Engines"). Python cleans and checks those values with the loader's own rules, numbers the
   profiles (``pid``) and runs the filters on them, weighted by their counts: so populations,
   exclusions and sizes come from the same code as with the Python engine.
2. **Keys.** Each entity gets its profile and, for the shared seed, its ticket key once
   (sql.py); an independent task's keys are computed inline for its population only.
3. **Selection.** Per task and class the window query of :func:`randsup.draw.sql.draw_sql`
   returns the first m candidates (and any row tied with the m-th); Python orders them with
   the Python engine's own :meth:`TicketTable.order`, which settles exact key ties.

DuckDB (extra ``duckdb``) is embedded and spills to disk for larger-than-memory data: a
province's directory on one machine, from a Parquet file, a CSV or a DuckDB table. Spark
(extra ``spark``) is for a directory kept in a data warehouse; pass a running SparkSession,
or a local one is started.

An input that is not a file (a database table) is identified by a content digest: SHA-256 over
the canonical CSV of its normalised rows in id order (:meth:`SqlEngine.content_digest`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, Problem
from ..inputs.cells import CellError
from ..inputs.kinds import normalise_kind
from ..inputs.load import (
    DRAW_COLUMNS,
    clean_cell,
    entity_column,
    entity_type_problem,
    industry_problem,
    responsible_entity_code,
    risk_class_index,
    risk_ungraded,
    split_list,
)
from ..io import csv_text
from ..model import ENTITY_KIND, RISK_CLASSES, RISK_UNGRADED, Categorical, EntityTable
from .sql import DUCKDB, SPARK, Dialect, count_in_arc_sql, draw_sql, keyed_sql
from .tickets import KEY_DIGITS, TicketTable

__all__ = ["CONTENT_DIGEST_KIND", "ENTITY_COLUMNS", "KIND_COLUMNS", "DuckDBEngine", "SparkEngine", "SqlEngine",
           "local_spark_session", "require_duckdb"]

# The columns the draw reads, by their canonical names (load.py's header aliases are accepted).
# Optional columns of a directory with objects of other kinds (docs/object-kinds.md): an absent
# object_kind is 市场主体 on every row, an absent responsible_entity_id names no 责任主体.
KIND_COLUMNS: tuple[str, ...] = ("object_kind", "responsible_entity_id")
ENTITY_COLUMNS: tuple[str, ...] = tuple(c for c in DRAW_COLUMNS if c not in KIND_COLUMNS)
# What a profile is: the columns the filters, classes and kinds read.
_PROFILE_COLUMNS: tuple[str, ...] = (*ENTITY_COLUMNS[1:], "object_kind")
CONTENT_DIGEST_KIND = "sha256-canonical-csv/1"
_DIGEST_BATCH = 100_000

_SRC, _ENT, _KEYS, _PROFILES, _ROWS, _CAP, _RESP, _RESP_MAP, _IDS = (
    "randsup_src", "randsup_ent", "randsup_keys", "randsup_profiles", "randsup_rows", "randsup_at_cap",
    "randsup_resp_at_cap", "randsup_resp_codes", "randsup_ids")


def _arc_limit(m: int, n: int, key_digits: int) -> int | None:
    """A distance (key units) below which the m-th smallest of n uniform keys lies almost surely
    (mean + 8 sd of Beta(m, n - m + 1), plus a margin); None when that is most of the circle."""
    if n <= 0 or 4 * m >= n:
        return None
    mean = m / (n + 1)
    sd = math.sqrt(m * (n - m + 1) / ((n + 1) ** 2 * (n + 2)))
    frac = mean + 8 * sd + 16 / n
    return None if frac >= 0.5 else int(frac * 10**key_digits) + 1


class SqlEngine:
    """A :class:`randsup.draw.DrawEngine` over a table in an SQL database (see the module docstring).

    Subclasses connect to the database and provide :meth:`_columns`, :meth:`_query`,
    :meth:`_put` (a small table from Python) and :meth:`_materialise`.
    """

    name = "sql"
    dialect: Dialect

    def __init__(self, shared_seed: str, *, label: str, key_digits: int = KEY_DIGITS) -> None:
        self.shared_seed = shared_seed
        self.label = label  # how messages name the input
        self.key_digits = key_digits  # shorter only in the tie tests (sql.py)
        self._profile_rows: list[tuple[str, ...]] | None = None
        self._weights = np.zeros(0, dtype=np.int64)
        self._keys_ready = False
        self._responsible_mapped: bool | None = None  # some 责任主体 cells are not written as their code
        self._with_responsible = False  # some row names a 责任主体 (then the content digest has the kind columns)

    # -- what a database must provide ---------------------------------------------------

    def _columns(self) -> list[str]:
        """Column names of the source, registered as ``randsup_src``."""
        raise NotImplementedError

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _iter_query(self, sql: str, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        yield self._query(sql)

    def _put(self, name: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
        """Create (or replace) a temporary table from Python lists: name → (SQL type, values)."""
        raise NotImplementedError

    def _materialise(self, name: str, sql: str) -> None:
        """Create (or replace) a temporary table holding the result of ``sql``."""
        raise NotImplementedError

    # -- the normalised view ----------------------------------------------------------

    def _found_columns(self) -> dict[str, str]:
        """Canonical column → the source's column (load.py's header aliases are accepted)."""
        found: dict[str, str] = {}
        for col in self._columns():
            canon = entity_column(col)
            if canon in (*ENTITY_COLUMNS, *KIND_COLUMNS) and canon not in found:
                found[canon] = col
        return found

    def _normalised_sql(self) -> str:
        """The rows as text: entity_id trimmed, the other columns as written ('' where absent) and
        responsible_entity_id as its code (the loader's rule applied to its distinct values)."""
        found = self._found_columns()
        missing = [c for c in ENTITY_COLUMNS if c not in found and c != "tags"]
        if missing:
            raise InputError([Problem(self.label, None, c, None, f"missing column {c}: add it (the entity table "
                                      "needs entity_id, entity_type, industry, area, risk_class)")
                              for c in missing], header="the entity table cannot be drawn from")
        t = self.dialect.text_type

        def col(c: str) -> str:
            if c not in found:
                return "''"
            q = "`" if self.dialect.name == "spark" else '"'
            return f"coalesce(CAST({q}{found[c]}{q} AS {t}), '')"

        select = (f"SELECT trim({col('entity_id')}) AS entity_id, "
                  + ", ".join(f"{col(c)} AS {c}" for c in (*ENTITY_COLUMNS[1:], "object_kind")))
        if "responsible_entity_id" not in found:
            return f"{select}, '' AS responsible_entity_id FROM {_SRC}"
        raw = col("responsible_entity_id")
        if self._responsible_mapped is None:
            self._responsible_mapped = self._map_responsible(raw)
        if not self._responsible_mapped:  # every cell already written as its code
            return f"{select}, trim({raw}) AS responsible_entity_id FROM {_SRC}"
        return (f"SELECT s.*, coalesce(m.code, s.raw_responsible) AS responsible_entity_id FROM "
                f"({select}, trim({raw}) AS raw_responsible FROM {_SRC}) s "
                f"LEFT JOIN {_RESP_MAP} m ON s.raw_responsible = m.raw")

    def _map_responsible(self, raw: str) -> bool:
        """Check the distinct 责任主体 cells with the loader's rule; put the ones not written as
        their code into a mapping table. Returns whether there are any."""
        values = sorted(str(r[0]) for r in self._query(
            f"SELECT DISTINCT trim({raw}) FROM {_SRC} WHERE trim({raw}) <> ''"))
        problems, mapped = [], {}
        for v in values:
            try:
                code = responsible_entity_code(clean_cell(v))
            except CellError as exc:
                problems.append(Problem(self.label, None, "responsible_entity_id", v, exc.why))
                continue
            if code != v:
                mapped[v] = code
        if problems:
            raise InputError(problems, header="the entity table cannot be drawn from")
        if mapped:
            t = self.dialect.text_type
            self._put(_RESP_MAP, {"raw": (t, list(mapped)), "code": (t, list(mapped.values()))})
        return bool(mapped)

    def _check_ids(self, norm: str) -> None:
        n, distinct, empty = self._query(
            f"SELECT count(*), count(DISTINCT entity_id), sum(CASE WHEN entity_id = '' THEN 1 ELSE 0 END) "
            f"FROM ({norm}) t")[0]
        n, distinct, empty = int(n), int(distinct), int(empty or 0)
        problems = []
        if empty:
            problems.append(Problem(self.label, None, "entity_id", None,
                                    f"{empty} rows have an empty entity_id; every object needs its id (a "
                                    f"{ENTITY_KIND}'s 统一社会信用代码)"))
        if distinct - (1 if empty else 0) < n - empty:  # some non-empty id occurs twice
            dupes = self._query(f"SELECT entity_id, count(*) FROM ({norm}) t WHERE entity_id <> '' "
                                "GROUP BY entity_id HAVING count(*) > 1 ORDER BY entity_id LIMIT 5")
            shown = ", ".join(f"{e} ({c}×)" for e, c in dupes)
            problems.append(Problem(self.label, None, "entity_id", None,
                                    f"duplicate entity_id values, e.g. {shown}; list each object once (an id "
                                    "is unique across all 检查对象类别: it is the ticket id)"))
        if problems:
            raise InputError(problems, header="the entity table cannot be drawn from")

    # -- DrawEngine -------------------------------------------------------------------

    def responsible_of(self, ids: Sequence[str]) -> dict[str, str]:
        if not ids or "responsible_entity_id" not in self._found_columns():
            return {}
        self._put(_IDS, {"entity_id": (self.dialect.text_type, sorted(ids))})
        return {str(e): str(r) for e, r in self._query(
            f"SELECT entity_id, responsible_entity_id FROM ({self._normalised_sql()}) n "
            f"WHERE responsible_entity_id <> '' AND entity_id IN (SELECT entity_id FROM {_IDS})")}

    def rows(self, own_at_cap: Collection[str], responsible_at_cap: Collection[str]
             ) -> tuple[EntityTable, np.ndarray | None, np.ndarray, np.ndarray]:
        norm = self._normalised_sql()
        self._check_ids(norm)
        t = self.dialect.text_type
        self._put(_CAP, {"entity_id": (t, sorted(own_at_cap))})
        self._put(_RESP, {"entity_id": (t, sorted(responsible_at_cap))})
        # randsup.draw.sample.cap_flags as SQL: 1 at the cap by its own count, 2 only by a 责任主体.
        cap = (f"CASE WHEN entity_id IN (SELECT entity_id FROM {_CAP}) THEN 1 "
               f"WHEN entity_id IN (SELECT entity_id FROM {_RESP}) "
               f"OR responsible_entity_id IN (SELECT entity_id FROM {_RESP}) THEN 2 ELSE 0 END")
        has_resp = "CASE WHEN responsible_entity_id <> '' THEN 1 ELSE 0 END"
        self._materialise(_ENT + "_raw", f"SELECT n.*, {cap} AS at_cap, {has_resp} AS has_resp FROM ({norm}) n")
        group = ", ".join((*_PROFILE_COLUMNS, "has_resp", "at_cap"))
        k = len(_PROFILE_COLUMNS)
        raw = sorted((tuple(str(v) for v in r[:k]), int(r[k]), int(r[k + 1]), int(r[k + 2])) for r in self._query(
            f"SELECT {group}, count(*) FROM {_ENT}_raw GROUP BY {group}"))
        table, weights, at_cap, via = self._profiles(raw)
        self._put(_PROFILES, {
            "pid": ("INTEGER", list(range(len(raw)))),
            **{c: (t, [r[0][j] for r in raw]) for j, c in enumerate(_PROFILE_COLUMNS)},
            "has_resp": ("INTEGER", [r[1] for r in raw]),
            "at_cap": ("INTEGER", [r[2] for r in raw]),
            "risk": ("INTEGER", table.risk_class.astype(int).tolist()),
        })
        on = " AND ".join(f"e.{c} = p.{c}" for c in (*_PROFILE_COLUMNS, "has_resp", "at_cap"))
        self._with_responsible = bool(any(r[1] for r in raw))
        resp = ", e.responsible_entity_id" if self._with_responsible else ""
        self._materialise(_ENT, f"SELECT e.entity_id, p.pid, p.risk{resp} FROM {_ENT}_raw e "
                          f"JOIN {_PROFILES} p ON {on}")
        return table, weights, at_cap, via

    def _profiles(self, raw: list[tuple[tuple[str, ...], int, int, int]]
                  ) -> tuple[EntityTable, np.ndarray, np.ndarray, np.ndarray]:
        """The profiles as an EntityTable, cleaned and checked with load.py's rules."""
        problems: list[Problem] = []

        def categorical(j: int, column: str, check: Any) -> Categorical:
            clean = [clean_cell(r[0][j]) for r in raw]
            if check is not None:
                bad: dict[str, int] = {}
                for (vals, _, _, n), c in zip(raw, clean, strict=True):
                    if check(c):
                        bad[vals[j]] = bad.get(vals[j], 0) + n
                problems.extend(Problem(self.label, None, column, v, f"{check(clean_cell(v))} ({n} entities)")
                                for v, n in sorted(bad.items()))
            return Categorical.from_values(clean)

        kinds: list[str] = []
        for vals, _, _, n in raw:
            try:
                kinds.append(normalise_kind(clean_cell(vals[5])))
            except ValueError as exc:
                problems.append(Problem(self.label, None, "object_kind", vals[5], f"{exc} ({n} rows)"))
                kinds.append(ENTITY_KIND)
        market = [k == ENTITY_KIND for k in kinds]
        for (_, has_resp, _, n), is_entity in zip(raw, market, strict=True):
            if is_entity and has_resp:
                problems.append(Problem(self.label, None, "responsible_entity_id", None,
                                        f"a {ENTITY_KIND} is its own 责任主体; leave responsible_entity_id empty "
                                        f"on its row ({n} rows)"))
        # 主体类型 may be empty on objects of other kinds only (as in the loader).
        entity_type = categorical(0, "entity_type", None)
        bad_types: dict[str, int] = {}
        for (vals, _, _, n), is_entity in zip(raw, market, strict=True):
            v = clean_cell(vals[0])
            if (v or is_entity) and entity_type_problem(v):
                bad_types[vals[0]] = bad_types.get(vals[0], 0) + n
        problems.extend(Problem(self.label, None, "entity_type", v or None,
                                (f"{entity_type_problem(clean_cell(v))}" if v else
                                 f"empty: every {ENTITY_KIND} needs its 主体类型") + f" ({n} rows)")
                        for v, n in sorted(bad_types.items()))
        industry = categorical(1, "industry", industry_problem)
        area = categorical(2, "area", None)
        risk = np.zeros(len(raw), dtype=np.uint8)
        for i, ((vals, _, _, n), is_entity) in enumerate(zip(raw, market, strict=True)):
            code = risk_class_index(vals[3])
            if code is None and not is_entity and risk_ungraded(vals[3]):
                code = RISK_UNGRADED  # an object its department does not grade: the spec's default class
            if code is None:
                problems.append(Problem(self.label, None, "risk_class", vals[3] or None,
                                        f"信用风险分类 must be A, B, C or D ({n} rows; only objects that are "
                                        f"not {ENTITY_KIND} may leave it empty)"))
            risk[i] = code or 0
        tag_sets = [split_list(r[0][4]) for r in raw]
        tag_names = tuple(sorted({x for ts in tag_sets for x in ts}))
        if len(tag_names) > 64:
            problems.append(Problem(self.label, None, "tags", None,
                                    f"{len(tag_names)} different tags; randsup keeps at most 64"))
        if problems:
            raise InputError(problems, header="the entity table cannot be drawn from")
        bit = {x: 1 << j for j, x in enumerate(tag_names)}
        tags = np.asarray([sum(bit[x] for x in set(ts)) for ts in tag_sets], dtype=np.uint64)
        n = len(raw)
        table = EntityTable(
            entity_id=np.asarray([str(i) for i in range(n)], dtype=str), name=np.full(n, "", dtype=str),
            entity_type=entity_type, industry=industry, area=area, risk_class=risk, tags=tags,
            tag_names=tag_names, last_inspected=np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
            object_kind=Categorical.from_values(kinds) if n else None)
        self._profile_rows = [(RISK_CLASSES[int(risk[i])] if risk[i] != RISK_UNGRADED else "",
                               ";".join(tag_sets[i]), *(
            entity_type.categories[entity_type.codes[i]], industry.categories[industry.codes[i]],
            area.categories[area.codes[i]]), kinds[i]) for i in range(n)]
        weights = self._weights = np.asarray([r[3] for r in raw], dtype=np.int64)
        at_cap = np.asarray([r[2] > 0 for r in raw], dtype=bool)
        via = np.asarray([r[2] == 2 for r in raw], dtype=bool)
        return table, weights, at_cap, via

    def _keys(self) -> str:
        if not self._keys_ready:
            self._materialise(_KEYS, keyed_sql(self.dialect, _ENT, self.shared_seed, key_digits=self.key_digits))
            self._keys_ready = True
        return _KEYS

    def order(self, ticket_seed: str, requests: Sequence[tuple[np.ndarray, int, int]]
              ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """One window query for all classes of a task (sql.draw_sql); ties settled in Python.

        Each class is first asked only for rows within a generous distance of its start (the
        m-th of N uniform keys lies below m/N + 8 sd almost surely); a class that comes back
        short is asked again without the limit, so the result is exact either way.
        """
        if not requests:  # every object of the task's population is excluded
            return []
        # Each request is one class of the task; the SQL partitions by the request's number (an
        # ungraded object's class is the task's default, not a column of the table).
        classes = [(i, start, m, _arc_limit(m, int(self._weights[rows].sum()), self.key_digits))
                   for i, (rows, m, start) in enumerate(requests)]
        got = self._candidates(ticket_seed, requests, classes)
        short = [c for c in classes if c[3] is not None and sum(1 for r in got if int(r[2]) == c[0]) < c[2]]
        if short:
            again = {c[0] for c in short}
            got = [r for r in got if int(r[2]) not in again] + self._candidates(
                ticket_seed, [q for q, c in zip(requests, classes, strict=True) if c[0] in again],
                [(r, s, m, None) for r, s, m, _ in short])
        out = []
        for risk, start, m, _ in classes:
            mine = [r for r in got if int(r[2]) == risk]
            ids = np.asarray([str(r[0]) for r in mine], dtype=str)
            pids = np.asarray([int(r[1]) for r in mine], dtype=np.int64)
            keys = np.asarray([int(r[3]) for r in mine], dtype=np.uint64)
            t = TicketTable(ticket_seed, ids, keys)
            ordered = t.order(np.arange(len(mine)), m, start=start)  # exact ties: full ticket, then id
            out.append((ids[ordered], t.shifted(ordered, start), pids[ordered]))
        return out

    def _candidates(self, ticket_seed: str, requests: Sequence[tuple[np.ndarray, int, int]],
                    classes: list[tuple[int, int, int, int | None]]) -> list[tuple[Any, ...]]:
        self._put(_ROWS, {
            "pid": ("INTEGER", np.concatenate([r for r, _, _ in requests]).astype(int).tolist()),
            "risk": ("INTEGER", [c[0] for (r, _, _), c in zip(requests, classes, strict=True) for _ in range(r.size)])})
        shared = ticket_seed == self.shared_seed
        return self._query(draw_sql(self.dialect, self._keys() if shared else _ENT, _ROWS, classes,
                                    seed_string=None if shared else ticket_seed, key_digits=self.key_digits))

    def count_in_arc(self, rows: np.ndarray, start: int, length: int) -> int:
        self._put(_ROWS, {"pid": ("INTEGER", rows.astype(int).tolist())})
        return int(self._query(count_in_arc_sql(self.dialect, self._keys(), _ROWS, start, length))[0][0])

    # -- identity of an input that is not a file ---------------------------------------

    def content_digest(self) -> str:
        """SHA-256 of the canonical CSV of the normalised rows in id order (``CONTENT_DIGEST_KIND``).

        Columns: entity_id, entity_type, industry, area, risk_class (A–D, "" for an ungraded
        object), tags (sorted by first appearance as written, joined by ';'), and where some row is
        not a 市场主体 or names a 责任主体 also object_kind and responsible_entity_id (as
        save_directory writes them); the values are those the draw used.
        """
        assert self._profile_rows is not None, "rows() comes first"
        prof = self._profile_rows
        kinds = self._with_responsible or any(r[5] != ENTITY_KIND for r in prof)
        columns = (*ENTITY_COLUMNS, *KIND_COLUMNS) if kinds else ENTITY_COLUMNS
        resp = ", responsible_entity_id" if self._with_responsible else ", ''"
        h = hashlib.sha256()
        h.update(csv_text(columns, []).encode("utf-8"))
        for batch in self._iter_query(f"SELECT entity_id, pid{resp} FROM {_ENT} ORDER BY entity_id", _DIGEST_BATCH):
            lines = [(str(e), prof[p][2], prof[p][3], prof[p][4], prof[p][0], prof[p][1],
                      *((prof[p][5], str(r)) if kinds else ())) for e, p, r in batch]
            h.update(csv_text(columns, lines).split("\n", 1)[1].encode("utf-8"))
        return h.hexdigest()


# ---------------------------------------------------------------------------------------
# DuckDB


def require_duckdb() -> Any:
    """The duckdb module, or a clear InputError naming the extra to install."""
    try:
        import duckdb
    except ImportError:
        raise InputError(Problem("--engine duckdb", None, None, None,
                                 "needs the duckdb package: pip install 'randsup[duckdb]'"),
                         header="missing optional dependency") from None
    return duckdb


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBEngine(SqlEngine):
    """Draw from ``source``: a .parquet or .csv file (UTF-8, header row), or with ``database``
    (a .duckdb file) the name of a table in it."""

    name = "duckdb"
    dialect = DUCKDB

    def __init__(self, source: str | Path, shared_seed: str, *, database: str | Path | None = None,
                 threads: int | None = None, memory_limit: str | None = None,
                 key_digits: int = KEY_DIGITS) -> None:
        duckdb = require_duckdb()
        label = f"{database}, table {source}" if database is not None else Path(source).name
        super().__init__(shared_seed, label=label, key_digits=key_digits)
        if database is not None:
            if not Path(database).is_file():
                raise InputError(Problem(str(database), None, None, None, "no such DuckDB database file"))
            self.con = duckdb.connect(str(database), read_only=True)
            relation = '"' + str(source).replace('"', '""') + '"'
        else:
            path = Path(source)
            if not path.is_file():
                raise InputError(Problem(str(path), None, None, None, "no such file"))
            self.con = duckdb.connect()
            suffix = path.suffix.lower()
            if suffix == ".parquet":
                relation = f"read_parquet({_quoted(str(path))})"
            elif suffix == ".csv":
                relation = f"read_csv({_quoted(str(path))}, header = true, all_varchar = true)"
            else:
                raise InputError(Problem(str(path), None, None, None,
                                         "the DuckDB engine reads .parquet or .csv files, or a table "
                                         "(--entities TABLE --database FILE.duckdb)"))
        if threads is not None:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            self.con.execute(f"SET memory_limit = {_quoted(memory_limit)}")
        self.con.execute("SET preserve_insertion_order = false")
        try:
            self.con.execute(f"CREATE TEMP VIEW randsup_src AS SELECT * FROM {relation}")
        except duckdb.Error as exc:
            raise InputError(Problem(label, None, None, None, f"DuckDB cannot read it: {exc}"),
                             header="unreadable input") from None

    def _columns(self) -> list[str]:
        return [r[0] for r in self.con.execute("DESCRIBE randsup_src").fetchall()]

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def _iter_query(self, sql: str, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        cur = self.con.execute(sql)
        while rows := cur.fetchmany(batch):
            yield rows

    def _put(self, name: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
        cols = ", ".join(f"unnest(?::{typ}[]) AS {c}" for c, (typ, _) in columns.items())
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols}",
                         [values for _, values in columns.values()])

    def _materialise(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def close(self) -> None:
        self.con.close()


# ---------------------------------------------------------------------------------------
# Spark SQL


def local_spark_session(cores: int = 2) -> Any:
    """A local SparkSession (``local[cores]``) with settings for small, quick jobs."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(Problem("--engine spark", None, None, None,
                                 "needs pyspark and a Java runtime: pip install 'randsup[spark]'"),
                         header="missing optional dependency") from None
    return (SparkSession.builder.master(f"local[{cores}]").appName("randsup")
            .config("spark.sql.shuffle.partitions", str(max(2, cores)))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.ansi.enabled", "true")
            .getOrCreate())


class SparkEngine(SqlEngine):
    """Draw from ``source``: a table name known to ``spark``, or a .parquet / .csv path."""

    name = "spark"
    dialect = SPARK

    def __init__(self, source: str | Path, shared_seed: str, *, spark: Any | None = None,
                 key_digits: int = KEY_DIGITS) -> None:
        self.spark = spark if spark is not None else local_spark_session()
        text = str(source)
        suffix = Path(text).suffix.lower()
        super().__init__(shared_seed, label=Path(text).name if suffix in (".parquet", ".csv") else text,
                         key_digits=key_digits)
        if suffix == ".parquet":
            df = self.spark.read.parquet(text)
        elif suffix == ".csv":
            df = self.spark.read.csv(text, header=True, inferSchema=False)
        else:
            df = self.spark.table(text)
        df.createOrReplaceTempView("randsup_src")
        self._cached: list[str] = []

    def _columns(self) -> list[str]:
        return list(self.spark.table("randsup_src").columns)

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def _put(self, name: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
        from pyspark.sql.types import IntegerType, StringType, StructField, StructType

        types = {"INTEGER": IntegerType(), self.dialect.text_type: StringType()}
        schema = StructType([StructField(c, types[t]) for c, (t, _) in columns.items()])
        rows = list(zip(*(v for _, v in columns.values()), strict=True))
        self.spark.createDataFrame(rows, schema).createOrReplaceTempView(name)

    def _materialise(self, name: str, sql: str) -> None:
        df = self.spark.sql(sql).cache()
        df.count()  # computed now, once
        df.createOrReplaceTempView(name)

    def close(self) -> None:
        for name in ("randsup_keys", "randsup_ent", "randsup_ent_raw"):
            if self.spark.catalog.tableExists(name):
                self.spark.catalog.dropTempView(name)
