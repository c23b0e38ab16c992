"""Tier pipeline pages: counts, flows, near misses, expiring certificates, an enterprise's tiers, parameters."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.accounts import access
from kechuang.core import exports
from kechuang.core.excel import attachment, workbook_bytes
from kechuang.engine import clock
from kechuang.engine.tiers import list_rulesets, monitoring
from kechuang.engine.tiers.model import all_rulesets
from kechuang.engine.tiers.values import example
from kechuang.enterprises import selectors as enterprise_selectors
from kechuang.enterprises.filters import EnterpriseFilter, filter_choices
from kechuang.rules import region
from kechuang.rules import services as rule_services

from . import bands, exporting, labels, selectors, services
from .forms import EvaluationForm, ParameterVersionForm, VoidRunForm
from .models import PIPELINE, TIER_LABELS, UPGRADES, TierRun

PAGE_SIZE = 50


def _require_pipeline(user):
    if not access.allowed(user, "tiers"):
        raise PermissionDenied(_("无权查看企业梯队"))


def _run_from(request) -> TierRun | None:
    run_id = request.GET.get("run")
    if run_id:
        if not run_id.isdigit():
            raise Http404(_("评价批次不存在"))
        voided = selectors.voided_runs().filter(pk=int(run_id)).first()
        if voided is None:
            run = selectors.runs().filter(pk=int(run_id)).first()
            if run is None:
                raise Http404(_("评价批次不存在"))
            return run
        # An old link to a voided run: the page says so and shows the latest run; an export is refused
        # rather than silently listing another run.
        if request.GET.get("format") == "xlsx":
            raise Http404(_("评价批次已作废"))
        messages.warning(
            request,
            _("评价批次 #%(n)s（基准日 %(d)s）已作废：%(r)s。以下为最近一次有效评价。")
            % {"n": voided.pk, "d": f"{voided.as_of:%Y-%m-%d}", "r": voided.voided_reason},
        )
    return selectors.latest_run()


@login_required
def pipeline(request):
    _require_pipeline(request.user)
    run = _run_from(request)
    results = selectors.results_for(request.user, run)
    counts = {(r["tier"], r["qualified"]): r["n"] for r in results.values("tier", "qualified").annotate(n=Count("id"))}
    visible = results.values("enterprise_id").distinct().count()  # a park operator's firms, not the region
    stages = [
        [
            {
                "tier": t,
                "label": TIER_LABELS.get(t, t),
                "true": counts.get((t, "true"), 0),
                "unknown": counts.get((t, "unknown"), 0),
                "false": counts.get((t, "false"), 0),
            }
            for t in stage
        ]
        for stage in PIPELINE
    ]
    flows = _flows(request.user, run)
    if request.GET.get("format") == "xlsx" and run is not None:
        return _pipeline_export(run, stages, flows)
    context = {
        "run": run,
        "runs": selectors.runs().select_related("created_by")[:20],
        "stages": stages,
        "visible": visible,
        "flows": flows,
        "near_misses": _near_misses(request.user, run)[0][:20],
        "expiring": _expiring(request.user)[:20],
        "form": EvaluationForm(initial={"as_of": clock.today()}, variants=region.variant_choices(clock.today())),
        "can_run": request.user.is_bureau,
        "can_void": request.user.can_admin,
        "void_form": VoidRunForm(),
        "voided": selectors.voided_runs()[:10] if request.user.is_bureau else [],
    }
    return render(request, "tiers/pipeline.html", context)


def _pipeline_export(run: TierRun, stages: list, flows) -> HttpResponse:
    """The pipeline page's tables as one workbook: counts per tier, flows and upgrades since the run compared."""
    sheets = [
        (
            "梯队数量",
            ["梯队", "达标", "待定", "未达标"],
            [[t["label"], t["true"], t["unknown"], t["false"]] for stage in stages for t in stage],
        )
    ]
    if flows:
        since = f"{flows['previous'].as_of:%Y-%m-%d}"
        sheets.append(
            (
                f"梯队流动（与{since}比）",
                ["梯队", "上期", "本期", "新进入", "退出", "保持"],
                [[f["label"], f["before"], f["after"], f["entered"], f["left"], f["stayed"]] for f in flows["rows"]],
            )
        )
        sheets.append(
            (
                f"梯队升级（与{since}比）",
                ["从", "到", "企业数"],
                [[u["from"], u["to"], u["n"]] for u in flows["upgrades"]],
            )
        )
    title = exporting.export_title("企业梯队汇总", run)
    return attachment(workbook_bytes(sheets), f"{title}_{clock.today():%Y%m%d}.xlsx")


def _flows(user, run):
    """Per tier and per upgrade, year on year: this run against the latest one early enough to be its baseline
    (engine.tiers.monitoring decides both the baseline date and the counts)."""
    if run is None:
        return []
    cutoff = monitoring.baseline_before(run.as_of, selectors.monitoring_params(run.as_of))
    previous = selectors.runs().filter(as_of__lte=cutoff).first()
    if previous is None:
        return []

    def qualified(r):
        return selectors.results_for(user, r).filter(qualified="true").values_list("tier", "enterprise_id")

    counted = monitoring.flows(qualified(previous), qualified(run), PIPELINE, UPGRADES)
    rows = [{**row, "label": TIER_LABELS.get(row["tier"], row["tier"])} for row in counted["rows"]]
    upgrades = [{**u, "from": TIER_LABELS[u["from"]], "to": TIER_LABELS[u["to"]]} for u in counted["upgrades"]]
    return {"previous": previous, "rows": rows, "upgrades": upgrades}


def _near_misses(user, run, tier: str | None = None, request=None) -> tuple[QuerySet, dict]:
    """Firms one requirement short of a tier (exporting.near_misses), narrowed by the request's enterprise
    filters when given; and the filter context."""
    if request is None:
        return exporting.near_misses(user, run, tier), {}
    return exporting.near_misses(user, run, tier, exporting.filters_of(request.GET)), _filter_context(request)


def _expiring(user, today: dt.date | None = None):
    return list(selectors.expiring_certificates(user, today or clock.today()))


def _filter_context(request) -> dict:
    """What a page needs to show the enterprise filters (name/USCC, region, industry, carrier) of the request
    and to carry them into its export link (exporting.narrowed applies them)."""
    form = EnterpriseFilter(request.GET)
    query = request.GET.copy()
    for key in ("page", "format"):
        query.pop(key, None)
    return {"form": form, "query": query.urlencode(), **filter_choices()}


@login_required
def near_misses(request):
    _require_pipeline(request.user)
    run = _run_from(request)
    tier = request.GET.get("tier") or None
    if tier and tier not in TIER_LABELS:
        raise Http404(_("没有这个梯队"))
    rows, filters = _near_misses(request.user, run, tier, request)
    reachable = request.GET.get("reachable") == "1"
    if reachable:  # only firms a single-field change brings to the tier (not, say, one too old for it)
        rows = rows.filter(gap_size__isnull=False)
    if request.GET.get("format") == "xlsx":
        return exports.respond(
            request,
            "kechuang.tiers.exporting.near_misses_table",
            run_id=run.pk if run else None,
            tier=tier,
            reachable=reachable,
            filters=exporting.filters_of(request.GET),
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tiers/near_misses.html",
        {"run": run, "page": page, "tier": tier, "reachable": reachable, "tiers": TIER_LABELS, **filters},
    )


EXPIRING_LISTS = {
    "hte": gettext_lazy("高企证书 6 个月内到期"),
    "titles": gettext_lazy("梯度称号 6 个月内到期"),
    "reports": gettext_lazy("高企年度报表待填报或逾期"),
}


@login_required
def expiring(request):
    """What lapses soon: 高企 certificates (re-apply before expiry), 梯度 titles (3-year validity, from the rule
    sets' dated parameters) and 高企 annual reports (due by 31 May; two missed cancel the status)."""
    _require_pipeline(request.user)
    kind = request.GET.get("list", "hte")
    if kind not in EXPIRING_LISTS:
        raise Http404(_("没有这个清单"))
    if request.GET.get("format") == "xlsx":
        return exports.respond(request, "kechuang.tiers.exporting.expiring_table", kind=kind)
    today = clock.today()
    rows = exporting.expiring_rows(request.user, kind, today)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tiers/expiring.html",
        {"page": page, "kind": kind, "lists": EXPIRING_LISTS, "query": f"list={kind}", "today": today},
    )


@login_required
def tier_list(request, tier):
    """Firms of one tier in a run, with their route and score; exportable."""
    _require_pipeline(request.user)
    if tier not in TIER_LABELS:
        raise Http404(_("没有这个梯队"))
    run = _run_from(request)
    qualified = request.GET.get("qualified", "true")
    if qualified not in labels.QUALIFIED:
        raise Http404(_("没有这个结论（应为达标、未达标或待定）"))
    # Why a result is undecided (`pending_text`) reads its explanation: computed for the listed ones together.
    pending = qualified == "unknown"
    if request.GET.get("format") == "xlsx":
        return exports.respond(
            request,
            "kechuang.tiers.exporting.tier_list_table",
            run_id=run.pk if run else None,
            tier=tier,
            qualified=qualified,
            filters=exporting.filters_of(request.GET),
        )
    filters = _filter_context(request)
    qs = exporting.tier_results(request.user, run, tier, qualified, exporting.filters_of(request.GET))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if pending:
        services.explain(page.object_list)
    return render(
        request,
        "tiers/tier_list.html",
        {
            "run": run,
            "page": page,
            "tier": tier,
            "qualified": qualified,
            "label": TIER_LABELS.get(tier, tier),
            **filters,
        },
    )


@login_required
def evaluate(request):
    if request.method != "POST":
        return redirect("tiers:pipeline")
    form = EvaluationForm(request.POST, variants=region.variant_choices(clock.today()))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("tiers:pipeline")
    try:
        job = services.start_evaluation(
            form.cleaned_data["as_of"], user=request.user, local_set=form.cleaned_data["local_set"]
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("tiers:pipeline")
    return redirect("core:job", pk=job.pk)


def _form_errors(form) -> str:
    """A form's errors in one message, each after its field's label: 评价基准日：请输入一个有效的日期。"""
    return "；".join(
        f"{form.fields[name].label}：{e}" if name in form.fields else e
        for name, errs in form.errors.items()
        for e in errs
    )


@login_required
def void_run(request, pk):
    """A bureau admin voids a mistaken run (POST, with a reason); the pipeline then shows the run before it."""
    if request.method != "POST":
        return redirect("tiers:pipeline")
    if not request.user.can_admin:
        raise PermissionDenied(_("只有科技局管理员可以作废评价批次"))
    form = VoidRunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(f"{reverse('tiers:pipeline')}?run={pk}")
    try:
        run = services.void_run(user=request.user, run_id=pk, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("tiers:pipeline")
    messages.success(
        request,
        _("已作废基准日 %(d)s 的评价批次 #%(n)s；各页面改用此前最近一次评价。")
        % {"d": f"{run.as_of:%Y-%m-%d}", "n": run.pk},
    )
    return redirect("tiers:pipeline")


@login_required
def enterprise_tiers(request, uscc):
    """The tiers section of an enterprise page (loaded by htmx): current results and history by year."""
    enterprise = enterprise_selectors.enterprise_for(request.user, uscc)
    run = selectors.latest_run()
    current = list(selectors.results_for(request.user, run).filter(enterprise=enterprise)) if run else []
    order = [t for stage in PIPELINE for t in stage]
    current.sort(key=lambda r: order.index(r.tier) if r.tier in order else 99)
    for r in current:
        r.label = TIER_LABELS.get(r.tier, r.tier)
    services.explain(current)
    history = selectors.history_for(enterprise)
    return render(
        request,
        "tiers/_enterprise.html",
        {
            "enterprise": enterprise,
            "run": run,
            "results": current,
            "history": history,
            "tiers": [(t, TIER_LABELS.get(t, t)) for t in order],
        },
    )


@login_required
def replay(request, pk):
    """Re-run a stored result with its run's date and rule versions; say whether it is reproduced."""
    _require_pipeline(request.user)
    result = get_object_or_404(selectors.results_for_any_run(request.user), pk=pk)
    outcome = services.replay(result)
    return render(request, "tiers/_replay.html", {"result": result, "outcome": outcome})


@login_required
def parameters(request):
    """The tier rule sets in force with their conditions and parameters, and the one editor of a tier
    parameter's new version (the rule pages link here for kind `tiers`): a band table is edited as rows, which
    the rule pages' generic table editor cannot do for a scored range. It writes through `rules.services`."""
    _require_pipeline(request.user)
    as_of = clock.today()
    versions = selectors.parameter_versions()
    rulesets = list_rulesets(as_of, parameter_versions=versions)
    for r in rulesets:
        r["conditions"] = labels.for_ruleset(f"{r['id']}@{r['version']}", as_of, versions).values()
        for p in r["parameters"]:
            p["value_json"] = example(p["value"])  # as the form expects it typed
    # "调整" beside a parameter opens the form with it chosen and its current value to edit; a band table
    # as rows of inputs (bands.py), which a POST turns back into the value.
    chosen = (request.POST or request.GET).get("parameter", "")
    current = next((p["value"] for r in rulesets for p in r["parameters"] if f"{r['id']}:{p['path']}" == chosen), None)
    initial = {"parameter": chosen, "value": example(current)} if current is not None else None
    form = ParameterVersionForm(request.POST or None, rulesets=rulesets, initial=initial)
    if request.method == "POST":
        if not request.user.can_admin:
            raise PermissionDenied(_("只有科技局管理员可以调整规则参数"))
        if form.is_valid():
            data = form.cleaned_data
            ruleset, parameter = data["parameter"]
            try:
                rule_services.add_parameter_version(
                    user=request.user,
                    kind=selectors.RULE_KIND,
                    rule_id=ruleset,
                    parameter=parameter,
                    effective_from=data["effective_from"],
                    value=data["value"],
                    source=data["source"],
                    note=data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages[0])
            else:
                notice = _("已新增参数版本，自 %(d)s 起的评价将使用新值。") % {"d": data["effective_from"]}
                messages.success(request, notice)
                return redirect("tiers:parameters")
    names = {r["id"]: r["name_zh"] for r in rulesets}
    parameter_names = {(r["id"], p["path"]): p["label"] for r in rulesets for p in r["parameters"]}
    added = list(selectors.parameter_versions_added())
    for v in added:
        v.ruleset_name, v.value_json = names.get(v.rule_id, v.rule_id), example(v.value)
        v.parameter_label = parameter_names.get((v.rule_id, v.parameter), v.parameter)
    return render(
        request,
        "tiers/parameters.html",
        {
            "rulesets": rulesets,
            "form": form,
            "versions": added,
            "as_of": as_of,
            "band_editor": _band_editor(chosen, current, form),
        },
    )


def _band_editor(chosen: str, current, form) -> dict | None:
    """The band-table editor for the chosen parameter when it is a band table: its rows (as posted, after
    the service refused them) and what its bounds are compared with."""
    if not bands.is_band_table(current):
        return None
    ruleset_id, _sep, name = chosen.partition(":")
    ruleset = next(r for r in all_rulesets() if r.id == ruleset_id)
    tested = bands.tested_value(ruleset, name)
    # A row can be added where the table compares a value with bounds (not a table of fixed conditions).
    addable = bool(tested) and any(key in row for row in current for key in bands.OPS)
    if form.is_bound and bands.posted(form.data):
        rows = bands.posted_rows(form.data, addable)  # as typed: an error loses nothing
    else:
        rows = bands.editor_rows(current, addable)
    return {
        "rows": rows,
        "count": len(rows),
        "tested": tested,
        "tested_short": tested.split("（")[0],
        "ops": bands.OPS,
        "chosen": chosen,
        "label": f"{ruleset.name}·{ruleset.parameter_labels.get(name, name)}",
    }
