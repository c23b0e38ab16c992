"""The YAML cases of the chains, carriers and one-stop service engines, each case a test; the engines are pure."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kechuang.engine import casefile
from kechuang.engine.carriers import cases as carrier_cases
from kechuang.engine.chains import cases as chain_cases
from kechuang.engine.onestop import cases as onestop_cases

ALL = [*chain_cases.run_all(), *carrier_cases.run_all(), *onestop_cases.run_all()]


@pytest.mark.parametrize("outcome", ALL, ids=[f"{o.file}:{o.name}" for o in ALL])
def test_case(outcome):
    assert outcome.ok, "；".join(outcome.problems)


def test_every_engine_function_has_cases():
    files = {o.file for o in ALL}
    assert {
        "placement.yaml",
        "gaps.yaml",
        "neighbours.yaml",
        "kpi_checks.yaml",
        "ranking.yaml",
        "explain_move.yaml",
        "torch.yaml",
        "residency.yaml",
        "stages.yaml",
        "routing.yaml",
        "deadline.yaml",
        "timeliness.yaml",
        "visits.yaml",
        "hte_due.yaml",
    } <= files
    assert len(ALL) >= 50


def test_a_wrong_expectation_is_reported_with_what_came(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "function: gaps\nkind: chain_gaps\nrule: default\nas_of: 2026-06-30\ncases:\n"
        "  - name: 错的期望\n    input: {segments: [{id: 1, name: 甲}], links: [], members: []}\n"
        "    expect: {ranking: [2], nope: 1}\n",
        encoding="utf-8",
    )
    [outcome] = casefile.run_folder(tmp_path, chain_cases.ADAPTERS)
    assert not outcome.ok
    assert outcome.problems == ("ranking：应为 [2]，实为 [1]", "nope：结果中没有此项")


def test_the_engines_import_no_django():
    code = (
        "import sys\nimport kechuang.engine.chains.placement, kechuang.engine.chains.gaps, "
        "kechuang.engine.carriers.ranking, kechuang.engine.carriers.kpis, kechuang.engine.carriers.torch, "
        "kechuang.engine.onestop.routing, kechuang.engine.onestop.visits, kechuang.engine.casefile\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
