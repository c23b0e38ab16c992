"""The technology needs posted along an industry chain (a `settings.CHAIN_POST_PROVIDERS` entry; see
kechuang.chains.selectors and docs/chains.md).

A chain's needs are the open ones (征集中/对接中) tagged with the chain, and the untagged open needs of firms
confirmed on it. Each entry carries the public summary only, never the confidential detail: the chain pages are
read by people the firm did not disclose the detail to. The need page is linked only where the viewer may open
it (`supplyselectors.needs_for`): a chain leader reads the summaries of other firms' needs without a link to a
page that would answer 404.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import display

from .supplymodels import Need
from .supplyselectors import needs_for

OPEN = (Need.Status.OPEN, Need.Status.MATCHING)


def budget_range(need: Need) -> str:
    """The budget as the pages show it: 万元 with two decimals, an open end said in words."""
    low, high = need.budget_min, need.budget_max
    if low is not None and high is not None:
        return f"{display.money(low)} – {display.money(high)}" if low != high else display.money(low)
    if high is not None:
        return _("不超过 %(v)s") % {"v": display.money(high)}
    if low is not None:
        return _("不低于 %(v)s") % {"v": display.money(low)}
    return display.UNKNOWN


def posts_along_chain(chain, placed: dict[int, list[int]], user) -> list[dict]:
    """The chain's open needs as chain posts, with the summary, budget range and deadline."""
    if not user or not user.is_authenticated:
        return []
    found = (
        Need.objects.filter(status__in=OPEN)
        .filter(Q(chain=chain) | Q(chain__isnull=True, enterprise_id__in=list(placed)))
        .select_related("enterprise")
        .order_by("-created_at", "-pk")
    )
    openable = set(needs_for(user).filter(pk__in=[n.pk for n in found]).values_list("pk", flat=True))
    return [
        {
            "kind": _("技术需求"),
            "title": n.title,
            "summary": n.summary,
            "enterprise": n.enterprise,
            "segment_id": (placed.get(n.enterprise_id) or [None])[0],
            "status": n.get_status_display(),
            "budget": budget_range(n),
            "deadline": n.deadline,
            "posted_on": timezone.localdate(n.created_at),
            "url": reverse("techtransfer:need", args=[n.pk]) if n.pk in openable else "",
        }
        for n in found
    ]
