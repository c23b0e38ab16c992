"""Stacking across policies and budget allocation: pure functions over result frames.

Policy:
- **Stacking (从优、就高、不重复).** Policies that share a `stacking_group` cover the same matter: within a
  group a firm keeps only its most favourable entitlement — the highest `amount_yuan` among its
  `eligible = true` results; a tie goes to the policy that comes first in `priority` (default: policy id
  order). The others keep `eligible = true` (the firm does qualify) but their `amount` becomes 0 and
  `stacked_by` names the winner.
  Rows that are `unknown` do not compete (they cannot be paid yet). Stacking runs before budgets.
  The same rule decides a new eligibility run against the entitlements firms already hold in the group and
  year (`stack_against_held`): the higher amount wins; on a tie the one held first stays (in a simulation,
  where all are decided together, the one first in priority); an approved or paid entitlement is never
  displaced (its money is committed). Cases: `rulesets/policies/stacking/cases.yaml`.
- **Budget.** Each policy has an envelope per payout year. When the eligible demand fits, everyone is paid in
  full. When it does not, the policy's `allocation.method` decides, deterministically:
  - `pro_rata`: every firm gets `amount × budget ÷ demand`, rounded down to the 元 (Int128 arithmetic, so no
    overflow); the few 元 left by rounding stay unallocated and are reported.
  - `ranking`: firms are served in the order of `rank_by` (`order: desc` by default; unknown values last; ties
    by uscc), each in full, until the budget runs out; the first firm that does not fit gets what is left when
    `partial: true`, else nothing, and everyone after it gets nothing.
  A policy without an envelope for the year pays every entitlement (`budget` reported as unknown).
"""

from __future__ import annotations

import polars as pl

from kechuang.engine.policies import money
from kechuang.engine.policies.model import Budget

TRUE = "true"


def stack(results: pl.DataFrame, priority: list[str] | None = None) -> pl.DataFrame:
    """Apply 从优、就高、不重复 within stacking groups. Adds `stacked_by` (null when kept)."""
    order = {pid: i for i, pid in enumerate(priority or sorted(results["policy"].unique().to_list()))}
    ranked = results.with_columns(
        pl.col("policy").replace_strict(order, default=len(order), return_dtype=pl.Int64).alias("_prio"),
        ((pl.col("eligible") == TRUE) & pl.col("stacking_group").is_not_null() & (pl.col("amount_yuan") > 0)).alias(
            "_competes"
        ),
    )
    winners = (
        ranked.filter(pl.col("_competes"))
        .sort(["uscc", "stacking_group", "amount_yuan", "_prio"], descending=[False, False, True, False])
        .group_by(["uscc", "stacking_group"], maintain_order=True)
        .agg(pl.col("policy").first().alias("_winner"))
    )
    out = ranked.join(winners, on=["uscc", "stacking_group"], how="left", nulls_equal=False)
    stacked_out = pl.col("_competes") & (pl.col("_winner") != pl.col("policy"))
    return (
        out.with_columns(
            pl.when(stacked_out).then(pl.col("_winner")).otherwise(pl.lit(None, pl.Utf8)).alias("stacked_by"),
            pl.when(stacked_out).then(pl.lit(0, pl.Int64)).otherwise(pl.col("amount_yuan")).alias("amount_yuan"),
        )
        .with_columns(money.wan_expr(pl.col("amount_yuan")).alias("amount"))
        .drop("_prio", "_competes", "_winner")
    )


def stack_against_held(new: pl.DataFrame, held: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """从优、就高、不重复 of one policy's new entitlements against those the firms already hold.

    new: one row per firm — `firm`, `amount_yuan` (eligible, payable); held: the firms' active entitlements of
    other policies in the same group and payout year — `firm`, `entitlement`, `policy`, `amount_yuan`,
    `locked` (approved or paid). Returns `new` with `stacked_by` (the held policy that stays, else null) and the
    held entitlements that lose to the new one: `entitlement`, `firm`, `policy`.
    """
    best = (
        held.sort(["firm", "locked", "amount_yuan"], descending=[False, True, True])
        .unique("firm", keep="first", maintain_order=True)
        .rename({"policy": "_held_policy", "amount_yuan": "_held_yuan", "entitlement": "_held"})
    )
    joined = new.join(best, on="firm", how="left", maintain_order="left")
    keeps_held = pl.col("_held").is_not_null() & (pl.col("locked") | (pl.col("_held_yuan") >= pl.col("amount_yuan")))
    out = joined.with_columns(pl.when(keeps_held).then(pl.col("_held_policy")).alias("stacked_by"))
    wins = out.filter(pl.col("_held").is_not_null() & pl.col("stacked_by").is_null()).select("firm")
    losers = held.join(wins, on="firm", how="semi").filter(~pl.col("locked")).select("entitlement", "firm", "policy")
    return out.drop("_held", "_held_policy", "_held_yuan", "locked"), losers


def stack_parts(
    parts: dict[str, pl.DataFrame], groups: dict[str, str | None], priority: list[str] | None = None
) -> dict[str, pl.DataFrame]:
    """`stack` over per-policy result frames (`groups`: policy id → stacking group): only the policies in a
    group take part, so a large simulation does not re-sort every row. Every frame gets `stacked_by`."""
    grouped = [pid for pid in parts if groups.get(pid)]
    out = {pid: f.with_columns(pl.lit(None, pl.Utf8).alias("stacked_by")) for pid, f in parts.items()}
    if len(grouped) < 2:
        return out
    compact = pl.concat(
        [
            parts[pid]
            .filter((pl.col("eligible") == TRUE) & (pl.col("amount_yuan") > 0))
            .select("uscc", "eligible", "amount_yuan")
            .with_columns(pl.lit(pid).alias("policy"), pl.lit(groups[pid]).alias("stacking_group"))
            for pid in grouped
        ]
    )
    stacked = stack(compact, priority or list(parts)).filter(pl.col("stacked_by").is_not_null())
    for pid in grouped:
        losers = stacked.filter(pl.col("policy") == pid).select("uscc", "stacked_by")
        if losers.is_empty():
            continue
        out[pid] = (
            parts[pid]
            .join(losers.rename({"stacked_by": "_by"}), on="uscc", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col("_by").is_not_null()).then(0).otherwise(pl.col("amount_yuan")).alias("amount_yuan"),
                pl.col("_by").alias("stacked_by"),
            )
            .drop("_by")
        )
    return out


def allocate(
    results: pl.DataFrame, budget: Budget, year: int, rank_values: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, dict]:
    """Grant one policy's entitlements within its envelope for `year`. Adds `granted_yuan` and `granted`.

    `rank_values`: uscc + the `rank_by` column for `ranking` (default: read from the `facts` snapshot).
    Returns the frame and a summary: demand, budget, granted, unallocated, shortfall, method (all 元).
    """
    payable = (pl.col("eligible") == TRUE) & (pl.col("amount_yuan") > 0)
    demand = int(results.select(pl.when(payable).then(pl.col("amount_yuan")).otherwise(0).sum()).item() or 0)
    envelope = budget.for_year(year)
    method = budget.allocation.method
    if envelope is None or demand <= envelope:
        granted = pl.when(payable).then(pl.col("amount_yuan")).otherwise(0)
        out = results.with_columns(granted.cast(pl.Int64).alias("granted_yuan"))
        method = "full"
    elif method == "pro_rata":
        share = (pl.col("amount_yuan").cast(pl.Int128) * envelope) // demand
        out = results.with_columns(pl.when(payable).then(share).otherwise(0).cast(pl.Int64).alias("granted_yuan"))
    else:
        out = _by_ranking(results, budget, envelope, payable, rank_values)
    granted_total = int(out["granted_yuan"].sum() or 0)
    summary = {
        "year": year,
        "method": method,
        "demand_yuan": demand,
        "budget_yuan": envelope,
        "granted_yuan": granted_total,
        "unallocated_yuan": None if envelope is None else envelope - granted_total,
        "shortfall_yuan": None if envelope is None else max(demand - envelope, 0),
    }
    return out, summary


def _by_ranking(
    results: pl.DataFrame, budget: Budget, envelope: int, payable: pl.Expr, rank_values: pl.DataFrame | None
) -> pl.DataFrame:
    alloc = budget.allocation
    key = alloc.rank_by
    if rank_values is None:
        rank_values = results.select("uscc", pl.col("facts").struct.field(key).alias(key))
    rank = rank_values.select(pl.col(key).alias("_rank"))
    if rank_values.height == results.height and rank_values["uscc"].equals(results["uscc"]):
        frame = results.with_columns(rank)  # the inputs the results were decided on: row for row
    else:
        frame = results.join(
            rank_values.select("uscc", pl.col(key).alias("_rank")), on="uscc", how="left", maintain_order="left"
        )
    # Only the payable rows are queued; their grants are put back in place by row number (no join, no re-sort).
    queue = (
        frame.with_row_index("_row")
        .filter(payable)
        .select("_row", "_rank", "uscc", "amount_yuan")
        .sort(["_rank", "uscc"], descending=[alloc.order == "desc", False], nulls_last=True)
        .with_columns(pl.col("amount_yuan").cum_sum().alias("_upto"))
        .with_columns((pl.col("_upto") - pl.col("amount_yuan")).alias("_before"))
    )
    fits = pl.col("_upto") <= envelope
    first_short = (~fits) & (pl.col("_before") <= envelope) & (pl.col("_before") < envelope)
    grant = (
        pl.when(fits)
        .then(pl.col("amount_yuan"))
        .when(first_short & pl.lit(alloc.partial))
        .then(pl.lit(envelope) - pl.col("_before"))
        .otherwise(0)
    )
    granted = queue.select("_row", grant.cast(pl.Int64).alias("granted_yuan"))
    column = pl.zeros(frame.height, pl.Int64, eager=True).scatter(granted["_row"], granted["granted_yuan"])
    return frame.drop("_rank").with_columns(column.alias("granted_yuan"))


# What an eligibility run does with a firm that qualifies (and what a simulation reports it would do).
NEW, THIS_YEAR, STACKED, OUT_OF_BUDGET = "new", "this_year", "stacked", "out_of_budget"
OUTCOMES = (NEW, THIS_YEAR, STACKED, OUT_OF_BUDGET)


def grant(
    results: pl.DataFrame,
    budget: Budget,
    year: int,
    *,
    this_year=(),
    held: pl.DataFrame | None = None,
    rank_values: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """One policy's decided results against the ledger: the one rule by which an eligibility run creates
    entitlements and by which a simulation says what a run would create, so the two cannot disagree.

    results: decided rows (uscc, eligible, amount_yuan, …); this_year: the usccs already holding an active
    entitlement of this policy for the payout `year` (never granted twice); held: other policies' active
    entitlements of the same stacking group and year (`uscc`, `entitlement`, `policy`, `amount_yuan`,
    `locked`), against which 从优、就高、不重复 is decided (`stack_against_held`); budget: what is left of the
    year's envelope with the version's allocation (an empty Budget: no envelope, all paid).
    Returns (the payable rows with `outcome` (OUTCOMES), `stacked_by` and `granted_yuan`; the held
    entitlements that lose: `entitlement`, `uscc`, `policy`; counts per outcome and `granted_yuan`).
    """
    payable = results.filter((pl.col("eligible") == TRUE) & (pl.col("amount_yuan") > 0))
    holders = pl.col("uscc").is_in(list(this_year))
    already = payable.filter(holders).with_columns(
        pl.lit(THIS_YEAR).alias("outcome"), pl.lit(None, pl.Utf8).alias("stacked_by"), pl.lit(0).alias("granted_yuan")
    )
    fresh = payable.filter(~holders).drop("stacked_by", "granted_yuan", strict=False)
    losers = pl.DataFrame(schema={"entitlement": pl.Int64, "uscc": pl.Utf8, "policy": pl.Utf8})
    if held is not None and not held.is_empty():
        fresh, lost = stack_against_held(fresh.rename({"uscc": "firm"}), held.rename({"uscc": "firm"}))
        fresh, losers = fresh.rename({"firm": "uscc"}), lost.rename({"firm": "uscc"})
    else:
        fresh = fresh.with_columns(pl.lit(None, pl.Utf8).alias("stacked_by"))
    # a stacked firm does qualify but is not paid: it does not compete for the envelope
    competing = fresh.with_columns(
        pl.when(pl.col("stacked_by").is_null()).then(pl.lit(TRUE)).otherwise(pl.lit(STACKED)).alias("eligible")
    )
    allocated, _summary = allocate(competing, budget, year, rank_values)
    outcome = (
        pl.when(pl.col("stacked_by").is_not_null())
        .then(pl.lit(STACKED))
        .when(pl.col("granted_yuan") == 0)
        .then(pl.lit(OUT_OF_BUDGET))
        .otherwise(pl.lit(NEW))
    )
    decided = allocated.with_columns(pl.col("eligible").replace(STACKED, TRUE), outcome.alias("outcome"))
    out = pl.concat([decided, already], how="diagonal_relaxed")
    counts = dict(out.group_by("outcome").len().iter_rows())
    summary = {o: counts.get(o, 0) for o in OUTCOMES}
    summary["granted_yuan"] = int(out["granted_yuan"].sum() or 0)
    return out, losers, summary
