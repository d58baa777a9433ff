"""Province-scale entity directories (10^7 rows and more) for the scale benchmark and the engine tests.

Each generated entity copies the attributes (type, industry, area, credit-risk class, tags,
last inspection) of a random entity of a small *template* directory (the demo district), so
that the template's plan specification fits it, and gets a fresh, valid 统一社会信用代码
numbered from its row: ``91`` + a division code + ``MA`` + six base-31 digits, plus the two
check characters. After them come the template's objects of other kinds (sites, road sections,
buildings, products, equipment: 检查对象类别) as they are, their 责任主体 among the generated
entities, so that the spec's tasks for those kinds have objects to draw. Rows are produced in
batches, so a Parquet or CSV file of any size is written without holding it in memory.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..inputs.columnar import require_pyarrow
from ..inputs.uscc import ALPHABET
from ..model import ENTITY_KIND, RISK_CLASSES, RISK_UNGRADED, Categorical, EntityTable
from .synth import fill_uscc_checks, minimum_inspectors, write_demo_data

__all__ = ["PROVINCE_COLUMNS", "province_batches", "province_entity_table", "write_province_entities",
           "write_province_folder"]

PROVINCE_COLUMNS: tuple[str, ...] = ("entity_id", "name", "entity_type", "industry", "area", "risk_class",
                                     "tags", "last_inspected", "object_kind", "responsible_entity_id")
_BODY_DIGITS = 6
_MAX_ROWS = 31**_BODY_DIGITS * 90  # 90 division codes × 31^6 bodies
_ALPHA = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)


def _ids(first: int, n: int) -> np.ndarray:
    idx = np.arange(first, first + n, dtype=np.int64)
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, 0:2] = np.frombuffer(b"91", dtype=np.uint8)
    division = 310101 + (idx % 90)  # 6 digits
    for j in range(6):
        out[:, 7 - j] = ord("0") + division % 10
        division //= 10
    out[:, 8:10] = np.frombuffer(b"MA", dtype=np.uint8)
    rest = idx // 90
    for j in range(_BODY_DIGITS):
        out[:, 15 - j] = _ALPHA[rest % 31]
        rest //= 31
    return fill_uscc_checks(out)


def province_batches(n: int, template: EntityTable, *, seed: int = 0,
                     batch: int = 1_000_000) -> Iterator[dict[str, np.ndarray]]:
    """``n`` entities as text columns (PROVINCE_COLUMNS), ``batch`` rows at a time, then the
    template's objects of other kinds (sites, roads, …: 检查对象类别) as they are, each 责任主体
    replaced by the generated entity numbered like the template's enterprise."""
    if not 0 < n <= _MAX_ROWS:
        raise ValueError(f"n must be in 1..{_MAX_ROWS}")
    rng = np.random.default_rng([seed, 16])
    # The template's market entities only (the demo also holds sites, roads, … of other kinds).
    market = np.flatnonzero(template.kind_mask(ENTITY_KIND))
    m = market.size
    types = template.entity_type.values()[market]
    industries = template.industry.values()[market]
    areas = template.area.values()[market]
    risks = np.asarray(RISK_CLASSES)[template.risk_class[market]]
    tags = np.asarray([";".join(template.tags_of(int(i))) for i in market], dtype=str)
    last = np.where(np.isnat(template.last_inspected), "", template.last_inspected.astype(str))[market]
    for first in range(0, n, batch):
        k = min(batch, n - first)
        pick = rng.integers(0, m, size=k)
        ids = _ids(first, k)
        yield {"entity_id": ids, "name": np.char.add("市场主体", np.char.add(ids.astype("U18"), "有限公司")),
               "entity_type": types[pick], "industry": industries[pick], "area": areas[pick],
               "risk_class": risks[pick], "tags": tags[pick], "last_inspected": last[pick],
               "object_kind": np.full(k, ENTITY_KIND), "responsible_entity_id": np.full(k, "")}
    objects = np.flatnonzero(~template.kind_mask(ENTITY_KIND))
    if objects.size:
        row_of = {str(e): j for j, e in enumerate(template.entity_id[market].tolist())}
        resp = template.responsible_entity_id.values()[objects]
        yield {"entity_id": template.entity_id[objects], "name": template.name[objects],
               "entity_type": template.entity_type.values()[objects],
               "industry": template.industry.values()[objects], "area": template.area.values()[objects],
               "risk_class": np.asarray([*RISK_CLASSES, ""])[np.minimum(template.risk_class[objects], 4)],
               "tags": np.asarray([";".join(template.tags_of(int(i))) for i in objects], dtype=str),
               "last_inspected": np.where(np.isnat(template.last_inspected), "",
                                          template.last_inspected.astype(str))[objects],
               "object_kind": template.object_kind.values()[objects],
               "responsible_entity_id": np.asarray([str(_ids(row_of[r] % n, 1)[0]) if r in row_of else ""
                                                    for r in resp.tolist()], dtype=str)}


def write_province_entities(path: str | Path, n: int, template: EntityTable, *, seed: int = 0,
                            batch: int = 1_000_000) -> Path:
    """Write ``n`` generated entities to ``path`` (.parquet with pyarrow, else CSV), batch by batch."""
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        require_pyarrow(p.name)
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(c, pa.string()) for c in PROVINCE_COLUMNS])
        with pq.ParquetWriter(p, schema, compression="zstd") as w:
            for cols in province_batches(n, template, seed=seed, batch=batch):
                w.write_table(pa.table({c: pa.array(cols[c].tolist(), pa.string()) for c in PROVINCE_COLUMNS},
                                       schema=schema), row_group_size=batch)
        return p
    with p.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(PROVINCE_COLUMNS)
        for cols in province_batches(n, template, seed=seed, batch=batch):
            w.writerows(zip(*(cols[c].tolist() for c in PROVINCE_COLUMNS), strict=True))
    return p


def province_entity_table(n: int, template: EntityTable, *, seed: int = 0) -> EntityTable:
    """The same entities as :func:`write_province_entities` writes, as an EntityTable in memory."""
    parts = list(province_batches(n, template, seed=seed))
    col = {c: np.concatenate([b[c] for b in parts]) for c in PROVINCE_COLUMNS}
    tag_names = template.tag_names
    bit = {t: 1 << j for j, t in enumerate(tag_names)}
    masks = {s: sum(bit[t] for t in s.split(";") if t) for s in np.unique(col["tags"]).tolist()}
    last = np.where(col["last_inspected"] == "", "NaT", col["last_inspected"]).astype("datetime64[D]")
    risk = np.searchsorted(np.asarray(RISK_CLASSES), col["risk_class"]).astype(np.uint8)
    risk[col["risk_class"] == ""] = RISK_UNGRADED
    return EntityTable(
        entity_id=col["entity_id"], name=col["name"],
        entity_type=Categorical.from_values(col["entity_type"]), industry=Categorical.from_values(col["industry"]),
        area=Categorical.from_values(col["area"]), risk_class=risk,
        tags=np.asarray([masks[s] for s in col["tags"].tolist()], dtype=np.uint64), tag_names=tag_names,
        last_inspected=last, object_kind=Categorical.from_values(col["object_kind"]),
        responsible_entity_id=Categorical.from_values(col["responsible_entity_id"]))


def write_province_folder(out: str | Path, n: int, *, seed: int = 0, batch: int = 1_000_000
                          ) -> tuple[Path, EntityTable]:
    """A data folder ``out/data``: the demo district's tables and plan spec, and ``n`` generated
    entities in entities.parquet; returns it and the template entities.

    The demo's entities.csv, history.csv and conflicts.csv are left out: they name the demo's
    own entities. The spec is made ``announced`` (a 企业公示信息抽查 may be public at once).
    The demo itself is written to ``out/demo``.
    """
    root = Path(out)
    demo = write_demo_data(root / "demo", entities=200, inspectors=minimum_inspectors())
    data = root / "data"
    data.mkdir(parents=True)
    for p in sorted((root / "demo").iterdir()):
        if p.name not in ("entities.csv", "history.csv", "conflicts.csv"):
            shutil.copy(p, data / p.name)
    # 企业公示信息抽查 may be public at once: the province spec is announced (no salt, seed public).
    spec = data / "plan-2027Q1.toml"
    spec.write_text("announced = true\n" + spec.read_text(encoding="utf-8"), encoding="utf-8")
    write_province_entities(data / "entities.parquet", n, demo.entities, seed=seed, batch=batch)
    return data, demo.entities
