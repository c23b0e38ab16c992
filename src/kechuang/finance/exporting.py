"""Excel exports of the finance lists (kechuang.core.excel), with formula cells neutralised.

Policy: a text cell that a spreadsheet would run as a formula (starting with = + - @, or a tab/CR) is written
with a leading apostrophe, so a firm name or a purpose typed as "=HYPERLINK(…)" stays text. The rows come from
the selectors (a bank's export holds its own applications and loans; a firm's figures only under a consent).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from kechuang.core import exports
from kechuang.core.excel import xlsx_bytes
from kechuang.engine.finance.workflow import STATUS_LABELS

from . import selectors

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def rows_safe(rows):
    for row in rows:
        yield [safe(v) for v in row]


APPLICATION_HEADER = [
    "受理日期",
    "企业名称",
    "统一社会信用代码",
    "银行",
    "产品",
    "申请金额（万元）",
    "期限（月）",
    "用途",
    "状态",
    "审批截止日期",
    "结论日期",
    "是否超时",
    "批准金额（万元）",
    "批准年利率（%）",
    "结论说明",
]


# The filters each list carries into its export.
APPLICATION_FILTERS = ("status", "late", "product", "q")
LOAN_FILTERS = ("status", "source", "bank", "q")


def list_filters(query, keys) -> dict:
    return {k: query.get(k, "").strip() for k in keys}


def applications(user, filters: dict, today: dt.date):
    """The user's applications narrowed by the list's filters (`late`: past their deadline `today`)."""
    qs = selectors.applications_for(user)
    status, late, product, q = (filters.get(k, "") for k in APPLICATION_FILTERS)
    if status:
        qs = qs.filter(status=status)
    if late:
        qs = selectors.late(qs, today)
    if product:
        qs = qs.filter(product__code=product)
    if q:
        qs = qs.filter(Q(enterprise__name__icontains=q) | Q(enterprise__uscc__istartswith=q.upper()))
    return qs.order_by("-submitted_on", "-pk")


def applications_table(user, *, filters: dict) -> exports.Table:
    today = timezone.localdate()
    qs = applications(user, filters, today)

    def late(a) -> str:
        end = a.decided_on or today
        return "是" if end > a.deadline_on and (a.decided_on or a.status in ("received", "due_diligence")) else "否"

    rows = (
        [
            a.submitted_on,
            a.enterprise.name,
            a.enterprise.uscc,
            a.bank.name,
            a.product.name,
            a.amount,
            a.term_months,
            a.purpose,
            STATUS_LABELS.get(a.status, a.status),
            a.deadline_on,
            a.decided_on,
            late(a),
            a.approved_amount,
            a.approved_rate,
            a.decision_reason,
        ]
        for a in exports.in_chunks(qs)
    )
    return exports.Table("融资申请", APPLICATION_HEADER, rows, qs.count())


LOAN_HEADER = [
    "银行",
    "合同编号",
    "统一社会信用代码",
    "企业名称",
    "产品",
    "贷款金额（万元）",
    "年利率（%）",
    "放款日期",
    "到期日期",
    "担保贷款",
    "担保费（万元）",
    "状态",
    "结清日期",
    "逾期日期",
    "违约日期",
    "违约本金（万元）",
    "来源",
]


def loans(user, filters: dict):
    """The user's loans narrowed by the list's filters (a bank by name: the bureau's filter only)."""
    qs = selectors.loans_for(user)
    status, source, bank, q = (filters.get(k, "") for k in LOAN_FILTERS)
    if status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if bank and user.is_bureau:
        qs = qs.filter(bank__name=bank)
    if q:
        qs = qs.filter(
            Q(enterprise__name__icontains=q) | Q(enterprise__uscc__istartswith=q.upper()) | Q(contract_no__icontains=q)
        )
    return qs


def loans_table(user, *, filters: dict) -> exports.Table:
    qs = loans(user, filters)
    rows = (
        [
            loan.bank.name,
            loan.contract_no,
            loan.enterprise.uscc,
            loan.enterprise.name,
            loan.product.name if loan.product else "",
            loan.amount,
            loan.rate,
            loan.disbursed_on,
            loan.maturity_on,
            "是" if loan.guaranteed else "否",
            loan.guarantee_fee,
            loan.get_status_display(),
            loan.closed_on,
            loan.overdue_on,
            loan.defaulted_on,
            loan.defaulted_principal,
            loan.get_source_display(),
        ]
        for loan in exports.in_chunks(qs)
    )
    return exports.Table("贷款记录", LOAN_HEADER, rows, qs.count())


def template_xlsx(header: list[str]) -> bytes:
    example = [
        "",
        "JS-2026-0001",
        "91140105MA0XXXXXXX",
        "示例科技有限公司",
        "创新积分贷",
        300,
        3.8,
        "2026-03-02",
        "2027-03-01",
        "否",
        "",
        "在贷",
        "",
        "",
        "",
        "",
    ]
    return xlsx_bytes("贷款记录", header, [example[: len(header)]])


def figures_xlsx(enterprise, figures, columns) -> bytes:
    header = ["年度", *[c.label for c in columns]]
    rows = ([f.year, *[getattr(f, c.name, None) for c in columns]] for f in figures)
    return xlsx_bytes(f"{enterprise.name}年度数据", header, rows_safe(rows))
