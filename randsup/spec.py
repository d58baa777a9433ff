"""The quarterly plan specification (TOML): tasks, ratios, seed sources, team size, caps."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import SpecError
from .io import control_character
from .model import OBJECT_KINDS, RISK_CLASSES, Directory, LedgerAnchor

__all__ = ["PlanSpec", "PopulationFilter", "PublicationSpec", "SeedSpec", "TaskSpec", "check_spec_against",
           "load_spec", "require_secrecy", "with_office_options"]

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")

# Accepted ranges of every number that reaches a solver, a date or a notice. Far beyond any real
# plan, yet small enough that no arithmetic overflows and no notice prints a 30-digit count.
BOUNDS: dict[str, tuple[int, int]] = {
    "team_size": (2, 20),
    "max_inspections_per_entity_per_year": (1, 100),
    "count": (1, 10_000_000),
    "min_per_class": (0, 1_000_000),
    "year": (2000, 2200),
}
MAX_TEXT = 200  # characters in an id, name or authority of the spec


def _plain_text(v: str) -> str:
    """Ids, names and the authority go into file names, spreadsheets and notices: one clean line."""
    why = control_character(v)
    if why:
        raise ValueError(why)
    if len(v) > MAX_TEXT:
        raise ValueError(f"is {len(v):,} characters long; at most {MAX_TEXT} are accepted")
    return v


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PopulationFilter(_Spec):
    """定向 draw: only entities matching every given condition (omit the filter for 不定向)."""

    entity_type: tuple[str, ...] | None = None
    industry_prefix: tuple[str, ...] | None = None  # GB/T 4754 code prefixes, e.g. "F52"
    area: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None  # entity must carry all of these
    exclude_tags: tuple[str, ...] | None = None  # entity must carry none of these


class SeedSpec(_Spec):
    sources: tuple[str, ...] = Field(min_length=1, description="public sources named in advance")
    # The values of each source as published (the --source texts), recorded when the plan is
    # drawn so that the notice shows them next to the key string; never part of the TOML.
    published_values: tuple[str, ...] | None = None
    salt_commitment: str | None = None  # "sha256:<hex>" of the secret salt

    @field_validator("sources")
    @classmethod
    def _sources_plain(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_plain_text(x) for x in v)

    @field_validator("salt_commitment")
    @classmethod
    def _commitment_form(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"sha256:[0-9a-f]{64}", v):
            raise ValueError("salt_commitment must look like 'sha256:' followed by 64 lower-case hex digits")
        return v


class TaskSpec(_Spec):
    task_id: str
    name: str
    check_items: tuple[str, ...] = ()
    joint_item: str | None = None
    population: PopulationFilter | None = None
    ratio: dict[Literal["A", "B", "C", "D"], Decimal] | None = None
    count: int | None = Field(default=None, ge=BOUNDS["count"][0], le=BOUNDS["count"][1])
    min_per_class: int = Field(default=0, ge=BOUNDS["min_per_class"][0], le=BOUNDS["min_per_class"][1])
    coordination: Literal["together", "apart", "independent"] = "together"
    # 检查对象类别 drawn from; when absent it follows from the check items' 检查对象 (docs/object-kinds.md)
    object_kind: str | None = None
    # Risk class of this task's objects that their department does not grade (else the plan's)
    default_risk_class: Literal["A", "B", "C", "D"] | None = None

    @field_validator("object_kind")
    @classmethod
    def _known_kind(cls, v: str | None) -> str | None:
        if v is not None and v not in OBJECT_KINDS:
            raise ValueError(f"object_kind must be one of {', '.join(OBJECT_KINDS)}, not {v!r}")
        return v

    @field_validator("task_id", "name")
    @classmethod
    def _text_plain(cls, v: str) -> str:
        return _plain_text(v)

    @field_validator("ratio", mode="before")
    @classmethod
    def _ratio_exact(cls, v: object) -> object:
        # TOML floats → shortest decimal repr, so 0.03 means exactly 3/100 in plan.json.
        if isinstance(v, dict):
            return {k: Decimal(repr(x)) if isinstance(x, float) else x for k, x in v.items()}
        return v

    @model_validator(mode="after")
    def _one_size_rule(self) -> TaskSpec:
        if (self.ratio is None) == (self.count is None):
            raise ValueError(f"task {self.task_id}: give exactly one of 'ratio' or 'count'")
        if self.ratio is not None:
            for k, x in self.ratio.items():
                if not x.is_finite() or not Decimal(0) <= x <= Decimal(1):
                    raise ValueError(f"task {self.task_id}: ratio for class {k} must be between 0 and 1, not {x}")
        if not self.check_items and self.joint_item is None:
            raise ValueError(f"task {self.task_id}: name its 'check_items' or a 'joint_item'")
        return self

    def ratio_for(self, risk_class: str) -> Decimal:
        return (self.ratio or {}).get(risk_class, Decimal(0))  # type: ignore[call-overload]


class PublicationSpec(_Spec):
    """How the notices are signed (落款) and whom the public may contact.

    The dates printed in a notice come from here (or the CLI option that fills it), never from
    the clock, so that ``verify`` renders the same notice again (decisions-0.2, Office workflow).
    """

    date: dt.date | None = None  # 发布日期, also the date of the 落款
    issuer: str | None = None  # 落款 authority; the spec's ``authority`` when left out
    contact: str | None = None  # 联系方式 / 投诉举报 line, e.g. "联系电话：021-xxxx；投诉举报：12315"


class PlanSpec(_Spec):
    plan_id: str
    quarter: str
    authority: str
    team_size: int = Field(default=2, ge=BOUNDS["team_size"][0], le=BOUNDS["team_size"][1],
                           description="certified non-expert inspectors per department per visit")
    max_inspections_per_entity_per_year: int = Field(
        default=2, ge=BOUNDS["max_inspections_per_entity_per_year"][0],
        le=BOUNDS["max_inspections_per_entity_per_year"][1])
    # Also exclude objects whose 责任主体 has reached the cap, counting visits to its objects
    # against it (国办发〔2024〕54号 caps inspections per enterprise; docs/object-kinds.md).
    cap_by_responsible_entity: bool = False
    # Risk class for objects that are not graded (non-entity kinds may leave 信用风险分类 empty).
    default_risk_class: Literal["A", "B", "C", "D"] | None = None
    holidays: str | None = None  # override calendar file, relative to the spec file
    # 公开抽查名单: the drawn list may be known at once (e.g. 企业公示信息 checks); no salt needed.
    # Per spec, not per task: an announced task sharing tickets with an unannounced one would reveal it.
    announced: bool = False
    seed: SeedSpec
    tasks: tuple[TaskSpec, ...] = Field(min_length=1)
    publication: PublicationSpec = PublicationSpec()
    # Header language of the internal work lists (visits.csv / visits.xlsx); kept in spec.json so
    # that verify re-renders the same variant.
    worklist_headers: Literal["zh", "en"] = "zh"
    base_dir: str = "."  # folder of the spec file, for relative paths (not from TOML)
    # Set by plan_with_ledger (never in the TOML): the ledger state the plan is drawn against.
    ledger: LedgerAnchor | None = None

    @field_validator("quarter")
    @classmethod
    def _quarter_form(cls, v: str) -> str:
        m = _QUARTER.match(v)
        if not m:
            raise ValueError(f"quarter must look like 2027Q1, not {v!r}")
        lo, hi = BOUNDS["year"]
        if not lo <= int(m.group(1)) <= hi:
            raise ValueError(f"the year of quarter {v!r} must be from {lo} to {hi}")
        return v

    @field_validator("plan_id", "authority")
    @classmethod
    def _text_plain(cls, v: str) -> str:
        return _plain_text(v)

    @model_validator(mode="after")
    def _unique_tasks(self) -> PlanSpec:
        ids = [t.task_id for t in self.tasks]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"task ids must be unique; repeated: {', '.join(dupes)}")
        return self

    @property
    def year(self) -> int:
        return int(self.quarter[:4])

    @property
    def quarter_number(self) -> int:
        return int(self.quarter[-1])

    def holidays_path(self) -> Path | None:
        return None if self.holidays is None else Path(self.base_dir) / self.holidays


def with_office_options(spec: PlanSpec, *, published_on: dt.date | None = None, contact: str | None = None,
                        issuer: str | None = None, worklist_headers: str | None = None,
                        source_values: tuple[str, ...] | None = None) -> PlanSpec:
    """The spec with the CLI's notice and work-list options filled in (they win over the TOML),
    and the seed sources' values as published (``--source``), for the notice.

    The result is what the plan folder's spec.json records, so verify renders the same notice.
    """
    pub = {k: v for k, v in (("date", published_on), ("contact", contact), ("issuer", issuer)) if v is not None}
    update: dict[str, object] = {}
    if source_values is not None:
        values = tuple(" ".join(str(v).split()) for v in source_values)
        update["seed"] = SeedSpec.model_validate({**spec.seed.model_dump(), "published_values": values})
    if pub:
        update["publication"] = PublicationSpec.model_validate({**spec.publication.model_dump(), **pub})
    if worklist_headers is not None:
        update["worklist_headers"] = worklist_headers
    return PlanSpec.model_validate({**spec.model_dump(), **update}) if update else spec


def _where(loc: tuple[int | str, ...], raw: dict[str, object]) -> str:
    # "tasks.10.ratio" is hard to find in a long file; name the task by its task_id instead.
    parts = [str(p) for p in loc]
    tasks = raw.get("tasks")
    if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int) and isinstance(tasks, list) \
            and loc[1] < len(tasks) and isinstance(tasks[loc[1]], dict) and "task_id" in tasks[loc[1]]:
        tid = tasks[loc[1]]["task_id"]
        shown = tid if isinstance(tid, str) and control_character(tid) is None else repr(tid)
        parts[:2] = [f"task {shown} ([[tasks]] #{loc[1] + 1})"]
    return ".".join(parts) or "(top level)"


def _format_validation(path: str, exc: ValidationError, raw: dict[str, object]) -> str:
    lines = [f"{path}: the plan specification has {exc.error_count()} problem(s):"]
    for e in exc.errors():
        loc = _where(e["loc"], raw)
        msg = e["msg"].removeprefix("Value error, ")
        field = str(e["loc"][-1]) if e["loc"] else ""
        if field in BOUNDS and e["type"] in ("greater_than_equal", "less_than_equal", "int_parsing",
                                             "int_type", "int_from_float"):
            lo, hi = BOUNDS[field]
            msg = f"must be a whole number from {lo:,} to {hi:,}, not {e.get('input')!r}"
        elif e["type"] == "finite_number" and "ratio" in e["loc"]:
            msg = "must be a number from 0 to 1 (a share of the stratum), not nan or inf"
        elif e["type"] == "extra_forbidden":
            msg = "unknown field; check its spelling against the documented spec fields"
        lines.append(f"  - {loc}: {msg}")
    return "\n".join(lines)


def load_spec(path: str | Path) -> PlanSpec:
    """Read and validate a plan specification; raises SpecError naming every bad field."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"{p}: plan specification not found; pass the path of a .toml file")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"{p}: not UTF-8 text; save the specification as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{p}: not valid TOML ({exc}); fix the syntax at that line") from None
    raw.pop("base_dir", None)
    if "ledger" in raw:
        raise SpecError(f"{p}: 'ledger' is written by `randsup plan` from the history ledger, not by hand; "
                        "remove it from the specification")
    try:
        return PlanSpec.model_validate({**raw, "base_dir": str(p.parent)})
    except ValidationError as exc:
        raise SpecError(_format_validation(str(p), exc, raw)) from None


def check_spec_against(spec: PlanSpec, directory: Directory) -> None:
    """Every check item, joint item and risk class the spec names must exist in the directory."""
    problems: list[str] = []
    for t in spec.tasks:
        for c in t.check_items:
            if c not in directory.check_item_by_id:
                problems.append(f"task {t.task_id}: check item {c!r} is not in check_items")
        if t.joint_item is not None and t.joint_item not in directory.joint_item_by_id:
            problems.append(f"task {t.task_id}: joint item {t.joint_item!r} is not in joint_items")
        for k in (t.ratio or {}):
            if k not in RISK_CLASSES:
                problems.append(f"task {t.task_id}: unknown risk class {k!r}")
    if problems:
        raise SpecError("the plan specification does not fit the data:\n" +
                        "\n".join(f"  - {p}" for p in problems))


HOW_TO_SALT = ("make a secret salt with `randsup salt new SALT_FILE` (keep the file outside shared folders), "
               "paste the line it prints (salt_commitment = \"sha256:…\") under [seed] in the specification "
               "before the seed sources are drawn, and plan with --salt-file SALT_FILE; or, if the drawn list "
               "may be public at once (e.g. 企业公示信息 checks), put `announced = true` at the top of the "
               "specification")


def require_secrecy(spec: PlanSpec, salt_commitment: str | None) -> None:
    """Refuse an unannounced plan (不打招呼) whose seed anyone could compute from public values.

    ``salt_commitment`` is the commitment of the seed actually used (None: no salt). Every path
    that makes or writes a plan calls this, the library's as much as the CLI's.

    Raises:
        SpecError: the spec is not ``announced`` and has no salt commitment, or the seed's salt
            is not the one the spec commits to.
    """
    if spec.announced:
        return
    if spec.seed.salt_commitment is None:
        raise SpecError(f"plan {spec.plan_id}: the specification has no seed.salt_commitment and is not "
                        "announced, so anyone could compute the drawn entities from the public seed "
                        f"before the unannounced inspections (不打招呼); {HOW_TO_SALT}")
    if salt_commitment != spec.seed.salt_commitment:
        raise SpecError(f"plan {spec.plan_id}: the seed was built without the salt the specification "
                        f"commits to ({spec.seed.salt_commitment}); plan with --salt-file and that salt's file")
