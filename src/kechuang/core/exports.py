"""Large exports as background jobs: the file is written under the data folder with progress on the job page,
then downloaded from there by its owner (or a bureau administrator), each download audited.

A domain's export offers `write(path, progress=…, **kwargs) -> rows` (a module-level function that writes the
workbook through core.excel.safe_row and calls `progress(done, total)` now and then); `start` queues it when
the rows exceed settings.EXPORT_BACKGROUND_ROWS, and the view answers small exports at once as before.

A one-sheet list export needs less: a `Table` builder `(user, **params) -> Table` and `respond`, which answers
at once below the threshold and queues `write_table` above it (the builder runs again in the job, with the
user's scope and filters as they are then).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.engine import clock

from . import audit, excel, jobs
from .models import Job

KIND = "export"
PROGRESS_EVERY = excel.PROGRESS_EVERY


# Rows read per query by `in_chunks`.
CHUNK = 2000


def in_chunks(qs, size: int = CHUNK):
    """The objects of `qs` in its order, read a chunk at a time with no cursor left open in between. A job
    reporting progress (an UPDATE) while a cursor is open would, on SQLite, keep its write transaction open
    until the read ends and lock out the job's heartbeat thread ("database is locked" after 30 s)."""
    ids = list(qs.values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        objects = qs.in_bulk(chunk)
        yield from (objects[pk] for pk in chunk)


def is_large(rows: int) -> bool:
    return rows > settings.EXPORT_BACKGROUND_ROWS


def path_for(job_id) -> Path:
    return settings.DATA_DIR / "exports" / f"export_{job_id}.xlsx"


def purge_old() -> None:
    """Remove export files older than EXPORT_KEEP_DAYS (run whenever an export starts: no scheduler needed);
    their jobs' pages then say the file was cleared."""
    cutoff = time.time() - settings.EXPORT_KEEP_DAYS * 86400
    for path in (settings.DATA_DIR / "exports").glob("export_*.xlsx"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def start(*, user, title: str, writer: str, filename: str, total: int, owner_only: bool = False, **kwargs) -> Job:
    """Queue an export: `writer` is the dotted path of the domain's write function, `kwargs` its JSON-safe
    arguments (the user's id and filters: the job reads with the user's scope when it runs). `owner_only`:
    not even a bureau admin may download it (an audit export: each is audited as its maker's)."""
    purge_old()
    return jobs.start(
        kind=KIND,
        title=title,
        user=user,
        total=total,
        func="kechuang.core.exports.export_job",
        writer=writer,
        filename=filename,
        writer_kwargs=kwargs,
        owner_only=owner_only,
    )


def export_job(job: Job, writer: str, filename: str, writer_kwargs: dict, owner_only: bool = False) -> dict:
    """Write the file to its place under the data folder (a partial file never stays there: the workbook is
    written beside it and renamed when complete, so a job started again after an interrupted run is safe)."""
    write = _function(writer)
    path = path_for(job.pk)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    jobs.report(job, 0, message="正在导出……")

    def progress(done: int, total: int | None = None) -> None:
        jobs.report(job, done, total)

    try:
        rows = write(partial, progress=progress, **writer_kwargs)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)  # a failed write leaves nothing behind
    jobs.report(job, rows, total=rows)
    return {
        "message": f"已导出 {rows} 行",
        "rows": rows,
        "filename": filename,
        "url": reverse("core:job_download", args=[job.pk]),
    }


def _function(dotted: str):
    module_name, _dot, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


@dataclass
class Table:
    """A one-sheet list export: `rows` are produced as they are written (read them with `in_chunks`),
    `total` is their number, counted before."""

    title: str
    header: list[str]
    rows: Iterable
    total: int


def respond(request, table: str, **params):
    """The export of `table` (the dotted path of a builder `(user, **params) -> Table`; `params` JSON-safe):
    the workbook at once when small, else a job with progress whose page links the file."""
    built = _function(table)(request.user, **params)
    if not is_large(built.total):
        return excel.xlsx_response(built.title, built.header, built.rows)
    job = start(
        user=request.user,
        title=_("导出%(t)s（%(n)d 行）") % {"t": built.title, "n": built.total},
        writer="kechuang.core.exports.write_table",
        filename=f"{built.title}_{clock.today():%Y%m%d}.xlsx",
        total=built.total,
        table=table,
        user_id=request.user.pk,
        params=params,
    )
    return redirect("core:job", pk=job.pk)


def write_table(path, *, progress, table: str, user_id: int, params: dict) -> int:
    """The job's writer for `respond`: the table built again for its user, now."""
    built = _function(table)(get_user_model().objects.get(pk=user_id), **params)
    return excel.write_xlsx(path, built.title, built.header, built.rows, progress=progress, total=built.total)


def may_download(user, job: Job) -> bool:
    """The owner, or a bureau administrator (who answers for the data leaving the platform) unless the
    export is its owner's alone."""
    if job.kind != KIND:
        return False
    return job.created_by_id == user.pk or (user.can_admin and not job.kwargs.get("owner_only"))


def record_download(user, job: Job) -> None:
    audit.record(
        actor=user,
        action="export.download",
        obj=job,
        note=f"{job.title}：{job.result.get('rows', 0)} 行",
    )
