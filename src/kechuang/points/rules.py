"""The dated rule files the points app reads besides schemes: credit line, alert rules, fee waiver.

Policy: rules are data (YAML with effective dates, source and verification flag); the app only picks the file.
The monitoring alert rules may also have bureau versions (`AlertRuleVersion`): the rule set in force on a date
is the latest bureau version whose `effective_from` is not after that date, else the shipped file. A stored
version is validated by the engine again when read, so one that a later engine rejects fails loudly.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from kechuang.engine.points import AlertRuleSet, alert_rules_from_dict, load_alert_rules, load_credit_rule
from kechuang.engine.points.registry import ALERTS_DIR, CREDIT_DIR

from .models import AlertRuleVersion

CREDIT_RULE_PATH = CREDIT_DIR / "points_loan_huaian.yaml"
ALERT_RULES_PATH = ALERTS_DIR / "monitoring.yaml"
FEE_WAIVER_PATH = Path(__file__).resolve().parent / "rules" / "fee_waiver.yaml"


def credit_rule():
    return load_credit_rule(CREDIT_RULE_PATH)


def shipped_alert_rules() -> AlertRuleSet:
    return load_alert_rules(ALERT_RULES_PATH)


def alert_rule_version_on(on: dt.date) -> AlertRuleVersion | None:
    """The bureau version in force on `on` (None: the shipped file applies)."""
    return AlertRuleVersion.objects.filter(effective_from__lte=on).order_by("-effective_from").first()


def alert_rules(as_of: dt.date | None = None) -> AlertRuleSet:
    """The monitoring rule set in force on `as_of` (default: today)."""
    version = alert_rule_version_on(as_of or timezone.localdate())
    return version_rules(version) if version is not None else shipped_alert_rules()


def version_rules(version: AlertRuleVersion) -> AlertRuleSet:
    return alert_rules_from_dict(engine_dict(version.content))


def engine_dict(content: dict) -> dict:
    """A stored rule-set dict (dates as ISO text) with dates as the engine expects them."""
    data = dict(content)
    for key in ("effective_from", "effective_to"):
        if isinstance(data.get(key), str):
            data[key] = dt.date.fromisoformat(data[key])
    return data


def alert_rules_dict(ruleset: AlertRuleSet) -> dict:
    """A rule set as the dict of its YAML file (dates as ISO text): what a bureau version stores."""
    return {
        "id": ruleset.id,
        "name": ruleset.name,
        "version": ruleset.version,
        "effective_from": ruleset.effective_from.isoformat(),
        "effective_to": None,
        "source": ruleset.source,
        "verification": ruleset.verification,
        "params": jsonable(ruleset.params),
        "rules": [
            {
                "id": r.id,
                "label": r.label,
                "severity": r.severity,
                "when": [
                    {"field": c.field, "op": c.op, **({} if c.value is None else {"value": c.value})} for c in r.when
                ],
                "message": r.message,
            }
            for r in ruleset.rules
        ],
    }


def jsonable(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def fee_waiver_rule() -> dict:
    data = yaml.safe_load(FEE_WAIVER_PATH.read_text(encoding="utf-8"))
    top = data.get("top_n")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"免担保费规则 top_n 应为正整数，现为“{top}”")
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))
