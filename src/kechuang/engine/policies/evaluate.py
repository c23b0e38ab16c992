"""Decide a policy for every enterprise: eligibility, amount, and why.

Policy: deciding is split in two so that any past decision can be replayed.

1. `prepare_inputs(panel, as_of, versions)` builds the **inputs frame**: one row per enterprise holding every
   value a policy reads — the facts of the policy's fiscal year (`facts_year: current` = the as-of year,
   `last` = the year before) with derived values (derive.py), the optional policy inputs (inputs.py), the tier
   results as Boolean columns `tier.<id>`, and what the firm already received from the policy
   (`paid_before`, `paid_this_year`, 元; from the payout history, 0 when the history has no row).
2. `decide(version, inputs, as_of)` is a **pure function** of (version dict, inputs rows, as_of). Each result
   row carries `version_id` and `facts`: a snapshot (struct) of exactly the inputs the rule read. Replaying
   `decide(stored version dict, stored snapshots, stored as_of)` gives the same decision and amount
   (`replay`).

A result is `eligible` = `true` / `false` / `unknown` (Kleene AND over the conditions, including the implicit
`amount_min`, `already_received` for one-off policies, and `limit_reached` for per-firm/per-year limits).
`amount` is the entitlement in 万元 (Decimal, exact) when eligible, 0 when not, empty (unknown) when unknown;
`potential_amount` is what an `unknown` firm would get if the unknowns resolve in its favour.
`failed` and `missing` are `;`-joined ids; `gaps` is a JSON list of {condition, field, current, required,
delta}. For large simulations `decide_lazy(..., detail=False)` returns a lean frame where `failed`/`missing`
are bit masks (`failed_mask`, `missing_mask`; decoded by `explain_codes` + `decode_mask`) and the snapshot,
gaps and Decimal columns are left out; `Simulation.policy_results` rebuilds them by deciding again.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import polars as pl

from kechuang.engine import derive, facts
from kechuang.engine.policies import benefit as bf
from kechuang.engine.policies import inputs, money
from kechuang.engine.policies.conditions import compile_policy_condition, gap_exprs, gap_json
from kechuang.engine.policies.model import PolicyVersion, validate_version

TRUE, FALSE, UNKNOWN = "true", "false", "unknown"
TIER_PREFIX = "tier."
DIMENSIONS = ("region_code", "industry_code", "carrier", "valley_resident")
# Values policies read that derive.py does not compute (name → the facts columns they read).
POLICY_DERIVED = {
    "hte_certified_year": ["hte_certified_on"],  # year the 高企 certificate was issued (first-recognition reward)
    "relocated_years": ["relocated_on"],  # years since the firm moved here, at as_of
}
IMPLICIT_LABELS = {
    "amount_min": "应享金额不低于政策下限",
    "already_received": "此前未享受过该一次性政策",
    "limit_reached": "未超过每户/每年享受上限",
}


def as_version(version: dict | PolicyVersion) -> PolicyVersion:
    return version if isinstance(version, PolicyVersion) else validate_version(version)


def facts_year(version: PolicyVersion, as_of: dt.date) -> int:
    return as_of.year if version.facts_year == "current" else as_of.year - 1


# ---------------------------------------------------------------- what a version reads


@dataclass(frozen=True)
class Plan:
    """A version compiled once: its conditions and the columns it reads."""

    version: PolicyVersion
    conditions: tuple
    fields: tuple[str, ...]


def plan(version: dict | PolicyVersion) -> Plan:
    version = as_version(version)
    conds = tuple(compile_policy_condition(c.id, c.when) for c in version.eligibility)
    fields: list[str] = []
    for name in [f for c in conds for f in c.fields] + bf.read_fields(version.benefit):
        if name not in fields:
            fields.append(name)
    rank_by = version.budget.allocation.rank_by
    if rank_by and rank_by not in fields:
        fields.append(rank_by)
    fields += [bf.PAID_BEFORE, bf.PAID_THIS_YEAR]
    return Plan(version, conds, tuple(fields))


def read_inputs(version: dict | PolicyVersion) -> list[str]:
    """Every value a version needs from outside the rule: the columns it reads, a derived one replaced by the
    facts it is computed from (age_years → registered_on), without the payout history (a record, never asked
    of anyone). What 我的政策 may list as missing, and what the policies app must know a source for."""
    out: list[str] = []
    for name in plan(version).fields:
        if name in (bf.PAID_BEFORE, bf.PAID_THIS_YEAR):
            continue
        for raw in _depends(name) or [name]:
            if raw not in out:
                out.append(raw)
    return out


def referenced_tiers(versions) -> list[str]:
    out: list[str] = []
    for v in versions:
        for name in plan(v).fields:
            if name.startswith(TIER_PREFIX) and name[len(TIER_PREFIX) :] not in out:
                out.append(name[len(TIER_PREFIX) :])
    return out


def _dtype_for(name: str) -> pl.DataType:
    if name.startswith(TIER_PREFIX):
        return pl.Boolean
    if name in (bf.PAID_BEFORE, bf.PAID_THIS_YEAR):
        return pl.Int64
    col = inputs.column(name)
    if col is not None:
        return facts.polars_schema((col,))[name]
    if name in ("class1_ip", "class2_ip", "window_years_3y", "hte_certified_year", "year"):
        return pl.Int64
    return pl.Float64


def snapshot_schema(version: dict | PolicyVersion, columns=()) -> dict[str, pl.DataType]:
    """Dtypes of a version's snapshot fields: the fields it reads plus the facts behind derived ones."""
    p = plan(version)
    names = list(p.fields)
    for name in p.fields:
        for dep in _depends(name):
            if dep in columns and dep not in names:
                names.append(dep)
    return {n: _dtype_for(n) for n in names}


def _depends(name: str) -> list[str]:
    return POLICY_DERIVED.get(name) or derive.DEPENDS.get(name, [])


def _conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Absent columns become null (unknown), present ones take the expected dtype."""
    exprs = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            exprs.append(pl.lit(None, dtype).alias(name))
        elif frame.schema[name] != dtype:
            exprs.append(pl.col(name).cast(dtype, strict=False))
    return frame.with_columns(exprs) if exprs else frame


# ---------------------------------------------------------------- decide (pure)


def _join(items: list[pl.Expr], separator: str) -> pl.Expr:
    """The non-null texts joined by `separator` ("" when none)."""
    if not items:
        return pl.lit("")
    return pl.concat_str(items, separator=separator, ignore_nulls=True).fill_null("")


def decide(version: dict | PolicyVersion, inputs_frame: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Decide `version` for every row of `inputs_frame` (one row per uscc). Pure; see module doc."""
    return decide_lazy(version, inputs_frame, as_of).collect()


def decide_lazy(
    version: dict | PolicyVersion, inputs_frame: pl.DataFrame, as_of: dt.date, detail: bool = True
) -> pl.LazyFrame:
    """`decide` as a lazy query, so a simulation collects all its policies together (in parallel).

    `detail=False` leaves out what a large simulation does not need per row and can rebuild on demand (see
    `Simulation.policy_results`): the `facts` snapshot, the `conditions` outcomes, the report dimensions
    and the Decimal `amount`/`potential_amount` (the exact `*_yuan` integers stay)."""
    p = plan(version)
    v = p.version
    schema = snapshot_schema(v, inputs_frame.columns)
    frame = _conform(inputs_frame, schema).with_columns(
        # payouts are records, not facts: no record of a payment means nothing was paid
        pl.col(bf.PAID_BEFORE).fill_null(0),
        pl.col(bf.PAID_THIS_YEAR).fill_null(0),
    )
    outcomes: list[tuple[str, pl.Expr, tuple[str, ...]]] = [(c.id, c.expr, c.fields) for c in p.conditions]

    capped = bf.amount_before_min(v.benefit, v.limits)
    outcomes.append(("amount_min", bf.amount_min_condition(v.benefit, capped), tuple(bf.read_fields(v.benefit))))
    if v.limits.one_off:
        outcomes.append(("already_received", pl.col(bf.PAID_BEFORE) + pl.col(bf.PAID_THIS_YEAR) == 0, ()))
    remaining = bf.remaining_exprs(v.limits)
    if remaining:
        outcomes.append(("limit_reached", pl.min_horizontal([e for _, e in remaining]) > 0, ()))

    cond_cols = {cid: f"_c.{cid}" for cid, _, _ in outcomes}
    columns, frame_schema = frame.columns, frame.schema
    frame = frame.lazy().with_columns(
        [expr.cast(pl.Boolean).alias(cond_cols[cid]) for cid, expr, _ in outcomes] + [capped.alias("_capped")]
    )
    c = {cid: pl.col(name) for cid, name in cond_cols.items()}
    any_false = pl.any_horizontal([(e == False).fill_null(False) for e in c.values()])  # noqa: E712
    any_unknown = pl.any_horizontal([e.is_null() for e in c.values()])
    eligible = pl.when(any_false).then(pl.lit(FALSE)).when(any_unknown).then(pl.lit(UNKNOWN)).otherwise(pl.lit(TRUE))
    short_of, held = _shortfall(c, any_unknown)

    # missing: each field (derived ones expanded to the facts they read) that is null and read by an
    # unknown condition; one expression per field, so no list de-duplication per row
    readers = _readers(outcomes, columns)
    missing_when = [
        pl.col(name).is_null() & pl.any_horizontal([c[cid].is_null() & pl.col(field).is_null() for cid, field in pairs])
        for name, pairs in readers.items()
    ]
    missing_items = [pl.when(when).then(pl.lit(name)) for when, name in zip(missing_when, readers, strict=True)]
    missing = _join(missing_items, ";")

    gaps = [g for cond in p.conditions for g in gap_exprs(cond, c[cond.id], frame_schema)]
    gaps += _amount_min_gaps(v, c["amount_min"])
    gaps_json = pl.concat_str(pl.lit("["), _join(gaps, ","), pl.lit("]"))

    final = bf.final_amount(v.benefit, pl.col("_capped"))
    amount_yuan = (
        pl.when(eligible == TRUE)
        .then(final)
        .when(eligible == FALSE)
        .then(pl.lit(0, pl.Int64))
        .otherwise(pl.lit(None, pl.Int64))
        .alias("amount_yuan")
    )
    potential = pl.when(eligible == UNKNOWN).then(final).otherwise(pl.lit(None, pl.Int64))
    if not detail and len(cond_cols) <= MAX_CODES and len(readers) <= MAX_CODES:
        # lean: failed and missing as bit masks (decoded on demand with `explain_codes`); no text per row
        failed_mask = pl.sum_horizontal(
            [(~c[cid]).fill_null(False).cast(pl.UInt64) * pl.lit(1 << i, pl.UInt64) for i, cid in enumerate(cond_cols)]
        )
        missing_mask = pl.sum_horizontal(
            [pl.lit(0, pl.UInt64)]
            + [when.fill_null(False).cast(pl.UInt64) * pl.lit(1 << i, pl.UInt64) for i, when in enumerate(missing_when)]
        )
        return frame.select(
            "uscc",
            eligible.alias("eligible"),
            amount_yuan,
            potential.alias("potential_amount_yuan"),
            failed_mask.alias("failed_mask"),
            missing_mask.alias("missing_mask"),
            short_of,
            held,
        )
    dims = [d for d in DIMENSIONS if d in columns]
    out = frame.select(
        "uscc",
        pl.lit(v.id).alias("policy"),
        pl.lit(v.version_id).alias("version_id"),
        pl.lit(as_of).alias("as_of"),
        eligible.alias("eligible"),
        amount_yuan,
        potential.alias("potential_amount_yuan"),
        _join([pl.when((~c[cid]).fill_null(False)).then(pl.lit(cid)) for cid in cond_cols], ";").alias("failed"),
        missing.alias("missing"),
        short_of,
        held,
        gaps_json.alias("gaps"),
        pl.lit(v.stacking_group, pl.Utf8).alias("stacking_group"),
        *(
            [
                pl.struct([c[cid].alias(cid) for cid in cond_cols]).alias("conditions"),
                pl.struct([pl.col(n) for n in schema]).alias("facts"),
                *[pl.col(d) for d in dims],
            ]
            if detail
            else []
        ),
    )
    return out.with_columns(
        money.wan_expr(pl.col("amount_yuan")).alias("amount"),
        money.wan_expr(pl.col("potential_amount_yuan")).alias("potential_amount"),
    )


MAX_CODES = 62  # conditions / missing fields a lean result encodes as bits of a UInt64
# Conditions a firm fails because it already has the benefit (one-off, or its limits used up): not a shortfall.
HELD = ("already_received", "limit_reached")


def _shortfall(c: dict[str, pl.Expr], any_unknown: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """`short_of`: the one condition a not-eligible firm lacks, every other holding and none unknown (a near
    miss, decided as for tiers, decision record 0003), never one it fails because it already has the benefit;
    `held`: the firm meets every condition but already has the benefit by the payout history it is given (the
    platform gives the entitlements of earlier payout years, pending ones included: policies/loaders.ledger)."""
    failed = {cid: (~e).fill_null(False) for cid, e in c.items()}
    n_failed = pl.sum_horizontal([f.cast(pl.Int32) for f in failed.values()])
    n_held = pl.sum_horizontal([pl.lit(0, pl.Int32)] + [failed[h].cast(pl.Int32) for h in HELD if h in failed])
    first = pl.coalesce([pl.when(f).then(pl.lit(cid)) for cid, f in failed.items()])
    short_of = pl.when((n_failed == 1) & (n_held == 0) & ~any_unknown).then(first).alias("short_of")
    held = ((n_failed > 0) & (n_failed == n_held) & ~any_unknown).alias("held")
    return short_of, held


def _readers(outcomes, columns) -> dict[str, list[tuple[str, str]]]:
    """Missing-field name → the (condition id, field read) pairs through which it can be missing."""
    readers: dict[str, list[tuple[str, str]]] = {}
    for cid, _, fields in outcomes:
        for field in fields:
            deps = [d for d in _depends(field) if d in columns]
            for name in deps or [field]:
                readers.setdefault(name, []).append((cid, field))
    return readers


def _outcome_ids(v: PolicyVersion, p: Plan) -> list[tuple[str, tuple[str, ...]]]:
    out = [(c.id, c.fields) for c in p.conditions]
    out.append(("amount_min", tuple(bf.read_fields(v.benefit))))
    if v.limits.one_off:
        out.append(("already_received", ()))
    if bf.remaining_exprs(v.limits):
        out.append(("limit_reached", ()))
    return out


def explain_codes(version: dict | PolicyVersion, columns) -> tuple[list[str], list[str]]:
    """The bit order of a lean result's `failed_mask` (condition ids) and `missing_mask` (field names), for
    a version decided on an inputs frame with these columns."""
    p = plan(version)
    outcomes = [(cid, None, fields) for cid, fields in _outcome_ids(p.version, p)]
    columns = list(dict.fromkeys([*columns, *snapshot_schema(p.version, columns)]))
    return [cid for cid, _, _ in outcomes], list(_readers(outcomes, columns))


def decode_mask(mask: pl.Expr, names: list[str], separator: str = ";") -> pl.Expr:
    """A bit mask → the names of its set bits, joined (vectorised; "" when none)."""
    items = [pl.when((mask & pl.lit(1 << i, pl.UInt64)) > 0).then(pl.lit(n)) for i, n in enumerate(names)]
    return pl.concat_str(items, separator=separator, ignore_nulls=True).fill_null("") if items else pl.lit("")


def _amount_min_gaps(v: PolicyVersion, outcome: pl.Expr) -> list[pl.Expr]:
    """Gap for `amount_min` through a rate cap or a rate base: the base that lifts the amount to the floor."""
    floor = 1 if v.benefit.below_min == "pay" else bf.minimum_yuan(v.benefit)
    sources = [(cap.of, cap.rate) for cap in v.benefit.caps if cap.rate]
    if v.benefit.kind == "rate":
        sources.append((v.benefit.base, v.benefit.rate))
    out = []
    for field, (num, den) in sources:
        needed_yuan = -((-floor * den) // num)  # ceil(floor / rate) in 元
        needed = needed_yuan / money.YUAN_PER_WAN
        current = pl.col(field).cast(pl.Float64)
        mask = (outcome == False) & (current < needed)  # noqa: E712
        out.append(gap_json("amount_min", field, current, needed, (pl.lit(needed) - current).round(4), mask))
    return out


# ---------------------------------------------------------------- inputs


def tier_columns(tier_results: pl.DataFrame) -> pl.DataFrame:
    """Tier results (uscc, tier, qualified "true"/"false"/"unknown") → one row per uscc with Boolean
    columns `tier.<id>` (null = unknown)."""
    if tier_results.is_empty():
        return pl.DataFrame(schema={"uscc": pl.Utf8})
    wide = tier_results.select(
        "uscc",
        (pl.lit(TIER_PREFIX) + pl.col("tier")).alias("tier"),
        pl.when(pl.col("qualified") == TRUE)
        .then(True)
        .when(pl.col("qualified") == FALSE)
        .then(False)
        .otherwise(None)
        .cast(pl.Boolean)
        .alias("q"),
    ).pivot(on="tier", index="uscc", values="q", aggregate_function="first")
    return wide


def payout_totals(payouts: pl.DataFrame | None, policy_id: str, year: int) -> pl.DataFrame:
    """Payout history (uscc, policy, year, amount 万元) → uscc, paid_before, paid_this_year (元)."""
    schema = {"uscc": pl.Utf8, bf.PAID_BEFORE: pl.Int64, bf.PAID_THIS_YEAR: pl.Int64}
    if payouts is None or payouts.is_empty():
        return pl.DataFrame(schema=schema)
    rows = payouts.filter(pl.col("policy") == policy_id).with_columns(money.yuan_expr("amount").alias("_y"))
    return rows.group_by("uscc").agg(
        pl.col("_y").filter(pl.col("year") < year).sum().cast(pl.Int64).alias(bf.PAID_BEFORE),
        pl.col("_y").filter(pl.col("year") == year).sum().cast(pl.Int64).alias(bf.PAID_THIS_YEAR),
    )


def base_inputs(
    panel: pl.DataFrame,
    year: int,
    as_of: dt.date,
    tiers: pl.DataFrame | None = None,
    *,
    reads: set[str] | None = None,
    latest: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Derived values of `year` + the policy-input columns of that year's rows + tier columns (`tiers`: tier
    results, or their `tier_columns` when several years share them). Shared by every policy that reads the same
    fiscal year.

    `reads` (`input_names` of the versions to decide): only those values and the facts behind them are
    derived (None: every derived value). `latest`: `latest_values(panel)`, when several years share it."""
    if reads is None:
        derived = derive.derived_for_year(panel, year, as_of)
    else:
        derived = derive.derived_reading(panel, year, as_of, reads)
    # every firm of the panel is decided, also one with no row up to `year` (its facts are then unknown); first
    # rows found by a hash of the uscc (unique on the text is several times slower)
    firms = panel.select(pl.col("uscc").cast(pl.Utf8)).filter(pl.col("uscc").hash(seed=0).is_first_distinct())
    frame = firms.join(derived, on="uscc", how="left")
    present = [n for n in inputs.POLICY_INPUT_NAMES if n in panel.columns]
    if present:
        extra = panel.filter(pl.col("year") == year).select("uscc", *present).unique("uscc", keep="last")
        frame = frame.join(extra, on="uscc", how="left")
    frame = inputs.with_policy_inputs(frame)
    frame = _with_latest(frame, panel, latest)
    frame = frame.with_columns(
        pl.col("hte_certified_on").dt.year().cast(pl.Int64).alias("hte_certified_year"),
        # the same exact fractional years as age_years (derive.py), so "≤ 3 年" has one meaning
        derive._fractional_years(pl.col("relocated_on"), as_of).alias("relocated_years"),
    )
    if tiers is not None and not tiers.is_empty():
        wide = tiers if "qualified" not in tiers.columns else tier_columns(tiers)
        frame = frame.join(wide, on="uscc", how="left")
    return frame


def input_names(versions) -> set[str]:
    """What `base_inputs` must hold for these versions: the values they read, the facts behind derived ones
    (snapshots and `missing` name them), the report dimensions and placements, and the facts behind the
    policy-derived values."""
    names = {*DIMENSIONS, *PLACEMENTS, *(d for deps in POLICY_DERIVED.values() for d in deps)}
    for v in versions:
        for name in plan(v).fields:
            names.add(name)
            names.update(_depends(name))
    return names


# Where a firm is placed (the carrier hosting it, residency in a valley) is a state the registry records on the
# as-of date (the loader puts it on every row), not a yearly figure: a firm without figures for the facts year
# yet keeps it, instead of reading as "missing". The report dimensions (region, industry) likewise fall back on
# the firm's latest row (they are not decision inputs).
PLACEMENTS = ("carrier", "valley_resident")
REPORT_DIMENSIONS = ("region_code", "industry_code")


def latest_values(panel: pl.DataFrame) -> pl.DataFrame:
    """Per uscc, the latest known value of each report dimension and placement in the panel (`_latest_<name>`):
    the same for every fiscal year, so computed once per simulation."""
    names = [n for n in (*REPORT_DIMENSIONS, *PLACEMENTS) if n in panel.columns]
    return (
        panel.select("uscc", "year", *names)
        .sort("year", maintain_order=True)
        .group_by("uscc", maintain_order=True)
        .agg([pl.col(n).drop_nulls().last().alias(f"_latest_{n}") for n in names])
        .with_columns(pl.col("uscc").cast(pl.Utf8))
    )


def _with_latest(frame: pl.DataFrame, panel: pl.DataFrame, latest: pl.DataFrame | None) -> pl.DataFrame:
    names = [n for n in REPORT_DIMENSIONS if n in panel.columns]
    names += [n for n in PLACEMENTS if n in panel.columns and n in frame.columns]
    if not names:
        return frame
    latest = latest_values(panel) if latest is None else latest
    frame = frame.join(latest.select("uscc", *[f"_latest_{n}" for n in names]), on="uscc", how="left")
    return frame.with_columns([pl.coalesce(n, f"_latest_{n}").alias(n) for n in names]).drop(
        [f"_latest_{n}" for n in names]
    )


def with_payouts(frame: pl.DataFrame, policy_id: str, payouts: pl.DataFrame | None, year: int) -> pl.DataFrame:
    totals = payout_totals(payouts, policy_id, year)
    frame = frame.drop([bf.PAID_BEFORE, bf.PAID_THIS_YEAR], strict=False)
    if totals.is_empty():  # no history of this policy: nothing paid to anyone (no join per policy)
        return frame.with_columns(
            pl.lit(0, pl.Int64).alias(bf.PAID_BEFORE), pl.lit(0, pl.Int64).alias(bf.PAID_THIS_YEAR)
        )
    frame = frame.join(totals, on="uscc", how="left", maintain_order="left")
    # the payout history is a record: no row means nothing was paid
    return frame.with_columns(pl.col(bf.PAID_BEFORE).fill_null(0), pl.col(bf.PAID_THIS_YEAR).fill_null(0))


def available_tiers(as_of: dt.date) -> set[str]:
    from kechuang.engine.tiers import list_rulesets

    return {r["tier"] for r in list_rulesets(as_of)}


def evaluate_tiers(
    panel: pl.DataFrame, as_of: dt.date, tier_ids: list[str], notes: list[str] | None = None
) -> pl.DataFrame | None:
    """Tier results from the tiers engine for the tiers the policies reference (None when none).

    A referenced tier with no rule set in force on `as_of` stays unknown (its `tier.<id>` column is null) and
    a Chinese note says so; it is never read as "not qualified".
    """
    if not tier_ids:
        return None
    from kechuang.engine.tiers import evaluate as evaluate_rules

    have = available_tiers(as_of)
    absent = [t for t in tier_ids if t not in have]
    if absent and notes is not None:
        notes.append(f"{as_of} 没有有效的梯队规则：{'、'.join(absent)}，引用它们的条件按“未知”处理")
    wanted = [t for t in tier_ids if t in have]
    if not wanted:
        return None
    return evaluate_rules(panel, as_of, tiers=wanted, explain=False, detail=False)  # reads `qualified` alone


def prepare_inputs(
    version: dict | PolicyVersion,
    panel: pl.DataFrame,
    as_of: dt.date,
    tiers: pl.DataFrame | None = None,
    payouts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The inputs frame of one version (step 1). `tiers`: precomputed tier results (else computed)."""
    v = as_version(version)
    if tiers is None:
        tiers = evaluate_tiers(panel, as_of, referenced_tiers([v]))
    frame = base_inputs(panel, facts_year(v, as_of), as_of, tiers)
    return with_payouts(frame, v.id, payouts, as_of.year)


def evaluate_policy(
    version: dict | PolicyVersion,
    panel: pl.DataFrame,
    as_of: dt.date,
    tiers: pl.DataFrame | None = None,
    payouts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Prepare the inputs from a facts panel and decide one version."""
    return decide(version, prepare_inputs(version, panel, as_of, tiers, payouts), as_of)


# ---------------------------------------------------------------- replay


def snapshots_json(results: pl.DataFrame) -> pl.DataFrame:
    """uscc + the facts snapshot as JSON text (what a stored decision keeps beside the version dict)."""
    return results.select("uscc", pl.col("facts").struct.json_encode().alias("facts_json"))


def replay(version: dict, snapshots: list[dict] | pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Decide again from a stored version dict, stored facts snapshots and the original as-of date.

    `snapshots`: dicts (each the `facts` of a result plus `uscc`), or a frame of `uscc` + `facts_json`.
    """
    schema = snapshot_schema(version)
    if isinstance(snapshots, pl.DataFrame):
        rows = [dict(json.loads(text), uscc=u) for u, text in snapshots.select("uscc", "facts_json").iter_rows()]
    else:
        rows = list(snapshots)
    full = {"uscc": pl.Utf8, **schema}
    extra = {k for r in rows for k in r} - set(full)
    for name in sorted(extra):
        full[name] = _dtype_for(name)
    frame = pl.DataFrame(
        [{k: r.get(k) for k in full} for r in rows],
        schema={k: (pl.Utf8 if d == pl.Date else d) for k, d in full.items()},
        orient="row",
    )
    dates = [pl.col(k).str.to_date() for k, d in full.items() if d == pl.Date]
    if dates:
        frame = frame.with_columns(dates)
    return decide(version, frame, as_of)
