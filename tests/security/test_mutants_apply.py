"""The planted scoping bugs (scripts/mutate_selectors.py) still find the text they replace: a selector rewritten
without updating its mutant would silently drop that check from the script, as three once did."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mutate_selectors.py"
MODULE = runpy.run_path(str(SCRIPT), run_name="mutate_selectors")


@pytest.mark.parametrize("name,text,replacement,what", MODULE["MUTANTS"], ids=lambda v: str(v)[:40])
def test_each_mutant_text_occurs_once_in_its_file(name, text, replacement, what):
    source = (MODULE["SRC"] / name).read_text(encoding="utf-8")
    assert source.count(text) == 1, f"{name}: {what}"
    assert replacement != text
