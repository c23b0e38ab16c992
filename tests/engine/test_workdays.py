"""Working days by the official arrangement: National Day and its 调休 weekends, years not yet published."""

from __future__ import annotations

import datetime as dt

import pytest

from kechuang.cli import main
from kechuang.engine.workdays import add_workdays, is_workday, workdays_between

D = dt.date


def test_national_day_2026_and_its_working_saturday():
    # 2026: 10-01 … 10-07 off; Saturday 10-10 is a 调休 working day (and Sunday 09-27 an ordinary day off).
    assert is_workday(D(2026, 10, 1)) == (False, True)
    assert is_workday(D(2026, 10, 10)) == (True, True)
    assert is_workday(D(2026, 9, 27)) == (False, True)
    assert add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)
    assert add_workdays(D(2026, 9, 30), 3).date == D(2026, 10, 10)
    assert add_workdays(D(2026, 9, 30), 4).date == D(2026, 10, 12)
    assert add_workdays(D(2026, 9, 30), 0).date == D(2026, 9, 30)
    assert workdays_between(D(2026, 9, 30), D(2026, 10, 10)) == 3


def test_two_working_days_over_a_weekend():
    assert add_workdays(D(2026, 12, 4), 2).date == D(2026, 12, 8)  # Friday + 2 → Tuesday
    assert add_workdays(D(2026, 12, 4), 2).assumed_years == ()


def test_a_year_without_a_published_arrangement_is_counted_monday_to_friday_and_says_so():
    deadline = add_workdays(D(2026, 12, 25), 15)
    assert deadline.date == D(2027, 1, 15)
    assert deadline.assumed_years == (2027,)
    assert "2027 年的节假日安排尚未收录，暂按周一至周五计算" in deadline.basis


@pytest.mark.parametrize("n", [-1, 100_000])
def test_an_impossible_count_is_refused(n):
    with pytest.raises(ValueError, match="工作日数应在 0 到"):
        add_workdays(D(2026, 1, 1), n)


def test_the_command_prints_the_date(capsys):
    assert main(["calendar", "add-workdays", "2026-09-30", "3"]) == 0
    assert capsys.readouterr().out == "2026-10-10\n"
    assert main(["calendar", "add-workdays", "2026-12-25", "15"]) == 0
    out = capsys.readouterr()
    assert out.out == "2027-01-15\n" and "2027 年的节假日安排尚未收录" in out.err
    assert main(["calendar", "add-workdays", "2026-02-30", "3"]) == 2
    assert "日期“2026-02-30”无效" in capsys.readouterr().err
    assert main(["calendar", "add-workdays", "2026-02-03", "x"]) == 2
    assert "工作日数应为非负整数" in capsys.readouterr().err
