"""Points pages. Views validate input and call selectors (reads) and services (writes); nothing else."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts.access import area_required, require
from kechuang.accounts.models import Role, User
from kechuang.core import exports
from kechuang.core.models import Industry, Job, Region
from kechuang.core.paging import CappedPaginator
from kechuang.engine import labels
from kechuang.engine.points import alerts as alerts_engine
from kechuang.enterprises.selectors import enterprise_for
from kechuang.rules import region

from . import diagnosis, exporting, forms, schemes, selectors, services
from .forms import AlertRulesForm, LeaderboardFilter, SchemeVersionForm, ScoringForm
from .models import Alert, ScoringRun

PAGE_SIZE = 50


def _require(flag: bool):
    if not flag:
        raise PermissionDenied(_("无权执行此操作"))


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


@login_required
def home(request):
    user = request.user
    require(user, "points")
    if selectors.can_view_leaderboard(user):
        return redirect("points:leaderboard")
    if user.role == Role.ENTERPRISE_USER and user.enterprise_id:
        return redirect("points:firm", uscc=user.enterprise.uscc)
    raise PermissionDenied(_("无权查看创新积分"))


def _run_from(request) -> ScoringRun | None:
    pk = request.GET.get("run")
    if pk and pk.isdigit():
        return selectors.runs().filter(pk=int(pk)).first()
    return selectors.latest_run()


@login_required
def leaderboard(request):
    _require(selectors.can_view_leaderboard(request.user))
    run = _run_from(request)
    form = LeaderboardFilter(request.GET or None)
    filters = form.filters()
    context = {"form": form, "run": run, "runs": selectors.runs()[:50], "filters": filters, "uses": region.banner()}
    if run is not None:
        qs = (
            selectors.leaderboard(request.user, run, filters)
            .select_related("enterprise")
            .only(
                "rank",
                "points",
                "stage",
                "stage_rank",
                "stage_percentile",
                "percentile",
                "list_label",
                "carrier",
                "missing",
                "enterprise__name",
                "enterprise__uscc",
            )
        )
        page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        scheme = schemes.run_scheme(run)
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            {
                "page": page,
                "batch_limit": selectors.BATCH_LIMIT,
                "scheme": scheme,
                "query": query.urlencode(),
                "stage_labels": scheme.stage_labels,
                "lists": scheme.lists,
                "regions": Region.objects.filter(level__lte=3).order_by("code"),
                "industries": Industry.objects.filter(level=2).order_by("code"),
                "carriers": LeaderboardFilter.carriers(),
            }
        )
    return render(request, "points/leaderboard.html", context)


@login_required
def leaderboard_export(request):
    _require(selectors.can_view_leaderboard(request.user) and request.user.can_export)
    run = _run_from(request)
    if run is None:
        raise Http404(_("尚无积分计算结果"))
    filters = LeaderboardFilter(request.GET or None).filters()
    results = selectors.leaderboard(request.user, run, filters)
    filename = f"创新积分排行榜_{run.year}年度.xlsx"
    rows = results.count()
    if exports.is_large(rows):  # the whole region's firms: a job with progress and a download link
        job = exports.start(
            user=request.user,
            title=_("导出创新积分排行榜（%(y)s 年度，%(n)d 家）") % {"y": run.year, "n": rows},
            writer="kechuang.points.exporting.write_leaderboard_for",
            filename=filename,
            total=rows,
            user_id=request.user.pk,
            run_id=run.pk,
            filters=filters,
        )
        return redirect("core:job", pk=job.pk)
    return _xlsx(exporting.leaderboard_xlsx(run, results, schemes.run_scheme(run)), filename)


@login_required
@require_POST
def batch_start(request):
    _require(selectors.can_view_leaderboard(request.user) and request.user.can_export)
    run = _run_from(request)
    if run is None:
        raise Http404(_("尚无积分计算结果"))
    filters = LeaderboardFilter(request.GET or None).filters()
    try:
        job = services.start_diagnosis_batch(
            user=request.user, run=run, filters=filters, first=request.POST.get("first") == "1"
        )
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
        return redirect(f"{request.path.replace('batch/', '')}?{request.GET.urlencode()}")
    return redirect("points:batch", pk=job.pk)


def _own_batch(request, pk) -> Job:
    return get_object_or_404(Job.objects.filter(created_by=request.user, kind="points_diagnosis_batch"), pk=pk)


@login_required
def batch(request, pk):
    job = _own_batch(request, pk)
    template = "points/_batch_status.html" if request.headers.get("HX-Request") else "points/batch.html"
    return render(request, template, {"job": job})


@login_required
def batch_download(request, pk):
    job = _own_batch(request, pk)
    path = services.batch_path(job.pk)
    if job.status != Job.Status.DONE or not path.exists():
        raise Http404(_("诊断书尚未生成"))
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"诊断书_{job.created_at:%Y%m%d}.zip")


def _firm_result(request, uscc):
    enterprise = enterprise_for(request.user, uscc)
    results = selectors.results_for(request.user).filter(enterprise=enterprise).select_related("run")
    pk = request.GET.get("run")
    if pk and pk.isdigit():
        result = results.filter(run_id=int(pk)).first()
    else:
        result = (
            results.filter(run__status=ScoringRun.Status.DONE)
            .order_by("-run__year", "-run__as_of", "-run__created_at")
            .first()
        )
    return enterprise, result


@login_required
@area_required("points")
def firm(request, uscc):
    enterprise, result = _firm_result(request, uscc)
    context = {"enterprise": enterprise, "result": result}
    if result is not None:
        result.enterprise = enterprise
        context.update(diagnosis.build(enterprise, result, request.user))
        context["peers_json"] = _peers(result)
    return render(request, "points/firm.html", context)


def _peers(result) -> str:
    """Histogram of the stage peers' points (one query of one column), as JSON for the chart."""
    import json

    values = list(result.run.results.filter(stage=result.stage, points__isnull=False).values_list("points", flat=True))
    if not values:
        return "{}"
    top = max(max(values), 1.0)
    width = top / 10
    counts = [0] * 10
    for v in values:
        counts[min(int(v / width), 9)] += 1
    labels = [f"{i * width:.0f}–{(i + 1) * width:.0f}" for i in range(10)]
    mine = min(int((result.points or 0) / width), 9)
    return json.dumps({"labels": labels, "counts": counts, "mine": mine, "n": len(values)}, ensure_ascii=False)


@login_required
@area_required("points")
def firm_diagnosis(request, uscc):
    enterprise, result = _firm_result(request, uscc)
    if result is None:
        raise Http404(_("该企业尚无积分结果"))
    result.enterprise = enterprise
    return render(request, "points/diagnosis.html", diagnosis.build(enterprise, result, request.user))


@login_required
@area_required("points")
def firm_diagnosis_pdf(request, uscc):
    enterprise, result = _firm_result(request, uscc)
    if result is None:
        raise Http404(_("该企业尚无积分结果"))
    result.enterprise = enterprise
    pdf = diagnosis.render_pdf(diagnosis.build(enterprise, result, request.user))
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"诊断书_{enterprise.name}_{result.run.year}年度.pdf"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --------------------------------------------------------------------------------------------------
# Alerts


@login_required
def alerts(request):
    _require(selectors.can_view_alerts(request.user))
    qs = exporting.alerts(request.user, exporting.alert_filters(request.GET))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rules = sorted(set(Alert.objects.values_list("rule", "label").distinct()))
    staff = User.objects.filter(role__in=(Role.BUREAU_ADMIN, Role.BUREAU_STAFF), is_active=True).order_by("username")
    return render(
        request,
        "points/alerts.html",
        {
            "page": page,
            "query": query.urlencode(),
            "statuses": Alert.Status.choices,
            "severities": Alert.Severity.choices,
            "rules": rules,
            "staff": staff,
            "years": Alert.objects.order_by("-year").values_list("year", flat=True).distinct(),
        },
    )


@login_required
def alerts_export(request):
    _require(selectors.can_view_alerts(request.user) and request.user.can_export)
    return exports.respond(
        request, "kechuang.points.exporting.alerts_table", filters=exporting.alert_filters(request.GET)
    )


@login_required
@require_POST
def alert_acknowledge(request, pk):
    _require(request.user.is_bureau)
    alert = get_object_or_404(selectors.alerts_inbox(request.user), pk=pk)
    services.acknowledge_alert(alert, user=request.user)
    messages.success(request, _("预警已确认。"))
    return redirect(_back_to(request))


@login_required
@require_POST
def alert_assign(request, pk):
    _require(request.user.is_bureau)
    alert = get_object_or_404(selectors.alerts_inbox(request.user), pk=pk)
    assignee_id = request.POST.get("assignee", "")
    assignee = User.objects.filter(pk=int(assignee_id)).first() if assignee_id.isdigit() else None
    try:
        services.assign_alert(alert, user=request.user, assignee=assignee)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
    else:
        messages.success(request, _("已指派。"))
    return redirect(_back_to(request))


@login_required
@require_POST
def alerts_refresh(request):
    _require(request.user.is_bureau)
    year = request.POST.get("year", "")
    if not year.isdigit():
        messages.error(request, _("请填写年度"))
        return redirect("points:alerts")
    job = services.start_alert_refresh(int(year), user=request.user)
    return redirect("core:job", pk=job.pk)


def _condition_text(c) -> str:
    """A condition in words, its threshold in the field's unit: 研发费用增长率 小于 -20%."""
    if c.op in ("is_true", "is_false"):
        return alerts_engine.OP_LABELS[c.op]
    if c.op == "within_months":
        return _("在基准日起 %(n)s 个月内（含当天）") % {"n": labels.number_text(c.value)}
    return f"{alerts_engine.OP_LABELS[c.op]} {labels.field_value_text(c.field, c.value)}"


def _rule_rows(ruleset) -> list[dict]:
    return [
        {
            "rule": r,
            "severity": alerts_engine.SEVERITY_LABELS[r.severity],
            "conditions": [{"field": c.field, "text": _condition_text(c)} for c in r.when],
            # {rd_expense:wan} placeholders read as 〔研发费用〕: what the message will show there.
            "message": alerts_engine.PLACEHOLDER.sub(lambda m: f"〔{labels.label(m.group(2))}〕", r.message),
        }
        for r in ruleset.rules
    ]


@login_required
def alert_rules(request):
    """The alert rules in force (on today or `?on=`), their versions and, for admins, the rule editor."""
    user = request.user
    _require(selectors.can_view_alert_rules(user))
    if request.method == "POST":
        _require(user.can_admin)
    today = timezone.localdate()
    on = parse_date(request.GET.get("on") or "") or today
    current = selectors.alert_rules(today)
    ruleset = current if on == today else selectors.alert_rules(on)
    form, editor, errors = None, None, []
    if user.can_admin:
        form = AlertRulesForm(request.POST or None, initial={"effective_from": today})
        posted = request.POST if request.method == "POST" else None
        if posted is not None and form.is_valid():
            d = form.cleaned_data
            try:
                version = services.add_alert_rule_version(
                    user=user,
                    rules_data=forms.read_alert_rules(posted),
                    effective_from=d["effective_from"],
                    source=d["source"],
                    note=d["note"],
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(
                    request, _("已保存监测预警规则，自 %(d)s 起生效。") % {"d": f"{version.effective_from:%Y-%m-%d}"}
                )
                return redirect("points:alert_rules")
        editor = {
            "rows": forms.alert_rule_rows(current, posted),
            "fields": forms.field_choices(),
            "ops": alerts_engine.OP_LABELS.items(),
            "severities": alerts_engine.SEVERITY_LABELS.items(),
        }
    versions = selectors.alert_rule_versions()
    records = selectors.alert_rule_records()
    params = selectors.alert_params(ruleset, on)
    return render(
        request,
        "points/alert_rules.html",
        {
            "ruleset": ruleset,
            "rows": _rule_rows(ruleset),
            "parameters": [(ruleset.parameters[n].label, params[n], params.version(n)) for n in params],
            "on": on,
            "today": today,
            "versions": [(v, records.get(v.key)) for v in versions],
            "in_force_today": current.key,
            "form": form,
            "editor": editor,
            "errors": errors,
        },
    )


# --------------------------------------------------------------------------------------------------
# Runs and schemes


@login_required
def runs(request):
    _require(selectors.can_view_leaderboard(request.user))
    if request.method == "POST":  # starting a run is the bureau's
        _require(request.user.is_bureau)
    form = ScoringForm(request.POST or None, initial={"scheme_id": "core18"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = services.start_scoring(data["year"], data["scheme_id"], user=request.user, as_of=data["as_of"])
        return redirect("core:job", pk=job.pk)
    page = Paginator(selectors.runs().select_related("created_by"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "points/runs.html", {"form": form, "page": page})


@login_required
def scheme_list(request):
    _require(selectors.can_view_leaderboard(request.user))
    items = [{"scheme": s, "shipped": schemes.is_shipped(s.key)} for s in schemes.all_schemes()]
    return render(request, "points/schemes.html", {"items": items})


def _scheme_or_404(key):
    scheme = schemes.scheme_by_key(key)
    if scheme is None:
        raise Http404(_("方案版本不存在"))
    return scheme


@login_required
def scheme_detail(request, key):
    _require(selectors.can_view_leaderboard(request.user))
    scheme = _scheme_or_404(key)
    return render(request, "points/scheme_detail.html", {"scheme": scheme, "shipped": schemes.is_shipped(key)})


@login_required
def scheme_copy(request, key):
    _require(request.user.can_admin)
    scheme = _scheme_or_404(key)
    form = SchemeVersionForm(request.POST or None, scheme=scheme)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.create_scheme_version(
                user=request.user,
                base_key=key,
                effective_from=form.cleaned_data["effective_from"],
                weights=form.weights(),
                bands=form.bands(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for m in _errors(exc):
                form.add_error(None, m)
        else:
            messages.success(request, _("已保存新版本 %(k)s。") % {"k": version.key})
            return redirect("points:scheme", key=version.key)
    return render(request, "points/scheme_copy.html", {"scheme": scheme, "form": form})


def _back_to(request) -> str:
    """Where to return after handling an alert: the posted `next` if it is a page of this site."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("points:alerts")
