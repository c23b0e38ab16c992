"""The product finder and indicative credit lines: for each firm and product, qualifies / nearly / no / unknown,
with why, the indicative limit and the rate ceiling.

Policy:
- A product's requirements are its document's `requirements` (a condition in the condition language with the
  document's parameters inlined, or "any of these tiers"), plus one implicit requirement: the firm's lifecycle
  stage is one the product serves. Each evaluates to true / false / unknown (Kleene logic; unknown is never
  false).
- Status (decision record 0003, as the tiers decide near misses): `qualifies` when every requirement holds;
  `near` when exactly one is false and every other holds, nothing unknown (`short_of` names it, with the gap
  where the requirement compares a figure with a number); `no` when a requirement fails otherwise; `unknown`
  when none fails and some are unknown (`missing` names the facts to collect).
- Limit (万元, 4 decimals): min(单户上限, the average revenue of the last `average_years` fiscal years — last
  year's where the firm is younger — , the cap of the firm's points band); computed for `qualifies` and `near`
  (what the firm could borrow once it meets the last requirement), unknown when a basis it needs is unknown.
- Rate ceiling (% a year) = LPR of the product's term (1y unless `lpr_term` says 5y) in force + spread / 100.
- Every result explains itself in Chinese, citing the values in force.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from kechuang.engine.conditions import Node, compile_condition, condition_fields, parse
from kechuang.engine.finance.rules import STAGES, LoanProductRule
from kechuang.engine.labels import TIER_NAMES, field_value_text, label
from kechuang.engine.numbers import money_expr, money_text
from kechuang.engine.policies.evaluate import tier_columns

STATUS_LABELS = {"qualifies": "符合", "near": "差一项", "no": "不符合", "unknown": "待补充数据"}
STAGE_REQUIREMENT = "stage"
_COMPARE = {"<", "<=", ">", ">="}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class Product:
    """A product's terms on one date: its document and the parameter values in force (bureau versions in)."""

    key: str  # what the results call it (the platform's product code, or the rule id)
    doc: LoanProductRule
    params: Mapping

    def value(self, name: str, default=None):
        return self.params[name] if name in self.params else default


def fmt(value) -> str:
    """A parameter value in a sentence: 1000 → "1000", 0.6 → "0.6", a list as 、-joined."""
    if isinstance(value, list):
        return "、".join(TIER_NAMES.get(v, v) if isinstance(v, str) else str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def requirement_label(product: Product, text: str) -> str:
    return text.format(**{k: fmt(v) for k, v in product.params.items()})


def rate_ceiling(product: Product, lpr: Mapping) -> float:
    """The product's rate ceiling in % a year: LPR of its term + spread (basis points) / 100."""
    base = lpr["lpr_5y"] if product.value("lpr_term") == "5y" else lpr["lpr_1y"]
    return round(base + product.params["rate_spread_bp"] / 100, 4)


def rate_text(product: Product, lpr: Mapping) -> str:
    term = "五年期以上" if product.value("lpr_term") == "5y" else "一年期"
    base = lpr["lpr_5y"] if product.value("lpr_term") == "5y" else lpr["lpr_1y"]
    return (
        f"利率不高于{term} LPR {base:.2f}% + {fmt(product.params['rate_spread_bp'])} 基点 = "
        f"{rate_ceiling(product, lpr):.2f}%"
    )


# ---------------------------------------------------------------------------------------------- stages


def lifecycle_expr(table: list[dict]) -> pl.Expr:
    """The firm's lifecycle stage from the programme's table: the first row whose bounds it meets
    (`max_revenue` exclusive, `max_age` inclusive; a bound left out always holds). Unknown where a bound
    it needs reads an unknown figure."""
    out = None
    for row in table:
        tests = []
        if row.get("max_revenue") is not None:
            tests.append(pl.col("revenue") < row["max_revenue"])
        if row.get("max_age") is not None:
            tests.append(pl.col("age_years") <= row["max_age"])
        test = pl.all_horizontal(tests) if tests else pl.lit(True)
        # Kleene: a row that may or may not hold leaves the stage unknown, unless a row before it held.
        out = (
            pl.when(test.is_null()).then(pl.lit(None, pl.Utf8)).when(test).then(pl.lit(row["stage"]))
            if out is None
            else out.when(test.is_null()).then(pl.lit(None, pl.Utf8)).when(test).then(pl.lit(row["stage"]))
        )
    return out.otherwise(pl.lit(None, pl.Utf8)).alias("stage")


def points_band_expr(bands: list[dict]) -> pl.Expr:
    """The statistics' points band label (first band whose `min` the points reach, bands highest first)."""
    ordered = sorted(bands, key=lambda b: -b["min"])
    out = None
    for b in ordered:
        test = pl.col("points") >= b["min"]
        out = pl.when(test).then(pl.lit(b["label"])) if out is None else out.when(test).then(pl.lit(b["label"]))
    return pl.when(pl.col("points").is_null()).then(pl.lit("无积分")).otherwise(out.otherwise(pl.lit("无积分")))


# ---------------------------------------------------------------------------------------------- requirements


@dataclass(frozen=True)
class Req:
    id: str
    label: str
    expr: pl.Expr
    fields: tuple[str, ...]
    gap: tuple[str, str, float] | None  # (field, op as `field op required`, required)


def _gap_of(text: str, params: Mapping) -> tuple[str, str, float] | None:
    """`field op number-or-parameter` → (field, op, required); anything else has no figure to move."""
    node = parse(text)
    if node.kind != "binary" or node.value not in _COMPARE:
        return None
    left, right = node.args

    def number(n: Node):
        if n.kind == "num":
            return float(n.value)
        if (
            n.kind == "name"
            and isinstance(params.get(n.value), (int, float))
            and not isinstance(params.get(n.value), bool)
        ):
            return float(params[n.value])
        return None

    if left.kind == "name" and left.value not in params and number(right) is not None:
        return left.value, node.value, number(right)
    if right.kind == "name" and right.value not in params and number(left) is not None:
        return right.value, _FLIP[node.value], number(left)
    return None


def requirements(product: Product) -> list[Req]:
    params = dict(product.params)
    out = []
    for r in product.doc.requirements:
        text = requirement_label(product, r.label)
        if r.tiers is not None:
            tiers = params[r.tiers]
            cols = [f"tier.{t}" for t in tiers]
            out.append(Req(r.id, text, pl.any_horizontal([pl.col(c) for c in cols]), tuple(cols), None))
        else:
            out.append(
                Req(
                    r.id,
                    text,
                    compile_condition(r.when, params),
                    tuple(condition_fields(r.when, params)),
                    _gap_of(r.when, params),
                )
            )
    stages = list(product.doc.stages)
    out.append(
        Req(
            STAGE_REQUIREMENT,
            f"处于本产品服务的阶段（{product.doc.stage_labels}）",
            pl.when(pl.col("stage").is_not_null()).then(pl.col("stage").is_in(stages)),
            ("stage",),
            None,
        )
    )
    return out


# ---------------------------------------------------------------------------------------------- evaluate


def prepare(firms: pl.DataFrame, tiers: pl.DataFrame | None, lifecycle: list[dict]) -> pl.DataFrame:
    """One row per firm with what requirements read: the derived values, `points`, `stage` (from the
    lifecycle table unless given) and `tier.<id>` Boolean columns from (uscc, tier, qualified) results."""
    frame = firms
    if "stage" not in frame.columns:
        for c in ("revenue", "age_years"):
            if c not in frame.columns:
                frame = frame.with_columns(pl.lit(None, pl.Float64).alias(c))
        frame = frame.with_columns(lifecycle_expr(lifecycle))
    if tiers is not None and not tiers.is_empty():
        wide = tier_columns(tiers.with_columns(pl.col("qualified").cast(pl.Utf8).str.to_lowercase()))
        frame = frame.join(wide, on="uscc", how="left")
    return frame


def _ensure(frame: pl.DataFrame, names) -> pl.DataFrame:
    missing = [n for n in dict.fromkeys(names) if n not in frame.columns]
    exprs = [pl.lit(None, _dtype(n)).alias(n) for n in missing]
    return frame.with_columns(exprs) if exprs else frame


def _dtype(name: str) -> pl.DataType:
    if name.startswith("tier.") or name == "valley_resident":
        return pl.Boolean
    return pl.Utf8 if name in ("stage", "region_code", "industry_code") else pl.Float64


def _limit_exprs(product: Product) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(limit, revenue basis, basis kind) as expressions; limit unknown when a basis it needs is unknown."""
    cap = float(product.params["max_amount"])
    parts = [pl.lit(cap)]
    years = product.value("average_years")
    basis = kind = pl.lit(None, pl.Float64)
    if years:
        years = int(years)
        cols = ["revenue"] + [f"revenue_prev{k}" for k in range(1, years)]
        all_years = pl.all_horizontal([pl.col(c).is_not_null() for c in cols])
        younger = pl.col("age_years") < years
        basis = (
            pl.when(all_years)
            .then(pl.sum_horizontal([pl.col(c) for c in cols]) / years)
            .when(younger)
            .then(pl.col("revenue"))
        )
        kind = (
            pl.when(all_years)
            .then(pl.lit("average"))
            .when(younger & pl.col("revenue").is_not_null())
            .then(pl.lit("last_year"))
        )
        parts.append(basis.clip(lower_bound=0))
    bands = product.value("points_bands")
    if bands:
        chain = None
        for b in sorted(bands, key=lambda b: -b["min"]):
            test = pl.col("points") >= b["min"]
            chain = (pl.when(test) if chain is None else chain.when(test)).then(pl.lit(float(b["cap"])))
        parts.append(pl.when(pl.col("points").is_not_null()).then(chain.otherwise(pl.lit(0.0))))
    limit = (
        pl.when(pl.any_horizontal([p.is_null() for p in parts])).then(None).otherwise(pl.min_horizontal(parts)).round(4)
    )
    return limit, basis, kind


def evaluate(frame: pl.DataFrame, products: list[Product], lpr: Mapping) -> pl.DataFrame:
    """Every firm of `frame` (from `prepare`) against every product: one row per (uscc, product)."""
    outs = []
    for product in products:
        reqs = requirements(product)
        needed = [f for r in reqs for f in r.fields] + ["revenue", "age_years", "points", "region_code"]
        years = product.value("average_years")
        if years:
            needed += [f"revenue_prev{k}" for k in range(1, int(years))]
        f = _ensure(frame, needed)
        outcome = {r.id: r.expr.cast(pl.Boolean).alias(f"_r.{r.id}") for r in reqs}
        f = f.with_columns(list(outcome.values()))
        cols = {r.id: pl.col(f"_r.{r.id}") for r in reqs}
        false_n = pl.sum_horizontal([(c == False).fill_null(False).cast(pl.Int32) for c in cols.values()])  # noqa: E712
        unknown_n = pl.sum_horizontal([c.is_null().cast(pl.Int32) for c in cols.values()])
        status = (
            pl.when(false_n == 0)
            .then(pl.when(unknown_n == 0).then(pl.lit("qualifies")).otherwise(pl.lit("unknown")))
            .when((false_n == 1) & (unknown_n == 0))
            .then(pl.lit("near"))
            .otherwise(pl.lit("no"))
        )
        failed = pl.concat_str(
            [pl.when(c == False).then(pl.lit(rid)) for rid, c in cols.items()],  # noqa: E712
            separator=";",
            ignore_nulls=True,
        ).fill_null("")
        unknown = pl.concat_str(
            [pl.when(c.is_null()).then(pl.lit(rid)) for rid, c in cols.items()], separator=";", ignore_nulls=True
        ).fill_null("")
        missing = pl.concat_str(
            [
                pl.when(cols[r.id].is_null() & pl.col(field).is_null()).then(pl.lit(field))
                for r in reqs
                for field in r.fields
            ],
            separator=";",
            ignore_nulls=True,
        ).fill_null("")
        limit, basis, kind = _limit_exprs(product)
        f = f.with_columns(
            status.alias("status"),
            failed.alias("failed"),
            unknown.alias("unknown"),
            missing.alias("missing"),
            basis.alias("revenue_basis"),
            kind.alias("basis_kind"),
        )
        f = f.with_columns(
            pl.when(pl.col("status").is_in(["qualifies", "near"])).then(limit).alias("limit"),
            pl.when(pl.col("status") == "near").then(pl.col("failed")).otherwise(pl.lit("")).alias("short_of"),
        ).with_columns(_gap_json(reqs).alias("gap"))
        ceiling = rate_ceiling(product, lpr)
        outs.append(
            f.select(
                "uscc",
                pl.lit(product.key).alias("product"),
                pl.lit(product.doc.key).alias("rule"),
                "status",
                "failed",
                "short_of",
                "unknown",
                "missing",
                "gap",
                "limit",
                "revenue_basis",
                "basis_kind",
                pl.lit(ceiling).alias("rate_ceiling"),
                pl.col("stage"),
                _explanation(product, reqs, lpr).alias("explanation"),
            )
        )
    if not outs:
        return pl.DataFrame(schema={"uscc": pl.Utf8, "product": pl.Utf8, "status": pl.Utf8})
    return pl.concat(outs, how="vertical_relaxed")


def _gap_json(reqs: list[Req]) -> pl.Expr:
    """The one failing requirement's gap as JSON {requirement, field, current, required, delta}, near only."""
    items = []
    for r in reqs:
        if r.gap is None:
            continue
        field, op, required = r.gap
        current = pl.col(field).cast(pl.Float64)
        when = (pl.col("status") == "near") & (pl.col("short_of") == r.id) & current.is_not_null()
        items.append(
            pl.when(when).then(
                pl.concat_str(
                    pl.lit(f'{{"requirement":"{r.id}","field":"{field}","op":"{op}","current":'),
                    current.cast(pl.Utf8),
                    pl.lit(f',"required":{required!r},"delta":'),
                    (pl.lit(required) - current).round(6).cast(pl.Utf8),
                    pl.lit("}"),
                )
            )
        )
    if not items:
        return pl.lit(None, pl.Utf8)
    return pl.coalesce(items)


def gap_text(gap: dict | str | None) -> str:
    """A near miss's gap in words: 创新积分 现为 52，需达到 60（差 8）."""
    if not gap:
        return ""
    g = json.loads(gap) if isinstance(gap, str) else gap
    field, delta = g["field"], g["delta"]
    need = "差" if delta > 0 else "需减少"
    return (
        f"{label(field)} 现为 {field_value_text(field, g['current'])}，需达到 "
        f"{field_value_text(field, g['required'])}（{need} {field_value_text(field, abs(delta))}）"
    )


def _money(expr: pl.Expr) -> pl.Expr:
    return money_expr(expr)  # 万元 with two decimals, as every page shows money (engine/numbers.py)


def _explanation(product: Product, reqs: list[Req], lpr: Mapping) -> pl.Expr:
    cols = {r.id: pl.col(f"_r.{r.id}") for r in reqs}
    years = product.value("average_years")
    limit_parts = [pl.lit(f"单户上限 {money_text(product.params['max_amount'])}")]
    if years:
        limit_parts.append(
            pl.when(pl.col("basis_kind") == "average")
            .then(pl.lit(f"近 {fmt(years)} 年平均营业收入 ") + _money(pl.col("revenue_basis")))
            .otherwise(pl.lit(f"上一年度营业收入（成立不满 {fmt(years)} 年）") + _money(pl.col("revenue_basis")))
        )
    if product.value("points_bands"):
        limit_parts.append(pl.lit("积分分档上限"))
    limit_text = (
        pl.lit("指示性额度 ")
        + _money(pl.col("limit"))
        + pl.lit("（取")
        + pl.concat_str(limit_parts, separator="、")
        + pl.lit(" 的较小者）")
    )
    no_limit = pl.lit("额度无法测算（营业收入或积分数据不全）")
    limit_sentence = pl.when(pl.col("limit").is_null()).then(no_limit).otherwise(limit_text)
    terms = f"{rate_text(product, lpr)}；承诺 {fmt(product.params['decision_days'])} 个工作日内给出审批结论"
    met = pl.concat_str(
        [pl.when(c).then(pl.lit(r.label)) for r, c in zip(reqs, cols.values(), strict=True)],
        separator="；",
        ignore_nulls=True,
    )
    failed = pl.concat_str(
        [
            pl.when(c == False).then(pl.lit(r.label))  # noqa: E712
            for r, c in zip(reqs, cols.values(), strict=True)
        ],
        separator="；",
        ignore_nulls=True,
    )
    unknown = pl.concat_str(
        [pl.when(c.is_null()).then(pl.lit(f"“{r.label}”")) for r, c in zip(reqs, cols.values(), strict=True)],
        separator="、",
        ignore_nulls=True,
    )
    status = pl.col("status")
    return (
        pl.when(status == "qualifies")
        .then(pl.lit("符合条件（") + met + pl.lit("）。") + limit_sentence + pl.lit(f"；{terms}。"))
        .when(status == "near")
        .then(pl.lit("差一项：") + failed + pl.lit("。满足后") + limit_sentence + pl.lit("。"))
        .when(status == "unknown")
        .then(pl.lit("无法判断：") + unknown + pl.lit("所需的数据不全。"))
        .otherwise(pl.lit("不符合：") + failed + pl.lit("。"))
    )


def stage_label(stage: str | None) -> str:
    return STAGES.get(stage or "", "未知")
