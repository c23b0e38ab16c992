"""Ranked research teams and people (experts) for a need: the engine matcher (engine.techtransfer.matching) over
a text per team and per person, then the staff's feedback (pinned first, dismissed hidden) and the field,
discipline and chain reasons added to the engine's reason.

A team's text is its name, research directions, discipline and the titles of its achievements (their IPC
subclasses are its field labels); a person's is their name, title and directions plus their team's text. The two
matchers are built once per process and rebuilt when teams, people, disciplines or achievements change (counts,
latest edit), so rankings follow the records.

Consent (个人信息保护): outside the institution and the bureau a person is listed only with `profile_shown`; the
matches of a need are read by the bureau and the need's firm (`supplyselectors.can_see_matches`), so the firm
sees consenting people only, and their contact only with `contact_shown`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kechuang.engine.techtransfer.matching import Document, Matcher

from . import supplyselectors as scope
from .rebuilt import Rebuilt, state
from .supplymatching import PINNED_REASON, need_text
from .supplymodels import Achievement, Discipline, ExpertFeedback, MatchFeedback, Need, Person, Team

DEFAULT_TOP = 10
TEAM, PERSON = "team", "person"
MODELS = {TEAM: Team, PERSON: Person}


@dataclass(frozen=True)
class ExpertMatch:
    kind: str  # TEAM or PERSON
    record: Team | Person
    score: float
    reason: str
    pinned: bool = False
    contact: str = ""  # a person's contact where the viewer may read it


def _state() -> tuple:
    return (*state(Team), *state(Person), *state(Achievement), *state(Discipline, edited=None))


def _build() -> dict:
    """The two matchers, and per team the chains of its achievements (for the chain reason)."""
    titles: dict[int, list[str]] = {}
    ipc: dict[int, list[str]] = {}
    chains: dict[int, set[int]] = {}
    rows = (
        Achievement.objects.filter(team__isnull=False).order_by("pk").values_list("team_id", "title", "ipc", "chain_id")
    )
    for team, title, codes, chain in rows:
        titles.setdefault(team, []).append(title)
        ipc.setdefault(team, []).extend(codes or ())
        if chain:
            chains.setdefault(team, set()).add(chain)
    team_text: dict[int, str] = {}
    teams = []
    for pk, name, directions, discipline in Team.objects.order_by("pk").values_list(
        "pk", "name", "directions", "discipline__name"
    ):
        team_text[pk] = " ".join(p for p in (discipline, *titles.get(pk, ())) if p)
        teams.append(
            Document(str(pk), f"{name} {directions}".strip(), team_text[pk], tuple(dict.fromkeys(ipc.get(pk, ()))))
        )
    people = [
        Document(
            str(pk),
            " ".join(p for p in (name, title, directions) if p),
            team_text.get(team, "") if team else "",
            tuple(dict.fromkeys(ipc.get(team, ()))) if team else (),
        )
        for pk, name, title, directions, team in Person.objects.order_by("pk").values_list(
            "pk", "name", "title", "directions", "team_id"
        )
    ]
    return {TEAM: Matcher(teams), PERSON: Matcher(people), "chains": chains}


_matchers = Rebuilt(_state, _build)


def shown_people(user):
    """The people the user may see listed: the bureau all, an institution user its own and the consenting ones,
    anyone else the consenting ones."""
    qs = Person.objects.all()
    if user.is_bureau:
        return qs
    own = scope.own_institution(user)
    if own is not None:
        return qs.filter(profile_shown=True) | qs.filter(institution=own)
    return qs.filter(profile_shown=True)


def _extra_reasons(need: Need, team: Team | None, record, chains: dict[int, set[int]]) -> list[str]:
    reasons = []
    if need.field and record.field == need.field:
        reasons.append(f"同一技术领域：{record.get_field_display()}")
    discipline = team.discipline if team else None
    if discipline and need.field and discipline.field == need.field:
        reasons.append(f"依托学科：{discipline.name}（{discipline.get_level_display()}）")
    if team and need.chain_id and need.chain_id in chains.get(team.pk, ()):
        reasons.append(f"有同一产业链成果：{need.chain.name}")
    return reasons


def experts(need: Need, user, kind: str, top: int = DEFAULT_TOP) -> list[ExpertMatch]:
    """The need's best teams (kind TEAM) or people (PERSON) the user may see, best first: pinned ones, then the
    engine's ranking without dismissed ones."""
    if kind not in MODELS:
        raise ValueError(kind)
    feedback = dict(ExpertFeedback.objects.filter(need=need, **{f"{kind}__isnull": False}).values_list(kind, "action"))
    dismissed = {pk for pk, action in feedback.items() if action == MatchFeedback.Action.DISMISS}
    pinned = [pk for pk, action in feedback.items() if action == MatchFeedback.Action.PIN]
    built = _matchers.get()
    matcher = built[kind]
    hits = matcher.search(need_text(need), len(matcher.documents))
    scored = {int(h.id): h for h in hits}
    related = ("institution", "discipline") if kind == TEAM else ("institution", "team", "team__discipline")
    visible = (shown_people(user) if kind == PERSON else Team.objects.all()).select_related(*related)
    order = sorted(pinned, key=lambda pk: (-(scored[pk].score if pk in scored else 0), pk))
    order += [int(h.id) for h in hits if int(h.id) not in dismissed and int(h.id) not in pinned]
    out = []
    for pk, record in _visible_in_order(visible, order, max(top, len(pinned))):
        hit = scored.get(pk)
        team = record if kind == TEAM else record.team
        reasons = [hit.reason] if hit and hit.reason else []
        reasons += _extra_reasons(need, team, record, built["chains"])
        if pk in pinned:
            reasons.insert(0, PINNED_REASON)
        contact = ""
        if kind == PERSON and (user.is_bureau or record.contact_shown or scope.keeps(user, record.institution)):
            contact = record.contact
        out.append(ExpertMatch(kind, record, hit.score if hit else 0.0, "；".join(reasons), pk in pinned, contact))
        if len(out) >= max(top, len(pinned)):
            break
    return out


def _visible_in_order(visible, order: list[int], wanted: int):
    """(pk, record) for the ids in `order` the user may see, in that order, read a window at a time: consent may
    hide any number of the best, but a page needs only its first few, not every record sharing a word."""
    window = max(4 * wanted, 50)
    for start in range(0, len(order), window):
        ids = order[start : start + window]
        found = visible.in_bulk(ids)
        for pk in ids:
            if pk in found:
                yield pk, found[pk]


def dismissed(need: Need, user, kind: str) -> list:
    """The teams or people staff dismissed for the need, as the user may see them."""
    visible = shown_people(user) if kind == PERSON else Team.objects.all()
    ids = ExpertFeedback.objects.filter(need=need, action=MatchFeedback.Action.DISMISS).values_list(kind, flat=True)
    return list(visible.filter(pk__in=[pk for pk in ids if pk]).order_by("name", "pk"))
