"""Reads of rule versions: the bureau's overrides in the engine's shape, and what a rule page shows."""

from __future__ import annotations

import datetime as dt

from kechuang.engine.ruledata import RuleDoc, kind, parse, rulebook

from .models import RuleVersion


def published(kind: str, rule_id: str | None = None):
    qs = RuleVersion.objects.filter(kind=kind, status=RuleVersion.Status.PUBLISHED)
    return qs.filter(rule_id=rule_id) if rule_id else qs


def bureau_changes(kind: str, rule_id: str) -> int:
    """How many versions the bureau published for a rule (copies of shipped files are not changes)."""
    return published(kind, rule_id).exclude(origin=RuleVersion.Origin.SHIPPED).count()


def overrides(kind: str, rule_id: str | None = None) -> list[dict]:
    """The bureau's published parameter versions of a kind (one rule's, when named), for the engine."""
    return [v.as_override() for v in published(kind, rule_id).exclude(parameter="")]


def documents(kind_id: str, rule_id: str) -> list[RuleDoc]:
    """The bureau's whole-document versions of a rule (parsed again: a stored version a later engine
    refuses fails loudly rather than being used silently). A copy of a shipped file (origin shipped, policies)
    is the shipped document itself, already in the rulebook."""
    model = kind(kind_id).model
    stored = published(kind_id, rule_id).filter(parameter="").exclude(origin=RuleVersion.Origin.SHIPPED)
    return [parse(model, v.value) for v in stored.order_by("effective_from", "pk")]


def rule_ids(kind_id: str) -> list[str]:
    """The rules of a kind: the shipped ones, then those only the bureau's document versions hold (a policy
    added on the platform)."""
    added = (
        published(kind_id)
        .filter(parameter="")
        .exclude(origin=RuleVersion.Origin.SHIPPED)
        .values_list("rule_id", flat=True)
        .order_by("rule_id")
        .distinct()
    )
    return list(dict.fromkeys([*rulebook(kind_id).ids(), *added]))


def rule_in_force(kind: str, rule_id: str, as_of: dt.date) -> RuleDoc:
    """The document of `rule_id` in force on `as_of`, the bureau's document versions included (RuleDataError,
    in Chinese, when none)."""
    return rulebook(kind).in_force(rule_id, as_of, extra=documents(kind, rule_id))


def all_versions(kind: str, rule_id: str) -> list[RuleDoc]:
    """Every version of a rule, shipped and the bureau's, oldest first."""
    return rulebook(kind).versions(rule_id, extra=documents(kind, rule_id))


def by_key(kind: str, key: str) -> RuleDoc | None:
    """The version a stored result names (`id@version`), shipped or the bureau's."""
    rule_id = key.partition("@")[0]
    return rulebook(kind).get(key, extra=documents(kind, rule_id))


def params(kind: str, rule_id: str, as_of: dt.date):
    """The values in force for one rule on one date, the bureau's versions included (`ruledata.Params`)."""
    return rule_in_force(kind, rule_id, as_of).params(as_of, overrides(kind, rule_id))


def history(kind: str, rule_id: str, parameter: str):
    return (
        published(kind, rule_id)
        .filter(parameter=parameter)
        .select_related("created_by")
        .order_by("-effective_from", "-pk")
    )
