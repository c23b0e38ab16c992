"""Tier rules engine: rule sets as dated YAML, compiled to vectorised Polars expressions.

Public API:
    evaluate(facts, as_of, tiers=None, parameter_versions=None, local_set=None, explain=True,
             near_misses=None) -> pl.DataFrame
    explanations(facts, as_of, labels, parameter_versions=None) -> pl.DataFrame   (on demand, stored runs)
    for_file(results) -> pl.DataFrame                (gaps as JSON text, categoricals as text: CSV/xlsx/DB)
    list_rulesets(as_of, parameter_versions=None) -> list[dict]
    compile_condition(text, params=None, columns=None, comparisons=None) -> pl.Expr   (condition language)
    condition_fields(text, params=None) -> list[str]
    run_cases(...)                                                       (YAML cases, cases.py)
    monitoring: flows between runs and the certificate warning window (rule kind `tier_monitoring`)
"""

from kechuang.engine.conditions import ConditionError, compile_condition, condition_fields
from kechuang.engine.tiers import monitoring  # registers the rule kind `tier_monitoring`
from kechuang.engine.tiers.evaluate import GAP, GAPS, RESULT_COLUMNS, evaluate, explanations, for_file, list_rulesets
from kechuang.engine.tiers.model import RuleSetError

__all__ = [
    "GAP",
    "GAPS",
    "RESULT_COLUMNS",
    "ConditionError",
    "RuleSetError",
    "compile_condition",
    "condition_fields",
    "evaluate",
    "explanations",
    "for_file",
    "list_rulesets",
    "monitoring",
]
