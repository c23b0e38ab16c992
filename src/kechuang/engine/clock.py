"""The platform's clock: today where the bureau is, for every default date.

Policy: a date the platform picks by itself (a default as-of date, the date in an export's file name) is the
date in Asia/Shanghai, never the server's local date (a server in UTC is still on yesterday until 08:00).
Django code may use `django.utils.timezone.localdate()`/`now()` (the same zone, from settings); everything
else asks this module. `tests/test_conventions.py` refuses `date.today()` and `datetime.now()` elsewhere.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    return dt.datetime.now(ZONE)


def today() -> dt.date:
    return now().date()
