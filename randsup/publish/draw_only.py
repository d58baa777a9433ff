"""A draw without visits and teams (第一随机 only): a province's 企业公示信息抽查 of 10^7 entities.

``randsup draw`` writes a *draw directory*, the draw-only counterpart of a plan directory:

* ``draw.json`` (``randsup-draw/1``): the seed record, the inputs and their digests, the
  engine, and per task the strata, the drawn entities in ticket order and the alternates;
* ``drawn.csv`` (internal, the 抽查名单): task, class, role (selected/alternate), rank, entity;
* ``ledger-history.csv`` when the ledger added this year's earlier visits (the annual cap), as
  beside a plan;
* ``spec.json``; ``public/draw-notice.md|html`` and ``public/draw-record.json``, rendered by
  publish.py's own notice and record code, with the engine named; ``manifest.json``.

The draw itself is :func:`randsup.draw.draw_entities` with any engine (Python, DuckDB, Spark);
the result does not depend on the engine, and ``verify`` recomputes and compares every file.
Entities not held in a file (a database table) are identified by a content digest (see
randsup.draw.engines).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..draw.sample import DrawEngine, draw_entities
from ..draw.seed import PublicSeed
from ..draw.visits import task_scope
from ..errors import InputError, OutputError, Problem, VerificationError
from ..io import atomic_directory, canonical_json, csv_text
from ..model import RISK_CLASSES, Directory, DrawResult, LedgerAnchor, Plan, PlanTask
from ..plan import software_versions
from ..spec import PlanSpec, check_spec_against, require_secrecy
from .files import DRAW_RECORD, LEDGER_HISTORY_INPUT, MANIFEST_FILE, SPEC_FILE, read_json
from .record import draw_only_record
from .render import (
    _Names,
    _notice_blocks,
    holidays_files,
    manifest_bytes,
    render_notice_html,
    render_notice_markdown,
    spec_json_bytes,
)

__all__ = ["DRAWN_CSV", "DRAW_FILE", "DRAW_FORMAT", "DrawOnly", "EntitySource", "Prepare", "as_plan",
           "draw_json_bytes", "draw_summary", "make_draw", "read_draw", "render_draw", "write_draw"]

DRAW_FILE = "draw.json"
DRAW_FORMAT = "randsup-draw/1"
DRAWN_CSV = "drawn.csv"
NOTICE_MD = "public/draw-notice.md"
NOTICE_HTML = "public/draw-notice.html"
ENGINES = ("python", "duckdb", "spark")
FILE_DIGEST_KIND = "sha256"


class DrawOnly(BaseModel):
    """What ``draw.json`` holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str = DRAW_FORMAT
    plan_id: str
    quarter: str
    engine: str  # which engine computed it; the draw does not depend on it
    entities: str  # the entity input: a file name in the data folder, or "TABLE (database)"
    seed: dict[str, str | None]
    inputs: dict[str, str]  # input name → digest
    digest_kinds: dict[str, str]  # input name → "sha256" (of the file) or the content digest kind
    software: dict[str, str]
    draw: DrawResult
    # The ledger head the draw was made against (a recorded input, as in plan.json); draw.json
    # leaves the key out for a draw made without a ledger.
    ledger: LedgerAnchor | None = None


@dataclass(frozen=True)
class EntitySource:
    """Where the entities of a draw come from, and the engine that draws from them.

    ``engine`` "python" loads the data folder (entities.csv or entities.parquet) into memory;
    "duckdb" and "spark" draw inside the database from ``entities`` (a file; default the data
    folder's entities.parquet or entities.csv) or, with ``database``, a table of that DuckDB
    file (Spark: a table name the session knows).
    """

    engine: str = "python"
    entities: str | None = None
    database: str | None = None
    spark: Any = None  # a SparkSession; None starts a local one

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise InputError(Problem("--engine", None, None, self.engine,
                                     f"unknown engine; choose one of {', '.join(ENGINES)}"), header="bad option")


def _sha256_file(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _entity_file(data: Path, source: EntitySource) -> Path | None:
    if source.database is not None:
        return None
    if source.entities is not None:
        return Path(source.entities)
    for name in ("entities.parquet", "entities.csv"):
        if (data / name).is_file():
            return data / name
    raise InputError(Problem(str(data), None, None, None,
                             "has no entities.parquet or entities.csv; add one or pass --entities"))


Prepare = Callable[[Directory], Directory]
"""Adds to the loaded data folder what the draw also reads (the ledger's history of the year)."""


def _open(data: Path, source: EntitySource, shared_seed: str, prepare: Prepare | None = None
          ) -> tuple[Directory, DrawEngine | None, str, dict[str, str], dict[str, str], Callable[[], None]]:
    """(directory, engine, entity input name, input digests, digest kinds, close)."""
    from ..inputs.load import DRAW_COLUMNS, load_directory

    if source.engine == "python":
        if source.entities is not None or source.database is not None:
            raise InputError(Problem("--entities", None, None, source.entities or source.database,
                                     "the python engine reads the entities of the data folder; "
                                     "use --engine duckdb or spark for another source"), header="bad option")
        d = load_directory(data, entity_columns=DRAW_COLUMNS)  # no names: a draw does not need them
        if prepare is not None:
            d = prepare(d)
        name = next((n for n in sorted(d.digests) if Path(n).stem == "entities"), "entities")
        return d, None, name, dict(d.digests), {k: FILE_DIGEST_KIND for k in d.digests}, lambda: None
    d = load_directory(data, with_entities=False)
    if prepare is not None:
        d = prepare(d)
    digests = dict(d.digests)
    kinds = {k: FILE_DIGEST_KIND for k in digests}
    path = _entity_file(data, source)
    engine: Any
    if source.engine == "duckdb":
        from ..draw.engines import DuckDBEngine

        if source.database is not None and source.entities is None:
            raise InputError(Problem("--database", None, None, source.database,
                                     "name the table to draw from with --entities TABLE"), header="bad option")
        engine = DuckDBEngine(source.entities if source.database is not None else path,  # type: ignore[arg-type]
                              shared_seed, database=source.database)
    else:
        from ..draw.engines import SparkEngine

        engine = SparkEngine(str(path) if path is not None else str(source.entities), shared_seed, spark=source.spark)
    if path is not None:
        name = path.name
        digests[name] = _sha256_file(path)
        kinds[name] = FILE_DIGEST_KIND
    else:
        name = f"{source.entities} ({source.database})" if source.database else str(source.entities)
    close = getattr(engine, "close", lambda: None)
    return d, engine, name, digests, kinds, close


def make_draw(data: str | Path, spec: PlanSpec, seed: PublicSeed, *,
              source: EntitySource | None = None, prepare: Prepare | None = None) -> tuple[DrawOnly, Directory]:
    """第一随机 of every task of ``spec`` over the entities of ``data``, with the chosen engine;
    returns the draw and the directory of small tables (names for the notice).

    ``prepare`` extends the loaded data folder before the draw (history/planning.py merges the
    ledger's history of the year in, so that the annual cap sees it); ``spec.ledger`` is copied
    into draw.json.

    Raises:
        SpecError: the spec does not fit the data. InputError: the data or entity source is unusable.
    """
    src = source or EntitySource()
    directory, engine, name, digests, kinds, close = _open(Path(data), src, seed.entity_ticket_seed, prepare)
    try:
        check_spec_against(spec, directory)
        result = draw_entities(directory, spec, seed, engine=engine)
        if engine is not None and _is_table(src):
            from ..draw.engines import CONTENT_DIGEST_KIND

            digests[name] = engine.content_digest()  # type: ignore[attr-defined]
            kinds[name] = CONTENT_DIGEST_KIND
    finally:
        close()
    software = software_versions()
    if src.engine != "python":
        from importlib.metadata import PackageNotFoundError, version

        try:
            software[src.engine] = version("pyspark" if src.engine == "spark" else "duckdb")
        except PackageNotFoundError:
            software[src.engine] = "unknown"
    software.pop("ortools", None)
    software.pop("chinesecalendar", None)
    return DrawOnly(plan_id=spec.plan_id, quarter=spec.quarter, engine=src.engine, entities=name,
                    seed=seed.record(), inputs=dict(sorted(digests.items())),
                    digest_kinds=dict(sorted(kinds.items())), software=dict(sorted(software.items())),
                    draw=result, ledger=spec.ledger), directory


def _is_table(src: EntitySource) -> bool:
    """Whether the entities are a database table (identified by content digest), not a file."""
    return src.database is not None or (src.engine == "spark" and src.entities is not None
                                        and Path(src.entities).suffix.lower() not in (".parquet", ".csv"))


def as_plan(d: DrawOnly, spec: PlanSpec, directory: Directory) -> Plan:
    """The draw as a Plan without visits: what publish.py's notice and draw record read, and what the
    ledger records (history/planning.py)."""
    by_id = {t.task_id: t for t in spec.tasks}
    tasks = []
    for td in d.draw.tasks:
        ts = by_id[td.task_id]
        scope = task_scope(directory, ts)
        tasks.append(PlanTask(task_id=td.task_id, name=ts.name, lead_department=scope.lead_department,
                              departments=scope.departments,
                              task_seed=td.ticket_seed, strata=td.strata, coordination=td.coordination,
                              start=td.start))
    # 递补 order, as in a plan: class by class (A–D), ticket order within a class.
    alternates = {td.task_id: tuple(e for k in RISK_CLASSES for e in td.alternates.get(k, ())) for td in d.draw.tasks}
    return Plan(plan_id=d.plan_id, quarter=d.quarter, seed=d.seed, inputs=d.inputs, software=d.software,
                tasks=tuple(tasks), visits=(), alternates=alternates, stats={}, ledger=d.ledger)


def _drawn_rows(d: DrawOnly) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for td in d.draw.tasks:
        for rank, e in enumerate(td.selected, start=1):
            rows.append((td.task_id, "selected", str(rank), e))
        for k in RISK_CLASSES:
            for rank, e in enumerate(td.alternates.get(k, ()), start=1):
                rows.append((td.task_id, f"alternate {k}", str(rank), e))
    return rows


def draw_json_bytes(d: DrawOnly) -> bytes:
    """draw.json: the draw; without a ledger anchor the key is left out (as draws before 0.2 wrote it)."""
    return canonical_json(d.model_dump(mode="json", exclude={"ledger"} if d.ledger is None else None))


def render_draw(d: DrawOnly, *, spec: PlanSpec, directory: Directory,
                history_file: bytes | None = None) -> dict[str, bytes]:
    """Every file of the draw directory, path → bytes, manifest included. Pure.

    ``history_file``: the ledger history the draw read (``ledger-history.csv``), kept beside it
    so that ``verify`` reads it again.
    """
    plan = as_plan(d, spec, directory)
    names = _Names(directory)
    files: dict[str, bytes] = {DRAW_FILE: draw_json_bytes(d), SPEC_FILE: spec_json_bytes(spec)}
    files.update(holidays_files(spec))  # the working-day calendar of its results' deadlines
    if history_file is not None:
        files[LEDGER_HISTORY_INPUT] = history_file
    files[DRAWN_CSV] = csv_text(("task_id", "role", "rank", "entity_id"), _drawn_rows(d)).encode("utf-8")
    require_secrecy(spec, d.seed.get("salt_commitment"))
    blocks = _notice_blocks(plan, spec, names)
    files[NOTICE_MD] = render_notice_markdown(blocks).encode("utf-8")
    files[NOTICE_HTML] = render_notice_html(blocks, blocks[0].text).encode("utf-8")
    check_items = {t.task_id: names.task_check_items(t) for t in spec.tasks}
    files[DRAW_RECORD] = canonical_json(draw_only_record(plan, spec, check_items=check_items, engine=d.engine,
                                                         entity_input=d.entities, digest_kinds=d.digest_kinds))
    files[MANIFEST_FILE] = manifest_bytes(files)
    return dict(sorted(files.items()))


def write_draw(d: DrawOnly, out: str | Path, *, spec: PlanSpec, directory: Directory) -> Path:
    """Write the draw directory atomically, without a ledger; an existing ``out`` is an OutputError."""
    files = render_draw(d, spec=spec, directory=directory)
    target = Path(out)
    if target.exists():
        raise OutputError(f"{target} exists already; choose a new output folder or remove the old one")
    with atomic_directory(target) as tmp:
        for name, data in files.items():
            p = tmp / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
    return target


def read_draw(out: str | Path) -> DrawOnly:
    """draw.json of a draw directory, validated."""
    out = Path(out)
    raw = read_json(out / DRAW_FILE, DRAW_FILE)
    if not isinstance(raw, dict) or raw.get("format") != DRAW_FORMAT:
        raise VerificationError(f"{out / DRAW_FILE}: format is not {DRAW_FORMAT!r}; not a randsup draw")
    try:
        return DrawOnly.model_validate(raw)
    except ValidationError as exc:
        raise VerificationError(f"{out / DRAW_FILE}: {exc.error_count()} problem(s), e.g. "
                                f"{exc.errors()[0]['msg']}; the file was edited by hand") from None


def draw_summary(d: DrawOnly) -> list[tuple[str, str]]:
    """The figures the CLI prints after a draw, as (label, value) rows."""
    return [("tasks 抽查任务", str(len(d.draw.tasks))),
            ("drawn 抽中户次", str(sum(len(t.selected) for t in d.draw.tasks))),
            ("drawn by several tasks 多任务共同抽中", str(d.draw.shared_pairs)),
            ("engine 计算引擎", d.engine)]
