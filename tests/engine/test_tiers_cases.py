"""Every YAML case of every shipped tier rule set, one test each (the runner of `kechuang tiers test`)."""

from functools import cache

import pytest

from kechuang.engine.rules.cases import _check, case_files, load_cases, run_file

CASES = [(path, case["name"]) for path in case_files() for case in load_cases(path)["cases"]]


@cache
def _results(path):
    return {r.name: r for r in run_file(path)}


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{p.stem}:{n}" for p, n in CASES])
def test_case(path, name):
    result = _results(path)[name]
    assert result.ok, "; ".join(result.problems)


def test_every_shipped_tier_has_cases():
    covered = {load_cases(p)["ruleset"] for p in case_files()}
    assert covered >= {
        "tech_sme",
        "high_tech",
        "innovative_sme",
        "specialized_sme",
        "little_giant",
        "gazelle",
        "potential_gazelle",
        "unicorn",
        "potential_unicorn",
    }
    assert any(load_cases(p).get("local_set") == "jinan" for p in case_files())


def test_case_names_are_unique_per_file():
    for path in case_files():
        names = [c["name"] for c in load_cases(path)["cases"]]
        assert len(names) == len(set(names)), path.name


def test_checker_reports_wrong_expectations():
    row = {
        "qualified": "true",
        "route": "score",
        "score": 64.0,
        "score_min": 64.0,
        "score_max": 64.0,
        "failed": "",
        "missing": "",
        "gaps": [],
        "explanation": '{"conditions": {"c": {"outcome": "true"}}}',
    }
    assert _check({"qualified": True, "score": 64, "failed": [], "conditions": {"c": True}}, row) == []
    assert (
        len(
            _check(
                {
                    "qualified": False,
                    "score": 63,
                    "failed": ["x"],
                    "gaps": [{"condition": "c"}],
                    "conditions": {"c": False},
                },
                row,
            )
        )
        == 5
    )
