"""The dated rule files the points app reads besides schemes: the alert rules (the indicative credit line is a
finance product rule, see `credit_product`; the guarantee-fee waiver is a policy in the policy library).

Policy: rules are data (YAML with effective dates, source and verification flag); the app only picks the file.
The monitoring alert rules may also have bureau versions (`AlertRuleVersion`): the rule set in force on a date
is the latest bureau version whose `effective_from` is not after that date, else the shipped file. A stored
version is validated by the engine again when read, so one that a later engine rejects fails loudly.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from kechuang.engine.points import AlertRuleSet, alert_rules_from_dict, load_alert_rules
from kechuang.engine.points.registry import ALERTS_DIR

from .models import AlertRuleVersion

ALERT_RULES_PATH = ALERTS_DIR / "monitoring.yaml"


def credit_product(as_of: dt.date):
    """The product rule the bureau chose for the indicative credit line (finance programme rule
    `indicative_credit_rule`), with its terms, the LPR and the lifecycle table in force on `as_of`; None when
    no such rule was in force then (a run from before the programme has no indicative credit line)."""
    from kechuang.engine.ruledata import RuleDataError
    from kechuang.finance import loaders

    try:
        programme = loaders.programme(as_of)
        return (loaders.rule_terms(programme["indicative_credit_rule"], as_of), loaders.lpr(as_of),
                programme["lifecycle"])
    except RuleDataError:
        return None


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

