"""randsup — 双随机、一公开 (double random, one public) random supervision.

Load 一单两库, draw entities (第一随机) from published seeds, assign inspector teams and dates
(第二随机), and publish a plan anyone can verify (一公开).
"""

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
from .spec import PlanSpec, PopulationFilter, SeedSpec, TaskSpec, check_spec_against, load_spec
from .uscc import check_character, uscc_problem

__version__ = "0.1.0"

__all__ = [
    "RISK_CLASSES",
    "Assignment",
    "Categorical",
    "CheckItem",
    "Conflict",
    "Department",
    "Directory",
    "DrawResult",
    "EntityTable",
    "HistoryVisit",
    "InfeasibleError",
    "InputError",
    "Inspector",
    "JointItem",
    "LedgerError",
    "OutputError",
    "Plan",
    "PlanSpec",
    "PlanTask",
    "PopulationFilter",
    "Problem",
    "RandsupError",
    "SeedError",
    "SeedSpec",
    "SpecError",
    "StratumDraw",
    "SupervisionItem",
    "TaskDraw",
    "TaskSpec",
    "Unavailability",
    "VerificationError",
    "Visit",
    "__version__",
    "check_character",
    "check_spec_against",
    "load_spec",
    "uscc_problem",
]
