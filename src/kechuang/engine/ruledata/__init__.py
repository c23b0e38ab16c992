"""The rule-data layer: one way to carry a dated rule, for every domain (decision record 0004).

- `validity`: `in_force(items, as_of)`, the one definition of "in force on a date".
- `params`: dated parameters with label, unit, source and V/P/U flag; the bureau's versions; shape checks.
- `documents`: `RuleDoc`, the typed base of every rule document, validated once at load with Chinese messages
  naming file, rule and field; `Params`, the values in force on a date with their sources.
- `registry`: `Kind` (a domain's kind of rule and its folder), `rulebook(kind)` with `in_force(rule_id, as_of)`.

A domain adds a `RuleDoc` subclass and a folder of YAML files under `rulesets/`, registers its `Kind`, and gets
loading, validation, dating, the platform's version store and the rule pages for free.
"""

from kechuang.engine.ruledata.documents import Params, RuleDoc, field_title, parse
from kechuang.engine.ruledata.errors import Problem, RuleDataError
from kechuang.engine.ruledata.params import Parameter, ParameterVersion, check_value, resolve
from kechuang.engine.ruledata.registry import Kind, Rulebook, kind, kinds, register, rulebook
from kechuang.engine.ruledata.validity import covers, history, in_force

__all__ = [
    "Kind",
    "Parameter",
    "ParameterVersion",
    "Params",
    "Problem",
    "RuleDataError",
    "RuleDoc",
    "Rulebook",
    "check_value",
    "covers",
    "field_title",
    "history",
    "in_force",
    "kind",
    "kinds",
    "parse",
    "register",
    "resolve",
    "rulebook",
]
