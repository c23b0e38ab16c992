"""Issue 20 items 2, 4, 5 and 11 (files): bad cells are row errors naming file, row and column on every database,
the valid rows are stored, every line of a file is stored or reported, and an unreadable file is said in Chinese."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from kechuang import cli
from kechuang.core.models import Job
from kechuang.engine import facts
from kechuang.engine.facts_file import read_facts
from kechuang.enterprises import importing
from kechuang.enterprises.models import AnnualFigure, Enterprise
from kechuang.reference.load import facts_codes
from tests.conftest import make_uscc
from tests.registry.test_import import HEADER, good_row, write_csv
from tests.registry.test_jobs import immediate_huey  # noqa: F401  (a fixture)

NAME = HEADER.index("企业名称")


def _errors(report) -> dict:
    return {(e["row"], e["column"]): (e["value"], e["message"]) for e in report["errors"]}


def _row(n, **cells):
    """good_row(n) with some cells changed, by header (营业收入_万元 for 营业收入(万元))."""
    row = good_row(n)
    for column, value in cells.items():
        name, _, unit = column.partition("_")
        row[HEADER.index(f"{name}({unit})" if unit else name)] = value
    return row


@pytest.mark.django_db
def test_control_characters_and_overlong_text_are_cell_errors_and_valid_rows_are_stored(ref, tmp_path):
    long_name = "晋" * 201
    rows = [
        good_row(1),
        _row(2, 企业名称="太原\x00甲科技"),
        _row(3, 企业名称=long_name),
        _row(4, 企业名称="晋" * 200),
        _row(5, 企业名称="制表\t公司"),
        good_row(6),
    ]
    report = importing.import_facts(write_csv(tmp_path / "名称.csv", rows))
    assert (report["total_rows"], report["accepted_rows"], report["rejected_rows"]) == (6, 3, 3)
    assert _errors(report) == {
        (3, "企业名称"): ("太原␀甲科技", "含有控制字符（第 3 个字符，U+0000），请删除后重新填写"),
        (4, "企业名称"): ("晋" * 100 + "…", "长度为 201 个字符，超过上限 200 个字符"),
        (6, "企业名称"): ("制表␉公司", "含有控制字符（第 3 个字符，U+0009），请删除后重新填写"),
    }
    assert report["errors"][0]["file"] == "名称.csv"
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {make_uscc(1), make_uscc(4), make_uscc(6)}
    assert Enterprise.objects.get(uscc=make_uscc(4)).name == "晋" * 200  # the limit itself is allowed


@pytest.mark.django_db
def test_a_200000_character_cell_is_a_row_error_not_an_unreadable_file(ref, tmp_path):
    huge = "x" * 200_000
    rows = [good_row(1), _row(2, 企业名称=huge), _row(3, 研发费用_万元=huge), good_row(4)]
    report = importing.import_facts(write_csv(tmp_path / "大.csv", rows))
    assert report["accepted_rows"] == 2
    assert _errors(report) == {
        (3, "企业名称"): ("x" * 100 + "…", "长度为 200000 个字符，超过上限 200 个字符"),
        (4, "研发费用(万元)"): ("x" * 100 + "…", f"“{'x' * 50}…”不是数字"),
    }
    # The same when the file also has a broken line (read line by line, not by Polars).
    broken = tmp_path / "大2.csv"
    broken.write_bytes(write_csv(tmp_path / "x.csv", rows).read_bytes() + b'"unclosed,\n')
    again = importing.import_facts(broken)
    assert (again["total_rows"], again["rejected_rows"]) == (5, 3)


@pytest.mark.django_db
def test_other_scripts_digits_are_not_numbers_and_full_width_digits_are(ref, tmp_path):
    rows = [_row(1, 研发费用_万元="٣٠٠"), _row(2, 研发费用_万元="３００．５"), _row(3, 年度="２０２４")]
    report = importing.import_facts(write_csv(tmp_path / "digits.csv", rows))
    assert _errors(report) == {(2, "研发费用(万元)"): ("٣٠٠", "“٣٠٠”不是数字：请使用 0–9 的数字")}
    assert str(AnnualFigure.objects.get(enterprise__uscc=make_uscc(2)).rd_expense) == "300.5000"
    assert AnnualFigure.objects.get(enterprise__uscc=make_uscc(3)).year == 2024


@pytest.mark.django_db
def test_text_model_fields_hold_what_the_reader_allows():
    """The reader's length limits are the database columns' sizes: nothing longer reaches any database."""
    from django.apps import apps

    for column in (c for c in facts.COLUMNS if c.kind == facts.STR and c.name not in ("region_code", "industry_code")):
        model = apps.get_model("enterprises", "Enterprise" if column.static else "AnnualFigure")
        assert model._meta.get_field(column.name).max_length == column.text_limit, column.name


def _unclosed_quote_file(tmp_path):
    lines = [",".join(HEADER)]
    lines += [",".join(map(str, good_row(n))) for n in range(1, 6)]
    bad = good_row(6)
    bad[NAME] = '"太原未闭合引号科技有限公司'  # an opening quote never closed
    lines.append(",".join(map(str, bad)))
    lines += [",".join(map(str, good_row(n))) for n in range(7, 10)]
    path = tmp_path / "引号.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.django_db
def test_an_unclosed_quote_loses_no_row(ref, tmp_path):
    """5 good rows, one with an unclosed quote, 3 good rows: 8 stored, line 7 reported, none left unmentioned."""
    report = importing.import_facts(_unclosed_quote_file(tmp_path))
    assert (report["total_rows"], report["accepted_rows"], report["rejected_rows"]) == (9, 8, 1)
    [error] = report["errors"]
    assert (error["file"], error["row"], error["column"]) == ("引号.csv", 7, "")
    assert error["message"].startswith("这一行的引号不成对")
    assert error["value"].startswith(make_uscc(6))
    assert Enterprise.objects.count() == 8 and not Enterprise.objects.filter(uscc=make_uscc(6)).exists()
    assert importing.summary(report) == "共 9 行，已导入 8 行，拒绝 1 行"


def test_a_cell_spanning_lines_and_a_line_with_too_many_cells_are_reported_line_by_line(tmp_path):
    lines = [
        ",".join(HEADER),
        ",".join(map(str, good_row(1))),
        ",".join(map(str, good_row(2)[:NAME])) + ',"两行的',
        '名称",' + ",".join(map(str, good_row(2)[NAME + 1 :])),
        ",".join(map(str, [*good_row(3), "多出的一列"])),
        ",".join(map(str, good_row(4))),
    ]
    path = tmp_path / "行.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    read = read_facts(path, codes=facts_codes())
    assert [(p.row, p.message[:9]) for p in read.errors] == [
        (3, "这一行的引号不成对"),
        (4, "这一行的引号不成对"),
        (5, f"这一行有 {len(HEADER) + 1} 列"),
    ]
    assert read.rows == [2, 6] and read.total_rows == 5


def _corrupt_xlsx(tmp_path):
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(good_row(1))
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # a valid zip whose sheet XML breaks off
            target.writestr(item, data)
    return path


CORRUPT = "坏.xlsx 不是有效的 Excel(.xlsx) 文件，或文件已损坏（请在 Excel 中打开并另存为 .xlsx 后重试）"


@pytest.mark.django_db
def test_a_corrupt_xlsx_exits_2_with_a_chinese_message(ref, tmp_path, capsys):
    path = _corrupt_xlsx(tmp_path)
    assert cli.main(["import", "facts", str(path)]) == 2
    assert capsys.readouterr().err == f"错误：{CORRUPT}\n"
    assert (
        cli.main(
            ["tiers", "evaluate", "--input", str(path), "--as-of", "2025-06-30", "--output", str(tmp_path / "out.csv")]
        )
        == 2
    )
    assert capsys.readouterr().err == f"错误：{CORRUPT}\n"
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_a_corrupt_xlsx_is_refused_at_once_in_chinese(world, client_for, tmp_path):
    """A small .xlsx is checked at once as the page says (it used to go to a job however small): a broken one
    is refused on the page with the reader's message, no job, nothing imported."""
    data = _corrupt_xlsx(tmp_path).read_bytes()
    client = client_for(world["users"]["bureau_staff"])
    response = client.post(reverse("enterprises:import"), {"file": SimpleUploadedFile("坏.xlsx", data)})
    html = response.content.decode()
    assert response.status_code == 200 and CORRUPT in html
    assert "Traceback" not in html and "unclosed" not in html and "Error" not in html
    assert not Job.objects.exists()
    assert Enterprise.objects.count() == 3  # the world's, nothing imported


@pytest.mark.django_db
def test_a_corrupt_import_job_fails_in_chinese(world, tmp_path):
    """A file that goes to the background and then cannot be read fails its job with the reader's message."""
    from kechuang.core import jobs

    path = _corrupt_xlsx(tmp_path)
    job = Job.objects.create(kind="import_facts", title="导入 坏.xlsx", created_by=world["users"]["bureau_staff"])
    kwargs = {"path": str(path), "display_name": "坏.xlsx", "actor_id": job.created_by_id, "dry_run": False}
    jobs.execute(str(job.pk), "kechuang.enterprises.importing.import_job", kwargs)
    job.refresh_from_db()
    assert (job.status, job.message, job.result) == ("failed", "文件无法读取，未导入任何数据", {"unreadable": CORRUPT})
    assert Enterprise.objects.count() == 3 and not path.exists()


@pytest.mark.django_db
def test_bad_cells_in_a_background_import_are_stored_as_a_readable_report(
    world,
    client_for,
    settings,
    tmp_path,
    immediate_huey,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    """On PostgreSQL a NUL cannot be stored in JSON: the report shows it as ␀ and the job finishes."""
    settings.IMPORT_BACKGROUND_ROWS = 1
    rows = [good_row(500), _row(501, 企业名称="甲\x00乙"), _row(502, 企业名称="晋" * 300)]
    content = write_csv(tmp_path / "x.csv", rows).read_bytes()
    client = client_for(world["users"]["bureau_staff"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enterprises:import"), {"file": SimpleUploadedFile("名称.csv", content)})
    job = Job.objects.get(kind="import_facts")
    assert job.status == "done" and job.message == "共 3 行，已导入 1 行，拒绝 2 行"
    assert [(e["row"], e["value"][:3]) for e in job.result["errors"]] == [(3, "甲␀乙"), (4, "晋晋晋")]
    assert Enterprise.objects.filter(uscc=make_uscc(500)).exists()
