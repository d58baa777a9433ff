"""The whole quarter with the library: demo data → load → draw → plan → write → verify.

    python examples/plan_and_verify.py [--entities 3000] [--inspectors 200] [--keep DIR]

Generates a small Songjiang-like demo directory (一单两库) in a temporary folder, draws the
entities of every task (第一随机), plans visits, dates and inspector teams (第二随机), writes the
plan directory (一公开) and verifies it by recomputing everything from the inputs and the seed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import randsup

# The values of the public sources named in the spec, once they are known
# (a lottery draw and an index close); the spec only names them in advance.
SOURCES = ["02 05 12 20 25 31 08", "3245.67"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="demo data → plan → verify, with the randsup library")
    ap.add_argument("--entities", type=int, default=3000)
    ap.add_argument("--inspectors", type=int, default=200)
    ap.add_argument("--keep", type=Path, help="write into this (new) folder instead of a temporary one")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        data, out = root / "data", root / "plan"
        # Unannounced checks: a secret salt, committed in the spec before the sources are drawn and
        # revealed after the last visit. Real plans draw a fresh one (`randsup salt new FILE`, or
        # secrets.token_hex(32)); this fixed one keeps the example's output the same on every run.
        salt = "salt-b"
        randsup.write_demo_data(data, entities=args.entities, inspectors=args.inspectors, seed=0,
                                salt_commitment=randsup.commit_salt(salt))

        directory = randsup.load_directory(data)
        spec = randsup.load_spec(data / "plan-2027Q1.toml")
        randsup.check_spec_against(spec, directory)
        seed = randsup.PublicSeed.for_spec(spec.seed, SOURCES, salt)
        print(f"key string {seed.key_string}  seed {seed.seed_hex[:16]}…")

        draw = randsup.draw_entities(directory, spec, seed)
        for t in draw.tasks:
            print(f"  {t.task_id}: {len(t.selected)} entities drawn "
                  f"({', '.join(f'{k}={s.sample}/{s.population}' for k, s in sorted(t.strata.items()))})")

        plan = randsup.make_plan(directory, spec, seed)
        joint = sum(len(v.departments) > 1 for v in plan.visits)
        print(f"plan {plan.plan_id}: {len(plan.visits)} visits, {joint} joint")

        randsup.write_plan(plan, out, spec=spec, directory=directory)
        report = randsup.verify_plan(out, data=data, salt=salt)
        print(report.summary())
        if args.keep:
            print(f"kept in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
