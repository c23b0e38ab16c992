"""Benchmark: innovation points for N firms (default 1,000,000), Polars engine vs one DuckDB SQL query.

    python bench/bench_points.py [--n N] [--repeat R] [--target-s 5]
    python bench/bench_points.py --chunked --n 10000000 [--chunk-rows 1000000] [--target-s 15] [--max-gib 8]
    python bench/bench_points.py --chunked --check --n 2000000

Both sides score the same synthetic year (one row per firm with the shipped scheme's input columns, ~5%
unknown values) with the shipped `core18` scheme: stage, normalised scores, contributions, points,
overall/stage/industry/region/carrier ranks and percentiles, and list membership. The SQL is generated
from the same scheme, so a scheme edit changes both. The results are asserted equal (ranks and lists
exactly, floats to 1e-9). Exits 1 when the Polars run takes longer than the target or than DuckDB.

`--chunked` (issue 22: 10M firms ≤ 15 s within 8 GiB) scores with `score_chunks`, which yields the result a
chunk of firms at a time (a caller writes each out); DuckDB is not run. `--check` also scores in memory and
asserts the chunks, put together, equal that result row for row (ranks, lists, every value), at a size where
both fit (2M). Printed: the CPU time (user + system, all threads) beside the wall time (on a shared machine
the wall time depends on the load), the process's peak resident memory (sampled every 5 ms, the synthetic data
included) and the load average; exits 1 when the time or memory target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl

from kechuang.engine.points import get_scheme, score_frame
from kechuang.engine.points.scheme import Scheme
from kechuang.engine.points.score import score_chunks


def synthetic(n: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)

    def holes(values: np.ndarray, share: float = 0.05) -> pl.Series:
        mask = rng.random(n) < share
        return pl.Series(np.where(mask, np.nan, values))

    revenue = np.round(rng.lognormal(6.5, 1.6, n), 2)
    cols = {
        "uscc": pl.select(pl.format("F{}", pl.int_range(n).cast(pl.Utf8).str.zfill(17))).to_series(),
        "industry_code": rng.choice(["3911", "3912", "2710", "2720", "6510", "6520", "7310", "4011"], n),
        "region_code": rng.choice(["140105", "140106", "140107", "140108", "140109", "140110"], n),
        "carrier": pl.Series(rng.choice(["valley_a", "valley_b", "park_c", ""], n)).replace("", None),
        "revenue": holes(revenue, 0.02),
        "rd_expense": holes(np.round(revenue * rng.uniform(0, 0.15, n), 2)),
        "rd_expense_growth": holes(np.round(rng.normal(0.1, 0.3, n), 4)),
        "rd_ratio_revenue": holes(np.round(rng.uniform(0, 0.15, n), 4)),
        "tech_staff_ratio": holes(np.round(rng.uniform(0, 0.6, n), 4)),
        "invention_applications": holes(rng.poisson(2, n).astype(float)),
        "pct_applications": holes(rng.poisson(0.3, n).astype(float)),
        "tech_contract_amount": holes(np.round(rng.exponential(100, n), 2)),
        "hightech_revenue": holes(np.round(revenue * rng.uniform(0, 1, n), 2)),
        "revenue_growth": holes(np.round(rng.normal(0.08, 0.25, n), 4)),
        "postgrad_staff_ratio": holes(np.round(rng.uniform(0, 0.4, n), 4)),
        "rd_tax_relief": holes(np.round(rng.exponential(30, n), 2)),
        "net_profit": holes(np.round(rng.normal(50, 200, n), 2)),
        "net_assets": holes(np.round(rng.normal(800, 600, n), 2)),
        "new_graduates": holes(rng.poisson(3, n).astype(float)),
        "new_platforms_provincial": holes(rng.poisson(0.1, n).astype(float)),
        "new_platforms_provincial_prev1": holes(rng.poisson(0.1, n).astype(float)),
        "awards_provincial": holes(rng.poisson(0.05, n).astype(float)),
        "awards_provincial_prev1": holes(rng.poisson(0.05, n).astype(float)),
        "equity_financing": holes(np.round(rng.exponential(100, n) * (rng.random(n) < 0.1), 2)),
    }
    frame = pl.DataFrame(cols).with_columns(pl.col(pl.Float64).fill_nan(None))
    flags = {}
    for name in (
        "led_standard_5y",
        "major_accident",
        "env_violation",
        "research_misconduct",
        "abnormal_listed",
        "dishonest_listed",
    ):
        values = rng.random(n) < (0.1 if name == "led_standard_5y" else 0.01)
        unknown = rng.random(n) < 0.05
        flags[name] = pl.Series(values).scatter(np.nonzero(unknown)[0], None)
    return frame.with_columns(**flags)


# ---------------------------------------------------------------------------------------------------
# The same scheme as one SQL query (CTEs), generated from the scheme.


def _q(x: float) -> str:
    return repr(float(x))


def _by_stage(values: dict[str, float]) -> str:
    return "CASE " + " ".join(f"WHEN stage = '{st}' THEN {_q(v)}" for st, v in values.items()) + " END"


def scheme_sql(scheme: Scheme, table: str) -> str:  # noqa: C901
    rule = scheme.stage_rule
    stage_parts = [f"WHEN {rule.field} IS NULL THEN {repr(rule.unknown) if rule.unknown else 'NULL'}"]
    for st in reversed(rule.stages):
        stage_parts.append(
            f"WHEN {rule.field} >= {_q(st.min)} THEN '{st.id}'" if st.min is not None else f"ELSE '{st.id}'"
        )
    raw = []
    for ind in scheme.indicators:
        v = ind.value
        if v.field:
            e = f"CAST({v.field} AS DOUBLE)"
        elif v.numerator:
            e = f"CASE WHEN {v.denominator} <> 0 THEN {v.numerator} / {v.denominator} END"
        elif v.terms:
            e = " + ".join(f"CAST({t} AS DOUBLE)" for t in v.terms)
        else:
            e = "(" + " OR ".join(v.any_true) + ")"
        raw.append(f"{e} AS r_{ind.id}")
    norm = []
    for ind in scheme.indicators:
        x, nm = f"r_{ind.id}", ind.normalise
        if nm.method == "flag":
            e = f"CAST({x} AS DOUBLE)"
        elif nm.method == "bands":
            parts = [
                f"WHEN {x} >= {_q(b.min)} THEN {_q(b.score)}" if b.min is not None else f"ELSE {_q(b.score)}"
                for b in nm.bands
            ]
            e = f"CASE WHEN {x} IS NULL THEN NULL {' '.join(parts)} END"
        elif nm.method == "share":
            if nm.cohort:
                fn = {"mean": "avg", "median": "median", "max": "max"}[nm.cohort]
                ref = f"{fn}({x}) OVER (PARTITION BY stage)"
            elif nm.reference_by_stage:
                ref = _by_stage(nm.reference_by_stage)
            else:
                ref = _q(nm.reference)
            e = (
                f"CASE WHEN {x} IS NULL THEN NULL WHEN ({ref}) > 0 "
                f"THEN least(greatest({x} / ({ref}), 0.0), {_q(nm.cap)}) / {_q(nm.cap)} ELSE 0.0 END"
            )
        elif nm.method == "percentile":
            e = (
                f"CASE WHEN {x} IS NULL THEN NULL ELSE "
                f"percent_rank() OVER (PARTITION BY stage, {x} IS NULL ORDER BY {x}) END"
            )
        else:  # minmax
            lo, hi = f"min({x}) OVER (PARTITION BY stage)", f"max({x}) OVER (PARTITION BY stage)"
            e = f"CASE WHEN {x} IS NULL THEN NULL WHEN {hi} > {lo} THEN ({x} - {lo}) / ({hi} - {lo}) ELSE 0.0 END"
        norm.append(f"{e} AS n_{ind.id}")
    p = scheme.precision
    contrib = []
    for ind in scheme.indicators:
        if ind.kind == "weighted":
            mx = _by_stage({st: scheme.weights[st][ind.id] for st in scheme.stage_ids})
        else:
            mx = f"CASE WHEN stage IS NOT NULL THEN {_q(scheme.max_points(scheme.stage_ids[0], ind))} END"
        contrib.append(f"{_half_up(f'({mx}) * coalesce(n_{ind.id}, 0.0)', p)} AS c_{ind.id}")
    total = " + ".join(f"coalesce(c_{i.id}, 0.0)" for i in scheme.indicators)
    digits = scheme.industry_digits
    keys = {
        "stage": "stage",
        "industry": f"substr(CAST(industry_code AS VARCHAR), 1, {digits})",
        "region": "CAST(region_code AS VARCHAR)",
        "carrier": "CAST(carrier AS VARCHAR)",
    }
    key_cols = ", ".join(f"CASE WHEN points IS NOT NULL THEN {v} END AS k_{k}" for k, v in keys.items())
    # Written as a careful SQL author would: one window sort per cohort, percentiles from rank and size.
    ranks = [
        "CASE WHEN points IS NOT NULL THEN rank() OVER (PARTITION BY points IS NULL ORDER BY points DESC) END AS rank",
        "count(points) OVER () AS n_all",
    ]
    pcts = ["100.0 * (n_all - rank + 1) / n_all AS percentile"]
    for k in keys:
        part = f"PARTITION BY k_{k}, points IS NULL"
        ranks.append(f"CASE WHEN k_{k} IS NOT NULL THEN rank() OVER ({part} ORDER BY points DESC) END AS {k}_rank")
        ranks.append(f"count(points) OVER (PARTITION BY k_{k}) AS n_{k}")
        pcts.append(f"100.0 * (n_{k} - {k}_rank + 1) / n_{k} AS {k}_percentile")
    lst = " ".join(
        f"WHEN stage_rank * {t.top.denominator} <= n_stage * {t.top.numerator} THEN '{t.id}'" for t in scheme.lists
    )
    ind_cols = ", ".join(f"{pfx}_{i.id}" for pfx in ("c", "r", "n") for i in scheme.indicators)
    return f"""
WITH s AS (SELECT *, CASE {" ".join(stage_parts)} END AS stage FROM {table}),
r AS (SELECT *, {", ".join(raw)} FROM s),
n AS (SELECT *, {", ".join(norm)} FROM r),
c AS (SELECT *, {", ".join(contrib)} FROM n),
p AS (SELECT *, CASE WHEN stage IS NOT NULL THEN {_half_up(total, p)} END AS points FROM c),
k AS (SELECT *, {key_cols} FROM p),
rk AS (SELECT *, {", ".join(ranks)} FROM k),
pc AS (SELECT *, {", ".join(pcts)} FROM rk)
SELECT uscc, stage, points, rank, percentile, stage_rank, stage_percentile,
       CASE {lst} END AS list,
       industry_rank, industry_percentile, region_rank, region_percentile, carrier_rank, carrier_percentile,
       {ind_cols}
FROM pc
"""


def _half_up(x: str, places: int) -> str:
    """四舍五入 on exact decimals in SQL, as the engine rounds (engine/rounding.py): the double is read as the
    decimal it meant (9 places), and DuckDB rounds a DECIMAL half away from zero."""
    return f"CAST(round(CAST({x} AS DECIMAL(38, 9)), {places}) AS DOUBLE)"


def assert_equal(polars_out: pl.DataFrame, duck_out: pl.DataFrame) -> None:
    a = polars_out.select(duck_out.columns).sort("uscc")
    b = duck_out.sort("uscc")
    assert a.height == b.height, (a.height, b.height)
    for col in b.columns:
        x, y = a[col], b[col]
        if x.dtype.is_float() or y.dtype.is_float():
            x, y = x.cast(pl.Float64), y.cast(pl.Float64)
            assert (x.is_null() == y.is_null()).all(), f"{col}: null pattern differs"
            diff = (x - y).abs().max()
            assert diff is None or diff <= 1e-9, f"{col}: max difference {diff}"
        elif x.dtype.is_integer() or y.dtype.is_integer():
            assert x.cast(pl.Int64).equals(y.cast(pl.Int64)), f"{col}: values differ"
        else:
            assert x.cast(pl.Utf8).equals(y.cast(pl.Utf8)), f"{col}: values differ"


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0  # pragma: no cover - not Linux


class PeakMemory:
    """The most resident memory of this process while the block runs, sampled every 5 ms."""

    def __enter__(self):
        self.peak, self._done = _rss(), threading.Event()
        self._thread = threading.Thread(target=self._sample)
        self._thread.start()
        return self

    def _sample(self):
        while not self._done.is_set():
            self.peak = max(self.peak, _rss())
            self._done.wait(0.005)

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def chunked(args, scheme: Scheme, data: pl.DataFrame, gen_s: float) -> int:
    kept = []
    with PeakMemory() as memory:
        t0, cpu0 = time.perf_counter(), os.times()
        rows = 0
        for chunk in score_chunks(data, scheme, year=2024, chunk_rows=args.chunk_rows):
            rows += chunk.height  # a caller writes the chunk out here and lets it go
            if args.check:
                kept.append(chunk.select("uscc", "points", "rank", "stage_rank", "list"))
        seconds, cpu1 = time.perf_counter() - t0, os.times()
    cpu_s = cpu1.user + cpu1.system - cpu0.user - cpu0.system
    peak_gib = memory.peak / 2**30
    print(
        f"innovation points in chunks of {args.chunk_rows:,}, {args.n:,} firms, scheme {scheme.key}, "
        f"data generated in {gen_s:.1f} s; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'engine':<26}{'seconds':>10}{'CPU s':>10}{'firms/s':>14}{'peak GiB':>10}")
    print(f"{'polars chunked':<26}{seconds:>10.2f}{cpu_s:>10.2f}{rows / seconds:>14,.0f}{peak_gib:>10.2f}")
    if args.check:
        whole = score_frame(data, scheme, year=2024)
        assert pl.concat(kept).equals(whole.select(kept[0].columns)), "chunked ranks differ from in-memory"
        assert pl.concat(list(score_chunks(data, scheme, year=2024, chunk_rows=args.chunk_rows))).equals(whole)
        print("chunked result equal to the in-memory result row for row (ranks, lists, every value): yes")
    ok_time, ok_memory = seconds <= args.target_s, peak_gib <= args.max_gib
    print(
        f"target ≤ {args.target_s:g} s: {'met' if ok_time else 'MISSED'}; "
        f"peak ≤ {args.max_gib:g} GiB: {'met' if ok_memory else 'MISSED'}"
    )
    return 0 if ok_time and ok_memory else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target-s", type=float, default=None, help="default 5 s, chunked 15 s")
    parser.add_argument("--chunked", action="store_true", help="score_chunks instead of score_frame; no DuckDB")
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--check", action="store_true", help="with --chunked: assert equal to the in-memory result")
    parser.add_argument("--max-gib", type=float, default=8.0)
    args = parser.parse_args(argv)
    args.target_s = args.target_s or (15.0 if args.chunked else 5.0)

    scheme = get_scheme("core18", dt.date(2025, 6, 30))
    t0 = time.perf_counter()
    data = synthetic(args.n)
    gen_s = time.perf_counter() - t0
    if args.chunked:
        return chunked(args, scheme, data, gen_s)

    # DuckDB gets the same data as a native table (loaded through Parquet, untimed); its timed run
    # materialises the result as a table, as the Polars run materialises a DataFrame.
    import duckdb  # bench-only dependency; tests import `synthetic` from here without it

    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "facts.parquet"
        data.write_parquet(path)
        con.execute(f"CREATE TABLE facts AS SELECT * FROM read_parquet('{path}')")
    sql = scheme_sql(scheme, "facts")

    polars_s, polars_out = best_of(lambda: score_frame(data, scheme, year=2024), args.repeat)
    duck_s, _ = best_of(lambda: con.execute(f"CREATE OR REPLACE TABLE result AS {sql}"), args.repeat)
    fetched = con.execute("SELECT * FROM result").fetchnumpy()
    # Text columns come back as masked object arrays: go through Python lists so masked → null.
    duck_out = pl.DataFrame({k: pl.Series(k, v.tolist() if v.dtype == object else v) for k, v in fetched.items()})
    assert_equal(polars_out, duck_out)

    ok_target = polars_s <= args.target_s
    ok_duck = polars_s <= duck_s
    print(
        f"innovation points, {args.n:,} firms, scheme {scheme.key} ({len(scheme.indicators)} indicators), "
        f"data generated in {gen_s:.1f} s"
    )
    print(f"{'engine':<26}{'best of ' + str(args.repeat):>12}{'firms/s':>14}")
    print(f"{'polars (kechuang engine)':<26}{polars_s:>10.2f} s{args.n / polars_s:>14,.0f}")
    print(f"{'duckdb (one SQL query)':<26}{duck_s:>10.2f} s{args.n / duck_s:>14,.0f}")
    print(
        f"results equal: yes; target ≤ {args.target_s:g} s: {'met' if ok_target else 'MISSED'}; "
        f"not slower than duckdb: {'met' if ok_duck else 'MISSED'}"
    )
    return 0 if ok_target and ok_duck else 1


if __name__ == "__main__":
    sys.exit(main())
