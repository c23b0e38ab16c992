"""Pages of brokering: cases (list, open, detail with the next move), the funnel (转化漏斗) with Excel, the
technology managers' caseload and results, and matchmaking events (list, detail, create).

Views check the area (accounts/access.py) and call brokerselectors / brokerservices; a record outside the user's
scope is 404, a refused move shows its Chinese message.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kechuang.accounts.access import area_required
from kechuang.core.excel import xlsx_response
from kechuang.engine.techtransfer.funnel import STEPS

from . import brokerselectors as scope
from . import brokerservices as svc
from .brokerforms import AdvanceForm, CaseEditForm, CaseForm, EventForm, MeetingForm, TerminateForm
from .brokering import STAGES, BrokerCase, Stage
from .supplymodels import TechnologyManager

PAGE_SIZE = 50
GROUPINGS = {
    "manager": gettext_lazy("按技术经理人"),
    "institution": gettext_lazy("按成果方"),
    "field": gettext_lazy("按技术领域"),
}
GROUP_HEADERS = {
    "manager": gettext_lazy("技术经理人"),
    "institution": gettext_lazy("成果方"),
    "field": gettext_lazy("技术领域"),
}
STEP_LABELS = {
    "matches": gettext_lazy("匹配"),
    "introduced": gettext_lazy("介绍对接"),
    "negotiating": gettext_lazy("洽谈"),
    "signed": gettext_lazy("签约"),
    "registered": gettext_lazy("登记"),
    "converted": gettext_lazy("转化"),
}


def _percent(value) -> str:
    return "—" if value is None else f"{value}%"


@login_required
@area_required("cases")
def cases(request):
    qs = scope.cases_for(request.user)
    stage = request.GET.get("stage") if request.GET.get("stage") in Stage.values else ""
    kind = request.GET.get("kind") if request.GET.get("kind") in BrokerCase.Kind.values else ""
    if stage:
        qs = qs.filter(stage=stage)
    if kind:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "techtransfer/cases.html",
        {
            "page": page,
            "stage": stage,
            "kind": kind,
            "stages": Stage.choices,
            "kinds": BrokerCase.Kind.choices,
            "can_open": svc.can_open(request.user),
        },
    )


@login_required
@area_required("funnel")
def case_new(request):
    initial = {k: request.GET.get(k) for k in ("need", "achievement", "kind") if request.GET.get(k)}
    form = CaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            case = svc.open_case(user=request.user, **form.service_kwargs())
        except ValidationError as e:
            form.add_error(None, e.messages[0])
        else:
            messages.success(request, _("已立案"))
            return redirect("techtransfer:case", case.pk)
    return render(request, "techtransfer/case_form.html", {"form": form})


def _next_stage(case: BrokerCase) -> str | None:
    order = [s for s, _f in STAGES]
    if not case.is_open:
        return None
    return order[order.index(case.stage) + 1]


@login_required
@area_required("cases")
def case(request, pk: int):
    c = scope.case_for(request.user, pk)
    nxt = _next_stage(c)
    mover = svc.can_move(request.user, c)
    stages = [(Stage(s).label, getattr(c, f)) for s, f in STAGES]
    return render(
        request,
        "techtransfer/case.html",
        {
            "c": c,
            "stages": stages,
            "meetings": c.meetings.all(),
            "mover": mover,
            "next": Stage(nxt).label if nxt else None,
            "advance_form": AdvanceForm(stage=nxt) if mover and nxt else None,
            "meeting_form": MeetingForm() if mover and c.negotiating_on and c.stage != Stage.TERMINATED else None,
            "terminate_form": TerminateForm() if mover and c.is_open else None,
            "can_edit": mover and c.is_open,
        },
    )


@login_required
@area_required("cases")
def case_edit(request, pk: int):
    """Correct an open case (dates reached, manager, contacts, notes); the service checks who and what."""
    c = scope.case_for(request.user, pk)
    if not svc.can_move(request.user, c):
        raise PermissionDenied(_("只有科技局工作人员或所指派技术经理人的机构可以修改案件"))
    if not c.is_open:
        raise PermissionDenied(_("案件已%(s)s，不能再修改") % {"s": c.get_stage_display()})
    managers = None
    if not request.user.is_bureau:
        managers = TechnologyManager.objects.filter(institution__organisation_id=request.user.organisation_id)
    form = CaseEditForm(request.POST or None, instance=c, editable=svc.editable_fields(c), managers=managers)
    if request.method == "POST" and form.is_valid():
        try:
            svc.update_case(user=request.user, case=scope.case_for(request.user, pk), **form.service_kwargs())
        except ValidationError as e:
            form.add_error(None, e.messages[0])
        else:
            messages.success(request, _("已保存案件修改"))
            return redirect("techtransfer:case", c.pk)
    return render(request, "techtransfer/case_edit.html", {"form": form, "c": scope.case_for(request.user, pk)})


@require_POST
@login_required
@area_required("cases")
def case_move(request, pk: int, action: str):
    """advance / meeting / terminate: the service checks who and what; a refusal is shown, nothing written."""
    c = scope.case_for(request.user, pk)
    forms = {
        "advance": lambda: AdvanceForm(request.POST, stage=_next_stage(c) or ""),
        "meeting": lambda: MeetingForm(request.POST),
        "terminate": lambda: TerminateForm(request.POST),
    }
    if action not in forms:
        raise PermissionDenied(_("未知的操作"))
    form = forms[action]()
    if not form.is_valid():
        errors = [f"{form.fields[k].label if k in form.fields else ''}：{v[0]}" for k, v in form.errors.items()]
        messages.error(request, "；".join(errors))
        return redirect("techtransfer:case", c.pk)
    d = form.cleaned_data
    try:
        if action == "advance":
            svc.advance(user=request.user, case=c, stage=form.stage, **form.service_kwargs())
        elif action == "meeting":
            svc.add_meeting(user=request.user, case=c, on=d["on"], notes=d["notes"])
        else:
            svc.terminate(user=request.user, case=c, on=d["on"], reason=d["reason"])
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, _("已保存"))
    return redirect("techtransfer:case", c.pk)


@login_required
@area_required("funnel")
def funnel(request):
    by = request.GET.get("by") if request.GET.get("by") in GROUPINGS else "manager"
    data = scope.funnel_view(by)
    if request.GET.get("format") == "xlsx":
        header = [str(GROUP_HEADERS[by]), *(str(STEP_LABELS[k]) for k in ("matches", *STEPS))]
        header += [_("%(s)s率") % {"s": STEP_LABELS[s]} for s in STEPS]
        rows = (
            [r["label"], r["matches"], *(r[s] for s in STEPS), *(_percent(r[f"{s}_rate"]) for s in STEPS)]
            for r in [*data["rows"], {**data["total"], "label": _("合计")}]
        )
        return xlsx_response(_("转化漏斗") + str(GROUPINGS[by]), header, rows)
    total = data["total"]
    whole = Decimal("100.00") if total["matches"] else None  # the matches are all of the matches
    return render(
        request,
        "techtransfer/funnel.html",
        {
            "by": by,
            "groupings": GROUPINGS.items(),
            "steps": [(STEP_LABELS[s], total[s], _percent(total.get(f"{s}_rate", whole))) for s in ("matches", *STEPS)],
            "step_labels": [STEP_LABELS[s] for s in STEPS],
            "rows": [
                {
                    "label": r["label"],
                    "counts": [r["matches"], *(r[s] for s in STEPS)],
                    "rates": [_percent(r[f"{s}_rate"]) for s in STEPS],
                }
                for r in data["rows"]
            ],
        },
    )


@login_required
@area_required("funnel")
def managers(request):
    rows = scope.managers_table()
    if request.GET.get("format") == "xlsx":
        header = [_("技术经理人"), _("所属机构"), _("证书编号"), _("在办案件"), _("案件总数"), _("签约"), _("登记")]
        header += [_("转化"), _("登记技术交易额（万元）")]
        keys = ("name", "affiliation", "certificate", "open_cases", "total_cases", "signed", "registered")
        keys += ("converted", "tech_amount")
        return xlsx_response(_("技术经理人"), header, ([r[k] for k in keys] for r in rows))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "techtransfer/managers.html", {"page": page})


@login_required
@area_required("funnel")
def events(request):
    page = Paginator(scope.events(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "techtransfer/events.html", {"page": page})


@login_required
@area_required("funnel")
def event(request, pk: int):
    ev = get_object_or_404(scope.events(), pk=pk)
    return render(
        request,
        "techtransfer/event.html",
        {
            "ev": ev,
            "enterprises": ev.enterprises.order_by("name"),
            "institutions": ev.institutions.all(),
            "cases": ev.cases.select_related("enterprise", "achievement", "institution", "seller_enterprise"),
        },
    )


@login_required
@area_required("funnel")
def event_new(request):
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ev = svc.save_event(user=request.user, form=form)
        messages.success(request, _("已登记对接活动"))
        return redirect("techtransfer:event", ev.pk)
    return render(request, "techtransfer/event_form.html", {"form": form})
