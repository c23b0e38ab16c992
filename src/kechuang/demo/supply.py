"""The demo region's supply map (藏宝图) and enterprise needs, at the seeds' scale (data/supply.yaml): ~12
institutions with key disciplines, platforms, teams, people (some consenting to be shown) and 49 technology
managers; ~1500 achievements (patents with publication numbers, results, know-how) whose titles are drawn from
the topics' word lists; ~300 needs of the registry's firms in every status, some disclosed to an institution.

The demo's institution user keeps 山西大学 (its organisation); the demo's firm gets needs in three statuses, the
first disclosed to 山西大学 and with staff feedback on its matches (one pinned, one dismissed), so every page has
something to show to every role. Everything
is drawn from the seed and dated relative to the build date; rows are bulk-created; one audit event.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from django.db import transaction
from django.utils import timezone

from kechuang.accounts.models import Organisation, User
from kechuang.chains.models import Chain, Segment
from kechuang.core import audit
from kechuang.enterprises.models import Enterprise
from kechuang.techtransfer import expertmatching, firmmatching, supplymatching
from kechuang.techtransfer.models import (
    Achievement,
    Discipline,
    ExpertFeedback,
    FirmFeedback,
    Institution,
    MatchFeedback,
    Need,
    NeedDisclosure,
    Person,
    Platform,
    Team,
    TechnologyManager,
)

from .identity import person_names

DATA = Path(__file__).resolve().parent / "data"
KINDS = {"university": Institution.Kind.UNIVERSITY, "research_institute": Institution.Kind.INSTITUTE}
LEVELS = ("national", "provincial", "provincial", "city", "internal")
MODES = [m.value for m in Achievement.Mode]
FIRM_NEEDS = 4  # needs of the demo's own firm, one per status but closed
PATENT_TERM_DAYS = 7305  # an invention patent's 20 years from filing
DISCLOSED_SHARE = 0.2  # needs whose detail the firm disclosed to one institution


@lru_cache(maxsize=1)
def _config() -> dict:
    return {
        "supply": yaml.safe_load((DATA / "supply.yaml").read_text(encoding="utf-8")),
        "names": yaml.safe_load((DATA / "names.yaml").read_text(encoding="utf-8")),
    }


def _pick(rng, items):
    return items[int(rng.integers(len(items)))]


def build(region, progress=print, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    cfg = _config()["supply"]
    rng = np.random.default_rng(region.seed + 17)
    # Drawn apart, so that the records drawn before research directions and segments existed stay the same.
    extra = np.random.default_rng(region.seed + 31)
    progress("生成成果供给图谱（高校院所、学科、平台、团队、成果）与企业技术需求……")
    with transaction.atomic():
        institutions = _institutions(region, cfg)
        disciplines = _disciplines(rng, cfg, institutions)
        platforms = _platforms(rng, cfg, institutions, disciplines)
        teams = _teams(rng, cfg, disciplines, extra)
        people = _people(rng, teams, extra)
        managers = _managers(rng, cfg, institutions)
        achievements = _achievements(rng, cfg, institutions, disciplines, teams, managers)
        _segments(extra)
        needs = _needs(rng, cfg, institutions, today)
        _firm_feedback(User.objects.filter(role="bureau_staff").order_by("pk").first())
        bureau = Organisation.objects.filter(kind=Organisation.Kind.BUREAU).order_by("pk").first()
        audit.record(
            actor=None,
            action="demo.build",
            obj=bureau,
            note=f"生成成果供给图谱演示数据：{len(institutions)} 家机构、{achievements} 项成果、{needs} 条技术需求",
        )
    return {
        "institutions": len(institutions),
        "disciplines": len(disciplines),
        "platforms": platforms,
        "research_teams": len(teams),
        "people": people,
        "tech_managers": len(managers),
        "achievements": achievements,
        "needs": needs,
    }


def _institutions(region, cfg) -> list[Institution]:
    orgs = {o.name: o for o in Organisation.objects.filter(kind__in=("institution", "rd_institution"))}
    rows = [
        Institution(
            name=spec["name"],
            kind=KINDS.get(spec.get("kind"), Institution.Kind.UNIVERSITY),
            region_id=spec.get("region_code"),
            organisation=orgs.get(spec["name"]),
        )
        for spec in region.institutions
        if spec.get("in_province")
    ]
    rows += [
        Institution(name=spec["name"], kind=spec["kind"], region_id=spec.get("region_code"))
        for spec in cfg["extra_institutions"]
    ]
    Institution.objects.bulk_create(rows)
    return list(Institution.objects.order_by("pk"))


def _disciplines(rng, cfg, institutions) -> list[Discipline]:
    """Key disciplines spread over the institutions, each a discipline of one of the topics (with its field) in
    the institution's specialties; a specialised institution with fewer disciplines leaves its share to others."""
    pool = {}
    for topic in cfg["topics"]:
        for name in topic["disciplines"]:
            pool.setdefault(name, topic["field"])
    names = {
        inst.pk: [n for n, f in pool.items() if f in cfg["specialties"].get(inst.name, [f])] for inst in institutions
    }
    taken: dict[int, list[str]] = {inst.pk: [] for inst in institutions}
    for i in range(cfg["counts"]["disciplines"]):
        open_ = [inst for inst in institutions if len(taken[inst.pk]) < len(names[inst.pk])]
        if not open_:
            break
        inst = min(open_, key=lambda x: (len(taken[x.pk]), (x.pk - i) % len(institutions)))
        left = [n for n in names[inst.pk] if n not in taken[inst.pk]]
        taken[inst.pk].append(_pick(rng, left))
    rows = [
        Discipline(institution=inst, name=name, field=pool[name], level=_pick(rng, LEVELS))
        for inst in institutions
        for name in taken[inst.pk]
    ]
    Discipline.objects.bulk_create(rows)
    return list(Discipline.objects.select_related("institution").order_by("pk"))


def _platforms(rng, cfg, institutions, disciplines) -> int:
    kinds = cfg["platform_kinds"]
    rows = []
    for _ in range(cfg["counts"]["platforms"]):
        d = _pick(rng, disciplines)
        kind = _pick(rng, list(kinds))
        rows.append(
            Platform(
                institution=d.institution,
                name=f"山西省{d.name}{_pick(rng, kinds[kind])}",
                kind=kind,
                level=_pick(rng, LEVELS[:4]),
                field=d.field,
            )
        )
    Platform.objects.bulk_create(rows)
    return len(rows)


def _directions(extra, topics: list[dict]) -> str:
    """Research directions: two objects of one of the field's topics and one of its methods."""
    topic = _pick(extra, topics)
    first, second = (topic["objects"][int(i)] for i in extra.choice(len(topic["objects"]), 2, replace=False))
    return f"{first}、{second}{_pick(extra, topic['methods'])}"


def _teams(rng, cfg, disciplines, extra) -> list[Team]:
    n = cfg["counts"]["teams"]
    leaders = person_names(rng, n, _config()["names"])
    topics = {t["field"]: t for t in cfg["topics"]}
    of_field: dict[str, list[dict]] = {}
    for t in cfg["topics"]:
        of_field.setdefault(t["field"], []).append(t)
    rows = []
    for i in range(n):
        d = _pick(rng, disciplines)
        topic = topics[d.field]
        rows.append(
            Team(
                institution=d.institution,
                discipline=d,
                name=f"{_pick(rng, topic['objects'])}创新团队",
                leader=leaders[i],
                field=d.field,
                members=int(rng.integers(4, 31)),
                directions=_directions(extra, of_field[d.field]),
            )
        )
    Team.objects.bulk_create(rows)
    return list(Team.objects.select_related("institution", "discipline").order_by("pk"))


def _people(rng, teams, extra) -> int:
    """The leader of each team and one member; a share of them consent to be shown, fewer to their contacts.
    The leader's research directions are the team's, the member's the first of them."""
    titles = _config()["supply"]["titles"]
    members = person_names(rng, len(teams), _config()["names"])
    rows = []
    for team, member in zip(teams, members, strict=True):
        roles = (
            (team.leader, titles[0], team.directions),
            (member, _pick(rng, titles[1:]), team.directions.split("、")[0]),
        )
        for name, title, directions in roles:
            shown = bool(rng.random() < 0.7)
            rows.append(
                Person(
                    institution=team.institution,
                    team=team,
                    name=name,
                    title=title,
                    field=team.field,
                    contact=f"0351-{int(rng.integers(1000000, 9999999))}",
                    profile_shown=shown,
                    contact_shown=shown and bool(rng.random() < 0.5),
                    directions=directions,
                )
            )
    Person.objects.bulk_create(rows)
    return len(rows)


def _managers(rng, cfg, institutions) -> list[TechnologyManager]:
    n = cfg["counts"]["managers"]
    names = person_names(rng, n, _config()["names"])
    rows = []
    for i in range(n):
        agency = rng.random() < 0.25
        rows.append(
            TechnologyManager(
                name=names[i],
                institution=None if agency else institutions[i % len(institutions)],
                agency=_pick(rng, cfg["agencies"]) if agency else "",
                certificate=f"JSJLR{2024 + i % 2}{i + 1:04d}",
                phone=f"139{int(rng.integers(10000000, 99999999))}",
                phone_shown=bool(rng.random() < 0.6),
            )
        )
    TechnologyManager.objects.bulk_create(rows)
    return list(TechnologyManager.objects.order_by("pk"))


def _title(rng, cfg, topic, kind: str) -> str:
    what, how, mod = _pick(rng, topic["objects"]), _pick(rng, topic["methods"]), _pick(rng, cfg["modifiers"])
    if kind == Achievement.Kind.PATENT:
        return f"一种{mod}{what}的{how}"
    if kind == Achievement.Kind.RESULT:
        return f"{mod}{what}{how}研究与应用"
    return f"{what}{how}技术诀窍"


def _achievements(rng, cfg, institutions, disciplines, teams, managers) -> int:
    chains = dict(Chain.objects.values_list("name", "pk"))
    by_field: dict[str, list[dict]] = {}
    for topic in cfg["topics"]:
        by_field.setdefault(topic["field"], []).append(topic)
    teams_of: dict[int, list[Team]] = {}
    for t in teams:
        teams_of.setdefault(t.discipline_id, []).append(t)
    managers_of: dict[int | None, list[TechnologyManager]] = {}
    for m in managers:
        managers_of.setdefault(m.institution_id, []).append(m)
    kinds = list(cfg["kind_shares"])
    shares = np.array(list(cfg["kind_shares"].values()))
    n = cfg["counts"]["achievements"]
    kind_draw = rng.choice(len(kinds), size=n, p=shares / shares.sum())
    numbers = rng.choice(900_000_000, size=n, replace=False) + 100_000_000
    today = timezone.localdate()
    rows = []
    for i in range(n):
        d = _pick(rng, disciplines)
        topic = _pick(rng, by_field[d.field])
        kind = kinds[int(kind_draw[i])]
        ipc = list(dict.fromkeys(_pick(rng, topic["ipc"]) for _ in range(int(rng.integers(1, 3)))))
        low = None if rng.random() < 0.3 else Decimal(int(rng.integers(5, 300)))
        high = None if low is None else low + Decimal(int(rng.integers(0, 200)))
        team = _pick(rng, teams_of[d.pk]) if d.pk in teams_of and rng.random() < 0.8 else None
        own = managers_of.get(d.institution_id) or managers_of.get(None)
        patent = kind == Achievement.Kind.PATENT
        granted = patent and rng.random() < 0.75
        filed = today - dt.timedelta(days=int(rng.integers(200, 365 * 12)))
        rows.append(
            Achievement(
                institution=d.institution,
                kind=kind,
                title=_title(rng, cfg, topic, kind),
                summary=f"面向{_pick(rng, topic['objects'])}领域，{_pick(rng, cfg['modifiers'])}、可工程化。",
                field=d.field,
                chain_id=chains.get(topic.get("chain", "")),
                discipline=d,
                team=team,
                ipc=ipc,
                patent_no=f"CN{numbers[i]}{'B' if granted else 'A'}" if patent else None,
                holder=d.institution.name if patent else "",
                legal_status=(("granted" if granted else _pick(rng, ("pending", "lapsed"))) if patent else ""),
                expires_on=filed + dt.timedelta(days=PATENT_TERM_DAYS) if granted else None,
                trl=int(rng.integers(3, 10)),
                modes=sorted({_pick(rng, MODES) for _ in range(int(rng.integers(1, 3)))}, key=MODES.index),
                price_min=low,
                price_max=high,
                manager=_pick(rng, own) if own and rng.random() < 0.8 else None,
            )
        )
    Achievement.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _segments(extra) -> None:
    """An achievement on a chain sits on the segment whose keywords or products its title names (the longest),
    else on one of the chain's segments, so that the firms downstream of it can be told apart."""
    segments: dict[int, list[tuple[int, list[str]]]] = {}
    for pk, chain, name, keywords, products in Segment.objects.order_by("pk").values_list(
        "pk", "chain_id", "name", "keywords", "products"
    ):
        segments.setdefault(chain, []).append((pk, [name, *keywords, *products]))
    rows = list(Achievement.objects.filter(chain__isnull=False).order_by("pk").only("pk", "chain_id", "title"))
    for a in rows:
        options = segments.get(a.chain_id)
        if not options:
            continue
        named = [
            (max(len(w) for w in words if w in a.title), pk)
            for pk, words in options
            if any(w in a.title for w in words)
        ]
        a.segment_id = max(named)[1] if named else _pick(extra, options)[0]
    Achievement.objects.bulk_update(rows, ["segment"], batch_size=1000)


def _need_texts(rng, cfg, topic) -> tuple[str, str, str]:
    what, how, mod = _pick(rng, topic["objects"]), _pick(rng, topic["methods"]), _pick(rng, cfg["modifiers"])
    problem = _pick(rng, cfg["problems"])
    return (
        f"{what}{how}技术需求",
        f"我公司{what}生产中{problem}，寻求{mod}{what}{how}方面的技术合作。",
        f"现有产线年产能 {int(rng.integers(5, 200))} 万件，{problem}的关键指标与工艺参数见附件（保密）。",
    )


def _needs(rng, cfg, institutions, today: dt.date) -> int:
    demo_user = User.objects.filter(username="enterprise_user").select_related("enterprise").first()
    own = demo_user.enterprise if demo_user and demo_user.enterprise_id else None
    # The other needs go to the other firms: the demo firm's list holds exactly the needs made for it.
    firms = list(Enterprise.objects.exclude(pk=own.pk if own else None).order_by("pk").values_list("pk", flat=True))
    staff = User.objects.filter(role="bureau_staff").order_by("pk").first()
    chains = dict(Chain.objects.values_list("name", "pk"))
    statuses = list(cfg["need_status_shares"])
    shares = np.array(list(cfg["need_status_shares"].values()))
    n = cfg["counts"]["needs"]
    draw = rng.choice(len(statuses), size=n, p=shares / shares.sum())
    topics = cfg["topics"]
    rows = []
    for i in range(n):
        mine = own is not None and i < FIRM_NEEDS
        status = statuses[i % len(statuses)] if mine else statuses[int(draw[i])]
        if mine and status == Need.Status.CLOSED:
            status = Need.Status.OPEN
        topic = _pick(rng, topics)
        title, summary, detail = _need_texts(rng, cfg, topic)
        visit = not mine and rng.random() < 0.35
        low = Decimal(int(rng.integers(10, 200)))
        open_ = status in (Need.Status.OPEN, Need.Status.MATCHING)
        rows.append(
            Need(
                enterprise_id=own.pk if mine else firms[int(rng.integers(len(firms)))],
                title=title,
                summary=summary,
                detail=detail,
                budget_min=low,
                budget_max=low + Decimal(int(rng.integers(0, 300))),
                deadline=today + dt.timedelta(days=int(rng.integers(30, 240)))
                if open_
                else today - dt.timedelta(days=int(rng.integers(1, 300))),
                field=topic["field"],
                chain_id=chains.get(topic.get("chain", "")),
                status=status,
                source=Need.Source.VISIT if visit else Need.Source.FIRM,
                posted_by=staff if visit else (demo_user if mine else None),
            )
        )
    Need.objects.bulk_create(rows)
    needs = list(Need.objects.order_by("pk"))
    disclosed = [
        NeedDisclosure(need=need, institution=_pick(rng, institutions), granted_by=staff)
        for need in needs
        if rng.random() < DISCLOSED_SHARE
    ]
    if own is not None:  # the demo firm discloses its first need to the demo institution user's 山西大学
        sxu = Institution.objects.filter(organisation__users__username="institution_user").first()
        mine = [need for need in needs if need.enterprise_id == own.pk]
        if sxu and mine and not any(g.need_id == mine[0].pk and g.institution_id == sxu.pk for g in disclosed):
            disclosed.append(NeedDisclosure(need=mine[0], institution=sxu, granted_by=demo_user))
        _feedback(mine, staff)
    NeedDisclosure.objects.bulk_create(disclosed)
    return len(needs)


def _feedback(needs, staff) -> None:
    """On the demo firm's first need, staff pinned its third match and dismissed its second: achievements, teams
    and people alike."""
    if not needs:
        return
    ranked = supplymatching.matches(needs[0], top=3)
    if len(ranked) >= 3:
        MatchFeedback.objects.bulk_create(
            [
                MatchFeedback(need=needs[0], achievement=ranked[2].achievement, action="pin", by=staff),
                MatchFeedback(need=needs[0], achievement=ranked[1].achievement, action="dismiss", by=staff),
            ]
        )
    rows = []
    for kind in (expertmatching.TEAM, expertmatching.PERSON):
        found = expertmatching.experts(needs[0], staff, kind, top=3)
        if len(found) >= 3:
            rows.append(ExpertFeedback(need=needs[0], **{kind: found[2].record}, action="pin", by=staff))
            rows.append(ExpertFeedback(need=needs[0], **{kind: found[1].record}, action="dismiss", by=staff))
    ExpertFeedback.objects.bulk_create(rows)


def _firm_feedback(staff) -> None:
    """On the demo institution's first achievement with firms to match, staff pinned the third firm and dismissed
    the second."""
    mine = Achievement.objects.filter(institution__organisation__users__username="institution_user").order_by("pk")
    for achievement in mine[:20]:
        ranked = firmmatching.matches(achievement, top=3)
        if len(ranked) >= 3:
            FirmFeedback.objects.bulk_create(
                [
                    FirmFeedback(achievement=achievement, enterprise=ranked[2].enterprise, action="pin", by=staff),
                    FirmFeedback(achievement=achievement, enterprise=ranked[1].enterprise, action="dismiss", by=staff),
                ]
            )
            return
