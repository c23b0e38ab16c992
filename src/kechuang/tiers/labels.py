"""Chinese labels of a stored tier result: its conditions (from the rule set, with the parameters its run used),
outcomes and routes; field labels come from the engine."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache

from kechuang.engine.labels import condition_labels
from kechuang.engine.tiers.model import all_rulesets, ruleset_by_label
from kechuang.engine.tiers.values import example
from kechuang.tiers.bands import is_band_table, table_text

QUALIFIED = {"true": "达标", "false": "未达标", "unknown": "待定"}
ROUTES = {"score": "评分", "direct": "直通", "conditions": "条件"}


def for_run(run, ruleset_label: str) -> dict[str, str]:
    """Condition id → label for results of `run` decided by `ruleset_label` (`tech_sme@2022-05-01`), with the
    parameters that run used (its as-of date and the bureau's versions it recorded); {} for an unknown rule set."""
    return for_ruleset(ruleset_label, run.as_of, run.parameter_versions)


def for_ruleset(ruleset_label: str, as_of: dt.date, parameter_versions: list[dict] | None) -> dict[str, str]:
    versions = json.dumps(parameter_versions or [], sort_keys=True, default=str)
    return _labels(ruleset_label, as_of, versions)


@lru_cache(maxsize=256)
def _labels(ruleset_label: str, as_of: dt.date, versions: str) -> dict[str, str]:
    ruleset = ruleset_by_label(ruleset_label)
    return condition_labels(ruleset, as_of, json.loads(versions)) if ruleset else {}


def conditions_text(ids: str | None, names: dict[str, str], sep: str = "；") -> str:
    """`;`-joined condition ids (a "failed" list) as Chinese labels; an id without a label stays as it is."""
    return sep.join(names.get(c, c) for c in (ids or "").split(";") if c)


def parameter_version_text(version: dict) -> str:
    """A bureau parameter version as a run records it, in words: 科技型中小企业·综合评分及格分 = 55（自 2026-07-01）."""
    ruleset = next((r for r in all_rulesets() if r.id == version["ruleset"]), None)
    title = ruleset.name if ruleset else version["ruleset"]
    name = ruleset.parameter_labels.get(version["parameter"], version["parameter"]) if ruleset else version["parameter"]
    value = version["value"]
    shown = f"〔{table_text(value)}〕" if is_band_table(value) else example(value)
    return f"{title}·{name} = {shown}（自 {version['effective_from']}）"
