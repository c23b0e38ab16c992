"""Chinese working days: official holidays and 调休 working weekends, for every deadline in working days.

Policy:
- The calendar is the State Council's yearly holiday arrangement as published in the maintained package
  `chinesecalendar` (never a hand list in this project). A day is a working day when the package says so.
- A year the package does not cover yet (the arrangement is published late in the year before) is counted
  Monday to Friday, and every answer that touched such a year says so (`assumed_years`), so a deadline that
  may move when the arrangement appears is never presented as certain.
- "N working days after D" does not count D itself: the first working day after D is day 1. N = 0 is D.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib.metadata import version

import chinese_calendar

ONE_DAY = dt.timedelta(days=1)
MAX_WORKDAYS = 3660  # ten years of working days: beyond that a deadline is a typing error


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    workdays: int
    assumed_years: tuple[int, ...] = field(default=())

    @property
    def basis(self) -> str:
        """Why this date, in Chinese: the calendar used, and any year counted Monday to Friday."""
        text = f"按国务院办公厅公布的节假日安排（含调休上班日）计算，日历数据 chinesecalendar {_VERSION}"
        if self.assumed_years:
            years = "、".join(f"{y} 年" for y in self.assumed_years)
            text += f"；{years}的节假日安排尚未收录，暂按周一至周五计算，安排公布后可能调整"
        return text


_VERSION = version("chinesecalendar")


def is_workday(day: dt.date) -> tuple[bool, bool]:
    """(is a working day, the year's arrangement is known)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:  # a year the package does not cover
        return day.weekday() < 5, False


def add_workdays(start: dt.date, n: int) -> Deadline:
    """The date `n` working days after `start`."""
    if not 0 <= n <= MAX_WORKDAYS:
        raise ValueError(f"工作日数应在 0 到 {MAX_WORKDAYS} 之间，现为 {n}")
    day, left, assumed = start, n, set()
    while left:
        day += ONE_DAY
        works, known = is_workday(day)
        if not known:
            assumed.add(day.year)
        if works:
            left -= 1
    return Deadline(day, n, tuple(sorted(assumed)))


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        count += is_workday(day)[0]
    return count
