"""Importing carriers' monthly KPIs from Excel (.xlsx) or CSV: every row stored or reported, nothing half-written.

Policy:
- Columns: 载体名称, 月份 (2026-05, 2026/5, 2026年5月 or an Excel date), then the KPIs by their Chinese labels
  (with or without "（万元）"); unknown columns are ignored with a warning; 载体名称 and 月份 are required.
- A row is all-or-nothing: any bad cell rejects the whole row with (file, row, column, value, message); the
  other rows are stored (one replace per carrier and month) and the checks re-run once for the carriers touched.
- A row names a carrier the user may write (the bureau: any; an operator: its own); a carrier and month may
  appear once per file; an empty KPI cell is unknown (not 0) and leaves nothing of that month half-filled: the
  row replaces the month's figures as a whole.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from kechuang.core import audit
from kechuang.engine.carriers.kpis import METRICS
from kechuang.engine.facts_file import Problem as RowError
from kechuang.engine.facts_file import read_table
from kechuang.engine.io import FactsFileError as UnreadableFile

from . import selectors, services
from .models import Carrier

CARRIER_COLUMN, MONTH_COLUMN = "载体名称", "月份"
# Header text as the template writes it: counts bare, money with its unit.
HEADERS = {m: label + ("（万元）" if unit == "wan" else "") for m, (label, unit) in METRICS.items()}
TEMPLATE_HEADER = [CARRIER_COLUMN, MONTH_COLUMN, *HEADERS.values()]


def _norm(text) -> str:
    return re.sub(r"[\s()（）]|万元", "", str(text or ""))


_BY_HEADER = {
    _norm(CARRIER_COLUMN): "carrier",
    _norm("载体"): "carrier",
    _norm(MONTH_COLUMN): "month",
    **{_norm(h): m for m, h in HEADERS.items()},
}


@dataclass
class ImportReport:
    name: str
    total_rows: int = 0
    stored: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flags: int = 0

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})


def parse_month(value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?(?:[-/.]\s*\d{1,2}\s*日?)?", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"月份“{text}”无法识别，应写作 2026-05")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def import_file(*, user, name: str, content: bytes) -> ImportReport:  # noqa: C901
    """Read, validate and store a KPI file; raises UnreadableFile when the file as a whole cannot be used."""
    table = read_table(content=content, name=name)
    header, rows = table.headers, table.rows
    mapping: dict[int, str] = {}
    report = ImportReport(name=name)
    report.errors.extend(table.problems)  # lines that could not be read into cells: reported, never dropped
    report.total_rows += len(table.problems)
    for index, cell in enumerate(header):
        key = _BY_HEADER.get(_norm(cell))
        if key is None:
            if str(cell).strip():
                report.warnings.append(f"{name}：忽略未知列「{cell}」")
            continue
        if key in mapping.values():
            raise UnreadableFile(f"{name}：列「{cell}」重复出现")
        mapping[index] = key
    missing = [
        label for key, label in (("carrier", CARRIER_COLUMN), ("month", MONTH_COLUMN)) if key not in mapping.values()
    ]
    if missing:
        raise UnreadableFile(f"{name}：缺少必填列：{'、'.join(missing)}（可下载导入模板查看列名）")
    if not set(METRICS) & set(mapping.values()):
        raise UnreadableFile(f"{name}：没有任何指标列（{'、'.join(HEADERS.values())}）")
    carriers = {c.name: c for c in selectors.carriers_for(user)}
    today = timezone.localdate()
    parsed, seen = [], {}
    for number, cells in rows:
        report.total_rows += 1
        row, errors = {}, []
        for index, key in mapping.items():
            raw = cells[index] if index < len(cells) else None
            label = {"carrier": CARRIER_COLUMN, "month": MONTH_COLUMN}.get(key) or HEADERS[key]
            shown = "" if raw is None else str(raw)[:100]
            try:
                if key == "carrier":
                    text = str(raw or "").strip()
                    if not text:
                        raise ValueError("必填项为空")
                    if text not in carriers:
                        known = Carrier.objects.filter(name=text).exists()
                        raise ValueError("无权为该载体报送指标" if known else "载体不存在（请填写平台登记的载体全称）")
                    row["carrier"] = carriers[text]
                elif key == "month":
                    if raw is None or not str(raw).strip():
                        raise ValueError("必填项为空")
                    month = parse_month(raw)
                    if month > today.replace(day=1):
                        raise ValueError("不能填报未来月份")
                    row["month"] = month
                else:
                    row[key] = services.parse_amount(raw, money=METRICS[key][1] == "wan", label=label)
            except ValueError as exc:
                errors.append(RowError(name, number, label, shown, str(exc)))
        if not errors and all(row.get(m) is None for m in METRICS):
            errors.append(RowError(name, number, "", "", "该行没有填写任何指标"))
        if not errors:
            key = (row["carrier"].pk, row["month"])
            if key in seen:
                errors.append(RowError(name, number, "", "", f"与第{seen[key]}行重复（同一载体同一月份只能出现一次）"))
            else:
                seen[key] = number
        if errors:
            report.errors.extend(errors)
        else:
            parsed.append(row)
    if parsed:
        with transaction.atomic():
            for row in parsed:
                services.save_kpis(
                    user=user,
                    carrier=row["carrier"],
                    month=row["month"],
                    values={m: row.get(m) for m in METRICS},
                    source="import",
                    recheck_after=False,
                )
            report.flags = services.recheck({row["carrier"].pk for row in parsed})
            audit.record(
                actor=user,
                action="kpi.import",
                obj=parsed[0]["carrier"],
                note=f"{name}：导入 {len(parsed)} 行，拒绝 {report.rejected_rows} 行",
            )
    report.stored = len(parsed)
    return report
