"""A carrier's residents as an export (a core.exports.Table builder): built from the user and the list's filters,
so that a large export, run later as a job, reads with the user's scope and filters as they are then; the
residents page reads the same query."""

from __future__ import annotations

from django.db.models import Q

from kechuang.core import exports
from kechuang.engine.carriers.residency import ORIGIN_LABELS, STAGE_LABELS

from . import selectors
from .models import Carrier

RESIDENT_FILTERS = ("state", "stage", "origin", "q")

RESIDENT_HEADER = [
    "企业/团队",
    "统一社会信用代码",
    "来源高校院所",
    "团队来源",
    "孵化阶段",
    "分配面积（平方米）",
    "入驻日期",
    "离开日期",
    "离开方式",
]


def resident_filters(query) -> dict:
    """The list's filters; the state shown is the current residents unless past or all are asked for."""
    filters = {k: query.get(k, "") for k in RESIDENT_FILTERS}
    if filters["state"] not in ("past", "all"):
        filters["state"] = "current"
    return filters


def residents(user, carrier: Carrier, filters: dict):
    qs = selectors.residencies_for(user).filter(carrier=carrier)
    state, stage, origin, q = (filters.get(k, "") for k in RESIDENT_FILTERS)
    if state == "past":
        qs = qs.filter(end__isnull=False)
    elif state != "all":
        qs = qs.filter(end__isnull=True)
    if stage in STAGE_LABELS:
        qs = qs.filter(stage=stage)
    if origin in ORIGIN_LABELS:
        qs = qs.filter(origin=origin)
    if q.strip():
        qs = qs.filter(
            Q(enterprise__name__icontains=q.strip())
            | Q(team__name__icontains=q.strip())
            | Q(enterprise__uscc__iexact=q.strip().upper())
        )
    return qs.order_by("-start", "pk")


def residents_table(user, *, carrier_id: int, filters: dict) -> exports.Table:
    carrier = selectors.carrier_for(user, carrier_id)
    qs = residents(user, carrier, filters)
    rows = (
        [
            r.enterprise.name if r.enterprise_id else r.team.name,
            r.enterprise.uscc if r.enterprise_id else "",
            (r.enterprise.origin_institution or "") if r.enterprise_id else str(r.team.institution or ""),
            r.get_origin_display(),
            r.get_stage_display(),
            None if r.area_m2 is None else float(r.area_m2),
            r.start,
            r.end,
            r.get_exit_kind_display(),
        ]
        for r in exports.in_chunks(qs)
    )
    return exports.Table(f"{carrier.name}入驻名单", RESIDENT_HEADER, rows, qs.count())
