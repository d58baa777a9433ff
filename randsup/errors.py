"""The one exception hierarchy of randsup; every message says what to fix.

    RandsupError                 root: catch this to catch everything randsup raises on purpose
    ├── InputError               bad input data: carries every Problem (file, row, column, value, why)
    ├── SpecError                a bad plan specification (TOML) or a spec that does not fit the data
    ├── SeedError                unusable public seed sources or a salt that does not match its commitment
    ├── InfeasibleError          no plan satisfies the rules; says which visits/departments/weeks and what to relax
    │   └── SolverTimeoutError   the solver stopped at its limit before proving an answer (never published)
    ├── VerificationError        a recomputed plan or a digest differs; says which file, visit and field
    ├── OutputError              an output cannot be written (e.g. the directory exists already)
    └── LedgerError              the history ledger is locked, corrupt or edited

Exit codes used by the CLI: InputError, SpecError, SeedError, OutputError, LedgerError → 2;
InfeasibleError, VerificationError → 1.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

__all__ = [
    "InfeasibleError",
    "InputError",
    "LedgerError",
    "OutputError",
    "Problem",
    "RandsupError",
    "SeedError",
    "SolverTimeoutError",
    "SpecError",
    "VerificationError",
    "os_error",
]


class RandsupError(Exception):
    """Root of every error randsup raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, order=True)
class Problem:
    """One bad cell, row or file. ``row`` counts like a spreadsheet: the header is row 1."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    why: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        shown = ""
        if self.value is not None:
            v = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            shown = f" (value {v!r})"
        return f"{where}{shown}: {self.why}"


class InputError(RandsupError):
    """Raised when input data are bad; ``problems`` lists every one found in the run."""

    def __init__(self, problems: list[Problem] | Problem, *, header: str | None = None) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        head = header or f"{n} problem{'s' if n != 1 else ''} in the input; nothing was loaded"
        lines = [head + ":"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SpecError(RandsupError):
    """Raised when the plan specification is malformed or does not fit the data."""


class SeedError(RandsupError):
    """Raised when seed sources are unusable or a revealed salt does not match its commitment."""


class InfeasibleError(RandsupError):
    """Raised when no plan satisfies the rules; ``reasons`` and ``fixes`` explain why and what to relax."""

    exit_code = 1

    def __init__(self, message: str, *, reasons: list[str] | None = None,
                 fixes: list[str] | None = None) -> None:
        self.reasons = list(reasons or [])
        self.fixes = list(fixes or [])
        text = message
        if self.reasons:
            text += "\nWhy:\n" + "\n".join(f"  - {r}" for r in self.reasons)
        if self.fixes:
            text += "\nWhat would fix it:\n" + "\n".join(f"  - {f}" for f in self.fixes)
        super().__init__(text)


class SolverTimeoutError(InfeasibleError):
    """Raised when a solver reaches its time or work limit without a proven answer.

    A plan that is not proven optimal could not be re-derived by ``verify``, so it is never
    published; the message says which stage and department, and what to try (a larger limit,
    fewer visits per day, more inspectors).
    """


class VerificationError(RandsupError):
    """Raised when a published plan does not match its recomputation; ``differences`` lists each."""

    exit_code = 1

    def __init__(self, message: str, *, differences: list[str] | None = None) -> None:
        self.differences = list(differences or [])
        text = message
        if self.differences:
            text += "\n" + "\n".join(f"  - {d}" for d in self.differences)
        super().__init__(text)


class OutputError(RandsupError):
    """Raised when an output cannot be written safely."""


class LedgerError(RandsupError):
    """Raised when the history ledger is locked, corrupt or has been edited."""


_OS_HINTS = {
    errno.EACCES: "you may not write or read there; choose another folder or fix its permissions",
    errno.EPERM: "the system does not allow this; choose another folder or fix its permissions",
    errno.ENOTDIR: "a part of this path is a file, not a folder; choose another path",
    errno.EISDIR: "this is a folder where a file was expected; choose another path",
    errno.EEXIST: "something of that name is in the way; choose another path or remove it",
    errno.ENAMETOOLONG: "the name is too long for the file system; choose a shorter path",
    errno.ENOSPC: "the disk is full; free some space or choose another disk, then run the command again",
    errno.EDQUOT: "your disk quota is used up; free some space or choose another disk, then run the command again",
    errno.EROFS: "the file system is read-only; choose another folder",
    errno.ENOENT: "it does not exist; check the path",
    errno.ELOOP: "the path has a loop of symbolic links; choose another path",
}


def os_error(exc: OSError) -> OutputError:
    """An operating-system refusal (permission, not a folder, name too long, disk full) as a clear error.

    The message names the path and says what to do; nothing partial is left behind by the
    atomic writers that raise these.
    """
    where = exc.filename if exc.filename is not None else "a file"
    hint = _OS_HINTS.get(exc.errno or 0, "check the path and try again")
    return OutputError(f"{where}: {exc.strerror or exc}; {hint}")
