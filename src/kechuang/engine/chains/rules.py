"""The chains domain's kinds of rule (engine.ruledata): their documents carry parameters only."""

from __future__ import annotations

from kechuang.engine.ruledata import Kind, RuleDoc, register


class PlacementRules(RuleDoc):
    """How strongly an industry code or a word ties a firm to a segment, and the score a suggestion needs."""


class GapRules(RuleDoc):
    """When a segment's local firms are too few or too small, and how a gap's severity weighs."""


PLACEMENT_KIND = register(
    Kind("chain_placement", "产业链企业归集规则", "chains/placement", PlacementRules, domain="产业链与载体")
)
GAP_KIND = register(Kind("chain_gaps", "产业链缺链判定规则", "chains/gaps", GapRules, domain="产业链与载体"))
