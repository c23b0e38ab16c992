"""Access-checked reads of the supply map and the needs.

Who sees what:
- bureau admin / staff: every institution, record and need, with every need's confidential detail;
- institution user: its own institution's records (which it keeps); the needs in 征集中/对接中 and those disclosed to
  it, with the detail only where the firm disclosed it (NeedDisclosure);
- enterprise user: every institution's public records (people only with their consent, contacts only with theirs),
  and its own firm's needs with their matches;
- everyone else: nothing (403).
A record or need outside the scope is a 404.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from kechuang.accounts import access
from kechuang.accounts.models import Role

from .supplymodels import Achievement, Field, Institution, Level, Need

ACHIEVEMENT_FILTERS = ("institution", "kind", "field", "chain", "trl", "q")


def _active(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_firm(user) -> bool:
    return _active(user) and user.role == Role.ENTERPRISE_USER and user.enterprise_id is not None


def own_institution(user) -> Institution | None:
    """The institution an institution user keeps, or None."""
    if not (_active(user) and user.role == Role.INSTITUTION_USER and user.organisation_id):
        return None
    return Institution.objects.filter(organisation_id=user.organisation_id).first()


def can_view_supply(user) -> bool:
    return access.allowed(user, "supply")  # the one access table (accounts/access.py)


def can_view_needs(user) -> bool:
    return access.allowed(user, "needs")


def can_post_need(user) -> bool:
    return _active(user) and (user.is_bureau or is_firm(user))


def keeps(user, institution: Institution) -> bool:
    """May the user create and edit this institution's records?"""
    if not _active(user):
        return False
    return user.is_bureau or (
        user.role == Role.INSTITUTION_USER
        and institution.organisation_id is not None
        and institution.organisation_id == user.organisation_id
    )


def institutions_for(user) -> QuerySet[Institution]:
    qs = Institution.objects.select_related("region")
    if not can_view_supply(user):
        return qs.none()
    if user.is_bureau or is_firm(user):
        return qs
    return qs.filter(organisation_id=user.organisation_id)


def kept_institutions(user) -> QuerySet[Institution]:
    """The institutions whose records the user may write."""
    if _active(user) and user.is_bureau:
        return Institution.objects.all()
    own = own_institution(user)
    return Institution.objects.filter(pk=own.pk) if own else Institution.objects.none()


def institution_for(user, pk: int) -> Institution:
    found = institutions_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("机构不存在或无权查看")
    return found


def achievements_for(user) -> QuerySet[Achievement]:
    return Achievement.objects.filter(institution__in=institutions_for(user)).select_related(
        "institution", "chain", "segment", "discipline", "team", "manager", "manager__institution"
    )


def achievement_for(user, pk: int) -> Achievement:
    found = achievements_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("成果不存在或无权查看")
    return found


def filter_achievements(qs: QuerySet[Achievement], params: dict) -> QuerySet[Achievement]:
    """The list's filters: institution, kind, field, chain, TRL at least, a word in title, summary, number, IPC."""
    if params.get("institution"):
        qs = qs.filter(institution_id=params["institution"])
    if params.get("kind"):
        qs = qs.filter(kind=params["kind"])
    if params.get("field"):
        qs = qs.filter(field=params["field"])
    if params.get("chain"):
        qs = qs.filter(chain_id=params["chain"])
    if params.get("trl"):
        qs = qs.filter(trl__gte=params["trl"])
    if params.get("q"):
        q = params["q"]
        qs = qs.filter(
            Q(title__icontains=q)
            | Q(summary__icontains=q)
            | Q(patent_no__icontains=q.upper())
            | Q(holder__icontains=q)
            | Q(ipc__icontains=q.upper())
        )
    return qs


def needs_for(user) -> QuerySet[Need]:
    qs = Need.objects.select_related("enterprise", "chain", "posted_by")
    if not can_view_needs(user):
        return qs.none()
    if user.is_bureau:
        return qs
    if is_firm(user):
        return qs.filter(enterprise_id=user.enterprise_id)
    own = own_institution(user)
    return qs.filter(
        Q(status__in=(Need.Status.OPEN, Need.Status.MATCHING)) | Q(disclosures__institution=own)
    ).distinct()


def need_for(user, pk: int) -> Need:
    found = needs_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("需求不存在或无权查看")
    return found


def owns_need(user, need: Need) -> bool:
    return is_firm(user) and need.enterprise_id == user.enterprise_id


def sees_detail(user, need: Need) -> bool:
    """The confidential detail: the bureau, the firm, and the institutions it disclosed the need to."""
    if not _active(user):
        return False
    if user.is_bureau or owns_need(user, need):
        return True
    own = own_institution(user)
    return own is not None and need.disclosures.filter(institution=own).exists()


def can_edit_need(user, need: Need) -> bool:
    return _active(user) and (user.is_bureau or owns_need(user, need))


def can_see_matches(user, need: Need) -> bool:
    return can_edit_need(user, need)


def can_see_firms(user, achievement: Achievement) -> bool:
    """The firms ranked for an achievement: the bureau and the institution that keeps it (a firm never reads
    which other firms are proposed)."""
    return access.allowed(user, "achievement_firms") and keeps(user, achievement.institution)


def can_give_feedback(user) -> bool:
    return _active(user) and user.is_bureau


def supply_grid(user, params: dict) -> dict:
    """The map itself: achievements counted by institution × 技术领域 over the user's scope and filters, for the
    heat map on the map's page. {institutions: [(pk, name)], fields: [(key, label)], cells: [(row, column, n)]};
    institutions with most achievements first, fields in the order of the 高新技术领域 list, empty cells left out."""
    achievements = filter_achievements(achievements_for(user), params)
    counted = list(achievements.values("institution_id", "field").annotate(n=Count("pk")))
    totals: dict[int, int] = {}
    for r in counted:
        totals[r["institution_id"]] = totals.get(r["institution_id"], 0) + r["n"]
    names = dict(institutions_for(user).filter(pk__in=totals).values_list("pk", "name"))
    rows = sorted(names, key=lambda pk: (-totals[pk], names[pk]))
    present = {r["field"] for r in counted}
    columns = [(key, str(label)) for key, label in Field.choices if key in present]
    if "" in present:
        columns.append(("", "未标领域"))
    at_row = {pk: i for i, pk in enumerate(rows)}
    at_column = {key: j for j, (key, _label) in enumerate(columns)}
    return {
        "institutions": [(pk, names[pk]) for pk in rows],
        "fields": columns,
        "cells": sorted(
            (at_row[r["institution_id"]], at_column[r["field"]], r["n"])
            for r in counted
            if r["institution_id"] in at_row
        ),
    }


def supply_table(user, by: str, params: dict) -> list[dict]:
    """The map's table by institution, discipline, field or chain, counted over the user's scope:
    [{key, label, achievements, patents, …}], largest first."""
    achievements = filter_achievements(achievements_for(user), params)
    patents = Count("pk", filter=Q(kind=Achievement.Kind.PATENT))
    if by == "institution":
        counts = {
            r["institution_id"]: r
            for r in achievements.values("institution_id").annotate(achievements=Count("pk"), patents=patents)
        }
        rows = []
        insts = institutions_for(user).annotate(
            n_disciplines=Count("disciplines", distinct=True),
            n_platforms=Count("platforms", distinct=True),
            n_teams=Count("teams", distinct=True),
        )
        if params.get("institution"):
            insts = insts.filter(pk=params["institution"])
        for i in insts:
            c = counts.get(i.pk, {})
            rows.append(
                {
                    "key": i.pk,
                    "label": i.name,
                    "kind": i.get_kind_display(),
                    "disciplines": i.n_disciplines,
                    "platforms": i.n_platforms,
                    "teams": i.n_teams,
                    "achievements": c.get("achievements", 0),
                    "patents": c.get("patents", 0),
                }
            )
        return sorted(rows, key=lambda r: (-r["achievements"], r["label"]))
    if by == "discipline":
        grouped = achievements.values("discipline_id", "discipline__name", "discipline__level", "institution__name")
        rows = [
            {
                "key": r["discipline_id"] or "",
                "label": r["discipline__name"] or "未标学科",
                "institution": r["institution__name"],
                "level": _level(r["discipline__level"]),
                "achievements": r["achievements"],
                "patents": r["patents"],
            }
            for r in grouped.annotate(achievements=Count("pk"), patents=patents)
        ]
        return sorted(rows, key=lambda r: (-r["achievements"], r["institution"], r["label"]))
    if by == "field":
        names = dict(Field.choices)
        rows = [
            {
                "key": r["field"],
                "label": str(names.get(r["field"], "未标领域")),
                "achievements": r["achievements"],
                "patents": r["patents"],
            }
            for r in achievements.values("field").annotate(achievements=Count("pk"), patents=patents)
        ]
        return sorted(rows, key=lambda r: (-r["achievements"], r["label"]))
    rows = [
        {
            "key": r["chain_id"] or "",
            "label": r["chain__name"] or "未标产业链",
            "achievements": r["achievements"],
            "patents": r["patents"],
        }
        for r in achievements.values("chain_id", "chain__name").annotate(achievements=Count("pk"), patents=patents)
    ]
    return sorted(rows, key=lambda r: (-r["achievements"], r["label"]))


def _level(code: str | None) -> str:
    return str(dict(Level.choices).get(code, "")) if code else ""
