"""Band-table scores as intervals: each sub-score is [lo, hi] points.

A score part is one or more components summed (and optionally capped). A component is a best-of over band
tables, or an expert range (`expert: [lo, hi]`) that only a reviewer can fix. A band table maps an input
value to points by the first matching row; a row is `{min|above|below|max: bound, points: p}`, or
`{when: condition, points: p}`, or the fallback `{points: p}`; `p` is a number or a `[lo, hi]` range
(where the official text gives a range to be set by experts, e.g. 高企 "≥1 Ⅰ类 7–8").

Unknown inputs widen the interval instead of failing it: a row whose test is unknown may or may not be the
one that applies, so [lo, hi] spans both outcomes. A table marked `if_unknown: skip` drops out of its
best-of when its input is unknown (科小: "if revenue is 0 or unknown, only (b) applies"). A score condition
then passes when `lo` reaches the threshold, fails when `hi` cannot, and is unknown otherwise: the same
rule the 高企 innovation score uses with `score_min`/`score_max`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from kechuang.engine.conditions import compile_condition, condition_fields

BOUND_OPS = {"min": ">=", "above": ">", "below": "<", "max": "<="}
INCREASING = {">=", ">"}


@dataclass
class Table:
    input: str
    rows: list[dict]
    skip_unknown: bool
    gap: dict | None


@dataclass
class Component:
    tables: list[Table] = field(default_factory=list)
    expert: tuple[float, float] | None = None


@dataclass
class Part:
    id: str
    components: list[Component]
    cap: float | None

    @property
    def objective(self) -> bool:
        return all(c.expert is None for c in self.components)


def _points(value) -> tuple[float, float]:
    if isinstance(value, (list, tuple)):
        return float(value[0]), float(value[1])
    return float(value), float(value)


def _table(spec: dict, params: dict) -> Table:
    bands = spec["bands"]
    rows = params[bands] if isinstance(bands, str) else bands
    return Table(
        input=spec.get("input", ""),
        rows=list(rows),
        skip_unknown=spec.get("if_unknown") == "skip",
        gap=spec.get("gap"),
    )


def build_parts(scores: list[dict], params: dict) -> list[Part]:
    parts = []
    for spec in scores:
        components_spec = spec.get("components") or [spec]
        components = []
        for comp in components_spec:
            if "expert" in comp:
                spec_range = comp["expert"]
                components.append(
                    Component(expert=_points(params[spec_range] if isinstance(spec_range, str) else spec_range))
                )
            else:
                tables = comp.get("tables") or [comp]
                components.append(Component(tables=[_table(t, params) for t in tables]))
        cap = spec.get("cap")
        cap = params[cap] if isinstance(cap, str) else cap
        parts.append(Part(spec["id"], components, float(cap) if cap is not None else None))
    return parts


def row_test(row: dict, value: pl.Expr, params: dict) -> pl.Expr:
    for key, op in BOUND_OPS.items():
        if key in row:
            bound = pl.lit(float(row[key]))
            return {">=": value >= bound, ">": value > bound, "<": value < bound, "<=": value <= bound}[op]
    if "when" in row:
        return compile_condition(row["when"], params)
    return pl.lit(True)


def table_interval(table: Table, params: dict) -> tuple[pl.Expr, pl.Expr]:
    """[lo, hi] of a first-match band table, built flat (no nesting, so the expression stays small).

    Row i may be the matching row when its test is true or unknown and every earlier test is false or
    unknown; lo/hi are the smallest/largest points over the rows that may match (0 when none need match).
    """
    value = compile_condition(table.input, params) if table.input else pl.lit(None)
    if table.input and all("when" not in row for row in table.rows):
        lo, hi = _bound_table_interval(table, value)
    else:
        lo, hi = _general_table_interval(table, value, params)
    if table.skip_unknown and table.input:
        known = value.is_not_null()
        return pl.when(known).then(lo), pl.when(known).then(hi)
    return lo, hi


def _bound_table_interval(table: Table, value: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The same interval for a table whose rows all test `value` against bounds (or are fallbacks).

    Every test is then unknown exactly when `value` is, so the interval has two cases: value unknown,
    where any row up to the first fallback may match (a constant, computed here), and value known, where
    the first matching row applies (a when/then chain: linear in the rows, where the general form builds
    a quadratic expression).
    """
    may_match: list[tuple[float, float]] = []
    for row in table.rows:
        may_match.append(_points(row["points"]))
        if not any(key in row for key in BOUND_OPS):
            break
    else:
        may_match.append((0.0, 0.0))
    unknown_lo, unknown_hi = min(p[0] for p in may_match), max(p[1] for p in may_match)
    lo = pl.when(value.is_null()).then(pl.lit(unknown_lo))
    hi = pl.when(value.is_null()).then(pl.lit(unknown_hi))
    fallback = (0.0, 0.0)
    for row in table.rows:
        p_lo, p_hi = _points(row["points"])
        if not any(key in row for key in BOUND_OPS):
            fallback = (p_lo, p_hi)
            break
        test = row_test(row, value, {})
        lo, hi = lo.when(test).then(pl.lit(p_lo)), hi.when(test).then(pl.lit(p_hi))
    return lo.otherwise(pl.lit(fallback[0])), hi.otherwise(pl.lit(fallback[1]))


def _general_table_interval(table: Table, value: pl.Expr, params: dict) -> tuple[pl.Expr, pl.Expr]:
    los, his = [], []
    earlier_may_fail: pl.Expr = pl.lit(True)
    for row in table.rows:
        p_lo, p_hi = _points(row["points"])
        test = row_test(row, value, params)
        may_match = earlier_may_fail & test.fill_null(True)
        los.append(pl.when(may_match).then(pl.lit(p_lo)))
        his.append(pl.when(may_match).then(pl.lit(p_hi)))
        earlier_may_fail = earlier_may_fail & (~test).fill_null(True)
    los.append(pl.when(earlier_may_fail).then(pl.lit(0.0)))
    his.append(pl.when(earlier_may_fail).then(pl.lit(0.0)))
    return pl.min_horizontal(los), pl.max_horizontal(his)


def component_interval(comp: Component, params: dict) -> tuple[pl.Expr, pl.Expr]:
    if comp.expert is not None:
        return pl.lit(comp.expert[0]), pl.lit(comp.expert[1])
    intervals = [table_interval(t, params) for t in comp.tables]
    lo = pl.max_horizontal([i[0] for i in intervals]).fill_null(0.0)
    hi = pl.max_horizontal([i[1] for i in intervals]).fill_null(0.0)
    return lo, hi


def component_known(comp: Component, params: dict) -> pl.Expr:
    """All inputs of an objective component are known (a skippable table may be unknown if another is)."""
    if comp.expert is not None or not comp.tables:
        return pl.lit(True)
    known = [compile_condition(t.input, params).is_not_null() if t.input else pl.lit(True) for t in comp.tables]
    required = [k for k, t in zip(known, comp.tables, strict=True) if not t.skip_unknown]
    result = pl.any_horizontal(known)
    if required:
        result = result & pl.all_horizontal(required)
    return result


def part_exprs(part: Part, params: dict) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Two stages: per-component columns, then the part's `_p_<id>_lo`, `_hi`, `_obj` (objective
    minimum) and `_known` as sums of them (each band table is evaluated once)."""
    first, los, his, obj, known = [], [], [], [], []
    for j, comp in enumerate(part.components):
        name = f"_p_{part.id}_{j}"
        lo, hi = component_interval(comp, params)
        first += [lo.alias(f"{name}_lo"), hi.alias(f"{name}_hi")]
        los.append(pl.col(f"{name}_lo"))
        his.append(pl.col(f"{name}_hi"))
        if comp.expert is None:
            obj.append(pl.col(f"{name}_lo"))
            first.append(component_known(comp, params).alias(f"{name}_known"))
            known.append(pl.col(f"{name}_known"))
    lo_sum, hi_sum = pl.sum_horizontal(los), pl.sum_horizontal(his)
    obj_sum = pl.sum_horizontal(obj) if obj else pl.lit(0.0)
    if part.cap is not None:
        lo_sum, hi_sum = lo_sum.clip(upper_bound=part.cap), hi_sum.clip(upper_bound=part.cap)
        obj_sum = obj_sum.clip(upper_bound=part.cap)
    second = [
        lo_sum.alias(f"_p_{part.id}_lo"),
        hi_sum.alias(f"_p_{part.id}_hi"),
        obj_sum.alias(f"_p_{part.id}_obj"),
        (pl.all_horizontal(known) if known else pl.lit(True)).alias(f"_p_{part.id}_known"),
    ]
    return first, second


def part_fields(part: Part, params: dict) -> list[str]:
    names: list[str] = []
    for comp in part.components:
        for table in comp.tables:
            if table.input:
                names += condition_fields(table.input, params)
            for row in table.rows:
                if "when" in row:
                    names += condition_fields(row["when"], params)
    return list(dict.fromkeys(names))


def round_required(x: pl.Expr, unit: str | None, op: str) -> pl.Expr:
    """Smallest (for ≥/>) or largest (for ≤/<) value on the unit's grid that satisfies `op`."""
    step = {"money": 0.0001, "persons": 1.0, "count": 1.0}.get(unit or "")
    if step is None:
        return x
    q = (x / step).round(6)  # kill float noise (0.22 * 100 = 22.000000000000004) before rounding
    r = {">=": q.ceil(), ">": q.floor() + 1, "<=": q.floor(), "<": q.ceil() - 1}[op]
    return (r * step).round(4)


def score_gap_candidates(
    part: Part, needed: pl.Expr, strict: bool, params: dict
) -> dict[str, tuple[str, str, list[pl.Expr]]]:
    """For one part: field -> (op, unit, candidate required values) that would reach `needed` points."""
    out: dict[str, tuple[str, str, list[pl.Expr]]] = {}
    if part.cap is not None or len(part.components) != 1:
        return out  # capped or multi-component blocks: no single-field inversion
    for table in part.components[0].tables:
        gap = table.gap
        if not gap:
            continue
        fld, unit = gap["field"], gap.get("unit")
        per = compile_condition(gap["per"], params) if gap.get("per") else None
        for row in table.rows:
            op = next((BOUND_OPS[k] for k in BOUND_OPS if k in row), None)
            if op is None:
                continue
            p_lo, _ = _points(row["points"])
            reaches = (pl.lit(p_lo) > needed) if strict else (pl.lit(p_lo) >= needed)
            # input = field / per - add  =>  field = (bound + add) * per   (growth rates use add: 1)
            raw = pl.lit(float(row[next(k for k in BOUND_OPS if k in row)]) + float(gap.get("add", 0)))
            if per is not None:
                raw = raw * per
            value = pl.when(reaches).then(round_required(raw, unit, op))
            entry = out.setdefault(fld, (op, unit, []))
            entry[2].append(value)
    return out
