"""Adapters that run the chains engine on YAML cases (rulesets/chains/cases/)."""

from __future__ import annotations

import polars as pl

from kechuang.engine.casefile import run_folder
from kechuang.engine.chains import gaps, links, placement
from kechuang.rulesets import ROOT

CASES_DIR = ROOT / "chains" / "cases"


def _placement(data, params, as_of):
    segments = pl.DataFrame(
        [
            {
                "segment_id": s["id"],
                "codes": s.get("codes", []),
                "keywords": s.get("keywords", []),
                "products": s.get("products", []),
            }
            for s in data["segments"]
        ],
        schema=placement.SEGMENT_SCHEMA,
    )
    firms = pl.DataFrame(
        [{k: f.get(k) for k in placement.FIRM_SCHEMA} for f in data["firms"]], schema=placement.FIRM_SCHEMA
    )
    result = placement.suggest(segments, firms, params)
    codes = {f["uscc"]: f.get("industry_code") for f in data["firms"]}
    out = {"suggested": [[r["uscc"], r["segment_id"]] for r in result.iter_rows(named=True)]}
    for r in result.iter_rows(named=True):
        key = f"{r['uscc']}@{r['segment_id']}"
        out[key] = {
            "score": r["score"],
            "code_level": r["code_level"],
            "terms": r["terms"],
            "reason": placement.reason({**r, "industry_code": codes[r["uscc"]]}, data.get("industry_names")),
        }
    return out


def _gaps(data, params, as_of):
    segments = pl.DataFrame(
        [
            {"segment_id": s["id"], "name": s["name"], "weight": float(s.get("weight", 1)), "order": i}
            for i, s in enumerate(data["segments"])
        ],
        schema=gaps.SEGMENT_SCHEMA,
    )
    link_rows = [{"from_id": a, "to_id": b} for a, b in data.get("links", [])]
    members = pl.DataFrame(
        [{k: m.get(k) for k in gaps.MEMBER_SCHEMA} for m in data.get("members", [])], schema=gaps.MEMBER_SCHEMA
    )
    result = gaps.assess(segments, pl.DataFrame(link_rows, schema=gaps.LINK_SCHEMA), members, params)
    out = {
        "ranking": [
            r["segment_id"]
            for r in result.filter(pl.col("gap_rank").is_not_null()).sort("gap_rank").iter_rows(named=True)
        ]
    }
    for r in result.iter_rows(named=True):
        out[str(r["segment_id"])] = {
            "status": r["status"],
            "dependence": r["dependence"],
            "priority": r["priority"],
            "gap_rank": r["gap_rank"],
            "firms": r["firms"],
            "reasons": r["reasons"],
        }
    return out


def _neighbours(data, params, as_of):
    frame = pl.DataFrame([{"from_id": a, "to_id": b} for a, b in data["links"]], schema=gaps.LINK_SCHEMA)
    return links.neighbours(frame, data["segments"])


ADAPTERS = {"placement": _placement, "gaps": _gaps, "neighbours": _neighbours}


def run_all():
    return run_folder(CASES_DIR, ADAPTERS)
