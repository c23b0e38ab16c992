"""Excel exports: the leaderboard of a run and the alert digest (Chinese headers, write-only workbooks; each
run as a core.exports job when large)."""

from __future__ import annotations

import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from kechuang.core import exports
from kechuang.core.excel import safe_row
from kechuang.engine.labels import label

from . import selectors

HEADER_FONT = Font(bold=True)


def _workbook(title: str, header: list[str]):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(safe_row(header))
    return workbook, sheet


def leaderboard_xlsx(run, results, scheme) -> bytes:
    """`results`: a leaderboard queryset (access-checked and filtered)."""
    out = io.BytesIO()
    write_leaderboard(out, run, results, scheme)
    return out.getvalue()


def write_leaderboard_for(path, *, progress, user_id: int, run_id: int, filters: dict) -> int:
    """The background export (core.exports): the leaderboard as its user filtered it, with that user's scope."""
    from kechuang.accounts.models import User

    from . import schemes
    from .models import ScoringRun

    run = ScoringRun.objects.get(pk=run_id)
    results = selectors.leaderboard(User.objects.get(pk=user_id), run, filters)
    return write_leaderboard(path, run, results, schemes.run_scheme(run), progress=progress)


def write_leaderboard(target, run, results, scheme, progress=None) -> int:
    """Write the leaderboard workbook to `target` (a path or a binary file); the rows written.
    `progress(done, total)`, when given, hears every PROGRESS_EVERY rows."""
    total = results.count() if progress else 0
    count = 0
    ids = [i.id for i in scheme.indicators]
    labels = scheme.stage_labels
    header = [
        "总排名",
        "企业名称",
        "统一社会信用代码",
        "阶段",
        "积分",
        "总百分位",
        "阶段内排名",
        "阶段内百分位",
        "榜单",
        "行业代码",
        "行政区划代码",
        "载体",
        "缺失指标",
        *[f"{i.label}（得分）" for i in scheme.indicators],
    ]
    workbook, sheet = _workbook(f"{run.year}年度积分", header)
    rows = results.select_related("enterprise").only(
        "rank",
        "points",
        "percentile",
        "stage",
        "stage_rank",
        "stage_percentile",
        "list_label",
        "industry_code",
        "region_code",
        "carrier",
        "missing",
        "contributions",
        "enterprise__name",
        "enterprise__uscc",
    )
    for r in exports.in_chunks(rows):
        missing = "、".join(scheme.indicator(m).label for m in r.missing.split(";") if m)
        sheet.append(
            safe_row(
                [
                    r.rank,
                    r.enterprise.name,
                    r.enterprise.uscc,
                    labels.get(r.stage, r.stage),
                    r.points,
                    None if r.percentile is None else round(r.percentile, 2),
                    r.stage_rank,
                    None if r.stage_percentile is None else round(r.stage_percentile, 2),
                    r.list_label,
                    r.industry_code,
                    r.region_code,
                    r.carrier,
                    missing,
                    *[r.contributions.get(i) for i in ids],
                ]
            )
        )
        count += 1
        if progress and count % exports.PROGRESS_EVERY == 0:
            progress(count, total)
    notes = workbook.create_sheet("说明")
    notes.append(safe_row([f"方案：{run.scheme_name}（{run.scheme_key}），{run.year} 年度，基准日 {run.as_of}"]))
    scheme_note = scheme.weights_note if not scheme.weights_official else "官方权重"
    notes.append(safe_row([f"权重说明：{scheme_note}"]))
    workbook.save(target)
    return count


# The alert inbox filters the digest carries into its export.
ALERT_FILTERS = ("status", "severity", "rule", "year", "mine")


def alert_filters(query) -> dict:
    return {k: query[k] for k in ALERT_FILTERS if query.get(k)}


def alerts(user, filters: dict):
    """The user's alert inbox narrowed by the page's filters (`mine`: the alerts assigned to the user)."""
    qs = selectors.alerts_inbox(user)
    for key in ("status", "severity", "rule"):
        if filters.get(key):
            qs = qs.filter(**{key: filters[key]})
    if str(filters.get("year", "")).isdigit():
        qs = qs.filter(year=int(filters["year"]))
    if filters.get("mine"):
        qs = qs.filter(assignee=user)
    return qs


def alerts_table(user, *, filters: dict) -> exports.Table:
    """The alert digest (core.exports.Table): one row per alert of the filtered inbox."""
    qs = alerts(user, filters)
    header = [
        "年度",
        "级别",
        "预警",
        "企业名称",
        "统一社会信用代码",
        "说明",
        "相关数据",
        "状态",
        "负责人",
        "生成时间",
        "规则版本",
    ]
    rows = (
        [
            a.year,
            a.get_severity_display(),
            a.label,
            a.enterprise.name,
            a.enterprise.uscc,
            a.message,
            _values_text(a.values),
            a.get_status_display(),
            str(a.assignee) if a.assignee else "",
            timezone.localtime(a.created_at).strftime("%Y-%m-%d %H:%M"),
            a.ruleset,
        ]
        for a in exports.in_chunks(qs)
    )
    return exports.Table("创新积分预警摘要", header, rows, qs.count())


def _values_text(values: dict | None) -> str:
    """The values an alert read, by their Chinese labels: 研发费用=150；研发费用增长率=-0.25 (by field name: jsonb
    keeps no key order)."""
    return "；".join(f"{label(k)}={'未知' if v is None else v}" for k, v in sorted((values or {}).items()))
