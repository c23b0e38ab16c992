"""API endpoints of 揭榜挂帅 (read only), scoped as the pages are (`kechuang.challenges.selectors`):

- `GET /challenges/public` — the published 榜单, no authentication (as the public page);
- `GET /challenges` — bureau: every challenge; an enterprise user: its firm's issued challenges; other roles 403;
- `GET /challenges/{id}` — a challenge the user may see on its page (bureau, the issuer), else 404;
- `GET /challenges/{id}/teams` — teams and applications of a challenge: bureau and the issuer all, a solver its
  own (a challenge the user cannot see at all is a 404);
- `GET /challenges/{id}/milestones` — the milestone plan with each visible team's reports and tranches;
- `GET /challenges/applications` — a solver's own applications with eligibility and scores (403 for roles that
  never apply);
- `GET /challenges/ledger` — the pool ledger (bureau only, 403 otherwise), filtered and paged.
Amounts are Decimal 万元; dates ISO.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from kechuang.accounts import access
from kechuang.core.apitypes import one_of
from kechuang.core.paging import api_page

from . import reports, selectors, services
from .models import Application, Challenge, LedgerEntry

router = Router(tags=["揭榜挂帅"])


class IndicatorOut(Schema):
    seq: int
    name: str
    comparison: str
    target: Decimal
    unit: str
    required: bool


class MilestonePlanOut(Schema):
    seq: int
    title: str
    due_on: dt.date
    deliverable: str


class ChallengeOut(Schema):
    id: int
    code: str
    title: str
    field: str
    stage: str
    stage_label: str
    issuer: str | None
    budget: Decimal | None
    issuer_funding: Decimal | None
    public_funding: Decimal | None
    deadline: dt.date | None
    completion_due: dt.date | None
    published_on: dt.date | None
    race: bool
    max_teams: int | None


class ChallengePage(Schema):
    count: int
    page: int
    pages: int
    items: list[ChallengeOut]


class MoneyBySource(Schema):
    source: str
    committed: Decimal | None
    paid: Decimal | None


class ChallengeDetail(ChallengeOut):
    origin: str
    origin_label: str
    goals: str
    ip_ownership: str
    licence_back: str
    publication: str
    contracted_on: dt.date | None
    accepted_on: dt.date | None
    committed: Decimal
    paid: Decimal
    indicators: list[IndicatorOut]
    milestones: list[MilestonePlanOut]
    money: list[MoneyBySource]
    results_summary: str


class TeamOut(Schema):
    id: int
    challenge_id: int
    team_name: str
    lead: str
    lead_kind: str
    status: str
    status_label: str
    eligibility: str
    eligibility_reasons: list[str]
    score: Decimal | None
    rank: int | None
    submitted_on: dt.date
    contract_no: str
    contract_sum: Decimal | None
    contract_signed_on: dt.date | None
    committed: Decimal
    paid: Decimal
    out_reason: str


class TrancheOut(Schema):
    seq: int
    milestone: str | None
    amount: Decimal
    paid: Decimal
    released: Decimal
    payable: bool


class ReportOut(Schema):
    milestone_seq: int
    status: str
    status_label: str
    submitted_on: dt.date
    score: Decimal | None


class TeamProgress(Schema):
    team_id: int
    team_name: str
    status: str
    reports: list[ReportOut]
    tranches: list[TrancheOut]


class MilestonesOut(Schema):
    plan: list[MilestonePlanOut]
    teams: list[TeamProgress]


class LedgerOut(Schema):
    id: int
    on: dt.date
    kind: str
    kind_label: str
    source: str | None
    challenge_code: str | None
    team: str | None
    tranche: int | None
    amount: Decimal
    note: str


class LedgerPage(Schema):
    count: int
    page: int
    pages: int
    items: list[LedgerOut]


StageFilter = one_of(Challenge.Stage.values)
LedgerKind = one_of(LedgerEntry.Kind.values)


class ListFilters(Schema):
    stage: StageFilter = ""
    q: str = ""
    page: int = 1


class LedgerFilters(Schema):
    kind: LedgerKind = ""
    source: str = ""
    challenge: int | None = None
    page: int = 1


def _out(c: Challenge) -> dict:
    return {
        "id": c.pk,
        "code": c.code,
        "title": c.title,
        "field": c.field,
        "stage": c.stage,
        "stage_label": c.get_stage_display(),
        "issuer": c.issuer.name if c.issuer_id else None,
        "budget": c.budget,
        "issuer_funding": c.issuer_funding,
        "public_funding": c.public_funding,
        "deadline": c.deadline,
        "completion_due": c.completion_due,
        "published_on": c.published_on,
        "race": c.race,
        "max_teams": c.max_teams,
    }


def _filtered(qs, filters: ListFilters):
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(code__icontains=filters.q) | Q(field__icontains=filters.q))
    return qs.order_by("-published_on", "-pk")


@router.get("/public", response=ChallengePage, auth=None, summary="公开榜单（无需登录）")
def public_list(request, filters: Query[ListFilters]):
    return api_page(_filtered(selectors.public_challenges(), filters), filters.page, _out)


@router.get("", response=ChallengePage, summary="榜单列表（科技局：全部；企业用户：本企业发布的）")
def list_challenges(request, filters: Query[ListFilters]):
    user = request.auth
    if not access.any_allowed(user, "challenges_board", "challenges_issued"):
        raise HttpError(403, "无权查看榜单列表（公开榜单见 /api/challenges/public）")
    return api_page(_filtered(selectors.challenges_for(user), filters), filters.page, _out)


def _visible(user, pk: int) -> Challenge:
    """A challenge the user may see at all: on its page (bureau, issuer) or publicly."""
    ch = selectors.challenges_for(user).filter(pk=pk).first() or selectors.public_challenges().filter(pk=pk).first()
    if ch is None:
        raise HttpError(404, "榜单不存在或无权查看")
    return ch


@router.get("/applications", response=list[TeamOut], summary="我的揭榜申报（高校院所用户、企业用户）")
def my_applications(request):
    user = request.auth
    if not access.allowed(user, "challenges_portal"):
        raise HttpError(403, "只有高校院所用户和企业用户可以揭榜")
    return [_team(a) for a in selectors.own_applications(user).prefetch_related("tranches").order_by("-pk")]


@router.get("/ledger", response=LedgerPage, summary="资金台账（科技局）")
def ledger(request, filters: Query[LedgerFilters]):
    user = request.auth
    if not access.allowed(user, "challenges_board"):
        raise HttpError(403, "资金台账只对科技局开放")
    qs = selectors.ledger_for(user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.source:
        qs = qs.filter(source__name=filters.source)
    if filters.challenge is not None:
        qs = qs.filter(challenge_id=filters.challenge)
    return api_page(
        qs.order_by("-on", "-pk"),
        filters.page,
        lambda e: {
            "id": e.pk,
            "on": e.on,
            "kind": e.kind,
            "kind_label": e.get_kind_display(),
            "source": e.source.name if e.source_id else None,
            "challenge_code": e.challenge.code if e.challenge_id else None,
            "team": e.application.team_name if e.application_id else None,
            "tranche": e.tranche.seq if e.tranche_id else None,
            "amount": e.amount,
            "note": e.note,
        },
    )


@router.get("/{int:pk}", response=ChallengeDetail, summary="榜单详情（科技局、发榜企业）")
def get_challenge(request, pk: int):
    ch = selectors.challenges_for(request.auth).filter(pk=pk).first()
    if ch is None:
        raise HttpError(404, "榜单不存在或无权查看")
    money = reports.money_by_challenge([ch])[ch.pk]
    sources = [n for n, _s in ch.pool.shares()] if ch.pool_id else []
    return {
        **_out(ch),
        "origin": ch.origin,
        "origin_label": ch.get_origin_display(),
        "goals": ch.goals,
        "ip_ownership": ch.ip_ownership,
        "licence_back": ch.licence_back,
        "publication": ch.publication,
        "contracted_on": ch.contracted_on,
        "accepted_on": ch.accepted_on,
        "committed": ch.committed,
        "paid": ch.paid,
        "results_summary": ch.results_summary,
        "indicators": [
            {
                "seq": i.seq,
                "name": i.name,
                "comparison": i.comparison,
                "target": i.target,
                "unit": i.unit,
                "required": i.required,
            }
            for i in ch.indicators.all()
        ],
        "milestones": [_plan(m) for m in ch.milestones.all()],
        "money": [{"source": s, "committed": money["committed"].get(s), "paid": money["paid"].get(s)} for s in sources],
    }


def _plan(m) -> dict:
    return {"seq": m.seq, "title": m.title, "due_on": m.due_on, "deliverable": m.deliverable}


def _team(a: Application) -> dict:
    tranches = list(a.tranches.all())
    reasons = [c["reason"] for c in (a.eligibility_detail or {}).get("conditions", []) if c.get("outcome") is not True]
    final = a.challenge.review_finalised_on is not None
    return {
        "id": a.pk,
        "challenge_id": a.challenge_id,
        "team_name": a.team_name,
        "lead": a.lead_name,
        "lead_kind": a.lead_kind,
        "status": a.status,
        "status_label": a.get_status_display(),
        "eligibility": a.eligibility,
        "eligibility_reasons": reasons,
        "score": a.score if final else None,
        "rank": a.rank if final else None,
        "submitted_on": a.submitted_on,
        "contract_no": a.contract_no,
        "contract_sum": a.contract_sum,
        "contract_signed_on": a.contract_signed_on,
        "committed": sum((t.amount - t.released for t in tranches), Decimal(0)),
        "paid": sum((t.paid for t in tranches), Decimal(0)),
        "out_reason": a.out_reason,
    }


def _teams_of(user, ch: Challenge):
    return (
        selectors.applications_for(user)
        .filter(challenge=ch)
        .select_related("challenge")
        .prefetch_related("tranches")
        .order_by("rank", "pk")
    )


@router.get("/{int:pk}/teams", response=list[TeamOut], summary="揭榜团队与申报（按权限范围）")
def teams(request, pk: int):
    ch = _visible(request.auth, pk)
    return [_team(a) for a in _teams_of(request.auth, ch)]


@router.get("/{int:pk}/milestones", response=MilestonesOut, summary="里程碑计划与各团队进度（按权限范围）")
def milestones(request, pk: int):
    ch = _visible(request.auth, pk)
    out = []
    for a in (
        _teams_of(request.auth, ch)
        .filter(status__in=Application.TEAM_STATUSES)
        .prefetch_related("reports__milestone", "tranches__milestone")
    ):
        out.append(
            {
                "team_id": a.pk,
                "team_name": a.team_name,
                "status": a.status,
                "reports": [
                    {
                        "milestone_seq": r.milestone.seq,
                        "status": r.status,
                        "status_label": r.get_status_display(),
                        "submitted_on": r.submitted_on,
                        "score": r.score,
                    }
                    for r in a.reports.all()
                ],
                "tranches": [
                    {
                        "seq": t.seq,
                        "milestone": t.milestone.title if t.milestone_id else None,
                        "amount": t.amount,
                        "paid": t.paid,
                        "released": t.released,
                        "payable": t.left > 0 and services.milestone_accepted(a, t.milestone),
                    }
                    for t in a.tranches.all()
                ],
            }
        )
    return {"plan": [_plan(m) for m in ch.milestones.all()], "teams": out}
