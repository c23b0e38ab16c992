"""Simulation: run policies (or draft versions) against every enterprise as of a date.

Policy: a simulation decides each version for every firm (evaluate.py), applies stacking across the versions
given together (funding.stack), then each policy's budget for the payout year (the as-of year). It reports
how many qualify, the cost against the budget, the distribution by region, industry, tier and carrier, and the
near misses (firms that fail exactly one condition and have no unknown). Inputs shared by several policies
(derived values, tier results) are computed once per fiscal year. Nothing here writes anywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from kechuang.engine.policies import funding, money
from kechuang.engine.policies.evaluate import (
    DIMENSIONS,
    FALSE,
    TRUE,
    UNKNOWN,
    as_version,
    base_inputs,
    decide,
    decide_lazy,
    decode_mask,
    evaluate_tiers,
    explain_codes,
    facts_year,
    input_names,
    latest_values,
    referenced_tiers,
    tier_columns,
    with_payouts,
)
from kechuang.engine.policies.model import PolicyVersion


def _decimals(columns) -> list[pl.Expr]:
    """Decimal 万元 columns for the exact `*_yuan` integers present."""
    names = ("amount", "potential_amount", "granted")
    return [money.wan_expr(pl.col(f"{n}_yuan")).alias(n) for n in names if f"{n}_yuan" in columns]


DISTRIBUTION_KEYS = {
    "region": "region_code",
    "industry": "industry_code",
    "tier": "tiers",
    "carrier": "carrier",
}


@dataclass
class Simulation:
    """The outcome of `simulate`. Per-policy frames are lean (decision, exact amounts, why); the snapshot,
    condition outcomes, report dimensions and Decimal amounts are rebuilt on demand from the stored inputs,
    so a run over 100,000 firms × 50 policies does not materialise 5 million snapshots."""

    as_of: dt.date
    versions: list[PolicyVersion]
    parts: dict[str, pl.DataFrame]  # policy id → one row per uscc (lean)
    inputs: dict[str, pl.DataFrame]  # policy id → the inputs frame it was decided on
    budgets: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # Chinese, e.g. a referenced tier without rules
    tiers: pl.DataFrame | None = None  # the tier results used (uscc, tier, qualified), for `distribution`
    _results: pl.DataFrame | None = field(default=None, repr=False)

    def version(self, policy_id: str) -> PolicyVersion:
        return next(v for v in self.versions if v.id == policy_id)

    def policy_results(self, policy_id: str) -> pl.DataFrame:
        """One policy's results in full: a re-decision with every detail (`decide` is pure, so it is the
        same decision) joined with the stacking and budget columns of the simulation."""
        full = decide(self.version(policy_id), self.inputs[policy_id], self.as_of)
        lean = self.parts[policy_id]
        extra = [c for c in ("amount_yuan", "stacked_by", "granted_yuan") if c in lean.columns]
        out = full.drop("amount_yuan", "amount").join(
            lean.select("uscc", *extra), on="uscc", how="left", maintain_order="left"
        )
        return out.with_columns(_decimals(out.columns))

    def readable(self, policy_id: str) -> pl.DataFrame:
        """One policy's lean results with ids and `failed`/`missing` as text (no snapshot, no gaps)."""
        v = self.version(policy_id)
        part = self.parts[policy_id]
        if "failed_mask" not in part.columns:
            return part
        ids, names = explain_codes(v, self.inputs[policy_id].columns)
        return part.with_columns(
            pl.lit(v.id).alias("policy"),
            pl.lit(v.version_id).alias("version_id"),
            pl.lit(self.as_of).alias("as_of"),
            pl.lit(v.stacking_group, pl.Utf8).alias("stacking_group"),
            decode_mask(pl.col("failed_mask"), ids).alias("failed"),
            decode_mask(pl.col("missing_mask"), names).alias("missing"),
        ).drop("failed_mask", "missing_mask")

    @property
    def results(self) -> pl.DataFrame:
        """All policies' results in one frame, one row per (uscc, policy), with the report dimensions and
        Decimal amounts; without the per-policy `facts`, `conditions` and `gaps` (see `policy_results`)."""
        if self._results is None:
            lean = pl.concat([self.readable(pid) for pid in self.parts], how="diagonal_relaxed")
            first = next(iter(self.inputs.values()))
            dims = first.select("uscc", *[d for d in DIMENSIONS if d in first.columns])
            joined = lean.join(dims, on="uscc", how="left", maintain_order="left")
            self._results = joined.with_columns(_decimals(joined.columns))
        return self._results

    def summary(self) -> pl.DataFrame:
        """Per policy: counts by eligibility, demand, granted and budget (万元, exact)."""
        rows = []
        for v in self.versions:
            r = self.parts[v.id]
            counts = dict(r.group_by("eligible").len().iter_rows())
            b = self.budgets.get(v.id, {})
            rows.append(
                {
                    "policy": v.id,
                    "version_id": v.version_id,
                    "firms": r.height,
                    "eligible": counts.get(TRUE, 0),
                    "unknown": counts.get(UNKNOWN, 0),
                    "not_eligible": counts.get(FALSE, 0),
                    # received it before (by the payout history given): would qualify, not granted twice
                    "held": int(r["held"].sum()),
                    "stacked_out": int(r["stacked_by"].is_not_null().sum()) if "stacked_by" in r.columns else 0,
                    "demand": money.yuan_to_wan(b.get("demand_yuan", 0)),
                    "potential_unknown": money.yuan_to_wan(int(r["potential_amount_yuan"].sum() or 0)),
                    "budget": money.yuan_to_wan(b.get("budget_yuan")),
                    "granted": money.yuan_to_wan(b.get("granted_yuan", 0)),
                    "shortfall": money.yuan_to_wan(b.get("shortfall_yuan")),
                    "allocation": b.get("method"),
                }
            )
        return pl.DataFrame(
            rows,
            schema_overrides={
                k: money.DECIMAL_WAN for k in ("demand", "potential_unknown", "budget", "granted", "shortfall")
            },
        )

    def distribution(self, by: str, policy: str | None = None) -> pl.DataFrame:
        """Eligible firms and granted amounts by `region`, `industry`, `tier` or `carrier`."""
        frame = self.results if policy is None else self.results.filter(pl.col("policy") == policy)
        return distribution(frame, by, self.tiers)

    def near_misses(self, policy: str | None = None) -> pl.DataFrame:
        """Near misses with their gaps (re-decided in detail for the policies asked for)."""
        ids = [policy] if policy else list(self.parts)
        return pl.concat([near_misses(self.policy_results(pid)) for pid in ids], how="diagonal_relaxed").sort(
            "policy", "uscc"
        )


def distribution(results: pl.DataFrame, by: str, tiers: pl.DataFrame | None = None) -> pl.DataFrame:
    """Counts by eligibility and the granted total for each value of a dimension (unknown shown as null).
    For `tier` (from the tier results `tiers`) a firm counts once under each tier it holds, and under null
    when it holds none."""
    key = DISTRIBUTION_KEYS.get(by, by)
    frame = results
    if key == "tiers":
        held = pl.DataFrame(schema={"uscc": pl.Utf8, "tiers": pl.Utf8})
        if tiers is not None and not tiers.is_empty():
            held = tiers.filter(pl.col("qualified") == TRUE).select("uscc", pl.col("tier").alias("tiers"))
        frame = frame.join(held, on="uscc", how="left")
    elif key not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(key))
    value = "granted_yuan" if "granted_yuan" in frame.columns else "amount_yuan"
    return (
        frame.group_by(pl.col(key).cast(pl.Utf8).alias(by))
        .agg(
            pl.len().alias("firms"),
            (pl.col("eligible") == TRUE).sum().alias("eligible"),
            (pl.col("eligible") == UNKNOWN).sum().alias("unknown"),
            pl.col(value).fill_null(0).sum().alias("_yuan"),
        )
        .with_columns(money.wan_expr(pl.col("_yuan")).alias("amount"))
        .drop("_yuan")
        .sort(["eligible", by], descending=[True, False], nulls_last=True)
    )


def near_misses(results: pl.DataFrame) -> pl.DataFrame:
    """Firms one condition short (the engine's `short_of`), with that condition and its gaps."""
    return (
        results.filter(pl.col("short_of").is_not_null())
        .select("uscc", "policy", pl.col("short_of").alias("condition"), "gaps")
        .sort("policy", "uscc")
    )


def simulate(
    versions,
    panel: pl.DataFrame,
    as_of: dt.date,
    tiers: pl.DataFrame | None = None,
    payouts: pl.DataFrame | None = None,
    priority: list[str] | None = None,
    apply_budget: bool = True,
) -> Simulation:
    """Decide every version (dict or PolicyVersion; one or a list) for every firm in `panel` as of `as_of`."""
    if isinstance(versions, (dict, PolicyVersion)):
        versions = [versions]
    typed = [as_version(v) for v in versions]
    ids = [v.id for v in typed]
    if len(set(ids)) != len(ids):
        raise ValueError("同一次模拟中每个政策只能出现一个版本（比较两个版本请用 compare）")
    notes: list[str] = []
    if tiers is None:
        tiers = evaluate_tiers(panel, as_of, referenced_tiers(typed), notes)
    bases: dict[int, pl.DataFrame] = {}
    inputs: dict[str, pl.DataFrame] = {}
    # Only what the versions read is derived, and the latest dimensions are found once for every fiscal year.
    reads, latest = input_names(typed), latest_values(panel)
    wide = tier_columns(tiers) if tiers is not None and not tiers.is_empty() else None
    for v in typed:
        year = facts_year(v, as_of)
        if year not in bases:
            bases[year] = base_inputs(panel, year, as_of, wide, reads=reads, latest=latest)
        inputs[v.id] = with_payouts(bases[year], v.id, payouts, as_of.year)
    queries = [decide_lazy(v, inputs[v.id], as_of, detail=False) for v in typed]
    parts = dict(zip(ids, pl.collect_all(queries), strict=True))  # one parallel run for every policy
    parts = funding.stack_parts(parts, {v.id: v.stacking_group for v in typed}, priority=priority or ids)
    budgets = {}
    if apply_budget:
        for v in typed:
            key = v.budget.allocation.rank_by
            ranks = inputs[v.id].select("uscc", key) if key else None
            parts[v.id], budgets[v.id] = funding.allocate(parts[v.id], v.budget, as_of.year, ranks)
    return Simulation(as_of, typed, parts, inputs, budgets, notes, tiers)


def compare(draft, current, panel: pl.DataFrame, as_of: dt.date, **kwargs) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two versions of one policy side by side: (per-firm changes, summary of both).

    Per firm: eligible and amount under each version, the delta (万元) and `change`: gained / lost /
    amount_changed / same. Summary: the two simulations' summary rows, labelled `a` (draft) and `b` (current).
    """
    sim_a = simulate(draft, panel, as_of, **kwargs)
    sim_b = simulate(current, panel, as_of, **kwargs)
    cols = ["uscc", "eligible", "granted_yuan", "failed"]
    a = sim_a.results.select(cols).rename({c: f"{c}_a" for c in cols[1:]})
    b = sim_b.results.select(cols).rename({c: f"{c}_b" for c in cols[1:]})
    joined = a.join(b, on="uscc", how="full", coalesce=True)
    delta = pl.col("granted_yuan_a").fill_null(0) - pl.col("granted_yuan_b").fill_null(0)
    change = (
        pl.when((pl.col("eligible_a") == TRUE) & (pl.col("eligible_b") != TRUE))
        .then(pl.lit("gained"))
        .when((pl.col("eligible_a") != TRUE) & (pl.col("eligible_b") == TRUE))
        .then(pl.lit("lost"))
        .when(delta != 0)
        .then(pl.lit("amount_changed"))
        .otherwise(pl.lit("same"))
    )
    changes = (
        joined.with_columns(
            money.wan_expr(pl.col("granted_yuan_a")).alias("amount_a"),
            money.wan_expr(pl.col("granted_yuan_b")).alias("amount_b"),
            money.wan_expr(delta).alias("delta"),
            change.alias("change"),
        )
        .drop("granted_yuan_a", "granted_yuan_b")
        .sort("uscc")
    )
    summary = pl.concat(
        [
            sim_a.summary().with_columns(pl.lit("a").alias("side")),
            sim_b.summary().with_columns(pl.lit("b").alias("side")),
        ],
        how="diagonal_relaxed",
    )
    return changes, summary
