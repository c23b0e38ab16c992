"""Access-checked reads of the challenges app.

Who sees what:
- anyone, without an account: the published challenges (the 榜单, from publication on), the teams announced
  in the public notice, results summaries, and the capabilities institutions publish (双向发布); never drafts,
  site visits, scores of others, money or bank accounts;
- bureau admin / staff: everything (board, challenge pages, experts, pool, ledger, batches, figures);
- enterprise user as issuer: its own firm's challenges at every stage (with the teams and their progress, its
  spending and subsidy) — not the experts' identities nor the pool's ledger;
- institution user / enterprise user as solver: its own applications (its organisation's or firm's), with its
  scores, comments, milestones and tranches;
- park operator, bank user: the public pages only.
A denied detail is a 404.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from kechuang.engine.challenges.lifecycle import PUBLIC_STAGES

from .models import (
    Application,
    Capability,
    Challenge,
    Clawback,
    Expert,
    LedgerEntry,
    PaymentBatch,
    Pool,
)


def is_bureau(user) -> bool:
    return bool(user and user.is_authenticated and user.is_bureau)


def is_issuer_user(user) -> bool:
    return bool(user and user.is_authenticated and user.role == "enterprise_user" and user.enterprise_id)


def public_challenges() -> QuerySet[Challenge]:
    return Challenge.objects.filter(stage__in=PUBLIC_STAGES).select_related("issuer")


def public_challenge(pk: int) -> Challenge:
    ch = public_challenges().filter(pk=pk).first()
    if ch is None:
        raise Http404("榜单不存在或尚未发布")
    return ch


def public_capabilities() -> QuerySet[Capability]:
    return Capability.objects.filter(status=Capability.Status.PUBLISHED).select_related("organisation", "enterprise")


def challenges_for(user) -> QuerySet[Challenge]:
    qs = Challenge.objects.select_related("issuer", "pool")
    if is_bureau(user):
        return qs
    if is_issuer_user(user):
        return qs.filter(issuer_id=user.enterprise_id)
    return qs.none()


def challenge_for(user, pk: int) -> Challenge:
    ch = challenges_for(user).filter(pk=pk).first()
    if ch is None:
        raise Http404("榜单不存在或无权查看")
    return ch


def own_applications(user) -> QuerySet[Application]:
    """The applications a solver user speaks for: its organisation's or firm's, or those it submitted."""
    qs = Application.objects.select_related("challenge", "lead_organisation", "lead_enterprise")
    if not user or not user.is_authenticated:
        return qs.none()
    mine = Q(submitted_by=user)
    if user.role == "institution_user" and user.organisation_id:
        mine |= Q(lead_organisation_id=user.organisation_id)
    if user.role == "enterprise_user" and user.enterprise_id:
        mine |= Q(lead_enterprise_id=user.enterprise_id)
    if user.role not in ("institution_user", "enterprise_user") and not user.is_bureau:
        return qs.none()
    return qs.filter(mine)


def applications_for(user) -> QuerySet[Application]:
    """Bureau: all; issuer: the applications to its challenges; solver: its own."""
    qs = Application.objects.select_related("challenge", "lead_organisation", "lead_enterprise")
    if is_bureau(user):
        return qs
    out = own_applications(user)
    if is_issuer_user(user):
        out = out | qs.filter(challenge__issuer_id=user.enterprise_id)
    return out.distinct()


def application_for(user, pk: int) -> Application:
    app = applications_for(user).filter(pk=pk).first()
    if app is None:
        raise Http404("申报不存在或无权查看")
    return app


def own_application(user, pk: int) -> Application:
    app = own_applications(user).filter(pk=pk).first()
    if app is None:
        raise Http404("申报不存在或无权查看")
    return app


def own_capabilities(user) -> QuerySet[Capability]:
    if user.role == "institution_user" and user.organisation_id:
        return Capability.objects.filter(organisation_id=user.organisation_id)
    if user.role == "enterprise_user" and user.enterprise_id:
        return Capability.objects.filter(enterprise_id=user.enterprise_id)
    return Capability.objects.none()


def experts_for(user) -> QuerySet[Expert]:
    return Expert.objects.all() if is_bureau(user) else Expert.objects.none()


def pools_for(user) -> QuerySet[Pool]:
    return Pool.objects.prefetch_related("sources") if is_bureau(user) else Pool.objects.none()


def ledger_for(user) -> QuerySet[LedgerEntry]:
    if not is_bureau(user):
        return LedgerEntry.objects.none()
    return LedgerEntry.objects.select_related("source", "challenge", "application", "tranche", "payment")


def batches_for(user) -> QuerySet[PaymentBatch]:
    if not is_bureau(user):
        return PaymentBatch.objects.none()
    return PaymentBatch.objects.select_related("pool", "created_by", "approved_by", "paid_by")


def clawbacks_for(user) -> QuerySet[Clawback]:
    if not is_bureau(user):
        return Clawback.objects.none()
    return Clawback.objects.select_related("application__challenge")


def posts_along_chain(chain, placed: dict[int, list[int]], user) -> list[dict]:
    """The published challenges issued by firms on an industry chain (`settings.CHAIN_POST_PROVIDERS`; see
    kechuang.chains.selectors): what anyone may read on the public 榜单, linked to its public page; the bureau
    also sees those still being drafted, linked to the bureau's page."""
    bureau = is_bureau(user)
    found = (challenges_for(user) if bureau else public_challenges()).filter(issuer_id__in=list(placed))
    return [
        {
            "kind": "揭榜挂帅",
            "title": ch.title,
            "enterprise": ch.issuer,
            "segment_id": placed[ch.issuer_id][0],
            "status": ch.get_stage_display(),
            "posted_on": ch.published_on,
            "url": reverse("challenges:detail" if bureau else "challenges:public_detail", args=[ch.pk]),
        }
        for ch in found
    ]
