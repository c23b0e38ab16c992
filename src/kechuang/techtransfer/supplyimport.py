"""Importing achievements (科技成果) and patent lists from Excel or CSV, and the import page.

Policy (as the facts import): every row is stored or reported with file, row, column and a Chinese message;
the valid rows are written in one transaction. A patent is keyed by its publication number (专利公开号): importing
the same list again updates the patents, it never duplicates them. A result or know-how is keyed by institution,
kind and title. An institution user imports for its own institution only (an empty 所属机构 means its own); a
patent already registered by an institution the user does not keep is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.accounts import access
from kechuang.accounts.access import area_required
from kechuang.chains.models import Chain
from kechuang.core import audit
from kechuang.core.excel import xlsx_response
from kechuang.engine.facts_file import Problem as RowError
from kechuang.engine.facts_file import read_table
from kechuang.engine.io import FactsFileError as UnreadableFile

from . import supplyselectors as scope
from .supplyforms import PATENT_NO, parse_ipc
from .supplymodels import TRL_MAX, TRL_MIN, WAN, Achievement, Field, TechnologyManager

HEADER = [
    "所属机构",
    "成果类型",
    "成果名称",
    "成果简介",
    "技术领域",
    "产业链",
    "IPC分类",
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
EXAMPLE = [
    "山西大学",
    "专利",
    "一种锂电池隔膜涂覆方法",
    "",
    "新材料",
    "",
    "H01M",
    "CN112345678A",
    "山西大学",
    "有效",
    "2040-06-01",
    "5",
    "转让、许可",
    "50",
    "80",
    "",
]
_ALIASES = {
    "所属机构": "institution",
    "机构": "institution",
    "成果类型": "kind",
    "类型": "kind",
    "成果名称": "title",
    "专利名称": "title",
    "标题": "title",
    "成果简介": "summary",
    "摘要": "summary",
    "技术领域": "field",
    "产业链": "chain",
    "IPC分类": "ipc",
    "IPC": "ipc",
    "IPC分类号": "ipc",
    "专利公开号": "patent_no",
    "公开号": "patent_no",
    "公开（公告）号": "patent_no",
    "专利权人": "holder",
    "申请人": "holder",
    "法律状态": "legal_status",
    "到期日": "expires_on",
    "技术成熟度": "trl",
    "TRL": "trl",
    "转化方式": "modes",
    "报价下限（万元）": "price_min",
    "报价上限（万元）": "price_max",
    "技术经理人": "manager",
}
LABELS = {_ALIASES[label]: label for label in HEADER}  # a column's name in a problem when the file lacks it
MAX_SUMMARY = 4000
MAX_WAN = Decimal(10) ** (WAN["max_digits"] - WAN["decimal_places"])
FIELDS = (
    "kind",
    "title",
    "summary",
    "field",
    "chain_id",
    "ipc",
    "holder",
    "legal_status",
    "expires_on",
    "trl",
    "modes",
    "price_min",
    "price_max",
    "manager_id",
)


@dataclass
class ImportReport:
    name: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})


class Row:
    """One row's cells by key, and the problems found reading it (the achievements import's and the other records'
    imports'); a problem names the column as the file headed it, else as `labels` names it."""

    labels: dict[str, str] = LABELS

    def __init__(self, name: str, number: int, cells: dict, headers: dict):
        self.name, self.number, self.cells, self.headers, self.errors = name, number, cells, headers, []

    def text(self, key: str) -> str:
        value = self.cells.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()

    def error(self, key: str, message: str) -> None:
        column = self.headers.get(key) or self.labels.get(key, "")
        self.errors.append(RowError(self.name, self.number, column, self.text(key)[:40], message))

    def choice(self, key: str, names: dict, required: bool = False) -> str:
        text = self.text(key)
        if not text:
            if required:
                self.error(key, "必填项为空")
            return ""
        if text not in names:
            self.error(key, f"应为 {'、'.join(names)} 之一")
            return ""
        return names[text]

    def money(self, key: str) -> Decimal | None:
        text = self.text(key).replace(",", "")
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.error(key, "应为数字（万元）")
            return None
        if not value.is_finite() or value < 0 or value >= MAX_WAN:
            self.error(key, "金额应为非负数且小于 10 亿万元")
            return None
        return value.quantize(Decimal("0.01"))

    def date(self, key: str) -> dt.date | None:
        value = self.cells.get(key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = self.text(key).replace("/", "-").replace(".", "-")
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.error(key, "日期应写作 2030-06-01")
            return None


def _labels(choices) -> dict:
    return {str(label): value for value, label in choices}


def map_headers(headers, by_name: dict, report: ImportReport) -> dict:
    """Column position → what `by_name` (a header without spaces → column) names there; an unknown header is a
    warning, a repeated column makes the file unreadable. The supply imports' one reading of a header row."""
    mapping = {}
    for i, cell in enumerate(headers):
        key = by_name.get(str(cell or "").strip().replace(" ", ""))
        if key is None:
            if str(cell or "").strip():
                report.warnings.append(f"{report.name}：忽略未知列“{cell}”")
            continue
        if key in mapping.values():
            raise UnreadableFile(f"{report.name}：列“{cell}”重复出现")
        mapping[i] = key
    return mapping


def _header(table, report: ImportReport) -> dict[int, str]:
    mapping = map_headers(table.headers, _ALIASES, report)
    if "title" not in mapping.values():
        raise UnreadableFile(f"{report.name}：缺少必填列：成果名称")
    return mapping


def import_achievements(*, user, name: str, content: bytes) -> ImportReport:  # noqa: C901
    if not access.allowed(user, "supply_import"):
        raise PermissionDenied(_("只能导入本单位的科技成果"))
    kept = {i.name: i for i in scope.kept_institutions(user)}
    own = scope.own_institution(user)
    report = ImportReport(name=name)
    table = read_table(content=content, name=name)
    report.errors.extend(table.problems)
    report.total_rows += len(table.problems)
    mapping = _header(table, report)
    headers = {key: str(table.headers[i]).strip() for i, key in mapping.items()}
    kinds, fields, statuses = (
        _labels(Achievement.Kind.choices),
        _labels(Field.choices),
        _labels(Achievement.LegalStatus.choices),
    )
    modes = _labels(Achievement.Mode.choices)
    chains = dict(Chain.objects.values_list("name", "pk"))
    # A manager by name: the row's institution's own first, else any of that name (the first registered).
    managers: dict[tuple, int] = {}
    for pk, manager_name, inst_id in TechnologyManager.objects.order_by("-pk").values_list(
        "pk", "name", "institution_id"
    ):
        managers[(inst_id, manager_name)] = managers[(None, manager_name)] = pk
    by_patent = {
        a.patent_no: a for a in Achievement.objects.filter(patent_no__isnull=False).select_related("institution")
    }
    valid, seen = [], {}
    for number, cells in table.rows:
        report.total_rows += 1
        row = Row(name, number, {key: cells[i] if i < len(cells) else None for i, key in mapping.items()}, headers)
        values: dict = {}
        inst_name = row.text("institution")
        institution = own if (own and not inst_name) else kept.get(inst_name)
        if not inst_name and own is None:
            row.error("institution", "必填项为空")
        elif institution is None:
            row.error("institution", "只能导入本单位的成果" if own else "没有该机构")
        patent_no = row.text("patent_no").upper().replace(" ", "") or None
        if patent_no and not PATENT_NO.match(patent_no):
            row.error("patent_no", "专利公开号应为国家代码加号码，如 CN112345678A")
        values["kind"] = row.choice("kind", kinds) or (Achievement.Kind.PATENT if patent_no else "")
        if not values["kind"]:
            row.error("kind", "必填项为空（填写专利公开号时默认为专利）")
        if values["kind"] == Achievement.Kind.PATENT and not patent_no:
            row.error("patent_no", "专利须填写专利公开号")
        values["title"] = row.text("title")[:200]
        if not values["title"]:
            row.error("title", "必填项为空")
        values["summary"] = row.text("summary")
        if len(values["summary"]) > MAX_SUMMARY:
            row.error("summary", f"超过 {MAX_SUMMARY} 字")
        values["field"] = row.choice("field", fields)
        chain_name = row.text("chain")
        values["chain_id"] = chains.get(chain_name) if chain_name else None
        if chain_name and values["chain_id"] is None:
            row.error("chain", "没有该产业链")
        values["ipc"], bad = parse_ipc(row.text("ipc"))
        if bad:
            row.error("ipc", "IPC 分类无法识别，应为小类（如 H01M）")
        values["holder"] = row.text("holder")[:128]
        values["legal_status"] = row.choice("legal_status", statuses)
        values["expires_on"] = row.date("expires_on")
        trl = row.text("trl")
        values["trl"] = int(trl) if trl.isdigit() and TRL_MIN <= int(trl) <= TRL_MAX else None
        if trl and values["trl"] is None:
            row.error("trl", "技术成熟度应为 1–9 级")
        elif values["trl"] is None and values["kind"] and values["kind"] != Achievement.Kind.PATENT:
            row.error("trl", "必填项为空（专利可不填）")
        pieces = [p for p in row.text("modes").replace("，", "、").replace(",", "、").split("、") if p.strip()]
        unknown = [p for p in pieces if p.strip() not in modes]
        if unknown:
            row.error("modes", f"未知的转化方式：{'、'.join(unknown)}；应为 {'、'.join(modes)}")
        values["modes"] = list(dict.fromkeys(modes[p.strip()] for p in pieces if p.strip() in modes))
        values["price_min"], values["price_max"] = row.money("price_min"), row.money("price_max")
        if values["price_min"] is not None and values["price_max"] is not None:
            if values["price_min"] > values["price_max"]:
                row.error("price_max", "报价上限不能低于报价下限")
        manager = row.text("manager")
        values["manager_id"] = (
            managers.get((institution.pk if institution else None, manager)) or managers.get((None, manager))
            if manager
            else None
        )
        if manager and values["manager_id"] is None:
            row.error("manager", "没有该技术经理人")
        existing = by_patent.get(patent_no) if patent_no else None
        if existing is not None and not scope.keeps(user, existing.institution):
            row.error("patent_no", f"该专利已由{existing.institution.name}登记")
        key = patent_no or (institution.pk if institution else None, values["kind"], values["title"])
        if not row.errors and key in seen:
            row.error("", f"与第 {seen[key]} 行是同一成果")
        if row.errors:
            report.errors.extend(row.errors)
            continue
        seen[key] = number
        valid.append((institution, patent_no, values))
    if valid:
        _write(user, report, valid, by_patent)
    return report


def _write(user, report: ImportReport, valid: list, by_patent: dict) -> None:
    now = timezone.now()
    with transaction.atomic():
        others = {
            (a.institution_id, a.kind, a.title): a
            for a in Achievement.objects.filter(
                patent_no__isnull=True, institution_id__in={inst.pk for inst, _n, _v in valid}
            )
        }
        new, changed = [], []
        for institution, patent_no, values in valid:
            found = (
                by_patent.get(patent_no) if patent_no else others.get((institution.pk, values["kind"], values["title"]))
            )
            if found is None:
                new.append(
                    Achievement(institution=institution, patent_no=patent_no, created_by=user, updated_at=now, **values)
                )
            else:
                for name, value in values.items():
                    setattr(found, name, value)
                found.institution, found.updated_at = institution, now
                changed.append(found)
        Achievement.objects.bulk_create(new, batch_size=1000)
        Achievement.objects.bulk_update(changed, [*FIELDS, "institution", "updated_at"], batch_size=1000)
        report.created, report.updated = len(new), len(changed)
        audit.record(
            actor=user,
            action="achievement.import",
            obj=user,
            note=f"{report.name}：新增 {len(new)} 项、更新 {len(changed)} 项科技成果，拒绝 {report.rejected_rows} 行",
        )


@login_required
@area_required("supply_import")
def import_page(request):
    user = request.user
    if request.GET.get("template"):
        return xlsx_response(_("科技成果导入模板"), HEADER, [EXAMPLE])
    report, error = None, None
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        try:
            report = import_achievements(user=user, name=upload.name, content=upload.read())
        except UnreadableFile as exc:
            error = exc.message
    elif request.method == "POST":
        error = _("请选择文件")
    return render(request, "techtransfer/achievement_import.html", {"report": report, "error": error, "header": HEADER})
