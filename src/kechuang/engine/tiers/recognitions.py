"""Dated recognitions: when a 梯度 title lapses and where a 高企 stands with its annual reports.

Both read the rule sets' own dated parameters, so a bureau's parameter version or a new version of the rules
changes them in one place:
- A 梯度 title (创新型/科技和创新型中小企业, 专精特新中小企业, 专精特新“小巨人”) is valid for `title_valid_years` of
  the tier's rule set in force on the day it was granted (titles granted under the 2022 measure keep its validity
  after the 2026 revision); a date before every rule set of the tier takes the earliest one. It lapses on the
  anniversary (29 February → 28 February).
- A 高企 files the report for year Y by the deadline in the year after (`annual_report_due_month`/`_day`) and
  loses the status after `reports_missed_cancel` missed reports within its certificate's years: the counts are
  the `hte_reports_missed_min/_max` values of the high_tech rule set in force, computed as its conditions do.
Unknown stays unknown: a report left empty is neither filed nor missed.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from kechuang.engine import derive
from kechuang.engine.conditions import compile_condition
from kechuang.engine.tiers.model import RuleSet, all_rulesets, select_rulesets

# Tier → the facts column holding the date its title was granted.
TITLE_DATES = {
    "innovative_sme": "innovative_sme_on",
    "specialized_sme": "specialized_sme_on",
    "little_giant": "little_giant_on",
}
TITLE_COLUMNS = {
    "uscc": pl.Utf8,
    "tier": pl.Utf8,
    "recognised_on": pl.Date,
    "valid_years": pl.Int64,
    "expires_on": pl.Date,
    "ruleset": pl.Utf8,
}
REPORT_COLUMNS = {
    "uscc": pl.Utf8,
    "certified_on": pl.Date,
    "report_year": pl.Int64,
    "due_on": pl.Date,
    "filed": pl.Boolean,
    "missed_min": pl.Int64,
    "missed_max": pl.Int64,
    "cancel_at": pl.Int64,
}


def _versions(tier: str) -> list[RuleSet]:
    return sorted(
        (r for r in all_rulesets() if r.tier == tier and "title_valid_years" in r.parameters),
        key=lambda r: r.effective_from,
    )


def title_expiries(panel: pl.DataFrame, parameter_versions: list[dict] | None = None) -> pl.DataFrame:
    """One row per enterprise and title on record (the date of its latest row that has one): TITLE_COLUMNS."""
    frames = []
    for tier, column in TITLE_DATES.items():
        versions = _versions(tier)
        if not versions or column not in panel.columns:
            continue
        latest = (
            panel.filter(pl.col(column).is_not_null())
            .sort("uscc", "year")
            .group_by("uscc", maintain_order=True)
            .agg(pl.col(column).last().alias("recognised_on"))
        )
        years = label = None
        # the version in force on the recognition day (the latest whose first day is not after it); before the
        # first version, the first one. A bureau's versions of the parameter within a version's period apply.
        for r in versions:
            valid = int(r.params(r.effective_to or dt.date.max, parameter_versions or ())["title_valid_years"])
            if years is None:
                years, label = pl.lit(valid, dtype=pl.Int64), pl.lit(r.label)
                continue
            hit = pl.col("recognised_on") >= pl.lit(r.effective_from)
            years = pl.when(hit).then(pl.lit(valid, dtype=pl.Int64)).otherwise(years)
            label = pl.when(hit).then(pl.lit(r.label)).otherwise(label)
        frames.append(
            latest.with_columns(pl.lit(tier).alias("tier"), years.alias("valid_years"), label.alias("ruleset"))
        )
    if not frames:
        return pl.DataFrame(schema=TITLE_COLUMNS)
    out = pl.concat(frames)
    expires = pl.col("recognised_on").dt.offset_by(pl.format("{}y", pl.col("valid_years")))
    return out.with_columns(expires.alias("expires_on")).select(list(TITLE_COLUMNS))


def hte_report_status(
    panel: pl.DataFrame, as_of: dt.date, parameter_versions: list[dict] | None = None
) -> pl.DataFrame:
    """Enterprises holding a valid 高企 certificate on `as_of`: the report for last year (`report_year`), its
    deadline, whether it was filed, and the missed reports so far (REPORT_COLUMNS)."""
    (ruleset,) = select_rulesets(as_of, ["high_tech"])
    params = ruleset.params(as_of, parameter_versions or ()).as_dict()
    year = as_of.year - ruleset.fiscal_year_offset
    frame, stages = derive.derived_lazy(panel, year, as_of)
    lf = frame.lazy()
    for stage in stages:
        lf = lf.with_columns(stage)
    for name, text in ruleset.values.items():
        lf = lf.with_columns(compile_condition(str(text), params).alias(name))
    valid = pl.col("hte_certified") & (pl.col("hte_certificate_age_years") < params["certificate_valid_years"])
    due = dt.date(year + 1, int(params["annual_report_due_month"]), int(params["annual_report_due_day"]))
    return (
        lf.filter(valid)
        .select(
            "uscc",
            pl.col("hte_certified_on").alias("certified_on"),
            pl.lit(year, dtype=pl.Int64).alias("report_year"),
            pl.lit(due).alias("due_on"),
            pl.col("hte_annual_report_filed").alias("filed"),
            pl.col("hte_reports_missed_min").cast(pl.Int64).alias("missed_min"),
            pl.col("hte_reports_missed_max").cast(pl.Int64).alias("missed_max"),
            pl.lit(int(params["reports_missed_cancel"]), dtype=pl.Int64).alias("cancel_at"),
        )
        .collect()
    )
