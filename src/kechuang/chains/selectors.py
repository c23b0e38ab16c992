"""Access-checked reads of the chains app, and the integration point for records posted along a chain.

Who sees what:
- bureau admin / staff: every chain, segment, placement, designation and recruitment target;
- park operator: chains and segments (their structure and gap status), and the placements of the firms it
  may see (`enterprises_for`: its residents); no recruitment targets, no other firms' figures;
- enterprise user: the chain leader's view of its own firm when the firm is a current 链主 or 链核;
- bank and institution users: nothing.
A chain, segment or placement outside the user's scope is a 404.

Needs and challenges along a chain: other apps attach their records by the firms placed on the chain.
`settings.CHAIN_POST_PROVIDERS` lists dotted paths of functions `provider(chain, placed, user) -> list[dict]`,
where `placed` maps enterprise id → [segment ids] (confirmed placements of that chain); each dict is
`{kind, title, enterprise, segment_id, status, posted_on, url}` (kind: 技术需求, 揭榜挂帅 …; optionally `summary`,
`budget` as display text and `deadline`; `url` empty where the viewer may not open the record). `posts_along_chain`
calls them and merges the lists, newest first. See docs/chains.md.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from kechuang.accounts import access
from kechuang.accounts.models import Role
from kechuang.engine import clock
from kechuang.engine.chains import gaps as gap_engine
from kechuang.enterprises.selectors import enterprises_for
from kechuang.rules import selectors as rules

from . import loaders
from .models import Chain, Designation, Placement, RecruitmentTarget, Segment


def can_read_chains(user) -> bool:
    """The chain pages: the "chains" area of the access table."""
    return access.allowed(user, "chains")


def can_edit_chains(user) -> bool:
    return bool(user.is_authenticated and user.is_bureau)


def chains_for(user) -> QuerySet[Chain]:
    return Chain.objects.all() if can_read_chains(user) else Chain.objects.none()


def chain_for(user, code: str) -> Chain:
    chain = chains_for(user).filter(code=code).first()
    if chain is None:
        raise Http404("产业链不存在或无权查看")
    return chain


def segments_for(user) -> QuerySet[Segment]:
    return Segment.objects.filter(chain__in=chains_for(user)).select_related("chain", "parent")


def segment_for(user, pk: int) -> Segment:
    found = segments_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("产业链环节不存在或无权查看")
    return found


def placements_for(user) -> QuerySet[Placement]:
    qs = Placement.objects.select_related("segment__chain", "enterprise__industry", "decided_by")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_bureau:
        return qs
    if can_read_chains(user):
        return qs.filter(enterprise__in=enterprises_for(user))
    return qs.none()


def placement_for(user, pk: int) -> Placement:
    found = placements_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("环节企业不存在或无权查看")
    return found


def targets_for(user) -> QuerySet[RecruitmentTarget]:
    qs = RecruitmentTarget.objects.select_related("chain", "segment", "owner", "enterprise")
    return qs if user.is_authenticated and user.is_bureau else qs.none()


def target_for(user, pk: int) -> RecruitmentTarget:
    found = targets_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("招商线索不存在或无权查看")
    return found


def active_designations(on: dt.date | None = None) -> QuerySet[Designation]:
    on = on or clock.today()
    return Designation.objects.filter(designated_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=on))


def leader_designations(user, enterprise, on: dt.date | None = None) -> QuerySet[Designation]:
    """The firm's current 链主/链核 designations the user may open the leader's view for (else 404)."""
    designations = active_designations(on).filter(enterprise=enterprise).select_related("chain")
    own = user.role == Role.ENTERPRISE_USER and user.enterprise_id == enterprise.pk
    if not (user.is_bureau or own) or not designations.exists():
        raise Http404("该企业不是链主或链核，或无权查看")
    return designations


def placed_on(chain: Chain) -> dict[int, list[int]]:
    """enterprise id → the chain's segments it is confirmed on."""
    out: dict[int, list[int]] = {}
    for e, s in Placement.objects.filter(segment__chain=chain, status=Placement.Status.CONFIRMED).values_list(
        "enterprise_id", "segment_id"
    ):
        out.setdefault(e, []).append(s)
    return out


def assess(chain: Chain, as_of: dt.date | None = None):
    """The gap engine's view of the chain ({segment id: row}) and the parameters it used (bureau versions
    included). Aggregate only: it names no firm."""
    params = rules.params("chain_gaps", "default", as_of or clock.today())
    result = gap_engine.assess(*loaders.gap_inputs(chain), params)
    return {r["segment_id"]: r for r in result.iter_rows(named=True)}, params


def post_providers() -> list:
    out = []
    for path in getattr(settings, "CHAIN_POST_PROVIDERS", ()):
        module, _, name = path.rpartition(".")
        out.append(getattr(import_module(module), name))
    return out


def posts_along_chain(chain: Chain, user) -> list[dict]:
    """Needs and challenges (or any record another app attaches) posted by the firms on the chain."""
    placed = placed_on(chain)
    posts = [p for provider in post_providers() for p in provider(chain, placed, user) or ()]
    return sorted(posts, key=lambda p: p.get("posted_on") or dt.date.min, reverse=True)
