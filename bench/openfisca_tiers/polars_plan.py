"""The same two rule sets (科小 score and qualified, 高企 objective conditions) hand-written as one Polars plan
from the facts panel: no rule language, no unknowns, no reasons — what a programmer would write for these two
rule sets alone. A reference for the engine, like the plain NumPy floor (system.evaluate_plain), and checked
against OpenFisca's results the same way.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from kechuang.engine.derive import MONEY_DECIMALS, RATIO_DECIMALS
from openfisca_tiers.inputs import LAGGED, _side_by_side
from openfisca_tiers.system import AS_OF, CLASSES, FISCAL_YEAR, HTE_CONDITIONS, P_HTE, P_TECH

c = pl.col


def _ratio(num: pl.Expr, den: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    ok = den != 0
    return pl.when(ok).then((num / den).round(RATIO_DECIMALS)).otherwise(0.0), ok


def _bands(value: pl.Expr, rows: list[dict]) -> pl.Expr:
    """First matching row of a `min` band table."""
    fallback = float(next(row["points"] for row in rows if "min" not in row))
    out = pl.lit(fallback)
    for row in reversed([row for row in rows if "min" in row]):
        out = pl.when(value >= row["min"]).then(float(row["points"])).otherwise(out)
    return out


def _window_sum(name: str, n: pl.Expr) -> pl.Expr:
    total = c(name) + pl.when(n > 1).then(c(f"{name}_prev1")).otherwise(0.0)
    return (total + pl.when(n > 2).then(c(f"{name}_prev2")).otherwise(0.0)).round(MONEY_DECIMALS)


def _at_least(num: pl.Expr, den: pl.Expr, threshold) -> pl.Expr:
    ratio, ok = _ratio(num, den)
    return ok & (ratio >= threshold)


def plan(panel: pl.DataFrame) -> pl.LazyFrame:
    year = panel.filter(c("year") == FISCAL_YEAR)
    for k in (1, 2):  # earlier years side by side, as the OpenFisca inputs and the engine place them
        earlier = panel.filter(c("year") == FISCAL_YEAR - k)
        year = _side_by_side(year, earlier.select("uscc", *[c(n).alias(f"{n}_prev{k}") for n in LAGGED]))
    year = year.lazy()
    class1 = pl.sum_horizontal([c(n) for n in CLASSES["class1"]])
    class2 = pl.sum_horizontal([c(n) for n in CLASSES["class2"]])
    staff_ratio, staff_ok = _ratio(c("tech_staff"), c("staff_total"))
    by_revenue, revenue_ok = _ratio(c("rd_expense"), c("revenue"))
    by_cost, cost_ok = _ratio(c("rd_expense"), c("total_cost_expense"))
    staff_points = pl.when(staff_ok).then(_bands(staff_ratio, P_TECH["tech_staff_bands"])).otherwise(0.0)
    rd_points = pl.max_horizontal(
        pl.when(revenue_ok).then(_bands(by_revenue, P_TECH["rd_revenue_bands"])).otherwise(0.0),
        pl.when(cost_ok).then(_bands(by_cost, P_TECH["rd_cost_bands"])).otherwise(0.0),
    )
    achievements = pl.max_horizontal(
        _bands(class1.cast(pl.Float64), P_TECH["class1_bands"]),
        _bands(class2.cast(pl.Float64), P_TECH["class2_bands"]),
    )
    score = staff_points + rd_points + achievements
    size = (
        (c("staff_total") <= P_TECH["staff_max"])
        & (c("revenue") <= P_TECH["revenue_max"])
        & (c("total_assets") <= P_TECH["assets_max"])
    )
    flags = ["major_accident", "env_violation", "research_misconduct", "abnormal_listed", "dishonest_listed"]
    compliance = ~pl.any_horizontal([c(f) for f in flags])
    negative = pl.any_horizontal([c("industry_code").str.starts_with(p) for p in P_TECH["negative_industry_prefixes"]])
    industry = ~c("restricted_products") & ~(pl.lit(bool(P_TECH["negative_list_enabled"])) & negative)
    direct = (
        c("hte_certified")
        | c("national_award_5y_top3")
        | c("rd_institution_level").is_in(["provincial", "national"])
        | c("led_standard_5y")
    )
    qualified = size & industry & compliance & (((score >= P_TECH["pass_score"]) & (staff_points > 0)) | direct)
    n = (FISCAL_YEAR - c("registered_on").dt.year() + 1).clip(upper_bound=3)
    revenue = c("revenue")
    required = (
        pl.when(revenue <= P_HTE["rd_revenue_small_max"])
        .then(P_HTE["rd_ratio_small"])
        .when(revenue <= P_HTE["rd_revenue_mid_max"])
        .then(P_HTE["rd_ratio_mid"])
        .otherwise(P_HTE["rd_ratio_large"])
    )
    rd_3y, rd_3y_ok = _ratio(_window_sum("rd_expense", n), _window_sum("revenue", n))
    conditions = {
        "age_1y": c("registered_on") <= AS_OF.replace(year=AS_OF.year - 1),
        "ip_core": (class1 >= 1) | (class2 >= 1),
        "field": c("hightech_field").is_in(P_HTE["hightech_fields"]).fill_null(False),
        "tech_staff_ratio": _at_least(c("tech_staff"), c("staff_total"), P_HTE["tech_staff_ratio_min"]),
        "rd_ratio_3y": rd_3y_ok & (rd_3y >= required),
        "rd_domestic_share": _at_least(
            _window_sum("rd_expense_domestic", n), _window_sum("rd_expense", n), P_HTE["rd_domestic_share_min"]
        ),
        "hightech_revenue_share": _at_least(c("hightech_revenue"), revenue, P_HTE["hightech_revenue_share_min"]),
        "compliance": ~(c("major_accident") | c("env_violation")),
    }
    return year.select(
        "uscc",
        score.alias("tech_sme_score"),
        qualified.alias("tech_sme_qualified"),
        *[e.alias(f"hte_{name}") for name, e in conditions.items()],
    ).with_columns(pl.all_horizontal([f"hte_{name}" for name in HTE_CONDITIONS]).alias("hte_objective_pass"))


def evaluate(panel: pl.DataFrame) -> pl.DataFrame:
    return plan(panel).collect()


def as_arrays(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """Named like OpenFisca's outputs (conditions without their `hte_` prefix), for the comparison."""
    return {
        name.removeprefix("hte_") if name[4:] in HTE_CONDITIONS else name: frame[name].to_numpy()
        for name in frame.columns[1:]
    }
