"""YAML cases for the engine functions of the newer domains (chains, carriers, one-stop services).

A case file names the engine function it exercises and the rule whose shipped parameters the cases use:

    function: gaps                 # a key of the adapters the domain hands to `run_file`
    kind: chain_gaps               # rule kind (engine.ruledata) …
    rule: default                  # … and rule id; its parameters in force on `as_of` are the cases' params
    as_of: 2026-01-01
    cases:
      - name: 空白环节排在前面
        params: {min_firms: 2}     # optional: values that differ from the shipped ones (a bureau's version)
        input: {...}               # whatever the adapter reads
        expect: {...}              # only the keys given are checked; numbers to 1e-6

An adapter is `fn(input: dict, params: Mapping, as_of: date) -> dict` and returns the actual outcome in the
shape the `expect` keys use. A case whose outcome differs says which key, what was expected and what came.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from kechuang.engine import clock
from kechuang.engine.ruledata import rulebook

Adapter = Callable[[dict, Mapping, dt.date], dict]


@dataclass(frozen=True)
class CaseOutcome:
    file: str
    name: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _same(expected, actual) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or (expected == actual and type(expected) is type(actual))
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(expected, list) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(_same(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, dict) and isinstance(actual, Mapping):
        return all(k in actual and _same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, dt.date) and isinstance(actual, str):
        return expected.isoformat() == actual
    if isinstance(actual, dt.date) and isinstance(expected, str):
        return actual.isoformat() == expected
    return expected == actual


def run_file(path: Path, adapters: Mapping[str, Adapter]) -> list[CaseOutcome]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    function = data["function"]
    adapter = adapters[function]
    as_of = data.get("as_of") or clock.today()
    doc = rulebook(data["kind"]).in_force(data["rule"], as_of)
    shipped = doc.params(as_of).as_dict()
    out = []
    for case in data.get("cases") or []:
        params = {**shipped, **(case.get("params") or {})}
        when = case.get("as_of", as_of)
        try:
            actual = adapter(case.get("input") or {}, params, when)
        except Exception as exc:  # a case that crashes is a failed case, reported with the others
            out.append(CaseOutcome(path.name, case["name"], (f"引发异常：{exc!r}",)))
            continue
        problems = []
        for key, expected in (case.get("expect") or {}).items():
            if key not in actual:
                problems.append(f"{key}：结果中没有此项")
            elif not _same(expected, actual[key]):
                problems.append(f"{key}：应为 {expected!r}，实为 {actual[key]!r}")
        out.append(CaseOutcome(path.name, case["name"], tuple(problems)))
    return out


def run_folder(folder: Path, adapters: Mapping[str, Adapter]) -> list[CaseOutcome]:
    return [o for path in sorted(Path(folder).glob("*.yaml")) for o in run_file(path, adapters)]
