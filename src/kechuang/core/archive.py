"""Retention: audit records and finished jobs older than a date move to an archive file, never silently deleted.

The audit log stays online for the retention period (core.audit.retention_days, never under the 等保2.0 floor of
six months); `archive(before=…)` is refused for a date inside it. The rows are read, written to a gzipped JSON
Lines file under KECHUANG_DATA_DIR/archive/ (backed up with the uploaded files), read back and counted, and only
then deleted — all inside one transaction, so a failure leaves every row in place (at worst a file too many, never
a row too few). Archived audit records keep their hashes, so the chain can still be checked from the file; the
purge leaves its anchor (`audit.purge`) and the archive its own event with the file name and its SHA-256.

File format, one JSON object per line: first {"kind": "manifest", …counts}, then {"table": …, "row": {…}}.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import audit
from .models import AuditEvent, Job

FOLDER = "archive"
READ_CHUNK = 1 << 20
ROW_CHUNK = 5000


class ArchiveError(Exception):
    """A refusal with a message for the operator (Chinese)."""


def archive(*, before: dt.date, output: Path | None = None, actor=None) -> dict:
    """Move audit records and finished jobs from before `before` into a new archive file. Returns a summary."""
    cutoff_day = timezone.localdate() - dt.timedelta(days=audit.retention_days())
    if before > cutoff_day:
        raise ArchiveError(f"审计记录至少在线保存 {audit.retention_days()} 天：只能归档 {cutoff_day} 之前的记录")
    cutoff = dt.datetime.combine(before, dt.time.min, tzinfo=timezone.get_current_timezone())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = Path(output) if output else settings.DATA_DIR / FOLDER / f"archive-before-{before}-{stamp}.jsonl.gz"
    if path.exists():
        raise ArchiveError(f"归档文件 {path} 已存在：请换一个文件名")
    with transaction.atomic():
        audit._lock_chain()
        events = AuditEvent.objects.filter(at__lt=cutoff).order_by("id")
        finished = Job.objects.filter(finished_at__lt=cutoff, status__in=[Job.Status.DONE, Job.Status.FAILED])
        counts = {"core_auditevent": events.count(), "core_job": finished.count()}
        if not any(counts.values()):
            return {"path": None, "counts": counts, "sha256": ""}
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, before, counts, {"core_auditevent": events, "core_job": finished.order_by("created_at")})
        if _count_rows(path) != counts:
            raise ArchiveError(f"归档文件 {path} 读回的行数与数据库不符：未删除任何记录")
        digest = _sha256(path)
        finished.delete()
        if counts["core_auditevent"]:
            audit.purge(before=before, actor=actor)
        audit.record(
            actor=actor,
            action="ops.archive",
            object_type="",
            object_id="",
            changes={
                "core_auditevent": [None, counts["core_auditevent"]],
                "core_job": [None, counts["core_job"]],
                "sha256": [None, digest],
            },
            note=f"归档 {before} 之前的记录到 {path.name}",
        )
    return {"path": path, "counts": counts, "sha256": digest}


def _write(path: Path, before: dt.date, counts: dict, tables: dict) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        head = {
            "kind": "manifest",
            "before": before.isoformat(),
            "created_at": timezone.now().isoformat(),
            "counts": counts,
        }
        f.write(json.dumps(head, ensure_ascii=False) + "\n")
        for table, rows in tables.items():
            for row in rows.values().iterator(chunk_size=ROW_CHUNK):
                line = {"table": table, "row": {k: _jsonable(v) for k, v in row.items()}}
                f.write(json.dumps(line, ensure_ascii=False) + "\n")


def _jsonable(value):
    if isinstance(value, dict | list) or value is None:
        return value
    return audit.jsonable(value)


def _count_rows(path: Path) -> dict:
    counts = {"core_auditevent": 0, "core_job": 0}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            table = json.loads(line).get("table")
            if table:
                counts[table] += 1
    return counts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
