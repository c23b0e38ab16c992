"""API endpoints for technology contracts (认定登记): list, detail, record.

Scope follows the pages (`kechuang.techtransfer.selectors`): the bureau sees every contract, an institution user
its own institution's; every other role gets a 403. A contract outside the scope is a 404. Recording is for the
same two; the registration decision is taken on the pages (the clerk confirms the engine's decision there).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from kechuang.core.paging import api_page

from . import selectors, services
from .models import TechContract

router = Router(tags=["技术合同认定登记"])

StatusCode = Literal["", "submitted", "registered", "refused"]
TypeCode = Literal["development", "transfer", "licence", "consulting", "service"]
# Money as the API takes it: a decimal string in 万元 with at most four places (decision 0005: no floats).
MONEY = r"^[0-9]{1,13}(\.[0-9]{1,4})?$"
USCC = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
TEXT = r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$"


class ContractOut(Schema):
    id: int
    contract_no: str
    project: str
    type: str
    type_label: str
    institution: str | None
    seller_name: str
    seller_uscc: str
    seller_region: str
    buyer_name: str
    buyer_uscc: str
    buyer_country: str
    buyer_region: str
    signed_on: dt.date
    valid_to: dt.date | None
    total_amount: Decimal
    non_tech_amount: Decimal
    written: bool
    status: str
    status_label: str
    received_on: dt.date
    due_on: dt.date
    expert_review: bool
    registration_no: str | None
    tech_amount: Decimal | None
    reason: str
    decided_on: dt.date | None


class ErrorOut(Schema):
    detail: str


class ContractPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ContractOut]


class ContractFilters(Schema):
    status: StatusCode = ""
    type: Literal["", "development", "transfer", "licence", "consulting", "service"] = ""
    page: int = Field(1, ge=1, le=1_000_000)


class ContractIn(Schema):
    """A contract for registration. The schema says what the service refuses; what the registration decides
    (a party without a valid USCC, a zero price) is decided on registration, not refused here."""

    contract_no: str = Field(min_length=1, max_length=64, pattern=TEXT)
    project: str = Field(min_length=1, max_length=128, pattern=TEXT)
    type: TypeCode
    seller_name: str = Field(min_length=1, max_length=128, pattern=TEXT)
    seller_uscc: str = Field(pattern=USCC)
    seller_region: str = Field("", pattern=r"^([0-9]{6})?$")
    buyer_name: str = Field(min_length=1, max_length=128, pattern=TEXT)
    buyer_uscc: str = Field("", pattern=r"^([0-9A-HJ-NPQRTUWXY]{18})?$")
    buyer_country: str = Field("", pattern=r"^([A-Z]{2,3})?$")
    buyer_region: str = Field("", pattern=r"^([0-9]{6})?$")
    signed_on: dt.date
    valid_to: dt.date | None = None
    total_amount: str = Field(pattern=MONEY)
    non_tech_amount: str = Field("0", pattern=MONEY)
    written: bool = True


def _out(c: TechContract) -> dict:
    return {
        "id": c.pk,
        "contract_no": c.contract_no,
        "project": c.project,
        "type": c.type,
        "type_label": c.type_label,
        "institution": c.institution.name if c.institution_id else None,
        "seller_name": c.seller_name,
        "seller_uscc": c.seller_uscc,
        "seller_region": c.seller_region,
        "buyer_name": c.buyer_name,
        "buyer_uscc": c.buyer_uscc,
        "buyer_country": c.buyer_country,
        "buyer_region": c.buyer_region,
        "signed_on": c.signed_on,
        "valid_to": c.valid_to,
        "total_amount": c.total_amount,
        "non_tech_amount": c.non_tech_amount,
        "written": c.written,
        "status": c.status,
        "status_label": c.get_status_display(),
        "received_on": c.received_on,
        "due_on": c.due_on,
        "expert_review": c.expert_review,
        "registration_no": c.registration_no,
        "tech_amount": c.tech_amount,
        "reason": c.reason,
        "decided_on": c.decided_on,
    }


def _allowed(user) -> None:
    if not selectors.can_use(user):
        raise HttpError(403, "无权查看技术合同")


@router.get("/contracts", response=ContractPage, summary="技术合同（按权限范围）")
def list_contracts(request, filters: Query[ContractFilters]):
    _allowed(request.auth)
    qs = selectors.filtered(selectors.contracts_for(request.auth), status=filters.status, type=filters.type)
    return api_page(qs, filters.page, _out)


@router.get("/contracts/{pk}", response=ContractOut, summary="技术合同详情")
def get_contract(request, pk: int):
    _allowed(request.auth)
    return _out(selectors.contract_for(request.auth, pk))


@router.post(
    "/contracts", response={201: ContractOut, 409: ErrorOut}, summary="提交技术合同认定登记（高校院所为本单位；科技局）"
)
def record_contract(request, payload: ContractIn):
    """409 when the contract number was submitted before (a contract is registered once)."""
    _allowed(request.auth)
    if TechContract.objects.filter(contract_no=payload.contract_no.strip()).exists():
        return Status(409, {"detail": f"合同编号“{payload.contract_no.strip()}”已提交过，同一合同只登记一次"})
    data = payload.dict()
    data["total_amount"], data["non_tech_amount"] = Decimal(payload.total_amount), Decimal(payload.non_tech_amount)
    try:
        c = services.record(user=request.auth, data=data)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except ValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from None
    return Status(201, _out(c))


# Achievements, needs and matches (the supply map and the demand side) under the same /api/techtransfer prefix.
from .supplyapi import router as supply_router  # noqa: E402

router.add_router("", supply_router)

# Brokering cases, under the same prefix.
from .brokerapi import router as broker_router  # noqa: E402

router.add_router("", broker_router)
