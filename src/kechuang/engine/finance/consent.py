"""Consent: what a firm lets a chosen bank see, and for how long.

Policy:
- A consent names a bank, the data it covers (`SCOPES`) and a period (starts on the day it is granted, lasts
  whole months up to the programme's maximum). It is live on a day within its period unless withdrawn; a
  withdrawal closes access from that moment (no grace period).
- Banks see nothing of a firm's data on the platform without a live consent that covers it.
"""

from __future__ import annotations

import calendar
import datetime as dt

SCOPES = {"points": "创新积分", "diagnosis": "诊断书", "tiers": "梯队资质", "figures": "年度经营数据"}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day where it has fewer days)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_problem(months: int, max_months: int) -> str | None:
    if months < 1:
        return "授权期限至少 1 个月"
    if months > max_months:
        return f"授权期限不能超过 {max_months} 个月"
    return None


def scopes_problem(scopes) -> str | None:
    scopes = list(scopes or [])
    if not scopes:
        return "请至少选择一项授权查看的数据"
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        return f"不认识的授权范围：{'、'.join(unknown)}（可选：{'、'.join(SCOPES.values())}）"
    return None


def is_live(starts_on: dt.date, ends_on: dt.date, withdrawn: bool, today: dt.date) -> bool:
    return not withdrawn and starts_on <= today <= ends_on


def scope_text(scopes) -> str:
    return "、".join(SCOPES.get(s, s) for s in scopes)
