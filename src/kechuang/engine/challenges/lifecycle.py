"""The life of a challenge: its stages, the moves between them, and what blocks a move.

Policy (the steps of 揭榜挂帅, rules-reference §9): needs collected → review with site visits → the challenge
drafted (goals, quantified indicators, budget, the issuer's own funding, deadline, IP terms, milestone plan) →
approved (by someone other than who submitted it) → published → applications until the deadline (inclusive) →
expert assessment → public notice → contracts → implementation with milestone reviews → acceptance against the
published indicators. A challenge may be turned down before publication, or closed unsolved after it (no
applicant, none qualified, every team dropped, acceptance failed); closing always needs a reason.

`blockers(current, target, facts)` lists, in Chinese, every reason the move cannot be made now; an empty list
means it may. Facts are plain values the service gathers (counts, dates, amounts); a missing fact blocks with
its own message rather than passing, since unknown is not "no problem".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

STAGES: dict[str, str] = {
    "intake": "需求征集",
    "review": "审核走访",
    "drafting": "榜单编制",
    "approval": "待审定",
    "published": "发榜中",
    "assessment": "专家评审",
    "notice": "结果公示",
    "contracting": "待签约",
    "implementing": "实施中",
    "accepted": "已验收",
    "closed": "未解决关闭",
    "rejected": "不予立项",
}
# Stages seen by the public (the 榜单 and the results); before them a challenge is internal.
PUBLIC_STAGES = ("published", "assessment", "notice", "contracting", "implementing", "accepted", "closed")
# Stages where a challenge has been published (for the bureau's figures).
PUBLISHED_STAGES = PUBLIC_STAGES
MOVES: dict[str, tuple[str, ...]] = {
    "intake": ("review", "rejected"),
    "review": ("drafting", "rejected"),
    "drafting": ("approval", "rejected"),
    "approval": ("published", "drafting"),
    "published": ("assessment", "closed"),
    "assessment": ("notice", "closed"),
    "notice": ("contracting",),
    "contracting": ("implementing", "closed"),
    "implementing": ("accepted", "closed"),
    "accepted": (),
    "closed": (),
    "rejected": (),
}
# What each move is called on a button (from, to) → the words a bureau user would use.
ACTIONS = {
    ("intake", "review"): "开始审核走访",
    ("review", "drafting"): "进入榜单编制",
    ("drafting", "approval"): "提交审定",
    ("approval", "published"): "审定通过并发榜",
    ("approval", "drafting"): "退回修改",
    ("published", "assessment"): "截止申报，进入专家评审",
    ("assessment", "notice"): "公示拟立项团队",
    ("notice", "contracting"): "公示期满，进入签约",
    ("contracting", "implementing"): "开始实施",
    ("implementing", "accepted"): "确认验收通过",
}
IP_OWNERSHIP = {"issuer": "归发榜企业", "solver": "归揭榜方", "shared": "双方共有", "agreed": "由合同约定"}
LICENCE_BACK = {
    "none": "无",
    "non_exclusive_free": "揭榜方免费非独占许可发榜企业使用",
    "exclusive_paid": "独占许可发榜企业使用（有偿）",
    "issuer_to_solver": "发榜企业许可揭榜方继续研究使用",
}
PUBLICATION = {
    "after_acceptance": "验收后可公开发表",
    "issuer_consent": "须经发榜企业同意方可发表",
    "not_allowed": "不得公开发表（技术秘密）",
}


def label(stage: str) -> str:
    return STAGES.get(stage, stage)


def action(current: str, target: str) -> str:
    """The button's words for a move: 审定通过并发榜, 退回修改, …; closing and turning down by the stage's name."""
    return ACTIONS.get((current, target)) or {"closed": "未解决关闭", "rejected": "不予立项"}.get(target, label(target))


def blockers(current: str, target: str, facts: dict) -> list[str]:
    """Every reason the move current → target cannot be made with these facts (empty: it may)."""
    if target not in MOVES.get(current, ()):
        return [f"“{label(current)}”阶段不能转为“{label(target)}”"]
    if target in ("rejected", "closed"):
        return [] if str(facts.get("reason") or "").strip() else [f"请填写{label(target)}的原因"]
    check = _CHECKS.get(target)
    return check(facts) if check else []


def _review(facts: dict) -> list[str]:
    return [] if str(facts.get("need_text") or "").strip() else ["需求描述为空，不能进入审核"]


def _drafting(facts: dict) -> list[str]:
    return [] if (facts.get("visits") or 0) >= 1 else ["尚无走访记录：请先录入实地走访情况"]


def draft_problems(facts: dict) -> list[str]:  # noqa: C901
    """What a draft still lacks before it can be submitted for approval."""
    out = []
    for key, message in (
        ("title", "榜单名称"),
        ("goals", "攻关目标"),
        ("issuer", "发榜企业"),
        ("ip_ownership", "知识产权归属"),
        ("licence_back", "许可使用约定"),
        ("publication", "成果发表约定"),
    ):
        if not str(facts.get(key) or "").strip():
            out.append(f"请填写{message}")
    budget, own = facts.get("budget"), facts.get("issuer_funding")
    if budget is None or Decimal(budget) <= 0:
        out.append("榜单总额应大于 0")
    if own is None:
        out.append("请填写发榜企业自筹资金（没有填 0）")
    elif budget is not None and not 0 <= Decimal(own) <= Decimal(budget):
        out.append(f"发榜企业自筹资金应在 0 到榜单总额 {Decimal(budget):f} 万元之间")
    if (facts.get("indicators") or 0) < 1:
        out.append("至少需要一项量化考核指标")
    need = facts.get("min_milestones") or 1
    if (facts.get("milestones") or 0) < need:
        out.append(f"里程碑计划至少需要 {need} 个节点")
    deadline, today = facts.get("deadline"), facts.get("today")
    if deadline is None:
        out.append("请填写揭榜申报截止日期")
    elif today is not None and deadline < today:
        out.append(f"申报截止日期 {deadline:%Y-%m-%d} 已过")
    due = facts.get("completion_due")
    if due is None:
        out.append("请填写完成期限")
    elif deadline is not None and due <= deadline:
        out.append("完成期限应晚于申报截止日期")
    public = facts.get("public_funding")
    if public is not None and Decimal(public) > 0 and not facts.get("pool"):
        out.append("榜单有财政资金部分，请指定资金池")
    late = facts.get("milestone_after_due")
    if late:
        out.append(f"里程碑“{late}”晚于完成期限")
    if facts.get("race"):
        lo, hi, n = facts.get("teams_min"), facts.get("teams_max"), facts.get("max_teams")
        if n is None or lo is None or hi is None or not lo <= n <= hi:
            out.append(f"赛马榜单的平行团队数应在 {lo}–{hi} 支之间")
    return out


def _approval(facts: dict) -> list[str]:
    return draft_problems(facts)


def _published(facts: dict) -> list[str]:
    out = draft_problems(facts)
    if facts.get("submitted_by") is not None and facts.get("submitted_by") == facts.get("actor"):
        out.append("审定人不能与提交人为同一人（编制、审定须分离）")
    return out


def _assessment(facts: dict) -> list[str]:
    deadline, today = facts.get("deadline"), facts.get("today")
    if deadline is None or today is None or today <= deadline:
        return [f"申报截止日期 {deadline:%Y-%m-%d} 尚未过，不能开始评审" if deadline else "申报截止日期未知"]
    if (facts.get("applications") or 0) < 1:
        return ["没有揭榜申报：请以“未解决关闭（流榜）”结束本榜单"]
    return []


def _notice(facts: dict) -> list[str]:
    out = []
    if not facts.get("review_finalised"):
        out.append("专家评审尚未汇总定分")
    n = facts.get("selected") or 0
    if n < 1:
        out.append("尚未确定拟立项团队")
    if facts.get("race"):
        lo, hi = facts.get("teams_min") or 2, min(facts.get("teams_max") or 5, facts.get("max_teams") or 5)
        if n and not lo <= n <= hi:
            out.append(f"赛马榜单应确定 {lo}–{hi} 支拟立项团队，现为 {n} 支")
    elif n > 1:
        out.append(f"非赛马榜单只能确定 1 支拟立项团队，现为 {n} 支")
    return out


def _contracting(facts: dict) -> list[str]:
    out = []
    ends, today = facts.get("notice_ends"), facts.get("today")
    if ends is None or today is None or today <= ends:
        out.append(f"公示期至 {ends:%Y-%m-%d}，尚未期满" if ends else "公示期未知")
    if facts.get("open_objections"):
        out.append(f"还有 {facts['open_objections']} 条异议未答复")
    return out


def _implementing(facts: dict) -> list[str]:
    out = []
    if (facts.get("contracted") or 0) < 1:
        out.append("尚未与任何团队签约")
    if facts.get("uncontracted"):
        out.append(f"还有 {facts['uncontracted']} 支拟立项团队未签约（或放弃）")
    return out


def _accepted(facts: dict) -> list[str]:
    return [] if facts.get("acceptance_passed") else ["尚无通过验收的团队"]


_CHECKS = {
    "review": _review,
    "drafting": _drafting,
    "approval": _approval,
    "published": _published,
    "assessment": _assessment,
    "notice": _notice,
    "contracting": _contracting,
    "implementing": _implementing,
    "accepted": _accepted,
}


def days_between(start: dt.date | None, end: dt.date | None) -> int | None:
    return (end - start).days if start and end else None
