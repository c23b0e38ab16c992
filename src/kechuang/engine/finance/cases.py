"""YAML cases for the finance decisions (rulesets/finance/cases/*.yaml), run by the test suite.

Policy: each file names the decision it checks (`decision:`) and lists cases (`name`, inputs, `expect`), with
the boundaries of the rules in force, so an edit of a rule that changes an outcome is caught. Decisions:

- `product`: one firm against one shipped product rule on `as_of` (`firm` derived values, `points`, `stage`
  or the figures it is derived from, `tiers` {id: true/false}, optional `params` overrides) → status,
  short_of, limit, rate_ceiling, gap (`field`, `delta`).
- `deadline`: `submitted_on` + `decision_days` (+ `decided_on`, `today`) → deadline, used, late, assumed_years.
- `stage`: a firm's `revenue` (and `age_years`) → its lifecycle stage under the programme rule.
- `pool`: claims against what is left of the pool under the pool rule → covered per claim.
- `committee`, `tolerance`, `exemption`: the angel fund's rule in force on `as_of`.
- `loan_year`: loans → the per-year policy inputs (interest, balance, guarantee fee, defaulted principal).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import yaml

from kechuang.engine.finance import fund, loans, pool, products, sla
from kechuang.engine.finance.rules import MARKET_RULE, PROGRAMME_RULE
from kechuang.engine.ruledata import rulebook


def cases_directory() -> Path:
    from kechuang.rulesets import ROOT

    return ROOT / "finance" / "cases"


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _params(kind: str, rule_id: str, as_of: dt.date, overrides: dict | None = None) -> dict:
    values = rulebook(kind).in_force(rule_id, as_of).params(as_of).as_dict()
    return {**values, **(overrides or {})}


def _close(a, b) -> bool:
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if a is None or b is None:
        return a is b
    if isinstance(b, bool) or isinstance(a, str):
        return a == b
    return abs(float(a) - float(b)) < 1e-6


def _compare(got: dict, expect: dict) -> list[str]:
    return [f"{k}：期望 {v!r}，实际 {got.get(k)!r}" for k, v in expect.items() if not _close(got.get(k), v)]


def product_case(case: dict) -> dict:
    as_of = _date(case["as_of"])
    doc = rulebook("loan_product").in_force(case["product"], as_of)
    params = {**doc.params(as_of).as_dict(), **(case.get("params") or {})}
    product = products.Product(case["product"], doc, params)
    lifecycle = _params("finance_programme", PROGRAMME_RULE, as_of)["lifecycle"]
    lpr = _params("finance_market", MARKET_RULE, as_of)
    firm = {"uscc": "CASE", **(case.get("firm") or {})}
    frame = pl.DataFrame([firm], infer_schema_length=None)
    frame = frame.with_columns(
        [
            pl.col(c).cast(pl.Float64)
            for c, t in frame.schema.items()
            if t in (pl.Int64, pl.Null) and c not in ("stage", "region_code")
        ]
    )
    tiers = pl.DataFrame(
        {
            "uscc": ["CASE"] * len(case.get("tiers") or {}),
            "tier": list((case.get("tiers") or {}).keys()),
            "qualified": [str(v).lower() for v in (case.get("tiers") or {}).values()],
        },
        schema={"uscc": pl.Utf8, "tier": pl.Utf8, "qualified": pl.Utf8},
    )
    row = products.evaluate(products.prepare(frame, tiers, lifecycle), [product], lpr).row(0, named=True)
    gap = json.loads(row["gap"]) if row["gap"] else {}
    return {**row, "gap_field": gap.get("field"), "gap_delta": gap.get("delta")}


def deadline_case(case: dict) -> dict:
    result = sla.sla(
        _date(case["submitted_on"]),
        case["decision_days"],
        _date(case.get("decided_on")),
        _date(case.get("today") or case["submitted_on"]),
    )
    return {
        "deadline": result.deadline.date.isoformat(),
        "used": result.used,
        "late": result.late,
        "assumed_years": list(result.deadline.assumed_years),
    }


def stage_case(case: dict) -> dict:
    lifecycle = _params("finance_programme", PROGRAMME_RULE, _date(case["as_of"]))["lifecycle"]
    frame = pl.DataFrame(
        {"revenue": [case.get("revenue")], "age_years": [case.get("age_years")]},
        schema={"revenue": pl.Float64, "age_years": pl.Float64},
    )
    return {"stage": frame.select(products.lifecycle_expr(lifecycle))["stage"][0]}


def pool_case(case: dict) -> dict:
    rule = _params("risk_pool", case["rule"], _date(case["as_of"]), case.get("params"))
    left = pool.available(rule["pool_cap"], case["contributions"], case.get("covered", 0), case.get("recovered", 0))
    claims = [{**c, "defaulted_on": _date(c["defaulted_on"])} for c in case["claims"]]
    allocated = pool.allocate(claims, rule["share"], rule["per_loan_cap"], left)
    return {"available": float(left), "covered": [float(c["covered"]) for c in allocated]}


def committee_case(case: dict) -> dict:
    rule = _params("angel_fund", case["rule"], _date(case["as_of"]), case.get("params"))
    passed, _ = fund.committee(case["votes"], rule["committee_quorum"], rule["committee_pass_share"])
    limit = (
        fund.project_limit_problem(
            case["amount"], case["fund_size"], rule["per_project_cap"], rule["per_project_share"]
        )
        if "amount" in case
        else None
    )
    return {"passed": passed, "limit_ok": limit is None}


def tolerance_case(case: dict) -> dict:
    rule = _params("angel_fund", case["rule"], _date(case["as_of"]), case.get("params"))
    result = fund.tolerance(case["deals"], rule["failure_ceiling"], rule["tolerance_basis"])
    exempt, _ = fund.exemption(case.get("documents", []), rule["required_procedures"], result["inside"])
    return {
        "inside": result["inside"],
        "share_count": result["share_count"],
        "share_amount": result["share_amount"],
        "exempt": exempt,
    }


def loan_year_case(case: dict) -> dict:
    rows = [
        {k: (_date(v) if k.endswith("_on") else v) for k, v in {**_LOAN_DEFAULTS, **loan}.items()}
        for loan in case["loans"]
    ]
    frame = pl.DataFrame(rows, schema=loans.LOAN_SCHEMA)
    out = loans.year_inputs(frame, [case["year"]], _date(case["as_of"]))
    got = out.row(0, named=True) if out.height else {}
    return {k: got.get(k) for k in ("loan_interest_paid", "loan_amount", "guarantee_fee_paid", "defaulted_principal")}


_LOAN_DEFAULTS = {
    "loan_id": 1,
    "uscc": "CASE",
    "bank": "B",
    "product": "P",
    "kind": "credit",
    "status": "disbursed",
    "closed_on": None,
    "defaulted_on": None,
    "defaulted_principal": None,
    "guaranteed": False,
    "guarantee_fee": None,
}
DECISIONS = {
    "product": product_case,
    "deadline": deadline_case,
    "stage": stage_case,
    "pool": pool_case,
    "committee": committee_case,
    "tolerance": tolerance_case,
    "loan_year": loan_year_case,
}


def run_cases(path: Path) -> list[str]:
    """Problems of every case in one file (empty when all pass), each prefixed by the case's name."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    decide = DECISIONS[data["decision"]]
    problems = []
    for case in data["cases"]:
        try:
            got = decide(case)
        except Exception as exc:  # a case that cannot run is a failed case, named
            problems.append(f"{path.name}「{case['name']}」无法运行：{exc}")
            continue
        expect = {k: (float(v) if isinstance(v, Decimal) else v) for k, v in case["expect"].items()}
        problems += [f"{path.name}「{case['name']}」{p}" for p in _compare(got, expect)]
    return problems
