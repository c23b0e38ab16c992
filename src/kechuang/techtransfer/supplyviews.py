"""Pages of the supply map (藏宝图) and the needs: the map's tables (by institution, discipline, field, chain) with
Excel, an institution with its records, achievements (list, detail, create, edit, import), needs (list, post,
detail with disclosures and matches, edit), and the staff's match feedback.

Views check the role and call supplyselectors / supplyservices; a denied page is 403, a record outside the user's
scope 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kechuang.chains.models import Chain
from kechuang.core import exports
from kechuang.core.excel import xlsx_response
from kechuang.enterprises.models import Enterprise

from . import expertmatching, firmmatching, supplymatching, supplyservices
from . import supplyselectors as scope
from .supplyforms import RECORD_FORMS, AchievementForm, DisclosureForm, NeedForm
from .supplymodels import Achievement, Field, Institution, MatchFeedback, Need, Person, Team

PAGE_SIZE = 50
TABLES = {
    "institution": gettext_lazy("按机构"),
    "discipline": gettext_lazy("按学科"),
    "field": gettext_lazy("按技术领域"),
    "chain": gettext_lazy("按产业链"),
}
TABLE_COLUMNS = {
    "institution": [
        ("label", "机构"),
        ("kind", "类型"),
        ("disciplines", "重点学科"),
        ("platforms", "科研平台"),
        ("teams", "科研团队"),
        ("achievements", "成果"),
        ("patents", "其中专利"),
    ],
    "discipline": [
        ("label", "学科"),
        ("institution", "机构"),
        ("level", "级别"),
        ("achievements", "成果"),
        ("patents", "其中专利"),
    ],
    "field": [("label", "技术领域"), ("achievements", "成果"), ("patents", "其中专利")],
    "chain": [("label", "产业链"), ("achievements", "成果"), ("patents", "其中专利")],
}
TEXT_COLUMNS = ("label", "kind", "institution", "level")


def _require(flag: bool, message: str) -> None:
    if not flag:
        raise PermissionDenied(message)


def _int(text) -> int | None:
    return int(text) if str(text or "").isdigit() else None


def _filters(get) -> dict:
    """The supply filters as given, each dropped when it is not a known value."""
    return {
        "institution": _int(get.get("institution")),
        "kind": get.get("kind") if get.get("kind") in Achievement.Kind.values else "",
        "field": get.get("field") if get.get("field") in Field.values else "",
        "chain": _int(get.get("chain")),
        "trl": _int(get.get("trl")) if (_int(get.get("trl")) or 0) in range(1, 10) else None,
        "q": get.get("q", "").strip()[:64],
    }


def _choices(user) -> dict:
    return {
        "institutions": scope.institutions_for(user).values_list("pk", "name"),
        "kinds": Achievement.Kind.choices,
        "fields": Field.choices,
        "chains": Chain.objects.values_list("pk", "name"),
        "trls": range(1, 10),
    }


@login_required
def supply(request):
    user = request.user
    _require(scope.can_view_supply(user), _("无权查看成果供给图谱"))
    by = request.GET.get("by") if request.GET.get("by") in TABLES else "institution"
    params = _filters(request.GET)
    rows = scope.supply_table(user, by, params)
    columns = TABLE_COLUMNS[by]
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("成果供给图谱") + str(TABLES[by]), [c[1] for c in columns], ([r[k] for k, _l in columns] for r in rows)
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "techtransfer/supply.html",
        {
            "page": page,
            "by": by,
            "tables": TABLES.items(),
            "headers": [(label, key not in TEXT_COLUMNS) for key, label in columns],
            "table": [
                {"key": r["key"], "cells": [(r[k], k not in TEXT_COLUMNS) for k, _l in columns]}
                for r in page.object_list
            ],
            "params": params,
            "grid": scope.supply_grid(user, params),
            "totals": {
                "achievements": sum(r["achievements"] for r in rows),
                "patents": sum(r["patents"] for r in rows),
            },
            **_choices(user),
        },
    )


@login_required
def institution(request, pk: int):
    user = request.user
    _require(scope.can_view_supply(user), _("无权查看成果供给图谱"))
    inst = scope.institution_for(user, pk)
    keeper = scope.keeps(user, inst)
    people = inst.people.select_related("team")
    if not keeper:
        people = people.filter(profile_shown=True)
    return render(
        request,
        "techtransfer/institution.html",
        {
            "inst": inst,
            "keeper": keeper,
            "disciplines": inst.disciplines.all(),
            "platforms": inst.platforms.all(),
            "teams": inst.teams.select_related("discipline"),
            "people": people,
            "managers": inst.managers.all(),
            "achievements": inst.achievements.count(),
            "record_kinds": [(k, v[1]) for k, v in RECORD_FORMS.items()],
        },
    )


@login_required
def record_edit(request, pk: int, kind: str, record_pk: int | None = None):
    """Add (record_pk None) or edit a discipline, platform, team, person or manager of an institution one keeps."""
    user = request.user
    _require(scope.can_view_supply(user), _("无权查看成果供给图谱"))
    inst = scope.institution_for(user, pk)
    _require(scope.keeps(user, inst), _("只能维护本单位的信息"))
    if kind not in RECORD_FORMS:
        raise Http404(_("没有这类信息"))
    form_class, label = RECORD_FORMS[kind]
    instance = None
    if record_pk is not None:
        instance = get_object_or_404(form_class._meta.model, pk=record_pk, institution=inst)
    form = form_class(request.POST or None, instance=instance, institution=inst)
    if request.method == "POST" and form.is_valid():
        supplyservices.save_record(user=user, institution=inst, form=form)
        messages.success(request, _("已保存%(k)s") % {"k": label})
        return redirect("techtransfer:institution", inst.pk)
    return render(
        request, "techtransfer/record_form.html", {"form": form, "inst": inst, "label": label, "instance": instance}
    )


@login_required
def achievements(request):
    user = request.user
    _require(scope.can_view_supply(user), _("无权查看科技成果"))
    params = _filters(request.GET)
    if request.GET.get("format") == "xlsx":
        return exports.respond(request, "kechuang.techtransfer.exporting.achievements_table", params=params)
    qs = scope.filter_achievements(scope.achievements_for(user), params)
    return render(
        request,
        "techtransfer/achievements.html",
        {
            "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
            "params": params,
            "can_create": scope.kept_institutions(user).exists(),
            **_choices(user),
        },
    )


@login_required
def achievement(request, pk: int):
    user = request.user
    _require(scope.can_view_supply(user), _("无权查看科技成果"))
    a = scope.achievement_for(user, pk)
    firms = scope.can_see_firms(user, a)
    return render(
        request,
        "techtransfer/achievement.html",
        {
            "a": a,
            "keeper": scope.keeps(user, a.institution),
            "firms": firmmatching.matches(a) if firms else None,
            "dismissed_firms": Enterprise.objects.filter(
                pk__in=a.firm_feedback.filter(action=MatchFeedback.Action.DISMISS).values("enterprise_id")
            ).order_by("name")
            if firms
            else [],
            "can_feedback": scope.can_give_feedback(user),
        },
    )


@login_required
def achievement_edit(request, pk: int | None = None):
    user = request.user
    kept = scope.kept_institutions(user)
    _require(kept.exists(), _("只能维护本单位的科技成果"))
    instance = None
    if pk is not None:
        instance = scope.achievement_for(user, pk) if scope.can_view_supply(user) else None
        _require(instance is not None and scope.keeps(user, instance.institution), _("只能维护本单位的科技成果"))
    form = AchievementForm(request.POST or None, instance=instance, institutions=kept)
    if request.method == "POST" and form.is_valid():
        a = supplyservices.save_achievement(user=user, form=form)
        messages.success(request, _("已保存科技成果“%(t)s”") % {"t": a.title})
        return redirect("techtransfer:achievement", a.pk)
    return render(request, "techtransfer/achievement_form.html", {"form": form, "instance": instance})


@login_required
def needs(request):
    user = request.user
    _require(scope.can_view_needs(user), _("无权查看技术需求"))
    status = request.GET.get("status") if request.GET.get("status") in Need.Status.values else ""
    field = request.GET.get("field") if request.GET.get("field") in Field.values else ""
    q = request.GET.get("q", "").strip()[:64]
    qs = scope.needs_for(user)
    if status:
        qs = qs.filter(status=status)
    if field:
        qs = qs.filter(field=field)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(summary__icontains=q))
    return render(
        request,
        "techtransfer/needs.html",
        {
            "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
            "status": status,
            "field": field,
            "q": q,
            "statuses": Need.Status.choices,
            "fields": Field.choices,
            "can_post": scope.can_post_need(user),
        },
    )


@login_required
def need_edit(request, pk: int | None = None):
    user = request.user
    _require(scope.can_view_needs(user), _("无权查看技术需求"))
    need = None
    if pk is not None:
        need = scope.need_for(user, pk)
        _require(scope.can_edit_need(user, need), _("只能修改本企业的技术需求"))
    else:
        _require(scope.can_post_need(user), _("无权发布技术需求"))
    form = NeedForm(request.POST or None, instance=need, staff=user.is_bureau)
    if request.method == "POST" and form.is_valid():
        saved = supplyservices.save_need(user=user, form=form, enterprise=form.enterprise)
        messages.success(request, _("已保存技术需求“%(t)s”") % {"t": saved.title})
        return redirect("techtransfer:need", saved.pk)
    return render(request, "techtransfer/need_form.html", {"form": form, "need": need})


@login_required
def need(request, pk: int):
    user = request.user
    _require(scope.can_view_needs(user), _("无权查看技术需求"))
    n = scope.need_for(user, pk)
    editor = scope.can_edit_need(user, n)
    shown = scope.can_see_matches(user, n)
    return render(
        request,
        "techtransfer/need.html",
        {
            "n": n,
            "detail": scope.sees_detail(user, n),
            "editor": editor,
            "disclosures": n.disclosures.select_related("institution") if editor else [],
            "disclose_form": DisclosureForm() if editor else None,
            "matches": supplymatching.matches(n) if shown else None,
            "dismissed": n.feedback.filter(action=MatchFeedback.Action.DISMISS).select_related("achievement")
            if shown
            else [],
            "teams": expertmatching.experts(n, user, expertmatching.TEAM) if shown else None,
            "people": expertmatching.experts(n, user, expertmatching.PERSON) if shown else None,
            "dismissed_teams": expertmatching.dismissed(n, user, expertmatching.TEAM) if shown else [],
            "dismissed_people": expertmatching.dismissed(n, user, expertmatching.PERSON) if shown else [],
            "can_feedback": scope.can_give_feedback(user),
        },
    )


@login_required
@require_POST
def need_disclose(request, pk: int):
    user = request.user
    _require(scope.can_view_needs(user), _("无权查看技术需求"))
    n = scope.need_for(user, pk)
    _require(scope.can_edit_need(user, n), _("只有发布需求的企业或科技局可以授权查看需求详情"))
    institution = get_object_or_404(Institution, pk=_int(request.POST.get("institution")))
    if request.POST.get("revoke"):
        supplyservices.revoke(user=user, need=n, institution=institution)
        messages.success(request, _("已撤销 %(i)s 查看需求详情的授权") % {"i": institution.name})
    else:
        supplyservices.disclose(user=user, need=n, institution=institution)
        messages.success(request, _("已授权 %(i)s 查看需求详情") % {"i": institution.name})
    return redirect("techtransfer:need", n.pk)


@login_required
@require_POST
def match_feedback(request, pk: int, achievement_pk: int):
    user = request.user
    _require(scope.can_give_feedback(user), _("只有科技局工作人员可以置顶或排除匹配"))
    n = scope.need_for(user, pk)
    a = get_object_or_404(Achievement, pk=achievement_pk)
    action = request.POST.get("action", "")
    if action not in (*MatchFeedback.Action.values, "clear"):
        raise Http404(_("未知的处理方式"))
    supplyservices.feedback(user=user, need=n, achievement=a, action=action)
    return redirect("techtransfer:need", n.pk)


def _feedback_action(request) -> str:
    action = request.POST.get("action", "")
    if action not in (*MatchFeedback.Action.values, "clear"):
        raise Http404(_("未知的处理方式"))
    return action


@login_required
@require_POST
def expert_feedback(request, pk: int, kind: str, target_pk: int):
    user = request.user
    _require(scope.can_give_feedback(user), _("只有科技局工作人员可以置顶或排除匹配"))
    n = scope.need_for(user, pk)
    model = {expertmatching.TEAM: Team, expertmatching.PERSON: Person}.get(kind)
    if model is None:
        raise Http404(_("没有这类信息"))
    target = get_object_or_404(model.objects.select_related("institution"), pk=target_pk)
    supplyservices.expert_feedback(user=user, need=n, target=target, action=_feedback_action(request))
    return redirect("techtransfer:need", n.pk)


@login_required
@require_POST
def firm_feedback(request, pk: int, enterprise_pk: int):
    user = request.user
    _require(scope.can_give_feedback(user), _("只有科技局工作人员可以置顶或排除匹配"))
    a = scope.achievement_for(user, pk)
    firm = get_object_or_404(Enterprise, pk=enterprise_pk)
    supplyservices.firm_feedback(user=user, achievement=a, enterprise=firm, action=_feedback_action(request))
    return redirect("techtransfer:achievement", a.pk)
