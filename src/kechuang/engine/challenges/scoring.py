"""Expert scores: weighted criteria per reviewer, then the panel's score per application.

Policy:
- A reviewer scores every criterion from 0 to `score_max`; the reviewer's total is Σ weight × score (weights
  sum to 1, so the total is on the same scale). A sheet with a criterion missing or out of range is refused
  (`sheet_problems`), never half-counted.
- A panel's score is the mean of its reviewers' totals; when `trim_from` or more reviewers scored, one highest
  and one lowest total are dropped first (on a tie, the reviewer listed first is the one dropped, and the two
  dropped are always two different reviewers). Fewer than `min_panel` complete sheets: the score is unknown.
- Scores are exact: weights and scores become integers (×10⁴ and ×10²) in Polars, the mean is a Decimal rounded
  half-up to two places. An application `passes` when its score is at least `pass_score`.
- Every application's result lists each reviewer's total and whether it was dropped, so applicants can be
  shown their scores and comments and see how the panel's score was made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

TWO = Decimal("0.01")
W_SCALE, S_SCALE = 10_000, 100


def sheet_problems(sheet: dict, criteria: list[dict], score_max) -> list[str]:
    """What is wrong with one reviewer's scores ({criterion code: score}), in Chinese."""
    out = []
    top = Decimal(str(score_max))
    for c in criteria:
        value = sheet.get(c["code"])
        if value is None or value == "":
            out.append(f"请为“{c['label']}”打分")
            continue
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            out.append(f"“{c['label']}”的得分应为数字，现为“{value}”")
            continue
        if not number.is_finite() or not 0 <= number <= top:
            out.append(f"“{c['label']}”的得分应在 0 到 {top:f} 之间，现为 {value}")
        elif number != number.quantize(TWO):
            out.append(f"“{c['label']}”的得分最多两位小数")
    unknown = set(sheet) - {c["code"] for c in criteria}
    if unknown:
        out.append(f"不认识的评审指标：{'、'.join(sorted(unknown))}")
    return out


def reviewer_total(sheet: dict, criteria: list[dict]) -> Decimal:
    """One complete sheet's weighted total (Decimal, two places)."""
    total = sum(Decimal(str(c["weight"])) * Decimal(str(sheet[c["code"]])) for c in criteria)
    return Decimal(total).quantize(TWO, ROUND_HALF_UP)


@dataclass
class Result:
    application_id: int
    score: Decimal | None
    passed: bool | None
    rank: int | None
    reviewers: list[dict] = field(default_factory=list)  # {reviewer_id, total, dropped: highest|lowest|None}
    explanation: str = ""

    def as_dict(self) -> dict:
        return {
            "score": None if self.score is None else str(self.score),
            "passed": self.passed,
            "rank": self.rank,
            "reviewers": [{**r, "total": str(r["total"])} for r in self.reviewers],
            "explanation": self.explanation,
        }


def aggregate(scores: pl.DataFrame, criteria: list[dict], params: dict) -> dict[int, Result]:
    """Panel scores per application from sheets (application_id, reviewer_id, criterion, score)."""
    weights = pl.DataFrame(
        {"criterion": [c["code"] for c in criteria], "w": [int(Decimal(str(c["weight"])) * W_SCALE) for c in criteria]},
        schema={"criterion": pl.Utf8, "w": pl.Int64},
    )
    n_criteria = len(criteria)
    per_reviewer = (
        scores.join(weights, on="criterion", how="inner")
        .with_columns((pl.col("score").cast(pl.Float64) * S_SCALE).round(0).cast(pl.Int64).alias("s"))
        .group_by("application_id", "reviewer_id")
        .agg((pl.col("w") * pl.col("s")).sum().alias("units"), pl.len().alias("n"))
        .filter(pl.col("n") == n_criteria)
        .sort("application_id", "reviewer_id")
    )
    trim_from, min_panel = int(params["trim_from"]), int(params["min_panel"])
    pass_score = Decimal(str(params["pass_score"]))
    results: dict[int, Result] = {}
    apps = scores["application_id"].unique().sort().to_list()
    for app_id in apps:
        rows = per_reviewer.filter(pl.col("application_id") == app_id).select("reviewer_id", "units").rows()
        results[app_id] = _panel(app_id, rows, trim_from, min_panel, pass_score)
    ranked = sorted((r for r in results.values() if r.score is not None), key=lambda r: -r.score)
    for r in ranked:
        r.rank = 1 + sum(1 for o in ranked if o.score > r.score)
    return results


def _total(units: int) -> Decimal:
    return (Decimal(units) / (W_SCALE * S_SCALE)).quantize(TWO, ROUND_HALF_UP)


def _panel(app_id: int, rows: list[tuple[int, int]], trim_from: int, min_panel: int, pass_score: Decimal) -> Result:
    reviewers = [{"reviewer_id": rid, "total": _total(units), "units": units, "dropped": None} for rid, units in rows]
    n = len(reviewers)
    if n < min_panel:
        for r in reviewers:
            r.pop("units")
        return Result(
            app_id, None, None, None, reviewers, f"完成评分的专家 {n} 名，少于有效评审所需的 {min_panel} 名，暂不能定分"
        )
    kept = reviewers
    if n >= trim_from:
        high = max(reviewers, key=lambda r: (r["units"], -r["reviewer_id"]))
        low = min((r for r in reviewers if r is not high), key=lambda r: (r["units"], r["reviewer_id"]))
        high["dropped"], low["dropped"] = "highest", "lowest"
        kept = [r for r in reviewers if r["dropped"] is None]
    mean = (Decimal(sum(r["units"] for r in kept)) / (len(kept) * W_SCALE * S_SCALE)).quantize(TWO, ROUND_HALF_UP)
    for r in reviewers:
        r.pop("units")
    if n >= trim_from:
        dropped = {r["dropped"]: r["total"] for r in reviewers if r["dropped"]}
        how = (
            f"{n} 名专家评分，去掉一个最高分 {dropped['highest']:f} 和一个最低分 {dropped['lowest']:f}，"
            f"其余 {len(kept)} 名平均 {mean:f} 分"
        )
    else:
        how = f"{n} 名专家评分（不足 {trim_from} 名，不去最高最低分），平均 {mean:f} 分"
    passed = mean >= pass_score
    how += f"；{'达到' if passed else '低于'}入围分 {pass_score:f}"
    return Result(app_id, mean, passed, None, reviewers, how)
