"""YAML cases for policies: inputs → expected decision, run by the test suite.

Policy: every shipped policy has `rulesets/policies/cases/<id>.yaml`, including the boundaries of its
conditions and caps, so an edit that changes an outcome is caught. A case gives the facts of the policy's
fiscal year as one mapping (`facts`; `year` is filled in), optional tier results (`tiers: {high_tech: true}`;
a tier left out is unknown), optional payout history (`payouts: [{year, amount}]`), the `as_of` date, and
`expect`: `eligible`, and optionally `amount` (万元), `failed` and `missing` (lists of ids / fields).

    policy: startup_fund
    cases:
      - name: 谷区企业，实缴300万 → 100万
        as_of: 2025-06-30
        facts: {valley_resident: true, paid_in_capital: 300, registered_on: 2024-03-01, revenue: 100}
        expect: {eligible: "true", amount: 100}
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import yaml

from kechuang.engine import facts
from kechuang.engine.policies import inputs
from kechuang.engine.policies.document import Policy
from kechuang.engine.policies.evaluate import TRUE, evaluate_policy, facts_year
from kechuang.engine.policies.model import validate_version


def cases_directory() -> Path:
    from kechuang.rulesets import ROOT

    return ROOT / "policies" / "cases"


def _panel(row: dict, year: int) -> pl.DataFrame:
    row = {"uscc": "CASE", "name": "案例企业", **row, "year": year}
    schema = {**facts.polars_schema(), **inputs.polars_schema()}
    cells = {}
    for key, value in row.items():
        if key not in schema:
            raise ValueError(f"案例字段“{key}”不在事实表或政策输入中")
        cells[key] = [float(value) if schema[key] == pl.Float64 and value is not None else value]
    return pl.DataFrame(cells, schema={k: schema[k] for k in cells})


def run_case(policy: Policy, case: dict) -> list[str]:
    """Problems with one case (empty when it passes)."""
    as_of = case["as_of"] if isinstance(case["as_of"], dt.date) else dt.date.fromisoformat(case["as_of"])
    version = policy.version_on(as_of)
    if version is None:
        return [f"{as_of} 没有有效版本"]
    typed = validate_version(version)
    panel = _panel(case.get("facts") or {}, facts_year(typed, as_of))
    tiers = pl.DataFrame(
        {
            "uscc": ["CASE"] * len(case.get("tiers") or {}),
            "tier": list((case.get("tiers") or {}).keys()),
            "qualified": [str(v).lower() if v is not None else "unknown" for v in (case.get("tiers") or {}).values()],
        },
        schema={"uscc": pl.Utf8, "tier": pl.Utf8, "qualified": pl.Utf8},
    )
    payouts = None
    if case.get("payouts"):
        payouts = pl.DataFrame(
            [
                {"uscc": "CASE", "policy": policy.id, "year": p["year"], "amount": float(p["amount"])}
                for p in case["payouts"]
            ]
        )
    row = evaluate_policy(typed, panel, as_of, tiers=tiers, payouts=payouts).row(0, named=True)
    expect = case["expect"]
    problems = []
    if row["eligible"] != str(expect["eligible"]).lower():
        problems.append(
            f"eligible: 期望 {expect['eligible']}，实际 {row['eligible']}（failed={row['failed']}，"
            f"missing={row['missing']}）"
        )
    if "amount" in expect:
        got = row["amount"] if row["eligible"] == TRUE else row["potential_amount"]
        want = Decimal(str(expect["amount"]))
        if got is None or Decimal(got) != want:
            problems.append(f"amount: 期望 {want}，实际 {got}")
    for key in ("failed", "missing"):
        if key in expect:
            got = [x for x in row[key].split(";") if x]
            if sorted(got) != sorted(expect[key] or []):
                problems.append(f"{key}: 期望 {expect[key]}，实际 {got}")
    return problems


def run_cases(path: Path, policies: dict[str, Policy]) -> list[str]:
    """Run one cases file; return the failures as Chinese lines (empty when all pass)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    policy = policies[document["policy"]]
    failures = []
    for case in document["cases"]:
        for problem in run_case(policy, case):
            failures.append(f"{path.name}「{case['name']}」{problem}")
    return failures
