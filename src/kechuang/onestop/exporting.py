"""The service-request inbox as an export (a core.exports.Table builder): built from the user and the inbox's
filters, so that a large export, run later as a job, reads with the user's scope and filters as they are then;
the inbox page reads the same query."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from kechuang.core import exports
from kechuang.engine.onestop import routing

from . import selectors, services
from .models import ServiceRequest

INBOX_FILTERS = ("status", "category", "office", "q")

EXPORT_HEADER = [
    "编号",
    "企业",
    "统一社会信用代码",
    "事项类别",
    "事项",
    "来源",
    "受理窗口",
    "状态",
    "提交日期",
    "受理日期",
    "办结时限",
    "办结日期",
    "时效",
    "满意度",
    "评价意见",
]


def inbox_filters(query) -> dict:
    return {k: query.get(k, "") for k in INBOX_FILTERS}


def requests(user, filters: dict, today: dt.date):
    """The user's requests narrowed by the inbox filters (`overdue`: accepted and past the deadline `today`)."""
    qs = selectors.requests_for(user)
    status, category, office, q = (filters.get(k, "") for k in INBOX_FILTERS)
    if status == "overdue":
        qs = qs.filter(status=ServiceRequest.Status.ACCEPTED, due_on__lt=today)
    elif status == "open":
        qs = qs.filter(status__in=ServiceRequest.OPEN)
    elif status in ServiceRequest.Status.values:
        qs = qs.filter(status=status)
    if category in routing.CATEGORIES:
        qs = qs.filter(category=category)
    if office == "none":
        qs = qs.filter(office__isnull=True)
    elif office.isdigit():
        qs = qs.filter(office_id=int(office))
    if q.strip():
        qs = qs.filter(
            Q(enterprise__name__icontains=q.strip())
            | Q(title__icontains=q.strip())
            | Q(enterprise__uscc__iexact=q.strip().upper())
        )
    return qs


def inbox_table(user, *, filters: dict) -> exports.Table:
    today = timezone.localdate()
    qs = requests(user, filters, today)
    _doc, params = services.routing_params(today)
    rows = (
        [
            r.pk,
            r.enterprise.name,
            r.enterprise.uscc,
            r.get_category_display(),
            r.title,
            r.get_source_display(),
            str(r.office or "待分派"),
            r.get_status_display(),
            r.submitted_on,
            r.accepted_on,
            r.due_on,
            r.finished_on,
            timeliness(r, today, params)["text"],
            r.rating,
            r.rating_comment,
        ]
        for r in exports.in_chunks(qs)
    )
    return exports.Table("服务单", EXPORT_HEADER, rows, qs.count())


def timeliness(req: ServiceRequest, today: dt.date, params) -> dict:
    return routing.timeliness(
        submitted_on=req.submitted_on,
        accepted_on=req.accepted_on,
        due_on=req.due_on,
        finished_on=req.finished_on,
        as_of=today,
        params=params,
    )
