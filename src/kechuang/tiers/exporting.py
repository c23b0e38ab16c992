"""The tier lists as exports (core.exports.Table builders): near misses, a tier's firms and what lapses soon.
Each builds its rows from the user and the page's filters, so that a large export, run later as a job, reads
with the user's scope and filters as they are then; the pages read the same queries."""

from __future__ import annotations

import datetime as dt
from itertools import islice

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from kechuang.core import exports
from kechuang.engine import clock
from kechuang.engine.labels import gaps_text, names_text
from kechuang.enterprises import selectors as enterprise_selectors
from kechuang.enterprises.filters import EnterpriseFilter

from . import labels, selectors, services
from .models import TIER_LABELS, TierRun

# The enterprise filters a tier list carries into its export (name/USCC, region, industry, carrier).
FILTER_KEYS = ("q", "region", "industry", "carrier")


def filters_of(query) -> dict:
    """The enterprise filters set in a request's query, JSON-safe for a job."""
    return {k: query.get(k) for k in FILTER_KEYS if query.get(k)}


def narrowed(user, results: QuerySet, filters: dict) -> QuerySet:
    if not filters:
        return results
    chosen = EnterpriseFilter(filters).apply(enterprise_selectors.enterprises_for(user)).order_by().values("pk")
    return results.filter(enterprise__in=chosen)


def export_title(title: str, run: TierRun | None) -> str:
    """An export names the evaluation it lists (the file name adds the day it was exported)."""
    return f"{title}_基准日{run.as_of:%Y%m%d}" if run else title


def _run(run_id: int | None) -> TierRun | None:
    """The run an export was asked for (none left when voided since: the export is then empty)."""
    return selectors.runs().filter(pk=run_id).first() if run_id else selectors.latest_run()


# ---------------------------------------------------------------- near misses


def near_misses(user, run, tier: str | None = None, filters: dict | None = None) -> QuerySet:
    """Firms one requirement short of a tier (a condition, or an either-or group of them; nothing unknown:
    the engine's `short_of`), closest first by the stored gap size (those no single change passes last)."""
    qs = narrowed(user, selectors.results_for(user, run), filters or {})
    qs = qs.filter(qualified="false").exclude(short_of="").select_related("enterprise")
    if tier:
        qs = qs.filter(tier=tier)
    qs = qs.only(
        "tier",
        "ruleset",
        "short_of",
        "gaps",
        "gap_size",
        "enterprise__uscc",
        "enterprise__name",
        "run__as_of",
        "run__parameter_versions",
    )
    return qs.order_by(F("gap_size").asc(nulls_last=True), "enterprise__uscc", "tier")


def near_misses_table(user, *, run_id, tier, reachable: bool, filters: dict) -> exports.Table:
    run = _run(run_id)
    qs = near_misses(user, run, tier, filters)
    if reachable:  # only firms a single-field change brings to the tier (not, say, one too old for it)
        qs = qs.filter(gap_size__isnull=False)
    return exports.Table(
        export_title("差一项达标企业", run),
        ["企业名称", "统一社会信用代码", "梯队", "差的一项", "差距"],
        (
            [r.enterprise.name, r.enterprise.uscc, r.tier_label, r.short_of_text(), gaps_text(r.near_gaps)]
            for r in exports.in_chunks(qs)
        ),
        qs.count(),
    )


# ---------------------------------------------------------------- a tier's firms


def tier_results(user, run, tier: str, qualified: str, filters: dict) -> QuerySet:
    qs = narrowed(user, selectors.results_for(user, run), filters)
    return qs.filter(tier=tier, qualified=qualified).select_related("enterprise").order_by("enterprise__name", "pk")


def tier_list_table(user, *, run_id, tier: str, qualified: str, filters: dict) -> exports.Table:
    run = _run(run_id)
    qs = tier_results(user, run, tier, qualified, filters)
    header = ["企业名称", "统一社会信用代码", "结论", "认定路径", "得分", "得分下限", "得分上限"]
    return exports.Table(
        export_title(f"{TIER_LABELS[tier]}名单", run),
        [*header, "未通过条件", "缺失字段", "待定原因"],
        (
            [
                r.enterprise.name,
                r.enterprise.uscc,
                labels.QUALIFIED.get(r.qualified, r.qualified),
                labels.ROUTES.get(r.route, r.route or ""),
                r.score if r.score_min == r.score_max else None,
                r.score_min,
                r.score_max,
                r.failed_text(),
                names_text(r.missing),
                r.pending_text(),
            ]
            for r in _explained(qs, qualified == "unknown")
        ),
        qs.count(),
    )


def _explained(qs, pending: bool):
    """The results of `qs`; when undecided, with their explanations (`pending_text` reads them) computed a
    chunk at a time together rather than one engine call per firm."""
    rows = exports.in_chunks(qs)
    if not pending:
        yield from rows
        return
    while chunk := list(islice(rows, exports.CHUNK)):
        services.explain(chunk)
        yield from chunk


# ---------------------------------------------------------------- what lapses soon

EXPIRING_TITLES = {"hte": "高企证书即将到期", "titles": "梯度称号即将到期", "reports": "高企年度报表待填报或逾期"}
EXPIRING_HEADERS = {
    "hte": ["企业名称", "统一社会信用代码", "证书编号", "发证日期", "有效期至"],
    "titles": ["企业名称", "统一社会信用代码", "称号", "认定日期", "有效期（年）", "到期日"],
    "reports": [
        "企业名称",
        "统一社会信用代码",
        "高企证书发证日期",
        "报表年度",
        "填报截止日",
        "状态",
        "累计未按期填报（年）",
        "取消资格的年数",
    ],
}


def expiring_rows(user, kind: str, today: dt.date) -> list:
    """The list `kind` of the user's firms as of `today`, with the labels the page and the export show."""
    if kind == "titles":
        rows = selectors.expiring_titles(user, today)
        for r in rows:
            r["tier_label"], r["days_left"] = TIER_LABELS.get(r["tier"], r["tier"]), (r["expires_on"] - today).days
        return rows
    if kind == "reports":
        rows = selectors.hte_reports(user, today)
        for r in rows:
            r["status"] = _report_status(r, today)
        return rows
    return list(selectors.expiring_certificates(user, today))


def _expiring_cells(kind: str, r) -> list:
    if kind == "titles":
        return [r["enterprise"].name, r["uscc"], r["tier_label"], r["recognised_on"], r["valid_years"], r["expires_on"]]
    if kind == "reports":
        return [
            r["enterprise"].name,
            r["uscc"],
            r["certified_on"],
            r["report_year"],
            r["due_on"],
            r["status"],
            _missed_text(r),
            r["cancel_at"],
        ]
    return [r.enterprise.name, r.enterprise.uscc, r.number, r.issued_on, r.expires_on]


def expiring_table(user, *, kind: str) -> exports.Table:
    rows = expiring_rows(user, kind, clock.today())
    return exports.Table(
        EXPIRING_TITLES[kind], EXPIRING_HEADERS[kind], (_expiring_cells(kind, r) for r in rows), len(rows)
    )


def _report_status(row: dict, today: dt.date) -> str:
    if row["filed"]:
        return _("已填报")
    if row["filed"] is None and today <= row["due_on"]:
        return _("未见填报记录（%(d)s 前）") % {"d": f"{row['due_on']:%Y-%m-%d}"}
    if today <= row["due_on"]:
        return _("待填报（%(d)s 前，还剩 %(n)d 天）") % {
            "d": f"{row['due_on']:%Y-%m-%d}",
            "n": (row["due_on"] - today).days,
        }
    return _("未见填报记录") if row["filed"] is None else _("已逾期未填报")


def _missed_text(row: dict) -> str:
    low, high = row["missed_min"], row["missed_max"]
    return str(low) if low == high else f"{low}–{high}"
