"""Database → policy-engine frames: the facts panel with residency and carrier, tiers, and the payout history.

Policy:
- `panel(as_of)`: the facts table (enterprises.loaders.facts_frame) for the years a policy can read, plus the
  registry's placement on the as-of date: `carrier` (the carrier hosting the firm) and `valley_resident`.
  The carriers registry records every residency, so a residency in a carrier of kind `valley` on the as-of
  date makes `valley_resident` true; without one the declared fact stands, and where that is empty the firm
  is *not* resident (the registry is the record of residencies, like the payout ledger is of payments).
  The 高企 certificates on file (Qualification records) fill a year's empty `hte_certified`/`hte_certified_on`.
- Policy inputs a firm does not declare come from the platform's own records through providers named in
  `settings.POLICY_FACT_PROVIDERS` (dotted paths of `fn(years, as_of, usccs) -> frame of uscc, year, inputs…`,
  `usccs` the firms asked about, None for all): loan
  interest, balances and guarantee fees from the finance app's loan records, last year's points rank from the
  points results. A provider's column is joined onto the rows of its year; a firm it has no row for keeps the
  input unknown (or what the facts declared).
- `history(...)`: what firms already received, as the engine's payout history (uscc, policy, year, amount):
  every entitlement that is pending, confirmed, approved or paid counts, so a one-off policy is not granted
  twice while the first grant is on its way.
- `ledger(policy, year, ...)`: everything a decision for a payout year is weighed against, read once for an
  eligibility run and for a simulation alike (see `Ledger`).
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass

import polars as pl
from django.conf import settings

from kechuang.carriers.models import Residency
from kechuang.engine.policies import money
from kechuang.engine.policies.model import Allocation
from kechuang.engine.policies.model import Budget as EngineBudget
from kechuang.enterprises.loaders import carrier_frame, facts_frame
from kechuang.enterprises.models import Qualification
from kechuang.tiers.selectors import tier_frame

from .models import Budget, Entitlement, Policy

# Up to this many firms, the input providers are asked about those firms only (an IN list), else about all.
PROVIDER_FIRMS = 500
# Derived values read up to three earlier years (rd_ratio_3y, growth); one more for facts_year: last.
YEARS_BACK = 5


def panel(as_of: dt.date, enterprises=None) -> pl.DataFrame:
    frame = facts_frame(enterprises, years=list(range(as_of.year - YEARS_BACK, as_of.year + 1)))
    frame = with_provided_inputs(frame, as_of)
    carriers = carrier_frame(on=as_of)
    valley = (
        Residency.objects.filter(enterprise__isnull=False, carrier__kind="valley", start__lte=as_of)
        .exclude(end__lte=as_of)
        .values_list("enterprise__uscc", flat=True)
        .distinct()
    )
    residents = pl.DataFrame({"uscc": list(valley), "_valley": True}, schema={"uscc": pl.Utf8, "_valley": pl.Boolean})
    frame = (
        frame.join(carriers, on="uscc", how="left")
        .join(residents, on="uscc", how="left")
        .with_columns(pl.coalesce(pl.col("_valley"), pl.col("valley_resident"), pl.lit(False)).alias("valley_resident"))
        .drop("_valley")
    )
    return with_certificates(frame)


def with_certificates(frame: pl.DataFrame) -> pl.DataFrame:
    """高企 status from the certificates on file (Qualification records), where the year's figures leave it empty:
    a certificate in force on 31 December of a row's year makes `hte_certified` true and gives
    `hte_certified_on` (the latest such issue date). A declared value stands; no certificate says nothing."""
    if frame.is_empty():
        return frame
    rows = list(
        Qualification.objects.filter(kind=Qualification.Kind.HTE_CERTIFICATE, enterprise__isnull=False).values_list(
            "enterprise__uscc", "issued_on", "expires_on"
        )
    )
    certs = pl.DataFrame(rows, schema={"uscc": pl.Utf8, "_issued": pl.Date, "_expires": pl.Date}, orient="row")
    year_end = pl.date(pl.col("year"), 12, 31)
    held = (
        frame.select("uscc", "year")
        .unique()
        .join(certs, on="uscc", how="inner")
        .filter((pl.col("_issued") <= year_end) & (pl.col("_expires").is_null() | (pl.col("_expires") >= year_end)))
        .group_by("uscc", "year")
        .agg(pl.col("_issued").max())
    )
    return (
        frame.join(held, on=["uscc", "year"], how="left")
        .with_columns(
            pl.coalesce("hte_certified", pl.when(pl.col("_issued").is_not_null()).then(True)).alias("hte_certified"),
            pl.coalesce("hte_certified_on", "_issued").alias("hte_certified_on"),
        )
        .drop("_issued")
    )


def with_provided_inputs(frame: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The panel with the inputs the platform's records provide (settings.POLICY_FACT_PROVIDERS) joined on."""
    if frame.is_empty():
        return frame
    years = sorted({*frame["year"].to_list(), as_of.year})
    firms = frame.select("uscc").unique()
    # A page about a few firms asks the providers about those firms only; a run over the city asks for all.
    usccs = firms["uscc"].to_list() if firms.height <= PROVIDER_FIRMS else None
    for path in getattr(settings, "POLICY_FACT_PROVIDERS", ()):
        module, _, name = path.rpartition(".")
        provided = getattr(importlib.import_module(module), name)(years, as_of, usccs)
        provided = provided.with_columns(pl.col("year").cast(frame.schema["year"])).join(firms, on="uscc", how="semi")
        columns = [c for c in provided.columns if c not in ("uscc", "year")]
        clash = [c for c in columns if c in frame.columns]
        # A year the firm has records for but no figures yet (the current year) gets a row of its own: derived
        # values read the firm's static facts from its earlier rows, and its figures stay unknown.
        frame = frame.join(provided, on=["uscc", "year"], how="full", coalesce=True, suffix="_provided")
        if clash:  # a declared value (a fact column of the same name) stands where the records have none
            frame = frame.with_columns([pl.coalesce(f"{c}_provided", c).alias(c) for c in clash]).drop(
                [f"{c}_provided" for c in clash]
            )
    return frame.sort("uscc", "year")


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
    rows = [(u, p, y, float(a)) for u, p, y, a in qs.values_list("enterprise__uscc", "policy__code", "year", "amount")]
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA, orient="row")


@dataclass
class Ledger:
    """A policy's payout year as the records stand: the payout history the engine decides with — without the
    policy's own entitlements of that year, which are this year's grant, not a benefit received before (as for
    a claw-back check) —, the firms holding such an entitlement (`this_year`: not granted twice), the other
    policies' entitlements of its stacking group and year (`held`, for 从优、就高、不重复) and what is left of
    the year's envelope (`budget`; no Budget row: no envelope)."""

    history: pl.DataFrame
    this_year: list[str]
    held: pl.DataFrame
    budget: EngineBudget
    budget_left_yuan: int | None


HELD_SCHEMA = {
    "entitlement": pl.Int64,
    "uscc": pl.Utf8,
    "policy": pl.Utf8,
    "amount_yuan": pl.Int64,
    "locked": pl.Boolean,
}


def ledger(policy: Policy, year: int, group: str | None, allocation: Allocation) -> Ledger:
    active = Entitlement.objects.filter(status__in=Entitlement.ACTIVE)
    own = list(active.filter(policy=policy, year=year).values_list("pk", "enterprise__uscc", "amount"))
    held_rows = []
    if group:
        held_rows = [
            (pk, uscc, code, money.to_yuan(a), s in (Entitlement.Status.APPROVED, Entitlement.Status.PAID))
            for pk, uscc, code, a, s in active.filter(policy__stacking_group=group, year=year)
            .exclude(policy=policy)
            .values_list("pk", "enterprise__uscc", "policy__code", "amount", "status")
        ]
    envelope = Budget.objects.filter(policy=policy, year=year).values_list("amount", flat=True).first()
    left = None
    if envelope is not None:
        left = max(money.to_yuan(envelope) - sum(money.to_yuan(a) for _pk, _u, a in own), 0)
    return Ledger(
        history=history([policy.code], exclude_ids=[pk for pk, _u, _a in own]),
        this_year=sorted({u for _pk, u, _a in own}),
        held=pl.DataFrame(held_rows, schema=HELD_SCHEMA, orient="row"),
        budget=EngineBudget() if left is None else EngineBudget(by_year_yuan={year: left}, allocation=allocation),
        budget_left_yuan=left,
    )


def wan(yuan) -> object:
    return money.yuan_to_wan(int(yuan)) if yuan is not None else None
