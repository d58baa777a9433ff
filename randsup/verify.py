"""Verify a published plan directory: recompute it from the inputs and the seed and compare.

What is checked, in order, and named precisely when it fails:

1. the manifest, exactly: every file it lists exists inside the folder with the recorded SHA-256,
   no entry leaves the folder, no file is unlisted (Office/OS litter is only a warning);
2. the revealed salt against the salt commitment;
3. the input files: the data directory's SHA-256 digests against those plan.json records;
4. the rules (without the solver): every published visit against check_plan_rules;
5. the recomputation: make_plan on the same inputs, spec and seed, with any recorded recusals
   (changes.json) replayed, compared field by field with plan.json (which visit, which field)
   and file by file with the other published files (after the reveal, public/reveal.json and
   the 抽查名单 public/drawn-list.csv too).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from .assign.rule_check import check_plan_rules
from .assign.workdays import WorkingCalendar
from .draw.sample import draw_entities
from .draw.seed import PublicSeed, verify_salt
from .errors import InfeasibleError, InputError, Problem, SeedError, SpecError, VerificationError
from .history.anchors import check_anchors
from .history.folders import pending_problems
from .history.ledger import Ledger, with_history_file
from .history.recuse import replay_changes
from .history.reveal import reveal_files
from .inputs.load import load_directory
from .model import Directory, DrawResult, Plan
from .plan import make_plan
from .publish.draw_only import DRAW_FILE, DrawOnly, EntitySource, as_plan, make_draw, read_draw, render_draw
from .publish.files import (
    CHANGES_FILE,
    DRAW_RECORD,
    FROM_DRAW_FILE,
    FROM_DRAW_HISTORY,
    LEDGER_HISTORY_INPUT,
    MANIFEST_FILE,
    PLAN_FILE,
    REVEAL_RECORD,
    read_json,
    read_plan,
    read_published_spec,
    revealed_salt,
)
from .publish.render import render_plan
from .spec import PlanSpec

__all__ = ["VerifyReport", "manifest_check", "manifest_differences", "plan_differences", "verify_draw",
           "verify_plan"]

_MAX_SHOWN = 60  # differences listed in one error; the count of the rest is given


@dataclass(frozen=True)
class VerifyReport:
    """What a successful verification checked."""

    out: str
    plan_id: str
    visits: int
    tasks: int
    files: int  # files of the plan directory checked against the manifest and the recomputation
    inputs: int  # input files whose digests matched
    salt_checked: bool
    notes: tuple[str, ...] = field(default=())
    drawn: int | None = None  # a draw directory (randsup draw): drawn (task, entity) pairs; no visits

    def summary(self) -> str:
        salt = ", salt matches its commitment" if self.salt_checked else ""
        what = (f"{self.tasks} tasks, {self.visits} visits" if self.drawn is None
                else f"draw only, {self.tasks} tasks, {self.drawn} drawn 抽中户次")
        return (f"verified: {self.out} (plan {self.plan_id}, {what}, "
                f"{self.files} files) is identical to its recomputation from {self.inputs} input files "
                f"and the seed{salt}" + "".join(f"\nnote: {n}" for n in self.notes))


# ---------------------------------------------------------------------------------------
# Reading the published directory


def _short(h: str) -> str:
    return h[:12] + "…" if len(h) > 12 else h


# Office and OS litter: lock and thumbnail files that appear when someone opens the folder.
# Named as a warning, not a difference: they hold nothing of the plan.
_LITTER_PREFIXES = ("~$", ".~lock.")
_LITTER_NAMES = frozenset({"Thumbs.db", ".DS_Store", "desktop.ini"})


def _is_litter(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name in _LITTER_NAMES or name.startswith(_LITTER_PREFIXES)


def _entry_problem(out: Path, name: object) -> str | None:
    """Why a manifest entry is not a plain file inside the plan folder (None when it is)."""
    if not isinstance(name, str) or not name:
        return f"{MANIFEST_FILE}: entry {name!r} is not a file name"
    parts = name.split("/")
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":") \
            or any(p in ("", ".", "..") for p in parts):
        return (f"{name}: listed in {MANIFEST_FILE} but leaves the plan folder (absolute path, '..' or an "
                "unusual path); a manifest lists only files inside the folder")
    p = out
    for part in parts:
        p = p / part
        if p.is_symlink():
            return f"{name}: listed in {MANIFEST_FILE} but is (or passes through) a symbolic link; replace it by the file"
    return None


def manifest_check(out: Path) -> tuple[list[str], list[str]]:
    """(differences, warnings) between the plan folder and manifest.json, checked exactly.

    Differences: a listed file missing or changed, an entry leaving the folder (``..``,
    absolute, a symbolic link), a file in the folder that is not listed. Warnings: Office and
    OS litter (``~$*``, ``.~lock.*``, ``Thumbs.db``, ``.DS_Store``) that is not listed.
    """
    manifest = read_json(out / MANIFEST_FILE, "manifest.json")
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict):
        return [f"{MANIFEST_FILE}: has no 'files' table; it is not a randsup manifest"], []
    diffs: list[str] = []
    for name in sorted(listed, key=str):
        bad = _entry_problem(out, name)
        if bad is not None:
            diffs.append(bad)
            continue
        p = out / name
        if not p.is_file():
            diffs.append(f"{name}: listed in {MANIFEST_FILE} but missing from the plan directory")
            continue
        actual = hashlib.sha256(p.read_bytes()).hexdigest()
        if actual != listed[name]:
            diffs.append(f"{name}: SHA-256 is {_short(actual)} but {MANIFEST_FILE} records "
                         f"{_short(str(listed[name]))}; the file changed after it was written")
    warnings: list[str] = []
    for root, dirs, files in os.walk(out):
        base = Path(root)
        for d in sorted(dirs):
            if (base / d).is_symlink():
                diffs.append(f"{(base / d).relative_to(out).as_posix()}: a symbolic link in the plan directory; "
                             "a plan folder holds only its own files")
        for f in sorted(files):
            rel = (base / f).relative_to(out).as_posix()
            if rel == MANIFEST_FILE or rel in listed:
                continue
            if _is_litter(rel):
                warnings.append(f"{rel}: office or system file (lock file, thumbnail cache) in the plan directory, "
                                "not part of the plan; delete it when no program has the folder open")
            else:
                diffs.append(f"{rel}: in the plan directory but not listed in {MANIFEST_FILE}; remove it, or "
                             "restore the folder as written")
    return sorted(diffs), sorted(warnings)


def _listed_names(out: Path) -> list[str]:
    manifest = read_json(out / MANIFEST_FILE, "manifest.json")
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    return sorted(n for n in listed if isinstance(n, str)) if isinstance(listed, dict) else []


def manifest_differences(out: Path) -> list[str]:
    """Files that do not match manifest.json, that it does not list, or entries leaving the folder."""
    return manifest_check(out)[0]


# ---------------------------------------------------------------------------------------
# Comparing plans


def _show(value: Any) -> str:
    if isinstance(value, list) and value and all(isinstance(a, dict) and "inspector_id" in a for a in value):
        return "[" + ", ".join(f"{a['inspector_id']}/{a['department_id']}" + ("*" if a.get("is_expert") else "")
                               for a in value) + "]"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _dict_differences(where: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    out = []
    for k in sorted(set(a) | set(b)):
        if k not in b:
            out.append(f"{where} {k}: published {_show(a[k])}, absent from the recomputation")
        elif k not in a:
            out.append(f"{where} {k}: absent from the published plan, recomputed {_show(b[k])}")
        elif a[k] != b[k]:
            out.append(f"{where} {k}: published {_show(a[k])}, recomputed {_show(b[k])}")
    return out


def _keyed(items: Sequence[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]]:
    return {str(x.get(key)): x for x in items}


def plan_differences(published: Plan, recomputed: Plan) -> list[str]:
    """Field-level differences, visits and tasks named by id; ``software`` is compared apart."""
    a = published.model_dump(mode="json", exclude={"software"})
    b = recomputed.model_dump(mode="json", exclude={"software"})
    diffs: list[str] = []
    for k in sorted(set(a) | set(b)):
        if k in ("visits", "tasks"):
            key, label = ("visit_id", "visit") if k == "visits" else ("task_id", "task")
            ka, kb = _keyed(a[k], key), _keyed(b[k], key)
            for i in sorted(set(ka) | set(kb)):
                if i not in kb:
                    diffs.append(f"{PLAN_FILE}: {label} {i} is published but not in the recomputation")
                elif i not in ka:
                    diffs.append(f"{PLAN_FILE}: {label} {i} is recomputed but missing from the published plan")
                else:
                    diffs += _dict_differences(f"{PLAN_FILE}: {label} {i}", ka[i], kb[i])
            if not diffs and [x[key] for x in a[k]] != [x[key] for x in b[k]]:
                diffs.append(f"{PLAN_FILE}: the {k} are in a different order than recomputed")
        elif isinstance(a.get(k), dict) and isinstance(b.get(k), dict):
            diffs += _dict_differences(f"{PLAN_FILE}: {k}", a[k], b[k])
        elif a.get(k) != b.get(k):
            diffs.append(f"{PLAN_FILE}: {k}: published {_show(a.get(k))}, recomputed {_show(b.get(k))}")
    return diffs


def _xlsx_rows(data: bytes) -> list[list[str]]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [["" if c is None else str(c) for c in row] for row in wb.active.iter_rows(values_only=True)]
    finally:
        wb.close()


def _file_difference(name: str, published: bytes, expected: bytes) -> str | None:
    if published == expected:
        return None
    if name.endswith(".xlsx"):
        # Zip bytes may differ across openpyxl/zlib builds; what must agree is every cell.
        try:
            pa, pe = _xlsx_rows(published), _xlsx_rows(expected)
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is a difference to report
            return f"{name}: not a readable workbook ({type(exc).__name__})"
        if pa == pe:
            return None
        for r, (ra, re_) in enumerate(zip(pa, pe, strict=False), start=1):
            if ra != re_:
                return f"{name}: row {r} is {_show(ra)}, recomputed {_show(re_)}"
        return f"{name}: has {len(pa)} rows, recomputed {len(pe)}"
    a = published.decode("utf-8", errors="replace").splitlines()
    b = expected.decode("utf-8", errors="replace").splitlines()
    for i, (la, lb) in enumerate(zip(a, b, strict=False), start=1):
        if la != lb:
            unit = "row" if name.endswith(".csv") else "line"
            return f"{name}: {unit} {i} is {_show(la)}, recomputed {_show(lb)}"
    if len(a) != len(b):
        return f"{name}: has {len(a)} lines, recomputed {len(b)}"
    return f"{name}: differs from the recomputation in line endings or invisible bytes"


# ---------------------------------------------------------------------------------------
# The whole check


def _salt_differences(commitment: str | None, given: str | None, revealed: str | None) -> list[str]:
    diffs = []
    if given is not None and revealed is not None and given != revealed:
        diffs.append(f"{REVEAL_RECORD}: the revealed salt differs from the salt given to verify")
    for label, salt in (("given", given), ("revealed in " + REVEAL_RECORD, revealed)):
        if salt is None:
            continue
        if commitment is None:
            diffs.append(f"salt {label}: the plan was drawn without a salt (plan.json has no salt_commitment)")
            continue
        try:
            verify_salt(commitment, salt)
        except SeedError:
            diffs.append(f"salt {label}: its SHA-256 does not match the salt commitment {commitment} in {PLAN_FILE}")
    return diffs


def _input_differences(recorded: Mapping[str, str], directory: Directory) -> list[str]:
    diffs = []
    actual = directory.digests
    for name in sorted(set(recorded) | set(actual)):
        if name not in actual:
            diffs.append(f"input {name}: recorded in {PLAN_FILE} but not found in the data directory")
        elif name not in recorded:
            diffs.append(f"input {name}: in the data directory but not among the plan's inputs; "
                         "it did not exist when the plan was drawn")
        elif actual[name] != recorded[name]:
            diffs.append(f"input {name}: SHA-256 is {_short(actual[name])} but {PLAN_FILE} records "
                         f"{_short(recorded[name])}; the file changed since the plan was drawn")
    return diffs


def _seed_from_record(key: str, salt: str | None) -> PublicSeed:
    # plan.json keeps the key string, not the source values (a decimal such as "3245.67." cannot
    # be split back into values unambiguously), so the seed is rebuilt from the key string.
    try:
        return PublicSeed.from_key_string(key, salt)
    except SeedError as exc:
        raise VerificationError(f"{PLAN_FILE}: the recorded seed key string is unusable: {exc}") from None


def _fail(out: Path, data: Path, diffs: Sequence[str], notes: Sequence[str] = ()) -> VerificationError:
    shown = list(diffs[:_MAX_SHOWN])
    if len(diffs) > _MAX_SHOWN:
        shown.append(f"… and {len(diffs) - _MAX_SHOWN} more differences")
    shown += [f"note: {n}" for n in notes]
    n = len(diffs)
    return VerificationError(f"{out} does not match its recomputation from {data}: "
                             f"{n} difference{'s' if n != 1 else ''}", differences=shown)


def _forced_reason(out: Path) -> str | None:
    rec = read_json(out / REVEAL_RECORD, REVEAL_RECORD)
    forced = rec.get("forced") if isinstance(rec, dict) else None
    reason = forced.get("reason") if isinstance(forced, dict) else None
    return reason if isinstance(reason, str) else None


def _reveal_head(out: Path) -> dict[str, Any] | None:
    """The ledger head reveal.json states: a recorded input, copied (the anchor check compares it)."""
    rec = read_json(out / REVEAL_RECORD, REVEAL_RECORD)
    ledger = rec.get("ledger") if isinstance(rec, dict) else None
    head = ledger.get("head_before") if isinstance(ledger, dict) else None
    return head if isinstance(head, dict) else None


def _ledger_checks(ledger: Ledger | None, out: Path) -> tuple[list[str], list[str]]:
    """(differences, notes) of a plan or draw folder against the ledger: its anchor, a pending record."""
    if ledger is None:
        return [], ["the ledger anchors were not checked (no ledger given): pass --ledger, or run "
                    "`randsup ledger verify --anchors` where the ledger is"]
    anchors = check_anchors(ledger, [out])
    diffs = [f"ledger: {p}" for p in anchors.problems]
    diffs += [f"ledger: {p}" for p in pending_problems(ledger) if str(out.resolve()) in p]
    return diffs, list(anchors.notes)


def _taken_draw(out: Path, data: Path, published: Plan, spec: PlanSpec, seed: PublicSeed
                ) -> tuple[DrawResult | None, list[str]]:
    """The draw a plan took (plan --from-draw), recomputed from the data and the draw's kept history,
    with the differences from the copy the plan keeps (from-draw/draw.json) and from the digest it states."""
    took = published.ledger.from_draw if published.ledger is not None else None
    if took is None:
        return None, []
    kept = out / FROM_DRAW_FILE
    if not kept.is_file():
        return None, [f"{FROM_DRAW_FILE}: missing; {PLAN_FILE} states the plan took the draw of ledger record seq "
                      f"{took.seq}, and its copy is needed to recompute it"]
    raw = kept.read_bytes()
    diffs = []
    if hashlib.sha256(raw).hexdigest() != took.draw_json_sha256:
        diffs.append(f"{FROM_DRAW_FILE}: is not the draw.json {PLAN_FILE} states the plan took "
                     f"(ledger.from_draw {_short(took.draw_json_sha256)})")
    try:
        drawn = DrawOnly.model_validate_json(raw)
    except ValueError:
        return None, [*diffs, f"{FROM_DRAW_FILE}: not a draw.json randsup wrote"]
    base = with_history_file(load_directory(data), out / FROM_DRAW_FILE.split("/")[0])
    changed = sorted(k for k in set(drawn.inputs) | set(base.digests) if drawn.inputs.get(k) != base.digests.get(k))
    diffs += [f"{FROM_DRAW_FILE}: input {k} differs from the data (or from {FROM_DRAW_HISTORY}); the draw the plan "
              "took was made from other data" for k in changed]
    recomputed = draw_entities(base, spec, seed)
    if recomputed != drawn.draw:
        diffs.append(f"{FROM_DRAW_FILE}: the draw the plan took does not match its recomputation from the data "
                     "and the seed")
    return recomputed, diffs


def verify_plan(out: str | Path, *, data: str | Path, salt: str | None = None,
                progress: Callable[..., Any] | None = None, ledger: Ledger | None = None) -> VerifyReport:
    """Recompute the plan in ``out`` from the data directory ``data`` and its seed, and compare.

    ``salt`` is the secret salt when the plan committed to one (a salt revealed in
    public/reveal.json is used and checked too). With ``ledger``, the ledger head the plan
    states and its own record must still be in the ledger (an anchor, docs/history.md); without
    it the report notes that the anchors were not checked. Returns a VerifyReport when everything
    matches.

    Raises:
        VerificationError: any difference: a file against the manifest, an input file against
            its recorded digest, the salt against its commitment, a visit breaking a rule, or
            the recomputed plan against the published one (file, visit and field named).
        InputError: ``out`` is not a plan directory, or ``data`` does not load.
        SeedError: the plan committed to a salt and none was given.
    """
    out_p, data_p = Path(out), Path(data)
    if (out_p / DRAW_FILE).is_file() and not (out_p / PLAN_FILE).is_file():  # `randsup draw` wrote it
        return verify_draw(out_p, data=data_p, salt=salt, ledger=ledger)
    if not (out_p / PLAN_FILE).is_file() and not (out_p / MANIFEST_FILE).is_file():
        raise InputError(Problem(str(out_p), None, None, None,
                                 "not a plan directory (no plan.json, no manifest.json); "
                                 "pass the OUT folder that `randsup plan` wrote"),
                         header="nothing to verify")
    diffs, litter = manifest_check(out_p)
    published = read_plan(out_p)
    spec = read_published_spec(out_p)
    commitment = published.seed.get("salt_commitment")
    revealed = revealed_salt(out_p)
    salt_diffs = _salt_differences(commitment, salt, revealed)
    if salt_diffs:  # a recomputation with a wrong salt would differ everywhere and hide the cause
        raise _fail(out_p, data_p, diffs + salt_diffs)
    use_salt = salt if salt is not None else revealed
    if commitment is not None and use_salt is None:
        raise SeedError(f"{out_p / PLAN_FILE} commits to a secret salt ({commitment}) that is not revealed "
                        f"yet ({REVEAL_RECORD} is absent); pass the salt with --salt-file to recompute the draw")

    # A plan drawn with ledger history keeps that history beside it (ledger-history.csv).
    directory = with_history_file(load_directory(data_p), out_p)
    input_diffs = _input_differences(published.inputs, directory)
    if input_diffs:  # a recomputation from other data would only bury the cause in noise
        raise _fail(out_p, data_p, diffs + input_diffs)

    seed = _seed_from_record(str(published.seed.get("key_string") or ""), use_salt)
    try:
        working_days = WorkingCalendar.for_quarter(spec.quarter, spec.holidays_path()).working_days()
        marked = [(u.visit_id, u.department_id) for u in published.unstaffed]
        diffs += [f"{PLAN_FILE}: rule broken: {r}" for r in
                  check_plan_rules(list(published.visits), directory, spec, working_days, unstaffed=marked)]
        taken, draw_diffs = _taken_draw(out_p, data_p, published, spec, seed)
        diffs += draw_diffs
        # A plan with unstaffed visit-departments was made with allow_unstaffed; recompute the same way.
        recomputed = make_plan(directory, spec, seed, progress=progress, allow_unstaffed=bool(marked), draw=taken)
    except (InfeasibleError, SpecError) as exc:
        # The published spec (or its holidays copy) cannot reproduce a plan: a verification failure.
        raise _fail(out_p, data_p, [*diffs, f"the plan cannot be recomputed: {exc.message}"]) from None
    if (out_p / CHANGES_FILE).is_file():  # recusals (回避) since the plan was drawn, each redrawn again
        try:
            recomputed = replay_changes(recomputed, out_p, directory, spec, seed)
        except VerificationError as exc:
            diffs.append(exc.message)
    plan_diffs = plan_differences(published, recomputed)
    diffs += plan_diffs

    notes: list[str] = list(litter)
    ledger_diffs, ledger_notes = _ledger_checks(ledger, out_p)
    diffs += ledger_diffs
    notes += ledger_notes
    if published.software != recomputed.software:
        notes.append("software versions differ: published " + _show(published.software) +
                     ", this run " + _show(recomputed.software) + "; differences may come from the versions")
    as_published = recomputed.model_copy(update={"software": published.software})
    expected = render_plan(as_published, spec=spec, directory=directory)
    if revealed is not None:  # the reveal's files are recomputed too (revealed_salt found reveal.json)
        try:
            expected |= reveal_files(as_published, spec, directory, revealed,
                                     draw_record_bytes=(out_p / DRAW_RECORD).read_bytes()
                                     if (out_p / DRAW_RECORD).is_file() else b"",
                                     forced_reason=_forced_reason(out_p), ledger_head=_reveal_head(out_p))
        except VerificationError as exc:
            diffs.append(exc.message)
    # Files the plan keeps beside what it renders: the ledger history it was drawn with, recusals.
    kept = {CHANGES_FILE, FROM_DRAW_FILE, FROM_DRAW_HISTORY} | (
        {LEDGER_HISTORY_INPUT} if LEDGER_HISTORY_INPUT in published.inputs else set())
    diffs += [f"{name}: listed in {MANIFEST_FILE}, but randsup writes no such file for this plan (it is not part "
              "of the recomputation); remove the file and its entry" for name in _listed_names(out_p)
              if name not in expected and name not in kept and _entry_problem(out_p, name) is None]
    on_disk = {n: (out_p / n).read_bytes() for n in expected if (out_p / n).is_file()}
    for name in sorted(expected):
        if name == MANIFEST_FILE or (name == PLAN_FILE and plan_diffs):
            continue  # the manifest was checked above; plan.json differences are listed by field
        if name not in on_disk:
            diffs.append(f"{name}: missing from the plan directory")
            continue
        d = _file_difference(name, on_disk[name], expected[name])
        if d is not None:
            diffs.append(d)
    if diffs:
        raise _fail(out_p, data_p, diffs, notes)
    return VerifyReport(out=str(out_p), plan_id=published.plan_id, visits=len(published.visits),
                        tasks=len(published.tasks), files=len(expected), inputs=len(published.inputs),
                        salt_checked=use_salt is not None, notes=tuple(notes))


def verify_draw(out: str | Path, *, data: str | Path, salt: str | None = None,
                entities: str | None = None, database: str | None = None,
                ledger: Ledger | None = None) -> VerifyReport:
    """Recompute a draw directory (``randsup draw``) from ``data`` and compare every file.

    The engine recorded in draw.json recomputes it; a draw from a database table needs that
    table again (``entities``, ``database``). Input digests are compared first. A draw made with
    the ledger keeps the history it read (ledger-history.csv); with ``ledger`` the head it states
    and its own record are checked, as for a plan.

    Raises:
        VerificationError: an input or a file differs. SeedError: a committed salt is missing.
    """
    out_p, data_p = Path(out), Path(data)
    diffs, litter = manifest_check(out_p)
    published = read_draw(out_p)
    spec = read_published_spec(out_p)
    commitment = published.seed.get("salt_commitment")
    revealed = revealed_salt(out_p)  # `randsup reveal` of the draw published it
    salt_diffs = _salt_differences(commitment, salt, revealed)
    if salt_diffs:
        raise _fail(out_p, data_p, diffs + salt_diffs)
    salt = salt if salt is not None else revealed
    if commitment is not None and salt is None:
        raise SeedError(f"{out_p / DRAW_FILE} commits to a secret salt ({commitment}); pass the revealed salt "
                        "with --salt to recompute the draw")
    seed = _seed_from_record(str(published.seed.get("key_string") or ""), salt)
    source = EntitySource(engine=published.engine, entities=entities, database=database)
    recomputed, directory = make_draw(data_p, spec, seed, source=source,
                                      prepare=lambda d: with_history_file(d, out_p))
    for name in sorted(set(published.inputs) | set(recomputed.inputs)):
        a, b = published.inputs.get(name), recomputed.inputs.get(name)
        if a != b:
            diffs.append(f"input {name}: recorded {_short(a or 'absent')}, now {_short(b or 'absent')}; "
                         "the input changed since the draw")
    if diffs:
        raise _fail(out_p, data_p, diffs, litter)
    kept = out_p / LEDGER_HISTORY_INPUT
    as_published = recomputed.model_copy(update={"software": published.software})
    expected = render_draw(as_published, spec=spec, directory=directory,
                           history_file=kept.read_bytes() if kept.is_file() else None)
    if revealed is not None:  # the reveal's files are recomputed too; the drawn list names the entities
        named = with_history_file(load_directory(data_p), out_p)
        try:
            expected |= reveal_files(as_plan(as_published, spec, named), spec, named, revealed,
                                     draw_record_bytes=expected[DRAW_RECORD], forced_reason=_forced_reason(out_p),
                                     ledger_head=_reveal_head(out_p))
        except VerificationError as exc:
            diffs.append(exc.message)
    for name in sorted(expected):
        p = out_p / name
        if name == MANIFEST_FILE:
            continue
        if not p.is_file():
            diffs.append(f"{name}: missing from the draw directory")
        elif (d := _file_difference(name, p.read_bytes(), expected[name])) is not None:
            diffs.append(d)
    ledger_diffs, ledger_notes = _ledger_checks(ledger, out_p)
    diffs += ledger_diffs
    if diffs:
        raise _fail(out_p, data_p, diffs, [*litter, *ledger_notes])
    return VerifyReport(out=str(out_p), plan_id=published.plan_id, visits=0, tasks=len(published.draw.tasks),
                        drawn=sum(len(t.selected) for t in published.draw.tasks),
                        files=len(expected), inputs=len(published.inputs), salt_checked=salt is not None,
                        notes=(*litter, *ledger_notes,
                               f"a draw-only directory, recomputed with the {published.engine} engine"))
