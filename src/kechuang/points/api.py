"""API endpoints for innovation points (read only).

Scope follows the points pages (`kechuang.points.selectors`):
- an enterprise's points history: whoever may open its points page (the "points" area of
  `kechuang.accounts.access`, 403 otherwise) and may see the enterprise (`enterprise_for`; out of scope: 404);
- the leaderboard: bureau and park operators only (`can_view_leaderboard`; a park operator sees its carriers'
  firms, ranks stay city-wide); every other role, bank users included, gets a 403.
Alerts are not served here (the firm page shows them to bureau and park operators only).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from kechuang.accounts import access
from kechuang.core.paging import api_page
from kechuang.enterprises.selectors import enterprise_for

from . import schemes, selectors
from .forms import LeaderboardFilter
from .models import PointsResult, ScoringRun

router = Router(tags=["创新积分"])


class IndicatorOut(Schema):
    id: str
    label: str
    group: str
    kind: str
    unit: str
    raw: float | bool | None
    contribution: float | None
    max_points: float | None
    stage_percentile: float | None


class CreditOut(Schema):
    rule: str | None
    name: str | None
    eligible: bool | None
    amount: Decimal | None
    explanation: str | None


class Standing(Schema):
    """A firm's place in a run: what the leaderboard row and the firm's history share."""

    rank: int | None
    stage: str | None
    stage_label: str | None
    points: float | None
    percentile: float | None
    stage_rank: int | None
    stage_percentile: float | None
    list_id: str | None
    list_label: str | None
    carrier: str | None
    missing: list[str]


class PointsResultOut(Standing):
    run_id: int
    year: int
    as_of: dt.date
    scheme_id: str
    scheme_key: str
    scheme_name: str
    stage_size: int | None
    indicators: list[IndicatorOut]
    credit: CreditOut | None


class EnterprisePointsOut(Schema):
    uscc: str
    name: str
    results: list[PointsResultOut]


class LeaderboardItem(Standing):
    uscc: str
    name: str


class LeaderboardPage(Schema):
    run_id: int
    year: int
    as_of: dt.date
    scheme_key: str
    scheme_name: str
    count: int
    page: int
    pages: int
    items: list[LeaderboardItem]


class LeaderboardFilters(Schema):
    # Limits for the OpenAPI document; the handler checks them (Chinese messages).
    year: int | None = Field(None, json_schema_extra={"minimum": 1990, "maximum": 2100})
    stage: str = Field("", json_schema_extra={"maxLength": 32})
    region: str = Field("", json_schema_extra={"maxLength": 6})
    industry: str = Field("", json_schema_extra={"maxLength": 4})
    page: int = Field(1, json_schema_extra={"minimum": 1, "maximum": 2**31 - 1})


def _split(text: str) -> list[str]:
    return [part for part in (text or "").split(";") if part]


def _money(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _credit(credit: dict) -> dict | None:
    if not credit:
        return None
    return {
        "rule": credit.get("rule"),
        "name": credit.get("name"),
        "eligible": credit.get("eligible"),
        "amount": _money(credit.get("amount")),
        "explanation": credit.get("explanation"),
    }


def _indicators(result: PointsResult, scheme) -> list[dict]:
    out = []
    for ind in scheme.indicators:
        try:
            max_points = scheme.max_points(result.stage, ind) if result.stage else None
        except KeyError:
            max_points = None
        out.append(
            {
                "id": ind.id,
                "label": ind.label,
                "group": scheme.groups.get(ind.group, ind.group),
                "kind": ind.kind,
                "unit": ind.unit,
                "raw": (result.raw or {}).get(ind.id),
                "contribution": (result.contributions or {}).get(ind.id),
                "max_points": max_points,
                "stage_percentile": (result.percentiles or {}).get(ind.id),
            }
        )
    return out


def _result_out(result: PointsResult, scheme) -> dict:
    run = result.run
    return {
        **_standing(result, scheme.stage_labels),
        "run_id": run.pk,
        "year": run.year,
        "as_of": run.as_of,
        "scheme_id": run.scheme_id,
        "scheme_key": run.scheme_key,
        "scheme_name": run.scheme_name,
        "stage_size": (run.stage_sizes or {}).get(result.stage) if result.stage else None,
        "indicators": _indicators(result, scheme),
        "credit": _credit(result.credit),
    }


def _standing(r: PointsResult, stage_labels: dict) -> dict:
    return {
        "rank": r.rank,
        "stage": r.stage or None,
        "stage_label": stage_labels.get(r.stage) if r.stage else None,
        "points": r.points,
        "percentile": r.percentile,
        "stage_rank": r.stage_rank,
        "stage_percentile": r.stage_percentile,
        "list_id": r.list_id or None,
        "list_label": r.list_label or None,
        "carrier": r.carrier or None,
        "missing": _split(r.missing),
    }


@router.get("/enterprises/{uscc}", response=EnterprisePointsOut, summary="企业历年创新积分")
def enterprise_points(request, uscc: str):
    access.api_require(request.auth, "points")
    try:
        enterprise = enterprise_for(request.auth, uscc)
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None
    scheme_ids = sorted(
        set(
            selectors.results_for(request.auth)
            .filter(enterprise=enterprise, run__status=ScoringRun.Status.DONE)
            .values_list("run__scheme_id", flat=True)
        )
    )
    results = [r for scheme_id in scheme_ids for r in selectors.history(enterprise, scheme_id)]
    results.sort(key=lambda r: (r.run.year, r.run.scheme_id))
    by_run = {}  # the scheme snapshot of each run, parsed once
    for r in results:
        by_run.setdefault(r.run_id, schemes.run_scheme(r.run))
    return {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "results": [_result_out(r, by_run[r.run_id]) for r in results],
    }


@router.get("/leaderboard", response=LeaderboardPage, summary="创新积分排行榜（科技局、园区运营方）")
def leaderboard(request, filters: Query[LeaderboardFilters]):
    user = request.auth
    if not selectors.can_view_leaderboard(user):
        raise HttpError(403, "无权查看创新积分排行榜")
    form = LeaderboardFilter({k: v for k, v in filters.dict().items() if k in ("stage", "region", "industry") and v})
    if not form.is_valid():
        raise HttpError(422, "筛选条件无效：" + "；".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
    if filters.year is not None:
        run = selectors.runs().filter(year=filters.year).first()
        if run is None:
            raise HttpError(404, f"{filters.year} 年度尚无积分计算结果")
    else:
        run = selectors.latest_run()
        if run is None:
            raise HttpError(404, "尚无积分计算结果")
    stage_labels = schemes.run_scheme(run).stage_labels
    qs = (
        selectors.leaderboard(user, run, form.filters())
        .select_related("enterprise")
        .only(
            "rank",
            "points",
            "percentile",
            "stage",
            "stage_rank",
            "stage_percentile",
            "list_id",
            "list_label",
            "carrier",
            "missing",
            "enterprise__name",
            "enterprise__uscc",
        )
    )
    page = api_page(
        qs, filters.page, lambda r: {**_standing(r, stage_labels), "uscc": r.enterprise.uscc, "name": r.enterprise.name}
    )
    return {
        "run_id": run.pk,
        "year": run.year,
        "as_of": run.as_of,
        "scheme_key": run.scheme_key,
        "scheme_name": run.scheme_name,
        **page,
    }
