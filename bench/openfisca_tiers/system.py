"""OpenFisca tax-benefit system for the two benchmark rule sets (see package docstring).

Inputs are flat arrays per enterprise for fiscal year 2024 (earlier years as `*_prev1`, `*_prev2`), the
as-of date is 2025-06-01. Band tables and thresholds come from the shipped YAML so both sides use the
same numbers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from kechuang.engine.derive import MONEY_DECIMALS, RATIO_DECIMALS, ip_classes
from kechuang.engine.tiers.model import select_rulesets

AS_OF = dt.date(2025, 6, 1)
FISCAL_YEAR = 2024

FLOAT_INPUTS = [
    "staff_total",
    "tech_staff",
    "revenue",
    "revenue_prev1",
    "revenue_prev2",
    "rd_expense",
    "rd_expense_prev1",
    "rd_expense_prev2",
    "rd_expense_domestic",
    "rd_expense_domestic_prev1",
    "rd_expense_domestic_prev2",
    "total_cost_expense",
    "total_assets",
    "hightech_revenue",
]
INT_INPUTS = [
    "invention_patents",
    "plant_varieties",
    "new_drugs",
    "tcm_protected",
    "ic_layouts",
    "utility_models",
    "design_patents",
    "software_copyrights",
    "registered_year",
    "registered_ordinal",
]
BOOL_INPUTS = [
    "restricted_products",
    "major_accident",
    "env_violation",
    "research_misconduct",
    "abnormal_listed",
    "dishonest_listed",
    "hte_certified",
    "national_award_5y_top3",
    "led_standard_5y",
    "rd_institution_provincial_plus",
    "industry_negative",
    "field_known",
]


def _params():
    tech, hte = select_rulesets(AS_OF, ["tech_sme", "high_tech"])
    p_tech = tech.params(AS_OF).as_dict()
    p_hte = hte.params(AS_OF).as_dict()
    return p_tech, p_hte


P_TECH, P_HTE = _params()
CLASSES = ip_classes(AS_OF)


def _bands(value: np.ndarray, rows: list[dict]) -> np.ndarray:
    """First matching row of a `min` band table (all tables used here are `min` tables)."""
    conditions = [value >= row["min"] for row in rows if "min" in row]
    points = [float(row["points"]) for row in rows if "min" in row]
    fallback = float(next(row["points"] for row in rows if "min" not in row))
    return np.select(conditions, points, default=fallback)


def _safe_div(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rounded like the engine's ratios, so a value exactly on a threshold is not below it."""
    ok = den != 0
    return np.round(np.divide(num, den, out=np.zeros_like(num, dtype=float), where=ok), RATIO_DECIMALS), ok


def _class_sum(names):
    return lambda get: sum(get(n) for n in names)


def _tech_staff_points(get):
    ratio, ok = _safe_div(get("tech_staff"), get("staff_total"))
    return np.where(ok, _bands(ratio, P_TECH["tech_staff_bands"]), 0.0)


def _rd_points(get):
    by_revenue, ok_rev = _safe_div(get("rd_expense"), get("revenue"))
    by_cost, ok_cost = _safe_div(get("rd_expense"), get("total_cost_expense"))
    a = np.where(ok_rev, _bands(by_revenue, P_TECH["rd_revenue_bands"]), 0.0)
    b = np.where(ok_cost, _bands(by_cost, P_TECH["rd_cost_bands"]), 0.0)
    return np.maximum(a, b)


def _achievement_points(get):
    return np.maximum(
        _bands(get("class1_ip").astype(float), P_TECH["class1_bands"]),
        _bands(get("class2_ip").astype(float), P_TECH["class2_bands"]),
    )


def _tech_sme_qualified(get):
    size = (
        (get("staff_total") <= P_TECH["staff_max"])
        & (get("revenue") <= P_TECH["revenue_max"])
        & (get("total_assets") <= P_TECH["assets_max"])
    )
    compliance = ~(
        get("major_accident")
        | get("env_violation")
        | get("research_misconduct")
        | get("abnormal_listed")
        | get("dishonest_listed")
    )
    # 2017 第六条（三）: products of the 禁止/限制/淘汰类; the super-deduction list only when a bureau enables it
    industry = ~get("restricted_products") & ~(P_TECH["negative_list_enabled"] & get("industry_negative"))
    base = size & industry & compliance
    by_score = (get("tech_sme_score") >= P_TECH["pass_score"]) & (get("tech_sme_tech_staff_points") > 0)
    direct = (
        get("hte_certified")
        | get("national_award_5y_top3")
        | get("rd_institution_provincial_plus")
        | get("led_standard_5y")
    )
    return base & (by_score | direct)


def _window(get):
    return np.minimum(FISCAL_YEAR - get("registered_year") + 1, 3)


def _window_sum(get, name):
    n = _window(get)
    total = get(name) + np.where(n > 1, get(f"{name}_prev1"), 0.0) + np.where(n > 2, get(f"{name}_prev2"), 0.0)
    return np.round(total, MONEY_DECIMALS)


def _rd_ratio_3y_ok(get):
    ratio, ok = _safe_div(_window_sum(get, "rd_expense"), _window_sum(get, "revenue"))
    revenue = get("revenue")
    required = np.where(
        revenue <= P_HTE["rd_revenue_small_max"],
        P_HTE["rd_ratio_small"],
        np.where(revenue <= P_HTE["rd_revenue_mid_max"], P_HTE["rd_ratio_mid"], P_HTE["rd_ratio_large"]),
    )
    return ok & (ratio >= required)


def _domestic_ok(get):
    share, ok = _safe_div(_window_sum(get, "rd_expense_domestic"), _window_sum(get, "rd_expense"))
    return ok & (share >= P_HTE["rd_domestic_share_min"])


def _ratio_ok(num, den, threshold):
    def fn(get):
        ratio, ok = _safe_div(get(num), get(den))
        return ok & (ratio >= threshold)

    return fn


# One year after registration: registered on or before the as-of date minus one year.
_ONE_YEAR_BEFORE = AS_OF.replace(year=AS_OF.year - 1).toordinal()

FORMULAS = [
    ("class1_ip", int, _class_sum(CLASSES["class1"])),
    ("class2_ip", int, _class_sum(CLASSES["class2"])),
    ("tech_sme_tech_staff_points", float, _tech_staff_points),
    ("tech_sme_rd_points", float, _rd_points),
    ("tech_sme_achievement_points", float, _achievement_points),
    (
        "tech_sme_score",
        float,
        lambda get: get("tech_sme_tech_staff_points") + get("tech_sme_rd_points") + get("tech_sme_achievement_points"),
    ),
    ("tech_sme_qualified", bool, _tech_sme_qualified),
    ("hte_age_1y", bool, lambda get: get("registered_ordinal") <= _ONE_YEAR_BEFORE),
    ("hte_ip_core", bool, lambda get: (get("class1_ip") >= 1) | (get("class2_ip") >= 1)),
    ("hte_field", bool, lambda get: get("field_known")),
    ("hte_tech_staff_ratio", bool, _ratio_ok("tech_staff", "staff_total", P_HTE["tech_staff_ratio_min"])),
    ("hte_rd_ratio_3y", bool, _rd_ratio_3y_ok),
    ("hte_rd_domestic_share", bool, _domestic_ok),
    (
        "hte_hightech_revenue_share",
        bool,
        _ratio_ok("hightech_revenue", "revenue", P_HTE["hightech_revenue_share_min"]),
    ),
    ("hte_compliance", bool, lambda get: ~(get("major_accident") | get("env_violation"))),
]
HTE_CONDITIONS = [
    "age_1y",
    "ip_core",
    "field",
    "tech_staff_ratio",
    "rd_ratio_3y",
    "rd_domestic_share",
    "hightech_revenue_share",
    "compliance",
]
FORMULAS.append(
    ("hte_objective_pass", bool, lambda get: np.logical_and.reduce([get(f"hte_{c}") for c in HTE_CONDITIONS]))
)


def build_system():
    """The OpenFisca system (openfisca-core is imported here only: the NumPy floor and the Polars plan run
    without it)."""
    from openfisca_core.entities import build_entity
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    enterprise = build_entity(key="enterprise", plural="enterprises", label="企业", is_person=True)
    common = {"entity": enterprise, "definition_period": DateUnit.YEAR}

    def variable(name: str, value_type, fn=None) -> type:
        body = {"value_type": value_type, "label": name, **common}
        if fn is not None:
            body["formula"] = lambda entity, period, parameters: fn(lambda var: entity(var, period))
        return type(name, (Variable,), body)

    system = TaxBenefitSystem([enterprise])
    variables = [variable(n, float) for n in FLOAT_INPUTS] + [variable(n, int) for n in INT_INPUTS]
    variables += [variable(n, bool) for n in BOOL_INPUTS]
    variables += [variable(n, t, fn) for n, t, fn in FORMULAS]
    system.add_variables(*variables)
    # OpenFisca stores float variables as float32 by default; money at exact decimal boundaries (R&D
    # 89.6892 of revenue 4484.46 = 2%) then lands on the wrong side. Use float64 like the engine.
    for v in system.variables.values():
        if v.value_type is float:
            v.dtype = np.float64
    return system


def evaluate_plain(inputs: dict[str, np.ndarray], outputs: list[str]) -> dict[str, np.ndarray]:
    """The same formulas called directly on the input arrays, without OpenFisca (each computed once).

    Not a competitor: a floor. It is the bare vectorised arithmetic these two rule sets need, so the bench can
    show how much of OpenFisca's time is that arithmetic and how fast any vectorised engine could possibly be.
    """
    formulas = {name: fn for name, _, fn in FORMULAS}
    values = dict(inputs)

    def get(name: str) -> np.ndarray:
        if name not in values:
            values[name] = formulas[name](get)
        return values[name]

    return {name: get(name) for name in outputs}
