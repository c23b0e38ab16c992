"""Dates as the bureau's documents and our Excel files write them, 2026-06-30, everywhere a page shows one
without an explicit format (Django's zh-hans default is 2026年6月30日, which mixed with our explicit ISO
dates). Anything not set here falls back to Django's zh_Hans formats."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
# ISO first: a date picker (<input type="date">) only reads YYYY-MM-DD.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S"]
