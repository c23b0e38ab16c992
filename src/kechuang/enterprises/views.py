"""Registry pages. Views validate input and call selectors (reads) and services (writes); nothing else."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kechuang.accounts import access
from kechuang.carriers.models import Residency
from kechuang.core import audit, exports, jobs
from kechuang.core.excel import attachment
from kechuang.core.models import Industry, Region
from kechuang.core.paging import CappedPaginator
from kechuang.engine import facts
from kechuang.engine.facts_file import FactsFileError

from . import exporting, importing, previews, selectors, services
from .filters import EnterpriseFilter, filter_choices
from .forms import FigureForm, ImportForm, ProfileForm, QualificationForm
from .models import FigureSubmission

PAGE_SIZE = 50

# Figures shown in the year table and chart on the enterprise page (the rest are in the export).
KEY_FIGURES = (
    "staff_total",
    "tech_staff",
    "revenue",
    "rd_expense",
    "net_profit",
    "total_assets",
    "invention_patents",
    "utility_models",
    "software_copyrights",
    "hte_certified",
)


def _require(flag: bool):
    if not flag:
        raise PermissionDenied(_("无权执行此操作"))


@login_required
@access.area_required("enterprises")
def enterprise_list(request):
    form = EnterpriseFilter(request.GET or None)
    qs = selectors.enterprises_for(request.user)
    qs = form.apply(qs) if request.GET else qs.order_by("name", "pk")
    rows = qs.only("uscc", "name", "registered_on", "origin", "region_id", "industry_id")
    paginator = CappedPaginator(rows, PAGE_SIZE, keys_first=True)  # a count that stops at 10,000 (core.paging)
    page = paginator.get_page(request.GET.get("page"))
    _attach_reference_names(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        **filter_choices(),
        "origin_labels": facts.ORIGIN_LABELS,
    }
    template = "enterprises/_rows.html" if request.headers.get("HX-Request") else "enterprises/list.html"
    return render(request, template, context)


def _attach_reference_names(enterprises) -> None:
    """Region and industry names for a page of rows: two small lookups instead of joins in the page query,
    which would stop the database from walking the sort index (see the indexes on Enterprise)."""
    rows = list(enterprises)
    regions = dict(Region.objects.filter(code__in={e.region_id for e in rows}).values_list("code", "name"))
    industries = dict(Industry.objects.filter(code__in={e.industry_id for e in rows}).values_list("code", "name"))
    for e in rows:
        e.region_name = regions.get(e.region_id)
        e.industry_name = industries.get(e.industry_id)


@login_required
def enterprise_detail(request, uscc):
    enterprise = selectors.enterprise_for(request.user, uscc)
    figures = list(selectors.figures_for(request.user, enterprise))
    columns = [facts.BY_NAME[n] for n in KEY_FIGURES]
    chart = {
        "years": [f.year for f in figures],
        "revenue": [None if f.revenue is None else float(f.revenue) for f in figures],
        "rd_expense": [None if f.rd_expense is None else float(f.rd_expense) for f in figures],
    }
    context = {
        "enterprise": enterprise,
        "figures": figures,
        "figure_rows": [(c, [getattr(f, c.name) for f in figures]) for c in columns],
        "all_rows": [
            (c, [getattr(f, c.name) for f in figures]) for c in facts.COLUMNS if not c.static and c.name != "year"
        ],
        "chart_json": json.dumps(chart),
        "qualifications": enterprise.qualifications.all(),
        "residencies": Residency.objects.filter(enterprise=enterprise).select_related("carrier"),
        "events": _readable(_events_for(request.user, enterprise)[:100]),
        "submissions": selectors.submissions_for(request.user).filter(enterprise=enterprise)[:20],
        "hightech_field": facts.HIGHTECH_FIELD_LABELS.get(enterprise.hightech_field, ""),
        "origin": facts.ORIGIN_LABELS.get(enterprise.origin, ""),
    }
    return render(request, "enterprises/detail.html", context)


# Registry events a firm or a park may see; bureau-internal work (alert handling, claw-back flags, budgets)
# stays with the bureau.
REGISTRY_ACTIONS = r"^(enterprise|figure|submission|qualification)\."


def _readable(events) -> list:
    """The events with their notes' rule references (code@date) by name: the names read once, not per note."""
    events, names = list(events), audit.rule_names()
    for e in events:
        e.note = audit.note_text(e.note, names)
    return events


def _events_for(user, enterprise):
    events = enterprise.audit_events.select_related("actor")
    return events if user.is_bureau else events.filter(action__regex=REGISTRY_ACTIONS)


@login_required
def enterprise_edit(request, uscc):
    _require(request.user.can_edit_enterprises)
    enterprise = selectors.enterprise_for(request.user, uscc)
    initial = {n: getattr(enterprise, n) for n in ProfileForm.names}
    form = ProfileForm(request.POST or None, initial_values=initial, initial={"name": enterprise.name})
    if request.method == "POST" and form.is_valid():
        values = dict(form.values)
        values["name"] = form.cleaned_data["name"]
        changes = services.update_enterprise(enterprise, values, actor=request.user)
        messages.success(request, _("已保存，修改 %(n)d 项。") % {"n": len(changes)})
        return redirect(enterprise)
    return render(
        request, "enterprises/edit.html", {"enterprise": enterprise, "form": form, "title": _("编辑企业信息")}
    )


@login_required
def figure_edit(request, uscc, year=None):
    """Bureau staff edit a year's figures directly; an enterprise user submits them for confirmation."""
    user = request.user
    _require(user.can_edit_enterprises or user.can_submit_figures)
    enterprise = selectors.enterprise_for(user, uscc)
    figure = enterprise.figures.filter(year=year).first() if year else None
    initial = {n: getattr(figure, n) for n in facts.ANNUAL_NAMES} if figure else {}
    form = FigureForm(request.POST or None, initial_values=initial, initial={"year": year})
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        if user.can_edit_enterprises:
            changes = services.save_figure(enterprise, year, form.values, actor=user)
            messages.success(request, _("%(y)s 年度数据已保存，修改 %(n)d 项。") % {"y": year, "n": len(changes)})
            return redirect(enterprise)
        try:
            services.submit_figures(enterprise, year, form.values, actor=user)
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            messages.success(request, _("%(y)s 年度数据已提交，等待科技局确认。") % {"y": year})
            return redirect(enterprise)
    title = _("填报年度数据") if not user.can_edit_enterprises else _("编辑年度数据")
    return render(request, "enterprises/edit.html", {"enterprise": enterprise, "form": form, "title": title})


@login_required
def qualification_add(request, uscc):
    _require(request.user.can_edit_enterprises)
    enterprise = selectors.enterprise_for(request.user, uscc)
    form = QualificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_qualification(enterprise, form.cleaned_data, actor=request.user)
        messages.success(request, _("资质已添加。"))
        return redirect(enterprise)
    return render(request, "enterprises/edit.html", {"enterprise": enterprise, "form": form, "title": _("添加资质")})


@login_required
def submissions(request):
    _require(access.any_allowed(request.user, "submissions", "my_submissions"))
    qs = selectors.submissions_for(request.user)
    status = request.GET.get("status", FigureSubmission.Status.SUBMITTED)
    if status:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "enterprises/submissions.html",
        {
            "page": page,
            "status": status,
            "statuses": FigureSubmission.Status.choices,
            "labels": {c.name: c.label for c in facts.COLUMNS},
        },
    )


@login_required
@require_POST
def submission_review(request, pk):
    _require(request.user.can_confirm_figures)
    submission = get_object_or_404(selectors.submissions_for(request.user), pk=pk)
    approve = request.POST.get("decision") == "confirm"
    try:
        services.review_submission(submission, actor=request.user, approve=approve, note=request.POST.get("note", ""))
    except Exception as exc:  # a stale or invalid submission is reported, never half-applied
        messages.error(request, str(getattr(exc, "message", exc)))
    else:
        messages.success(request, _("已确认并写入年度数据。") if approve else _("已退回。"))
    return redirect("enterprises:submissions")


@login_required
def import_page(request):
    _require(request.user.can_import)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        dry_run = form.cleaned_data["dry_run"]
        if importing.count_rows(content, upload.name) > settings.IMPORT_BACKGROUND_ROWS:
            job = _start_import(request.user, _store_upload(content, upload.name), upload.name, dry_run=dry_run)
            return redirect("core:job", pk=job.pk)
        try:
            report = importing.import_facts(
                Path(upload.name), content=content, actor=request.user, dry_run=dry_run, display_name=upload.name
            )
        except FactsFileError as exc:
            form.add_error("file", exc.message)
        else:
            importing.follow_up(report, owner=request.user, content=content)
    return _import_page(request, form, report)


def _import_page(request, form, report):
    context = {
        "form": form,
        "report": report,
        "background_rows": settings.IMPORT_BACKGROUND_ROWS,
        "preview_hours": settings.IMPORT_PREVIEW_HOURS,
    }
    return render(request, "enterprises/import.html", context)


def _start_import(user, stored: Path, name: str, *, dry_run: bool, expected_rows: int | None = None):
    return jobs.start(
        kind="import_facts",
        title=f"导入 {name}",
        user=user,
        func="kechuang.enterprises.importing.import_job",
        path=str(stored),
        display_name=name,
        actor_id=user.pk,
        dry_run=dry_run,
        expected_rows=expected_rows,
    )


@login_required
@require_POST
def import_confirm(request, token):
    """确认导入: import the file a preview checked, kept on the server (no second upload). Only its uploader,
    within IMPORT_PREVIEW_HOURS, once."""
    _require(request.user.can_import)
    kept = previews.claim(token, request.user)
    if kept is None:
        messages.error(request, _("预览已过期、已导入或不存在，未导入任何数据，请重新上传文件。"))
        return redirect("enterprises:import")
    expected = kept.report["accepted_rows"]
    if kept.report["total_rows"] > settings.IMPORT_BACKGROUND_ROWS:
        stored = _store_upload(kept.file.read_bytes(), kept.display_name)
        previews.discard(kept)
        job = _start_import(request.user, stored, kept.display_name, dry_run=False, expected_rows=expected)
        return redirect("core:job", pk=job.pk)
    report = None
    try:
        report = importing.import_facts(
            kept.file, actor=request.user, display_name=kept.display_name, expected_rows=expected
        )
    except FactsFileError as exc:
        messages.error(request, exc.message)
    else:
        importing.follow_up(report, owner=request.user)
    finally:
        previews.discard(kept)
    return _import_page(request, ImportForm(), report)


@login_required
def import_rejected(request, token):
    """The rejected rows of an import report as Excel, for the user who imported (audited: firms' data leave)."""
    _require(request.user.can_import)
    kept = previews.load(token, request.user)
    if kept is None:
        raise Http404(_("导入报告已过期或不存在，请重新上传文件"))
    name = f"{Path(kept.display_name).stem}_被拒绝的行_{timezone.localdate():%Y%m%d}.xlsx"
    return attachment(importing.rejected_rows_download(kept, request.user), name)


def _store_upload(content: bytes, name: str) -> Path:
    folder = settings.DATA_DIR / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=Path(name).suffix.lower(), delete=False) as handle:
        handle.write(content)
    return Path(handle.name)


@login_required
def import_template(request):
    _require(request.user.can_import)
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        exporting.write_template(Path(handle.name))
        data = Path(handle.name).read_bytes()
    return attachment(data, "企业年度数据导入模板.xlsx")


@login_required
def export(request):
    """The list's firms and years as Excel: at once when small, else a background job with a download link."""
    _require(request.user.can_export)
    query = request.GET.urlencode()
    qs = exporting.enterprises_for(request.user, query)
    rows = exporting.facts_rows(qs)
    if exports.is_large(rows):
        job = exports.start(
            user=request.user,
            title=_("导出企业年度数据（%(n)d 行）") % {"n": rows},
            writer="kechuang.enterprises.exporting.write_facts_for",
            filename=exporting.export_filename(),
            total=rows,
            user_id=request.user.pk,
            query=query,
        )
        return redirect("core:job", pk=job.pk)
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        exporting.write_facts(Path(handle.name), qs)
        data = Path(handle.name).read_bytes()
    return attachment(data, exporting.export_filename())
