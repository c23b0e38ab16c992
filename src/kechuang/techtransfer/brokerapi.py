"""API of brokering cases, scoped as the pages (`brokerselectors.cases_for`): the bureau every case, an institution
user its institution's cases (and its managers'), a firm its own (as buyer or as the patent's holder); other
roles 403, a case outside the scope 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Query, Router, Schema

from kechuang.accounts.access import api_require
from kechuang.core.apitypes import one_of
from kechuang.core.paging import api_page

from . import brokerselectors as scope
from .brokering import BrokerCase, Stage

router = Router(tags=["对接案件"])
CENT = Decimal("0.01")


class CaseOut(Schema):
    id: int
    kind: str
    kind_label: str
    stage: str
    stage_label: str
    enterprise: str
    need_id: int | None
    achievement_id: int | None
    offer: str  # the achievement's title, or the brokered patent's title and number
    seller: str  # the institution, or the firm holding the patent
    field: str
    manager: str | None
    opened_on: dt.date
    introduced_on: dt.date | None
    assigned_on: dt.date | None
    negotiating_on: dt.date | None
    signed_on: dt.date | None
    registered_on: dt.date | None
    converted_on: dt.date | None
    terminated_on: dt.date | None
    termination_reason: str
    contract_no: str | None
    tech_amount: Decimal | None  # 万元: the registered contract's approved 技术交易额
    event_id: int | None


class CasePage(Schema):
    count: int
    page: int
    pages: int
    items: list[CaseOut]


class CaseFilters(Schema):
    stage: one_of(Stage.values) = ""
    kind: one_of(BrokerCase.Kind.values) = ""
    page: int = Field(1, ge=1, le=1_000_000)


def _out(c: BrokerCase) -> dict:
    registered = c.contract_id is not None and c.registered_on is not None
    return {
        "id": c.pk,
        "kind": c.kind,
        "kind_label": c.get_kind_display(),
        "stage": c.stage,
        "stage_label": c.get_stage_display(),
        "enterprise": c.enterprise.name,
        "need_id": c.need_id,
        "achievement_id": c.achievement_id,
        "offer": c.offer_title,
        "seller": c.seller_name,
        "field": c.field,
        "manager": c.manager.name if c.manager_id else None,
        "opened_on": c.opened_on,
        "introduced_on": c.introduced_on,
        "assigned_on": c.assigned_on,
        "negotiating_on": c.negotiating_on,
        "signed_on": c.signed_on,
        "registered_on": c.registered_on,
        "converted_on": c.converted_on,
        "terminated_on": c.terminated_on,
        "termination_reason": c.termination_reason,
        "contract_no": c.contract.contract_no if c.contract_id else None,
        "tech_amount": c.contract.tech_amount.quantize(CENT) if registered else None,
        "event_id": c.event_id,
    }


@router.get("/cases", response=CasePage, summary="对接案件（按权限范围）")
def list_cases(request, filters: Query[CaseFilters]):
    api_require(request.auth, "cases")
    qs = scope.cases_for(request.auth)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return api_page(qs.select_related("achievement"), filters.page, _out)


@router.get("/cases/{pk}", response=CaseOut, summary="对接案件详情")
def get_case(request, pk: int):
    api_require(request.auth, "cases")
    return _out(scope.case_for(request.auth, pk))
