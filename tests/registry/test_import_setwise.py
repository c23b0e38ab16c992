"""The PostgreSQL import (COPY into staging, set-wise upsert: enterprises/setwise.py) against the Python writer
(services.upsert_facts): the same row errors, the same stored data, the same audit events in the same order,
the same consequences; an unchanged file writes nothing; a file of errors only writes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from openpyxl import Workbook

from kechuang.core import audit
from kechuang.core.models import AuditEvent
from kechuang.enterprises import importing
from kechuang.enterprises.models import AnnualFigure, Enterprise
from tests.conftest import make_uscc

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

HEADER = [
    "统一社会信用代码",
    "企业名称",
    "行政区划代码",
    "国民经济行业分类",
    "成立日期",
    "实缴资本(万元)",
    "国家重点支持的高新技术领域",
    "已上市",
    "年度",
    "职工总数",
    "科技人员数",
    "吸纳应届毕业生人数",
    "营业收入(万元)",
    "主营业务收入(万元)",
    "净利润(万元)",
    "持有效高新技术企业证书",
    "高企证书发证日期",
    "研发机构级别",
    "数字化水平等级",
    "细分市场占有率",
    "发明专利",
]


def row(n, year=2024, **cells):
    """A valid row of firm n; `cells` replace cells by header position name (see NAMES)."""
    values = {
        "uscc": make_uscc(n),
        "name": f"测试企业{n}有限公司",
        "region": "140105",
        "industry": "6513",
        "registered": "2019-03-01",
        "capital": "500",
        "field": "电子信息",
        "listed": "否",
        "year": year,
        "staff": "100",
        "tech": "22",
        "graduates": "3",
        "revenue": "3000",
        "main": "2800",
        "profit": "-12.5",
        "hte": "是",
        "hte_on": "2022-11-01",
        "rd_level": "省级",
        "digital": "2",
        "share": "0.05",
        "patents": "4",
    }
    values.update(cells)
    return list(values.values())


def write_csv(path: Path, rows: list[list], lines: tuple[str, ...] = ()) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_text(buffer.getvalue() + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def stored_firms(ref):
    """Firms 1–3 with 2023 figures (firm 3's already as the file gives them), firm 1 also 2024."""
    for n in (1, 2, 3):
        firm = Enterprise.objects.create(
            uscc=make_uscc(n),
            name=f"测试企业{n}有限公司",
            region_id="140105",
            industry_id="6513",
            registered_on=dt.date(2019, 3, 1),
            paid_in_capital=Decimal("500"),
            hightech_field="electronic_information",
            listed=False,
        )
        AnnualFigure.objects.create(
            enterprise=firm,
            year=2023,
            staff_total=Decimal("100"),
            tech_staff=Decimal("22"),
            new_graduates=3,
            revenue=Decimal("3000"),
            main_revenue=Decimal("2800"),
            net_profit=Decimal("-12.5"),
            hte_certified=True,
            hte_certified_on=dt.date(2022, 11, 1),
            rd_institution_level="provincial",
            digitalization_level=2,
            niche_market_share=Decimal("0.05"),
            invention_patents=4,
        )
    AnnualFigure.objects.create(enterprise=Enterprise.objects.get(uscc=make_uscc(1)), year=2024, revenue=Decimal("1"))


@pytest.fixture
def every_kind(tmp_path):
    """Every row error the reader knows beside rows of every outcome: new firm, changed and unchanged firm,
    changed and unchanged figures, empty cells that keep stored values, static attributes from the latest year."""
    bad_check = make_uscc(90)[:-1] + ("0" if make_uscc(90)[-1] != "0" else "1")
    rows = [
        row(1, 2023, revenue="3,100.5", patents=""),  # changed figure; an empty cell keeps the stored 4
        row(
            1, 2024, name="测试企业1（新名）有限公司", capital="", revenue="１２０．５", main="100"
        ),  # latest row renames firm 1
        row(2, 2023),  # unchanged figure
        row(2, 2024, profit="-0.00", share="1e-2", revenue="1E3", main=""),  # new year of a stored firm
        row(3, 2023, staff="100.00", revenue="3000.0000", hte="true", rd_level="provincial"),  # same values, new text
        row(4, 2022, region="140106", field="", listed="是"),  # a new firm, its earlier year
        row(4, 2024, region="", listed="", field="新材料"),  # its latest row decides: no region, not listed
        row(5, revenue="一百"),
        row(6, tech="120"),  # part larger than whole
        row(7, main="3000.5"),  # main revenue above revenue
        row(8, staff="1.234"),  # too many decimals
        row(9, graduates="2.5"),
        row(10, graduates="-1"),
        row(11, digital="7"),
        row(12, hte="可能"),
        row(13, hte_on="2022-13-01"),
        row(14, rd_level="县级"),
        row(15, share="1.5"),
        row(16, revenue="12,34"),
        row(17, revenue="1e20"),
        row(18, revenue="٣٠٠"),
        row(19, name=""),
        row(20, name="有\t制表符"),
        row(21, name="长" * 201),
        row(22, region="999999"),
        row(23, industry="0000"),
        row(24, year=1800),
        [bad_check, *row(90)[1:]],
        row(25, uscc="123"),
        row(2, 2023, revenue="9"),  # a repeated key: the repeat is the error
        row(26, revenue="-5"),
        row(27, registered="昨天"),
        row(28, revenue="nan"),
    ]
    lines = (f'{make_uscc(29)},"未闭合引号企业,140105', f"{','.join(map(str, row(30)))},多余,列")
    return write_csv(tmp_path / "每种错误.csv", rows, lines)


def _outcome(path: Path, set_wise: bool, capture) -> dict:
    """Import in a savepoint, read back everything the import may have touched, roll back."""
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    point = transaction.savepoint()
    with capture() as callbacks:
        report = importing.import_facts(path, set_wise=set_wise)
    usccs = dict(Enterprise.objects.values_list("id", "uscc"))
    figures = {pk: (usccs[eid], year) for pk, eid, year in AnnualFigure.objects.values_list("id", "enterprise", "year")}

    def named(event: AuditEvent) -> tuple:
        if event.action.startswith("enterprise."):
            object_id = usccs[int(event.object_id)]
        elif event.action == "figure.update":
            object_id = figures[int(event.object_id)]
        else:
            eid, years = event.object_id.split(":")
            object_id = f"{usccs[int(eid)]}:{years}"
        return (event.action, event.object_type, object_id, usccs[event.enterprise_id], event.changes, event.note)

    events = [named(e) for e in AuditEvent.objects.filter(id__gt=before).order_by("id")]
    firms = list(Enterprise.objects.order_by("uscc").values(*_fields(Enterprise, "id", "created_at", "updated_at")))
    rows = list(
        AnnualFigure.objects.order_by("enterprise__uscc", "year").values(
            "enterprise__uscc", *_fields(AnnualFigure, "id", "enterprise", "updated_at")
        )
    )
    chain = audit.verify()
    transaction.savepoint_rollback(point)
    report.pop("stats")
    return {
        "report": report,
        "events": events,
        "firms": firms,
        "figures": rows,
        "chain": (chain.broken, chain.reason),
        "callbacks": len(callbacks),
    }


def _fields(model, *left_out) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.name not in left_out and f.attname not in left_out]


def test_copy_path_and_python_path_give_the_same_errors_data_and_audit(
    stored_firms, every_kind, django_capture_on_commit_callbacks
):
    python = _outcome(every_kind, False, django_capture_on_commit_callbacks)
    copy = _outcome(every_kind, True, django_capture_on_commit_callbacks)
    assert copy == python
    errors = python["report"]["errors"]
    assert {e["file"] for e in errors} == {"每种错误.csv"}
    assert len({e["row"] for e in errors}) == python["report"]["rejected_rows"] == 28
    assert python["report"]["accepted_rows"] == 7
    assert {"row": 31, "column": "统一社会信用代码", "message": "与第 4 行重复（同一企业同一年度只能出现一次）"} in [
        {k: e[k] for k in ("row", "column", "message")} for e in errors
    ]
    assert python["chain"] == (None, "")
    assert python["callbacks"] == 1
    actions = [e[0] for e in python["events"]]
    assert actions == [
        "enterprise.update",
        "enterprise.create",
        "figure.update",
        "figure.update",
        "figure.create",
        "figure.create",
    ]
    firm1 = next(f for f in python["firms"] if f["uscc"] == make_uscc(1))
    assert (firm1["name"], firm1["paid_in_capital"]) == ("测试企业1（新名）有限公司", Decimal("500.0000"))
    firm4 = next(f for f in python["firms"] if f["uscc"] == make_uscc(4))
    assert (firm4["region_id"], firm4["listed"], firm4["hightech_field"]) == (None, None, "new_materials")
    figure = {(f["enterprise__uscc"], f["year"]): f for f in python["figures"]}
    assert figure[(make_uscc(1), 2023)]["revenue"] == Decimal("3100.5000")
    assert figure[(make_uscc(1), 2023)]["invention_patents"] == 4
    assert figure[(make_uscc(1), 2024)]["revenue"] == Decimal("120.5000")
    assert figure[(make_uscc(2), 2024)]["niche_market_share"] == Decimal("0.010000")


def test_an_xlsx_gives_the_same_outcome_on_both_paths(stored_firms, tmp_path, django_capture_on_commit_callbacks):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    cells = row(1, 2023, revenue=3100.25, staff=120, registered=dt.datetime(2019, 3, 1), hte=True)
    sheet.append(cells)
    sheet.append(row(31, 2024, revenue=7.5, main=5, share=0.25))
    sheet.append(row(32, revenue="一百"))
    path = tmp_path / "表.xlsx"
    book.save(path)
    python = _outcome(path, False, django_capture_on_commit_callbacks)
    assert _outcome(path, True, django_capture_on_commit_callbacks) == python
    assert python["report"]["accepted_rows"] == 2
    assert [e[0] for e in python["events"]] == ["enterprise.create", "figure.update", "figure.create"]


def test_unchanged_reimport_writes_and_records_nothing(stored_firms, every_kind, django_capture_on_commit_callbacks):
    first = importing.import_facts(every_kind, set_wise=True)
    assert first["stats"] == {
        "enterprises_created": 1,
        "enterprises_updated": 1,
        "figures_created": 3,
        "figures_updated": 2,
        "unchanged": 2,
    }
    stamps = dict(AnnualFigure.objects.values_list("id", "updated_at"))
    firms = dict(Enterprise.objects.values_list("id", "updated_at"))
    events = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        again = importing.import_facts(every_kind, set_wise=True)
    assert again["stats"] == {
        "enterprises_created": 0,
        "enterprises_updated": 0,
        "figures_created": 0,
        "figures_updated": 0,
        "unchanged": 7,
    }
    assert again["errors"] == first["errors"]
    assert dict(AnnualFigure.objects.values_list("id", "updated_at")) == stamps
    assert dict(Enterprise.objects.values_list("id", "updated_at")) == firms
    assert AuditEvent.objects.count() == events
    assert callbacks == []


def test_a_file_of_errors_only_writes_nothing(ref, tmp_path, django_capture_on_commit_callbacks):
    path = write_csv(tmp_path / "全错.csv", [row(1, revenue="一百"), row(2, tech="120"), row(3, year=1800)])
    with django_capture_on_commit_callbacks() as callbacks:
        report = importing.import_facts(path, set_wise=True)
    assert (report["accepted_rows"], report["rejected_rows"], report["stats"]) == (0, 3, {})
    assert (Enterprise.objects.count(), AnnualFigure.objects.count(), AuditEvent.objects.count()) == (0, 0, 0)
    assert callbacks == []
