"""Whether an application may be admitted to the expert review, condition by condition, with reasons.

Policy:
- An application arriving after the deadline is not an application at all: `on_time` says so and the service
  refuses it before anything is written. The deadline day itself counts (截止日期含当日, 民法典 第1259条 convention).
- Admitted applications are checked against the `application` rule: who may lead (高校院所、新型研发机构、企业),
  the issuer may not apply to its own challenge, team size, requested money within the challenge's total,
  a milestone plan with enough nodes and none after the completion date, and the team's credit commitment
  (an enterprise lead on the dishonest list fails; where the registry does not know, the answer is unknown).
- Outcome: `eligible` when every condition holds, `ineligible` when any fails, else `unknown` (never guessed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from kechuang.engine.challenges.money import pct

LEAD_KINDS = {"institution": "高校院所", "rd_institution": "新型研发机构", "enterprise": "企业"}
ELIGIBLE, INELIGIBLE, UNKNOWN = "eligible", "ineligible", "unknown"
OUTCOME_LABELS = {ELIGIBLE: "符合条件", INELIGIBLE: "不符合条件", UNKNOWN: "待核实"}


@dataclass(frozen=True)
class Condition:
    id: str
    label: str
    outcome: bool | None
    reason: str

    def as_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "outcome": self.outcome, "reason": self.reason}


@dataclass(frozen=True)
class Decision:
    outcome: str
    conditions: list[Condition] = field(default_factory=list)

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    def failed(self) -> list[Condition]:
        return [c for c in self.conditions if c.outcome is False]

    def explanation(self) -> str:
        """One sentence: why (the failed or unknown conditions), or that everything holds."""
        if self.outcome == ELIGIBLE:
            return "符合全部申报条件"
        bad = [c for c in self.conditions if c.outcome is not True]
        return "；".join(c.reason for c in bad)

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "conditions": [c.as_dict() for c in self.conditions]}


def on_time(applied_on: dt.date, deadline: dt.date) -> str | None:
    """None when an application dated `applied_on` is in time for `deadline` (inclusive), else why not."""
    if applied_on > deadline:
        return f"揭榜申报已于 {deadline:%Y-%m-%d} 截止，不能再提交申报"
    return None


def check(application: dict, challenge: dict, params: dict) -> Decision:
    """Decide an application (see the module policy). Amounts are Decimal 万元, dates `datetime.date`."""
    conditions = [
        _deadline(application, challenge),
        _lead_kind(application, params),
        _not_issuer(application, challenge, params),
        _members(application, params),
        _budget(application, challenge, params),
        _milestones(application, challenge, params),
        _credit(application),
    ]
    outcomes = [c.outcome for c in conditions]
    if False in outcomes:
        return Decision(INELIGIBLE, conditions)
    if None in outcomes:
        return Decision(UNKNOWN, conditions)
    return Decision(ELIGIBLE, conditions)


def _deadline(app: dict, ch: dict) -> Condition:
    late = on_time(app["applied_on"], ch["deadline"])
    return Condition(
        "deadline",
        "在申报截止日期前提交",
        late is None,
        late or f"{app['applied_on']:%Y-%m-%d} 提交，截止日期 {ch['deadline']:%Y-%m-%d}",
    )


def _lead_kind(app: dict, params: dict) -> Condition:
    kind = LEAD_KINDS.get(app.get("lead_kind") or "")
    allowed = list(params["lead_kinds"])
    if kind is None:
        return Condition("lead_kind", "牵头单位类型", None, "牵头单位类型未知")
    ok = kind in allowed
    return Condition(
        "lead_kind",
        "牵头单位类型",
        ok,
        f"牵头单位为{kind}" + ("" if ok else f"，不在可牵头的单位类型（{'、'.join(allowed)}）之内"),
    )


def _not_issuer(app: dict, ch: dict, params: dict) -> Condition:
    if not params.get("exclude_issuer", True):
        return Condition("not_issuer", "非发榜企业本身", True, "本规则允许发榜企业参与揭榜")
    lead, issuer = app.get("lead_uscc"), ch.get("issuer_uscc")
    ok = not (lead and issuer and lead == issuer)
    return Condition("not_issuer", "非发榜企业本身", ok, "牵头单位不是发榜企业" if ok else "发榜企业不能揭自己的榜")


def _members(app: dict, params: dict) -> Condition:
    n, need = app.get("members"), int(params["min_members"])
    if n is None:
        return Condition("members", "团队人数", None, "团队人数未知")
    ok = n >= need
    return Condition("members", "团队人数", ok, f"团队 {n} 人" + ("" if ok else f"，少于最低要求 {need} 人"))


def _budget(app: dict, ch: dict, params: dict) -> Condition:
    asked, total = app.get("budget_requested"), ch.get("budget")
    if asked is None or total is None:
        return Condition("budget", "申请经费", None, "申请经费或榜单总额未知")
    cap = (Decimal(total) * Decimal(str(params["max_budget_share"]))).quantize(Decimal("0.0001"))
    ok = Decimal(asked) <= cap
    text = f"申请经费 {Decimal(asked):f} 万元"
    if not ok:
        text += f"，超过上限 {cap:f} 万元（榜单总额 {Decimal(total):f} 万元 × {pct(params['max_budget_share'])}）"
    return Condition("budget", "申请经费", ok, text)


def _milestones(app: dict, ch: dict, params: dict) -> Condition:
    dues = app.get("milestones")
    if dues is None:
        return Condition("milestones", "里程碑计划", None, "实施计划未列里程碑")
    need = int(params["min_milestones"])
    if len(dues) < need:
        return Condition("milestones", "里程碑计划", False, f"实施计划只有 {len(dues)} 个里程碑，至少需要 {need} 个")
    due = ch.get("completion_due")
    late = [d for d in dues if d is not None and due is not None and d > due]
    if late:
        return Condition("milestones", "里程碑计划", False, f"有 {len(late)} 个里程碑晚于完成期限 {due:%Y-%m-%d}")
    if any(d is None for d in dues):
        return Condition("milestones", "里程碑计划", None, "有里程碑未填计划日期")
    return Condition("milestones", "里程碑计划", True, f"{len(dues)} 个里程碑，均在完成期限内")


def _credit(app: dict) -> Condition:
    if not app.get("declared_credit"):
        return Condition("credit", "信用承诺", False, "未作出无严重失信记录的承诺")
    listed = app.get("dishonest_listed")
    if app.get("lead_kind") == "enterprise":
        if listed is None:
            return Condition("credit", "信用承诺", None, "牵头企业是否列入失信名单未知（企业库无记录）")
        if listed:
            return Condition("credit", "信用承诺", False, "牵头企业列入严重失信名单")
    return Condition("credit", "信用承诺", True, "已承诺无严重失信记录")
