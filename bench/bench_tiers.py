"""Benchmark: tier rules for N synthetic enterprises, the Polars engine vs OpenFisca-core, side by side.

    python bench/bench_tiers.py [--n 100000 1000000] [--openfisca-max 1000000] [--target-ratio 10]
                                [--target-all-s 10]

For each N: a 4-year facts panel (2021–2024, complete data: OpenFisca has no "unknown"), then
  1. engine, tech_sme + high_tech (explain off), the same two rule sets as the OpenFisca version;
  2. OpenFisca-core, 科小 score + 高企 objective conditions (bench/openfisca_tiers), from the same panel:
     its timed call prepares its flat inputs (openfisca_tiers/inputs.py), builds the system, sets inputs;
     then a floor: the same preparation and formulas called as plain NumPy, without OpenFisca — the bare
     vectorised arithmetic of the two rule sets, which bounds what the ratio target can ask of any engine;
  3. engine, every shipped tier (explain off), and (up to --explain-max) with explanations on.
Results are compared: 科小 score and qualified, and each 高企 objective condition, must be identical.
OpenFisca runs only up to --openfisca-max enterprises; above it its time is extrapolated linearly from the
largest measured N and marked "~". Exits 1 when a target is missed or results differ.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kechuang.engine.tiers import evaluate
from openfisca_tiers import inputs as of_inputs
from openfisca_tiers import system as of_system

AS_OF = of_system.AS_OF
YEARS = (2021, 2022, 2023, 2024)
INDUSTRIES = np.array(["3911", "3912", "2710", "2720", "6510", "6520", "7310", "5211", "1610", "7010"])
FIELDS = np.array(["electronic_information", "biomedicine", "new_materials", "advanced_manufacturing", ""])
LEVELS = np.array(["none", "none", "none", "municipal", "provincial", "national"])


def synthetic(n: int, seed: int = 11) -> pl.DataFrame:
    """The facts panel: 4 rows per enterprise, complete data."""
    rng = np.random.default_rng(seed)
    money = lambda a: np.round(a, 4)  # noqa: E731 - tiny local helper
    staff = rng.integers(5, 700, n).astype(float)
    static = {
        "uscc": np.char.add("F", np.char.zfill(np.arange(n).astype(str), 17)),
        "name": np.full(n, "企业"),
        "industry_code": rng.choice(INDUSTRIES, n),
        "registered_on": (np.datetime64("2000-01-01") + rng.integers(0, 24 * 365, n)).astype("datetime64[D]"),
        "hightech_field": rng.choice(FIELDS, n),
        "strategic_emerging": rng.random(n) < 0.4,
        "niche_since": (np.datetime64("2005-01-01") + rng.integers(0, 19 * 365, n)).astype("datetime64[D]"),
        "listed": rng.random(n) < 0.02,
        "valuation": money(rng.lognormal(10, 2, n)),
    }
    base_revenue = rng.lognormal(7.5, 1.5, n)
    per_year = {}
    for k, year in enumerate(YEARS):
        revenue = money(base_revenue * (1 + rng.normal(0.1, 0.2, n)) ** k + 1)
        rd = money(revenue * rng.uniform(0.005, 0.12, n) + 0.01)
        assets = money(revenue * rng.uniform(0.5, 3, n) + 1)
        per_year[year] = {
            "year": np.full(n, year),
            "staff_total": staff,
            "tech_staff": np.floor(staff * rng.uniform(0, 0.6, n)),
            "rd_staff": np.floor(staff * rng.uniform(0, 0.5, n)),
            "revenue": revenue,
            "main_revenue": money(revenue * rng.uniform(0.4, 1, n)),
            "hightech_revenue": money(revenue * rng.uniform(0.2, 1, n)),
            "total_cost_expense": money(revenue * rng.uniform(0.3, 1.1, n) + 1),
            "rd_expense": rd,
            "rd_expense_domestic": money(rd * rng.uniform(0.4, 1, n)),
            "net_profit": money(revenue * rng.normal(0.06, 0.08, n)),
            "total_assets": assets,
            "total_liabilities": money(assets * rng.uniform(0.1, 0.9, n)),
            "equity_financing": money(rng.exponential(300, n) * (rng.random(n) < 0.2)),
            "conversions": rng.poisson(2, n),
            "invention_patents": rng.poisson(0.7, n),
            "plant_varieties": np.zeros(n, dtype=int),
            "new_drugs": np.zeros(n, dtype=int),
            "tcm_protected": np.zeros(n, dtype=int),
            "ic_layouts": rng.poisson(0.05, n),
            "utility_models": rng.poisson(1.5, n),
            "design_patents": rng.poisson(0.5, n),
            "software_copyrights": rng.poisson(1.5, n),
            "class1_self_developed": rng.poisson(0.3, n),
            "class1_high_value": rng.poisson(0.1, n),
            "hte_certified": rng.random(n) < 0.15,
            "rd_institution_level": rng.choice(LEVELS, n),
            "national_award_5y_top3": rng.random(n) < 0.01,
            "provincial_award_3y": rng.random(n) < 0.05,
            "led_standard_5y": rng.random(n) < 0.03,
            "digitalization_level": rng.integers(1, 5, n),
            "quality_certified": rng.random(n) < 0.5,
            "own_brand": rng.random(n) < 0.5,
            "niche_market_share": np.round(rng.uniform(0, 0.3, n), 4),
            "major_accident": rng.random(n) < 0.01,
            "env_violation": rng.random(n) < 0.01,
            "research_misconduct": rng.random(n) < 0.005,
            "abnormal_listed": rng.random(n) < 0.02,
            "dishonest_listed": rng.random(n) < 0.005,
        }
    frames = []
    for year in YEARS:
        frame = pl.DataFrame({**static, **per_year[year]})
        frames.append(frame)
    panel = pl.concat(frames).with_columns(
        pl.col("hightech_field").replace("", None),
        pl.col("year").cast(pl.Int64),
    )
    # 科小's product test (2017 第六条（三）); drawn last so the figures above do not change with it
    restricted = np.tile(rng.random(n) < 0.01, len(YEARS))
    return panel.with_columns(pl.Series("restricted_products", restricted))


def run_openfisca(panel: pl.DataFrame) -> dict[str, np.ndarray]:
    """OpenFisca from the same facts panel the engine reads: its flat inputs are prepared (with Polars, the
    fastest way we know) inside the timed call, as any deployment of it would have to."""
    from openfisca_core.simulations import SimulationBuilder

    start = time.perf_counter()
    inputs = of_inputs.from_panel(panel)
    PREP_SECONDS.append(time.perf_counter() - start)
    system = of_system.build_system()
    sim = SimulationBuilder().build_default_simulation(system, len(inputs["revenue"]))
    period = str(of_system.FISCAL_YEAR)
    for name, values in inputs.items():
        sim.set_input(name, period, values)
    out = {name: sim.calculate(name, period) for name in ("tech_sme_score", "tech_sme_qualified")}
    for c in of_system.HTE_CONDITIONS:
        out[c] = sim.calculate(f"hte_{c}", period)
    out["hte_objective_pass"] = sim.calculate("hte_objective_pass", period)
    return out


def run_floor(panel: pl.DataFrame) -> dict[str, np.ndarray]:
    """The floor: OpenFisca's input preparation and its formulas in plain NumPy, with no engine around them."""
    conditions = {f"hte_{c}": c for c in of_system.HTE_CONDITIONS}
    names = ["tech_sme_score", "tech_sme_qualified", "hte_objective_pass", *conditions]
    out = of_system.evaluate_plain(of_inputs.from_panel(panel), names)
    return {conditions.get(name, name): values for name, values in out.items()}


def compare(ours: pl.DataFrame, theirs: dict[str, np.ndarray]) -> list[str]:
    problems = []
    tech = ours.filter(pl.col("tier") == "tech_sme")
    if not np.array_equal(tech["score"].to_numpy(), theirs["tech_sme_score"]):
        problems.append("科小 score differs")
    if not np.array_equal((tech["qualified"] == "true").to_numpy(), theirs["tech_sme_qualified"]):
        problems.append("科小 qualified differs")
    if (tech["qualified"] == "unknown").any():
        problems.append("科小 has unknown results on complete data")
    hte = ours.filter(pl.col("tier") == "high_tech").with_columns(pl.col("failed").str.split(";").alias("f"))
    for c in of_system.HTE_CONDITIONS:
        passed = (~hte["f"].list.contains(c)).to_numpy()
        if not np.array_equal(passed, theirs[c]):
            problems.append(f"高企 condition {c} differs ({int((passed != theirs[c]).sum())} rows)")
    return problems


PREP_SECONDS: list[float] = []  # OpenFisca: panel -> flat input arrays, part of its timed call
CPU_SECONDS: list[float] = []  # CPU time of each timed call (all threads), independent of other load
KERNEL_SECONDS: list[float] = []  # the part of it spent in the kernel: mostly faulting in fresh memory


def timed(fn, *args, **kwargs):
    start, before = time.perf_counter(), os.times()
    result = fn(*args, **kwargs)
    after = os.times()
    CPU_SECONDS.append(after.user + after.system - before.user - before.system)
    KERNEL_SECONDS.append(after.system - before.system)
    return result, time.perf_counter() - start


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:  # pragma: no cover - not Linux
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--openfisca-max", type=int, default=1_000_000)
    parser.add_argument("--target-ratio", type=float, default=10.0)
    parser.add_argument("--target-all-s", type=float, default=10.0)
    parser.add_argument("--explain-max", type=int, default=100_000, help="time explain=True up to this N")
    args = parser.parse_args()

    rows, failures = [], []
    last_of: tuple[int, float] | None = None
    for n in args.n:
        panel = synthetic(n)
        two, t_two = timed(evaluate, panel, AS_OF, ["tech_sme", "high_tech"], explain=False)
        cpu_two, cpu_of = CPU_SECONDS[-1], float("nan")
        if n <= args.openfisca_max:
            theirs, t_of = timed(run_openfisca, panel)
            cpu_of = CPU_SECONDS[-1]
            last_of = (n, t_of)
            problems = compare(two, theirs)
            of_text = f"{t_of:8.2f}"
            print(f"N={n}: OpenFisca input preparation {PREP_SECONDS[-1]:.2f} s of {t_of:.2f} s", flush=True)
            floor, t_floor = timed(run_floor, panel)
            problems += [
                f"plain NumPy {name} differs from OpenFisca"
                for name, values in floor.items()
                if not np.array_equal(values, theirs[name])
            ]
            print(
                f"N={n}: floor — the same preparation and formulas in plain NumPy, no OpenFisca — {t_floor:.2f} s; "
                f"the {args.target_ratio:g}× target needs the engine at ≤ {t_of / args.target_ratio:.3f} s "
                f"(the floor alone is {t_floor / (t_of / args.target_ratio):.1f}× that)",
                flush=True,
            )
            if problems:
                failures.append(f"N={n}: " + "; ".join(problems))
        else:
            t_of = last_of[1] * n / last_of[0] if last_of else float("nan")
            of_text = f"~{t_of:7.2f}"
            problems = ["not compared"]
        _, t_all = timed(evaluate, panel, AS_OF, None, explain=False)
        print(
            f"N={n}: CPU seconds (all threads) — engine 2 sets {cpu_two:.2f}, OpenFisca {cpu_of:.2f}, "
            f"engine all tiers {CPU_SECONDS[-1]:.2f} (kernel {KERNEL_SECONDS[-1]:.2f}: fresh memory is "
            "faulted in page by page, slow on some virtual machines)",
            flush=True,
        )
        t_explain = float("nan")
        if n <= args.explain_max:
            _, t_explain = timed(evaluate, panel, AS_OF, None, explain=True)
        ratio = t_of / t_two
        rows.append((n, t_two, of_text, ratio, t_all, t_explain, "yes" if not problems else ", ".join(problems)))
        if ratio < args.target_ratio:
            failures.append(
                f"N={n}: engine/OpenFisca speed ratio {ratio:.2f}× (OpenFisca {1 / ratio:.0f}× faster); "
                f"target: engine ≥ {args.target_ratio}× faster"
            )
        if n >= 1_000_000 and t_all > args.target_all_s:
            failures.append(f"N={n}: all tiers took {t_all:.2f} s (target {args.target_all_s} s)")
        del panel

    print(
        f"{'N':>10} {'engine 2 sets s':>16} {'OpenFisca s':>12} {'ratio':>7} {'all tiers s':>12} "
        f"{'+explain s':>11}  identical  (ratio = OpenFisca time / engine time)"
    )
    for n, t_two, of_text, ratio, t_all, t_explain, same in rows:
        print(f"{n:>10} {t_two:>16.2f} {of_text:>12} {ratio:>6.2f}× {t_all:>12.2f} {t_explain:>11.2f}  {same}")
    print(f"load average at the end: {load_average()} (other processes share the 2 cores)")
    for failure in failures:
        print("MISSED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
