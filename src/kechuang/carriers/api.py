"""API endpoints for carriers: carriers, monthly KPIs (read, and submit), residency, applications, the ranking.

Scope follows the pages (`kechuang.carriers.selectors`): the bureau sees every carrier, a park operator its own
carriers and their residents (other roles: 403 on the carrier endpoints); a carrier outside the scope is a 404.
KPIs are submitted by the bureau or the carrier's operator (403 otherwise; 422 with the Chinese reason when a
value is refused, nothing written). Applications: the bureau, operators (their carriers) and an enterprise user
(its own firm's). Amounts in 万元.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import ConfigDict

from kechuang.accounts import access
from kechuang.core.apitypes import Month, MonthOrLatest, OptionalCount, OptionalWan, one_of
from kechuang.core.paging import api_page
from kechuang.engine.carriers.kpis import METRICS

from . import importing, selectors, services
from .models import Application, Carrier, KpiReport, Residency

router = Router(tags=["载体"])


CarrierKind = one_of(Carrier.Kind.values)
ApplicationStatus = one_of(Application.Status.values)


class CarrierOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    level: str
    status: str
    operator: str | None
    parent_id: int | None
    city: str
    partner: str
    area_m2: Decimal | None
    opened_on: dt.date | None
    residents: int


class FlagOut(Schema):
    metric: str
    kind: str
    message: str


class KpiOut(Schema):
    month: str
    firms_signed: int | None
    revenue: Decimal | None
    ip_applications: int | None
    financing: Decimal | None
    events: int | None
    flags: list[FlagOut]


# A metric may be left out, but a month's report holds at least one (the service refuses an empty one).
class KpiIn(Schema):
    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": [m]} for m in METRICS]})

    month: Month
    firms_signed: OptionalCount = None
    revenue: OptionalWan = None
    ip_applications: OptionalCount = None
    financing: OptionalWan = None
    events: OptionalCount = None


class ResidencyOut(Schema):
    id: int
    carrier_id: int
    uscc: str | None
    enterprise_name: str | None
    team_name: str | None
    start: dt.date
    end: dt.date | None
    stage: str
    stage_label: str
    origin: str
    origin_label: str
    area_m2: Decimal | None
    exit_kind: str


class ResidencyPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ResidencyOut]


class ResidencyFilters(Schema):
    state: Literal["current", "past", "all"] = "current"
    page: int = 1


class ApplicationOut(Schema):
    id: int
    carrier_id: int
    carrier_name: str
    applicant: str
    uscc: str | None
    stage: str
    status: str
    status_label: str
    submitted_on: dt.date


class RankingOut(Schema):
    carrier_id: int
    carrier_name: str
    rank: int
    points: float
    previous_rank: int | None
    movement: str
    contributions: dict[str, float]
    notes: list[str]


class RankingBoard(Schema):
    month: str | None
    scheme_key: str | None
    entries: list[RankingOut]


def _require_read(user) -> None:
    if not selectors.can_read_carriers(user):
        raise HttpError(403, "无权查看载体")


def _carrier(c: Carrier) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "kind": c.kind,
        "kind_label": c.get_kind_display(),
        "level": c.level,
        "status": c.status,
        "operator": str(c.operator) if c.operator_id else None,
        "parent_id": c.parent_id,
        "city": c.city,
        "partner": c.partner,
        "area_m2": c.area_m2,
        "opened_on": c.opened_on,
        "residents": selectors.current(c.residencies.all()).count(),
    }


@router.get("", response=list[CarrierOut], summary="载体列表（按权限范围）")
def list_carriers(request, kind: CarrierKind = ""):
    _require_read(request.auth)
    qs = selectors.carriers_for(request.auth)
    if kind:
        qs = qs.filter(kind=kind)
    return [_carrier(c) for c in qs]


@router.get("/ranking", response=RankingBoard, summary="载体月度排名（month 如 2026-05，默认最新）")
def ranking(request, month: MonthOrLatest = ""):
    _require_read(request.auth)
    run = None
    if month:
        try:
            run = selectors.latest_run(importing.parse_month(month))
        except ValueError as exc:
            raise HttpError(422, str(exc)) from None
    else:
        run = selectors.latest_run()
    if run is None:
        return {"month": None, "scheme_key": None, "entries": []}
    return {
        "month": f"{run.month:%Y-%m}",
        "scheme_key": run.scheme_key,
        "entries": [
            {
                "carrier_id": e.carrier_id,
                "carrier_name": e.carrier.name,
                "rank": e.rank,
                "points": e.points,
                "previous_rank": e.previous_rank,
                "movement": e.movement,
                "contributions": e.contributions,
                "notes": e.notes,
            }
            for e in run.entries.select_related("carrier").order_by("rank", "carrier__name")
        ],
    }


def _application(a: Application) -> dict:
    return {
        "id": a.pk,
        "carrier_id": a.carrier_id,
        "carrier_name": a.carrier.name,
        "applicant": a.applicant,
        "uscc": a.enterprise.uscc if a.enterprise_id else None,
        "stage": a.stage,
        "status": a.status,
        "status_label": a.get_status_display(),
        "submitted_on": a.submitted_at.date(),
    }


class ApplicationPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ApplicationOut]


@router.get("/applications", response=ApplicationPage, summary="入驻申请（科技局、运营方、企业本身）")
def list_applications(request, status: ApplicationStatus = "", page: int = 1):
    user = request.auth
    if not access.any_allowed(user, "carriers", "carriers_firm"):
        raise HttpError(403, "无权查看入驻申请")
    qs = selectors.applications_for(user)
    if status:
        qs = qs.filter(status=status)
    return api_page(qs, page, _application)


@router.get("/{pk}", response=CarrierOut, summary="载体详情")
def get_carrier(request, pk: int):
    _require_read(request.auth)
    return _carrier(selectors.carrier_for(request.auth, pk))


def _kpi(r: KpiReport) -> dict:
    return {
        "month": f"{r.month:%Y-%m}",
        **{m: getattr(r, m) for m in METRICS},
        "flags": [{"metric": f["metric"], "kind": f["kind"], "message": f["message"]} for f in r.flags],
    }


@router.get("/{pk}/kpis", response=list[KpiOut], summary="载体月度指标（含核验提示）")
def list_kpis(request, pk: int):
    _require_read(request.auth)
    carrier = selectors.carrier_for(request.auth, pk)
    return [_kpi(r) for r in carrier.kpis.order_by("month")]


@router.post("/{pk}/kpis", response=KpiOut, summary="报送一个月的指标（科技局、该载体运营方；同月再报送即替换）")
def submit_kpis(request, pk: int, payload: KpiIn):
    _require_read(request.auth)
    carrier = selectors.carrier_for(request.auth, pk)
    try:
        month = importing.parse_month(payload.month)
        values = {}
        for m, (label, unit) in METRICS.items():
            values[m] = services.parse_amount(getattr(payload, m), money=unit == "wan", label=label)
        report = services.save_kpis(user=request.auth, carrier=carrier, month=month, values=values, source="api")
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except ValueError as exc:
        raise HttpError(422, str(exc)) from None
    except ValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from None
    return _kpi(report)


def _residency(r: Residency) -> dict:
    return {
        "id": r.pk,
        "carrier_id": r.carrier_id,
        "uscc": r.enterprise.uscc if r.enterprise_id else None,
        "enterprise_name": r.enterprise.name if r.enterprise_id else None,
        "team_name": r.team.name if r.team_id else None,
        "start": r.start,
        "end": r.end,
        "stage": r.stage,
        "stage_label": r.get_stage_display(),
        "origin": r.origin,
        "origin_label": r.get_origin_display(),
        "area_m2": r.area_m2,
        "exit_kind": r.exit_kind,
    }


@router.get("/{pk}/residencies", response=ResidencyPage, summary="载体入驻名单（state: current、past、all）")
def list_residencies(request, pk: int, filters: Query[ResidencyFilters]):
    _require_read(request.auth)
    carrier = selectors.carrier_for(request.auth, pk)
    qs = selectors.residencies_for(request.auth).filter(carrier=carrier)
    if filters.state == "current":
        qs = qs.filter(end__isnull=True)
    elif filters.state == "past":
        qs = qs.filter(end__isnull=False)
    return api_page(qs.order_by("-start", "pk"), filters.page, _residency)
