"""Every YAML case of every shipped tier rule set, one test each (the runner of `kechuang tiers test`)."""

from functools import cache

import pytest

from kechuang.engine.tiers import monitoring
from kechuang.engine.tiers.cases import _check, case_files, coverage, load_cases, run_file

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


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_cases_assert_every_condition_and_route(path):
    assert coverage(path) == []


SMALL = """
ruleset: potential_unicorn
as_of: 2025-06-01
defaults: {registered_on: 2022-01-01, listed: false, valuation: 35500, private_equity_raised: true,
           abnormal_listed: false, dishonest_listed: false}
cases:
  - {name: young, expect: {qualified: true, conditions: {young_path: true}}}
"""


def test_coverage_names_what_no_case_asserts(tmp_path):
    path = tmp_path / "potential_unicorn.yaml"
    path.write_text(SMALL, encoding="utf-8")
    assert coverage(path) == [
        "potential_unicorn@2022-08-01：没有用例检查条件 good_credit",
        "potential_unicorn@2022-08-01：没有用例检查条件 investment",
        "potential_unicorn@2022-08-01：没有用例检查条件 unlisted",
        "potential_unicorn@2022-08-01：没有用例检查条件 older_path",
        "potential_unicorn@2022-08-01：没有用例期望路径 conditions（或在 unreachable_routes 中说明原因）",
    ]
    path.write_text(
        SMALL.replace(
            "young_path: true",
            "young_path: true, unlisted: true, older_path: false, good_credit: true, investment: true",
        )
        + "unreachable_routes: {conditions: 仅为测试}\n",
        encoding="utf-8",
    )
    assert coverage(path) == []


def test_tiers_test_fails_on_incomplete_coverage(tmp_path, monkeypatch, capsys):
    import kechuang.engine.tiers.cases as cases_module
    from kechuang.cli import main

    path = tmp_path / "potential_unicorn.yaml"
    path.write_text(SMALL, encoding="utf-8")
    monkeypatch.setattr(cases_module, "case_files", lambda: [path])
    assert main(["tiers", "test"]) == 1
    out = capsys.readouterr().out
    assert "1/1 通过" in out and "覆盖不全：potential_unicorn@2022-08-01：没有用例检查条件 unlisted" in out
    assert "5 处覆盖不全" in out


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


MONITORING = monitoring.run_cases()


@pytest.mark.parametrize("outcome", MONITORING, ids=[f"{o.file}:{o.name}" for o in MONITORING])
def test_monitoring_case(outcome):
    assert outcome.ok, "；".join(outcome.problems)


def test_monitoring_cases_cover_flows_and_periods():
    assert {o.file for o in MONITORING} == {"flows.yaml", "periods.yaml"} and len(MONITORING) == 5
