"""Database → finance-engine frames: firms for the product finder, products with their terms in force, loans
for the figures, and the loan-derived inputs the finance policies decide on.

Policy:
- A firm is read as the tiers and policies read it: the facts panel with residency (`policies.loaders.panel`),
  derived for the last fiscal year (as-of year − 1), with the latest tier run's results and the latest points
  run's points. Nothing is fetched per firm: one query per kind of data, for any number of firms.
- A product's terms are its rule document in force on the date with the bureau's parameter versions
  (`rules.selectors.params`); the LPR and the programme rule likewise.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.utils import timezone

from kechuang.engine import derive
from kechuang.engine.finance import loans as loan_engine
from kechuang.engine.finance import pool as pool_engine
from kechuang.engine.finance.products import Product, points_band_expr, prepare
from kechuang.engine.finance.rules import MARKET_RULE, PROGRAMME_RULE
from kechuang.points.models import PointsResult
from kechuang.points.selectors import latest_run as latest_points_run
from kechuang.rules import selectors as rule_selectors
from kechuang.tiers import selectors as tier_selectors
from kechuang.tiers.models import TierResult

from .models import Loan, LoanProduct, PoolEntry, RiskPool

# The annual figures a consented bank sees (a firm's "figures" scope), in the order shown.
FIGURE_COLUMNS = (
    "revenue",
    "net_profit",
    "total_assets",
    "total_liabilities",
    "rd_expense",
    "staff_total",
    "tech_staff",
    "equity_financing",
    "invention_patents",
    "utility_models",
)
# Highest first: the tier a loan is counted under in the figures.
TIER_ORDER = (
    "little_giant",
    "unicorn",
    "potential_unicorn",
    "specialized_sme",
    "gazelle",
    "potential_gazelle",
    "innovative_sme",
    "high_tech",
    "tech_sme",
)


def programme(as_of: dt.date):
    return rule_selectors.params("finance_programme", PROGRAMME_RULE, as_of)


def lpr(as_of: dt.date):
    return rule_selectors.params("finance_market", MARKET_RULE, as_of)


def product_terms(product: LoanProduct, as_of: dt.date) -> Product:
    doc = rule_selectors.rule_in_force("loan_product", product.rule_id, as_of)
    return Product(product.code, doc, rule_selectors.params("loan_product", product.rule_id, as_of))


def rule_terms(rule_id: str, as_of: dt.date, key: str | None = None) -> Product:
    doc = rule_selectors.rule_in_force("loan_product", rule_id, as_of)
    return Product(key or rule_id, doc, rule_selectors.params("loan_product", rule_id, as_of))


def tiers(enterprises) -> pl.DataFrame:
    """(uscc, tier, qualified) of the latest tier run for `enterprises` (a queryset)."""
    schema = {"uscc": pl.Utf8, "tier": pl.Utf8, "qualified": pl.Utf8}
    run = tier_selectors.latest_run()
    if run is None:
        return pl.DataFrame(schema=schema)
    rows = TierResult.objects.filter(run=run, enterprise__in=enterprises).values_list(
        "enterprise__uscc", "tier", "qualified"
    )
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def points(enterprises) -> pl.DataFrame:
    """(uscc, points) of the latest scoring run for `enterprises`."""
    schema = {"uscc": pl.Utf8, "points": pl.Float64}
    run = latest_points_run()
    if run is None:
        return pl.DataFrame(schema=schema)
    rows = PointsResult.objects.filter(run=run, enterprise__in=enterprises).values_list("enterprise__uscc", "points")
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def firm_frame(enterprises, as_of: dt.date) -> pl.DataFrame:
    """One prepared row per firm (derived values of the last fiscal year, points, stage, `tier.<id>`)."""
    from kechuang.policies.loaders import panel

    year = as_of.year - 1
    facts = panel(as_of, enterprises)
    derived = derive.derived_for_year(facts, year, as_of) if facts.height else pl.DataFrame(schema={"uscc": pl.Utf8})
    frame = derived.join(points(enterprises), on="uscc", how="left") if derived.height else derived
    if "points" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("points"))
    return prepare(frame, tiers(enterprises), programme(as_of)["lifecycle"])


def top_tier(frame: pl.DataFrame) -> pl.Expr:
    """The highest tier a prepared firm row qualifies for (code), or null."""
    present = [t for t in TIER_ORDER if f"tier.{t}" in frame.columns]
    if not present:
        return pl.lit(None, pl.Utf8)
    out = None
    for t in present:
        test = pl.col(f"tier.{t}").fill_null(False)
        out = (pl.when(test) if out is None else out.when(test)).then(pl.lit(t))
    return out.otherwise(pl.lit(None, pl.Utf8))


def snapshot(enterprises, as_of: dt.date) -> dict[str, dict]:
    """uscc → {points, stage, tier}: what a loan or an application records of the firm when it happens."""
    frame = firm_frame(enterprises, as_of)
    if frame.is_empty():
        return {}
    rows = frame.select("uscc", "points", "stage", top_tier(frame).alias("tier")).iter_rows(named=True)
    return {r["uscc"]: r for r in rows}


def loans_frame(qs) -> pl.DataFrame:
    """Loans (a queryset) with the figures' dimensions: bank, product, kind, stage, tier, points band."""
    from kechuang.engine.finance.rules import PRODUCT_KINDS

    fields = (
        "pk",
        "enterprise__uscc",
        "bank__name",
        "product__name",
        "product__rule_id",
        "amount",
        "rate",
        "disbursed_on",
        "maturity_on",
        "status",
        "closed_on",
        "defaulted_on",
        "defaulted_principal",
        "guaranteed",
        "guarantee_fee",
        "points",
        "stage",
        "tier",
        "enterprise__region_id",
    )
    rows = list(qs.values_list(*fields))
    kinds = {}
    for rule_id in {r[4] for r in rows if r[4]}:
        try:
            kinds[rule_id] = rule_selectors.rule_in_force("loan_product", rule_id, timezone.localdate()).product_kind
        except Exception:  # a product whose rule no longer loads is counted under 未知
            kinds[rule_id] = None
    data = [
        {
            "loan_id": r[0],
            "uscc": r[1],
            "bank": r[2],
            "product": r[3] or "（非平台产品）",
            "kind": PRODUCT_KINDS.get(kinds.get(r[4]), "未知"),
            "amount": float(r[5]),
            "rate": float(r[6]),
            "disbursed_on": r[7],
            "maturity_on": r[8],
            "status": r[9],
            "closed_on": r[10],
            "defaulted_on": r[11],
            "defaulted_principal": float(r[12]) if r[12] is not None else None,
            "guaranteed": r[13],
            "guarantee_fee": float(r[14]) if r[14] is not None else None,
            "points": r[15],
            "stage": r[16] or None,
            "tier": r[17] or None,
            "region_code": r[18],
        }
        for r in rows
    ]
    schema = {
        **loan_engine.LOAN_SCHEMA,
        "points": pl.Float64,
        "stage": pl.Utf8,
        "tier": pl.Utf8,
        "region_code": pl.Utf8,
    }
    frame = pl.DataFrame(data, schema=schema, orient="row") if data else pl.DataFrame(schema=schema)
    bands = programme(timezone.localdate())["points_bands"]
    return frame.with_columns(points_band_expr(bands).alias("points_band"))


# ---------------------------------------------------------------------------------------------- policies


def policy_inputs(years: list[int], as_of: dt.date, usccs: list[str] | None = None) -> pl.DataFrame:
    """(uscc, year, …): the loan-derived inputs of the finance policies (a POLICY_FACT_PROVIDERS entry).

    loan_interest_paid, loan_amount, guarantee_fee_paid from the loan records (engine.finance.loans), and
    risk_compensation_due: the pool's claims for loans defaulted in the year (the amounts its rule covered).
    """
    loans = Loan.objects.all() if usccs is None else Loan.objects.filter(enterprise__uscc__in=usccs)
    frame = loan_engine.year_inputs(loans_frame(loans), years, as_of)
    frame = frame.drop("defaulted_principal")
    claims = PoolEntry.objects.filter(kind=PoolEntry.Kind.CLAIM, loan__defaulted_on__year__in=years)
    if usccs is not None:
        claims = claims.filter(loan__enterprise__uscc__in=usccs)
    claims = list(claims.values_list("loan__enterprise__uscc", "loan__defaulted_on", "amount"))
    due = pl.DataFrame(
        [(u, d.year, float(a)) for u, d, a in claims],
        schema={"uscc": pl.Utf8, "year": pl.Int64, "risk_compensation_due": pl.Float64},
        orient="row",
    )
    due = due.group_by("uscc", "year").agg(pl.col("risk_compensation_due").sum().round(4))
    return frame.join(due, on=["uscc", "year"], how="full", coalesce=True)


def pool_position(pool: RiskPool, as_of: dt.date) -> dict:
    """Money in, covered, recovered and what is left of the pool under its rule in force on `as_of`."""
    from django.db.models import Sum

    rule = rule_selectors.params("risk_pool", pool.rule_id, as_of)
    sums = {k: v or 0 for k, v in pool.entries.values_list("kind").annotate(s=Sum("amount")).values_list("kind", "s")}
    contributions = sums.get(PoolEntry.Kind.CONTRIBUTION, 0)
    covered = sums.get(PoolEntry.Kind.CLAIM, 0)
    recovered = sums.get(PoolEntry.Kind.RECOVERY, 0)
    left = pool_engine.available(rule["pool_cap"], contributions, covered, recovered)
    return {"rule": rule, "contributions": contributions, "covered": covered, "recovered": recovered, "available": left}
