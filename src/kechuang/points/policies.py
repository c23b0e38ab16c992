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

import datetime as dt
import importlib

import polars as pl
from django.conf import settings

from kechuang.core import display

DEFAULT_PROVIDERS = ("kechuang.points.policies.points_loan",)
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
    """创新积分贷: the indicative credit line computed with the run (the product rule the bureau chose)."""
    credit = result.credit or {}
    if not credit:
        return []
    from kechuang.rules import region

    chosen = region.chosen_products()
    if chosen is not None and (run.credit_rule or "").partition("@")[0] not in chosen:
        return []  # the region profile does not offer this product here
    eligible = credit.get("eligible")
    status = "unknown" if eligible is None else ("qualifies" if eligible else "no")
    name = credit.get("name") or "创新积分贷"
    return [
        {
            "kind": "loan",
            "label": name,
            "status": status,
            "amount": credit.get("amount"),
            "explanation": credit.get("explanation", ""),
            "source": f"{name}（{display.version_ref(run.credit_rule)}）",
        }
    ]


def policy_inputs(years: list[int], as_of: dt.date, usccs: list[str] | None = None) -> pl.DataFrame:
    """(uscc, year, points_rank_prev_year): for each payout year, the firm's overall rank in the latest run of
    the default scheme for the year before (a POLICY_FACT_PROVIDERS entry). Feeds the guarantee-fee waiver
    for last year's top 100 (rulesets/policies/guarantee_fee_waiver.yaml); a firm not ranked has no row."""
    from kechuang.engine.points.registry import DEFAULT_SCHEME

    from .models import PointsResult
    from .services import latest_run_for

    schema = {"uscc": pl.Utf8, "year": pl.Int64, "points_rank_prev_year": pl.Int64}
    rows = []
    for year in years:
        run = latest_run_for(DEFAULT_SCHEME, year - 1)
        if run is None:
            continue
        ranked = PointsResult.objects.filter(run=run, rank__isnull=False)
        if usccs is not None:
            ranked = ranked.filter(enterprise__uscc__in=usccs)
        ranked = ranked.values_list("enterprise__uscc", "rank")
        rows += [(uscc, year, rank) for uscc, rank in ranked]
    return pl.DataFrame(rows, schema=schema, orient="row")
