"""The bureau's finance figures: loans and amounts by bank, product, kind, stage, tier and points band; time
to decision; default rates against the region; late cases; the half-year headline (N 笔、X 亿元).

Policy: one load of the loans (loaders.loans_frame) and of the decided applications, then Polars group-bys
(engine.finance.loans, engine.finance.sla); no query per row.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from kechuang.engine.finance import loans as loan_engine
from kechuang.engine.finance.products import stage_label
from kechuang.engine.finance.rules import STAGES
from kechuang.engine.finance.sla import decision_workdays
from kechuang.engine.labels import TIER_NAMES

from . import loaders, selectors
from .models import Loan


def period(today: dt.date, months: int = 6) -> tuple[dt.date, dt.date]:
    """The last `months` whole months up to `today` (the headline's window)."""
    from kechuang.engine.finance.consent import add_months

    return add_months(today, -months) + dt.timedelta(days=1), today


def dashboard(user, start: dt.date, end: dt.date, today: dt.date) -> dict:
    loans = loaders.loans_frame(selectors.loans_for(user))
    window = loans.filter(pl.col("disbursed_on").is_between(start, end)) if loans.height else loans
    programme = loaders.programme(today)
    region_rate = programme["region_default_rate"]
    stage_order = [stage_label(s) for s in STAGES]
    window_named = (
        window.with_columns(
            pl.col("stage").replace_strict({k: v for k, v in STAGES.items()}, default="未知").alias("stage_name"),
            pl.col("tier").replace_strict(TIER_NAMES, default="未获梯队资质").alias("tier_name"),
        )
        if window.height
        else window
    )
    band_order = [b["label"] for b in sorted(programme["points_bands"], key=lambda b: -b["min"])] + ["无积分"]
    outstanding = (
        loans.filter(pl.col("status").is_in([Loan.Status.DISBURSED, Loan.Status.OVERDUE])) if loans.height else loans
    )
    return {
        "window": loan_engine.totals(window),
        "total": loan_engine.totals(loans),
        "outstanding": {
            "count": outstanding.height,
            "amount": round(outstanding["amount"].sum(), 4) if outstanding.height else 0.0,
        },
        "firms": window["uscc"].n_unique() if window.height else 0,
        "region_rate": region_rate,
        "by_bank": loan_engine.by(window_named, "bank"),
        "by_product": loan_engine.by(window_named, "product"),
        "by_kind": loan_engine.by(window_named, "kind"),
        "by_stage": loan_engine.by(window_named, "stage_name", [*stage_order, "未知"]) if window.height else [],
        "by_tier": loan_engine.by(window_named, "tier_name") if window.height else [],
        "by_band": loan_engine.by(window_named, "points_band", band_order) if window.height else [],
        "by_region": _by_region(loans),
        "monthly": loan_engine.monthly(loans),
        "decisions": decisions(selectors.applications_for(user), start, end),
        "late_open": selectors.late(selectors.applications_for(user), today).filter(decided_on__isnull=True).count(),
    }


def _by_region(loans: pl.DataFrame) -> list[dict]:
    """Default rates by county (all loans), named."""
    from kechuang.core.models import Region

    rows = loan_engine.by(loans, "region_code")
    names = dict(Region.objects.filter(code__in=[r["key"] for r in rows]).values_list("code", "name"))
    for r in rows:
        r["name"] = names.get(r["key"], r["key"])
    return rows


def decisions(applications, start: dt.date, end: dt.date) -> dict:
    """Time to decision (working days) and promises kept, per bank, for applications decided in the window."""
    rows = list(
        applications.filter(decided_on__range=(start, end)).values_list(
            "bank__name", "submitted_on", "decided_on", "deadline_on"
        )
    )
    if not rows:
        return {"count": 0, "banks": []}
    frame = pl.DataFrame(
        rows,
        schema={"bank": pl.Utf8, "submitted_on": pl.Date, "decided_on": pl.Date, "deadline_on": pl.Date},
        orient="row",
    )
    frame = frame.with_columns(
        decision_workdays(frame).alias("days"), (pl.col("decided_on") <= pl.col("deadline_on")).alias("kept")
    )

    def summary(f: pl.DataFrame) -> dict:
        return {
            "count": f.height,
            "mean": round(f["days"].mean(), 1),
            "median": f["days"].median(),
            "kept": f["kept"].sum(),
            "kept_share": f["kept"].mean(),
        }

    banks = [{"bank": name, **summary(group)} for (name,), group in frame.group_by("bank")]
    return {**summary(frame), "banks": sorted(banks, key=lambda b: b["bank"])}


def late_cases(user, today: dt.date):
    return selectors.late(selectors.applications_for(user), today).order_by("deadline_on")


def application_counts(user) -> dict[str, int]:
    from django.db.models import Count

    return dict(selectors.applications_for(user).values_list("status").annotate(n=Count("id")))
