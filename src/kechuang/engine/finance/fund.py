"""The angel fund: the investment committee's vote, per-project limits, the pace of the pipeline, and fault
tolerance (容错) for write-offs.

Policy:
- A committee vote passes (过会) when at least `quorum` members voted and the yes votes reach `pass_share` of
  those who voted (abstentions count as voting, not as yes).
- A project's investment may not exceed `per_project_cap`, nor `per_project_share` of the fund's size.
- Fault tolerance: among a fund's closed investments (交割), the failed ones (written off, or exited below cost)
  as a share of the count and of the amount invested. Inside the tolerated ceiling when the share the rule's
  `tolerance_basis` names (count, amount, or both) does not exceed `failure_ceiling` (以下 includes the
  boundary: 80% is inside). A write-off is documented as exempt (免责) when it is inside tolerance **and** its
  due-diligence trail holds every procedure the rule requires; otherwise the explanation says which is missing.
- Pace: how many projects passed the committee and closed, the amount closed, and the days from the first
  project sourced to the last one closed ("5 个项目过会、3 个交割、2800 万元，用时不到 3 个月").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

VOTES = {"yes": "同意", "no": "反对", "abstain": "弃权"}
STAGES = {
    "sourced": "项目储备",
    "due_diligence": "尽职调查",
    "committee": "待投委会",
    "approved": "已过会",
    "rejected": "未过会",
    "closed": "已交割",
    "post_investment": "投后管理",
    "exited": "已退出",
    "written_off": "已核销",
}
PIPELINE = ("sourced", "due_diligence", "committee", "approved", "closed", "post_investment", "exited", "written_off")
NEXT = {
    "sourced": ("due_diligence",),
    "due_diligence": ("committee",),
    "committee": (),  # the vote decides
    "approved": ("closed",),
    "closed": ("post_investment",),
    "post_investment": ("exited", "written_off"),
}


def committee(votes: list[str], quorum: int, pass_share: float) -> tuple[bool, str]:
    present = len(votes)
    yes = sum(1 for v in votes if v == "yes")
    if present < quorum:
        return False, f"出席表决 {present} 人，不足法定人数 {quorum} 人，表决无效"
    share = yes / present
    passed = share + 1e-9 >= pass_share
    text = (
        f"出席 {present} 人，同意 {yes} 票（{share:.0%}），"
        f"{'达到' if passed else '未达到'}过会所需比例 {pass_share:.0%}"
    )
    return passed, text + ("，过会" if passed else "，未过会")


def project_limit_problem(amount, fund_size, per_project_cap, per_project_share) -> str | None:
    amount, cap = Decimal(str(amount)), Decimal(str(per_project_cap))
    share_cap = Decimal(str(fund_size)) * Decimal(str(per_project_share))
    if amount <= 0:
        return "投资金额应大于 0"
    if amount > cap:
        return f"投资金额 {amount:.2f} 万元超过单个项目上限 {cap:.2f} 万元"
    if amount > share_cap:
        return f"投资金额 {amount:.2f} 万元超过基金规模的 {Decimal(str(per_project_share)):.0%}（{share_cap:.2f} 万元）"
    return None


def tolerance(deals: list[dict], ceiling: float, basis: str) -> dict:
    """`deals`: closed investments {id, amount, failed}. Shares of failures by count and amount and whether
    they are inside the ceiling by the rule's basis."""
    invested = [d for d in deals if d.get("amount")]
    count = len(invested)
    amount = sum(Decimal(str(d["amount"])) for d in invested)
    failed = [d for d in invested if d.get("failed")]
    failed_amount = sum((Decimal(str(d["amount"])) for d in failed), Decimal(0))
    share_count = len(failed) / count if count else None
    share_amount = float(failed_amount / amount) if amount else None
    checks = {"count": share_count, "amount": share_amount}
    used = ("count", "amount") if basis == "both" else (basis,)
    inside = all(checks[k] is not None and checks[k] <= ceiling + 1e-12 for k in used) if count else True
    words = {"count": "项目数", "amount": "投资金额"}
    parts = [f"按{words[k]}失败占比 {checks[k]:.1%}" for k in used if checks[k] is not None]
    text = (
        ("；".join(parts) + f"，{'未超过' if inside else '超过'}容错上限 {ceiling:.0%}") if count else "尚无已交割项目"
    )
    return {
        "count": count,
        "amount": amount,
        "failed": len(failed),
        "failed_amount": failed_amount,
        "share_count": share_count,
        "share_amount": share_amount,
        "inside": inside,
        "text": text,
    }


def exemption(documents: list[str], required: list[str], inside: bool) -> tuple[bool, str]:
    """Whether a write-off is exempt (免责): inside tolerance and every required procedure documented."""
    missing = [r for r in required if r not in set(documents)]
    if not inside:
        return False, "基金失败项目占比已超过容错上限，不适用免责"
    if missing:
        return False, f"尽调与决策程序文件不全（缺：{'、'.join(missing)}），不能认定已按程序履职"
    return True, f"失败占比在容错上限以内，且{'、'.join(required)}齐全，按程序履职，予以免责"


def pace(deals: list[dict]) -> dict:
    """`deals`: {sourced_on, approved_on, closed_on, amount}. Counts, closed amount and elapsed days."""
    approved = [d for d in deals if d.get("approved_on")]
    closed = [d for d in deals if d.get("closed_on")]
    starts = [d["sourced_on"] for d in deals if d.get("sourced_on")]
    ends = [d["closed_on"] for d in closed]
    days = (max(ends) - min(starts)).days if starts and ends else None
    amount = sum((Decimal(str(d["amount"])) for d in closed if d.get("amount")), Decimal(0))
    text = f"{len(approved)} 个项目过会、{len(closed)} 个完成交割，交割金额 {amount:,.2f} 万元"
    if days is not None:
        months = _months_text(days)
        text += f"，自首个项目入库起用时 {days} 天（{months}）"
    return {"approved": len(approved), "closed": len(closed), "amount": amount, "days": days, "text": text}


def _months_text(days: int) -> str:
    months = days / 30.4375
    whole = int(months) + (0 if months == int(months) else 1)
    return f"不到 {whole} 个月" if months < whole else f"{whole} 个月"


def as_date(value) -> dt.date | None:
    return value if isinstance(value, dt.date) or value is None else dt.date.fromisoformat(str(value))
