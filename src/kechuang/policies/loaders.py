"""Database → policy-engine frames: the facts panel with residency and carrier, tiers, and the payout history.

Policy:
- `panel(as_of)`: the facts table (enterprises.loaders.facts_frame) for the years a policy can read, plus the
  registry's placement on the as-of date: `carrier` (the carrier hosting the firm) and `valley_resident`.
  The carriers registry records every residency, so a residency in a carrier of kind `valley` on the as-of
  date makes `valley_resident` true; without one the declared fact stands, and where that is empty the firm
  is *not* resident (the registry is the record of residencies, like the payout ledger is of payments).
- `history(...)`: what firms already received, as the engine's payout history (uscc, policy, year, amount):
  every entitlement that is pending, confirmed, approved or paid counts, so a one-off policy is not granted
  twice while the first grant is on its way.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from kechuang.carriers.models import Residency
from kechuang.engine.policies import money
from kechuang.enterprises.loaders import carrier_frame, facts_frame
from kechuang.tiers.selectors import tier_frame

from .models import Entitlement

# Derived values read up to three earlier years (rd_ratio_3y, growth); one more for facts_year: last.
YEARS_BACK = 5


def panel(as_of: dt.date, enterprises=None) -> pl.DataFrame:
    frame = facts_frame(enterprises, years=list(range(as_of.year - YEARS_BACK, as_of.year + 1)))
    carriers = carrier_frame(on=as_of)
    valley = (
        Residency.objects.filter(enterprise__isnull=False, carrier__kind="valley", start__lte=as_of)
        .exclude(end__lte=as_of).values_list("enterprise__uscc", flat=True).distinct()
    )
    residents = pl.DataFrame({"uscc": list(valley), "_valley": True}, schema={"uscc": pl.Utf8, "_valley": pl.Boolean})
    return (
        frame.join(carriers, on="uscc", how="left")
        .join(residents, on="uscc", how="left")
        .with_columns(pl.coalesce(pl.col("_valley"), pl.col("valley_resident"), pl.lit(False)).alias("valley_resident"))
        .drop("_valley")
    )


def tiers() -> pl.DataFrame | None:
    """The latest stored tier results; None when no run exists (the engine then evaluates tiers itself)."""
    frame = tier_frame()
    return None if frame.is_empty() else frame.select("uscc", "tier", "qualified")


HISTORY_SCHEMA = {"uscc": pl.Utf8, "policy": pl.Utf8, "year": pl.Int64, "amount": pl.Float64}


def history(policy_codes: list[str] | None = None, exclude_ids=()) -> pl.DataFrame:
    qs = Entitlement.objects.filter(status__in=Entitlement.ACTIVE)
    if policy_codes is not None:
        qs = qs.filter(policy__code__in=policy_codes)
    if exclude_ids:
        qs = qs.exclude(pk__in=list(exclude_ids))
    rows = [(u, p, y, float(a)) for u, p, y, a in
            qs.values_list("enterprise__uscc", "policy__code", "year", "amount")]
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA, orient="row")


def wan(yuan) -> object:
    return money.yuan_to_wan(int(yuan)) if yuan is not None else None
