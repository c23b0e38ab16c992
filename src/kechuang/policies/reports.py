"""Simulation results as stored JSON: the engine's summary, distributions and near misses, with Chinese labels.

Policy: a simulation's result is computed once and kept (SimulationRun.result), so its page, its Excel export
and a later comparison read the same numbers. Amounts are 万元 as exact decimal *text* (JSON has no Decimal);
lists shown on a page are capped (NEAR_MISS_LIMIT rows) while the counts are complete.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import polars as pl

from kechuang.core.models import Industry, Region
from kechuang.engine.policies import compare, funding, money, simulate
from kechuang.enterprises.models import Enterprise
from kechuang.tiers.models import TIER_LABELS

from .loaders import Ledger

NEAR_MISS_LIMIT = 500
CHANGE_LIMIT = 500
DIMENSIONS = ("region", "industry", "tier", "carrier")


def _json(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _rows(frame: pl.DataFrame) -> list[dict]:
    return [{k: _json(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def _labels(by: str, keys: list) -> dict:
    keys = [k for k in keys if k]
    if by == "region":
        return dict(Region.objects.filter(code__in=keys).values_list("code", "name"))
    if by == "industry":
        return dict(Industry.objects.filter(code__in=keys).values_list("code", "name"))
    if by == "tier":
        return {k: TIER_LABELS.get(k, k) for k in keys}
    return {k: k for k in keys}


def run_outcome(sim, ledger: Ledger) -> dict:
    """What an eligibility run on the simulation's date would do with its eligible firms, by the run's own rule
    (`funding.grant`) against the same ledger: counts per outcome, the new grants' total and the budget left."""
    v = sim.versions[0]
    key = v.budget.allocation.rank_by
    ranks = sim.inputs[v.id].select("uscc", key) if key else None
    lean = sim.parts[v.id].select("uscc", "eligible", "amount_yuan")
    _decided, _losers, counts = funding.grant(
        lean, ledger.budget, sim.as_of.year, this_year=ledger.this_year, held=ledger.held, rank_values=ranks
    )
    out = {k: counts[k] for k in funding.OUTCOMES}
    out["eligible"] = sum(out.values())
    out["total"] = _json(money.yuan_to_wan(counts["granted_yuan"]))
    out["budget_left"] = _json(money.yuan_to_wan(ledger.budget_left_yuan))
    return out


def _names(usccs: list[str]) -> dict[str, str]:
    return dict(Enterprise.objects.filter(uscc__in=usccs).values_list("uscc", "name"))


def simulation_result(
    version: dict, panel: pl.DataFrame, as_of: dt.date, tiers, ledger: Ledger, compare_to: dict | None = None
) -> dict:
    payouts = ledger.history
    sim = simulate(version, panel, as_of, tiers=tiers, payouts=payouts)
    policy = sim.versions[0].id
    summary = _rows(sim.summary())[0]
    distributions = {}
    for by in DIMENSIONS:
        rows = _rows(sim.distribution(by, policy))
        labels = _labels(by, [r[by] for r in rows])
        for r in rows:
            r["label"] = labels.get(r[by], r[by]) if r[by] else "未知/无"
        distributions[by] = rows
    misses = sim.near_misses(policy)
    names = _names(misses["uscc"].head(NEAR_MISS_LIMIT).to_list())
    near = [
        {"uscc": u, "name": names.get(u, ""), "condition": c, "gaps": json.loads(g or "[]")}
        for u, c, g in misses.head(NEAR_MISS_LIMIT).select("uscc", "condition", "gaps").iter_rows()
    ]
    result = {
        "policy": policy,
        "version_id": sim.versions[0].version_id,
        "as_of": as_of.isoformat(),
        "summary": summary,
        "distributions": distributions,
        "near_misses": near,
        "near_miss_count": misses.height,
        "notes": sim.notes,
        "conditions": {c.id: c.label for c in sim.versions[0].eligibility},
        "run": run_outcome(sim, ledger),
    }
    if compare_to is not None:
        changes, both = compare(version, compare_to, panel, as_of, tiers=tiers, payouts=payouts)
        counts = dict(changes.group_by("change").len().iter_rows())
        changed = changes.filter(pl.col("change") != "same").head(CHANGE_LIMIT)
        names = _names(changed["uscc"].to_list())
        result["comparison"] = {
            "other_version_id": compare_to.get("version_id"),
            "summary": _rows(both),
            "counts": {k: counts.get(k, 0) for k in ("gained", "lost", "amount_changed", "same")},
            "changes": [
                dict(r, name=names.get(r["uscc"], ""))
                for r in _rows(
                    changed.select("uscc", "eligible_a", "eligible_b", "amount_a", "amount_b", "delta", "change")
                )
            ],
        }
    return result
