"""API endpoints for one-stop service requests.

Scope follows the pages (`kechuang.onestop.selectors`): the bureau sees every request, a park operator the
requests routed to its carriers' service halls, an enterprise user its own firm's; bank and institution users
get a 403. A request outside the scope is a 404. A firm submits for itself; the bureau for any firm (uscc).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from kechuang.accounts import access
from kechuang.accounts.models import Role
from kechuang.core.paging import api_page
from kechuang.engine.onestop.routing import CATEGORIES
from kechuang.enterprises.selectors import enterprise_for

from . import selectors, services
from .models import ServiceRequest

router = Router(tags=["一站式服务"])


class RequestOut(Schema):
    id: int
    uscc: str
    enterprise_name: str
    category: str
    category_label: str
    title: str
    source: str
    office: str | None
    route_reason: str
    status: str
    status_label: str
    submitted_on: dt.date
    accepted_on: dt.date | None
    due_on: dt.date | None
    finished_on: dt.date | None
    rating: int | None


class RequestPage(Schema):
    count: int
    page: int
    pages: int
    items: list[RequestOut]


class RequestFilters(Schema):
    status: str = ""
    category: str = ""
    page: int = 1


# The schema says what the service refuses (a category outside the catalogue, a blank title), so a request valid
# by the published schema is accepted.
Category = Literal[tuple(CATEGORIES)]


class RequestIn(Schema):
    category: Category
    title: str = Field(min_length=1, max_length=128, pattern=r"\S")
    detail: str = ""
    uscc: str = ""


def _may_use(user) -> bool:
    return access.any_allowed(user, "onestop", "onestop_firm")


def _out(r: ServiceRequest) -> dict:
    return {
        "id": r.pk,
        "uscc": r.enterprise.uscc,
        "enterprise_name": r.enterprise.name,
        "category": r.category,
        "category_label": r.get_category_display(),
        "title": r.title,
        "source": r.source,
        "office": r.office.name if r.office_id else None,
        "route_reason": r.route_reason,
        "status": r.status,
        "status_label": r.get_status_display(),
        "submitted_on": r.submitted_on,
        "accepted_on": r.accepted_on,
        "due_on": r.due_on,
        "finished_on": r.finished_on,
        "rating": r.rating,
    }


@router.get("/requests", response=RequestPage, summary="服务单（按权限范围）")
def list_requests(request, filters: Query[RequestFilters]):
    if not _may_use(request.auth):
        raise HttpError(403, "无权查看服务单")
    qs = selectors.requests_for(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category=filters.category)
    return api_page(qs, filters.page, _out)


@router.get("/requests/{pk}", response=RequestOut, summary="服务单详情")
def get_request(request, pk: int):
    if not _may_use(request.auth):
        raise HttpError(403, "无权查看服务单")
    return _out(selectors.request_for(request.auth, pk))


@router.post("/requests", response={201: RequestOut}, summary="提交服务单（企业为本企业；科技局填写 uscc）")
def submit_request(request, payload: RequestIn):
    user = request.auth
    if user.role == Role.ENTERPRISE_USER and user.enterprise_id:
        enterprise = user.enterprise
    elif user.is_bureau:
        if not payload.uscc.strip():
            raise HttpError(404, "未指定企业：科技局代企业提交时请填写统一社会信用代码 uscc")
        enterprise = enterprise_for(user, payload.uscc.strip().upper())
    else:
        raise HttpError(403, "无权提交服务单")
    try:
        req = services.submit(
            user=user, enterprise=enterprise, category=payload.category, title=payload.title, detail=payload.detail
        )
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except ValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from None
    return Status(201, _out(req))
