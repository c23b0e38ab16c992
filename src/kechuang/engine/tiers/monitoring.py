"""Watching the pipeline over time: year-on-year flows between two runs and the certificate warning window.

Policy:
- The periods are dated rule data (kind `tier_monitoring`, rulesets/tiers/monitoring/): a run's flows compare it
  with the latest run dated at least `flow_baseline_days` before it (about a year, so that runs of 30 June and
  of 1 June next year still compare while a run a week earlier shows no flows); certificates and titles are
  surfaced `expiry_warning_days` before they expire.
- `flows(before, now, stages, upgrades)` counts, per tier, firms qualified in the earlier run and in this one:
  entered (now, not before), left (before, not now), stayed (both). An upgrade `from → to` counts firms of the
  lower tier before that were not yet of the higher one then, and are of it now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kechuang.engine.ruledata import Kind, RuleDoc, register


class MonitoringRules(RuleDoc):
    """The periods the pipeline's monitoring uses; all are its parameters."""


KIND = register(Kind("tier_monitoring", "梯队监测规则", "tiers/monitoring", MonitoringRules, domain="企业梯队"))
RULE_ID = "default"


def baseline_before(as_of: dt.date, params) -> dt.date:
    """The latest date a run may have to be the baseline of the flows of a run dated `as_of`."""
    return as_of - dt.timedelta(days=int(params["flow_baseline_days"]))


def warning_until(today: dt.date, params) -> dt.date:
    """Certificates and titles expiring up to this date (inclusive) are surfaced today."""
    return today + dt.timedelta(days=int(params["expiry_warning_days"]))


def flows(
    before: Iterable[tuple[str, object]],
    now: Iterable[tuple[str, object]],
    stages: Iterable[Iterable[str]],
    upgrades: Iterable[tuple[str, str]],
) -> dict:
    """Per tier (in pipeline order) and per upgrade, from the (tier, firm) pairs qualified in each run."""
    by_tier_before, by_tier_now = _by_tier(before), _by_tier(now)
    rows = []
    for stage in stages:
        for tier in stage:
            a, b = by_tier_before.get(tier, set()), by_tier_now.get(tier, set())
            rows.append(
                {
                    "tier": tier,
                    "before": len(a),
                    "after": len(b),
                    "entered": len(b - a),
                    "left": len(a - b),
                    "stayed": len(a & b),
                }
            )
    moved = [
        {
            "from": low,
            "to": high,
            "n": len((by_tier_before.get(low, set()) - by_tier_before.get(high, set())) & by_tier_now.get(high, set())),
        }
        for low, high in upgrades
    ]
    return {"rows": rows, "upgrades": moved}


def _by_tier(pairs: Iterable[tuple[str, object]]) -> dict[str, set]:
    out: dict[str, set] = {}
    for tier, firm in pairs:
        out.setdefault(tier, set()).add(firm)
    return out


# ------------------------------------------------------------------ YAML cases (rulesets/tiers/monitoring/cases)


def _flows_case(data, params, as_of):
    return flows(
        [tuple(p) for p in data["before"]],
        [tuple(p) for p in data["now"]],
        [("tech_sme",), ("high_tech",)],
        [("tech_sme", "high_tech")],
    )


def _periods_case(data, params, as_of):
    return {
        "baseline_before": baseline_before(data["as_of"], params),
        "warning_until": warning_until(data["today"], params),
    }


CASE_ADAPTERS = {"flows": _flows_case, "periods": _periods_case}


def run_cases():
    from kechuang.engine.casefile import run_folder
    from kechuang.rulesets import ROOT

    return run_folder(ROOT / "tiers" / "monitoring" / "cases", CASE_ADAPTERS)
