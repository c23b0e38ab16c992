"""`kechuang tiers …` end to end through kechuang.cli.main (no Django)."""

import csv
import json

import openpyxl
import pytest

from kechuang.cli import main

HEADER = [
    "uscc",
    "企业名称",
    "year",
    "职工总数",
    "tech_staff",
    "营业收入(万元)",
    "rd_expense",
    "total_cost_expense",
    "total_assets",
    "utility_models",
    "industry_code",
    "major_accident",
    "env_violation",
    "research_misconduct",
    "abnormal_listed",
    "dishonest_listed",
    "hte_certified",
    "national_award_5y_top3",
    "rd_institution_level",
    "led_standard_5y",
    "备注",
]
ROW = [
    "91350100M000100Y",
    "甲",
    "2024",
    "100",
    "22",
    "3000",
    "150",
    "2000",
    "5000",
    "2",
    "3911",
    "否",
    "否",
    "否",
    "否",
    "否",
    "否",
    "否",
    "无",
    "否",
    "x",
]



def evaluate(src, as_of, out, *extra) -> int:
    """`kechuang tiers evaluate --input SRC --as-of AS_OF --output OUT [extra…]`; returns the exit code."""
    return main(["tiers", "evaluate", "--input", src, "--as-of", as_of, "--output", out, *extra])

def _write(path, rows, header=HEADER):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_evaluate_csv(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW])
    out = tmp_path / "out.csv"
    assert evaluate(str(src), "2025-06-01", str(out), "--tier", "tech_sme") == 0
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["qualified"] == "true" and rows[0]["score"] == "64.0" and rows[0]["route"] == "score"
    assert json.loads(rows[0]["gaps"]) == []
    assert "备注" in capsys.readouterr().err  # unknown column: a warning, not an error


def test_empty_cells_are_unknown_not_errors(tmp_path):
    row = list(ROW)
    row[HEADER.index("rd_expense")] = ""
    src = _write(tmp_path / "facts.csv", [row])
    out = tmp_path / "out.csv"
    assert evaluate(str(src), "2025-06-01", str(out), "--tier", "tech_sme") == 0
    with open(out, encoding="utf-8-sig") as fh:
        result = next(csv.DictReader(fh))
    assert (result["qualified"], result["missing"]) == ("unknown", "rd_expense")


def _weak_row():
    """ROW with 5 tech staff and R&D 10: fails the score and the tech staff condition."""
    row = list(ROW)
    row[0], row[HEADER.index("tech_staff")], row[HEADER.index("rd_expense")] = "91350100M000200Y", "5", "10"
    return row


WEAK_GAPS = [
    {"condition": "score_threshold", "field": "rd_expense", "current": 10.0, "required": 180.0, "delta": 170.0},
    {"condition": "tech_staff_nonzero", "field": "tech_staff", "current": 5.0, "required": 10.0, "delta": 5.0},
]


def test_gaps_are_written_as_json_lists(tmp_path):
    src = _write(tmp_path / "facts.csv", [ROW, _weak_row()])
    out = tmp_path / "out.csv"
    assert evaluate(str(src), "2025-06-01", str(out), "--tier", "tech_sme") == 0
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [json.loads(r["gaps"]) for r in rows] == [[], WEAK_GAPS]


def test_missing_required_columns_named_in_one_message(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [["x"]], header=["营业收入"])
    assert evaluate(str(src), "2025-06-01", str(tmp_path / "o.csv")) == 2
    err = capsys.readouterr().err
    assert "uscc" in err and "企业名称" in err and "year" in err and err.count("缺少") == 1


def test_malformed_value_reported_with_row_and_column(tmp_path, capsys):
    bad = list(ROW)
    bad[HEADER.index("rd_expense")] = "一百五"
    src = _write(tmp_path / "facts.csv", [ROW, bad])
    assert evaluate(str(src), "2025-06-01", str(tmp_path / "o.csv")) == 2
    err = capsys.readouterr().err
    assert "第 3 行" in err and "rd_expense" in err and "一百五" in err


def test_xlsx_in_and_out(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in (ROW, _weak_row()):
        sheet.append([int(v) if v.isdigit() and i > 1 else v for i, v in enumerate(row)])
    src = tmp_path / "facts.xlsx"
    book.save(src)
    out = tmp_path / "out.xlsx"
    assert evaluate(str(src), "2025-06-01", str(out), "--tier", "tech_sme", "--explain") == 0
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("uscc", "tier", "ruleset", "qualified") and rows[0][-1] == "explanation"
    assert rows[1][3] == "true"
    assert [json.loads(r[rows[0].index("gaps")]) for r in rows[1:]] == [[], WEAK_GAPS]


def test_bad_date_exits_2(tmp_path):
    src = _write(tmp_path / "facts.csv", [ROW])
    assert evaluate(str(src), "2025/13/01", str(tmp_path / "o.csv")) == 2


@pytest.mark.parametrize("ruleset", ["tech_sme", "gazelle_jinan"])
def test_tiers_test_runs_cases(ruleset, capsys):
    assert main(["tiers", "test", "--ruleset", ruleset]) == 0
    assert "通过" in capsys.readouterr().out


def test_duplicate_enterprise_year_is_reported(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW, ROW])
    assert evaluate(str(src), "2025-06-01", str(tmp_path / "o.csv")) == 2
    assert "第 3 行" in capsys.readouterr().err


def test_read_facts_types_and_problems(tmp_path):
    from kechuang.engine.io import read_facts

    row = list(ROW)
    row[HEADER.index("rd_institution_level")] = "省级"
    row[HEADER.index("营业收入(万元)")] = "3,000.1234"
    row[HEADER.index("total_assets")] = "1.00001"
    frame, problems = read_facts(_write(tmp_path / "facts.csv", [row]))
    assert frame["rd_institution_level"][0] == "provincial"
    assert frame["revenue"][0] == 3000.1234
    assert frame["total_assets"][0] is None
    errors = [p for p in problems if p.level == "error"]
    assert [(p.row, p.column) for p in errors] == [(2, "total_assets")]
    assert "小数位数过多" in errors[0].message
