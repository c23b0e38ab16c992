"""Access-checked reads: the only way views, the API and exports get at enterprises and their figures.

Who sees what:
- bureau admin / bureau staff: every enterprise;
- park operator: enterprises with a residency (current or past) in a carrier its organisation operates;
- enterprise user: its own enterprise only;
- institution user: enterprises founded by teams of its institution (origin_institution or a team link);
- bank user: none yet (finance products will grant scoped access per application).
A denied detail is "not found" (404), so a scoped user cannot probe which USCCs exist.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from kechuang.accounts.models import Role
from kechuang.carriers.models import Residency, Team

from .models import AnnualFigure, Enterprise, FigureSubmission


def enterprises_for(user) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.all()
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_bureau:
        return qs
    if user.role == Role.PARK_OPERATOR and user.organisation_id:
        resident = Residency.objects.filter(enterprise=OuterRef("pk"), carrier__operator_id=user.organisation_id)
        return qs.filter(Exists(resident))
    if user.role == Role.ENTERPRISE_USER and user.enterprise_id:
        return qs.filter(pk=user.enterprise_id)
    if user.role == Role.INSTITUTION_USER and user.organisation_id:
        teams = Team.objects.filter(enterprise=OuterRef("pk"), institution_id=user.organisation_id)
        return qs.filter(Q(origin_institution=user.organisation.name) | Q(Exists(teams)))
    return qs.none()


def enterprise_for(user, uscc: str) -> Enterprise:
    enterprise = enterprises_for(user).select_related("region__parent__parent", "industry").filter(uscc=uscc).first()
    if enterprise is None:
        raise Http404("企业不存在或无权查看")
    return enterprise


def figures_for(user, enterprise: Enterprise) -> QuerySet[AnnualFigure]:
    """Annual figures of an enterprise the user may already see (call enterprise_for first)."""
    if not enterprises_for(user).filter(pk=enterprise.pk).exists():
        raise Http404("企业不存在或无权查看")
    return AnnualFigure.objects.filter(enterprise=enterprise).order_by("year")


def submissions_for(user) -> QuerySet[FigureSubmission]:
    qs = FigureSubmission.objects.select_related("enterprise", "submitted_by", "reviewed_by")
    if user.is_bureau:
        return qs
    if user.role == Role.ENTERPRISE_USER and user.enterprise_id:
        return qs.filter(enterprise_id=user.enterprise_id)
    return qs.none()
