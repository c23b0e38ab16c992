"""The diagnosis's policy list: a firm's entitlements and near misses (provider for kechuang.points.policies).

Items follow the provider contract of `kechuang.points.policies`: kind, label, status, amount, explanation, source.
"""

from __future__ import annotations

from kechuang.core import display
from kechuang.engine.labels import label

from .models import EligibilityResult, Entitlement

STATUS_OF_ENTITLEMENT = {
    "pending": "qualifies",
    "confirmed": "qualifies",
    "approved": "qualifies",
    "paid": "qualifies",
    "stacked": "no",
    "cancelled": "no",
}


def entitlements(enterprise, result=None, run=None) -> list[dict]:
    items = []
    for e in (
        Entitlement.objects.filter(enterprise=enterprise)
        .exclude(status="cancelled")
        .select_related("policy", "version")
        .order_by("-year", "policy__name")
    ):
        explanation = f"{e.year} 年度 {e.get_status_display()}，金额 {display.money(e.amount)}"
        if e.status == "stacked" and e.stacked_by:
            explanation = f"与“{e.stacked_by_name}”从优不重复享受"
        items.append(
            {
                "kind": "entitlement",
                "label": e.policy.name,
                "status": STATUS_OF_ENTITLEMENT[e.status],
                "amount": e.amount,
                "explanation": explanation,
                "source": f"{e.policy.name}（{display.since(e.version.effective_from)}）",
            }
        )
    seen = {i["label"] for i in items}
    near = (
        EligibilityResult.objects.filter(enterprise=enterprise, eligible="false")
        .exclude(failed="")
        .exclude(failed__contains=";")
        .select_related("run__policy", "run__version")
        .order_by("-run__as_of")
    )
    for r in near:
        name = r.run.policy.name
        if name in seen:
            continue
        seen.add(name)
        gaps = "；".join(f"{label(g.get('field') or '')}还差 {g.get('delta')}" for g in r.gaps or [])
        items.append(
            {
                "kind": "benefit",
                "label": name,
                "status": "near",
                "amount": r.potential_amount,
                "explanation": f"仅差一项条件：{r.failed_text}" + (f"（{gaps}）" if gaps else ""),
                "source": f"{name}（{display.since(r.run.version.effective_from)}）",
            }
        )
    return items
