"""Importing an institution's disciplines, platforms, teams and people from Excel or CSV, and their import pages.

Policy (as the achievements import, `supplyimport.py`): every row is stored or reported with file, row, column and
a Chinese message; the valid rows are written in one transaction with one audit event. An institution user
imports for its own institution only (an empty 所属机构 means its own); the bureau names any institution.

Natural keys (a re-import updates, it never duplicates): each record by its institution and its name (学科名称,
平台名称, 团队名称, a person's 姓名). Where the pages already hold two records of one name in an institution
(possible for platforms, teams and people), the row is refused rather than guessed. A column the file lacks leaves
the stored value as it is; a column present but empty sets the empty value (否 for a consent). Teams name their
discipline, people their team, by name within the institution: import disciplines before teams, teams before people.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.accounts import access
from kechuang.accounts.access import area_required
from kechuang.core import audit, bulk
from kechuang.core.excel import attachment, workbook_bytes
from kechuang.engine import clock
from kechuang.engine.facts_file import read_table
from kechuang.engine.io import FactsFileError as UnreadableFile

from . import supplyselectors as scope
from .supplyimport import ImportReport, Row, map_headers
from .supplymodels import Discipline, Field, Institution, Level, Person, Platform, Team

YES, NO = "是", "否"
MAX_MEMBERS = 32767  # PositiveSmallIntegerField


@dataclass(frozen=True)
class Column:
    label: str  # the template's header
    key: str
    kind: str  # text, choice, yesno, count, discipline, team (a record of the row's institution by name)
    required: bool = False  # the column must be in the file and each row must fill it
    aliases: tuple[str, ...] = ()
    choices: tuple = ()  # (value, Chinese label) for kind "choice"
    note: str = ""  # what the template's 填写说明 says beyond the allowed values


@dataclass(frozen=True)
class Kind:
    key: str
    title: object  # lazy Chinese name: 重点学科 …
    model: type
    columns: tuple[Column, ...]
    example: tuple[str, ...]

    @property
    def header(self) -> list[str]:
        return [c.label for c in self.columns]


INSTITUTION = Column("所属机构", "institution", "text", aliases=("机构",), note="高校院所用户可不填（本单位）")
FIELD = Column("技术领域", "field", "choice", choices=tuple(Field.choices))
DIRECTIONS = Column("研究方向", "directions", "text", note="用于匹配技术需求，多个方向用顿号分隔")
KINDS = {
    k.key: k
    for k in (
        Kind(
            "discipline",
            gettext_lazy("重点学科"),
            Discipline,
            (
                INSTITUTION,
                Column("学科名称", "name", "text", True, ("学科",), note="同一机构内按学科名称识别，再次导入即更新"),
                Column("重点学科级别", "level", "choice", True, ("级别",), tuple(Level.choices)),
                FIELD,
            ),
            ("山西大学", "材料科学与工程", "省级", "新材料"),
        ),
        Kind(
            "platform",
            gettext_lazy("科研平台"),
            Platform,
            (
                INSTITUTION,
                Column("平台名称", "name", "text", True, ("平台",), note="同一机构内按平台名称识别，再次导入即更新"),
                Column("平台类型", "kind", "choice", True, ("类型",), tuple(Platform.Kind.choices)),
                Column("级别", "level", "choice", True, ("平台级别",), tuple(Level.choices)),
                FIELD,
            ),
            ("山西大学", "煤基新材料重点实验室", "重点实验室", "省级", "新材料"),
        ),
        Kind(
            "team",
            gettext_lazy("科研团队"),
            Team,
            (
                INSTITUTION,
                Column("团队名称", "name", "text", True, ("团队",), note="同一机构内按团队名称识别，再次导入即更新"),
                Column("团队负责人", "leader", "text", True, ("负责人",)),
                Column("依托学科", "discipline", "discipline", aliases=("学科",), note="本机构已登记的学科名称"),
                FIELD,
                Column("成员人数", "members", "count", aliases=("人数",), note="1 至 32767 的整数，不填为 1"),
                DIRECTIONS,
            ),
            ("山西大学", "锂电池隔膜团队", "张教授", "材料科学与工程", "新材料", "8", "锂电池隔膜、涂覆工艺"),
        ),
        Kind(
            "person",
            gettext_lazy("科研人员"),
            Person,
            (
                INSTITUTION,
                Column("姓名", "name", "text", True, note="同一机构内按姓名识别，再次导入即更新"),
                Column("职称", "title", "text"),
                Column("所在团队", "team", "team", aliases=("团队",), note="本机构已登记的团队名称"),
                FIELD,
                DIRECTIONS,
                Column("联系方式", "contact", "text"),
                Column("同意公开个人简介", "profile_shown", "yesno", note="本人同意后才向机构和科技局以外的用户展示"),
                Column("同意公开联系方式", "contact_shown", "yesno", note="本人同意后才展示联系方式"),
            ),
            ("山西大学", "张三", "教授", "锂电池隔膜团队", "新材料", "隔膜材料", "zhangsan@sxu.example", "是", "否"),
        ),
    )
}


def instructions(kind: Kind) -> list[list[str]]:
    """The template's 填写说明 sheet: each column, whether it is required, the values it takes, a note."""
    rows = []
    for c in kind.columns:
        if c.kind == "choice":
            allowed = "、".join(str(label) for _v, label in c.choices)
        elif c.kind == "yesno":
            allowed = f"{YES}、{NO}（不填为{NO}）"
        else:
            allowed = ""
        rows.append([c.label, "必填" if c.required else "选填", allowed, c.note])
    return rows


def template_bytes(kind: Kind) -> bytes:
    title = str(kind.title)
    return workbook_bytes(
        [
            (f"{title}导入", kind.header, [list(kind.example)]),
            ("填写说明", ["列", "是否必填", "可填写的值", "说明"], instructions(kind)),
        ]
    )


class _Row(Row):
    labels: dict[str, str] = {}  # a record's columns are named by the file's own headers


def _header(kind: Kind, table, report: ImportReport) -> dict[int, Column]:
    by_name = {}
    for c in kind.columns:
        for name in (c.label, *c.aliases):
            by_name[name] = c
    mapping: dict[int, Column] = map_headers(table.headers, by_name, report)
    missing = [c.label for c in kind.columns if c.required and c not in mapping.values()]
    if missing:
        raise UnreadableFile(f"{report.name}：缺少必填列：{'、'.join(missing)}")
    return mapping


class _Named:
    """An institution's records of one model by name: the one of that name, or None with the reason."""

    def __init__(self, model, institution_ids):
        self.found: dict[tuple, list] = {}
        for obj in model.objects.filter(institution_id__in=institution_ids).order_by("pk"):
            self.found.setdefault((obj.institution_id, obj.name), []).append(obj)

    def one(self, institution_id: int, name: str):
        """(record or None, problem or "")."""
        found = self.found.get((institution_id, name), [])
        if len(found) > 1:
            return None, f"本机构有 {len(found)} 条同名记录，无法确定是哪一条，请在机构页面上修改"
        return (found[0] if found else None), ""


def _value(row: _Row, column: Column, institution, model, lookups: dict):
    """A cell as the model stores it; an error is added to the row (the returned value is then unused)."""
    text = row.text(column.key)
    if column.required and not text:
        row.error(column.key, "必填项为空")
        return None
    if column.kind == "text":
        limit = model._meta.get_field(column.key).max_length
        if len(text) > limit:
            row.error(column.key, f"超过 {limit} 字")
        return text
    if column.kind == "choice":
        if not text:
            return ""
        names = {str(label): value for value, label in column.choices}
        if text not in names:
            row.error(column.key, f"应为 {'、'.join(names)} 之一")
        return names.get(text, "")
    if column.kind == "yesno":
        if text not in ("", YES, NO):
            row.error(column.key, f"应为 {YES} 或 {NO}")
        return text == YES
    if column.kind == "count":
        if not text:
            return 1
        if not (text.isdigit() and 1 <= int(text) <= MAX_MEMBERS):
            row.error(column.key, f"应为 1 至 {MAX_MEMBERS} 的整数")
            return 1
        return int(text)
    # discipline / team: a record of the row's institution, by name.
    if not text or institution is None:
        return None
    record, problem = lookups[column.kind].one(institution.pk, text)
    if problem:
        row.error(column.key, problem)
    elif record is None:
        what = "学科" if column.kind == "discipline" else "团队"
        row.error(column.key, f"本机构没有该{what}，请先导入或登记{what}")
    return record


def import_records(*, user, kind: Kind, name: str, content: bytes) -> ImportReport:
    if not access.allowed(user, "supply_import"):
        raise PermissionDenied(_("只能导入本单位的信息"))
    kept = {i.name: i for i in scope.kept_institutions(user)}
    everyone = set(Institution.objects.values_list("name", flat=True))
    own = scope.own_institution(user)
    report = ImportReport(name=name)
    table = read_table(content=content, name=name)
    report.errors.extend(table.problems)
    report.total_rows += len(table.problems)
    mapping = _header(kind, table, report)
    headers = {c.key: str(table.headers[i]).strip() for i, c in mapping.items()}
    ids = [i.pk for i in kept.values()]
    lookups = {
        "self": _Named(kind.model, ids),
        "discipline": _Named(Discipline, ids) if kind.model is Team else None,
        "team": _Named(Team, ids) if kind.model is Person else None,
    }
    valid, seen = [], {}
    for number, cells in table.rows:
        report.total_rows += 1
        row = _Row(name, number, {c.key: cells[i] if i < len(cells) else None for i, c in mapping.items()}, headers)
        inst_name = row.text("institution")
        institution = own if (own and not inst_name) else kept.get(inst_name)
        if not inst_name and own is None:
            row.error("institution", "必填项为空")
        elif institution is None:
            row.error("institution", "只能导入本单位的信息" if inst_name in everyone else "没有该机构")
        values = {
            c.key: _value(row, c, institution, kind.model, lookups) for c in mapping.values() if c.key != "institution"
        }
        found = None
        if institution is not None and values.get("name"):
            found, problem = lookups["self"].one(institution.pk, values["name"])
            if problem:
                row.error("name", problem)
            key = (institution.pk, values["name"])
            if not row.errors and key in seen:
                row.error("name", f"与第 {seen[key]} 行是同一{kind.title}")
        if row.errors:
            report.errors.extend(row.errors)
            continue
        seen[(institution.pk, values["name"])] = number
        valid.append((institution, found, values))
    if valid:
        _write(user, kind, report, valid)
    return report


def _write(user, kind: Kind, report: ImportReport, valid: list) -> None:
    new, changed, fields = [], [], set()
    # Teams and people carry their latest edit: the matchers (expertmatching) rebuild their index from it, and a
    # row update here bypasses auto_now.
    stamped = any(f.name == "updated_at" for f in kind.model._meta.concrete_fields)
    now = clock.now()
    for institution, found, values in valid:
        if found is None:
            new.append(kind.model(institution=institution, **values))
        else:
            for key, value in values.items():
                setattr(found, key, value)
            fields.update(values)
            if stamped:
                found.updated_at = now
                fields.add("updated_at")
            changed.append(found)
    with transaction.atomic():
        kind.model.objects.bulk_create(new, batch_size=1000)
        if changed:
            # executemany, not bulk_update: its CASE per column costs seconds at thousands of rows.
            columns = [kind.model._meta.get_field(name).attname for name in sorted(fields)]
            bulk.update_rows(kind.model, columns, ([*(getattr(o, c) for c in columns), o.pk] for o in changed))
        report.created, report.updated = len(new), len(changed)
        audit.record(
            actor=user,
            action="supply_record.import",
            obj=user,
            note=f"{report.name}：新增 {len(new)} 项、更新 {len(changed)} 项{kind.title}，"
            f"拒绝 {report.rejected_rows} 行",
        )


def _kind_view(kind: Kind):
    @login_required
    @area_required("supply_import")
    def import_page(request):
        user = request.user
        if request.GET.get("template"):
            return attachment(template_bytes(kind), f"{kind.title}导入模板_{clock.today():%Y%m%d}.xlsx")
        report, error = None, None
        if request.method == "POST" and request.FILES.get("file"):
            upload = request.FILES["file"]
            try:
                report = import_records(user=user, kind=kind, name=upload.name, content=upload.read())
            except UnreadableFile as exc:
                error = exc.message
        elif request.method == "POST":
            error = _("请选择文件")
        return render(
            request,
            "techtransfer/record_import.html",
            {
                "kind": kind,
                "kinds": [(k.key, k.title) for k in KINDS.values()],
                "report": report,
                "error": error,
                "columns": instructions(kind),
                "own": scope.own_institution(user),
            },
        )

    import_page.__name__ = f"{kind.key}_import"
    return import_page


# One page per kind (URL names discipline_import …): a page name without arguments, as the access table walks them.
PAGES = {key: _kind_view(kind) for key, kind in KINDS.items()}
