"""Working days (工作日) of a quarter: chinesecalendar's official data plus override files.

Design notes: docs/assign.md (section randsup/assign/workdays.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import chinese_calendar

from ..errors import SpecError

__all__ = ["HolidayOverride", "WorkingCalendar", "load_holidays", "quarter_bounds"]

_OVERRIDE_FORMAT = (
    'a TOML file with: year = YYYY, provisional = true|false, source = "where the dates come from", '
    'a [holidays] table of "YYYY-MM-DD" = "name" lines for days off, and '
    'workdays = ["YYYY-MM-DD", ...] for weekend days worked (调休)'
)


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """First and last calendar day of a quarter written like "2027Q1"."""
    try:
        year, q = int(quarter[:4]), int(quarter[5:])
        if len(quarter) != 6 or quarter[4] != "Q" or not 1 <= q <= 4:
            raise ValueError
    except ValueError:
        raise SpecError(f"quarter must look like 2027Q1, not {quarter!r}") from None
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return start, end - dt.timedelta(days=1)


def _chinesecalendar_version() -> str:
    try:
        return version("chinesecalendar")
    except PackageNotFoundError:  # vendored or installed without metadata
        return str(getattr(chinese_calendar, "__version__", "unknown"))


def _chinesecalendar_years() -> tuple[int, int]:
    years = [d.year for d in chinese_calendar.constants.holidays]
    return min(years), max(years)


@dataclass(frozen=True)
class HolidayOverride:
    """One year's holiday arrangement read from an override file."""

    year: int
    provisional: bool
    source: str
    holidays: dict[dt.date, str]
    workdays: frozenset[dt.date]
    path: str
    sha256: str

    def is_working_day(self, d: dt.date) -> bool:
        return d in self.workdays or (d.weekday() < 5 and d not in self.holidays)


def _parse_day(text: object, where: str, problems: list[str]) -> dt.date | None:
    if isinstance(text, dt.date) and not isinstance(text, dt.datetime):
        return text  # a bare TOML date (2027-01-01 without quotes) is fine too
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        problems.append(f"{where}: {text!r} is not a date written YYYY-MM-DD")
        return None


def load_holidays(path: str | Path) -> HolidayOverride:
    """Read and check a holiday override file.

    Raises:
        SpecError: the file is missing, not TOML, or a field is wrong; every problem is listed.
    """
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"{p}: holidays file not found; pass {_OVERRIDE_FORMAT}")
    data = p.read_bytes()
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"{p}: not UTF-8 text; save the holidays file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{p}: not valid TOML ({exc}); fix the syntax at that line") from None

    problems: list[str] = []
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        problems.append(f"year: must be a whole number like 2027, not {year!r}")
        year = None
    provisional = raw.get("provisional")
    if not isinstance(provisional, bool):
        problems.append(f"provisional: must be true or false, not {provisional!r}")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append("source: name where the dates come from (e.g. the State Council notice)")
    unknown = sorted(set(raw) - {"year", "provisional", "source", "holidays", "workdays"})
    for k in unknown:
        problems.append(f"{k}: unknown field; the file holds only year, provisional, source, holidays, workdays")

    holidays: dict[dt.date, str] = {}
    table = raw.get("holidays", {})
    if not isinstance(table, dict):
        problems.append('holidays: must be a table of "YYYY-MM-DD" = "name" lines')
        table = {}
    for key, name in sorted(table.items(), key=lambda kv: str(kv[0])):
        d = _parse_day(key, f"holidays.{key}", problems)
        if d is None:
            continue
        if not isinstance(name, str):
            problems.append(f"holidays.{key}: the value must be the holiday's name as text, not {name!r}")
        holidays[d] = str(name)

    workdays: set[dt.date] = set()
    listed = raw.get("workdays", [])
    if not isinstance(listed, list):
        problems.append('workdays: must be a list like ["2027-02-20"]')
        listed = []
    for i, text in enumerate(listed):
        d = _parse_day(text, f"workdays[{i}]", problems)
        if d is None:
            continue
        if d.weekday() < 5:
            problems.append(f"workdays[{i}]: {d} is a weekday; list only weekend days worked under 调休")
        if d in holidays:
            problems.append(f"workdays[{i}]: {d} is also listed under holidays; keep it in one place")
        workdays.add(d)

    if year is not None:
        for d in sorted(holidays.keys() | workdays):
            if d.year != year:
                problems.append(f"{d} lies outside year = {year}; write one file per year")
    if problems:
        raise SpecError(f"{p}: the holidays file has {len(problems)} problem(s):\n"
                        + "\n".join(f"  - {x}" for x in problems)
                        + f"\nExpected {_OVERRIDE_FORMAT}.")
    assert isinstance(year, int) and isinstance(provisional, bool) and isinstance(source, str)
    return HolidayOverride(year=year, provisional=provisional, source=source.strip(), holidays=holidays,
                           workdays=frozenset(workdays), path=p.name,
                           sha256=hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days of one quarter, and deadlines counted in working days.

    Build it with :meth:`for_quarter`, which checks that every day of the quarter is covered.
    Deadlines may run into a later year; that year needs data too (chinesecalendar or an
    override file), else :meth:`add_working_days` raises SpecError.
    """

    quarter: str
    start: dt.date
    end: dt.date
    overrides: dict[int, HolidayOverride] = field(default_factory=dict)

    @classmethod
    def for_quarter(cls, quarter: str,
                    override: str | Path | Sequence[str | Path] | None = None) -> WorkingCalendar:
        """The calendar of ``quarter`` ("2027Q1") from chinesecalendar and any override files.

        Raises:
            SpecError: the quarter's year has neither chinesecalendar data nor an override file,
                an override file is bad, or two override files give the same year.
        """
        start, end = quarter_bounds(quarter)
        paths: Iterable[str | Path]
        if override is None:
            paths = ()
        elif isinstance(override, str | Path):
            paths = (override,)
        else:
            paths = override
        overrides: dict[int, HolidayOverride] = {}
        for p in paths:
            o = load_holidays(p)
            if o.year in overrides:
                raise SpecError(f"{o.path} and {overrides[o.year].path} both give the holidays of {o.year}; "
                                "pass one file per year")
            overrides[o.year] = o
        cal = cls(quarter=quarter, start=start, end=end, overrides=overrides)
        cal._require_year(start.year, why=f"the plan's quarter {quarter}")
        return cal

    # -- coverage -------------------------------------------------------------------------

    def _require_year(self, year: int, *, why: str) -> None:
        if year in self.overrides:
            return
        lo, hi = _chinesecalendar_years()
        if lo <= year <= hi:
            return
        given = ""
        if self.overrides:
            given = (" The holidays file(s) given cover only "
                     + ", ".join(f"{y} ({o.path})" for y, o in sorted(self.overrides.items())) + ".")
        raise SpecError(
            f"no working-day data for {year}, needed for {why}: chinesecalendar "
            f"{_chinesecalendar_version()} has no data for {year} (it covers {lo}–{hi}).{given} "
            f"Pass a holidays file for {year} (the spec's `holidays = \"holidays-{year}.toml\"`), "
            f"{_OVERRIDE_FORMAT}, or upgrade chinesecalendar once it carries {year}.")

    # -- queries --------------------------------------------------------------------------

    def is_working_day(self, d: dt.date) -> bool:
        """True on weekdays that are no holiday, and on weekend days worked under 调休."""
        o = self.overrides.get(d.year)
        if o is not None:
            return o.is_working_day(d)
        self._require_year(d.year, why=f"the date {d}")
        return bool(chinese_calendar.is_workday(d))

    def working_days(self) -> list[dt.date]:
        """The quarter's working days, ascending."""
        n = (self.end - self.start).days + 1
        days = (self.start + dt.timedelta(days=i) for i in range(n))
        return [d for d in days if self.is_working_day(d)]

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """The n-th working day after ``d`` (``d`` itself does not count): the deadline of an
        "n working days" rule such as the 20-working-day publication of results.

        Raises:
            ValueError: ``n`` is negative.
            SpecError: the count runs into a year without working-day data.
        """
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}")
        day, left = d, n
        covered: set[int] = set()
        while left > 0:
            day += dt.timedelta(days=1)
            if day.year not in covered:  # name the deadline, not just a date, if a year lacks data
                self._require_year(day.year, why=f"the deadline {n} working days after {d}")
                covered.add(day.year)
            if self.is_working_day(day):
                left -= 1
        return day

    def describe(self) -> dict[str, str]:
        """Where the quarter's working days come from, for the plan record."""
        o = self.overrides.get(self.start.year)
        info = {"chinesecalendar": _chinesecalendar_version()}
        if o is None:
            info |= {"source": f"chinesecalendar {info['chinesecalendar']}", "provisional": "false"}
        else:
            info |= {"source": f"{o.path}: {o.source}", "provisional": "true" if o.provisional else "false",
                     "holidays_file": o.path, "holidays_sha256": o.sha256}
        return info
