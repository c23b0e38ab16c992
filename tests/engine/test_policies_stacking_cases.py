"""从优、就高、不重复 cases: the same rule decides policies decided together and a new run against what firms hold."""

from __future__ import annotations

import polars as pl
import pytest
import yaml

from kechuang.engine.policies import money
from kechuang.engine.policies.funding import stack, stack_against_held
from kechuang.rulesets import ROOT

CASES = yaml.safe_load((ROOT / "policies" / "stacking" / "cases.yaml").read_text(encoding="utf-8"))["cases"]


def _outcome(case) -> tuple[str, list[str]]:
    if "together" in case:
        rows = case["together"]
        out = stack(
            pl.DataFrame(
                {
                    "uscc": ["A"] * len(rows),
                    "policy": [r["policy"] for r in rows],
                    "eligible": ["true"] * len(rows),
                    "stacking_group": ["rent"] * len(rows),
                    "amount_yuan": [money.to_yuan(r["amount"]) for r in rows],
                }
            ),
            priority=[r["policy"] for r in rows],
        )
        winner = out.filter(pl.col("stacked_by").is_null())["policy"].to_list()
        return winner[0], sorted(out.filter(pl.col("stacked_by").is_not_null())["policy"].to_list())
    held = pl.DataFrame(
        {
            "firm": [1] * len(case["held"]),
            "entitlement": list(range(len(case["held"]))),
            "policy": [h["policy"] for h in case["held"]],
            "amount_yuan": [money.to_yuan(h["amount"]) for h in case["held"]],
            "locked": [h["locked"] for h in case["held"]],
        }
    )
    new = pl.DataFrame({"firm": [1], "amount_yuan": [money.to_yuan(case["new"]["amount"])]})
    decided, losers = stack_against_held(new, held)
    kept = decided["stacked_by"][0]
    if kept:
        return kept, [case["new"]["policy"]]
    return case["new"]["policy"], sorted(losers["policy"].to_list())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_stacking_case(case):
    assert _outcome(case) == (case["expect"]["winner"], sorted(case["expect"]["stacked"]))
