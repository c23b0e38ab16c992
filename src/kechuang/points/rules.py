"""The dated rule files the points app reads besides schemes and alert rules: credit line, fee waiver.

Policy: rules are data (YAML with effective dates, source and verification flag); the app only picks the file.
(The alert rules are a kind of the rule-data layer: `points.selectors.alert_rules`.)
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from django.core.serializers.json import DjangoJSONEncoder

from kechuang.engine.points import load_credit_rule
from kechuang.engine.points.registry import CREDIT_DIR

CREDIT_RULE_PATH = CREDIT_DIR / "points_loan_huaian.yaml"
FEE_WAIVER_PATH = Path(__file__).resolve().parent / "rules" / "fee_waiver.yaml"


def credit_rule():
    return load_credit_rule(CREDIT_RULE_PATH)


def fee_waiver_rule() -> dict:
    data = yaml.safe_load(FEE_WAIVER_PATH.read_text(encoding="utf-8"))
    top = data.get("top_n")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"免担保费规则 top_n 应为正整数，现为“{top}”")
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))
