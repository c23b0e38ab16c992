"""The issuer's view: an enterprise user's own challenges at every stage, with their teams, money and subsidy."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.shortcuts import render
from django.utils.translation import gettext as _

from .. import selectors
from ..models import Application
from .common import deny_unless


@login_required
def issuer(request):
    deny_unless(selectors.is_issuer_user(request.user), _("发榜企业页面供企业用户使用"))
    qs = (
        selectors.challenges_for(request.user)
        .annotate(
            n_apps=Count("applications", distinct=True),
            n_racing=Count("applications", filter=Q(applications__status="racing"), distinct=True),
            n_teams=Count("applications", filter=Q(applications__status__in=Application.TEAM_STATUSES), distinct=True),
        )
        .order_by("-collected_on", "-pk")
    )
    challenges = list(qs)
    spent = dict(
        selectors.challenges_for(request.user)
        .filter(spending__status="verified")
        .values_list("pk")
        .annotate(s=Sum("spending__amount"))
    )
    subsidised = dict(selectors.challenges_for(request.user).values_list("pk").annotate(s=Sum("subsidies__amount")))
    for c in challenges:
        c.spent, c.subsidised = spent.get(c.pk), subsidised.get(c.pk)
    return render(request, "challenges/issuer.html", {"challenges": challenges})
