"""Every YAML case of the challenge engine (rulesets/challenges/cases/) holds."""

from __future__ import annotations

import pytest

from kechuang.engine.challenges import cases

CASES = [
    (path.stem, function, case) for path in cases.files() for function, items in [cases.load(path)] for case in items
]


def test_every_engine_function_has_cases():
    assert {function for _, function, _ in CASES} == set(cases.FUNCTIONS)


@pytest.mark.parametrize(("file", "function", "case"), CASES, ids=[f"{f}:{c['name']}" for f, _, c in CASES])
def test_case(file, function, case):
    assert cases.run(function, case) == []
