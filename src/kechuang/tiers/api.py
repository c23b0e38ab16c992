"""API endpoints for stored tier results (read only).

Scope follows the enterprise page's tiers section: whoever may see the enterprise (`enterprise_for`) sees its
results of the latest tier run, with gaps and the explanation (computed on demand from the firm's facts and the
run's rule versions; its `reproduced` is false when today's facts no longer give the stored decision). An
enterprise out of scope, or no run yet, is a 404 with a Chinese message.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.http import Http404
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from kechuang.engine.labels import label as field_label
from kechuang.enterprises.selectors import enterprise_for

from . import labels, selectors
from .models import PIPELINE, TIER_LABELS, TierResult, TierRun

router = Router(tags=["企业梯度"])

ORDER = [t for stage in PIPELINE for t in stage]


class GapOut(Schema):
    condition: str
    condition_label: str
    field: str
    field_label: str
    current: float | None
    required: float | None
    delta: float | None


class TierResultOut(Schema):
    tier: str
    tier_label: str
    qualified: Literal["true", "false", "unknown"]
    qualified_label: str
    route: str | None
    score: float | None
    score_min: float | None
    score_max: float | None
    failed: list[str]
    failed_labels: list[str]
    missing: list[str]
    missing_labels: list[str]
    short_of: list[str] = Field(description="差一项达标时所差的那一项（一个条件，或几个任一即可的条件）")
    short_of_labels: list[str]
    gaps: list[GapOut]
    ruleset_id: str
    ruleset_version: str
    as_of: dt.date
    run_id: int


class EnterpriseTiersOut(Schema):
    uscc: str
    name: str
    run_id: int
    as_of: dt.date
    local_set: str
    results: list[TierResultOut]


class ExplanationOut(Schema):
    uscc: str
    tier: str
    tier_label: str
    qualified: Literal["true", "false", "unknown"]
    ruleset_id: str
    ruleset_version: str
    as_of: dt.date
    run_id: int
    condition_labels: dict[str, str]
    explanation: dict[str, Any]


def _enterprise(user, uscc: str):
    try:
        return enterprise_for(user, uscc)
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None


def _latest_run() -> TierRun:
    run = selectors.latest_run()
    if run is None:
        raise HttpError(404, "尚未进行梯队评价")
    return run


def _split(text: str) -> list[str]:
    return [part for part in (text or "").split(";") if part]


def _parsed(value, empty):
    """A JSON column's value; text (as a raw executemany insert may hand back) is parsed."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return empty
    return value if isinstance(value, type(empty)) else empty


def _number(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _ruleset(result: TierResult) -> tuple[str, str]:
    ruleset_id, _, version = result.ruleset.rpartition("@")
    return (ruleset_id, version) if ruleset_id else (result.ruleset, "")


def _result_out(result: TierResult, run: TierRun) -> dict:
    ruleset_id, version = _ruleset(result)
    failed, missing, short_of = _split(result.failed), _split(result.missing), _split(result.short_of)
    gaps = [
        {
            "condition": str(g.get("condition", "")),
            "condition_label": result.condition_labels.get(g.get("condition"), str(g.get("condition", ""))),
            "field": str(g.get("field", "")),
            "field_label": field_label(str(g.get("field", ""))),
            "current": _number(g.get("current")),
            "required": _number(g.get("required")),
            "delta": _number(g.get("delta")),
        }
        for g in _parsed(result.gaps, [])
        if isinstance(g, dict)
    ]
    return {
        "tier": result.tier,
        "tier_label": TIER_LABELS.get(result.tier, result.tier),
        "qualified": result.qualified,
        "qualified_label": labels.QUALIFIED.get(result.qualified, result.qualified),
        "route": result.route or None,
        "score": result.score,
        "score_min": result.score_min,
        "score_max": result.score_max,
        "failed": failed,
        "failed_labels": [result.condition_labels.get(c, c) for c in failed],
        "missing": missing,
        "missing_labels": [field_label(m) for m in missing],
        "short_of": short_of,
        "short_of_labels": [result.condition_labels.get(c, c) for c in short_of],
        "gaps": gaps,
        "ruleset_id": ruleset_id,
        "ruleset_version": version,
        "as_of": run.as_of,
        "run_id": run.pk,
    }


@router.get("/enterprises/{uscc}", response=EnterpriseTiersOut, summary="企业梯队评价结果（最新一次评价）")
def enterprise_tiers(request, uscc: str):
    enterprise = _enterprise(request.auth, uscc)
    run = _latest_run()
    results = list(selectors.results_for(request.auth, run).filter(enterprise=enterprise))
    results.sort(key=lambda r: (ORDER.index(r.tier) if r.tier in ORDER else len(ORDER), r.tier))
    return {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "run_id": run.pk,
        "as_of": run.as_of,
        "local_set": run.local_set,
        "results": [_result_out(r, run) for r in results],
    }


@router.get("/enterprises/{uscc}/explanation/{tier}", response=ExplanationOut, summary="某一梯队的判定说明")
def tier_explanation(request, uscc: str, tier: str):
    enterprise = _enterprise(request.auth, uscc)
    run = _latest_run()
    result = selectors.results_for(request.auth, run).filter(enterprise=enterprise, tier=tier).first()
    if result is None:
        raise HttpError(404, "该企业在最新一次梯队评价中没有此梯队的结果")
    ruleset_id, version = _ruleset(result)
    explanation = _parsed(result.explanation, {})
    conditions = explanation.get("conditions") or {}
    return {
        "uscc": enterprise.uscc,
        "tier": result.tier,
        "tier_label": TIER_LABELS.get(result.tier, result.tier),
        "qualified": result.qualified,
        "ruleset_id": ruleset_id,
        "ruleset_version": version,
        "as_of": run.as_of,
        "run_id": run.pk,
        "condition_labels": {cid: result.condition_labels.get(cid, cid) for cid in conditions},
        "explanation": explanation,
    }
