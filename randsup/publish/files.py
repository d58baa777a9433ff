"""The plan folder: its file names, and the one reader that every later stage uses.

verify, recusal (回避), results and the public site all read a plan folder written by
:func:`randsup.publish.render.write_plan`; they read it here, so a missing, damaged or hand-edited
file gets the same message (file named, what to do) wherever it is read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, Problem
from ..model import Plan
from ..spec import PlanSpec

__all__ = [
    "CHANGES_FILE",
    "DRAWN_LIST",
    "DRAW_RECORD",
    "HOLIDAYS_DIR",
    "FROM_DRAW_FILE",
    "FROM_DRAW_HISTORY",
    "LEDGER_HISTORY_INPUT",
    "MANIFEST_FILE",
    "NOTICE_HTML",
    "NOTICE_MD",
    "PLAN_FILE",
    "PLAN_FORMAT",
    "REVEAL_RECORD",
    "SPEC_FILE",
    "VISITS_CSV",
    "VISITS_XLSX",
    "read_json",
    "read_plan",
    "read_published_spec",
    "revealed_salt",
]

PLAN_FILE = "plan.json"
PLAN_FORMAT = "randsup-plan/1"
SPEC_FILE = "spec.json"
HOLIDAYS_DIR = "calendar"  # the spec's holidays file is copied here under its own name
VISITS_CSV = "visits.csv"
VISITS_XLSX = "visits.xlsx"
NOTICE_MD = "public/plan-notice.md"
NOTICE_HTML = "public/plan-notice.html"
DRAW_RECORD = "public/draw-record.json"
REVEAL_RECORD = "public/reveal.json"  # written by `randsup reveal` once every visit is past
DRAWN_LIST = "public/drawn-list.csv"  # the 抽查名单, written with the reveal
MANIFEST_FILE = "manifest.json"
CHANGES_FILE = "changes.json"  # 回避 and redraws after the plan was written, replayed by verify
# The ledger's history of the year, kept beside a plan made from it so that verify can re-read it.
LEDGER_HISTORY_INPUT = "ledger-history.csv"
# A plan that took a draw-only result (plan --from-draw) keeps that draw's draw.json and the
# ledger history it was drawn with, so that verify recomputes the same draw.
FROM_DRAW_FILE = "from-draw/draw.json"
FROM_DRAW_HISTORY = "from-draw/ledger-history.csv"

_MAX_JSON_BYTES = 512 * 1024 * 1024  # a plan of 10^6 visits is ~300 MB; anything larger is not ours


def _bad(path: Path, why: str, column: str | None = None) -> InputError:
    return InputError(Problem(str(path), None, column, None, why), header="the plan folder cannot be read")


def read_json(path: str | Path, what: str | None = None) -> Any:
    """A JSON file of the plan folder; InputError naming the file if it is missing, not a file or not JSON."""
    p = Path(path)
    what = what or p.name
    try:
        if p.stat().st_size > _MAX_JSON_BYTES:
            raise _bad(p, f"{what} is larger than any plan randsup writes; restore the folder as written")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _bad(p, f"{what} is missing; pass the folder `randsup plan --out` wrote, complete") from None
    except IsADirectoryError:
        raise _bad(p, f"{what} is a folder, not a file; restore the plan folder as written") from None
    except UnicodeDecodeError:
        raise _bad(p, f"{what} is not UTF-8 text; restore the plan folder as written") from None
    except OSError as exc:
        raise _bad(p, f"{what} cannot be read ({exc.strerror or exc}); check its permissions") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(p, f"{what} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                      "restore the plan folder as written") from None
    except RecursionError:
        raise _bad(p, f"{what} is nested too deeply to be a randsup file; restore the plan folder as written") \
            from None


def read_plan(plan_dir: str | Path) -> Plan:
    """``plan.json`` of a plan folder as a Plan; InputError if missing, damaged or not a randsup plan."""
    p = Path(plan_dir) / PLAN_FILE
    raw = read_json(p, PLAN_FILE)
    if not isinstance(raw, dict) or raw.get("format") != PLAN_FORMAT:
        raise _bad(p, f"its format is not {PLAN_FORMAT!r}; pass the folder `randsup plan --out` wrote")
    try:
        return Plan.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or None
        raise _bad(p, f"{first['msg']} ({exc.error_count()} problem(s)); the file was edited by hand, "
                      "restore it as written", column=where) from None


def read_published_spec(plan_dir: str | Path) -> PlanSpec:
    """``spec.json`` of a plan folder, with relative paths (the holidays copy) resolved inside the folder."""
    out = Path(plan_dir)
    raw = read_json(out / SPEC_FILE, SPEC_FILE)
    if not isinstance(raw, dict):
        raise _bad(out / SPEC_FILE, "not a plan specification (a JSON object is expected)")
    raw.pop("base_dir", None)
    try:
        return PlanSpec.model_validate({**raw, "base_dir": str(out)})
    except (ValidationError, TypeError) as exc:
        raise _bad(out / SPEC_FILE, f"not a valid plan specification ({exc}); restore it as written") from None


def revealed_salt(plan_dir: str | Path) -> str | None:
    """The salt published by ``randsup reveal`` (public/reveal.json), if the plan has been revealed."""
    p = Path(plan_dir) / REVEAL_RECORD
    if not p.is_file():
        return None
    rec = read_json(p, REVEAL_RECORD)
    salt = rec.get("salt") if isinstance(rec, dict) else None
    if not isinstance(salt, str):
        raise _bad(p, "has no salt; it was edited by hand, restore it as `randsup reveal` wrote it")
    return salt
