"""Adapters that run the one-stop services engine on YAML cases (rulesets/onestop/cases/)."""

from __future__ import annotations

import polars as pl

from kechuang.engine.casefile import run_folder
from kechuang.engine.onestop import routing, visits
from kechuang.rulesets import ROOT

CASES_DIR = ROOT / "onestop" / "cases"


def _route(data, params, as_of):
    return routing.route(data["category"], data.get("offices", []), data.get("resident_carriers", []), params)


def _diagnosis(data, params, as_of):
    return {"category": routing.category_for_diagnosis(data["service_category"], params)}


def _deadline(data, params, as_of):
    return routing.deadline(data["accepted_on"], data["category"], params)


def _timeliness(data, params, as_of):
    return routing.timeliness(
        submitted_on=data["submitted_on"],
        accepted_on=data.get("accepted_on"),
        due_on=data.get("due_on"),
        finished_on=data.get("finished_on"),
        as_of=as_of,
        params=params,
    )


def _visits(data, params, as_of):
    frame = visits.visit_status(
        pl.DataFrame(data["assignments"], schema=visits.ASSIGNMENT_SCHEMA, orient="row"),
        pl.DataFrame(data.get("visits", []), schema=visits.VISIT_SCHEMA, orient="row"),
        as_of,
        params,
    )
    return {
        r["uscc"]: {"overdue": r["overdue"], "due_on": r["due_on"], "reason": r["reason"]}
        for r in frame.iter_rows(named=True)
    }


def _hte(data, params, as_of):
    frame = visits.hte_due(pl.DataFrame(data["certificates"], schema=visits.CERT_SCHEMA, orient="row"), as_of, params)
    return {"due": frame["uscc"].to_list(), "reasons": frame["reason"].to_list()}


ADAPTERS = {
    "diagnosis": _diagnosis,
    "route": _route,
    "deadline": _deadline,
    "timeliness": _timeliness,
    "visits": _visits,
    "hte_due": _hte,
}


def run_all():
    return run_folder(CASES_DIR, ADAPTERS)
