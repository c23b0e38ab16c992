"""Ranked achievements for a need: the engine matcher (engine.techtransfer.matching) over the achievements on file,
then the staff's feedback — pinned matches first, dismissed ones hidden — and the shared field and chain added to
the engine's reason.

The matcher is built once per process and rebuilt when the achievements change (their count or latest edit), so a
ranking always reflects the records as they are. A need is searched with its title, summary and detail: the
detail is confidential, so matches are shown only to those who may read it (the bureau and the firm).
"""

from __future__ import annotations

from dataclasses import dataclass

from kechuang.engine.techtransfer.matching import Document, Matcher

from .rebuilt import Rebuilt, state
from .supplymodels import Achievement, MatchFeedback, Need

DEFAULT_TOP = 20
PINNED_REASON = "工作人员置顶"


@dataclass(frozen=True)
class Match:
    achievement: Achievement
    score: float
    reason: str
    pinned: bool = False


def _build() -> Matcher:
    rows = Achievement.objects.order_by("pk").values_list("pk", "title", "summary", "ipc")
    return Matcher(Document(str(pk), title, summary or "", tuple(ipc or ())) for pk, title, summary, ipc in rows)


_matcher = Rebuilt(lambda: state(Achievement), _build)


def ranked(text: str, top: int) -> list[tuple[int, float, str]]:
    """The engine's best achievements for a text, best first, as (pk, score, reason): no staff feedback."""
    return [(int(h.id), h.score, h.reason) for h in _matcher.get().search(text, top)]


def need_text(need: Need) -> str:
    return " ".join(part for part in (need.title, need.summary, need.detail) if part)


def matches(need: Need, top: int = DEFAULT_TOP) -> list[Match]:
    """The need's best achievements, best first: pinned ones, then the engine's ranking without dismissed ones."""
    feedback = dict(MatchFeedback.objects.filter(need=need).values_list("achievement_id", "action"))
    dismissed = {pk for pk, action in feedback.items() if action == MatchFeedback.Action.DISMISS}
    pinned = [pk for pk, action in feedback.items() if action == MatchFeedback.Action.PIN]
    hits = ranked(need_text(need), top + len(feedback))
    scored = {pk: (score, reason) for pk, score, reason in hits}
    order = sorted(pinned, key=lambda pk: (-(scored[pk][0] if pk in scored else 0), pk))
    order += [pk for pk, _score, _reason in hits if pk not in dismissed and pk not in pinned]
    order = order[: max(top, len(pinned))]
    found = Achievement.objects.select_related("institution", "chain", "manager").in_bulk(order)
    out = []
    for pk in order:
        a = found.get(pk)
        if a is None:
            continue
        score, reason = scored.get(pk, (0.0, ""))
        reasons = [reason] if reason else []
        if need.field and a.field == need.field:
            reasons.append(f"同一技术领域：{a.get_field_display()}")
        if need.chain_id and a.chain_id == need.chain_id:
            reasons.append(f"同一产业链：{a.chain.name}")
        if pk in pinned:
            reasons.insert(0, PINNED_REASON)
        out.append(Match(a, score, "；".join(reasons), pk in pinned))
    return out
