"""Pages of the technology-contract register: the list (filters, pages, Excel), recording a contract, a contract
with the engine's decision for the clerk to confirm, the certificate PDF, and the statistics (Excel).

Views check the role, validate and call services/selectors; a denied page is 403, a contract outside the user's
scope 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from kechuang.core import exports
from kechuang.core.excel import attachment, xlsx_response
from kechuang.engine.techtransfer.contracts import type_names

from . import selectors, services
from .forms import ContractForm, DecisionForm, StatisticsForm
from .models import TechContract

PAGE_SIZE = 50
STATS_HEADER = ["分组", "登记合同数", "合同成交额（万元）", "技术交易额（万元）"]


def _require(flag: bool, message: str) -> None:
    if not flag:
        raise PermissionDenied(message)


@login_required
def contracts(request):
    user = request.user
    _require(selectors.can_use(user), _("无权查看技术合同"))
    get = request.GET
    status = get.get("status", "") if get.get("status", "") in TechContract.Status.values else ""
    names = type_names()
    kind = get.get("type", "") if get.get("type", "") in names else ""
    start, end = _date(get.get("start")), _date(get.get("end"))
    q = get.get("q", "").strip()[:64]
    if get.get("format") == "xlsx":
        return exports.respond(
            request,
            "kechuang.techtransfer.exporting.contracts_table",
            status=status,
            type=kind,
            q=q,
            start=start and start.isoformat(),
            end=end and end.isoformat(),
        )
    qs = selectors.filtered(selectors.contracts_for(user), status=status, type=kind, q=q, start=start, end=end)
    page = Paginator(qs, PAGE_SIZE).get_page(get.get("page"))
    return render(
        request,
        "techtransfer/contracts.html",
        {
            "page": page,
            "status": status,
            "type": kind,
            "q": q,
            "start": start,
            "end": end,
            "statuses": TechContract.Status.choices,
            "types": names.items(),
            "today": timezone.localdate(),
            "can_decide": selectors.can_decide(user),
        },
    )


def _date(text):
    """A filter date, or None for an empty or impossible one (the list then ignores it)."""
    try:
        return parse_date(text or "")
    except ValueError:
        return None


@login_required
def contract_new(request):
    _require(selectors.can_record(request.user), _("无权登记技术合同"))
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            c = services.record(user=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, "；".join(exc.messages))
        else:
            messages.success(request, _("已提交认定登记，办结时限 %(d)s") % {"d": c.due_on})
            return redirect("techtransfer:contract", c.pk)
    return render(request, "techtransfer/contract_form.html", {"form": form})


@login_required
def contract_detail(request, pk: int):
    user = request.user
    _require(selectors.can_use(user), _("无权查看技术合同"))
    c = selectors.contract_for(user, pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        _require(selectors.can_decide(user), _("只有科技局工作人员可以认定登记技术合同"))
        if form.is_valid():
            try:
                c = services.decide(user=user, contract=c, refuse_reason=form.cleaned_data["refuse_reason"])
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            else:
                messages.success(request, c.reason)
            return redirect("techtransfer:contract", c.pk)
    proposal = None
    if c.status == TechContract.Status.SUBMITTED:
        try:
            proposal = services.proposal(c)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    return render(
        request,
        "techtransfer/contract.html",
        {
            "c": c,
            "proposal": proposal,
            "form": form,
            "can_decide": selectors.can_decide(user),
            "rule": services.rule_name(c.rule_key) if c.rule_key else "",
            "today": timezone.localdate(),
        },
    )


@login_required
def certificate(request, pk: int):
    _require(selectors.can_use(request.user), _("无权查看技术合同"))
    c = selectors.contract_for(request.user, pk)
    if c.status != TechContract.Status.REGISTERED:
        raise Http404(_("该合同未登记，没有登记证明"))
    from weasyprint import HTML

    html = render_to_string(
        "techtransfer/certificate_pdf.html",
        {"c": c, "rule": services.rule_name(c.rule_key), "generated_at": timezone.localtime()},
    )
    return attachment(HTML(string=html).write_pdf(), f"技术合同登记证明_{c.registration_no}.pdf", "application/pdf")


@login_required
def statistics(request):
    user = request.user
    _require(selectors.can_decide(user), _("只有科技局可以查看技术合同统计"))
    form = StatisticsForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    by, period = data.get("by") or "period", data.get("period") or "quarter"
    rows = selectors.statistics(user, by=by, period=period, start=data.get("start"), end=data.get("end"))
    total = selectors.totals(rows)
    if request.GET.get("format") == "xlsx":
        body = [[r["label"], r["count"], float(r["total_amount"]), float(r["tech_amount"])] for r in rows]
        body.append([_("合计"), total["count"], float(total["total_amount"]), float(total["tech_amount"])])
        return xlsx_response(_("技术合同统计"), STATS_HEADER, body)
    return render(
        request,
        "techtransfer/statistics.html",
        {"form": form, "rows": rows, "total": total, "by": by, "period": period, "by_label": selectors.DIMENSIONS[by]},
    )
