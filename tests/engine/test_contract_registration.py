"""Technology-contract registration (engine.techtransfer.contracts): the YAML cases, the rules by date, numbers."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest

from kechuang.engine.ruledata import RuleDataError, parse
from kechuang.engine.techtransfer import cases, contracts

ALL = cases.run_all()
SELLER, BUYER = "911401050000000195", "911401050000000270"


@pytest.mark.parametrize("outcome", ALL, ids=[f"{o.file}:{o.name}" for o in ALL])
def test_case(outcome):
    assert outcome.ok, "；".join(outcome.problems)


def test_every_reason_code_has_a_case():
    assert {o.file for o in ALL} == {"check_2000.yaml", "check_2026.yaml", "number.yaml"}
    text = (cases.CASES_DIR / "check_2026.yaml").read_text(encoding="utf-8")
    for code in contracts.REASONS:
        assert f"reason_code: {code}" in text, code


def contract(**kw) -> contracts.Contract:
    values = {
        "contract_no": "T1",
        "type": "development",
        "seller_name": "甲大学",
        "seller_uscc": SELLER,
        "buyer_name": "乙公司",
        "buyer_uscc": BUYER,
        "signed_on": dt.date(2026, 1, 5),
        "total_amount": Decimal("600"),
        "non_tech_amount": Decimal("100"),
        **kw,
    }
    return contracts.Contract(**values)


def test_the_2000_rules_end_on_28_february_2026_and_the_2026_rules_start_the_next_day():
    old, new = contracts.rules_on(dt.date(2026, 2, 28)), contracts.rules_on(dt.date(2026, 3, 1))
    assert (old.key, old.working_days) == ("registration_2000@2000-02-16", False)
    assert (new.key, new.working_days) == ("registration_2026@2026-03-01", True)
    before = contracts.check(contract(), dt.date(2026, 2, 28), old)
    after = contracts.check(contract(), dt.date(2026, 3, 1), new)
    # 500万 technology amount: no review under the 2000 rules (30 calendar days), review under the 2026 ones.
    assert (before.deadline.date, before.deadline.days, before.deadline.expert_review) == (
        dt.date(2026, 3, 30),
        30,
        False,
    )
    assert (after.deadline.date, after.deadline.days, after.deadline.expert_review) == (
        dt.date(2026, 4, 13),
        30,
        True,
    )  # 清明 2026-04-06 is off
    assert before.tech_amount == after.tech_amount == Decimal("500")
    assert after.deadline.text == (
        "应于受理后 30 个工作日内办结（技术交易额达到专家评审标准，经专家评审），即 2026-04-13 前"
    )
    assert before.deadline.text == "应于受理后 30 日内办结，即 2026-03-30 前"


def test_no_rules_before_2000():
    with pytest.raises(RuleDataError, match="没有生效的技术合同认定登记规则"):
        contracts.rules_on(dt.date(1999, 12, 31))


def test_a_bureau_parameter_version_changes_the_limit():
    overrides = [
        {
            "rule_id": "registration_2026",
            "parameter": "expert_review_from",
            "value": 1000,
            "effective_from": "2026-06-01",
        }
    ]
    rules = contracts.rules_on(dt.date(2026, 6, 30), overrides)
    assert contracts.check(contract(), dt.date(2026, 6, 30), rules).deadline.days == 15


def test_a_refused_contract_has_no_tech_amount_and_keeps_its_deadline():
    rules = contracts.rules_on(dt.date(2026, 6, 30))
    d = contracts.check(contract(written=False), dt.date(2026, 6, 30), rules)
    assert (d.decision, d.reason_code, d.tech_amount, d.deadline.days) == ("refused", "not_written", None, 30)


def test_registration_numbers():
    assert contracts.registration_number("YYYYAAAARRNNNNNN", 2026, "140700", "01", 1) == "2026140701000001"
    with pytest.raises(ValueError, match="流水号“1000000”放不进登记编号的 6 位"):
        contracts.registration_number("YYYYAAAARRNNNNNN", 2026, "140700", "01", 1_000_000)
    with pytest.raises(ValueError, match="登记编号格式“YYNA”无效"):
        contracts.registration_number("YYNA", 2026, "140700", "01", 1)


def test_a_rule_file_without_a_time_limit_or_with_a_bad_number_format_is_refused_at_load():
    base = {
        "id": "x",
        "name": "x",
        "effective_from": "2026-01-01",
        "source": "s",
        "verification": "U",
        "types": [{"id": "development", "name": "技术开发"}],
        "parameters": {
            "number_format": {"label": "编号", "unit": "text", "value": "NNNN"},
            "registration_point": {"label": "点", "unit": "text", "value": "01"},
        },
    }
    with pytest.raises(RuleDataError, match="需要参数 decision_days"):
        parse(contracts.RegistrationRules, base, file="x.yaml")
    base["parameters"]["decision_days"] = {"label": "时限", "unit": "days", "value": 30}
    assert parse(contracts.RegistrationRules, base).key == "x@2026-01-01"
    base["parameters"]["number_format"]["value"] = "NNAA"
    with pytest.raises(RuleDataError, match="登记编号格式“NNAA”无效"):
        parse(contracts.RegistrationRules, base)


def test_the_engine_imports_no_django():
    code = (
        "import sys\nimport kechuang.engine.techtransfer.contracts, kechuang.engine.techtransfer.contract_file\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
