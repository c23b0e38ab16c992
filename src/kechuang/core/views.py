from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from kechuang.accounts import access
from kechuang.carriers.models import Carrier, Residency
from kechuang.enterprises import selectors
from kechuang.enterprises.models import AnnualFigure

from . import audit, exports, workbench
from .audit_log import AUDIT_HEADER, AuditFilter, export_rows
from .audit_log import events_for as audit_events_for
from .excel import xlsx_response
from .models import Job

PAGE_SIZE = 50
# An export is built in memory; past this many rows the admin is asked to narrow the filters first.
EXPORT_MAX_ROWS = 100_000


@login_required
def home(request):
    user = request.user
    if user.is_audit_admin:  # reads the audit log and nothing else
        return redirect("core:audit")
    enterprises = selectors.enterprises_for(user)
    latest_year = (
        AnnualFigure.objects.filter(enterprise__in=enterprises).order_by("-year").values_list("year", flat=True).first()
    )
    counts = {
        "enterprises": enterprises.count(),
        "figures": AnnualFigure.objects.filter(enterprise__in=enterprises).count(),
        "latest_year": latest_year,
        "carriers": Carrier.objects.count() if user.is_bureau else None,
        "residents": Residency.objects.filter(enterprise__in=enterprises, end__isnull=True).count(),
        "pending": selectors.submissions_for(user).filter(status="submitted").count(),
    }
    recent_jobs = Job.objects.filter(created_by=user)[:5]
    # The registry overview is for those who work across firms (not a firm's own account, nor a bank's).
    overview = access.allowed(user, "enterprises") and user.role != "enterprise_user"
    context = {"counts": counts, "overview": overview, "jobs": recent_jobs, "needs": workbench.needs(user)}
    return render(request, "core/home.html", context)


@login_required
def jobs(request):
    """The user's own background jobs; the workbench links here for running, failed and rejected-row imports."""
    status, rejected = request.GET.get("status", ""), request.GET.get("rejected") == "1"
    page = Paginator(workbench.jobs_for(request.user, status, rejected), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/jobs.html", {"page": page, "status": status, "rejected": rejected})


def not_found(request, exception=None):
    """The 404 page, with the reason when the code that refused gave one for users: our own messages are
    Chinese ("评价批次已作废"); Django's (URL resolution, get_object_or_404) are English, for developers."""
    message = exception.args[0] if exception is not None and exception.args else None
    message = str(message) if isinstance(message, (str, Promise)) else ""
    reason = message if any("\u4e00" <= ch <= "\u9fff" for ch in message) else None
    if request.path.startswith("/api/"):  # the API answers in JSON, as its document says, even for a bad URL
        return JsonResponse({"detail": reason or _("未找到或无权查看")}, status=404)
    return render(request, "404.html", {"reason": reason}, status=404)


@login_required
def job_detail(request, pk):
    job = get_object_or_404(Job.objects.filter(created_by=request.user), pk=pk)
    template = "core/_job_status.html" if request.headers.get("HX-Request") else "core/job.html"
    return render(request, template, {"job": job})


@login_required
def job_download(request, pk):
    """The file of a finished export job: its owner's or a bureau administrator's, each download audited."""
    job = get_object_or_404(Job.objects.filter(kind=exports.KIND), pk=pk)
    if not exports.may_download(request.user, job):
        raise PermissionDenied(_("只有导出人或科技局管理员可以下载此文件"))
    path = exports.path_for(job.pk)
    if job.status != Job.Status.DONE or not path.exists():
        raise Http404(_("导出文件尚未生成或已被清理"))
    exports.record_download(request.user, job)
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result.get("filename") or path.name)


@login_required
def audit_log(request):
    """Recorded events (who, when, from where, what, old → new): filter, page, export (itself audited)."""
    if not request.user.can_read_audit:
        raise PermissionDenied(_("只有审计管理员和科技局管理员可以查看操作日志"))
    form = AuditFilter(request.GET, security=request.user.is_audit_admin)
    events = form.apply(audit_events_for(request.user))
    if request.GET.get("format") == "xlsx":
        count = events.count()
        if count <= EXPORT_MAX_ROWS:
            audit.record(
                actor=request.user,
                action="audit.export",
                object_type="core.auditevent",
                object_id="",
                note=_("导出 %(n)s 条审计记录（筛选：%(f)s）")
                % {"n": count, "f": request.GET.urlencode()[:300] or _("无")},
            )
            # The audit admin reaches the audit log alone (accounts.middleware), not the job pages: their
            # export stays immediate, within EXPORT_MAX_ROWS.
            if exports.is_large(count) and not request.user.is_audit_admin:
                return _audit_export_job(request, count)
            return xlsx_response("操作日志", AUDIT_HEADER, export_rows(events))
        messages.error(
            request,
            _("共 %(count)s 条记录，超过导出上限 %(max)s 条，请缩小筛选范围后再导出")
            % {"count": count, "max": EXPORT_MAX_ROWS},
        )
    query = request.GET.copy()
    for key in ("page", "format"):
        query.pop(key, None)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    accounts = _account_names(page.object_list)
    names = audit.rule_names()
    for e in page.object_list:
        e.note = audit.note_text(e.note, names)
        e.action_text = audit.action_label(e.action)
        e.object_text = audit.object_type_label(e.object_type)
        e.object_name = accounts.get(e.object_id, e.object_id) if e.object_type == "accounts.user" else e.object_id
        e.changes_shown = audit.changes_text(e.object_type, e.changes)
    return render(
        request,
        "core/audit_log.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "retention_days": audit.retention_days(),
            "security": request.user.is_audit_admin,
        },
    )


def _audit_export_job(request, count: int):
    """A large audit export: a job only its owner downloads (each export is audited as its maker's)."""
    query = request.GET.copy()
    for key in ("page", "format"):
        query.pop(key, None)
    job = exports.start(
        user=request.user,
        title=_("导出操作日志（%(n)d 条）") % {"n": count},
        writer="kechuang.core.audit_log.write_export",
        filename=f"操作日志_{timezone.localdate():%Y%m%d}.xlsx",
        total=count,
        owner_only=True,
        user_id=request.user.pk,
        query=query.urlencode(),
    )
    return redirect("core:job", pk=job.pk)


def _account_names(events) -> dict[str, str]:
    """Usernames of the accounts a page of events is about (one query), so rows read 用户 bureau_staff."""
    ids = {e.object_id for e in events if e.object_type == "accounts.user" and e.object_id.isdigit()}
    users = get_user_model().objects.filter(pk__in=ids).values_list("pk", "username") if ids else []
    return {str(pk): name for pk, name in users}


def csrf_failure(request, reason=""):
    """Django's CSRF refusal, in Chinese: the form was opened too long ago or came from another site."""
    return render(request, "403_csrf.html", status=403)
