"""Load the reference code lists as plain rows: ``{code, name, level, parent}``.

Policy:
- Regions (GB/T 2260) come from the curated ``regions.json`` shipped with the package; levels are
  1 province, 2 prefecture city, 3 county-level division.
- Industries (GB/T 4754-2017) come from the full shared list ``<project root>/../shared/data/industry/
  gbt4754_2017.jsonl`` when it is present (levels 1 门类 … 4 小类, a class's parent is its group), and
  otherwise from the curated ``industries.json`` shipped with the package (sections, divisions and the
  classes the demo uses; groups are omitted there, so a class's parent is its division). Either way
  every class the demo generates is a valid code.
- Rows are returned in a stable order (parents before children) so loaders can insert them as they come.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
REGIONS_JSON = HERE / "regions.json"
INDUSTRIES_JSON = HERE / "industries.json"
# src/kechuang/reference/load.py → project root is three levels above the package directory.
PROJECT_ROOT = HERE.parents[2]
SHARED_INDUSTRIES = PROJECT_ROOT.parent / "shared" / "data" / "industry" / "gbt4754_2017.jsonl"


def load_regions(path: str | Path | None = None) -> list[dict]:
    """GB/T 2260 rows ``{code, name, level, parent}`` (parent is None for a province)."""
    data = json.loads(Path(path or REGIONS_JSON).read_text(encoding="utf-8"))
    rows: list[dict] = []
    for prov_code, prov in data["provinces"].items():
        rows.append({"code": prov_code, "name": prov["name"], "level": 1, "parent": None})
        for city_code, city in prov["cities"].items():
            rows.append({"code": city_code, "name": city["name"], "level": 2, "parent": prov_code})
            for county_code, county_name in city["counties"].items():
                rows.append({"code": county_code, "name": county_name, "level": 3, "parent": city_code})
    return rows


def load_industries(path: str | Path | None = None) -> list[dict]:
    """GB/T 4754-2017 rows ``{code, name, level, parent}``.

    ``path`` may name a JSONL file in the shared format or a JSON file in the curated format; without it
    the shared full list is used when present, else the curated subset.
    """
    if path is None:
        path = SHARED_INDUSTRIES if SHARED_INDUSTRIES.is_file() else INDUSTRIES_JSON
    path = Path(path)
    if path.suffix == ".jsonl":
        return _read_full_jsonl(path)
    return _read_curated(path)


def _read_full_jsonl(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            level = int(rec["level"])
            code = str(rec["code"]).strip()
            parent = {1: None, 2: rec.get("section"), 3: rec.get("division"), 4: rec.get("group")}[level]
            # The upstream names carry stray trailing spaces ("烟草制品业 ").
            rows.append({"code": code, "name": rec["name"].strip(), "level": level, "parent": parent or None})
    return rows


def _read_curated(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rows: list[dict] = []
    for section, (section_name, divisions) in data["sections"].items():
        rows.append({"code": section, "name": section_name, "level": 1, "parent": None})
        for division, division_name in divisions.items():
            rows.append({"code": division, "name": division_name, "level": 2, "parent": section})
    for code, name in data["classes"].items():
        rows.append({"code": code, "name": name, "level": 4, "parent": code[:2]})
    return rows


@lru_cache(maxsize=4)
def region_names(path: str | None = None) -> dict[str, str]:
    """code → name for every region (cached; pass ``str`` paths so the cache key is hashable)."""
    return {r["code"]: r["name"] for r in load_regions(path)}


@lru_cache(maxsize=4)
def industry_names(path: str | None = None, level: int | None = None) -> dict[str, str]:
    """code → name for the industries of ``level`` (all levels when None)."""
    return {r["code"]: r["name"] for r in load_industries(path) if level is None or r["level"] == level}


def county_codes(path: str | None = None) -> frozenset[str]:
    """Codes of county-level divisions (the level a firm's ``region_code`` uses)."""
    return frozenset(r["code"] for r in load_regions(path) if r["level"] == 3)


@lru_cache(maxsize=1)
def facts_codes():
    """The codes a facts file's region_code and industry_code must be among, for the stateless commands (the
    import passes the database's, loaded from these same lists): county-level divisions and 四位小类 classes."""
    from kechuang.engine.facts_file import Codes

    industries = frozenset(r["code"] for r in load_industries() if r["level"] == 4)
    return Codes(regions=county_codes(), industries=industries)
