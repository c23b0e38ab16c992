"""Adapters that run the carriers engine on YAML cases (rulesets/carriers/cases/)."""

from __future__ import annotations

import polars as pl

from kechuang.engine.carriers import kpis, ranking, residency, torch
from kechuang.engine.casefile import run_folder
from kechuang.rulesets import ROOT

CASES_DIR = ROOT / "carriers" / "cases"


def _kpis(data, params, as_of):
    rows = []
    for carrier in data["carriers"]:
        for metric, values in carrier["series"].items():
            for i, v in enumerate(values):
                rows.append(
                    (carrier["id"], carrier.get("start_year", 2025), carrier.get("start_month", 1) + i, metric, v)
                )
    by_key: dict = {}
    for cid, year, month, metric, v in rows:
        y, m = year + (month - 1) // 12, (month - 1) % 12 + 1
        by_key.setdefault((cid, y, m), {})[metric] = v
    import datetime as dt

    frame = pl.DataFrame(
        [{"carrier_id": c, "month": dt.date(y, m, 1), **vals} for (c, y, m), vals in by_key.items()],
        schema=kpis.KPI_SCHEMA,
    )
    monthly = pl.DataFrame(
        [{"carrier_id": r[0], "month": r[1], "firms_signed": r[2]} for r in data.get("registry_monthly", [])],
        schema=kpis.REGISTRY_MONTHLY_SCHEMA,
    )
    annual = pl.DataFrame(
        [
            {
                "carrier_id": r["carrier_id"],
                "year": r["year"],
                "revenue": r.get("revenue"),
                "financing": r.get("financing"),
            }
            for r in data.get("registry_annual", [])
        ],
        schema=kpis.REGISTRY_ANNUAL_SCHEMA,
    )
    flags = kpis.check(frame, monthly, annual, params)
    return {
        "flags": [
            [r["carrier_id"], f"{r['month']:%Y-%m}", r["metric"], r["kind"]] for r in flags.iter_rows(named=True)
        ],
        "messages": flags["message"].to_list(),
    }


def _rank(data, params, as_of):
    frame = pl.DataFrame(
        [{k: c.get(k) for k in ranking.INPUT_SCHEMA} for c in data["carriers"]], schema=ranking.INPUT_SCHEMA
    )
    flagged = pl.DataFrame(
        [{"carrier_id": a, "metric": b} for a, b in data.get("flagged", [])], schema=ranking.FLAGGED_SCHEMA
    )
    result = ranking.rank(frame, flagged, params)
    out = {"order": result["name"].to_list()}
    for r in result.iter_rows(named=True):
        out[r["name"]] = {
            "rank": r["rank"],
            "points": r["points"],
            "notes": r["notes"],
            **{k: v for k, v in r.items() if k.startswith("c_")},
        }
    return out


def _move(data, params, as_of):
    return {"text": ranking.explain_move(data["current"], data.get("previous"))}


def _torch(data, params, as_of):
    result = torch.check(data, params, as_of)
    return {
        "outcome": result["outcome"],
        "summary": result["summary"],
        **{c["id"]: c["outcome"] for c in result["conditions"]},
    }


def _origin(data, params, as_of):
    return {
        "origin": residency.origin_of(
            data.get("enterprise_origin"),
            data.get("has_institution", False),
            data.get("institution_in_province"),
            data.get("overseas", False),
        )
    }


def _stage(data, params, as_of):
    return {"refused": residency.can_move(data.get("current"), data["new"])}


ADAPTERS = {
    "kpi_checks": _kpis,
    "ranking": _rank,
    "explain_move": _move,
    "torch": _torch,
    "origin": _origin,
    "stage": _stage,
}


def run_all():
    return run_folder(CASES_DIR, ADAPTERS)
