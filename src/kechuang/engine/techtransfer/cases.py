"""Adapters that run the contract-registration engine on YAML cases (rulesets/techtransfer/contracts/cases/)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from kechuang.engine.casefile import run_folder
from kechuang.engine.techtransfer import contracts
from kechuang.rulesets import ROOT

CASES_DIR = ROOT / "techtransfer" / "contracts" / "cases"
_FIELDS = {f.name for f in dataclasses.fields(contracts.Contract)}
_MONEY = ("total_amount", "non_tech_amount")


def _contract(data: dict) -> contracts.Contract:
    values = {k: v for k, v in data.items() if k in _FIELDS}
    for key in _MONEY:
        if values.get(key) is not None:
            values[key] = Decimal(str(values[key]))
    return contracts.Contract(**{"contract_no": "case", **values})


def _check(data, params, as_of):
    in_force = contracts.rules_on(as_of)
    rules = contracts.Rules(in_force.key, in_force.name, in_force.types, params)
    d = contracts.check(_contract(data), as_of, rules)
    return {
        "decision": d.decision,
        "reason_code": d.reason_code,
        "reason": d.reason,
        "type": d.type,
        "tech_amount": None if d.tech_amount is None else float(d.tech_amount),
        "deadline": d.deadline.date,
        "days": d.deadline.days,
        "expert_review": d.deadline.expert_review,
        "rule": d.rule,
    }


def _number(data, params, as_of):
    return {
        "number": contracts.registration_number(
            params["number_format"], data["year"], data["region_code"], params["registration_point"], data["serial"]
        )
    }


ADAPTERS = {"check": _check, "number": _number}


def run_all():
    return run_folder(CASES_DIR, ADAPTERS)
