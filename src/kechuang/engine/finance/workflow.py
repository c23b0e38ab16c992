"""How a loan application moves: who may take each step, what each step needs, and what it means.

Policy:
- received 已受理 → due_diligence 尽职调查 → approved 已批准 / declined 未获批准 → contract 已签约 →
  disbursed 已放款 → repaid 已结清, or overdue 逾期 → repaid / defaulted 违约 (or back to disbursed when
  the arrears are cleared). The firm may withdraw an application until the contract is signed.
- The bank works its applications; the firm (or bureau staff for it) only withdraws. Steps are checked here,
  once, for pages, API and import alike; every refusal says why in Chinese.
- A decline needs a reason. An approval needs an amount within the product's limit and a rate within its
  ceiling (LPR + spread). A disbursement needs its amount, rate and dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

STATUS_LABELS = {
    "received": "已受理",
    "due_diligence": "尽职调查",
    "approved": "已批准",
    "declined": "未获批准",
    "contract": "已签约",
    "disbursed": "已放款",
    "repaid": "已结清",
    "overdue": "逾期",
    "defaulted": "违约",
    "withdrawn": "已撤回",
}
BANK_STEPS = {
    "received": ("due_diligence", "approved", "declined"),
    "due_diligence": ("approved", "declined"),
    "approved": ("contract",),
    "contract": ("disbursed",),
    "disbursed": ("repaid", "overdue"),
    "overdue": ("repaid", "defaulted", "disbursed"),
}
FIRM_STEPS = {s: ("withdrawn",) for s in ("received", "due_diligence", "approved")}
OPEN = ("received", "due_diligence")  # the decision clock runs
DECIDED = ("approved", "declined")
LOAN_STATES = ("disbursed", "repaid", "overdue", "defaulted")
STEP_LABELS = {
    "due_diligence": "开始尽职调查",
    "approved": "批准",
    "declined": "不予批准",
    "contract": "签订合同",
    "disbursed": "放款",
    "repaid": "登记结清",
    "overdue": "登记逾期",
    "defaulted": "登记违约",
    "withdrawn": "撤回申请",
}


@dataclass(frozen=True)
class Step:
    target: str
    reason: str = ""
    amount: float | None = None  # approved / disbursed amount, 万元
    rate: float | None = None  # % a year
    on: dt.date | None = None  # the day it happened
    maturity_on: dt.date | None = None
    defaulted_principal: float | None = None


def allowed(current: str, actor: str) -> tuple[str, ...]:
    """Next statuses `actor` ("bank" or "firm") may set from `current`."""
    return (BANK_STEPS if actor == "bank" else FIRM_STEPS).get(current, ())


def check(
    current: str,
    step: Step,
    actor: str,
    *,
    max_amount: float,
    rate_ceiling: float,
    submitted_on: dt.date,
    today: dt.date,
) -> str | None:
    """None when the step may be taken, else why not (Chinese)."""
    if step.target not in allowed(current, actor):
        who = "银行" if actor == "bank" else "企业"
        step_label = STEP_LABELS.get(step.target, step.target)
        return f"当前状态为“{STATUS_LABELS.get(current, current)}”，{who}不能执行“{step_label}”"
    if step.on is not None and step.on > today:
        return f"日期 {step.on:%Y-%m-%d} 晚于今天"
    if step.on is not None and step.on < submitted_on:
        return f"日期 {step.on:%Y-%m-%d} 早于申请受理日 {submitted_on:%Y-%m-%d}"
    if step.target == "declined" and not step.reason.strip():
        return "不予批准须填写原因"
    if step.target in ("approved", "disbursed"):
        if step.amount is None or step.amount <= 0:
            return "请填写金额（万元，大于 0）"
        if step.amount > max_amount:
            return f"金额 {step.amount:.2f} 万元超过本产品单户上限 {max_amount:.2f} 万元"
        if step.rate is None or step.rate <= 0:
            return "请填写年利率（%）"
        if step.rate > rate_ceiling + 1e-9:
            return f"年利率 {step.rate:g}% 高于本产品利率上限 {rate_ceiling:.2f}%（LPR + 加点）"
    if step.target == "disbursed":
        if step.on is None or step.maturity_on is None:
            return "放款须填写放款日期与到期日期"
        if step.maturity_on <= step.on:
            return "到期日期应晚于放款日期"
    if step.target == "defaulted" and (step.defaulted_principal is None or step.defaulted_principal <= 0):
        return "登记违约须填写违约本金（万元，大于 0）"
    return None
