"""Indicative credit lines of a points-based loan (创新积分贷), from a dated rule (YAML).

Policy:
- amount = min(max_amount, revenue basis, points-band cap) for an eligible firm, 0 for an ineligible
  one, unknown when eligibility or the basis is unknown. Money in 万元, rounded to 4 decimals.
- Revenue basis: the average revenue of the last `average_years` fiscal years (fiscal `year` and the
  ones before it); a firm younger than that (age < average_years at as-of) uses last year's revenue.
  A firm old enough but with a year missing has an unknown basis (unknown is not zero).
- Eligibility is three-valued (Kleene AND): a qualifying tier (any eligible tier qualified = true; all
  known false = false; otherwise unknown), operating age ≥ min_operating_years (以上 includes the
  boundary), points ≥ min_points when the rule sets one.
- The explanation is a Chinese sentence per firm, built with Polars string expressions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml

from kechuang.engine.labels import TIER_NAMES
from kechuang.engine.points.fmt import number_text
from kechuang.engine.points.scheme import SchemeError
from kechuang.engine.rounding import half_up

TIER_LABELS = TIER_NAMES


@dataclass(frozen=True)
class CreditRule:
    id: str
    name: str
    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    source: str
    verification: str
    max_amount: float
    average_years: int
    eligible_tiers: tuple[str, ...]
    min_operating_years: float | None
    min_points: float | None
    points_bands: tuple[tuple[float, float], ...]  # (min points, cap), highest min first
    terms_note: str

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


def credit_rule_from_dict(data: dict) -> CreditRule:
    errors: list[str] = []

    def num(key: str, allow_none: bool = False) -> float | None:
        v = data.get(key)
        if v is None and allow_none:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            errors.append(f"{key} 应为非负数字，现为“{v}”")
            return None
        return float(v)

    max_amount = num("max_amount")
    cap = data.get("revenue_cap") or {}
    years = cap.get("average_years", 2)
    if not isinstance(years, int) or years < 1:
        errors.append(f"revenue_cap.average_years 应为正整数，现为“{years}”")
    tiers = data.get("eligible_tiers") or []
    if not tiers:
        errors.append("eligible_tiers 至少列出一个资质")
    for t in tiers:
        if t not in TIER_LABELS:
            errors.append(f"eligible_tiers 中的资质 {t} 未定义（可选：{'、'.join(TIER_LABELS)}）")
    bands = []
    for b in data.get("points_bands") or []:
        try:
            bands.append((float(b["min"]), float(b["cap"])))
        except (KeyError, TypeError, ValueError):
            errors.append(f"points_bands 每档应为 {{min: 积分下限, cap: 额度上限}}，现为“{b}”")
    bands.sort(key=lambda x: -x[0])
    eff = data.get("effective_from")
    if not isinstance(eff, dt.date):
        errors.append("缺少生效日期 effective_from（YYYY-MM-DD）")
    if errors:
        raise SchemeError(errors, where=f" {data.get('id', '')} ")
    return CreditRule(
        id=str(data["id"]),
        name=str(data.get("name") or data["id"]),
        version=str(data.get("version") or eff.isoformat()),
        effective_from=eff,
        effective_to=data.get("effective_to"),
        source=str(data.get("source") or ""),
        verification=str(data.get("verification") or "U"),
        max_amount=max_amount,
        average_years=years,
        eligible_tiers=tuple(tiers),
        min_operating_years=num("min_operating_years", allow_none=True),
        min_points=num("min_points", allow_none=True),
        points_bands=tuple(bands),
        terms_note=str(data.get("terms_note") or ""),
    )


def load_credit_rule(path: str | Path) -> CreditRule:
    return credit_rule_from_dict(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def _tier_status(tiers: pl.DataFrame, rule: CreditRule) -> pl.DataFrame:
    """Per uscc: tier_ok (Kleene OR over the eligible tiers) and the qualifying tiers' labels."""
    q = pl.col("qualified")
    if tiers.schema["qualified"] != pl.Boolean:
        text = q.cast(pl.Utf8).str.to_lowercase()
        q = (
            pl.when(text.is_in(["true", "1", "是"]))
            .then(True)
            .when(text.is_in(["false", "0", "否"]))
            .then(False)
        )
    order = {t: i for i, t in enumerate(rule.eligible_tiers)}
    elig = tiers.filter(pl.col("tier").is_in(list(rule.eligible_tiers))).with_columns(
        q.alias("_q"),
        pl.col("tier").replace_strict(TIER_LABELS, default=None).alias("_label"),
        pl.col("tier").replace_strict(order, default=None).alias("_order"),
    )
    return elig.group_by("uscc").agg(
        pl.when(pl.col("_q").any())
        .then(True)
        .when(pl.col("_q").is_not_null().all())
        .then(False)
        .alias("tier_ok"),
        pl.col("_label")
        .sort_by("_order")
        .filter(pl.col("_q").sort_by("_order"))
        .str.join("、")
        .alias("qualifying_tiers"),
    )


def credit_lines(firms: pl.DataFrame, tiers: pl.DataFrame, rule: CreditRule) -> pl.DataFrame:
    """Indicative credit line per firm.

    firms: one row per uscc with `revenue`, `revenue_prev1`, … `revenue_prev{average_years-1}` and
      `age_years` (the output of `derive.derived_for_year`), and `points` when the rule uses points
      (join the `score_frame` output).
    tiers: (uscc, tier, qualified) with qualified true/false/unknown (bool or text).
    Returns uscc, eligible, tier_ok, age_ok, points_ok, qualifying_tiers, revenue_basis, basis_kind,
    amount, explanation.
    """
    n = rule.average_years
    cols = ["revenue"] + [f"revenue_prev{k}" for k in range(1, n)]
    frame = firms
    for c in [*cols, "age_years", "points"]:
        if c not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(c))
    frame = frame.join(_tier_status(tiers, rule), on="uscc", how="left")

    all_years = pl.all_horizontal([pl.col(c).is_not_null() for c in cols])
    average = pl.sum_horizontal([pl.col(c) for c in cols]) / n
    younger = pl.col("age_years") < n
    basis = pl.when(all_years).then(average).when(younger).then(pl.col("revenue"))
    basis_kind = (
        pl.when(all_years)
        .then(pl.lit("average"))
        .when(younger & pl.col("revenue").is_not_null())
        .then(pl.lit("last_year"))
    )
    age_ok = (
        pl.col("age_years") >= rule.min_operating_years
        if rule.min_operating_years is not None
        else pl.lit(True)
    )
    points_ok = pl.col("points") >= rule.min_points if rule.min_points is not None else pl.lit(True)
    frame = frame.with_columns(
        basis.alias("revenue_basis"),
        basis_kind.alias("basis_kind"),
        age_ok.alias("age_ok"),
        points_ok.alias("points_ok"),
    )
    eligible = pl.all_horizontal("tier_ok", "age_ok", "points_ok")  # Kleene AND: false wins over unknown
    band_cap = pl.lit(rule.max_amount)
    if rule.points_bands:
        chain = None
        for lo, cap in rule.points_bands:
            cond = pl.col("points") >= lo
            chain = pl.when(cond).then(pl.lit(cap)) if chain is None else chain.when(cond).then(pl.lit(cap))
        band_cap = pl.when(pl.col("points").is_not_null()).then(chain.otherwise(pl.lit(0.0)))
    amount = pl.min_horizontal(pl.lit(rule.max_amount), pl.col("revenue_basis").clip(lower_bound=0), band_cap)
    # min_horizontal skips nulls: an unknown basis must keep the amount unknown.
    amount = pl.when(pl.col("revenue_basis").is_null() | band_cap.is_null()).then(None).otherwise(amount)
    frame = frame.with_columns(eligible.alias("eligible"))
    frame = frame.with_columns(
        pl.when(~pl.col("eligible")).then(0.0).when(pl.col("eligible")).then(half_up(amount, 4)).alias("amount")
    )
    return frame.with_columns(_explanation(rule)).select(
        "uscc",
        "eligible",
        "tier_ok",
        "age_ok",
        "points_ok",
        "qualifying_tiers",
        "revenue_basis",
        "basis_kind",
        "amount",
        "explanation",
    )


def _explanation(rule: CreditRule) -> pl.Expr:
    tiers_zh = "、".join(TIER_LABELS[t] for t in rule.eligible_tiers)
    money = lambda e: number_text(e, 4) + pl.lit(" 万元")  # noqa: E731
    basis_text = pl.when(pl.col("basis_kind") == "average").then(
        pl.lit(f"近 {rule.average_years} 年平均营业收入 ")
    ).otherwise(pl.lit("上一年度营业收入（成立不满 " + str(rule.average_years) + " 年）")) + money(
        pl.col("revenue_basis")
    )
    reasons_no = pl.concat_str(
        [
            pl.when(~pl.col("tier_ok")).then(pl.lit(f"不具备{tiers_zh}任一资质")),
            pl.when(~pl.col("age_ok")).then(pl.lit(f"经营不满 {rule.min_operating_years:g} 年")),
            pl.when(~pl.col("points_ok")).then(pl.lit(f"积分低于 {rule.min_points or 0:g} 分")),
        ],
        separator="；",
        ignore_nulls=True,
    )
    reasons_unknown = pl.concat_str(
        [
            pl.when(pl.col("tier_ok").is_null()).then(pl.lit("资质认定结果未知")),
            pl.when(pl.col("age_ok").is_null()).then(pl.lit("成立日期未知")),
            pl.when(pl.col("points_ok").is_null()).then(pl.lit("积分未知")),
            pl.when(pl.col("revenue_basis").is_null()).then(pl.lit("营业收入数据不全")),
        ],
        separator="；",
        ignore_nulls=True,
    )
    yes = (
        pl.lit("指示性额度 ")
        + money(pl.col("amount"))
        + pl.lit(f"：取单户上限 {rule.max_amount:g} 万元与")
        + basis_text
        + pl.lit(" 的较小者；资质：")
        + pl.col("qualifying_tiers").fill_null("")
        + pl.lit("。" + rule.terms_note)
    )
    return (
        pl.when(~pl.col("eligible"))
        .then(pl.lit("不符合条件：") + reasons_no)
        .when(pl.col("amount").is_null())
        .then(pl.lit("无法测算：") + reasons_unknown)
        .otherwise(yes)
    ).alias("explanation")
