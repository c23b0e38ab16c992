"""Loan records from banks' Excel: every row stored or reported (file, row, column, Chinese reason), nothing
half-written, a bank imports only its own loans, a contract imported again is updated."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from kechuang.finance.importing import template_header
from kechuang.finance.models import Loan, LoanImport, PoolEntry, RiskPool

pytestmark = pytest.mark.django_db


def xlsx(rows, header=None) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header or template_header())
    for row in rows:
        ws.append(row)
    data = io.BytesIO()
    wb.save(data)
    data.seek(0)
    data.name = "晋商银行报送.xlsx"
    return data


def row(uscc, contract="JS-001", **kw):
    values = {
        "银行": "",
        "合同编号": contract,
        "统一社会信用代码": uscc,
        "企业名称": "",
        "产品": "创新积分贷",
        "贷款金额（万元）": 300,
        "年利率（%）": 3.8,
        "放款日期": dt.date(2026, 3, 2),
        "到期日期": dt.date(2027, 3, 1),
        "担保贷款": "否",
        "担保费（万元）": None,
        "状态": "在贷",
        "结清日期": None,
        "逾期日期": None,
        "违约日期": None,
        "违约本金（万元）": None,
        **kw,
    }
    return [values[h] for h in template_header()]


def upload(client, data):
    return client.post("/finance/loans/import/", {"file": data})


def test_good_rows_are_stored_bad_rows_reported_by_row_and_column(fworld, client_for):
    a, b = fworld["a"].uscc, fworld["b"].uscc
    data = xlsx(
        [
            row(a),
            row(b, "JS-002", **{"年利率（%）": None}),
            row("91140105MA0000000X", "JS-003"),
            row(b, "JS-004", **{"状态": "违约"}),
            row(b, "JS-005", **{"到期日期": dt.date(2026, 1, 1)}),
            row(a, "JS-001"),
        ]
    )
    response = upload(client_for(fworld["users"]["bank_user"]), data)
    batch = LoanImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/finance/loans/import/{batch.pk}/"
    assert (batch.rows_total, batch.rows_created, batch.rows_updated, batch.rows_rejected) == (6, 1, 0, 5)
    assert [(e["row"], e["column"], e["message"]) for e in batch.errors] == [
        (3, "年利率（%）", "必填"),
        (4, "统一社会信用代码", "统一社会信用代码校验位错误"),
        (5, "违约日期", "状态为违约时必填"),
        (5, "违约本金（万元）", "状态为违约时必填，且大于 0"),
        (6, "到期日期", "到期日期应晚于放款日期"),
        (7, "合同编号", "与第2行的合同编号重复"),
    ]
    loan = Loan.objects.get()
    assert (loan.bank.name, loan.contract_no, loan.enterprise, loan.amount, loan.rate, loan.source, loan.product) == (
        "晋商银行",
        "JS-001",
        fworld["a"],
        Decimal("300"),
        Decimal("3.8"),
        "import",
        fworld["points_loan"],
    )
    report = client_for(fworld["users"]["bank_user"]).get(response["Location"]).content.decode()
    assert "与第2行的合同编号重复" in report and 'data-testid="import-errors"' in report


def test_a_bank_imports_only_its_own_loans(fworld, client_for):
    data = xlsx([row(fworld["a"].uscc, **{"银行": "山西银行"})])
    upload(client_for(fworld["users"]["bank_user"]), data)
    assert not Loan.objects.exists()
    assert LoanImport.objects.get().errors[0]["message"] == "只能导入本行（晋商银行）的贷款"


def test_the_bureau_names_the_bank_and_an_import_again_updates(fworld, client_for):
    client = client_for(fworld["users"]["bureau_staff"])
    response = upload(client, xlsx([row(fworld["a"].uscc)]))
    assert "缺少必填列" not in response.content.decode()
    assert LoanImport.objects.get().errors[0]["message"] == "必填"  # 银行 left empty
    upload(client, xlsx([row(fworld["a"].uscc, **{"银行": "晋商银行"})]))
    upload(
        client, xlsx([row(fworld["a"].uscc, **{"银行": "晋商银行", "状态": "已结清", "结清日期": dt.date(2026, 9, 1)})])
    )
    loan = Loan.objects.get()
    assert (loan.status, loan.closed_on) == ("repaid", dt.date(2026, 9, 1))
    assert list(LoanImport.objects.order_by("pk").values_list("rows_created", "rows_updated")) == [
        (0, 0),
        (1, 0),
        (0, 1),
    ]


def test_an_imported_default_files_the_pools_claim(fworld, client_for):
    pool = RiskPool.objects.create(
        name="池", rule_id="risk_pool_taiyuan", manager="科技局", opened_on=dt.date(2024, 1, 1)
    )
    PoolEntry.objects.create(pool=pool, kind="contribution", on=dt.date(2024, 1, 1), amount=Decimal(3000))
    upload(
        client_for(fworld["users"]["bank_user"]),
        xlsx([row(fworld["a"].uscc, **{"状态": "违约", "违约日期": dt.date(2026, 9, 1), "违约本金（万元）": 200})]),
    )
    assert PoolEntry.objects.get(kind="claim").amount == Decimal("120.0000")


def test_an_unusable_file_is_refused_whole(fworld, client_for):
    client = client_for(fworld["users"]["bank_user"])
    data = xlsx([["x"]], header=["合同编号", "企业名称"])
    response = upload(client, data)
    assert "缺少必填列 统一社会信用代码、贷款金额（万元）、年利率（%）、放款日期、到期日期" in response.content.decode()
    bad = io.BytesIO(b"not a workbook")
    bad.name = "loans.xlsx"
    assert "不是有效的 Excel(.xlsx) 文件" in upload(client, bad).content.decode()
    assert not LoanImport.objects.exists() and not Loan.objects.exists()


@pytest.mark.parametrize("role", ["enterprise_user", "park_operator", "institution_user"])
def test_only_banks_and_the_bureau_import(fworld, client_for, role):
    assert upload(client_for(fworld["users"][role]), xlsx([row(fworld["a"].uscc)])).status_code == 403
    assert not Loan.objects.exists()


def test_the_export_neutralises_formulas_and_holds_only_the_banks_own(fworld, client_for):
    from openpyxl import load_workbook

    from kechuang.accounts.models import Organisation

    upload(client_for(fworld["users"]["bank_user"]), xlsx([row(fworld["a"].uscc)]))
    Loan.objects.create(
        bank=Organisation.objects.get(name="山西银行"),
        enterprise=fworld["b"],
        contract_no="=SUM(A1)",
        amount=1,
        rate=3,
        disbursed_on=dt.date(2026, 1, 1),
        maturity_on=dt.date(2027, 1, 1),
    )
    sheet = load_workbook(
        io.BytesIO(client_for(fworld["users"]["bank_user"]).get("/finance/loans/?format=xlsx").content)
    ).active
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["JS-001"]
    sheet = load_workbook(
        io.BytesIO(client_for(fworld["users"]["bureau_staff"]).get("/finance/loans/?format=xlsx").content)
    ).active
    assert sorted(r[1] for r in sheet.iter_rows(min_row=2, values_only=True)) == ["'=SUM(A1)", "JS-001"]
    assert client_for(fworld["users"]["enterprise_user"]).get("/finance/loans/?format=xlsx").status_code == 403
