"""`kechuang archive --before DATE`: old audit records and finished jobs move to a file, read back before they are
deleted; refused inside the retention period (never under six months); audited; the chain still verifies."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json

import pytest
from django.utils import timezone

from kechuang import cli
from kechuang.core import archive, audit
from kechuang.core.models import AuditEvent, Job


def days_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


@pytest.fixture
def history(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.AUDIT_RETENTION_DAYS = 365
    events = [
        audit.event(
            actor=None,
            action="enterprise.update",
            object_type="enterprises.enterprise",
            object_id=str(n),
            changes={"name": [f"旧{n}", f"新{n}"]},
            note=f"第 {n} 条",
        )
        for n in range(3)
    ]
    for ev, age in zip(events, (400, 390, 10), strict=True):
        ev.at = days_ago(age)
    audit.record_many(events)
    jobs = {  # by what they show: archived, archived, kept (not finished), kept (recent)
        "old_done": Job.objects.create(kind="t", title="旧的已完成", status="done", result={"message": "好"}),
        "old_failed": Job.objects.create(kind="t", title="旧的失败", status="failed", message="坏"),
        "old_running": Job.objects.create(kind="t", title="旧的运行中", status="running"),
        "recent": Job.objects.create(kind="t", title="近期", status="done"),
    }
    for name, age in (("old_done", 380), ("old_failed", 370), ("recent", 5)):
        Job.objects.filter(pk=jobs[name].pk).update(finished_at=days_ago(age))
    Job.objects.filter(pk=jobs["old_running"].pk).update(created_at=days_ago(500))
    return events


def lines(path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_old_records_move_to_a_file_then_leave_the_database(history):
    events = history
    before = timezone.localdate() - dt.timedelta(days=366)
    done = archive.archive(before=before)
    assert done["counts"] == {"core_auditevent": 2, "core_job": 2}
    path = done["path"]
    assert path.parent.name == "archive" and path.name.startswith(f"archive-before-{before}-")
    assert done["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    content = lines(path)
    assert content[0]["kind"] == "manifest" and content[0]["counts"] == done["counts"]
    archived_events = [line["row"] for line in content if line.get("table") == "core_auditevent"]
    assert [e["hash"] for e in archived_events] == [events[0].hash, events[1].hash]
    assert archived_events[0]["changes"] == {"name": ["旧0", "新0"]} and archived_events[0]["note"] == "第 0 条"
    archived_jobs = {line["row"]["title"] for line in content if line.get("table") == "core_job"}
    assert archived_jobs == {"旧的已完成", "旧的失败"}

    assert not AuditEvent.objects.filter(pk__in=[events[0].pk, events[1].pk]).exists()
    assert AuditEvent.objects.filter(pk=events[2].pk).exists()
    assert set(Job.objects.values_list("title", flat=True)) == {"旧的运行中", "近期"}
    last = list(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:2])
    assert last == ["ops.archive", "audit.purge"]
    note = AuditEvent.objects.get(action="ops.archive")
    assert note.changes["sha256"] == [None, done["sha256"]] and note.changes["core_job"] == [None, 2]
    assert audit.verify().broken is None


def test_nothing_to_archive_writes_no_file(history, tmp_path):
    assert archive.archive(before=timezone.localdate() - dt.timedelta(days=500)) == {
        "path": None,
        "counts": {"core_auditevent": 0, "core_job": 0},
        "sha256": "",
    }
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize(("retention", "age", "kept"), [(365, 364, 365), (30, 100, 183)])
def test_refused_inside_the_retention_period(history, settings, tmp_path, retention, age, kept):
    settings.AUDIT_RETENTION_DAYS = retention
    counts = AuditEvent.objects.count(), Job.objects.count()
    cutoff = timezone.localdate() - dt.timedelta(days=kept)
    with pytest.raises(archive.ArchiveError) as caught:
        archive.archive(before=timezone.localdate() - dt.timedelta(days=age))
    assert str(caught.value) == f"审计记录至少在线保存 {kept} 天：只能归档 {cutoff} 之前的记录"
    assert (AuditEvent.objects.count(), Job.objects.count()) == counts
    assert not (tmp_path / "archive").exists()


def test_a_file_that_does_not_read_back_deletes_nothing(history, monkeypatch):
    monkeypatch.setattr(archive, "_count_rows", lambda path: {"core_auditevent": 1, "core_job": 2})
    counts = AuditEvent.objects.count(), Job.objects.count()
    with pytest.raises(archive.ArchiveError, match="读回的行数与数据库不符：未删除任何记录"):
        archive.archive(before=timezone.localdate() - dt.timedelta(days=366))
    assert (AuditEvent.objects.count(), Job.objects.count()) == counts


def test_the_command(history, tmp_path, capsys):
    before = timezone.localdate() - dt.timedelta(days=366)
    target = tmp_path / "out.jsonl.gz"
    assert cli.main(["archive", "--before", str(before), "--output", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"已归档 {before} 之前的审计记录 2 条、后台任务 2 条：{target}（SHA-256 ")
    assert cli.main(["archive", "--before", "2026-13-01"]) == 2
    assert capsys.readouterr().err == "错误：日期“2026-13-01”无效，请使用 YYYY-MM-DD 格式\n"
    assert cli.main(["archive", "--before", str(before), "--output", str(target)]) == 2
    assert capsys.readouterr().err == f"错误：归档文件 {target} 已存在：请换一个文件名\n"
