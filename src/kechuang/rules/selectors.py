"""Reads of rule versions: the bureau's overrides in the engine's shape, and what a rule page shows."""

from __future__ import annotations

import datetime as dt

from kechuang.engine.ruledata import RuleDoc, rulebook

from .models import RuleVersion


def published(kind: str, rule_id: str | None = None):
    qs = RuleVersion.objects.filter(kind=kind, status=RuleVersion.Status.PUBLISHED)
    return qs.filter(rule_id=rule_id) if rule_id else qs


def overrides(kind: str, rule_id: str | None = None) -> list[dict]:
    """The bureau's published parameter versions of a kind (one rule's, when named), for the engine."""
    return [v.as_override() for v in published(kind, rule_id).exclude(parameter="")]


def rule_in_force(kind: str, rule_id: str, as_of: dt.date) -> RuleDoc:
    """The shipped document of `rule_id` in force on `as_of` (RuleDataError, in Chinese, when none)."""
    return rulebook(kind).in_force(rule_id, as_of)


def params(kind: str, rule_id: str, as_of: dt.date):
    """The values in force for one rule on one date, the bureau's versions included (`ruledata.Params`)."""
    return rule_in_force(kind, rule_id, as_of).params(as_of, overrides(kind, rule_id))


def history(kind: str, rule_id: str, parameter: str):
    return published(kind, rule_id).filter(parameter=parameter).select_related("created_by").order_by(
        "-effective_from", "-pk")
