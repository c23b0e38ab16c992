"""Large exports as background jobs: the file is written under the data folder with progress on the job page,
then downloaded from there by its owner (or a bureau administrator), each download audited.

A domain's export offers `write(path, progress=…, **kwargs) -> rows` (a module-level function that writes the
workbook through core.excel.safe_row and calls `progress(done, total)` now and then); `start` queues it when
the rows exceed settings.EXPORT_BACKGROUND_ROWS, and the view answers small exports at once as before.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from django.conf import settings
from django.urls import reverse

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
    module_name, _, attr = writer.rpartition(".")
    write = getattr(importlib.import_module(module_name), attr)
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
