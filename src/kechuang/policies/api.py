"""API endpoints for the policy library and entitlements (read only).

Scope follows the policy pages (`kechuang.policies.selectors`):
- the library: bureau and park operators (`can_read_library`); published versions only, no budgets;
- the entitlement list: bureau (all), park operators (firms resident in their carriers) and an enterprise user
  (its own firm's, as 我的政策 shows them); bank and institution users get a 403;
- one entitlement: whoever `entitlement_for` lets see it, else a 404. Bank account and claw-backs are not
  served (the page shows them to the bureau only).
Amounts are Decimal 万元.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from kechuang.accounts import access
from kechuang.core.paging import api_page

from . import selectors
from .models import Entitlement

router = Router(tags=["政策"])

Status = Literal["pending", "confirmed", "approved", "paid", "stacked", "cancelled"]


class VersionOut(Schema):
    version_id: str
    effective_from: dt.date
    effective_to: dt.date | None


class PolicyOut(Schema):
    id: int
    code: str
    name: str
    issuer: str
    document: str
    delivery: str
    delivery_label: str
    package: str
    measure: str
    stacking_group: str
    current_version: str | None
    versions: list[VersionOut]


class EntitlementOut(Schema):
    id: int
    uscc: str
    enterprise_name: str
    policy_code: str
    policy_name: str
    version_id: str
    year: int
    as_of: dt.date
    decided_amount: Decimal
    amount: Decimal
    status: Status
    status_label: str
    created_on: dt.date


class EntitlementPage(Schema):
    count: int
    page: int
    pages: int
    items: list[EntitlementOut]


class ConditionOut(Schema):
    id: str
    label: str
    outcome: bool | None


class EntitlementDetail(EntitlementOut):
    stacked_by: str
    note: str
    confirmed_at: dt.datetime | None
    conditions: list[ConditionOut]
    facts: dict[str, Any]


class EntitlementFilters(Schema):
    # Limits for the OpenAPI document; the handler checks them (Chinese messages).
    status: str = Field("", json_schema_extra={"enum": ["", *Entitlement.Status.values]})
    policy: str = Field("", json_schema_extra={"maxLength": 64})
    year: int | None = Field(None, json_schema_extra={"minimum": 1990, "maximum": 2100})
    page: int = Field(1, json_schema_extra={"minimum": 1, "maximum": 2**31 - 1})


def _may_list_entitlements(user) -> bool:
    """The entitlement page (bureau, park operators) or 我的政策 (an enterprise user's own firm)."""
    return access.any_allowed(user, "policies", "policies_mine")


def _out(e: Entitlement) -> dict:
    return {
        "id": e.pk,
        "uscc": e.enterprise.uscc,
        "enterprise_name": e.enterprise.name,
        "policy_code": e.policy.code,
        "policy_name": e.policy.name,
        "version_id": e.version.key,
        "year": e.year,
        "as_of": e.as_of,
        "decided_amount": e.decided_amount,
        "amount": e.amount,
        "status": e.status,
        "status_label": e.get_status_display(),
        "created_on": timezone.localdate(e.created_at),
    }


@router.get("", response=list[PolicyOut], summary="政策库（科技局、园区运营方）")
def list_policies(request):
    if not selectors.can_read_library(request.auth):
        raise HttpError(403, "无权查看政策库")
    today = timezone.localdate()
    out = []
    by_code = selectors.published_by_code()
    for p in selectors.policies():
        published = by_code.get(p.code, [])
        current = selectors.in_force_today(published, today)
        out.append(
            {
                "id": p.pk,
                "code": p.code,
                "name": p.name,
                "issuer": p.issuer,
                "document": p.document,
                "delivery": p.delivery,
                "delivery_label": p.get_delivery_display(),
                "package": p.package,
                "measure": p.measure,
                "stacking_group": p.stacking_group,
                "current_version": current.key if current else None,
                "versions": [
                    {"version_id": v.key, "effective_from": v.effective_from, "effective_to": v.effective_to}
                    for v in published
                ],
            }
        )
    return out


@router.get("/entitlements", response=EntitlementPage, summary="兑现资格列表（按权限范围）")
def list_entitlements(request, filters: Query[EntitlementFilters]):
    user = request.auth
    if not _may_list_entitlements(user):
        raise HttpError(403, "无权查看兑现资格")
    qs = selectors.entitlements_for(user)
    if filters.status:
        if filters.status not in Entitlement.Status.values:
            raise HttpError(422, f"状态无效：{filters.status}")
        qs = qs.filter(status=filters.status)
    if filters.policy:
        qs = qs.filter(policy__code=filters.policy)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    qs = qs.order_by("-year", "policy__code", "enterprise__name", "pk")
    return api_page(qs, filters.page, _out)


@router.get("/entitlements/{int:pk}", response=EntitlementDetail, summary="兑现资格详情与判定依据")
def get_entitlement(request, pk: int):
    try:
        e = selectors.entitlement_for(request.auth, pk)
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None
    return {
        **_out(e),
        "stacked_by": e.stacked_by,
        "note": e.note,
        "confirmed_at": e.confirmed_at,
        "conditions": e.condition_rows(),
        "facts": e.facts or {},
    }
