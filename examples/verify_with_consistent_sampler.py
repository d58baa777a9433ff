"""Re-check a published draw (第一随机) with Rivest's consistent-sampler package alone.

An auditor needs no randsup code for this: the public draw record (public/draw-record.json)
names each task's population filter, its ticket seed and start point per credit-risk class
(信用风险分类), and the population and sample sizes; entities.csv is the 检查对象名录库 the
plan was drawn from (its SHA-256 is in the record). This script

1. checks the SHA-256 of entities.csv (and history.csv) against the record,
2. rebuilds one task's population per class from entities.csv with plain Python (定向 filters,
   the annual inspection cap from history.csv),
3. draws each class with ``consistent_sampler`` — ``sampler(...)`` for a start of 0, otherwise
   ``first_fraction`` tickets ordered by ``(ticket - start) mod 1`` — and
4. compares the sizes with the record and, if the internal plan.json is at hand (after the
   inspections, or for the regulator), the drawn entities with the plan's visits.

    python examples/verify_with_consistent_sampler.py PLAN_DIR --data DATA_DIR [--task T01]

Exit status 0 when everything matches, 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from collections import Counter
from decimal import Decimal, getcontext
from pathlib import Path
from typing import Any

from consistent_sampler import first_fraction, sampler

getcontext().prec = 120  # tickets carry up to ~80 significant digits; keep them exact


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def in_population(row: dict[str, str], flt: dict[str, Any] | None) -> bool:
    """The task's 定向 filter, re-implemented from the record's description."""
    if not flt:
        return True
    tags = {t.strip() for t in row.get("tags", "").replace("；", ";").split(";") if t.strip()}
    if flt.get("entity_type") is not None and row["entity_type"] not in flt["entity_type"]:
        return False
    if flt.get("industry_prefix") is not None and not row["industry"].startswith(tuple(flt["industry_prefix"])):
        return False
    if flt.get("area") is not None and row["area"] not in flt["area"]:
        return False
    if flt.get("tags") is not None and not set(flt["tags"]) <= tags:
        return False
    return not (flt.get("exclude_tags") is not None and tags & set(flt["exclude_tags"]))


def inspections_in_year(history: list[dict[str, str]], year: int) -> Counter[str]:
    """Distinct (entity, date) visits in the plan's year: what the annual cap counts."""
    return Counter(e for e, _ in {(h["entity_id"], h["date"]) for h in history if h["date"].startswith(f"{year}-")})


def draw_class(ids: list[str], ticket_seed: str, start: str, k: int) -> list[str]:
    """The k entities with the smallest (ticket - start) mod 1, by consistent_sampler alone."""
    if Decimal(start) == 0:
        return list(sampler(ids, seed=ticket_seed, with_replacement=False, take=k, output="id"))
    s = Decimal(start)

    def distance(e: str) -> Decimal:
        d = Decimal(first_fraction(e, ticket_seed)) - s
        return d + 1 if d < 0 else d  # not `% 1`: a Decimal remainder keeps the sign of the dividend

    return [e for _, e in sorted((distance(e), e) for e in ids)[:k]]


def check_task(record: dict[str, Any], task: dict[str, Any], entities: list[dict[str, str]],
               history: list[dict[str, str]], plan: dict[str, Any] | None) -> list[str]:
    problems: list[str] = []
    if task["ticket_seed"] is None:
        return [f"task {task['task_id']}: the ticket seed is withheld until the salt is revealed"]
    year = int(record["quarter"][:4])
    done = inspections_in_year(history, year)
    cap = record["max_inspections_per_entity_per_year"]
    drawn: set[str] = set()
    for cls, stratum in sorted(task["strata"].items()):
        members = [r for r in entities if r["risk_class"] == cls and in_population(r, task["population"])]
        ids = sorted(r["entity_id"] for r in members if done[r["entity_id"]] < cap)
        capped = len(members) - len(ids)
        sample = draw_class(ids, task["ticket_seed"], stratum.get("start", "0"), stratum["sample"])
        drawn.update(sample)
        ok = len(ids) == stratum["population"] and capped == stratum["excluded_at_cap"]
        print(f"  class {cls}: population {len(ids)} (record {stratum['population']}), at cap {capped}, "
              f"drew {len(sample)} (record {stratum['sample']}) {'ok' if ok else 'MISMATCH'}")
        if not ok:
            problems.append(f"task {task['task_id']} class {cls}: population or cap count differs from the record")
    if plan is not None:
        in_plan = {v["entity_id"] for v in plan["visits"] if task["task_id"] in v["tasks"]}
        if in_plan != drawn:
            problems.append(f"task {task['task_id']}: plan.json visits {len(in_plan)} entities, "
                            f"consistent_sampler draws {len(drawn)}; {len(in_plan ^ drawn)} differ")
        else:
            print(f"  the {len(drawn)} drawn entities are exactly the task's visits in plan.json")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("plan", type=Path, help="the plan directory (public/draw-record.json inside)")
    ap.add_argument("--data", type=Path, required=True, help="the data directory with entities.csv")
    ap.add_argument("--task", help="a task id (default: every task)")
    args = ap.parse_args(argv)

    record = json.loads((args.plan / "public" / "draw-record.json").read_text(encoding="utf-8"))
    problems: list[str] = []
    for name in ("entities.csv", "history.csv"):
        path = args.data / name
        expected = record["inputs"].get(name)
        if expected is not None and (not path.is_file() or sha256_of(path) != expected):
            problems.append(f"{name}: SHA-256 differs from the draw record; this is not the published data")
    if problems:
        print("\n".join(problems))
        return 1
    entities = read_csv(args.data / "entities.csv")
    history = read_csv(args.data / "history.csv") if (args.data / "history.csv").is_file() else []
    plan_path = args.plan / "plan.json"
    plan = json.loads(plan_path.read_text(encoding="utf-8")) if plan_path.is_file() else None
    tasks = [t for t in record["tasks"] if args.task in (None, t["task_id"])]
    if not tasks:
        print(f"no task {args.task!r} in the draw record")
        return 1
    for task in tasks:
        print(f"task {task['task_id']} {task['name']} ({task['coordination']}):")
        problems += check_task(record, task, entities, history, plan)
    if problems:
        print("\n".join(["MISMATCH:"] + problems))
        return 1
    print(f"consistent_sampler reproduces the draw of {len(tasks)} task(s) of plan {record['plan_id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
