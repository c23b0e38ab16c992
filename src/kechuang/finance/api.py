"""API endpoints for finance products, applications, consents, consented firm data and loans.

Scope follows the pages (`kechuang.finance.selectors`):
- products: the bureau all, a bank its own, everyone else the products on offer;
- the finder: an enterprise user for its own firm, the bureau for any firm; others 403;
- applications, consents, loans: bureau (all), bank (addressed to it / granted to it / its own loans),
  enterprise user (its own firm's); park operators and institution users get a 403; one record outside the
  user's scope is a 404;
- a firm's data for a bank: `/firms/{uscc}/{scope}` only under a live consent covering `scope`, logged as an
  API view; without one a 404 (the firm does not exist for that bank).
Writes: an enterprise user (or the bureau for a firm) applies and grants or withdraws consent; the addressed bank
takes the application's steps. Refusals are 400 with the Chinese reason. Amounts are Decimal 万元.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from kechuang.accounts import access
from kechuang.accounts.models import Organisation
from kechuang.core.apitypes import Wan, one_of
from kechuang.core.paging import api_page
from kechuang.engine.finance import workflow
from kechuang.engine.finance.consent import SCOPES
from kechuang.engine.finance.products import STATUS_LABELS, gap_text
from kechuang.enterprises.models import AnnualFigure, Enterprise
from kechuang.enterprises.selectors import enterprise_for

from . import loaders, selectors, services
from .models import Application, Consent, Loan, LoanProduct

router = Router(tags=["科技金融"])
Scope = Literal["points", "diagnosis", "tiers", "figures"]


def _may_list(user) -> bool:
    return access.any_allowed(user, "finance", "bank", "finance_mine")


def _call(fn, **kwargs):
    try:
        return fn(**kwargs)
    except ValidationError as exc:
        raise HttpError(400, "；".join(exc.messages)) from None
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "无权操作") from None


# ---------------------------------------------------------------------------------------------- products


class ProductOut(Schema):
    code: str
    name: str
    bank: str
    status: str
    kind: str | None
    kind_label: str | None
    stages: list[str]
    rule: str | None
    max_amount: Decimal | None
    rate_ceiling: float | None
    decision_days: int | None


def _product(p: LoanProduct, today: dt.date) -> dict:
    try:
        terms = loaders.product_terms(p, today)
    except Exception:  # a product whose rule is not in force today: listed without terms
        terms = None
    from kechuang.engine.finance.products import rate_ceiling

    return {
        "code": p.code,
        "name": p.name,
        "bank": p.bank.name,
        "status": p.status,
        "kind": terms.doc.product_kind if terms else None,
        "kind_label": terms.doc.kind_label if terms else None,
        "stages": list(terms.doc.stages) if terms else [],
        "rule": terms.doc.key if terms else None,
        "max_amount": Decimal(str(terms.params["max_amount"])) if terms else None,
        "rate_ceiling": rate_ceiling(terms, loaders.lpr(today)) if terms else None,
        "decision_days": int(terms.params["decision_days"]) if terms else None,
    }


@router.get("/products", response=list[ProductOut], summary="金融产品（银行只见本行产品）")
def list_products(request):
    if not access.any_allowed(request.auth, *selectors.PRODUCT_AREAS):
        raise HttpError(403, "无权查看金融产品")
    today = timezone.localdate()
    return [_product(p, today) for p in selectors.products_for(request.auth)]


@router.get("/products/{code}", response=ProductOut, summary="金融产品详情")
def get_product(request, code: str):
    if not access.any_allowed(request.auth, *selectors.PRODUCT_AREAS):
        raise HttpError(403, "无权查看金融产品")
    try:
        return _product(selectors.product_for(request.auth, code), timezone.localdate())
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None


class FinderOut(Schema):
    product: str
    status: str
    status_label: str
    short_of: str
    gap: str
    limit: float | None
    rate_ceiling: float
    explanation: str


@router.get("/finder", response=list[FinderOut], summary="产品匹配：符合与差一项的产品（企业本身或科技局）")
def finder(request, uscc: str = ""):
    user = request.auth
    access.api_require(user, "finance", "finance_mine")
    if selectors.is_firm(user):
        enterprise = user.enterprise
    elif user.is_bureau:
        try:
            enterprise = enterprise_for(user, uscc)
        except Http404 as exc:
            raise HttpError(404, str(exc)) from None
    else:
        raise HttpError(403, "产品匹配只对企业用户与科技局开放")
    products = list(LoanProduct.objects.filter(status=LoanProduct.Status.ACTIVE))
    rows, _terms = services.finder(Enterprise.objects.filter(pk=enterprise.pk), products, timezone.localdate())
    if rows is None:
        return []
    return [
        {
            "product": r["product"],
            "status": r["status"],
            "status_label": STATUS_LABELS[r["status"]],
            "short_of": r["short_of"],
            "gap": gap_text(r.get("gap")),
            "limit": r["limit"],
            "rate_ceiling": r["rate_ceiling"],
            "explanation": r["explanation"],
        }
        for r in rows.iter_rows(named=True)
    ]


# ---------------------------------------------------------------------------------------------- applications


class ApplicationOut(Schema):
    id: int
    uscc: str
    enterprise_name: str
    bank: str
    product: str
    amount: Decimal
    term_months: int
    purpose: str
    status: str
    status_label: str
    submitted_on: dt.date
    decision_days: int
    deadline_on: dt.date
    deadline_basis: str
    decided_on: dt.date | None
    late: bool
    decision_reason: str
    approved_amount: Decimal | None
    approved_rate: Decimal | None
    consent_id: int | None


class ApplicationPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ApplicationOut]


def _application(a: Application) -> dict:
    today = timezone.localdate()
    late = (a.decided_on or today) > a.deadline_on and (a.decided_on is not None or a.status in workflow.OPEN)
    return {
        "id": a.pk,
        "uscc": a.enterprise.uscc,
        "enterprise_name": a.enterprise.name,
        "bank": a.bank.name,
        "product": a.product.code,
        "amount": a.amount,
        "term_months": a.term_months,
        "purpose": a.purpose,
        "status": a.status,
        "status_label": workflow.STATUS_LABELS[a.status],
        "submitted_on": a.submitted_on,
        "decision_days": a.decision_days,
        "deadline_on": a.deadline_on,
        "deadline_basis": a.deadline_basis,
        "decided_on": a.decided_on,
        "late": late,
        "decision_reason": a.decision_reason,
        "approved_amount": a.approved_amount,
        "approved_rate": a.approved_rate,
        "consent_id": a.consent_id,
    }


ApplicationStatus = one_of(workflow.STATUS_LABELS)
LoanStatus = one_of(Loan.Status.values)


class ApplicationFilters(Schema):
    status: ApplicationStatus = ""
    late: bool = False
    page: int = 1


@router.get("/applications", response=ApplicationPage, summary="融资申请（按权限范围）")
def list_applications(request, filters: Query[ApplicationFilters]):
    user = request.auth
    if not _may_list(user):
        raise HttpError(403, "无权查看融资申请")
    qs = selectors.applications_for(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.late:
        qs = selectors.late(qs, timezone.localdate())
    return api_page(qs.order_by("-submitted_on", "-pk"), filters.page, _application)


@router.get("/applications/{int:pk}", response=ApplicationOut, summary="融资申请详情")
def get_application(request, pk: int):
    try:
        return _application(selectors.application_for(request.auth, pk))
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None


class ApplicationIn(Schema):
    product: str
    amount: Wan
    term_months: int
    purpose: str
    scopes: list[Scope]
    months: int
    uscc: str = ""


@router.post("/applications", response={201: ApplicationOut}, summary="提交融资申请并授权银行查看数据")
def create_application(request, data: ApplicationIn):
    user = request.auth
    if selectors.is_firm(user):
        enterprise = user.enterprise
    elif user.is_bureau:
        try:
            enterprise = enterprise_for(user, data.uscc)
        except Http404 as exc:
            raise HttpError(404, str(exc)) from None
    else:
        raise HttpError(403, "只有企业用户（或科技局代办）可以提交融资申请")
    try:
        product = selectors.product_for(user, data.product)
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None
    application = _call(
        services.submit_application,
        user=user,
        enterprise=enterprise,
        product=product,
        amount=data.amount,
        term_months=data.term_months,
        purpose=data.purpose,
        scopes=data.scopes,
        months=data.months,
    )
    return Status(201, _application(application))


class StepIn(Schema):
    target: Literal[
        "due_diligence", "approved", "declined", "contract", "disbursed", "repaid", "overdue", "defaulted", "withdrawn"
    ]
    reason: str = ""
    amount: float | None = None
    rate: float | None = None
    on: dt.date | None = None
    maturity_on: dt.date | None = None
    defaulted_principal: float | None = None
    contract_no: str = ""


@router.post("/applications/{int:pk}/steps", response=ApplicationOut, summary="办理融资申请（银行）或撤回（企业）")
def step_application(request, pk: int, data: StepIn):
    try:
        application = selectors.application_for(request.auth, pk)
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None
    step = workflow.Step(
        target=data.target,
        reason=data.reason,
        amount=data.amount,
        rate=data.rate,
        on=data.on,
        maturity_on=data.maturity_on,
        defaulted_principal=data.defaulted_principal,
    )
    return _application(
        _call(services.advance, user=request.auth, application=application, step=step, contract_no=data.contract_no)
    )


# ---------------------------------------------------------------------------------------------- consents


class ConsentOut(Schema):
    id: int
    uscc: str
    enterprise_name: str
    bank: str
    scopes: list[str]
    starts_on: dt.date
    ends_on: dt.date
    live: bool
    withdrawn_at: dt.datetime | None


def _consent(c: Consent) -> dict:
    today = timezone.localdate()
    return {
        "id": c.pk,
        "uscc": c.enterprise.uscc,
        "enterprise_name": c.enterprise.name,
        "bank": c.bank.name,
        "scopes": list(c.scopes),
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "live": c.withdrawn_at is None and c.starts_on <= today <= c.ends_on,
        "withdrawn_at": c.withdrawn_at,
    }


@router.get("/consents", response=list[ConsentOut], summary="数据授权（企业本身、被授权银行、科技局）")
def list_consents(request):
    if not _may_list(request.auth):
        raise HttpError(403, "无权查看数据授权")
    return [_consent(c) for c in selectors.consents_for(request.auth)[:500]]


class ConsentIn(Schema):
    bank: str
    scopes: list[Scope]
    months: int
    purpose: str = ""


@router.post("/consents", response={201: ConsentOut}, summary="企业授权银行查看数据")
def create_consent(request, data: ConsentIn):
    user = request.auth
    if not selectors.is_firm(user):
        raise HttpError(403, "只有企业用户可以授权")
    bank = Organisation.objects.filter(kind=Organisation.Kind.BANK, name=data.bank).first()
    if bank is None:
        raise HttpError(400, f"平台上没有银行“{data.bank}”")
    consent = _call(
        services.grant_consent,
        user=user,
        enterprise=user.enterprise,
        bank=bank,
        scopes=data.scopes,
        months=data.months,
        purpose=data.purpose,
    )
    return Status(201, _consent(consent))


@router.post("/consents/{int:pk}/withdraw", response=ConsentOut, summary="撤回授权（即刻生效）")
def withdraw_consent(request, pk: int):
    try:
        consent = selectors.consent_for(request.auth, pk)
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None
    return _consent(_call(services.withdraw_consent, user=request.auth, consent=consent))


@router.get("/firms/{uscc}/{scope}", summary="被授权企业的数据（银行；无有效授权为 404，每次查看留痕）")
def firm_data(request, uscc: str, scope: Scope):
    try:
        enterprise, consent = selectors.consented_firm(request.auth, uscc, scope, "api")
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None
    out = {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "scope": scope,
        "scope_label": SCOPES[scope],
        "consent_ends_on": consent.ends_on,
    }
    if scope == "figures":
        out["figures"] = [
            {"year": f.year, **{c: _jsonable(getattr(f, c)) for c in loaders.FIGURE_COLUMNS}}
            for f in AnnualFigure.objects.filter(enterprise=enterprise).order_by("year")
        ]
    elif scope == "tiers":
        from kechuang.tiers import selectors as tier_selectors

        run = tier_selectors.latest_run()
        out["as_of"] = run.as_of if run else None
        out["tiers"] = [
            {"tier": r.tier, "label": r.tier_label, "qualified": r.qualified}
            for r in (run.results.filter(enterprise=enterprise) if run else [])
        ]
    else:
        from kechuang.points.models import PointsResult, ScoringRun

        r = (
            PointsResult.objects.filter(enterprise=enterprise, run__status=ScoringRun.Status.DONE)
            .select_related("run")
            .order_by("-run__year", "-run__as_of")
            .first()
        )
        out["points"] = (
            None
            if r is None
            else {
                "year": r.run.year,
                "points": r.points,
                "rank": r.rank,
                "stage": r.stage or None,
                "stage_rank": r.stage_rank,
                "credit": r.credit or None,
                **(
                    {"contributions": r.contributions, "missing": [m for m in r.missing.split(";") if m]}
                    if scope == "diagnosis"
                    else {}
                ),
            }
        )
    return out


def _jsonable(value):
    return float(value) if isinstance(value, Decimal) else value


# ---------------------------------------------------------------------------------------------- loans


class LoanOut(Schema):
    id: int
    bank: str
    contract_no: str
    uscc: str
    enterprise_name: str
    product: str | None
    amount: Decimal
    rate: Decimal
    disbursed_on: dt.date
    maturity_on: dt.date
    status: str
    status_label: str
    closed_on: dt.date | None
    defaulted_on: dt.date | None
    defaulted_principal: Decimal | None
    guaranteed: bool
    guarantee_fee: Decimal | None
    source: str


class LoanPage(Schema):
    count: int
    page: int
    pages: int
    items: list[LoanOut]


def _loan(loan: Loan) -> dict:
    return {
        "id": loan.pk,
        "bank": loan.bank.name,
        "contract_no": loan.contract_no,
        "uscc": loan.enterprise.uscc,
        "enterprise_name": loan.enterprise.name,
        "product": loan.product.code if loan.product else None,
        "amount": loan.amount,
        "rate": loan.rate,
        "disbursed_on": loan.disbursed_on,
        "maturity_on": loan.maturity_on,
        "status": loan.status,
        "status_label": loan.get_status_display(),
        "closed_on": loan.closed_on,
        "defaulted_on": loan.defaulted_on,
        "defaulted_principal": loan.defaulted_principal,
        "guaranteed": loan.guaranteed,
        "guarantee_fee": loan.guarantee_fee,
        "source": loan.source,
    }


class LoanFilters(Schema):
    status: LoanStatus = ""
    page: int = 1


@router.get("/loans", response=LoanPage, summary="贷款记录（按权限范围）")
def list_loans(request, filters: Query[LoanFilters]):
    user = request.auth
    if not _may_list(user):
        raise HttpError(403, "无权查看贷款记录")
    qs = selectors.loans_for(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return api_page(qs.order_by("-disbursed_on", "-pk"), filters.page, _loan)


@router.get("/loans/{int:pk}", response=LoanOut, summary="贷款记录详情")
def get_loan(request, pk: int):
    try:
        return _loan(selectors.loan_for(request.auth, pk))
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None
