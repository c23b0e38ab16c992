"""Rule sets as data: dated, sourced YAML (tiers/, and later points/ and policies/) with YAML cases.

This package holds data files only; the engine (kechuang.engine.tiers) loads them. Paths are exported so
callers never build them by hand.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
TIERS_DIR = ROOT / "tiers"
TIER_CASES_DIR = TIERS_DIR / "cases"

__all__ = ["ROOT", "TIERS_DIR", "TIER_CASES_DIR"]
