"""The condition language every rule kind shares (tiers, policies, finance products): text such as
`revenue >= 5000 and staff_rd / staff_total >= 0.1`, parsed once and compiled to a vectorised Polars expression.
The grammar and its Chinese error messages are in `language.py`."""

from kechuang.engine.conditions.language import (
    ConditionError,
    Node,
    compile_condition,
    condition_fields,
    condition_params,
    parse,
)

__all__ = ["ConditionError", "Node", "compile_condition", "condition_fields", "condition_params", "parse"]
