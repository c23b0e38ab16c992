"""`kechuang points score` end to end on a small facts CSV (stateless, no Django)."""

from __future__ import annotations

import csv

import openpyxl
import polars as pl
import pytest

from kechuang.cli import main
from tests.conftest import make_uscc

HEADER = [
    "uscc",
    "name",
    "year",
    "registered_on",
    "industry_code",
    "region_code",
    "revenue",
    "rd_expense",
    "staff_total",
    "tech_staff",
    "new_platforms_provincial",
    "hte_certified",
]


def _facts(tmp_path):
    a, b, c = make_uscc(1), make_uscc(2), make_uscc(3)
    rows = [
        [a, "甲公司", 2023, "2015-03-01", "3914", "140105", 800, 60, 50, 20, 1, "是"],
        [a, "甲公司", 2024, "2015-03-01", "3914", "140105", 1000, 90, 55, 25, 0, "是"],
        [b, "乙公司", 2024, "2019-07-01", "3915", "140106", 300, 30, 20, 2, 0, "否"],
        [c, "丙公司", 2024, "2020-01-01", "2710", "140106", "", 5, 10, 1, 0, ""],
    ]
    path = tmp_path / "facts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path, (a, b, c)


def test_score_writes_ranked_csv_whose_contributions_add_up(tmp_path, capsys):
    path, (a, b, c) = _facts(tmp_path)
    out = tmp_path / "points.csv"
    assert main(["points", "score", "--input", str(path), "--year", "2024", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "方案 core18@2022-01-01" in printed and "本局" in printed and "另有 1 家企业" in printed
    df = pl.read_csv(out, schema_overrides={"uscc": pl.Utf8})
    assert df.columns[:10] == [
        "uscc",
        "year",
        "stage",
        "points",
        "rank",
        "percentile",
        "stage_rank",
        "stage_percentile",
        "list",
        "list_label",
    ]
    contrib = [col for col in df.columns if col.startswith("c_")]
    assert len(contrib) == 19
    assert df["uscc"].to_list() == [a, b, c]  # rank order; the firm without revenue last
    scored = df.filter(pl.col("points").is_not_null())
    assert scored.select((pl.sum_horizontal(contrib) - pl.col("points")).abs().max()).item() < 1e-9
    first = df.row(0, named=True)
    assert (first["stage"], first["rank"], first["percentile"]) == ("growth", 1, 100.0)
    assert first["r_platforms_2y"] == 1 and first["c_platforms_2y"] == 3
    assert df.row(2, named=True)["points"] is None


def test_score_writes_xlsx(tmp_path):
    path, _ = _facts(tmp_path)
    out = tmp_path / "points.xlsx"
    assert main(["points", "score", "--input", str(path), "--year", "2024", "--output", str(out)]) == 0
    sheet = openpyxl.load_workbook(out, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("uscc", "year", "stage", "points") and len(rows) == 4


def test_carrier_file_adds_carrier_ranks(tmp_path):
    path, (a, b, _) = _facts(tmp_path)
    carriers = tmp_path / "carriers.csv"
    carriers.write_text(f"uscc,carrier\n{a},晋创谷\n{b},晋创谷\n", encoding="utf-8")
    out = tmp_path / "points.csv"
    args = [
        "points",
        "score",
        "--input",
        str(path),
        "--year",
        "2024",
        "--carrier",
        str(carriers),
        "--output",
        str(out),
    ]
    assert main(args) == 0
    df = pl.read_csv(out, schema_overrides={"uscc": pl.Utf8})
    assert df["carrier_rank"].to_list() == [1, 2, None]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--year", "2030"], "输入文件中没有 2030 年度的数据"),
        (["--year", "2024", "--scheme", "nope"], "方案 nope 在 2024-12-31 没有生效的版本"),
        (["--year", "2021"], "方案 core18 在 2021-12-31 没有生效的版本"),
    ],
)
def test_bad_input_exits_2_with_chinese_message(tmp_path, capsys, extra, message):
    path, _ = _facts(tmp_path)
    code = main(["points", "score", "--input", str(path), "--output", str(tmp_path / "o.csv"), *extra])
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("no_such_folder/o.csv", "输出文件夹不存在"),
        ("o.txt", "只支持写出 .csv 或 .xlsx 文件"),
    ],
)
def test_an_output_path_that_cannot_be_written_is_said_before_scoring(tmp_path, capsys, output, message):
    path, _ = _facts(tmp_path)
    code = main(["points", "score", "--input", str(path), "--year", "2024", "--output", str(tmp_path / output)])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / output).exists()


def test_check_reports_every_problem(tmp_path, capsys):
    from kechuang.engine.points.registry import SCHEMES_DIR

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (SCHEMES_DIR / "core18.yaml").read_text(encoding="utf-8").replace("rd_expense: 8\n", "rd_expense: 9\n"),
        encoding="utf-8",
    )
    assert main(["points", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    for stage in ("startup", "growth", "mature"):
        assert f"阶段 {stage} 的权重合计为 101，应为 100" in err
    assert main(["points", "check", str(SCHEMES_DIR / "core18.yaml")]) == 0
    assert main(["points", "schemes"]) == 0
    assert "core18@2022-01-01" in capsys.readouterr().out
