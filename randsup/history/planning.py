"""Planning with the ledger: this year's history in, the new plan written and recorded.

The annual cap per entity (国办发〔2024〕54号) and inspector rotation need the year's earlier
plans, which live in the ledger. :func:`plan_with_ledger` is the one way a plan is made from a
ledger, by the CLI and by library users alike: the history it read is written beside the plan
(``ledger-history.csv``) so that ``verify`` can re-read it, and the plan is recorded.
"""

from __future__ import annotations

from pathlib import Path

from ..draw.seed import PublicSeed
from ..model import Directory, Plan
from ..plan import Progress, make_plan
from ..publish.files import LEDGER_HISTORY_INPUT
from ..publish.render import write_plan
from ..spec import PlanSpec
from .ledger import Ledger, ledger_history, plan_json_sha256

__all__ = ["plan_with_ledger"]


def plan_with_ledger(directory: Directory, spec: PlanSpec, seed: PublicSeed, ledger: Ledger,
                     out: str | Path, *, progress: Progress | None = None, num_workers: int = 1) -> Plan:
    """Make the plan against the ledger's history of its year, write it to ``out`` and record it.

    Args:
        directory: the loaded 一单两库 (its own history.csv, if any, is kept).
        spec: the plan specification.
        seed: the public seed (with the salt, when the spec commits to one).
        ledger: the history ledger; this year's other plans feed the annual cap and rotation.
        out: a new folder for the plan; it must not exist.
        progress, num_workers: as for :func:`randsup.make_plan`.

    Raises:
        SpecError, InfeasibleError: as :func:`randsup.make_plan`.
        OutputError: ``out`` exists or cannot be written.
        LedgerError: the ledger is locked, damaged or not a randsup ledger.
    """
    directory, history_file = ledger_history(directory, ledger, spec.year, exclude_plan_id=spec.plan_id)
    plan = make_plan(directory, spec, seed, progress=progress, num_workers=num_workers)
    write_plan(plan, out, spec=spec, directory=directory,
               extra_files={LEDGER_HISTORY_INPUT: history_file} if history_file else None)
    ledger.record_plan(plan, plan_json_sha256=plan_json_sha256(out), directory=directory)
    return plan
