"""Evaluate tier rule sets over a facts panel: one result row per enterprise per tier, with its reasons.

`evaluate(facts, as_of, tiers, parameter_versions, local_set)` derives the fiscal year's values once
(derive.py), compiles every selected rule set to Polars expressions, and runs each as a lazy query over
slices of enterprises. No Python runs per enterprise.

Decision policy (data-dictionary.md "Unknown is not false"):
- A condition is true, false or unknown (null). A route holds when all its `all` conditions hold and, if it
  has `any` conditions, one of them holds (Kleene logic). The tier is qualified when some route holds, not
  qualified when every route fails, unknown otherwise; `route` names the first route that holds.
- `failed` lists the false non-option conditions of an enterprise that is not qualified; `missing` lists the
  unknown facts fields read by unknown conditions of an enterprise whose result is unknown; `gaps` gives,
  for each failed condition, the smallest change of one field that passes it (one entry per field that
  can do it alone). Options (the alternatives of a direct route) never appear in failed or gaps: lacking
  an award is not a shortfall.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import polars as pl

from kechuang.engine import derive
from kechuang.engine.conditions import compile_condition, condition_fields
from kechuang.engine.tiers.model import RuleSet, RuleSetError, ruleset_by_label, rulesets_in_force, select_rulesets
from kechuang.engine.tiers.scoring import (
    INCREASING,
    build_parts,
    part_exprs,
    part_fields,
    round_required,
    score_gap_candidates,
)

RESULT_COLUMNS = (
    "uscc",
    "tier",
    "ruleset",
    "qualified",
    "route",
    "score",
    "score_min",
    "score_max",
    "failed",
    "missing",
    "gaps",
)
# `evaluate(detail=False)`: the decisions alone.
DECISION_COLUMNS = ("uscc", "tier", "ruleset", "qualified", "route", "score", "score_min", "score_max")
# With `explain`: the explanation (JSON text) and `short_of`, the `;`-separated conditions of the one
# requirement the enterprise lacks when it is exactly one short of the tier (the near-miss lists).
EXPLAIN_COLUMNS = ("explanation", "short_of")
_COND = "_c_"
# Enterprises evaluated together, one rule set at a time: bounded memory (touching fresh pages costs
# more than the evaluation itself). Measured at 1M enterprises, all tiers: 500k rows one rule set at a
# time ~5.5-6.3 s; 250k rows with all rule sets collected together ~6.4-7.9 s, at the same peak memory.
CHUNK_ROWS = 500_000
# `gaps`: for each failed condition, the smallest change of one field that passes it.
GAP = pl.Struct(
    {
        "condition": pl.Categorical,
        "field": pl.Categorical,
        "current": pl.Float64,
        "required": pl.Float64,
        "delta": pl.Float64,
    }
)
GAPS = pl.List(GAP)
# The result's repeated texts are categoricals (4 bytes a row, 1 for an Enum, against 16 for a string: at a
# million firms and nine tiers the strings alone took about 1 GiB). `qualified` is a fixed set, in the order
# its texts sort (group-bys and sorts of readers come out as they did with strings); the others are open sets.
QUALIFIED = pl.Enum(["false", "true", "unknown"])
CATEGORICAL_COLUMNS = ("tier", "ruleset", "route", "failed", "missing", "short_of")


@dataclass
class Subset:
    """A bitmask column computed only on the rows it can be set on (`missing`: the unknown results, `short_of`:
    the not qualified ones), after its own stages; 0 on the other rows. Most rows of a run have no missing
    field, and the masks read many columns each."""

    name: str
    rows: pl.Expr
    stages: list[list[pl.Expr]]
    mask: pl.Expr

    def exprs(self) -> list[pl.Expr]:
        return [self.rows, *[e for stage in self.stages for e in stage], self.mask]

    def made(self) -> set[str]:
        return {e.meta.output_name() for stage in self.stages for e in stage}


@dataclass
class Compiled:
    ruleset: RuleSet
    params: dict
    query_exprs: list[list[pl.Expr]]  # successive with_columns stages
    output: list[pl.Expr]
    gap_items: list[tuple[str, str, str, pl.Expr]]  # condition, field, op, required value
    failed_ids: list[str]
    missing_labels: list[str]
    subsets: list[Subset]

    def reads(self, columns) -> set[str]:
        """Columns of the derived frame this rule set reads for the result `columns` (the root names of its
        expressions, less the columns its own stages add): each chunk computes only these derived values,
        once for every rule set."""
        exprs = [e for stage in self.query_exprs for e in stage]
        exprs += [e for e in self.output if e.meta.output_name() in columns]
        gaps = self.gap_items if "gaps" in columns else []
        exprs += [g[3] for g in gaps]
        subsets = [s for s in self.subsets if s.name in columns]
        exprs += [e for s in subsets for e in s.exprs()]
        made = {e.meta.output_name() for stage in self.query_exprs for e in stage}
        made |= {name for s in subsets for name in s.made()}
        roots = {name for e in exprs for name in e.meta.root_names()} | {g[1] for g in gaps}
        return roots - made - {"_row"}


def _param_values(ruleset: RuleSet, as_of: dt.date, overrides) -> dict:
    return ruleset.params(as_of, overrides or ()).as_dict()


def _threshold(spec, params: dict) -> tuple[float, str | None]:
    if isinstance(spec, str):
        if spec not in params:
            raise RuleSetError(f"未知参数“{spec}”")
        return float(params[spec]), spec
    return float(spec), None


_BITS = 64


def _bitmask(flags: list[pl.Expr]) -> pl.Expr:
    """Flags (true = listed) packed into an integer; nulls count as not listed. Strings are made per
    distinct mask afterwards (`_mask_text`): far cheaper than concatenating strings on every row. More than
    64 flags (the 梯度 rule sets read that many facts fields) are packed into a struct of integers `m0`, `m1`…"""
    if not flags:
        return pl.lit(0, dtype=pl.UInt64)
    masks = [
        pl.sum_horizontal(
            [
                pl.when(f).then(pl.lit(1 << i, dtype=pl.UInt64)).otherwise(pl.lit(0, dtype=pl.UInt64))
                for i, f in enumerate(flags[start : start + _BITS])
            ]
        )
        for start in range(0, len(flags), _BITS)
    ]
    return masks[0] if len(masks) == 1 else pl.struct(*[m.alias(f"m{k}") for k, m in enumerate(masks)])


def _mask_text(mask: pl.Series, names: list[str]) -> pl.Series:
    """`;`-joined names of the set bits, computed once per distinct mask (per integer of a struct mask)."""
    if mask.dtype == pl.Struct:
        parts = [
            _mask_text(mask.struct.field(f"m{k}"), names[k * _BITS : (k + 1) * _BITS]).alias(f"m{k}")
            for k in range(len(mask.struct.fields))
        ]
        frame = pl.DataFrame(parts)
        joined = pl.concat_str(
            [pl.when(pl.col(c) != "").then(pl.col(c)) for c in frame.columns], separator=";", ignore_nulls=True
        )
        return frame.select(joined.fill_null("").cast(pl.Categorical).alias(mask.name)).to_series()
    mapping = {
        int(m): ";".join(name for i, name in enumerate(names) if int(m) >> i & 1) for m in mask.unique().to_list()
    }
    if not mapping:  # no rows (a subset without any)
        return pl.Series(mask.name, [], dtype=pl.Categorical)
    return mask.replace_strict(mapping, return_dtype=pl.Categorical)


def _gap_lists(evaluated: pl.LazyFrame, gap_items: list) -> pl.LazyFrame | None:
    """Lazy `(_row, gaps)`: the gap list of every row that has a gap.

    Each gap item is computed on the rows where its condition failed and the tier is not qualified, not
    on every row: required values (score band inversions, ratios) cost far more over the whole frame than
    the evaluation itself. An item is kept when its change goes the right way (delta > 0 for a minimum).
    Items are built item-major, then gathered per row in their order (conditions in order, then fields).
    `evaluated` is the slice with its conditions already computed (`_queries`), shared with the main query;
    `collect_all` builds the items in parallel.
    """
    if not gap_items:
        return None
    not_qualified = pl.col("qualified") != "true"
    items = []
    for cid, fld, op, required in gap_items:
        delta = (pl.col("required") - pl.col("current")).round(4)
        right_way = delta > 0 if op in INCREASING else delta < 0
        items.append(
            evaluated.filter((pl.col(_COND + cid) == False) & not_qualified)  # noqa: E712 - Kleene compare
            .select(
                "_row",
                pl.col(fld).cast(pl.Float64).alias("current"),
                required.cast(pl.Float64).alias("required"),
            )
            .filter(right_way)
            .select(
                "_row",
                pl.struct(
                    pl.lit(cid, dtype=pl.Categorical).alias("condition"),
                    pl.lit(fld, dtype=pl.Categorical).alias("field"),
                    "current",
                    "required",
                    delta.alias("delta"),
                ).alias("gaps"),
            )
        )
    # A stable sort by row keeps the item order within a row and makes the list aggregation cheap.
    return pl.concat(items).sort("_row", maintain_order=True).group_by("_row", maintain_order=True).agg("gaps")


def _place_gaps(height: int, lists: pl.DataFrame | None) -> pl.Series:
    """Full-height `gaps` column: the lists at their rows, empty lists elsewhere (one gather)."""
    empty = pl.Series([[]], dtype=GAPS)
    if lists is None or lists.height == 0:
        return empty.gather(pl.zeros(height, dtype=pl.UInt32, eager=True))
    index = pl.repeat(lists.height, height, dtype=pl.UInt32, eager=True).scatter(
        lists["_row"], pl.int_range(lists.height, dtype=pl.UInt32, eager=True)
    )
    return pl.concat([lists["gaps"], empty]).rechunk().gather(index)


def for_file(results: pl.DataFrame) -> pl.DataFrame:
    """Results as the tier results CSV has them: `gaps` as JSON text (formatted only when written: the
    text of a million enterprises' gaps is a gigabyte), the categoricals as plain text (what writers treat
    as text: empty cells, formula neutralising)."""
    encoded = pl.col("gaps").list.eval(pl.element().struct.json_encode()).list.join(",")
    return results.with_columns(
        pl.concat_str([pl.lit("["), encoded, pl.lit("]")]).alias("gaps"),
        pl.col(pl.Categorical, pl.Enum).cast(pl.Utf8),
    )


def _outcome(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.is_null()).then(pl.lit("unknown")).when(expr).then(pl.lit("true")).otherwise(pl.lit("false"))


def _columns_of(names, values: dict[str, str], params: dict) -> list[str]:
    """Frame columns behind the names a condition reads, expanding rule-set values (not derived values)."""
    out: list[str] = []
    for name in names:
        expanded = _columns_of(condition_fields(values[name], params), values, params) if name in values else [name]
        for f in expanded:
            if f not in out:
                out.append(f)
    return out


def compile_ruleset(  # noqa: C901
    ruleset: RuleSet, as_of: dt.date, overrides=None, explain: bool = True, near_misses: bool | None = None
) -> Compiled:
    """The rule set's expressions; `explain` adds the explanation (JSON text), `near_misses` (default: as
    `explain`) the `short_of` column."""
    near_misses = explain if near_misses is None else near_misses
    params = _param_values(ruleset, as_of, overrides)
    values = ruleset.values
    fiscal_year = as_of.year - ruleset.fiscal_year_offset
    # Conditions compare ages with numbers as dates (derive.age_comparison): the ages are not computed for
    # them (an explanation, a score band or a rule-set value that reads an age still computes it).
    dated = derive.ages(fiscal_year, as_of)
    comparisons = {name: partial(derive.age_comparison, start, day) for name, (start, day) in dated.items()}
    stages: list[list[pl.Expr]] = []
    for name, text in values.items():
        stages.append([compile_condition(str(text), params).alias(name)])
    parts = build_parts(ruleset.scores, params)
    by_id = {p.id: p for p in parts}
    if parts:
        built = [part_exprs(p, params) for p in parts]
        stages.append([e for first, _ in built for e in first])
        stages.append([e for _, second in built for e in second])

    cond_exprs, cond_fields, gap_items, explain_items, options = [], {}, [], [], set()
    possible: dict[str, pl.Expr] = {}  # condition → its value for `short_of`
    for cond in ruleset.conditions:
        cid = cond["id"]
        if cond.get("option"):
            options.add(cid)
        col = pl.col(_COND + cid)
        values_struct: dict[str, pl.Expr] = {}
        thresholds: dict[str, pl.Expr] = {}
        if "score" in cond:
            spec = cond["score"]
            chosen = [by_id[i] for i in spec.get("parts", list(by_id))]
            strict = "above" in spec
            t, t_name = _threshold(spec["above"] if strict else spec["at_least"], params)
            lo = pl.sum_horizontal([pl.col(f"_p_{p.id}_lo") for p in chosen])
            hi = pl.sum_horizontal([pl.col(f"_p_{p.id}_hi") for p in chosen])
            if strict:
                expr = pl.when(lo > t).then(True).when(hi <= t).then(False)
            else:
                expr = pl.when(lo >= t).then(True).when(hi < t).then(False)
            names = [f for p in chosen for f in part_fields(p, params)]
            # A score whose range (expert parts, and facts not given, widen it) straddles the threshold can
            # still pass: for near misses it does not stand between a firm and the tier.
            possible[cid] = hi > t if strict else hi >= t
            if cond.get("or_when"):
                alternative = compile_condition(cond["or_when"], params, comparisons=comparisons)
                expr = expr | alternative
                possible[cid] = possible[cid] | alternative  # unknown when the score cannot and it is unknown
                names += condition_fields(cond["or_when"], params)
            values_struct.update(score_min=lo, score_max=hi)
            thresholds[t_name or "threshold"] = pl.lit(t)
            for part in chosen:
                others = [pl.col(f"_p_{p.id}_lo") for p in chosen if p is not part]
                needed = pl.lit(t) - (pl.sum_horizontal(others) if others else pl.lit(0.0))
                for fld, (op, _unit, cands) in score_gap_candidates(part, needed, strict, params).items():
                    req = pl.min_horizontal(cands) if op in INCREASING else pl.max_horizontal(cands)
                    gap_items.append((cid, fld, op, req))
        else:
            text = str(cond["when"])
            expr = compile_condition(text, params, comparisons=comparisons)
            names = condition_fields(text, params)
            for name in names:
                values_struct[name] = pl.col(name)
            for name in cond.get("explain", []):  # shown beside the values it reads (e.g. which denominator)
                values_struct[name] = pl.col(name)
            for name in condition_fields(text, {}):
                if name in params and not isinstance(params[name], (list, dict)):
                    thresholds[name] = pl.lit(params[name])
                elif name in values:
                    thresholds[name] = pl.col(name)
            for gap in cond.get("gaps", []):
                op = gap.get("op", ">=")
                req = round_required(compile_condition(str(gap["required"]), params), gap.get("unit"), op)
                gap_items.append((cid, gap["field"], op, req))
        cond_exprs.append(expr.alias(_COND + cid))
        cond_fields[cid] = _columns_of(names, values, params)
        if explain:
            explain_items.append(
                (
                    cid,
                    pl.struct(
                        _outcome(col).alias("outcome"),
                        pl.struct(**values_struct).alias("values") if values_struct else pl.lit(None).alias("values"),
                        pl.struct(**thresholds).alias("thresholds") if thresholds else pl.lit(None).alias("thresholds"),
                    ),
                )
            )
    stages.append(cond_exprs)

    route_exprs = []
    for route in ruleset.routes:
        parts_ = [pl.all_horizontal([pl.col(_COND + c) for c in route.get("all", [])])] if route.get("all") else []
        if route.get("any"):
            parts_.append(pl.any_horizontal([pl.col(_COND + c) for c in route["any"]]))
        route_exprs.append((route["kind"], pl.all_horizontal(parts_)))
    any_true = pl.any_horizontal([e for _, e in route_exprs])
    # Built in their result types: a text per row, cast afterwards, cost more than the condition itself.
    qualified = (
        pl.when(any_true)
        .then(pl.lit("true", dtype=QUALIFIED))
        .when(any_true.is_null())
        .then(pl.lit("unknown", dtype=QUALIFIED))
        .otherwise(pl.lit("false", dtype=QUALIFIED))
    )
    route_col = pl.lit(None, dtype=pl.Categorical)
    for kind, e in reversed(route_exprs):
        route_col = pl.when(e.fill_null(False)).then(pl.lit(kind, dtype=pl.Categorical)).otherwise(route_col)
    stages.append([qualified.alias("qualified"), route_col.alias("route")])

    not_qualified = pl.col("qualified") != "true"
    failed_ids = [c["id"] for c in ruleset.conditions if c["id"] not in options]
    failed = _bitmask([pl.col(_COND + cid).not_() & not_qualified for cid in failed_ids])
    subsets = []
    if near_misses:
        subsets.append(_short_of(ruleset.routes, possible, options, failed_ids))
    # A facts field is missing when it is null, some derived value it feeds is null, and a condition
    # reading that value is unknown (e.g. invention_patents is not missing when class1_ip is known).
    known_columns = _known_columns()
    reasons: dict[str, list[pl.Expr]] = {}
    for cid, names in cond_fields.items():
        unknown = pl.col(_COND + cid).is_null()
        for name in names:
            is_null = derive.age_unknown(*dated[name]) if name in dated else pl.col(name).is_null()
            for f in derive.facts_fields([name]):
                if f in known_columns:
                    reasons.setdefault(f, []).append(unknown & is_null)
    missing_labels = [_field_label(f, fiscal_year) for f in reasons]
    missing_flags = [
        # the next year's columns are null without a row for that year: missing only where the row exists
        pl.col(f).is_null()
        & pl.any_horizontal(r)
        & (pl.col("has_next_year_row") if f.endswith(_NEXT) else pl.lit(True))
        for f, r in reasons.items()
    ]
    subsets.append(Subset("missing", pl.col("qualified") == "unknown", [], _bitmask(missing_flags)))

    has_score = bool(parts)
    if has_score:
        score_min = pl.sum_horizontal([pl.col(f"_p_{p.id}_lo") for p in parts])
        score_max = pl.sum_horizontal([pl.col(f"_p_{p.id}_hi") for p in parts])
        all_known = pl.all_horizontal([pl.col(f"_p_{p.id}_known") for p in parts])
        score = pl.when(all_known).then(pl.sum_horizontal([pl.col(f"_p_{p.id}_obj") for p in parts]))
    else:
        score = score_min = score_max = pl.lit(None, dtype=pl.Float64)
    output = [
        pl.col("uscc"),
        pl.lit(ruleset.tier, dtype=pl.Categorical).alias("tier"),
        pl.lit(ruleset.label, dtype=pl.Categorical).alias("ruleset"),
        pl.col("qualified"),
        pl.col("route"),
        score.alias("score"),
        score_min.alias("score_min"),
        score_max.alias("score_max"),
        failed.alias("failed"),
    ]
    if explain:
        sub_scores = {
            p.id: pl.struct(pl.col(f"_p_{p.id}_lo").alias("min"), pl.col(f"_p_{p.id}_hi").alias("max")) for p in parts
        }
        body = {
            "fiscal_year": pl.lit(fiscal_year),
            "conditions": pl.struct(**dict(explain_items)),
        }
        if sub_scores:
            body["scores"] = pl.struct(**sub_scores)
        output.append(pl.struct(**body).struct.json_encode().alias("explanation"))
    return Compiled(ruleset, params, stages, output, gap_items, failed_ids, missing_labels, subsets)


def _short_of(routes: list[dict], possible: dict[str, pl.Expr], options: set[str], ids: list[str]) -> Subset:
    """Bitmask over `ids` of the one requirement a not-qualified enterprise lacks: the first route in which
    exactly one requirement (a condition of its `all`, or its `any` group as a whole) is false and every
    other holds, none unknown (`possible`: a score whose range straddles its threshold counts as holding).
    Routes whose `any` group is options (awards) do not count: lacking an award is not a shortfall. 0 when
    no route is one requirement short. Each requirement's `false` and the chosen route are columns of their own
    stages: every flag reads them."""
    counted, falses, known = [], [], []
    for route in routes:
        group = route.get("any", [])
        if any(c in options for c in group):
            continue
        k = len(counted)
        value = {c: possible.get(c, pl.col(_COND + c)) for c in [*route.get("all", []), *group]}
        slots = [([c], value[c]) for c in route.get("all", [])]
        if group:
            slots.append((group, pl.any_horizontal([value[c] for c in group])))
        names = [(names, f"_sf_{k}_{j}") for j, (names, _) in enumerate(slots)]
        falses += [v.not_().fill_null(False).alias(col) for (_, col), (_, v) in zip(names, slots, strict=True)]
        known.append((pl.sum_horizontal([v.is_null().cast(pl.UInt8) for _, v in slots]) == 0).alias(f"_sk_{k}"))
        counted.append(names)
    rows = pl.col("qualified") == "false"
    if not counted:
        return Subset("short_of", rows, [], pl.lit(0, dtype=pl.UInt64))
    chosen = pl.lit(None, dtype=pl.Int8)
    for k in reversed(range(len(counted))):
        n_false = pl.sum_horizontal([pl.col(col).cast(pl.UInt8) for _, col in counted[k]])
        one_short = (n_false == 1) & pl.col(f"_sk_{k}")
        chosen = pl.when(one_short).then(pl.lit(k, dtype=pl.Int8)).otherwise(chosen)
    flags = [
        pl.any_horizontal(
            [
                (pl.col("_short_route") == k) & pl.col(col)
                for k, slots in enumerate(counted)
                for names, col in slots
                if cid in names
            ]
            or [pl.lit(False)]
        )
        for cid in ids
    ]
    return Subset("short_of", rows, [falses + known, [chosen.alias("_short_route")]], _bitmask(flags))


_KNOWN: set[str] | None = None


def _known_columns() -> set[str]:
    """Columns of a derived frame (computed once from an empty panel)."""
    global _KNOWN
    if _KNOWN is None:
        from kechuang.engine import facts

        _KNOWN = set(derive.derived_for_year(facts.empty_frame(), 2020, dt.date(2021, 1, 1)).columns)
    return _KNOWN


_NEXT = "_next1"


def _field_label(field: str, fiscal_year: int) -> str:
    """`rd_expense_prev1` -> `rd_expense@2023` for fiscal year 2024 (`major_accident_next1` ->
    `major_accident@2025`); plain fields -> `field`."""
    if field.endswith(_NEXT):
        return f"{field[: -len(_NEXT)]}@{fiscal_year + 1}"
    for k in (1, 2, 3):
        suffix = f"_prev{k}"
        if field.endswith(suffix):
            return f"{field[: -len(suffix)]}@{fiscal_year - k}"
    return field


_COMPILED: dict[tuple, tuple[RuleSet, Compiled]] = {}
_COMPILED_MAX = 64


def _compiled(ruleset: RuleSet, as_of: dt.date, overrides, explain: bool, near_misses: bool) -> Compiled:
    """`compile_ruleset`, kept for the next call with the same rule set, date and parameter versions: building
    the expressions costs more than evaluating one firm (the explanation of one firm is computed on demand)."""
    key = (ruleset.label, as_of, json.dumps(overrides or [], sort_keys=True, default=str), explain, near_misses)
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is ruleset:
        return hit[1]
    compiled = compile_ruleset(ruleset, as_of, overrides, explain, near_misses)
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[key] = (ruleset, compiled)
    return compiled


def _queries(derived: pl.LazyFrame, compiled: Compiled, columns) -> dict[str, pl.LazyFrame]:
    """The queries of one rule set over the derived values of a slice: `result` (only the result `columns`
    asked for), `gaps` (when asked for) and each subset mask asked for (`_row` and the mask)."""
    lf = derived.with_row_index("_row")
    for stage in compiled.query_exprs:
        lf = lf.with_columns(stage)
    output = [e for e in compiled.output if e.meta.output_name() in columns]
    gap_items = compiled.gap_items if "gaps" in columns else []
    subsets = [s for s in compiled.subsets if s.name in columns]
    if not gap_items and not subsets:
        return {"result": lf.select(output)}
    # The conditions are evaluated once, then read by every query: each gap item's filter would otherwise
    # evaluate the stages again (common-subplan elimination does not reach inside them). Only the columns
    # the queries read are kept.
    exprs = [*output, *[required for *_, required in gap_items], *[e for s in subsets for e in s.exprs()]]
    kept = {n for e in exprs for n in e.meta.root_names()}
    kept |= {fld for _, fld, _, _ in gap_items} | {_COND + cid for cid, *_ in gap_items}
    kept |= {"_row", "qualified"}
    evaluated = lf.select([n for n in lf.collect_schema().names() if n in kept]).collect().lazy()
    queries = {"result": evaluated.select(output)}
    if gap_items:
        queries["gaps"] = _gap_lists(evaluated, gap_items)
    for subset in subsets:
        part = evaluated.filter(subset.rows)
        for stage in subset.stages:
            part = part.with_columns(stage)
        queries[subset.name] = part.select("_row", subset.mask.alias(subset.name))
    return queries


def evaluate(
    facts: pl.DataFrame,
    as_of: dt.date,
    tiers: list[str] | None = None,
    parameter_versions: list[dict] | None = None,
    local_set: str | Mapping[str, str] | None = None,
    explain: bool = True,
    near_misses: bool | None = None,
    detail: bool = True,
) -> pl.DataFrame:
    """Evaluate tiers for every enterprise of the facts panel on `as_of`.

    Returns RESULT_COLUMNS (+ EXPLAIN_COLUMNS when `explain`; + `short_of` alone when only `near_misses`),
    one row per enterprise per tier, ordered by tier then the order of first appearance of the enterprise in
    `facts`. `gaps` is a list of GAP structs (`for_file` turns it into the JSON text of the tier results CSV);
    `qualified` is a QUALIFIED Enum, the other repeated texts CATEGORICAL_COLUMNS (compare them with text as
    usual; cast to text before `.str` methods).
    `tiers`: tier ids or rule set ids (None = all tiers in force); `local_set`: variant for tiers that
    have local alternatives (e.g. "jinan" for gazelle), or a mapping tier → variant (the bureau's region
    profile); a tier not named gets the rule file's default variant;
    `parameter_versions`: run-time dated parameter versions
    `[{ruleset, parameter, effective_from, value, source, note}]`; the version in force on `as_of` wins.
    `near_misses` (default: as `explain`): the `short_of` column, without the explanations (a stored run
    keeps near misses; explanations are computed on demand, `explanations`). `detail=False`: the decisions
    alone (DECISION_COLUMNS: qualified, route, score bounds), for readers of nothing else (policy conditions
    on a tier); failed, missing and gaps are then not computed.
    """
    near_misses = explain if near_misses is None else near_misses
    rulesets = select_rulesets(as_of, tiers, local_set)
    if not detail:
        return _run(facts, as_of, rulesets, parameter_versions, False, False, list(DECISION_COLUMNS))
    columns = list(RESULT_COLUMNS)
    if explain:
        columns += EXPLAIN_COLUMNS
    elif near_misses:
        columns.append("short_of")
    return _run(facts, as_of, rulesets, parameter_versions, explain, near_misses, columns)


def explanations(
    facts: pl.DataFrame, as_of: dt.date, labels: list[str], parameter_versions: list[dict] | None = None
) -> pl.DataFrame:
    """The explanation of every enterprise of `facts` for the rule set versions `labels` (`tech_sme@2022-05-01`,
    as a stored run names them), on `as_of` with the run's parameter versions: uscc, tier, ruleset, qualified,
    route, explanation (JSON text). Decisions are recomputed, gaps are not (a run stores them)."""
    rulesets = []
    for label in dict.fromkeys(labels):
        ruleset = ruleset_by_label(label)
        if ruleset is None:
            raise RuleSetError(f"没有规则集版本“{label}”")
        rulesets.append(ruleset)
    columns = ["uscc", "tier", "ruleset", "qualified", "route", "explanation"]
    return _run(facts, as_of, rulesets, parameter_versions, True, False, columns)


def _run(
    facts: pl.DataFrame,
    as_of: dt.date,
    rulesets: list[RuleSet],
    parameter_versions: list[dict] | None,
    explain: bool,
    near_misses: bool,
    columns: list[str],
) -> pl.DataFrame:
    if not rulesets:
        return empty_results(explain=True).select(columns)
    # Per fiscal year: the enterprises' rows side by side, and the derived values as lazy stages; each chunk
    # computes once the derived values the year's rule sets read.
    compiled_all = []
    reads: dict[int, set[str]] = {}
    for ruleset in rulesets:
        year = as_of.year - ruleset.fiscal_year_offset
        compiled = _compiled(ruleset, as_of, parameter_versions, explain, near_misses)
        compiled_all.append((compiled, year))
        reads.setdefault(year, set()).update(compiled.reads(columns))
    # The facts columns the year's derived values read: the only ones placed side by side.
    frames: dict[int, tuple[pl.DataFrame, list[list[pl.Expr]]]] = {}
    for year, names in reads.items():
        stages = derive.needed_stages(derive.derived_stages(year, as_of), names)
        roots = {n for stage in stages for e in stage for n in e.meta.root_names()}
        frames[year] = derive.derived_lazy(facts, year, as_of, derive.base_names(names | roots))
    pieces: list[list[pl.DataFrame]] = [[] for _ in compiled_all]
    height = max(base.height for base, _ in frames.values())
    for offset in range(0, max(height, 1), CHUNK_ROWS):
        derived = {year: _derived_slice(base, stages, offset, reads[year]) for year, (base, stages) in frames.items()}
        for k, (compiled, year) in enumerate(compiled_all):
            pieces[k].append(_evaluate_slice(compiled, derived[year], columns))
    return pl.concat([p for per_ruleset in pieces for p in per_ruleset], how="vertical")


def _derived_slice(base: pl.DataFrame, stages: list[list[pl.Expr]], offset: int, reads: set[str]) -> pl.LazyFrame:
    """The derived values the rule sets of a fiscal year read, computed once for the slice (not once per rule
    set: their plans would each repeat the shared ones), as a frame the rule sets' queries start from."""
    lf = base.slice(offset, CHUNK_ROWS).lazy()
    for stage in derive.needed_stages(stages, reads):
        lf = lf.with_columns(stage)
    names = [c for c in lf.collect_schema().names() if c in reads]
    return lf.select(names).collect().lazy()


def _evaluate_slice(compiled: Compiled, derived: pl.LazyFrame, columns: list[str]) -> pl.DataFrame:
    """One rule set over one slice of enterprises: its queries together, then the texts."""
    queries = _queries(derived, compiled, columns)
    frames = dict(zip(queries, pl.collect_all(list(queries.values())), strict=True))
    r = frames["result"]
    texts = [_mask_text(r["failed"], compiled.failed_ids).alias("failed")] if "failed" in r.columns else []
    names = {"short_of": compiled.failed_ids, "missing": compiled.missing_labels}
    for subset in compiled.subsets:
        if subset.name in frames:
            part = frames[subset.name]
            texts.append(_spread(r.height, part["_row"], _mask_text(part[subset.name], names[subset.name])))
    if "gaps" in columns:
        texts.append(_place_gaps(r.height, frames.get("gaps")).alias("gaps"))
    return _cast_out(r.with_columns(*texts)).select(columns)


def _spread(height: int, rows: pl.Series, texts: pl.Series) -> pl.Series:
    """The full-height text column of a subset: its texts at their rows, empty elsewhere (one gather)."""
    index = pl.repeat(len(texts), height, dtype=pl.UInt32, eager=True).scatter(
        rows, pl.int_range(len(texts), dtype=pl.UInt32, eager=True)
    )
    return pl.concat([texts, pl.Series([""], dtype=pl.Categorical)]).rechunk().gather(index).alias(texts.name)


def _cast_out(df: pl.DataFrame) -> pl.DataFrame:
    scores = [c for c in ("score", "score_min", "score_max") if c in df.columns]
    texts = [c for c in ("failed", "missing") if c in df.columns]
    return df.with_columns(
        *([pl.col(scores).cast(pl.Float64)] if scores else []),
        *([pl.col(texts).fill_null("")] if texts else []),
    )


def empty_results(explain: bool = True) -> pl.DataFrame:
    schema = {c: pl.Utf8 for c in RESULT_COLUMNS}
    schema.update(score=pl.Float64, score_min=pl.Float64, score_max=pl.Float64, gaps=GAPS, qualified=QUALIFIED)
    if explain:
        schema.update(dict.fromkeys(EXPLAIN_COLUMNS, pl.Utf8))
    schema.update({c: pl.Categorical for c in CATEGORICAL_COLUMNS if c in schema})
    return pl.DataFrame(schema=schema)


def list_rulesets(as_of: dt.date, parameter_versions: list[dict] | None = None) -> list[dict]:
    """Rule sets in force on `as_of` with their parameters (value, verification flag, source, date)."""
    out = []
    for r in rulesets_in_force(as_of):
        resolved = r.params(as_of, parameter_versions or ()).versions
        out.append(
            {
                "id": r.id,
                "version": r.version,
                "tier": r.tier,
                "variant": r.variant,
                "default": r.default,
                "name_zh": r.name,
                "effective_from": r.effective_from,
                "effective_to": r.effective_to,
                "source": r.source,
                "notes": r.notes,
                "source_urls": r.source_urls,
                "parameters": [
                    {
                        "path": name,
                        "label": r.parameter_labels[name],
                        "value": v.value,
                        "verified": v.verified,
                        "source": v.source,
                        "effective_from": v.effective_from,
                        "note": v.note,
                    }
                    for name, v in resolved.items()
                ],
            }
        )
    return out
