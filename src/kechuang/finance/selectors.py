"""Access-checked reads of the finance app: one chokepoint per kind of access.

Who sees what:
- bureau admin / staff: everything (products, applications, consents, loans, the pool, funds, figures);
- bank user: its own bank's products, the applications addressed to it and the loans it made; a firm's
  data (points, diagnosis, tiers, figures) only through `consented_firm` — a live consent of that firm to
  this bank covering that data — and every such view is logged (`ConsentAccess`). Without one: 404;
- enterprise user: its own firm's applications, consents and loans, and the products on offer;
- park operator, institution user: the products on offer (a public catalogue), nothing else.
A denied detail is a 404, so nobody can probe which applications, consents or firms exist.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kechuang.accounts import access
from kechuang.accounts.models import Role
from kechuang.engine.finance.workflow import OPEN
from kechuang.enterprises.models import Enterprise

from .models import Application, Consent, ConsentAccess, Deal, Fund, Loan, LoanProduct, MatchEvent, RiskPool


def is_bank(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.BANK_USER and user.organisation_id)


def is_firm(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.ENTERPRISE_USER and user.enterprise_id)


# The product catalogue: in every finance area of accounts.access, and on its own for the other roles.
PRODUCT_AREAS = ("finance", "bank", "finance_mine", "finance_products")


def can_see_figures(user) -> bool:
    """The bureau's finance dashboard, the pool, the funds and matchmaking events (the "finance" area)."""
    return access.allowed(user, "finance")


# ---------------------------------------------------------------------------------------------- products


def products_for(user) -> QuerySet[LoanProduct]:
    qs = LoanProduct.objects.select_related("bank")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_bureau:
        return qs
    if is_bank(user):
        return qs.filter(bank_id=user.organisation_id)
    return qs.filter(status=LoanProduct.Status.ACTIVE)


def product_for(user, code: str) -> LoanProduct:
    product = products_for(user).filter(code=code).first()
    if product is None:
        raise Http404("产品不存在或无权查看")
    return product


# ---------------------------------------------------------------------------------------------- applications


def applications_for(user) -> QuerySet[Application]:
    qs = Application.objects.select_related("enterprise", "product", "bank", "consent")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_bureau:
        return qs
    if is_bank(user):
        return qs.filter(bank_id=user.organisation_id)
    if is_firm(user):
        return qs.filter(enterprise_id=user.enterprise_id)
    return qs.none()


def application_for(user, pk: int) -> Application:
    application = applications_for(user).filter(pk=pk).first()
    if application is None:
        raise Http404("申请不存在或无权查看")
    return application


def late(qs: QuerySet[Application], today: dt.date) -> QuerySet[Application]:
    """Applications past their promised decision date: decided late, or still undecided after it."""
    return qs.filter(
        Q(decided_on__isnull=True, status__in=OPEN, deadline_on__lt=today) | Q(decided_on__gt=F("deadline_on"))
    )


# ---------------------------------------------------------------------------------------------- consents


def consents_for(user) -> QuerySet[Consent]:
    qs = Consent.objects.select_related("enterprise", "bank", "granted_by")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_bureau:
        return qs
    if is_bank(user):
        return qs.filter(bank_id=user.organisation_id)
    if is_firm(user):
        return qs.filter(enterprise_id=user.enterprise_id)
    return qs.none()


def consent_for(user, pk: int) -> Consent:
    consent = consents_for(user).filter(pk=pk).first()
    if consent is None:
        raise Http404("授权不存在或无权查看")
    return consent


def live(qs: QuerySet[Consent], today: dt.date | None = None) -> QuerySet[Consent]:
    today = today or timezone.localdate()
    return qs.filter(withdrawn_at__isnull=True, starts_on__lte=today, ends_on__gte=today)


def consented_firms(user) -> QuerySet[Enterprise]:
    """The firms a bank user may open now (a live consent to its bank); none for other roles."""
    if not is_bank(user):
        return Enterprise.objects.none()
    ids = live(Consent.objects.filter(bank_id=user.organisation_id)).values("enterprise_id")
    return Enterprise.objects.filter(pk__in=ids)


def consented_firm(user, uscc: str, scope: str, channel: str) -> tuple[Enterprise, Consent]:
    """The firm and the live consent that lets this bank user see `scope` of it, with the view logged; else
    404. The only way a bank reads a firm's data (pages, exports, API)."""
    if not is_bank(user):
        raise Http404("企业不存在或无权查看")
    consent = (
        live(Consent.objects.filter(bank_id=user.organisation_id, enterprise__uscc=uscc))
        .select_related("enterprise")
        .order_by("-ends_on")
        .first()
    )
    if consent is None or scope not in consent.scopes:
        raise Http404("企业不存在或未获该企业授权")
    ConsentAccess.objects.create(
        consent=consent, enterprise=consent.enterprise, user=user, scope=scope, channel=channel
    )
    return consent.enterprise, consent


def live_scopes(user, uscc: str) -> list[str]:
    """What a bank user may see of a firm now (no view logged: the page lists what it may open)."""
    if not is_bank(user):
        return []
    scopes: list[str] = []
    for consent in live(Consent.objects.filter(bank_id=user.organisation_id, enterprise__uscc=uscc)):
        scopes += [s for s in consent.scopes if s not in scopes]
    return scopes


def accesses_for(user) -> QuerySet[ConsentAccess]:
    """The view log: the bureau sees all, a bank its own staff's views, a firm the views of its data."""
    qs = ConsentAccess.objects.select_related("consent__bank", "enterprise", "user")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_bureau:
        return qs
    if is_bank(user):
        return qs.filter(consent__bank_id=user.organisation_id)
    if is_firm(user):
        return qs.filter(enterprise_id=user.enterprise_id)
    return qs.none()


# ---------------------------------------------------------------------------------------------- loans


def loans_for(user) -> QuerySet[Loan]:
    qs = Loan.objects.select_related("enterprise", "bank", "product")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_bureau:
        return qs
    if is_bank(user):
        return qs.filter(bank_id=user.organisation_id)
    if is_firm(user):
        return qs.filter(enterprise_id=user.enterprise_id)
    return qs.none()


def loan_for(user, pk: int) -> Loan:
    loan = loans_for(user).filter(pk=pk).first()
    if loan is None:
        raise Http404("贷款记录不存在或无权查看")
    return loan


# ---------------------------------------------------------------------------------------------- bureau only


def pools_for(user) -> QuerySet[RiskPool]:
    return RiskPool.objects.all() if can_see_figures(user) else RiskPool.objects.none()


def funds_for(user) -> QuerySet[Fund]:
    return Fund.objects.all() if can_see_figures(user) else Fund.objects.none()


def deal_for(user, pk: int) -> Deal:
    deal = Deal.objects.filter(fund__in=funds_for(user), pk=pk).select_related("fund", "enterprise").first()
    if deal is None:
        raise Http404("项目不存在或无权查看")
    return deal


def events_for(user) -> QuerySet[MatchEvent]:
    return MatchEvent.objects.prefetch_related("banks") if can_see_figures(user) else MatchEvent.objects.none()
