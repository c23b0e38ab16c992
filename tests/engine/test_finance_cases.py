"""Every finance decision runs its YAML cases (rulesets/finance/cases/*.yaml), boundaries included."""

import pytest

from kechuang.engine.finance.cases import DECISIONS, cases_directory, run_cases

CASE_FILES = sorted(cases_directory().glob("*.yaml"))


def test_every_decision_has_cases():
    import yaml

    covered = {yaml.safe_load(p.read_text(encoding="utf-8"))["decision"] for p in CASE_FILES}
    assert covered == set(DECISIONS)


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_finance_cases(path):
    assert run_cases(path) == []


def test_a_wrong_expectation_is_reported_by_name(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "decision: stage\ncases:\n  - {name: 错的, as_of: 2025-06-30, revenue: 50, expect: {stage: mature}}\n",
        encoding="utf-8",
    )
    assert run_cases(bad) == ["bad.yaml「错的」stage：期望 'mature'，实际 'seed'"]
