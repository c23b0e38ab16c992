"""`kechuang tiers …` end to end through kechuang.cli.main (no Django)."""

import csv
import errno
import json
import re

import openpyxl
import polars as pl
import pytest

from kechuang.cli import main
from kechuang.engine.facts_file import read_facts
from tests.conftest import make_uscc

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
    "restricted_products",
    "hte_certified",
    "national_award_5y_top3",
    "rd_institution_level",
    "led_standard_5y",
    "备注",
]
A, B, C = make_uscc(1), make_uscc(2), make_uscc(3)
ROW = [
    A,
    "甲",
    "2024",
    "100",
    "22",
    "3000",
    "150",
    "2000",
    "5000",
    "2",
    "3914",
    "否",
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
    row[0], row[HEADER.index("tech_staff")], row[HEADER.index("rd_expense")] = B, "5", "10"
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


def test_explain_exports_every_explanation_and_prints_its_time(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW, _weak_row()])
    plain = tmp_path / "plain.csv"
    assert evaluate(str(src), "2025-06-01", str(plain), "--tier", "tech_sme") == 0
    assert "用时" not in capsys.readouterr().out
    out = tmp_path / "out.csv"
    assert evaluate(str(src), "2025-06-01", str(out), "--tier", "tech_sme", "--explain") == 0
    assert re.search(r"含全部企业的判定说明，评估用时 \d+\.\d\d 秒", capsys.readouterr().out)
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    outcomes = [json.loads(r["explanation"])["conditions"]["score_threshold"]["outcome"] for r in rows]
    assert outcomes == ["true", "false"]


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
    assert rows[0][:4] == ("uscc", "tier", "ruleset", "qualified") and "explanation" in rows[0]
    assert rows[1][3] == "true"
    assert rows[1][rows[0].index("failed")] is None  # an empty text is an empty cell
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
    row = list(ROW)
    row[HEADER.index("rd_institution_level")] = "省级"
    row[HEADER.index("营业收入(万元)")] = "3,000.1234"
    row[HEADER.index("total_assets")] = "1.00001"
    read = read_facts(_write(tmp_path / "facts.csv", [row]), codes=None)
    frame, problems = read.frame, read.problems
    assert frame["rd_institution_level"][0] == "provincial"
    assert frame["revenue"][0] == 3000.1234
    assert frame["total_assets"][0] is None
    errors = [p for p in problems if p.level == "error"]
    assert [(p.row, p.column) for p in errors] == [(2, "total_assets")]
    assert "小数位数过多" in errors[0].message


# --- Bad input: exit 2, a Chinese message naming file, row and column, and no output file ---------------


def _run(capsys, src, as_of, out, *extra):
    code = evaluate(str(src), as_of, str(out), *extra)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _with(**cells):
    row = list(ROW)
    for column, value in cells.items():
        row[HEADER.index(column)] = value
    return row


def _cell_errors(name, *lines):
    return f"错误：{name} 有 {len(lines)} 个单元格无法读取：\n" + "".join(f"  {line}\n" for line in lines)


UNKNOWN = "提示：列“备注”：未知的列，已忽略\n"
DUPLICATE = "与第 2 行重复（同一企业同一年度只能出现一次）"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e999", "“1e999”不是有效数字（数值过大，绝对值应小于 100000000000000）"),
        ("NaN", "“NaN”不是有效数字"),
        ("inf", "“inf”不是有效数字"),
        ("-Infinity", "“-Infinity”不是有效数字"),
        ("12,3", "“12,3”不是有效数字：千位分隔符“,”只能每三位一组（如 1,234,567.8）"),
        ("1,2,3,4", "“1,2,3,4”不是有效数字：千位分隔符“,”只能每三位一组（如 1,234,567.8）"),
        ("1_000", "“1_000”不是数字"),
    ],
)
def test_invalid_numbers_are_cell_errors(tmp_path, capsys, value, message):
    src = _write(tmp_path / "facts.csv", [ROW, _with(uscc=B, rd_expense=value)])
    out = tmp_path / "out.csv"
    assert _run(capsys, src, "2025-06-01", out) == (
        2,
        "",
        UNKNOWN + _cell_errors(str(src), f"第 3 行，列“rd_expense”：{message}（值：“{value}”）"),
    )
    assert not out.exists()


def test_invalid_numbers_in_xlsx_are_cell_errors(tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(_with(rd_expense="1e999", tech_staff="12,3"))
    sheet.append(_with(uscc=B, rd_expense="NaN"))  # openpyxl writes a float NaN as an empty cell
    src = tmp_path / "facts.xlsx"
    book.save(src)
    out = tmp_path / "out.csv"
    assert _run(capsys, src, "2025-06-01", out) == (
        2,
        "",
        UNKNOWN
        + _cell_errors(
            str(src),
            "第 2 行，列“tech_staff”：“12,3”不是有效数字：千位分隔符“,”只能每三位一组（如 1,234,567.8）（值：“12,3”）",
            "第 2 行，列“rd_expense”：“1e999”不是有效数字（数值过大，绝对值应小于 100000000000000）（值：“1e999”）",
            "第 3 行，列“rd_expense”：“NaN”不是有效数字（值：“NaN”）",
        ),
    )
    assert not out.exists()


def test_uscc_and_name_are_checked(tmp_path, capsys):
    wrong_check = A[:-1] + ("0" if A[-1] != "0" else "1")
    rows = [
        _with(uscc=wrong_check),
        _with(uscc="ABC"),
        _with(uscc=""),
        _with(uscc=B, 企业名称=""),
        _with(uscc=C, year=""),
    ]
    src = _write(tmp_path / "facts.csv", rows)
    out = tmp_path / "out.csv"
    assert _run(capsys, src, "2025-06-01", out) == (
        2,
        "",
        UNKNOWN
        + _cell_errors(
            str(src),
            f"第 2 行，列“uscc”：统一社会信用代码校验位错误（值：“{wrong_check}”）",
            "第 3 行，列“uscc”：统一社会信用代码应为18位（值：“ABC”）",
            "第 4 行，列“uscc”：必填项为空",
            "第 5 行，列“企业名称”：必填项为空",
            "第 6 行，列“year”：必填项为空",
        ),
    )
    assert not out.exists()


def test_lower_case_uscc_is_the_same_enterprise(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW, _with(uscc=f" {A.lower()} ")])
    assert _run(capsys, src, "2025-06-01", tmp_path / "out.csv") == (
        2,
        "",
        UNKNOWN + _cell_errors(str(src), f"第 3 行，列“uscc”：{DUPLICATE}（值：“{A} / 2024”）"),
    )


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers(tmp_path, capsys):
    src = tmp_path / "facts.csv"
    lines = [",".join(HEADER), ",".join(ROW), "", " , ,", ",".join(_with(uscc=B, rd_expense="x")), "", ""]
    src.write_text("\n".join(lines), encoding="utf-8")
    assert _run(capsys, src, "2025-06-01", tmp_path / "out.csv") == (
        2,
        "",
        UNKNOWN + _cell_errors(str(src), "第 5 行，列“rd_expense”：“x”不是数字（值：“x”）"),
    )
    src.write_text("\n".join(lines).replace(",x,", ",150,"), encoding="utf-8")
    out = tmp_path / "out.csv"
    code, printed, _ = _run(capsys, src, "2025-06-01", out, "--tier", "tech_sme")
    assert code == 0 and printed.startswith(f"已评估 2 家企业、1 个梯队，结果写入 {out}\n")
    assert pl.read_csv(out, infer_schema=False)["uscc"].to_list() == [A, B]


def test_xlsx_rows_are_numbered_as_in_the_sheet(tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(ROW)
    sheet.append([])  # an empty row 3, not even written to the file
    sheet.append([None, "", " "])  # row 4: blank cells
    sheet.append(_with(uscc=B, rd_expense="一百五"))
    src = tmp_path / "facts.xlsx"
    book.save(src)
    assert _run(capsys, src, "2025-06-01", tmp_path / "out.csv") == (
        2,
        "",
        UNKNOWN + _cell_errors(str(src), "第 5 行，列“rd_expense”：“一百五”不是数字（值：“一百五”）"),
    )


def test_repeated_column_makes_the_file_unreadable(tmp_path, capsys):
    """Which of two columns for one fact holds the data is not clear: the file is refused, as by the import."""
    src = _write(tmp_path / "facts.csv", [[*ROW, "2023", "2023"]], header=[*HEADER, "year", "年度"])
    assert _run(capsys, src, "2025-06-01", tmp_path / "out.csv") == (
        2,
        "",
        "错误：facts.csv 的表头有重复的列：列“year”出现了不止一次；列“年度”与列“year”同为年度（year）。"
        "请每项数据只保留一列\n",
    )


def test_rd_institution_level_in_chinese(tmp_path, capsys):
    rows = [_with(rd_institution_level="省级"), _with(uscc=B, rd_institution_level="国家")]
    read = read_facts(_write(tmp_path / "f.csv", rows), codes=None)
    frame, problems = read.frame, read.problems
    assert frame["rd_institution_level"].to_list() == ["provincial", "national"]
    assert [p.level for p in problems] == ["warning"]
    src = _write(tmp_path / "facts.csv", [_with(rd_institution_level="区级")])
    assert _run(capsys, src, "2025-06-01", tmp_path / "out.csv") == (
        2,
        "",
        UNKNOWN
        + _cell_errors(
            str(src),
            "第 2 行，列“rd_institution_level”：取值“区级”不在允许范围内："
            "无（none）、市级（municipal）、省级（provincial）、国家级（national）（值：“区级”）",
        ),
    )


# --- Files: encodings, empty files, malformed CSV --------------------------------------------------------


def test_gbk_csv_is_read_as_utf8_is(tmp_path, capsys):
    utf8 = _write(tmp_path / "utf8.csv", [ROW, _weak_row()])
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(utf8.read_text(encoding="utf-8-sig").encode("gbk"))
    assert evaluate(str(utf8), "2025-06-01", str(tmp_path / "a.csv")) == 0
    assert evaluate(str(gbk), "2025-06-01", str(tmp_path / "b.csv")) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf\n"])
def test_empty_file(tmp_path, capsys, content):
    src = tmp_path / "empty.csv"
    src.write_bytes(content)
    assert _run(capsys, src, "2025-06-01", tmp_path / "out.csv") == (2, "", "错误：empty.csv 是空文件，缺少表头行\n")


def test_header_only(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [])
    out = tmp_path / "out.csv"
    assert _run(capsys, src, "2025-06-01", out) == (2, "", UNKNOWN + f"错误：{src} 没有数据行（只有表头）\n")
    assert not out.exists()


def test_line_with_more_cells_than_the_header(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW, [*ROW[:-1], "extra", "x"], _with(uscc=B)])
    code, printed, errors = _run(capsys, src, "2025-06-01", tmp_path / "out.csv")
    assert (code, printed) == (2, "")
    assert errors.startswith(UNKNOWN + f"错误：{src} 有 1 个单元格无法读取：\n")
    assert errors.splitlines()[2].startswith(
        f"  第 3 行：这一行有 {len(HEADER) + 1} 列，多于表头的 {len(HEADER)} 列（是否有未加引号的逗号？），"
        f"未能读取（值：“{A},"
    )
    assert len(errors.splitlines()) == 3  # row 4, after it, was read


# --- Output: checked before evaluating, written whole or not at all ------------------------------------


def test_output_folder_must_exist(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW])
    for name in ("r.csv", "r.xlsx"):
        out = tmp_path / "missing" / name
        assert _run(capsys, src, "2025-06-01", out) == (2, "", f"错误：输出文件夹不存在：{out.parent}（请先创建）\n")
    assert not (tmp_path / "missing").exists()


def test_output_path_is_a_folder(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW])
    (tmp_path / "r.csv").mkdir()
    assert _run(capsys, src, "2025-06-01", tmp_path / "r.csv") == (
        2,
        "",
        f"错误：输出路径 {tmp_path / 'r.csv'} 是一个文件夹，请给出文件名（.csv 或 .xlsx）\n",
    )
    expected = f"错误：{tmp_path.name}：只支持写出 .csv 或 .xlsx 文件\n"
    assert _run(capsys, src, "2025-06-01", tmp_path) == (2, "", expected)


def test_a_failed_write_leaves_no_partial_file(tmp_path, capsys, monkeypatch):
    src = _write(tmp_path / "facts.csv", [ROW])
    out = tmp_path / "out.csv"
    out.write_text("earlier results", encoding="utf-8")

    def disk_full(self, file, **kwargs):
        file.write(b"uscc,tier,rul")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_csv", disk_full)
    assert _run(capsys, src, "2025-06-01", out, "--tier", "tech_sme") == (
        2,
        "",
        UNKNOWN + f"错误：无法写入 {out}：磁盘空间不足（未留下不完整的文件）\n",
    )
    assert out.read_text(encoding="utf-8") == "earlier results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["facts.csv", "out.csv"]


def test_empty_texts_are_written_as_empty_cells(tmp_path):
    src = _write(tmp_path / "facts.csv", [ROW, _weak_row()])
    out = tmp_path / "out.csv"
    assert evaluate(str(src), "2025-06-01", str(out), "--tier", "tech_sme") == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1] == f"{A},tech_sme,tech_sme@2022-05-01,true,score,64.0,64.0,64.0,,,[]"
    assert all(',"",' not in line for line in lines)
    with open(out, encoding="utf-8-sig") as fh:
        first = next(csv.DictReader(fh))
    assert (first["route"], first["failed"], first["missing"]) == ("score", "", "")


# --- Arguments ---------------------------------------------------------------------------------------------


def test_no_rules_in_force_on_the_date(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW])
    out = tmp_path / "out.csv"
    assert _run(capsys, src, "2015-06-01", out) == (
        2,
        "",
        "错误：2015-06-01 没有生效的梯队规则集（最早的规则集自 2016-01-01 起生效），请检查 --as-of\n",
    )
    assert not out.exists()


def test_unknown_tier_lists_the_tiers_in_force_on_the_date(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW])
    assert _run(capsys, src, "2018-06-01", tmp_path / "out.csv", "--tier", "tech_sme", "--tier", "nosuch") == (
        2,
        "",
        "错误：2018-06-01 没有生效的梯队规则 “tech_sme”、“nosuch”（该日可用：gazelle、high_tech）\n",
    )


def test_unknown_local_set(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW])
    assert _run(capsys, src, "2025-06-01", tmp_path / "out.csv", "--local-set", "nosuch") == (
        2,
        "",
        "错误：未知的地方规则变体“nosuch”（2025-06-01 可用：huangpu、jinan、suqian）\n",
    )


def test_repeated_tier_is_evaluated_once(tmp_path, capsys):
    src = _write(tmp_path / "facts.csv", [ROW])
    out = tmp_path / "out.csv"
    extra = ["--tier", "gazelle", "--tier", "gazelle", "--tier", "gazelle_jinan", "--local-set", "jinan"]
    code, printed, _ = _run(capsys, src, "2025-06-01", out, *extra)
    assert code == 0 and printed.startswith(f"已评估 1 家企业、1 个梯队，结果写入 {out}\n")
    assert pl.read_csv(out, infer_schema=False).select("uscc", "ruleset").rows() == [(A, "gazelle_jinan@2016-01-01")]


@pytest.mark.parametrize("as_of", ["20250601", "2025-6-1", "2025-W22-7"])
def test_as_of_must_be_yyyy_mm_dd(tmp_path, capsys, as_of):
    src = _write(tmp_path / "facts.csv", [ROW])
    assert _run(capsys, src, as_of, tmp_path / "out.csv") == (2, "", f"错误：日期“{as_of}”无效，应为 YYYY-MM-DD\n")


def test_summary_names_enterprises_without_figures_for_the_fiscal_year(tmp_path, capsys):
    old = [_with(uscc=B, year=str(y)) for y in (2018, 2019)]
    src = _write(tmp_path / "facts.csv", [ROW, *old])
    out = tmp_path / "out.csv"
    code, printed, err = _run(capsys, src, "2025-06-01", out, "--tier", "tech_sme")
    assert code == 0
    assert printed == f"已评估 1 家企业（文件中共 2 家）、1 个梯队，结果写入 {out}\n  tech_sme           true     1\n"
    assert err == UNKNOWN + f"提示：1 家企业没有 2021–2024 年度的任何数据（规则按 2024 财年评估），未参与评估：{B}\n"
    code, printed, err = _run(capsys, src, "2031-06-01", out, "--tier", "tech_sme")
    assert (code, printed) == (2, "")
    assert err == UNKNOWN + (
        f"错误：{src} 中没有可评估的企业：2 家企业没有 2027–2030 年度的任何数据（规则按 2030 财年评估），"
        f"未参与评估：{A}、{B}；请检查 --as-of 或输入文件\n"
    )


def test_tiers_test_unknown_ruleset(capsys):
    assert main(["tiers", "test", "--ruleset", "nosuch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("错误：没有规则集 “nosuch” 的案例（可用：gazelle、gazelle_jinan、high_tech、")


def test_usage_errors_are_in_chinese(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["tiers", "evaluate", "--input", "x.csv"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：kechuang tiers evaluate [-h] --input INPUT --as-of AS_OF")
    assert err.endswith("kechuang tiers evaluate：错误：缺少必需的参数：--as-of, --output\n")
