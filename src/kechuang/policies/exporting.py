"""The policy lists as exports (core.exports.Table builders): entitlements, claw-backs and a simulation's near
misses. Each builds its rows from the user and the page's filters, so that a large export, run later as a job,
reads with the user's scope and filters as they are then; the entitlements page reads the same query."""

from __future__ import annotations

from django.db.models import QuerySet

from kechuang.core import exports
from kechuang.engine.labels import gaps_text

from . import selectors
from .models import SimulationRun

# The entitlement filters a page carries into its export.
ENTITLEMENT_FILTERS = ("status", "policy", "year", "q")


def entitlement_filters(query) -> dict:
    return {k: query.get(k, "").strip() for k in ENTITLEMENT_FILTERS}


def entitlements(user, *, status: str = "", policy: str = "", year: str = "", q: str = "") -> QuerySet:
    qs = selectors.entitlements_for(user)
    if status:
        qs = qs.filter(status=status)
    if policy:
        qs = qs.filter(policy__code=policy)
    if year.isdigit():
        qs = qs.filter(year=int(year))
    return selectors.search(qs, q).order_by("-year", "policy__code", "enterprise__name", "pk")


def entitlements_table(user, **filters) -> exports.Table:
    qs = entitlements(user, **filters)
    return exports.Table(
        "兑现资格",
        [
            "政策",
            "版本",
            "企业名称",
            "统一社会信用代码",
            "兑现年度",
            "基准日",
            "规则核定金额（万元）",
            "兑现金额（万元）",
            "状态",
            "说明",
        ],
        (
            [
                e.policy.name,
                e.version.key,
                e.enterprise.name,
                e.enterprise.uscc,
                e.year,
                e.as_of,
                e.decided_amount,
                e.amount,
                e.get_status_display(),
                e.note,
            ]
            for e in exports.in_chunks(qs)
        ),
        qs.count(),
    )


def clawbacks(user) -> QuerySet:
    return selectors.clawbacks_for(user).order_by("-flagged_at", "-pk")


def clawbacks_table(user) -> exports.Table:
    qs = clawbacks(user)
    return exports.Table(
        "追回台账",
        ["企业名称", "统一社会信用代码", "政策", "兑现年度", "金额（万元）", "原因", "状态", "标记时间"],
        (
            [
                c.entitlement.enterprise.name,
                c.entitlement.enterprise.uscc,
                c.entitlement.policy.name,
                c.entitlement.year,
                c.amount,
                c.reason,
                c.get_status_display(),
                c.flagged_at.replace(tzinfo=None),
            ]
            for c in exports.in_chunks(qs)
        ),
        qs.count(),
    )


def simulation_table(user, *, simulation_id: int) -> exports.Table:
    """A simulation's near misses, as its stored result lists them (bureau-wide: a simulation has no scope)."""
    sim = SimulationRun.objects.select_related("version").get(pk=simulation_id)
    result = sim.result or {}
    conditions = result.get("conditions", {})
    near = result.get("near_misses", [])
    return exports.Table(
        f"政策模拟_{sim.version.key}",
        ["企业名称", "统一社会信用代码", "未通过条件", "差距"],
        ([r["name"], r["uscc"], conditions.get(r["condition"], r["condition"]), gaps_text(r["gaps"])] for r in near),
        len(near),
    )
