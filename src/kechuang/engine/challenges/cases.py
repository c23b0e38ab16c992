"""The YAML cases of the challenge engine (`rulesets/challenges/cases/*.yaml`), run by the test suite.

A file names the engine function it exercises and lists cases: `{name, input, expect}`. Rule parameters come
from the shipped rule in force on the case's `as_of` (default 2026-01-01), with `params:` overriding single
values, so a case shows the rule's boundary as written and as a bureau may change it. `run(path)` returns, per
case, the list of mismatches (empty: the case holds).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import yaml

from kechuang.engine.challenges import acceptance, conflicts, eligibility, lifecycle, money, race, scoring
from kechuang.engine.ruledata import rulebook
from kechuang.rulesets import ROOT

CASES_DIR = ROOT / "challenges" / "cases"
DEFAULT_AS_OF = dt.date(2026, 1, 1)


def files() -> list[Path]:
    return sorted(CASES_DIR.glob("*.yaml"))


def load(path: Path) -> tuple[str, list[dict]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data["function"], data["cases"]


def params(rule_id: str, case: dict) -> dict:
    as_of = _date(case.get("as_of")) or DEFAULT_AS_OF
    values = rulebook("challenge").in_force(rule_id, as_of).params(as_of).as_dict()
    return {**values, **(case.get("params") or {})}


def _date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _dec(value):
    return None if value is None else Decimal(str(value))


def _expect(got, want, what: str) -> list[str]:
    return [] if got == want else [f"{what}: got {got!r}, want {want!r}"]


def _contains(texts: list[str], wanted: list[str], what: str) -> list[str]:
    out = []
    for w in wanted:
        if not any(w in t for t in texts):
            out.append(f"{what}: no message contains {w!r} in {texts!r}")
    return out


def _eligibility(case: dict) -> list[str]:
    i = case["input"]
    app = {
        **i["application"],
        "applied_on": _date(i["application"]["applied_on"]),
        "budget_requested": _dec(i["application"].get("budget_requested")),
        "milestones": None
        if i["application"].get("milestones") is None
        else [_date(d) for d in i["application"]["milestones"]],
    }
    ch = {
        **i["challenge"],
        "deadline": _date(i["challenge"]["deadline"]),
        "budget": _dec(i["challenge"]["budget"]),
        "completion_due": _date(i["challenge"].get("completion_due")),
    }
    d = eligibility.check(app, ch, params("application", case))
    e = case["expect"]
    out = _expect(d.outcome, e["outcome"], "outcome")
    out += _expect(sorted(c.id for c in d.conditions if c.outcome is False), sorted(e.get("failed", [])), "failed")
    out += _expect(sorted(c.id for c in d.conditions if c.outcome is None), sorted(e.get("unknown", [])), "unknown")
    out += _contains([c.reason for c in d.conditions], e.get("reasons", []), "reasons")
    return out


def _conflicts(case: dict) -> list[str]:
    i = case["input"]
    experts = pl.DataFrame(
        i["experts"],
        schema={
            "expert_id": pl.Int64,
            "name": pl.Utf8,
            "institution": pl.Utf8,
            "fields": pl.Utf8,
            "active": pl.Boolean,
        },
    )
    coop = pl.DataFrame(
        [{**c, "on": _date(c["on"])} for c in i.get("cooperations", [])],
        schema={"expert_id": pl.Int64, "organisation": pl.Utf8, "on": pl.Date},
    )
    decl = pl.DataFrame(
        i.get("declared", []), schema={"expert_id": pl.Int64, "organisation": pl.Utf8, "reason": pl.Utf8}
    )
    p = params("expert_review", case)
    found = conflicts.conflicts(experts, i["parties"], coop, decl, _date(i["as_of"]), int(p["cooperation_years"]))
    e = case["expect"]
    out = _expect(
        sorted([list(r) for r in found.select("expert_id", "kind").rows()]), sorted(e.get("conflicts", [])), "conflicts"
    )
    out += _contains(found["reason"].to_list(), e.get("reasons", []), "reasons")
    if "draw" in i:
        d = conflicts.draw_panel(
            experts,
            found,
            int(i["draw"].get("size", p["panel_size"])),
            int(i["draw"]["seed"]),
            i["draw"].get("field", ""),
        )
        want = e["draw"]
        if "chosen" in want:
            out += _expect(d.chosen, want["chosen"], "chosen")
        if "chosen_count" in want:
            out += _expect(len(d.chosen), want["chosen_count"], "chosen_count")
        out += _expect(sorted(x["expert_id"] for x in d.excluded), sorted(want.get("excluded", [])), "excluded")
        out += _expect(d.short, want.get("short", 0), "short")
        if "first" in want:
            out += _expect(d.chosen[: len(want["first"])] if d.chosen else [], want["first"], "first drawn")
        repeat = conflicts.draw_panel(
            experts,
            found,
            int(i["draw"].get("size", p["panel_size"])),
            int(i["draw"]["seed"]),
            i["draw"].get("field", ""),
        )
        out += _expect(repeat.chosen, d.chosen, "same seed, same panel")
    return out


def _scoring(case: dict) -> list[str]:
    i = case["input"]
    p = params("expert_review", case)
    criteria = i.get("criteria") or p["criteria"]
    rows = [(s["application"], s["reviewer"], code, float(v)) for s in i["sheets"] for code, v in s["scores"].items()]
    frame = pl.DataFrame(
        rows,
        schema={"application_id": pl.Int64, "reviewer_id": pl.Int64, "criterion": pl.Utf8, "score": pl.Float64},
        orient="row",
    )
    results = scoring.aggregate(frame, criteria, p)
    out = []
    for app_id, want in case["expect"].items():
        r = results[int(app_id)]
        if "score" in want:
            out += _expect(r.score, _dec(want["score"]), f"{app_id} score")
        if "passed" in want:
            out += _expect(r.passed, want["passed"], f"{app_id} passed")
        if "rank" in want:
            out += _expect(r.rank, want["rank"], f"{app_id} rank")
        if "dropped" in want:
            got = {x["dropped"]: x["reviewer_id"] for x in r.reviewers if x["dropped"]}
            out += _expect(got, want["dropped"] or {}, f"{app_id} dropped")
        if "explanation" in want:
            out += _contains([r.explanation], [want["explanation"]], f"{app_id} explanation")
    for sheet in i.get("check_sheets", []):
        problems = scoring.sheet_problems(sheet["scores"], criteria, p["score_max"])
        out += _contains(problems, sheet["problems"], "sheet problems")
        if not sheet["problems"]:
            out += _expect(problems, [], "sheet problems")
    return out


def _race_review(case: dict) -> list[str]:
    teams = [{**t, "score": _dec(t.get("score"))} for t in case["input"]["teams"]]
    got = race.review(teams, params("race", case))
    out = []
    for r in got:
        want = case["expect"][r["application_id"]]
        out += _expect(r["recommendation"], want["recommendation"], f"{r['application_id']} recommendation")
        out += _contains([r["reason"]], [want["reason"]] if want.get("reason") else [], f"{r['application_id']}")
    return out


def _race_concentrate(case: dict) -> list[str]:
    i = case["input"]
    got = race.concentrate(_dec(i["amount"]), [{**t, "score": _dec(t.get("score"))} for t in i["teams"]])
    return _expect(
        {k: str(v) for k, v in got.items()},
        {int(k): str(_dec(v).quantize(money.UNIT)) for k, v in case["expect"].items()},
        "parts",
    )


def _race_first(case: dict) -> list[str]:
    i = case["input"]
    problems = race.first_tranche_problems(
        [_dec(a) for a in i["amounts"]],
        [_dec(a) for a in i.get("sums", [])] or [None] * len(i["amounts"]),
        params("race", case),
        i["race"],
    )
    out = _contains(problems, case["expect"]["problems"], "problems")
    return out + (_expect(problems, [], "problems") if not case["expect"]["problems"] else [])


def _acceptance(case: dict) -> list[str]:
    got = acceptance.check(case["input"]["indicators"], case["input"]["measured"])
    e = case["expect"]
    out = _expect(got["outcome"], e["outcome"], "outcome")
    if "met" in e:
        out += _expect({r["code"]: r["met"] for r in got["indicators"]}, e["met"], "met")
    out += _contains([got["explanation"], *(r["text"] for r in got["indicators"])], e.get("texts", []), "texts")
    return out


def _split(case: dict) -> list[str]:
    got = money.split(
        _dec(case["input"]["amount"]),
        [tuple(s) for s in case["input"]["shares"]],
        {k: _dec(v) for k, v in (case["input"].get("paid") or {}).items()},
    )
    out = _expect(
        {k: str(v) for k, v in got.items()},
        {k: str(_dec(v).quantize(money.UNIT)) for k, v in case["expect"].items()},
        "parts",
    )
    return out + _expect(sum(got.values()), _dec(case["input"]["amount"]).quantize(money.UNIT), "sum")


def _subsidy(case: dict) -> list[str]:
    p = params("points_subsidy", case)
    basis, amount, text = money.subsidy([_dec(s) for s in case["input"]["spending"]], p["rate"])
    e = case["expect"]
    return (
        _expect(basis, _dec(e["basis"]), "basis")
        + _expect(amount, _dec(e["amount"]), "amount")
        + _contains([text], e.get("texts", []), "text")
    )


def _payment(case: dict) -> list[str]:
    facts = dict(case["input"])
    facts["sources"] = [{**s, "balance": _dec(s["balance"])} for s in facts.get("sources", [])]
    problems = money.payment_problems(facts)
    want = case["expect"]["problems"]
    return _contains(problems, want, "problems") + _expect(len(problems), len(want), "number of problems")


def _lifecycle(case: dict) -> list[str]:
    i = case["input"]
    facts = {
        k: (_date(v) if k in ("deadline", "today", "completion_due", "notice_ends") else v)
        for k, v in (i.get("facts") or {}).items()
    }
    got = lifecycle.blockers(i["current"], i["target"], facts)
    want = case["expect"]["blockers"]
    return _contains(got, want, "blockers") + _expect(len(got), len(want), "number of blockers")


FUNCTIONS = {
    "eligibility.check": _eligibility,
    "conflicts.conflicts": _conflicts,
    "scoring.aggregate": _scoring,
    "race.review": _race_review,
    "race.concentrate": _race_concentrate,
    "race.first_tranche_problems": _race_first,
    "acceptance.check": _acceptance,
    "money.split": _split,
    "money.subsidy": _subsidy,
    "money.payment_problems": _payment,
    "lifecycle.blockers": _lifecycle,
}


def run(function: str, case: dict) -> list[str]:
    return FUNCTIONS[function](case)
