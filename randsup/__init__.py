"""randsup — 双随机、一公开 (double random, one public) random supervision.

Load 一单两库, draw entities (第一随机) from published seeds, assign inspector teams and dates
(第二随机), and publish a plan anyone can verify (一公开).
"""

from .assign.dates import DateSchedule, assign_dates, schedule_dates
from .assign.ranking import inspector_ranking
from .assign.rule_check import check_plan_rules
from .assign.teams import assign_teams
from .assign.workdays import HolidayOverride, WorkingCalendar, load_holidays, quarter_bounds
from .demo.synth import generate_directory, write_demo_data
from .draw.sample import draw_entities, inspections_in_year, population_mask
from .draw.seed import (
    PublicSeed,
    commit_salt,
    key_string,
    new_salt_file,
    read_salt_file,
    rfc3797_select,
    verify_salt,
)
from .draw.tickets import TicketTable, ticket, ticket_keys, ticket_strings
from .draw.visits import TaskScope, VisitStats, build_visits, task_scope
from .errors import (
    InfeasibleError,
    InputError,
    LedgerError,
    OutputError,
    Problem,
    RandsupError,
    SeedError,
    SolverTimeoutError,
    SpecError,
    VerificationError,
)
from .history.ledger import (
    Ledger,
    LedgerIssue,
    LedgerRecord,
    default_ledger_path,
    ledger_history,
    with_history_file,
    with_ledger_history,
)
from .history.planning import draw_with_ledger, plan_with_ledger
from .history.recuse import Recusal, apply_recusal, recuse, replay_changes
from .history.results import (
    RESULT_CATEGORIES,
    RESULT_SUB_TYPES,
    DueResult,
    InspectionResult,
    due_results,
    publication_deadline,
    publish_results,
    read_results_file,
    record_results,
)
from .history.reveal import RevealReport, reveal_plan
from .inputs.load import load_directory
from .inputs.save import save_directory, save_directory_xlsx
from .inputs.uscc import check_character, uscc_problem
from .model import (
    RISK_CLASSES,
    Assignment,
    Categorical,
    CheckItem,
    Conflict,
    Department,
    Directory,
    DrawResult,
    EntityTable,
    HistoryVisit,
    Inspector,
    JointItem,
    Plan,
    PlanTask,
    StratumDraw,
    SupervisionItem,
    TaskDraw,
    Unavailability,
    Visit,
)
from .plan import make_plan
from .publish.render import plan_summary, render_plan, write_plan
from .spec import PlanSpec, PopulationFilter, SeedSpec, TaskSpec, check_spec_against, load_spec
from .verify import VerifyReport, verify_plan
from .version import __version__

# The fairness benchmark (bench/) is heavy (scipy, matplotlib on use) and not part of planning:
# its public names load on first use instead of with the package.
_LAZY = {"FairnessResult": "randsup.bench.fairness", "run_fairness": "randsup.bench.fairness",
         "write_report": "randsup.bench.fairness"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'randsup' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Assignment",
    "Categorical",
    "CheckItem",
    "Conflict",
    "DateSchedule",
    "Department",
    "Directory",
    "DrawResult",
    "DueResult",
    "EntityTable",
    "FairnessResult",
    "HistoryVisit",
    "HolidayOverride",
    "InfeasibleError",
    "InputError",
    "InspectionResult",
    "Inspector",
    "JointItem",
    "Ledger",
    "LedgerError",
    "LedgerIssue",
    "LedgerRecord",
    "OutputError",
    "Plan",
    "PlanSpec",
    "PlanTask",
    "PopulationFilter",
    "Problem",
    "PublicSeed",
    "RESULT_CATEGORIES",
    "RESULT_SUB_TYPES",
    "RISK_CLASSES",
    "RandsupError",
    "Recusal",
    "RevealReport",
    "SeedError",
    "SeedSpec",
    "SolverTimeoutError",
    "SpecError",
    "StratumDraw",
    "SupervisionItem",
    "TaskDraw",
    "TaskScope",
    "TaskSpec",
    "TicketTable",
    "Unavailability",
    "VerificationError",
    "VerifyReport",
    "Visit",
    "VisitStats",
    "WorkingCalendar",
    "__version__",
    "apply_recusal",
    "assign_dates",
    "assign_teams",
    "build_visits",
    "check_character",
    "check_plan_rules",
    "check_spec_against",
    "commit_salt",
    "default_ledger_path",
    "draw_entities",
    "draw_with_ledger",
    "due_results",
    "generate_directory",
    "inspections_in_year",
    "inspector_ranking",
    "key_string",
    "ledger_history",
    "load_directory",
    "load_holidays",
    "load_spec",
    "make_plan",
    "new_salt_file",
    "plan_summary",
    "plan_with_ledger",
    "population_mask",
    "publication_deadline",
    "publish_results",
    "quarter_bounds",
    "read_results_file",
    "read_salt_file",
    "record_results",
    "recuse",
    "render_plan",
    "replay_changes",
    "reveal_plan",
    "rfc3797_select",
    "run_fairness",
    "save_directory",
    "save_directory_xlsx",
    "schedule_dates",
    "task_scope",
    "ticket",
    "ticket_keys",
    "ticket_strings",
    "uscc_problem",
    "verify_plan",
    "verify_salt",
    "with_history_file",
    "with_ledger_history",
    "write_demo_data",
    "write_plan",
    "write_report",
]
