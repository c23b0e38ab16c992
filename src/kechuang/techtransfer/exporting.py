"""Technology-transfer lists as exports (core.exports.Table builders): contracts and achievements, built from
the user and the page's filters so that a large export, run later as a job, reads with the user's scope."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from kechuang.core import exports
from kechuang.engine.techtransfer.contracts import type_names

from . import selectors
from . import supplyselectors as scope
from .models import TechContract
from .supplymodels import Achievement

CONTRACT_HEADER = [
    "合同编号",
    "项目名称",
    "合同类型",
    "卖方",
    "卖方统一社会信用代码",
    "卖方行政区划代码",
    "买方",
    "买方统一社会信用代码",
    "买方国家或地区",
    "买方行政区划代码",
    "签订日期",
    "有效期至",
    "合同成交额（万元）",
    "非技术性款项（万元）",
    "状态",
    "受理日期",
    "办结时限",
    "登记编号",
    "核定技术交易额（万元）",
    "认定意见",
    "认定日期",
]


def contracts_table(user, *, status: str, type: str, q: str, start: str | None, end: str | None) -> exports.Table:
    """The contracts as the list filtered them (dates as ISO text: a job's arguments are JSON)."""
    qs = selectors.filtered(
        selectors.contracts_for(user),
        status=status,
        type=type,
        q=q,
        start=start and dt.date.fromisoformat(start),
        end=end and dt.date.fromisoformat(end),
    )
    names = type_names()
    return exports.Table(
        _("技术合同"), CONTRACT_HEADER, (_contract_row(c, names) for c in exports.in_chunks(qs)), qs.count()
    )


def _contract_row(c: TechContract, names: dict) -> list:
    return [
        c.contract_no,
        c.project,
        names.get(c.type, c.type),
        c.seller_name,
        c.seller_uscc,
        c.seller_region,
        c.buyer_name,
        c.buyer_uscc,
        c.buyer_country,
        c.buyer_region,
        c.signed_on,
        c.valid_to,
        float(c.total_amount),
        float(c.non_tech_amount),
        c.get_status_display(),
        c.received_on,
        c.due_on,
        c.registration_no or "",
        None if c.tech_amount is None else float(c.tech_amount),
        c.reason,
        c.decided_on,
    ]


ACHIEVEMENT_HEADER = [
    "成果名称",
    "类型",
    "机构",
    "技术领域",
    "产业链",
    "IPC 分类",
    "专利公开号",
    "专利权人",
    "法律状态",
    "到期日",
    "技术成熟度",
    "转化方式",
    "报价下限（万元）",
    "报价上限（万元）",
    "技术经理人",
]


def achievements_table(user, *, params: dict) -> exports.Table:
    qs = scope.filter_achievements(scope.achievements_for(user), params)
    return exports.Table(
        _("科技成果"), ACHIEVEMENT_HEADER, (_achievement_row(a) for a in exports.in_chunks(qs)), qs.count()
    )


def _achievement_row(a: Achievement) -> list:
    return [
        a.title,
        a.get_kind_display(),
        a.institution.name,
        a.get_field_display(),
        a.chain.name if a.chain_id else "",
        "、".join(a.ipc),
        a.patent_no or "",
        a.holder,
        a.get_legal_status_display(),
        a.expires_on,
        a.trl,
        a.mode_labels,
        None if a.price_min is None else float(a.price_min),
        None if a.price_max is None else float(a.price_max),
        a.manager.name if a.manager_id else "",
    ]
