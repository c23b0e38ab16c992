"""API endpoints of the supply map and the needs: achievements, needs and a need's matches.

Scope follows the pages (`supplyselectors`): the bureau sees everything; an institution user its own
institution's achievements, and the open needs without their confidential detail unless the firm disclosed it to
them; a firm every achievement's public fields and its own needs with their matches; every other role a 403.
A record outside the scope is a 404; the matches of a need the user may read but not match (an institution) a 403,
as are the firms ranked for an achievement to anyone but the bureau and the institution that keeps it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from kechuang.accounts import access
from kechuang.core.apitypes import one_of
from kechuang.core.paging import api_page

from . import expertmatching, firmmatching, supplymatching
from . import supplyselectors as scope
from .supplymodels import Achievement, Need
from .supplymodels import Field as TechField

router = Router(tags=["科技成果与技术需求"])


class ManagerOut(Schema):
    name: str
    affiliation: str
    phone: str | None  # only with the manager's consent (or for those who keep the institution)


class AchievementOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    summary: str
    institution: str
    field: str
    field_label: str
    chain: str | None
    ipc: list[str]
    patent_no: str | None
    holder: str
    legal_status: str
    expires_on: dt.date | None
    trl: int | None
    modes: list[str]
    price_min: Decimal | None  # 万元, a decimal string as every amount the API returns
    price_max: Decimal | None
    manager: ManagerOut | None


class AchievementPage(Schema):
    count: int
    page: int
    pages: int
    items: list[AchievementOut]


class AchievementFilters(Schema):
    institution: int | None = Field(None, ge=1)
    kind: one_of(Achievement.Kind.values) = ""
    field: one_of(TechField.values) = ""
    chain: int | None = Field(None, ge=1)
    trl: int | None = Field(None, ge=1, le=9)
    q: str = Field("", max_length=64)
    page: int = Field(1, ge=1, le=1_000_000)


class NeedOut(Schema):
    id: int
    enterprise: str
    title: str
    summary: str
    detail: str | None  # the confidential detail: null for those it was not disclosed to
    budget_min: Decimal | None  # 万元, a decimal string as every amount the API returns
    budget_max: Decimal | None
    deadline: dt.date | None
    field: str
    chain: str | None
    status: str
    status_label: str
    source: str


class NeedPage(Schema):
    count: int
    page: int
    pages: int
    items: list[NeedOut]


class NeedFilters(Schema):
    status: one_of(Need.Status.values) = ""
    page: int = Field(1, ge=1, le=1_000_000)


class MatchOut(Schema):
    achievement_id: int
    title: str
    institution: str
    score: float
    reason: str
    pinned: bool


class ExpertOut(Schema):
    id: int
    name: str
    institution: str
    score: float
    reason: str
    pinned: bool
    contact: str | None  # a person's contact only with their consent (or for the bureau); null for a team


class ExpertsOut(Schema):
    teams: list[ExpertOut]
    people: list[ExpertOut]  # outside the bureau, only the people who consented to be listed


class FirmMatchOut(Schema):
    uscc: str
    name: str
    score: float
    reason: str  # for the institution without the firm's own figures (R&D, contracts)
    pinned: bool


def _achievement(user):
    def out(a: Achievement) -> dict:
        m = a.manager
        shown = m is not None and (m.phone_shown or scope.keeps(user, a.institution))
        return {
            "id": a.pk,
            "kind": a.kind,
            "kind_label": a.get_kind_display(),
            "title": a.title,
            "summary": a.summary,
            "institution": a.institution.name,
            "field": a.field,
            "field_label": a.get_field_display(),
            "chain": a.chain.name if a.chain_id else None,
            "ipc": a.ipc,
            "patent_no": a.patent_no,
            "holder": a.holder,
            "legal_status": a.legal_status,
            "expires_on": a.expires_on,
            "trl": a.trl,
            "modes": a.modes,
            "price_min": a.price_min,
            "price_max": a.price_max,
            "manager": None
            if m is None
            else {"name": m.name, "affiliation": m.affiliation, "phone": m.phone if shown else None},
        }

    return out


def _need(user):
    def out(n: Need) -> dict:
        return {
            "id": n.pk,
            "enterprise": n.enterprise.name,
            "title": n.title,
            "summary": n.summary,
            "detail": n.detail if scope.sees_detail(user, n) else None,
            "budget_min": n.budget_min,
            "budget_max": n.budget_max,
            "deadline": n.deadline,
            "field": n.field,
            "chain": n.chain.name if n.chain_id else None,
            "status": n.status,
            "status_label": n.get_status_display(),
            "source": n.source,
        }

    return out


def _allowed(user) -> None:
    if not scope.can_view_supply(user):
        raise HttpError(403, "无权查看科技成果与技术需求")


@router.get("/achievements", response=AchievementPage, summary="科技成果（按权限范围）")
def list_achievements(request, filters: Query[AchievementFilters]):
    _allowed(request.auth)
    qs = scope.filter_achievements(scope.achievements_for(request.auth), filters.dict())
    return api_page(qs, filters.page, _achievement(request.auth))


@router.get("/achievements/{pk}", response=AchievementOut, summary="科技成果详情")
def get_achievement(request, pk: int):
    _allowed(request.auth)
    return _achievement(request.auth)(scope.achievement_for(request.auth, pk))


@router.get("/needs", response=NeedPage, summary="技术需求（按权限范围；保密详情仅对获准者返回）")
def list_needs(request, filters: Query[NeedFilters]):
    _allowed(request.auth)
    qs = scope.needs_for(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return api_page(qs, filters.page, _need(request.auth))


@router.get("/needs/{pk}", response=NeedOut, summary="技术需求详情")
def get_need(request, pk: int):
    _allowed(request.auth)
    return _need(request.auth)(scope.need_for(request.auth, pk))


@router.get("/needs/{pk}/matches", response=list[MatchOut], summary="技术需求的匹配成果（科技局与需求企业）")
def need_matches(request, pk: int):
    _allowed(request.auth)
    need = scope.need_for(request.auth, pk)
    if not scope.can_see_matches(request.auth, need):
        raise HttpError(403, "只有科技局和发布需求的企业可以查看匹配结果")
    return [
        {
            "achievement_id": m.achievement.pk,
            "title": m.achievement.title,
            "institution": m.achievement.institution.name,
            "score": m.score,
            "reason": m.reason,
            "pinned": m.pinned,
        }
        for m in supplymatching.matches(need)
    ]


def _expert(m: expertmatching.ExpertMatch) -> dict:
    return {
        "id": m.record.pk,
        "name": m.record.name,
        "institution": m.record.institution.name,
        "score": m.score,
        "reason": m.reason,
        "pinned": m.pinned,
        "contact": (m.contact or None) if m.kind == expertmatching.PERSON else None,
    }


@router.get("/needs/{pk}/experts", response=ExpertsOut, summary="技术需求的匹配团队与专家（科技局与需求企业）")
def need_experts(request, pk: int):
    _allowed(request.auth)
    need = scope.need_for(request.auth, pk)
    if not scope.can_see_matches(request.auth, need):
        raise HttpError(403, "只有科技局和发布需求的企业可以查看匹配结果")
    return {
        kind: [_expert(m) for m in expertmatching.experts(need, request.auth, one)]
        for kind, one in (("teams", expertmatching.TEAM), ("people", expertmatching.PERSON))
    }


@router.get(
    "/achievements/{achievement}/firms",
    response=list[FirmMatchOut],
    summary="科技成果可能承接的企业（科技局与成果所属机构）",
)
def achievement_firms(request, achievement: int):
    access.api_require(request.auth, "achievement_firms")
    a = scope.achievement_for(request.auth, achievement)
    if not scope.can_see_firms(request.auth, a):
        raise HttpError(403, "只有科技局和成果所属机构可以查看可能承接的企业")
    full = request.auth.is_bureau
    return [
        {
            "uscc": m.enterprise.uscc,
            "name": m.enterprise.name,
            "score": m.score,
            "reason": m.reason if full else m.ties,
            "pinned": m.pinned,
        }
        for m in firmmatching.matches(a)
    ]
