"""The carriers domain's kinds of rule (engine.ruledata)."""

from __future__ import annotations

from pydantic import Field

from kechuang.engine.ruledata import Kind, RuleDoc, register


class RankingScheme(RuleDoc):
    """A monthly ranking scheme: which carrier kinds it ranks; the weights are its parameters."""

    kinds: tuple[str, ...] = Field(min_length=1, title="参与排名的载体类型")


class KpiCheckRules(RuleDoc):
    """Tolerances of the monthly KPI checks (own history, registry)."""


class TorchConditions(RuleDoc):
    """Conditions for a national-level incubator a carrier's data can decide; which carrier kinds they apply to."""

    applies_to: tuple[str, ...] = Field(min_length=1, title="适用的载体类型")


RANKING_KIND = register(
    Kind("carrier_ranking", "载体月度排名方案", "carriers/ranking", RankingScheme, domain="产业链与载体")
)
KPI_KIND = register(
    Kind("carrier_kpi_checks", "载体月度指标核验规则", "carriers/kpi_checks", KpiCheckRules, domain="产业链与载体")
)
TORCH_KIND = register(
    Kind("torch_incubator", "科技企业孵化器评价指标", "carriers/torch", TorchConditions, domain="产业链与载体")
)
