"""`kechuang policies …` end to end on small files (stateless; no Django)."""

import csv
import json
import textwrap

import pytest

from kechuang.cli import main

A, B, C = "91140100MA00000016", "91140100MA00000029", "91140100MA0000003C"
HEADER = [
    "uscc",
    "企业名称",
    "year",
    "行政区划代码",
    "入驻晋创谷等创新谷区",
    "paid_in_capital",
    "registered_on",
    "营业收入(万元)",
    "procurement_amount",
    "procurement_sales",
    "rent_paid",
    "来源",
    "备注",
]
ROWS = [
    [A, "甲", "2025", "140105", "是", "300", "2024-03-01", "100", "2000", "2000", "20", "省内高校院所团队", ""],
    [B, "乙", "2025", "140105", "是", "25", "2024-03-01", "100", "", "", "", "省内高校院所团队", ""],
    [C, "丙", "2025", "140106", "", "150", "2019-03-01", "5000", "0", "0", "", "", "x"],
]


def write_csv(path, header=HEADER, rows=ROWS):
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_out(path):
    with path.open(encoding="utf-8-sig") as fh:
        return {row["uscc"]: row for row in csv.DictReader(fh)}


def simulate(tmp_path, *extra, policy="startup_fund", facts=None, as_of="2025-06-30"):
    facts = facts or write_csv(tmp_path / "facts.csv")
    out = tmp_path / "out.csv"
    code = main(
        [
            "policies",
            "simulate",
            "--policy",
            policy,
            "--input",
            str(facts),
            "--as-of",
            as_of,
            "--output",
            str(out),
            *extra,
        ]
    )
    return code, out


def test_simulate_writes_one_row_per_firm_with_reasons(tmp_path, capsys):
    code, out = simulate(tmp_path)
    assert code == 0
    rows = read_out(out)
    assert [rows[u]["eligible"] for u in (A, B, C)] == ["true", "false", "unknown"]
    assert [rows[u]["amount"] for u in (A, B, C)] == ["100.0000", "0.0000", ""]
    assert rows[B]["failed"] == "amount_min"
    assert json.loads(rows[B]["gaps"]) == [
        {
            "condition": "amount_min",
            "field": "paid_in_capital",
            "current": 25.0,
            "required": 30.0,
            "delta": 5.0,
        }
    ]
    assert rows[C]["missing"] == "valley_resident;origin;relocated_on"
    assert rows[C]["potential_amount"] == "100.0000"
    assert rows[A]["version_id"] == "startup_fund@2024-01-01"
    assert json.loads(rows[A]["facts"])["paid_in_capital"] == 300.0
    printed = capsys.readouterr().out
    assert "符合 1 家，不符合 1 家，待补数据（未知）1 家" in printed
    assert "应兑现合计 100.0000 万元；年度预算 3500.0000 万元；预算内兑现 100.0000 万元" in printed


def test_policy_input_columns_are_read_and_absent_ones_are_unknown(tmp_path):
    code, out = simulate(tmp_path, policy="rent_refund")
    assert code == 0
    rows = read_out(out)
    assert (rows[A]["eligible"], rows[A]["amount"]) == ("true", "10.0000")
    assert rows[B]["eligible"] == "unknown" and rows[B]["missing"] == "rent_paid"
    code, out = simulate(tmp_path, policy="loan_interest_subsidy")  # no loan_interest_paid column at all
    assert code == 0
    assert "loan_interest_paid" in read_out(out)[A]["missing"]


def test_draft_yaml_and_compare(tmp_path, capsys):
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        textwrap.dedent("""
        id: procurement_subsidy
        name: 产品预约采购补贴（草案）
        issuer: 山西省人民政府办公厅
        document: 草案
        source: 草案
        verification: U
        delivery: apply
        effective_from: 2025-01-01
        facts_year: current
        eligibility:
          - {id: valley_firm, when: valley_resident}
          - {id: agreement_signed, when: procurement_amount > 0}
        benefit: {kind: rate, base: procurement_amount, rate: 0.15, caps: [{id: cap, amount: 1000}]}
    """),
        encoding="utf-8",
    )
    code, out = simulate(tmp_path, "--compare", "procurement_subsidy", policy=str(draft))
    assert code == 0
    assert read_out(out)[A]["amount"] == "300.0000"
    printed = capsys.readouterr().out
    assert "[a] procurement_subsidy@2024-01-01：符合 1 家" in printed
    assert "应兑现 200.0000 万元" in printed and "应兑现 300.0000 万元" in printed


def test_payout_history(tmp_path):
    payouts = tmp_path / "payouts.csv"
    payouts.write_text(f"uscc,policy,year,amount\n{A},startup_fund,2024,100\n", encoding="utf-8")
    code, out = simulate(tmp_path, "--payouts", str(payouts))
    assert code == 0
    assert read_out(out)[A]["failed"] == "amount_min;already_received;limit_reached"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"as_of": "2025-13-01"}, "日期“2025-13-01”无效"),
        ({"policy": "no_such_policy"}, "未找到政策“no_such_policy”"),
        ({"as_of": "2023-06-30"}, "在 2023-06-30 没有有效版本"),
    ],
)
def test_bad_arguments_exit_2_with_chinese_messages(tmp_path, capsys, args, message):
    code, _ = simulate(tmp_path, **args)
    assert code == 2
    assert message in capsys.readouterr().err


def test_missing_file_and_missing_columns_exit_2(tmp_path, capsys):
    code, _ = simulate(tmp_path, facts=tmp_path / "nope.csv")
    assert code == 2 and "找不到文件" in capsys.readouterr().err
    no_uscc = write_csv(tmp_path / "bad.csv", HEADER[1:], [r[1:] for r in ROWS])
    code, _ = simulate(tmp_path, facts=no_uscc)
    assert code == 2 and "缺少必需的列" in capsys.readouterr().err


def test_bad_cells_exit_2_naming_row_and_column(tmp_path, capsys):
    rows = [r[:] for r in ROWS]
    rows[1][10] = "很多"  # rent_paid: a declared facts column now, read by the shared reader
    code, _ = simulate(tmp_path, facts=write_csv(tmp_path / "bad.csv", rows=rows))
    assert code == 2
    assert "第 3 行，列“rent_paid”：“很多”不是数字" in capsys.readouterr().err
    rows = [r[:] for r in ROWS]
    rows[0][5] = "三百"  # paid_in_capital, read by the shared reader
    code, _ = simulate(tmp_path, facts=write_csv(tmp_path / "bad2.csv", rows=rows))
    assert code == 2
    assert "1 个单元格无法读取" in capsys.readouterr().err


def test_a_broken_line_is_reported_not_a_traceback(tmp_path, capsys):
    """The policy-input columns are not read from a file the facts reader found errors in."""
    facts = write_csv(tmp_path / "facts.csv")
    facts.write_text(facts.read_text(encoding="utf-8-sig") + f'{A},"甲,2025\n', encoding="utf-8")
    code, out = simulate(tmp_path, facts=facts)
    assert code == 2 and not out.exists()
    assert "第 5 行：这一行的引号不成对" in capsys.readouterr().err


def test_check_and_list(tmp_path, capsys):
    from kechuang.engine.policies.model import default_directory

    assert main(["policies", "check", str(default_directory() / "startup_fund.yaml")]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: y\n", encoding="utf-8")
    assert main(["policies", "check", str(bad)]) == 2
    assert "文件 bad.yaml，规则 x，字段 benefit（兑现标准）：缺少此项" in capsys.readouterr().err
    assert main(["policies", "list", "--as-of", "2025-06-30"]) == 0
    listed = capsys.readouterr().out
    assert "startup_fund@2024-01-01\t创新启动资金\t免申即享\t2024-01-01–2028-12-31\tP" in listed
