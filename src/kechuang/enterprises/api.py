"""API endpoints for enterprises and annual figures; schemas follow the facts columns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import WithJsonSchema, create_model

from kechuang.accounts import access
from kechuang.carriers.models import Carrier
from kechuang.core.paging import api_page
from kechuang.engine import facts

from . import figures_body, selectors, services
from .filters import SORTS, EnterpriseFilter
from .models import Enterprise

router = Router(tags=["企业库"])

_PY = {
    facts.STR: str,
    facts.ENUM: str,
    facts.DATE: dt.date,
    facts.MONEY: Decimal,
    facts.NUMBER: Decimal,
    facts.INT: int,
    facts.BOOL: bool,
    facts.FRACTION: Decimal,
}


FigureOut = create_model(
    "FigureOut",
    __base__=Schema,
    year=(int, ...),
    **{n: (_PY[facts.BY_NAME[n].kind] | None, None) for n in facts.ANNUAL_NAMES},
)
YEAR_LOW, YEAR_HIGH = facts.BY_NAME["year"].bounds
# The range is documented here and checked in the view, so that a year out of range gets a Chinese 422.
YearInPath = Annotated[int, WithJsonSchema({"type": "integer", "minimum": YEAR_LOW, "maximum": YEAR_HIGH})]


class ErrorOut(Schema):
    detail: str | list[dict[str, Any]]  # a Chinese message; a list of field errors for a path of the wrong type


class FigureWritten(Schema):
    status: Literal["saved", "submitted"]
    changes: dict[str, list] | None = None  # saved: {field: [old, new]} (empty when nothing changed)
    submission: int | None = None  # submitted: the submission awaiting the bureau's confirmation


class EnterpriseOut(Schema):
    uscc: str
    name: str
    region_code: str | None
    region_name: str | None
    industry_code: str | None
    industry_name: str | None
    registered_on: dt.date | None
    origin: str | None


class EnterpriseDetail(EnterpriseOut):
    paid_in_capital: Decimal | None
    hightech_field: str | None
    strategic_emerging: bool | None
    listed: bool | None
    origin_institution: str | None


class EnterprisePage(Schema):
    count: int
    page: int
    pages: int
    items: list[EnterpriseOut]


def documented(**schema) -> dict:
    """Limits written into the OpenAPI document only: the handler checks them itself, with Chinese messages."""
    return {"json_schema_extra": schema}


class Filters(Schema):
    """The list's filters, described as the list checks them (an unknown carrier matches no firm)."""

    q: str = Field("", **documented(maxLength=100))
    region: str = Field("", description="行政区划代码（省、市代码含其下各县区）", **documented(maxLength=6))
    industry: str = Field("", description="国民经济行业代码", **documented(maxLength=4))
    carrier: int | None = Field(None, description="载体编号", **documented(minimum=1, maximum=2**31 - 1))
    origin: str = Field("", **documented(enum=["", *facts.ORIGINS]))
    sort: str = Field("name", **documented(enum=list(SORTS)))
    page: int = Field(1, **documented(minimum=1, maximum=2**31 - 1))


def _out(e) -> dict:
    return {
        "uscc": e.uscc,
        "name": e.name,
        "region_code": e.region_id,
        "region_name": e.region.name if e.region_id else None,
        "industry_code": e.industry_id,
        "industry_name": e.industry.name if e.industry_id else None,
        "registered_on": e.registered_on,
        "origin": e.origin,
        "paid_in_capital": e.paid_in_capital,
        "hightech_field": e.hightech_field,
        "strategic_emerging": e.strategic_emerging,
        "listed": e.listed,
        "origin_institution": e.origin_institution,
    }


@router.get("", response=EnterprisePage, summary="企业列表（按权限范围）")
def list_enterprises(request, filters: Query[Filters]):
    access.api_require(request.auth, "enterprises")
    if filters.carrier is not None and not Carrier.objects.filter(pk=filters.carrier).exists():
        return api_page(Enterprise.objects.none(), 1, _out)
    form = EnterpriseFilter({k: v for k, v in filters.dict().items() if v not in ("", None) and k != "page"})
    if not form.is_valid():
        raise HttpError(422, "筛选条件无效：" + "；".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
    qs = form.apply(selectors.enterprises_for(request.auth)).select_related("region", "industry")
    return api_page(qs, filters.page, _out)


@router.get("/{uscc}", response=EnterpriseDetail, summary="企业详情")
def get_enterprise(request, uscc: str):
    return _out(selectors.enterprise_for(request.auth, uscc))


@router.get("/{uscc}/figures", response=list[FigureOut], summary="企业年度数据")
def get_figures(request, uscc: str):
    enterprise = selectors.enterprise_for(request.auth, uscc)
    return [
        {"year": f.year, **{n: getattr(f, n) for n in facts.ANNUAL_NAMES}}
        for f in selectors.figures_for(request.auth, enterprise)
    ]


@router.put(
    "/{uscc}/figures/{year}",
    summary="写入年度数据（科技局）或提交待确认（企业用户）",
    description=(
        "请求体为年度数据的 JSON 对象（至少一项，null 表示未知；字段与类型见请求体结构）。"
        "422：请求体或年度无效（中文说明，不写入任何数据）；403：无权修改；404：企业不存在或无权查看。"
        "全部为 null 且该年度尚无数据时不新建空行。"
    ),
    response={200: FigureWritten, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": figures_body.SCHEMA}}}},
)
def put_figures(request, uscc: str, year: YearInPath):
    user = request.auth
    if not (user.can_edit_enterprises or user.can_submit_figures):
        raise HttpError(403, "无权修改年度数据")
    if not YEAR_LOW <= year <= YEAR_HIGH:
        raise HttpError(422, f"年度超出合理范围（{YEAR_LOW}–{YEAR_HIGH}）")
    try:
        enterprise = selectors.enterprise_for(user, uscc)
    except Http404:
        raise HttpError(404, "企业不存在或无权查看") from None
    try:
        values = figures_body.read_body(request.body)
    except figures_body.BodyError as exc:
        raise HttpError(422, exc.message) from None
    try:
        if user.can_edit_enterprises:
            changes = services.save_figure(enterprise, year, values, actor=user, note="API")
            return {"status": "saved", "changes": changes}
        submission = services.submit_figures(enterprise, year, values, actor=user)
        return {"status": "submitted", "submission": submission.pk}
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except ValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from None
