"""赛马: milestone reviews of teams racing in parallel, and where later tranches go.

Policy (rules-reference §9, rule `race`):
- At a milestone review every racing team gets a recommendation with its reason: a team that has not reported
  the milestone, or scored below `pass_score`, is recommended for elimination; of the teams still passing,
  while more than `drop_lowest_above` remain, the single lowest scorer is recommended for elimination too (funds
  concentrate on the stronger teams). A tie for lowest recommends nobody: the reviewers decide. A team without a
  score yet gets no recommendation (unknown, not a pass).
- The reviewers decide (continue, eliminate, or merge into another team); the decision and its reason and
  reviewers are recorded by the service. The recommendation is advice that the record shows beside the decision.
- Later tranches concentrate on the teams still racing: `concentrate` splits what is left of the public funding
  equally among them (largest remainder, higher scorers first for the leftover 元).
- Parallel teams: between `teams_min` and `teams_max`; a first tranche per team between `first_tranche_min` and
  `first_tranche_max`; a single team's first tranche at least `single_first_share_min` of its contract sum.
"""

from __future__ import annotations

from decimal import Decimal

from kechuang.engine.challenges.money import pct, split, wan

CONTINUE, ELIMINATE, MERGE = "continue", "eliminate", "merge"
DECISIONS = {CONTINUE: "继续攻关", ELIMINATE: "淘汰", MERGE: "并入其他团队"}


def review(teams: list[dict], params: dict) -> list[dict]:
    """Recommendations for teams [{application_id, name, reported, score (Decimal|None)}], in the given order."""
    pass_score = Decimal(str(params["pass_score"]))
    out = {}
    for t in teams:
        if not t.get("reported"):
            out[t["application_id"]] = (ELIMINATE, "未按期提交本里程碑报告")
        elif t.get("score") is None:
            out[t["application_id"]] = (None, "尚未评分")
        elif Decimal(t["score"]) < pass_score:
            out[t["application_id"]] = (ELIMINATE, f"考核得分 {Decimal(t['score']):f} 低于合格分 {pass_score:f}")
        else:
            out[t["application_id"]] = (CONTINUE, f"考核得分 {Decimal(t['score']):f}，达到合格分 {pass_score:f}")
    passing = [t for t in teams if out[t["application_id"]][0] == CONTINUE]
    limit = int(params["drop_lowest_above"])
    if len(passing) > limit:
        low = min(Decimal(t["score"]) for t in passing)
        lowest = [t for t in passing if Decimal(t["score"]) == low]
        if len(lowest) == 1:
            t = lowest[0]
            out[t["application_id"]] = (
                ELIMINATE,
                f"合格团队 {len(passing)} 支，多于 {limit} 支，得分 {low:f} 最低，建议淘汰以集中资金",
            )
        else:
            for t in lowest:
                out[t["application_id"]] = (CONTINUE, f"得分 {low:f} 与其他团队并列最低，由评审组决定去留")
    return [
        {
            "application_id": t["application_id"],
            "name": t.get("name", ""),
            "recommendation": out[t["application_id"]][0],
            "reason": out[t["application_id"]][1],
        }
        for t in teams
    ]


def concentrate(amount, teams: list[dict]) -> dict[int, Decimal]:
    """What is left (`amount`) split equally among the teams still racing [{application_id, score}]."""
    order = sorted(
        teams,
        key=lambda t: (-(Decimal(t["score"]) if t.get("score") is not None else Decimal(-1)), t["application_id"]),
    )
    parts = split(amount, [(str(t["application_id"]), 1) for t in order])
    return {int(k): v for k, v in parts.items()}


def first_tranche_problems(amounts: list, contract_sums: list, params: dict, race: bool) -> list[str]:
    """Whether the first tranches fit the rule (per team, in the order given)."""
    out = []
    if race:
        lo, hi = Decimal(str(params["first_tranche_min"])), Decimal(str(params["first_tranche_max"]))
        for i, a in enumerate(amounts, start=1):
            if not lo <= Decimal(a) <= hi:
                out.append(f"第 {i} 支团队的首期资金 {wan(a)} 不在 {wan(lo)}–{wan(hi)} 之间")
    else:
        share = Decimal(str(params["single_first_share_min"]))
        for a, total in zip(amounts, contract_sums, strict=True):
            need = (Decimal(total) * share).quantize(Decimal("0.0001"))
            if Decimal(a) < need:
                out.append(f"首期资金 {wan(a)} 低于合同经费的 {pct(share)}（{wan(need)}）")
    return out
