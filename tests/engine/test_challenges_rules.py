"""The challenge rules on the rule-data layer: every rule loads with its dated parameters, the review criteria
are checked as a whole (weights summing to 1) when the bureau changes them, and the engine stays pure."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from kechuang.engine.challenges import KIND
from kechuang.engine.ruledata import rulebook

D = dt.date(2026, 6, 30)
CRITERIA = [{"code": "technical", "label": "技术", "weight": 0.5}, {"code": "team", "label": "团队", "weight": 0.5}]


def test_the_kind_and_its_rules():
    book = rulebook("challenge")
    assert (KIND.label, KIND.domain) == ("揭榜挂帅规则", "揭榜挂帅")
    assert sorted(book.ids()) == ["application", "expert_review", "points_subsidy", "public_notice", "race"]
    assert book.in_force("points_subsidy", D).params(D)["rate"] == 0.2
    assert book.in_force("public_notice", D).params(D)["notice_workdays"] == 5
    review = book.in_force("expert_review", D).params(D)
    assert (review["trim_from"], review["min_panel"], review["pass_score"]) == (5, 3, 60)
    assert sum(c["weight"] for c in review["criteria"]) == pytest.approx(1)
    race = book.in_force("race", D).params(D)
    assert (race["teams_min"], race["teams_max"]) == (2, 5)
    assert (race["first_tranche_min"], race["first_tranche_max"]) == (50, 200)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([{**CRITERIA[0], "weight": 0.4}, CRITERIA[1]], "评审指标权重之和应为 1，现为 0.9"),
        ([CRITERIA[0], {**CRITERIA[1], "code": "technical"}], "评审指标代码“technical”重复"),
        ([CRITERIA[0], {**CRITERIA[1], "weight": 0}], "评审指标“团队”的权重应为正数"),
        ([CRITERIA[0], {"code": "", "label": "团队", "weight": 0.5}], "评审指标第 2 项须有代码（code）和名称（label）"),
        (CRITERIA, None),
    ],
)
def test_the_bureau_s_criteria_must_add_up(value, problem):
    doc = rulebook("challenge").in_force("expert_review", D)
    current = doc.params(D)["criteria"]
    assert doc.check_parameter("criteria", current, value) == problem


def test_the_engine_never_imports_django():
    root = Path(__file__).resolve().parents[2] / "src" / "kechuang" / "engine" / "challenges"
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [n for n in names if n.startswith(("django", "kechuang.challenges"))], path.name
