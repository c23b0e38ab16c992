"""API endpoints for industry chains: chains, segments (with their gap status), placements, gaps.

Scope follows the pages (`kechuang.chains.selectors`): the bureau and park operators read chains and segments
(403 for other roles); placements are those of the firms the user may see (a park operator: its residents);
only the bureau confirms or rejects a suggestion. An unknown chain or a placement outside the scope is a 404.
Amounts in 万元.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from kechuang.core.paging import api_page
from kechuang.engine.chains.gaps import STATUS_LABELS

from . import selectors, services
from .models import Placement

router = Router(tags=["产业链"])


class DesignationOut(Schema):
    uscc: str
    enterprise_name: str
    role: str
    role_label: str
    designated_on: dt.date
    ends_on: dt.date | None


class ChainOut(Schema):
    code: str
    name: str
    zone: str
    segments: int
    designations: list[DesignationOut]


class SegmentOut(Schema):
    id: int
    name: str
    position: str
    position_label: str
    parent_id: int | None
    industry_codes: list[str]
    keywords: list[str]
    products: list[str]
    supplies: list[int]
    weight: Decimal
    firms: int
    status: str
    status_label: str
    dependence: float
    gap_rank: int | None
    priority: float | None
    reasons: list[str]


class PlacementOut(Schema):
    id: int
    segment_id: int
    segment_name: str
    uscc: str
    enterprise_name: str
    status: str
    status_label: str
    score: float | None
    reason: str


class PlacementPage(Schema):
    count: int
    page: int
    pages: int
    items: list[PlacementOut]


class PlacementFilters(Schema):
    status: str = ""
    segment: int | None = None
    page: int = 1


class DecisionIn(Schema):
    confirm: bool
    note: str = ""


def _require_read(user) -> None:
    if not selectors.can_read_chains(user):
        raise HttpError(403, "无权查看产业链")


def _designations(chain) -> list[dict]:
    return [
        {
            "uscc": d.enterprise.uscc,
            "enterprise_name": d.enterprise.name,
            "role": d.role,
            "role_label": d.get_role_display(),
            "designated_on": d.designated_on,
            "ends_on": d.ends_on,
        }
        for d in selectors.active_designations().filter(chain=chain).select_related("enterprise")
    ]


@router.get("", response=list[ChainOut], summary="产业链列表（含现任链主、链核）")
def list_chains(request):
    _require_read(request.auth)
    return [
        {
            "code": c.code,
            "name": c.name,
            "zone": c.zone,
            "segments": c.segments.count(),
            "designations": _designations(c),
        }
        for c in selectors.chains_for(request.auth)
    ]


def _segments(chain) -> list[dict]:
    rows, _params = selectors.assess(chain)
    out = []
    for s in chain.segments.order_by("order", "pk").prefetch_related("supplies"):
        r = rows.get(s.pk, {})
        out.append(
            {
                "id": s.pk,
                "name": s.name,
                "position": s.position,
                "position_label": s.get_position_display(),
                "parent_id": s.parent_id,
                "industry_codes": s.industry_codes,
                "keywords": s.keywords,
                "products": s.products,
                "supplies": [x.pk for x in s.supplies.all()],
                "weight": s.weight,
                "firms": r.get("firms", 0),
                "status": r.get("status", ""),
                "status_label": STATUS_LABELS.get(r.get("status"), ""),
                "dependence": r.get("dependence", 0.0),
                "gap_rank": r.get("gap_rank"),
                "priority": r.get("priority"),
                "reasons": r.get("reasons", []),
            }
        )
    return out


@router.get("/{code}/segments", response=list[SegmentOut], summary="产业链环节（含强弱判定与缺链排序）")
def list_segments(request, code: str):
    _require_read(request.auth)
    return _segments(selectors.chain_for(request.auth, code))


@router.get("/{code}/gaps", response=list[SegmentOut], summary="缺链、弱链（按依赖程度排序）")
def list_gaps(request, code: str):
    _require_read(request.auth)
    rows = [s for s in _segments(selectors.chain_for(request.auth, code)) if s["gap_rank"] is not None]
    return sorted(rows, key=lambda s: s["gap_rank"])


def _placement(p: Placement) -> dict:
    return {
        "id": p.pk,
        "segment_id": p.segment_id,
        "segment_name": p.segment.name,
        "uscc": p.enterprise.uscc,
        "enterprise_name": p.enterprise.name,
        "status": p.status,
        "status_label": p.get_status_display(),
        "score": p.score,
        "reason": services.reason_text(p),
    }


@router.get("/{code}/placements", response=PlacementPage, summary="环节企业（推荐与确认，按权限范围）")
def list_placements(request, code: str, filters: Query[PlacementFilters]):
    _require_read(request.auth)
    chain = selectors.chain_for(request.auth, code)
    qs = selectors.placements_for(request.auth).filter(segment__chain=chain)
    if filters.status:
        if filters.status not in Placement.Status.values:
            raise HttpError(422, "状态应为 suggested、confirmed 或 rejected")
        qs = qs.filter(status=filters.status)
    if filters.segment is not None:
        qs = qs.filter(segment_id=filters.segment)
    return api_page(qs.order_by("segment__order", "segment_id", "-score", "pk"), filters.page, _placement)


@router.post("/placements/{pk}/decision", response=PlacementOut, summary="确认或否决推荐（科技局）")
def decide_placement(request, pk: int, payload: DecisionIn):
    if not selectors.can_edit_chains(request.auth):
        raise HttpError(403, "只有科技局可以确认或否决推荐")
    placement = selectors.placement_for(request.auth, pk)
    try:
        services.decide(user=request.auth, placements=[placement], confirm=payload.confirm, note=payload.note)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except ValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from None
    placement.refresh_from_db()
    return _placement(placement)
