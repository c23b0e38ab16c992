"""The diagnosis's policy list: benefits and loan products a firm qualifies or nearly qualifies for.

Policy: the list is pluggable. Each provider is a function `(enterprise, result, run) -> list[dict]`, named by
dotted path in `settings.POINTS_POLICY_PROVIDERS` (default: the ones below). Items are dicts with
`kind` (loan / benefit / entitlement), `label`, `status` (qualifies / near / no / unknown), `amount` (万元 or
None), `explanation` (Chinese, with the numbers) and `source` (rule id@version).

HOOK(policies): the policy library is built in a separate app. When it exists it adds its provider, e.g.
`"kechuang.policies.diagnosis.entitlements"`, to POINTS_POLICY_PROVIDERS; until then
`entitlements_connected()`
is false and the diagnosis says that policy entitlements will be listed here.
"""

from __future__ import annotations

import importlib

from django.conf import settings

DEFAULT_PROVIDERS = ("kechuang.points.policies.points_loan", "kechuang.points.policies.guarantee_fee_waiver")
STATUS_LABELS = {"qualifies": "符合", "near": "接近符合", "no": "不符合", "unknown": "无法判断"}


def providers() -> tuple[str, ...]:
    return tuple(getattr(settings, "POINTS_POLICY_PROVIDERS", DEFAULT_PROVIDERS))


def entitlements_connected() -> bool:
    return any(p not in DEFAULT_PROVIDERS for p in providers())


def _load(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def policy_items(enterprise, result, run) -> list[dict]:
    items: list[dict] = []
    for path in providers():
        for item in _load(path)(enterprise, result, run):
            item.setdefault("status_label", STATUS_LABELS.get(item.get("status"), ""))
            items.append(item)
    return items


def points_loan(enterprise, result, run) -> list[dict]:
    """创新积分贷: the indicative credit line computed with the run (淮安's rule shipped)."""
    credit = result.credit or {}
    if not credit:
        return []
    eligible = credit.get("eligible")
    status = "unknown" if eligible is None else ("qualifies" if eligible else "no")
    return [
        {
            "kind": "loan",
            "label": credit.get("name") or "创新积分贷",
            "status": status,
            "amount": credit.get("amount"),
            "explanation": credit.get("explanation", ""),
            "source": run.credit_rule,
        }
    ]


def guarantee_fee_waiver(enterprise, result, run) -> list[dict]:
    """泰州: the top N of a year's points pay no guarantee fee the next year."""
    rule = run.fee_waiver or {}
    if not rule:
        return []
    top = rule.get("top_n")
    if result.fee_waiver:
        text = f"{run.year} 年度积分总排名第 {result.rank} 名，在前 {top} 名内：{rule.get('note', '')}"
        status = "qualifies"
    elif result.rank is None:
        text, status = "积分未知，无法判断排名", "unknown"
    else:
        text, status = f"{run.year} 年度积分总排名第 {result.rank} 名，未进入前 {top} 名", "no"
    return [
        {
            "kind": "benefit",
            "label": rule.get("name", "免担保费"),
            "status": status,
            "amount": None,
            "explanation": text,
            "source": f"{rule.get('id')}@{rule.get('version')}",
        }
    ]
