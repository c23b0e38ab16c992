"""Derived values: one row per enterprise for one fiscal year, with every value rules read.

`derived_for_year(panel, year, as_of)` turns the facts panel (one row per enterprise per year, see
facts.py) into a flat frame: the static columns, the annual columns of `year`, earlier years' values as
`<column>_prev1/_prev2/_prev3`, and the derived values of the data dictionary. Rule sets, innovation
points and policy eligibility all read this frame, so a value is computed once, in one place.

Policy:
- Unknown in, unknown out. A ratio whose numerator or denominator is unknown is null; a ratio with a
  zero denominator is null too (a share of nothing is undefined, not 0). Sums over years are null when
  any year they count is unknown or has no row.
- Static columns take the latest known value in `year` and the three years before it (the data
  dictionary: the row of the latest year wins; an empty cell in a later row does not erase a value).
- "The last 3 fiscal years (fewer if younger)": window sums (`*_3y`) count the years from the
  registration year on; with the registration date unknown they count all three years.
- Ⅰ类/Ⅱ类 membership is the dated parameter `rulesets/tiers/common/ip_classes.yaml`. The IP columns are
  reported as a block: an enterprise that filled in at least one IP count holds 0 of the types it left
  empty; an enterprise that filled in none has unknown `class1_ip`/`class2_ip`.
- Exact at thresholds. Money is exact decimal (data dictionary) but computed here in binary floats, whose
  noise (about 1e-16 relative) puts a value that sits exactly on a threshold just below it: R&D of exactly
  5% of revenue computes as 0.049999999999999996 for ~40% of 4-decimal amounts, a CAGR of exactly 20% as
  0.19999999999999996. Derived money (sums, differences, averages) is rounded to MONEY_DECIMALS and ratios
  and growth rates to RATIO_DECIMALS: far finer than any threshold or amount, far coarser than the noise.
- Ages (`age_years`, `years_in_niche`) are fractional years at `as_of`, exact at anniversaries: whole
  completed years plus the elapsed share of the running year, so `age_years >= 1` holds from the first
  anniversary on and `age_years <= 5` up to and including the fifth anniversary. Rules that count "to the end
  of the last fiscal year" (截至上年末) read the `_fy_end` variants, measured at 31 December of `year`. A
  condition comparing an age with a number compares dates instead (`age_comparison`: the start date with the
  last start date that has the age), with the same result; the tier engine compiles its conditions so.
- Events over "the last three years" (`<flag>_3y` of the compliance columns) are true when the event is
  recorded in any counted year, false when every counted year is known to be free of it, unknown otherwise
  (Kleene `or`); the years counted are those of the 3-year window (from the registration year on).
- The year after `year` (the as-of year when rules read last year's figures) is read for the compliance
  columns only (`<flag>_next1`, `has_next_year_row`): 科技型中小企业 checks "上一年及当年". No row for that
  year yet means nothing is reported for it, which rules read through `has_next_year_row`.
- SME size (`is_sme`, 工信部联企业〔2011〕300号) follows the dated sector table
  `rulesets/tiers/common/sme_size.yaml`: the first sector whose industry-code prefix matches decides, and a
  firm is an SME when it is below one of its sector's large-firm bounds (unknown figures leave it unknown
  unless another figure settles it).
- Subset counts: `class1_self_developed`, `class1_high_value` and `class1_ip_applied` count *of* a firm's
  Ⅰ类 IP, so where `class1_ip` is 0 they are 0 even if left empty.

Columns added (all Float64 unless noted):
  has_year_row (bool): the enterprise has a row for `year`.
  <c>_prev1, <c>_prev2, <c>_prev3: value of annual column c in year-1, -2, -3 (for LAG_COLUMNS).
  net_assets(+_prev1,_prev2), debt_ratio, tech_staff_ratio, rd_staff_ratio, postgrad_staff_ratio,
  rd_ratio_revenue(+_prev1), rd_ratio_cost, hightech_revenue_share, main_revenue_share, net_margin,
  window_years_3y (int: years counted by the 3-year window), rd_expense_3y, revenue_3y,
  rd_expense_domestic_3y, rd_ratio_3y, rd_domestic_share, conversions_avg_3y, equity_financing_3y,
  rd_expense_2y, rd_expense_avg_2y, equity_financing_2y,
  revenue_growth, main_revenue_growth(+_prev1), main_revenue_growth_avg_2y, rd_expense_growth,
  revenue_cagr_2y, revenue_cagr_3y (base year-3), net_profit_cagr_2y,
  revenue_growth_hte, net_assets_growth_hte (高企 formula ½·(X₂/X₁ + X₃/X₂) − 1, as the mean of two growths),
  age_years, years_in_niche, years_in_niche_fy_end, years_counted_to_fy (Int64: calendar years from the
  registration year to `year`, both counted), hte_certificate_age_years (years since the 高企 certificate
  was issued), innovative_sme_title_age_years, specialized_sme_title_age_years, little_giant_title_age_years,
  class1_ip, class2_ip (Int64), total_income_hte (高企 总收入 = 收入总额 − 不征税收入, else 营业收入) with
  total_income_basis (Utf8: which of the two), hightech_income_share (高新技术产品收入 / total_income_hte),
  <flag>_3y, <flag>_next1 and has_next_year_row (compliance), is_sme (bool) and sme_sector (Utf8),
  as_of (Date: the evaluation date, for rules with dated deadlines).
DEPENDS maps each of them to the facts columns (with lag suffixes) it reads, for "missing" reports.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from kechuang.engine import facts

COMMON_DIR = Path(__file__).resolve().parents[1] / "rulesets" / "tiers" / "common"
IP_CLASSES_PATH = COMMON_DIR / "ip_classes.yaml"
SME_SIZE_PATH = COMMON_DIR / "sme_size.yaml"

# Annual columns whose earlier-year values rules read.
LAG_COLUMNS = (
    "revenue",
    "main_revenue",
    "rd_expense",
    "rd_expense_domestic",
    "net_profit",
    "total_assets",
    "total_liabilities",
    "equity_financing",
    "conversions",
    "staff_total",
    "tech_staff",
    "rd_staff",
    "hightech_revenue",
    "total_cost_expense",
    "hte_annual_report_filed",
    *(c.name for c in facts.COMPLIANCE),
)
# Columns read in the year after `year` too (see "The year after" above).
LEAD_COLUMNS = tuple(c.name for c in facts.COMPLIANCE)
# Compliance events counted over the last three years (`<flag>_3y`).
WINDOW_FLAGS = tuple(c.name for c in facts.COMPLIANCE)
LAGS = (1, 2, 3)
# Rounding of derived values (module doc, "exact at thresholds"): inputs carry at most 4 decimals of 万元.
MONEY_DECIMALS = 6
RATIO_DECIMALS = 12
IP_COLUMNS = tuple(c.name for c in facts.IP if not c.name.startswith("class1_"))
# Counts of a subset of the firm's Ⅰ类 IP (module doc, "Subset counts").
SUBSET_IP = tuple(c.name for c in facts.IP if c.name.startswith("class1_"))


def _lag(name: str, k: int) -> str:
    return name if k == 0 else f"{name}_prev{k}"


def _money(x: pl.Expr) -> pl.Expr:
    return x.round(MONEY_DECIMALS)


def _ratio(x: pl.Expr) -> pl.Expr:
    return x.round(RATIO_DECIMALS)


def _div(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den, null when den is 0 or either side unknown."""
    return pl.when(den != 0).then(_ratio(num / den))


def _growth(now: pl.Expr, before: pl.Expr) -> pl.Expr:
    """(now − before) / before: exact at boundaries, where now / before − 1 is not (1.15 − 1 < 0.15)."""
    return _div(now - before, before)


def _window(name: str, n: pl.Expr, width: int) -> pl.Expr:
    """Sum of `name` over the last `width` years, counting only `n` of them (null-propagating)."""
    total = pl.col(name)
    for k in range(1, width):
        total = total + pl.when(n > k).then(pl.col(_lag(name, k))).otherwise(0.0)
    return pl.when(n >= 1).then(_money(total))


def _fractional_years(start: pl.Expr, as_of: dt.date) -> pl.Expr:
    """Age in years at `as_of`: completed years + the elapsed share of the running year.

    Exact at anniversaries (so `>= 1` and `<= 5` hold on the anniversary itself); between them the share
    is measured on a 12 × 31-day calendar, which is monotone and needs no date construction (building
    dates for a million rows costs seconds). A 29 February start has its anniversary on 28 February in
    common years (民法典 第二百零二条: no corresponding day → the month's last day).
    """
    month = start.dt.month().cast(pl.Int32)
    day = start.dt.day().cast(pl.Int32)
    if not calendar.isleap(as_of.year):
        day = pl.when((month == 2) & (day == 29)).then(28).otherwise(day)
    pos_start = (month - 1) * 31 + day - 1
    pos_end = (as_of.month - 1) * 31 + as_of.day - 1
    before_anniversary = pl.lit(pos_end) < pos_start
    whole = pl.lit(as_of.year, dtype=pl.Int32) - start.dt.year().cast(pl.Int32) - before_anniversary.cast(pl.Int32)
    share = (pl.lit(pos_end) - pos_start + pl.when(before_anniversary).then(372).otherwise(0)) / 372.0
    return pl.when(start <= pl.lit(as_of)).then(whole.cast(pl.Float64) + share)


def ages(year: int, as_of: dt.date | None = None) -> dict[str, tuple[str, dt.date]]:
    """The fractional ages of the derived frame: name → (the date column it counts from, the day it is
    measured at)."""
    as_of = as_of or dt.date(year, 12, 31)
    return {
        "age_years": ("registered_on", as_of),
        "years_in_niche": ("niche_since", as_of),
        "years_in_niche_fy_end": ("niche_since", dt.date(year, 12, 31)),
        "hte_certificate_age_years": ("hte_certified_on", as_of),
        "innovative_sme_title_age_years": ("innovative_sme_on", as_of),
        "specialized_sme_title_age_years": ("specialized_sme_on", as_of),
        "little_giant_title_age_years": ("little_giant_on", as_of),
    }


_AT_LEAST = {">=": False, ">": True}  # op → strict
_BELOW = {"<": ">=", "<=": ">"}  # op → the op it negates


def age_comparison(start: str, day: dt.date, op: str, threshold: float) -> pl.Expr | None:
    """`age op threshold` for the age of date column `start` at `day` (`_fractional_years`) as a comparison
    of dates: "registered at least N years before `day`" is `start <= cutoff`. The same result (unknown when
    the date is unknown or after `day`), without computing the age of every row (issue 14). The cutoff is
    found by computing the age of every start date around it, with the one formula: the same anniversaries,
    29 February included. None for other ops (`==`, `!=`) and thresholds before year 1."""
    if op in _BELOW:
        at_least = age_comparison(start, day, _BELOW[op], threshold)
        return None if at_least is None else ~at_least
    if op not in _AT_LEAST or not 0 <= threshold <= day.year - 2:
        return None
    # Ages fall as the start date rises: at least `threshold` (ceil + 1 years back) on the window's first day,
    # less (floor − 1 years back) after its last; the cutoff is the last start date that still has it.
    first = dt.date(day.year - math.ceil(threshold) - 1, 1, 1)
    last = min(day, dt.date(min(day.year - math.floor(threshold) + 1, dt.MAXYEAR), 12, 31))
    starts = pl.date_range(first, last, eager=True)
    age = pl.select(_fractional_years(pl.lit(starts), day)).to_series()
    holds = age > threshold if _AT_LEAST[op] else age >= threshold
    cutoff = starts.filter(holds).max()
    date = pl.col(start)
    return pl.when(date <= pl.lit(day)).then(date <= pl.lit(cutoff))


def age_unknown(start: str, day: dt.date) -> pl.Expr:
    """The age of `start` at `day` is null (the date unknown or after `day`), without computing it."""
    date = pl.col(start)
    return date.is_null() | (date > pl.lit(day))


def _hte_growth(x1: pl.Expr, x2: pl.Expr, x3: pl.Expr) -> pl.Expr:
    """高企 growth ½·(X₂/X₁ + X₃/X₂) − 1, computed as the mean of the two growth rates (exact when both
    are); X₁ = 0 → X₃/X₂ − 1; X₂ = 0 → 0; negative → 0."""
    later = (x3 - x2) / x2
    raw = pl.when(x2 == 0).then(0.0).when(x1 == 0).then(later).otherwise(((x2 - x1) / x1 + later) / 2)
    return _ratio(pl.when(raw < 0).then(0.0).otherwise(raw))


def _any_window(name: str, n: pl.Expr, width: int) -> pl.Expr:
    """Kleene `or` of boolean `name` over the last `width` years, counting only `n` of them."""
    total = pl.col(name)
    for k in range(1, width):
        total = total | pl.when(n > k).then(pl.col(_lag(name, k))).otherwise(False)
    return pl.when(n >= 1).then(total)


def _cagr(now: pl.Expr, base: pl.Expr, years: int) -> pl.Expr:
    return pl.when((base > 0) & (now >= 0)).then(_ratio((now / base) ** (1.0 / years) - 1))


@lru_cache(maxsize=8)
def _ip_classes_doc() -> dict:
    with IP_CLASSES_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def ip_classes(as_of: dt.date) -> dict[str, list[str]]:
    """The Ⅰ类/Ⅱ类 membership in force on `as_of`: {"class1": [...], "class2": [...]}."""
    chosen = None
    for version in _ip_classes_doc()["versions"]:
        start = version["effective_from"]
        end = version.get("effective_to")
        if start <= as_of and (end is None or as_of <= end):
            chosen = version
    if chosen is None:
        raise ValueError(f"{as_of} 没有有效的知识产权分类参数")
    return {"class1": list(chosen["class1"]), "class2": list(chosen["class2"])}


@lru_cache(maxsize=8)
def _sme_size_doc() -> dict:
    with SME_SIZE_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def sme_size_table(as_of: dt.date) -> dict:
    """The SME size table (工信部联企业〔2011〕300号) in force on `as_of`: {"sectors": [...], "other": {...}}."""
    chosen = None
    for version in _sme_size_doc()["versions"]:
        end = version.get("effective_to")
        if version["effective_from"] <= as_of and (end is None or as_of <= end):
            chosen = version
    if chosen is None:
        raise ValueError(f"{as_of} 没有有效的中小企业划型标准参数")
    return chosen


_SIZE_TESTS = {"staff_below": "staff_total", "revenue_below": "revenue", "assets_below": "total_assets"}


def _sme_sector(as_of: dt.date) -> pl.Expr:
    """`sme_sector` (see the module doc), a stage before `is_sme`, which reads it. The longest prefix wins:
    sectors in order of their longest prefix, the first one a code matches decides. A code's prefix of each
    length is looked up once (not one `starts_with` per prefix per row); the smallest position among the hits
    is the first match."""
    table = sme_size_table(as_of)
    code = pl.col("industry_code").cast(pl.Utf8)
    sectors = sorted(table["sectors"], key=lambda r: -max(len(p) for p in r["prefixes"]))
    by_length: dict[int, dict[str, int]] = {}
    for k, row in enumerate(sectors):
        for p in row["prefixes"]:
            by_length.setdefault(len(str(p)), {}).setdefault(str(p), k)
    hits = []
    for n, mapping in sorted(by_length.items()):
        known = code.str.slice(0, n).cast(pl.Enum(list(mapping)), strict=False).to_physical()
        hits.append(pl.lit(pl.Series(list(mapping.values()), dtype=pl.UInt32)).gather(known))
    position = pl.min_horizontal(hits).fill_null(len(sectors))  # no hit: the last label, 其他未列明行业
    labels = pl.Series([r["label"] for r in [*sectors, table["other"]]], dtype=pl.Utf8)
    return pl.when(code.is_not_null()).then(pl.lit(labels).gather(position)).alias("sme_sector")


def _is_sme(as_of: dt.date) -> pl.Expr:
    """`is_sme` (see the module doc) from `sme_sector`: one when/then per distinct set of bounds."""
    table = sme_size_table(as_of)
    rows = [*table["sectors"], table["other"]]
    labels = [r["label"] for r in rows]
    if len(set(labels)) != len(labels):
        raise ValueError(f"{as_of} 的中小企业划型标准参数中行业名称重复")
    groups: dict[tuple, list[str]] = {}
    for row in rows:
        groups.setdefault(tuple((key, float(row[key])) for key in _SIZE_TESTS if key in row), []).append(row["label"])

    def test(bounds: tuple) -> pl.Expr:
        checks = [pl.col(_SIZE_TESTS[key]) < bound for key, bound in bounds]
        out = checks[0]
        for check in checks[1:]:
            out = out | check  # Kleene: one bound met is enough, an unknown figure only when none is met
        return out

    sector = pl.col("sme_sector")
    size = pl.when(sector.is_null()).then(pl.lit(None, dtype=pl.Boolean))
    for bounds, names in groups.items():
        size = size.when(sector.is_in(names)).then(test(bounds))
    return size.alias("is_sme")


def _ensure_columns(panel: pl.LazyFrame, names: set[str] | None = None) -> pl.LazyFrame:
    """Add absent facts columns (of `names`, default all) as null, cast present ones to the facts dtypes."""
    schema = facts.polars_schema()
    present = panel.collect_schema()
    exprs = []
    for name, dtype in schema.items():
        if names is not None and name not in names:
            continue
        if name in present:
            if present[name] != dtype:
                exprs.append(pl.col(name).cast(dtype, strict=False))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return panel.with_columns(exprs) if exprs else panel


_KEY = "_uscc_key"


def _left_join(frame: pl.DataFrame, other: pl.DataFrame) -> pl.DataFrame:
    """Left join on the uscc hash key; a duplicated (uscc, year) in `other` keeps its last row."""
    joined = frame.join(other, on=_KEY, how="left")
    if joined.height != frame.height:  # duplicates only cost a re-join when they exist
        joined = frame.join(other.unique(_KEY, keep="last", maintain_order=True), on=_KEY, how="left")
    return joined


def derived_for_year(panel: pl.DataFrame, year: int, as_of: dt.date | None = None) -> pl.DataFrame:
    """One row per uscc in `panel` with fiscal `year`'s values and every derived value (see module doc).

    `as_of` (default: 31 December of `year`) dates ages and the IP class parameter.
    Rows: the enterprises with a row for `year` (in panel order), then those whose latest row is in the
    three years before it. (uscc, year) should be unique (read_facts reports duplicates); a duplicate keeps
    its last row. Cost: when every year lists the same enterprises in the same order (a loader that
    sorts by uscc, a generated panel) the year slices are placed side by side; otherwise they are joined
    on a 64-bit hash of uscc (string keys are several times slower). Then one pass of column
    expressions; no per-row Python.
    """
    frame, stages = derived_lazy(panel, year, as_of)
    for stage in stages:
        frame = frame.with_columns(stage)
    return frame


def derived_reading(panel: pl.DataFrame, year: int, as_of: dt.date | None, reads: set[str]) -> pl.DataFrame:
    """`derived_for_year` cut to what `reads` names: the facts columns those values read (with their earlier
    years) and the derived values among `reads` with those they are computed from. The values are the same; a
    caller that reads a few of the 130 columns (the policies) skips computing and holding the others."""
    stages = needed_stages(derived_stages(year, as_of), reads)
    roots = {n for stage in stages for e in stage for n in e.meta.root_names()}
    frame, _ = derived_lazy(panel, year, as_of, base_names(reads | roots))
    lazy = frame.lazy()
    for stage in stages:
        lazy = lazy.with_columns(stage)
    return lazy.collect()


def needed_stages(stages: list[list[pl.Expr]], reads: set[str]) -> list[list[pl.Expr]]:
    """The derived-value stages cut to the expressions that `reads` needs, directly or through a later stage:
    a smaller plan to optimise (tiers and policies; it dominates the cost of evaluating a few firms)."""
    wanted, kept = set(reads), []
    for stage in reversed(stages):
        exprs = [e for e in stage if e.meta.output_name() in wanted]
        wanted |= {name for e in exprs for name in e.meta.root_names()}
        kept.append(exprs)
    return [exprs for exprs in reversed(kept) if exprs]


def derived_stages(year: int, as_of: dt.date | None = None) -> list[list[pl.Expr]]:
    """The derived values as successive `with_columns` stages (the second part of `derived_lazy`)."""
    as_of = as_of or dt.date(year, 12, 31)
    return [_first_exprs(year, as_of), _derived_exprs(year, as_of), _second_order_exprs()]


def base_names(columns) -> set[str]:
    """Facts columns behind frame columns (`revenue_prev2` → `revenue`, `major_accident_next1` →
    `major_accident`), for `derived_lazy(columns=…)`."""
    out = set()
    for name in columns:
        for suffix in ("_prev1", "_prev2", "_prev3", "_next1"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        out.add(name)
    return out


def derived_lazy(
    panel: pl.DataFrame, year: int, as_of: dt.date | None = None, columns: set[str] | None = None
) -> tuple[pl.DataFrame, list[list[pl.Expr]]]:
    """`derived_for_year` in two parts: the year's row per enterprise with its earlier years side by side,
    and the derived values as successive `with_columns` stages. A lazy query over them computes only the
    derived values it reads (the tier engine: two rule sets read a fraction of the 130 columns).
    `columns`: the facts columns the caller's derived values read (`base_names`); the others are left out of
    the frame (None: all)."""
    as_of = as_of or dt.date(year, 12, 31)

    def kept(names) -> list[str]:
        return [c for c in names if columns is None or c in columns]

    # Each year's frame is filtered from the panel with only the columns it keeps (lazily: the facts columns
    # the panel lacks are made, and the others cast, at the year's height, and no copy of the whole panel is
    # made on the way).
    if columns is None:
        panel = _ensure_columns(panel.lazy())
    else:
        wanted = {"uscc", "year", *columns}
        panel = _ensure_columns(panel.lazy().select([c for c in panel.columns if c in wanted]), wanted)
    panel = panel.with_columns(pl.col("uscc").hash(seed=0).alias(_KEY))
    lead = (
        panel.filter(pl.col("year") == year + 1)
        .select(
            _KEY, *[pl.col(c).alias(f"{c}_next1") for c in kept(LEAD_COLUMNS)], pl.lit(True).alias("has_next_year_row")
        )
        .collect()
    )
    statics = kept(c for c in facts.STATIC_NAMES if c != "uscc")
    current = panel.filter(pl.col("year") == year).select(_KEY, "uscc", *statics, *kept(facts.ANNUAL_NAMES)).collect()
    lagged = []
    for k in LAGS:
        cols = kept(LAG_COLUMNS if k < 3 else ("revenue",))
        lagged.append(
            panel.filter(pl.col("year") == year - k)
            .select(
                _KEY,
                *[pl.col(c).alias(_lag(c, k)) for c in cols],
                *[pl.col(c).alias(_lag(c, k)) for c in statics],
            )
            .collect()
        )
    if all(lag.height == current.height and lag[_KEY].equals(current[_KEY]) for lag in lagged):
        frame = pl.concat(
            [current.with_columns(pl.lit(True).alias("has_year_row")), *[lag.drop(_KEY) for lag in lagged]],
            how="horizontal",
        )
    else:
        frame = _joined(panel.filter(pl.col("year").is_between(year - LAGS[-1], year)), current, lagged, year)
    # Static columns: the latest known value (a null in a later row does not erase an earlier value).
    frame = frame.with_columns(
        *[pl.coalesce([pl.col(_lag(c, k)) for k in (0, *LAGS)]).alias(c) for c in statics],
        pl.lit(year, dtype=pl.Int64).alias("year"),
    )
    frame = _with_lead(frame, lead, kept(LEAD_COLUMNS)).drop([_lag(c, k) for c in statics for k in LAGS] + [_KEY])
    return frame, derived_stages(year, as_of)


def _with_lead(frame: pl.DataFrame, lead: pl.DataFrame, lead_columns) -> pl.DataFrame:
    """The next year's compliance columns beside the year's row: null (and `has_next_year_row` false) where
    there is no such row; joined only when some enterprise has one (an evaluation on last year's figures
    usually runs before the next year's are in)."""
    if lead.height == 0:
        return frame.with_columns(
            *[pl.lit(None, dtype=pl.Boolean).alias(f"{c}_next1") for c in lead_columns],
            pl.lit(False).alias("has_next_year_row"),
        )
    joined = _left_join(frame, lead)
    return joined.with_columns(pl.col("has_next_year_row").fill_null(False))


def _joined(panel: pl.LazyFrame, current: pl.DataFrame, lagged: list[pl.DataFrame], year: int) -> pl.DataFrame:
    if current[_KEY].is_duplicated().any():
        current = current.unique(_KEY, keep="last", maintain_order=True)
    current_keys = current[_KEY].implode()
    only_earlier = (
        panel.filter((pl.col("year") < year) & ~pl.col(_KEY).is_in(current_keys))
        .select(_KEY, "uscc")
        .collect()
        .unique(_KEY, keep="last", maintain_order=True)
    )
    frame = pl.concat(
        [
            current.with_columns(pl.lit(True).alias("has_year_row")),
            only_earlier.with_columns(pl.lit(False).alias("has_year_row")),
        ],
        how="diagonal",
    )
    for lag in lagged:
        frame = _left_join(frame, lag)
    return frame


def _derived_exprs(year: int, as_of: dt.date) -> list[pl.Expr]:
    c = pl.col
    classes = ip_classes(as_of)
    ip_known = pl.any_horizontal([c(n).is_not_null() for n in IP_COLUMNS])

    def ip_sum(names: list[str]) -> pl.Expr:
        return pl.when(ip_known).then(pl.sum_horizontal([c(n).fill_null(0) for n in names]).cast(pl.Int64))

    # 高企 总收入 = 收入总额 − 不征税收入 (工作指引); 营业收入 stands in where either is unknown, and says so.
    income_known = c("total_income").is_not_null() & c("nontaxable_income").is_not_null()
    total_income = (
        pl.when(income_known).then(_money(c("total_income") - c("nontaxable_income"))).otherwise(c("revenue"))
    )
    dated = ages(year, as_of)

    def age(name: str) -> pl.Expr:
        start, day = dated[name]
        return _fractional_years(c(start), day).alias(name)

    registered_year = c("registered_on").dt.year()
    window = c("window_years_3y")
    exprs = [
        _money(c("total_assets") - c("total_liabilities")).alias("net_assets"),
        _money(c("total_assets_prev1") - c("total_liabilities_prev1")).alias("net_assets_prev1"),
        _money(c("total_assets_prev2") - c("total_liabilities_prev2")).alias("net_assets_prev2"),
        _div(c("total_liabilities"), c("total_assets")).alias("debt_ratio"),
        _div(c("tech_staff"), c("staff_total")).alias("tech_staff_ratio"),
        _div(c("rd_staff"), c("staff_total")).alias("rd_staff_ratio"),
        _div(c("postgrad_staff"), c("staff_total")).alias("postgrad_staff_ratio"),
        _div(c("rd_expense"), c("revenue")).alias("rd_ratio_revenue"),
        _div(c("rd_expense_prev1"), c("revenue_prev1")).alias("rd_ratio_revenue_prev1"),
        _div(c("rd_expense"), c("total_cost_expense")).alias("rd_ratio_cost"),
        _div(c("hightech_revenue"), c("revenue")).alias("hightech_revenue_share"),
        total_income.alias("total_income_hte"),
        pl.when(income_known)
        .then(pl.lit("收入总额−不征税收入"))
        .when(c("revenue").is_not_null())
        .then(pl.lit("营业收入（未填收入总额或不征税收入时暂用）"))
        .alias("total_income_basis"),
        _div(c("hightech_revenue"), total_income).alias("hightech_income_share"),
        _div(c("main_revenue"), c("revenue")).alias("main_revenue_share"),
        _div(c("net_profit"), c("revenue")).alias("net_margin"),
        _window("rd_expense", window, 3).alias("rd_expense_3y"),
        _window("revenue", window, 3).alias("revenue_3y"),
        _window("rd_expense_domestic", window, 3).alias("rd_expense_domestic_3y"),
        _ratio(_window("conversions", window, 3) / window).alias("conversions_avg_3y"),
        _window("equity_financing", window, 3).alias("equity_financing_3y"),
        _window("rd_expense", window, 2).alias("rd_expense_2y"),
        _money(_window("rd_expense", window, 2) / window.clip(upper_bound=2)).alias("rd_expense_avg_2y"),
        _window("equity_financing", window, 2).alias("equity_financing_2y"),
        _growth(c("revenue"), c("revenue_prev1")).alias("revenue_growth"),
        _growth(c("main_revenue"), c("main_revenue_prev1")).alias("main_revenue_growth"),
        _growth(c("main_revenue_prev1"), c("main_revenue_prev2")).alias("main_revenue_growth_prev1"),
        _growth(c("rd_expense"), c("rd_expense_prev1")).alias("rd_expense_growth"),
        _cagr(c("revenue"), c("revenue_prev2"), 2).alias("revenue_cagr_2y"),
        _cagr(c("revenue"), c("revenue_prev3"), 3).alias("revenue_cagr_3y"),
        _cagr(c("net_profit"), c("net_profit_prev2"), 2).alias("net_profit_cagr_2y"),
        _hte_growth(c("revenue_prev2"), c("revenue_prev1"), c("revenue")).alias("revenue_growth_hte"),
        age("age_years"),
        age("years_in_niche"),
        age("years_in_niche_fy_end"),
        (pl.lit(year, dtype=pl.Int64) - registered_year.cast(pl.Int64) + 1).alias("years_counted_to_fy"),
        age("hte_certificate_age_years"),
        age("innovative_sme_title_age_years"),
        age("specialized_sme_title_age_years"),
        age("little_giant_title_age_years"),
        *[_any_window(f, window, 3).alias(f"{f}_3y") for f in WINDOW_FLAGS],
        _is_sme(as_of),
        pl.lit(as_of).alias("as_of"),
        ip_sum(classes["class1"]).alias("class1_ip"),
        ip_sum(classes["class2"]).alias("class2_ip"),
    ]
    return exprs


def _first_exprs(year: int, as_of: dt.date) -> list[pl.Expr]:
    """The values many others read, a stage of their own (read as columns, not each reader its own copy of the
    expression): the years the 3-year window counts (twenty window sums and flags) and the SME sector."""
    registered_year = pl.col("registered_on").dt.year()
    window = (
        pl.when(registered_year.is_null()).then(3).otherwise((pl.lit(year) - registered_year + 1).clip(upper_bound=3))
    )
    return [window.cast(pl.Int64).alias("window_years_3y"), _sme_sector(as_of)]


def _second_order_exprs() -> list[pl.Expr]:
    c = pl.col
    return [
        _div(c("rd_expense_3y"), c("revenue_3y")).alias("rd_ratio_3y"),
        _div(c("rd_expense_domestic_3y"), c("rd_expense_3y")).alias("rd_domestic_share"),
        _ratio((c("main_revenue_growth") + c("main_revenue_growth_prev1")) / 2).alias("main_revenue_growth_avg_2y"),
        _hte_growth(c("net_assets_prev2"), c("net_assets_prev1"), c("net_assets")).alias("net_assets_growth_hte"),
        *[pl.when(c("class1_ip") == 0).then(0).otherwise(c(n)).cast(pl.Int64).alias(n) for n in SUBSET_IP],
    ]


# Derived values shown as percentages and in 万元 (engine/labels.py formats explanations with them).
RATIOS = frozenset(
    {
        "debt_ratio",
        "tech_staff_ratio",
        "rd_staff_ratio",
        "postgrad_staff_ratio",
        "rd_ratio_revenue",
        "rd_ratio_revenue_prev1",
        "rd_ratio_cost",
        "hightech_revenue_share",
        "main_revenue_share",
        "net_margin",
        "rd_ratio_3y",
        "rd_domestic_share",
        "revenue_growth",
        "main_revenue_growth",
        "main_revenue_growth_prev1",
        "main_revenue_growth_avg_2y",
        "rd_expense_growth",
        "revenue_cagr_2y",
        "revenue_cagr_3y",
        "net_profit_cagr_2y",
        "revenue_growth_hte",
        "net_assets_growth_hte",
        "hightech_income_share",
    }
)
MONEY = frozenset(
    {
        "net_assets",
        "net_assets_prev1",
        "net_assets_prev2",
        "rd_expense_3y",
        "revenue_3y",
        "rd_expense_domestic_3y",
        "equity_financing_3y",
        "rd_expense_2y",
        "rd_expense_avg_2y",
        "equity_financing_2y",
        "total_income_hte",
    }
)

# Chinese labels of the derived values (engine/labels.py adds facts columns and earlier years).
LABELS = {
    "has_year_row": "本年度有数据",
    "window_years_3y": "近三年统计年数",
    "net_assets": "净资产",
    "debt_ratio": "资产负债率",
    "tech_staff_ratio": "科技人员占比",
    "rd_staff_ratio": "研发人员占比",
    "postgrad_staff_ratio": "研究生以上人员占比",
    "rd_ratio_revenue": "研发费用占营业收入比例",
    "rd_ratio_cost": "研发费用占成本费用比例",
    "hightech_revenue_share": "高新技术产品收入占比",
    "main_revenue_share": "主营业务收入占比",
    "net_margin": "净利润率",
    "rd_expense_3y": "近三年研发费用合计",
    "revenue_3y": "近三年营业收入合计",
    "rd_expense_domestic_3y": "近三年境内研发费用合计",
    "rd_ratio_3y": "近三年研发费用占比",
    "rd_domestic_share": "境内研发费用占比",
    "conversions_avg_3y": "近三年年均成果转化数",
    "equity_financing_3y": "近三年股权融资合计",
    "rd_expense_2y": "近两年研发费用合计",
    "rd_expense_avg_2y": "近两年年均研发费用",
    "equity_financing_2y": "近两年股权融资合计",
    "revenue_growth": "营业收入增长率",
    "main_revenue_growth": "主营业务收入增长率",
    "main_revenue_growth_avg_2y": "主营业务收入近两年平均增长率",
    "rd_expense_growth": "研发费用增长率",
    "revenue_cagr_2y": "营业收入两年复合增长率",
    "revenue_cagr_3y": "营业收入三年复合增长率",
    "net_profit_cagr_2y": "净利润两年复合增长率",
    "revenue_growth_hte": "销售收入增长率（高企口径）",
    "net_assets_growth_hte": "净资产增长率（高企口径）",
    "age_years": "成立年限",
    "years_in_niche": "从事细分市场年限",
    "hte_certificate_age_years": "高企证书已颁发年限",
    "class1_ip": "Ⅰ类知识产权数",
    "class2_ip": "Ⅱ类知识产权数",
    "total_income_hte": "总收入（高企口径）",
    "total_income_basis": "总收入口径",
    "hightech_income_share": "高新技术产品（服务）收入占总收入比例",
    "years_in_niche_fy_end": "从事细分市场年限（截至上年末）",
    "years_counted_to_fy": "成立年数（按自然年计至截止年，含首尾）",
    "innovative_sme_title_age_years": "创新型中小企业称号已认定年限",
    "specialized_sme_title_age_years": "专精特新中小企业称号已认定年限",
    "little_giant_title_age_years": "专精特新“小巨人”称号已认定年限",
    "has_next_year_row": "次年已有数据",
    "is_sme": "属于中小企业（按行业划型）",
    "sme_sector": "划型行业",
    "as_of": "评价基准日",
    **{f"{c.name}_3y": f"近三年{c.label}" for c in facts.COMPLIANCE},
    **{f"{c.name}_next1": f"{c.label}（次年）" for c in facts.COMPLIANCE},
}


def _window_deps(name: str, width: int) -> list[str]:
    return [_lag(name, k) for k in range(width)] + ["registered_on"]


# Facts columns (with lag suffixes) each derived value reads; used to report missing fields.
DEPENDS: dict[str, list[str]] = {
    "net_assets": ["total_assets", "total_liabilities"],
    "net_assets_prev1": ["total_assets_prev1", "total_liabilities_prev1"],
    "net_assets_prev2": ["total_assets_prev2", "total_liabilities_prev2"],
    "debt_ratio": ["total_liabilities", "total_assets"],
    "tech_staff_ratio": ["tech_staff", "staff_total"],
    "rd_staff_ratio": ["rd_staff", "staff_total"],
    "postgrad_staff_ratio": ["postgrad_staff", "staff_total"],
    "rd_ratio_revenue": ["rd_expense", "revenue"],
    "rd_ratio_revenue_prev1": ["rd_expense_prev1", "revenue_prev1"],
    "rd_ratio_cost": ["rd_expense", "total_cost_expense"],
    "hightech_revenue_share": ["hightech_revenue", "revenue"],
    "main_revenue_share": ["main_revenue", "revenue"],
    "net_margin": ["net_profit", "revenue"],
    "rd_expense_3y": _window_deps("rd_expense", 3),
    "revenue_3y": _window_deps("revenue", 3),
    "rd_expense_domestic_3y": _window_deps("rd_expense_domestic", 3),
    "rd_ratio_3y": _window_deps("rd_expense", 3) + _window_deps("revenue", 3)[:-1],
    "rd_domestic_share": _window_deps("rd_expense_domestic", 3) + _window_deps("rd_expense", 3)[:-1],
    "conversions_avg_3y": _window_deps("conversions", 3),
    "equity_financing_3y": _window_deps("equity_financing", 3),
    "rd_expense_2y": _window_deps("rd_expense", 2),
    "rd_expense_avg_2y": _window_deps("rd_expense", 2),
    "equity_financing_2y": _window_deps("equity_financing", 2),
    "revenue_growth": ["revenue", "revenue_prev1"],
    "main_revenue_growth": ["main_revenue", "main_revenue_prev1"],
    "main_revenue_growth_prev1": ["main_revenue_prev1", "main_revenue_prev2"],
    "main_revenue_growth_avg_2y": ["main_revenue", "main_revenue_prev1", "main_revenue_prev2"],
    "rd_expense_growth": ["rd_expense", "rd_expense_prev1"],
    "revenue_cagr_2y": ["revenue", "revenue_prev2"],
    "revenue_cagr_3y": ["revenue", "revenue_prev3"],
    "net_profit_cagr_2y": ["net_profit", "net_profit_prev2"],
    "revenue_growth_hte": ["revenue", "revenue_prev1", "revenue_prev2"],
    "net_assets_growth_hte": [
        "total_assets",
        "total_liabilities",
        "total_assets_prev1",
        "total_liabilities_prev1",
        "total_assets_prev2",
        "total_liabilities_prev2",
    ],
    "age_years": ["registered_on"],
    "years_in_niche": ["niche_since"],
    "hte_certificate_age_years": ["hte_certified_on"],
    "window_years_3y": ["registered_on"],
    "class1_ip": list(IP_COLUMNS),
    "class2_ip": list(IP_COLUMNS),
    "total_income_hte": ["total_income", "nontaxable_income", "revenue"],
    "total_income_basis": ["total_income", "nontaxable_income", "revenue"],
    "hightech_income_share": ["hightech_revenue", "total_income", "nontaxable_income", "revenue"],
    "years_in_niche_fy_end": ["niche_since"],
    "years_counted_to_fy": ["registered_on"],
    "innovative_sme_title_age_years": ["innovative_sme_on"],
    "specialized_sme_title_age_years": ["specialized_sme_on"],
    "little_giant_title_age_years": ["little_giant_on"],
    "is_sme": ["industry_code", "staff_total", "revenue", "total_assets"],
    "has_next_year_row": [],  # never unknown
    "as_of": [],
    "sme_sector": ["industry_code"],
    **{f"{f}_3y": _window_deps(f, 3) for f in WINDOW_FLAGS},
    **{n: [n] for n in SUBSET_IP},  # the IP types are a block (module doc): empty ones are 0 when any is filled
}


def facts_fields(names) -> list[str]:
    """Expand derived names to the facts columns they read (facts names pass through), in order."""
    out: list[str] = []
    for name in names:
        for field in DEPENDS.get(name, [name]):
            if field not in out:
                out.append(field)
    return out
