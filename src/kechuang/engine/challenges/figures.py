"""What the bureau reports about 揭榜挂帅: counts, rewards, teams, money by source, time to contract.

Definitions (each figure carries its definition in Chinese, shown beside it):
- 发榜数: challenges published (stage published or any later stage, closed ones included);
- 榜单总额: Σ budget of those challenges (the rewards offered, issuer's own funding included);
- 揭榜团队: teams that signed a contract (racing, dropped, merged or finished alike);
- 落地实施: challenges with at least one signed contract;
- 已验收: challenges accepted against their indicators;
- 资金: per funding source, contributions, open commitments (split by the pool's shares), payments and returns;
- 发榜到签约平均用时: mean days from publication to the first signed contract, over challenges that have both.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from kechuang.engine.challenges.lifecycle import PUBLISHED_STAGES

CONTRACTED_STATUSES = ("racing", "eliminated", "merged", "completed", "failed")


def compute(challenges: pl.DataFrame, teams: pl.DataFrame) -> dict:
    """challenges: id, stage, budget (Decimal/float), published_on, contracted_on (date|null);
    teams: challenge_id, status."""
    published = challenges.filter(pl.col("stage").is_in(PUBLISHED_STAGES))
    contracted = teams.filter(pl.col("status").is_in(CONTRACTED_STATUSES))
    implemented = published.filter(pl.col("contracted_on").is_not_null())
    timed = implemented.filter(pl.col("published_on").is_not_null()).select(
        (pl.col("contracted_on") - pl.col("published_on")).dt.total_days().alias("days")
    )
    avg = None
    if timed.height:
        avg = (Decimal(int(timed["days"].sum())) / timed.height).quantize(Decimal("0.1"), ROUND_HALF_UP)
    rewards = sum((Decimal(str(b)) for b in published["budget"].to_list() if b is not None), Decimal(0))
    return {
        "published": published.height,
        "rewards": rewards,
        "teams": contracted.height,
        "implemented": implemented.height,
        "accepted": published.filter(pl.col("stage") == "accepted").height,
        "closed": published.filter(pl.col("stage") == "closed").height,
        "avg_days_to_contract": avg,
        "timed": timed.height,
        "by_stage": dict(challenges.group_by("stage").len().iter_rows()),
    }


DEFINITIONS = {
    "published": "已发榜的榜单（含已结束、未解决关闭的）",
    "rewards": "已发榜榜单的榜单总额之和（含发榜企业自筹）",
    "teams": "签订合同的揭榜团队（含赛马中被淘汰、合并的）",
    "implemented": "至少与一支团队签约的榜单",
    "accepted": "按发榜时公布的指标验收通过的榜单",
    "avg_days_to_contract": "从发榜到首份合同签订的平均天数（只计已签约的榜单）",
}
