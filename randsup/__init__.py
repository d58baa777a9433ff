"""randsup — 双随机、一公开 (double random, one public) random supervision.

Load 一单两库, draw entities (第一随机) from published seeds, assign inspector teams and dates
(第二随机), and publish a plan anyone can verify (一公开).
"""

from .calendar import HolidayOverride, WorkingCalendar, load_holidays, quarter_bounds
from .checks import check_plan_rules
from .dates import DateSchedule, assign_dates, schedule_dates
from .draw import draw_entities, inspections_in_year, population_mask
from .errors import (
    InfeasibleError,
    InputError,
    LedgerError,
    OutputError,
    Problem,
    RandsupError,
    SeedError,
    SpecError,
    VerificationError,
)
from .fairness import FairnessResult, run_fairness, write_report
from .ledger import (
    Ledger,
    LedgerIssue,
    LedgerRecord,
    default_ledger_path,
    ledger_history,
    with_history_file,
    with_ledger_history,
)
from .load import load_directory
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
from .publish import plan_summary, render_plan, write_plan
from .recuse import Recusal, apply_recusal, recuse, replay_changes
from .results import (
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
from .save import save_directory, save_directory_xlsx
from .seed import PublicSeed, commit_salt, key_string, rfc3797_select, verify_salt
from .spec import PlanSpec, PopulationFilter, SeedSpec, TaskSpec, check_spec_against, load_spec
from .synth import generate_directory, write_demo_data
from .teams import assign_teams, pair_ticket_id
from .tickets import TicketTable, ticket, ticket_keys, ticket_strings
from .uscc import check_character, uscc_problem
from .verify import VerifyReport, verify_plan
from .visits import TaskScope, VisitStats, build_visits, task_scope

__version__ = "0.1.0"

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
    "SeedError",
    "SeedSpec",
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
    "due_results",
    "generate_directory",
    "inspections_in_year",
    "key_string",
    "ledger_history",
    "load_directory",
    "load_holidays",
    "load_spec",
    "make_plan",
    "pair_ticket_id",
    "plan_summary",
    "population_mask",
    "publication_deadline",
    "publish_results",
    "quarter_bounds",
    "read_results_file",
    "record_results",
    "recuse",
    "render_plan",
    "replay_changes",
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
