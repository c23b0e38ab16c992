"""YAML cases for tier rule sets: facts in, expected outcome out (rulesets/tiers/cases/<ruleset id>.yaml).

A case file:

    ruleset: tech_sme            # rule set id
    as_of: 2025-06-01            # default as-of date (a case may set its own)
    local_set: null              # optional variant selection
    defaults: {...}              # facts of the fiscal-year row shared by every case
    cases:
      - name: 示例
        facts: {...}             # merged over defaults; `year` defaults to the rule set's fiscal year
        history:                 # optional earlier-year rows (default: the file's `history`)
          - {year: 2022, revenue: 1000}
        history_patch: {2023: {rd_expense: 10}}   # change fields of the history rows by year
        drop_years: [2023]       # remove history rows
        parameters: {negative_list_enabled: true}  # run with these parameter values (a bureau's version
                                                   # from the rule set's effective_from; default: the file's)
        expect:                  # only the keys given are checked
          qualified: true        # true / false / unknown
          route: score
          score: 64
          score_min: 64
          score_max: 64
          failed: [score_threshold]          # exact set
          missing: [rd_expense]              # exact set
          short_of: [score_threshold]        # exact set: the one requirement lacked (near misses)
          gaps: [{condition: ..., field: ..., current: ..., required: ..., delta: ...}]  # exact list
          conditions: {score_threshold: false}   # outcomes from the explanation
    unreachable_routes:          # routes no facts can make hold, with the reason (exempt from coverage)
      conditions: 创新能力评分含专家评分部分，客观最低分达不到 71 分

Coverage (`coverage(path)`): every condition of the rule set must be asserted by some case (in `failed`,
`conditions` or `gaps`) and every route expected by some case (`route`), unless listed as unreachable.

All cases of a file are evaluated in one vectorised call, so a case file also checks that enterprises do
not leak into each other's results.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml

from kechuang.engine import facts as facts_schema
from kechuang.engine.tiers.evaluate import evaluate
from kechuang.engine.tiers.model import select_rulesets
from kechuang.rulesets import TIER_CASES_DIR


@dataclass
class CaseResult:
    ruleset: str
    name: str
    ok: bool
    problems: list[str]


def case_files(directory: Path = TIER_CASES_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


def load_cases(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _frame(rows: list[dict]) -> pl.DataFrame:
    schema = facts_schema.polars_schema()
    columns = {name for row in rows for name in row}
    unknown = columns - set(schema)
    if unknown:
        raise ValueError(f"案例中有未知字段：{'、'.join(sorted(unknown))}")
    data = {name: [row.get(name) for row in rows] for name in schema if name in columns}
    return pl.DataFrame(data, schema={k: schema[k] for k in data}, strict=False)


def _same_number(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-6)


def _check(expect: dict, row: dict) -> list[str]:
    problems = []
    for key, want in expect.items():
        if key == "qualified":
            want_text = want if isinstance(want, str) else ("true" if want else "false")
            if row["qualified"] != want_text:
                problems.append(f"qualified: 期望 {want_text}，实际 {row['qualified']}")
        elif key == "route":
            if (row["route"] or None) != want:
                problems.append(f"route: 期望 {want}，实际 {row['route']}")
        elif key in ("score", "score_min", "score_max"):
            if not _same_number(want, row[key]):
                problems.append(f"{key}: 期望 {want}，实际 {row[key]}")
        elif key in ("failed", "missing", "short_of"):
            got = sorted(x for x in (row[key] or "").split(";") if x)
            if sorted(want) != got:
                problems.append(f"{key}: 期望 {sorted(want)}，实际 {got}")
        elif key == "gaps":
            got = row["gaps"]
            if len(got) != len(want) or not all(
                g["condition"] == w["condition"]
                and g["field"] == w["field"]
                and all(_same_number(g[k], w[k]) for k in ("current", "required", "delta") if k in w)
                for g, w in zip(got, want, strict=False)
            ):
                problems.append(f"gaps: 期望 {want}，实际 {got}")
        elif key == "conditions":
            conditions = json.loads(row["explanation"])["conditions"]
            for cid, outcome in want.items():
                want_text = outcome if isinstance(outcome, str) else ("true" if outcome else "false")
                got = conditions.get(cid, {}).get("outcome")
                if got != want_text:
                    problems.append(f"condition {cid}: 期望 {want_text}，实际 {got}")
        else:
            problems.append(f"未知的期望项 {key}")
    return problems


def _history(doc: dict, case: dict) -> list[dict]:
    """Earlier-year rows: the case's `history`, else the file's, patched by `history_patch` {year: {...}}."""
    rows = [dict(r) for r in (case.get("history") if "history" in case else doc.get("history")) or []]
    patch = case.get("history_patch") or {}
    for row in rows:
        row.update(patch.get(row["year"], {}))
    drop = set(case.get("drop_years") or [])
    return [r for r in rows if r["year"] not in drop]


def _parameters(doc: dict, case: dict) -> str:
    """The parameter values a case runs with (`parameters`, the case's or else the file's), as a group key."""
    return json.dumps(case.get("parameters", doc.get("parameters")) or {}, sort_keys=True, default=str)


def _versions(ruleset, parameters: str) -> list[dict]:
    """Case parameters as bureau parameter versions in force from the rule set's first day."""
    return [
        {"ruleset": ruleset.id, "parameter": name, "effective_from": ruleset.effective_from, "value": value}
        for name, value in json.loads(parameters).items()
    ]


def run_file(path: Path) -> list[CaseResult]:
    doc = load_cases(path)
    ruleset_id = doc["ruleset"]
    groups: dict[tuple, list[tuple[int, dict]]] = {}
    for i, case in enumerate(doc["cases"]):
        as_of = _as_date(case.get("as_of", doc["as_of"]))
        key = (as_of, case.get("local_set", doc.get("local_set")), _parameters(doc, case))
        groups.setdefault(key, []).append((i, case))
    results: list[CaseResult] = []
    for (as_of, local_set, parameters), items in groups.items():
        ruleset = select_rulesets(as_of, [ruleset_id], local_set)[0]
        fiscal_year = as_of.year - ruleset.fiscal_year_offset
        rows = []
        for i, case in items:
            uscc = f"CASE{i:04d}"
            rows.append(
                {
                    "uscc": uscc,
                    "name": case["name"],
                    "year": fiscal_year,
                    **(doc.get("defaults") or {}),
                    **(case.get("facts") or {}),
                }
            )
            for extra in _history(doc, case):
                rows.append({"uscc": uscc, "name": case["name"], **extra})
        out = evaluate(
            _frame(rows), as_of, [ruleset.id], local_set=local_set, parameter_versions=_versions(ruleset, parameters)
        )
        by_uscc = {r["uscc"]: r for r in out.iter_rows(named=True)}
        for i, case in items:
            problems = _check(case.get("expect") or {}, by_uscc[f"CASE{i:04d}"])
            results.append(CaseResult(ruleset_id, case["name"], not problems, problems))
    return results


def coverage(path: Path) -> list[str]:
    """What the cases of a file leave unasserted, per rule set version the file's as-of dates select."""
    doc = load_cases(path)
    asserted: set[str] = set()
    routes: set[str] = set(doc.get("unreachable_routes") or {})
    selected: dict[str, object] = {}
    for case in doc["cases"]:
        expect = case.get("expect") or {}
        asserted |= set(expect.get("failed") or []) | set(expect.get("conditions") or {})
        asserted |= {g["condition"] for g in expect.get("gaps") or []}
        if expect.get("route"):
            routes.add(expect["route"])
        as_of = _as_date(case.get("as_of", doc["as_of"]))
        for ruleset in select_rulesets(as_of, [doc["ruleset"]], case.get("local_set", doc.get("local_set"))):
            selected[ruleset.label] = ruleset
    problems = []
    for label, ruleset in selected.items():
        for cond in ruleset.conditions:
            if cond["id"] not in asserted:
                problems.append(f"{label}：没有用例检查条件 {cond['id']}")
        for route in ruleset.routes:
            if route["kind"] not in routes:
                problems.append(f"{label}：没有用例期望路径 {route['kind']}（或在 unreachable_routes 中说明原因）")
    return problems


def run_all(directory: Path = TIER_CASES_DIR) -> list[CaseResult]:
    results: list[CaseResult] = []
    for path in case_files(directory):
        results.extend(run_file(path))
    return results
