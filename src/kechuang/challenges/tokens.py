"""Login-free review links for experts (decision: experts are not platform users).

Policy:
- An expert reviews through a link to one panel seat: `/challenges/review/<token>/`. The token is the seat's id
  and version signed with the site's secret (django.core.signing, salted for this use), so it cannot be guessed
  or altered, and the bureau can show the link again at any time without storing a secret.
- A link works only while the seat is active, its version is current (reissuing a link bumps the version and
  voids the old one) and the panel's scoring deadline has not passed (the deadline day counts).
- Anything a link holder does is recorded in the audit trail under the expert's name, with no platform user.
"""

from __future__ import annotations

from django.core import signing
from django.http import Http404
from django.urls import reverse

from .models import PanelMember

SALT = "kechuang.challenges.review"


def token_for(member: PanelMember) -> str:
    return signing.dumps({"m": member.pk, "v": member.token_version}, salt=SALT, compress=True)


def link_for(member: PanelMember) -> str:
    return reverse("challenges:review", args=[token_for(member)])


def member_for(token: str, today) -> PanelMember:
    """The seat a token opens, or Http404 (Chinese) when it is forged, reissued, withdrawn or past its deadline."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Http404("评审链接无效") from None
    member = PanelMember.objects.select_related("panel__challenge", "expert").filter(pk=data.get("m")).first()
    if member is None or member.token_version != data.get("v"):
        raise Http404("评审链接已失效（可能已重新发送），请使用最新的链接")
    if not member.active:
        raise Http404("您已不在该评审组中")
    if member.panel.deadline < today:
        raise Http404(f"评分已于 {member.panel.deadline:%Y-%m-%d} 截止")
    return member
