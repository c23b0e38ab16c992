"""Excel export of the facts columns, and the blank import template. Export → import changes nothing: the reader
drops the apostrophe an export puts before text a spreadsheet would run as a formula (core.excel.safe_row)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from kechuang.core import exports
from kechuang.core.excel import safe_row
from kechuang.engine import clock, facts

from .models import AnnualFigure

HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
KIND_LABELS = {
    facts.STR: "文本",
    facts.DATE: "日期 YYYY-MM-DD",
    facts.MONEY: "金额（万元，最多4位小数）",
    facts.NUMBER: "数值",
    facts.INT: "整数",
    facts.BOOL: "是/否",
    facts.ENUM: "选项",
    facts.FRACTION: "比例（0–1）",
}


def _cell(column: facts.Column, value):
    if value is None or value == "":
        return None
    if column.kind == facts.BOOL:
        return "是" if value else "否"
    if column.kind == facts.ENUM:
        return facts.enum_labels(column).get(value, value)
    if isinstance(value, Decimal):
        # Up to 15 significant digits survive a float in Excel; beyond that write text so nothing is lost.
        return float(value) if len(value.normalize().as_tuple().digits) <= 15 else format(value, "f")
    return value


def write_template(path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "企业年度数据"
    for index, column in enumerate(facts.COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=facts.header_label(column))
        cell.font = HEADER_FONT
        if column.required:
            cell.fill = REQUIRED_FILL
        sheet.column_dimensions[cell.column_letter].width = max(12, len(column.label) * 2)
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "英文名", "类型", "必填", "可选值"])
    for column in facts.COLUMNS:
        labels = facts.enum_labels(column)
        choices = "、".join(labels.get(c, c) for c in column.choices)
        notes.append(
            [
                facts.header_label(column),
                column.name,
                KIND_LABELS[column.kind],
                "是" if column.required else "",
                choices,
            ]
        )
    notes.append([])
    notes.append(["空白单元格表示“未知”，不会被当作 0 或“否”。同一企业同一年度一行；重复导入同一文件不会产生变化。"])
    workbook.save(path)


def facts_rows(enterprises) -> int:
    """How many rows `write_facts` writes for `enterprises`: one per firm and year."""
    return AnnualFigure.objects.filter(enterprise__in=enterprises).count()


def enterprises_for(user, query: str):
    """The firms of the registry list as `user` filtered it (`query`: the list page's query string)."""
    from django.http import QueryDict

    from . import selectors
    from .filters import EnterpriseFilter

    qs = selectors.enterprises_for(user)
    return EnterpriseFilter(QueryDict(query)).apply(qs) if query else qs


def write_facts_for(path: Path, *, progress, user_id: int, query: str) -> int:
    """The background export (core.exports): the list as its user filtered it, read with that user's scope."""
    from kechuang.accounts.models import User

    return write_facts(path, enterprises_for(User.objects.get(pk=user_id), query), progress=progress)


def write_facts(path: Path, enterprises, progress=None) -> int:
    """Write every annual figure of `enterprises` (an access-checked queryset). Returns the row count.
    `progress(done, total)`, when given, hears every PROGRESS_EVERY rows."""
    total = facts_rows(enterprises) if progress else 0
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("企业年度数据")
    sheet.append([facts.header_label(c) for c in facts.COLUMNS])
    figures = (
        AnnualFigure.objects.filter(enterprise__in=enterprises)
        .select_related("enterprise")
        .order_by("enterprise__uscc", "year")
    )
    count = 0
    for figure in exports.in_chunks(figures):
        enterprise = figure.enterprise
        row = []
        for column in facts.COLUMNS:
            name = column.name
            if name == "region_code":
                value = enterprise.region_id
            elif name == "industry_code":
                value = enterprise.industry_id
            elif column.static:
                value = getattr(enterprise, name)
            else:
                value = getattr(figure, name)
            row.append(_cell(column, value))
        sheet.append(safe_row(row))
        count += 1
        if progress and count % exports.PROGRESS_EVERY == 0:
            progress(count, total)
    workbook.save(path)
    return count


def export_filename(prefix: str = "企业年度数据") -> str:
    return f"{prefix}_{clock.today():%Y%m%d}.xlsx"
