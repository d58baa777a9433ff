"""The draw inside a database (issue 16): DuckDB and Spark SQL select exactly what the Python engine does.

One spec (together, apart, independent, count and ratio tasks, filters, annual-cap exclusions)
on 10^5 generated entities; every engine must give the same DrawResult, and the selections
must be consistent_sampler's. Spark runs where pyspark and Java are present (marker ``spark``).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import consistent_sampler as cs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randsup.demo.province import province_entity_table, write_province_entities, write_province_folder
from randsup.draw.sample import draw_entities
from randsup.draw.seed import PublicSeed
from randsup.draw.tickets import ticket, ticket_keys
from randsup.errors import InputError
from randsup.inputs.load import load_directory
from randsup.model import RISK_CLASSES, Directory
from randsup.spec import PlanSpec, TaskSpec, load_spec

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

from randsup.draw.engines import DuckDBEngine  # noqa: E402  (after the optional-dependency skips)
from randsup.draw.sql import DUCKDB, keyed_sql  # noqa: E402

N = 100_000
SOURCES = ["02 05 12 20 25 31 08", "3245.67"]


@dataclasses.dataclass
class World:
    folder: Path  # demo data folder with entities.parquet (N entities) instead of entities.csv
    directory: Directory  # the same, entities in memory
    spec: PlanSpec
    seed: PublicSeed
    year_counts: dict[str, int]
    parquet: Path
    csv: Path


ENTITY_TASKS = ("T01", "T03", "T04", "T06", "T11", "TI")
OBJECT_TASKS = ("T05", "T19", "T20", "T21", "T22", "T23")  # 产品, 工地, 路段, 建筑物, 设备, 其他


def _spec(demo: PlanSpec) -> PlanSpec:
    """Five tasks of the demo spec plus an independent one: every coordination and both size modes;
    and one task per kind of object that is not a market entity (检查对象类别), one of them
    ``apart`` and one ``independent``. The demo spec caps by 责任主体 and names a default class."""
    by_id = {t.task_id: t for t in demo.tasks}
    independent = TaskSpec.model_validate({
        "task_id": "TI", "name": "独立抽查", "check_items": list(by_id["T03"].check_items),
        "population": {"exclude_tags": ["不予现场检查"]}, "ratio": {"A": 0.004, "B": 0.004, "C": 0.01, "D": 0.03},
        "coordination": "independent"})
    by_id["TI"] = independent
    by_id["T20"] = by_id["T20"].model_copy(update={"coordination": "independent"})
    by_id["T21"] = by_id["T21"].model_copy(update={"coordination": "apart"})
    assert demo.cap_by_responsible_entity and demo.default_risk_class is not None
    return demo.model_copy(update={"tasks": tuple(by_id[t] for t in (*ENTITY_TASKS, *OBJECT_TASKS))})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("engines")
    folder, template = write_province_folder(root, N, seed=3)
    parquet = folder / "entities.parquet"
    csv = write_province_entities(root / "entities.csv", N, template, seed=3)
    entities = province_entity_table(N, template, seed=3)
    directory = dataclasses.replace(load_directory(folder, with_entities=False), entities=entities)
    spec = _spec(load_spec(folder / "plan-2027Q1.toml"))
    seed = PublicSeed.for_spec(spec.seed, SOURCES, None)
    year_counts = {str(e): 2 for e in entities.entity_id[::97].tolist()}  # about 1% at the annual cap
    # A third of the objects inspected once: a 责任主体 with two of them, or one and a visit of its
    # own, is at the cap (spec cap_by_responsible_entity), and so are its other objects.
    objects = ~entities.kind_mask("市场主体")
    year_counts |= {str(e): 1 for e in entities.entity_id[objects][::3].tolist()}
    responsible = sorted({r for r in entities.responsible_entity_id.values()[objects].tolist() if r})
    year_counts |= {r: 1 for r in responsible[::4]}
    return World(folder, directory, spec, seed, year_counts, parquet, csv)


@pytest.fixture(scope="module")
def python_draw(world: World):  # noqa: ANN201
    return draw_entities(world.directory, world.spec, world.seed, year_counts=world.year_counts)


def _duckdb(world: World, source: str | Path, **kw: object) -> DuckDBEngine:
    return DuckDBEngine(source, world.seed.entity_ticket_seed, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# The key in SQL


@settings(max_examples=30, deadline=None)
@given(ids=st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda s: s == s.strip()), min_size=1, max_size=40, unique=True), seed=st.text(max_size=30),
    digits=st.sampled_from([19, 7, 1]))
def test_sql_key_equals_the_python_ticket_key(ids: list[str], seed: str, digits: int) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT unnest(?::VARCHAR[]) AS entity_id, 0 AS pid, 0 AS risk", [ids])
    got = {e: int(k) for e, _, _, k in con.execute(keyed_sql(DUCKDB, "src", seed, key_digits=digits)).fetchall()}
    want = dict(zip(ids, ticket_keys(seed, ids).tolist(), strict=True)) if digits == 19 else \
        {e: int(ticket(seed, e)[2:2 + digits]) for e in ids}
    assert got == want


# ---------------------------------------------------------------------------------------
# Identical draws


def test_the_spec_covers_every_coordination_and_the_cap(world: World, python_draw) -> None:  # noqa: ANN001
    assert {t.coordination for t in python_draw.tasks} == {"together", "apart", "independent"}
    by_id = {t.task_id: t for t in python_draw.tasks}
    assert all(by_id[t].exclusions.get("annual_cap", 0) > 0 for t in ENTITY_TASKS)
    assert sum(len(by_id[t].selected) for t in ENTITY_TASKS) > 500
    assert all(t.alternates for t in python_draw.tasks)
    # Each object task draws only its kind, some objects are ungraded, some excluded by a 责任主体.
    ent = world.directory.entities
    kind_of = dict(zip(ent.entity_id.tolist(), ent.object_kind.values().tolist(), strict=True))
    kinds = {t: {kind_of[e] for e in (*by_id[t].selected, *(a for c in by_id[t].alternates.values() for a in c))}
             for t in OBJECT_TASKS}
    assert all(len(k) <= 1 and "市场主体" not in k for k in kinds.values())
    assert len(set().union(*kinds.values())) >= len(OBJECT_TASKS) - 1
    assert (ent.risk_class == 255).any()
    assert sum(t.exclusions.get("responsible_entity_cap", 0) for t in python_draw.tasks) > 0


@pytest.mark.parametrize("kind", ["parquet", "csv", "table"])
def test_duckdb_draws_what_python_draws(world: World, python_draw, kind: str, tmp_path: Path) -> None:  # noqa: ANN001
    if kind == "table":
        db = tmp_path / "dir.duckdb"
        con = duckdb.connect(str(db))
        con.execute(f"CREATE TABLE 名录库 AS SELECT * FROM read_parquet('{world.parquet}')")
        con.close()
        engine = _duckdb(world, "名录库", database=db)
    else:
        engine = _duckdb(world, world.parquet if kind == "parquet" else world.csv)
    got = draw_entities(world.directory, world.spec, world.seed, year_counts=world.year_counts, engine=engine)
    assert got == python_draw  # selections, alternates, strata, starts, exclusions, shared pairs
    engine.close()


def test_a_too_tight_prefilter_is_retried_without_it(world: World, python_draw, monkeypatch) -> None:  # noqa: ANN001
    import randsup.draw.engines as engines

    monkeypatch.setattr(engines, "_arc_limit", lambda m, n, digits: 1)  # every class comes back short
    got = draw_entities(world.directory, world.spec, world.seed, year_counts=world.year_counts,
                        engine=_duckdb(world, world.parquet))
    assert got == python_draw


def test_selections_are_consistent_samplers(world: World, python_draw) -> None:  # noqa: ANN001
    """Unfiltered together task T03 and the independent task: each class is cs.sampler's sample."""
    ent = world.directory.entities
    at_cap = np.isin(ent.entity_id, list(world.year_counts))
    cls_of = dict(zip(ent.entity_id.tolist(), ent.risk_class.tolist(), strict=True))
    desk = ent.has_tag("不予现场检查")
    for td in python_draw.tasks:
        if td.task_id not in ("T03", "TI"):
            continue
        for h, c in enumerate(RISK_CLASSES):
            pop = ~at_cap & (ent.risk_class == h) & (~desk if td.task_id == "TI" else True)
            k = td.strata[c].sample
            want = list(cs.sampler(ent.entity_id[pop].tolist(), seed=td.ticket_seed,
                                   take=k + len(td.alternates[c]), output="id"))
            mine = [e for e in td.selected if cls_of[e] == h]
            assert mine + list(td.alternates[c]) == want


def test_ties_of_a_shortened_key_fall_back_to_the_full_ticket(world: World) -> None:
    """With 2-digit keys (a test hook; a draw uses 19) most keys tie; the order must not change."""
    sub = dataclasses.replace(world.directory, entities=province_entity_table(3000, world.directory.entities,
                                                                              seed=5))
    spec = world.spec.model_copy(update={"tasks": tuple(t for t in world.spec.tasks
                                                        if t.coordination != "apart")})
    path = write_province_entities(world.folder.parent / "small.parquet", 3000, world.directory.entities, seed=5)
    want = draw_entities(sub, spec, world.seed)
    got = draw_entities(sub, spec, world.seed, engine=_duckdb(world, path, key_digits=2))
    cls_of = dict(zip(sub.entities.entity_id.tolist(), sub.entities.risk_class.tolist(), strict=True))
    for a, b in zip(got.tasks, want.tasks, strict=True):
        assert a.strata == b.strata and a.alternates == b.alternates
        for h in range(len(RISK_CLASSES)):  # within a class, in ticket order; classes merge by key, which ties here
            assert [e for e in a.selected if cls_of[e] == h] == [e for e in b.selected if cls_of[e] == h]
    drawn = [e for t in want.tasks for e in t.selected]
    short = {int(ticket(world.seed.entity_ticket_seed, e)[2:4]) for e in drawn}
    assert len(short) < len(set(drawn))  # ties really happened among the drawn


def test_content_digest_is_the_same_for_every_form_of_the_same_rows(world: World, tmp_path: Path) -> None:
    digests = set()
    for source in (world.parquet, world.csv):
        e = _duckdb(world, source)
        e.rows([], [])
        digests.add(e.content_digest())
    assert len(digests) == 1
    e = _duckdb(world, world.csv)
    e.rows(["changes the at-cap flag, not the rows"], [])
    assert e.content_digest() in digests


def test_database_rows_with_bad_values_are_refused_with_the_column(world: World, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("entity_id,entity_type,industry,area,risk_class\n"
                    "91310101MA0000001X,企业,F5221,岳阳街道,E\n91310101MA0000001X,企业,F5221,岳阳街道,A\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        draw_entities(world.directory, world.spec, world.seed, engine=_duckdb(world, path))
    text = str(info.value)
    assert "duplicate entity_id" in text and "91310101MA0000001X" in text


def test_database_objects_are_read_with_the_loaders_rules(world: World, tmp_path: Path) -> None:
    """Object kinds as spelled in a registry export, empty classes and types on objects, a 责任主体
    in lower case: read as the loader reads them; a 市场主体 naming a 责任主体 and a bad code refused."""
    ent = world.directory.entities
    firm = str(ent.entity_id[0])
    path = tmp_path / "objects.csv"
    head = "统一社会信用代码,主体类型,行业代码,所属街镇,信用风险分类,检查对象类别,责任主体\n"
    rows = f"{firm},企业,F5221,岳阳街道,B,,\nG60K025-K027,,,车墩镇,,道路,\n310117202603150001,,,岳阳街道,C类,施工工地,{firm.lower()}\n"
    path.write_text(head + rows, encoding="utf-8")
    e = _duckdb(world, path)
    assert e.responsible_of(["310117202603150001", "G60K025-K027", firm]) == {"310117202603150001": firm}
    table, weights, at_cap, via = e.rows([], [firm])
    got = {k: (int(r), bool(c), bool(v)) for k, r, c, v in zip(
        table.object_kind.values().tolist(), table.risk_class.tolist(), at_cap, via, strict=True)}
    # The firm at its cap counting its site: the firm and the site excluded, the road not.
    assert got == {"市场主体": (1, True, True), "路段": (255, False, False), "工地": (2, True, True)}
    assert weights.sum() == 3
    for bad, column in ((f"{firm},企业,F5221,岳阳街道,B,,{firm}\n", "responsible_entity_id"),
                        ("310117202603150001,,,岳阳街道,,工地,91310000XXXXXXXXX\n", "responsible_entity_id"),
                        (f"{firm},,F5221,岳阳街道,B,,\n", "entity_type"),
                        ("G60K025-K027,,,车墩镇,,马路,\n", "object_kind")):
        path.write_text(head + bad, encoding="utf-8")
        with pytest.raises(InputError) as info:
            _duckdb(world, path).rows([], [])
        assert column in str(info.value), bad


# ---------------------------------------------------------------------------------------
# Parquet through the loader, the draw-only command


def test_parquet_entities_load_like_csv(world: World, tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    shutil.copytree(world.folder, folder)
    (folder / "entities.parquet").unlink()
    write_province_entities(folder / "entities.csv", 5000, world.directory.entities, seed=9)
    (tmp_path / "pq").mkdir()
    for p in folder.iterdir():
        if p.name != "entities.csv":
            shutil.copy(p, tmp_path / "pq" / p.name)
    write_province_entities(tmp_path / "pq" / "entities.parquet", 5000, world.directory.entities, seed=9,
                            batch=1234)
    _same_tables(load_directory(folder).entities, load_directory(tmp_path / "pq").entities)


def _messy_copies(world: World, tmp_path: Path, rows: list[list[str | None]], columns: tuple[str, ...],
                  types: dict[str, object] | None = None) -> tuple[Path, Path]:
    """The world's data folder twice: with ``rows`` as entities.csv (None as an empty cell) and as
    entities.parquet (None as null; ``types`` casts columns, e.g. dates to date32)."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    out = []
    for kind in ("csv", "parquet"):
        folder = tmp_path / kind
        shutil.copytree(world.folder, folder)
        (folder / "entities.parquet").unlink()
        out.append(folder)
    with (out[0] / "entities.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        w.writerows([["" if c is None else c for c in r] for r in rows])
    table = pa.table({c: pa.array([r[j] for r in rows], pa.string()) for j, c in enumerate(columns)})
    for c, t in (types or {}).items():
        table = table.set_column(columns.index(c), c, table.column(c).cast(t))
    pq.write_table(table, out[1] / "entities.parquet", row_group_size=7)
    return out[0], out[1]


def _same_tables(a: object, b: object) -> None:
    for f in dataclasses.fields(a):  # type: ignore[arg-type]
        if not f.compare:
            continue  # a cache (EntityTable's id order), not data
        x, y = getattr(a, f.name), getattr(b, f.name)
        if hasattr(x, "codes"):  # Categorical
            assert x.categories == y.categories and np.array_equal(x.codes, y.codes), f.name
        elif isinstance(x, np.ndarray):
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "M"), f.name
        else:
            assert x == y, f.name


def test_parquet_batches_needing_the_loaders_rules_load_like_csv(world: World, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 7 rows: clean ones take the columnar fast path, the others (lower-case or
    full-width codes, a line break in a name) the text path; the
    table equals the CSV's either way, and a Parquet date column reads as its ISO text."""
    import pyarrow as pa

    from randsup.inputs import columnar

    monkeypatch.setattr(columnar, "PARQUET_BATCH", 7)
    e = world.directory.entities
    et, ind, area = e.entity_type.values(), e.industry.values(), e.area.values()
    columns = ("entity_id", "name", "entity_type", "industry", "area", "risk_class", "tags", "last_inspected")
    rows: list[list[str | None]] = []
    for i in range(70):
        rows.append([str(e.entity_id[i]), f"商户{i}", str(et[i]), str(ind[i]), str(area[i]),
                     RISK_CLASSES[int(e.risk_class[i])], ";".join(e.tags_of(i)),
                     "2026-03-0" + str(1 + i % 9) if i % 3 else None])
    rows[9][0] = rows[9][0].lower()  # batch 1: a lower-case code
    rows[16][0] = " " + rows[16][0].replace("9", "９")  # batch 2: full-width digit, a blank
    rows[30][1] = "上海\n某某有限公司"  # batch 4: a line break in a name becomes a space
    rows[38][5] = "ｂ类"  # batch 5: registry spelling of a class (a distinct value, fast path)
    rows[45][6] = None  # batch 6: null tags are empty cells (fast path)
    a_dir, b_dir = _messy_copies(world, tmp_path, rows, columns, {"last_inspected": pa.date32()})
    text_path = []
    records = columnar.ArrowBlock.records
    monkeypatch.setattr(columnar.ArrowBlock, "records", lambda self: text_path.append(1) or records(self))
    a, b = load_directory(a_dir).entities, load_directory(b_dir).entities
    assert len(text_path) == 3  # batches 1, 2 and 4 of 10
    _same_tables(a, b)
    assert str(b.name[30]) == "上海 某某有限公司" and str(b.entity_id[9]) == str(e.entity_id[9])


def test_parquet_bad_cells_are_reported_like_csv(world: World, tmp_path: Path) -> None:
    e = world.directory.entities
    et, ind, area = e.entity_type.values(), e.industry.values(), e.area.values()
    columns = ("entity_id", "name", "entity_type", "industry", "area", "risk_class")
    rows: list[list[str | None]] = [[str(e.entity_id[i]), f"商户{i}", str(et[i]), str(ind[i]),
                                     str(area[i]), RISK_CLASSES[int(e.risk_class[i])]] for i in range(40)]
    rows[3][5] = "E"  # no such class
    rows[7][0] = None  # no id
    rows[11][3] = "F52\x07"  # a control character
    rows[12][0] = rows[13][0]  # a duplicate
    messages = []
    for folder in _messy_copies(world, tmp_path, rows, columns):
        with pytest.raises(InputError) as err:
            load_directory(folder)
        messages.append(str(err.value).replace("entities.parquet", "entities.csv"))
    assert messages[0] == messages[1]
    for needle in ("row 5", "risk_class", "row 9", "empty", "row 13", "control character", "duplicate"):
        assert needle in messages[1], needle


def test_a_parquet_column_without_a_text_form_is_named(world: World, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "d"
    shutil.copytree(world.folder, folder)
    e = world.directory.entities
    table = pq.read_table(world.parquet).slice(0, 50)
    table = table.set_column(table.schema.get_field_index("tags"), "tags",
                             pa.array([[str(x)] for x in e.entity_id[:50].tolist()], pa.list_(pa.string())))
    pq.write_table(table, folder / "entities.parquet")
    r = _cli("validate", str(folder))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "entities.parquet" in r.stderr and "tags" in r.stderr and "export it as text" in r.stderr


def test_a_draw_reads_only_the_columns_it_needs(world: World) -> None:
    from randsup.inputs.load import DRAW_COLUMNS

    full = load_directory(world.folder).entities
    draw = load_directory(world.folder, entity_columns=DRAW_COLUMNS).entities
    assert set(full.name.tolist()) != {""} and set(draw.name.tolist()) == {""} and len(draw) == len(full)
    _same_tables(dataclasses.replace(full, name=draw.name,
                                     last_inspected=np.full(len(full), np.datetime64("NaT"), "datetime64[D]")),
                 draw)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "randsup", *args], capture_output=True, text=True, check=False)


def test_randsup_draw_writes_a_directory_verify_accepts(world: World, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(world.folder, data)
    (data / "entities.parquet").unlink()
    write_province_entities(data / "entities.parquet", 4000, world.directory.entities, seed=11)
    spec = data / "plan-2027Q1.toml"
    src = [a for s in SOURCES for a in ("--source", s)]
    outs = {}
    for engine in ("python", "duckdb"):
        outs[engine] = tmp_path / engine
        # One ledger per engine: in one ledger the second draw of the plan id would be a re-draw.
        r = _cli("draw", str(data), str(spec), *src, "--out", str(outs[engine]), "--engine", engine,
                 "--ledger", str(tmp_path / f"ledger-{engine}.sqlite"))
        assert r.returncode == 0, r.stderr
        assert f"engine 计算引擎: {engine}" in r.stdout
    a, b = ((outs[e] / "draw.json").read_text(encoding="utf-8") for e in ("python", "duckdb"))
    assert a.replace('"engine": "python"', "") == b.replace('"engine": "duckdb"', "").replace(
        '    "duckdb": "' + duckdb.__version__ + '",\n', "")
    for notice in ("public/draw-record.json", "drawn.csv", "public/draw-notice.md"):
        assert (outs["python"] / notice).read_bytes() != b"" and (outs["duckdb"] / notice).is_file()
    r = _cli("verify", str(outs["duckdb"]), "--data", str(data), "--ledger", str(tmp_path / "ledger-duckdb.sqlite"))
    assert r.returncode == 0, r.stderr
    tasks = json.loads(b)["draw"]["tasks"]
    drawn = sum(len(t["selected"]) for t in tasks)
    assert drawn > 0 and f"draw only, {len(tasks)} tasks, {drawn} drawn" in r.stdout and "visits" not in r.stdout
    drawn = outs["python"] / "drawn.csv"
    drawn.write_text(drawn.read_text(encoding="utf-8").replace("selected,1,", "selected,0,", 1), encoding="utf-8")
    r = _cli("verify", str(outs["python"]), "--data", str(data))
    assert r.returncode == 1
    assert "drawn.csv" in r.stderr


def test_randsup_draw_from_a_duckdb_table_records_a_content_digest(world: World, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE ent AS SELECT * FROM read_parquet('{world.parquet}') LIMIT 3000")
    # and the objects of other kinds (the spec has a task for each), which come last
    con.execute(f"INSERT INTO ent SELECT * FROM read_parquet('{world.parquet}') WHERE object_kind <> '市场主体'")
    con.close()
    out = tmp_path / "out"
    src = [a for s in SOURCES for a in ("--source", s)]
    r = _cli("draw", str(world.folder), str(world.folder / "plan-2027Q1.toml"), *src, "--out", str(out),
             "--engine", "duckdb", "--entities", "ent", "--database", str(db))
    assert r.returncode == 0, r.stderr
    record = (out / "draw.json").read_text(encoding="utf-8")
    assert '"sha256-canonical-csv/1"' in record and "entities.parquet" not in record
    r = _cli("verify", str(out), "--data", str(world.folder), "--entities", "ent", "--database", str(db))
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------------------------------
# Spark SQL (local[2]); one session for the module


def _spark_available() -> str | None:
    if shutil.which("java") is None:
        return "no Java runtime"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'randsup[spark]')"
    return None


@pytest.fixture(scope="module")
def spark():  # noqa: ANN201
    why = _spark_available()
    if why:
        pytest.skip(why)
    from randsup.draw.engines import local_spark_session

    session = local_spark_session(2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.spark
def test_spark_draws_what_python_and_duckdb_draw(world: World, python_draw, spark) -> None:  # noqa: ANN001
    from randsup.draw.engines import SparkEngine

    engine = SparkEngine(str(world.parquet), world.seed.entity_ticket_seed, spark=spark)
    got = draw_entities(world.directory, world.spec, world.seed, year_counts=world.year_counts, engine=engine)
    assert got == python_draw
    d = _duckdb(world, world.parquet)
    d.rows(list(world.year_counts), [])
    assert engine.content_digest() == d.content_digest()
    engine.close()
