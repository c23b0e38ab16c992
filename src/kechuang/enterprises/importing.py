"""Importing a facts file into the registry: read and check it with the engine's one reader, then upsert the
rows without an error (unless a dry run).

Used alike by the import page (in the background above IMPORT_BACKGROUND_ROWS rows) and by `kechuang import
facts`. The reader (kechuang.engine.facts_file) makes every check the command line makes; this module adds only
what needs the database: the reference codes it checks against, and the writing. Every row is all-or-nothing:
a row with any bad cell is rejected whole and reported as (file, row, column, value, Chinese message); every
other row is stored, in one transaction. An empty cell is "not given": it keeps the stored value (clearing
one is done on the firm's edit form), so a row giving two figures changes those two only. The report lists
every rejected row; at most MAX_ERRORS_STORED are kept on a job.

Writing: on PostgreSQL the accepted rows go by COPY into a staging table and are upserted set-wise
(`setwise.upsert_file`, a million rows in about a minute); elsewhere `services.upsert_facts` compares and
writes from Python. Both store the same values and record the same audit events (tests/registry/
test_import_setwise.py compares them); the reader, and so every row error, is the same for both.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connection

from kechuang.core import audit, jobs
from kechuang.core.excel import xlsx_bytes
from kechuang.core.models import Industry, Job, Region
from kechuang.engine import facts
from kechuang.engine.facts_file import Codes, FactsFileError, read_facts
from kechuang.engine.facts_file import count_rows as count_file_rows

from . import previews, services, setwise

MAX_ERRORS_STORED = 2000
UNREADABLE = "文件无法读取，未导入任何数据"
REGION_LEVEL = 3  # a firm's region_code is a county-level division (GB/T 2260)
INDUSTRY_LEVEL = 4  # and its industry_code a class, 四位小类 (GB/T 4754-2017)


def reference_codes() -> Codes:
    regions = Region.objects.filter(level=REGION_LEVEL).values_list("code", flat=True)
    industries = Industry.objects.filter(level=INDUSTRY_LEVEL).values_list("code", flat=True)
    return Codes(regions=frozenset(regions), industries=frozenset(industries))


def import_facts(
    path: Path | str,
    *,
    actor=None,
    dry_run: bool = False,
    display_name: str | None = None,
    content: bytes | None = None,
    progress=None,
    expected_rows: int | None = None,
    set_wise: bool | None = None,
) -> dict:
    """Check and (unless dry_run) import. Raises FactsFileError (Chinese) when nothing can be read.

    `display_name` is the file name people know (an upload's original name); `content` its bytes.
    `expected_rows`: a confirmed preview's count of rows to import; if the check now passes another number
    (a reference code changed since the preview), nothing is written and the user previews again.
    `set_wise`: store by COPY and set-wise SQL (enterprises.setwise); by default on PostgreSQL, where it is the
    one path; False forces the Python writer, the reference the tests compare it with."""
    path = Path(path)
    name = facts.shown(display_name or path.name, 200)
    read = read_facts(path, codes=reference_codes(), content=content, name=name)
    accepted = read.accepted_positions()
    if progress:
        progress(read.total_rows)
    if not dry_run and expected_rows is not None and len(accepted) != expected_rows:
        raise FactsFileError(
            f"{name} 现在可导入 {len(accepted)} 行，与预览时的 {expected_rows} 行不一致，未导入任何数据，请重新上传预览"
        )
    stats = {}
    if set_wise is None:
        set_wise = connection.vendor == "postgresql"
    if not dry_run and accepted and set_wise:
        stats = setwise.upsert_file(read, accepted, actor=actor, note=f"导入 {name}")
    elif not dry_run and accepted:
        rows = read.records_at(accepted)
        stats = services.upsert_facts(rows, columns=[c.name for c in read.columns], actor=actor, note=f"导入 {name}")
    return {
        "file": name,
        "dry_run": dry_run,
        "total_rows": read.total_rows,
        "accepted_rows": len(accepted),
        "rejected_rows": read.rejected_rows,
        "errors": [p.as_dict() for p in read.errors],
        "headers": read.headers,
        "rejected_cells": {str(row): cells for row, cells in read.rejected_cells(MAX_ERRORS_STORED).items()},
        "warnings": [f"{name}：{p}" for p in read.warnings],
        "stats": stats,
        "preview": [{k: str(v) for k, v in row.items()} for row in read.records_at(accepted[:20])],
    }


def count_rows(content: bytes, name: str) -> int:
    """A cheap row count to decide between importing now and in the background, as the page promises (an
    .xlsx too: it is read only as far as the decision needs)."""
    return count_file_rows(content, name, settings.IMPORT_BACKGROUND_ROWS + 1)


def follow_up(report: dict, *, owner, content: bytes | None = None, path: Path | None = None) -> dict:
    """Keep what a report's page offers next (previews.py): a preview's file for 确认导入, the rejected rows
    for download. Sets report["token"] when there is either; a stored upload not kept is left to its caller."""
    confirmable = report["dry_run"] and report["accepted_rows"] > 0
    if owner is None or not (confirmable or report["rejected_rows"]):
        return report
    report["token"] = previews.keep(
        report,
        owner=owner,
        display_name=report["file"],
        content=content if confirmable else None,
        path=path if confirmable else None,
    )
    report["confirmable"] = confirmable
    return report


REJECTED_HEADER = ["文件", "行号", "问题"]


def rejected_rows_download(kept: previews.Kept, user) -> bytes:
    """The rejected rows of a kept report, one line per row: its reasons, then its cells as in the file under
    the file's own headers, so a user fixes them and uploads the sheet again (文件, 行号 and 问题 are unknown
    columns to the reader, ignored with a note). Cells neutralised by core.excel; audited, as firms' data leave
    the platform."""
    audit.record(
        actor=user,
        action="import.rejected_download",
        object_id=kept.token,
        note=f"{kept.display_name}：{kept.report['rejected_rows']} 行",
    )
    reasons: dict[int, list[str]] = {}
    for e in kept.report["errors"]:
        reasons.setdefault(e["row"], []).append(f"{e['column']}：{e['message']}" if e["column"] else e["message"])
    cells = kept.report.get("rejected_cells", {})  # absent from a report kept before the cells were
    rows = ([kept.report["file"], row, "；".join(why), *cells.get(str(row), [])] for row, why in reasons.items())
    return xlsx_bytes("被拒绝的行", [*REJECTED_HEADER, *kept.report.get("headers", [])], rows)


def import_job(
    job: Job, path: str, display_name: str, actor_id: int | None, dry_run: bool, expected_rows: int | None = None
) -> dict:
    """Background job: import a stored upload, reporting progress on the job. A file that cannot be read fails
    the job with the reader's Chinese message. `expected_rows`: a confirmed preview's rows (import_facts)."""
    from kechuang.accounts.models import User

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    jobs.report(job, 0, message="正在校验……")
    try:
        report = import_facts(
            path,
            actor=actor,
            dry_run=dry_run,
            display_name=display_name,
            progress=lambda n: jobs.report(job, n, message=f"已校验 {n} 行"),
            expected_rows=expected_rows,
        )
    except FactsFileError as exc:  # the job's status line says it failed; its report says why
        message = UNREADABLE if expected_rows is None else "与预览不一致，未导入任何数据"
        raise jobs.Failed(message, result={"unreadable": exc.message}) from None
    else:
        follow_up(report, owner=actor, path=Path(path))  # a preview's file moves to the kept reports
    finally:
        Path(path).unlink(missing_ok=True)
    report["errors_truncated"] = len(report["errors"]) > MAX_ERRORS_STORED
    report["errors"] = report["errors"][:MAX_ERRORS_STORED]
    jobs.report(job, report["total_rows"], total=report["total_rows"])
    report["message"] = summary(report)
    return report


def summary(report: dict) -> str:
    verb = "可导入" if report["dry_run"] else "已导入"
    return f"共 {report['total_rows']} 行，{verb} {report['accepted_rows']} 行，拒绝 {report['rejected_rows']} 行"
