"""The challenge rules on the rule-data layer (decision record 0004).

One kind, `challenge`, with one document per step that has numbers: `application` (who may apply),
`expert_review` (panel size, conflict window, criteria and weights, trimming), `race` (teams, first tranche,
milestone pass mark), `public_notice` (working days) and `points_subsidy` (the share of actual spending).
The bureau edits any of these values on /rules/challenge/<rule_id>/; the engine functions take the values in
force (`doc.params(as_of, overrides)`) as a plain mapping.
"""

from __future__ import annotations

from decimal import Decimal

from kechuang.engine.ruledata import Kind, RuleDoc, register


class ChallengeRule(RuleDoc):
    """A step of 揭榜挂帅 with its dated parameters."""

    def check_parameter(self, name: str, current, value) -> str | None:
        problem = super().check_parameter(name, current, value)
        if problem or name != "criteria":
            return problem
        return criteria_problem(value)


def criteria_problem(rows) -> str | None:
    """The review criteria must have a code, a label and a positive weight each, and weights summing to 1."""
    codes = set()
    for i, row in enumerate(rows, start=1):
        code, label, weight = row.get("code"), row.get("label"), row.get("weight")
        if not isinstance(code, str) or not code.strip() or not isinstance(label, str) or not label.strip():
            return f"评审指标第 {i} 项须有代码（code）和名称（label）"
        if code in codes:
            return f"评审指标代码“{code}”重复"
        codes.add(code)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
            return f"评审指标“{label}”的权重应为正数"
    total = sum(Decimal(str(row["weight"])) for row in rows)
    if total != 1:
        return f"评审指标权重之和应为 1，现为 {total}"
    return None


KIND = register(Kind("challenge", "揭榜挂帅规则", "challenges", ChallengeRule, domain="揭榜挂帅"))
