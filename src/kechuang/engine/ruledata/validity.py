"""When a rule is in force: the one definition every dated thing uses.

Policy: a dated item (a rule document, a parameter's value, a bureau's version) has `effective_from` and an
optional, inclusive `effective_to`. On an as-of date the item in force is, among the items whose window covers
the date, the one with the latest `effective_from`; on a tie the item later in the sequence wins, so callers
pass shipped items first and bureau-added versions after them (a bureau's version of the same day overrides
the shipped one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol, TypeVar


class Dated(Protocol):
    effective_from: dt.date
    effective_to: dt.date | None


T = TypeVar("T", bound=Dated)


def covers(item: Dated, as_of: dt.date) -> bool:
    """True when `as_of` lies in the item's window (both ends inclusive; no end = open)."""
    end = getattr(item, "effective_to", None)
    return item.effective_from <= as_of and (end is None or as_of <= end)


def in_force(items: Iterable[T], as_of: dt.date) -> T | None:
    """The item in force on `as_of`, or None when no item's window covers it."""
    best: T | None = None
    for item in items:
        if covers(item, as_of) and (best is None or item.effective_from >= best.effective_from):
            best = item
    return best


def history(items: Iterable[T]) -> list[T]:
    """The items oldest first (stable: the sequence order decides among equal dates)."""
    return sorted(items, key=lambda item: item.effective_from)


def to_date(value, what: str = "日期") -> dt.date:
    """A date from a date, a datetime or ISO text; ValueError with a Chinese message otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{what}“{value}”无效，应为 YYYY-MM-DD") from None
