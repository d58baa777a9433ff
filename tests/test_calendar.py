"""Working days: chinesecalendar's 2026 data, override files, missing years, deadlines."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randsup.assign.workdays import WorkingCalendar, load_holidays, quarter_bounds
from randsup.errors import SpecError

D = dt.date

# A provisional 2027 file in the format randsup.demo.synth writes (春节 and 国庆 as assumed there).
HOLIDAYS_2027 = """\
provisional = true
source = "test: assumed 2027 arrangement"
year = 2027
workdays = ["2027-02-14", "2027-10-09"]

[holidays]
"2027-01-01" = "元旦"
"2027-02-08" = "春节"
"2027-02-09" = "春节"
"2027-02-10" = "春节"
"2027-02-11" = "春节"
"2027-02-12" = "春节"
"2027-10-01" = "国庆节"
"2027-10-04" = "国庆节"
"2027-10-05" = "国庆节"
"2027-10-06" = "国庆节"
"2027-10-07" = "国庆节"
"""


@pytest.fixture
def holidays_2027(tmp_path: Path) -> Path:
    p = tmp_path / "holidays-2027.toml"
    p.write_text(HOLIDAYS_2027, encoding="utf-8")
    return p


def test_quarter_bounds() -> None:
    assert quarter_bounds("2026Q1") == (D(2026, 1, 1), D(2026, 3, 31))
    assert quarter_bounds("2026Q4") == (D(2026, 10, 1), D(2026, 12, 31))
    with pytest.raises(SpecError, match="2027Q1"):
        quarter_bounds("2026Q5")


def test_national_day_2026_and_its_tiaoxiu() -> None:
    cal = WorkingCalendar.for_quarter("2026Q4")
    days = cal.working_days()
    # 国庆 2026: 1–7 October off; Saturday 10 October worked (调休).
    assert not any(D(2026, 10, i) in days for i in range(1, 8))
    assert D(2026, 10, 10) in days and D(2026, 10, 10).weekday() == 5
    assert D(2026, 10, 11) not in days  # an ordinary Sunday
    # Counted by hand: October 22 weekdays − 5 holiday weekdays + 1 调休 Saturday = 18;
    # November 21; December 23.
    assert len(days) == 62
    assert days == sorted(days) and days[0] == D(2026, 10, 8) and days[-1] == D(2026, 12, 31)


def test_spring_festival_2026() -> None:
    cal = WorkingCalendar.for_quarter("2026Q1")
    days = set(cal.working_days())
    assert not any(D(2026, 2, i) in days for i in range(15, 24))  # 春节 15–23 February
    assert {D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28)} <= days  # weekend days worked
    assert D(2026, 1, 1) not in days and D(2026, 1, 2) not in days  # 元旦


def test_deadline_skips_national_day() -> None:
    cal = WorkingCalendar.for_quarter("2026Q3")
    # The working day before 国庆: 8, 9 Oct, Sat 10 Oct (调休), then 12 Oct on … → 3 November.
    assert cal.is_working_day(D(2026, 9, 30))
    assert cal.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert cal.add_working_days(D(2026, 9, 30), 20) == D(2026, 11, 3)
    assert cal.add_working_days(D(2026, 9, 30), 0) == D(2026, 9, 30)
    with pytest.raises(ValueError):
        cal.add_working_days(D(2026, 9, 30), -1)


def test_missing_year_says_exactly_what_to_do() -> None:
    with pytest.raises(SpecError) as err:
        WorkingCalendar.for_quarter("2027Q1")
    text = str(err.value)
    assert "2027" in text and "chinesecalendar" in text and "has no data for 2027" in text
    assert "holidays-2027.toml" in text and "workdays" in text and "provisional" in text


def test_override_file(holidays_2027: Path) -> None:
    cal = WorkingCalendar.for_quarter("2027Q1", holidays_2027)
    days = set(cal.working_days())
    assert D(2027, 1, 1) not in days and D(2027, 1, 4) in days
    assert not any(D(2027, 2, i) in days for i in range(8, 13))
    assert D(2027, 2, 14) in days  # a Sunday worked
    assert D(2027, 2, 13) not in days  # a plain Saturday
    info = cal.describe()
    assert info["provisional"] == "true" and "holidays-2027.toml" in info["source"]
    assert len(info["holidays_sha256"]) == 64 and info["chinesecalendar"]
    assert WorkingCalendar.for_quarter("2026Q1").describe()["provisional"] == "false"


def test_override_for_another_year_is_named(holidays_2027: Path) -> None:
    with pytest.raises(SpecError) as err:
        WorkingCalendar.for_quarter("2028Q2", holidays_2027)
    assert "2028" in str(err.value) and "cover only 2027 (holidays-2027.toml)" in str(err.value)


def test_deadline_across_the_year_needs_next_years_data(holidays_2027: Path) -> None:
    bare = WorkingCalendar.for_quarter("2026Q4")
    with pytest.raises(SpecError, match="20 working days after 2026-12-20"):
        bare.add_working_days(D(2026, 12, 20), 20)
    cal = WorkingCalendar.for_quarter("2026Q4", holidays_2027)
    # From Sunday 20 Dec 2026: 21–25, 28–31 Dec (9), 1 Jan off, 4–8 Jan (14), 11–15 Jan (19), 18 Jan.
    assert cal.add_working_days(D(2026, 12, 20), 20) == D(2027, 1, 18)


def test_override_wins_over_chinesecalendar(tmp_path: Path) -> None:
    p = tmp_path / "h.toml"
    p.write_text('provisional = false\nsource = "local"\nyear = 2026\n[holidays]\n"2026-10-08" = "extra"\n',
                 encoding="utf-8")
    cal = WorkingCalendar.for_quarter("2026Q4", p)
    assert not cal.is_working_day(D(2026, 10, 8))
    # The file replaces the year's data: the official 调休 Saturday is not in it, so it is a day off.
    assert not cal.is_working_day(D(2026, 10, 10))


def test_bad_override_lists_every_problem(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(textwrap.dedent("""\
        source = ""
        year = 2027
        colour = "red"
        workdays = ["2027-02-15", "2027-13-01"]
        [holidays]
        "2028-01-01" = "元旦"
        """), encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_holidays(p)
    text = str(err.value)
    for part in ("provisional", "source", "colour", "2027-02-15 is a weekday", "'2027-13-01'",
                 "2028-01-01 lies outside year = 2027"):
        assert part in text
    with pytest.raises(SpecError, match="not found"):
        load_holidays(tmp_path / "missing.toml")
    (tmp_path / "broken.toml").write_text("year = ", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_holidays(tmp_path / "broken.toml")


def test_two_files_for_one_year_are_refused(holidays_2027: Path, tmp_path: Path) -> None:
    other = tmp_path / "again.toml"
    other.write_text(HOLIDAYS_2027, encoding="utf-8")
    with pytest.raises(SpecError, match="both give the holidays of 2027"):
        WorkingCalendar.for_quarter("2027Q1", [holidays_2027, other])


@settings(max_examples=60, deadline=None)
@given(start=st.dates(D(2025, 1, 1), D(2026, 10, 31)), n=st.integers(1, 40))
def test_deadline_counts_exactly_n_working_days(start: dt.date, n: int) -> None:
    cal = WorkingCalendar.for_quarter("2026Q1")
    end = cal.add_working_days(start, n)
    assert cal.is_working_day(end)
    between = [start + dt.timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(cal.is_working_day(d) for d in between) == n
    assert cal.add_working_days(start, n + 1) > end
