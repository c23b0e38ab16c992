"""The one-stop services domain's kinds of rule (engine.ruledata): parameters only."""

from __future__ import annotations

from kechuang.engine.ruledata import Kind, RuleDoc, register


class RoutingRules(RuleDoc):
    """Where requests go and how many working days each category of request may take."""


class VisitRules(RuleDoc):
    """How often an official visits an assigned firm, and how early a 高企 due to re-apply is raised."""


ROUTING_KIND = register(
    Kind("service_routing", "一站式服务分派与办理时限", "onestop/routing", RoutingRules, domain="产业链与载体")
)
VISITS_KIND = register(Kind("official_visits", "包联走访规则", "onestop/officials", VisitRules, domain="产业链与载体"))
