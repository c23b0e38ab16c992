"""Every shipped policy runs its YAML cases (rulesets/policies/cases/<id>.yaml), boundaries included."""

import pytest

from kechuang.engine.policies import load_policies
from kechuang.engine.policies.cases import cases_directory, run_cases

POLICIES = load_policies()
CASE_FILES = sorted(cases_directory().glob("*.yaml"))


def test_every_shipped_policy_has_cases():
    assert {p.stem for p in CASE_FILES} == set(POLICIES)
    assert set(POLICIES) == {
        "startup_fund",
        "procurement_subsidy",
        "hte_reward",
        "rd_subsidy",
        "loan_interest_subsidy",
        "rent_refund",
        "guarantee_fee_waiver",
        "risk_compensation",
    }


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_policy_cases(path):
    assert run_cases(path, POLICIES) == []
