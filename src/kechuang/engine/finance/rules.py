"""The science-and-technology finance rules on the rule-data layer (decision record 0004): five kinds.

Policy:
- `loan_product` (科技金融产品规则): one document per product's terms — who may borrow (requirements in the
  condition language, the tier list a parameter), the limit (单户上限, the revenue basis, points bands), the rate
  (LPR + a spread in basis points), the guarantee (scheme, fee rate, risk share) and the promised decision time
  in working days. Every number is a parameter; the bureau edits them on /rules/.
- `finance_market` (金融市场利率): the loan prime rate (LPR), a dated parameter per term.
- `finance_programme` (科技金融业务规则): consent periods, lifecycle stages, points bands for the figures, the
  region's default rate to compare with, and which product rule gives the indicative credit line on a
  diagnosis.
- `risk_pool` (风险补偿资金池规则): the share of a defaulted loan's principal the pool covers, the cap per loan,
  the pool's cap.
- `angel_fund` (天使基金规则): per-project limits, the investment committee's quorum and pass share, the
  tolerated failure ceiling (容错) and the procedures a write-off needs to be exempt.

A document names the parameters its kind reads; a missing one, or one of the wrong unit, fails at load with a
Chinese message naming file, rule and field (the same as every rule document).
"""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kechuang.engine.conditions import ConditionError, compile_condition
from kechuang.engine.labels import TIER_NAMES
from kechuang.engine.ruledata import Kind, RuleDoc, register

PRODUCT_KINDS = {"credit": "信用贷", "guaranteed": "担保贷", "ip_pledge": "知识产权质押贷", "invest_loan": "投贷联动"}
STAGES = {"seed": "种子期", "startup": "初创期", "growth": "成长期", "mature": "成熟期"}
DOMAIN = "科技金融"


def _need(doc: RuleDoc, required: dict[str, set[str]], optional: dict[str, set[str]] | None = None) -> None:
    """Every required parameter present with one of its units; optional ones, where present, likewise."""
    problems = []
    for name, units in {**required, **(optional or {})}.items():
        p = doc.parameters.get(name)
        if p is None:
            if name in required:
                problems.append(f"缺少参数 {name}")
            continue
        if p.unit not in units:
            problems.append(f"参数 {name} 的 unit 应为 {'、'.join(sorted(units))}，现为“{p.unit or '无'}”")
    if problems:
        raise ValueError("；".join(problems))


def _first_value(doc: RuleDoc, name: str):
    return doc.parameters[name].versions[0].value


# ---------------------------------------------------------------------------------------------- products


class Requirement(BaseModel):
    """One requirement of a product: a condition (`when`) or "any of these tiers" (`tiers`: a list parameter).
    `label` may name parameters in braces (创新积分不低于 {min_points} 分): they read their value in force."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", title="条件编号")
    label: str = Field(min_length=1, title="条件说明")
    when: str | None = Field(default=None, title="条件表达式")
    tiers: str | None = Field(default=None, title="资质清单参数")

    @model_validator(mode="after")
    def _one_kind(self) -> Requirement:
        if (self.when is None) == (self.tiers is None):
            raise ValueError("每个条件写 when（条件表达式）或 tiers（资质清单参数）之一")
        return self


PRODUCT_PARAMS = {"max_amount": {"wan"}, "rate_spread_bp": {"number"}, "decision_days": {"working_days"}}
PRODUCT_OPTIONAL = {
    "average_years": {"years"},
    "points_bands": {"table"},
    "guarantee_fee_rate": {"share"},
    "risk_share": {"share"},
    "guarantee_scheme": {"text"},
    "lpr_term": {"text"},
}


class LoanProductRule(RuleDoc):
    city: str = Field(min_length=1, title="适用地区")
    product_kind: Literal["credit", "guaranteed", "ip_pledge", "invest_loan"] = Field(title="产品类型")
    stages: tuple[Literal["seed", "startup", "growth", "mature"], ...] = Field(min_length=1, title="服务阶段")
    requirements: tuple[Requirement, ...] = Field(default=(), title="申请条件")
    terms_note: str = Field(default="", title="其他条款")

    @model_validator(mode="after")
    def _terms(self) -> LoanProductRule:
        _need(self, PRODUCT_PARAMS, PRODUCT_OPTIONAL)
        values = {name: _first_value(self, name) for name in self.parameters}
        problems = []
        ids = [r.id for r in self.requirements]
        if len(set(ids)) != len(ids):
            problems.append("条件编号重复")
        for r in self.requirements:
            if r.tiers is not None:
                tiers = values.get(r.tiers)
                if not isinstance(tiers, list) or not tiers:
                    problems.append(f"条件 {r.id}：tiers 应为资质清单参数名（如 eligible_tiers）")
                elif unknown := [t for t in tiers if t not in TIER_NAMES]:
                    problems.append(
                        f"条件 {r.id}：资质 {'、'.join(map(str, unknown))} 未定义（可选：{'、'.join(TIER_NAMES)}）"
                    )
            else:
                try:
                    compile_condition(r.when, values)
                except ConditionError as exc:
                    problems.append(f"条件 {r.id}：{exc}")
            missing = [f for f in _placeholders(r.label) if f not in values]
            if missing:
                problems.append(f"条件 {r.id} 的说明引用了不存在的参数 {'、'.join(missing)}")
        bands = values.get("points_bands")
        if bands is not None and not all(isinstance(b, dict) and {"min", "cap"} <= set(b) for b in bands):
            problems.append("参数 points_bands 每档应为 {min: 积分下限, cap: 额度上限}")
        term = values.get("lpr_term")
        if term is not None and term not in ("1y", "5y"):
            problems.append("参数 lpr_term 应为 1y（一年期）或 5y（五年期以上）")
        if problems:
            raise ValueError("；".join(problems))
        return self

    def check_parameter(self, name: str, current, value) -> str | None:
        problem = super().check_parameter(name, current, value)
        if problem is None and name in {r.tiers for r in self.requirements if r.tiers}:
            unknown = [t for t in value if t not in TIER_NAMES]
            if unknown:
                return f"资质 {'、'.join(unknown)} 未定义（可选：{'、'.join(TIER_NAMES)}）"
        return problem

    @property
    def kind_label(self) -> str:
        return PRODUCT_KINDS[self.product_kind]

    @property
    def stage_labels(self) -> str:
        return "、".join(STAGES[s] for s in self.stages)


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


# ---------------------------------------------------------------------------------------------- others


class MarketRule(RuleDoc):
    @model_validator(mode="after")
    def _lpr(self) -> MarketRule:
        _need(self, {"lpr_1y": {"number"}, "lpr_5y": {"number"}})
        return self


class ProgrammeRule(RuleDoc):
    @model_validator(mode="after")
    def _programme(self) -> ProgrammeRule:
        _need(
            self,
            {
                "consent_default_months": {"months"},
                "consent_max_months": {"months"},
                "lifecycle": {"table"},
                "points_bands": {"table"},
                "region_default_rate": {"share"},
                "indicative_credit_rule": {"text"},
            },
        )
        stages = [row.get("stage") for row in _first_value(self, "lifecycle")]
        if not stages or any(s not in STAGES for s in stages):
            raise ValueError(f"参数 lifecycle 每档的 stage 应为 {'、'.join(STAGES)} 之一")
        return self


class RiskPoolRule(RuleDoc):
    @model_validator(mode="after")
    def _pool(self) -> RiskPoolRule:
        _need(self, {"share": {"share"}, "per_loan_cap": {"wan"}, "pool_cap": {"wan"}})
        return self


class FundRule(RuleDoc):
    @model_validator(mode="after")
    def _fund(self) -> FundRule:
        _need(
            self,
            {
                "per_project_cap": {"wan"},
                "per_project_share": {"share"},
                "committee_quorum": {"count"},
                "committee_pass_share": {"share"},
                "failure_ceiling": {"share"},
                "tolerance_basis": {"text"},
                "required_procedures": {"list"},
            },
        )
        if _first_value(self, "tolerance_basis") not in ("count", "amount", "both"):
            raise ValueError("参数 tolerance_basis 应为 count（按项目数）、amount（按金额）或 both（两者均不超过）")
        return self

    def check_parameter(self, name: str, current, value) -> str | None:
        problem = super().check_parameter(name, current, value)
        if problem is None and name == "tolerance_basis" and value not in ("count", "amount", "both"):
            return "容错口径应为 count（按项目数）、amount（按金额）或 both（两者均不超过）"
        return problem


PRODUCT = register(Kind("loan_product", "科技金融产品规则", "finance/products", LoanProductRule, domain=DOMAIN))
MARKET = register(Kind("finance_market", "贷款市场报价利率", "finance/market", MarketRule, domain=DOMAIN))
PROGRAMME = register(Kind("finance_programme", "科技金融业务规则", "finance/programme", ProgrammeRule, domain=DOMAIN))
RISK_POOL = register(Kind("risk_pool", "风险补偿资金池规则", "finance/risk_pool", RiskPoolRule, domain=DOMAIN))
FUND = register(Kind("angel_fund", "天使基金与容错规则", "finance/funds", FundRule, domain=DOMAIN))

# The documents the platform reads by id (the programme rule, the LPR, the demo region's pool and fund rules).
PROGRAMME_RULE = "finance_programme"
MARKET_RULE = "lpr"
